//! The ledger on repositories the tests script with the `git` CLI.

mod common;

use common::{commit, git, settings, write};
use debtctl_ledger::{Ledger, LedgerError, SCHEMA_VERSION};
use serde_json::{json, Value};
use std::path::Path;
use tempfile::TempDir;

const DEBT: &str = "def tag(item, tags=[]):\n    tags.append(item)\n    return tags\n";
const MOVED: &str = "import os\n\n\nPATH = os.getcwd()\n\n\ndef tag(item, tags=[]):\n    tags.append(item)\n    return tags\n";
const FIXED: &str =
    "def tag(item, tags=None):\n    tags = tags or []\n    tags.append(item)\n    return tags\n";

/// Debt introduced in commit 1, moved down by inserted lines in 2, fixed in 3.
fn scripted_history() -> (TempDir, [String; 3]) {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let c1 =
        commit(d, &[("app/models.py", DEBT), ("README.md", "hi\n")], "Add tagging PAY-142\n\nBody OPS-7");
    let c2 = commit(d, &[("app/models.py", MOVED)], "Read the working directory");
    let c3 = commit(d, &[("app/models.py", FIXED)], "Default to None");
    (dir, [c1, c2, c3])
}

fn record_all(db: &Path, repo: &Path, revs: &[&str]) -> Value {
    let mut ledger = Ledger::open(db).unwrap();
    let settings = settings(repo);
    for rev in revs {
        let out = ledger.record(repo, rev, &settings).unwrap();
        assert!(!out.already_recorded, "{rev} recorded twice");
    }
    ledger.export_json().unwrap()
}

#[test]
fn item_keeps_identity_when_moved_and_is_fixed_later() {
    let (dir, [c1, c2, c3]) = scripted_history();
    let db = dir.path().join("ledger.sqlite");
    let export = record_all(&db, dir.path(), &["HEAD~2", "HEAD~1", "HEAD"]);

    assert_eq!(export["version"], 1);
    assert_eq!(export["head"], json!(c3));
    let commits = export["commits"].as_array().unwrap();
    let shas: Vec<&str> = commits.iter().map(|c| c["sha"].as_str().unwrap()).collect();
    assert_eq!(shas, [c1.as_str(), c2.as_str(), c3.as_str()]);
    assert_eq!(
        commits[0],
        json!({
            "sha": c1, "parents": [], "time": "2026-11-02T10:04:05Z", "author": "Jane Doe",
            "summary": "Add tagging PAY-142", "tickets": ["PAY-142", "OPS-7"],
            "findings": 1, "debt_minutes": commits[0]["debt_minutes"], "introduced": 1, "fixed": 0,
            "by_rule": {"py/mutable-default-arg": 1}
        })
    );
    assert!(commits[0]["debt_minutes"].as_u64().unwrap() > 0);
    assert_eq!(commits[1]["parents"], json!([c1]));
    assert_eq!(commits[1]["tickets"], json!([]));
    assert_eq!((commits[1]["findings"].as_u64(), commits[1]["introduced"].as_u64()), (Some(1), Some(0)));
    assert_eq!(commits[1]["fixed"], 0);
    assert_eq!(commits[2]["findings"], 0);
    assert_eq!((commits[2]["introduced"].as_u64(), commits[2]["fixed"].as_u64()), (Some(0), Some(1)));
    assert_eq!(commits[2]["by_rule"], json!({}));

    let items = export["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:#?}");
    let item = &items[0];
    assert_eq!(item["rule"], "py/mutable-default-arg");
    assert_eq!(item["severity"], "warning");
    assert_eq!(item["path"], "app/models.py");
    // Where the newest commit having it (commit 2) has it.
    assert_eq!(item["line"], 7);
    assert_eq!(item["introduced_in"], json!(c1));
    assert_eq!(item["introduced_at"], "2026-11-02T10:04:05Z");
    assert_eq!(item["introduced_by"], "Jane Doe");
    assert_eq!(item["fixed_in"], json!(c3));
    assert_eq!(item["tickets"], json!(["PAY-142", "OPS-7"]));
    assert_eq!(item["fingerprint"].as_str().unwrap().len(), 16);
    let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 12, "{keys:?}");
}

#[test]
fn recording_out_of_order_gives_the_same_ledger() {
    let (dir, _) = scripted_history();
    let in_order = record_all(&dir.path().join("a.sqlite"), dir.path(), &["HEAD~2", "HEAD~1", "HEAD"]);
    let shuffled = record_all(&dir.path().join("b.sqlite"), dir.path(), &["HEAD", "HEAD~2", "HEAD~1"]);
    assert_eq!(in_order, shuffled);
    let reversed = record_all(&dir.path().join("c.sqlite"), dir.path(), &["HEAD", "HEAD~1", "HEAD~2"]);
    assert_eq!(in_order, reversed);
}

