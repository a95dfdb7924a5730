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
    pub snippet: String,
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct TestReport {
    pub cases: Vec<CaseResult>,
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
    let mut report = TestReport::default();
    for file in yaml_files(dirs.iter().cloned())? {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| LoadError::new(&file, None, format!("cannot read: {e}")))?;
        for doc in documents(&text) {
            let case: TestCase = ast_grep_config::from_str(doc).map_err(|e| {
                LoadError::new(&file, None, format!("not a valid rule test: {}", yaml_reason(&e)))
            })?;
            if rules.is_off(&case.id) {
                continue; // `severity: off`: its tests do not run, as ast-grep's do not
            }
            let Some(index) = rules.rules().iter().position(|r| r.id == case.id) else {
                return Err(LoadError::new(&file, Some(&case.id), "no custom rule has this ID"));
            };
            for (valid, snippets) in [(true, &case.valid), (false, &case.invalid)] {
                for snippet in snippets {
                    report.cases.push(run_case(rules, index, &file, valid, snippet));
                }
            }
        }
    }
    Ok(report)
}

fn run_case(rules: &CustomRules, index: usize, file: &Path, valid: bool, snippet: &str) -> CaseResult {
    let rule = &rules.rules()[index];
    let mut result = CaseResult {
        file: file.to_path_buf(),
        rule_id: rule.id.clone(),
        valid,
        snippet: snippet.to_string(),
        passed: false,
        detail: String::new(),
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
    result.passed = matches.is_empty() == valid;
    if !result.passed {
        result.detail = if valid {
            let lines: Vec<String> = matches
                .iter()
                .map(|m| (snippet[..m.start_byte].matches('\n').count() + 1).to_string())
                .collect();
            format!("a valid snippet matched (line {})", lines.join(", "))
        } else {
            "an invalid snippet did not match".into()
        };
    }
    result
}
