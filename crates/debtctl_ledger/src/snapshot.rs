//! Snapshots: the analysable files of a commit, of the index or of the working tree, what
//! differs between two of them (with git's rename detection), and their analysis through
//! the blob cache. The ledger (`record`, `history`) and the CI gate share this one analysis
//! and one cache (coord/snapshot-api.md is the contract).
//!
//! Refinements of the contract:
//! - A snapshot reads what `debtctl scan` would read: files of a known language, not under
//!   `vendor/`, `node_modules/` or `third_party/`, not hidden (no path component starting
//!   with `.`), not excluded by the settings, no symbolic links or submodules.
//! - [`BlobCache`] has `get`/`put` of findings by [`CacheKey`], plus optional memories for
//!   Go: a blob's declaration signature, its contribution to its package's facts, and
//!   package facts by their hash.
//! - A Go file's result is cached twice: under the hash of its package's declaration
//!   signatures (found without touching the file), and under the digest of the facts
//!   projected on the file's identifiers (found when the package's declarations changed
//!   in a way the file may not see; see `PackageFacts::project`).
//! - Go files read the APIs of the packages they import (`debtctl_workspace::go_api`), as
//!   a scan does: for a commit, its go.mod, go.work, `vendor/` and own packages come from
//!   the commit's tree (the module cache and `$GOROOT` are addressed by version, so they
//!   are read from disk); for the index and the working tree, from the disk. A Go file's
//!   facts hash includes the digest of what its package imports, so a changed signature in
//!   another package re-checks its callers.
//! - [`changes`] pairs renames with git's `find_similar` where git can diff the two sources
//!   (tree to tree, tree to index, tree to working tree, index to working tree); for other
//!   pairs of sources a rename is reported as a deletion and an addition.

use crate::error::LedgerError;
use debtctl_diagnostics::Finding;
use debtctl_linter::{
    check_go_file, check_source, is_generated, FileFacts, PackageFacts, PackageFile, Selection,
};
use debtctl_syntax::{parse, Language};
use debtctl_workspace::cache::default_cache_dir;
use debtctl_workspace::discovery::{is_helm_template_in, SKIPPED_DIRS};
use debtctl_workspace::engine::{analysable, SkipReason};
use debtctl_workspace::go_api::{scan_imports, DiskFiles, GoFiles, GoPackages};
use debtctl_workspace::Settings;
use git2::{
    Diff, DiffFindOptions, DiffOptions, ObjectType, Oid, Repository, Status, StatusOptions, StatusShow,
    TreeWalkMode, TreeWalkResult,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use tree_sitter::Tree;

/// Which content a snapshot reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A commit (or anything that peels to a tree): git objects only.
    Tree(Oid),
    /// The git index (staged content; stage-0 entries), blobs from the object database.
    Index,
    /// The working tree: tracked files as they are on disk plus untracked files that are
    /// not ignored. Tracked files that git's status finds unchanged take their index blob
    /// ids (the stat cache: they are not read); the others are read and their ids computed
    /// with `Oid::hash_object` (nothing is written to the object database), and their bytes
    /// are kept so they can be analysed.
    WorkDir,
}

/// One analysable file of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    pub oid: Oid,
    pub lang: Language,
}

/// The analysable files of one source, by path.
#[derive(Debug)]
pub struct Snapshot {
    /// The source, with a `Tree` peeled to the tree's own id.
    source: Source,
    files: BTreeMap<String, SnapshotFile>,
    /// Contents of work-tree files, which are not in the object database.
    bytes: HashMap<Oid, Vec<u8>>,
}

