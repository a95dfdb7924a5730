//! The command line of custom rules: `debtctl test-rules`, and the custom rules' part of
//! `debtctl rules` and `debtctl explain`. All of them read the project's config, so a bad
//! rule file stops them as it stops a scan.

use crate::args::{ListFormat, TestRulesArgs};
use crate::Status;
use anstyle::{AnsiColor, Style};
use anyhow::{bail, Result};
use debtctl_custom::testing::{self, CaseResult, TestReport};
use debtctl_custom::{CustomRules, Language, RuleInfo};
use debtctl_workspace::engine::display_path;
use debtctl_workspace::{Overrides, Settings};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const BOLD: Style = Style::new().bold();
const BLUE: Style = AnsiColor::Blue.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();

/// How many lines of a failing snippet are shown (more when a match lies further down).
const SNIPPET_LINES: usize = 8;

/// The settings of `rules`, `explain` and `test-rules`: `--config`, else the nearest
/// `debtctl.toml` upward from the current directory, with its custom rules loaded and
/// validated.
pub(crate) fn settings(config: Option<PathBuf>) -> Result<Settings> {
    let overrides = Overrides { config, ..Overrides::default() };
    Ok(Settings::resolve(Path::new("."), &overrides)?)
}

/// A custom rule as `rules` and `explain` show it: enabled ones, then those with
/// `severity: off`, each group by ID.
pub(crate) struct Listed<'a> {
    pub info: &'a RuleInfo,
    pub off: bool,
}

impl Listed<'_> {
    pub fn severity(&self) -> &'static str {
        if self.off {
            "off"
        } else {
            self.info.severity.as_str()
        }
    }

    /// A custom fix goes through the fix engine as an unsafe fix.
    pub fn fix(&self) -> Option<&'static str> {
        self.info.has_fix.then_some("unsafe")
    }

    /// The message's first line, else the note's.
    pub fn summary(&self) -> &str {
        fn first(text: &str) -> Option<&str> {
            text.lines().map(str::trim).find(|l| !l.is_empty())
        }
        first(&self.info.message).or_else(|| self.info.note.as_deref().and_then(first)).unwrap_or("")
    }

    pub fn file(&self) -> String {
        shown(&self.info.file)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.info.id,
            "severity": self.severity(),
            "debt_minutes": self.info.debt_minutes,
            "summary": self.summary(),
            "fix": self.fix(),
            "custom": true,
            "file": self.file(),
            "language": language_name(self.info.language),
            "ticket": self.info.ticket,
            "url": self.info.url,
        })
    }
}

pub(crate) fn listed(custom: &CustomRules) -> Vec<Listed<'_>> {
    let mut on: Vec<Listed> = custom.rules().iter().map(|info| Listed { info, off: false }).collect();
    let mut off: Vec<Listed> = custom.off_rules().iter().map(|info| Listed { info, off: true }).collect();
    on.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    off.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    on.extend(off);
    on
}

fn language_name(language: Language) -> &'static str {
    match language {
        Language::Go | Language::GoMod => "go",
        Language::Python => "python",
        Language::Yaml | Language::HelmTemplate => "yaml",
    }
}

/// A path relative to the current directory when below it, else as it is.
fn shown(path: &Path) -> String {
    display_path(path, std::env::current_dir().ok().as_deref())
}

/// `debtctl explain` of a custom rule: what it says, its cost and where it lives, and
/// the rule as written.
pub(crate) fn explain(rule: &Listed<'_>, format: ListFormat, out: &mut impl Write) -> Result<()> {
    let info = rule.info;
    match format {
        ListFormat::Json => {
            let mut v = rule.json();
            v["message"] = info.message.clone().into();
            v["note"] = info.note.clone().into();
            v["yaml"] = info.yaml.clone().into();
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let fix = rule.fix().unwrap_or("none");
            writeln!(
                out,
                "{} (custom, {}, {} min, fix: {})\n",
                info.id,
                rule.severity(),
                info.debt_minutes,
                fix
            )?;
            writeln!(out, "{}\n", info.message.trim_end())?;
            if let Some(note) = info.note.as_deref().map(str::trim_end).filter(|n| !n.is_empty()) {
                writeln!(out, "{note}\n")?;
            }
            if let Some(ticket) = &info.ticket {
                writeln!(out, "Ticket: {ticket}")?;
            }
            if let Some(url) = &info.url {
                writeln!(out, "More: {url}")?;
            }
            writeln!(out, "Defined in {}:\n", rule.file())?;
            writeln!(out, "```yaml\n{}\n```", info.yaml.trim_matches('\n'))?;
        }
    }
    Ok(())
}

