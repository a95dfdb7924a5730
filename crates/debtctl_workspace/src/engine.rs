//! The scan itself: read each discovered file once, skip what cannot or should not be
//! analysed (counted, with a warning), check the rest in parallel, and merge.

use crate::cache::{content_hash, Cache};
use crate::discovery::SourceFile;
use crate::go_api::{scan_used_imports, GoPackages};
use crate::settings::Settings;
use debtctl_diagnostics::{Finding, Summary};
use debtctl_linter::{
    check_go_file, check_source, is_generated, FileResult, PackageFacts, PackageFile, Selection,
};
use debtctl_syntax::{parse, Language};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

/// Files larger than this are skipped with a warning: generated bundles, data dumps.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Why a file was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    Unreadable,
    TooLarge,
    Binary,
    InvalidUtf8,
    Generated,
    /// Beyond what the grammar's external scanner can hold ([`debtctl_syntax::guard`]):
    /// nested too deep, or a YAML document of more lines than tree-sitter-yaml counts.
    TooDeep,
    /// A rule panicked on the file: a bug of ours, reported instead of aborting the scan.
    InternalError,
}

#[derive(Debug, Clone)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub warnings: Vec<Warning>,
    /// Files analysed although they do not fully parse, with the line of the first error
    /// where known; the command line names them, grouped when there are many.
    pub syntax_errors: Vec<(String, Option<u32>)>,
}

enum FileOutcome {
    Checked {
        result: FileResult,
        /// Where to cache the result: the shown path, the content key and the file's rules
        /// (boxed: a selection holds the custom rules' indices).
        cache: Option<(String, u64, Box<Selection>)>,
    },
    Skipped {
        reason: SkipReason,
        message: String,
    },
    /// A package file between reading and checking; never leaves the package stage.
    Pending,
}

/// How a path is shown: relative to the current directory when below it, else as given;
/// always with `/`.
pub fn display_path(path: &Path, cwd: Option<&Path>) -> String {
    let shown = match cwd {
        Some(cwd) => {
            let abs = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
            let abs = normalize(&abs);
            abs.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
        }
        None => path.to_path_buf(),
    };
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Removes `.` and resolves `..` lexically, without touching the file system.
fn normalize(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Scans `files` on a pool of `threads` threads, with the result cache when given.
pub fn scan(
    files: &[SourceFile],
    settings: &Settings,
    cache: Option<&mut Cache>,
    threads: usize,
) -> ScanOutcome {
    let mut go = GoPackages::from_env();
    if let Some(cache) = &cache {
        go = go.with_facts_cache(cache.dir().join("go-facts"));
    }
    scan_with(files, settings, cache, threads, &Arc::new(go))
}

/// [`scan`], with the imported Go packages found in `go`'s locations.
pub fn scan_with(
    files: &[SourceFile],
    settings: &Settings,
    cache: Option<&mut Cache>,
    threads: usize,
    go: &Arc<GoPackages>,
) -> ScanOutcome {
    let cwd = std::env::current_dir().ok();
    let cache_ref = cache.as_deref();
    // Go files are checked per directory (one package unit), everything else per file.
    let parallel = threads > 1;
    // Tests are left for later only in one job, where the units run in their order.
    let units = units(&checked(files, settings), go, !parallel);
    let deferred: Mutex<HashMap<PathBuf, Deferred>> = Mutex::default();
    let check_unit = |unit: &Unit<'_>| -> Vec<(String, FileOutcome)> {
        match unit {
            Unit::File(file) => {
                let shown = display_path(&file.path, cwd.as_deref());
                let outcome = check_one(file, &shown, settings, cache_ref);
                vec![(shown, outcome)]
            }
            Unit::GoPackage { files, tests_later } => {
                let stage = PackageStage { settings, cache: cache_ref, go, parallel };
                let later = tests_later.then_some(&deferred);
                check_go_package(files, cwd.as_deref(), &stage, later)
            }
            Unit::GoTests(dir) => {
                let stage = PackageStage { settings, cache: cache_ref, go, parallel };
                let taken = deferred.lock().unwrap_or_else(|e| e.into_inner()).remove(dir);
                taken.map(|d| check_deferred_tests(dir, d, &stage)).unwrap_or_default()
            }
        }
    };
    // One job runs on this thread: a pool's worker would grow its own malloc arena a page
    // at a time (an mprotect call per page), where this thread's heap grows in large steps.
    let pool = parallel.then(|| rayon::ThreadPoolBuilder::new().num_threads(threads).build().ok()).flatten();
    let outcomes: Vec<(String, FileOutcome)> = match pool {
        Some(pool) => pool.install(|| units.par_iter().flat_map_iter(check_unit).collect()),
        None => units.iter().flat_map(check_unit).collect(),
    };

    let mut out = ScanOutcome::default();
    let mut fresh = Vec::new();
    for (shown, outcome) in outcomes {
        match outcome {
            FileOutcome::Checked { result, cache } => {
                out.summary.files += 1;
                out.summary.parse_errors += u64::from(result.parse_error);
                if result.parse_error {
                    // Named, so that a user can find the file the summary counts.
                    out.syntax_errors.push((shown.clone(), result.parse_error_line));
                }
                out.summary.suppressed += u64::from(result.suppressed);
                if let Some((key, hash, rules)) = cache {
                    fresh.push((key, hash, rules, result.clone()));
                }
                out.findings.extend(result.findings);
            }
            FileOutcome::Pending => unreachable!("the package stage resolves every file"),
            FileOutcome::Skipped { reason, message } => {
                let skipped = &mut out.summary.skipped;
                match reason {
                    SkipReason::Generated => skipped.generated += 1,
                    SkipReason::Binary => skipped.binary += 1,
                    SkipReason::InvalidUtf8 => skipped.invalid_utf8 += 1,
                    SkipReason::TooLarge => skipped.too_large += 1,
                    SkipReason::TooDeep => skipped.too_deep += 1,
                    SkipReason::Unreadable | SkipReason::InternalError => skipped.unreadable += 1,
                }
                if reason != SkipReason::Generated {
                    out.warnings.push(Warning { path: shown, message });
                }
            }
        }
    }
    let missing = go.missing();
    out.summary.go_packages_not_found = missing.len() as u64;
    out.summary.go_stdlib = go.stdlib();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(3).map(String::as_str).collect();
        let more = if missing.len() > 3 { ", ..." } else { "" };
        out.warnings.push(Warning {
            path: "go".to_string(),
            message: format!(
                "{} imported {} not found ({}{more}): calls into them are not checked; \
                 `go mod download` or `go mod vendor` gets them",
                missing.len(),
                if missing.len() == 1 { "package was" } else { "packages were" },
                shown.join(", ")
            ),
        });
    }
    if let Some(cache) = cache {
        for (key, hash, rules, result) in fresh {
            cache.insert(key, hash, &rules, result);
        }
    }
    out.findings
        .sort_by(|a, b| (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule)));
    out.syntax_errors.sort();
    out.summary.findings = out.findings.len() as u64;
    out.summary.debt_minutes = out.findings.iter().map(|f| u64::from(f.debt_minutes)).sum();
    out
}

/// The files a selected rule checks ([`Selection::checks`]); the others are not read:
/// `--select go/` reads and parses the Go files only. A Go file's siblings stay with it,
/// as the package's facts come from all of them.
fn checked<'a>(files: &'a [SourceFile], settings: &Settings) -> Vec<&'a SourceFile> {
    let checks = |f: &SourceFile| settings.selection_for(&f.path, f.lang).checks(f.lang);
    let go_dirs: std::collections::HashSet<&Path> = files
        .iter()
        .filter(|f| f.lang == Language::Go && checks(f))
        .filter_map(|f| f.path.parent())
        .collect();
    files
        .iter()
        .filter(|f| match f.lang {
            Language::Go => f.path.parent().is_some_and(|d| go_dirs.contains(d)),
            _ => checks(f),
        })
        .collect()
}