impl Snapshot {
    /// Reads the analysable files of `source`.
    pub fn read(repo: &Repository, source: &Source, settings: &Settings) -> Result<Snapshot, LedgerError> {
        let base = repo_base(repo);
        let mut all: Vec<(String, Oid)> = Vec::new();
        let mut bytes = HashMap::new();
        let source = match *source {
            Source::Tree(oid) => {
                let tree = repo.find_object(oid, None)?.peel_to_tree()?;
                tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
                    let name = entry.name().unwrap_or("");
                    match entry.kind() {
                        Some(ObjectType::Tree) if skipped_component(name) => TreeWalkResult::Skip,
                        Some(ObjectType::Blob) if entry.filemode() != 0o120000 => {
                            all.push((format!("{dir}{name}"), entry.id()));
                            TreeWalkResult::Ok
                        }
                        _ => TreeWalkResult::Ok,
                    }
                })?;
                Source::Tree(tree.id())
            }
            Source::Index => {
                all = index_files(repo)?;
                Source::Index
            }
            Source::WorkDir => {
                let workdir = repo
                    .workdir()
                    .ok_or_else(|| LedgerError::NotARepository { path: repo.path().to_path_buf() })?
                    .to_path_buf();
                // git's stat cache: the index's blob ids stand for every tracked file that
                // status finds unchanged; only changed and untracked files are read.
                let mut opts = StatusOptions::new();
                opts.show(StatusShow::Workdir)
                    .include_untracked(true)
                    .recurse_untracked_dirs(true)
                    .include_ignored(false)
                    .exclude_submodules(true)
                    .renames_index_to_workdir(false);
                let mut changed: BTreeMap<String, Status> = BTreeMap::new();
                for st in repo.statuses(Some(&mut opts))?.iter() {
                    if let Some(p) = st.path() {
                        changed.insert(p.to_string(), st.status());
                    }
                }
                all = index_files(repo)?;
                all.retain(|(path, _)| !changed.contains_key(path));
                for (path, status) in changed {
                    if status.contains(Status::WT_DELETED) {
                        continue;
                    }
                    let abs = workdir.join(&path);
                    let Ok(meta) = std::fs::symlink_metadata(&abs) else { continue };
                    if !meta.is_file() {
                        continue;
                    }
                    // Only files that will be analysed are read; the others only need to
                    // exist (a chart's `Chart.yaml` decides what its templates are).
                    let oid = if analysable_path(&path).is_some() {
                        let data = std::fs::read(&abs)
                            .map_err(|source| LedgerError::Io { path: abs.clone(), source })?;
                        let oid = Oid::hash_object(ObjectType::Blob, &data)?;
                        bytes.insert(oid, data);
                        oid
                    } else {
                        Oid::zero()
                    };
                    all.push((path, oid));
                }
                Source::WorkDir
            }
        };
        let present: HashSet<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        let mut files = BTreeMap::new();
        for (path, oid) in &all {
            let Some(mut lang) = analysable_path(path) else { continue };
            if settings.is_excluded(&base.join(path), false) {
                continue;
            }
            if lang == Language::Yaml
                && is_helm_template_in(Path::new(path), |p| p.to_str().is_some_and(|p| present.contains(p)))
            {
                lang = Language::HelmTemplate;
            }
            files.insert(path.clone(), SnapshotFile { path: path.clone(), oid: *oid, lang });
        }
        let wanted: HashSet<Oid> = files.values().map(|f| f.oid).collect();
        bytes.retain(|oid, _| wanted.contains(oid));
        Ok(Snapshot { source, files, bytes })
    }

    /// The file at `path`, when it is analysable.
    pub fn get(&self, path: &str) -> Option<&SnapshotFile> {
        self.files.get(path)
    }

    /// Every analysable file, sorted by path.
    pub fn files(&self) -> impl Iterator<Item = &SnapshotFile> {
        self.files.values()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The source, with a tree given by a commit id peeled to the tree's id.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The bytes of a blob: kept in memory for work-tree files, else from git.
    fn blob_bytes<'a>(
        &'a self,
        repo: &Repository,
        oid: Oid,
        buf: &'a mut Vec<u8>,
    ) -> Result<&'a [u8], LedgerError> {
        if let Some(b) = self.bytes.get(&oid) {
            return Ok(b);
        }
        let blob = repo.find_blob(oid)?;
        *buf = blob.content().to_vec();
        Ok(buf)
    }

    /// Whether the blob's content is at hand: a partial clone lacks some blobs.
    fn present(&self, repo: &Repository, oid: Oid) -> Result<bool, LedgerError> {
        Ok(self.bytes.contains_key(&oid) || repo.odb()?.exists(oid))
    }

    /// The file's text, or `None` when a scan would skip it (too large, binary, not
    /// UTF-8, nested too deep to parse); a leading BOM is dropped.
    fn text(&self, repo: &Repository, file: &SnapshotFile) -> Result<Option<String>, LedgerError> {
        Ok(self.checked_text(repo, file)?.ok())
    }

    /// The file's text, or why a scan would skip it ([`analysable`]).
    fn checked_text(
        &self,
        repo: &Repository,
        file: &SnapshotFile,
    ) -> Result<Result<String, (SkipReason, String)>, LedgerError> {
        let mut buf = Vec::new();
        let bytes = self.blob_bytes(repo, file.oid, &mut buf)?;
        Ok(analysable(file.lang, bytes).map(str::to_string))
    }
}

