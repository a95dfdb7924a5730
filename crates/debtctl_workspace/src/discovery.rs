//! Which files a scan reads: a parallel walk that honours `.gitignore`, `.ignore` and
//! hidden files, skips `vendor/`, `node_modules/`, `third_party/` and excluded globs, and
//! adds back the files git tracks although a `.gitignore` pattern matches them.

use crate::settings::Settings;
use crate::WorkspaceError;
use debtctl_syntax::Language;
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Directories never scanned: other people's code.
pub const SKIPPED_DIRS: &[&str] = &["vendor", "node_modules", "third_party"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    pub path: PathBuf,
    pub lang: Language,
}

/// Every file to scan under `paths`, sorted, without duplicates. A path that does not
/// exist is an error; a file named explicitly is scanned whatever the ignore rules say.
pub fn discover(
    paths: &[PathBuf],
    settings: &Settings,
    threads: usize,
) -> Result<Vec<SourceFile>, WorkspaceError> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).map_err(|source| WorkspaceError::Path { path: path.clone(), source })?;
        if meta.is_file() {
            if let Some(lang) = Language::from_path(path) {
                files.push(SourceFile { path: path.clone(), lang });
            }
            continue;
        }
        let walked = walk_dir(path, settings, threads);
        let tracked = tracked_but_ignored(path, settings, &walked);
        files.extend(walked);
        files.extend(tracked);
    }
    for f in &mut files {
        if f.lang == Language::Yaml && is_helm_template(&f.path) {
            f.lang = Language::HelmTemplate;
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

/// A file below a `templates/` directory whose parent holds `Chart.yaml`, on disk.
pub fn is_helm_template(path: &Path) -> bool {
    is_helm_template_in(path, |chart| chart.is_file())
}

/// A file below a `templates/` directory whose parent holds `Chart.yaml`, where `exists`
/// says whether a path exists (on disk, in a git tree, in the index).
pub fn is_helm_template_in(path: &Path, exists: impl Fn(&Path) -> bool) -> bool {
    path.ancestors()
        .skip(1)
        .filter(|dir| dir.file_name().is_some_and(|n| n == "templates"))
        .any(|templates| templates.parent().is_some_and(|chart| exists(&chart.join("Chart.yaml"))))
}

/// Whether an exclude glob names this path itself, not counting the directories above it.
fn excluded_itself(settings: &Settings, path: &Path, is_dir: bool) -> bool {
    if settings.excludes.is_empty() {
        return false;
    }
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let rel = abs.strip_prefix(&settings.root).unwrap_or(&abs);
    settings.excludes.matched(rel, is_dir).is_ignore()
}

fn skipped_dir(name: &str) -> bool {
    SKIPPED_DIRS.contains(&name)
}

fn walk_dir(dir: &Path, settings: &Settings, threads: usize) -> Vec<SourceFile> {
    let mut builder = WalkBuilder::new(dir);
    builder
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(true)
        .ignore(true)
        .parents(true)
        .threads(threads);
    let filter_settings: &Settings = settings;
    // `filter_entry` wants 'static; the exclusion check happens in the visitor instead, and
    // directories are cut off there by returning `WalkState::Skip`.
    let collected = Mutex::new(Vec::new());
    let mut visitors = Collector { settings: filter_settings, sink: &collected };
    builder.build_parallel().visit(&mut visitors);
    collected.into_inner().expect("no visitor panicked")
}

struct Collector<'s> {
    settings: &'s Settings,
    sink: &'s Mutex<Vec<SourceFile>>,
}

impl<'s> ParallelVisitorBuilder<'s> for Collector<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(ThreadCollector { settings: self.settings, sink: self.sink, files: Vec::new() })
    }
}

/// Collects one thread's files and hands them over once, when the walk ends.
struct ThreadCollector<'s> {
    settings: &'s Settings,
    sink: &'s Mutex<Vec<SourceFile>>,
    files: Vec<SourceFile>,
}

impl ParallelVisitor for ThreadCollector<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        let Ok(entry) = entry else { return WalkState::Continue };
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        if entry.depth() > 0 {
            if is_dir && entry.file_name().to_str().is_some_and(skipped_dir) {
                return WalkState::Skip;
            }
            // Only the entry itself: its parents below the walk's root were checked on the
            // way down, and a directory named on the command line is scanned even when an
            // exclude names it (`debtctl scan fixtures/` where the config excludes them).
            if excluded_itself(self.settings, entry.path(), is_dir) {
                return WalkState::Skip;
            }
        }
        if entry.file_type().is_some_and(|t| t.is_file()) {
            if let Some(lang) = Language::from_path(entry.path()) {
                self.files.push(SourceFile { path: entry.into_path(), lang });
            }
        }
        WalkState::Continue
    }
}

impl Drop for ThreadCollector<'_> {
    fn drop(&mut self) {
        if let Ok(mut sink) = self.sink.lock() {
            sink.append(&mut self.files);
        }
    }
}

/// Files under `dir` that git tracks but the walk left out because a `.gitignore` pattern
/// matches them: they are part of the code. Hidden paths, skipped directories and excluded
/// globs still keep them out.
fn tracked_but_ignored(dir: &Path, settings: &Settings, walked: &[SourceFile]) -> Vec<SourceFile> {
    let Ok(repo) = git2::Repository::discover(dir) else { return Vec::new() };
    let (Some(workdir), Ok(index)) = (repo.workdir(), repo.index()) else { return Vec::new() };
    let (Ok(workdir), Ok(canon_dir)) = (workdir.canonicalize(), dir.canonicalize()) else {
        return Vec::new();
    };
    // Where `dir` is in the repository, as the index spells paths: "" at the top, else "a/b/".
    let Some(inside) = canon_dir.strip_prefix(&workdir).ok().and_then(Path::to_str) else {
        return Vec::new();
    };
    let prefix = if inside.is_empty() { String::new() } else { format!("{inside}/") };
    let seen: HashSet<&Path> = walked.iter().filter_map(|f| f.path.strip_prefix(dir).ok()).collect();
    let mut extra = Vec::new();
    // The cheap tests on the index's own text first: most entries are under vendor/, in a
    // hidden directory or of no language (the 5,523 entries of prometheus v2.24.1 cost 63 M
    // instructions more when each was first made a path).
    for entry in index.iter() {
        let Ok(rel_repo) = std::str::from_utf8(&entry.path) else { continue };
        let Some(rel) = rel_repo.strip_prefix(prefix.as_str()) else { continue };
        let Some(lang) = Language::from_path(Path::new(rel)) else { continue };
        if rel.split('/').any(|c| c.starts_with('.') || skipped_dir(c)) {
            continue;
        }
        let rel = Path::new(rel);
        if seen.contains(rel) {
            continue;
        }
        let path = dir.join(rel);
        // The file and the directories between it and `dir`, as the walk would check them.
        let excluded = rel
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| excluded_itself(settings, &dir.join(a), a != rel));
        if excluded || !path.is_file() {
            continue;
        }
        extra.push(SourceFile { path, lang });
    }
    extra
}
