use crate::args::{Cli, Command, ExplainArgs, Format, ListFormat, RulesArgs, ScanArgs};
use crate::printer;
use crate::Status;
use anyhow::{bail, Context, Result};
use debtctl_diagnostics::Applicability;
use debtctl_linter::registry::all_meta;
use debtctl_linter::Rule;
use debtctl_workspace::cache::{default_cache_dir, Cache};
use debtctl_workspace::discovery::discover;
use debtctl_workspace::engine::scan as run_scan;
use debtctl_workspace::fixer;
use debtctl_workspace::{Overrides, Settings};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

pub fn run(cli: Cli) -> Result<Status> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Fix(mut args) => {
            args.fix = true;
            scan(args)
        }
        Command::Rules(args) => rules(args),
        Command::Explain(args) => explain(args),
        Command::Record(args) => crate::ledger_cmd::record(args),
        Command::History(args) => crate::ledger_cmd::history(args),
        Command::Export(args) => crate::export_cmd::run(args),
        Command::Gate(args) => crate::gate_cmd::gate(args),
        Command::InstallHook(args) => crate::gate_cmd::install_hook(args),
        Command::Server(_) => match debtctl_server::run_stdio()? {
            debtctl_server::Ended::Clean => Ok(Status::Clean),
            // LSP: `exit` without `shutdown` ends with status 1.
            debtctl_server::Ended::WithoutShutdown => Ok(Status::Findings),
        },
    }
}

fn scan(args: ScanArgs) -> Result<Status> {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let overrides = Overrides {
        config: args.common.config.clone(),
        select: args.common.select.clone(),
        ignore: args.common.ignore.clone(),
        exclude: args.exclude.clone(),
        report_unused_suppressions: args.report_unused_suppressions,
        fail_on: args.fail_on.map(Into::into),
    };
    let settings = Settings::resolve(&paths[0], &overrides)?;
    let threads = match args.jobs {
        Some(0) => bail!("--jobs must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let files = discover(&paths, &settings, threads)?;
    let mut fixed = std::collections::BTreeMap::new();
    if args.fix || args.diff {
        let min = if args.unsafe_fixes { Applicability::Unsafe } else { Applicability::Safe };
        let plan = fixer::plan(&files, &settings, min, threads);
        let mut err = std::io::stderr().lock();
        for (rule, n) in &plan.rejected {
            writeln!(err, "warning: {n} {rule} fix(es) dropped: the result did not parse")?;
        }
        if args.diff {
            let mut out = BufWriter::new(std::io::stdout().lock());
            let mut count = 0;
            for f in &plan.files {
                out.write_all(fixer::unified_diff(f).as_bytes())?;
                count += f.applied.values().sum::<u32>();
            }
            out.flush()?;
            if !args.common.quiet {
                let files = plan.files.len();
                let (fx, fl) =
                    (if count == 1 { "fix" } else { "fixes" }, if files == 1 { "file" } else { "files" });
                writeln!(err, "Would apply {count} {fx} to {files} {fl}.")?;
            }
            return Ok(if plan.files.is_empty() { Status::Clean } else { Status::Findings });
        }
        for f in &plan.files {
            match fixer::write(f) {
                Ok(()) => {
                    for (rule, n) in &f.applied {
                        *fixed.entry(rule.to_string()).or_insert(0u64) += u64::from(*n);
                    }
                }
                Err(e) => writeln!(err, "warning: {}: {e}", f.shown)?,
            }
        }
    }
    let mut cache = (!args.no_cache).then(|| {
        let dir = args.cache_dir.clone().unwrap_or_else(|| default_cache_dir(&settings.root));
        Cache::open(&dir, settings.linter.cache_key())
    });
    let mut outcome = run_scan(&files, &settings, cache.as_mut(), threads);
    outcome.summary.fixed = fixed;
    if let Some(cache) = &cache {
        cache.save();
    }

    if !args.common.quiet {
        let mut err = std::io::stderr().lock();
        for w in &outcome.warnings {
            let _ = writeln!(err, "warning: {}: {}", w.path, w.message);
        }
    }

    let stdout = anstream::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.common.format {
        Format::Text => printer::text::print(&mut out, &outcome, args.common.quiet)?,
        Format::Json => printer::json::print(&mut out, &outcome)?,
        Format::Sarif => printer::sarif::print(&mut out, &outcome, &settings)?,
        Format::Github => printer::github::print(&mut out, &outcome)?,
    }
    out.flush()?;

    let failing = outcome.findings.iter().any(|f| f.severity >= settings.fail_on);
    Ok(if failing && !args.common.exit_zero { Status::Findings } else { Status::Clean })
}

fn rules(args: RulesArgs) -> Result<Status> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    match args.format {
        ListFormat::Json => {
            let list: Vec<_> = all_meta().iter().map(printer::rule_json).collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let width = all_meta().iter().map(|m| m.id.len()).max().unwrap_or(0);
            for m in all_meta() {
                let fix = match m.fix {
                    Some(a) => format!(" [fix: {}]", printer::applicability_name(a)),
                    None => String::new(),
                };
                writeln!(
                    out,
                    "{:width$}  {:7}  {:>3} min  {}{}",
                    m.id,
                    m.severity.as_str(),
                    m.debt_minutes,
                    m.summary,
                    fix
                )?;
            }
        }
    }
    out.flush()?;
    Ok(Status::Clean)
}

fn explain(args: ExplainArgs) -> Result<Status> {
    let rule = Rule::from_id(&args.rule)
        .with_context(|| format!("unknown rule `{}` (see `debtctl rules`)", args.rule))?;
    let meta = rule.meta();
    let mut out = BufWriter::new(std::io::stdout().lock());
    match args.format {
        ListFormat::Json => {
            let mut v = printer::rule_json(meta);
            v["documentation"] = serde_json::Value::String(meta.doc.to_string());
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let fix = meta.fix.map_or("none", printer::applicability_name);
            writeln!(out, "{} ({}, {} min, fix: {})\n", meta.id, meta.severity, meta.debt_minutes, fix)?;
            out.write_all(meta.doc.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(Status::Clean)
}

/// The repository root above the current directory; not being in one is an error.
pub(crate) fn repository_root() -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    debtctl_workspace::settings::repo_root(&cwd)
        .with_context(|| format!("not a git repository (or any parent directory): {}", cwd.display()))
}

/// `--db`/`DEBTCTL_DB`, else `.debtctl/ledger.sqlite` at the root (with its `.gitignore`
/// written when `create` is set).
pub(crate) fn ledger_path(db: Option<PathBuf>, root: &std::path::Path, create: bool) -> Result<PathBuf> {
    match db {
        Some(p) if !p.as_os_str().is_empty() => Ok(p),
        _ => {
            if create {
                debtctl_ledger::ensure_debtctl_dir(root)?;
            }
            Ok(debtctl_ledger::default_db_path(root))
        }
    }
}
