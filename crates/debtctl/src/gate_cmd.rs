//! `debtctl gate` and `debtctl install-hook`.

use crate::args::{Format, GateArgs, InstallHookArgs};
use crate::commands::ledger_path;
use crate::printer;
use crate::Status;
use anyhow::{Context, Result};
use debtctl_diagnostics::{Finding, Severity};
use debtctl_gate::{Base, GateOutcome, Head, Policy, Verdict};
use debtctl_ledger::{BlobCache, Ledger, MemoryCache};
use debtctl_workspace::{Overrides, Settings};
use git2::Repository;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Everything the printers need about one gate run.
pub struct GateRun {
    pub base: Base,
    pub head: Head,
    pub outcome: GateOutcome,
    pub policy: Policy,
    pub verdict: Verdict,
    /// The findings lists with paths as users see them (relative to the current directory).
    pub new: Vec<Finding>,
    pub unchanged: Vec<Finding>,
    pub fixed: Vec<Finding>,
    pub findings: Vec<Finding>,
}

/// The repository around the current directory, as git would find it (honouring
/// `GIT_DIR`), with the index git names in `GIT_INDEX_FILE`: `git commit -a` and
/// `git commit PATH` run the pre-commit hook on a temporary index.
fn open_repository() -> Result<Repository> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let repo = Repository::open_from_env()
        .map_err(|_| debtctl_gate::GateError::NotARepository { path: cwd.clone() })?;
    if let Some(file) = std::env::var_os("GIT_INDEX_FILE").filter(|f| !f.is_empty()) {
        let path = cwd.join(file);
        let mut index =
            git2::Index::open(&path).with_context(|| format!("cannot read the index {}", path.display()))?;
        repo.set_index(&mut index)?;
    }
    Ok(repo)
}

/// The blob cache: the ledger, created when absent; a cache in memory when it cannot be
/// opened or written (a read-only checkout is not an error).
enum Cache {
    Ledger(Box<Ledger>),
    Memory(Box<MemoryCache>),
}

impl Cache {
    fn open(db: Option<PathBuf>, root: &Path, no_cache: bool) -> Cache {
        if no_cache {
            return Cache::Memory(Box::default());
        }
        match ledger_path(db, root, true).ok().and_then(|p| Ledger::open(&p).ok()) {
            Some(ledger) => Cache::Ledger(Box::new(ledger)),
            None => Cache::Memory(Box::default()),
        }
    }

    fn as_dyn(&self) -> &dyn BlobCache {
        match self {
            Cache::Ledger(l) => l.as_ref(),
            Cache::Memory(m) => m.as_ref(),
        }
    }

    /// Writes what was computed; a cache that cannot be written is only a missed speed-up.
    fn flush(self) {
        if let Cache::Ledger(mut l) = self {
            let _ = l.flush_cache();
        }
    }
}

pub fn gate(args: GateArgs) -> Result<Status> {
    let repo = open_repository()?;
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .context("the gate needs a working tree; this repository is bare")?;
    let overrides = Overrides {
        config: args.common.config.clone(),
        select: args.common.select.clone(),
        ignore: args.common.ignore.clone(),
        ..Overrides::default()
    };
    let settings = Settings::resolve(&root, &overrides)?;
    let gate_config = &settings.gate;
    let policy = Policy {
        fail_on: args
            .fail_on
            .map(Into::into)
            .or(gate_config.fail_on.map(Into::into))
            .unwrap_or(Severity::Warning),
        budget_minutes: args.budget.or(gate_config.budget).unwrap_or(0),
    };
    let base = debtctl_gate::resolve_base(&repo, args.base.as_deref(), gate_config.base.as_deref())?;
    let head = match (&args.head, args.staged) {
        (Some(rev), _) => Head::Rev(rev.clone()),
        (None, true) => Head::Index,
        (None, false) => Head::WorkDir,
    };

    let cache = Cache::open(args.db.clone(), &root, args.no_cache);
    let outcome = debtctl_gate::run(&repo, &base, &head, &settings, cache.as_dyn())?;
    cache.flush();

    if !args.common.quiet {
        let mut err = std::io::stderr().lock();
        for (path, message) in &outcome.skipped {
            writeln!(err, "warning: {path}: {message}")?;
        }
        for path in &outcome.missing {
            writeln!(
                err,
                "warning: {path}: not in the object database (a partial clone?); left out of the comparison"
            )?;
        }
    }
    let verdict = outcome.comparison.verdict(&policy);
    let cwd = std::env::current_dir().unwrap_or_else(|_| root.clone());
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (root_c, cwd_c) = (canonical(&root), canonical(&cwd));
    let shown = |fs: &[Finding]| -> Vec<Finding> {
        fs.iter().map(|f| Finding { path: display_path(&root_c, &cwd_c, &f.path), ..f.clone() }).collect()
    };
    let run = GateRun {
        new: shown(&outcome.comparison.new),
        unchanged: shown(&outcome.comparison.unchanged),
        fixed: shown(&outcome.comparison.fixed),
        findings: shown(&outcome.head_findings),
        base,
        head,
        outcome,
        policy,
        verdict,
    };

    if let Some(path) = &args.summary {
        write_atomically(path, printer::gate::markdown(&run).as_bytes())
            .with_context(|| format!("cannot write the summary {}", path.display()))?;
    }
    let stdout = anstream::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.common.format {
        Format::Text => printer::gate::text(&mut out, &run, args.common.quiet, false)?,
        Format::Concise => printer::gate::text(&mut out, &run, args.common.quiet, true)?,
        Format::Json => printer::gate::json(&mut out, &run)?,
        Format::Sarif => printer::gate::sarif(&mut out, &run, &settings)?,
        Format::Github => printer::gate::github(&mut out, &run)?,
    }
    out.flush()?;
    Ok(if run.verdict.passed || args.common.exit_zero { Status::Clean } else { Status::Findings })
}

/// A repository path as users see it: relative to the current directory when the file
/// lies below it, else absolute; always with `/`. Both directories are canonical.
fn display_path(root: &Path, cwd: &Path, rel: &str) -> String {
    let abs = root.join(rel);
    match abs.strip_prefix(cwd) {
        Ok(p) => p.to_string_lossy().replace('\\', "/"),
        Err(_) => abs.to_string_lossy().replace('\\', "/"),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".debtctl-summary").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

pub fn install_hook(args: InstallHookArgs) -> Result<Status> {
    let repo = open_repository()?;
    let exe = std::env::current_exe().context("cannot tell where this debtctl is")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let done = debtctl_gate::hook::install_pre_commit(&repo, &exe, args.force)?;
    let mut err = std::io::stderr().lock();
    if let Some(backup) = &done.backup {
        writeln!(err, "Kept the previous hook as {}", backup.display())?;
    }
    let verb = if done.replaced_ours { "Updated" } else { "Installed" };
    writeln!(
        err,
        "{verb} {}: each commit now runs `debtctl gate --staged --base HEAD` (skip once with --no-verify)",
        done.path.display()
    )?;
    Ok(Status::Clean)
}