enum Unit<'a> {
    File(&'a SourceFile),
    /// The `.go` files of one directory; with `tests_later`, its tests are left to a
    /// [`Unit::GoTests`] further on.
    GoPackage {
        files: Vec<&'a SourceFile>,
        tests_later: bool,
    },
    /// The tests of the package in this directory, whose other files were checked before.
    GoTests(PathBuf),
}

/// A file read, with its place among the package stage's outcomes.
type Slotted = (usize, Loaded);

/// A package's tests left for later by its package stage: their files, read, and the
/// facts of the package's other files.
struct Deferred {
    tests: Vec<Slotted>,
    facts: PackageFacts,
    package_hash: u64,
}

/// The absolute directory of a package's files, which names it in the package stage.
fn package_dir(files: &[&SourceFile]) -> PathBuf {
    let dir = files.first().and_then(|f| f.path.parent()).map(Path::to_path_buf).unwrap_or_default();
    std::path::absolute(&dir).unwrap_or(dir)
}

/// Groups the Go files of each directory into one unit; other files stay alone. A package
/// comes after the scanned packages it imports, so that its index finds their facts given
/// by their own package stage ([`GoPackages::provide`]) instead of reading them again; with
/// `split`, a package's tests may come later than its other files (see [`order_packages`]).
fn units<'a>(files: &[&'a SourceFile], go: &GoPackages, split: bool) -> Vec<Unit<'a>> {
    let mut out = Vec::new();
    let mut packages: BTreeMap<&Path, Vec<&SourceFile>> = BTreeMap::new();
    for &file in files {
        if file.lang == Language::Go {
            packages.entry(file.path.parent().unwrap_or(Path::new(""))).or_default().push(file);
        } else {
            out.push(Unit::File(file));
        }
    }
    // Big packages first, so that the pool does not end on one long tail.
    let mut packages: Vec<_> = packages.into_values().collect();
    packages.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let dirs: Vec<PathBuf> = packages.iter().map(|p| package_dir(p)).collect();
    let deps = package_imports(&packages, &dirs, go);
    let mut slots: Vec<Option<Vec<&SourceFile>>> = packages.into_iter().map(Some).collect();
    for step in order_packages(&deps, split) {
        out.push(match step {
            Step::Package { index, tests_later } => {
                Unit::GoPackage { files: slots[index].take().unwrap_or_default(), tests_later }
            }
            Step::Tests(index) => Unit::GoTests(dirs[index].clone()),
        });
    }
    out
}

/// The scanned packages each package's files import: (by its other files, by its tests
/// only); `dirs` are the packages' directories. The imports are read from the first 8 KiB
/// of each file, where Go puts them: a miss only costs a package read twice.
fn package_imports(
    packages: &[Vec<&SourceFile>],
    dirs: &[PathBuf],
    go: &GoPackages,
) -> Vec<(Vec<usize>, Vec<usize>)> {
    use std::io::Read;
    let index: HashMap<&Path, usize> = dirs.iter().enumerate().map(|(i, d)| (d.as_path(), i)).collect();
    packages
        .iter()
        .zip(dirs)
        .map(|(files, dir)| {
            let mut by: [Vec<String>; 2] = Default::default();
            for f in files {
                let mut head = Vec::with_capacity(8192);
                let _ = std::fs::File::open(&f.path).and_then(|r| r.take(8192).read_to_end(&mut head));
                let test = f.path.to_str().is_some_and(|p| p.ends_with("_test.go"));
                by[usize::from(test)].extend(
                    scan_used_imports(utf8_prefix(&head))
                        .into_iter()
                        .filter(|i| !debtctl_linter::is_go_std(i)),
                );
            }
            let [plain, tests] = by.map(|mut imports| {
                imports.sort();
                imports.dedup();
                go.scanned_dirs(dir, &imports)
                    .iter()
                    .filter_map(|d| index.get(d.as_path()).copied())
                    .collect()
            });
            (plain, tests)
        })
        .collect()
}

/// The longest valid UTF-8 prefix of `bytes` (a file's head may end inside a character).
fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// One step of the package stages' order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Package { index: usize, tests_later: bool },
    Tests(usize),
}

/// The order of the package stages, given each package's scanned imports `(by its other
/// files, by its tests)`: each package after what it imports, depth-first from the
/// packages in their order (Go has no import cycle; a broken tree's ends, as a package is
/// marked before its imports are visited).
///
/// Tests may import what imports their package: `storage`'s tests import
/// `util/teststorage`, which imports `tsdb`, which imports `storage`. With `split`, a
/// package is placed by its other files' imports only, and its tests, where they import a
/// package placed after it, are checked on their own once that package is: nothing is read
/// twice. Without `split` (units run in parallel, in no fixed order) a package's tests stay
/// with it and its tests' imports order it too, where they close no cycle.
fn order_packages(deps: &[(Vec<usize>, Vec<usize>)], split: bool) -> Vec<Step> {
    fn visit(i: usize, deps: &[Vec<usize>], placed: &mut [bool], order: &mut Vec<usize>) {
        if std::mem::replace(&mut placed[i], true) {
            return;
        }
        for &d in &deps[i] {
            visit(d, deps, placed, order);
        }
        order.push(i);
    }
    let n = deps.len();
    let edges: Vec<Vec<usize>> = if split {
        deps.iter().map(|(plain, _)| plain.clone()).collect()
    } else {
        deps.iter().map(|(plain, tests)| plain.iter().chain(tests).copied().collect()).collect()
    };
    let (mut placed, mut order) = (vec![false; n], Vec::with_capacity(n));
    for i in 0..n {
        visit(i, &edges, &mut placed, &mut order);
    }
    if !split {
        return order.into_iter().map(|index| Step::Package { index, tests_later: false }).collect();
    }
    let mut position = vec![0; n];
    for (k, &i) in order.iter().enumerate() {
        position[i] = k;
    }
    // A package's tests run once the last package they import has been checked.
    let ready: Vec<usize> =
        (0..n).map(|i| deps[i].1.iter().map(|&d| position[d]).fold(position[i], usize::max)).collect();
    let mut waiting: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        if ready[i] > position[i] {
            waiting[ready[i]].push(i);
        }
    }
    let mut steps = Vec::with_capacity(n);
    for (k, &index) in order.iter().enumerate() {
        steps.push(Step::Package { index, tests_later: ready[index] > k });
        steps.extend(waiting[k].iter().map(|&i| Step::Tests(i)));
    }
    steps
}

/// A file read and checked for being text, before it is parsed.
struct Loaded {
    shown: String,
    text: String,
    hash: u64,
    generated: bool,
}

/// Reads a file (unless it is over the size limit) and hashes it for the cache; whether the
/// bytes can be analysed is [`decode`]'s to say.
fn load(file: &SourceFile) -> Result<(Vec<u8>, u64), FileOutcome> {
    let skip = |reason, message: String| FileOutcome::Skipped { reason, message };
    match std::fs::metadata(&file.path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return Err(skip(
                SkipReason::TooLarge,
                format!("skipped: {} bytes is over the {MAX_FILE_BYTES}-byte limit", m.len()),
            ))
        }
        Ok(_) => {}
        Err(e) => return Err(skip(SkipReason::Unreadable, format!("unreadable: {e}"))),
    }
    let bytes =
        std::fs::read(&file.path).map_err(|e| skip(SkipReason::Unreadable, format!("unreadable: {e}")))?;
    let hash = content_hash(&bytes);
    Ok((bytes, hash))
}

