//! Issue 14: custom rules (ast-grep's rule format, in `rule-dirs`) are first-class in the
//! whole pipeline: scan and its outputs, selection, overrides, suppression comments, fixes,
//! the result caches, the ledger, the gate and the exports. The rules and the project are
//! written here.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

fn scan_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    json_of(&run_in(dir, &all))
}

const PY_RULES: &str = "\
id: acme/no-print
language: python
severity: warning
message: print() of $$$ARGS in library code
note: |
  Library code logs through `logging`.
  Only scripts print.
rule:
  pattern: print($$$ARGS)
metadata:
  debt_minutes: 5
  ticket: ACME-1
---
id: acme/eq-none
language: python
severity: hint
message: comparison to None with ==
rule:
  pattern: $X == None
fix: $X is None
---
id: acme/exit-call
language: python
severity: info
message: exit() in library code
rule:
  pattern: exit($A)
# A broken fix: its result does not parse, so it must be dropped, never written.
fix: exit($A
";

const GO_RULES: &str = "\
id: acme/context-todo
language: go
severity: error
message: context.TODO() in $F
ignores:
  - '**/*_test.go'
rule:
  pattern: context.TODO()
  inside:
    kind: function_declaration
    stopBy: end
    has:
      field: name
      pattern: $F
metadata:
  debt_minutes: 20
";

const YAML_RULES: &str = "\
id: acme/latest-image
language: yaml
severity: error
message: image $IMG uses the latest tag
rule:
  pattern: 'image: $IMG'
constraints:
  IMG:
    regex: ':latest$'
";

const LIB_PY: &str = "\
def report(x):
    print(x)
    if x == None:
        exit(1)
    print(x)  # debtctl: ignore[acme/no-print] the report is the output
";

const MAIN_GO: &str = "\
package main

import \"context\"

func Run() {
\t_ = context.TODO()
}
";

const MAIN_TEST_GO: &str = "\
package main

import \"context\"

func TestRun() {
\t_ = context.TODO()
}
";

const POD_YAML: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: a
spec:
  containers:
    - name: a
      image: nginx:latest
      readinessProbe: {exec: {command: [true]}}
      livenessProbe: {exec: {command: [true]}}
";

/// A project with rules for Go, Python and YAML in the default `.debtctl/rules`.
fn project() -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "debtctl.toml", "");
    write(d, ".debtctl/rules/python.yml", PY_RULES);
    write(d, ".debtctl/rules/go.yml", GO_RULES);
    write(d, ".debtctl/rules/yaml.yml", YAML_RULES);
    write(d, "lib/report.py", LIB_PY);
    write(d, "cmd/main.go", MAIN_GO);
    write(d, "cmd/main_test.go", MAIN_TEST_GO);
    write(d, "deploy/pod.yaml", POD_YAML);
    dir
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

fn spot(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.into(), path.into(), line)
}

fn finding<'a>(v: &'a Value, rule: &str) -> &'a Value {
    findings(v).iter().find(|f| f["rule"] == rule).unwrap_or_else(|| panic!("no {rule} in {v}"))
}

#[test]
fn scan_reports_custom_findings_of_every_language_like_built_in_ones() {
    let dir = project();
    let v = scan_json(dir.path(), &["--no-cache"]);
    assert_eq!(
        spots(&v),
        [
            spot("acme/context-todo", "cmd/main.go", 6),
            spot("acme/latest-image", "deploy/pod.yaml", 8),
            spot("acme/no-print", "lib/report.py", 2),
            spot("acme/eq-none", "lib/report.py", 3),
            spot("acme/exit-call", "lib/report.py", 4),
        ],
        "the suppressed print on line 5 and the ignored _test.go file are not reported"
    );
    let print = finding(&v, "acme/no-print");
    assert_eq!(print["severity"], "warning");
    assert_eq!(print["debt_minutes"], 5);
    assert_eq!(print["ticket"], "ACME-1");
    assert_eq!(print["message"], "print() of x in library code");
    assert!(print["fix"].is_null());
    let todo = finding(&v, "acme/context-todo");
    assert_eq!((todo["severity"].as_str(), todo["debt_minutes"].as_u64()), (Some("error"), Some(20)));
    assert_eq!(todo["message"], "context.TODO() in Run");
    let eq = finding(&v, "acme/eq-none");
    assert_eq!(eq["severity"], "info", "ast-grep's hint is our info");
    assert_eq!(eq["debt_minutes"], 10, "the default debt");
    assert_eq!(eq["fix"]["applicability"], "unsafe");
    assert_eq!(eq["fix"]["title"], "apply the `acme/eq-none` rule's fix");
    assert_eq!(v["summary"]["suppressed"], 1, "{}", v["summary"]);

    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/findings.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");

    // The fingerprint rests on the scope: the same print in another function differs.
    let fp = print["fingerprint"].as_str().unwrap().to_string();
    write(dir.path(), "lib/report.py", LIB_PY.replace("def report", "def other"));
    let moved = scan_json(dir.path(), &["--no-cache"]);
    assert_ne!(finding(&moved, "acme/no-print")["fingerprint"].as_str().unwrap(), fp);
}

