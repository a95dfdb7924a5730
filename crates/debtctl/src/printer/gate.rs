//! The outputs of `debtctl gate`: text (new findings in full, then what was fixed, then
//! the verdict), JSON (`schemas/findings.schema.json`, with `new`, `fixed` and `gate`),
//! GitHub annotations for the new findings, SARIF with each result's `baselineState`, and
//! a Markdown summary.

use super::{format_debt, github, sarif, text::plural, text::print_finding};
use crate::gate_cmd::GateRun;
use anstyle::{AnsiColor, Style};
use debtctl_diagnostics::{Finding, GateSummary, Report, Skipped, Summary, ToolInfo};
use debtctl_gate::Head;
use debtctl_workspace::Settings;
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write;

const BOLD: Style = Style::new().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();

/// The base as messages name it: the revision and its short commit id.
fn base_label(run: &GateRun) -> String {
    let rev = &run.base.rev;
    match run.base.commit {
        _ if run.base.tree.is_none() => format!("{rev} (no commit yet)"),
        Some(c) => {
            let sha = c.to_string();
            if sha.starts_with(rev.as_str()) {
                sha[..12].to_string()
            } else {
                format!("{rev} ({})", &sha[..12])
            }
        }
        None => rev.clone(),
    }
}

fn signed_debt(minutes: i64) -> String {
    match minutes {
        0 => "±0min".to_string(),
        m if m > 0 => format!("+{}", format_debt(m as u64)),
        m => format!("-{}", format_debt(m.unsigned_abs())),
    }
}

fn short_line(f: &Finding) -> String {
    format!("{}:{}:{}: {} {}", f.path, f.line, f.column, f.rule, f.message)
}

/// The new findings (in full, or one line each when `concise`), then, unless `quiet`, the
/// fixed ones, the debt delta and the verdict with its reasons.
pub fn text(out: &mut impl Write, run: &GateRun, quiet: bool, concise: bool) -> std::io::Result<()> {
    for (shown, f) in run.new.iter().zip(&run.outcome.comparison.new) {
        if concise {
            writeln!(out, "{}", short_line(shown))?;
            continue;
        }
        let lines: Option<Vec<String>> =
            run.outcome.head_texts.get(&f.path).map(|t| t.lines().map(str::to_string).collect());
        print_finding(out, shown, lines.as_deref())?;
    }
    if quiet {
        return Ok(());
    }
    if concise && !run.new.is_empty() {
        writeln!(out)?;
    }
    if !run.fixed.is_empty() {
        writeln!(out, "{BOLD}Fixed ({}):{BOLD:#}", run.fixed.len())?;
        for f in &run.fixed {
            writeln!(out, "  {}", short_line(f))?;
        }
        writeln!(out)?;
    }
    let v = &run.verdict;
    let new = if run.new.is_empty() {
        "no new debt".to_string()
    } else {
        format!("{} ({})", plural(run.new.len() as u64, "new finding"), format_debt(v.new_debt_minutes))
    };
    let fixed = if run.fixed.is_empty() {
        "nothing fixed".to_string()
    } else {
        format!("{} fixed ({})", plural(run.fixed.len() as u64, "finding"), format_debt(v.fixed_debt_minutes))
    };
    writeln!(
        out,
        "{BOLD}{} against {}: {new}, {fixed}; debt {}.{BOLD:#}",
        capitalise(&run.head.label()),
        base_label(run),
        signed_debt(v.delta_minutes)
    )?;
    if v.passed {
        match passed_because(run) {
            Some(why) => writeln!(out, "{GREEN}Gate passed:{GREEN:#} {why}.")?,
            None => writeln!(out, "{GREEN}Gate passed.{GREEN:#}")?,
        }
    } else {
        writeln!(out, "{RED}Gate failed:{RED:#} {}.", v.reasons.join("; "))?;
    }
    Ok(())
}

