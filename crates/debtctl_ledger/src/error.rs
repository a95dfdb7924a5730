use std::path::{Path, PathBuf};

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
    #[error("cannot open the ledger {}: {reason}", path.display())]
    CannotOpen { path: PathBuf, reason: String },
    #[error("ledger {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("ledger {}: corrupt row: {message}", path.display())]
    BadRow { path: PathBuf, message: String },
}

impl LedgerError {
    /// A SQLite error on the ledger at `path`; a file that turns out not to be a database,
    /// or a corrupt one, says so (the failed statement changed nothing).
    pub fn sqlite(path: &Path, source: rusqlite::Error) -> LedgerError {
        let reason = match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => "not a SQLite database",
            Some(rusqlite::ErrorCode::DatabaseCorrupt) => "the database is corrupt",
            // SQLite's own text names the path twice and says no more than this.
            Some(rusqlite::ErrorCode::CannotOpen) => {
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let reason = if !dir.is_dir() {
                    format!("no directory {}", dir.display())
                } else if path.is_dir() {
                    "it is a directory".to_string()
                } else {
                    "permission denied, or not a file".to_string()
                };
                return LedgerError::CannotOpen { path: path.to_path_buf(), reason };
            }
            _ => return LedgerError::Sqlite { path: path.to_path_buf(), source },
        };
        LedgerError::NotALedger { path: path.to_path_buf(), reason: reason.to_string() }
    }
}
