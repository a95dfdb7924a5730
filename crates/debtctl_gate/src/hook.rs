//! `debtctl install-hook`: a git pre-commit hook that runs the gate on the staged content
//! against HEAD, for people who do not use the pre-commit framework.

use crate::GateError;
use git2::Repository;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The line that marks a hook as ours, so that installing again replaces it quietly.
pub const MARKER: &str = "# debtctl pre-commit hook (written by `debtctl install-hook`)";

/// What `install_pre_commit` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub path: PathBuf,
    /// Where a foreign hook that `--force` replaced was saved.
    pub backup: Option<PathBuf>,
    /// The hook was ours already (and is now rewritten).
    pub replaced_ours: bool,
}

/// The hooks directory git runs hooks from: `core.hooksPath` (relative to the work tree
/// when relative), else `hooks/` of the common git directory (shared by worktrees).
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf, GateError> {
    let config = repo.config()?;
    if let Ok(p) = config.get_path("core.hooksPath") {
        if p.is_absolute() {
            return Ok(p);
        }
        let base = repo.workdir().unwrap_or_else(|| repo.path());
        return Ok(base.join(p));
    }
    Ok(repo.commondir().join("hooks"))
}

/// The hook's script: the gate on staged content against HEAD, run by the debtctl that
/// installed it when that binary is still there, else the one on `PATH`.
pub fn script(exe: &Path) -> String {
    let exe = exe.to_string_lossy().replace('\'', r"'\''");
    format!(
        "#!/bin/sh\n{MARKER}\n\
         # Fails the commit when the staged content adds debt that HEAD does not have.\n\
         # Skip it once with `git commit --no-verify`.\n\
         debtctl='{exe}'\n\
         [ -x \"$debtctl\" ] || debtctl=debtctl\n\
         exec \"$debtctl\" gate --staged --base HEAD\n"
    )
}

/// Writes `pre-commit` into the hooks directory. A hook that debtctl did not write is
/// left alone unless `force`, and then kept as `pre-commit.debtctl-backup`.
pub fn install_pre_commit(repo: &Repository, exe: &Path, force: bool) -> Result<Installed, GateError> {
    let dir = hooks_dir(repo)?;
    let path = dir.join("pre-commit");
    let backup_path = dir.join("pre-commit.debtctl-backup");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GateError::Io { path, source }
    };
    let mut backup = None;
    let mut replaced_ours = false;
    match std::fs::read(&path) {
        Ok(old) => {
            if String::from_utf8_lossy(&old).contains(MARKER) {
                replaced_ours = true;
            } else if !force {
                return Err(GateError::ForeignHook { path, backup: backup_path });
            } else {
                std::fs::copy(&path, &backup_path).map_err(io(&backup_path))?;
                backup = Some(backup_path);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(GateError::Io { path, source: e }),
    }
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut tmp = tempfile::Builder::new().prefix(".pre-commit").tempfile_in(&dir).map_err(io(&dir))?;
    tmp.write_all(script(exe).as_bytes()).map_err(io(tmp.path()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o755)).map_err(io(&path))?;
    }
    tmp.persist(&path).map_err(|e| GateError::Io { path: path.clone(), source: e.error })?;
    Ok(Installed { path, backup, replaced_ours })
}
