//! `history` on scripted repositories, checked through the export: debt introduced, moved
//! by inserted lines, reformatted, renamed with its file, fixed and reintroduced; a merge
//! (first parent only); commits that touch no analysed file; ranges; shallow clones.

mod common;

use common::{commit, git, settings};
use debtctl_ledger::{HistoryOutcome, HistoryRange, Ledger, Progress};
use serde_json::{json, Value};
use std::path::Path;
use tempfile::TempDir;

const DEBT: &str = "def tag(item, tags=[]):\n    tags.append(item)\n    return tags\n";
const MOVED: &str =
    "import os\n\n\nPATH = os.getcwd()\n\n\ndef tag(item, tags=[]):\n    tags.append(item)\n    return tags\n";
const REFORMATTED: &str = "import os\n\n\nPATH = os.getcwd()\n\n\ndef tag(\n    item,\n    tags = [],\n):\n    tags.append(item)\n\n    return tags\n";
const FIXED: &str = "import os\n\n\nPATH = os.getcwd()\n\n\ndef tag(\n    item,\n    tags=None,\n):\n    tags = tags or []\n    tags.append(item)\n\n    return tags\n";
const TODO: &str = "def extra():\n    # TODO(OPS-9): use the cache\n    return 1\n";

fn range(rev: &str) -> HistoryRange {
    HistoryRange { rev: rev.to_string(), since: None, max_count: None }
}

fn history(db: &Path, repo: &Path, range: &HistoryRange) -> HistoryOutcome {
    let mut ledger = Ledger::open(db).unwrap();
    ledger.history(repo, range, &settings(repo), &mut |_| {}).unwrap()
}

fn export(db: &Path) -> Value {
    Ledger::open(db).unwrap().export_json().unwrap()
}

struct Story {
    dir: TempDir,
    /// The first-parent commits, oldest first, and the feature branch's own commits.
    main: Vec<String>,
    feature: Vec<String>,
}

/// One item's life on `main`, with a feature branch merged in the middle.
fn story() -> Story {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let mut main = vec![
        commit(d, &[("app/models.py", DEBT), ("README.md", "hi\n")], "Add tagging PAY-142"),
        commit(d, &[("app/models.py", MOVED)], "Read the working directory"),
        commit(d, &[("app/models.py", REFORMATTED)], "Reformat"),
        commit(d, &[("README.md", "docs\n"), ("notes.txt", "n\n")], "Docs only"),
    ];
    git(d, &["mv", "app/models.py", "app/tagging.py"]);
    main.push(commit(d, &[], "Rename models to tagging"));
    git(d, &["checkout", "-q", "-b", "feature"]);
    let feature = vec![
        commit(d, &[("app/extra.py", TODO)], "Extra"),
        commit(d, &[("app/more.py", "def more(x={}):\n    return x\n")], "More"),
        commit(d, &[("app/more.py", "def more(x=None):\n    return x\n")], "Less"),
    ];
    git(d, &["checkout", "-q", "main"]);
    main.push(commit(d, &[("CHANGES.md", "c\n")], "Changelog"));
    git(d, &["merge", "-q", "--no-ff", "-m", "Merge feature OPS-1", "feature"]);
    main.push(git(d, &["rev-parse", "HEAD"]));
    main.push(commit(d, &[("app/tagging.py", FIXED)], "Default to None"));
    main.push(commit(d, &[("app/tagging.py", REFORMATTED)], "Bring the default back PAY-200"));
    Story { dir, main, feature }
}

fn counts(c: &Value) -> (u64, u64, u64) {
    (c["findings"].as_u64().unwrap(), c["introduced"].as_u64().unwrap(), c["fixed"].as_u64().unwrap())
}

