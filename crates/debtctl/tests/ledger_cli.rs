//! `debtctl history` as a process: interrupted by SIGKILL and run again, two runs at once
//! on one ledger, and ledger files it must refuse (and leave as they were).

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_debtctl"));
    cmd.env_remove("DEBTCTL_CACHE_DIR").env_remove("DEBTCTL_DB").env("NO_COLOR", "1");
    cmd
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git").current_dir(dir).args(args).output().expect("git is needed by the tests");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    out
}

/// A Python module whose debt depends on the commit `i` and the file `k`: functions with
/// mutable defaults come and go, and lines are inserted above them.
fn module(i: usize, k: usize) -> String {
    let mut s = String::new();
    for n in 0..(i + k) % 4 {
        s.push_str(&format!("X{n} = {n}\n"));
    }
    for j in 0..12 {
        let default = if (i / 3 + j + k).is_multiple_of(5) { "None" } else { "[]" };
        s.push_str(&format!("\n\ndef f{j}(a, b={default}):\n    # TODO(PAY-{k}): tidy\n    return [a, b]\n"));
    }
    s
}

/// A repository of `n` first-parent commits, built with `git fast-import`: each commit
/// rewrites a few modules; every tenth renames one.
fn scripted_repo(n: usize) -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let mut stream = String::new();
    let mut names: Vec<String> = (0..8).map(|k| format!("pkg/m{k}.py")).collect();
    for i in 0..n {
        let message =
            if i.is_multiple_of(4) { format!("Change {i} for OPS-{i}\n") } else { format!("Change {i}\n") };
        stream.push_str("commit refs/heads/main\n");
        stream.push_str(&format!("mark :{}\n", i + 1));
        stream.push_str(&format!("author Jane Doe <jane@example.com> {} +0000\n", 1_790_000_000 + i * 60));
        stream.push_str(&format!("committer Jane Doe <jane@example.com> {} +0000\n", 1_790_000_000 + i * 60));
        stream.push_str(&format!("data {}\n{message}", message.len()));
        if i > 0 {
            stream.push_str(&format!("from :{i}\n"));
        }
        if i % 10 == 9 {
            let k = i / 10 % names.len();
            let new = format!("pkg/renamed{i}.py");
            stream.push_str(&format!("R {} {new}\n", names[k]));
            names[k] = new;
        }
        for (k, name) in names.iter().enumerate() {
            if i == 0 || (i + k).is_multiple_of(3) {
                let body = module(i, k);
                stream.push_str(&format!("M 100644 inline {name}\ndata {}\n{body}\n", body.len()));
            }
        }
        if i % 7 == 3 {
            stream.push_str(&format!("M 100644 inline README.md\ndata 2\n{}\n\n", i % 10));
        }
    }
    let mut child = Command::new("git")
        .current_dir(d)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git is needed by the tests");
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    git(d, &["reset", "-q", "--hard", "main"]);
    dir
}

fn recorded(db: &Path) -> i64 {
    let Ok(conn) = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row("SELECT count(*) FROM commits WHERE recorded = 1", [], |r| r.get(0)).unwrap_or(0)
}

