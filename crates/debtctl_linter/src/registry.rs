//! The one registry of rules: a hand-written line per rule, in the manner of ruff's
//! `codes.rs`. A rule's metadata and documentation live in `rules/<prefix>/<slug>.md` and
//! are compiled in, so an installed binary needs no files beside it.

use debtctl_diagnostics::{Applicability, Severity};
use debtctl_syntax::Language;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    // Go rules: insert here, in the same order as in ENTRIES.
    GoIgnoredError,
    GoShadow,
    GoErrorWrapVerb,
    GoCgoLeak,
    GoAppendAlias,
    GoDeferInLoop,
    GoUnclosedBody,
    GoUntestedController,
    GoModuleMajorSuffix,
    // YAML rules (k8s/, helm/): insert here, in the same order as in ENTRIES.
    K8sMissingProbe,
    HelmHardcodedSecret,
    PyMutableDefaultArg,
    PySwallowedException,
    PyRaiseWithoutFrom,
    PyCtypesLeak,
    PyOpenWithoutWith,
    DebtTodo,
    DebtUnknownSuppression,
    DebtUnusedSuppression,
}

struct Entry {
    rule: Rule,
    id: &'static str,
    doc: &'static str,
}

macro_rules! doc {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/", $path))
    };
}

// One line per rule. The order is the order of `debtctl rules`.
#[rustfmt::skip]
static ENTRIES: &[Entry] = &[
    // Go rules: insert here.
    Entry { rule: Rule::GoIgnoredError, id: "go/ignored-error", doc: doc!("go/ignored-error.md") },
    Entry { rule: Rule::GoShadow, id: "go/shadow", doc: doc!("go/shadow.md") },
    Entry { rule: Rule::GoErrorWrapVerb, id: "go/error-wrap-verb", doc: doc!("go/error-wrap-verb.md") },
    Entry { rule: Rule::GoCgoLeak, id: "go/cgo-leak", doc: doc!("go/cgo-leak.md") },
    Entry { rule: Rule::GoAppendAlias, id: "go/append-alias", doc: doc!("go/append-alias.md") },
    Entry { rule: Rule::GoDeferInLoop, id: "go/defer-in-loop", doc: doc!("go/defer-in-loop.md") },
    Entry { rule: Rule::GoUnclosedBody, id: "go/unclosed-body", doc: doc!("go/unclosed-body.md") },
    Entry { rule: Rule::GoUntestedController, id: "go/untested-controller", doc: doc!("go/untested-controller.md") },
    Entry { rule: Rule::GoModuleMajorSuffix, id: "go/module-major-suffix", doc: doc!("go/module-major-suffix.md") },
    // YAML rules (k8s/, helm/): insert here.
    Entry { rule: Rule::K8sMissingProbe, id: "k8s/missing-probe", doc: doc!("k8s/missing-probe.md") },
    Entry { rule: Rule::HelmHardcodedSecret, id: "helm/hardcoded-secret", doc: doc!("helm/hardcoded-secret.md") },
    Entry { rule: Rule::PyMutableDefaultArg, id: "py/mutable-default-arg", doc: doc!("py/mutable-default-arg.md") },
    Entry { rule: Rule::PySwallowedException, id: "py/swallowed-exception", doc: doc!("py/swallowed-exception.md") },
    Entry { rule: Rule::PyRaiseWithoutFrom, id: "py/raise-without-from", doc: doc!("py/raise-without-from.md") },
    Entry { rule: Rule::PyCtypesLeak, id: "py/ctypes-leak", doc: doc!("py/ctypes-leak.md") },
    Entry { rule: Rule::PyOpenWithoutWith, id: "py/open-without-with", doc: doc!("py/open-without-with.md") },
    Entry { rule: Rule::DebtTodo, id: "debt/todo", doc: doc!("debt/todo.md") },
    Entry { rule: Rule::DebtUnknownSuppression, id: "debt/unknown-suppression", doc: doc!("debt/unknown-suppression.md") },
    Entry { rule: Rule::DebtUnusedSuppression, id: "debt/unused-suppression", doc: doc!("debt/unused-suppression.md") },
];

/// A rule's metadata, read from the front matter of its documentation.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub rule: Rule,
    pub id: &'static str,
    pub severity: Severity,
    pub debt_minutes: u32,
    pub summary: String,
    /// The applicability of the rule's fix, if it has one.
    pub fix: Option<Applicability>,
    /// The documentation without its front matter: What it does, Why is this bad?, ...
    pub doc: &'static str,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    severity: String,
    debt_minutes: u32,
    summary: String,
    fix: String,
}

