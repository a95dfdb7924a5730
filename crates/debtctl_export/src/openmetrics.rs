//! OpenMetrics text (which a Prometheus textfile collector also reads) for the newest
//! recorded commit: gauges of open debt and findings. A rule the ledger has seen but that
//! has no open finding any more is written as 0, so its series drops to zero instead of
//! going stale.

use crate::model::parse_rfc3339_utc;
use crate::model::LedgerExport;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A label value as the exposition format quotes it: `\`, `"` and newlines escaped.
pub fn label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The metrics document, ending in `# EOF`.
pub fn render(doc: &LedgerExport, repository: &str) -> String {
    let repo = label_value(repository);
    let mut debt: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut findings: BTreeMap<&str, u64> = BTreeMap::new();
    let mut severity_of: BTreeMap<&str, &str> = BTreeMap::new();
    for item in &doc.items {
        severity_of.entry(item.rule.as_str()).or_insert(item.severity.as_str());
    }
    for rule in doc.rules() {
        findings.insert(rule, 0);
        if let Some(sev) = severity_of.get(rule) {
            debt.insert((rule, sev), 0);
        }
    }
    for item in doc.open_items() {
        *debt.entry((item.rule.as_str(), item.severity.as_str())).or_default() += item.debt_minutes;
        *findings.entry(item.rule.as_str()).or_default() += 1;
    }
    let mut out = String::new();
    let _ = writeln!(out, "# TYPE debtctl_debt_minutes gauge");
    let _ = writeln!(out, "# UNIT debtctl_debt_minutes minutes");
    let _ = writeln!(out, "# HELP debtctl_debt_minutes Open technical debt in the newest recorded commit.");
    for ((rule, sev), v) in &debt {
        let _ = writeln!(
            out,
            "debtctl_debt_minutes{{repository=\"{repo}\",rule=\"{}\",severity=\"{}\"}} {v}",
            label_value(rule),
            label_value(sev)
        );
    }
    let _ = writeln!(out, "# TYPE debtctl_findings gauge");
    let _ = writeln!(out, "# HELP debtctl_findings Open findings in the newest recorded commit.");
    for (rule, v) in &findings {
        let _ = writeln!(out, "debtctl_findings{{repository=\"{repo}\",rule=\"{}\"}} {v}", label_value(rule));
    }
    let _ = writeln!(out, "# TYPE debtctl_commits_recorded gauge");
    let _ = writeln!(out, "# HELP debtctl_commits_recorded Commits recorded in the ledger.");
    let _ = writeln!(out, "debtctl_commits_recorded{{repository=\"{repo}\"}} {}", doc.commits.len());
    if let Some(t) = doc.head_commit().and_then(|c| parse_rfc3339_utc(&c.time)) {
        let _ = writeln!(out, "# TYPE debtctl_head_commit_timestamp_seconds gauge");
        let _ = writeln!(out, "# UNIT debtctl_head_commit_timestamp_seconds seconds");
        let _ = writeln!(
            out,
            "# HELP debtctl_head_commit_timestamp_seconds Commit time of the newest recorded commit."
        );
        let _ = writeln!(out, "debtctl_head_commit_timestamp_seconds{{repository=\"{repo}\"}} {t}");
    }
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }
}