/// The guard's verdict by blob and language: the message when it refuses the file.
type Refused = HashMap<(Oid, Language), Option<String>>;

/// Why the guard refuses a file whose cached findings are empty, if it does: read once per
/// blob and language in a process (a history run meets the same blobs in every commit).
fn refused(repo: &Repository, snap: &Snapshot, file: &SnapshotFile) -> Result<Option<String>, LedgerError> {
    static REFUSED: LazyLock<Mutex<Refused>> = LazyLock::new(Default::default);
    let key = (file.oid, file.lang);
    if let Some(known) = REFUSED.lock().expect("not poisoned").get(&key) {
        return Ok(known.clone());
    }
    let message = match snap.checked_text(repo, file)? {
        Err((SkipReason::TooDeep, message)) => Some(message),
        _ => None,
    };
    REFUSED.lock().expect("not poisoned").insert(key, message.clone());
    Ok(message)
}

/// The index's regular files (stage 0; no symlinks or submodules) and their blob ids.
fn index_files(repo: &Repository) -> Result<Vec<(String, Oid)>, LedgerError> {
    let index = repo.index()?;
    Ok(index
        .iter()
        .filter(|entry| (entry.flags >> 12) & 0x3 == 0 && is_regular_mode(entry.mode))
        .filter_map(|entry| String::from_utf8(entry.path).ok().map(|path| (path, entry.id)))
        .collect())
}

fn is_regular_mode(mode: u32) -> bool {
    // 0o100644 or 0o100755; not symbolic links (0o120000) or submodules (0o160000).
    mode & 0o170000 == 0o100000
}

/// A directory or file name a scan never enters.
fn skipped_component(name: &str) -> bool {
    name.starts_with('.') || SKIPPED_DIRS.contains(&name)
}

/// The language of a path a scan would read, ignoring the settings' excludes.
fn analysable_path(path: &str) -> Option<Language> {
    if path.split('/').any(skipped_component) {
        return None;
    }
    Language::from_path(Path::new(path))
}

/// Where settings' paths are anchored: the work tree, or the git directory of a bare one.
fn repo_base(repo: &Repository) -> PathBuf {
    repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf()
}

/// What differs between two snapshots, by path and blob id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub deleted: Vec<String>,
    pub modified: Vec<String>,
    /// (old path, new path); content may also have changed.
    pub renamed: Vec<(String, String)>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.deleted.is_empty()
            && self.modified.is_empty()
            && self.renamed.is_empty()
    }
}

/// What differs from `old` to `new`. A file deleted in one place and added in another is
/// one `renamed` pair when git's rename detection (`find_similar`) says so.
pub fn changes(repo: &Repository, old: &Snapshot, new: &Snapshot) -> Result<Changes, LedgerError> {
    let mut out = Changes::default();
    for (path, f) in &new.files {
        match old.files.get(path) {
            None => out.added.push(path.clone()),
            Some(o) if o.oid != f.oid || o.lang != f.lang => out.modified.push(path.clone()),
            Some(_) => {}
        }
    }
    out.deleted = old.files.keys().filter(|p| !new.files.contains_key(*p)).cloned().collect();
    if out.added.is_empty() || out.deleted.is_empty() {
        return Ok(out);
    }

    let mut opts = DiffOptions::new();
    opts.disable_pathspec_match(true).include_untracked(true).recurse_untracked_dirs(true);
    for p in out.added.iter().chain(&out.deleted) {
        opts.pathspec(p);
    }
    let diff: Option<Diff<'_>> = match (old.source, new.source) {
        (Source::Tree(a), Source::Tree(b)) => {
            let (a, b) = (repo.find_tree(a)?, repo.find_tree(b)?);
            Some(repo.diff_tree_to_tree(Some(&a), Some(&b), Some(&mut opts))?)
        }
        (Source::Tree(a), Source::Index) => {
            let a = repo.find_tree(a)?;
            Some(repo.diff_tree_to_index(Some(&a), None, Some(&mut opts))?)
        }
        (Source::Tree(a), Source::WorkDir) => {
            let a = repo.find_tree(a)?;
            Some(repo.diff_tree_to_workdir_with_index(Some(&a), Some(&mut opts))?)
        }
        (Source::Index, Source::WorkDir) => Some(repo.diff_index_to_workdir(None, Some(&mut opts))?),
        _ => None,
    };
    let Some(mut diff) = diff else { return Ok(out) };
    let mut find = DiffFindOptions::new();
    find.renames(true).for_untracked(true);
    diff.find_similar(Some(&mut find))?;

    let added: HashSet<&str> = out.added.iter().map(String::as_str).collect();
    let deleted: HashSet<&str> = out.deleted.iter().map(String::as_str).collect();
    let mut renamed = Vec::new();
    for delta in diff.deltas() {
        if delta.status() != git2::Delta::Renamed {
            continue;
        }
        let from = delta.old_file().path().and_then(Path::to_str);
        let to = delta.new_file().path().and_then(Path::to_str);
        if let (Some(from), Some(to)) = (from, to) {
            if deleted.contains(from) && added.contains(to) {
                renamed.push((from.to_string(), to.to_string()));
            }
        }
    }
    let (gone, came): (HashSet<String>, HashSet<String>) =
        (renamed.iter().map(|r| r.0.clone()).collect(), renamed.iter().map(|r| r.1.clone()).collect());
    out.deleted.retain(|p| !gone.contains(p));
    out.added.retain(|p| !came.contains(p));
    renamed.sort();
    out.renamed = renamed;
    Ok(out)
}

