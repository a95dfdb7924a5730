use std::path::PathBuf;

/// Why the ledger could not do what was asked; each prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("not a git repository: {}", path.display())]
    NotARepository { path: PathBuf },
    #[error("unknown revision `{rev}`: {message}")]
    UnknownRevision { rev: String, message: String },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error(
        "{} was written by a newer debtctl (ledger schema {found}, this version reads up to {supported}); upgrade debtctl",
        path.display()
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },
    #[error("{} is not a debtctl ledger ({reason}); it was left unchanged", path.display())]
    NotALedger { path: PathBuf, reason: String },
    #[error("ledger {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("ledger {}: corrupt row: {message}", path.display())]
    BadRow { path: PathBuf, message: String },
}
