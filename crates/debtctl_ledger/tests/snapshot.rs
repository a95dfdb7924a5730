//! The snapshot API: what a snapshot of a tree, the index and the working tree holds, what
//! `changes` reports, and `analyse` with its cache.

mod common;

use common::{commit, git, settings, write};
use debtctl_ledger::{analyse, changes, BlobCache, Changes, MemoryCache, Snapshot, Source};
use debtctl_syntax::Language;
use git2::{Oid, Repository};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use tempfile::TempDir;

const DEBT: &str = "def tag(item, tags=[]):\n    tags.append(item)\n    return tags\n";
const DEBT2: &str =
    "def tag(item, tags=[]):\n    tags.append(item)\n    return tags\n\n\ndef f(x={}):\n    return x\n";

fn tree_of(repo: &Repository, rev: &str) -> Source {
    Source::Tree(repo.revparse_single(rev).unwrap().peel_to_commit().unwrap().id())
}

fn paths(snap: &Snapshot) -> Vec<&str> {
    snap.files().map(|f| f.path.as_str()).collect()
}

fn oid(s: &str) -> Oid {
    Oid::from_str(s).unwrap()
}

#[test]
fn a_snapshot_holds_what_a_scan_reads() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    commit(
        d,
        &[
            ("app/a.py", DEBT),
            ("chart/Chart.yaml", "name: c\n"),
            ("chart/templates/dep.yaml", "kind: Deployment\n"),
            ("k8s/dep.yaml", "kind: Deployment\n"),
            ("vendor/x/x.go", "package x\n"),
            (".github/workflows/ci.yaml", "on: push\n"),
            ("README.md", "hi\n"),
            (".gitignore", "ignored.py\n"),
        ],
        "Start",
    );
    std::os::unix::fs::symlink("a.py", d.join("app/link.py")).unwrap();
    git(d, &["add", "app/link.py"]);
    git(d, &["commit", "-q", "-m", "Link"]);
    let repo = Repository::open(d).unwrap();
    let s = settings(d);

    let tree = Snapshot::read(&repo, &tree_of(&repo, "HEAD"), &s).unwrap();
    assert_eq!(paths(&tree), ["app/a.py", "chart/Chart.yaml", "chart/templates/dep.yaml", "k8s/dep.yaml"]);
    assert_eq!(tree.get("chart/templates/dep.yaml").unwrap().lang, Language::HelmTemplate);
    assert_eq!(tree.get("k8s/dep.yaml").unwrap().lang, Language::Yaml);
    assert_eq!(tree.get("app/a.py").unwrap().oid, oid(&git(d, &["rev-parse", "HEAD:app/a.py"])));

    // Staged, then changed again on disk, plus an untracked and an ignored file.
    write(d, "app/a.py", DEBT2);
    git(d, &["add", "app/a.py"]);
    write(d, "app/a.py", "x = 1\n");
    write(d, "app/new.py", DEBT);
    write(d, "ignored.py", DEBT);
    std::fs::remove_file(d.join("k8s/dep.yaml")).unwrap();

    let index = Snapshot::read(&repo, &Source::Index, &s).unwrap();
    assert_eq!(index.get("app/a.py").unwrap().oid, oid(&git(d, &["rev-parse", ":app/a.py"])));
    assert!(index.get("app/new.py").is_none());
    assert!(index.get("k8s/dep.yaml").is_some(), "still staged");

    let work = Snapshot::read(&repo, &Source::WorkDir, &s).unwrap();
    assert_eq!(paths(&work), ["app/a.py", "app/new.py", "chart/Chart.yaml", "chart/templates/dep.yaml"]);
    assert_eq!(work.get("app/a.py").unwrap().oid, oid(&git(d, &["hash-object", "app/a.py"])));
    assert_eq!(work.get("chart/templates/dep.yaml").unwrap().lang, Language::HelmTemplate);
    // Nothing was written to the object database.
    assert!(repo.find_blob(work.get("app/a.py").unwrap().oid).is_err());
}

