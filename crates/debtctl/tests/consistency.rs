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