/// What a cached result is keyed by. Findings depend on the blob, the path they carry
/// (it is part of every fingerprint, and per-path ignores depend on it), the rules, and
/// for Go the facts of the file's package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub oid: Oid,
    pub path: String,
    /// debtctl's version, the linter settings' digest and the file's rules.
    pub ruleset: String,
    /// The hash of the package facts a Go file was analysed with.
    pub facts: Option<u64>,
}

/// The blob cache: findings computed once and shared by record, history and the gate.
/// Methods take `&self`: implementations keep what they are given in interior-mutable
/// state (a [`crate::Ledger`] buffers new rows and writes them with the next recorded
/// commit, or on [`crate::Ledger::flush_cache`]).
pub trait BlobCache {
    fn get(&self, key: &CacheKey) -> Result<Option<Arc<Vec<Finding>>>, LedgerError>;
    fn put(&self, key: CacheKey, findings: Arc<Vec<Finding>>) -> Result<(), LedgerError>;
    /// The declaration signature of a Go blob (see `PackageFacts::signature`), if known.
    fn signature(&self, _oid: Oid) -> Result<Option<u64>, LedgerError> {
        Ok(None)
    }
    fn put_signature(&self, _oid: Oid, _signature: u64) -> Result<(), LedgerError> {
        Ok(())
    }
    /// Package facts by the hash of what they were computed from, kept in memory.
    fn facts(&self, _hash: u64) -> Option<Arc<PackageFacts>> {
        None
    }
    fn put_facts(&self, _hash: u64, _facts: Arc<PackageFacts>) {}
    /// A Go blob's contribution to its package's facts, kept in memory.
    fn file_facts(&self, _oid: Oid) -> Option<Arc<FileFacts>> {
        None
    }
    fn put_file_facts(&self, _oid: Oid, _facts: Arc<FileFacts>) {}
    /// The import paths of a Go blob, kept in memory.
    fn imports(&self, _oid: Oid) -> Option<Arc<Vec<String>>> {
        None
    }
    fn put_imports(&self, _oid: Oid, _imports: Arc<Vec<String>>) {}
}

/// No cache: everything is analysed.
impl BlobCache for () {
    fn get(&self, _key: &CacheKey) -> Result<Option<Arc<Vec<Finding>>>, LedgerError> {
        Ok(None)
    }
    fn put(&self, _key: CacheKey, _findings: Arc<Vec<Finding>>) -> Result<(), LedgerError> {
        Ok(())
    }
}

/// A cache in memory, for callers without a ledger.
#[derive(Default)]
pub struct MemoryCache {
    findings: Mutex<HashMap<CacheKey, Arc<Vec<Finding>>>>,
    signatures: Mutex<HashMap<Oid, u64>>,
    facts: Mutex<HashMap<u64, Arc<PackageFacts>>>,
    file_facts: Mutex<HashMap<Oid, Arc<FileFacts>>>,
    imports: Mutex<HashMap<Oid, Arc<Vec<String>>>>,
}

impl MemoryCache {
    pub fn new() -> MemoryCache {
        MemoryCache::default()
    }
}

