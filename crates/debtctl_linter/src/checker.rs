use crate::custom::{CustomRegistry, RuleKey, Selection};
use crate::registry::{Rule, RuleSet};
use crate::rules;
use crate::rules::go::package::{PackageFacts, PackageFile};
use crate::settings::LinterSettings;
use crate::suppression::Suppressions;
use crate::tickets::TicketPatterns;
use debtctl_diagnostics::{
    fingerprint, Applicability, Diagnostic, Edit, Finding, Fix, FixSummary, TextRange,
};
use debtctl_syntax::{parse, Language, LineIndex};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// What rules see while they check one file, and where they report.
pub(crate) struct Checker<'a> {
    pub source: &'a str,
    pub rules: RuleSet,
    /// The custom rules that run on this file (indices into `custom_rules`), ascending.
    pub custom: Vec<usize>,
    pub custom_rules: CustomRegistry,
    pub diagnostics: Vec<(RuleKey, Diagnostic)>,
    pub suppressions: Suppressions,
    /// Which words name a ticket (the settings' `ticket-patterns`).
    pub tickets: TicketPatterns,
}

impl<'a> Checker<'a> {
    /// A checker for one file: every setting the rules and suppressions read comes from
    /// `settings` here, in one place, so no entry point can forget one.
    pub fn new(source: &'a str, selection: Selection, settings: &LinterSettings) -> Self {
        Checker {
            source,
            rules: selection.rules,
            custom: selection.custom,
            custom_rules: settings.custom.clone(),
            diagnostics: Vec::new(),
            suppressions: Suppressions::new(settings.honor_peer_suppressions, settings.custom.clone()),
            tickets: settings.tickets.clone(),
        }
    }

    #[inline]
    pub fn enabled(&self, rule: Rule) -> bool {
        self.rules.contains(rule)
    }

    /// Whether a built-in or custom rule runs on this file.
    pub fn enabled_key(&self, key: RuleKey) -> bool {
        match key {
            RuleKey::Builtin(rule) => self.enabled(rule),
            RuleKey::Custom(index) => self.custom.binary_search(&index).is_ok(),
        }
    }

    /// Runs the file's custom rules on the trees already parsed from `text` (the source,
    /// or for a Helm template its masked text, which keeps the source's offsets): one walk
    /// per tree for all of them. A rule's `fix` is an unsafe fix (the rule's author, not
    /// debtctl, vouches for it); in a Helm template it is offered only where the match
    /// holds no masked action, so a fix never writes masking back.
    pub fn check_custom(&mut self, lang: Language, text: &str, trees: &[Tree]) {
        if self.custom.is_empty() {
            return;
        }
        let registry = self.custom_rules.clone();
        let custom = &self.custom;
        let matches =
            registry.rules().check_selected(lang, text, trees, &|i| custom.binary_search(&i).is_ok());
        for m in matches {
            let id = registry.id(m.rule);
            let info = &registry.rules().rules()[m.rule];
            let fix = m.fix.filter(|e| {
                let unmasked = |r: std::ops::Range<usize>| self.source.get(r.clone()) == text.get(r);
                self.source.get(e.start_byte..e.end_byte) != Some(e.replacement.as_str())
                    && unmasked(m.start_byte..m.end_byte)
                    && unmasked(e.start_byte..e.end_byte)
            });
            self.diagnostics.push((
                RuleKey::Custom(m.rule),
                Diagnostic {
                    rule: id,
                    range: TextRange::new(m.start_byte, m.end_byte),
                    message: m.message,
                    fix: fix.map(|e| Fix {
                        applicability: Applicability::Unsafe,
                        title: format!("apply the `{id}` rule's fix"),
                        edits: vec![Edit::replace(e.start_byte, e.end_byte, e.replacement)],
                    }),
                    ticket: info.ticket.clone(),
                    scope: String::new(),
                },
            ));
        }
    }

    pub fn text(&self, node: Node<'_>) -> &'a str {
        &self.source[node.byte_range()]
    }

    /// Reports `rule` at `range`; the returned diagnostic can take a fix or a ticket.
    pub fn report(
        &mut self,
        rule: Rule,
        range: impl Into<Span>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let Span(range) = range.into();
        self.diagnostics.push((
            RuleKey::Builtin(rule),
            Diagnostic {
                rule: rule.id(),
                range,
                message: message.into(),
                fix: None,
                ticket: None,
                scope: String::new(),
            },
        ));
        &mut self.diagnostics.last_mut().expect("just pushed").1
    }
}

/// A byte range to report at, from a node or a range.
pub(crate) struct Span(pub TextRange);

impl From<Node<'_>> for Span {
    fn from(n: Node<'_>) -> Span {
        Span(TextRange::new(n.start_byte(), n.end_byte()))
    }
}

