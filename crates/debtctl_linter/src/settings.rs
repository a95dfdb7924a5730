use crate::registry::{Rule, RuleSet};
use debtctl_diagnostics::Severity;
use std::collections::HashMap;

/// What the linter needs to know beyond the file itself: which rules run, and the
/// per-rule severity and cost that config may override.
#[derive(Debug, Clone)]
pub struct LinterSettings {
    pub rules: RuleSet,
    pub severity: HashMap<Rule, Severity>,
    pub debt_minutes: HashMap<Rule, u32>,
    /// The `[go]` options of the config.
    pub go: GoSettings,
}

/// Options of the Go rules (`[go]` in `debtctl.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GoSettings {
    /// `go/ignored-error` also checks calls in `defer` statements.
    pub check_deferred: bool,
    /// `go/ignored-error` checks `_test.go` files.
    pub tests: bool,
    /// `go/ignored-error` also flags an error assigned to `_` (errcheck's `-blank`).
    pub check_blank: bool,
    /// Functions `go/ignored-error` never flags, in errcheck's `-exclude` syntax
    /// (`io.Copy`, `(*net/http.Server).Shutdown`, `(io.Closer).Close`).
    pub exclude_functions: Vec<String>,
}

impl Default for GoSettings {
    fn default() -> Self {
        GoSettings { check_deferred: false, tests: true, check_blank: false, exclude_functions: Vec::new() }
    }
}

impl Default for LinterSettings {
    fn default() -> Self {
        let mut rules = RuleSet::all();
        rules.remove(Rule::DebtUnusedSuppression);
        LinterSettings {
            rules,
            severity: HashMap::new(),
            debt_minutes: HashMap::new(),
            go: GoSettings::default(),
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

    /// A stable digest of everything that changes what a file's findings are, for the
    /// result cache.
    pub fn cache_key(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        self.rules.hash(&mut h);
        let mut sev: Vec<_> = self.severity.iter().collect();
        sev.sort();
        sev.hash(&mut h);
        let mut debt: Vec<_> = self.debt_minutes.iter().collect();
        debt.sort();
        debt.hash(&mut h);
        self.go.hash(&mut h);
        h.finish()
    }
}