#[test]
fn settings_excludes_apply_to_snapshots() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    commit(d, &[("debtctl.toml", "exclude = [\"gen/\"]\n"), ("gen/a.py", DEBT), ("b.py", DEBT)], "Start");
    let repo = Repository::open(d).unwrap();
    let snap = Snapshot::read(&repo, &tree_of(&repo, "HEAD"), &settings(d)).unwrap();
    assert_eq!(paths(&snap), ["b.py"]);
}

#[test]
fn changes_pair_renames_between_trees_and_with_the_working_tree() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let long = format!("{DEBT}\n\n{}", "def g():\n    return 1\n\n\n".repeat(10));
    commit(d, &[("pkg/a.py", &long), ("pkg/c.py", "c = 1\n"), ("pkg/e.py", "e = 1\n")], "Start");
    git(d, &["mv", "pkg/a.py", "pkg/b.py"]);
    std::fs::remove_file(d.join("pkg/e.py")).unwrap();
    commit(d, &[("pkg/c.py", "c = 2\n"), ("pkg/d.py", "d = 1\n")], "Rename and more");
    let repo = Repository::open(d).unwrap();
    let s = settings(d);
    let old = Snapshot::read(&repo, &tree_of(&repo, "HEAD~1"), &s).unwrap();
    let new = Snapshot::read(&repo, &tree_of(&repo, "HEAD"), &s).unwrap();
    let expected = Changes {
        added: vec!["pkg/d.py".into()],
        deleted: vec!["pkg/e.py".into()],
        modified: vec!["pkg/c.py".into()],
        renamed: vec![("pkg/a.py".into(), "pkg/b.py".into())],
    };
    assert_eq!(changes(&repo, &old, &new).unwrap(), expected);
    assert!(changes(&repo, &new, &new).unwrap().is_empty());

    // A file moved on disk and not staged, and changed a little: still a rename.
    std::fs::rename(d.join("pkg/b.py"), d.join("pkg/moved.py")).unwrap();
    write(d, "pkg/moved.py", &format!("{long}x = 1\n"));
    let work = Snapshot::read(&repo, &Source::WorkDir, &s).unwrap();
    let c = changes(&repo, &new, &work).unwrap();
    assert_eq!(c.renamed, [("pkg/b.py".to_string(), "pkg/moved.py".to_string())], "{c:?}");
    assert!(c.added.is_empty() && c.deleted.is_empty(), "{c:?}");
}

#[test]
fn analyse_named_paths_and_the_old_side_of_a_rename_under_its_new_name() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    commit(d, &[("old/a.py", DEBT), ("other.py", DEBT2)], "Start");
    std::fs::create_dir(d.join("new")).unwrap();
    git(d, &["mv", "old/a.py", "new/a.py"]);
    commit(d, &[], "Move");
    let repo = Repository::open(d).unwrap();
    let s = settings(d);
    let before = Snapshot::read(&repo, &tree_of(&repo, "HEAD~1"), &s).unwrap();
    let after = Snapshot::read(&repo, &tree_of(&repo, "HEAD"), &s).unwrap();
    let cache = MemoryCache::new();

    let all = analyse(&repo, &before, None, &HashMap::new(), &s, &cache).unwrap();
    assert_eq!(all.findings.len(), 3);
    assert_eq!((all.analysed, all.cached), (2, 0));

    let only: BTreeSet<String> = ["old/a.py".to_string()].into();
    let renamed = HashMap::from([("old/a.py".to_string(), "new/a.py".to_string())]);
    let as_new = analyse(&repo, &before, Some(&only), &renamed, &s, &cache).unwrap();
    assert_eq!(as_new.findings.len(), 1);
    assert_eq!(as_new.findings[0].path, "new/a.py");
    // Same blob, another path: another cache entry.
    assert_eq!((as_new.analysed, as_new.cached), (1, 0));

    let moved: BTreeSet<String> = ["new/a.py".to_string()].into();
    let new_side = analyse(&repo, &after, Some(&moved), &HashMap::new(), &s, &cache).unwrap();
    assert_eq!(new_side.findings, as_new.findings);
    assert_eq!((new_side.analysed, new_side.cached), (0, 1));
    let old_side = all.findings.iter().find(|f| f.path == "old/a.py").unwrap();
    assert_ne!(old_side.fingerprint, new_side.findings[0].fingerprint, "the path is part of a fingerprint");
}

