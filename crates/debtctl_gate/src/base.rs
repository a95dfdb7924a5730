//! Which commit the change is compared with: `--base`, else `[gate] base` of the config,
//! else the merge base of HEAD with its branch's upstream.

use crate::GateError;
use git2::{Oid, Repository};

/// Where the base came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseOrigin {
    Flag,
    Config,
    /// The merge base of HEAD with this upstream branch.
    Upstream(String),
}

/// The resolved base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// The revision as the user gave it (or `merge-base(HEAD, UPSTREAM)`).
    pub rev: String,
    pub origin: BaseOrigin,
    /// The commit, when the revision names one.
    pub commit: Option<Oid>,
    /// The tree; `None` is the empty tree (HEAD of a repository without commits yet).
    pub tree: Option<Oid>,
}

/// Resolves the base. A revision ending in `...` (`origin/main...`) means the merge base
/// of that revision and HEAD, as in `git diff A...`. `HEAD` of a repository that has no
/// commit yet is the empty tree, so that a hook does not block the first commit's
/// analysis (everything in it is new).
pub fn resolve_base(
    repo: &Repository,
    flag: Option<&str>,
    configured: Option<&str>,
) -> Result<Base, GateError> {
    let (rev, origin) = match (flag, configured) {
        (Some(r), _) if !r.trim().is_empty() => (r.trim().to_string(), BaseOrigin::Flag),
        (_, Some(r)) if !r.trim().is_empty() => (r.trim().to_string(), BaseOrigin::Config),
        _ => return upstream_merge_base(repo),
    };
    let unknown =
        |e: git2::Error| GateError::UnknownBase { rev: rev.clone(), message: e.message().to_string() };
    let unborn = matches!(repo.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch);
    if rev == "HEAD" && unborn {
        return Ok(Base { rev, origin, commit: None, tree: None });
    }
    if let Some(other) = rev.strip_suffix("...") {
        let theirs = repo.revparse_single(other).and_then(|o| o.peel_to_commit()).map_err(unknown)?;
        let head = repo.head().and_then(|h| h.peel_to_commit()).map_err(unknown)?;
        let mb = repo.merge_base(head.id(), theirs.id()).map_err(unknown)?;
        let tree = repo.find_commit(mb)?.tree_id();
        return Ok(Base { rev, origin, commit: Some(mb), tree: Some(tree) });
    }
    let object = repo.revparse_single(&rev).map_err(unknown)?;
    let commit = object.peel_to_commit().ok().map(|c| c.id());
    let tree = object.peel_to_tree().map_err(unknown)?.id();
    Ok(Base { rev, origin, commit, tree: Some(tree) })
}

fn upstream_merge_base(repo: &Repository) -> Result<Base, GateError> {
    let head = repo.head().map_err(|_| GateError::NoBase)?;
    if !head.is_branch() {
        return Err(GateError::NoBase);
    }
    let name = head.name().ok_or(GateError::NoBase)?;
    let upstream = repo.branch_upstream_name(name).map_err(|_| GateError::NoBase)?;
    let upstream = upstream.as_str().ok_or(GateError::NoBase)?.to_string();
    let theirs = repo
        .find_reference(&upstream)
        .and_then(|r| r.peel_to_commit())
        .map_err(|e| GateError::UnknownBase { rev: upstream.clone(), message: e.message().to_string() })?;
    let ours = head.peel_to_commit()?;
    let mb = repo.merge_base(ours.id(), theirs.id()).map_err(|_| GateError::NoBase)?;
    let short = upstream.strip_prefix("refs/remotes/").unwrap_or(&upstream).to_string();
    let tree = repo.find_commit(mb)?.tree_id();
    Ok(Base {
        rev: format!("merge-base(HEAD, {short})"),
        origin: BaseOrigin::Upstream(short),
        commit: Some(mb),
        tree: Some(tree),
    })
}