static META: LazyLock<Vec<RuleMeta>> = LazyLock::new(|| {
    ENTRIES
        .iter()
        .enumerate()
        .map(|(i, e)| {
            assert_eq!(e.rule as usize, i, "registry order must follow the Rule enum");
            parse_doc(e).unwrap_or_else(|err| panic!("rules doc of {}: {err}", e.id))
        })
        .collect()
});

fn parse_doc(e: &Entry) -> Result<RuleMeta, String> {
    let rest = e.doc.strip_prefix("+++\n").ok_or("no `+++` front matter")?;
    let (front, body) = rest.split_once("\n+++\n").ok_or("front matter is not closed")?;
    let fm: FrontMatter = toml::from_str(front).map_err(|err| err.to_string())?;
    if fm.id != e.id {
        return Err(format!("front matter names `{}`", fm.id));
    }
    let severity = Severity::parse(&fm.severity).ok_or("bad severity")?;
    let fix = match fm.fix.as_str() {
        "none" => None,
        other => Some(Applicability::parse(other).ok_or("bad fix applicability")?),
    };
    Ok(RuleMeta {
        rule: e.rule,
        id: e.id,
        severity,
        debt_minutes: fm.debt_minutes,
        summary: fm.summary,
        fix,
        doc: body.trim_start_matches('\n'),
    })
}

impl Rule {
    pub fn id(self) -> &'static str {
        ENTRIES[self as usize].id
    }

    pub fn meta(self) -> &'static RuleMeta {
        &META[self as usize]
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        ENTRIES.iter().find(|e| e.id == id).map(|e| e.rule)
    }

    /// Whether the rule checks files of `lang`. A file that no selected rule checks is not
    /// read at all: `--select go/` reads the Go files, not the YAML beside them.
    pub fn checks(self, lang: Language) -> bool {
        match self {
            Rule::GoIgnoredError
            | Rule::GoShadow
            | Rule::GoErrorWrapVerb
            | Rule::GoCgoLeak
            | Rule::GoAppendAlias
            | Rule::GoDeferInLoop
            | Rule::GoUnclosedBody
            | Rule::GoUntestedController => lang == Language::Go,
            Rule::GoModuleMajorSuffix => lang == Language::GoMod,
            // Workloads are found in plain manifests and in chart templates alike.
            Rule::K8sMissingProbe => matches!(lang, Language::Yaml | Language::HelmTemplate),
            Rule::HelmHardcodedSecret => lang == Language::HelmTemplate,
            Rule::PyMutableDefaultArg
            | Rule::PySwallowedException
            | Rule::PyRaiseWithoutFrom
            | Rule::PyCtypesLeak
            | Rule::PyOpenWithoutWith => lang == Language::Python,
            // Markers and suppression comments are in files of every language.
            Rule::DebtTodo | Rule::DebtUnknownSuppression | Rule::DebtUnusedSuppression => true,
        }
    }

    /// Every rule, in registry order.
    pub fn all() -> impl Iterator<Item = Rule> {
        ENTRIES.iter().map(|e| e.rule)
    }
}

/// All rules' metadata, in registry order.
pub fn all_meta() -> &'static [RuleMeta] {
    &META
}

/// A set of rules, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RuleSet(u64);

impl RuleSet {
    pub fn empty() -> RuleSet {
        RuleSet(0)
    }
    pub fn all() -> RuleSet {
        Rule::all().collect()
    }
    pub fn contains(self, rule: Rule) -> bool {
        self.0 & (1 << rule as u32) != 0
    }
    pub fn insert(&mut self, rule: Rule) {
        self.0 |= 1 << rule as u32;
    }
    pub fn remove(&mut self, rule: Rule) {
        self.0 &= !(1 << rule as u32);
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Rule> {
        Rule::all().filter(move |r| self.contains(*r))
    }
    pub fn bits(self) -> u64 {
        self.0
    }
}

impl FromIterator<Rule> for RuleSet {
    fn from_iter<I: IntoIterator<Item = Rule>>(iter: I) -> RuleSet {
        let mut set = RuleSet::empty();
        for r in iter {
            set.insert(r);
        }
        set
    }
}

/// The rules a selector names: an exact ID, a prefix ending in `/` (`py/`), or `ALL`.
/// `None` when it names no rule at all.
pub fn select(selector: &str) -> Option<RuleSet> {
    let set: RuleSet = if selector == "ALL" {
        RuleSet::all()
    } else if selector.ends_with('/') {
        Rule::all().filter(|r| r.id().starts_with(selector)).collect()
    } else {
        Rule::from_id(selector).into_iter().collect()
    };
    (!set.is_empty()).then_some(set)
}

/// The selectors nearest to one that names no rule, best first, for "did you mean":
/// the rule whose slug it is (`mutable-default-arg`), the prefix it spells without its
/// slash (`go`), else the IDs and prefixes that it nearly spells (Jaro-Winkler similarity
/// of at least 0.85, case-insensitively). Empty when nothing is near.
pub fn suggest(selector: &str) -> Vec<&'static str> {
    suggest_among(selector, &[])
}

