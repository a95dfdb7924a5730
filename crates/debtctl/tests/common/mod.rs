//! What the CLI test suites share: the binary under test isolated from the user's
//! environment (cache and ledger variables, git configuration and identity), and small
//! helpers to write a project, run git in it and read a run's output. Each suite uses
//! some of them.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The debtctl binary, with no cache or ledger location from the environment, no colour,
/// and git isolated as [`isolate_git`] does.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_debtctl"));
    cmd.env_remove("DEBTCTL_CACHE_DIR").env_remove("DEBTCTL_DB").env("NO_COLOR", "1");
    isolate_git(&mut cmd);
    cmd
}

/// No system or global git configuration, a fixed identity and date, and no
/// repository named by the environment.
pub fn isolate_git(cmd: &mut Command) {
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE");
}

/// Runs git in `dir`, isolated.
pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("git");
    isolate_git(&mut cmd);
    cmd.current_dir(dir).args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]).args(args);
    cmd.output().expect("git must be installed for these tests")
}

/// Runs git in `dir`, isolated, and gives what it printed, trimmed; fails the test when
/// git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

/// Writes `rel` below `dir`, creating its directories.
pub fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON a run printed, which must have exited 0 or 1.
pub fn json_of(out: &Output) -> Value {
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {}", out.status.code(), stderr(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

/// `(rule, path, line)` of every finding of a JSON report.
pub fn spots(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["path"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}
