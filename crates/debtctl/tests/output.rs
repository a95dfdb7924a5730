//! What `debtctl scan` and `debtctl fix` tell a user, replayed from issue 16's trial as a
//! new user met it: honest counts (files with findings and files scanned; what `debtctl
//! fix` really fixes), output for large repositories (`--statistics`, `--format concise`,
//! `--quiet`), stdin for editors, and messages (near-miss rule IDs, each thing said once,
//! Go files that tree-sitter-go cannot fully parse).

use serde_json::Value;
use std::io::Write;
use std::path::Path;
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

/// Runs with `input` on stdin.
fn run_with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // debtctl stops before reading stdin when its arguments are wrong: a broken pipe then.
    if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

/// A mutable default (unsafe fix), a TODO (no fix) and a raise without `from` (safe fix).
const MIXED: &str = "\
def f(tags=[]):
    return tags


# TODO(PAY-142): retry
try:
    pass
except ValueError:
    raise KeyError(\"k\")
";

/// Only an unsafe fix.
const UNSAFE_ONLY: &str = "def f(tags=[]):\n    return tags\n";

/// A Deployment without probes: `k8s/missing-probe`, whose fix is a suggestion only.
const NO_PROBES: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
";

/// Issue 16, item 6: "Found 38 findings in 37 files" when the findings were in 9 files
/// and 37 were scanned.
#[test]
fn the_summary_names_files_with_findings_and_files_scanned() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", MIXED);
    write(dir.path(), "b.py", UNSAFE_ONLY);
    for i in 0..5 {
        write(dir.path(), &format!("clean{i}.py"), "x = 1\n");
    }
    let out = run_in(dir.path(), &["scan", "--no-cache"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("Found 4 findings in 2 files (7 scanned): 55min of debt."), "{text}");
    let out = run_in(dir.path(), &["scan", "--no-cache", "b.py"]);
    assert!(
        stdout(&out).contains("Found 1 finding in 1 file (1 scanned): 10min of debt."),
        "{}",
        stdout(&out)
    );
}

/// Issue 16, item 5: "1 with a fix (`debtctl fix`)" where `debtctl fix` applied nothing
/// (the fix was unsafe, or display-only). The summary now says what `debtctl fix` fixes,
/// what only `--unsafe` fixes, and what is a suggestion to apply by hand.
#[test]
fn fix_counts_promise_what_debtctl_fix_does() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "a.py", MIXED);
    let text = stdout(&run_in(d, &["scan", "--no-cache"]));
    assert!(text.contains("1 fixable with `debtctl fix` (1 more with `--unsafe`)."), "{text}");
    assert!(text.contains("(unsafe fix: `debtctl fix --unsafe`)"), "{text}");
    // `debtctl fix` fixes exactly the one it promised, and says what --unsafe would do.
    let out = run_in(d, &["fix", "--no-cache"]);
    let text = stdout(&out);
    assert!(text.contains("Fixed 1 finding (py/raise-without-from: 1)."), "{text}");
    assert!(text.contains("1 fixable with `debtctl fix --unsafe`."), "{text}");
    assert!(!text.contains("fixable with `debtctl fix`."), "{text}");
    assert!(
        stderr(&out)
            .contains("`debtctl fix --unsafe` would fix 1 more finding (unsafe fixes may change behaviour)"),
        "{}",
        stderr(&out)
    );

    // Only an unsafe fix: `debtctl fix` applies nothing and says that --unsafe would.
    write(d, "a.py", UNSAFE_ONLY);
    let out = run_in(d, &["fix", "--no-cache"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(d.join("a.py")).unwrap(), UNSAFE_ONLY);
    assert!(
        stdout(&out).contains(
            "Found 1 finding in 1 file (1 scanned): 10min of debt. 1 fixable with `debtctl fix --unsafe`."
        ),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out)
            .contains("note: no safe fixes to apply; `debtctl fix --unsafe` would fix 1 more finding"),
        "{}",
        stderr(&out)
    );
    let out = run_in(d, &["fix", "--diff", "--no-cache"]);
    assert_eq!(out.status.code(), Some(0), "no diff without --unsafe");
    assert!(
        stderr(&out).contains("Would apply 0 fixes to 0 files. `--unsafe` would apply 1 more."),
        "{}",
        stderr(&out)
    );
    // The JSON document says it too: the note is on stderr, the document unchanged.
    let out = run_in(d, &["fix", "--no-cache", "--format", "json"]);
    assert_eq!(json(&out)["findings"][0]["fix"]["applicability"], "unsafe");
    assert!(stderr(&out).contains("--unsafe"), "{}", stderr(&out));
    let out = run_in(d, &["fix", "--no-cache", "--quiet"]);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));

    // A display-only fix is a suggestion, never counted as fixable.
    std::fs::remove_file(d.join("a.py")).unwrap();
    write(d, "deploy.yaml", NO_PROBES);
    let text = stdout(&run_in(d, &["scan", "--no-cache"]));
    assert!(text.contains("(suggestion: apply by hand)"), "{text}");
    assert!(text.ends_with("of debt. 1 suggestion to apply by hand.\n"), "{text}");
    assert!(!text.contains("fixable"), "{text}");
    let out = run_in(d, &["fix", "--no-cache"]);
    assert!(!stdout(&out).contains("Fixed"), "{}", stdout(&out));
    assert!(out.stderr.is_empty(), "nothing --unsafe could do: {}", stderr(&out));
}

