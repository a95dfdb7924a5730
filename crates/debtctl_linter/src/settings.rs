use crate::registry::{Rule, RuleSet};
use crate::tickets::TicketPatterns;
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
    /// Which words name a ticket (`ticket-patterns`): `debt/todo` findings carry one.
    pub tickets: TicketPatterns,
}

/// Options of the Go rules (`[go]` in `debtctl.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoSettings {
    /// `go/ignored-error` also checks calls in `defer` statements.
    pub check_deferred: bool,
    /// `go/ignored-error` checks `_test.go` files.
    pub tests: bool,
}

impl Default for GoSettings {
    fn default() -> Self {
        GoSettings { check_deferred: false, tests: true }
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
            tickets: TicketPatterns::default(),
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
        self.tickets.hash(&mut h);
        h.finish()
    }
}
