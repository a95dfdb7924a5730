//! Scripted git repositories for the tests: commits made with the `git` CLI, with fixed
//! author and dates so that shas are reproducible.
#![allow(dead_code)]

use debtctl_workspace::{Overrides, Settings};
use std::path::Path;
use std::process::Command;

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Jane Doe", "-c", "user.email=jane@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-11-02T10:04:05Z")
        .env("GIT_COMMITTER_DATE", "2026-11-02T10:04:05Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Writes the files and commits them; returns the commit's sha.
pub fn commit(dir: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (rel, text) in files {
        write(dir, rel, text);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

pub fn settings(dir: &Path) -> Settings {
    Settings::resolve(dir, &Overrides::default()).unwrap()
}