/// The text a file's bytes hold, without a byte-order mark; or why they are not analysed:
/// over the size limit, binary (a NUL byte in the first 8 KiB) or not UTF-8. Scan, fix and
/// the ledger all decide with this one function.
pub fn decode(bytes: &[u8]) -> Result<&str, (SkipReason, String)> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let message = format!("skipped: {} bytes is over the {MAX_FILE_BYTES}-byte limit", bytes.len());
        return Err((SkipReason::TooLarge, message));
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err((SkipReason::Binary, "skipped: binary file".to_string()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        (SkipReason::InvalidUtf8, format!("skipped: invalid UTF-8 at byte {}", e.valid_up_to()))
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The text of a file of language `lang`, or why it is not analysed: what [`decode`]
/// refuses, and a file its grammar's scanner cannot hold ([`debtctl_syntax::guard::check`]:
/// nested so deep that the parse would abort the process, or a YAML document too long to
/// parse at all). Scan, fix,
/// the ledger and the gate all decide with this one function.
pub fn analysable(lang: Language, bytes: &[u8]) -> Result<&str, (SkipReason, String)> {
    let text = decode(bytes)?;
    debtctl_syntax::guard::check(lang, text).map_err(|e| (SkipReason::TooDeep, format!("skipped: {e}")))?;
    Ok(text)
}

/// The package stage: every `.go` file of a directory is read and parsed once, the
/// package facts are computed once from all of them (generated files included: their
/// functions are called by the others), then each file is checked with the facts. The
/// cache keys each file on its own hash combined with the hash of all the package's
/// files, so a changed sibling invalidates the facts and every file's result, and with
/// the digest of the APIs it imports ([`GoPackages::digest`]), so a changed signature in
/// another package re-checks the packages that import it.
fn check_go_package(
    files: &[&SourceFile],
    cwd: Option<&Path>,
    stage: &PackageStage<'_>,
    tests_later: Option<&Mutex<HashMap<PathBuf, Deferred>>>,
) -> Vec<(String, FileOutcome)> {
    let (settings, cache, go) = (stage.settings, stage.cache, stage.go);
    let dir = package_dir(files);
    let mut out: Vec<(String, FileOutcome)> = Vec::with_capacity(files.len());
    let mut loaded: Vec<(usize, Loaded)> = Vec::with_capacity(files.len());
    for file in files {
        let shown = display_path(&file.path, cwd);
        match load(file) {
            Err(outcome) => out.push((shown, outcome)),
            Ok((bytes, hash)) => match analysable(Language::Go, &bytes) {
                Err((reason, message)) => out.push((shown, FileOutcome::Skipped { reason, message })),
                Ok(text) => {
                    let generated = is_generated(Language::Go, text);
                    out.push((shown.clone(), FileOutcome::Pending));
                    let slot = out.len() - 1;
                    loaded.push((slot, Loaded { shown, text: text.to_string(), hash, generated }));
                }
            },
        }
    }
    let package_hash = {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for (_, l) in &loaded {
            h.update(l.shown.as_bytes());
            h.update(&l.hash.to_le_bytes());
        }
        if cache.is_some() {
            // Blank imports are left out: no result depends on them, and a missing one is not
            // counted, as the parsed imports do not count it.
            let mut imports: Vec<String> =
                loaded.iter().flat_map(|(_, l)| scan_used_imports(&l.text)).collect();
            imports.sort();
            imports.dedup();
            h.update(&go.digest(&dir, &imports).to_le_bytes());
        }
        h.digest()
    };
    // All cached: nothing to parse.
    if let Some(cache) = cache {
        let hits: Option<Vec<FileResult>> = loaded
            .iter()
            .filter(|(_, l)| !l.generated)
            .map(|(_, l)| {
                let rules = settings.selection_for(Path::new(&l.shown), Language::Go);
                cache.get(&l.shown, cache_key(l, package_hash), &rules).cloned()
            })
            .collect();
        if let Some(hits) = hits {
            let mut hits = hits.into_iter();
            for (slot, l) in &loaded {
                out[*slot].1 = if l.generated {
                    generated_skip()
                } else {
                    FileOutcome::Checked { result: hits.next().expect("one hit per file"), cache: None }
                };
            }
            return out;
        }
    }
    // The package's files are checked in two rounds, its other files and then its tests:
    // each round's trees are held only until its files are checked (a package's trees are
    // the scan's peak memory), and the first round's facts are the package's API as other
    // packages see it (`GoPackages::provide`), tests aside, with nothing read twice. The
    // tests are checked with the facts of both rounds; the other files, which cannot name
    // what a test declares, with the first round's. The tests' round may be left for later
    // (`tests_later`), once what they import is checked.
    let (tests, plain): (Vec<Slotted>, Vec<Slotted>) =
        loaded.into_iter().partition(|(_, l)| l.shown.ends_with("_test.go"));
    let staged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut facts = PackageFacts::default();
        facts.has_tests = !tests.is_empty();
        // The package's index of other packages, made once for both rounds (each adds the
        // imports it reads to what the scan counts).
        facts.set_api(go.api(&dir, &[]));
        let first = check_round(&dir, &plain, Round::Plain, &mut facts, package_hash, stage);
        if tests_later.is_some() && !tests.is_empty() {
            return (first, None, Some(facts));
        }
        let second = check_round(&dir, &tests, Round::Tests, &mut facts, package_hash, stage);
        (first, Some(second), None)
    }));
    match staged {
        Ok((first, second, facts)) => {
            for ((slot, _), outcome) in plain.iter().zip(first) {
                out[*slot].1 = outcome;
            }
            if let Some(second) = second {
                for ((slot, _), outcome) in tests.iter().zip(second) {
                    out[*slot].1 = outcome;
                }
            }
            if let (Some(facts), Some(later)) = (facts, tests_later) {
                let deferred = Deferred { tests, facts, package_hash };
                later.lock().unwrap_or_else(|e| e.into_inner()).insert(dir, deferred);
                out.retain(|(_, o)| !matches!(o, FileOutcome::Pending));
            }
        }
        Err(panic) => {
            let outcome = internal_error(panic);
            for (slot, _) in plain.iter().chain(&tests) {
                out[*slot].1 = copy_skip(&outcome);
            }
        }
    }
    out
}

/// What every package stage of a scan shares.
struct PackageStage<'a> {
    settings: &'a Settings,
    cache: Option<&'a Cache>,
    go: &'a Arc<GoPackages>,
    /// Files of a round are parsed and checked in parallel.
    parallel: bool,
}

/// Which files a round of a package stage checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// The files that are not tests: their facts are the package's API.
    Plain,
    /// The tests, after the package's other files.
    Tests,
}

/// A file's key in the result cache: its own hash with its package's.
fn cache_key(l: &Loaded, package_hash: u64) -> u64 {
    l.hash ^ package_hash.rotate_left(17)
}

/// The tests a package stage left for later ([`Deferred`]), checked now.
fn check_deferred_tests(
    dir: &Path,
    deferred: Deferred,
    stage: &PackageStage<'_>,
) -> Vec<(String, FileOutcome)> {
    let Deferred { tests, mut facts, package_hash } = deferred;
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_round(dir, &tests, Round::Tests, &mut facts, package_hash, stage)
    }));
    let outcomes = checked.unwrap_or_else(|panic| {
        let outcome = internal_error(panic);
        tests.iter().map(|_| copy_skip(&outcome)).collect()
    });
    tests.into_iter().map(|(_, l)| l.shown).zip(outcomes).collect()
}

