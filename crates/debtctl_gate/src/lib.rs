//! The CI gate: the debt a change adds, and what it fixes.
//!
//! `debtctl gate` compares a head (the working tree, the index, or a commit) with a base
//! commit. Both sides are read as snapshots and analysed through the ledger's blob cache
//! (see `debtctl_ledger::analyse`), but only where they differ: the changed files and,
//! for Go, every file of their packages (a package's facts reach every file in it). Any
//! other file is the same blob on both sides with the same facts, hence the same
//! findings, so it cannot add or fix debt and is not read at all. The old side of a
//! renamed file is analysed under its new path so that its findings keep their
//! fingerprints. A Go package also reads the APIs of the module's packages it imports, so
//! the packages that import a changed package (directly or through others) are compared
//! too. [`compare`] then splits the findings into new, unchanged and fixed.

pub mod base;
pub mod compare;
mod error;
pub mod hook;

pub use base::{resolve_base, Base, BaseOrigin};
pub use compare::{compare, compare_with, Comparison, Policy, Side, Verdict};
pub use error::GateError;

use debtctl_diagnostics::Finding;
use debtctl_ledger::{analyse, changes, BlobCache, Changes, Snapshot, Source};
use debtctl_workspace::engine::analysable;
use debtctl_workspace::go_api::{api_fingerprint, scan_imports};
use debtctl_workspace::Settings;
use git2::{Oid, Repository};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the base is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// Tracked files as they are on disk plus untracked files that are not ignored.
    WorkDir,
    /// The staged content (the git index).
    Index,
    /// A revision.
    Rev(String),
}

impl Head {
    /// How messages name it.
    pub fn label(&self) -> String {
        match self {
            Head::WorkDir => "the working tree".to_string(),
            Head::Index => "the staged content".to_string(),
            Head::Rev(r) => format!("`{r}`"),
        }
    }
}

/// The gate's result, before the policy is applied.
#[derive(Debug)]
pub struct GateOutcome {
    pub comparison: Comparison,
    /// The head's findings in the compared files (new and unchanged), sorted by path,
    /// line, column, rule.
    pub head_findings: Vec<Finding>,
    pub changes: Changes,
    /// The head commit, when the head is a revision.
    pub head_commit: Option<Oid>,
    /// Files compared on the head side, and on the base side.
    pub head_files: usize,
    pub base_files: usize,
    /// Files analysed, and files whose findings came from the cache (both sides).
    pub analysed: usize,
    pub cached: usize,
    /// The head's text of every file that has a new finding, for printing source lines.
    pub head_texts: HashMap<String, String>,
    /// Paths whose blob the object database lacks on either side (a partial clone): left
    /// out of the comparison on both sides, rather than reported as new or fixed.
    pub missing: Vec<String>,
    /// Files not analysed on either side because they cannot be parsed safely, with the
    /// reason; their findings are empty on that side.
    pub skipped: Vec<(String, String)>,
}