impl From<TextRange> for Span {
    fn from(r: TextRange) -> Span {
        Span(r)
    }
}

/// The outcome of checking one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileResult {
    pub findings: Vec<Finding>,
    /// The syntax tree had ERROR or MISSING nodes; the file was analysed all the same.
    pub parse_error: bool,
    /// The line of the first of them, where known (not for YAML).
    #[serde(default)]
    pub parse_error_line: Option<u32>,
    /// Findings hidden by suppression comments.
    pub suppressed: u32,
    /// The fixes with edits that the findings offer, by rule ID, for `debtctl fix`; never
    /// cached.
    #[serde(skip)]
    pub fixes: Vec<(&'static str, Fix)>,
}

/// Whether a file declares itself generated: Go's `// Code generated ... DO NOT EDIT.`
/// line before the package clause, or Python's `@generated` marker in its first lines.
pub fn is_generated(lang: Language, source: &str) -> bool {
    match lang {
        Language::Go => source
            .lines()
            .take_while(|l| !l.starts_with("package "))
            .any(|l| l.starts_with("// Code generated ") && l.trim_end().ends_with(" DO NOT EDIT.")),
        Language::Python => source
            .lines()
            .take(40)
            .any(|l| l.contains("@generated") && (l.trim_start().starts_with('#') || l.contains("\"\"\""))),
        Language::GoMod | Language::Yaml | Language::HelmTemplate => false,
    }
}

/// Checks one file's source with `rules` (the settings' rules after per-path ignores, and
/// the file's custom rules; a bare [`RuleSet`] runs no custom rule).
/// `path` is the path as findings show it; it is part of every fingerprint.
pub fn check_source(
    path: &str,
    lang: Language,
    source: &str,
    rules: impl Into<Selection>,
    settings: &LinterSettings,
) -> FileResult {
    // YAML parses itself: Helm actions masked first, one tree per document.
    let yaml = matches!(lang, Language::Yaml | Language::HelmTemplate);
    let tree = if yaml { None } else { parse(lang, source) };
    check_parsed(path, lang, source, tree.as_ref(), rules, settings)
}

/// [`check_source`] with the file's parse given: the language server keeps each open
/// document's tree and re-parses it incrementally. `tree` must be a parse of `source`;
/// YAML (which parses itself, one tree per document) and `go.mod` ignore it.
pub fn check_parsed(
    path: &str,
    lang: Language,
    source: &str,
    tree: Option<&Tree>,
    rules: impl Into<Selection>,
    settings: &LinterSettings,
) -> FileResult {
    let mut checker = Checker::new(source, rules.into(), settings);
    let yaml = matches!(lang, Language::Yaml | Language::HelmTemplate);
    let tree = if yaml { None } else { tree };
    let mut parse_error = tree.is_some_and(|t| t.root_node().has_error());
    if yaml {
        parse_error = rules::yaml::check(&mut checker, lang);
    }
    if let Some(tree) = tree {
        let root = tree.root_node();
        match lang {
            Language::Python => rules::py::check(&mut checker, root),
            Language::Go => {
                // A lone file is a package of one.
                let file = PackageFile { name: path, source, tree: Some(tree) };
                let facts = PackageFacts::collect(std::slice::from_ref(&file));
                rules::go::check(&mut checker, root, &facts, &settings.go, path);
            }
            Language::Yaml | Language::HelmTemplate | Language::GoMod => {}
        }
        checker.check_custom(lang, source, std::slice::from_ref(tree));
        assign_scopes(lang, root, source, &mut checker.diagnostics);
    }
    if lang == Language::GoMod {
        rules::go::module_major_suffix::check(&mut checker);
    }
    let line_index = LineIndex::new(source);
    let suppressed = checker.apply_suppressions(&line_index);
    let (findings, fixes) = to_findings(path, source, &line_index, checker.diagnostics, settings);
    let parse_error_line = tree.and_then(debtctl_syntax::first_error_line);
    FileResult { findings, parse_error, parse_error_line, suppressed, fixes }
}

