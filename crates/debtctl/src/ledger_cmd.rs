//! `debtctl record` and `debtctl history`: commits analysed from git objects into the
//! SQLite ledger.

use crate::args::{HistoryArgs, RecordArgs};
use crate::commands::{ledger_path, repository_root};
use crate::Status;
use anyhow::Result;
use debtctl_ledger::{HistoryRange, Ledger, Progress};
use debtctl_workspace::{Overrides, Settings};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub fn record(args: RecordArgs) -> Result<Status> {
    let root = repository_root()?;
    let db = ledger_path(args.ledger.db, &root, true)?;
    let overrides = Overrides { config: args.ledger.config, ..Overrides::default() };
    let settings = Settings::resolve(&root, &overrides)?;
    let mut ledger = Ledger::open(&db)?;
    let outcome = ledger.record(&root, &args.rev, &settings)?;
    let mut err = std::io::stderr().lock();
    for (path, message) in &outcome.skipped {
        writeln!(err, "warning: {path}: {message}")?;
    }
    if let Some(first) = outcome.missing.first() {
        writeln!(
            err,
            "warning: {} file{} not analysed: the object database lacks the blob (a partial clone?), e.g. {first}",
            outcome.missing.len(),
            plural(outcome.missing.len())
        )?;
    }
    if !args.ledger.quiet {
        if outcome.already_recorded {
            writeln!(err, "{} is already recorded in {}", short(&outcome.sha), db.display())?;
        } else {
            writeln!(
                err,
                "Recorded {}: {} finding{} ({} files analysed, {} from the cache) in {}",
                short(&outcome.sha),
                outcome.findings,
                plural(outcome.findings),
                outcome.analysed,
                outcome.cached,
                db.display()
            )?;
        }
    }
    Ok(Status::Clean)
}

pub fn history(args: HistoryArgs) -> Result<Status> {
    let root = repository_root()?;
    let db = ledger_path(args.ledger.db, &root, true)?;
    let overrides = Overrides { config: args.ledger.config, ..Overrides::default() };
    let settings = Settings::resolve(&root, &overrides)?;
    let mut ledger = Ledger::open(&db)?;
    let range = HistoryRange {
        rev: args.rev,
        since: args.since,
        max_count: args.max_count.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
    };

    // A bar only for a person watching: stderr a terminal, and not --quiet.
    let bar = (!args.ledger.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} recording {pos}/{len} commits [{bar:30}] {eta} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar
    });
    let mut on_progress = |p: Progress<'_>| {
        let Some(bar) = &bar else { return };
        match p {
            Progress::Start { to_record, .. } => bar.set_length(to_record as u64),
            Progress::Commit { outcome } => {
                bar.set_message(short(&outcome.sha).to_string());
                bar.inc(1);
            }
        }
    };
    let result = ledger.history(&root, &range, &settings, &mut on_progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = result?;

    let mut err = std::io::stderr().lock();
    if !args.ledger.quiet {
        writeln!(
            err,
            "Recorded {} commit{} ({} of {} in the range already recorded; {} files analysed, {} from the cache) in {}",
            outcome.recorded,
            plural(outcome.recorded),
            outcome.already_recorded,
            outcome.commits,
            outcome.analysed,
            outcome.cached,
            db.display()
        )?;
    }
    for (path, message) in &outcome.skipped {
        writeln!(err, "warning: {path}: {message}")?;
    }
    if outcome.missing_blobs > 0 {
        writeln!(
            err,
            "warning: {} file{} in {} commit{} not analysed: the object database lacks the blob (a partial clone?)",
            outcome.missing_blobs,
            plural(outcome.missing_blobs),
            outcome.commits_missing_blobs,
            plural(outcome.commits_missing_blobs)
        )?;
    }
    if let Some(end) = &outcome.shallow_end {
        writeln!(err, "note: history ends at {end} (shallow clone)")?;
    }
    Ok(Status::Clean)
}