#[test]
fn statistics_count_findings_and_debt_per_rule() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", MIXED);
    write(dir.path(), "b.py", "def g(x={}, y=[]):\n    return x, y\n");
    let out = run_in(dir.path(), &["scan", "--no-cache", "--statistics"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["count", "rule", "severity", "debt", "fix"]);
    // Most findings first; then by rule.
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["3", "py/mutable-default-arg", "warning", "30min", "fix", "with", "--unsafe"]
    );
    assert_eq!(lines[2].split_whitespace().collect::<Vec<_>>(), ["1", "debt/todo", "info", "30min"]);
    assert_eq!(
        lines[3].split_whitespace().collect::<Vec<_>>(),
        ["1", "py/raise-without-from", "info", "5min", "fix"]
    );
    assert!(!text.contains("^^"), "no finding is printed in full: {text}");
    assert!(text.contains("Found 5 findings in 2 files (2 scanned): 1h 05min of debt."), "{text}");
    // --quiet leaves the table alone.
    let quiet = stdout(&run_in(dir.path(), &["scan", "--no-cache", "--statistics", "--quiet"]));
    assert_eq!(quiet.trim_end().lines().count(), 4, "{quiet}");

    let v = json(&run_in(dir.path(), &["scan", "--no-cache", "--statistics", "--format", "json"]));
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(
        v[0],
        serde_json::json!({"rule": "py/mutable-default-arg", "severity": "warning", "count": 3,
                           "debt_minutes": 30, "fix": "unsafe"})
    );
    assert_eq!(v[1]["fix"], Value::Null);
    let out = run_in(dir.path(), &["scan", "--statistics", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--statistics"), "{}", stderr(&out));
}

#[test]
fn concise_is_one_line_per_finding_and_quiet_prints_findings_only() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", MIXED);
    write(dir.path(), "broken.py", "def f(:\n");
    let out = run_in(dir.path(), &["scan", "--no-cache", "--format", "concise"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "a.py:1:12: py/mutable-default-arg mutable default `[]` for parameter `tags` is shared between calls"
    );
    assert!(lines[1].starts_with("a.py:5:3: debt/todo "), "{text}");
    assert!(lines[2].starts_with("a.py:9:5: py/raise-without-from "), "{text}");
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("Found 3 findings in 1 file (2 scanned)"), "{text}");
    assert!(!stderr(&out).is_empty(), "the syntax error is a warning");

    // --quiet: the findings and nothing else, on stdout and stderr.
    let out = run_in(dir.path(), &["scan", "--no-cache", "--format", "concise", "--quiet"]);
    assert_eq!(stdout(&out), lines[..3].iter().map(|l| format!("{l}\n")).collect::<String>());
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let out = run_in(dir.path(), &["scan", "--no-cache", "--quiet"]);
    let text = stdout(&out);
    assert!(text.contains("a.py:1:12:") && text.contains("1 | def f(tags=[]):"), "{text}");
    assert!(!text.contains("Found") && !text.contains("syntax errors"), "{text}");
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    // A clean run with --quiet prints nothing at all.
    let clean = TempDir::new().unwrap();
    write(clean.path(), "c.py", "x = 1\n");
    let out = run_in(clean.path(), &["scan", "--no-cache", "--quiet"]);
    assert_eq!((out.status.code(), out.stdout.is_empty(), out.stderr.is_empty()), (Some(0), true, true));
}

