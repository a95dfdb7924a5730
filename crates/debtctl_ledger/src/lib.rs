//! The debt ledger: a SQLite database that records, for each analysed git commit, which
//! debt (findings) it holds, and for each debt item (a finding's fingerprint) the commit
//! that introduced it and the one that fixed it.
//!
//! Commits are analysed from git objects (trees and blobs read through git2), never by
//! checking out, and the findings of a blob (or of a Go package's set of blobs) are cached
//! in the database by object id, path and rule-set key, so an unchanged blob is analysed
//! once. Each commit is recorded in one transaction. See `shared/spec/ledger.md` for the
//! contract; [`Ledger::export_json`] produces its export document.

mod db;
mod error;
mod export;
mod history;
pub mod snapshot;
mod time;

pub use db::{Ledger, RecordOutcome, SCHEMA_VERSION};
pub use debtctl_linter::tickets_in;
pub use error::LedgerError;
pub use history::{HistoryOutcome, HistoryRange, Progress};
pub use snapshot::{
    analyse, changes, AnalysisOutcome, BlobCache, CacheKey, Changes, MemoryCache, Snapshot, SnapshotFile,
    Source,
};

use std::path::{Path, PathBuf};

/// The default ledger of the repository at `root`: `.debtctl/ledger.sqlite`.
pub fn default_db_path(root: &Path) -> PathBuf {
    root.join(".debtctl").join("ledger.sqlite")
}

/// Creates `.debtctl/` at `root` with a `.gitignore` holding `*` when it has none.
pub fn ensure_debtctl_dir(root: &Path) -> Result<PathBuf, LedgerError> {
    let dir = root.join(".debtctl");
    let io = |source| LedgerError::Io { path: dir.clone(), source };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "*\n").map_err(|source| LedgerError::Io { path: ignore.clone(), source })?;
    }
    Ok(dir)
}