/// One round of a package stage: parses `files`, adds their declarations to `facts`,
/// checks them with the facts; their outcomes, in order.
fn check_round(
    dir: &Path,
    files: &[Slotted],
    round: Round,
    facts: &mut PackageFacts,
    package_hash: u64,
    stage: &PackageStage<'_>,
) -> Vec<FileOutcome> {
    let (settings, cache, go) = (stage.settings, stage.cache, stage.go);
    if files.is_empty() {
        return Vec::new();
    }
    let (trees, shortened): (Vec<_>, Vec<_>) = if stage.parallel {
        let parsed: (Vec<_>, Vec<_>) = files.par_iter().map(|(_, l)| parse_go(l)).unzip();
        for (((_, l), t), short) in files.iter().zip(&parsed.0).zip(&parsed.1) {
            facts.add(&[unit(l, t, short)]);
        }
        parsed
    } else {
        // Each file's declarations are read right after its parse, while its tree is in
        // cache.
        files
            .iter()
            .map(|(_, l)| {
                let (t, short) = parse_go(l);
                facts.add(&[unit(l, &t, &short)]);
                (t, short)
            })
            .unzip()
    };
    if round == Round::Plain {
        let units: Vec<PackageFile<'_>> =
            files.iter().zip(&trees).zip(&shortened).map(|(((_, l), t), short)| unit(l, t, short)).collect();
        go.provide(dir, &units, facts);
    }
    go.note_imports(dir, &facts.imported_paths());
    let facts = &*facts;
    // Each tree is dropped as soon as its file is checked.
    let check = |l: &Loaded, tree: Option<tree_sitter::Tree>| {
        if l.generated {
            return generated_skip();
        }
        let rules = settings.selection_for(Path::new(&l.shown), Language::Go);
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_go_file(&l.shown, &l.text, tree.as_ref(), facts, rules.clone(), &settings.linter)
        }));
        match checked {
            Ok(result) => FileOutcome::Checked {
                result,
                cache: cache.map(|_| (l.shown.clone(), cache_key(l, package_hash), Box::new(rules))),
            },
            Err(panic) => internal_error(panic),
        }
    };
    if stage.parallel {
        files.par_iter().zip(trees.into_par_iter()).map(|((_, l), tree)| check(l, tree)).collect()
    } else {
        files.iter().zip(trees).map(|((_, l), tree)| check(l, tree)).collect()
    }
}

/// A file of a round as the package facts read it: its text as parsed, and its tree.
fn unit<'a>(
    l: &'a Loaded,
    tree: &'a Option<tree_sitter::Tree>,
    short: &'a Option<String>,
) -> PackageFile<'a> {
    PackageFile { name: &l.shown, source: short.as_deref().unwrap_or(&l.text), tree: tree.as_ref() }
}

/// Another copy of the skip [`internal_error`] made, for each file it stands for.
fn copy_skip(outcome: &FileOutcome) -> FileOutcome {
    match outcome {
        FileOutcome::Skipped { reason, message } => {
            FileOutcome::Skipped { reason: *reason, message: message.clone() }
        }
        _ => unreachable!("internal_error gives a skip"),
    }
}

/// Parses a file of a Go package: as it is, or, for a generated file (never checked: only
/// its declarations count, for the package's facts), its declarations only
/// ([`crate::go_api::declarations_only`]), returned beside the tree as the text it was
/// parsed from. A generated file that imports "C" or names `unsafe` is parsed whole, as
/// go/cgo-leak's summaries of the functions that take a pointer read their bodies; so is
/// one whose declarations do not parse cleanly.
fn parse_go(l: &Loaded) -> (Option<tree_sitter::Tree>, Option<String>) {
    if l.generated && !l.text.contains("unsafe") && !crate::go_build::imports_c(&l.text) {
        if let Some(decls) = crate::go_api::declarations_only(&l.text) {
            if let Some(tree) = parse(Language::Go, &decls).filter(|t| !t.root_node().has_error()) {
                return (Some(tree), Some(decls));
            }
        }
    }
    (parse(Language::Go, &l.text), None)
}

fn generated_skip() -> FileOutcome {
    FileOutcome::Skipped { reason: SkipReason::Generated, message: "skipped: generated file".to_string() }
}

fn internal_error(panic: Box<dyn std::any::Any + Send>) -> FileOutcome {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    FileOutcome::Skipped {
        reason: SkipReason::InternalError,
        message: format!("internal error, file skipped (please report): {what}"),
    }
}

