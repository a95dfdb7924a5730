//! CSV tables of the ledger: one row per commit, one row per item (open and fixed). Lists
//! (parents, tickets) are space-separated in one cell; cells are quoted as RFC 4180 says.

use crate::model::LedgerExport;
use crate::ExportError;
use std::io::Write;

/// The columns of the commits table.
pub const COMMIT_COLUMNS: [&str; 10] = [
    "sha",
    "parents",
    "time",
    "author",
    "summary",
    "tickets",
    "findings",
    "debt_minutes",
    "introduced",
    "fixed",
];

/// The columns of the items table.
pub const ITEM_COLUMNS: [&str; 12] = [
    "fingerprint",
    "rule",
    "severity",
    "path",
    "line",
    "message",
    "debt_minutes",
    "introduced_in",
    "introduced_at",
    "introduced_by",
    "fixed_in",
    "tickets",
];

pub fn write_commits<W: Write>(doc: &LedgerExport, out: W) -> Result<(), ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COMMIT_COLUMNS)?;
    for c in &doc.commits {
        w.write_record([
            c.sha.as_str(),
            &c.parents.join(" "),
            &c.time,
            &c.author,
            &c.summary,
            &c.tickets.join(" "),
            &c.findings.to_string(),
            &c.debt_minutes.to_string(),
            &c.introduced.to_string(),
            &c.fixed.to_string(),
        ])?;
    }
    w.flush().map_err(csv::Error::from)?;
    Ok(())
}

pub fn write_items<W: Write>(doc: &LedgerExport, out: W) -> Result<(), ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(ITEM_COLUMNS)?;
    for i in &doc.items {
        w.write_record([
            i.fingerprint.as_str(),
            &i.rule,
            &i.severity,
            &i.path,
            &i.line.to_string(),
            &i.message,
            &i.debt_minutes.to_string(),
            &i.introduced_in,
            &i.introduced_at,
            &i.introduced_by,
            i.fixed_in.as_deref().unwrap_or(""),
            &i.tickets.join(" "),
        ])?;
    }
    w.flush().map_err(csv::Error::from)?;
    Ok(())
}
