//! Hotspots: where debt meets change. As CodeScene ranks them, a file's score is its open
//! debt times its recent churn (the commits that touched it), so debt in code nobody
//! changes ranks below smaller debt in code that changes every week. Churn is read from
//! git (first-parent history of the newest recorded commit) because the ledger does not
//! record which files a commit touched.

use crate::model::{parse_rfc3339_utc, LedgerExport};
use crate::ExportError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// How far back churn counts: this many days before the newest recorded commit, and at
/// most this many commits.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub days: u32,
    pub max_commits: usize,
}

impl Default for Window {
    fn default() -> Self {
        Window { days: 90, max_commits: 2000 }
    }
}

/// Commits that touched each file and each directory within the window.
#[derive(Debug, Clone, Default)]
pub struct Churn {
    pub files: HashMap<String, u32>,
    pub dirs: HashMap<String, u32>,
    /// Commits walked.
    pub commits: u32,
    pub window: Option<Window>,
}

/// Walks first parents from `head` in the repository at `repo` and counts, for each path,
/// the commits whose diff against their first parent touches it.
pub fn churn(repo: &Path, head: &str, window: Window) -> Result<Churn, ExportError> {
    let repo = git2::Repository::open(repo)?;
    let head = repo.revparse_single(head)?.peel_to_commit()?;
    let since = head.time().seconds() - i64::from(window.days) * 86_400;
    let mut walk = repo.revwalk()?;
    walk.push(head.id())?;
    walk.simplify_first_parent()?;
    let mut out = Churn { window: Some(window), ..Churn::default() };
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        if commit.time().seconds() < since || out.commits as usize >= window.max_commits {
            break;
        }
        out.commits += 1;
        let tree = commit.tree()?;
        let parent = match commit.parent(0) {
            Ok(p) => Some(p.tree()?),
            Err(_) => None,
        };
        let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None)?;
        let mut dirs = HashSet::new();
        for delta in diff.deltas() {
            let Some(path) = delta.new_file().path().or_else(|| delta.old_file().path()) else { continue };
            let path = path.to_string_lossy().replace('\\', "/");
            dirs.insert(dir_of(&path).to_string());
            *out.files.entry(path).or_default() += 1;
        }
        for d in dirs {
            *out.dirs.entry(d).or_default() += 1;
        }
    }
    Ok(out)
}

/// The directory holding a file, `.` at the root.
pub fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => ".",
    }
}

/// One ranked file or directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Hotspot {
    pub path: String,
    pub debt_minutes: u64,
    pub items: u64,
    pub churn: u32,
    /// `debt_minutes × churn`.
    pub score: u64,
}

/// Open debt per file and per directory, ranked by score, then debt, then path.
pub fn rank(doc: &LedgerExport, churn: &Churn) -> (Vec<Hotspot>, Vec<Hotspot>) {
    let mut files: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut dirs: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for item in doc.open_items() {
        let f = files.entry(item.path.as_str()).or_default();
        f.0 += item.debt_minutes;
        f.1 += 1;
        let d = dirs.entry(dir_of(&item.path)).or_default();
        d.0 += item.debt_minutes;
        d.1 += 1;
    }
    let build = |m: BTreeMap<&str, (u64, u64)>, counts: &HashMap<String, u32>| {
        let mut v: Vec<Hotspot> = m
            .into_iter()
            .map(|(path, (debt, items))| {
                let churn = counts.get(path).copied().unwrap_or(0);
                Hotspot {
                    path: path.to_string(),
                    debt_minutes: debt,
                    items,
                    churn,
                    score: debt * u64::from(churn),
                }
            })
            .collect();
        v.sort_by(|a, b| {
            b.score.cmp(&a.score).then(b.debt_minutes.cmp(&a.debt_minutes)).then(a.path.cmp(&b.path))
        });
        v
    };
    (build(files, &churn.files), build(dirs, &churn.dirs))
}

/// The newest commit's time, for the window's caption.
pub fn head_time(doc: &LedgerExport) -> Option<i64> {
    doc.head_commit().and_then(|c| parse_rfc3339_utc(&c.time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_of_root_files_is_dot() {
        assert_eq!(dir_of("a.py"), ".");
        assert_eq!(dir_of("pkg/sub/a.go"), "pkg/sub");
    }
}
