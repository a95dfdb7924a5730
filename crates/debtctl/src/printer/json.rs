use debtctl_diagnostics::{Report, ToolInfo};
use debtctl_workspace::engine::ScanOutcome;
use std::io::Write;

pub fn report(outcome: &ScanOutcome) -> Report {
    Report {
        version: 1,
        tool: ToolInfo { name: "debtctl".to_string(), version: env!("CARGO_PKG_VERSION").to_string() },
        findings: outcome.findings.clone(),
        summary: outcome.summary.clone(),
        new: None,
        fixed: None,
        gate: None,
    }
}

pub fn print(out: &mut impl Write, outcome: &ScanOutcome) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &report(outcome))?;
    writeln!(out)
}

/// `--statistics --format json`: one object per rule, most findings first.
pub fn statistics(out: &mut impl Write, outcome: &ScanOutcome) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &super::statistics(&outcome.findings))?;
    writeln!(out)
}
