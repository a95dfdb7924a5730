use crate::registry::{Rule, RuleSet};
use crate::rules;
use crate::rules::go::package::{PackageFacts, PackageFile};
use crate::settings::LinterSettings;
use crate::suppression::Suppressions;
use crate::tickets::TicketPatterns;
use debtctl_diagnostics::{fingerprint, Diagnostic, Finding, Fix, FixSummary, TextRange};
use debtctl_syntax::{parse, Language, LineIndex};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// What rules see while they check one file, and where they report.
pub(crate) struct Checker<'a> {
    pub source: &'a str,
    pub rules: RuleSet,
    pub diagnostics: Vec<(Rule, Diagnostic)>,
    pub suppressions: Suppressions,
    /// Which words name a ticket (the settings' `ticket-patterns`).
    pub tickets: TicketPatterns,
}

impl<'a> Checker<'a> {
    pub fn new(source: &'a str, rules: RuleSet) -> Self {
        Checker {
            source,
            rules,
            diagnostics: Vec::new(),
            suppressions: Suppressions::default(),
            tickets: TicketPatterns::default(),
        }
    }

    #[inline]
    pub fn enabled(&self, rule: Rule) -> bool {
        self.rules.contains(rule)
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
            rule,
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

/// Checks one file's source with `rules` (the settings' rules after per-path ignores).
/// `path` is the path as findings show it; it is part of every fingerprint.
pub fn check_source(
    path: &str,
    lang: Language,
    source: &str,
    rules: RuleSet,
    settings: &LinterSettings,
) -> FileResult {
    let mut checker = Checker::new(source, rules);
    checker.tickets = settings.tickets.clone();
    // YAML parses itself: Helm actions masked first, one tree per document.
    let yaml = matches!(lang, Language::Yaml | Language::HelmTemplate);
    let tree = if yaml { None } else { parse(lang, source) };
    let mut parse_error = tree.as_ref().is_some_and(|t| t.root_node().has_error());
    if yaml {
        parse_error = rules::yaml::check(&mut checker, lang);
    }
    if let Some(tree) = &tree {
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
        for (_, diag) in &mut checker.diagnostics {
            diag.scope = scope_of(lang, root, diag.range, source);
        }
    }
    if lang == Language::GoMod {
        rules::go::module_major_suffix::check(&mut checker);
    }
    let line_index = LineIndex::new(source);
    let suppressed = checker.apply_suppressions(&line_index);
    let (findings, fixes) = to_findings(path, source, &line_index, checker.diagnostics, settings);
    FileResult { findings, parse_error, suppressed, fixes }
}

/// Checks one Go file of a package whose facts the package stage computed from every file
/// of its directory; `tree` is the file's one parse, shared with the package stage.
pub fn check_go_file(
    path: &str,
    source: &str,
    tree: Option<&Tree>,
    facts: &PackageFacts,
    rules: RuleSet,
    settings: &LinterSettings,
) -> FileResult {
    let mut checker = Checker::new(source, rules);
    checker.tickets = settings.tickets.clone();
    let parse_error = tree.is_some_and(|t| t.root_node().has_error());
    if let Some(tree) = tree {
        let root = tree.root_node();
        rules::go::check(&mut checker, root, facts, &settings.go, path);
        for (_, diag) in &mut checker.diagnostics {
            diag.scope = scope_of(Language::Go, root, diag.range, source);
        }
    }
    let line_index = LineIndex::new(source);
    let suppressed = checker.apply_suppressions(&line_index);
    let (findings, fixes) = to_findings(path, source, &line_index, checker.diagnostics, settings);
    FileResult { findings, parse_error, suppressed, fixes }
}

/// Checks the Go files of one directory as a package: each is parsed once, the package
/// facts are computed once from all of them, then each file is checked with its rules.
/// `files` are (path as shown, source, rules); results come back in the same order.
/// Sequential; the engine runs the same stages in parallel.
pub fn check_package(files: &[(&str, &str, RuleSet)], settings: &LinterSettings) -> Vec<FileResult> {
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
            check_go_file(path, source, tree.as_ref(), &facts, *rules, settings)
        })
        .collect()
}

impl Checker<'_> {
    /// Drops suppressed diagnostics and reports what suppression comments got wrong.
    fn apply_suppressions(&mut self, line_index: &LineIndex) -> u32 {
        let suppressions = std::mem::take(&mut self.suppressions);
        let mut diagnostics = std::mem::take(&mut self.diagnostics);
        let mut suppressed = Vec::new();
        diagnostics.retain(|(rule, diag)| {
            let line = line_index.line_of(diag.range.start);
            let hidden = suppressions.suppresses(*rule, line);
            if hidden {
                suppressed.push((*rule, line));
            }
            !hidden
        });
        self.diagnostics = diagnostics;
        suppressions.report(self, &suppressed);
        suppressed.len() as u32
    }
}

/// The enclosing functions and classes (or Go function and receiver) of a range.
fn scope_of(lang: Language, root: Node<'_>, range: TextRange, source: &str) -> String {
    let Some(mut node) = root.descendant_for_byte_range(range.start, range.end) else {
        return String::new();
    };
    let mut parts = Vec::new();
    // The descent from the root is bounded by depth; the walk up is cheap for real code.
    let mut steps = 0;
    while let Some(parent) = node.parent() {
        steps += 1;
        if steps > 256 {
            break;
        }
        let named = match (lang, parent.kind()) {
            (Language::Python, "function_definition" | "class_definition") => {
                parent.child_by_field_name("name")
            }
            (Language::Go, "function_declaration" | "method_declaration") => {
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

fn to_findings(
    path: &str,
    source: &str,
    line_index: &LineIndex,
    diagnostics: Vec<(Rule, Diagnostic)>,
    settings: &LinterSettings,
) -> (Vec<Finding>, Vec<(&'static str, Fix)>) {
    let mut fixes = Vec::new();
    let mut diagnostics = diagnostics;
    diagnostics.sort_by_key(|(rule, d)| (d.range.start, d.range.end, *rule));
    let mut occurrences: HashMap<String, u32> = HashMap::new();
    let findings = diagnostics
        .into_iter()
        .map(|(rule, d)| {
            let code = &source[d.range.start..d.range.end];
            let base = fingerprint(rule.id(), path, &d.scope, code, &d.message, 0);
            let n = occurrences.entry(base).or_insert(0);
            let fp = fingerprint(rule.id(), path, &d.scope, code, &d.message, *n);
            *n += 1;
            let (line, column) = line_index.line_col(source, d.range.start);
            let (end_line, end_column) = line_index.line_col(source, d.range.end);
            Finding {
                rule: rule.id().to_string(),
                severity: settings.severity_of(rule),
                path: path.to_string(),
                line,
                column,
                end_line,
                end_column,
                message: d.message,
                debt_minutes: settings.debt_of(rule),
                fingerprint: fp,
                ticket: d.ticket,
                fix: d.fix.map(|f| {
                    let summary = FixSummary { applicability: f.applicability, title: f.title.clone() };
                    if !f.edits.is_empty() {
                        fixes.push((rule.id(), f));
                    }
                    summary
                }),
            }
        })
        .collect();
    (findings, fixes)
}