/// Compares `head` with `base` in `repo`.
pub fn run(
    repo: &Repository,
    base: &Base,
    head: &Head,
    settings: &Settings,
    cache: &dyn BlobCache,
) -> Result<GateOutcome, GateError> {
    let (head_source, head_commit) = match head {
        // Read through the index's stat cache: see `Source::WorkDir`.
        Head::WorkDir => (Source::WorkDir, None),
        Head::Index => (Source::Index, None),
        Head::Rev(rev) => {
            let unknown = |e: git2::Error| GateError::UnknownHead {
                rev: rev.clone(),
                message: e.message().to_string(),
            };
            let object = repo.revparse_single(rev).map_err(unknown)?;
            let commit = object.peel_to_commit().ok().map(|c| c.id());
            (Source::Tree(object.peel_to_tree().map_err(unknown)?.id()), commit)
        }
    };
    let head_snap = Snapshot::read(repo, &head_source, settings)?;
    let base_snap = match base.tree {
        Some(tree) => Some(Snapshot::read(repo, &Source::Tree(tree), settings)?),
        None => None,
    };

    let (changes, head_paths, base_paths, rename_to) = match &base_snap {
        Some(base_snap) => scope(repo, base_snap, &head_snap)?,
        // No base commit: everything is new.
        None => {
            let all: BTreeSet<String> = head_snap.files().map(|f| f.path.clone()).collect();
            let changes = Changes { added: all.iter().cloned().collect(), ..Changes::default() };
            (changes, all, BTreeSet::new(), HashMap::new())
        }
    };

    let mut analysed = 0;
    let mut cached = 0;
    let mut missing = BTreeSet::new();
    let mut skipped = BTreeMap::new();
    let mut run_side = |snap: &Snapshot, paths: &BTreeSet<String>, rename: &HashMap<String, String>| {
        if paths.is_empty() {
            return Ok::<_, GateError>(Vec::new());
        }
        let out = analyse(repo, snap, Some(paths), rename, settings, cache)?;
        analysed += out.analysed;
        cached += out.cached;
        missing.extend(out.missing.iter().map(|p| rename.get(p).unwrap_or(p).clone()));
        skipped.extend(out.skipped);
        Ok(out.findings)
    };
    let mut head_findings = run_side(&head_snap, &head_paths, &HashMap::new())?;
    let mut base_findings = match &base_snap {
        Some(snap) => run_side(snap, &base_paths, &rename_to)?,
        None => Vec::new(),
    };
    if !missing.is_empty() {
        head_findings.retain(|f| !missing.contains(&f.path));
        base_findings.retain(|f| !missing.contains(&f.path));
    }

    // Texts are read only for what the comparison and the printer need.
    let renamed_from: HashMap<&str, &str> = rename_to.iter().map(|(o, n)| (n.as_str(), o.as_str())).collect();
    let texts: RefCell<HashMap<(bool, String), Option<String>>> = RefCell::new(HashMap::new());
    let text_of = |side: Side, path: &str| -> Option<String> {
        let key = (side == Side::Head, path.to_string());
        if let Some(t) = texts.borrow().get(&key) {
            return t.clone();
        }
        let t = match side {
            Side::Head => file_text(repo, &head_snap, path),
            Side::Base => base_snap
                .as_ref()
                .and_then(|snap| file_text(repo, snap, renamed_from.get(path).copied().unwrap_or(path))),
        };
        texts.borrow_mut().insert(key, t.clone());
        t
    };
    let comparison = compare_with(&base_findings, &head_findings, |side, f| {
        compare::code_key(f, &text_of(side, &f.path)?)
    });
    let mut head_texts = HashMap::new();
    for f in &comparison.new {
        if !head_texts.contains_key(&f.path) {
            if let Some(t) = text_of(Side::Head, &f.path) {
                head_texts.insert(f.path.clone(), t);
            }
        }
    }

    Ok(GateOutcome {
        comparison,
        head_findings,
        changes,
        head_commit,
        head_files: head_paths.len(),
        base_files: base_paths.len(),
        analysed,
        cached,
        head_texts,
        missing: missing.into_iter().collect(),
        skipped: skipped.into_iter().collect(),
    })
}

type Scope = (Changes, BTreeSet<String>, BTreeSet<String>, HashMap<String, String>);

/// What to analyse on each side: the changed files, and for Go every file of a package
/// (directory) that has a changed file on either side. The old side of a rename carries
/// its new path.
fn scope(repo: &Repository, base: &Snapshot, head: &Snapshot) -> Result<Scope, GateError> {
    let changes = changes(repo, base, head)?;
    let mut head_paths: BTreeSet<String> = BTreeSet::new();
    let mut base_paths: BTreeSet<String> = BTreeSet::new();
    head_paths.extend(changes.added.iter().cloned());
    head_paths.extend(changes.modified.iter().cloned());
    base_paths.extend(changes.deleted.iter().cloned());
    base_paths.extend(changes.modified.iter().cloned());
    let mut rename_to = HashMap::new();
    for (old, new) in &changes.renamed {
        base_paths.insert(old.clone());
        head_paths.insert(new.clone());
        rename_to.insert(old.clone(), new.clone());
    }
    let is_go = |p: &str| p.ends_with(".go");
    let dir = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let go_dirs: BTreeSet<String> =
        head_paths.iter().chain(&base_paths).filter(|p| is_go(p)).map(|p| dir(p)).collect();
    let go_dirs = with_importers(repo, base, head, go_dirs);
    if !go_dirs.is_empty() {
        let in_changed_package = |p: &str| is_go(p) && go_dirs.contains(&dir(p));
        head_paths.extend(head.files().filter(|f| in_changed_package(&f.path)).map(|f| f.path.clone()));
        base_paths.extend(base.files().filter(|f| in_changed_package(&f.path)).map(|f| f.path.clone()));
    }
    Ok((changes, head_paths, base_paths, rename_to))
}