/// "; did you mean `X`?" for an unknown rule ID, among the built-in rules and the custom
/// ones; empty when nothing is near.
pub(crate) fn did_you_mean(wanted: &str, custom: &CustomRules) -> String {
    let custom_ids: Vec<&str> = listed(custom).iter().map(|r| r.info.id.as_str()).collect();
    let near = suggest(wanted, &custom_ids, true);
    if near.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = near.iter().map(|s| format!("`{s}`")).collect();
    format!("; did you mean {}?", quoted.join(" or "))
}

/// The built-in suggestions (`debtctl_linter::registry::suggest`) merged with the custom
/// IDs (and, when `prefixes`, their prefixes) nearest to `wanted`: a custom rule whose slug
/// it is first, else the near-ties of the best Jaro-Winkler score of at least 0.85.
fn suggest(wanted: &str, custom_ids: &[&str], prefixes: bool) -> Vec<String> {
    let folded = wanted.trim().to_lowercase();
    let slugs: Vec<String> = custom_ids
        .iter()
        .filter(|id| id.split_once('/').is_some_and(|(_, slug)| slug.to_lowercase() == folded))
        .map(|id| id.to_string())
        .collect();
    if !slugs.is_empty() {
        return slugs;
    }
    let mut candidates: BTreeSet<String> = custom_ids.iter().map(|id| id.to_string()).collect();
    if prefixes {
        for id in custom_ids {
            if let Some((prefix, _)) = id.split_once('/') {
                candidates.insert(format!("{prefix}/"));
            }
        }
    }
    // A prefix for what looks like a prefix, an ID for what looks like an ID.
    if folded.contains('/') {
        candidates.retain(|c| c.ends_with('/') == folded.ends_with('/'));
    }
    let builtin = debtctl_linter::registry::suggest(wanted);
    let mut scored: Vec<(f64, String)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&folded, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .chain(builtin.iter().map(|c| (strsim::jaro_winkler(&folded, &c.to_lowercase()), c.to_string())))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    let best = scored.first().map_or(0.0, |s| s.0);
    scored.into_iter().take_while(|(score, _)| best - score < 0.03).take(3).map(|(_, c)| c).collect()
}

/// Whether a `test-rules` selector (an ID, a prefix ending in `/`, or `ALL`) names `id`.
fn selects(selector: &str, id: &str) -> bool {
    selector == "ALL" || selector == id || (selector.ends_with('/') && id.starts_with(selector))
}

