//! The scan itself: read each discovered file once, skip what cannot or should not be
//! analysed (counted, with a warning), check the rest in parallel, and merge.

use crate::cache::{content_hash, Cache};
use crate::discovery::SourceFile;
use crate::settings::Settings;
use debtctl_diagnostics::{Finding, Summary};
use debtctl_linter::{check_source, is_generated, FileResult};
use rayon::prelude::*;
use std::path::Path;

/// Files larger than this are skipped with a warning: generated bundles, data dumps.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Why a file was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    Unreadable,
    TooLarge,
    Binary,
    InvalidUtf8,
    Generated,
    /// A rule panicked on the file: a bug of ours, reported instead of aborting the scan.
    InternalError,
}

#[derive(Debug, Clone)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub warnings: Vec<Warning>,
}

enum FileOutcome {
    Checked { result: FileResult, cache: Option<(String, u64)> },
    Skipped { reason: SkipReason, message: String },
}

/// How a path is shown: relative to the current directory when below it, else as given;
/// always with `/`.
pub fn display_path(path: &Path, cwd: Option<&Path>) -> String {
    let shown = match cwd {
        Some(cwd) => {
            let abs = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
            let abs = normalize(&abs);
            abs.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
        }
        None => path.to_path_buf(),
    };
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Removes `.` and resolves `..` lexically, without touching the file system.
fn normalize(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Scans `files` on a pool of `threads` threads, with the result cache when given.
pub fn scan(
    files: &[SourceFile],
    settings: &Settings,
    cache: Option<&mut Cache>,
    threads: usize,
) -> ScanOutcome {
    let cwd = std::env::current_dir().ok();
    let cache_ref = cache.as_deref();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build();
    let run = || -> Vec<(String, FileOutcome)> {
        files
            .par_iter()
            .map(|file| {
                let shown = display_path(&file.path, cwd.as_deref());
                let outcome = check_one(file, &shown, settings, cache_ref);
                (shown, outcome)
            })
            .collect()
    };
    let outcomes = match pool {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };

    let mut out = ScanOutcome::default();
    let mut fresh = Vec::new();
    for (shown, outcome) in outcomes {
        match outcome {
            FileOutcome::Checked { result, cache } => {
                out.summary.files += 1;
                out.summary.parse_errors += u64::from(result.parse_error);
                out.summary.suppressed += u64::from(result.suppressed);
                if let Some((key, hash)) = cache {
                    fresh.push((key, hash, result.clone()));
                }
                out.findings.extend(result.findings);
            }
            FileOutcome::Skipped { reason, message } => {
                let skipped = &mut out.summary.skipped;
                match reason {
                    SkipReason::Generated => skipped.generated += 1,
                    SkipReason::Binary => skipped.binary += 1,
                    SkipReason::InvalidUtf8 => skipped.invalid_utf8 += 1,
                    SkipReason::TooLarge => skipped.too_large += 1,
                    SkipReason::Unreadable | SkipReason::InternalError => skipped.unreadable += 1,
                }
                if reason != SkipReason::Generated {
                    out.warnings.push(Warning { path: shown, message });
                }
            }
        }
    }
    if let Some(cache) = cache {
        for (key, hash, result) in fresh {
            cache.insert(key, hash, result);
        }
    }
    out.findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    out.summary.findings = out.findings.len() as u64;
    out.summary.debt_minutes = out.findings.iter().map(|f| u64::from(f.debt_minutes)).sum();
    out
}

fn check_one(
    file: &SourceFile,
    shown: &str,
    settings: &Settings,
    cache: Option<&Cache>,
) -> FileOutcome {
    let skip = |reason, message: String| FileOutcome::Skipped { reason, message };
    match std::fs::metadata(&file.path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return skip(
                SkipReason::TooLarge,
                format!("skipped: {} bytes is over the {MAX_FILE_BYTES}-byte limit", m.len()),
            )
        }
        Ok(_) => {}
        Err(e) => return skip(SkipReason::Unreadable, format!("unreadable: {e}")),
    }
    let bytes = match std::fs::read(&file.path) {
        Ok(b) => b,
        Err(e) => return skip(SkipReason::Unreadable, format!("unreadable: {e}")),
    };
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return skip(SkipReason::Binary, "skipped: binary file".to_string());
    }
    let hash = content_hash(&bytes);
    if let Some(hit) = cache.and_then(|c| c.get(shown, hash)) {
        return FileOutcome::Checked { result: hit.clone(), cache: None };
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            return skip(
                SkipReason::InvalidUtf8,
                format!("skipped: invalid UTF-8 at byte {}", e.valid_up_to()),
            )
        }
    };
    let source = text.strip_prefix('\u{feff}').unwrap_or(text);
    if is_generated(file.lang, source) {
        return skip(SkipReason::Generated, "skipped: generated file".to_string());
    }
    let rules = settings.rules_for(&file.path);
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_source(shown, file.lang, source, rules, &settings.linter)
    }));
    match checked {
        Ok(result) => FileOutcome::Checked {
            result,
            cache: cache.map(|_| (shown.to_string(), hash)),
        },
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            skip(SkipReason::InternalError, format!("internal error, file skipped (please report): {what}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_relative_with_slashes() {
        let cwd = Path::new("/work/repo");
        assert_eq!(display_path(Path::new("/work/repo/a/b.py"), Some(cwd)), "a/b.py");
        assert_eq!(display_path(Path::new("./a/b.py"), Some(cwd)), "a/b.py");
        assert_eq!(display_path(Path::new("/elsewhere/x.go"), Some(cwd)), "/elsewhere/x.go");
        assert_eq!(display_path(Path::new("../repo/c.py"), Some(cwd)), "c.py");
    }
}
