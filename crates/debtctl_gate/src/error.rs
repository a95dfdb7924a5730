use std::path::PathBuf;

/// Why the gate could not run; each prints as one line. All of them are exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("not a git repository (or any parent directory): {}", path.display())]
    NotARepository { path: PathBuf },
    #[error("no base: pass --base REV or set [gate] base in debtctl.toml")]
    NoBase,
    #[error("base `{rev}` is not a revision of this repository: {message}")]
    UnknownBase { rev: String, message: String },
    #[error("head `{rev}` is not a revision of this repository: {message}")]
    UnknownHead { rev: String, message: String },
    #[error("{} exists and was not written by debtctl; pass --force to replace it (the old hook is then kept as {})", path.display(), backup.display())]
    ForeignHook { path: PathBuf, backup: PathBuf },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error(transparent)]
    Ledger(#[from] debtctl_ledger::LedgerError),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}
