//! Analysis of one commit from git objects: its tree is walked, each blob of a known
//! language is read and checked, and results come from the blob cache when they can.

use crate::error::LedgerError;
use debtctl_diagnostics::Finding;
use debtctl_linter::{check_go_file, check_source, is_generated, PackageFacts, PackageFile};
use debtctl_syntax::{parse, Language};
use debtctl_workspace::discovery::SKIPPED_DIRS;
use debtctl_workspace::engine::decode;
use debtctl_workspace::Settings;
use git2::{Commit, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// What analysing one commit gives: its metadata, its findings, and the cache entries it
/// computed that the ledger did not have yet.
#[derive(Debug)]
pub struct Analysis {
    pub sha: String,
    pub parents: Vec<String>,
    /// Author time, Unix seconds.
    pub time: i64,
    pub author: String,
    pub summary: String,
    pub message: String,
    /// How many first-parent ancestors the commit has (as far as the repository holds
    /// them): its place in first-parent order.
    pub depth: i64,
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    pub(crate) new_cache: Vec<CacheEntry>,
    /// Blobs (or Go packages) analysed, and those whose results came from the cache.
    pub analysed: usize,
    pub cached: usize,
}

/// One row of the blob cache: the findings of a blob at a path (or of a Go package in a
/// directory) under one rule-set key.
#[derive(Debug, Clone)]
pub(crate) struct CacheEntry {
    pub key: String,
    pub path: String,
    pub ruleset: String,
    pub findings: Vec<Finding>,
}

/// Looks up the blob cache: (key, path, rule-set key) to findings.
pub(crate) type CacheLookup<'a> = dyn Fn(&str, &str, &str) -> Result<Option<Vec<Finding>>, LedgerError> + 'a;

struct Blob {
    path: String,
    oid: Oid,
    lang: Language,
}

/// Analyses `commit` of `repo` with `settings`, taking results from `cache` where it has
/// them. Reads only git objects.
pub(crate) fn analyse_commit(
    repo: &Repository,
    commit: &Commit<'_>,
    settings: &Settings,
    cache: &CacheLookup<'_>,
) -> Result<Analysis, LedgerError> {
    let base = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    let blobs = tree_blobs(commit, settings, &base)?;
    let ruleset_base = format!("{}-{:016x}", env!("CARGO_PKG_VERSION"), settings.linter.cache_key());

    let mut out = Analysis {
        sha: commit.id().to_string(),
        parents: commit.parent_ids().map(|p| p.to_string()).collect(),
        time: commit.author().when().seconds(),
        author: String::from_utf8_lossy(commit.author().name_bytes()).into_owned(),
        summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
        message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
        depth: first_parent_depth(repo, commit.id()),
        findings: Vec::new(),
        new_cache: Vec::new(),
        analysed: 0,
        cached: 0,
    };

    let mut go_packages: BTreeMap<String, Vec<&Blob>> = BTreeMap::new();
    for blob in &blobs {
        if blob.lang == Language::Go {
            let dir = blob.path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            go_packages.entry(dir).or_default().push(blob);
            continue;
        }
        let rules = settings.rules_for(&base.join(&blob.path));
        let ruleset = format!("{ruleset_base}-{:016x}", rules.bits());
        let key = blob.oid.to_string();
        if let Some(findings) = cache(&key, &blob.path, &ruleset)? {
            out.cached += 1;
            out.findings.extend(findings);
            continue;
        }
        let findings = match load_text(repo, blob.oid)? {
            Some(text) if !is_generated(blob.lang, &text) => {
                check_source(&blob.path, blob.lang, &text, rules, &settings.linter).findings
            }
            _ => Vec::new(),
        };
        out.analysed += 1;
        out.findings.extend(findings.iter().cloned());
        out.new_cache.push(CacheEntry { key, path: blob.path.clone(), ruleset, findings });
    }

    for (dir, files) in go_packages {
        // The package's identity: every file's path, blob and rules. A changed sibling
        // changes the package facts, hence every file's result.
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut rules_of = Vec::with_capacity(files.len());
        for f in &files {
            let rules = settings.rules_for(&base.join(&f.path));
            h.update(f.path.as_bytes());
            h.update(&[0]);
            h.update(f.oid.as_bytes());
            h.update(&rules.bits().to_le_bytes());
            rules_of.push(rules);
        }
        let key = format!("go-package:{:016x}", h.digest());
        let path = format!("{dir}/*.go");
        if let Some(findings) = cache(&key, &path, &ruleset_base)? {
            out.cached += 1;
            out.findings.extend(findings);
            continue;
        }
        let mut loaded = Vec::new();
        for (f, rules) in files.iter().zip(&rules_of) {
            if let Some(text) = load_text(repo, f.oid)? {
                let generated = is_generated(Language::Go, &text);
                loaded.push((f.path.as_str(), text, *rules, generated));
            }
        }
        // Facts come from every file, generated ones included (the others call them);
        // generated files are not checked.
        let trees: Vec<_> = loaded.iter().map(|(_, text, _, _)| parse(Language::Go, text)).collect();
        let units: Vec<PackageFile<'_>> = loaded
            .iter()
            .zip(&trees)
            .map(|((name, text, _, _), tree)| PackageFile { name, source: text, tree: tree.as_ref() })
            .collect();
        let facts = PackageFacts::collect(&units);
        let mut findings = Vec::new();
        for ((name, text, rules, generated), tree) in loaded.iter().zip(&trees) {
            if !generated {
                let r = check_go_file(name, text, tree.as_ref(), &facts, *rules, &settings.linter);
                findings.extend(r.findings);
            }
        }
        out.analysed += 1;
        out.findings.extend(findings.iter().cloned());
        out.new_cache.push(CacheEntry { key, path, ruleset: ruleset_base.clone(), findings });
    }

    out.findings
        .sort_by(|a, b| (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule)));
    Ok(out)
}

