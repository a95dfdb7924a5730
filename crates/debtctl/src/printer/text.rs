//! Text output, like rustc's and ruff's: location, rule and message, the source line with
//! a caret underline, a fix hint, and a one-line summary.

use super::{applicability_name, format_debt};
use anstyle::{AnsiColor, Style};
use debtctl_diagnostics::{Finding, Severity};
use debtctl_workspace::engine::ScanOutcome;
use std::collections::HashMap;
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

pub fn print(out: &mut impl Write, outcome: &ScanOutcome, quiet: bool) -> std::io::Result<()> {
    let mut sources: HashMap<&str, Option<Vec<String>>> = HashMap::new();
    for f in &outcome.findings {
        let lines = sources.entry(f.path.as_str()).or_insert_with(|| {
            std::fs::read_to_string(&f.path)
                .ok()
                .map(|s| s.trim_start_matches('\u{feff}').lines().map(str::to_string).collect())
        });
        print_finding(out, f, lines.as_deref())?;
    }
    if quiet {
        return Ok(());
    }
    let s = &outcome.summary;
    if !s.fixed.is_empty() {
        let total: u64 = s.fixed.values().sum();
        let per_rule: Vec<String> = s.fixed.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        writeln!(out, "Fixed {} ({}).", plural(total, "finding"), per_rule.join(", "))?;
    }
    if s.findings == 0 {
        writeln!(out, "No findings in {}.", plural(s.files, "file"))?;
    } else {
        let fixable = outcome.findings.iter().filter(|f| f.fix.is_some()).count();
        let noun = if s.findings == 1 { "finding" } else { "findings" };
        write!(
            out,
            "{BOLD}Found {} {noun} in {}: {} of debt.{BOLD:#}",
            s.findings,
            plural(s.files, "file"),
            format_debt(s.debt_minutes)
        )?;
        if fixable > 0 {
            write!(out, " {fixable} with a fix (`debtctl fix`).")?;
        }
        writeln!(out)?;
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
        writeln!(
            out,
            "{BLUE}{pad} ={BLUE:#} {CYAN}help{CYAN:#}: {} ({} fix)",
            fix.title,
            applicability_name(fix.applicability)
        )?;
    }
    writeln!(out)
}

/// Display columns of the first `chars` code points, with a tab as four.
fn display_width(line: &str, chars: usize) -> usize {
    line.chars().take(chars).map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

pub(crate) fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
