//! The plain data that every debtctl crate shares: what a rule reports ([`Diagnostic`]),
//! what a fix is ([`Fix`], [`Edit`], [`Applicability`]), the finding as users see it in
//! JSON ([`Finding`], [`Report`]) and how a finding keeps its identity ([`fingerprint`]).
//!
//! Nothing here knows about syntax trees or files on disk.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a finding is. Ordered so that `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How safe it is to apply a fix, ordered `DisplayOnly < Unsafe < Safe` as in ruff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown to the user as a suggestion, never applied.
    DisplayOnly,
    /// Applied only with `--unsafe`: it may change behaviour.
    Unsafe,
    /// Applied by `debtctl fix`: it keeps behaviour.
    Safe,
}

impl Applicability {
    pub fn parse(s: &str) -> Option<Applicability> {
        match s {
            "display-only" => Some(Applicability::DisplayOnly),
            "unsafe" => Some(Applicability::Unsafe),
            "safe" => Some(Applicability::Safe),
            _ => None,
        }
    }
}

/// A byte range of the source, half open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        debug_assert!(start <= end);
        TextRange { start, end }
    }
}

/// Replace `range` of the source with `content`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn replace(start: usize, end: usize, content: impl Into<String>) -> Edit {
        Edit { range: TextRange::new(start, end), content: content.into() }
    }
    pub fn insert(at: usize, content: impl Into<String>) -> Edit {
        Edit::replace(at, at, content)
    }
}

/// A fix: edits that never overlap, and how safe they are to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub title: String,
    pub edits: Vec<Edit>,
}

/// What a rule reports while it checks one file: positions are byte offsets, the rule is
/// its ID, and `anchor` is the code the finding's identity rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub range: TextRange,
    pub message: String,
    pub fix: Option<Fix>,
    pub ticket: Option<String>,
    /// The enclosing scope (function, method, class or object) the finding lies in,
    /// part of the fingerprint so that two identical findings in two functions differ.
    pub scope: String,
}

/// The fix as the JSON output shows it: whether one exists, how safe, and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixSummary {
    pub applicability: Applicability,
    /// What the fix does, as a verb phrase.
    pub title: String,
}

/// One finding, as `--format json` prints it (see `cli.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The rule's ID: a built-in `lang/slug`, or a custom rule's `prefix/name` (more
    /// `/`-separated parts allowed; lowercase letters, digits, `-` and `_`).
    #[schemars(regex(pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$"))]
    pub rule: String,
    pub severity: Severity,
    /// Relative to the current directory when the file lies below it, else as given;
    /// always with `/`.
    pub path: String,
    /// 1-based.
    #[schemars(range(min = 1))]
    pub line: u32,
    /// 1-based, in Unicode code points.
    #[schemars(range(min = 1))]
    pub column: u32,
    #[schemars(range(min = 1))]
    pub end_line: u32,
    #[schemars(range(min = 1))]
    pub end_column: u32,
    pub message: String,
    pub debt_minutes: u32,
    /// 16 hex digits; stable when lines move or whitespace changes.
    #[schemars(regex(pattern = r"^[0-9a-f]{16}$"))]
    pub fingerprint: String,
    /// A ticket key such as `PAY-142` that the finding names, if any.
    pub ticket: Option<String>,
    /// `null` when the rule has no fix for this finding.
    pub fix: Option<FixSummary>,
}

/// Counts over one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Files analysed.
    pub files: u64,
    pub findings: u64,
    pub debt_minutes: u64,
    /// Files analysed although their syntax tree has errors.
    pub parse_errors: u64,
    /// Files passed over, by reason.
    #[serde(default)]
    pub skipped: Skipped,
    /// Findings hidden by suppression comments.
    #[serde(default)]
    pub suppressed: u64,
    /// Fixes applied by `debtctl fix`, by rule ID (absent when nothing was fixed).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fixed: std::collections::BTreeMap<String, u64>,
    /// Packages that scanned Go files import and that were found nowhere (not in the
    /// module, `vendor/`, the module cache or GOPATH): calls into them are unknown, so
    /// recall is reduced. `go mod download` or `go mod vendor` gets them.
    #[serde(default)]
    pub go_packages_not_found: u64,
    /// The Go standard library the scanned Go files were checked against: its version and
    /// `(GOROOT/src)` when a Go toolchain was found, `(embedded)` for the facts compiled
    /// into debtctl (generated from that version's sources; used also when the toolchain
    /// found is that version). Absent when no Go file
    /// imported a standard-library package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go_stdlib: Option<String>,
}

