use crate::custom::{CustomRegistry, RuleKey};
use crate::registry::{Rule, RuleSet};
use crate::tickets::TicketPatterns;
use debtctl_diagnostics::Severity;
use std::collections::BTreeMap;

/// What the linter needs to know beyond the file itself: which rules run, and the
/// per-rule severity and cost that config may override.
///
/// Every setting that can change a file's findings belongs here, and every field takes
/// part in [`LinterSettings::cache_key`] through the derived `Hash`: a new field must be
/// hashable (ordered maps, not `HashMap`) and is then in every cache key by itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinterSettings {
    pub rules: RuleSet,
    pub severity: BTreeMap<Rule, Severity>,
    pub debt_minutes: BTreeMap<Rule, u32>,
    /// The `[go]` options of the config.
    pub go: GoSettings,
    /// Peers' suppression comments (`//nolint:errcheck`, `# noqa: B006`) suppress the
    /// equivalent rule (`honor-peer-suppressions`, default true).
    pub honor_peer_suppressions: bool,
    /// Which words name a ticket (`ticket-patterns`): `debt/todo` findings carry one.
    pub tickets: TicketPatterns,
    /// The custom rules (`rule-dirs`); their part of a file's key is per file (see
    /// [`CustomRegistry`]).
    pub custom: CustomRegistry,
    /// `[rules."acme/x"]` overrides of custom rules, by ID.
    pub custom_severity: BTreeMap<String, Severity>,
    pub custom_debt_minutes: BTreeMap<String, u32>,
}

/// Options of the Go rules (`[go]` in `debtctl.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GoSettings {
    /// `go/ignored-error` also checks calls in `defer` statements.
    pub check_deferred: bool,
    /// `go/ignored-error` checks `_test.go` files.
    pub tests: bool,
    /// `go/cgo-leak`: C functions (called as `C.name`) that take ownership of the memory
    /// passed to them.
    pub cgo_owning_functions: Vec<String>,
    /// `go/ignored-error` also flags an error assigned to `_` (errcheck's `-blank`).
    pub check_blank: bool,
    /// Functions `go/ignored-error` never flags, in errcheck's `-exclude` syntax
    /// (`io.Copy`, `(*net/http.Server).Shutdown`, `(io.Closer).Close`).
    pub exclude_functions: Vec<String>,
}

impl Default for GoSettings {
    fn default() -> Self {
        GoSettings {
            check_deferred: false,
            tests: true,
            cgo_owning_functions: Vec::new(),
            check_blank: false,
            exclude_functions: Vec::new(),
        }
    }
}

impl Default for LinterSettings {
    fn default() -> Self {
        let mut rules = RuleSet::all();
        rules.remove(Rule::DebtUnusedSuppression);
        LinterSettings {
            rules,
            severity: BTreeMap::new(),
            debt_minutes: BTreeMap::new(),
            go: GoSettings::default(),
            honor_peer_suppressions: true,
            tickets: TicketPatterns::default(),
            custom: CustomRegistry::default(),
            custom_severity: BTreeMap::new(),
            custom_debt_minutes: BTreeMap::new(),
        }
    }
}

impl LinterSettings {
    pub fn severity_of(&self, rule: Rule) -> Severity {
        self.severity.get(&rule).copied().unwrap_or(rule.meta().severity)
    }

    pub fn debt_of(&self, rule: Rule) -> u32 {
        self.debt_minutes.get(&rule).copied().unwrap_or(rule.meta().debt_minutes)
    }

    /// The severity of a built-in or custom rule: the config's override, else the rule's.
    pub fn severity_of_key(&self, key: RuleKey) -> Severity {
        match key {
            RuleKey::Builtin(rule) => self.severity_of(rule),
            RuleKey::Custom(i) => {
                let id = self.custom.id(i);
                self.custom_severity.get(id).copied().unwrap_or(self.custom.rules().rules()[i].severity)
            }
        }
    }

    /// The debt in minutes of a built-in or custom rule: the config's override, else the
    /// rule's (`metadata.debt_minutes`).
    pub fn debt_of_key(&self, key: RuleKey) -> u32 {
        match key {
            RuleKey::Builtin(rule) => self.debt_of(rule),
            RuleKey::Custom(i) => {
                let id = self.custom.id(i);
                self.custom_debt_minutes
                    .get(id)
                    .copied()
                    .unwrap_or(self.custom.rules().rules()[i].debt_minutes)
            }
        }
    }

    /// A digest of everything that decides what a file's findings are, bar the file's own
    /// rule set after per-path ignores, which each cache keeps in its entries: debtctl's
    /// version, a digest of the sources it was built from, and every field of the settings.
    pub fn cache_key(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        BUILD.hash(&mut h);
        self.hash(&mut h);
        h.finish()
    }
}

/// The version and the digest of the sources of this build (see `build.rs`).
const BUILD: (&str, &str) = (env!("CARGO_PKG_VERSION"), env!("DEBTCTL_BUILD_DIGEST"));

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: results cached under one setting were served under another. Every field
    /// must move the key; a change of the per-file rule set moves the file key.
    #[test]
    fn every_setting_changes_the_key() {
        let base = LinterSettings::default();
        let mut variants = Vec::new();
        let mut s = base.clone();
        s.rules.remove(Rule::DebtTodo);
        variants.push(s);
        let mut s = base.clone();
        s.severity.insert(Rule::DebtTodo, Severity::Error);
        variants.push(s);
        let mut s = base.clone();
        s.debt_minutes.insert(Rule::DebtTodo, 1);
        variants.push(s);
        let mut s = base.clone();
        s.go.check_deferred = !s.go.check_deferred;
        variants.push(s);
        let mut s = base.clone();
        s.go.tests = !s.go.tests;
        variants.push(s);
        let mut s = base.clone();
        s.honor_peer_suppressions = !s.honor_peer_suppressions;
        variants.push(s);
        let mut s = base.clone();
        s.custom_severity.insert("acme/x".into(), Severity::Error);
        variants.push(s);
        let mut s = base.clone();
        s.custom_debt_minutes.insert("acme/x".into(), 1);
        variants.push(s);
        let mut keys: Vec<u64> = variants.iter().map(LinterSettings::cache_key).collect();
        keys.push(base.cache_key());
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n, "two settings share a key");
        assert_eq!(base.cache_key(), LinterSettings::default().cache_key(), "the key is stable");
    }
}
