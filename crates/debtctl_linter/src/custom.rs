//! Custom rules (ast-grep's rule format, `debtctl_custom`) in the linter's pipeline: the
//! registry as the checker holds it, and the per-file selection of built-in and custom
//! rules.
//!
//! Built-in rules stay a `u64` bitset over the [`Rule`] enum, and a diagnostic's rule a
//! `&'static str`: both are everywhere, cheap and exact. A custom rule is an index into
//! [`CustomRules::rules`], its ID interned once per distinct ID (leaked, so bounded by
//! the IDs a process ever loads, also across the server's reloads), and a file's custom
//! rules are a sorted list of indices beside its [`RuleSet`] in a [`Selection`].

use crate::registry::{Rule, RuleSet};
use debtctl_custom::CustomRules;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex};

/// A built-in rule or a custom one, as the checker's diagnostics carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleKey {
    Builtin(Rule),
    /// An index into [`CustomRules::rules`].
    Custom(usize),
}

/// The custom rules of a run, with their IDs interned. Cheap to clone.
///
/// It takes no part in [`crate::LinterSettings::cache_key`] (its `Hash` is empty): what a
/// file's result depends on is the digest of the rules it was checked with,
/// [`Selection::custom_digest`], which each cache keeps per file, so an edit to a Python
/// rule leaves the cached results of Go and YAML files valid.
#[derive(Debug, Clone, Default)]
pub struct CustomRegistry {
    rules: CustomRules,
    ids: Arc<[&'static str]>,
    /// A digest of every custom ID, `severity: off` ones included: which names a
    /// suppression comment may use (see [`Selection::new`]).
    names: u64,
}

/// Every custom ID interned so far: a server reloading the same rules reuses them.
static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);

fn intern(id: &str) -> &'static str {
    let mut set = INTERNED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = set.get(id) {
        return found;
    }
    let leaked: &'static str = Box::leak(id.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

impl CustomRegistry {
    pub fn new(rules: CustomRules) -> CustomRegistry {
        let ids: Arc<[&'static str]> = rules.rules().iter().map(|r| intern(&r.id)).collect();
        let names = ids
            .iter()
            .copied()
            .chain(rules.off_ids())
            .fold(0, |h, id| xxhash_rust::xxh3::xxh3_64_with_seed(id.as_bytes(), h));
        CustomRegistry { rules, ids, names }
    }

    pub fn rules(&self) -> &CustomRules {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The interned ID of rule `index`.
    pub fn id(&self, index: usize) -> &'static str {
        self.ids[index]
    }

    pub fn ids(&self) -> &[&'static str] {
        &self.ids
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|i| *i == id)
    }

    /// The custom rules a selector names: `ALL`, an exact ID, or a prefix ending in `/`.
    /// `None` when it names none; an ID of a rule with `severity: off` names no rule that
    /// runs, but is known (`Some` of nothing).
    pub fn select(&self, selector: &str) -> Option<Vec<usize>> {
        if selector == "ALL" {
            return Some((0..self.ids.len()).collect());
        }
        if selector.ends_with('/') {
            let found: Vec<usize> =
                (0..self.ids.len()).filter(|&i| self.ids[i].starts_with(selector)).collect();
            return (!found.is_empty()).then_some(found);
        }
        match self.index_of(selector) {
            Some(i) => Some(vec![i]),
            None => self.rules.is_off(selector).then(Vec::new),
        }
    }
}

impl PartialEq for CustomRegistry {
    fn eq(&self, other: &Self) -> bool {
        let digests = |r: &CustomRegistry| r.rules.rules().iter().map(|i| i.digest).collect::<Vec<_>>();
        self.ids == other.ids && digests(self) == digests(other)
    }
}

impl Eq for CustomRegistry {}

impl std::hash::Hash for CustomRegistry {
    /// Nothing: see the type's documentation.
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// The rules one file is checked with: built-in rules after per-path ignores, and the
/// custom rules of its language that are selected, not ignored for its path, and whose
/// `files`/`ignores` accept it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Selection {
    pub rules: RuleSet,
    /// Indices into the custom rules, ascending.
    pub custom: Vec<usize>,
    /// The part of a file's cache key that the custom rules decide, 0 when the project has
    /// none: the digest of the rules it runs ([`CustomRules::digest_of`]) and of every
    /// custom ID, since a suppression comment in any file may name any custom rule
    /// (`debt/unknown-suppression` depends on which exist). Editing a rule keeps the IDs,
    /// so it re-checks only the files the rule runs on; adding, removing or renaming one
    /// re-checks every file.
    pub custom_digest: u64,
}

impl Selection {
    pub fn new(rules: RuleSet, custom: Vec<usize>, registry: &CustomRegistry) -> Selection {
        let custom_digest = match registry.names {
            0 => 0,
            names => xxhash_rust::xxh3::xxh3_64_with_seed(
                &registry.rules().digest_of(&custom).to_le_bytes(),
                names,
            ),
        };
        Selection { rules, custom, custom_digest }
    }

