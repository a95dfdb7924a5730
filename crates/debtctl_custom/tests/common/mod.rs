//! What the agreement test and the corpus measurement (`examples/agreement.rs`) share: the
//! matches of the `ast-grep` CLI and ours, in one comparable shape.
#![allow(dead_code)]

use debtctl_custom::{CustomRules, Language};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One match as both sides can say it: lines are 1-based; `fix` is the replaced byte range
/// and the replacement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Found {
    pub file: String,
    pub start_line: usize,
    pub end_line: usize,
    pub rule: String,
    pub message: String,
    pub fix: Option<(usize, usize, String)>,
}

/// The `ast-grep` binary (`AST_GREP`, else `ast-grep` on PATH). Missing: a failure under CI,
/// otherwise `None` after saying the test is skipped.
pub fn ast_grep() -> Option<PathBuf> {
    let bin = PathBuf::from(std::env::var_os("AST_GREP").unwrap_or_else(|| "ast-grep".into()));
    let version = Command::new(&bin).arg("--version").output();
    match version {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.trim() == "ast-grep 0.51.1",
                "the agreement is measured against ast-grep 0.51.1, found {}",
                text.trim()
            );
            Some(bin)
        }
        _ if std::env::var_os("CI").is_some() => panic!(
            "`{}` is not installed; CI needs it for the agreement test: pip install ast-grep-cli==0.51.1",
            bin.display()
        ),
        _ => {
            eprintln!(
                "SKIPPED: `{}` is not installed (pip install ast-grep-cli==0.51.1); with CI set this fails",
                bin.display()
            );
            None
        }
    }
}

/// `ast-grep scan --rule RULE --json=stream .` run in `root`: file paths are relative to
/// `root`, as are the `files:`/`ignores:` globs on our side.
pub fn theirs(bin: &Path, root: &Path, rule: &Path) -> Vec<Found> {
    let out = Command::new(bin)
        .current_dir(root)
        .args(["scan", "--rule"])
        .arg(rule)
        .args(["--json=stream", "."])
        .output()
        .expect("ast-grep runs");
    // ast-grep exits 1 when an `error` rule matched; anything else on stderr is a failure.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("error level diagnostics"),
        "ast-grep failed on {}: {}",
        rule.display(),
        stderr
    );
    String::from_utf8(out.stdout)
        .expect("ast-grep prints UTF-8")
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object a line");
            let range = &v["range"];
            let fix = v.get("replacement").and_then(|r| r.as_str()).map(|r| {
                let offsets = &v["replacementOffsets"];
                (
                    offsets["start"].as_u64().unwrap() as usize,
                    offsets["end"].as_u64().unwrap() as usize,
                    r.to_string(),
                )
            });
            Found {
                file: v["file"].as_str().unwrap().trim_start_matches("./").to_string(),
                start_line: range["start"]["line"].as_u64().unwrap() as usize + 1,
                end_line: range["end"]["line"].as_u64().unwrap() as usize + 1,
                rule: v["ruleId"].as_str().unwrap().to_string(),
                message: v["message"].as_str().unwrap_or_default().to_string(),
                fix,
            }
        })
        .collect()
}

/// The files a scan of `root` reads, as ast-grep walks them (the `ignore` crate's defaults:
/// hidden files and .gitignore'd ones left out), relative to `root` and sorted.
pub fn files(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter_map(|e| e.path().strip_prefix(root).ok().map(Path::to_path_buf))
        .collect();
    out.sort();
    out
}

/// A file below `templates/` beside a `Chart.yaml`: debtctl masks its template actions.
fn is_helm_template(root: &Path, rel: &Path) -> bool {
    rel.ancestors().skip(1).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates")
            && dir.parent().is_some_and(|chart| root.join(chart).join("Chart.yaml").is_file())
    })
}

/// Our matches over `files`, each parsed as `debtctl scan` parses it: Go and Python whole,
/// YAML one document at a time, a Helm template masked first.
pub fn ours_on(root: &Path, rules: &CustomRules, files: &[PathBuf]) -> Vec<Found> {
    let mut found = Vec::new();
    for rel in files {
        let Some(mut lang) = Language::from_path(rel) else { continue };
        if lang == Language::GoMod {
            continue;
        }
        if lang == Language::Yaml && is_helm_template(root, rel) {
            lang = Language::HelmTemplate;
        }
        let Ok(text) = std::fs::read_to_string(root.join(rel)) else { continue };
        let source = match lang {
            Language::HelmTemplate => debtctl_syntax::helm::mask(&text).text,
            _ => text,
        };
        let trees = match lang {
            Language::Yaml | Language::HelmTemplate => debtctl_syntax::yaml::parse_documents(&source),
            _ => debtctl_syntax::parse(lang, &source).into_iter().collect(),
        };
        let line = |byte: usize| source[..byte].matches('\n').count() + 1;
        for m in rules.check_trees(lang, rel, &source, &trees, &|_| true) {
            found.push(Found {
                file: rel.to_string_lossy().into_owned(),
                start_line: line(m.start_byte),
                end_line: line(m.end_byte),
                rule: rules.rules()[m.rule].id.clone(),
                message: m.message,
                fix: m.fix.map(|e| (e.start_byte, e.end_byte, e.replacement)),
            });
        }
    }
    found.sort();
    found
}

/// Loads the rules of `rule_dir` (globs relative to `root`) and runs them over `root`.
pub fn ours(root: &Path, rule_dir: &Path) -> (CustomRules, Vec<Found>) {
    let rules =
        CustomRules::load(root, &[rule_dir.to_path_buf()], &|_| None).unwrap_or_else(|e| panic!("{e}"));
    let found = ours_on(root, &rules, &files(root));
    (rules, found)
}