#[test]
fn a_scripted_history_through_the_export() {
    let s = story();
    let d = s.dir.path();
    let db = d.join("ledger.sqlite");
    let mut seen = Vec::new();
    let mut ledger = Ledger::open(&db).unwrap();
    let out = ledger
        .history(d, &range("HEAD"), &settings(d), &mut |p| match p {
            Progress::Start { total, to_record } => seen.push((total, to_record)),
            Progress::Commit { outcome } => seen.push((usize::from(outcome.already_recorded), 0)),
        })
        .unwrap();
    assert_eq!(out.commits, 9);
    assert_eq!((out.recorded, out.already_recorded, out.shallow_end.as_deref()), (9, 0, None));
    assert_eq!(seen[0], (9, 9));
    assert_eq!(seen.len(), 10);
    drop(ledger);

    let e = export(&db);
    let commits = e["commits"].as_array().unwrap();
    let shas: Vec<&str> = commits.iter().map(|c| c["sha"].as_str().unwrap()).collect();
    assert_eq!(shas, s.main.iter().map(String::as_str).collect::<Vec<_>>(), "first parents, oldest first");
    assert!(s.feature.iter().all(|f| !shas.contains(&f.as_str())));
    assert_eq!(e["head"], json!(s.main[8]));

    let per_commit: Vec<(u64, u64, u64)> = commits.iter().map(counts).collect();
    assert_eq!(
        per_commit,
        [
            (1, 1, 0), // introduced
            (1, 0, 0), // moved by inserted lines
            (1, 0, 0), // reformatted
            (1, 0, 0), // no analysed file touched
            (1, 0, 0), // renamed with its file
            (1, 0, 0), // another branch's commit
            (2, 1, 0), // the merge brings the TODO (the branch's other debt came and went there)
            (1, 0, 1), // fixed
            (2, 1, 0), // reintroduced
        ]
    );
    assert_eq!(commits[0]["tickets"], json!(["PAY-142"]));
    assert_eq!(commits[6]["tickets"], json!(["OPS-1"]));
    assert_eq!(commits[6]["parents"].as_array().unwrap().len(), 2);
    assert_eq!(commits[6]["parents"][0], json!(s.main[5]));
    assert_eq!(commits[6]["by_rule"], json!({"debt/todo": 1, "py/mutable-default-arg": 1}));

    let items = e["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:#?}");
    let tag = &items[0];
    assert_eq!(tag["rule"], "py/mutable-default-arg");
    assert_eq!(tag["introduced_in"], json!(s.main[0]));
    assert_eq!(tag["fixed_in"], Value::Null, "reintroduced, so open");
    assert_eq!(tag["path"], "app/tagging.py");
    assert_eq!(tag["line"], 9, "where the newest commit has it");
    assert_eq!(tag["tickets"], json!(["PAY-142"]));
    let todo = &items[1];
    assert_eq!(todo["rule"], "debt/todo");
    assert_eq!(todo["path"], "app/extra.py");
    assert_eq!(todo["introduced_in"], json!(s.main[6]));
    assert_eq!(todo["tickets"], json!(["OPS-1", "OPS-9"]));
    assert_eq!(todo["fixed_in"], Value::Null);
}

#[test]
fn an_item_fixed_and_not_back_has_its_fixing_commit() {
    let s = story();
    let d = s.dir.path();
    let db = d.join("l.sqlite");
    history(&db, d, &range("HEAD~1"));
    let e = export(&db);
    assert_eq!(e["head"], json!(s.main[7]));
    let tag = &e["items"][0];
    assert_eq!(tag["fixed_in"], json!(s.main[7]));
    // Where the last commit that had it (the merge) had it: after the rename.
    assert_eq!((tag["path"].as_str(), tag["line"].as_u64()), (Some("app/tagging.py"), Some(9)));
}

#[test]
fn a_rename_recorded_out_of_order_still_keeps_the_item() {
    let s = story();
    let d = s.dir.path();
    let in_order = d.join("a.sqlite");
    history(&in_order, d, &range("HEAD"));
    // The rename's parent and child first: two items, which the rename then merges.
    let db = d.join("b.sqlite");
    let mut ledger = Ledger::open(&db).unwrap();
    let st = settings(d);
    for rev in ["HEAD~3", "HEAD~5", "HEAD~8", "HEAD~4"] {
        ledger.record(d, rev, &st).unwrap();
    }
    let items = ledger.export_json().unwrap()["items"].as_array().unwrap().len();
    assert_eq!(items, 1, "one item, merged");
    drop(ledger);
    history(&db, d, &range("HEAD"));
    assert_eq!(export(&db), export(&in_order));
}