/// [`suggest`] among the built-in rules and the custom rule IDs `custom` (and their
/// prefixes).
pub fn suggest_among(selector: &str, custom: &[&'static str]) -> Vec<&'static str> {
    let wanted = selector.trim().to_lowercase();
    let ids = all_meta().iter().map(|m| m.id).chain(custom.iter().copied());
    let slugs: Vec<&'static str> =
        ids.clone().filter(|id| id.split_once('/').is_some_and(|(_, slug)| slug == wanted)).collect();
    if !slugs.is_empty() {
        return slugs;
    }
    let mut candidates: Vec<&'static str> = vec!["ALL"];
    for id in ids.clone() {
        let prefix = &id[..=id.find('/').unwrap_or(0)];
        if !candidates.contains(&prefix) {
            candidates.push(prefix);
        }
    }
    if let Some(p) = candidates.iter().find(|p| p.strip_suffix('/') == Some(wanted.as_str())) {
        return vec![p];
    }
    // A prefix for what looks like a prefix, an ID for what looks like an ID.
    if wanted.contains('/') {
        let prefix_like = wanted.ends_with('/');
        candidates.retain(|c| c.ends_with('/') == prefix_like);
    }
    if !wanted.ends_with('/') {
        candidates.extend(ids);
    }
    let mut scored: Vec<(f64, &'static str)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&wanted, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    // Only the near-ties of the best: a list of every rule of the language helps nobody.
    let best = scored.first().map_or(0.0, |s| s.0);
    scored.into_iter().take_while(|(score, _)| best - score < 0.03).take(3).map(|(_, c)| c).collect()
}

/// "; did you mean `X`?" (or "`X` or `Y`") for an unknown selector; empty when nothing is
/// near. Errors about unknown rule IDs end with it.
pub fn did_you_mean(selector: &str) -> String {
    did_you_mean_among(selector, &[])
}

/// [`did_you_mean`] among the built-in rules and the custom rule IDs `custom`.
pub fn did_you_mean_among(selector: &str, custom: &[&'static str]) -> String {
    let near = suggest_among(selector, custom);
    if near.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = near.iter().map(|s| format!("`{s}`")).collect();
    format!("; did you mean {}?", quoted.join(" or "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_doc_parses_and_ids_are_unique() {
        let mut ids: Vec<_> = all_meta().iter().map(|m| m.id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(n < 64, "RuleSet holds 64 rules");
    }

    #[test]
    fn selectors() {
        assert!(select("py/").unwrap().contains(Rule::PyCtypesLeak));
        assert!(!select("py/").unwrap().contains(Rule::DebtTodo));
        assert_eq!(select("debt/todo").unwrap().iter().count(), 1);
        assert!(select("py/nope").is_none());
        assert!(select("zz/").is_none());
    }

    /// Issue 16: an unknown rule ID said only "unknown rule"; it now names the nearest.
    #[test]
    fn near_misses_get_suggestions() {
        assert_eq!(suggest("py/swallowed"), ["py/swallowed-exception"]);
        assert_eq!(suggest("py/swallowed-exceptions"), ["py/swallowed-exception"]);
        assert_eq!(suggest("go/ignored-errors"), ["go/ignored-error"]);
        assert_eq!(suggest("mutable-default-arg"), ["py/mutable-default-arg"]);
        assert_eq!(suggest("go"), ["go/"]);
        assert_eq!(suggest("Py/Mutable-Default-Arg")[0], "py/mutable-default-arg");
        assert_eq!(suggest("all"), ["ALL"]);
        assert!(suggest("zz/").is_empty(), "{:?}", suggest("zz/"));
        assert!(suggest("py/nope").is_empty(), "{:?}", suggest("py/nope"));
        assert_eq!(suggest("pyy/"), ["py/"]);
        assert_eq!(did_you_mean("py/swallowed"), "; did you mean `py/swallowed-exception`?");
        assert_eq!(did_you_mean("qqqq"), "");
    }

    /// Issue 14: custom rule IDs and their prefixes are suggested like built-in ones.
    #[test]
    fn custom_ids_are_suggested() {
        let custom = ["acme/no-print", "acme/no-context-todo"];
        assert_eq!(suggest_among("acme/no-prnt", &custom), ["acme/no-print"]);
        assert_eq!(suggest_among("no-print", &custom), ["acme/no-print"]);
        assert_eq!(suggest_among("acme", &custom), ["acme/"]);
        assert!(suggest("acme/no-prnt").is_empty());
    }
}
