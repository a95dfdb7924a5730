//! ast-grep's rule-test files: `id:` names a rule, `valid:` snippets it must not match,
//! `invalid:` snippets it must match. Snapshot files (`__snapshots__/`) are ast-grep's
//! and are not read.

use crate::load::{documents, yaml_files, yaml_reason};
use crate::{CustomRules, Language, LoadError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The outcome of one snippet.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The test file.
    pub file: PathBuf,
    pub rule_id: String,
    /// Whether this is a `valid:` case (the rule must stay silent) or an `invalid:` one.
    pub valid: bool,
    /// The snippet's place in its `valid:` or `invalid:` list, from 0.
    pub index: usize,
    /// The line of the test file where the snippet starts, from 1, when it can be found
    /// as written (a quoted snippet with escapes cannot).
    pub line: Option<usize>,
    pub snippet: String,
    pub passed: bool,
    /// Why it failed (empty when it passed): "expected no match, found 1 at line 2",
    /// "expected a match, found none".
    pub detail: String,
    /// The snippet lines (from 1) where the rule matched.
    pub match_lines: Vec<usize>,
}

/// The tests of a rule with `severity: off`, which do not run (as `ast-grep test` skips
/// them).
#[derive(Debug, Clone)]
pub struct Skipped {
    pub file: PathBuf,
    pub rule_id: String,
    /// How many snippets it has.
    pub cases: usize,
}

#[derive(Debug, Clone, Default)]
pub struct TestReport {
    pub cases: Vec<CaseResult>,
    pub skipped: Vec<Skipped>,
}

impl TestReport {
    pub fn failed(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases.iter().filter(|c| !c.passed)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCase {
    id: String,
    #[serde(default)]
    valid: Vec<String>,
    #[serde(default)]
    invalid: Vec<String>,
}

/// Runs every test file under `dirs` (`*.yml`/`*.yaml`, recursive, sorted; `__snapshots__`
/// directories skipped). Each snippet is parsed with `debtctl_syntax` as a scan would parse a
/// file of the rule's language, and only that rule is run on it, whatever its `files:` say.
/// A test file that is not valid or names an unknown rule is a [`LoadError`].
pub fn run(rules: &CustomRules, dirs: &[PathBuf]) -> Result<TestReport, LoadError> {
    run_selected(rules, dirs, &|_| true)
}

/// [`run`] for the rules whose ID `selected` accepts; every test file is still read and
/// checked, so a bad one is an error whatever is selected.
pub fn run_selected(
    rules: &CustomRules,
    dirs: &[PathBuf],
    selected: &dyn Fn(&str) -> bool,
) -> Result<TestReport, LoadError> {
    let mut report = TestReport::default();
    for file in yaml_files(dirs.iter().cloned())? {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| LoadError::new(&file, None, format!("cannot read: {e}")))?;
        for doc in documents(&text) {
            // `documents` returns slices of `text`.
            let doc_start = doc.as_ptr() as usize - text.as_ptr() as usize;
            let case: TestCase = ast_grep_config::from_str(doc).map_err(|e| {
                LoadError::new(&file, None, format!("not a valid rule test: {}", yaml_reason(&e)))
            })?;
            let off = rules.is_off(&case.id);
            let index = rules.rules().iter().position(|r| r.id == case.id);
            if index.is_none() && !off {
                return Err(LoadError::new(&file, Some(&case.id), "no custom rule has this ID"));
            }
            if !selected(&case.id) {
                continue;
            }
            let Some(index) = index else {
                // `severity: off`: its tests do not run, as ast-grep's do not
                let cases = case.valid.len() + case.invalid.len();
                report.skipped.push(Skipped { file: file.clone(), rule_id: case.id, cases });
                continue;
            };
            for (valid, snippets) in [(true, &case.valid), (false, &case.invalid)] {
                let mut lines = SnippetLines::new(doc, if valid { "valid:" } else { "invalid:" });
                for (i, snippet) in snippets.iter().enumerate() {
                    let mut result = run_case(rules, index, &file, valid, i, snippet);
                    result.line =
                        lines.find(snippet).map(|at| text[..doc_start + at].matches('\n').count() + 1);
                    report.cases.push(result);
                }
            }
        }
    }
    Ok(report)
}

/// Finds where the snippets of a `valid:` or `invalid:` list are written in a test
/// document: each one's first non-blank line, searched for in order after the key.
struct SnippetLines<'a> {
    doc: &'a str,
    /// Where the search continues; `None` when the key is not at the start of a line.
    cursor: Option<usize>,
}

impl<'a> SnippetLines<'a> {
    fn new(doc: &'a str, key: &str) -> Self {
        let mut offset = 0;
        let mut cursor = None;
        for line in doc.split_inclusive('\n') {
            if line.starts_with(key) {
                cursor = Some(offset + key.len());
                break;
            }
            offset += line.len();
        }
        SnippetLines { doc, cursor }
    }

    /// The byte offset in the document of the snippet's first non-blank line.
    fn find(&mut self, snippet: &str) -> Option<usize> {
        let from = self.cursor?;
        let first = snippet.lines().map(str::trim).find(|l| !l.is_empty())?;
        let at = from + self.doc[from..].find(first)?;
        self.cursor = Some(at + first.len());
        Some(at)
    }
}

fn run_case(
    rules: &CustomRules,
    index: usize,
    file: &Path,
    valid: bool,
    position: usize,
    snippet: &str,
) -> CaseResult {
    let rule = &rules.rules()[index];
    let mut result = CaseResult {
        file: file.to_path_buf(),
        rule_id: rule.id.clone(),
        valid,
        index: position,
        line: None,
        snippet: snippet.to_string(),
        passed: false,
        detail: String::new(),
        match_lines: Vec::new(),
    };
    // YAML one document at a time, as the scan reads it.
    let trees: Vec<tree_sitter::Tree> = match rule.language {
        Language::Yaml => debtctl_syntax::yaml::parse_documents(snippet),
        lang => debtctl_syntax::parse(lang, snippet).into_iter().collect(),
    };
    if trees.is_empty() {
        result.detail = "the snippet could not be parsed".into();
        return result;
    }
    let matches = rules.check_filtered(rule.language, snippet, &trees, &|i| i == index);
    result.match_lines = matches.iter().map(|m| snippet[..m.start_byte].matches('\n').count() + 1).collect();
    result.passed = matches.is_empty() == valid;
    if !result.passed {
        result.detail = if valid {
            let lines: Vec<String> = result.match_lines.iter().map(usize::to_string).collect();
            let at = if lines.len() == 1 { "line" } else { "lines" };
            format!("expected no match, found {} at {at} {}", lines.len(), lines.join(", "))
        } else {
            "expected a match, found none".into()
        };
    }
    result
}
