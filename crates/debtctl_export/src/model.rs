//! The ledger's export document (`shared/spec/ledger.md`, "Export") as typed data, and the
//! series the dashboard and the database derive from it.

use crate::ExportError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The export document, version 1. Fields the ledger may add later are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerExport {
    pub version: u32,
    pub head: Option<String>,
    pub commits: Vec<Commit>,
    pub items: Vec<Item>,
}

/// A recorded commit; `commits` are in first-parent order, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    /// RFC 3339, UTC (`2026-11-02T10:04:05Z`).
    pub time: String,
    pub author: String,
    pub summary: String,
    pub tickets: Vec<String>,
    pub findings: u64,
    pub debt_minutes: u64,
    pub introduced: u64,
    pub fixed: u64,
    pub by_rule: BTreeMap<String, u64>,
}

/// A debt item: one fingerprint, from the commit that introduced it to the one that fixed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub fingerprint: String,
    pub rule: String,
    pub severity: String,
    pub path: String,
    pub line: u64,
    pub message: String,
    pub debt_minutes: u64,
    pub introduced_in: String,
    pub introduced_at: String,
    pub introduced_by: String,
    pub fixed_in: Option<String>,
    pub tickets: Vec<String>,
}

/// Severities from the most to the least severe, as charts and tables order them.
pub const SEVERITIES: [&str; 3] = ["error", "warning", "info"];

impl LedgerExport {
    /// Parses the document `Ledger::export_json` returns; refuses another version.
    pub fn from_value(value: serde_json::Value) -> Result<LedgerExport, ExportError> {
        let doc: LedgerExport =
            serde_json::from_value(value).map_err(|e| ExportError::Model(e.to_string()))?;
        if doc.version != 1 {
            return Err(ExportError::Model(format!(
                "version {} (this debtctl reads version 1)",
                doc.version
            )));
        }
        Ok(doc)
    }

    /// The newest recorded commit.
    pub fn head_commit(&self) -> Option<&Commit> {
        self.commits.last()
    }

    /// Items still open in the newest recorded commit.
    pub fn open_items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.fixed_in.is_none())
    }

    /// Every rule the ledger has seen, in any commit or item.
    pub fn rules(&self) -> BTreeSet<&str> {
        let mut rules: BTreeSet<&str> = self.items.iter().map(|i| i.rule.as_str()).collect();
        for c in &self.commits {
            rules.extend(c.by_rule.keys().map(String::as_str));
        }
        rules
    }

    /// Debt minutes per severity at each commit (index as in `commits`). The export gives
    /// totals per commit only; an item counts from the commit that introduced it up to,
    /// not including, the one that fixed it.
    pub fn debt_by_severity(&self) -> Vec<BTreeMap<String, u64>> {
        let position: HashMap<&str, usize> =
            self.commits.iter().enumerate().map(|(n, c)| (c.sha.as_str(), n)).collect();
        let n = self.commits.len();
        // A difference array per severity: +debt where an item starts, -debt where it ends.
        let mut delta: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for item in &self.items {
            let Some(&start) = position.get(item.introduced_in.as_str()) else { continue };
            let end = item.fixed_in.as_deref().and_then(|s| position.get(s).copied()).unwrap_or(n);
            if end <= start {
                continue;
            }
            let d = delta.entry(item.severity.as_str()).or_insert_with(|| vec![0; n + 1]);
            d[start] += item.debt_minutes as i64;
            d[end] -= item.debt_minutes as i64;
        }
        let mut out = vec![BTreeMap::new(); n];
        for (severity, d) in delta {
            let mut running = 0i64;
            for (i, slot) in out.iter_mut().enumerate() {
                running += d[i];
                slot.insert(severity.to_string(), running.max(0) as u64);
            }
        }
        out
    }
}

/// `2026-11-02T10:04:05Z` as seconds since the Unix epoch (UTC only, as the ledger writes).
pub fn parse_rfc3339_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(fp: &str, severity: &str, debt: u64, intro: &str, fixed: Option<&str>) -> serde_json::Value {
        json!({"fingerprint": fp, "rule": "py/x", "severity": severity, "path": "a.py", "line": 1,
               "message": "m", "debt_minutes": debt, "introduced_in": intro,
               "introduced_at": "2026-11-02T10:04:05Z", "introduced_by": "J", "fixed_in": fixed,
               "tickets": []})
    }

    fn commit(sha: &str) -> serde_json::Value {
        json!({"sha": sha, "parents": [], "time": "2026-11-02T10:04:05Z", "author": "J", "summary": "s",
               "tickets": [], "findings": 0, "debt_minutes": 0, "introduced": 0, "fixed": 0, "by_rule": {}})
    }

    #[test]
    fn debt_by_severity_follows_item_lifetimes() {
        let doc = LedgerExport::from_value(json!({
            "version": 1, "head": "c",
            "commits": [commit("a"), commit("b"), commit("c")],
            "items": [item("1", "warning", 10, "a", Some("c")), item("2", "error", 5, "b", None),
                      item("3", "warning", 7, "b", None)],
        }))
        .unwrap();
        let s = doc.debt_by_severity();
        assert_eq!(s[0]["warning"], 10);
        assert_eq!(s[0]["error"], 0);
        assert_eq!((s[1]["warning"], s[1]["error"]), (17, 5));
        assert_eq!((s[2]["warning"], s[2]["error"]), (7, 5));
        assert_eq!(doc.open_items().count(), 2);
    }

    #[test]
    fn another_version_is_refused() {
        let err = LedgerExport::from_value(json!({"version": 2, "head": null, "commits": [], "items": []}));
        assert!(err.unwrap_err().to_string().contains("version 2"));
    }

    #[test]
    fn rfc3339_utc_parses() {
        assert_eq!(parse_rfc3339_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_utc("2026-11-02T10:04:05Z"), Some(1_793_613_845));
        assert_eq!(parse_rfc3339_utc("2000-02-29T12:00:00Z"), Some(951_825_600));
        assert_eq!(parse_rfc3339_utc("2026-11-02 10:04:05"), None);
    }
}
