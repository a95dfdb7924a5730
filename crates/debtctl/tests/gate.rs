//! `debtctl gate` and `debtctl install-hook` on scripted repositories, as users run them:
//! new debt is named exactly, moved, reformatted and renamed debt is not new, fixes are
//! reported, staged and unstaged content are told apart, and the hook blocks a commit.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

fn gate(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).arg("gate").args(args).output().unwrap()
}

/// The gate's JSON document and its exit status.
fn gate_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = gate(dir, &all);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), stderr(&out))
    });
    (v, out.status.code().unwrap())
}

/// `(rule, path, line)` of a findings list.
fn named(v: &Value) -> Vec<(String, String, u64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn n(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

/// Old debt: a mutable default (line 1) and a file opened without `with` (line 6).
const APP: &str = "\
def f(tags=[]):
    return tags


def g(path):
    fh = open(path)
    return fh.read()


def h(x):
    return x
";

/// A repository with `app.py` committed on `main`.
fn repo() -> TempDir {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "app.py", APP);
    git(dir.path(), &["add", "app.py"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    dir
}

/// `APP` with one new finding: a swallowed exception in `h`.
const APP_NEW_DEBT: &str = "\
def f(tags=[]):
    return tags


def g(path):
    fh = open(path)
    return fh.read()


def h(x):
    try:
        return int(x)
    except Exception:
        pass
";

#[test]
fn a_change_that_adds_one_finding_fails_and_names_exactly_it() {
    let dir = repo();
    write(dir.path(), "app.py", APP_NEW_DEBT);
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(named(&v["new"]), [n("py/swallowed-exception", "app.py", 13)]);
    assert_eq!(named(&v["fixed"]), []);
    assert_eq!(v["gate"]["passed"], false);
    assert_eq!(v["gate"]["new_debt_minutes"], 15);
    // `findings` are the head's findings in the compared files: old and new.
    assert_eq!(v["findings"].as_array().unwrap().len(), 3);

    // The text output shows the new finding in full and nothing of the old debt.
    let out = gate(dir.path(), &["--base", "HEAD"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("app.py:13:5: py/swallowed-exception"), "{text}");
    assert!(text.contains("13 |     except Exception:"), "{text}");
    assert!(!text.contains("py/mutable-default-arg"), "{text}");
    assert!(text.contains("Gate failed: 1 new finding at or above warning"), "{text}");

    // --format concise: one line per new finding, then the verdict.
    let out = gate(dir.path(), &["--base", "HEAD", "--format", "concise"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("app.py:13:5: py/swallowed-exception `except Exception` swallows every exception: the handler does nothing\n\n"),
        "{text}"
    );
    assert!(!text.contains("13 |") && text.contains("Gate failed:"), "{text}");
}

#[test]
fn lines_inserted_above_old_debt_do_not_make_it_new() {
    let dir = repo();
    let shifted = format!("import os\nimport sys\n\n\nLIMIT = 3\n\n\n{APP_NEW_DEBT}");
    write(dir.path(), "app.py", &shifted);
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(named(&v["new"]), [n("py/swallowed-exception", "app.py", 20)]);
    assert_eq!(named(&v["fixed"]), []);
    let unchanged: Vec<_> = named(&v["findings"]).into_iter().filter(|f| f.2 != 20).collect();
    assert_eq!(
        unchanged,
        [n("py/mutable-default-arg", "app.py", 8), n("py/open-without-with", "app.py", 13)]
    );
}

#[test]
fn a_reformat_passes() {
    let dir = repo();
    let reformatted = "\
def f(
    tags = [] ,
):
    return tags

def g(path):

    fh = open( path )
    return fh.read()

def h(x):
    return x
";
    write(dir.path(), "app.py", reformatted);
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!((code, named(&v["new"]), named(&v["fixed"])), (0, vec![], vec![]), "{v}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 2);
}

#[test]
fn a_rename_passes_with_or_without_edits() {
    let dir = repo();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    git(dir.path(), &["mv", "app.py", "pkg/core.py"]);
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!((code, named(&v["new"]), named(&v["fixed"])), (0, vec![], vec![]), "{v}");
    // Renamed and edited: only the edit's debt is new.
    write(dir.path(), "pkg/core.py", format!("# the core\n{APP_NEW_DEBT}"));
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(named(&v["new"]), [n("py/swallowed-exception", "pkg/core.py", 14)]);
    assert_eq!(named(&v["fixed"]), []);
    // Committed, compared commit to commit.
    git(dir.path(), &["commit", "-qam", "move"]);
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(named(&v["new"]), [n("py/swallowed-exception", "pkg/core.py", 14)]);
    assert_eq!(v["gate"]["head_commit"].as_str().unwrap(), git(dir.path(), &["rev-parse", "HEAD"]));
}

#[test]
fn a_pure_move_passes() {
    let dir = repo();
    // Functions reordered within the file.
    let reordered = "\
def h(x):
    return x


def g(path):
    fh = open(path)
    return fh.read()


def f(tags=[]):
    return tags
";
    write(dir.path(), "app.py", reordered);
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!((code, named(&v["new"]), named(&v["fixed"])), (0, vec![], vec![]), "{v}");
    // A function moved to another file: neither new nor fixed.
    write(dir.path(), "app.py", "def f(tags=[]):\n    return tags\n\n\ndef h(x):\n    return x\n");
    write(dir.path(), "io_utils.py", "def g(path):\n    fh = open(path)\n    return fh.read()\n");
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!((code, named(&v["new"]), named(&v["fixed"])), (0, vec![], vec![]), "{v}");
    let moved: Vec<_> = named(&v["findings"]).into_iter().filter(|f| f.1 == "io_utils.py").collect();
    assert_eq!(moved, [n("py/open-without-with", "io_utils.py", 2)]);
}

#[test]
fn a_fix_passes_and_is_reported_as_fixed() {
    let dir = repo();
    write(dir.path(), "app.py", APP.replace("def f(tags=[]):", "def f(tags=None):"));
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(named(&v["new"]), []);
    assert_eq!(named(&v["fixed"]), [n("py/mutable-default-arg", "app.py", 1)]);
    assert_eq!(v["gate"]["delta_minutes"], -10);
    let text = String::from_utf8_lossy(&gate(dir.path(), &["--base", "HEAD"]).stdout).to_string();
    assert!(text.contains("Fixed (1):\n  app.py:1:12: py/mutable-default-arg"), "{text}");
    assert!(text.contains("no new debt, 1 finding fixed (10min); debt -10min."), "{text}");
    assert!(text.contains("Gate passed."), "{text}");
    // A deleted file's debt is fixed too.
    std::fs::remove_file(dir.path().join("app.py")).unwrap();
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 0);
    assert_eq!(v["fixed"].as_array().unwrap().len(), 2);
}

#[test]
fn staged_and_unstaged_content_are_told_apart() {
    let dir = repo();
    // Debt staged, then removed from the working tree only.
    write(dir.path(), "app.py", APP_NEW_DEBT);
    git(dir.path(), &["add", "app.py"]);
    write(dir.path(), "app.py", APP);
    let (v, code) = gate_json(dir.path(), &["--staged", "--base", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(named(&v["new"]), [n("py/swallowed-exception", "app.py", 13)]);
    assert_eq!(v["gate"]["head"], "index");
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!((code, named(&v["new"])), (0, vec![]));
    // The other way round: debt in the working tree only, and in an untracked file.
    git(dir.path(), &["add", "app.py"]);
    write(dir.path(), "app.py", APP_NEW_DEBT);
    write(dir.path(), "new_module.py", "def k(items={}):\n    return items\n");
    write(dir.path(), "ignored/skip.py", "def k(items={}):\n    return items\n");
    write(dir.path(), ".gitignore", "ignored/\n");
    let (v, code) = gate_json(dir.path(), &["--staged", "--base", "HEAD"]);
    assert_eq!((code, named(&v["new"])), (0, vec![]));
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(
        named(&v["new"]),
        [n("py/swallowed-exception", "app.py", 13), n("py/mutable-default-arg", "new_module.py", 1)]
    );
}

#[test]
fn a_base_that_does_not_exist_is_exit_2() {
    let dir = repo();
    let out = gate(dir.path(), &["--base", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("base `no-such-branch` is not a revision"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
    // No --base, no config, no upstream.
    let out = gate(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).trim_end(), "error: no base: pass --base REV or set [gate] base in debtctl.toml");
    // Not a repository.
    let plain = TempDir::new().unwrap();
    let out = bin()
        .current_dir(plain.path())
        .env("GIT_CEILING_DIRECTORIES", plain.path().parent().unwrap())
        .args(["gate", "--base", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a git repository"), "{}", stderr(&out));
    // Bad arguments.
    let out = gate(dir.path(), &["--base", "HEAD", "--staged", "--head", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    let out = gate(dir.path(), &["--base", "HEAD", "--budget", "lots"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_base_defaults_to_the_merge_base_with_the_upstream() {
    let origin = repo();
    let work = TempDir::new().unwrap();
    git(work.path(), &["clone", "-q", origin.path().to_str().unwrap(), "."]);
    git(work.path(), &["checkout", "-qb", "feature", "--track", "origin/main"]);
    write(work.path(), "app.py", APP_NEW_DEBT);
    git(work.path(), &["commit", "-qam", "feature work"]);
    // main moves on: its own new debt is not the feature's.
    write(origin.path(), "other.py", "def z(a=[]):\n    return a\n");
    git(origin.path(), &["add", "other.py"]);
    git(origin.path(), &["commit", "-qm", "main moves"]);
    git(work.path(), &["fetch", "-q"]);
    let (v, code) = gate_json(work.path(), &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(named(&v["new"]), [n("py/swallowed-exception", "app.py", 13)]);
    assert_eq!(v["gate"]["base"], "merge-base(HEAD, origin/main)");
    assert_eq!(v["gate"]["base_commit"].as_str().unwrap(), git(origin.path(), &["rev-parse", "HEAD~1"]));
}

/// Issue 16, item 4: a commit adding a TODO was blocked even with `--fail-on error`
/// ("new debt of 30 min is over the budget of 0 min"). Only new findings at or above
/// `--fail-on` fail the gate, and `--budget` is weighed against their debt alone.
#[test]
fn severity_budget_and_base_come_from_flags_or_the_config() {
    let dir = repo();
    // A TODO is an info finding worth 30 minutes.
    write(dir.path(), "app.py", format!("{APP}\n\n# TODO: handle errors\n"));
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 0, "below the default `--fail-on warning`: reported, never fails: {v}");
    assert_eq!(named(&v["new"]), [n("debt/todo", "app.py", 14)]);
    assert_eq!(v["gate"]["reasons"], serde_json::json!([]));
    assert_eq!(
        (v["gate"]["blocking_findings"].as_u64(), v["gate"]["new_debt_minutes"].as_u64()),
        (Some(0), Some(30))
    );
    assert_eq!(gate_json(dir.path(), &["--base", "HEAD", "--fail-on", "error"]).1, 0);
    let text = String::from_utf8_lossy(&gate(dir.path(), &["--base", "HEAD", "--fail-on", "error"]).stdout)
        .to_string();
    assert!(text.contains("app.py:14:3: debt/todo"), "the finding is still shown: {text}");
    assert!(text.contains("Gate passed: 1 new finding below error does not fail the gate."), "{text}");

    let (v, code) = gate_json(dir.path(), &["--base", "HEAD", "--fail-on", "info"]);
    assert_eq!(code, 1);
    assert_eq!(
        v["gate"]["reasons"],
        serde_json::json!(["1 new finding at or above info: 30 min of debt, over the budget of 0 min"])
    );
    let text = String::from_utf8_lossy(&gate(dir.path(), &["--base", "HEAD", "--fail-on", "info"]).stdout)
        .to_string();
    assert!(
        text.contains(
            "Gate failed: 1 new finding at or above info: 30 min of debt, over the budget of 0 min."
        ),
        "{text}"
    );
    assert_eq!(gate_json(dir.path(), &["--base", "HEAD", "--fail-on", "info", "--budget", "29"]).1, 1);
    assert_eq!(gate_json(dir.path(), &["--base", "HEAD", "--fail-on", "info", "--budget", "30"]).1, 0);
    let text = String::from_utf8_lossy(
        &gate(dir.path(), &["--base", "HEAD", "--fail-on", "info", "--budget", "30"]).stdout,
    )
    .to_string();
    assert!(
        text.contains(
            "Gate passed: 1 new finding at or above info (30min of debt) within the budget of 30min."
        ),
        "{text}"
    );
    assert_eq!(gate_json(dir.path(), &["--base", "HEAD", "--fail-on", "info", "--exit-zero"]).1, 0);

    // A warning and a TODO: the budget counts the warning's 15 minutes, not the TODO's 30.
    write(dir.path(), "app.py", format!("{APP_NEW_DEBT}\n\n# TODO: handle errors\n"));
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD", "--budget", "15"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["gate"]["blocking_debt_minutes"].as_u64(), v["gate"]["new_debt_minutes"].as_u64()),
        (Some(15), Some(45))
    );
    assert_eq!(gate_json(dir.path(), &["--base", "HEAD", "--budget", "14"]).1, 1);

    write(dir.path(), "app.py", format!("{APP}\n\n# TODO: handle errors\n"));
    write(dir.path(), "debtctl.toml", "[gate]\nbase = \"HEAD\"\nbudget = 30\nfail-on = \"info\"\n");
    let (v, code) = gate_json(dir.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!((v["gate"]["base"].as_str(), v["gate"]["budget_minutes"].as_u64()), (Some("HEAD"), Some(30)));
    assert_eq!(v["gate"]["fail_on"], "info");
    assert_eq!(gate_json(dir.path(), &["--budget", "0"]).1, 1, "a flag overrides the config");
    assert_eq!(gate_json(dir.path(), &["--budget", "0", "--fail-on", "warning"]).1, 0);
    write(dir.path(), "debtctl.toml", "[gate]\nbase = \"nope\"\n");
    assert_eq!(gate(dir.path(), &[]).status.code(), Some(2));
    write(dir.path(), "debtctl.toml", "[gate]\nbudjet = 1\n");
    let out = gate(dir.path(), &["--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("budjet"));
}

/// Issue 16, item 4, as a user met it: the pre-commit hook (`gate --staged --base HEAD`,
/// default `--fail-on warning`) refused a commit that only added a TODO.
#[test]
fn the_hook_lets_a_commit_add_a_todo() {
    let dir = repo();
    let out = bin().current_dir(dir.path()).arg("install-hook").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    write(dir.path(), "app.py", format!("{APP}\n\n# TODO: handle errors\n"));
    let out = commit(dir.path(), &["-qam", "a todo"]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_ne!(git(dir.path(), &["rev-parse", "HEAD"]), head);
}

const GO_A: &str = "package store\n\nfunc save() error { return nil }\n";
const GO_B: &str = "package store\n\nfunc run() {\n\tsave()\n}\n";

#[test]
fn go_packages_are_compared_whole() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "store/a.go", "package store\n\nfunc save() {}\n");
    write(dir.path(), "store/b.go", GO_B);
    write(
        dir.path(),
        "other/c.go",
        "package other\n\nfunc c() error { return nil }\n\nfunc d() {\n\tc()\n}\n",
    );
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    // Only a.go changes, but b.go's call now drops an error: new debt in an unchanged file.
    write(dir.path(), "store/a.go", GO_A);
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(named(&v["new"]), [n("go/ignored-error", "store/b.go", 4)]);
    // The untouched package is not compared (its debt is in neither list).
    assert!(named(&v["findings"]).iter().all(|f| f.1.starts_with("store/")), "{v}");
    assert_eq!(v["summary"]["files"], 2);
}

/// Issue 12: a signature change in one package is new debt in the unchanged packages that
/// call it (here through a third one, which reads nothing of `store`: it is compared, and
/// nothing of it is new), and a package that does not import it is not compared.
#[test]
fn a_changed_signature_is_new_debt_in_the_packages_that_call_it() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "go.mod", "module example.com/m\n\ngo 1.21\n");
    write(d, "store/store.go", "package store\n\nfunc Save() {}\n");
    write(
        d,
        "app/app.go",
        "package app\n\nimport \"example.com/m/store\"\n\nfunc Run() {\n\tstore.Save()\n}\n",
    );
    write(d, "api/api.go", "package api\n\nimport \"example.com/m/app\"\n\nvar _ = app.X\n");
    write(d, "app/x.go", "package app\n\nvar X = 1\n");
    write(d, "other/o.go", "package other\n\nfunc c() error { return nil }\n\nfunc d() {\n\tc()\n}\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "base"]);
    // A body edit changes nothing another package reads: only store is compared.
    write(d, "store/store.go", "package store\n\nfunc Save() {\n\tprintln()\n}\n");
    let (v, code) = gate_json(d, &["--base", "HEAD"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["summary"]["files"], 1, "{v}");
    write(d, "store/store.go", "package store\n\nfunc Save() error { return nil }\n");
    let (v, code) = gate_json(d, &["--base", "HEAD"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(named(&v["new"]), [n("go/ignored-error", "app/app.go", 6)]);
    assert!(named(&v["findings"]).iter().all(|f| f.1 != "other/o.go"), "{v}");
    // store, app (2 files) and api.
    assert_eq!(v["summary"]["files"], 4, "{v}");
}

#[test]
fn sarif_carries_every_results_baseline_state_and_is_valid() {
    let schema_path = std::env::var_os("DEBTCTL_SARIF_SCHEMA").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas/sarif-2.1.0.json")
    });
    let text = std::fs::read_to_string(&schema_path)
        .unwrap_or_else(|e| panic!("the official SARIF schema at {}: {e}", schema_path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();

    let dir = repo();
    // New: the swallowed exception; unchanged: the open; absent: the mutable default.
    write(dir.path(), "app.py", APP_NEW_DEBT.replace("def f(tags=[]):", "def f(tags=None):"));
    let out = gate(dir.path(), &["--base", "HEAD", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = v["runs"][0]["results"].as_array().unwrap();
    let states: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap(), r["baselineState"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("py/open-without-with", "unchanged"),
            ("py/swallowed-exception", "new"),
            ("py/mutable-default-arg", "absent"),
        ]
    );
    let absent = &results[2];
    assert_eq!((absent["kind"].as_str(), absent["level"].as_str()), (Some("pass"), Some("none")));
    // A clean gate is valid too.
    write(dir.path(), "app.py", APP);
    let v: Value =
        serde_json::from_slice(&gate(dir.path(), &["--base", "HEAD", "--format", "sarif"]).stdout).unwrap();
    assert!(validator.is_valid(&v));
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn json_output_is_valid_against_the_findings_schema() {
    // cli.md: the json of scan, fix and gate is described by one schema.
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/findings.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = repo();
    write(dir.path(), "app.py", APP_NEW_DEBT.replace("def f(tags=[]):", "def f(tags=None):"));
    let (v, _) = gate_json(dir.path(), &["--base", "HEAD"]);
    let errors: Vec<String> =
        validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["findings"], 2);
}

#[test]
fn github_annotations_are_for_new_findings_only_and_the_summary_is_markdown() {
    let dir = repo();
    write(dir.path(), "app.py", APP_NEW_DEBT.replace("def f(tags=[]):", "def f(tags=None):"));
    let summary = dir.path().join("summary.md");
    let out =
        gate(dir.path(), &["--base", "HEAD", "--format", "github", "--summary", summary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].starts_with("::warning file=app.py,line=13,col=5,"), "{text}");
    assert!(lines[0].contains(",title=py/swallowed-exception::"), "{text}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("### debtctl gate failed ❌\n"), "{md}");
    assert!(md.contains("**1 new** (15min), **1 fixed** (10min), debt **+5min**"), "{md}");
    assert!(md.contains("#### New debt (1)"), "{md}");
    assert!(md.contains("| warning | `py/swallowed-exception` | `app.py:13` |"), "{md}");
    assert!(md.contains("#### Fixed (1)"), "{md}");
    assert!(md.contains("| warning | `py/mutable-default-arg` | `app.py:1` |"), "{md}");
}

#[test]
fn the_ledger_is_the_blob_cache_and_an_unwritable_one_is_no_error() {
    let dir = repo();
    write(dir.path(), "app.py", APP_NEW_DEBT);
    let (first, _) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert!(dir.path().join(".debtctl/ledger.sqlite").is_file());
    assert!(first["gate"]["analysed"].as_u64().unwrap() >= 2, "{first}");
    let (second, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(second["gate"]["analysed"], 0, "{second}");
    assert_eq!(second["new"], first["new"]);
    // A ledger that cannot be created: an in-memory cache, same answer, no error.
    let out =
        gate(dir.path(), &["--base", "HEAD", "--format", "json", "--db", "/proc/no/such/ledger.sqlite"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["new"], first["new"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn a_repository_without_commits_gates_its_first_commit() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "ok.py", "def f(x):\n    return x\n");
    git(dir.path(), &["add", "ok.py"]);
    let (v, code) = gate_json(dir.path(), &["--staged", "--base", "HEAD"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["gate"]["base_commit"], Value::Null);
    write(dir.path(), "bad.py", "def f(x=[]):\n    return x\n");
    git(dir.path(), &["add", "bad.py"]);
    let (v, code) = gate_json(dir.path(), &["--staged", "--base", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(named(&v["new"]), [n("py/mutable-default-arg", "bad.py", 1)]);
}

/// `git commit` as a user runs it, with the hook's environment.
fn commit(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("git");
    isolate_git(&mut cmd);
    cmd.current_dir(dir).args(["-c", "commit.gpgsign=false", "commit"]).args(args).output().unwrap()
}

#[test]
fn the_installed_hook_blocks_a_commit_that_adds_debt_and_passes_one_that_does_not() {
    let dir = repo();
    let out = bin().current_dir(dir.path()).arg("install-hook").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hook = dir.path().join(".git/hooks/pre-commit");
    assert!(stderr(&out).contains(".git/hooks/pre-commit"), "{}", stderr(&out));
    let head = git(dir.path(), &["rev-parse", "HEAD"]);

    // Debt staged: blocked, and the hook names it.
    write(dir.path(), "app.py", APP_NEW_DEBT);
    git(dir.path(), &["add", "app.py"]);
    let out = commit(dir.path(), &["-qm", "adds debt"]);
    assert!(!out.status.success());
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(said.contains("app.py:13:5: py/swallowed-exception"), "{said}");
    assert_eq!(git(dir.path(), &["rev-parse", "HEAD"]), head);

    // Only the staged content counts: the debt unstaged, a clean edit staged, passes.
    git(dir.path(), &["reset", "-q", "app.py"]);
    write(dir.path(), "app.py", APP.replace("return x", "return x + 1"));
    git(dir.path(), &["add", "app.py"]);
    write(dir.path(), "app.py", APP_NEW_DEBT);
    let out = commit(dir.path(), &["-qm", "clean"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(git(dir.path(), &["rev-parse", "HEAD"]), head);

    // `git commit -a` stages through a temporary index, which the hook must read.
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    let out = commit(dir.path(), &["-qam", "commit -a with debt"]);
    assert!(!out.status.success(), "the debt in the working tree is committed by -a");
    assert_eq!(git(dir.path(), &["rev-parse", "HEAD"]), head);
    // A fix commits.
    write(dir.path(), "app.py", APP.replace("def f(tags=[]):", "def f(tags=None):"));
    let out = commit(dir.path(), &["-qam", "fix"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Installing again replaces our hook; a foreign hook is kept unless --force.
    let out = bin().current_dir(dir.path()).arg("install-hook").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let out = bin().current_dir(dir.path()).arg("install-hook").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not written by debtctl; pass --force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), "#!/bin/sh\necho mine\n");
    let out = bin().current_dir(dir.path()).args(["install-hook", "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&hook).unwrap().contains("gate --staged --base HEAD"));
    let backup = dir.path().join(".git/hooks/pre-commit.debtctl-backup");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), "#!/bin/sh\necho mine\n");
}

#[test]
fn install_hook_honours_core_hooks_path() {
    let dir = repo();
    git(dir.path(), &["config", "core.hooksPath", "ci/hooks"]);
    let out = bin().current_dir(dir.path()).arg("install-hook").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("ci/hooks/pre-commit").is_file());
    assert!(!dir.path().join(".git/hooks/pre-commit").exists());
    write(dir.path(), "app.py", APP_NEW_DEBT);
    let out = commit(dir.path(), &["-qam", "adds debt"]);
    assert!(!out.status.success(), "the hook in core.hooksPath ran");
    // Outside a repository: exit 2.
    let plain = TempDir::new().unwrap();
    let out = bin()
        .current_dir(plain.path())
        .env("GIT_CEILING_DIRECTORIES", plain.path().parent().unwrap())
        .arg("install-hook")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Every file under `.git/objects`, and the index's bytes.
fn repository_state(dir: &Path) -> (Vec<PathBuf>, Vec<u8>) {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut objects = Vec::new();
    walk(&dir.join(".git/objects"), &mut objects);
    objects.sort();
    (objects, std::fs::read(dir.join(".git/index")).unwrap())
}

#[test]
fn the_working_tree_is_read_without_writing_to_the_repository() {
    let dir = repo();
    write(dir.path(), "app.py", APP_NEW_DEBT);
    write(dir.path(), "extra.py", "def k(items={}):\n    return items\n");
    let before = repository_state(dir.path());
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD", "--no-cache"]);
    assert_eq!(code, 1);
    assert_eq!(v["new"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(repository_state(dir.path()), before, "no object or index was written");
}

#[test]
fn paths_are_relative_to_the_current_directory_when_below_it() {
    let dir = repo();
    write(dir.path(), "pkg/mod.py", "def k(items={}):\n    return items\n");
    write(dir.path(), "app.py", APP_NEW_DEBT);
    let (v, code) = gate_json(&dir.path().join("pkg"), &["--base", "HEAD"]);
    assert_eq!(code, 1);
    let root = dir.path().canonicalize().unwrap();
    let paths: Vec<String> = named(&v["new"]).into_iter().map(|f| f.1).collect();
    assert_eq!(paths, [format!("{}/app.py", root.display()), "mod.py".to_string()]);
}

#[test]
fn a_blob_missing_from_the_object_database_is_left_out_with_a_warning() {
    let dir = repo();
    // As in a partial clone: the base's blob of app.py is not there.
    let blob = git(dir.path(), &["rev-parse", "HEAD:app.py"]);
    std::fs::remove_file(dir.path().join(".git/objects").join(&blob[..2]).join(&blob[2..])).unwrap();
    write(dir.path(), "app.py", APP_NEW_DEBT);
    write(dir.path(), "other.py", "def k(items={}):\n    return items\n");
    let out = gate(dir.path(), &["--base", "HEAD", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // app.py cannot be compared, so none of its findings is called new; other.py still is.
    assert_eq!(named(&v["new"]), [n("py/mutable-default-arg", "other.py", 1)]);
    assert!(stderr(&out).contains("warning: app.py: not in the object database"), "{}", stderr(&out));
}

#[test]
fn a_black_style_reformat_of_quotes_and_trailing_commas_passes() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "cfg.py", "def load():\n    fh = open('settings.ini', 'r')\n    return fh.read()\n");
    git(dir.path(), &["add", "cfg.py"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    write(
        dir.path(),
        "cfg.py",
        "def load():\n    fh = open(\n        \"settings.ini\",\n        \"r\",\n    )\n    return fh.read()\n",
    );
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!((code, named(&v["new"]), named(&v["fixed"])), (0, vec![], vec![]), "{v}");
    assert_eq!(named(&v["findings"]), [n("py/open-without-with", "cfg.py", 2)]);
}

#[test]
fn what_users_read_text_and_markdown() {
    let dir = repo();
    write(dir.path(), "app.py", APP_NEW_DEBT.replace("def f(tags=[]):", "def f(tags=None):"));
    let summary = dir.path().join("summary.md");
    let out = gate(dir.path(), &["--base", "HEAD", "--summary", summary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("gate_text", String::from_utf8_lossy(&out.stdout));
    insta::assert_snapshot!("gate_summary", std::fs::read_to_string(&summary).unwrap());
}

#[test]
fn a_rename_by_plain_mv_in_the_working_tree_passes() {
    let dir = repo();
    std::fs::create_dir_all(dir.path().join("lib")).unwrap();
    std::fs::rename(dir.path().join("app.py"), dir.path().join("lib/core.py")).unwrap();
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!((code, named(&v["new"]), named(&v["fixed"])), (0, vec![], vec![]), "{v}");
    assert_eq!(
        named(&v["findings"]),
        [n("py/mutable-default-arg", "lib/core.py", 1), n("py/open-without-with", "lib/core.py", 6)]
    );
    // Staged as a deletion and an untracked file, --staged sees the deletion only: fixed.
    git(dir.path(), &["add", "-A", "app.py"]);
    let (v, code) = gate_json(dir.path(), &["--staged", "--base", "HEAD"]);
    assert_eq!((code, named(&v["new"]), v["fixed"].as_array().unwrap().len()), (0, vec![], 2));
}

#[test]
fn a_go_file_renamed_within_its_package_keeps_its_debt() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "store/a.go", GO_A);
    write(dir.path(), "store/b.go", GO_B);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    git(dir.path(), &["mv", "store/b.go", "store/runner.go"]);
    let (v, code) = gate_json(dir.path(), &["--base", "HEAD"]);
    assert_eq!((code, named(&v["new"]), named(&v["fixed"])), (0, vec![], vec![]), "{v}");
    assert_eq!(named(&v["findings"]), [n("go/ignored-error", "store/runner.go", 4)]);
}
