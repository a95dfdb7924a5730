//! `debtctl-bench DIR [--select RULES] [--jobs N] [--runs N]`: times, on the same files and
//! the same number of threads,
//! - the bare tree-sitter parse of every file a scan would read (`parse`),
//! - the floor of any tree-sitter tool, as issue 12 defines it (`floor`): one process, one
//!   thread, that walks the tree, reads and parses the same files once, with no set-up
//!   beyond that (no settings, no discovery rules but `.gitignore`, hidden files and the
//!   default skipped directories, one parser per language, each tree dropped at once),
//! - a cold `debtctl scan --no-cache` (`cold scan`),
//! - a warm `debtctl scan` whose result cache is already filled (`warm scan`),
//!
//! each in its own child process, so that CPU time and peak memory are the process's own
//! (from `wait4`). Prints the median of `--runs` runs of each and the ratio cold/parse.
//!
//! Run it with `cargo run --release -p debtctl_bench -- DIR`; it uses the `debtctl` binary
//! beside its own (build it with `cargo build --release -p debtctl` first).

use anyhow::{bail, Context, Result};
use clap::Parser;
use debtctl_workspace::discovery::{discover, SKIPPED_DIRS};
use debtctl_workspace::{Overrides, Settings};
use rayon::prelude::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// The directory to scan.
    dir: PathBuf,
    /// Rules for the scan, as `debtctl scan --select`.
    #[arg(long, default_value = "ALL")]
    select: String,
    /// Threads for both the parse and the scan (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Runs of each measurement; the median is printed.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Internal: parse the files and exit (the child process of the `parse` measurement).
    #[arg(long, hide = true)]
    parse_only: bool,
    /// Internal: walk, read and parse on one thread and exit (the `floor` measurement).
    #[arg(long, hide = true)]
    floor_only: bool,
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: f64,
    cpu: f64,
    max_rss_mb: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if args.parse_only {
        return parse_only(&args, jobs);
    }
    if args.floor_only {
        return floor_only(&args);
    }
    let me = std::env::current_exe()?;
    let debtctl = me.with_file_name("debtctl");
    if !debtctl.is_file() {
        bail!("{} not found: run `cargo build --release -p debtctl` first", debtctl.display());
    }
    let cache = tempdir()?;
    let jobs_s = jobs.to_string();
    let dir = args.dir.to_string_lossy().to_string();
    let parse = measure(args.runs, || {
        let mut c = Command::new(&me);
        c.args([&dir, "--parse-only", "--jobs", &jobs_s, "--select", &args.select]);
        c
    })?;
    let floor = measure(args.runs, || {
        let mut c = Command::new(&me);
        c.args([&dir, "--floor-only"]);
        c
    })?;
    let scan_cmd = |cached: bool| {
        let mut c = Command::new(&debtctl);
        c.args([
            "scan",
            "--quiet",
            "--format",
            "json",
            "--exit-zero",
            "--jobs",
            &jobs_s,
            "--select",
            &args.select,
        ]);
        if cached {
            c.arg("--cache-dir").arg(&cache);
        } else {
            c.arg("--no-cache");
        }
        c.arg(&dir).stdout(std::process::Stdio::null());
        c
    };
    let cold = measure(args.runs, || scan_cmd(false))?;
    // Fill the cache once, then measure runs that find everything in it.
    run_child(scan_cmd(true))?;
    let warm = measure(args.runs, || scan_cmd(true))?;
    let _ = std::fs::remove_dir_all(&cache);

    println!("corpus: {dir}  threads: {jobs}  select: {}  runs: {} (medians)", args.select, args.runs);
    for (name, s) in [("floor", floor), ("parse", parse), ("cold scan", cold), ("warm scan", warm)] {
        println!(
            "{name:>10}: wall {:7.3} s   cpu {:7.3} s   peak rss {:7.1} MB",
            s.wall, s.cpu, s.max_rss_mb
        );
    }
    println!("cold scan / parse: cpu {:.2}x   wall {:.2}x", cold.cpu / parse.cpu, cold.wall / parse.wall);
    println!("cold scan / floor: cpu {:.2}x   wall {:.2}x", cold.cpu / floor.cpu, cold.wall / floor.wall);
    Ok(())
}