#[test]
fn text_concise_github_and_statistics_show_custom_rules() {
    let dir = project();
    let text = stdout(&run_in(dir.path(), &["scan", "--no-cache"]));
    assert!(text.contains("lib/report.py:2:5: acme/no-print print() of x in library code"), "{text}");
    assert!(text.contains("apply the `acme/eq-none` rule's fix"), "{text}");
    assert!(text.contains("fixable with `debtctl fix --unsafe`"), "{text}");
    let concise = stdout(&run_in(dir.path(), &["scan", "--no-cache", "--format", "concise"]));
    assert!(concise.contains("cmd/main.go:6:6: acme/context-todo context.TODO() in Run"), "{concise}");
    let github = stdout(&run_in(dir.path(), &["scan", "--no-cache", "--format", "github"]));
    assert!(github.lines().any(|l| l.starts_with("::error ") && l.contains("acme/latest-image")), "{github}");
    let stats = stdout(&run_in(dir.path(), &["scan", "--no-cache", "--statistics"]));
    let row = stats.lines().find(|l| l.contains("acme/eq-none")).unwrap_or_else(|| panic!("{stats}"));
    assert!(row.contains("--unsafe"), "{row}");
}

#[test]
fn sarif_carries_each_used_custom_rule_and_validates() {
    let dir = project();
    let schema_path = std::env::var_os("DEBTCTL_SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/schemas/sarif-2.1.0.json"));
    let text = std::fs::read_to_string(&schema_path)
        .unwrap_or_else(|e| panic!("the official SARIF schema at {}: {e}", schema_path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let out = run_in(dir.path(), &["scan", "--no-cache", "--format", "sarif"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
    }
    let print = rules.iter().find(|r| r["id"] == "acme/no-print").unwrap();
    assert_eq!(print["shortDescription"]["text"], "print() of $$$ARGS in library code");
    assert_eq!(print["defaultConfiguration"]["level"], "warning");
    assert_eq!(print["properties"]["debt_minutes"], 5);
    let help = print["help"]["text"].as_str().unwrap();
    assert!(help.starts_with("Library code logs through `logging`."), "{help}");
    assert!(help.contains("pattern: print($$$ARGS)"), "the rule's YAML: {help}");
    // Only custom rules that have a result are described.
    let custom: Vec<&str> =
        rules.iter().filter_map(|r| r["id"].as_str()).filter(|id| id.starts_with("acme/")).collect();
    assert_eq!(custom.len(), 5, "{custom:?}");
    let out = run_in(dir.path(), &["scan", "--no-cache", "--format", "sarif", "--select", "acme/no-print"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| id.starts_with("acme/"))
        .collect();
    assert_eq!(ids, ["acme/no-print"]);
}

#[test]
fn select_ignore_prefixes_and_per_path_ignores_take_custom_ids() {
    let dir = project();
    let d = dir.path();
    let rules_of = |v: &Value| {
        let mut r: Vec<String> =
            findings(v).iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
        r.dedup();
        r
    };
    let v = scan_json(d, &["--no-cache", "--select", "acme/no-print"]);
    assert_eq!(rules_of(&v), ["acme/no-print"]);
    let v = scan_json(d, &["--no-cache", "--select", "py/"]);
    assert!(rules_of(&v).is_empty(), "an explicit select runs the custom rules it names only: {v}");
    let v = scan_json(d, &["--no-cache", "--select", "ALL"]);
    assert_eq!(findings(&v).iter().filter(|f| f["rule"].as_str().unwrap().starts_with("acme/")).count(), 5);
    let v = scan_json(d, &["--no-cache", "--ignore", "acme/"]);
    assert!(rules_of(&v).iter().all(|r| !r.starts_with("acme/")), "{v}");
    let v = scan_json(d, &["--no-cache", "--ignore", "acme/no-print,acme/eq-none"]);
    let rules = rules_of(&v);
    assert!(rules.contains(&"acme/exit-call".to_string()) && !rules.contains(&"acme/no-print".to_string()));

    let out = run_in(d, &["scan", "--no-cache", "--select", "acme/no-prnt"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown rule `acme/no-prnt`") && err.contains("`acme/no-print`"), "{err}");

    write(
        d,
        "debtctl.toml",
        "ignore = [\"acme/latest-image\"]\n[per-path-ignores]\n\"lib/**\" = [\"acme/\"]\n",
    );
    let v = scan_json(d, &["--no-cache"]);
    assert_eq!(spots(&v), [spot("acme/context-todo", "cmd/main.go", 6)]);
    write(d, "debtctl.toml", "select = [\"acme/nope\"]\n");
    let out = run_in(d, &["scan", "--no-cache"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn severity_and_debt_overrides_apply_to_custom_rules() {
    let dir = project();
    write(
        dir.path(),
        "debtctl.toml",
        "[rules.\"acme/no-print\"]\nseverity = \"error\"\ndebt-minutes = 1\n[rules.\"acme/context-todo\"]\nseverity = \"info\"\n",
    );
    let v = scan_json(dir.path(), &["--no-cache"]);
    let print = finding(&v, "acme/no-print");
    assert_eq!((print["severity"].as_str(), print["debt_minutes"].as_u64()), (Some("error"), Some(1)));
    let todo = finding(&v, "acme/context-todo");
    assert_eq!((todo["severity"].as_str(), todo["debt_minutes"].as_u64()), (Some("info"), Some(20)));
    let out =
        run_in(dir.path(), &["scan", "--no-cache", "--fail-on", "error", "--select", "acme/context-todo"]);
    assert_eq!(out.status.code(), Some(0), "an info finding does not fail --fail-on error");
    write(dir.path(), "debtctl.toml", "[rules.\"acme/no-prnt\"]\nseverity = \"error\"\n");
    let out = run_in(dir.path(), &["scan", "--no-cache"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `acme/no-print`"), "{}", stderr(&out));
}

#[test]
fn suppression_comments_know_custom_ids() {
    let dir = project();
    write(
        dir.path(),
        "lib/report.py",
        "def f(x):\n    print(x)  # debtctl: ignore[acme/no-prnt] typo\n    print(x)  # debtctl:ignore acme/ all of ours\n    y = 1  # debtctl: ignore[acme/no-print] nothing here\n    return y\n",
    );
    let v = scan_json(
        dir.path(),
        &["--no-cache", "--select", "acme/,debt/", "--report-unused-suppressions", "lib/report.py"],
    );
    let got: Vec<(String, u64, String)> = findings(&v)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!((got[0].0.as_str(), got[0].1), ("acme/no-print", 2));
    assert_eq!((got[1].0.as_str(), got[1].1), ("debt/unknown-suppression", 2));
    assert!(got[1].2.contains("did you mean `acme/no-print`"), "{}", got[1].2);
    assert_eq!((got[2].0.as_str(), got[2].1), ("debt/unused-suppression", 4));
    assert_eq!(v["summary"]["suppressed"], 1);
}

/// Issue 14: "a rule written and tested with the ast-grep CLI works unchanged", so a rule
/// whose ID has no prefix (`no-print`, as many ast-grep rules are named) loads, runs, is
/// selected by its ID and suppressed by name, bracketed or not (a regression: IDs were
/// once refused without a `prefix/`).
#[test]
fn an_id_without_a_prefix_works_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".debtctl/rules/plain.yml",
        "id: no-print\nlanguage: python\nrule:\n  pattern: print($$$A)\nmessage: no print\n",
    );
    write(
        dir.path(),
        "m.py",
        "print(1)\nprint(2)  # debtctl: ignore no-print a reason\nx = 3\nprint(4)  # debtctl: ignore[no-print]\ny = 5\nprint(6)\n",
    );
    let v = scan_json(dir.path(), &["--no-cache", "--select", "no-print"]);
    let lines: Vec<u64> = findings(&v).iter().map(|f| f["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 6], "{v}");
    assert!(findings(&v).iter().all(|f| f["rule"] == "no-print"));
    assert_eq!(v["summary"]["suppressed"], 2);
    let out = run_in(dir.path(), &["scan", "--no-cache", "--select", "no-prnt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `no-print`"), "{}", stderr(&out));
}

#[test]
fn fix_unsafe_applies_custom_fixes_and_drops_one_that_breaks_the_file() {
    let dir = project();
    let d = dir.path();
    let out = run_in(d, &["fix"]);
    assert_eq!(std::fs::read_to_string(d.join("lib/report.py")).unwrap(), LIB_PY, "{}", stderr(&out));
    let out = run_in(d, &["fix", "--unsafe"]);
    let fixed = std::fs::read_to_string(d.join("lib/report.py")).unwrap();
    assert_eq!(fixed, LIB_PY.replace("x == None", "x is None"), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("acme/exit-call fix(es) dropped: the result did not parse"), "{err}");
    let v = scan_json(d, &["--no-cache"]);
    assert!(findings(&v).iter().all(|f| f["rule"] != "acme/eq-none"));
    assert!(findings(&v).iter().any(|f| f["rule"] == "acme/exit-call"));
}

/// The scan cache keeps each file's result under the digest of the custom rules it ran
/// with: editing a Python rule re-checks Python files and serves Go and YAML files from the
/// cache. What is served from the cache shows, because the cached messages are rewritten
/// by hand between the runs.
#[test]
fn editing_a_rule_rechecks_only_files_of_its_language() {
    let dir = project();
    let d = dir.path();
    let cache_dir = d.join("cache");
    let scan = || {
        let out = bin()
            .current_dir(d)
            .env("DEBTCTL_CACHE_DIR", &cache_dir)
            .args(["scan", "--format", "json"])
            .output()
            .unwrap();
        json_of(&out)
    };
    let cold = scan();
    assert_eq!(findings(&cold).len(), 5);
    let mark_cached = || {
        for entry in std::fs::read_dir(&cache_dir).unwrap().flatten() {
            let p = entry.path();
            if p.file_name().unwrap().to_string_lossy().starts_with("scan-") {
                let text = std::fs::read_to_string(&p).unwrap();
                let text = text
                    .replace("context.TODO() in Run", "cached go")
                    .replace("image nginx:latest uses the latest tag", "cached yaml")
                    .replace("print() of x in library code", "cached python");
                std::fs::write(&p, text).unwrap();
            }
        }
    };
    mark_cached();
    let message = |v: &Value, rule: &str| finding(v, rule)["message"].as_str().unwrap().to_string();
    let warm = scan();
    assert_eq!(message(&warm, "acme/no-print"), "cached python", "nothing changed: all from the cache");
    assert_eq!(message(&warm, "acme/context-todo"), "cached go");

    write(d, ".debtctl/rules/python.yml", PY_RULES.replace("in library code", "in a library"));
    let after_python = scan();
    assert_eq!(message(&after_python, "acme/no-print"), "print() of x in a library", "re-checked");
    assert_eq!(message(&after_python, "acme/context-todo"), "cached go", "Go files kept");
    assert_eq!(message(&after_python, "acme/latest-image"), "cached yaml", "YAML files kept");

    write(d, ".debtctl/rules/go.yml", GO_RULES.replace("debt_minutes: 20", "debt_minutes: 25"));
    let after_go = scan();
    assert_eq!(message(&after_go, "acme/context-todo"), "context.TODO() in Run", "re-checked");
    assert_eq!(finding(&after_go, "acme/context-todo")["debt_minutes"], 25);
    assert_eq!(message(&after_go, "acme/latest-image"), "cached yaml");
    // And the results equal a run without the cache.
    assert_eq!(spots(&after_go), spots(&scan_json(d, &["--no-cache"])));
}

#[test]
fn record_gate_and_export_carry_custom_debt() {
    let dir = project();
    let d = dir.path();
    git(d, &["init", "-q"]);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "start"]);
    let out = run_in(d, &["record", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Old custom debt does not fail the gate; new custom debt does, by severity.
    let gate = |args: &[&str]| {
        let mut all = vec!["gate", "--format", "json", "--base", "HEAD"];
        all.extend_from_slice(args);
        let out = run_in(d, &all);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
        (v, out.status.code().unwrap())
    };
    let (v, code) = gate(&[]);
    assert_eq!(code, 0, "{v}");
    write(d, "cmd/more.go", "package main\n\nimport \"context\"\n\nfunc More() {\n\t_ = context.TODO()\n}\n");
    let (v, code) = gate(&[]);
    assert_eq!(code, 1, "{v}");
    let new: Vec<&str> = v["new"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(new, ["acme/context-todo"]);
    assert_eq!(v["gate"]["new_debt_minutes"], 20);

    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "more todo"]);
    let out = run_in(d, &["record", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_in(d, &["export", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ledger: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = ledger["items"].as_array().unwrap();
    let todo: Vec<&Value> = items.iter().filter(|i| i["rule"] == "acme/context-todo").collect();
    assert_eq!(todo.len(), 2, "{ledger}");
    assert!(todo.iter().all(|i| i["debt_minutes"] == 20 && i["severity"] == "error"));
    let print = items.iter().find(|i| i["rule"] == "acme/no-print").unwrap();
    assert_eq!(print["debt_minutes"], 5);
    for format in ["csv", "openmetrics", "html"] {
        let mut args = vec!["export", "--format", format];
        if format == "html" {
            args.extend(["--out", "debt.html"]);
        } else if format == "csv" {
            args.extend(["--table", "items"]);
        }
        let out = run_in(d, &args);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        let text = if format == "html" {
            std::fs::read_to_string(d.join("debt.html")).unwrap()
        } else {
            stdout(&out)
        };
        assert!(text.contains("acme/context-todo"), "{format} names the custom rule");
    }
}

/// The ledger's per-blob cache (which the gate shares) keys each file on the digest of the
/// custom rules it ran with: after a rule edit, `record` analyses again exactly the files
/// that rule applies to, and serves the rest from the cache. The Go rule ignores
/// `*_test.go`, so `main_test.go` stays cached when it changes.
#[test]
fn the_ledger_cache_rechecks_only_what_an_edited_rule_applies_to() {
    let dir = project();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let record = |message: &str| {
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", message]);
        let out = run_in(d, &["record"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out) + &stderr(&out);
        let counts = regex::Regex::new(r"\((\d+) files analysed, (\d+) from the cache\)").unwrap();
        let caps = counts.captures(&text).unwrap_or_else(|| panic!("{text}"));
        (caps[1].parse::<u32>().unwrap(), caps[2].parse::<u32>().unwrap())
    };
    assert_eq!(record("start"), (4, 0));
    write(d, ".debtctl/rules/python.yml", PY_RULES.replace("in library code", "in a library"));
    assert_eq!(record("python rule"), (1, 3), "lib/report.py only");
    write(d, ".debtctl/rules/go.yml", GO_RULES.replace("debt_minutes: 20", "debt_minutes: 25"));
    assert_eq!(record("go rule"), (1, 3), "cmd/main.go only: the rule ignores main_test.go");
    write(d, ".debtctl/rules/yaml.yml", YAML_RULES.replace("latest tag", "tag latest"));
    assert_eq!(record("yaml rule"), (1, 3), "deploy/pod.yaml only");
    let out = run_in(d, &["export", "--format", "json"]);
    let ledger: Value = serde_json::from_slice(&out.stdout).unwrap();
    let todo = ledger["items"].as_array().unwrap().iter().find(|i| i["rule"] == "acme/context-todo").unwrap();
    assert_eq!(todo["debt_minutes"], 25, "{todo}");
}

/// Which custom IDs exist decides `debt/unknown-suppression` in every file, whatever its
/// language: removing a Python rule must re-check a Go file whose suppression comment
/// names it, though no Go rule changed.
#[test]
fn removing_a_rule_rechecks_suppressions_that_name_it_in_any_language() {
    let dir = project();
    let d = dir.path();
    write(
        d,
        "cmd/main.go",
        MAIN_GO.replace("func Run() {", "// debtctl:ignore acme/no-print not here\nfunc Run() {"),
    );
    let cache_dir = d.join("cache");
    let scan = || {
        let out = bin()
            .current_dir(d)
            .env("DEBTCTL_CACHE_DIR", &cache_dir)
            .args(["scan", "--format", "json", "cmd"])
            .output()
            .unwrap();
        json_of(&out)
    };
    let unknown = |v: &Value| findings(v).iter().filter(|f| f["rule"] == "debt/unknown-suppression").count();
    assert_eq!(unknown(&scan()), 0);
    assert_eq!(unknown(&scan()), 0, "cached");
    write(d, ".debtctl/rules/python.yml", PY_RULES.replace("id: acme/no-print", "id: acme/no-prints"));
    let v = scan();
    assert_eq!(unknown(&v), 1, "{v}");
    assert!(finding(&v, "debt/unknown-suppression")["message"].as_str().unwrap().contains("acme/no-prints"));
}

/// The `ast-grep` CLI (`pip install ast-grep-cli==0.51.1`, installed by `.ci/run`), or None
/// outside CI when it is missing (the test then says it is skipped). Under `CI` a missing
/// one fails: the comparison is what issue 14 is judged by.
fn ast_grep() -> Option<PathBuf> {
    let bin = PathBuf::from(std::env::var_os("AST_GREP").unwrap_or_else(|| "ast-grep".into()));
    match Command::new(&bin).arg("--version").output() {
        Ok(out) if out.status.success() => {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ast-grep 0.51.1");
            Some(bin)
        }
        _ if std::env::var_os("CI").is_some() => panic!("`ast-grep` 0.51.1 is not installed; CI needs it"),
        _ => {
            eprintln!("SKIPPED: `ast-grep` is not installed (pip install ast-grep-cli==0.51.1)");
            None
        }
    }
}

/// Issue 14's judging, in CI on our own rules and fixtures: rule files run by `debtctl
/// scan` with `rule-dirs` (the whole pipeline: config, selection, discovery, suppression,
/// JSON output) and by `ast-grep scan --rule FILE` find the same matches, by rule, file,
/// start and end line, and message, both ways. (debtctl_custom's `agreement` test compares
/// the matcher alone, fixes included.)
#[test]
fn debtctl_scan_agrees_with_the_ast_grep_cli_on_custom_rules() {
    let Some(ast_grep) = ast_grep() else { return };
    let dir = tempfile::tempdir().unwrap();
    let fixtures = repo_root().join("crates/debtctl_custom/tests/fixtures");
    let copy = Command::new("cp").arg("-R").arg(fixtures.join(".")).arg(dir.path()).status().unwrap();
    assert!(copy.success());
    let rule_dirs =
        [repo_root().join("crates/debtctl_custom/tests/rules"), repo_root().join("examples/rules")];
    let quoted: Vec<String> =
        rule_dirs.iter().map(|d| format!("{:?}", d.canonicalize().unwrap().to_string_lossy())).collect();
    write(dir.path(), "debtctl.toml", format!("rule-dirs = [{}]\n", quoted.join(", ")));
    let rule_files: Vec<PathBuf> = rule_dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    let ids: Vec<String> = rule_files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.lines()
                .filter_map(|l| l.strip_prefix("id: ").map(|id| id.trim().to_string()))
                .collect::<Vec<_>>()
        })
        .collect();

    let v = scan_json(dir.path(), &["--no-cache", "--exit-zero", "--select", &ids.join(",")]);
    let ours: std::collections::BTreeSet<(String, String, u64, u64, String)> = findings(&v)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["end_line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut theirs = std::collections::BTreeSet::new();
    for rule in &rule_files {
        let out = Command::new(&ast_grep)
            .current_dir(dir.path())
            .args(["scan", "--rule"])
            .arg(rule)
            .args(["--json=stream", "."])
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "ast-grep on {}: {}", rule.display(), stderr(&out));
        for line in stdout(&out).lines() {
            let m: Value = serde_json::from_str(line).unwrap();
            theirs.insert((
                m["ruleId"].as_str().unwrap().to_string(),
                m["file"].as_str().unwrap().trim_start_matches("./").to_string(),
                m["range"]["start"]["line"].as_u64().unwrap() + 1,
                m["range"]["end"]["line"].as_u64().unwrap() + 1,
                m["message"].as_str().unwrap().to_string(),
            ));
        }
    }
    let only_ours: Vec<_> = ours.difference(&theirs).collect();
    let only_theirs: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "only debtctl: {only_ours:#?}\nonly ast-grep: {only_theirs:#?}"
    );
    // Agreement on nothing proves nothing: every language's rules matched, and most rules.
    for lang in ["go/", "python/", "yaml/"] {
        assert!(ours.iter().any(|f| f.1.starts_with(lang)), "no match in {lang}");
    }
    let matched: std::collections::BTreeSet<&str> = ours.iter().map(|f| f.0.as_str()).collect();
    assert!(matched.len() * 4 >= ids.len() * 3, "only {} of {} rules matched", matched.len(), ids.len());
    eprintln!("{} matches of {} of {} rules agree", ours.len(), matched.len(), ids.len());
}
