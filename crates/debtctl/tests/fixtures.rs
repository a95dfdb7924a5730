//! The fixture harness: every file under `fixtures/<prefix>/<slug>/` is checked with that
//! rule, and its findings must match the inline expectations exactly.
//!
//! - `# want "regex"` (Python, YAML) or `// want "regex"` (Go) on a line expects one finding
//!   on that line whose message matches the regex; several quoted regexes expect several.
//! - `want +N "regex"` expects it N lines below (for a line that cannot carry a comment).
//! - `# ok: reason` marks a look-alike that must stay silent; any finding without an
//!   expectation fails the test, so `ok` lines are documentation.
//! - `debtctl-fixture: rules=ID,ID` in a comment runs those rules too (for suppressions).

use debtctl_diagnostics::Applicability;
use debtctl_linter::fix::{error_count, fix_source};
use debtctl_linter::{check_source, LinterSettings, Rule, RuleSet};
use debtctl_workspace::discovery::discover;
use debtctl_workspace::{Overrides, Settings};
use regex::Regex;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

#[derive(Debug)]
struct Want {
    line: u32,
    pattern: Regex,
    raw: String,
}

fn expectations(source: &str) -> Vec<Want> {
    let want = Regex::new(r#"(?:#|//)\s*want\s+(?:\+(\d+)\s+)?((?:"(?:[^"\\]|\\.)*"\s*)+)"#).unwrap();
    let quoted = Regex::new(r#""((?:[^"\\]|\\.)*)""#).unwrap();
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        for caps in want.captures_iter(line) {
            let offset: u32 = caps.get(1).map_or(0, |m| m.as_str().parse().unwrap());
            for q in quoted.captures_iter(&caps[2]) {
                let raw = q[1].replace("\\\"", "\"");
                out.push(Want {
                    line: i as u32 + 1 + offset,
                    pattern: Regex::new(&raw).unwrap_or_else(|e| panic!("bad want regex {raw:?}: {e}")),
                    raw,
                });
            }
        }
    }
    out
}

fn extra_rules(source: &str) -> RuleSet {
    let directive = Regex::new(r"debtctl-fixture:\s*rules=([\w/,-]+)").unwrap();
    let mut set = RuleSet::empty();
    for caps in directive.captures_iter(source) {
        for id in caps[1].split(',') {
            set.insert(Rule::from_id(id).unwrap_or_else(|| panic!("unknown rule {id} in directive")));
        }
    }
    set
}

/// Go fixtures are checked as packages, one per directory, as the engine does: package
/// facts (functions returning `error`, whether `_test.go` files exist) span files. A
/// `debtctl.toml` in a fixture's directory sets its `[go]` options.
fn go_packages(
    files: &[debtctl_workspace::discovery::SourceFile],
    rule: Rule,
) -> std::collections::HashMap<PathBuf, debtctl_linter::FileResult> {
    let mut dirs: std::collections::BTreeMap<PathBuf, Vec<(PathBuf, String, String, RuleSet)>> =
        Default::default();
    for file in files.iter().filter(|f| f.lang == debtctl_linter::Language::Go) {
        let source = std::fs::read_to_string(&file.path).unwrap();
        let mut rules = extra_rules(&source);
        rules.insert(rule);
        let shown = file.path.strip_prefix(repo_root()).unwrap().to_string_lossy().to_string();
        let dir = file.path.parent().unwrap().to_path_buf();
        dirs.entry(dir).or_default().push((file.path.clone(), shown, source, rules));
    }
    let mut out = std::collections::HashMap::new();
    for (dir, pkg) in dirs {
        let args: Vec<(&str, &str, RuleSet)> =
            pkg.iter().map(|(_, s, src, r)| (s.as_str(), src.as_str(), *r)).collect();
        let mut settings = LinterSettings::default();
        if dir.join("debtctl.toml").is_file() {
            settings.go = Settings::resolve(&dir, &Overrides::default()).unwrap().linter.go;
        }
        let results = debtctl_linter::check_package(&args, &settings);
        for ((path, ..), result) in pkg.iter().zip(results) {
            out.insert(path.clone(), result);
        }
    }
    out
}

/// Checks every fixture of one rule; returns the problems found.
fn run_rule_fixtures(rule: Rule) -> Vec<String> {
    let dir = repo_root().join("fixtures").join(rule.id());
    let settings = Settings::resolve(&dir, &Overrides::default()).unwrap();
    let files = discover(std::slice::from_ref(&dir), &settings, 1).unwrap();
    let go_results = go_packages(&files, rule);
    let mut problems = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file.path).unwrap();
        let mut rules = extra_rules(&source);
        rules.insert(rule);
        let shown = file.path.strip_prefix(repo_root()).unwrap().to_string_lossy().to_string();
        let result = match go_results.get(&file.path) {
            Some(r) => r.clone(),
            None => check_source(&shown, file.lang, &source, rules, &LinterSettings::default()),
        };
        let mut wants = expectations(&source);
        for f in &result.findings {
            match wants.iter().position(|w| w.line == f.line && w.pattern.is_match(&f.message)) {
                Some(i) => {
                    wants.remove(i);
                }
                None => problems.push(format!(
                    "{}:{}:{}: unexpected {} finding: {}",
                    shown, f.line, f.column, f.rule, f.message
                )),
            }
        }
        for w in wants {
            problems.push(format!("{}:{}: expected a finding matching {:?}", shown, w.line, w.raw));
        }
        problems.extend(check_fixed(&file.path, &shown, file.lang, &source, rules));
    }
    problems
}

