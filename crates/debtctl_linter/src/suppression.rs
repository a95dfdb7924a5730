//! Suppression comments, as the catalog's Suppression section defines them. Two spellings
//! are accepted in every language, after the comment marker, with or without a space:
//! `debtctl:ignore RULE[,RULE] reason` and `debtctl: ignore[RULE,RULE] reason`; a rule
//! prefix (`go/`) names all its rules. Such a comment suppresses findings on its own line
//! and on the line below it. A directive that names no rule, and an unknown rule ID, are
//! reported as `debt/unknown-suppression`; the known IDs beside an unknown one still
//! suppress.
//!
//! Peers' comments are honoured for the equivalent rule (unless
//! `honor-peer-suppressions = false`), with the reach their own tools give them:
//! golangci-lint's `//nolint[:linter,...]` on its line, or on the line below when it stands
//! alone on its line; ruff's and flake8's `# noqa[: CODE,...]` on its line only.

use crate::checker::Checker;
use crate::custom::{CustomRegistry, RuleKey};
use crate::registry::{select, Rule, RuleSet};
use debtctl_diagnostics::TextRange;
use debtctl_syntax::Language;
use regex::Regex;
use std::sync::LazyLock;

/// `debtctl:ignore` or `debtctl: ignore`, right after a comment marker: the comment's own,
/// or one after a space inside it, as in `# noqa: B006  # debtctl: ignore[...]` (not one
/// quoted in prose, as in ``see `# debtctl: ignore` ``).
static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\s)(?:#|//)[ \t]*(debtctl:[ \t]*ignore)\b").expect("valid regex"));
/// golangci-lint's `//nolint` and `//nolint:a,b`.
static NOLINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|\s)//[ \t]*nolint(?::[ \t]*([\w-]+(?:[ \t]*,[ \t]*[\w-]+)*))?(?:$|[\s/])")
        .expect("valid regex")
});
/// ruff's and flake8's `# noqa` and `# noqa: B006, E722` (ruff's own pattern, codes
/// separated by commas or spaces).
static NOQA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|\s)#[ \t]*noqa(?::[ \t]*([a-z]+[0-9]+(?:[,\s]+[a-z]+[0-9]+)*)?)?(?:$|[^\w:])")
        .expect("valid regex")
});

/// What a peer's code (a linter name, a ruff code) stands for.
type PeerMap = fn(&str) -> Option<RuleSet>;

/// The example a "names no rule" report shows.
const SPELLING: &str = "`debtctl:ignore RULE reason` or `debtctl: ignore[RULE] reason`";

#[derive(Debug)]
struct Code {
    range: TextRange,
    text: String,
    /// The rules the code names; `None` for an unknown ID.
    rules: Option<RuleSet>,
    /// The custom rules it names (indices), ascending.
    custom: Vec<usize>,
    used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// debtctl's own directive.
    Own,
    /// `# noqa`: its own line only.
    Noqa,
    /// `//nolint`: its own line, and the next when it stands alone on its line.
    Nolint,
}

#[derive(Debug)]
struct Suppression {
    kind: Kind,
    /// 0-based line of the comment.
    line: usize,
    /// Where the directive starts: reported when it names no rule; tells whether a
    /// `//nolint` stands alone on its line.
    directive: TextRange,
    /// Whether the comment has only whitespace before it on its line (see `resolve`).
    alone: bool,
    codes: Vec<Code>,
}

