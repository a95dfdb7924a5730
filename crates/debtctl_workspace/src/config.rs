//! `debtctl.toml`: its format (described by `schemas/config.schema.json`), where it is found,
//! and how it is read. Unknown keys and unknown rule IDs are errors that name them.

use crate::WorkspaceError;
use debtctl_linter::TicketPatterns;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const CONFIG_NAME: &str = "debtctl.toml";

/// The contents of `debtctl.toml`. Every key is optional; command-line flags override it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "debtctl configuration (debtctl.toml)")]
pub struct Config {
    /// Rules to run, by ID, by prefix (`py/`) or `ALL`. Default: every rule except
    /// `debt/unused-suppression`.
    pub select: Option<Vec<String>>,
    /// Rules not to run, by ID or prefix.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Globs (gitignore syntax, relative to this file's directory) of files and directories
    /// not to scan, on top of `.gitignore` and the default `vendor/`, `node_modules/` and
    /// `third_party/`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Report suppression comments that suppress nothing (`debt/unused-suppression`).
    #[serde(default)]
    pub report_unused_suppressions: bool,
    /// Honour other tools' suppression comments for the equivalent rule, so that a
    /// codebase moving from them keeps its decisions: golangci-lint's `//nolint:errcheck`
    /// (also `govet`, `shadow`, `errorlint`, `bodyclose`, and a bare `//nolint` for every
    /// `go/` rule), ruff's and flake8's `# noqa: B006` (also `B904`, `S110`, `BLE001`,
    /// `E722`, `SIM115`, and a bare `# noqa` for every `py/` rule). Default: true.
    pub honor_peer_suppressions: Option<bool>,
    /// The lowest severity that makes `scan` exit 1. Default: `info` (every finding).
    pub fail_on: Option<SeverityName>,
    /// Per-rule severity and cost, by rule ID.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
    /// Globs (relative to this file's directory) mapped to the rules (IDs or prefixes) not
    /// to run on matching files.
    #[serde(default)]
    pub per_path_ignores: BTreeMap<String, Vec<String>>,
    /// Options of the Go rules.
    #[serde(default)]
    pub go: GoConfig,
    /// A ticket's web page, `{key}` standing for its key
    /// (`https://tracker.example/browse/{key}`) and `{NAME}` for the group NAME of the
    /// ticket pattern that matched it (`https://github.com/o/r/issues/{number}`): the
    /// dashboard links ticket keys to it.
    pub ticket_url: Option<String>,
    /// Regular expressions (Rust `regex` syntax) that find ticket keys: in comments, where
    /// `debt/todo` findings carry the first of their line, and in commit messages, which
    /// the ledger reads. The whole match is the key; a named group is a placeholder of
    /// `ticket-url`, as `#(?P<number>[0-9]+)` gives GitHub's `#123` a `{number}`. Default:
    /// `['\b[A-Z][A-Z0-9]+-[0-9]+\b']` (Jira-style keys such as `PAY-142`); standards
    /// such as `UTF-8` and `SHA-256` are never keys; an empty list finds none.
    pub ticket_patterns: Option<Vec<String>>,
    /// Options of `debtctl gate`.
    #[serde(default)]
    pub gate: GateConfig,
    /// Directories (relative to this file's directory) of custom rules: every
    /// `*.yml`/`*.yaml` below them holds rules in ast-grep's rule format, with debtctl's
    /// own `metadata.debt_minutes` and `metadata.ticket`. Default: `.debtctl/rules` when
    /// that directory exists. A directory named here must exist.
    pub rule_dirs: Option<Vec<PathBuf>>,
    /// Directories (relative to this file's directory) of the custom rules' tests in
    /// ast-grep's rule-test format (`id`, `valid`, `invalid`), run by `debtctl test-rules`.
    /// Default: `.debtctl/rule-tests` when that directory exists.
    pub rule_test_dirs: Option<Vec<PathBuf>>,
}

/// `[gate]`: options of `debtctl gate`; its flags override them.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GateConfig {
    /// The revision to compare with (`--base`). Default: the merge base of HEAD with its
    /// upstream branch. A trailing `...` (`origin/main...`) means the merge base with it.
    pub base: Option<String>,
    /// A new finding of this severity or above fails the gate, unless `budget` covers it;
    /// new findings below it are reported and never fail. Default: `warning`.
    pub fail_on: Option<SeverityName>,
    /// Minutes of new debt at or above `fail-on` that may pass. Default: 0.
    pub budget: Option<u64>,
}

