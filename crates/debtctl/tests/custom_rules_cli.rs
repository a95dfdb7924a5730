//! Custom rules on the command line: `debtctl test-rules`, custom rules in `debtctl rules`
//! and `debtctl explain`, and a bad rule file stopping every command with one line.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(out), stderr(out)))
}

/// Checks a `test-rules --format json` document against `schemas/test-rules.schema.json`.
fn assert_valid_test_rules_json(v: &Value) {
    let text = std::fs::read_to_string(repo_root().join("schemas/test-rules.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

const PRINT_RULE: &str = "\
id: acme/no-print
language: python
severity: warning
message: print() in library code
note: |
  Library code logs through `logging`; print() writes to whatever stdout is.
rule:
  pattern: print($$$A)
metadata:
  debt_minutes: 7
  ticket: ACME-12
";

const WARN_RULE: &str = "\
id: acme/logger-warn
language: python
severity: hint
message: $L.warn() is deprecated
rule:
  pattern: $L.warn($$$A)
fix: $L.warning($$$A)
";

const OFF_RULE: &str = "\
id: acme/no-sleep
language: go
severity: off
message: time.Sleep
rule:
  pattern: time.Sleep($D)
";

/// A project with rules and tests in the default places (`.debtctl/rules`,
/// `.debtctl/rule-tests`), without a debtctl.toml.
fn project(tests: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".debtctl/rules/acme.yml", format!("{PRINT_RULE}---\n{WARN_RULE}---\n{OFF_RULE}"));
    write(dir.path(), ".debtctl/rule-tests/acme.yml", tests);
    dir
}

const PASSING_TESTS: &str = "\
id: acme/no-print
valid:
  - log.info('x')
invalid:
  - print('x')
---
id: acme/logger-warn
valid:
  - log.warning('x')
invalid:
  - log.warn('x')
";

/// One valid snippet that matches on two lines, one invalid snippet that does not match.
const FAILING_TESTS: &str = "\
id: acme/no-print
valid:
  - log.info('x')
  - |
    import sys
    print('a')
    sys.stdout.write('b')
    print('c')
invalid:
  - print('x')
  - pprint('x')
---
id: acme/logger-warn
invalid:
  - log.warn('x')
";

#[test]
fn the_examples_pass_test_rules() {
    let dir = TempDir::new().unwrap();
    let examples = repo_root().join("examples");
    write(
        dir.path(),
        "debtctl.toml",
        format!(
            "rule-dirs = [{:?}]\nrule-test-dirs = [{:?}]\n",
            examples.join("rules").to_str().unwrap(),
            examples.join("rule-tests").to_str().unwrap()
        ),
    );
    let out = run_in(dir.path(), &["test-rules"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let rule_files = std::fs::read_dir(examples.join("rules")).unwrap().count();
    let summary = stdout(&out);
    assert!(summary.starts_with(&format!("{rule_files} rules, ")), "{summary}");
    assert!(summary.trim_end().ends_with("cases: 0 failed"), "{summary}");
    assert!(stderr(&out).is_empty(), "every example rule has tests: {}", stderr(&out));

    let v = json(&run_in(dir.path(), &["test-rules", "--format", "json"]));
    assert_valid_test_rules_json(&v);
    assert_eq!(v["summary"]["failed"], 0);
    assert_eq!(v["summary"]["rules"], rule_files);
    assert!(v["summary"]["cases"].as_u64().unwrap() >= 2 * rule_files as u64);
    assert!(v["cases"].as_array().unwrap().iter().all(|c| c["passed"] == true && c["line"].is_u64()));
}

#[test]
fn a_failing_run_names_the_rule_file_snippet_and_why() {
    let dir = project(FAILING_TESTS);
    let out = run_in(dir.path(), &["test-rules"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!("test_rules_failing", stdout(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    // --quiet: the failures and nothing else.
    let quiet = run_in(dir.path(), &["test-rules", "--quiet"]);
    assert_eq!(quiet.status.code(), Some(1));
    assert!(stdout(&quiet).contains("FAIL") && !stdout(&quiet).contains("cases:"), "{}", stdout(&quiet));

    let out = run_in(dir.path(), &["test-rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_valid_test_rules_json(&v);
    assert_eq!(
        v["summary"],
        serde_json::json!({"rules": 2, "cases": 5, "passed": 3, "failed": 2, "skipped": 0})
    );
    let failed: Vec<&Value> =
        v["cases"].as_array().unwrap().iter().filter(|c| c["passed"] == false).collect();
    assert_eq!(failed[0]["kind"], "valid");
    assert_eq!(failed[0]["number"], 2);
    assert_eq!(failed[0]["line"], 5);
    assert_eq!(failed[0]["match_lines"], serde_json::json!([2, 4]));
    assert_eq!(failed[0]["detail"], "expected no match, found 2 at lines 2, 4");
    assert_eq!(failed[1]["kind"], "invalid");
    assert_eq!(failed[1]["detail"], "expected a match, found none");
}

#[test]
fn rules_are_selected_by_id_or_prefix() {
    let dir = project(FAILING_TESTS);
    // The failing tests are acme/no-print's; acme/logger-warn's pass.
    let out = run_in(dir.path(), &["test-rules", "acme/logger-warn"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "1 rule, 1 case: 0 failed\n");
    let out = run_in(dir.path(), &["test-rules", "--select", "acme/logger-warn,acme/no-print"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).ends_with("2 rules, 5 cases: 2 failed\n"), "{}", stdout(&out));
    let out = run_in(dir.path(), &["test-rules", "acme/"]);
    assert_eq!(out.status.code(), Some(1));

    // A selector that names no custom rule is a mistake, with the nearest ones.
    for (selector, near) in [("acme/no-prnt", "`acme/no-print`"), ("acm/", "`acme/`")] {
        let out = run_in(dir.path(), &["test-rules", selector]);
        assert_eq!(out.status.code(), Some(2), "{selector}");
        let err = stderr(&out);
        assert!(err.contains(&format!("no custom rule matches `{selector}`; did you mean {near}?")), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn tests_of_off_rules_are_skipped_and_counted() {
    let tests = format!("{PASSING_TESTS}---\nid: acme/no-sleep\ninvalid:\n  - |\n    package a\n    func f() {{ time.Sleep(1) }}\n  - x\n");
    let dir = project(&tests);
    let out = run_in(dir.path(), &["test-rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "2 rules, 4 cases: 0 failed, 2 skipped (severity: off)\n");
    let v = json(&run_in(dir.path(), &["test-rules", "--format", "json"]));
    assert_valid_test_rules_json(&v);
    assert_eq!(v["skipped"][0]["rule"], "acme/no-sleep");
    assert_eq!(v["skipped"][0]["cases"], 2);
    assert_eq!(v["summary"]["skipped"], 2);
}

#[test]
fn rules_without_tests_are_named() {
    let dir = project("id: acme/no-print\ninvalid: [print(1)]\n");
    let out = run_in(dir.path(), &["test-rules"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "note: 1 custom rule has no tests: acme/logger-warn\n");
    assert!(run_in(dir.path(), &["test-rules", "-q"]).stderr.is_empty());
    let v = json(&run_in(dir.path(), &["test-rules", "--format", "json"]));
    assert_eq!(v["untested"], serde_json::json!(["acme/logger-warn"]));
}

#[test]
fn missing_or_empty_test_dirs() {
    // Nothing configured and no .debtctl/rule-tests: nothing to run, said on stderr.
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".debtctl/rules/acme.yml", PRINT_RULE);
    let out = run_in(dir.path(), &["test-rules"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).starts_with("note: no rule tests: write them in .debtctl/rule-tests"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "0 rules, 0 cases: 0 failed\n");

    // A test directory that holds no tests was meant to: an error.
    std::fs::create_dir_all(dir.path().join(".debtctl/rule-tests")).unwrap();
    let out = run_in(dir.path(), &["test-rules"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "error: no rule tests in .debtctl/rule-tests\n");
    assert!(out.stdout.is_empty());

    // So is a configured one that does not exist.
    write(dir.path(), "debtctl.toml", "rule-test-dirs = [\"tests/rules\"]\n");
    let out = run_in(dir.path(), &["test-rules"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("tests/rules: no such directory"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn bad_test_files_are_one_line_and_exit_2() {
    let cases = [
        ("id: acme/nope\nvalid: [x]\n", "acme.yml: rule `acme/nope`: no custom rule has this ID"),
        ("id: acme/no-print\nvalid: [x\n", "acme.yml: not a valid rule test"),
        ("id: acme/no-print\nvalids: [x]\n", "unknown field `valids`"),
    ];
    for (tests, needle) in cases {
        let dir = project(tests);
        let out = run_in(dir.path(), &["test-rules"]);
        assert_eq!(out.status.code(), Some(2), "{tests}");
        let err = stderr(&out);
        assert!(err.starts_with("error: invalid rule test ") && err.contains(needle), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn rules_lists_custom_rules_after_the_built_ins() {
    let dir = project(PASSING_TESTS);
    let out = run_in(dir.path(), &["rules"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let first_custom = lines.iter().position(|l| l.contains("[custom: ")).unwrap();
    assert!(lines[..first_custom].iter().any(|l| l.starts_with("py/mutable-default-arg ")));
    assert!(lines[first_custom..].iter().all(|l| l.contains("[custom: .debtctl/rules/acme.yml]")), "{text}");
    let no_print = lines.iter().find(|l| l.starts_with("acme/no-print ")).unwrap();
    assert!(
        no_print.contains(" warning ") && no_print.contains("  7 min  print() in library code"),
        "{no_print}"
    );
    let warn = lines.iter().find(|l| l.starts_with("acme/logger-warn ")).unwrap();
    assert!(warn.contains(" info ") && warn.contains("[fix: unsafe]"), "hint is info: {warn}");
    let off = lines.iter().find(|l| l.starts_with("acme/no-sleep ")).unwrap();
    assert!(off.contains(" off "), "{off}");

    let v = json(&run_in(dir.path(), &["rules", "--format", "json"]));
    let all = v.as_array().unwrap();
    let builtin = all.iter().find(|r| r["id"] == "py/mutable-default-arg").unwrap();
    assert_eq!(builtin["custom"], false);
    let custom = all.iter().find(|r| r["id"] == "acme/no-print").unwrap();
    assert_eq!(
        custom,
        &serde_json::json!({
            "id": "acme/no-print",
            "severity": "warning",
            "debt_minutes": 7,
            "summary": "print() in library code",
            "fix": null,
            "custom": true,
            "file": ".debtctl/rules/acme.yml",
            "language": "python",
            "ticket": "ACME-12",
            "url": null,
        })
    );
    let warn = all.iter().find(|r| r["id"] == "acme/logger-warn").unwrap();
    assert_eq!((&warn["fix"], &warn["severity"]), (&Value::from("unsafe"), &Value::from("info")));
}

#[test]
fn explain_prints_a_custom_rule_as_written() {
    let dir = project(PASSING_TESTS);
    let out = run_in(dir.path(), &["explain", "acme/no-print"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!("explain_custom_rule", stdout(&out));

    let v = json(&run_in(dir.path(), &["explain", "acme/logger-warn", "--format", "json"]));
    assert_eq!(v["custom"], true);
    assert_eq!(v["message"], "$L.warn() is deprecated");
    assert_eq!(v["yaml"], WARN_RULE);

    // Unknown IDs are matched against custom rules too; built-ins are explained as before.
    let out = run_in(dir.path(), &["explain", "acme/no-prnt"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: unknown rule `acme/no-prnt`; did you mean `acme/no-print`? (see `debtctl rules`)\n"
    );
    let out = run_in(dir.path(), &["explain", "no-print"]);
    assert!(stderr(&out).contains("did you mean `acme/no-print`?"), "{}", stderr(&out));
    let out = run_in(dir.path(), &["explain", "py/raise-without-from"]);
    assert!(stdout(&out).contains("## What it does"));
}

#[test]
fn rules_and_explain_read_the_given_config() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "team/rules/acme.yml", PRINT_RULE);
    write(dir.path(), "team/debtctl.toml", "rule-dirs = [\"rules\"]\n");
    // Not found from here: the config is elsewhere.
    let out = run_in(dir.path(), &["explain", "acme/no-print"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_in(dir.path(), &["explain", "acme/no-print", "--config", "team/debtctl.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Defined in team/rules/acme.yml"), "{}", stdout(&out));
    let out = run_in(dir.path(), &["rules", "--config", "team/debtctl.toml"]);
    assert!(stdout(&out).contains("[custom: team/rules/acme.yml]"));
    // ... and from below the config's directory, the nearest debtctl.toml.
    let out = run_in(&dir.path().join("team/rules"), &["rules"]);
    assert!(stdout(&out).contains("acme/no-print"), "{}", stdout(&out));
}

/// A rule file that cannot be used stops every command that reads the config before it
/// does anything (`fix` rewrites nothing): one line naming the file (and the rule), exit 2, nothing on stdout.
#[test]
fn a_bad_rule_file_stops_every_command() {
    // What is wrong, the rule files (name, text), what the error line says.
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let bad: &[Case] = &[
        ("not YAML", &[("bad.yml", "id: acme/x\nlanguage: go\nrule: [pattern: {\n")], "bad.yml: rule `acme/x`: not a valid rule"),
        (
            "an unknown key",
            &[("bad.yml", "id: acme/x\nlanguage: go\nrule:\n  pattern: f()\nseverty: warning\n")],
            "bad.yml: rule `acme/x`: not a valid rule: line 5 column 1: unknown field `severty`",
        ),
        (
            "a pattern that does not parse",
            &[("bad.yml", "id: acme/x\nlanguage: go\nrule:\n  pattern: \"f((\"\n")],
            "bad.yml: rule `acme/x`: a `pattern` does not parse as Go (a fragment that parses only inside other code needs a pattern object with `context` and `selector`); ast-grep says: Fail to parse yaml as Rule: `rule` is not configured correctly: Rule contains invalid pattern matcher: Fails to parse the pattern query",
        ),
        (
            "a duplicate ID",
            &[
                ("a.yml", "id: acme/x\nlanguage: go\nrule:\n  pattern: f()\n"),
                ("bad.yml", "id: acme/x\nlanguage: python\nrule:\n  pattern: g()\n"),
            ],
            "bad.yml: rule `acme/x`: the ID is taken by a rule in ",
        ),
        (
            "a built-in ID",
            &[("bad.yml", "id: py/mutable-default-arg\nlanguage: python\nrule:\n  pattern: f()\n")],
            "bad.yml: rule `py/mutable-default-arg`: the ID is a built-in rule's",
        ),
        (
            "a reserved prefix",
            &[("bad.yml", "id: go/mine\nlanguage: go\nrule:\n  pattern: f()\n")],
            "bad.yml: rule `go/mine`: the prefix `go/` is reserved for built-in rules",
        ),
    ];
    let commands: &[&[&str]] = &[
        &["scan"],
        &["fix"],
        &["gate", "--base", "HEAD"],
        &["record"],
        &["history"],
        &["rules"],
        &["explain", "acme/x"],
        &["test-rules"],
    ];
    let check = |dir: &Path, what: &str, needle: &str| {
        for args in commands {
            let out = run_in(dir, args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{what}, {args:?}: {err}");
            assert!(out.stdout.is_empty(), "{what}, {args:?}: {}", stdout(&out));
            assert!(
                err.starts_with("error: invalid custom rule ") && err.contains(needle),
                "{what}, {args:?}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "{what}, {args:?}: {err}");
            // Paths are shown relative to the current directory, as in findings.
            let abs = dir.canonicalize().unwrap();
            assert!(!err.contains(&*abs.to_string_lossy()), "{what}, {args:?}: {err}");
        }
    };
    for (what, files, needle) in bad {
        let dir = git_project();
        for (name, text) in *files {
            write(dir.path(), &format!(".debtctl/rules/{name}"), text);
        }
        write(dir.path(), "a.py", FIXABLE);
        check(dir.path(), what, needle);
        assert_eq!(std::fs::read_to_string(dir.path().join("a.py")).unwrap(), FIXABLE, "{what}");
    }
    // The control: without the bad rule, `fix` does rewrite the file.
    let dir = git_project();
    write(dir.path(), "a.py", FIXABLE);
    run_in(dir.path(), &["fix"]);
    assert_ne!(std::fs::read_to_string(dir.path().join("a.py")).unwrap(), FIXABLE);
    // A configured rule directory that does not exist was named on purpose.
    let dir = git_project();
    write(dir.path(), "debtctl.toml", "rule-dirs = [\"team-rules\"]\n");
    check(dir.path(), "a missing rule dir", "team-rules: no such directory");
}

/// A safe fix of py/raise-without-from.
const FIXABLE: &str = "try:\n    pass\nexcept ValueError as e:\n    raise KeyError(\"k\")\n";

/// A git repository with one commit, so that `gate --base HEAD` and `record` get as far
/// as reading the config.
fn git_project() -> TempDir {
    let dir = TempDir::new().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(dir.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    };
    git(&["init", "-q", "-b", "main"]);
    write(dir.path(), "README", "x\n");
    git(&["add", "README"]);
    git(&["commit", "-q", "-m", "init"]);
    dir
}
