//! Printers for `--format text|json|sarif|github`.

pub mod gate;
pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use debtctl_diagnostics::Applicability;
use debtctl_linter::RuleMeta;

pub fn applicability_name(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display-only",
    }
}

/// A rule as `debtctl rules --format json` lists it.
pub fn rule_json(m: &RuleMeta) -> serde_json::Value {
    serde_json::json!({
        "id": m.id,
        "severity": m.severity,
        "debt_minutes": m.debt_minutes,
        "summary": m.summary,
        "fix": m.fix.map(applicability_name),
    })
}

/// Minutes as `2h 05min` or `45min`.
pub fn format_debt(minutes: u64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    if h == 0 {
        format!("{m}min")
    } else {
        format!("{h}h {m:02}min")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debt_reads_as_hours_and_minutes() {
        assert_eq!(super::format_debt(45), "45min");
        assert_eq!(super::format_debt(125), "2h 05min");
    }
}