const MAIN_GO: &str = "package main\n\nimport \"os\"\n\nfunc main() {\n\tos.Remove(\"x\")\n\thelper()\n}\n";
const HELPER_ERR: &str = "package main\n\nfunc helper() error { return nil }\n";
const HELPER_ERR_BODY: &str = "package main\n\nfunc helper() error {\n\tprintln(1)\n\treturn nil\n}\n";
const HELPER_NONE: &str = "package main\n\nfunc helper() {}\n";

fn go_findings(repo: &Repository, d: &Path, rev: &str, cache: &dyn BlobCache) -> (Vec<String>, usize, usize) {
    let s = settings(d);
    let snap = Snapshot::read(repo, &tree_of(repo, rev), &s).unwrap();
    let only: BTreeSet<String> = ["cmd/main.go".to_string()].into();
    let out = analyse(repo, &snap, Some(&only), &HashMap::new(), &s, cache).unwrap();
    let rules = out.findings.iter().map(|f| format!("{}:{}", f.rule, f.line)).collect();
    (rules, out.analysed, out.cached)
}

#[test]
fn an_unchanged_go_file_is_analysed_again_when_its_package_facts_change() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    let main_test = "package main\n\nimport \"testing\"\n\nfunc TestMain(t *testing.T) {}\n";
    commit(
        d,
        &[("cmd/main.go", MAIN_GO), ("cmd/helper.go", HELPER_ERR), ("cmd/main_test.go", main_test)],
        "Start",
    );
    commit(d, &[("cmd/helper.go", HELPER_ERR_BODY)], "Body");
    commit(d, &[("cmd/helper.go", HELPER_NONE)], "No error");
    let test_go = "package main\n\nimport \"testing\"\n\nfunc TestOther(t *testing.T) {}\n";
    commit(
        d,
        &[
            ("cmd/other_test.go", test_go),
            ("cmd/other.go", "package main\n\nfunc other() int { return 1 }\n"),
        ],
        "Tests",
    );
    let repo = Repository::open(d).unwrap();
    let cache = MemoryCache::new();

    let (first, analysed, _) = go_findings(&repo, d, "HEAD~3", &cache);
    assert!(first.iter().any(|r| r == "go/ignored-error:7"), "{first:?}");
    assert_eq!(analysed, 1, "only the named file");
    // Only helper's body changed: main.go's result is still good.
    let (body, analysed, cached) = go_findings(&repo, d, "HEAD~2", &cache);
    assert_eq!(body, first);
    assert_eq!((analysed, cached), (0, 1));
    // main.go's blob is the same, but helper() no longer returns an error.
    let (none, analysed, cached) = go_findings(&repo, d, "HEAD~1", &cache);
    assert!(!none.iter().any(|r| r.starts_with("go/ignored-error:7")), "{none:?}");
    assert_eq!((analysed, cached), (1, 0));
    // A test and a function main.go does not mention change the package's declarations,
    // not what main.go can read of them: still cached.
    let (tests, analysed, cached) = go_findings(&repo, d, "HEAD", &cache);
    assert_eq!(tests, none);
    assert_eq!((analysed, cached), (0, 1));
    // Without a cache, the same answers.
    assert_eq!(go_findings(&repo, d, "HEAD~3", &()).0, first);
    assert_eq!(go_findings(&repo, d, "HEAD~1", &()).0, none);
    assert_eq!(go_findings(&repo, d, "HEAD", &()).0, none);
}