fn export(repo: &Path, db: &Path) -> Vec<u8> {
    let out = run_in(repo, &["export", "--format", "json", "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out.stdout
}

#[test]
fn a_history_killed_midway_and_run_again_ends_as_an_uninterrupted_one() {
    let repo = scripted_repo(60);
    let r = repo.path();
    let dbs = TempDir::new().unwrap();
    let whole = dbs.path().join("whole.sqlite");
    let out = run_in(r, &["history", "--db", whole.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("Recorded 60 commits"), "{}", stderr(&out));
    let expected = export(r, &whole);
    let doc: Value = serde_json::from_slice(&expected).unwrap();
    assert_eq!(doc["commits"].as_array().unwrap().len(), 60);
    assert!(doc["items"].as_array().unwrap().len() > 20);

    let killed = dbs.path().join("killed.sqlite");
    let mut child = bin()
        .current_dir(r)
        .args(["history", "--db", killed.to_str().unwrap()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while recorded(&killed) < 10 {
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        assert!(child.try_wait().unwrap().is_none(), "finished before it could be killed");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = recorded(&killed);
    assert!((10..60).contains(&at_kill), "{at_kill} recorded when killed");

    let out = run_in(r, &["history", "--db", killed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let resumed = stderr(&out);
    assert!(resumed.starts_with(&format!("Recorded {} commits", 60 - at_kill)), "{resumed}");
    assert_eq!(String::from_utf8(export(r, &killed)).unwrap(), String::from_utf8(expected).unwrap());
}

#[test]
fn two_histories_at_once_record_each_commit_once() {
    let repo = scripted_repo(40);
    let r = repo.path();
    let dbs = TempDir::new().unwrap();
    let alone = dbs.path().join("alone.sqlite");
    assert_eq!(run_in(r, &["history", "-q", "--db", alone.to_str().unwrap()]).status.code(), Some(0));

    let shared = dbs.path().join("shared.sqlite");
    let spawn = || {
        bin()
            .current_dir(r)
            .args(["history", "--db", shared.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!((a.status.code(), b.status.code()), (Some(0), Some(0)), "{}\n{}", stderr(&a), stderr(&b));
    let count = |o: &Output| -> usize {
        let text = stderr(o);
        let n = text
            .strip_prefix("Recorded ")
            .and_then(|t| t.split(' ').next())
            .unwrap_or_else(|| panic!("{text}"));
        n.parse().unwrap()
    };
    assert_eq!(count(&a) + count(&b), 40, "{}\n{}", stderr(&a), stderr(&b));
    assert_eq!(export(r, &shared), export(r, &alone));
}

#[test]
fn history_progress_and_messages_without_a_terminal() {
    let repo = scripted_repo(5);
    let r = repo.path();
    let out = run_in(r, &["history", "--max-count", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Not a terminal: no progress bar, one summary line.
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Recorded 2 commits (0 of 2 in the range already recorded"),
        "{}",
        stderr(&out)
    );
    assert!(r.join(".debtctl/ledger.sqlite").is_file());
    let out = run_in(r, &["history", "-q"]);
    assert_eq!((out.status.code(), stderr(&out).as_str()), (Some(0), ""));
    let out = run_in(r, &["history"]);
    assert!(stderr(&out).starts_with("Recorded 0 commits (5 of 5"), "{}", stderr(&out));
    let out = run_in(r, &["history", "--since", "HEAD~1", "--max-count", "1"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses both");
    let out = run_in(r, &["history", "--rev", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn a_shallow_clone_says_where_history_ends() {
    let repo = scripted_repo(6);
    let clone = TempDir::new().unwrap();
    let url = format!("file://{}", repo.path().display());
    git(clone.path(), &["clone", "-q", "--depth", "2", &url, "c"]);
    let c = clone.path().join("c");
    let out = run_in(&c, &["history"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let oldest = String::from_utf8(git(&c, &["rev-parse", "HEAD~1"]).stdout).unwrap();
    assert!(
        stderr(&out).contains(&format!("history ends at {} (shallow clone)", oldest.trim())),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).starts_with("Recorded 2 commits"), "{}", stderr(&out));
}

fn untouched(db: &Path, before: &[u8]) {
    assert!(std::fs::read(db).unwrap() == before, "{} changed", db.display());
}

#[test]
fn bad_ledger_files_are_one_error_exit_2_and_left_as_they_were() {
    let repo = scripted_repo(3);
    let r = repo.path();
    let dir = TempDir::new().unwrap();

    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, "not a database\n".repeat(500)).unwrap();
    let foreign = dir.path().join("foreign.sqlite");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');").unwrap();
    }
    let newer = dir.path().join("newer.sqlite");
    assert_eq!(run_in(r, &["record", "-q", "--db", newer.to_str().unwrap()]).status.code(), Some(0));
    {
        let conn = rusqlite::Connection::open(&newer).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    // A ledger whose pages past the header were overwritten.
    let corrupt = dir.path().join("corrupt.sqlite");
    assert_eq!(run_in(r, &["history", "-q", "--db", corrupt.to_str().unwrap()]).status.code(), Some(0));
    assert!(!dir.path().join("corrupt.sqlite-wal").exists(), "checkpointed when the last connection closed");
    let mut bytes = std::fs::read(&corrupt).unwrap();
    let len = bytes.len();
    for b in &mut bytes[4096..len] {
        *b = 0x5a;
    }
    std::fs::write(&corrupt, &bytes).unwrap();

    for (db, says) in [
        (&garbage, "not a SQLite database"),
        (&foreign, "another application"),
        (&newer, "newer debtctl"),
        (&corrupt, "corrupt"),
    ] {
        let before = std::fs::read(db).unwrap();
        for args in [&["history"][..], &["record"], &["export", "--format", "json"]] {
            let mut all = args.to_vec();
            all.extend(["--db", db.to_str().unwrap()]);
            let out = run_in(r, &all);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{all:?}: {err}");
            assert!(err.contains(says), "{all:?}: {err}");
            untouched(db, &before);
        }
    }
}
