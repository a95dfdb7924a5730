//! What the server knows about the code around the open documents: each project's settings
//! (one per `debtctl.toml`, else per repository), its gate base and the base's findings,
//! and the check of one open document against them. No rule logic lives here: documents
//! are checked by `debtctl_linter`, the base side is analysed by `debtctl_ledger::analyse`
//! as `debtctl gate` analyses it, and new and legacy findings are told apart by
//! `debtctl_gate::compare_with`.

use crate::document::Document;
use debtctl_diagnostics::{Finding, Fix};
use debtctl_gate::compare::code_key;
use debtctl_gate::{resolve_base, GateError, Side};
use debtctl_ledger::{analyse, MemoryCache, Snapshot, Source};
use debtctl_linter::{
    check_go_file, check_parsed, is_generated, FileFacts, FileResult, PackageFacts, PackageFile,
};
use debtctl_syntax::Language;
use debtctl_workspace::config::load_config;
use debtctl_workspace::engine::{analysable, decode};
use debtctl_workspace::{Overrides, Settings};
use git2::{Oid, Repository};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One finding of an open document, with what the editor needs beyond it.
#[derive(Debug, Clone)]
pub struct Item {
    pub finding: Finding,
    /// Byte range in the document's text.
    pub start: usize,
    pub end: usize,
    /// The finding's fix, when it has edits.
    pub fix: Option<Fix>,
    /// New on this branch (not at the gate base).
    pub new: bool,
}

/// The findings of one version of a document.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub version: i32,
    pub items: Vec<Item>,
}

/// The settings and git state shared by the documents of one project.
pub struct Project {
    pub settings: Settings,
    /// The config's `ticket-url`.
    pub ticket_url: Option<String>,
    configured_base: Option<String>,
    repo: Option<Repository>,
    /// The repository's working directory: findings carry paths relative to it, as the
    /// gate's do, so that fingerprints compare.
    repo_root: Option<PathBuf>,
    base: Option<BaseSide>,
    /// Blob results, package signatures and facts of the base side, kept for the session:
    /// when HEAD moves, what did not change is not analysed again.
    blobs: MemoryCache,
}

/// The base side of the comparison: analysed per path when first needed, then kept until
/// the base moves.
struct BaseSide {
    /// The base as `debtctl gate` would name it.
    pub label: String,
    tree: Option<Oid>,
    snapshot: Option<Snapshot>,
    findings: HashMap<String, BaseFile>,
}

impl Project {
    /// The project of a file: settings from `config` (the nearest `debtctl.toml`, as the
    /// command line finds it) and the repository around the file.
    pub fn open(config: Option<PathBuf>, file: &Path) -> Result<Project, String> {
        let overrides = Overrides { config: config.clone(), ..Overrides::default() };
        let settings = Settings::resolve(file, &overrides).map_err(|e| e.to_string())?;
        let (ticket_url, configured_base) = match &settings.config_path {
            Some(p) => {
                let c = load_config(p).map_err(|e| e.to_string())?;
                (c.ticket_url, c.gate.base)
            }
            None => (None, None),
        };
        let dir = if file.is_dir() { file } else { file.parent().unwrap_or(file) };
        let repo = Repository::discover(dir).ok().filter(|r| r.workdir().is_some());
        let repo_root =
            repo.as_ref().and_then(|r| r.workdir()).map(|w| w.canonicalize().unwrap_or(w.to_path_buf()));
        Ok(Project {
            settings,
            ticket_url,
            configured_base,
            repo,
            repo_root,
            base: None,
            blobs: MemoryCache::new(),
        })
    }

    /// How findings name a file: relative to the repository root (as the gate's are), else
    /// to the project root.
    pub fn shown_path(&self, path: &Path) -> String {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let rel = self
            .repo_root
            .as_deref()
            .and_then(|r| canonical.strip_prefix(r).ok())
            .or_else(|| canonical.strip_prefix(&self.settings.root).ok())
            .or_else(|| path.strip_prefix(&self.settings.root).ok())
            .unwrap_or(path);
        rel.to_string_lossy().replace('\\', "/")
    }