/// Checks one Go file of a package whose facts the package stage computed from every file
/// of its directory; `tree` is the file's one parse, shared with the package stage.
pub fn check_go_file(
    path: &str,
    source: &str,
    tree: Option<&Tree>,
    facts: &PackageFacts,
    rules: impl Into<Selection>,
    settings: &LinterSettings,
) -> FileResult {
    let mut checker = Checker::new(source, rules.into(), settings);
    let parse_error = tree.is_some_and(|t| t.root_node().has_error());
    if let Some(tree) = tree {
        let root = tree.root_node();
        rules::go::check(&mut checker, root, facts, &settings.go, path);
        checker.check_custom(Language::Go, source, std::slice::from_ref(tree));
        assign_scopes(Language::Go, root, source, &mut checker.diagnostics);
    }
    let line_index = LineIndex::new(source);
    let suppressed = checker.apply_suppressions(&line_index);
    let (findings, fixes) = to_findings(path, source, &line_index, checker.diagnostics, settings);
    let parse_error_line = tree.and_then(debtctl_syntax::first_error_line);
    FileResult { findings, parse_error, parse_error_line, suppressed, fixes }
}

/// Checks the Go files of one directory as a package: each is parsed once, the package
/// facts are computed once from all of them, then each file is checked with its rules.
/// `files` are (path as shown, source, rules); results come back in the same order.
/// Sequential; the engine runs the same stages in parallel.
pub fn check_package<R: Clone + Into<Selection>>(
    files: &[(&str, &str, R)],
    settings: &LinterSettings,
) -> Vec<FileResult> {
    let trees: Vec<Option<Tree>> = files.iter().map(|(_, source, _)| parse(Language::Go, source)).collect();
    let units: Vec<PackageFile<'_>> = files
        .iter()
        .zip(&trees)
        .map(|((path, source, _), tree)| PackageFile { name: path, source, tree: tree.as_ref() })
        .collect();
    let facts = PackageFacts::collect(&units);
    files
        .iter()
        .zip(&trees)
        .map(|((path, source, rules), tree)| {
            check_go_file(path, source, tree.as_ref(), &facts, rules.clone(), settings)
        })
        .collect()
}

impl Checker<'_> {
    /// Drops suppressed diagnostics and reports what suppression comments got wrong.
    fn apply_suppressions(&mut self, line_index: &LineIndex) -> u32 {
        let suppressions = std::mem::take(&mut self.suppressions);
        suppressions.apply(self, |offset| line_index.line_of(offset))
    }
}

/// Sets each diagnostic's scope: the names of the functions and classes (Go: functions
/// and methods) that enclose its range, outermost first, joined with `.`.
///
/// One walk of the tree collects the definitions, then one sweep in source order pairs
/// them with the diagnostics, so the cost is linear in the tree and the findings. (Asking
/// the tree for each finding's node, as this once did, walks the root's children from the
/// first every time: quadratic in a module of 20,000 functions; issue 17.) A definition
/// encloses a range when it contains it and is not exactly it, as an ancestor of the
/// range's node does (ending where the range starts is not containing it).
fn assign_scopes(lang: Language, root: Node<'_>, source: &str, diagnostics: &mut [(RuleKey, Diagnostic)]) {
    if diagnostics.is_empty() {
        return;
    }
    let defs = definitions(lang, root, source);
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    order.sort_by_key(|&i| diagnostics[i].1.range.start);
    let mut next = 0;
    let mut open: Vec<&Definition<'_>> = Vec::new();
    for i in order {
        let range = diagnostics[i].1.range;
        while let Some(def) = defs.get(next).filter(|d| d.start <= range.start) {
            while open.last().is_some_and(|o| o.end <= def.start) {
                open.pop();
            }
            open.push(def);
            next += 1;
        }
        while open.last().is_some_and(|o| o.end <= range.start) {
            open.pop();
        }
        let names: Vec<&str> = open
            .iter()
            .take_while(|d| d.end >= range.end)
            .filter(|d| (d.start, d.end) != (range.start, range.end))
            .map(|d| d.name)
            .collect();
        diagnostics[i].1.scope = names.join(".");
    }
}

/// A function or class definition (Go: function or method declaration) and its name.
struct Definition<'a> {
    start: usize,
    end: usize,
    name: &'a str,
}