#[test]
fn recording_twice_changes_nothing_and_unchanged_blobs_come_from_the_cache() {
    let (dir, _) = scripted_history();
    let d = dir.path();
    let db = d.join("ledger.sqlite");
    let settings = settings(d);
    let mut ledger = Ledger::open(&db).unwrap();
    let first = ledger.record(d, "HEAD~2", &settings).unwrap();
    assert_eq!((first.analysed, first.cached, first.findings), (1, 0, 1));
    let before = ledger.export_json().unwrap();
    let again = ledger.record(d, "HEAD~2", &settings).unwrap();
    assert!(again.already_recorded);
    assert_eq!(ledger.export_json().unwrap(), before);
    drop(ledger);

    // A commit that touches no analysed file reuses the cached blob.
    let mut ledger = Ledger::open(&db).unwrap();
    let fixed = ledger.record(d, "HEAD", &settings).unwrap();
    assert_eq!((fixed.analysed, fixed.cached, fixed.findings), (1, 0, 0));
    commit(d, &[("README.md", "changed\n")], "Docs only");
    let docs = ledger.record(d, "HEAD", &settings).unwrap();
    assert_eq!((docs.analysed, docs.cached, docs.findings), (0, 1, 0));
}

#[test]
fn analyses_git_objects_not_the_working_tree() {
    let (dir, [c1, ..]) = scripted_history();
    let d = dir.path();
    git(d, &["checkout", "-q", &c1]);
    // The working tree has the fix, uncommitted, and an untracked file with debt.
    write(d, "app/models.py", FIXED);
    write(d, "app/untracked.py", DEBT);
    let export = record_all(&d.join("ledger.sqlite"), d, &["HEAD"]);
    assert_eq!(export["commits"][0]["findings"], 1);
    assert_eq!(export["items"][0]["path"], "app/models.py");
    assert_eq!(std::fs::read_to_string(d.join("app/models.py")).unwrap(), FIXED);
    assert!(git(d, &["status", "--porcelain"]).contains("app/models.py"));
}

#[test]
fn go_packages_are_analysed_together_and_cached() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let main_go = "package main\n\nimport \"os\"\n\nfunc main() {\n\tos.Remove(\"x\")\n\thelper()\n}\n";
    let helper_go = "package main\n\nfunc helper() error { return nil }\n";
    commit(d, &[("cmd/app/main.go", main_go), ("cmd/app/helper.go", helper_go)], "Go");
    commit(d, &[("notes.txt", "n\n")], "Notes");
    let settings = settings(d);
    let mut ledger = Ledger::open(&d.join("ledger.sqlite")).unwrap();
    let first = ledger.record(d, "HEAD~1", &settings).unwrap();
    // Counted per file; the two files are one package.
    assert_eq!((first.analysed, first.cached), (2, 0));
    let second = ledger.record(d, "HEAD", &settings).unwrap();
    assert_eq!((second.analysed, second.cached), (0, 2));
    let export = ledger.export_json().unwrap();
    let by_rule = export["commits"][0]["by_rule"].as_object().unwrap();
    assert!(by_rule.keys().any(|r| r == "go/ignored-error"), "{by_rule:?}");
    assert_eq!(export["commits"][1]["introduced"], 0);
    assert_eq!(export["commits"][0]["findings"], export["commits"][1]["findings"]);
}

const GO_MOD: &str = "module example.com/m\n\ngo 1.21\n";
const SAVE_NO_ERROR: &str = "package store\n\nfunc Save() {}\n";
const SAVE_ERROR: &str = "package store\n\nfunc Save() error { return nil }\n";
const CALLER: &str = "package main\n\nimport \"example.com/m/store\"\n\nfunc main() {\n\tstore.Save()\n}\n";