/// `[go]`: options of the Go rules.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GoConfig {
    /// `go/ignored-error` also checks calls in `defer` statements (`defer f.Close()`).
    #[serde(default)]
    pub check_deferred: bool,
    /// `go/ignored-error` checks `_test.go` files.
    #[serde(default = "yes")]
    pub tests: bool,
    /// `go/cgo-leak`: C functions, by name as called (`sqlite3_result_text` for
    /// `C.sqlite3_result_text`), that take ownership of the memory passed to them, so an
    /// allocation handed to one is not reported. Functions of the package's own cgo
    /// preamble that pass a parameter on with `free` as its destructor are known without
    /// this. Default: none.
    #[serde(default)]
    pub cgo_owning_functions: Vec<String>,
    /// `go/ignored-error` also flags an error assigned to the blank identifier
    /// (`_ = f.Close()`, `n, _ := w.Write(b)`), as errcheck's `-blank` does. By default an
    /// explicit `_` is a deliberate discard.
    #[serde(default)]
    pub check_blank: bool,
    /// Functions and methods whose errors `go/ignored-error` never reports, in errcheck's
    /// `-exclude` syntax (golangci-lint's `exclude-functions`): `io.Copy`,
    /// `(*net/http.Server).Shutdown`, `(io.Closer).Close`, import paths in full.
    #[serde(default)]
    pub exclude_functions: Vec<String>,
}

