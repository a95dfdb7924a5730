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
use std::io::{BufWriter, Read, Write};
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
        Command::TestRules(args) => crate::custom_cmd::test_rules(args),
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
    let stdin_path = stdin_path(&args)?;
    let paths = match &stdin_path {
        Some(p) => vec![p.clone()],
        None if args.paths.is_empty() => vec![PathBuf::from(".")],
        None => args.paths.clone(),
    };
    if args.statistics && !matches!(args.common.format, Format::Text | Format::Json) {
        bail!("--statistics prints text or JSON, not --format {}", format_name(args.common.format));
    }
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
    let mut stdin_text = None;
    let outcome = if let Some(path) = &stdin_path {
        let lang = debtctl_workspace::stdin::language_of(path).with_context(|| {
            format!(
                "cannot analyse {} from stdin: debtctl reads .go, go.mod, .py, .pyi, .yaml and .yml files",
                path.display()
            )
        })?;
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes).context("cannot read stdin")?;
        let outcome = debtctl_workspace::stdin::scan_text(path, lang, &bytes, &settings);
        stdin_text = Some(String::from_utf8_lossy(&bytes).trim_start_matches('\u{feff}').to_string());
        outcome
    } else {
        let files = discover(&paths, &settings, threads)?;
        let fixed = if args.fix || args.diff {
            match fix_files(&args, &files, &settings, threads)? {
                Fixing::Written(fixed) => fixed,
                Fixing::Diff(status) => return Ok(status),
            }
        } else {
            Default::default()
        };
        let mut cache = (!args.no_cache).then(|| {
            let dir = args.cache_dir.clone().unwrap_or_else(|| default_cache_dir(&settings.root));
            Cache::open(&dir, settings.linter.cache_key())
        });
        let mut outcome = run_scan(&files, &settings, cache.as_mut(), threads);
        outcome.summary.fixed = fixed;
        if let Some(cache) = &cache {
            cache.save();
        }
        outcome
    };

    if !args.common.quiet {
        let mut err = std::io::stderr().lock();
        // A closed stderr is no reason to fail the run.
        let _ = printer::text::warnings(&mut err, &outcome);
        if args.fix && !args.unsafe_fixes {
            // `debtctl fix` that left fixes unapplied says how to apply them.
            let unsafe_left = printer::text::FixCounts::of(&outcome.findings).unsafe_;
            if unsafe_left > 0 {
                let applied: u64 = outcome.summary.fixed.values().sum();
                let what = if applied == 0 { "no safe fixes to apply" } else { "safe fixes applied" };
                let more = if unsafe_left == 1 {
                    "1 more finding".to_string()
                } else {
                    format!("{unsafe_left} more findings")
                };
                let _ = writeln!(
                    err,
                    "note: {what}; `debtctl fix --unsafe` would fix {more} (unsafe fixes may change behaviour)"
                );
            }
        }
    }

    let stdout = anstream::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let stdin_source = stdin_text.as_deref().zip(outcome.findings.first().map(|f| f.path.as_str()));
    match (args.common.format, args.statistics) {
        (Format::Text, true) => printer::text::statistics(&mut out, &outcome, args.common.quiet)?,
        (Format::Json, true) => printer::json::statistics(&mut out, &outcome)?,
        (Format::Text, false) => printer::text::print(&mut out, &outcome, args.common.quiet, stdin_source)?,
        (Format::Concise, _) => printer::text::concise(&mut out, &outcome, args.common.quiet)?,
        (Format::Json, false) => printer::json::print(&mut out, &outcome)?,
        (Format::Sarif, _) => printer::sarif::print(&mut out, &outcome, &settings)?,
        (Format::Github, _) => printer::github::print(&mut out, &outcome)?,
    }
    out.flush()?;

    let failing = outcome.findings.iter().any(|f| f.severity >= settings.fail_on);
    Ok(if failing && !args.common.exit_zero { Status::Findings } else { Status::Clean })
}

