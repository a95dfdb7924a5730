//! Text output, like rustc's and ruff's: location, rule and message, the source line with
//! a caret underline, a fix hint, and a one-line summary.

use super::format_debt;
use anstyle::{AnsiColor, Style};
use debtctl_diagnostics::{Applicability, Finding, Severity};
use debtctl_workspace::engine::ScanOutcome;
use std::collections::{HashMap, HashSet};
use std::io::Write;

const BOLD: Style = Style::new().bold();
const BLUE: Style = AnsiColor::Blue.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default();

fn level_style(s: Severity) -> Style {
    match s {
        Severity::Error => AnsiColor::Red.on_default().bold(),
        Severity::Warning => AnsiColor::Yellow.on_default().bold(),
        Severity::Info => AnsiColor::Cyan.on_default().bold(),
    }
}

/// Every finding with its source line, then the summary unless `quiet`. `stdin` is the
/// text and shown path of a file read from stdin, which is not on disk as it was read.
pub fn print(
    out: &mut impl Write,
    outcome: &ScanOutcome,
    quiet: bool,
    stdin: Option<(&str, &str)>,
) -> std::io::Result<()> {
    let mut sources: HashMap<&str, Option<Vec<String>>> = HashMap::new();
    for f in &outcome.findings {
        let lines = sources.entry(f.path.as_str()).or_insert_with(|| {
            let text = match stdin {
                Some((text, path)) if path == f.path => Some(text.to_string()),
                _ => std::fs::read_to_string(&f.path).ok(),
            };
            text.map(|s| s.trim_start_matches('\u{feff}').lines().map(str::to_string).collect())
        });
        print_finding(out, f, lines.as_deref())?;
    }
    if quiet {
        return Ok(());
    }
    summary(out, outcome)
}

/// One line per finding, `path:line:col: rule message`, then the summary unless `quiet`.
pub fn concise(out: &mut impl Write, outcome: &ScanOutcome, quiet: bool) -> std::io::Result<()> {
    for f in &outcome.findings {
        let sev = level_style(f.severity);
        writeln!(
            out,
            "{BOLD}{}:{}:{}:{BOLD:#} {sev}{}{sev:#} {}",
            f.path, f.line, f.column, f.rule, f.message
        )?;
    }
    if quiet {
        return Ok(());
    }
    if !outcome.findings.is_empty() {
        writeln!(out)?;
    }
    summary(out, outcome)
}

/// One row per rule, most findings first: count, rule, severity, debt and the rule's fix
/// (as ruff's `--statistics`), then the summary unless `quiet`.
pub fn statistics(out: &mut impl Write, outcome: &ScanOutcome, quiet: bool) -> std::io::Result<()> {
    let rows = super::statistics(&outcome.findings);
    if !rows.is_empty() {
        let width = rows.iter().map(|r| r.rule.len()).max().unwrap_or(0);
        let count_width = rows.iter().map(|r| r.count.to_string().len()).max().unwrap_or(1).max(5);
        writeln!(
            out,
            "{BOLD}{:>count_width$}  {:width$}  {:8}  {:>9}  fix{BOLD:#}",
            "count", "rule", "severity", "debt"
        )?;
        for r in &rows {
            let row = format!(
                "{:>count_width$}  {:width$}  {:8}  {:>9}  {}",
                r.count,
                r.rule,
                r.severity.as_str(),
                format_debt(r.debt_minutes),
                r.fix_label()
            );
            writeln!(out, "{}", row.trim_end())?;
        }
    }
    if quiet {
        return Ok(());
    }
    if !rows.is_empty() {
        writeln!(out)?;
    }
    summary(out, outcome)
}

/// Findings by what `debtctl fix` can do with them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FixCounts {
    /// Fixed by `debtctl fix`.
    pub safe: u64,
    /// Fixed by `debtctl fix --unsafe` only.
    pub unsafe_: u64,
    /// A suggestion to apply by hand (a display-only fix).
    pub suggestions: u64,
}

impl FixCounts {
    pub fn of(findings: &[Finding]) -> FixCounts {
        let mut c = FixCounts::default();
        for f in findings {
            match f.fix.as_ref().map(|fix| fix.applicability) {
                Some(Applicability::Safe) => c.safe += 1,
                Some(Applicability::Unsafe) => c.unsafe_ += 1,
                Some(Applicability::DisplayOnly) => c.suggestions += 1,
                None => {}
            }
        }
        c
    }

    /// ` 3 fixable with `debtctl fix` (2 more with `--unsafe`).` and the suggestions; empty
    /// when there is nothing to fix.
    fn sentence(self) -> String {
        let mut s = match (self.safe, self.unsafe_) {
            (0, 0) => String::new(),
            (0, u) => format!(" {u} fixable with `debtctl fix --unsafe`."),
            (n, 0) => format!(" {n} fixable with `debtctl fix`."),
            (n, u) => format!(" {n} fixable with `debtctl fix` ({u} more with `--unsafe`)."),
        };
        if self.suggestions > 0 {
            let noun = if self.suggestions == 1 { "suggestion" } else { "suggestions" };
            s.push_str(&format!(" {} {noun} to apply by hand.", self.suggestions));
        }
        s
    }
}