fn check_one(file: &SourceFile, shown: &str, settings: &Settings, cache: Option<&Cache>) -> FileOutcome {
    let skip = |reason, message: String| FileOutcome::Skipped { reason, message };
    let (bytes, hash) = match load(file) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    let rules = settings.selection_for(&file.path, file.lang);
    // Only files that were analysed are cached, so a hit needs no decoding.
    if let Some(hit) = cache.and_then(|c| c.get(shown, hash, &rules)) {
        return FileOutcome::Checked { result: hit.clone(), cache: None };
    }
    let source = match analysable(file.lang, &bytes) {
        Ok(text) => text,
        Err((reason, message)) => return skip(reason, message),
    };
    if is_generated(file.lang, source) {
        return skip(SkipReason::Generated, "skipped: generated file".to_string());
    }
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_source(shown, file.lang, source, rules.clone(), &settings.linter)
    }));
    match checked {
        Ok(result) => {
            FileOutcome::Checked { result, cache: cache.map(|_| (shown.to_string(), hash, Box::new(rules))) }
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            skip(SkipReason::InternalError, format!("internal error, file skipped (please report): {what}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The package stage's cache key: a file's result depends on its siblings, so changing
    /// only `b.go` must re-check the unchanged `a.go`.
    #[test]
    fn a_changed_sibling_invalidates_the_cached_package() {
        use crate::{discovery::discover, Overrides};
        let dir = tempfile::tempdir().unwrap();
        let a = "package p\n\nfunc f() {\n\tsave()\n}\n";
        std::fs::write(dir.path().join("a.go"), a).unwrap();
        std::fs::write(dir.path().join("b.go"), "package p\n\nfunc save() {}\n").unwrap();
        let overrides = Overrides { select: Some(vec!["go/ignored-error".into()]), ..Overrides::default() };
        let settings = Settings::resolve(dir.path(), &overrides).unwrap();
        let cache_dir = dir.path().join("cache");
        let run = || {
            let files = discover(&[dir.path().to_path_buf()], &settings, 1).unwrap();
            let mut cache = Cache::open(&cache_dir, settings.linter.cache_key());
            let out = scan(&files, &settings, Some(&mut cache), 1);
            cache.save();
            out.findings.len()
        };
        assert_eq!(run(), 0);
        assert_eq!(run(), 0, "cached");
        std::fs::write(dir.path().join("b.go"), "package p\n\nfunc save() error { return nil }\n").unwrap();
        assert_eq!(run(), 1, "a.go is re-checked with the new facts");
    }

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }

    /// A module `example.com/m` of `files` (beside its `go.mod`), in a directory that lives
    /// as long as the first value.
    fn module(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("m");
        write(&root, &[("go.mod", "module example.com/m\n")]);
        write(&root, files);
        (t, root)
    }

    /// (path, line) pairs as [`go_findings`] gives them.
    fn at(findings: &[(&str, u32)]) -> Vec<(String, u32)> {
        findings.iter().map(|(p, l)| (p.to_string(), *l)).collect()
    }

    /// (path, line) of each go/ignored-error finding of a scan of `dir` with `go`.
    fn go_findings(dir: &Path, go: &Arc<GoPackages>, cache: Option<&Path>) -> Vec<(String, u32)> {
        use crate::{discovery::discover, Overrides};
        let overrides = Overrides { select: Some(vec!["go/ignored-error".into()]), ..Overrides::default() };
        let settings = Settings::resolve(dir, &overrides).unwrap();
        let files = discover(&[dir.to_path_buf()], &settings, 1).unwrap();
        let mut cache = cache.map(|c| Cache::open(c, settings.linter.cache_key()));
        let out = scan_with(&files, &settings, cache.as_mut(), 1, go);
        if let Some(c) = cache {
            c.save();
        }
        let root = dir.to_string_lossy().to_string();
        out.findings
            .iter()
            .map(|f| {
                let p =
                    f.path.strip_prefix(root.as_str()).unwrap_or(&f.path).trim_start_matches('/').to_string();
                (p, f.line)
            })
            .collect()
    }

    #[test]
    fn a_head_cut_inside_a_character_keeps_what_precedes_it() {
        assert_eq!(utf8_prefix("import \"é\"".as_bytes()), "import \"é\"");
        assert_eq!(utf8_prefix(&"package é".as_bytes()[..9]), "package ");
    }

    /// The order of package stages: each package after its imports; a package's tests after
    /// what they import, on their own only where that comes after the package (a cycle
    /// through tests: 0 `storage` whose tests import 2 `teststorage`, which imports 1
    /// `tsdb`, which imports `storage`).
    #[test]
    fn tests_that_close_an_import_cycle_are_checked_after_it() {
        use Step::{Package, Tests};
        let cycle = [(vec![], vec![2]), (vec![0], vec![]), (vec![1], vec![0])];
        assert_eq!(
            order_packages(&cycle, true),
            [
                Package { index: 0, tests_later: true },
                Package { index: 1, tests_later: false },
                Package { index: 2, tests_later: false },
                Tests(0),
            ]
        );
        // In parallel, tests stay with their package; the cycle is broken where it is met.
        assert_eq!(
            order_packages(&cycle, false),
            [
                Package { index: 1, tests_later: false },
                Package { index: 2, tests_later: false },
                Package { index: 0, tests_later: false }
            ]
        );
        // Tests whose imports come first stay with their package; 1 imports 0 by its tests.
        let plain = [(vec![], vec![]), (vec![], vec![0])];
        assert_eq!(
            order_packages(&plain, true),
            [Package { index: 0, tests_later: false }, Package { index: 1, tests_later: false }]
        );
    }

    /// The same cycle in a module: in one job every package is parsed once (none is read
    /// again through the API index), and the tests find what the cycle's packages declare.
    #[test]
    fn a_cycle_through_tests_reads_no_package_twice() {
        struct Counting(std::sync::Mutex<Vec<PathBuf>>);
        impl crate::go_api::GoFiles for Counting {
            fn read(&self, path: &Path) -> Option<String> {
                std::fs::read_to_string(path).ok()
            }
            fn go_files(&self, dir: &Path) -> Vec<(String, String)> {
                self.0.lock().unwrap().push(dir.to_path_buf());
                crate::go_api::DiskFiles.go_files(dir)
            }
            fn is_package(&self, dir: &Path) -> bool {
                crate::go_api::DiskFiles.is_package(dir)
            }
            fn is_file(&self, path: &Path) -> bool {
                path.is_file()
            }
        }
        let (_t, root) = module(&[
                ("debtctl.toml", "[go]\ntests = true\n"),
                (
                    "storage/storage.go",
                    "package storage\n\ntype Appender interface{ Commit() error }\n\nfunc Sync() error { return nil }\n",
                ),
                (
                    "storage/storage_test.go",
                    "package storage_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/m/teststorage\"\n)\n\nfunc TestS(t *testing.T) {\n\ts := teststorage.New()\n\ts.Close()\n\ts.Appender().Commit()\n}\n",
                ),
                (
                    "tsdb/db.go",
                    "package tsdb\n\nimport \"example.com/m/storage\"\n\ntype DB struct{ app storage.Appender }\n\nfunc (db *DB) Close() error { return nil }\n\nfunc (db *DB) Appender() storage.Appender { return db.app }\n\nfunc (db *DB) Flush() {\n\tstorage.Sync()\n}\n",
                ),
                (
                    "teststorage/teststorage.go",
                    "package teststorage\n\nimport \"example.com/m/tsdb\"\n\ntype S struct{ *tsdb.DB }\n\nfunc New() *S { return &S{} }\n",
                ),
            ]);
        let counting = Arc::new(Counting(std::sync::Mutex::default()));
        let go = Arc::new(GoPackages::new(None, None, Vec::new()).with_files(counting.clone()));
        let mut found = go_findings(&root, &go, None);
        found.sort();
        assert_eq!(
            found,
            at(&[("storage/storage_test.go", 11), ("storage/storage_test.go", 12), ("tsdb/db.go", 12)])
        );
        assert_eq!(*counting.0.lock().unwrap(), Vec::<PathBuf>::new(), "no package read again");
    }

    /// A package imported only as `_` is not counted as not found, whether the scan keeps a
    /// result cache (whose key reads imports without parsing) or not: no call into it is
    /// checked either way.
    #[test]
    fn a_blank_import_is_not_counted_as_missing() {
        let (t, root) = module(&[(
            "a/a.go",
            "package a\n\nimport (\n\t_ \"example.org/driver\"\n\t\"example.org/lib\"\n)\n\nfunc f() {\n\tlib.Do()\n}\n",
        )]);
        for cache in [None, Some(t.path().join("cache"))] {
            let go = Arc::new(GoPackages::new(None, None, Vec::new()));
            go_findings(&root, &go, cache.as_deref());
            assert_eq!(go.missing(), ["example.org/lib"], "cache {cache:?}");
        }
    }

    /// Tests in a directory of their own, left for later because they import a package
    /// checked after them, still read that package's API.
    #[test]
    fn tests_alone_left_for_later_read_the_api() {
        let (_t, root) = module(&[
            ("debtctl.toml", "[go]\ntests = true\n"),
            (
                "a/e2e_test.go",
                "package e2e\n\nimport (\n\t\"testing\"\n\n\t\"example.com/m/z\"\n)\n\nfunc TestE(t *testing.T) {\n\tz.F()\n}\n",
            ),
            ("z/z.go", "package z\n\nfunc F() error { return nil }\n"),
        ]);
        let go = Arc::new(GoPackages::new(None, None, Vec::new()));
        assert_eq!(go_findings(&root, &go, None), at(&[("a/e2e_test.go", 10)]));
    }

    /// A package's tests are checked after its other files, with the facts of both: a test
    /// calls the package's unexported functions and its own helpers; another package sees
    /// the package's API without what its tests declare; an external test sees the API.
    #[test]
    fn tests_are_checked_with_the_package_facts_and_stay_out_of_its_api() {
        let (_t, root) = module(&[
                ("debtctl.toml", "[go]\ntests = true\n"),
                (
                    "p/p.go",
                    "package p\n\nfunc open() (int, error) { return 0, nil }\n\nfunc Exported() error { return nil }\n\nfunc use() {\n\topen()\n}\n",
                ),
                (
                    "p/p_test.go",
                    "package p\n\nimport \"testing\"\n\nfunc Helper() error { return nil }\n\nfunc TestX(t *testing.T) {\n\topen()\n\tHelper()\n}\n",
                ),
                (
                    "p/x_test.go",
                    "package p_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/m/p\"\n)\n\nfunc TestY(t *testing.T) {\n\tp.Exported()\n}\n",
                ),
                (
                    "q/q.go",
                    "package q\n\nimport \"example.com/m/p\"\n\nfunc g() {\n\tp.Exported()\n\tp.Helper()\n}\n",
                ),
            ]);
        let go = Arc::new(GoPackages::new(None, None, Vec::new()));
        let mut found = go_findings(&root, &go, None);
        found.sort();
        assert_eq!(
            found,
            at(&[("p/p.go", 8), ("p/p_test.go", 8), ("p/p_test.go", 9), ("p/x_test.go", 10), ("q/q.go", 6)])
        );
    }

    /// Issue 12: every place the go command finds a package is read — the module's own
    /// packages, a `go.work` module, a local `replace`, the module cache (with `!`-escaped
    /// capitals), `vendor/` with `modules.txt`, GOPATH mode, and a GOROOT — and a package
    /// found nowhere leaves its calls unknown and is counted.
    #[test]
    fn imported_packages_are_found_where_the_go_command_finds_them() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        write(
            root,
            &[
                ("goroot/VERSION", "go1.99\n"),
                ("goroot/src/fakeio/io.go", "package fakeio\n\nfunc Flush() error { return nil }\n"),
                (
                    "cache/github.com/!up/lib@v1.2.0/lib.go",
                    "package lib\n\ntype Resp struct{}\n\ntype Client struct{ *Base }\n\ntype Base struct{}\n\nfunc New() *Client { return nil }\n\nfunc (b *Base) Get(u string) (*Resp, error) { return nil, nil }\n",
                ),
                ("gopath/src/example.org/gp/gp.go", "package gp\n\nfunc Save() error { return nil }\n"),
                ("work/go.work", "go 1.21\n\nuse (\n\t./app\n\t./other\n)\n"),
                (
                    "work/app/go.mod",
                    "module example.com/app\n\ngo 1.21\n\nrequire (\n\tgithub.com/Up/lib v1.2.0\n\tgithub.com/none/missing v1.0.0\n)\n\nreplace example.com/rep => ../rep\n",
                ),
                (
                    "work/app/store/store.go",
                    "package store\n\ntype Appender interface{ Add(x int) error }\n\nfunc Open() (Appender, error) { return nil, nil }\n",
                ),
                ("work/rep/rep.go", "package rep\n\nfunc Do() error { return nil }\n"),
                ("work/other/go.mod", "module example.com/other\n"),
                ("work/other/o.go", "package other\n\nfunc Run() error { return nil }\n"),
                (
                    "work/app/main.go",
                    "package main\n\nimport (\n\t\"example.com/app/store\"\n\t\"example.com/other\"\n\t\"example.com/rep\"\n\t\"fakeio\"\n\t\"github.com/Up/lib\"\n\t\"github.com/none/missing\"\n)\n\nfunc main() {\n\tlib.New().Get(\"x\")\n\trep.Do()\n\ta, _ := store.Open()\n\ta.Add(1)\n\tfakeio.Flush()\n\tother.Run()\n\tmissing.Call()\n}\n",
                ),
                ("vapp/go.mod", "module example.com/vapp\n\nrequire github.com/v/dep v1.0.0\n"),
                ("vapp/vendor/modules.txt", "# github.com/v/dep v1.0.0\n## explicit\ngithub.com/v/dep\n"),
                ("vapp/vendor/github.com/v/dep/dep.go", "package dep\n\nfunc Close() error { return nil }\n"),
                ("vapp/main.go", "package main\n\nimport \"github.com/v/dep\"\n\nfunc main() {\n\tdep.Close()\n}\n"),
                ("gpapp/main.go", "package main\n\nimport \"example.org/gp\"\n\nfunc main() {\n\tgp.Save()\n}\n"),
            ],
        );
        let go = || {
            Arc::new(GoPackages::new(
                Some(root.join("goroot")),
                Some(root.join("cache")),
                vec![root.join("gopath")],
            ))
        };
        let app = go();
        let found = go_findings(&root.join("work/app"), &app, None);
        assert_eq!(
            found,
            [13, 14, 16, 17, 18].map(|l| ("main.go".to_string(), l)),
            "lib (module cache, promoted method), rep (replace), store (own package, interface \
             result), fakeio (GOROOT), other (go.work); not missing.Call"
        );
        assert_eq!(app.missing(), ["github.com/none/missing"]);
        let files = crate::discovery::discover(
            &[root.join("work/app")],
            &Settings::resolve(&root.join("work/app"), &crate::Overrides::default()).unwrap(),
            1,
        )
        .unwrap();
        let settings = Settings::resolve(&root.join("work/app"), &crate::Overrides::default()).unwrap();
        let outcome = scan_with(&files, &settings, None, 1, &go());
        assert_eq!(outcome.summary.go_packages_not_found, 1);
        assert!(
            outcome.warnings.iter().any(|w| w.message.contains("go mod download")),
            "{:?}",
            outcome.warnings
        );
        assert_eq!(go_findings(&root.join("vapp"), &go(), None), [("main.go".to_string(), 6)], "vendor/");
        assert_eq!(go_findings(&root.join("gpapp"), &go(), None), [("main.go".to_string(), 6)], "GOPATH");
        // Without the module cache, lib's calls are unknown, never guessed.
        let bare = Arc::new(GoPackages::new(None, None, Vec::new()));
        let found = go_findings(&root.join("work/app"), &bare, None);
        assert!(!found.iter().any(|(_, l)| *l == 13 || *l == 17), "{found:?}");
        assert!(bare.missing().contains(&"github.com/Up/lib".to_string()));
    }

    /// Issue 12: a GOROOT of the Go version the embedded facts were generated from is not
    /// read for the packages the facts hold (they answer as its sources would, without a
    /// parse); what they leave out (`internal/...`) is still read from it.
    #[test]
    fn a_goroot_of_the_embedded_version_is_answered_by_the_embedded_facts() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        write(
            root,
            &[
                // This GOROOT's `os.Remove` returns nothing; the real one, and the facts', an error.
                ("goroot/src/os/file.go", "package os\n\nfunc Remove(name string) {}\n"),
                ("goroot/src/internal/fake/f.go", "package fake\n\nfunc Flush() error { return nil }\n"),
                ("m/go.mod", "module example.com/m\n"),
                ("n/go.mod", "module example.com/n\n"),
                ("n/n.go", "package n\n\nimport \"os\"\n\nfunc f() {\n\tos.Remove(\"x\")\n}\n"),
                (
                    "m/a.go",
                    "package m\n\nimport (\n\t\"internal/fake\"\n\t\"os\"\n)\n\nfunc f() {\n\tos.Remove(\"x\")\n\tfake.Flush()\n}\n",
                ),
            ],
        );
        let scan = |version: &str, module: &str| {
            write(root, &[("goroot/VERSION", version)]);
            let go = Arc::new(GoPackages::new(Some(root.join("goroot")), None, Vec::new()));
            let lines: Vec<u32> =
                go_findings(&root.join(module), &go, None).into_iter().map(|(_, l)| l).collect();
            (lines, go.stdlib().unwrap_or_default())
        };
        let same = format!("{}\n", debtctl_linter::go_stdlib_version());
        let (lines, _) = scan(&same, "m");
        assert_eq!(lines, [9, 10], "os from the facts, internal/fake from GOROOT");
        let (lines, stdlib) = scan(&same, "n");
        assert_eq!(lines, [6]);
        assert!(stdlib.ends_with(" (embedded)"), "the summary names the library that answered: {stdlib}");
        let (lines, stdlib) = scan("go1.99.0\n", "m");
        assert_eq!(lines, [10], "another version's GOROOT is read: its os.Remove returns nothing");
        assert!(stdlib.starts_with("go1.99.0 (") && !stdlib.contains("embedded"), "{stdlib}");
    }

    /// Issue 12: an import without a name is bound to the package's own `package` clause
    /// once the index has read it, not only to the name guessed from its path:
    /// `github.com/json-iterator/go` is package `jsoniter` (the guess was `go`), a
    /// `client-lib` directory may hold package `client` (the guess was `lib`). A name the
    /// function binds itself is not the package.
    #[test]
    fn an_import_is_named_by_its_package_clause() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("m");
        write(
            &root,
            &[
                ("go.mod", "module example.com/m\n"),
                ("json-iterator/go/api.go", "package jsoniter\n\nfunc Unmarshal(b []byte, v any) error { return nil }\n"),
                ("client-lib/c.go", "package client\n\nfunc Close() error { return nil }\n"),
                (
                    "app/app.go",
                    "package app\n\nimport (\n\t\"example.com/m/client-lib\"\n\t\"example.com/m/json-iterator/go\"\n)\n\ntype local struct{}\n\nfunc (local) Close() {}\n\nfunc f(b []byte) {\n\tjsoniter.Unmarshal(b, nil)\n\tclient.Close()\n\tclient := local{}\n\tclient.Close()\n}\n",
                ),
            ],
        );
        let go = Arc::new(GoPackages::new(None, None, Vec::new()));
        assert_eq!(go_findings(&root, &go, None), [13, 14].map(|l| ("app/app.go".to_string(), l)));
    }

    /// Issue 12: a changed signature in package `a` re-checks the packages that import it
    /// (their cache key holds the digest of what they import), and no other.
    #[test]
    fn a_signature_change_rechecks_exactly_its_importers() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("m");
        write(
            &root,
            &[
                ("go.mod", "module example.com/m\n"),
                ("a/a.go", "package a\n\nfunc F() {}\n"),
                ("b/b.go", "package b\n\nimport \"example.com/m/a\"\n\nfunc g() {\n\ta.F()\n}\n"),
                ("c/c.go", "package c\n\nimport \"os\"\n\nfunc h() {\n\tos.Remove(\"x\")\n}\n"),
            ],
        );
        let cache = t.path().join("cache");
        let none = || Arc::new(GoPackages::new(None, None, Vec::new()));
        let c = || vec![("c/c.go".to_string(), 6)];
        assert_eq!(go_findings(&root, &none(), Some(&cache)), c());
        let (b_dir, c_dir) = (root.join("b"), root.join("c"));
        let keys = |g: &GoPackages| {
            (g.digest(&b_dir, &["example.com/m/a".to_string()]), g.digest(&c_dir, &["os".to_string()]))
        };
        let before = keys(&none());
        write(&root, &[("a/a.go", "package a\n\nfunc F() {\n\tprintln()\n}\n")]);
        assert_eq!(keys(&none()), before, "a body edit in a: no key changes");
        write(&root, &[("a/a.go", "package a\n\nfunc F() error { return nil }\n")]);
        let after = keys(&none());
        assert_ne!(before.0, after.0, "b imports a: its key changes");
        assert_eq!(before.1, after.1, "c does not: its key stays");
        let mut found = go_findings(&root, &none(), Some(&cache));
        found.sort();
        assert_eq!(
            found,
            [("b/b.go".to_string(), 6), ("c/c.go".to_string(), 6)],
            "b re-checked through the cache"
        );
    }

    fn facts_entries(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "facts"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Issue 12: the facts of a vendored package are kept on disk by module path and
    /// version. A second run reads them, not the package's files (changed here behind the
    /// same version); a corrupt or truncated entry is a miss (the files are read again);
    /// another version in `modules.txt` is read from its files.
    #[test]
    fn vendored_facts_are_kept_by_module_version() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("app");
        let modules = |v: &str| format!("# github.com/v/dep {v}\n## explicit\ngithub.com/v/dep\n");
        let with_error = "package dep\n\nfunc Close() error { return nil }\n";
        let without = "package dep\n\nfunc Close() {}\n";
        write(
            &root,
            &[
                ("go.mod", "module example.com/app\n\nrequire github.com/v/dep v1.0.0\n"),
                ("vendor/modules.txt", &modules("v1.0.0")),
                ("vendor/github.com/v/dep/dep.go", with_error),
                (
                    "main.go",
                    "package main\n\nimport \"github.com/v/dep\"\n\nfunc main() {\n\tdep.Close()\n}\n",
                ),
            ],
        );
        let facts = t.path().join("facts");
        let go = || Arc::new(GoPackages::new(None, None, Vec::new()).with_facts_cache(facts.clone()));
        let flagged = vec![("main.go".to_string(), 6)];
        let none: Vec<(String, u32)> = Vec::new();
        assert_eq!(go_findings(&root, &go(), None), flagged);
        assert_eq!(facts_entries(&facts).len(), 1, "one package read, one entry");
        write(&root, &[("vendor/github.com/v/dep/dep.go", without)]);
        assert_eq!(go_findings(&root, &go(), None), flagged, "the same version: the kept facts answer");
        let bare = Arc::new(GoPackages::new(None, None, Vec::new()));
        assert_eq!(go_findings(&root, &bare, None), none, "without the facts cache the files are read");
        let entry = facts_entries(&facts).remove(0);
        let whole = std::fs::read_to_string(&entry).unwrap();
        for broken in [&whole[..whole.len() - 2], "garbage", ""] {
            std::fs::write(&entry, broken).unwrap();
            assert_eq!(go_findings(&root, &go(), None), none, "{broken:?} is a miss");
            std::fs::write(&entry, &whole).unwrap();
        }
        write(
            &root,
            &[("vendor/modules.txt", &modules("v1.0.1")), ("vendor/github.com/v/dep/dep.go", without)],
        );
        assert_eq!(go_findings(&root, &go(), None), none, "a new version is read from its files");
        assert_eq!(facts_entries(&facts).len(), 2);
    }

    /// Issue 12: an imported package is read as the build for the platform compiles it
    /// (file name suffixes, `//go:build`, `// +build`, cgo), from `vendor/` and from the
    /// module cache alike: `Close` is declared once per operating system, `Free` with and
    /// without cgo. Read whole, the last declaration read won (`dep_windows.go`'s). The kept
    /// facts are keyed by the platform too.
    #[test]
    fn imported_packages_are_read_for_the_build_platform() {
        use crate::go_build::Platform;
        let t = tempfile::tempdir().unwrap();
        let dep = [
            ("dep_linux.go", "package dep\n\nfunc Close() error { return nil }\n"),
            ("dep_windows.go", "package dep\n\nfunc Close() {}\n"),
            ("free.go", "//go:build cgo\n\npackage dep\n\nfunc Free() error { return nil }\n"),
            ("nofree.go", "// +build !cgo\n\npackage dep\n\nfunc Free() {}\n"),
        ];
        let main =
            "package main\n\nimport \"github.com/v/dep\"\n\nfunc main() {\n\tdep.Close()\n\tdep.Free()\n}\n";
        let mut files = vec![
            ("vapp/go.mod".to_string(), "module example.com/vapp\n\nrequire github.com/v/dep v1.0.0\n"),
            (
                "vapp/vendor/modules.txt".to_string(),
                "# github.com/v/dep v1.0.0\n## explicit\ngithub.com/v/dep\n",
            ),
            ("vapp/main.go".to_string(), main),
            ("mapp/go.mod".to_string(), "module example.com/mapp\n\nrequire github.com/v/dep v1.0.0\n"),
            ("mapp/main.go".to_string(), main),
        ];
        for (name, text) in dep {
            files.push((format!("vapp/vendor/github.com/v/dep/{name}"), text));
            files.push((format!("cache/github.com/v/dep@v1.0.0/{name}"), text));
        }
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        write(t.path(), &files);
        let platform = |goos: &str, cgo: bool| Platform {
            goos: goos.to_string(),
            goarch: "amd64".to_string(),
            cgo,
            go_minor: 19,
            tags: Default::default(),
        };
        let facts = t.path().join("facts");
        for app in ["vapp", "mapp"] {
            let lines = |goos: &str, cgo: bool| -> Vec<u32> {
                let go = GoPackages::new(None, Some(t.path().join("cache")), Vec::new())
                    .with_platform(platform(goos, cgo))
                    .with_facts_cache(facts.clone());
                go_findings(&t.path().join(app), &Arc::new(go), None).into_iter().map(|(_, l)| l).collect()
            };
            // Twice each: the second run reads the kept facts, which must be that platform's.
            for _ in 0..2 {
                assert_eq!(lines("linux", true), [6, 7], "{app}: linux with cgo");
                assert_eq!(lines("linux", false), [6], "{app}: linux without cgo");
                assert_eq!(lines("windows", true), [7], "{app}: windows with cgo");
            }
        }
    }

    /// A generated file is parsed as its declarations only (it is never checked), and
    /// they still make the package's facts: the function results and methods it declares
    /// type the calls of the package's other files, and its own dropped errors are not
    /// reported. One that names `unsafe` is parsed whole (go/cgo-leak reads the bodies of
    /// functions taking a pointer): the same findings either way.
    #[test]
    fn a_generated_file_declares_for_its_package_without_its_bodies() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("m");
        let generated = |extra: &str| {
            format!(
                "// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage p\n{extra}\ntype Msg struct{{ n int }}\n\nfunc (m *Msg) Marshal() ([]byte, error) {{\n\tif m.n > 0 {{\n\t\tgo func() {{}}()\n\t}}\n\treturn nil, nil\n}}\n\nfunc NewMsg() *Msg {{ return &Msg{{}} }}\n\nfunc Validate(b []byte) error {{\n\tm := NewMsg()\n\tm.Marshal()\n\treturn nil\n}}\n"
            )
        };
        let user = "package p\n\nfunc use(b []byte) {\n\tNewMsg().Marshal()\n\tValidate(b)\n}\n";
        for extra in ["", "\nimport \"unsafe\"\n\nvar _ unsafe.Pointer\n"] {
            write(
                &root,
                &[
                    ("go.mod", "module example.com/m\n"),
                    ("p/msg.pb.go", &generated(extra)),
                    ("p/use.go", user),
                ],
            );
            let go = Arc::new(GoPackages::new(None, None, Vec::new()));
            assert_eq!(
                go_findings(&root, &go, None),
                [4, 5].map(|l| ("p/use.go".to_string(), l)),
                "{extra:?}: the generated file types use.go's calls and is not reported itself"
            );
        }
        let decls = crate::go_api::declarations_only(&generated("")).unwrap();
        assert!(!decls.contains("go func"), "the bodies are left out: {decls}");
    }

    /// Issue 12: the module's own packages' facts are kept by their files' contents: a
    /// scan of `b` alone reads `a` (not scanned) through the kept facts, and a change to
    /// `a` is a new entry.
    #[test]
    fn own_package_facts_are_kept_by_content() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("m");
        write(
            &root,
            &[
                ("go.mod", "module example.com/m\n"),
                ("a/a.go", "package a\n\nfunc F() {}\n"),
                ("b/b.go", "package b\n\nimport \"example.com/m/a\"\n\nfunc g() {\n\ta.F()\n}\n"),
            ],
        );
        let facts = t.path().join("facts");
        let go = || Arc::new(GoPackages::new(None, None, Vec::new()).with_facts_cache(facts.clone()));
        assert_eq!(go_findings(&root.join("b"), &go(), None), Vec::<(String, u32)>::new());
        assert_eq!(facts_entries(&facts).len(), 1);
        write(&root, &[("a/a.go", "package a\n\nfunc F() error { return nil }\n")]);
        assert_eq!(go_findings(&root.join("b"), &go(), None), [("b.go".to_string(), 6)]);
        assert_eq!(facts_entries(&facts).len(), 2);
    }

    /// The package stage gives a scanned package's facts to the packages that import it,
    /// so they are scanned first: `a` (one file) before `b` (two), although bigger packages
    /// go first otherwise.
    #[test]
    fn imported_packages_are_scanned_first() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("m");
        write(
            &root,
            &[
                ("go.mod", "module example.com/m\n"),
                ("a/a.go", "package a\n\nfunc F() {}\n"),
                ("b/b.go", "package b\n\nimport \"example.com/m/a\"\n\nfunc g() {\n\ta.F()\n}\n"),
                ("b/c.go", "package b\n"),
                ("c/c.go", "package c\n"),
                ("c/d.go", "package c\n"),
                ("c/e.go", "package c\n"),
            ],
        );
        let files: Vec<SourceFile> = ["a/a.go", "b/b.go", "b/c.go", "c/c.go", "c/d.go", "c/e.go"]
            .iter()
            .map(|p| SourceFile { path: root.join(p), lang: Language::Go })
            .collect();
        let go = GoPackages::new(None, None, Vec::new());
        for split in [false, true] {
            let order: Vec<String> = units(&files.iter().collect::<Vec<_>>(), &go, split)
                .iter()
                .map(|u| match u {
                    Unit::GoPackage { files, tests_later: false } => {
                        files[0].path.parent().unwrap().file_name().unwrap().to_string_lossy().to_string()
                    }
                    _ => unreachable!("no tests to leave for later"),
                })
                .collect();
            assert_eq!(order, ["c", "a", "b"]);
        }
    }

    /// Issue 12, go/shadow on prometheus: the inner variable's type comes from another
    /// package's multi-result call, imported without a name from a path ending in `-go`
    /// (`span, ctx := opentracing.StartSpanFromContext(ctx, ...)` in a closure, the
    /// parameter `ctx` used after it). A result of another type is not a shadow, and
    /// without the package the types stay unknown and nothing is reported.
    #[test]
    fn shadow_reads_the_results_of_other_packages() {
        let t = tempfile::tempdir().unwrap();
        let app = "package app\n\nimport (\n\t\"context\"\n\n\t\"example.com/m/tracing-go\"\n)\n\nfunc use(context.Context, string) {}\n\nfunc send(ctx context.Context, name string) {\n\tf := func() {\n\t\tspan, ctx := tracing.Start(ctx)\n\t\tdefer span.Finish()\n\t\t_, name := tracing.Name(ctx)\n\t\tuse(ctx, name)\n\t}\n\tf()\n\tuse(ctx, name)\n}\n";
        let tracing = "package tracing\n\nimport \"context\"\n\ntype Span interface{ Finish() }\n\nfunc Start(ctx context.Context) (Span, context.Context) { return nil, ctx }\n\nfunc Name(ctx context.Context) (Span, int) { return nil, 0 }\n";
        let shadows = |root: &Path| {
            let overrides =
                crate::Overrides { select: Some(vec!["go/shadow".into()]), ..crate::Overrides::default() };
            let settings = Settings::resolve(root, &overrides).unwrap();
            let files = crate::discovery::discover(&[root.to_path_buf()], &settings, 1).unwrap();
            let go = Arc::new(GoPackages::new(None, None, Vec::new()));
            scan_with(&files, &settings, None, 1, &go).findings.iter().map(|f| f.line).collect::<Vec<_>>()
        };
        let root = t.path().join("m");
        write(
            &root,
            &[("go.mod", "module example.com/m\n"), ("tracing-go/t.go", tracing), ("app/app.go", app)],
        );
        assert_eq!(shadows(&root), [13], "ctx: a context.Context over the parameter; not name (int, string)");
        let alone = t.path().join("alone");
        write(&alone, &[("go.mod", "module example.com/m\n"), ("app/app.go", app)]);
        assert_eq!(shadows(&alone), Vec::<u32>::new(), "the package is not found: unknown, silent");
    }

    #[test]
    fn paths_are_shown_relative_with_slashes() {
        let cwd = Path::new("/work/repo");
        assert_eq!(display_path(Path::new("/work/repo/a/b.py"), Some(cwd)), "a/b.py");
        assert_eq!(display_path(Path::new("./a/b.py"), Some(cwd)), "a/b.py");
        assert_eq!(display_path(Path::new("/elsewhere/x.go"), Some(cwd)), "/elsewhere/x.go");
        assert_eq!(display_path(Path::new("../repo/c.py"), Some(cwd)), "c.py");
    }
}