#[test]
fn ranges_since_and_max_count_and_a_rerun_records_nothing() {
    let s = story();
    let d = s.dir.path();
    let db = d.join("l.sqlite");
    let out = history(&db, d, &HistoryRange { rev: "HEAD".into(), since: None, max_count: Some(3) });
    assert_eq!((out.commits, out.recorded), (3, 3));
    let shas: Vec<String> = export(&db)["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shas, s.main[6..]);

    let out = history(
        &db,
        d,
        &HistoryRange { rev: "HEAD~2".into(), since: Some(s.main[3].clone()), max_count: None },
    );
    assert_eq!((out.commits, out.recorded, out.already_recorded), (3, 2, 1));
    let e = export(&db);
    assert_eq!(e["commits"].as_array().unwrap().len(), 5);
    assert_eq!(e["commits"][0]["sha"], json!(s.main[4]));

    // A feature commit as `since`, off the first-parent chain: the main commits it does
    // not reach.
    let other = d.join("o.sqlite");
    let out = history(
        &other,
        d,
        &HistoryRange { rev: "HEAD".into(), since: Some(s.feature[2].clone()), max_count: None },
    );
    assert_eq!(out.commits, 4, "the changelog, the merge and the two after it");

    let full = d.join("f.sqlite");
    assert_eq!(history(&full, d, &range("HEAD")).recorded, 9);
    let again = history(&full, d, &range("HEAD"));
    assert_eq!((again.recorded, again.already_recorded, again.analysed), (0, 9, 0));
    // The newest first, then the middle, then the rest: the same ledger in the end.
    let out = history(&db, d, &range("HEAD"));
    assert_eq!((out.recorded, out.already_recorded), (4, 5));
    assert_eq!(export(&db), export(&full));
}

#[test]
fn the_blob_cache_is_shared_across_ledgers_of_one_file_and_runs() {
    let s = story();
    let d = s.dir.path();
    let db = d.join("l.sqlite");
    let first = history(&db, d, &HistoryRange { rev: "HEAD".into(), since: None, max_count: Some(4) });
    // Every analysed file was new content (or new facts).
    assert!(first.analysed > 0);
    std::fs::remove_file(&db).unwrap();
    let out = history(&db, d, &range("HEAD"));
    assert_eq!(out.recorded, 9);
    // Each (blob, path) once: models.py x3; tagging.py as renamed, fixed (the
    // reintroduced blob is the renamed one again); extra.py and more.py from the merge.
    assert_eq!(out.analysed, 7, "{out:?}");
}

#[test]
fn a_shallow_clone_records_what_it_has_and_says_where_history_ends() {
    let s = story();
    let src = s.dir.path();
    let clone = TempDir::new().unwrap();
    let url = format!("file://{}", src.display());
    git(clone.path(), &["clone", "-q", "--depth", "3", &url, "c"]);
    let c = clone.path().join("c");
    let db = clone.path().join("l.sqlite");
    let out = history(&db, &c, &range("HEAD"));
    assert_eq!(out.commits, 3);
    assert_eq!(out.shallow_end.as_deref(), Some(s.main[6].as_str()));
    let e = export(&db);
    assert_eq!(e["commits"].as_array().unwrap().len(), 3);
    // The oldest commit held is where the ledger starts: its debt is introduced there.
    assert_eq!(counts(&e["commits"][0]).1, 2);
    // A range that stops before the cut says nothing about it.
    let out = history(
        &clone.path().join("m.sqlite"),
        &c,
        &HistoryRange { rev: "HEAD".into(), since: None, max_count: Some(2) },
    );
    assert_eq!(out.shallow_end, None);
}

#[test]
fn go_facts_changes_reach_unchanged_files_through_the_sqlite_cache() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let main_go = "package main\n\nimport \"os\"\n\nfunc main() {\n\tos.Remove(\"x\")\n\thelper()\n}\n";
    commit(
        d,
        &[
            ("cmd/main.go", main_go),
            ("cmd/helper.go", "package main\n\nfunc helper() error { return nil }\n"),
        ],
        "Go",
    );
    commit(
        d,
        &[("cmd/helper.go", "package main\n\nfunc helper() error {\n\tprintln()\n\treturn nil\n}\n")],
        "Body",
    );
    commit(d, &[("cmd/helper.go", "package main\n\nfunc helper() {}\n")], "No error");
    let db = d.join("l.sqlite");
    let st = settings(d);
    // A new Ledger value per commit: nothing kept in memory, all from SQLite.
    let mut outcomes = Vec::new();
    for rev in ["HEAD~2", "HEAD~1", "HEAD"] {
        let mut ledger = Ledger::open(&db).unwrap();
        let o = ledger.record(d, rev, &st).unwrap();
        outcomes.push((o.analysed, o.cached));
    }
    // A body edit re-analyses the edited file only; a signature change, the package.
    assert_eq!(outcomes, [(2, 0), (1, 1), (2, 0)]);
    let e = export(&db);
    let ignored = |c: &Value| c["by_rule"].get("go/ignored-error").and_then(Value::as_u64).unwrap_or(0);
    assert!(ignored(&e["commits"][0]) > 0);
    assert_eq!(ignored(&e["commits"][1]), ignored(&e["commits"][0]));
    assert!(ignored(&e["commits"][2]) < ignored(&e["commits"][0]), "{e:#}");
}