    /// Whether a built-in rule of the selection checks files of `lang`, or a custom rule
    /// runs (the custom rules of a file's selection are those of its language).
    pub fn checks(&self, lang: debtctl_syntax::Language) -> bool {
        self.rules.iter().any(|r| r.checks(lang)) || !self.custom.is_empty()
    }

    pub fn contains_custom(&self, index: usize) -> bool {
        self.custom.binary_search(&index).is_ok()
    }

    pub fn contains(&self, key: RuleKey) -> bool {
        match key {
            RuleKey::Builtin(rule) => self.rules.contains(rule),
            RuleKey::Custom(index) => self.contains_custom(index),
        }
    }
}

impl From<RuleSet> for Selection {
    fn from(rules: RuleSet) -> Selection {
        Selection { rules, custom: Vec::new(), custom_digest: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_source, Language, LinterSettings};
    use debtctl_diagnostics::Finding;

    fn settings(rules: &str) -> (LinterSettings, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("rules")).unwrap();
        std::fs::write(dir.path().join("rules/r.yml"), rules).unwrap();
        let custom = CustomRules::load(dir.path(), &[std::path::PathBuf::from("rules")], &|_| None).unwrap();
        let settings = LinterSettings { custom: CustomRegistry::new(custom), ..LinterSettings::default() };
        (settings, dir)
    }

    fn check(settings: &LinterSettings, lang: Language, source: &str) -> Vec<Finding> {
        let all: Vec<usize> = settings.custom.rules().of_language(lang).to_vec();
        let selection = Selection::new(settings.rules, all, &settings.custom);
        check_source("f", lang, source, selection, settings).findings
    }

    /// A YAML stream is matched document by document, on the trees the YAML rules use,
    /// with the positions of the whole file.
    #[test]
    fn yaml_documents_are_matched_with_file_positions() {
        let (s, _dir) = settings(
            "id: acme/latest\nlanguage: yaml\nmessage: $IMG\nrule:\n  pattern: 'image: $IMG'\nconstraints:\n  IMG:\n    regex: ':latest$'\n",
        );
        let source = "a: 1\nimage: x:latest\n---\nb: 2\nimage: y:1\n---\nimage: z:latest\n";
        let got: Vec<(u32, String)> = check(&s, Language::Yaml, source)
            .into_iter()
            .filter(|f| f.rule == "acme/latest")
            .map(|f| (f.line, f.message))
            .collect();
        assert_eq!(got, [(2, "x:latest".to_string()), (7, "z:latest".to_string())]);
    }

    /// Custom findings get the enclosing scope like built-in ones: the same code in two
    /// functions has two fingerprints; a prefix with `-` names the rule in a suppression.
    #[test]
    fn scope_and_suppression_of_custom_findings() {
        let (s, _dir) =
            settings("id: my-team/no-print\nlanguage: python\nmessage: print\nrule:\n  pattern: print($A)\n");
        let source = "def f():\n    print(1)\n\ndef g():\n    print(1)\n    print(1)  # debtctl:ignore my-team/ reason\n";
        let found = check(&s, Language::Python, source);
        let prints: Vec<&Finding> = found.iter().filter(|f| f.rule == "my-team/no-print").collect();
        assert_eq!(prints.len(), 2, "{found:?}");
        assert_ne!(prints[0].fingerprint, prints[1].fingerprint);
        assert!(found.iter().all(|f| f.rule != "debt/unknown-suppression"), "{found:?}");
    }

    /// A rule not in the file's selection does not run; interning gives one string per ID.
    #[test]
    fn only_selected_rules_run_and_ids_are_interned_once() {
        let (s, _dir) = settings("id: acme/p\nlanguage: python\nmessage: p\nrule:\n  pattern: print($A)\n");
        let none = Selection::new(s.rules, Vec::new(), &s.custom);
        assert!(check_source("f", Language::Python, "print(1)\n", none, &s).findings.is_empty());
        assert_eq!(check(&s, Language::Python, "print(1)\n").len(), 1);
        let again = CustomRegistry::new(s.custom.rules().clone());
        assert!(std::ptr::eq(again.id(0), s.custom.id(0)), "a reload reuses the interned ID");
    }

    /// A Helm template is matched on its masked text; a fix is offered only where the
    /// match holds no template action, so a fix never writes the masking back.
    #[test]
    fn helm_fixes_never_touch_masked_actions() {
        let (s, _dir) = settings(
            "id: acme/latest\nlanguage: yaml\nmessage: latest\nrule:\n  pattern: 'image: $IMG'\nconstraints:\n  IMG:\n    regex: ':latest$'\nfix: 'image: pinned'\n",
        );
        let source = "a:\n  image: nginx:latest\nb:\n  image: {{ .Values.repo }}:latest\n";
        let found = check(&s, Language::HelmTemplate, source);
        let got: Vec<(u32, bool)> =
            found.iter().filter(|f| f.rule == "acme/latest").map(|f| (f.line, f.fix.is_some())).collect();
        assert_eq!(got, [(2, true), (4, false)], "{found:?}");
    }
}
