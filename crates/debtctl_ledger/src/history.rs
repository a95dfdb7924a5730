//! `history`: records every first-parent commit of a range that is not recorded yet,
//! oldest first, each in its own transaction; so an interrupted run leaves a consistent
//! ledger, and the next run continues where it stopped.

use crate::db::{open_repository, resolve_commit, Ledger, RecordOutcome};
use crate::error::LedgerError;
use crate::snapshot::Snapshot;
use debtctl_workspace::Settings;
use git2::{Oid, Repository};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Which commits `history` records: the first-parent chain from `rev`, back to the root,
/// or to (not including) `since` and its ancestors, or the newest `max_count` of it.
#[derive(Debug, Clone)]
pub struct HistoryRange {
    pub rev: String,
    pub since: Option<String>,
    pub max_count: Option<usize>,
}

/// What `history` reports while it works.
#[derive(Debug)]
pub enum Progress<'a> {
    /// The range holds `total` commits, `to_record` of them not recorded yet.
    Start { total: usize, to_record: usize },
    /// One more commit done (recorded now, or meanwhile by another process).
    Commit { outcome: &'a RecordOutcome },
}

/// What `history` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryOutcome {
    /// Commits in the range.
    pub commits: usize,
    /// Recorded by this run.
    pub recorded: usize,
    /// Recorded before (or meanwhile, by another process).
    pub already_recorded: usize,
    /// Files analysed, and files whose findings came from the cache.
    pub analysed: usize,
    pub cached: usize,
    /// Commits recorded without some files whose blob the object database lacks (a
    /// partial clone), and how many such files there were in all.
    pub commits_missing_blobs: usize,
    pub missing_blobs: usize,
    /// Files that could not be parsed safely in some recorded commit, by path, with the
    /// reason (of the last commit that analysed them).
    pub skipped: std::collections::BTreeMap<String, String>,
    /// The oldest commit the repository holds when it is a shallow clone whose history
    /// was cut there, and the range reached it.
    pub shallow_end: Option<String>,
}

impl Ledger {
    /// Records the commits of `range` in the repository at (or above) `repo_path` that
    /// are not recorded yet, oldest first, one transaction each.
    pub fn history(
        &mut self,
        repo_path: &Path,
        range: &HistoryRange,
        settings: &Settings,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<HistoryOutcome, LedgerError> {
        let repo = open_repository(repo_path)?;
        let tip = resolve_commit(&repo, &range.rev)?.id();
        let (chain, shallow_end) = first_parent_chain(&repo, tip)?;
        // chain[0] is the tip; a commit's depth is the number of commits after it.
        let depth_of = |n: usize| (chain.len() - 1 - n) as i64;
        let mut len = chain.len();
        if let Some(since) = &range.since {
            let since = resolve_commit(&repo, since)?.id();
            len = match chain.iter().position(|&c| c == since) {
                Some(n) => n,
                // Not on the chain: stop at the first commit `since` reaches, as
                // `git rev-list --first-parent since..rev` does.
                None => {
                    let mut walk = repo.revwalk()?;
                    walk.push(tip)?;
                    walk.hide(since)?;
                    walk.simplify_first_parent()?;
                    let shown: HashSet<Oid> = walk.collect::<Result<_, _>>()?;
                    chain.iter().take_while(|c| shown.contains(c)).count()
                }
            };
        }
        if let Some(max) = range.max_count {
            len = len.min(max);
        }
        let mut out = HistoryOutcome {
            commits: len,
            shallow_end: if len == chain.len() { shallow_end } else { None },
            ..HistoryOutcome::default()
        };

        let recorded = self.recorded_among(&chain[..len])?;
        // A clone deepened since: commits recorded when history was cut have a place in the
        // order counted from the cut; put them where they belong now.
        // (Its parents too: a shallow clone's oldest commit shows none.)
        let mut moved: Vec<(String, i64, Vec<String>)> = Vec::new();
        for (n, id) in chain[..len].iter().enumerate() {
            if recorded.get(id).is_some_and(|&depth| depth != depth_of(n)) {
                let parents = repo.find_commit(*id)?.parent_ids().map(|p| p.to_string()).collect();
                moved.push((id.to_string(), depth_of(n), parents));
            }
        }
        if !moved.is_empty() {
            self.set_depths(&moved)?;
        }
        let todo: Vec<usize> = (0..len).rev().filter(|n| !recorded.contains_key(&chain[*n])).collect();
        out.already_recorded = len - todo.len();
        progress(Progress::Start { total: len, to_record: todo.len() });

        // The snapshot of the commit just recorded, for its child's rename detection.
        let mut previous: Option<(Oid, Snapshot)> = None;
        for n in todo {
            let commit = repo.find_commit(chain[n])?;
            let parent = previous.as_ref().filter(|(id, _)| Some(*id) == commit.parent_ids().next());
            let (outcome, snap) =
                self.record_commit(&repo, &commit, depth_of(n), settings, parent.map(|(_, s)| s))?;
            if outcome.already_recorded {
                out.already_recorded += 1;
            } else {
                out.recorded += 1;
                out.analysed += outcome.analysed;
                out.cached += outcome.cached;
                out.commits_missing_blobs += usize::from(!outcome.missing.is_empty());
                out.missing_blobs += outcome.missing.len();
                out.skipped.extend(outcome.skipped.iter().cloned());
            }
            previous = snap.map(|s| (commit.id(), s));
            progress(Progress::Commit { outcome: &outcome });
        }
        Ok(out)
    }

    /// Which of `commits` are recorded, with their recorded depth.
    fn recorded_among(&self, commits: &[Oid]) -> Result<HashMap<Oid, i64>, LedgerError> {
        let mut found = HashMap::new();
        for c in commits {
            if let Some(depth) = self.recorded_depth(&c.to_string())? {
                found.insert(*c, depth);
            }
        }
        Ok(found)
    }
}

/// The first-parent chain from `tip` back to the oldest commit the repository holds,
/// newest first; and that oldest commit when a shallow clone cut history there.
fn first_parent_chain(repo: &Repository, tip: Oid) -> Result<(Vec<Oid>, Option<String>), LedgerError> {
    let mut chain = vec![tip];
    let mut current = repo.find_commit(tip)?;
    while let Some(parent) = current.parent_ids().next() {
        match repo.find_commit(parent) {
            Ok(p) => {
                chain.push(p.id());
                current = p;
            }
            // The parent is named but absent: history was cut (a shallow clone).
            Err(_) => return Ok((chain, Some(current.id().to_string()))),
        }
    }
    // libgit2 hides the parents of a shallow clone's boundary commits.
    let last = current.id().to_string();
    let shallow = repo.is_shallow()
        && std::fs::read_to_string(repo.path().join("shallow"))
            .is_ok_and(|list| list.lines().any(|l| l.trim() == last));
    Ok((chain, shallow.then_some(last)))
}