/// Issue 12: the ledger reads the APIs of the module's other packages as each commit has
/// them. Commit 1's `store.Save` returns nothing; commit 2 changes only store/store.go so
/// that it returns an error, and app/main.go, the same blob in both, now drops it. Both are
/// recorded with the work tree at commit 2: commit 1 resolves `store` against its own tree
/// (no finding), and commit 2 re-analyses the unchanged caller (its cache key holds the
/// digest of what it imports) instead of taking commit 1's result from the cache.
#[test]
fn go_calls_into_the_modules_other_packages_read_each_commits_api() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let c1 =
        commit(d, &[("go.mod", GO_MOD), ("store/store.go", SAVE_NO_ERROR), ("app/main.go", CALLER)], "One");
    let c2 = commit(d, &[("store/store.go", SAVE_ERROR)], "Two");
    let settings = settings(d);
    let mut ledger = Ledger::open(&d.join("ledger.sqlite")).unwrap();
    assert_eq!(
        ledger.record(d, &c1, &settings).unwrap().findings,
        0,
        "commit 1's store.Save returns nothing"
    );
    assert_eq!(ledger.record(d, &c2, &settings).unwrap().findings, 1);
    let export = ledger.export_json().unwrap();
    let items: Vec<(&str, &str, i64, &str)> = export["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap();
            (s("rule"), s("path"), i["line"].as_i64().unwrap(), s("introduced_in"))
        })
        .collect();
    assert_eq!(items, [("go/ignored-error", "app/main.go", 6, c2.as_str())]);
    // The facts of `store` read from the commits are kept beside the scan cache.
    assert!(d.join(".debtctl/cache/go-facts").is_dir());
    assert!(d.join(".debtctl/.gitignore").is_file());
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("ledger.sqlite");
    drop(Ledger::open(&db).unwrap());
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let err = Ledger::open(&db).err().expect("refused");
    assert!(matches!(err, LedgerError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1), "{err}");
    assert!(err.to_string().contains("newer debtctl"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn a_garbage_file_is_an_error_and_left_unchanged() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let garbage = "this is not a database\n".repeat(300);
    std::fs::write(&db, &garbage).unwrap();
    let err = Ledger::open(&db).err().expect("refused");
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");
    assert!(err.to_string().contains("not a SQLite database"), "{err}");
    assert!(!err.to_string().contains('\n'));
    assert_eq!(std::fs::read_to_string(&db).unwrap(), garbage);
}

#[test]
fn another_applications_database_is_refused() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');").unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let err = Ledger::open(&db).err().expect("refused");
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn an_empty_ledger_exports_an_empty_document() {
    let dir = TempDir::new().unwrap();
    let ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
    assert_eq!(
        ledger.export_json().unwrap(),
        json!({"version": 1, "head": null, "commits": [], "items": []})
    );
}

#[test]
fn an_unknown_revision_and_a_non_repository_are_errors() {
    let (dir, _) = scripted_history();
    let settings = settings(dir.path());
    let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
    let err = ledger.record(dir.path(), "no-such-branch", &settings).unwrap_err();
    assert!(matches!(err, LedgerError::UnknownRevision { .. }), "{err}");
    let elsewhere = TempDir::new().unwrap();
    let err = ledger.record(elsewhere.path(), "HEAD", &settings).unwrap_err();
    assert!(matches!(err, LedgerError::NotARepository { .. }), "{err}");
}

#[test]
fn a_schema_1_ledger_migrates_forward_and_keeps_its_items() {
    let (dir, _) = scripted_history();
    let d = dir.path();
    let db = d.join("old.sqlite");
    record_all(&db, d, &["HEAD~2"]);
    {
        // What schema 1 had: no fingerprints, no signatures, memberships without a
        // fingerprint.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TABLE fingerprints; DROP TABLE go_signatures;
             ALTER TABLE memberships DROP COLUMN fingerprint; PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let migrated = record_all(&db, d, &["HEAD~1", "HEAD"]);
    let fresh = record_all(&d.join("new.sqlite"), d, &["HEAD~2", "HEAD~1", "HEAD"]);
    assert_eq!(migrated, fresh);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn a_blob_missing_from_the_object_database_is_counted_not_fatal_nor_cached() {
    let (dir, _) = scripted_history();
    let d = dir.path();
    // A partial clone lacks some blobs: take one away (test repositories keep loose
    // objects), record, then bring it back.
    let blob = git(d, &["rev-parse", "HEAD~2:app/models.py"]);
    let loose = d.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let saved = std::fs::read(&loose).unwrap();
    std::fs::remove_file(&loose).unwrap();
    let settings = settings(d);
    let mut ledger = Ledger::open(&d.join("l.sqlite")).unwrap();
    let out = ledger.record(d, "HEAD~2", &settings).unwrap();
    assert_eq!(out.missing, ["app/models.py"]);
    assert_eq!((out.findings, out.analysed), (0, 0));
    std::fs::write(&loose, saved).unwrap();
    // Another commit with the same blob: analysed now, not a cached empty result.
    commit(d, &[("app/models.py", DEBT), ("notes.txt", "x\n")], "Back to the first version");
    let out = ledger.record(d, "HEAD", &settings).unwrap();
    assert!(out.missing.is_empty());
    assert_eq!((out.findings, out.analysed), (1, 1));
}
