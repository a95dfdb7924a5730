//! Printers for `--format text|json|sarif|github`.

pub mod gate;
pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use debtctl_diagnostics::{Applicability, Finding, Severity};
use debtctl_linter::{Rule, RuleMeta};
use std::collections::BTreeMap;

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
        "custom": false,
    })
}

/// One rule's row of `--statistics`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatRow {
    pub rule: String,
    pub severity: Severity,
    pub count: u64,
    pub debt_minutes: u64,
    /// The rule's fix: `safe`, `unsafe`, `display-only` (a suggestion), or none.
    pub fix: Option<&'static str>,
}

impl StatRow {
    fn fix_label(&self) -> &'static str {
        match self.fix {
            Some("safe") => "fix",
            Some("unsafe") => "fix with --unsafe",
            Some(_) => "suggestion",
            None => "",
        }
    }
}

/// Findings counted per rule, most first, then by rule ID.
pub fn statistics(findings: &[Finding]) -> Vec<StatRow> {
    let mut by_rule: BTreeMap<&str, StatRow> = BTreeMap::new();
    for f in findings {
        let row = by_rule.entry(f.rule.as_str()).or_insert_with(|| StatRow {
            rule: f.rule.clone(),
            severity: f.severity,
            count: 0,
            debt_minutes: 0,
            // A custom rule's fix shows on its findings (custom fixes are unsafe).
            fix: Rule::from_id(&f.rule)
                .and_then(|r| r.meta().fix)
                .or(f.fix.as_ref().map(|fix| fix.applicability))
                .map(applicability_name),
        });
        row.count += 1;
        row.debt_minutes += u64::from(f.debt_minutes);
        row.severity = row.severity.max(f.severity);
    }
    let mut rows: Vec<StatRow> = by_rule.into_values().collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
    rows
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
