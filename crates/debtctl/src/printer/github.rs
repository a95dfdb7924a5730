//! GitHub Actions workflow commands, one per finding.

use debtctl_diagnostics::{Finding, Severity};
use debtctl_workspace::engine::ScanOutcome;
use std::io::Write;

pub fn print(out: &mut impl Write, outcome: &ScanOutcome) -> std::io::Result<()> {
    print_findings(out, &outcome.findings)
}

/// One workflow command per finding.
pub fn print_findings(out: &mut impl Write, findings: &[Finding]) -> std::io::Result<()> {
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        writeln!(
            out,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&f.path),
            f.line,
            f.column,
            f.end_line,
            f.end_column,
            property(&f.rule),
            data(&f.message),
        )?;
    }
    Ok(())
}

/// Escapes a workflow command's message, as the Actions toolkit does.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(super::property("a,b:c%"), "a%2Cb%3Ac%25");
        assert_eq!(super::data("x\ny: 1,2"), "x%0Ay: 1,2");
    }
}