impl Suppression {
    fn covers(&self, line: usize) -> bool {
        match self.kind {
            Kind::Own => self.line == line || self.line + 1 == line,
            Kind::Noqa => self.line == line,
            Kind::Nolint => self.line == line || (self.alone && self.line + 1 == line),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Suppressions {
    items: Vec<Suppression>,
    honor_peers: bool,
    /// Custom rule IDs and prefixes are names too.
    custom: CustomRegistry,
}

impl Default for Suppressions {
    fn default() -> Self {
        Suppressions::new(true, CustomRegistry::default())
    }
}

impl Suppressions {
    /// `honor_peers`: whether `//nolint` and `# noqa` comments suppress too.
    pub fn new(honor_peers: bool, custom: CustomRegistry) -> Suppressions {
        Suppressions { items: Vec::new(), honor_peers, custom }
    }

    /// Reads the suppressions a comment holds, if any. `comment` is the comment's whole
    /// text, starting at byte `start` of a source whose 0-based line is `line`.
    pub fn add_comment(&mut self, lang: Language, comment: &str, start: usize, line: usize) {
        if comment.contains("debtctl:") {
            if let Some(caps) = DIRECTIVE.captures(comment) {
                let m = caps.get(1).expect("group 1 always takes part");
                let codes = own_codes(&comment[m.end()..], start + m.end(), &self.custom);
                let directive = TextRange::new(start + m.start(), start + m.end());
                self.items.push(Suppression { kind: Kind::Own, line, directive, alone: false, codes });
            }
        }
        if !self.honor_peers {
            return;
        }
        let (re, kind, map): (&Regex, Kind, PeerMap) = match lang {
            Language::Go => (&NOLINT, Kind::Nolint, golangci_lint),
            Language::Python => (&NOQA, Kind::Noqa, ruff),
            Language::GoMod | Language::Yaml | Language::HelmTemplate => return,
        };
        let Some(caps) = re.captures(comment) else { return };
        let whole = caps.get(0).expect("group 0 always takes part");
        let directive = TextRange::new(start + whole.start(), start + whole.end());
        let rules: RuleSet = match caps.get(1) {
            // A bare `//nolint` or `# noqa`: every rule of the language on that line.
            None if !whole.as_str().trim_end().ends_with(':') => {
                let prefix = if kind == Kind::Nolint { "go/" } else { "py/" };
                select(prefix).unwrap_or_default()
            }
            None => RuleSet::empty(),
            Some(list) => list
                .as_str()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .filter_map(map)
                .flat_map(RuleSet::iter)
                .collect(),
        };
        if rules.is_empty() {
            return;
        }
        let code = Code {
            range: directive,
            text: whole.as_str().trim().to_string(),
            rules: Some(rules),
            custom: Vec::new(),
            used: false,
        };
        self.items.push(Suppression { kind, line, directive, alone: false, codes: vec![code] });
    }

    /// Works out, from the source, which `//nolint` comments stand alone on their line.
    fn resolve(&mut self, source: &str) {
        for s in &mut self.items {
            let before = &source[..s.directive.start];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            // The directive may sit inside the comment: look before the comment marker.
            let prefix = &source[line_start..s.directive.start];
            let marker = prefix.find("//").or_else(|| prefix.find('#')).unwrap_or(prefix.len());
            s.alone = prefix[..marker].trim().is_empty();
        }
    }

    /// Whether a finding of `rule` on 0-based `line` is suppressed.
    fn suppresses(&self, rule: impl Into<RuleKey>, line: usize) -> bool {
        let rule = rule.into();
        self.items.iter().any(|s| s.covers(line) && s.codes.iter().any(|c| c.names(rule)))
    }

    fn mark_used(&mut self, rule: RuleKey, line: usize) {
        for s in &mut self.items {
            if s.covers(line) {
                for c in &mut s.codes {
                    if c.names(rule) {
                        c.used = true;
                    }
                }
            }
        }
    }

    /// Drops the suppressed diagnostics of `checker`, reports what suppression comments got
    /// wrong (a directive naming no rule, unknown IDs, and when that rule is on, codes that
    /// hid nothing), and gives the number of findings suppressed.
    pub fn apply(mut self, checker: &mut Checker<'_>, line_of: impl Fn(usize) -> usize) -> u32 {
        self.resolve(checker.source);
        let mut suppressed = Vec::new();
        checker.diagnostics.retain(|(rule, diag)| {
            let line = line_of(diag.range.start);
            let hidden = self.suppresses(*rule, line);
            if hidden {
                suppressed.push((*rule, line));
            }
            !hidden
        });
        for (rule, line) in &suppressed {
            self.mark_used(*rule, *line);
        }
        for s in &self.items {
            if s.kind == Kind::Own && s.codes.is_empty() && checker.enabled(Rule::DebtUnknownSuppression) {
                checker.report(
                    Rule::DebtUnknownSuppression,
                    s.directive,
                    format!("suppression comment names no rule: name the rules to ignore, as in {SPELLING}"),
                );
            }
            // Peers' comments are theirs to judge: errcheck may see what go/ignored-error
            // does not, and `govet` stands for more than go/shadow.
            if s.kind != Kind::Own {
                continue;
            }
            for c in &s.codes {
                match c.rules {
                    None if checker.enabled(Rule::DebtUnknownSuppression) => {
                        checker.report(
                            Rule::DebtUnknownSuppression,
                            c.range,
                            format!(
                                "unknown rule `{}` in suppression comment{}",
                                c.text,
                                crate::registry::did_you_mean_among(&c.text, self.custom.ids())
                            ),
                        );
                    }
                    Some(rules)
                        if !c.used
                            && (rules.iter().any(|r| checker.enabled(r))
                                || c.custom.iter().any(|&i| checker.enabled_key(RuleKey::Custom(i))))
                            && checker.enabled(Rule::DebtUnusedSuppression) =>
                    {
                        checker.report(
                            Rule::DebtUnusedSuppression,
                            c.range,
                            format!("suppression of `{}` suppresses nothing", c.text),
                        );
                    }
                    _ => {}
                }
            }
        }
        suppressed.len() as u32
    }
}

/// The rule list after `debtctl:ignore`: `[A, B]`, or ` A, B reason`. In the second
/// spelling, a first word that is not a rule ID or prefix (it has no `/`) is the start of
/// the reason, and the directive names no rule. `offset` is the byte of `rest` in the source.
fn own_codes(rest: &str, offset: usize, custom: &CustomRegistry) -> Vec<Code> {
    let (list, list_at) = if let Some(inner) = rest.strip_prefix('[') {
        let end = inner.find(']').unwrap_or(inner.len());
        (&inner[..end], 1)
    } else {
        let lead = rest.len() - rest.trim_start().len();
        if lead == 0 {
            return Vec::new();
        }
        let body = &rest[lead..];
        // Tokens joined by commas; the list ends at the first token not followed by one.
        let mut end = 0;
        let mut at = 0;
        loop {
            let token_len =
                body[at..].find(|c: char| c.is_whitespace() || c == ',').unwrap_or(body.len() - at);
            if token_len == 0 {
                break;
            }
            end = at + token_len;
            let after = &body[end..];
            let gap = after.len() - after.trim_start().len();
            if !after[gap..].starts_with(',') {
                break;
            }
            let next = &after[gap + 1..];
            at = end + gap + 1 + (next.len() - next.trim_start().len());
        }
        let list = &body[..end];
        // Custom prefixes may hold `-` and `_` (`my-team/`); a custom ID without a prefix
        // (`no-print`, as an ast-grep rule may be named) is a rule by being one.
        let rule_like = |t: &str| {
            t.find('/').is_some_and(|i| {
                i > 0 && t[..i].chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }) || custom.index_of(t).is_some()
                || custom.rules().is_off(t)
        };
        if !list.split(',').next().is_some_and(rule_like) {
            return Vec::new();
        }
        (list, lead)
    };
    let mut codes = Vec::new();
    let mut at = 0;
    for part in list.split(',') {
        let trimmed = part.trim();
        let lead = part.len() - part.trim_start().len();
        if !trimmed.is_empty() {
            let s = offset + list_at + at + lead;
            let custom_names = if trimmed == "ALL" { None } else { custom.select(trimmed) };
            let (rules, custom_rules) = match (rule_or_prefix(trimmed), custom_names) {
                (None, None) => (None, Vec::new()),
                (rules, custom_rules) => (Some(rules.unwrap_or_default()), custom_rules.unwrap_or_default()),
            };
            codes.push(Code {
                range: TextRange::new(s, s + trimmed.len()),
                text: trimmed.to_string(),
                rules,
                custom: custom_rules,
                used: false,
            });
        }
        at += part.len() + 1;
    }
    codes
}

impl Code {
    fn names(&self, rule: RuleKey) -> bool {
        match rule {
            RuleKey::Builtin(r) => self.rules.is_some_and(|set| set.contains(r)),
            RuleKey::Custom(i) => self.custom.binary_search(&i).is_ok(),
        }
    }
}

impl From<Rule> for RuleKey {
    fn from(rule: Rule) -> RuleKey {
        RuleKey::Builtin(rule)
    }
}

/// An exact rule ID, or a prefix ending in `/` that names at least one rule.
fn rule_or_prefix(code: &str) -> Option<RuleSet> {
    if code.ends_with('/') {
        select(code)
    } else {
        Rule::from_id(code).map(|r| std::iter::once(r).collect())
    }
}

/// The rules a golangci-lint linter name stands for (the catalog's table).
fn golangci_lint(name: &str) -> Option<RuleSet> {
    let rule = match name.to_ascii_lowercase().as_str() {
        "all" => return select("go/"),
        "errcheck" => Rule::GoIgnoredError,
        "govet" | "shadow" => Rule::GoShadow,
        "errorlint" => Rule::GoErrorWrapVerb,
        "bodyclose" => Rule::GoUnclosedBody,
        _ => return None,
    };
    Some(std::iter::once(rule).collect())
}

/// The rule a ruff or flake8 code stands for (the catalog's table).
fn ruff(code: &str) -> Option<RuleSet> {
    let rule = match code.to_ascii_uppercase().as_str() {
        "B006" => Rule::PyMutableDefaultArg,
        "B904" => Rule::PyRaiseWithoutFrom,
        "S110" | "BLE001" | "E722" => Rule::PySwallowedException,
        "SIM115" => Rule::PyOpenWithoutWith,
        _ => return None,
    };
    Some(std::iter::once(rule).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lang: Language, comment: &str) -> Suppressions {
        let mut s = Suppressions::new(true, CustomRegistry::default());
        s.add_comment(lang, comment, 0, 0);
        s.resolve(comment);
        s
    }

    fn codes(lang: Language, comment: &str) -> Vec<(String, Option<RuleSet>)> {
        parse(lang, comment).items.into_iter().flat_map(|s| s.codes).map(|c| (c.text, c.rules)).collect()
    }

    fn one(rule: Rule) -> Option<RuleSet> {
        Some(std::iter::once(rule).collect())
    }

    #[test]
    fn both_spellings_in_every_language() {
        for (lang, marker) in [(Language::Go, "//"), (Language::Python, "#"), (Language::Yaml, "#")] {
            for space in ["", " "] {
                for body in ["debtctl:ignore debt/todo reason", "debtctl: ignore[debt/todo] reason"] {
                    let comment = format!("{marker}{space}{body}");
                    assert_eq!(
                        codes(lang, &comment),
                        [("debt/todo".to_string(), one(Rule::DebtTodo))],
                        "{comment}"
                    );
                }
            }
        }
    }

    #[test]
    fn lists_prefixes_and_unknown_ids() {
        let got = codes(Language::Go, "//debtctl:ignore go/, go/nope ,debt/todo the reason, with a comma");
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].1, select("go/"));
        assert_eq!(got[1], ("go/nope".to_string(), None));
        assert_eq!(got[2].1, one(Rule::DebtTodo));
        let got = codes(Language::Python, "# debtctl: ignore[ py/mutable-default-arg , B006 ]");
        assert_eq!(got[1], ("B006".to_string(), None));
        // The second spelling in Go, the first in Python.
        assert_eq!(codes(Language::Go, "// debtctl: ignore[go/shadow]")[0].1, one(Rule::GoShadow));
        assert_eq!(codes(Language::Python, "# debtctl:ignore py/").first().unwrap().1, select("py/"));
    }

    #[test]
    fn a_directive_naming_no_rule_has_no_codes() {
        for c in [
            "# debtctl: ignore",
            "# debtctl:ignore",
            "# debtctl:ignore because it is fine",
            "# debtctl: ignore[]",
        ] {
            let s = parse(Language::Python, c);
            assert_eq!(s.items.len(), 1, "{c}");
            assert!(s.items[0].codes.is_empty(), "{c}");
        }
        // The reason is not read as a rule, even when it starts with a marker.
        assert!(parse(Language::Go, "// debtctl: ignore // reason").items[0].codes.is_empty());
        // Not a directive at all.
        assert!(parse(Language::Python, "# see the debtctl:ignored list").items.is_empty());
        assert!(parse(Language::Python, "# a bare `# debtctl: ignore` is reported").items.is_empty());
        assert!(parse(Language::Python, "# debtctl-fixture: rules=debt/todo").items.is_empty());
    }

    #[test]
    fn peers_map_to_the_equivalent_rule() {
        let go = |c| codes(Language::Go, c).into_iter().map(|c| c.1).collect::<Vec<_>>();
        assert_eq!(go("//nolint:errcheck"), [one(Rule::GoIgnoredError)]);
        assert_eq!(go("//nolint:govet,errorlint // reason").len(), 1);
        assert!(go("//nolint:govet,errorlint")[0].unwrap().contains(Rule::GoErrorWrapVerb));
        assert_eq!(go("//nolint"), [select("go/")]);
        assert_eq!(go("//nolint // reason"), [select("go/")]);
        assert!(go("//nolint:misspell").is_empty(), "another linter's name suppresses nothing here");
        assert!(go("//nolintx").is_empty());
        let py = |c| codes(Language::Python, c).into_iter().map(|c| c.1).collect::<Vec<_>>();
        assert_eq!(py("# noqa: B006"), [one(Rule::PyMutableDefaultArg)]);
        assert_eq!(py("#noqa:E722"), [one(Rule::PySwallowedException)]);
        assert_eq!(py("# NOQA"), [select("py/")]);
        assert_eq!(py("# noqa: E501 SIM115"), [one(Rule::PyOpenWithoutWith)]);
        assert!(py("# noqa: E501").is_empty());
        assert!(py("# noqa:").is_empty(), "a colon without codes is not a bare noqa");
        let mut off = Suppressions::new(false, CustomRegistry::default());
        off.add_comment(Language::Python, "# noqa: B006", 0, 0);
        assert!(off.items.is_empty(), "honor-peer-suppressions = false");
    }

    #[test]
    fn reach_of_each_kind() {
        let src = "x = 1\n//nolint:errcheck\ny()\nz() //nolint:errcheck\nw()\n";
        let mut s = Suppressions::new(true, CustomRegistry::default());
        s.add_comment(Language::Go, "//nolint:errcheck", 6, 1);
        s.add_comment(Language::Go, "//nolint:errcheck", src.find("//nolint:errcheck\nw").unwrap(), 3);
        s.resolve(src);
        let r = Rule::GoIgnoredError;
        assert!(s.suppresses(r, 1) && s.suppresses(r, 2), "alone on its line: that line and the next");
        assert!(s.suppresses(r, 3) && !s.suppresses(r, 4), "after code: its line only");
        let mut s = Suppressions::new(true, CustomRegistry::default());
        s.add_comment(Language::Python, "# noqa", 0, 0);
        s.resolve("# noqa\n");
        assert!(s.suppresses(Rule::PyMutableDefaultArg, 0) && !s.suppresses(Rule::PyMutableDefaultArg, 1));
        assert!(!s.suppresses(Rule::DebtTodo, 0), "a bare noqa is py/ rules only");
    }
}