/// Files passed over, by reason. Each was also named in a warning on stderr, except
/// generated files, which are skipped silently.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Skipped {
    pub binary: u64,
    pub invalid_utf8: u64,
    pub too_large: u64,
    pub unreadable: u64,
    pub generated: u64,
    /// Beyond what the grammar's scanner can hold (deep YAML block nesting, deep Python
    /// indentation, a YAML document over 32,768 lines): not parsed, so that one file
    /// cannot abort the run or be reported as one syntax error.
    #[serde(default)]
    pub too_deep: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// The whole `--format json` document of `scan`, `fix` and `gate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "debtctl findings")]
pub struct Report {
    /// The format's version: 1.
    pub version: u32,
    pub tool: ToolInfo,
    /// Sorted by path, line, column, rule. For `gate`: the head's findings in the compared
    /// files (the changed files and, for Go, their packages), new and unchanged.
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// `gate` only: the head's findings whose fingerprint the base does not have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Vec<Finding>>,
    /// `gate` only: the base's findings that the head no longer has (where the base had
    /// them; a renamed file carries its new path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Vec<Finding>>,
    /// `gate` only: what was compared, and the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateSummary>,
}

/// What `debtctl gate` compared, and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateSummary {
    /// The base as given (`--base`, the config's `[gate] base`, or the upstream's merge base).
    pub base: String,
    /// The base commit, 40 hex digits; `null` when the base has no commit (an unborn HEAD).
    pub base_commit: Option<String>,
    /// `worktree`, `index`, or the head revision as given.
    pub head: String,
    /// The head commit when the head is a revision.
    pub head_commit: Option<String>,
    pub passed: bool,
    /// A new finding of this severity or above fails the gate, unless the budget covers it;
    /// new findings below it are reported and never fail.
    pub fail_on: Severity,
    /// Minutes of new debt at or above `fail_on` that may pass; more fails the gate.
    pub budget_minutes: u64,
    /// New findings at or above `fail_on`.
    pub blocking_findings: u64,
    /// Their debt in minutes: what the budget is weighed against.
    pub blocking_debt_minutes: u64,
    pub new_findings: u64,
    pub new_debt_minutes: u64,
    pub fixed_findings: u64,
    pub fixed_debt_minutes: u64,
    /// New debt minus fixed debt, in minutes.
    pub delta_minutes: i64,
    /// Why the gate failed, one sentence each; empty when it passed.
    pub reasons: Vec<String>,
    /// Files analysed, and files whose findings came from the cache (both sides).
    pub analysed: u64,
    pub cached: u64,
}

/// Folds away all white space, so that reformatting does not change an identity.
pub fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The identity of a finding: rule, path, enclosing scope, the finding's own code and
/// message with white space folded away, and its occurrence index among findings that
/// agree on all of those. Never a line number.
pub fn fingerprint(
    rule: &str,
    path: &str,
    scope: &str,
    code: &str,
    message: &str,
    occurrence: u32,
) -> String {
    use xxhash_rust::xxh3::Xxh3;
    let mut h = Xxh3::new();
    for part in [rule, path, scope, &normalize_code(code), &normalize_code(message)] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    h.update(&occurrence.to_le_bytes());
    format!("{:016x}", h.digest())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_matches_failing_threshold() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
        assert!(Applicability::DisplayOnly < Applicability::Unsafe);
        assert!(Applicability::Unsafe < Applicability::Safe);
    }

    #[test]
    fn fingerprint_ignores_whitespace_but_not_occurrence() {
        let a = fingerprint("py/x", "a.py", "f", "def f(a=[]):", "m `[]`", 0);
        let b = fingerprint("py/x", "a.py", "f", "def f(a = [ ]) :", "m  `[]`", 0);
        let c = fingerprint("py/x", "a.py", "f", "def f(a=[]):", "m `[]`", 1);
        let d = fingerprint("py/x", "b.py", "f", "def f(a=[]):", "m `[]`", 0);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.len(), 16);
    }
}