    /// Resolves the base as the gate does (`[gate] base`, else the upstream merge base), and
    /// `HEAD` where neither is there. Returns whether the base changed, and a message when
    /// the configured base could not be resolved.
    pub fn refresh_base(&mut self) -> (bool, Option<String>) {
        let Some(repo) = &self.repo else { return (false, None) };
        let mut message = None;
        let base = match resolve_base(repo, None, self.configured_base.as_deref()) {
            Ok(b) => Ok(b),
            Err(GateError::NoBase) => resolve_base(repo, Some("HEAD"), None),
            Err(e) => {
                message = Some(format!("{e}; comparing with HEAD instead"));
                resolve_base(repo, Some("HEAD"), None)
            }
        };
        let (label, tree) = match base {
            Ok(b) => (b.rev, b.tree),
            Err(e) => {
                // No commit and no base: everything is new, as in the gate.
                message = Some(format!("no gate base: {e}"));
                ("the empty tree".to_string(), None)
            }
        };
        let changed = self.base.as_ref().is_none_or(|b| b.tree != tree || b.label != label);
        if changed {
            self.base = Some(BaseSide { label, tree, snapshot: None, findings: HashMap::new() });
        }
        (changed, message)
    }

    /// The base as messages name it; `None` outside a repository.
    pub fn base_label(&self) -> Option<&str> {
        self.base.as_ref().map(|b| b.label.as_str())
    }

    /// The findings of `shown` (a repository path) at the base, analysed once per base.
    /// `None` outside a repository, where there is no base and all debt is new.
    fn base_findings(&mut self, shown: &str) -> Result<Option<BaseFile>, String> {
        if self.base.is_none() {
            self.refresh_base();
        }
        let (Some(repo), Some(base)) = (&self.repo, &mut self.base) else { return Ok(None) };
        let Some(tree) = base.tree else { return Ok(Some((Arc::new(Vec::new()), None))) };
        if base.snapshot.is_none() {
            base.snapshot =
                Some(Snapshot::read(repo, &Source::Tree(tree), &self.settings).map_err(|e| e.to_string())?);
        }
        if let Some(found) = base.findings.get(shown) {
            return Ok(Some(found.clone()));
        }
        let snap = base.snapshot.as_ref().expect("just read");
        let text = snap
            .get(shown)
            .and_then(|f| repo.find_blob(f.oid).ok())
            .and_then(|b| decode(b.content()).ok().map(str::to_string));
        let findings = if snap.get(shown).is_some() {
            let paths = BTreeSet::from([shown.to_string()]);
            let out = analyse(repo, snap, Some(&paths), &HashMap::new(), &self.settings, &self.blobs)
                .map_err(|e| e.to_string())?;
            out.findings.into_iter().filter(|f| f.path == shown).collect()
        } else {
            Vec::new()
        };
        let file: BaseFile = (Arc::new(findings), text.map(Arc::new));
        base.findings.insert(shown.to_string(), file.clone());
        Ok(Some(file))
    }
}

/// A file at the base: its findings and its text (for matching moved findings by code).
type BaseFile = (Arc<Vec<Finding>>, Option<Arc<String>>);

/// Each Go file's contribution to its package's facts, by path and content hash, so that
/// a package's facts are rebuilt without parsing the files that did not change.
#[derive(Default)]
pub struct FactsCache {
    files: HashMap<PathBuf, (u64, Arc<FileFacts>)>,
}

impl FactsCache {
    fn facts(&mut self, path: &Path, text: &str) -> Arc<FileFacts> {
        let hash = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        if let Some((h, f)) = self.files.get(path) {
            if *h == hash {
                return Arc::clone(f);
            }
        }
        let tree = debtctl_syntax::parse(Language::Go, text);
        let name = path.to_string_lossy();
        let facts =
            Arc::new(FileFacts::read(&PackageFile { name: &name, source: text, tree: tree.as_ref() }));
        self.files.insert(path.to_path_buf(), (hash, Arc::clone(&facts)));
        facts
    }
}

/// Why a document has no findings to show.
pub enum Skip {
    /// Generated, excluded by the config, or of no language debtctl reads: nothing to say.
    Quiet,
    /// Worth a log message.
    Logged(String),
}