/// Every definition of the tree, in source order (an enclosing one before those inside).
fn definitions<'a>(lang: Language, root: Node<'_>, source: &'a str) -> Vec<Definition<'a>> {
    let mut out = Vec::new();
    if lang == Language::Go {
        go_definitions(root, source, &mut out);
        return out;
    }
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        let kinds: &[&str] = match lang {
            Language::Python => &["function_definition", "class_definition"],
            Language::Go => &["function_declaration", "method_declaration"],
            _ => &[],
        };
        if kinds.contains(&node.kind()) {
            if let Some(name) = node.child_by_field_name("name") {
                out.push(Definition {
                    start: node.start_byte(),
                    end: node.end_byte(),
                    name: &source[name.byte_range()],
                });
            }
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// [`definitions`] of a Go tree. Function and method declarations are children of the
/// source file, so only the root's children are read, and the subtrees of a misparse
/// (where error recovery can nest a declaration anywhere): a walk of every node cost
/// as much as all the Go rules' own work (issue 12).
fn go_definitions<'a>(root: Node<'_>, source: &'a str, out: &mut Vec<Definition<'a>>) {
    use crate::rules::go::NodeExt;
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        if matches!(node.kind_str(), "function_declaration" | "method_declaration") {
            if let Some(name) = node.field("name") {
                out.push(Definition {
                    start: node.start_byte(),
                    end: node.end_byte(),
                    name: &source[name.byte_range()],
                });
            }
        }
        if (node == root || node.has_error()) && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
}

fn to_findings(
    path: &str,
    source: &str,
    line_index: &LineIndex,
    diagnostics: Vec<(RuleKey, Diagnostic)>,
    settings: &LinterSettings,
) -> (Vec<Finding>, Vec<(&'static str, Fix)>) {
    let mut fixes = Vec::new();
    let mut diagnostics = diagnostics;
    diagnostics.sort_by_key(|(rule, d)| (d.range.start, d.range.end, *rule));
    let mut occurrences: HashMap<String, u32> = HashMap::new();
    let findings = diagnostics
        .into_iter()
        .map(|(rule, d)| {
            let id = d.rule;
            let code = &source[d.range.start..d.range.end];
            let base = fingerprint(id, path, &d.scope, code, &d.message, 0);
            let n = occurrences.entry(base).or_insert(0);
            let fp = fingerprint(id, path, &d.scope, code, &d.message, *n);
            *n += 1;
            let (line, column) = line_index.line_col(source, d.range.start);
            let (end_line, end_column) = line_index.line_col(source, d.range.end);
            Finding {
                rule: id.to_string(),
                severity: settings.severity_of_key(rule),
                path: path.to_string(),
                line,
                column,
                end_line,
                end_column,
                message: d.message,
                debt_minutes: settings.debt_of_key(rule),
                fingerprint: fp,
                ticket: d.ticket,
                fix: d.fix.map(|f| {
                    let summary = FixSummary { applicability: f.applicability, title: f.title.clone() };
                    if !f.edits.is_empty() {
                        fixes.push((id, f));
                    }
                    summary
                }),
            }
        })
        .collect();
    (findings, fixes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scope as it was computed before issue 17 made it one sweep: the smallest node
    /// of the range, then its ancestors' names. Fingerprints hash the scope, so the sweep
    /// must give the same string for every range.
    fn scope_by_ancestors(lang: Language, root: Node<'_>, range: TextRange, source: &str) -> String {
        let Some(mut node) = root.descendant_for_byte_range(range.start, range.end) else {
            return String::new();
        };
        let mut parts = Vec::new();
        while let Some(parent) = node.parent() {
            let named = match (lang, parent.kind()) {
                (Language::Python, "function_definition" | "class_definition")
                | (Language::Go, "function_declaration" | "method_declaration") => {
                    parent.child_by_field_name("name")
                }
                _ => None,
            };
            if let Some(name) = named {
                parts.push(&source[name.byte_range()]);
            }
            node = parent;
        }
        parts.reverse();
        parts.join(".")
    }

    #[test]
    fn scopes_of_one_sweep_are_the_ancestors_names() {
        let root_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut checked = 0;
        for (sub, lang) in [("py", Language::Python), ("go", Language::Go)] {
            let mut dirs = vec![root_dir.join(sub)];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        dirs.push(path);
                        continue;
                    }
                    if Language::from_path(&path) != Some(lang) {
                        continue;
                    }
                    let source = std::fs::read_to_string(&path).unwrap();
                    let tree = parse(lang, &source).unwrap();
                    let root = tree.root_node();
                    let mut diagnostics = Vec::new();
                    crate::walk::walk(root, |n, _| {
                        let range = TextRange::new(n.start_byte(), n.end_byte());
                        let diag = Diagnostic {
                            rule: Rule::DebtTodo.id(),
                            range,
                            message: String::new(),
                            fix: None,
                            ticket: None,
                            scope: String::new(),
                        };
                        diagnostics.push((RuleKey::Builtin(Rule::DebtTodo), diag));
                    });
                    assign_scopes(lang, root, &source, &mut diagnostics);
                    for (_, d) in &diagnostics {
                        let expected = scope_by_ancestors(lang, root, d.range, &source);
                        assert_eq!(d.scope, expected, "{} at {:?}", path.display(), d.range);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
