//! The workspace around the linter: `debtctl.toml` discovery and settings, which files a
//! scan reads, the result cache, and the parallel scan that ties them together.

pub mod cache;
pub mod config;
pub mod discovery;
pub mod engine;
pub mod fixer;
pub mod settings;

pub use settings::{Overrides, Settings};

use std::path::PathBuf;

/// Errors that stop a run before it starts; each prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("cannot read config {}: {source}", path.display())]
    ConfigRead { path: PathBuf, source: std::io::Error },
    #[error("invalid config {}{location}: {message}", path.display())]
    Config { path: PathBuf, location: String, message: String },
    #[error("unknown rule `{id}` in {origin}")]
    UnknownRule { id: String, origin: String },
    #[error("invalid glob `{glob}`: {message}")]
    Glob { glob: String, message: String },
    #[error("invalid config {origin}: {source}")]
    TicketPattern { origin: String, source: debtctl_linter::tickets::TicketPatternError },
    #[error("cannot read {}: {}", path.display(), io_reason(source))]
    Path { path: PathBuf, source: std::io::Error },
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