/// The one-line summary: findings, the files they are in and the files scanned, debt,
/// what `debtctl fix` would fix; then what could not be analysed.
pub fn summary(out: &mut impl Write, outcome: &ScanOutcome) -> std::io::Result<()> {
    let s = &outcome.summary;
    if !s.fixed.is_empty() {
        let total: u64 = s.fixed.values().sum();
        let per_rule: Vec<String> = s.fixed.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        writeln!(out, "Fixed {} ({}).", plural(total, "finding"), per_rule.join(", "))?;
    }
    if s.findings == 0 {
        writeln!(out, "No findings in {}.", plural(s.files, "file"))?;
    } else {
        let with_findings = outcome.findings.iter().map(|f| f.path.as_str()).collect::<HashSet<_>>().len();
        let noun = if s.findings == 1 { "finding" } else { "findings" };
        writeln!(
            out,
            "{BOLD}Found {} {noun} in {} ({} scanned): {} of debt.{BOLD:#}{}",
            s.findings,
            plural(with_findings as u64, "file"),
            s.files,
            format_debt(s.debt_minutes),
            FixCounts::of(&outcome.findings).sentence()
        )?;
    }
    let skipped = &s.skipped;
    let not_read =
        skipped.binary + skipped.invalid_utf8 + skipped.too_large + skipped.unreadable + skipped.too_deep;
    if not_read > 0 {
        writeln!(out, "{} could not be analysed (see the warnings).", plural(not_read, "file"))?;
    }
    if s.parse_errors > 0 {
        let where_ = if s.parse_errors == 1 { "where it parses" } else { "where they parse" };
        writeln!(out, "{} with syntax errors, analysed {where_}.", plural(s.parse_errors, "file"))?;
    }
    Ok(())
}

/// Files named one per line up to this many; more are one grouped warning.
const SYNTAX_ERRORS_NAMED: usize = 3;

/// The warnings of a scan, for stderr: files that could not be analysed, one line each;
/// files that do not fully parse, with the line where parsing fails, grouped into one
/// warning when there are many (a Go release's new syntax can touch dozens of files).
pub fn warnings(err: &mut impl Write, outcome: &ScanOutcome) -> std::io::Result<()> {
    for w in &outcome.warnings {
        writeln!(err, "warning: {}: {}", w.path, w.message)?;
    }
    let errors = &outcome.syntax_errors;
    if errors.is_empty() {
        return Ok(());
    }
    let at = |(path, line): &(String, Option<u32>)| match line {
        Some(l) => format!("{path}:{l}"),
        None => path.clone(),
    };
    // tree-sitter-go trails the Go releases: a file that gofmt accepts may not parse.
    let go = errors.iter().all(|(p, _)| p.ends_with(".go"));
    let hint = if go { " (Go syntax newer than tree-sitter-go knows?)" } else { "" };
    if errors.len() <= SYNTAX_ERRORS_NAMED {
        for e in errors {
            writeln!(err, "warning: {}: syntax error{hint}; the file is analysed where it parses", at(e))?;
        }
        return Ok(());
    }
    let named: Vec<String> = errors.iter().take(SYNTAX_ERRORS_NAMED).map(at).collect();
    writeln!(
        err,
        "warning: {} files have syntax errors{hint} and are analysed where they parse: {} and {} more",
        errors.len(),
        named.join(", "),
        errors.len() - SYNTAX_ERRORS_NAMED
    )
}

pub(crate) fn print_finding(
    out: &mut impl Write,
    f: &Finding,
    lines: Option<&[String]>,
) -> std::io::Result<()> {
    let sev = level_style(f.severity);
    writeln!(out, "{BOLD}{}:{}:{}:{BOLD:#} {sev}{}{sev:#} {}", f.path, f.line, f.column, f.rule, f.message)?;
    let Some(line) = lines.and_then(|l| l.get(f.line as usize - 1)) else {
        return Ok(());
    };
    let number = f.line.to_string();
    let pad = " ".repeat(number.len());
    let line = line.replace('\t', "    ");
    let original = lines.and_then(|l| l.get(f.line as usize - 1)).map(String::as_str).unwrap_or("");
    // Columns count code points; tabs were widened to four spaces for display.
    let start = display_width(original, f.column as usize - 1);
    let end = if f.end_line == f.line {
        display_width(original, f.end_column as usize - 1)
    } else {
        line.chars().count()
    };
    let carets = "^".repeat(end.saturating_sub(start).max(1));
    writeln!(out, "{BLUE}{pad} |{BLUE:#}")?;
    writeln!(out, "{BLUE}{number} |{BLUE:#} {line}")?;
    writeln!(out, "{BLUE}{pad} |{BLUE:#} {}{sev}{carets}{sev:#}", " ".repeat(start))?;
    if let Some(fix) = &f.fix {
        let kind = match fix.applicability {
            Applicability::Safe => "safe fix",
            Applicability::Unsafe => "unsafe fix: `debtctl fix --unsafe`",
            Applicability::DisplayOnly => "suggestion: apply by hand",
        };
        writeln!(out, "{BLUE}{pad} ={BLUE:#} {CYAN}help{CYAN:#}: {} ({kind})", fix.title)?;
    }
    writeln!(out)
}

/// Display columns of the first `chars` code points, with a tab as four.
fn display_width(line: &str, chars: usize) -> usize {
    line.chars().take(chars).map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