/// `dirs` (Go packages, by directory) and the module's packages that import one whose API
/// differs between the sides, directly or through others: their findings can change with
/// the API they read. A package's import path is its module's path (from the nearest `go.mod` of the
/// snapshot) and its directory below the module's; only files of a snapshot with a
/// changed package are read, for their import declarations.
fn with_importers(
    repo: &Repository,
    base: &Snapshot,
    head: &Snapshot,
    dirs: BTreeSet<String>,
) -> BTreeSet<String> {
    let dir = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    // Only packages whose API changed (not only function bodies) reach their importers.
    let api = |snap: &Snapshot, d: &str| {
        let files: Vec<(String, String)> = snap
            .files()
            .filter(|f| dir(&f.path) == d && f.path.ends_with(".go") && !f.path.ends_with("_test.go"))
            .filter_map(|f| Some((f.path.clone(), file_text(repo, snap, &f.path)?)))
            .collect();
        api_fingerprint(&files)
    };
    let changed: BTreeSet<String> = dirs.iter().filter(|d| api(base, d) != api(head, d)).cloned().collect();
    if changed.is_empty() {
        return dirs;
    }
    let mut out = dirs;
    for snap in [base, head] {
        // Module roots of the snapshot and their paths.
        let modules: Vec<(String, String)> = snap
            .files()
            .filter(|f| f.path == "go.mod" || f.path.ends_with("/go.mod"))
            .filter_map(|f| {
                let text = file_text(repo, snap, &f.path)?;
                let path = text.lines().find_map(|l| l.trim().strip_prefix("module "))?;
                Some((dir(&f.path), path.split("//").next()?.trim().trim_matches('"').to_string()))
            })
            .collect();
        if modules.is_empty() {
            continue;
        }
        let import_path = |d: &str| -> Option<String> {
            let (root, module) = modules
                .iter()
                .filter(|(root, _)| root.is_empty() || d == root || d.starts_with(&format!("{root}/")))
                .max_by_key(|(root, _)| root.len())?;
            let rel = d[root.len()..].trim_start_matches('/');
            Some(if rel.is_empty() { module.clone() } else { format!("{module}/{rel}") })
        };
        let imports: Vec<(String, Vec<String>)> = snap
            .files()
            .filter(|f| f.path.ends_with(".go"))
            .filter_map(|f| Some((dir(&f.path), scan_imports(&file_text(repo, snap, &f.path)?))))
            .collect();
        let mut reached = changed.clone();
        loop {
            let wanted: BTreeSet<String> = reached.iter().filter_map(|d| import_path(d)).collect();
            let before = reached.len();
            for (d, paths) in &imports {
                if !reached.contains(d) && paths.iter().any(|p| wanted.contains(p)) {
                    reached.insert(d.clone());
                }
            }
            if reached.len() == before {
                break;
            }
        }
        out.extend(reached);
    }
    out
}

/// The text of a snapshot's file as the analysis saw it (BOM dropped), or `None`.
fn file_text(repo: &Repository, snap: &Snapshot, path: &str) -> Option<String> {
    let file = snap.get(path)?;
    let bytes = match snap.source() {
        Source::WorkDir => std::fs::read(repo.workdir()?.join(path)).ok()?,
        _ => repo.find_blob(file.oid).ok()?.content().to_vec(),
    };
    analysable(file.lang, &bytes).ok().map(str::to_string)
}