impl BlobCache for MemoryCache {
    fn get(&self, key: &CacheKey) -> Result<Option<Arc<Vec<Finding>>>, LedgerError> {
        Ok(self.findings.lock().expect("not poisoned").get(key).cloned())
    }
    fn put(&self, key: CacheKey, findings: Arc<Vec<Finding>>) -> Result<(), LedgerError> {
        self.findings.lock().expect("not poisoned").insert(key, findings);
        Ok(())
    }
    fn signature(&self, oid: Oid) -> Result<Option<u64>, LedgerError> {
        Ok(self.signatures.lock().expect("not poisoned").get(&oid).copied())
    }
    fn put_signature(&self, oid: Oid, signature: u64) -> Result<(), LedgerError> {
        self.signatures.lock().expect("not poisoned").insert(oid, signature);
        Ok(())
    }
    fn facts(&self, hash: u64) -> Option<Arc<PackageFacts>> {
        self.facts.lock().expect("not poisoned").get(&hash).cloned()
    }
    fn put_facts(&self, hash: u64, facts: Arc<PackageFacts>) {
        self.facts.lock().expect("not poisoned").insert(hash, facts);
    }
    fn file_facts(&self, oid: Oid) -> Option<Arc<FileFacts>> {
        self.file_facts.lock().expect("not poisoned").get(&oid).cloned()
    }
    fn put_file_facts(&self, oid: Oid, facts: Arc<FileFacts>) {
        self.file_facts.lock().expect("not poisoned").insert(oid, facts);
    }
    fn imports(&self, oid: Oid) -> Option<Arc<Vec<String>>> {
        self.imports.lock().expect("not poisoned").get(&oid).cloned()
    }
    fn put_imports(&self, oid: Oid, imports: Arc<Vec<String>>) {
        self.imports.lock().expect("not poisoned").insert(oid, imports);
    }
}

/// The signature of a Go blob that is not analysed (too large, binary, not UTF-8).
const UNREADABLE_SIGNATURE: u64 = 0x756e_7265_6164_6162;

/// The signature of a Go blob absent from the object database; never cached.
const MISSING_SIGNATURE: u64 = 0x6d69_7373_696e_6721;

/// What [`analyse`] gives.
#[derive(Debug, Default)]
pub struct AnalysisOutcome {
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    /// Files analysed, and files whose findings came from the cache.
    pub analysed: usize,
    pub cached: usize,
    /// Files whose blob the object database lacks (a partial clone): not analysed.
    pub missing: Vec<String>,
    /// Files that cannot be parsed safely (nested deeper than the grammar's scanner can
    /// hold), with the reason: their findings are empty (and cached so), and they are
    /// named on cache hits too.
    pub skipped: Vec<(String, String)>,
}

/// The settings' part of every cache key: debtctl's version and the linter settings.
pub fn ruleset_base(settings: &Settings) -> String {
    format!("{}-{:016x}", env!("CARGO_PKG_VERSION"), settings.linter.cache_key())
}

/// How a file's results are keyed in the blob cache: its blob, the path it is shown under
/// (the new name, for the old side of a rename), the rule set that applies there, and for
/// Go the facts it reads.
struct Keys<'a> {
    base: PathBuf,
    ruleset: String,
    rename_to: &'a HashMap<String, String>,
    settings: &'a Settings,
}

impl Keys<'_> {
    fn key(&self, file: &SnapshotFile, facts: Option<u64>) -> (CacheKey, Selection) {
        let path = self.rename_to.get(&file.path).unwrap_or(&file.path).clone();
        let rules = self.settings.selection_for(&self.base.join(&path), file.lang);
        // The custom rules' digest only when some ran, so keys without them are unchanged.
        let ruleset = match rules.custom_digest {
            0 => format!("{}-{:016x}", self.ruleset, rules.rules.bits()),
            custom => format!("{}-{:016x}-{custom:016x}", self.ruleset, rules.rules.bits()),
        };
        (CacheKey { oid: file.oid, path, ruleset, facts }, rules)
    }
}

