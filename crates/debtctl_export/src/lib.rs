//! The ledger's exports, for people and for other tools: a self-contained HTML dashboard,
//! CSV tables, OpenMetrics gauges for a Prometheus textfile collector, and a sync into a
//! PostgreSQL database that many repositories share (read by the Grafana dashboard in
//! `docs/grafana/`).
//!
//! Everything starts from the ledger's export document (`shared/spec/ledger.md`), parsed
//! into [`LedgerExport`]; git is read directly (git2) only for what the ledger does not
//! hold, the churn behind the hotspots.

pub mod escape;
pub mod hotspots;
pub mod html;
pub mod identity;
pub mod model;
pub mod openmetrics;
pub mod pg;
pub mod tables;

mod charts;

pub use model::{Commit, Item, LedgerExport};

use std::path::PathBuf;

/// Why an export could not be written; each prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the ledger's export is not what this debtctl reads: {0}")]
    Model(String),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("chart: {0}")]
    Chart(String),
}