impl Default for GoConfig {
    fn default() -> Self {
        GoConfig {
            check_deferred: false,
            tests: true,
            cgo_owning_functions: Vec::new(),
            check_blank: false,
            exclude_functions: Vec::new(),
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleConfig {
    pub severity: Option<SeverityName>,
    /// Remediation cost in minutes, summed into debt.
    pub debt_minutes: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeverityName {
    Info,
    Warning,
    Error,
}

impl From<SeverityName> for debtctl_diagnostics::Severity {
    fn from(s: SeverityName) -> Self {
        match s {
            SeverityName::Info => debtctl_diagnostics::Severity::Info,
            SeverityName::Warning => debtctl_diagnostics::Severity::Warning,
            SeverityName::Error => debtctl_diagnostics::Severity::Error,
        }
    }
}

/// Checks a `ticket-url` against the ticket patterns: an `http://` or `https://` URL with
/// at least one placeholder, each `{key}` or a named group of a pattern (`{number}`).
pub fn check_ticket_url(url: &str, tickets: &TicketPatterns) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("ticket-url `{url}` must be an http(s) URL containing {{key}}"));
    }
    let names: Vec<&str> = tickets.group_names().collect();
    let mut placeholders = 0;
    for part in url.split('{').skip(1) {
        let Some((name, _)) = part.split_once('}') else { continue };
        if name != "key" && !names.contains(&name) {
            let known: Vec<String> = std::iter::once("{key}".to_string())
                .chain(names.iter().map(|n| format!("{{{n}}}")))
                .collect();
            return Err(format!(
                "ticket-url `{url}`: no ticket pattern has a group named `{name}` (placeholders: {})",
                known.join(", ")
            ));
        }
        placeholders += 1;
    }
    if placeholders == 0 {
        return Err(format!("ticket-url `{url}` must be an http(s) URL containing {{key}}"));
    }
    Ok(())
}

/// The nearest `debtctl.toml` at or above `start` (a file's directory, or a directory).
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let mut dir = if start.is_dir() { Some(start.as_path()) } else { start.parent() };
    while let Some(d) = dir {
        let candidate = d.join(CONFIG_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Reads and parses a config file; errors are one line naming the file, line and column.
pub fn load_config(path: &Path) -> Result<Config, WorkspaceError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| WorkspaceError::ConfigRead { path: path.to_path_buf(), source })?;
    parse_config(path, &text)
}

pub fn parse_config(path: &Path, text: &str) -> Result<Config, WorkspaceError> {
    toml::from_str(text).map_err(|err| {
        let location = err.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(":{line}:{col}")
        });
        WorkspaceError::Config {
            path: path.to_path_buf(),
            location: location.unwrap_or_default(),
            message: err.message().replace('\n', " "),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_one_line_naming_it() {
        let err = parse_config(Path::new("debtctl.toml"), "select = [\"py/\"]\nbogus = 1\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bogus"), "{text}");
        assert!(text.contains("debtctl.toml:2:1"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn go_table_parses_with_defaults_and_rejects_unknown_keys() {
        let cfg = parse_config(Path::new("x"), "[go]\ncheck-deferred = true\n").unwrap();
        assert!(cfg.go.check_deferred);
        assert!(cfg.go.tests, "tests defaults to true");
        assert!(!Config::default().go.check_deferred);
        let err = parse_config(Path::new("x"), "[go]\nbogus = 1\n").unwrap_err();
        assert!(err.to_string().contains("bogus"));
    }

    #[test]
    fn go_check_blank_and_exclude_functions() {
        let cfg = parse_config(
            Path::new("x"),
            "[go]\ncheck-blank = true\nexclude-functions = [\"io.Copy\", \"(io.Closer).Close\"]\n",
        )
        .unwrap();
        assert!(cfg.go.check_blank);
        assert_eq!(cfg.go.exclude_functions, ["io.Copy", "(io.Closer).Close"]);
        let default = Config::default();
        assert!(!default.go.check_blank, "an explicit `_` is not flagged by default");
        assert!(default.go.exclude_functions.is_empty());
    }

    #[test]
    fn gate_table_parses_and_rejects_unknown_keys() {
        let cfg = parse_config(
            Path::new("x"),
            "[gate]\nbase = \"origin/main\"\nfail-on = \"error\"\nbudget = 30\n",
        )
        .unwrap();
        assert_eq!(cfg.gate.base.as_deref(), Some("origin/main"));
        assert_eq!(cfg.gate.fail_on, Some(SeverityName::Error));
        assert_eq!(cfg.gate.budget, Some(30));
        assert!(Config::default().gate.base.is_none());
        let err = parse_config(Path::new("x"), "[gate]\nbudjet = 1\n").unwrap_err();
        assert!(err.to_string().contains("budjet"));
    }

    #[test]
    fn ticket_urls_name_known_placeholders() {
        let github = TicketPatterns::new(&["#(?P<number>[0-9]+)".to_string()]).unwrap();
        let ok = |url: &str, t: &TicketPatterns| check_ticket_url(url, t);
        assert_eq!(ok("https://github.com/o/r/issues/{number}", &github), Ok(()));
        assert_eq!(ok("https://tracker.example/browse/{key}", &TicketPatterns::default()), Ok(()));
        let err = ok("https://github.com/o/r/issues/{number}", &TicketPatterns::default()).unwrap_err();
        assert!(err.contains("no ticket pattern has a group named `number`"), "{err}");
        assert!(ok("javascript:alert(1)//{key}", &github).unwrap_err().contains("http(s)"));
        assert!(ok("https://tracker.example/", &github).unwrap_err().contains("containing {key}"));
        let cfg = parse_config(
            Path::new("x"),
            "ticket-patterns = ['#(?P<number>[0-9]+)', '\\b[A-Z]+-[0-9]+\\b']\nticket-url = \"https://github.com/o/r/issues/{number}\"\n",
        )
        .unwrap();
        assert_eq!(cfg.ticket_patterns.unwrap()[1], r"\b[A-Z]+-[0-9]+\b");
    }

    #[test]
    fn full_config_parses() {
        let cfg = parse_config(
            Path::new("x"),
            r#"
select = ["py/", "debt/todo"]
ignore = ["py/raise-without-from"]
exclude = ["gen/**"]
report-unused-suppressions = true
fail-on = "warning"
[rules."py/mutable-default-arg"]
severity = "error"
debt-minutes = 20
[per-path-ignores]
"tests/**" = ["py/open-without-with"]
"#,
        )
        .unwrap();
        assert_eq!(cfg.rules["py/mutable-default-arg"].debt_minutes, Some(20));
        assert_eq!(cfg.fail_on, Some(SeverityName::Warning));
        assert_eq!(cfg.per_path_ignores["tests/**"], ["py/open-without-with"]);
    }
}
