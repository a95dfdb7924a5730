//! The workspace around the linter: `debtctl.toml` discovery and settings, which files a
//! scan reads, the result cache, and the parallel scan that ties them together.

pub mod cache;
pub mod config;
pub mod discovery;
pub mod engine;
pub mod fixer;
pub mod go_api;
pub mod go_build;
pub mod settings;
pub mod stdin;

pub use settings::{Overrides, Settings};

use std::path::PathBuf;

/// Errors that stop a run before it starts; each prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("cannot read config {}: {}", path.display(), io_reason(source))]
    ConfigRead { path: PathBuf, source: std::io::Error },
    #[error("invalid config {}{location}: {message}", path.display())]
    Config { path: PathBuf, location: String, message: String },
    /// `hint` is the "; did you mean" suggestion, among built-in and custom rules.
    #[error("unknown rule `{id}` in {origin}{hint}")]
    UnknownRule { id: String, origin: String, hint: String },
    #[error("invalid setting in {origin}: {message}")]
    Setting { origin: String, message: String },
    #[error("invalid glob `{glob}`: {message}")]
    Glob { glob: String, message: String },
    #[error("invalid config {origin}: {source}")]
    TicketPattern { origin: String, source: debtctl_linter::tickets::TicketPatternError },
    #[error("cannot read {}: {}", path.display(), io_reason(source))]
    Path { path: PathBuf, source: std::io::Error },
    /// A custom rule file that cannot be used (not YAML, an unknown key, a pattern that does
    /// not parse, an ID clash): one line naming the file and the rule.
    #[error("invalid custom rule {0}")]
    CustomRule(#[from] debtctl_custom::LoadError),
}

/// An I/O error's reason once, in lower case, without the OS's own `(os error N)`.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            let s = match s.rfind(" (os error ") {
                Some(i) if s.ends_with(')') => s[..i].to_string(),
                _ => s,
            };
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => s,
            }
        }
    }
}