/// Findings of `paths` of `snap` (every file when `None`). Go files are analysed with the
/// facts of their whole package (every `.go` file of their directory in `snap`), so the
/// caller only names the files it cares about. `rename_to` maps a path of `snap` to the
/// path its findings must carry (the old side of a rename analysed under its new name, so
/// that the two sides' fingerprints compare). Sorted by path, line, column, rule.
pub fn analyse(
    repo: &Repository,
    snap: &Snapshot,
    paths: Option<&BTreeSet<String>>,
    rename_to: &HashMap<String, String>,
    settings: &Settings,
    cache: &dyn BlobCache,
) -> Result<AnalysisOutcome, LedgerError> {
    let keys = Keys { base: repo_base(repo), ruleset: ruleset_base(settings), rename_to, settings };
    let go = go_packages(repo, snap, settings);
    let wanted = |path: &str| paths.is_none_or(|p| p.contains(path));
    let mut out = AnalysisOutcome::default();

    let mut go_packages: BTreeMap<&str, Vec<&SnapshotFile>> = BTreeMap::new();
    for file in snap.files() {
        if file.lang == Language::Go {
            let dir = file.path.rsplit_once('/').map_or("", |(d, _)| d);
            go_packages.entry(dir).or_default().push(file);
            continue;
        }
        if !wanted(&file.path) {
            continue;
        }
        let (key, rules) = keys.key(file, None);
        if let Some(findings) = cache.get(&key)? {
            out.cached += 1;
            out.findings.extend(findings.iter().cloned());
            // A skipped file is cached with no findings, and named on every run.
            let guarded = matches!(file.lang, Language::Python | Language::Yaml | Language::HelmTemplate);
            if findings.is_empty() && guarded && snap.present(repo, file.oid)? {
                if let Some(message) = refused(repo, snap, file)? {
                    out.skipped.push((file.path.clone(), message));
                }
            }
            continue;
        }
        if !snap.present(repo, file.oid)? {
            // Not analysed and not cached: the blob may be fetched later.
            out.missing.push(file.path.clone());
            continue;
        }
        let findings = match snap.checked_text(repo, file)? {
            Ok(text) if !is_generated(file.lang, &text) => {
                check_source(&key.path, file.lang, &text, rules, &settings.linter).findings
            }
            Err((SkipReason::TooDeep, message)) => {
                out.skipped.push((file.path.clone(), message));
                Vec::new()
            }
            _ => Vec::new(),
        };
        out.analysed += 1;
        out.findings.extend(findings.iter().cloned());
        cache.put(key, Arc::new(findings))?;
    }

    for (dir, files) in &go_packages {
        if !files.iter().any(|f| wanted(&f.path)) {
            continue;
        }
        let go = go.as_ref().map(|g| (g, keys.base.join(dir)));
        analyse_go_package(repo, snap, files, go.as_ref(), &wanted, &keys, cache, &mut out)?;
    }

    out.findings
        .sort_by(|a, b| (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule)));
    Ok(out)
}

/// Where the Go API index of `snap` reads the packages its files import: a commit's own
/// tree below the work tree (see [`CommitFiles`]), else the disk; None when the repository
/// cannot be opened a second time for it (its calls then stay unknown). Package facts are
/// kept on disk beside the scan's cache, shared with `scan`.
fn go_packages(repo: &Repository, snap: &Snapshot, settings: &Settings) -> Option<Arc<GoPackages>> {
    let go = GoPackages::from_env().with_facts_cache(default_cache_dir(&settings.root).join("go-facts"));
    let go = match snap.source() {
        Source::Tree(tree) => {
            let own = Repository::open(repo.path()).ok()?;
            go.with_files(Arc::new(CommitFiles { base: repo_base(repo), repo: Mutex::new(own), tree }))
        }
        // The index's other packages are read as the work tree has them: a staged change
        // in another package is seen only once it is on disk too (it is, but for
        // `git add -p`).
        Source::Index | Source::WorkDir => go,
    };
    Some(Arc::new(go))
}

/// A commit's files for the Go API index: paths below the work tree from the commit's tree
/// (its go.mod, go.work, `vendor/` and packages), others from the disk.
struct CommitFiles {
    base: PathBuf,
    repo: Mutex<Repository>,
    tree: Oid,
}

impl CommitFiles {
    fn lock(&self) -> std::sync::MutexGuard<'_, Repository> {
        self.repo.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The regular files of the tree at `rel` (the root when empty): name and blob id.
    fn entries(&self, rel: &Path) -> Option<Vec<(String, Oid)>> {
        let repo = self.lock();
        let root = repo.find_tree(self.tree).ok()?;
        let tree = if rel.as_os_str().is_empty() {
            root
        } else {
            let entry = root.get_path(rel).ok()?;
            repo.find_tree(entry.id()).ok()?
        };
        Some(
            tree.iter()
                .filter(|e| e.kind() == Some(ObjectType::Blob) && is_regular_mode(e.filemode() as u32))
                .filter_map(|e| Some((e.name()?.to_string(), e.id())))
                .collect(),
        )
    }

    fn blob_text(&self, oid: Oid) -> Option<String> {
        let repo = self.lock();
        let blob = repo.find_blob(oid).ok()?;
        String::from_utf8(blob.content().to_vec()).ok()
    }

    fn blob_at(&self, rel: &Path) -> Option<Oid> {
        let repo = self.lock();
        let entry = repo.find_tree(self.tree).ok()?.get_path(rel).ok()?;
        (entry.kind() == Some(ObjectType::Blob)).then(|| entry.id())
    }
}

