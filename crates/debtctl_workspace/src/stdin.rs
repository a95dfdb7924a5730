//! `debtctl scan --stdin-filename PATH -`: a file's text from standard input, analysed as
//! the file PATH would be in a scan: its language (a Helm template when PATH is in a
//! chart's `templates/`), the config found from PATH, its per-path rules and, for Go, its
//! package: the other `.go` files of PATH's directory, as they are on disk, give the facts
//! (an editor's unsaved buffer is checked against its saved siblings).

use crate::discovery::is_helm_template;
use crate::engine::{decode, display_path, ScanOutcome, SkipReason, Warning};
use crate::settings::Settings;
use debtctl_linter::{check_package, check_source, is_generated, RuleSet, Selection};
use debtctl_syntax::Language;
use std::path::Path;

/// The language PATH is analysed in; `None` when debtctl does not analyse such files.
pub fn language_of(path: &Path) -> Option<Language> {
    match Language::from_path(path)? {
        Language::Yaml if is_helm_template(path) => Some(Language::HelmTemplate),
        lang => Some(lang),
    }
}

/// Analyses `bytes` as the file `path` in `lang`; counts and warnings as a scan of that one
/// file would give them.
pub fn scan_text(path: &Path, lang: Language, bytes: &[u8], settings: &Settings) -> ScanOutcome {
    let cwd = std::env::current_dir().ok();
    let shown = display_path(path, cwd.as_deref());
    let mut out = ScanOutcome::default();
    let text = match decode(bytes) {
        Ok(text) => text,
        Err((reason, message)) => {
            let skipped = &mut out.summary.skipped;
            match reason {
                SkipReason::Binary => skipped.binary += 1,
                SkipReason::InvalidUtf8 => skipped.invalid_utf8 += 1,
                SkipReason::TooLarge => skipped.too_large += 1,
                _ => skipped.unreadable += 1,
            }
            out.warnings.push(Warning { path: shown, message });
            return out;
        }
    };
    if is_generated(lang, text) {
        out.summary.skipped.generated += 1;
        return out;
    }
    let rules = settings.selection_for(path, lang);
    let result = if lang == Language::Go {
        let siblings = go_siblings(path, cwd.as_deref());
        let mut files: Vec<(&str, &str, Selection)> = vec![(shown.as_str(), text, rules)];
        let none = || Selection::from(RuleSet::empty());
        files.extend(siblings.iter().map(|(p, t)| (p.as_str(), t.as_str(), none())));
        check_package(&files, &settings.linter).swap_remove(0)
    } else {
        check_source(&shown, lang, text, rules, &settings.linter)
    };
    out.summary.files = 1;
    if result.parse_error {
        out.summary.parse_errors = 1;
        out.syntax_errors.push((shown, result.parse_error_line));
    }
    out.summary.suppressed = u64::from(result.suppressed);
    out.findings = result.findings;
    out.findings
        .sort_by(|a, b| (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule)));
    out.summary.findings = out.findings.len() as u64;
    out.summary.debt_minutes = out.findings.iter().map(|f| u64::from(f.debt_minutes)).sum();
    out
}

/// The other `.go` files of `path`'s directory that can be read as text, as (shown path,
/// text); nothing when the directory does not exist.
fn go_siblings(path: &Path, cwd: Option<&Path>) -> Vec<(String, String)> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<(String, String)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "go") && p.file_name() != path.file_name())
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            let text = decode(&bytes).ok()?.to_string();
            Some((display_path(&p, cwd), text))
        })
        .collect();
    out.sort();
    out
}