/// What the `parse` measurement does: discover like a scan, read, parse, drop.
fn parse_only(args: &Args, jobs: usize) -> Result<()> {
    let overrides = Overrides {
        select: Some(args.select.split(',').map(str::to_string).collect()),
        ..Overrides::default()
    };
    let settings = Settings::resolve(&args.dir, &overrides)?;
    let files = discover(std::slice::from_ref(&args.dir), &settings, jobs)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let parsed: usize = pool.install(|| {
        files
            .par_iter()
            .filter_map(|f| {
                let text = std::fs::read_to_string(&f.path).ok()?;
                debtctl_syntax::parse(f.lang, &text).map(|t| t.root_node().child_count())
            })
            .count()
    });
    eprintln!("parsed {parsed} of {} files", files.len());
    Ok(())
}

/// The floor (issue 12): one thread walks `dir` (hidden files, `.gitignore` and the
/// directories a scan skips left out), reads each file a scan reads (every language: a
/// scan parses the files of the languages `--select` does not name too, as `parse` does)
/// and parses it with one tree-sitter parser per language, dropping each tree at once.
fn floor_only(args: &Args) -> Result<()> {
    let mut parsers: Vec<(debtctl_syntax::Language, tree_sitter::Parser)> = Vec::new();
    let (mut parsed, mut bytes) = (0usize, 0usize);
    let walk = ignore::WalkBuilder::new(&args.dir)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name().to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n)))
        })
        .build();
    for entry in walk.flatten() {
        let Some(lang) = debtctl_syntax::Language::from_path(entry.path()) else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        let parser = match parsers.iter_mut().position(|(l, _)| *l == lang) {
            Some(i) => &mut parsers[i].1,
            None => {
                let grammar: tree_sitter::Language = match lang {
                    debtctl_syntax::Language::Go => tree_sitter_go::LANGUAGE.into(),
                    debtctl_syntax::Language::Python => tree_sitter_python::LANGUAGE.into(),
                    debtctl_syntax::Language::Yaml | debtctl_syntax::Language::HelmTemplate => {
                        tree_sitter_yaml::LANGUAGE.into()
                    }
                    debtctl_syntax::Language::GoMod => continue,
                };
                let mut p = tree_sitter::Parser::new();
                p.set_language(&grammar)?;
                parsers.push((lang, p));
                &mut parsers.last_mut().expect("just pushed").1
            }
        };
        if parser.parse(&text, None).is_some() {
            parsed += 1;
            bytes += text.len();
        }
    }
    eprintln!("floor: parsed {parsed} files, {bytes} bytes");
    Ok(())
}

fn measure(runs: usize, make: impl Fn() -> Command) -> Result<Sample> {
    let mut samples = Vec::new();
    for _ in 0..runs.max(1) {
        samples.push(run_child(make())?);
    }
    let median = |f: fn(&Sample) -> f64| {
        let mut v: Vec<f64> = samples.iter().map(f).collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    Ok(Sample { wall: median(|s| s.wall), cpu: median(|s| s.cpu), max_rss_mb: median(|s| s.max_rss_mb) })
}

/// Runs a child to completion and reads its own resource usage with `wait4`.
fn run_child(mut cmd: Command) -> Result<Sample> {
    let start = Instant::now();
    let child = cmd.stderr(std::process::Stdio::null()).spawn().context("spawning the child")?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 writes only into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; the pointers are valid.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    if rc != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) > 1 {
        bail!("{cmd:?} failed with status {status}");
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Sample {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        max_rss_mb: usage.ru_maxrss as f64 / 1024.0,
    })
}

fn tempdir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("debtctl-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