/// Regression (found on psf/requests, whose vendored `chardet` was renamed to `charade`
/// and later added back): a renamed file's old path added again must not fold its
/// findings into the renamed file's items.
#[test]
fn a_renamed_files_old_path_added_again_gets_items_of_its_own() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let c1 = commit(d, &[("old/x.py", DEBT)], "Add");
    std::fs::create_dir(d.join("new")).unwrap();
    git(d, &["mv", "old/x.py", "new/x.py"]);
    let c2 = commit(d, &[], "Rename");
    let c3 = commit(d, &[("old/x.py", DEBT)], "Copy back");
    let c4 = commit(d, &[("README.md", "r\n")], "Docs");
    let db = d.join("l.sqlite");
    history(&db, d, &range("HEAD"));
    let e = export(&db);
    let per_commit: Vec<(u64, u64, u64)> = e["commits"].as_array().unwrap().iter().map(counts).collect();
    assert_eq!(per_commit, [(1, 1, 0), (1, 0, 0), (2, 1, 0), (2, 0, 0)]);
    let items = e["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:#?}");
    assert_eq!((items[0]["path"].as_str(), &items[0]["introduced_in"]), (Some("new/x.py"), &json!(c1)));
    assert_eq!((items[1]["path"].as_str(), &items[1]["introduced_in"]), (Some("old/x.py"), &json!(c3)));
    assert!(items.iter().all(|i| i["fixed_in"].is_null()));
    let _ = (c2, c4);
}

#[test]
fn counts_are_relative_to_the_first_parent_when_a_side_commit_is_recorded_too() {
    let s = story();
    let d = s.dir.path();
    let plain = d.join("plain.sqlite");
    history(&plain, d, &range("HEAD"));
    let with_side = d.join("side.sqlite");
    history(&with_side, d, &range("HEAD"));
    // A feature-branch commit, recorded by name: it has debt the main line never has.
    let mut ledger = Ledger::open(&with_side).unwrap();
    ledger.record(d, &s.feature[1], &settings(d)).unwrap();
    drop(ledger);
    let counts_by_sha = |e: &Value| -> Vec<(String, (u64, u64, u64))> {
        e["commits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["sha"].as_str().unwrap().to_string(), counts(c)))
            .collect()
    };
    let side = counts_by_sha(&export(&with_side));
    assert_eq!(side.len(), 10);
    let main_only: Vec<_> = side.into_iter().filter(|(sha, _)| *sha != s.feature[1]).collect();
    assert_eq!(main_only, counts_by_sha(&export(&plain)));
}

#[test]
fn a_shallow_clone_deepened_later_ends_as_a_full_clone() {
    let s = story();
    let src = s.dir.path();
    let full = src.join("full.sqlite");
    history(&full, src, &range("HEAD"));
    let clone = TempDir::new().unwrap();
    let url = format!("file://{}", src.display());
    git(clone.path(), &["clone", "-q", "--depth", "3", &url, "c"]);
    let c = clone.path().join("c");
    let db = clone.path().join("l.sqlite");
    assert_eq!(history(&db, &c, &range("HEAD")).recorded, 3);
    git(&c, &["fetch", "-q", "--unshallow"]);
    let out = history(&db, &c, &range("HEAD"));
    assert_eq!((out.recorded, out.already_recorded, out.shallow_end), (6, 3, None));
    assert_eq!(export(&db), export(&full));
}

#[test]
fn any_recording_order_gives_the_ledger_history_gives() {
    let s = story();
    let d = s.dir.path();
    let full = d.join("full.sqlite");
    history(&full, d, &range("HEAD"));
    let orders: [[usize; 9]; 4] = [
        [8, 7, 6, 5, 4, 3, 2, 1, 0],
        [4, 0, 8, 2, 6, 1, 7, 3, 5],
        [1, 3, 5, 7, 0, 2, 4, 6, 8],
        [6, 5, 7, 4, 8, 3, 0, 2, 1],
    ];
    for (k, order) in orders.iter().enumerate() {
        let db = d.join(format!("o{k}.sqlite"));
        let mut ledger = Ledger::open(&db).unwrap();
        for n in order {
            ledger.record(d, &s.main[*n], &settings(d)).unwrap();
        }
        drop(ledger);
        assert_eq!(export(&db), export(&full), "order {order:?}");
    }
}
