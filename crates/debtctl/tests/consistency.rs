//! Holds the registry, `rules/` and `fixtures/` together: every registered rule has its
//! documentation with the required sections and fixtures with at least one expectation,
//! and nothing in `rules/` or `fixtures/` belongs to no rule.

use debtctl_linter::registry::all_meta;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `<prefix>/<slug>` for every `<root>/<prefix>/<slug><suffix>` entry.
fn ids_under(root: &Path, suffix: &str, dirs: bool) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for prefix in std::fs::read_dir(root).unwrap() {
        let prefix = prefix.unwrap().path();
        if !prefix.is_dir() || prefix.file_name().unwrap() == "data" {
            continue;
        }
        for entry in std::fs::read_dir(&prefix).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() != dirs {
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if let Some(slug) = name.strip_suffix(suffix) {
                ids.insert(format!("{}/{}", prefix.file_name().unwrap().to_string_lossy(), slug));
            }
        }
    }
    ids
}

#[test]
fn registry_docs_and_fixtures_agree() {
    let registered: BTreeSet<String> = all_meta().iter().map(|m| m.id.to_string()).collect();
    let documented = ids_under(&repo_root().join("rules"), ".md", false);
    let with_fixtures = ids_under(&repo_root().join("fixtures"), "", true);
    assert_eq!(registered, documented, "rules/<prefix>/<slug>.md must match the registry");
    assert_eq!(registered, with_fixtures, "fixtures/<prefix>/<slug>/ must match the registry");
}

#[test]
fn every_doc_has_its_sections() {
    for m in all_meta() {
        for section in ["## What it does", "## Why is this bad?", "## Example", "## Known problems"] {
            assert!(m.doc.contains(section), "{} lacks `{section}`", m.id);
        }
        assert!(m.doc.starts_with(&format!("# {}\n", m.id)), "{} doc must open with its ID", m.id);
        if m.fix.is_some() {
            assert!(m.doc.contains("## Fix safety"), "{} has a fix but no `## Fix safety`", m.id);
        }
        let first = m.summary.chars().next().unwrap();
        assert!(!first.is_uppercase() && !m.summary.ends_with('.'), "{} summary: {:?}", m.id, m.summary);
    }
}

/// A rule whose fix can be applied has `.fixed` goldens; a rule without one has none.
#[test]
fn fixed_goldens_exist_exactly_for_rules_with_fixes() {
    use debtctl_diagnostics::Applicability;
    for m in all_meta() {
        let dir = repo_root().join("fixtures").join(m.id);
        let mut goldens = 0;
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "fixed") {
                    goldens += 1;
                }
            }
        }
        let applicable = matches!(m.fix, Some(Applicability::Safe | Applicability::Unsafe));
        assert_eq!(
            goldens > 0,
            applicable,
            "{}: .fixed goldens must exist exactly when the rule has a fix",
            m.id
        );
    }
}

#[test]
fn every_rule_has_an_expectation_in_its_fixtures() {
    for m in all_meta() {
        let dir = repo_root().join("fixtures").join(m.id);
        let mut wants = 0;
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap_or_else(|_| panic!("{} has no fixtures", m.id)) {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(text) = std::fs::read_to_string(&p) {
                    wants += text.matches("want ").count();
                }
            }
        }
        assert!(wants > 0, "{}: fixtures hold no `want` expectation", m.id);
    }
}

/// `docs/rules.md`, the catalog the README points to, as the registry (compiled from
/// `rules/`) says it. Fails when stale; `DEBTCTL_UPDATE_DOCS=1 cargo test -p debtctl --test
/// consistency` rewrites it.
#[test]
fn docs_rules_md_is_fresh() {
    use debtctl_diagnostics::Applicability;
    let mut text = String::from(
        "# Rules\n\n\
         <!-- Generated from rules/ by `DEBTCTL_UPDATE_DOCS=1 cargo test -p debtctl --test consistency`; \
         do not edit. -->\n\n\
         Every rule of debtctl, as `debtctl rules` lists it: its default severity, the debt it \
         counts (minutes to fix one finding), and whether `debtctl fix` can fix it (`safe`; \
         `unsafe`, only with `--unsafe`, as it may change behaviour) or only suggests a change \
         (`suggestion`). The link is the rule's documentation, which `debtctl explain RULE` \
         prints. Severity and minutes can be changed per rule in `debtctl.toml`.\n\n\
         | Rule | Severity | Debt | Fix | What it flags |\n\
         |---|---|---|---|---|\n",
    );
    for m in all_meta() {
        let fix = match m.fix {
            Some(Applicability::Safe) => "safe",
            Some(Applicability::Unsafe) => "unsafe",
            Some(Applicability::DisplayOnly) => "suggestion",
            None => "none",
        };
        text.push_str(&format!(
            "| [`{id}`](../rules/{id}.md) | {} | {} min | {fix} | {} |\n",
            m.severity,
            m.debt_minutes,
            m.summary.replace('|', "\\|"),
            id = m.id,
        ));
    }
    let path = repo_root().join("docs/rules.md");
    if std::env::var_os("DEBTCTL_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "docs/rules.md is stale: run `DEBTCTL_UPDATE_DOCS=1 cargo test -p debtctl --test consistency`"
    );
    // Every link points at a file that exists.
    for m in all_meta() {
        assert!(repo_root().join("rules").join(format!("{}.md", m.id)).is_file(), "{}", m.id);
    }
}
