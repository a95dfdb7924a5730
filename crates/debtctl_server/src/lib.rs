//! `debtctl server`: the language server. It shows each open Go, Python and YAML document's
//! findings as diagnostics, telling new debt (not at the gate base, so shown with its rule's
//! severity) from legacy debt (already at the base, shown as a hint), and offers the rules'
//! fixes, suppression comments and a fix-all as code actions, and the rule's story on hover.
//!
//! It speaks LSP 3.17 over stdio with `lsp-server` and `lsp-types`, the synchronous pair
//! rust-analyzer is built on: one thread handles the messages in order, which keeps each
//! document's incremental tree and the base cache free of locks, and a check of one file is
//! milliseconds, so nothing needs to run concurrently. This crate holds no rule logic: it
//! asks `debtctl_linter` to check a document, `debtctl_workspace` for settings, and the
//! gate's own functions (`debtctl_gate`, `debtctl_ledger`) for the base side.

mod actions;
mod analysis;
mod document;
mod server;

pub use document::{Document, Encoding, Lines};

/// How the server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `shutdown` then `exit`: exit status 0.
    Clean,
    /// `exit` without `shutdown`, or the client went away: exit status 1, as LSP asks.
    WithoutShutdown,
}

/// Why the server could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("language server protocol: {0}")]
    Protocol(String),
    #[error("language server: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs the server on stdin and stdout until the client says `exit`.
pub fn run_stdio() -> Result<Ended, ServerError> {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let ended = server::serve(&connection)?;
    drop(connection);
    // After `exit` the reader thread has stopped; when the client vanished it has too.
    io_threads.join()?;
    Ok(ended)
}