fn is_go_source(name: &str) -> bool {
    name.ends_with(".go") && !name.ends_with("_test.go")
}

impl GoFiles for CommitFiles {
    fn read(&self, path: &Path) -> Option<String> {
        match path.strip_prefix(&self.base) {
            Ok(rel) => self.blob_text(self.blob_at(rel)?),
            Err(_) => DiskFiles.read(path),
        }
    }
    fn go_files(&self, dir: &Path) -> Vec<(String, String)> {
        let Ok(rel) = dir.strip_prefix(&self.base) else { return DiskFiles.go_files(dir) };
        let mut out: Vec<(String, String)> = self
            .entries(rel)
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, _)| is_go_source(name))
            .filter_map(|(name, oid)| Some((name, self.blob_text(oid)?)))
            .collect();
        out.sort();
        out
    }
    fn is_package(&self, dir: &Path) -> bool {
        match dir.strip_prefix(&self.base) {
            Ok(rel) => self.entries(rel).is_some_and(|e| e.iter().any(|(name, _)| is_go_source(name))),
            Err(_) => DiskFiles.is_package(dir),
        }
    }
    fn is_file(&self, path: &Path) -> bool {
        match path.strip_prefix(&self.base) {
            Ok(rel) => self.blob_at(rel).is_some(),
            Err(_) => DiskFiles.is_file(path),
        }
    }
}

/// One Go package (the `.go` files of a directory, sorted by path): the wanted files'
/// findings from the cache where their key (blob, shown path, rules, facts hash) is there,
/// the others checked with the package's facts. `go`: the index's packages and the
/// package's directory.
#[allow(clippy::too_many_arguments)]
fn analyse_go_package(
    repo: &Repository,
    snap: &Snapshot,
    files: &[&SnapshotFile],
    go: Option<&(&Arc<GoPackages>, PathBuf)>,
    wanted: &dyn Fn(&str) -> bool,
    keys: &Keys<'_>,
    cache: &dyn BlobCache,
    out: &mut AnalysisOutcome,
) -> Result<(), LedgerError> {
    // The package's facts are a function of its files' declarations, in path order, and
    // of whether it has tests: the hash of their signatures names them. Signatures come
    // from the cache; a blob without one is parsed here (and the parse kept for below).
    let mut texts: Vec<Option<Option<String>>> = vec![None; files.len()];
    let mut trees: Vec<Option<Tree>> = (0..files.len()).map(|_| None).collect();
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&[u8::from(files.iter().any(|f| f.path.ends_with("_test.go")))]);
    for (n, f) in files.iter().enumerate() {
        let sig = match cache.signature(f.oid)? {
            Some(sig) => sig,
            None if !snap.present(repo, f.oid)? => {
                texts[n] = Some(None);
                MISSING_SIGNATURE
            }
            None => {
                let text = snap.text(repo, f)?;
                let tree = text.as_deref().and_then(|t| parse(Language::Go, t));
                // Undecodable blobs are no part of the facts.
                let sig = match &text {
                    Some(t) => PackageFacts::signature(t, tree.as_ref()),
                    None => UNREADABLE_SIGNATURE,
                };
                cache.put_signature(f.oid, sig)?;
                texts[n] = Some(text);
                trees[n] = tree;
                sig
            }
        };
        h.update(&sig.to_le_bytes());
    }
    // What the package reads from the packages it imports.
    let mut imports: Vec<String> = Vec::new();
    if go.is_some() {
        for (n, f) in files.iter().enumerate() {
            let known = match cache.imports(f.oid) {
                Some(known) => known,
                None => {
                    if texts[n].is_none() {
                        texts[n] = Some(if snap.present(repo, f.oid)? { snap.text(repo, f)? } else { None });
                    }
                    let Some(text) = texts[n].as_ref().and_then(Option::as_deref) else { continue };
                    let known = Arc::new(scan_imports(text));
                    cache.put_imports(f.oid, Arc::clone(&known));
                    known
                }
            };
            imports.extend(known.iter().cloned());
        }
        imports.sort();
        imports.dedup();
    }
    let api_digest = go.map_or(0, |(go, dir)| go.digest(dir, &imports));
    h.update(&api_digest.to_le_bytes());
    let facts_hash = h.digest();

    let mut misses = Vec::new();
    for (n, f) in files.iter().enumerate() {
        if !wanted(&f.path) {
            continue;
        }
        let (key, rules) = keys.key(f, Some(facts_hash));
        match cache.get(&key)? {
            Some(findings) => {
                out.cached += 1;
                out.findings.extend(findings.iter().cloned());
            }
            None => misses.push((n, key, rules)),
        }
    }
    if misses.is_empty() {
        return Ok(());
    }

    // The package's facts: from memory, or merged from each file's contribution (kept
    // per blob, so that only new blobs are parsed).
    let mut file_facts: Vec<Option<Arc<FileFacts>>> = vec![None; files.len()];
    let facts = match cache.facts(facts_hash) {
        Some(facts) => facts,
        None => {
            for n in 0..files.len() {
                contribution(repo, snap, files, n, cache, &mut texts, &mut trees, &mut file_facts)?;
            }
            // Facts come from every file, generated ones included (the others call them).
            let parts: Vec<&FileFacts> = file_facts.iter().flatten().map(|f| &**f).collect();
            let mut facts = PackageFacts::merge(&parts);
            if let Some((go, dir)) = go {
                facts.set_api(go.api(dir, &imports));
            }
            let facts = Arc::new(facts);
            cache.put_facts(facts_hash, Arc::clone(&facts));
            facts
        }
    };

    for (n, key, rules) in misses {
        if !snap.present(repo, files[n].oid)? {
            out.missing.push(files[n].path.clone());
            continue;
        }
        let Some(own) = contribution(repo, snap, files, n, cache, &mut texts, &mut trees, &mut file_facts)?
        else {
            // Not text: nothing to check, as a scan would skip it.
            cache.put(key, Arc::new(Vec::new()))?;
            out.analysed += 1;
            continue;
        };
        // The file reads only the facts named by its identifiers: a result computed under
        // the same projection of other facts is its result here too (so adding a function
        // elsewhere in the package does not re-analyse it).
        let text = texts[n].as_ref().and_then(Option::as_deref).expect("contribution loaded it");
        // The APIs it imports are read lazily, so their digest is the one computed above.
        let projected = facts.project(own.package(), &PackageFacts::identifiers(text)).digest();
        let projected =
            xxhash_rust::xxh3::xxh3_64(&[projected.to_le_bytes(), api_digest.to_le_bytes()].concat());
        let by_projection = CacheKey { facts: Some(projection_key(projected)), ..key.clone() };
        if let Some(findings) = cache.get(&by_projection)? {
            out.cached += 1;
            out.findings.extend(findings.iter().cloned());
            cache.put(key, findings)?;
            continue;
        }
        if trees[n].is_none() {
            trees[n] = parse(Language::Go, text);
        }
        let findings = if is_generated(Language::Go, text) {
            Vec::new()
        } else {
            check_go_file(&key.path, text, trees[n].as_ref(), &facts, rules, &keys.settings.linter).findings
        };
        out.analysed += 1;
        out.findings.extend(findings.iter().cloned());
        let findings = Arc::new(findings);
        cache.put(by_projection, Arc::clone(&findings))?;
        cache.put(key, findings)?;
    }
    Ok(())
}