/// Why a gate with new findings passed: they are below `--fail-on`, or within the budget.
fn passed_because(run: &GateRun) -> Option<String> {
    let v = &run.verdict;
    let p = &run.policy;
    let below = run.new.len() - v.blocking;
    let mut parts = Vec::new();
    if v.blocking > 0 {
        parts.push(format!(
            "{} at or above {} ({} of debt) within the budget of {}",
            plural(v.blocking as u64, "new finding"),
            p.fail_on,
            format_debt(v.blocking_debt_minutes),
            format_debt(p.budget_minutes)
        ));
    }
    if below > 0 {
        let verb = if below == 1 { "does" } else { "do" };
        parts.push(format!(
            "{} below {} {verb} not fail the gate",
            plural(below as u64, "new finding"),
            p.fail_on
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub fn report(run: &GateRun) -> Report {
    let v = &run.verdict;
    let findings = run.findings.clone();
    let summary = Summary {
        files: run.outcome.head_files as u64,
        findings: findings.len() as u64,
        debt_minutes: findings.iter().map(|f| u64::from(f.debt_minutes)).sum(),
        skipped: Skipped { too_deep: run.outcome.skipped.len() as u64, ..Skipped::default() },
        ..Summary::default()
    };
    Report {
        version: 1,
        tool: ToolInfo { name: "debtctl".to_string(), version: env!("CARGO_PKG_VERSION").to_string() },
        findings,
        summary,
        new: Some(run.new.clone()),
        fixed: Some(run.fixed.clone()),
        gate: Some(GateSummary {
            base: run.base.rev.clone(),
            base_commit: run.base.commit.map(|c| c.to_string()),
            head: match &run.head {
                Head::WorkDir => "worktree".to_string(),
                Head::Index => "index".to_string(),
                Head::Rev(r) => r.clone(),
            },
            head_commit: run.outcome.head_commit.map(|c| c.to_string()),
            passed: v.passed,
            fail_on: run.policy.fail_on,
            budget_minutes: run.policy.budget_minutes,
            blocking_findings: v.blocking as u64,
            blocking_debt_minutes: v.blocking_debt_minutes,
            new_findings: run.new.len() as u64,
            new_debt_minutes: v.new_debt_minutes,
            fixed_findings: run.fixed.len() as u64,
            fixed_debt_minutes: v.fixed_debt_minutes,
            delta_minutes: v.delta_minutes,
            reasons: v.reasons.clone(),
            analysed: run.outcome.analysed as u64,
            cached: run.outcome.cached as u64,
        }),
    }
}

pub fn json(out: &mut impl Write, run: &GateRun) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &report(run))?;
    writeln!(out)
}

/// Annotations for the new findings only: the rest was there before the change.
pub fn github(out: &mut impl Write, run: &GateRun) -> std::io::Result<()> {
    github::print_findings(out, &run.new)
}

/// Every result with its `baselineState`: the head's findings in the compared files are
/// `new` or `unchanged`; fixed ones are `absent`, with `kind: pass` (and so level `none`)
/// because they are no longer a problem.
pub fn sarif(out: &mut impl Write, run: &GateRun, settings: &Settings) -> std::io::Result<()> {
    let mut current: Vec<(&Finding, &str)> = run.new.iter().map(|f| (f, "new")).collect();
    current.extend(run.unchanged.iter().map(|f| (f, "unchanged")));
    current.sort_by(|(a, _), (b, _)| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    let mut results = Vec::new();
    for (f, state) in current {
        let mut r = sarif::result(f);
        r["baselineState"] = json!(state);
        results.push(r);
    }
    for f in &run.fixed {
        let mut r = sarif::result(f);
        r["baselineState"] = json!("absent");
        r["kind"] = json!("pass");
        r["level"] = json!("none");
        results.push(r);
    }
    serde_json::to_writer_pretty(&mut *out, &sarif::document(results, settings))?;
    writeln!(out)
}

/// Rows shown per table in the Markdown summary; a step summary is limited to 1 MiB.
const MAX_ROWS: usize = 200;

/// A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment.
pub fn markdown(run: &GateRun) -> String {
    let v = &run.verdict;
    let mut s = String::new();
    let status = if v.passed { "passed ✅" } else { "failed ❌" };
    let _ = writeln!(s, "### debtctl gate {status}\n");
    let _ = writeln!(
        s,
        "Compared {} with `{}`: **{} new** ({}), **{} fixed** ({}), debt **{}**.\n",
        run.head.label(),
        base_label(run).replace('`', "'"),
        run.new.len(),
        format_debt(v.new_debt_minutes),
        run.fixed.len(),
        format_debt(v.fixed_debt_minutes),
        signed_debt(v.delta_minutes),
    );
    for r in &v.reasons {
        let _ = writeln!(s, "- {r}");
    }
    if let (true, Some(why)) = (v.passed, passed_because(run)) {
        let _ = writeln!(s, "- passed: {why}");
    }
    if !v.reasons.is_empty() || !run.new.is_empty() {
        let _ = writeln!(
            s,
            "\nThe gate fails when new findings of severity {} or above add more than {} min of debt; \
             new findings below {} are reported and never fail it.\n",
            run.policy.fail_on, run.policy.budget_minutes, run.policy.fail_on
        );
    }
    table(&mut s, "New debt", &run.new);
    table(&mut s, "Fixed", &run.fixed);
    s
}

fn table(s: &mut String, title: &str, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(s, "#### {title} ({})\n", findings.len());
    let _ = writeln!(s, "| Severity | Rule | Location | Message | Debt |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for f in findings.iter().take(MAX_ROWS) {
        let _ = writeln!(
            s,
            "| {} | `{}` | `{}:{}` | {} | {} |",
            f.severity,
            f.rule,
            cell(&f.path).replace('`', "'"),
            f.line,
            cell(&f.message),
            format_debt(u64::from(f.debt_minutes))
        );
    }
    if findings.len() > MAX_ROWS {
        let _ = writeln!(s, "\n…and {} more.", findings.len() - MAX_ROWS);
    }
    let _ = writeln!(s);
}

/// Text that stays inside one Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_stay_in_their_column() {
        assert_eq!(super::cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn the_delta_is_signed() {
        assert_eq!(super::signed_debt(75), "+1h 15min");
        assert_eq!(super::signed_debt(-10), "-10min");
        assert_eq!(super::signed_debt(0), "±0min");
    }
}
