//! The working tree as an index held in memory, so that reading it costs what changed.
//!
//! `Snapshot::read(Source::WorkDir)` reads and hashes every analysable file of the work
//! tree; on a repository of a few thousand files that hashing alone is most of a warm
//! gate's time. git's own answer is the index's stat cache: `git status` knows which
//! tracked files changed without reading the others. This module asks libgit2's status
//! (work tree against the index) which files are modified, deleted or untracked (not
//! ignored), copies the index into memory with those files' current content in it, and
//! installs it as the repository's index; the gate then reads `Source::Index`. Blobs that
//! the object database lacks go into an in-memory object backend (mempack): nothing is
//! written to the repository, neither the index nor objects.

use crate::GateError;
use debtctl_syntax::Language;
use git2::{Index, IndexEntry, IndexTime, ObjectType, Oid, Repository, Status, StatusOptions, StatusShow};
use std::path::Path;

/// Installs the in-memory work-tree index as `repo`'s index. Returns how many files of
/// the work tree were read.
pub(crate) fn install_worktree_index(repo: &Repository) -> Result<usize, GateError> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| GateError::NotARepository { path: repo.path().to_path_buf() })?
        .to_path_buf();
    let mut opts = StatusOptions::new();
    opts.show(StatusShow::Workdir)
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .renames_index_to_workdir(false);
    let changed: Vec<(String, Status)> = repo
        .statuses(Some(&mut opts))?
        .iter()
        .filter_map(|s| s.path().map(|p| (p.to_string(), s.status())))
        .collect();

    // A copy of the index, independent of the repository's (which is never written).
    let current = repo.index()?;
    let mut index = match current.path() {
        Some(p) if p.is_file() => Index::open(p)?,
        _ => Index::new()?,
    };
    drop(current);
    let odb = repo.odb()?;
    // Above the loose (1) and pack (2) backends, so that writes land in memory.
    odb.add_new_mempack_backend(1000)?;

    let mut read = 0;
    for (path, status) in changed {
        let rel = Path::new(&path);
        let abs = workdir.join(rel);
        let meta = std::fs::symlink_metadata(&abs).ok().filter(|m| m.is_file());
        let Some(meta) = meta.filter(|_| !status.contains(Status::WT_DELETED)) else {
            let _ = index.remove_path(rel);
            continue;
        };
        if !status.intersects(Status::WT_NEW | Status::WT_MODIFIED | Status::WT_TYPECHANGE) {
            continue;
        }
        // Only analysable files need their content; others keep what the index says.
        if Language::from_path(rel).is_none() {
            continue;
        }
        let bytes = std::fs::read(&abs).map_err(|source| GateError::Io { path: abs.clone(), source })?;
        read += 1;
        let id = Oid::hash_object(ObjectType::Blob, &bytes)?;
        if !odb.exists(id) {
            odb.write(ObjectType::Blob, &bytes)?;
        }
        let mode = match index.get_path(rel, 0) {
            Some(e) if e.mode & 0o170000 == 0o100000 => e.mode,
            _ => regular_mode(&meta),
        };
        let zero = IndexTime::new(0, 0);
        index.add(&IndexEntry {
            ctime: zero,
            mtime: zero,
            dev: 0,
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            file_size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            id,
            flags: 0,
            flags_extended: 0,
            path: path.into_bytes(),
        })?;
    }
    repo.set_index(&mut index)?;
    Ok(read)
}

#[cfg(unix)]
fn regular_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o111 != 0 {
        0o100755
    } else {
        0o100644
    }
}

#[cfg(not(unix))]
fn regular_mode(_meta: &std::fs::Metadata) -> u32 {
    0o100644
}
