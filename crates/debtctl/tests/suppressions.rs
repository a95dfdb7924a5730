//! Issue 16, item 2, as a user meets it: suppression comments in the spelling people
//! remember work in every language, and one that cannot work says so instead of doing
//! nothing without a word. Peers' comments (`//nolint`, `# noqa`) keep working, unless
//! `honor-peer-suppressions = false`.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_debtctl"))
        .env_remove("DEBTCTL_CACHE_DIR")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn scan(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// `rule line` of every finding.
fn found(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["rule"].as_str().unwrap(), f["line"]))
        .collect()
}

const GO_MOD: &str = "module example.com/m\n\ngo 1.22\n";

/// Issue 16, item 2: `# debtctl:ignore RULE` in Python and `// debtctl: ignore[RULE]` in
/// Go were ignored without a word; now both suppress.
#[test]
fn the_other_spelling_suppresses_in_python_and_go() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "a.py", "def tag(item, tags=[]):  # debtctl:ignore py/mutable-default-arg shared on purpose\n    return tags\n");
    write(d, "go.mod", GO_MOD);
    write(
        d,
        "clean.go",
        "package m\n\nimport \"os\"\n\nfunc Clean(p string) {\n\tos.Remove(p) // debtctl: ignore[go/ignored-error] best effort\n}\n",
    );
    let v = scan(d, &["--no-cache"]);
    assert_eq!(found(&v), Vec::<String>::new(), "{v:#}");
    assert_eq!(v["summary"]["suppressed"], 2);
}

/// Issue 16, item 2: a bare `# debtctl: ignore` suppressed nothing and said nothing; it
/// is now reported at the comment, and the finding it meant to hide is still there.
#[test]
fn a_directive_naming_no_rule_is_reported() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "a.py", "def tag(item, tags=[]):  # debtctl: ignore\n    return tags\n");
    write(d, "b.go", "package m\n\n// TODO: later // debtctl:ignore\n");
    let v = scan(d, &["--no-cache"]);
    assert_eq!(
        sorted(found(&v)),
        sorted(
            [
                "debt/unknown-suppression 1",
                "py/mutable-default-arg 1",
                "debt/todo 3",
                "debt/unknown-suppression 3"
            ]
            .map(String::from)
            .to_vec()
        ),
        "{v:#}"
    );
    let text = String::from_utf8_lossy(&run_in(d, &["scan", "--no-cache", "a.py"]).stdout).to_string();
    assert!(
        text.contains("debt/unknown-suppression suppression comment names no rule: name the rules to ignore"),
        "{text}"
    );
}

/// An unknown ID is reported at the comment while the known ID beside it still suppresses.
#[test]
fn an_unknown_id_beside_a_known_one() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "a.py", "def tag(item, tags=[]):  # debtctl: ignore[py/mutable-defaults, py/mutable-default-arg]\n    return tags\n");
    let v = scan(d, &["--no-cache"]);
    assert_eq!(found(&v), ["debt/unknown-suppression 1"]);
    assert!(v["findings"][0]["message"].as_str().unwrap().contains("`py/mutable-defaults`"));
}

/// `//nolint:errcheck` and `# noqa: B006` suppress the equivalent rule;
/// `honor-peer-suppressions = false` turns that off, and a warm cache follows the switch.
#[test]
fn peers_are_honoured_unless_switched_off() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(d, "a.py", "def tag(item, tags=[]):  # noqa: B006\n    return tags\n");
    write(d, "go.mod", GO_MOD);
    write(
        d,
        "clean.go",
        "package m\n\nimport \"os\"\n\nfunc Clean(p string) {\n\tos.Remove(p) //nolint:errcheck\n}\n",
    );
    assert_eq!(found(&scan(d, &[])), Vec::<String>::new());
    write(d, "debtctl.toml", "honor-peer-suppressions = false\n");
    let off = ["go/ignored-error 6", "py/mutable-default-arg 1"].map(String::from).to_vec();
    // Sorted by path: a.py before clean.go.
    let mut got = found(&scan(d, &[]));
    got.sort();
    assert_eq!(got, off, "warm cache, peers switched off");
    let mut cold = found(&scan(d, &["--no-cache"]));
    cold.sort();
    assert_eq!(cold, off);
    write(d, "debtctl.toml", "honor-peer-suppressions = true\n");
    assert_eq!(found(&scan(d, &[])), Vec::<String>::new(), "and back on");
}

#[test]
fn explain_shows_both_spellings_and_the_peers() {
    let out = run_in(Path::new("."), &["explain", "debt/unknown-suppression"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "`debtctl:ignore RULE[,RULE] reason`",
        "`debtctl: ignore[RULE,RULE] reason`",
        "`//nolint:errcheck`",
        "`# noqa: B006`",
        "honor-peer-suppressions",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
