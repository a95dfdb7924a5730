//! The `--format json` document of `debtctl gate`: cli.md's findings document (the head's
//! findings in the compared files) plus the new and fixed lists and the gate's verdict.
//! Described by `schemas/gate.schema.json`.

use debtctl_diagnostics::{Finding, Severity, Summary, ToolInfo};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "debtctl gate report")]
pub struct GateReport {
    /// The format's version: 1.
    pub version: u32,
    pub tool: ToolInfo,
    /// The head's findings in the compared files (the changed files and, for Go, their
    /// packages), new and unchanged. Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    /// Counts over `findings`; `files` is the number of compared files of the head.
    pub summary: Summary,
    /// Findings of the head whose fingerprint the base does not have.
    pub new: Vec<Finding>,
    /// Findings of the base that the head no longer has (paths and lines as in the base,
    /// except that a renamed file carries its new path).
    pub fixed: Vec<Finding>,
    pub gate: GateInfo,
}

/// What was compared, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateInfo {
    /// The base as given (`--base`, the config's `[gate] base`, or the upstream's merge base).
    pub base: String,
    /// The base commit, 40 hex digits; `null` when the base has no commit (an unborn HEAD).
    pub base_commit: Option<String>,
    /// `worktree`, `index`, or the head revision as given.
    pub head: String,
    /// The head commit when the head is a revision.
    pub head_commit: Option<String>,
    pub passed: bool,
    /// A new finding of this severity or above fails the gate.
    pub fail_on: Severity,
    /// New debt above this many minutes fails the gate.
    pub budget_minutes: u64,
    pub new_findings: u64,
    pub new_debt_minutes: u64,
    pub fixed_findings: u64,
    pub fixed_debt_minutes: u64,
    /// New debt minus fixed debt, in minutes.
    pub delta_minutes: i64,
    /// Why the gate failed, one sentence each; empty when it passed.
    pub reasons: Vec<String>,
    /// Files analysed, and files whose findings came from the cache (both sides).
    pub analysed: u64,
    pub cached: u64,
}