/// `debtctl test-rules`.
pub fn test_rules(args: TestRulesArgs) -> Result<Status> {
    let settings = settings(args.config.clone())?;
    let custom = &settings.custom;
    let all = listed(custom);
    let selectors: Vec<&str> =
        args.rules.iter().chain(&args.select).map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    for s in &selectors {
        if !all.iter().any(|r| selects(s, &r.info.id)) {
            let ids: Vec<&str> = all.iter().map(|r| r.info.id.as_str()).collect();
            let near = suggest(s, &ids, true).into_iter().filter(|c| ids.iter().any(|id| selects(c, id)));
            let near: Vec<String> = near.map(|c| format!("`{c}`")).collect();
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", near.join(" or "))
            };
            bail!("no custom rule matches `{s}`{hint} (see `debtctl rules`)");
        }
    }
    let selected = |id: &str| selectors.is_empty() || selectors.iter().any(|s| selects(s, id));

    let mut err = std::io::stderr().lock();
    let dirs = &settings.rule_test_dirs;
    let report = if dirs.is_empty() {
        if !args.quiet {
            // A closed stderr is no reason to fail the run.
            let _ = writeln!(
                err,
                "note: no rule tests: write them in {} (ast-grep's rule-test format) or name their directories in `rule-test-dirs` of debtctl.toml",
                shown(&settings.root.join(debtctl_workspace::settings::DEFAULT_RULE_TEST_DIR))
            );
        }
        TestReport::default()
    } else {
        let report = testing::run_selected(custom, dirs, &selected)
            .map_err(|e| anyhow::anyhow!("invalid rule test {e}"))?;
        if report.cases.is_empty() && report.skipped.is_empty() {
            let where_: Vec<String> = dirs.iter().map(|d| shown(d)).collect();
            let what = if selectors.is_empty() {
                String::new()
            } else {
                format!(" for `{}`", selectors.join("`, `"))
            };
            bail!("no rule tests{what} in {}", where_.join(", "));
        }
        report
    };

    let untested: Vec<&str> = all
        .iter()
        .filter(|r| !r.off && selected(&r.info.id))
        .map(|r| r.info.id.as_str())
        .filter(|id| !report.cases.iter().any(|c| c.rule_id == *id))
        .collect();
    let output = TestRulesReport::new(&report, &untested);

    let stdout = anstream::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &output)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            for case in report.failed() {
                print_failure(&mut out, case)?;
            }
            if !args.quiet {
                if !untested.is_empty() && !dirs.is_empty() {
                    let n = untested.len();
                    let (rules, have) = if n == 1 { ("rule", "has") } else { ("rules", "have") };
                    let _ =
                        writeln!(err, "note: {n} custom {rules} {have} no tests: {}", untested.join(", "));
                }
                writeln!(out, "{}", output.summary.line())?;
            }
        }
    }
    out.flush()?;
    Ok(if output.summary.failed > 0 { Status::Findings } else { Status::Clean })
}

/// One failing case: the rule, the test file, which snippet and why, then the snippet's
/// first lines.
fn print_failure(out: &mut impl Write, case: &CaseResult) -> std::io::Result<()> {
    let kind = if case.valid { "valid" } else { "invalid" };
    let at = case.line.map(|l| format!(":{l}")).unwrap_or_default();
    writeln!(
        out,
        "{RED}FAIL{RED:#} {BOLD}{}{at}:{BOLD:#} {BOLD}{}{BOLD:#} {kind} snippet #{}: {}",
        shown(&case.file),
        case.rule_id,
        case.index + 1,
        case.detail
    )?;
    let lines: Vec<&str> = case.snippet.trim_end_matches('\n').lines().collect();
    let last_match = case.match_lines.iter().copied().max().unwrap_or(0);
    let show = lines.len().min(SNIPPET_LINES.max(last_match));
    let width = show.to_string().len();
    let pad = " ".repeat(width);
    writeln!(out, "{BLUE}{pad} |{BLUE:#}")?;
    for (i, line) in lines.iter().take(show).enumerate() {
        let n = i + 1;
        // A `valid:` snippet's matching lines are marked.
        let bar = if case.match_lines.contains(&n) { ">" } else { "|" };
        writeln!(out, "{BLUE}{n:>width$} {bar}{BLUE:#} {}", line.replace('\t', "    "))?;
    }
    if lines.len() > show {
        let more = lines.len() - show;
        writeln!(out, "{BLUE}{pad} |{BLUE:#} ... {more} more line{}", if more == 1 { "" } else { "s" })?;
    }
    writeln!(out)
}

/// The document `debtctl test-rules --format json` prints (the schema in `schemas/` is
/// generated from it).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "debtctl test-rules")]
pub struct TestRulesReport {
    /// The format's version: 1.
    pub version: u32,
    pub tool: debtctl_diagnostics::ToolInfo,
    /// Every snippet that ran, passed or failed, in the order of the test files.
    pub cases: Vec<TestCaseJson>,
    /// The tests of rules with `severity: off`, which do not run.
    pub skipped: Vec<SkippedJson>,
    /// Selected custom rules (not off) without a test.
    pub untested: Vec<String>,
    pub summary: TestSummary,
}

