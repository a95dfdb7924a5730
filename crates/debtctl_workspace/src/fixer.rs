//! `debtctl fix`: computes every file's fixes in parallel, then writes each changed file
//! atomically (a temporary file in the same directory, renamed over the original), with its
//! byte-order mark, line endings and mode kept, and never over a file that changed on disk
//! since it was read.

use crate::discovery::SourceFile;
use crate::engine::{analysable, display_path};
use crate::settings::Settings;
use debtctl_diagnostics::Applicability;
use debtctl_linter::fix::fix_source;
use debtctl_linter::{check_source, is_generated};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

const BOM: &str = "\u{feff}";

/// One file whose fixes change it.
#[derive(Debug, Clone)]
pub struct FileFix {
    pub path: PathBuf,
    pub shown: String,
    /// The file's bytes as read, byte-order mark included.
    pub original: Vec<u8>,
    /// The fixed text, byte-order mark included.
    pub fixed: String,
    pub applied: BTreeMap<&'static str, u32>,
}

/// What fixing found, before anything is written.
#[derive(Debug, Default)]
pub struct FixPlan {
    pub files: Vec<FileFix>,
    /// Fixes dropped because their result no longer parsed, by rule ID.
    pub rejected: BTreeMap<&'static str, u32>,
}

/// Computes the fixes of every file (only what `min` allows), in parallel.
pub fn plan(files: &[SourceFile], settings: &Settings, min: Applicability, threads: usize) -> FixPlan {
    let cwd = std::env::current_dir().ok();
    let run = || -> Vec<(Option<FileFix>, BTreeMap<&'static str, u32>)> {
        files
            .par_iter()
            .map(|file| {
                let shown = display_path(&file.path, cwd.as_deref());
                plan_one(file, &shown, settings, min)
            })
            .collect()
    };
    let results = match rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    let mut out = FixPlan::default();
    for (fix, rejected) in results {
        out.files.extend(fix);
        for (rule, n) in rejected {
            *out.rejected.entry(rule).or_default() += n;
        }
    }
    out
}

fn plan_one(
    file: &SourceFile,
    shown: &str,
    settings: &Settings,
    min: Applicability,
) -> (Option<FileFix>, BTreeMap<&'static str, u32>) {
    let Ok(bytes) = std::fs::read(&file.path) else { return (None, BTreeMap::new()) };
    // A file a scan would not analyse is not fixed either.
    let Ok(source) = analysable(file.lang, &bytes) else { return (None, BTreeMap::new()) };
    let bom = if bytes.starts_with(BOM.as_bytes()) { BOM } else { "" };
    if is_generated(file.lang, source) {
        return (None, BTreeMap::new());
    }
    let rules = settings.selection_for(&file.path, file.lang);
    let outcome = fix_source(file.lang, source, min, |text| {
        check_source(shown, file.lang, text, rules.clone(), &settings.linter).fixes
    });
    if outcome.source == source {
        return (None, outcome.rejected);
    }
    let fix = FileFix {
        path: file.path.clone(),
        shown: shown.to_string(),
        original: bytes.clone(),
        fixed: format!("{bom}{}", outcome.source),
        applied: outcome.applied,
    };
    (Some(fix), outcome.rejected)
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("changed on disk since it was read; not written")]
    Changed,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Writes one fixed file atomically. The target of a symbolic link is written, not the
/// link.
pub fn write(fix: &FileFix) -> Result<(), WriteError> {
    let path = std::fs::canonicalize(&fix.path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let meta = std::fs::metadata(&path)?;
    let mut tmp = tempfile::Builder::new().prefix(".debtctl-fix-").tempfile_in(dir)?;
    tmp.write_all(fix.fixed.as_bytes())?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), meta.permissions())?;
    // The last moment before the rename: is the file still what we read?
    if std::fs::read(&path)? != fix.original {
        return Err(WriteError::Changed);
    }
    tmp.persist(&path).map_err(|e| WriteError::Io(e.error))?;
    Ok(())
}

/// A unified diff of one file's fixes, as `--diff` prints it.
pub fn unified_diff(fix: &FileFix) -> String {
    let before = String::from_utf8_lossy(&fix.original);
    similar::TextDiff::from_lines(before.as_ref(), fix.fixed.as_str())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{}", fix.shown), &format!("b/{}", fix.shown))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("a.py");
        std::fs::write(&path, "x = 1\n").unwrap();
        let fix = FileFix {
            path: path.clone(),
            shown: "a.py".into(),
            original: b"x = 0\n".to_vec(),
            fixed: "x = 2\n".into(),
            applied: BTreeMap::new(),
        };
        assert!(matches!(write(&fix), Err(WriteError::Changed)));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x = 1\n");
        let fix = FileFix { original: b"x = 1\n".to_vec(), ..fix };
        write(&fix).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x = 2\n");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_target_of_a_link_is_written_and_the_link_kept() {
        let dir = tempfile::TempDir::new().unwrap();
        let target = dir.path().join("real.py");
        let link = dir.path().join("link.py");
        std::fs::write(&target, "x = 1\n").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let fix = FileFix {
            path: link.clone(),
            shown: "link.py".into(),
            original: b"x = 1\n".to_vec(),
            fixed: "x = 2\n".into(),
            applied: BTreeMap::new(),
        };
        write(&fix).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "x = 2\n");
    }
}