/// `--stdin-filename PATH` with `-` as the only path: the file stdin stands for.
fn stdin_path(args: &ScanArgs) -> Result<Option<PathBuf>> {
    let dash = args.paths.iter().any(|p| p.as_os_str() == "-");
    match &args.stdin_filename {
        None if dash => bail!("`-` reads stdin: pass --stdin-filename PATH to say which file it is"),
        None => Ok(None),
        Some(_) if args.paths.iter().any(|p| p.as_os_str() != "-") => {
            bail!("--stdin-filename analyses stdin: give `-` as the only path")
        }
        Some(_) if args.fix || args.diff => {
            bail!("--stdin-filename does not fix: run `debtctl fix` on the file")
        }
        Some(p) if p.as_os_str().is_empty() => bail!("--stdin-filename needs a path"),
        Some(p) => Ok(Some(p.clone())),
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::Concise => "concise",
        Format::Json => "json",
        Format::Sarif => "sarif",
        Format::Github => "github",
    }
}

/// What `fix_files` did.
enum Fixing {
    /// `--diff` printed the diff; the status says whether there was one.
    Diff(Status),
    /// Fixes written, per rule.
    Written(std::collections::BTreeMap<String, u64>),
}

/// `fix` and `--diff`: applies the fixes, or prints them as a diff.
fn fix_files(
    args: &ScanArgs,
    files: &[debtctl_workspace::discovery::SourceFile],
    settings: &Settings,
    threads: usize,
) -> Result<Fixing> {
    let min = if args.unsafe_fixes { Applicability::Unsafe } else { Applicability::Safe };
    let plan = fixer::plan(files, settings, min, threads);
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
            let changed = plan.files.len();
            let (fx, fl) =
                (if count == 1 { "fix" } else { "fixes" }, if changed == 1 { "file" } else { "files" });
            write!(err, "Would apply {count} {fx} to {changed} {fl}.")?;
            if !args.unsafe_fixes {
                let unsafe_plan = fixer::plan(files, settings, Applicability::Unsafe, threads);
                let all: u32 = unsafe_plan.files.iter().flat_map(|f| f.applied.values()).sum();
                if all > count {
                    write!(err, " `--unsafe` would apply {} more.", all - count)?;
                }
            }
            writeln!(err)?;
        }
        return Ok(Fixing::Diff(if plan.files.is_empty() { Status::Clean } else { Status::Findings }));
    }
    let mut fixed = std::collections::BTreeMap::new();
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
    Ok(Fixing::Written(fixed))
}

fn rules(args: RulesArgs) -> Result<Status> {
    let settings = crate::custom_cmd::settings(args.config.clone())?;
    let custom = crate::custom_cmd::listed(&settings.custom);
    let mut out = BufWriter::new(std::io::stdout().lock());
    match args.format {
        ListFormat::Json => {
            let mut list: Vec<_> = all_meta().iter().map(printer::rule_json).collect();
            list.extend(custom.iter().map(|r| r.json()));
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let ids = all_meta().iter().map(|m| m.id).chain(custom.iter().map(|r| r.info.id.as_str()));
            let width = ids.map(str::len).max().unwrap_or(0);
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
            // After the built-ins, as the registry and the config list them.
            for r in &custom {
                let fix = r.fix().map(|a| format!(" [fix: {a}]")).unwrap_or_default();
                writeln!(
                    out,
                    "{:width$}  {:7}  {:>3} min  {}{}  [custom: {}]",
                    r.info.id,
                    r.severity(),
                    r.info.debt_minutes,
                    r.summary(),
                    fix,
                    r.file()
                )?;
            }
        }
    }
    out.flush()?;
    Ok(Status::Clean)
}

fn explain(args: ExplainArgs) -> Result<Status> {
    let settings = crate::custom_cmd::settings(args.config.clone())?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let custom = crate::custom_cmd::listed(&settings.custom);
    if let Some(rule) = custom.iter().find(|r| r.info.id == args.rule) {
        crate::custom_cmd::explain(rule, args.format, &mut out)?;
        out.flush()?;
        return Ok(Status::Clean);
    }
    let rule = Rule::from_id(&args.rule).with_context(|| {
        format!(
            "unknown rule `{}`{} (see `debtctl rules`)",
            args.rule,
            crate::custom_cmd::did_you_mean(&args.rule, &settings.custom)
        )
    })?;
    let meta = rule.meta();
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