/// One snippet of a rule test.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestCaseJson {
    pub rule: String,
    /// The test file, relative to the current directory when below it.
    pub file: String,
    /// `valid` (the rule must not match) or `invalid` (it must).
    pub kind: CaseKind,
    /// The snippet's place in its `valid:` or `invalid:` list, from 1.
    pub number: usize,
    /// The line of the test file where the snippet starts (its first non-blank line);
    /// `null` when it is not written as is (a quoted string with escapes).
    pub line: Option<usize>,
    pub snippet: String,
    pub passed: bool,
    /// Why it failed: "expected no match, found 1 at line 2", "expected a match, found
    /// none"; `null` when it passed.
    pub detail: Option<String>,
    /// The snippet lines (from 1) where the rule matched.
    pub match_lines: Vec<usize>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CaseKind {
    Valid,
    Invalid,
}

/// The tests of one rule with `severity: off`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkippedJson {
    pub rule: String,
    pub file: String,
    /// How many snippets it has.
    pub cases: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSummary {
    /// Rules whose tests ran.
    pub rules: usize,
    /// Snippets that ran.
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    /// Snippets not run: their rule has `severity: off`.
    pub skipped: usize,
}

impl TestSummary {
    /// `6 rules, 24 cases: 1 failed` (`, 2 skipped (severity: off)`).
    pub fn line(&self) -> String {
        let rules = if self.rules == 1 { "rule" } else { "rules" };
        let cases = if self.cases == 1 { "case" } else { "cases" };
        let mut line = format!("{} {rules}, {} {cases}: {} failed", self.rules, self.cases, self.failed);
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped (severity: off)", self.skipped));
        }
        line
    }
}

impl TestRulesReport {
    fn new(report: &TestReport, untested: &[&str]) -> Self {
        let cases: Vec<TestCaseJson> = report
            .cases
            .iter()
            .map(|c| TestCaseJson {
                rule: c.rule_id.clone(),
                file: shown(&c.file),
                kind: if c.valid { CaseKind::Valid } else { CaseKind::Invalid },
                number: c.index + 1,
                line: c.line,
                snippet: c.snippet.clone(),
                passed: c.passed,
                detail: (!c.passed).then(|| c.detail.clone()),
                match_lines: c.match_lines.clone(),
            })
            .collect();
        let skipped: Vec<SkippedJson> = report
            .skipped
            .iter()
            .map(|s| SkippedJson { rule: s.rule_id.clone(), file: shown(&s.file), cases: s.cases })
            .collect();
        let rules: BTreeSet<&str> = report.cases.iter().map(|c| c.rule_id.as_str()).collect();
        let failed = report.failed().count();
        let summary = TestSummary {
            rules: rules.len(),
            cases: cases.len(),
            passed: cases.len() - failed,
            failed,
            skipped: skipped.iter().map(|s| s.cases).sum(),
        };
        TestRulesReport {
            version: 1,
            tool: debtctl_diagnostics::ToolInfo {
                name: "debtctl".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            cases,
            skipped,
            untested: untested.iter().map(|s| s.to_string()).collect(),
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_ids_prefixes_or_all() {
        assert!(selects("acme/", "acme/no-print"));
        assert!(selects("acme/no-print", "acme/no-print"));
        assert!(selects("ALL", "x"));
        assert!(!selects("acme", "acme/no-print"));
        assert!(!selects("acme/no", "acme/no-print"));
    }

    #[test]
    fn suggestions_include_custom_ids_and_prefixes() {
        let ids = ["acme/no-print", "acme/no-context-todo"];
        assert_eq!(suggest("acme/no-prnt", &ids, true), ["acme/no-print"]);
        assert_eq!(suggest("no-print", &ids, true), ["acme/no-print"]);
        assert_eq!(suggest("acm/", &ids, true), ["acme/"]);
        assert_eq!(suggest("acme/no-pr", &ids, true), ["acme/no-print"]);
        assert_eq!(suggest("py/mutable-default-args", &ids, true), ["py/mutable-default-arg"]);
    }

    #[test]
    fn summary_line_counts_and_says_skipped() {
        let s = TestSummary { rules: 1, cases: 1, passed: 1, failed: 0, skipped: 0 };
        assert_eq!(s.line(), "1 rule, 1 case: 0 failed");
        let s = TestSummary { rules: 6, cases: 24, passed: 23, failed: 1, skipped: 2 };
        assert_eq!(s.line(), "6 rules, 24 cases: 1 failed, 2 skipped (severity: off)");
    }
}