/// The blobs of the commit's tree that a scan would read: a known language, not under
/// `vendor/`, `node_modules/` or `third_party/`, not excluded by the settings. YAML under
/// `templates/` of a directory holding `Chart.yaml` is a Helm template.
fn tree_blobs(commit: &Commit<'_>, settings: &Settings, base: &Path) -> Result<Vec<Blob>, LedgerError> {
    let tree = commit.tree()?;
    let mut all: Vec<(String, Oid)> = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Tree) {
            let name = entry.name().unwrap_or("");
            if SKIPPED_DIRS.contains(&name) {
                return TreeWalkResult::Skip;
            }
        }
        if entry.kind() == Some(ObjectType::Blob) && entry.filemode() != 0o120000 {
            if let Some(name) = entry.name() {
                all.push((format!("{dir}{name}"), entry.id()));
            }
        }
        TreeWalkResult::Ok
    })?;
    let paths: HashSet<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
    let mut blobs = Vec::new();
    for (path, oid) in &all {
        let Some(mut lang) = Language::from_path(Path::new(path)) else { continue };
        if settings.is_excluded(&base.join(path), false) {
            continue;
        }
        if lang == Language::Yaml && is_helm_template(path, &paths) {
            lang = Language::HelmTemplate;
        }
        blobs.push(Blob { path: path.clone(), oid: *oid, lang });
    }
    Ok(blobs)
}

/// A path below a `templates/` directory whose parent holds `Chart.yaml` in the same tree.
fn is_helm_template(path: &str, paths: &HashSet<&str>) -> bool {
    let p = PathBuf::from(path);
    p.ancestors().skip(1).filter(|d| d.file_name().is_some_and(|n| n == "templates")).any(|templates| {
        let chart = templates.parent().map_or_else(|| PathBuf::from("Chart.yaml"), |c| c.join("Chart.yaml"));
        chart.to_str().is_some_and(|c| paths.contains(c))
    })
}

/// The blob as text, or `None` when a scan would skip it: over the size limit, binary
/// (a NUL byte early on), or not UTF-8. A leading BOM is dropped.
fn load_text(repo: &Repository, oid: Oid) -> Result<Option<String>, LedgerError> {
    let blob = repo.find_blob(oid)?;
    Ok(decode(blob.content()).ok().map(str::to_string))
}

/// The number of first-parent ancestors of `oid` that the repository holds (a shallow
/// clone stops early).
fn first_parent_depth(repo: &Repository, oid: Oid) -> i64 {
    let mut depth = 0;
    let mut current = repo.find_commit(oid).ok();
    while let Some(c) = current {
        current = if c.parent_count() > 0 { c.parent(0).ok() } else { None };
        if current.is_some() {
            depth += 1;
        }
    }
    depth
}
