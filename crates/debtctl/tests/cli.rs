//! The command line as users and scripts meet it: exit codes, output formats validated
//! against their schemas, discovery, bad input, fingerprints and the cache.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_debtctl"));
    cmd.env_remove("DEBTCTL_CACHE_DIR").env("NO_COLOR", "1");
    cmd
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

fn json_in(dir: &Path, args: &[&str]) -> (Value, Output) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (v, out)
}

fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn rules_of(v: &Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

fn fingerprints(v: &Value) -> Vec<String> {
    let mut fps: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    fps.sort();
    fps
}

const SAMPLE: &str = "def f(tags=[]):\n    return tags\n\n\n# TODO(PAY-142): retry\n";

#[test]
fn exit_codes_follow_the_contract() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "clean.py", "x = 1\n");
    assert_eq!(run_in(dir.path(), &["scan", "--no-cache"]).status.code(), Some(0));
    write(dir.path(), "debt.py", SAMPLE);
    assert_eq!(run_in(dir.path(), &["scan", "--no-cache"]).status.code(), Some(1));
    assert_eq!(run_in(dir.path(), &["scan", "--no-cache", "--exit-zero"]).status.code(), Some(0));
    // Only info findings left below a warning threshold.
    let out = run_in(dir.path(), &["scan", "--no-cache", "--select", "debt/", "--fail-on", "warning"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn errors_are_one_line_and_exit_2() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", "x = 1\n");
    let cases: &[(&[&str], &str)] = &[
        (&["scan", "does-not-exist"], "does-not-exist"),
        (&["scan", "--select", "py/nope"], "py/nope"),
        (&["scan", "--ignore", "zz/"], "zz/"),
        (&["scan", "--config", "missing.toml"], "missing.toml"),
        (&["explain", "go/nope"], "go/nope"),
        (&["scan", "--format", "xml"], "xml"),
        (&["scan", "--jobs", "0"], "--jobs"),
    ];
    for (args, needle) in cases {
        let out = run_in(dir.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        if args[0] != "scan" || !args.contains(&"--format") {
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn bad_config_names_the_key_and_the_rule() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", "x = 1\n");
    write(dir.path(), "debtctl.toml", "select = [\"py/\"]\nbogus-key = true\n");
    let out = run_in(dir.path(), &["scan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bogus-key") && stderr(&out).contains("debtctl.toml:2"),
        "{}",
        stderr(&out)
    );
    write(dir.path(), "debtctl.toml", "[rules.\"py/typo\"]\nseverity = \"error\"\n");
    let out = run_in(dir.path(), &["scan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("py/typo"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
}

/// Regression (issue 16): `_ = w.Close()` was flagged although errcheck flags an explicit
/// blank only with `-blank`, and no function could be excluded. Each config change is
/// seen through a warm cache.
#[test]
fn go_blank_is_opt_in_and_functions_can_be_excluded() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "go.mod", "module example.com/m\n\ngo 1.21\n");
    write(
        dir.path(),
        "w.go",
        "package m\n\nimport \"os\"\n\nfunc done(w *os.File) {\n\t_ = w.Close()\n\tw.Sync()\n}\n",
    );
    let lines = |v: &Value| -> Vec<u64> {
        v["findings"].as_array().unwrap().iter().map(|f| f["line"].as_u64().unwrap()).collect()
    };
    let args = ["--select", "go/ignored-error"];
    let (default, _) = json_in(dir.path(), &args);
    assert_eq!(lines(&default), [7], "only `w.Sync()`: `_ = w.Close()` is a deliberate discard");
    write(dir.path(), "debtctl.toml", "[go]\ncheck-blank = true\n");
    let (blank, _) = json_in(dir.path(), &args);
    assert_eq!(lines(&blank), [6, 7]);
    write(
        dir.path(),
        "debtctl.toml",
        "[go]\ncheck-blank = true\nexclude-functions = [\"(*os.File).Close\"]\n",
    );
    let (excluded, _) = json_in(dir.path(), &args);
    assert_eq!(lines(&excluded), [7]);
    let (nc, _) = json_in(dir.path(), &["--select", "go/ignored-error", "--no-cache"]);
    assert_eq!(nc, excluded);
    write(dir.path(), "debtctl.toml", "[go]\nexclude-functions = [\"(os.File.Close\"]\n");
    let out = run_in(dir.path(), &["scan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("(os.File.Close"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn config_selects_overrides_and_ignores_per_path() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "app/a.py", SAMPLE);
    write(dir.path(), "tests/t.py", SAMPLE);
    write(
        dir.path(),
        "debtctl.toml",
        "select = [\"py/\", \"debt/todo\"]\n\
         [rules.\"py/mutable-default-arg\"]\nseverity = \"error\"\ndebt-minutes = 25\n\
         [per-path-ignores]\n\"tests/**\" = [\"py/\"]\n",
    );
    // Run from a subdirectory: the config is found upward from the first path.
    let (v, _) = json_in(&dir.path().join("app"), &["--no-cache", "."]);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "py/mutable-default-arg");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["debt_minutes"], 25);
    let (v, _) = json_in(dir.path(), &["--no-cache"]);
    let in_tests: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().starts_with("tests/"))
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(in_tests, ["debt/todo"]);
    // `debt/` does not switch on unused-suppression reports; the flag does.
    write(dir.path(), "app/s.py", "x = 1  # debtctl: ignore[py/open-without-with] stale\n");
    let (v, _) = json_in(dir.path(), &["--no-cache", "--select", "debt/,py/", "app/s.py"]);
    assert_eq!(v["summary"]["findings"], 0, "{v}");
    let (v, _) = json_in(
        dir.path(),
        &["--no-cache", "--select", "debt/,py/", "--report-unused-suppressions", "app/s.py"],
    );
    assert_eq!(rules_of(&v), ["debt/unused-suppression"]);
    // Flags override the file.
    let (v, _) = json_in(dir.path(), &["--no-cache", "--select", "debt/todo"]);
    assert!(rules_of(&v).iter().all(|r| r == "debt/todo"));
    assert_eq!(v["findings"][0]["ticket"], "PAY-142");
}

#[test]
fn json_output_is_valid_against_our_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/findings.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let (v, out) = json_in(&repo_root(), &["--no-cache", "fixtures"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(v["findings"].as_array().unwrap().len() > 20);
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    // Sorted by path, line, column, rule.
    let keys: Vec<(String, u64, u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn sarif_output_is_valid_against_the_official_schema() {
    let schema_path = std::env::var_os("DEBTCTL_SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/schemas/sarif-2.1.0.json"));
    let text = std::fs::read_to_string(&schema_path)
        .unwrap_or_else(|e| panic!("the official SARIF schema at {}: {e}", schema_path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let out = run_in(&repo_root(), &["scan", "--no-cache", "--format", "sarif", "fixtures"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert!(r["partialFingerprints"]["debtctl/v1"].as_str().unwrap().len() == 16);
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], r["ruleId"]);
    }
    // A clean run is valid too.
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", "x = 1\n");
    let out = run_in(dir.path(), &["scan", "--no-cache", "--format", "sarif"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(validator.is_valid(&v));
}

#[test]
fn github_format_is_one_workflow_command_per_finding() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a,b.py", SAMPLE);
    let out = run_in(dir.path(), &["scan", "--no-cache", "--format", "github"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("::warning file=a%2Cb.py,line=1,col=12,endLine=1,endColumn=14,title=py/mutable-default-arg::mutable default"), "{}", lines[0]);
    assert!(lines[1].starts_with("::notice file=a%2Cb.py,line=5,"), "{}", lines[1]);
}

#[test]
fn text_output_shows_the_line_a_caret_and_the_summary() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", SAMPLE);
    let out = run_in(dir.path(), &["scan", "--no-cache"]);
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn unreadable_binary_and_invalid_utf8_files_are_counted_and_the_rest_goes_on() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "good.py", SAMPLE);
    write(dir.path(), "binary.py", b"\x00\x01\x02def f(a=[]): pass\n");
    write(dir.path(), "latin1.py", b"# caf\xe9\ndef f(a=[]): pass\n");
    write(dir.path(), "broken.py", "def f(a=[]):\n    return a\n\nx = (\n");
    write(
        dir.path(),
        "gen.go",
        "// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage p\n// TODO: x\n",
    );
    write(dir.path(), "gen.py", "# @generated by tool\n# TODO: x\n");
    let (v, out) = json_in(dir.path(), &["--no-cache"]);
    let s = &v["summary"];
    assert_eq!(s["files"], 2, "{s}");
    assert_eq!(s["skipped"]["binary"], 1);
    assert_eq!(s["skipped"]["invalid_utf8"], 1);
    assert_eq!(s["skipped"]["generated"], 2);
    assert_eq!(s["parse_errors"], 1);
    let err = stderr(&out);
    assert!(err.contains("binary.py") && err.contains("latin1.py"), "{err}");
    assert!(err.contains("warning: broken.py:4: syntax error;"), "{err}");
    assert_eq!(err.lines().count(), 3, "{err}");
    // The file with a syntax error is still analysed.
    let paths: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"broken.py"), "{paths:?}");
    // --quiet silences the warnings.
    let out = run_in(dir.path(), &["scan", "--no-cache", "--quiet"]);
    assert!(out.stderr.is_empty());
}

/// `--select go/` selects a language: files that no selected rule checks are not read, so
/// they cost nothing and warn about nothing. A Go file that no rule checks is still read
/// when a sibling is checked, as the package's facts come from every file.
#[test]
fn files_no_selected_rule_checks_are_not_read() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "p/a.go",
        "package p\n\nimport \"os\"\n\nfunc f() {\n\tdrop()\n\tos.Remove(\"x\")\n}\n",
    );
    // Only this file says that `drop` returns an error; no rule checks it.
    write(dir.path(), "p/b_gen.go", "package p\n\nfunc drop() error { return nil }\n");
    write(dir.path(), "latin1.yaml", b"# caf\xe9\nkind: Deployment\n");
    write(dir.path(), "broken.py", "def f(a=[]):\n    return a\n\nx = (\n");
    write(dir.path(), "debtctl.toml", "[per-path-ignores]\n\"**/b_gen.go\" = [\"go/\"]\n");
    let summary = |args: &[&str]| {
        let mut all = vec!["--no-cache", "--exit-zero"];
        all.extend_from_slice(args);
        let (v, out) = json_in(dir.path(), &all);
        let rules: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        (v["summary"].clone(), rules, stderr(&out))
    };

    let (s, rules, err) = summary(&["--select", "go/"]);
    assert_eq!(s["files"], 2, "{s}");
    assert_eq!(
        (s["skipped"]["invalid_utf8"].as_u64(), s["parse_errors"].as_u64()),
        (Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(rules, ["go/ignored-error", "go/ignored-error"], "the sibling's declaration is known");
    assert!(!err.contains("latin1.yaml") && !err.contains("broken.py"), "{err}");

    let (s, rules, err) = summary(&["--select", "py/"]);
    assert_eq!((s["files"].as_u64(), s["parse_errors"].as_u64()), (Some(1), Some(1)), "{s}");
    assert_eq!(rules, ["py/mutable-default-arg"]);
    assert!(err.contains("broken.py") && !err.contains("latin1.yaml"), "{err}");

    // debt/ rules check files of every language: everything is read.
    for args in [&["--select", "debt/todo"][..], &[]] {
        let (s, _, err) = summary(args);
        assert_eq!(
            (s["files"].as_u64(), s["skipped"]["invalid_utf8"].as_u64()),
            (Some(3), Some(1)),
            "{args:?} {s}"
        );
        assert!(err.contains("latin1.yaml") && err.contains("broken.py"), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_a_warning_not_a_failure() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    write(dir.path(), "good.py", SAMPLE);
    write(dir.path(), "secret.py", SAMPLE);
    let p = dir.path().join("secret.py");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        return; // running as root: permissions do not apply, nothing to test here
    }
    let (v, out) = json_in(dir.path(), &["--no-cache"]);
    assert_eq!(v["summary"]["skipped"]["unreadable"], 1);
    assert!(stderr(&out).contains("secret.py"));
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn discovery_honours_ignores_but_scans_tracked_files() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, ".gitignore", "build/\nignored.py\n");
    write(d, "app.py", SAMPLE);
    write(d, "ignored.py", SAMPLE);
    write(d, "build/out.py", SAMPLE);
    write(d, "tracked_build/keep.py", SAMPLE);
    write(d, "vendor/lib.py", SAMPLE);
    write(d, "node_modules/m/x.py", SAMPLE);
    write(d, "third_party/t.py", SAMPLE);
    write(d, ".hidden/h.py", SAMPLE);
    write(d, "gen/skip.py", SAMPLE);
    write(d, "notes.txt", "TODO: not a source file\n");
    write(d, "chart/values.yml", "# TODO: yaml\nx: 1\n");
    write(d, "go.mod", "module example.com/m\n\ngo 1.22\n");
    write(d, "sub/x/ignored.py", SAMPLE);
    write(d, "sub/.hidden/ignored.py", SAMPLE);
    git(d, &["add", "app.py", ".gitignore"]);
    // Tracked, so scanned; but not under vendor/ or a hidden directory.
    git(d, &["add", "-f", "ignored.py", "sub/x/ignored.py", "sub/.hidden/ignored.py", "vendor/lib.py"]);
    git(d, &["commit", "-qm", "init"]);
    let (v, _) = json_in(d, &["--no-cache", "--exclude", "gen/"]);
    let mut paths: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    paths.dedup();
    assert_eq!(
        paths,
        ["app.py", "chart/values.yml", "ignored.py", "sub/x/ignored.py", "tracked_build/keep.py"]
    );
    // Scanning a directory inside the repository finds its tracked files too.
    let (v, _) = json_in(d, &["--no-cache", "sub"]);
    let mut paths: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    paths.dedup();
    assert_eq!(paths, ["sub/x/ignored.py"]);
    // A file named on the command line is scanned whatever the ignores say.
    let (v, _) = json_in(d, &["--no-cache", "build/out.py"]);
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn fingerprints_survive_moved_lines_and_whitespace() {
    let dir = TempDir::new().unwrap();
    let before = "import os\n\ndef f(tags=[]):\n    return tags\n\ndef g(a=[], b=[]):\n    return a, b\n";
    write(dir.path(), "m.py", before);
    let (v1, _) = json_in(dir.path(), &["--no-cache"]);
    let after = "import os\nimport sys\n\n\n# a comment\ndef f(tags = [ ]) :\n        return tags\n\ndef g(a=[],\n      b=[]):\n    return a, b\n";
    write(dir.path(), "m.py", after);
    let (v2, _) = json_in(dir.path(), &["--no-cache"]);
    assert_eq!(fingerprints(&v1), fingerprints(&v2));
    assert_ne!(v1["findings"][0]["line"], v2["findings"][0]["line"]);
    // Identical findings in one function differ (by occurrence index only).
    write(dir.path(), "dup.py", "def h(a=[]):\n    pass\n# TODO: x\n# TODO: x\n");
    let (v3, _) = json_in(dir.path(), &["--no-cache", "dup.py"]);
    let fps = fingerprints(&v3);
    assert_eq!(fps.len(), 3);
    assert_eq!(fps.iter().collect::<std::collections::HashSet<_>>().len(), 3);
    // Renaming the function changes the identity.
    write(dir.path(), "m.py", after.replace("def f(", "def renamed("));
    let (v4, _) = json_in(dir.path(), &["--no-cache"]);
    assert_ne!(fingerprints(&v1), fingerprints(&v4));
}

#[test]
fn the_cache_returns_the_same_findings_and_sees_changes() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", SAMPLE);
    write(dir.path(), "b.py", "x = 1\n");
    let (cold, _) = json_in(dir.path(), &[]);
    let cache = dir.path().join(".debtctl");
    assert!(cache.join(".gitignore").is_file());
    assert!(std::fs::read_dir(cache.join("cache")).unwrap().count() > 0);
    let (warm, _) = json_in(dir.path(), &[]);
    assert_eq!(cold, warm);
    write(dir.path(), "b.py", "def g(x={}):\n    return x\n");
    let (changed, _) = json_in(dir.path(), &[]);
    assert_eq!(changed["summary"]["findings"], 3);
    // Different settings never share results.
    let (selected, _) = json_in(dir.path(), &["--select", "debt/"]);
    assert_eq!(rules_of(&selected), ["debt/todo"]);
    // --no-cache and a read-only cache directory still scan.
    let (nc, _) = json_in(dir.path(), &["--no-cache"]);
    assert_eq!(nc, changed);
    let out = bin()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "--cache-dir", "/proc/debtctl-cannot-write-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn a_closed_stdout_pipe_exits_quietly() {
    let dir = TempDir::new().unwrap();
    let many: String = (0..5000).map(|i| format!("def f{i}(a=[]):\n    pass\n")).collect();
    write(dir.path(), "many.py", many);
    let mut child = bin()
        .current_dir(dir.path())
        .args(["scan", "--no-cache"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    assert!(out.status.code().is_some_and(|c| c == 0 || c == 1));
}

#[test]
fn rules_and_explain_come_from_the_compiled_docs() {
    let out = bin().args(["rules", "--format", "json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"py/mutable-default-arg") && ids.contains(&"debt/todo"));
    let m = v.as_array().unwrap().iter().find(|r| r["id"] == "py/mutable-default-arg").unwrap();
    assert_eq!(m["severity"], "warning");
    assert_eq!(m["debt_minutes"], 10);
    assert_eq!(m["fix"], "unsafe");
    let out = bin().args(["explain", "py/raise-without-from"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("## What it does") && text.contains("## Fix safety"));
    assert!(!text.contains("+++"));
    let out = bin().args(["rules"]).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().lines().count() >= ids.len());
}

#[test]
fn fix_applies_safe_fixes_and_unsafe_ones_on_request() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let src = "\u{feff}def f(x=[]):\r\n    x.append(1)\r\n    return x\r\n\r\n\r\ntry:\r\n    pass\r\nexcept ValueError:\r\n    raise KeyError(\"k\")\r\n";
    write(d, "a.py", src);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("a.py"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // --diff prints and writes nothing.
    let out = run_in(d, &["fix", "--diff", "--unsafe"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(diff.contains("--- a/a.py") && diff.contains("+except ValueError as err:"), "{diff}");
    assert_eq!(std::fs::read_to_string(d.join("a.py")).unwrap(), src);
    // Safe fixes only: the mutable default remains, so the exit status is 1.
    let (v, out) = json_in(d, &["--fix", "--no-cache"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["summary"]["fixed"]["py/raise-without-from"], 1);
    assert_eq!(rules_of(&v), ["py/mutable-default-arg"]);
    // Unsafe fixes too: nothing remains.
    let out = run_in(d, &["fix", "--unsafe", "--no-cache"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let fixed = std::fs::read_to_string(d.join("a.py")).unwrap();
    assert!(fixed.starts_with('\u{feff}'), "the BOM is kept");
    assert_eq!(fixed.matches('\n').count(), fixed.matches("\r\n").count(), "CRLF is kept: {fixed:?}");
    assert!(fixed.contains("    if x is None:\r\n        x = []\r\n"), "{fixed:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("a.py")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755, "the mode is kept");
    }
    // A second run changes nothing.
    let out = run_in(d, &["fix", "--unsafe", "--no-cache"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(d.join("a.py")).unwrap(), fixed);
    // The fixed function no longer shares its default between calls.
    let py = Command::new("python3").current_dir(d).args(["-c", "import a\nprint(a.f(), a.f())"]).output();
    if let Ok(py) = py {
        // The module raises KeyError at import only if the handler runs; it does not.
        assert_eq!(
            String::from_utf8_lossy(&py.stdout).trim(),
            "[1] [1]",
            "{}",
            String::from_utf8_lossy(&py.stderr)
        );
    }
}

/// Every Python golden is valid Python, as CPython's own parser sees it.
#[test]
fn python_goldens_compile() {
    let goldens = goldens(".py.fixed");
    for g in goldens {
        let out = Command::new("python3")
            .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1], encoding='utf-8-sig').read())"])
            .arg(&g)
            .output()
            .expect("python3 is needed by the tests (.ci/run installs it)");
        assert!(out.status.success(), "{}: {}", g.display(), String::from_utf8_lossy(&out.stderr));
    }
}

/// Every Go golden is valid Go as `gofmt -e` sees it (.ci/run installs Debian's golang-go).
#[test]
fn go_goldens_parse_with_gofmt() {
    let goldens = goldens(".go.fixed");
    let dir = TempDir::new().unwrap();
    for (i, g) in goldens.iter().enumerate() {
        // gofmt wants a .go name.
        let copy = dir.path().join(format!("g{i}.go"));
        std::fs::copy(g, &copy).unwrap();
        let out = Command::new("gofmt")
            .arg("-e")
            .arg(&copy)
            .output()
            .expect("gofmt is needed by the tests (.ci/run installs golang-go)");
        assert!(out.status.success(), "{}: {}", g.display(), String::from_utf8_lossy(&out.stderr));
    }
}

/// Every fixture golden whose name ends with `suffix`; at least one.
fn goldens(suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![repo_root().join("fixtures")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                found.push(p);
            }
        }
    }
    assert!(!found.is_empty(), "no {suffix} goldens");
    found
}

#[test]
fn record_and_export_keep_a_ledger_of_debt() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "a.py", "def f(tags=[]):\n    return tags\n");
    git(d, &["add", "a.py"]);
    git(d, &["commit", "-qm", "PAY-142: add f"]);
    let out = run_in(d, &["record"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(d.join(".debtctl/ledger.sqlite").is_file());
    assert!(d.join(".debtctl/.gitignore").is_file());
    let out = run_in(d, &["export", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["commits"].as_array().unwrap().len(), 1);
    assert_eq!(v["commits"][0]["tickets"][0], "PAY-142");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["rule"], "py/mutable-default-arg");
    assert_eq!(items[0]["introduced_in"], v["head"]);
    assert!(items[0]["fixed_in"].is_null());
    // Outside a repository: one line, exit 2.
    let elsewhere = TempDir::new().unwrap();
    let out = run_in(elsewhere.path(), &["record"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// A YAML document over 32,768 lines (prometheus's `cmd/promtool/testdata/rules_large.yml`,
/// 40,011 lines of valid YAML) parses as one ERROR in tree-sitter-yaml 0.7.2 (#49): it was
/// reported as "syntax error; the file is analysed where it parses", which it is not. It
/// is skipped with the grammar's limit as its reason and counted; the other files go on.
#[test]
fn a_yaml_document_too_long_for_the_grammar_is_skipped_with_its_reason() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let rules: String = (0..8200)
        .map(|i| format!("  - record: r{i}\n    expr: vector(1)\n    labels: {{job: j}}\n    # TODO: tidy\n"))
        .collect();
    write(d, "rules_large.yml", format!("groups:\n{rules}"));
    write(d, "small.yml", "# TODO: small\nkind: ConfigMap\n");
    let (v, out) = json_in(d, &["--no-cache", "--select", "debt/todo"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "warning: rules_large.yml: skipped: a YAML document longer than 32768 lines (from line 1)"
        ),
        "{err}"
    );
    assert!(!err.contains("syntax error"), "{err}");
    assert_eq!(v["summary"]["skipped"]["too_deep"], 1, "{}", v["summary"]);
    assert_eq!(v["summary"]["parse_errors"], 0, "{}", v["summary"]);
    let paths: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["small.yml"]);
}

/// Regression test for issue 17: `python3 -c "print('- ' * 600 + 'x')" > dashes.yaml` made
/// tree-sitter-yaml's scanner overflow tree-sitter's serialization buffer, and the
/// assertion aborted `scan` (exit 134, no output at all). Hostile files among ordinary
/// ones: `scan`, `gate` and `history` finish with the ordinary files' findings and name
/// each file they could not analyse.
#[test]
fn files_nested_too_deep_are_skipped_and_named_and_the_rest_goes_on() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "app.py", SAMPLE);
    write(d, "main.go", "package main\n\n// TODO(PAY-7): split\nfunc main() {}\n");
    write(
        d,
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: x\n",
    );
    write(d, "chart/Chart.yaml", "name: c\n");
    write(d, "chart/templates/ok.yaml", "# TODO: fine\nkind: ConfigMap\n");
    let deep: Vec<(&str, String)> = vec![
        ("dashes.yaml", "- ".repeat(600) + "x\n"),
        ("maps.yaml", (0..300).map(|i| format!("{}k:\n", "  ".repeat(i))).collect()),
        ("seqs.yml", (0..300).map(|i| format!("{}-\n", " ".repeat(i))).collect()),
        (
            "deep.py",
            (0..600).map(|i| format!("{}if x:\n", " ".repeat(i))).collect::<String>()
                + &" ".repeat(600)
                + "y = f\"{x}\"\n",
        ),
        (
            "chart/templates/deep.yaml",
            (0..300)
                .map(|i| format!("{0}{{{{- if .Values.a }}}}\n{0}k: {{{{ .Values.b }}}}\n", "  ".repeat(i)))
                .collect(),
        ),
    ];
    // Huge bracket nesting parses fine: analysed, not skipped.
    write(d, "brackets.py", format!("x = {}1{}\n# TODO: brackets\n", "[".repeat(5000), "]".repeat(5000)));
    for (path, text) in &deep {
        write(d, path, text);
    }
    let deep_paths: Vec<&str> = deep.iter().map(|(p, _)| *p).collect();
    let named_all = |err: &str| {
        for p in &deep_paths {
            assert!(
                err.contains(&format!("warning: {p}: skipped: nesting deeper than")),
                "{p} not named: {err}"
            );
        }
    };
    let expected = |rules: &[String]| {
        for rule in ["debt/todo", "k8s/missing-probe"] {
            assert!(rules.iter().any(|r| r == rule), "{rule} missing from {rules:?}");
        }
    };

    let (v, out) = json_in(d, &["--no-cache"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(v["summary"]["skipped"]["too_deep"], deep.len(), "{}", v["summary"]);
    assert_eq!(v["summary"]["files"], 6, "{}", v["summary"]);
    expected(&rules_of(&v));
    assert!(rules_of(&v).contains(&"py/mutable-default-arg".to_string()));
    let paths: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for p in ["app.py", "main.go", "deploy.yaml", "chart/templates/ok.yaml", "brackets.py"] {
        assert!(paths.contains(&p), "{p} has no findings: {paths:?}");
    }
    named_all(&stderr(&out));
    let text = run_in(d, &["scan", "--no-cache"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("5 files could not be analysed"));

    // The gate, with the hostile files new in the working tree.
    git(d, &["add", "app.py"]);
    git(d, &["commit", "-qm", "base"]);
    let out = run_in(d, &["gate", "--base", "HEAD", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // app.py is unchanged: its findings are not new. Every other ordinary file's are.
    let new: Vec<&str> = v["new"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for p in ["main.go", "deploy.yaml", "chart/templates/ok.yaml", "brackets.py"] {
        assert!(new.contains(&p), "{p} has no new findings: {new:?}");
    }
    assert_eq!(v["summary"]["skipped"]["too_deep"], deep.len(), "{}", v["summary"]);
    named_all(&stderr(&out));

    // The ledger: the hostile files committed, history analyses the commit from git objects.
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "everything"]);
    let out = run_in(d, &["history"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    named_all(&stderr(&out));
    let out = run_in(d, &["export", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<String> =
        v["items"].as_array().unwrap().iter().map(|i| i["rule"].as_str().unwrap().to_string()).collect();
    expected(&rules);
    // The gate again, now reading through the ledger's cache: still named.
    write(d, "app.py", format!("{SAMPLE}\n# TODO: more\n"));
    write(d, "maps.yaml", "- ".repeat(700) + "y\n");
    let out = run_in(d, &["gate", "--base", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    named_all(&stderr(&out));
}

/// Issue 16, item 7: `debtctl scan .` in a fresh clone of this repository exited 1 with
/// 229 findings, almost all in `fixtures/`. The root `debtctl.toml` leaves them out, and a
/// directory named on the command line is still scanned, as the fixture tests need.
#[test]
fn our_repository_scans_without_its_fixtures() {
    let (v, _) = json_in(&repo_root(), &["--no-cache", "--exit-zero", "."]);
    let in_fixtures: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .filter(|p| p.starts_with("fixtures/"))
        .collect();
    assert!(in_fixtures.is_empty(), "{in_fixtures:?}");
    assert!(v["summary"]["files"].as_u64().unwrap() >= 4, "our own Python, Go and YAML files: {v}");
    let (v, _) = json_in(&repo_root(), &["--no-cache", "--exit-zero", "fixtures"]);
    assert!(v["findings"].as_array().unwrap().len() > 100, "named on the command line, fixtures are scanned");
    // Below a named directory, an exclude still applies to what it names itself.
    let dir = TempDir::new().unwrap();
    write(dir.path(), "debtctl.toml", "exclude = [\"fixtures/\", \"gen/\"]\n");
    write(dir.path(), "fixtures/a.py", SAMPLE);
    write(dir.path(), "fixtures/gen/b.py", SAMPLE);
    write(dir.path(), "app.py", "x = 1\n");
    let (v, _) = json_in(dir.path(), &["--no-cache", "."]);
    assert_eq!(v["summary"]["files"], 1);
    let (v, _) = json_in(dir.path(), &["--no-cache", "fixtures"]);
    assert_eq!(v["summary"]["files"], 1, "fixtures/a.py only: {v}");
}

/// `[go] cgo-owning-functions` names C functions that take ownership (issue 13); the result
/// cache keys on it, so changing the list re-checks an unchanged file.
#[test]
fn cgo_owning_functions_from_config_hand_memory_on() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "c.go",
        "package c\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc set(s string) {\n\tcs := C.CString(s)\n\tC.keep_name(cs)\n}\n",
    );
    let (v, _) = json_in(dir.path(), &["--select", "go/cgo-leak"]);
    assert_eq!(rules_of(&v), ["go/cgo-leak"], "{v}");
    write(dir.path(), "debtctl.toml", "[go]\ncgo-owning-functions = [\"keep_name\"]\n");
    let (v, _) = json_in(dir.path(), &["--select", "go/cgo-leak"]);
    assert_eq!(v["summary"]["findings"], 0, "{v}");
    write(dir.path(), "debtctl.toml", "[go]\ncgo-owning-functions = [\"other\"]\n");
    let (v, _) = json_in(dir.path(), &["--select", "go/cgo-leak"]);
    assert_eq!(rules_of(&v), ["go/cgo-leak"], "{v}");
}

/// Issue 12, step 3: without a Go toolchain (GOROOT an empty directory, no `go` on PATH)
/// the standard library is answered by the facts compiled in, which know what the
/// hand-picked table they replaced lacked: `encoding/csv`'s writer, and `fmt.Fprintf` to
/// an `http.ResponseWriter` (errcheck flags it). The summary says which library was used.
#[test]
fn go_standard_library_without_a_toolchain_comes_from_the_embedded_facts() {
    let d = TempDir::new().unwrap();
    let goroot = TempDir::new().unwrap();
    let no_go = TempDir::new().unwrap();
    write(d.path(), "go.mod", "module example.com/m\n\ngo 1.19\n");
    write(
        d.path(),
        "a.go",
        "package m\n\nimport (\n\t\"encoding/csv\"\n\t\"fmt\"\n\t\"net/http\"\n\t\"os\"\n)\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tfmt.Fprintf(w, \"hi\")\n\tfmt.Fprintf(os.Stderr, \"log\")\n}\n\nfunc save(f *os.File) {\n\tcw := csv.NewWriter(f)\n\tcw.Write([]string{\"a\"})\n\tcw.Flush()\n}\n",
    );
    let out = bin()
        .current_dir(d.path())
        .env("GOROOT", goroot.path())
        .env("PATH", no_go.path())
        .env_remove("GOPATH")
        .env_remove("GOMODCACHE")
        .args(["scan", "--no-cache", "--format", "json", "--select", "go/ignored-error"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let lines: Vec<u64> =
        v["findings"].as_array().unwrap().iter().map(|f| f["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [11, 17], "{}", stderr(&out));
    let stdlib = v["summary"]["go_stdlib"].as_str().unwrap();
    assert!(stdlib.starts_with("go1.") && stdlib.ends_with(" (embedded)"), "{stdlib}");
    assert_eq!(v["summary"]["go_packages_not_found"], 0);
}