#[test]
fn stdin_is_analysed_as_the_file_it_names() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "debtctl.toml", "[per-path-ignores]\n\"tests/**\" = [\"py/mutable-default-arg\"]\n");
    // The file on disk differs from what the editor holds: stdin is what counts.
    write(d, "app/m.py", "x = 1\n");
    let out = run_with_stdin(d, &["scan", "--stdin-filename", "app/m.py", "-"], MIXED);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("app/m.py:1:12: py/mutable-default-arg"), "{text}");
    assert!(text.contains("1 | def f(tags=[]):"), "source lines come from stdin: {text}");
    assert!(text.contains("Found 3 findings in 1 file (1 scanned)"), "{text}");
    // Its per-path rules, from the config found from the path.
    let out = run_with_stdin(d, &["scan", "--format", "json", "--stdin-filename", "tests/t.py", "-"], MIXED);
    let v = json(&out);
    let rules: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["debt/todo", "py/raise-without-from"]);
    // Its language: a Helm template inside a chart.
    write(d, "chart/Chart.yaml", "name: c\n");
    let tpl =
        "apiVersion: v1\nkind: Pod\nspec:\n  volumes:\n    - secret:\n        secretName: db-password\n";
    let out = run_with_stdin(
        d,
        &["scan", "--format", "json", "--stdin-filename", "chart/templates/p.yaml", "-"],
        tpl,
    );
    let v = json(&out);
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "helm/hardcoded-secret"), "{v}");
    let out = run_with_stdin(d, &["scan", "--format", "json", "--stdin-filename", "plain/p.yaml", "-"], tpl);
    assert!(json(&out)["findings"].as_array().unwrap().iter().all(|f| f["rule"] != "helm/hardcoded-secret"));

    // Its Go package: `save` returns an error only according to a sibling on disk.
    write(d, "store/a.go", "package store\n\nfunc save() error { return nil }\n");
    let go = "package store\n\nfunc run() {\n\tsave()\n}\n";
    let out = run_with_stdin(d, &["scan", "--format", "json", "--stdin-filename", "store/b.go", "-"], go);
    let v = json(&out);
    assert_eq!(v["findings"][0]["rule"], "go/ignored-error", "{v}");
    assert_eq!(v["findings"][0]["path"], "store/b.go");
    let out = run_with_stdin(d, &["scan", "--format", "json", "--stdin-filename", "elsewhere/b.go", "-"], go);
    assert_eq!(json(&out)["summary"]["findings"], 0, "no package, no facts: nothing known about save()");
    // The stdin file replaces its namesake on disk in the package.
    write(d, "store/b.go", "package store\n\nfunc run() {}\n");
    let out = run_with_stdin(d, &["scan", "--format", "json", "--stdin-filename", "store/b.go", "-"], go);
    assert_eq!(json(&out)["summary"]["findings"], 1);

    // Bad uses: one line, exit 2.
    let cases: &[(&[&str], &str)] = &[
        (&["scan", "--stdin-filename", "notes.txt", "-"], "notes.txt"),
        (&["scan", "-"], "--stdin-filename"),
        (&["scan", "--stdin-filename", "a.py", "-", "b.py"], "only path"),
        (&["scan", "--stdin-filename", "a.py", "--fix", "-"], "does not fix"),
    ];
    for (args, needle) in cases {
        let out = run_with_stdin(d, args, "x = 1\n");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
    // Binary input is a counted warning, not a failure.
    let out = run_with_stdin(d, &["scan", "--format", "json", "--stdin-filename", "x.py", "-"], "\0\0x");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["summary"]["skipped"]["binary"], 1);
}