/// Checks `doc` as `shown` with the project's settings; `open` holds the path and text of
/// every open document (a Go file's package is read from them where open, else from disk).
pub fn check(
    project: &Project,
    doc: &Document,
    shown: &str,
    open: &[(&Path, &str)],
    facts: &mut FactsCache,
) -> Result<FileResult, Skip> {
    let settings = &project.settings;
    if settings.is_excluded(&doc.path, false) || is_generated(doc.lang, &doc.text) {
        return Err(Skip::Quiet);
    }
    // What the scan would skip (too large, nested deeper than the grammar's scanner can
    // take) is skipped here too, with the scan's reason, by the same function.
    if let Err((_, reason)) = analysable(doc.lang, doc.text.as_bytes()) {
        return Err(Skip::Logged(format!("{shown}: {reason}")));
    }
    let rules = settings.selection_for(&doc.path, doc.lang);
    if doc.lang != Language::Go {
        return Ok(check_parsed(shown, doc.lang, &doc.text, doc.tree.as_ref(), rules, &settings.linter));
    }
    let package = package_facts(doc, open, facts);
    Ok(check_go_file(shown, &doc.text, doc.tree.as_ref(), &package, rules, &settings.linter))
}

/// The facts of a Go document's package: every `.go` file of its directory, in path
/// order, from open buffers where open, else from disk, and the document itself as edited.
fn package_facts(doc: &Document, open: &[(&Path, &str)], cache: &mut FactsCache) -> PackageFacts {
    let dir = doc.path.parent().unwrap_or(Path::new("."));
    let mut files: BTreeMap<PathBuf, ()> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if is_go(&p) && p.is_file() {
                files.insert(p, ());
            }
        }
    }
    // Open buffers count even before they are saved.
    files.extend(
        open.iter().filter(|(p, _)| p.parent() == Some(dir) && is_go(p)).map(|(p, _)| (p.to_path_buf(), ())),
    );
    files.insert(doc.path.clone(), ());
    let name = doc.path.to_string_lossy();
    let own =
        Arc::new(FileFacts::read(&PackageFile { name: &name, source: &doc.text, tree: doc.tree.as_ref() }));
    let mut parts = Vec::new();
    for path in files.keys() {
        if *path == doc.path {
            parts.push(Arc::clone(&own));
            continue;
        }
        match open.iter().find(|(p, _)| p == path) {
            Some((_, text)) => parts.push(cache.facts(path, text)),
            None => {
                if let Some(text) = std::fs::read(path).ok().and_then(|b| decode(&b).ok().map(str::to_string))
                {
                    parts.push(cache.facts(path, &text));
                }
            }
        }
    }
    let refs: Vec<&FileFacts> = parts.iter().map(|f| &**f).collect();
    PackageFacts::merge(&refs)
}

fn is_go(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "go")
}

/// Splits a document's findings into new and legacy against the project's base, and
/// pairs each with its fix.
pub fn classify(
    project: &mut Project,
    doc: &Document,
    shown: &str,
    result: FileResult,
) -> Result<Analysis, String> {
    let base = project.base_findings(shown)?;
    let new: HashSet<String> = match &base {
        None => result.findings.iter().map(|f| f.fingerprint.clone()).collect(),
        Some((base, base_text)) => {
            let comparison = debtctl_gate::compare_with(base, &result.findings, |side, f| match side {
                Side::Head => code_key(f, &doc.text),
                Side::Base => base_text.as_deref().and_then(|t| code_key(f, t)),
            });
            comparison.new.into_iter().map(|f| f.fingerprint).collect()
        }
    };
    // `fixes` holds, in finding order, the fix of each finding whose fix has edits.
    let mut fixes = result.fixes.into_iter().peekable();
    let items = result
        .findings
        .into_iter()
        .map(|finding| {
            let fix = match (&finding.fix, fixes.peek()) {
                (Some(summary), Some((rule, fix))) if *rule == finding.rule && fix.title == summary.title => {
                    fixes.next().map(|(_, f)| f)
                }
                _ => None,
            };
            let start = doc.lines.offset_of_line_col(&doc.text, finding.line, finding.column);
            let end =
                doc.lines.offset_of_line_col(&doc.text, finding.end_line, finding.end_column).max(start);
            Item { new: new.contains(&finding.fingerprint), finding, start, end, fix }
        })
        .collect();
    Ok(Analysis { version: doc.version, items })
}