/// With a `<file>.fixed` golden beside the fixture: every fix (unsafe ones included),
/// applied in rounds, gives exactly the golden, which parses as well as the original, and
/// a second run changes nothing.
fn check_fixed(
    path: &Path,
    shown: &str,
    lang: debtctl_linter::Language,
    source: &str,
    rules: RuleSet,
) -> Vec<String> {
    let golden_path = PathBuf::from(format!("{}.fixed", path.display()));
    let Ok(golden) = std::fs::read_to_string(&golden_path) else { return Vec::new() };
    let settings = LinterSettings::default();
    let lint = |text: &str| check_source(shown, lang, text, rules, &settings).fixes;
    let fixed = fix_source(lang, source, Applicability::Unsafe, lint);
    let mut problems = Vec::new();
    if std::env::var_os("DEBTCTL_UPDATE_FIXED").is_some() {
        std::fs::write(&golden_path, &fixed.source).unwrap();
    } else if fixed.source != golden {
        let diff = similar::TextDiff::from_lines(golden.as_str(), fixed.source.as_str())
            .unified_diff()
            .header("golden", "fixed")
            .to_string();
        problems.push(format!("{shown}: fixes differ from {}:\n{diff}", golden_path.display()));
    }
    if error_count(lang, &fixed.source) > error_count(lang, source) || !fixed.rejected.is_empty() {
        problems.push(format!("{shown}: a fix broke the syntax ({:?})", fixed.rejected));
    }
    let again = fix_source(lang, &fixed.source, Applicability::Unsafe, lint);
    if again.source != fixed.source {
        problems.push(format!("{shown}: a second fix run changed the file again"));
    }
    problems
}

#[test]
fn every_rule_matches_its_fixtures() {
    let mut problems = Vec::new();
    for rule in Rule::all() {
        problems.extend(run_rule_fixtures(rule));
    }
    assert!(problems.is_empty(), "fixture mismatches:\n{}", problems.join("\n"));
}

/// Messages are lowercase (or start with code), name the offending thing and end without a
/// period; fix titles are verb phrases. Checked on every finding the fixtures produce, as
/// clippy's `lint_message_convention` does.
#[test]
fn messages_follow_the_convention() {
    let mut problems = Vec::new();
    for rule in Rule::all() {
        let dir = repo_root().join("fixtures").join(rule.id());
        let settings = Settings::resolve(&dir, &Overrides::default()).unwrap();
        for file in discover(std::slice::from_ref(&dir), &settings, 1).unwrap() {
            let source = std::fs::read_to_string(&file.path).unwrap();
            let rules = RuleSet::all();
            let result = check_source("f", file.lang, &source, rules, &LinterSettings::default());
            for f in result.findings {
                let first = f.message.chars().next().unwrap_or(' ');
                if first.is_uppercase() || f.message.ends_with('.') || f.message.contains('\n') {
                    problems.push(format!("{}: {:?}", f.rule, f.message));
                }
                if let Some(fix) = &f.fix {
                    let first = fix.title.chars().next().unwrap_or(' ');
                    if first.is_uppercase() || fix.title.ends_with('.') {
                        problems.push(format!("{} fix title: {:?}", f.rule, fix.title));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "messages breaking the convention:\n{}", problems.join("\n"));
}

#[test]
fn harness_rejects_a_missing_and_an_unexpected_finding() {
    // The harness itself must be able to fail: an expectation nobody meets, and a finding
    // nobody expects.
    let source = "def f(a=[]):  # want \"no such message\"\n    pass\n";
    let result = check_source(
        "t.py",
        debtctl_linter::Language::Python,
        source,
        RuleSet::all(),
        &LinterSettings::default(),
    );
    let wants = expectations(source);
    assert_eq!(wants.len(), 1);
    assert_eq!(result.findings.len(), 1);
    assert!(!wants[0].pattern.is_match(&result.findings[0].message));
    let plus = expectations("# want +2 \"a\" \"b\"\n");
    assert_eq!(plus.iter().map(|w| w.line).collect::<Vec<_>>(), [3, 3]);
}