/// Issue 16: an unknown rule ID said only "unknown rule"; it now suggests the nearest,
/// wherever it was written.
#[test]
fn unknown_rule_ids_suggest_the_nearest() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "a.py", "x = 1\n");
    let git = Command::new("git").current_dir(d).args(["init", "-q"]).output().unwrap();
    assert!(git.status.success(), "the gate needs a repository");
    let cases: &[(&[&str], &str)] = &[
        (
            &["scan", "--select", "py/swallowed"],
            "unknown rule `py/swallowed` in --select; did you mean `py/swallowed-exception`?",
        ),
        (
            &["scan", "--ignore", "go/ignored-errors"],
            "unknown rule `go/ignored-errors` in --ignore; did you mean `go/ignored-error`?",
        ),
        (&["scan", "--select", "mutable-default-arg"], "did you mean `py/mutable-default-arg`?"),
        (
            &["explain", "py/swallowed-exceptions"],
            "unknown rule `py/swallowed-exceptions`; did you mean `py/swallowed-exception`?",
        ),
        (&["gate", "--base", "HEAD", "--select", "k8s/missing-probes"], "did you mean `k8s/missing-probe`?"),
    ];
    for (args, needle) in cases {
        let out = run_in(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Nothing near: no guess.
    let err = stderr(&run_in(d, &["scan", "--select", "zz/"]));
    assert!(err.contains("unknown rule `zz/`") && !err.contains("did you mean"), "{err}");
    for (config, needle) in [
        ("select = [\"py/mutable-defaults\"]\n", "did you mean `py/mutable-default-arg`?"),
        ("[rules.\"py/open-without-width\"]\nseverity = \"error\"\n", "did you mean `py/open-without-with`?"),
        (
            "[per-path-ignores]\n\"tests/**\" = [\"py/raise-without\"]\n",
            "did you mean `py/raise-without-from`?",
        ),
    ] {
        write(d, "debtctl.toml", config);
        let out = run_in(d, &["scan"]);
        assert_eq!(out.status.code(), Some(2), "{config}");
        assert!(stderr(&out).contains(needle), "{config}: {}", stderr(&out));
        assert!(stderr(&out).contains("debtctl.toml"), "{}", stderr(&out));
    }
}

/// Issue 16: `no such file or directory: No such file or directory (os error 2)`.
#[test]
fn errors_say_each_thing_once() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", "x = 1\n");
    for (args, line) in [
        (&["scan", "does-not-exist"][..], "error: cannot read does-not-exist: no such file or directory\n"),
        (
            &["scan", "--config", "missing.toml"][..],
            "error: cannot read config missing.toml: no such file or directory\n",
        ),
    ] {
        let out = run_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stderr(&out), line);
    }
    // SQLite's own text named the path twice: "ledger X: unable to open database file: X:
    // Error code 14: Unable to open the database file".
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(dir.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "a.py"]);
    git(&["commit", "-qm", "init"]);
    let out = run_in(dir.path(), &["record", "--db", "no-such-dir/ledger.sqlite"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot open the ledger no-such-dir/ledger.sqlite: no directory no-such-dir\n"
    );
}

/// Issue 16: a Go file that tree-sitter-go cannot fully parse (Go 1.26's `new(expr)`)
/// was "syntax errors" without a line, and 29 such files were 29 warnings.
#[test]
fn files_that_do_not_parse_name_the_line_and_many_are_one_warning() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let newer = |i: usize| format!("package p\n\nfunc f{i}() *int {{\n\tp := new(42)\n\treturn p\n}}\n");
    write(d, "one/a.go", &newer(0));
    let out = run_in(d, &["scan", "--no-cache", "one"]);
    assert_eq!(
        stderr(&out),
        "warning: one/a.go:4: syntax error (Go syntax newer than tree-sitter-go knows?); the file is analysed where it parses\n"
    );
    write(d, "py/b.py", "x = 1\n\ndef f(:\n    pass\n");
    let out = run_in(d, &["scan", "--no-cache", "py"]);
    assert_eq!(stderr(&out), "warning: py/b.py:3: syntax error; the file is analysed where it parses\n");

    for i in 0..29 {
        write(d, &format!("many/f{i:02}.go"), &newer(i));
    }
    let out = run_in(d, &["scan", "--no-cache", "many"]);
    assert_eq!(
        stderr(&out),
        "warning: 29 files have syntax errors (Go syntax newer than tree-sitter-go knows?) and are analysed \
         where they parse: many/f00.go:4, many/f01.go:4, many/f02.go:4 and 26 more\n"
    );
    assert!(
        stdout(&out).contains("29 files with syntax errors, analysed where they parse."),
        "{}",
        stdout(&out)
    );
    let v = json(&run_in(d, &["scan", "--no-cache", "--format", "json", "many"]));
    assert_eq!(v["summary"]["parse_errors"], 29);
}

/// What users read, pinned: `--statistics` and `--format concise`.
#[test]
fn statistics_and_concise_snapshots() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.py", MIXED);
    write(dir.path(), "b.py", "def g(x={}, y=[]):\n    return x, y\n");
    write(dir.path(), "deploy.yaml", NO_PROBES);
    insta::assert_snapshot!(
        "statistics",
        stdout(&run_in(dir.path(), &["scan", "--no-cache", "--statistics"]))
    );
    insta::assert_snapshot!(
        "concise",
        stdout(&run_in(dir.path(), &["scan", "--no-cache", "--format", "concise"]))
    );
}
