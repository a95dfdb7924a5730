//! The `debtctl` command line: parses arguments, runs a command, prints, and exits with
//! 0 (nothing to report), 1 (findings) or 2 (could not run). Errors are one line on stderr.
//!
//! A library so that two binaries share it: `debtctl` (this package) and
//! `debtctl-pre-commit` (the repository's root package, which the pre-commit framework's
//! `language: rust` builds with `cargo install --path .`).

mod args;
mod commands;
mod custom_cmd;
mod export_cmd;
mod gate_cmd;
mod ledger_cmd;
mod printer;

/// The JSON of `debtctl test-rules --format json`, public for the schema test.
pub use custom_cmd::TestRulesReport;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// How a command ended.
pub enum Status {
    Clean,
    Findings,
}

/// Runs the command line of the process and returns its exit status.
pub fn main() -> ExitCode {
    // A panic is a bug of ours; say so in one line instead of a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let _ = writeln!(std::io::stderr(), "debtctl: internal error{at}: {what}");
    }));
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(Status::Clean) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {}", one_line(&err));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, each thing said once: a cause that an earlier
/// part already says (as `cannot read x: no such file or directory` says its I/O error)
/// is left out.
fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let s = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => debtctl_workspace::io_reason(io),
            None => cause.to_string(),
        };
        let s = s.replace('\n', " ");
        let folded = s.to_lowercase();
        if !parts.iter().any(|p| p.to_lowercase().contains(&folded)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}