/// The cache's `facts` value for a result keyed by a projection digest, kept apart from
/// whole-package facts hashes.
fn projection_key(digest: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(&digest.to_le_bytes(), 0x7072_6f6a)
}

/// File `n`'s contribution to its package's facts (from the cache, or read from its
/// parse), loading its text on the way; `None` when the blob is not text (or absent).
#[allow(clippy::too_many_arguments)]
fn contribution(
    repo: &Repository,
    snap: &Snapshot,
    files: &[&SnapshotFile],
    n: usize,
    cache: &dyn BlobCache,
    texts: &mut [Option<Option<String>>],
    trees: &mut [Option<Tree>],
    file_facts: &mut [Option<Arc<FileFacts>>],
) -> Result<Option<Arc<FileFacts>>, LedgerError> {
    if texts[n].is_none() {
        texts[n] = Some(if snap.present(repo, files[n].oid)? { snap.text(repo, files[n])? } else { None });
    }
    let Some(text) = texts[n].as_ref().and_then(Option::as_deref) else { return Ok(None) };
    if file_facts[n].is_none() {
        let oid = files[n].oid;
        file_facts[n] = Some(match cache.file_facts(oid) {
            Some(f) => f,
            None => {
                if trees[n].is_none() {
                    trees[n] = parse(Language::Go, text);
                }
                let unit = PackageFile { name: &files[n].path, source: text, tree: trees[n].as_ref() };
                let f = Arc::new(FileFacts::read(&unit));
                cache.put_file_facts(oid, Arc::clone(&f));
                f
            }
        });
    }
    Ok(file_facts[n].clone())
}
