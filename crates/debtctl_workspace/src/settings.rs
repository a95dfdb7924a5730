//! Settings for one run: the config file merged with command-line flags.

use crate::config::{find_config, load_config, Config, GateConfig};
use crate::WorkspaceError;
use debtctl_custom::CustomRules;
use debtctl_diagnostics::Severity;
use debtctl_linter::registry::select;
use debtctl_linter::{CustomRegistry, Language, LinterSettings, Rule, RuleSet, Selection, TicketPatterns};
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};

/// What the command line says, before it is merged with the config file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub exclude: Vec<String>,
    pub report_unused_suppressions: bool,
    pub fail_on: Option<Severity>,
}

#[derive(Debug)]
pub struct Settings {
    pub linter: LinterSettings,
    /// The directory of the config file, else the repository root, else the current
    /// directory: excludes and per-path ignores are relative to it, and the cache is in it.
    pub root: PathBuf,
    pub config_path: Option<PathBuf>,
    pub excludes: Gitignore,
    per_path: Vec<(GlobSet, Picked)>,
    /// Which custom rules are selected (by index), before per-path ignores.
    custom_on: Vec<bool>,
    pub fail_on: Severity,
    /// The custom rules of `rule-dirs`, loaded and validated before anything is scanned.
    pub custom: CustomRules,
    /// Where the custom rules were loaded from (`rule-dirs`), absolute; empty when none is
    /// configured and `.debtctl/rules` does not exist. The language server reloads the
    /// settings when a file below one changes.
    pub rule_dirs: Vec<PathBuf>,
    /// Where `debtctl test-rules` finds the custom rules' tests (`rule-test-dirs`),
    /// absolute; empty when none is configured and `.debtctl/rule-tests` does not exist.
    pub rule_test_dirs: Vec<PathBuf>,
    /// `[gate]`: the gate's defaults, which its flags override.
    pub gate: GateConfig,
}

impl Settings {
    /// Finds the config (from `--config`, else upward from the first path), reads it, and
    /// applies the flags on top.
    pub fn resolve(first_path: &Path, overrides: &Overrides) -> Result<Settings, WorkspaceError> {
        let config_path = match &overrides.config {
            Some(p) => Some(p.clone()),
            None => find_config(first_path),
        };
        let config = match &config_path {
            Some(p) => load_config(p)?,
            None => Config::default(),
        };
        let root = match &config_path {
            Some(p) => std::path::absolute(p)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or_else(|| PathBuf::from(".")),
            None => repo_root(first_path)
                .or_else(|| std::env::current_dir().ok())
                .unwrap_or_else(|| PathBuf::from(".")),
        };
        let origin = |what: &str| match &config_path {
            Some(p) => format!("{} ({what})", p.display()),
            None => what.to_string(),
        };

        // Loaded first: selectors and `[rules.ID]` may name custom rules.
        let rule_dirs = dirs_or_default(&root, config.rule_dirs.as_deref(), DEFAULT_RULE_DIR);
        let custom = CustomRules::load(&root, &rule_dirs, &reserved_id).map_err(|mut e| {
            // Shown as every other path is: relative to the current directory below it.
            let cwd = std::env::current_dir().ok();
            e.file = PathBuf::from(crate::engine::display_path(&e.file, cwd.as_deref()));
            if let Some(other) = &mut e.other_file {
                *other = PathBuf::from(crate::engine::display_path(other, cwd.as_deref()));
            }
            e
        })?;
        let registry = CustomRegistry::new(custom.clone());

        // Custom rules run by default, like the built-in ones; an explicit `select` runs
        // those it names (by ID, prefix or `ALL`).
        let picked = match (&overrides.select, &config.select) {
            (Some(cli), _) => select_all(cli, "--select", &registry)?,
            (None, Some(cfg)) => select_all(cfg, &origin("select"), &registry)?,
            (None, None) => {
                Picked { rules: LinterSettings::default().rules, custom: (0..registry.ids().len()).collect() }
            }
        };
        let mut rules = picked.rules;
        let mut custom_on = vec![false; registry.ids().len()];
        for i in picked.custom {
            custom_on[i] = true;
        }
        if overrides.report_unused_suppressions || config.report_unused_suppressions {
            rules.insert(Rule::DebtUnusedSuppression);
        }
        let ignored = [
            select_all(&config.ignore, &origin("ignore"), &registry)?,
            select_all(&overrides.ignore, "--ignore", &registry)?,
        ];
        for picked in ignored {
            for r in picked.rules.iter() {
                rules.remove(r);
            }
            for i in picked.custom {
                custom_on[i] = false;
            }
        }

        let mut linter = LinterSettings { rules, custom: registry.clone(), ..LinterSettings::default() };
        linter.go.check_deferred = config.go.check_deferred;
        linter.go.tests = config.go.tests;
        linter.honor_peer_suppressions = config.honor_peer_suppressions.unwrap_or(true);
        linter.go.cgo_owning_functions = config.go.cgo_owning_functions.clone();
        linter.go.check_blank = config.go.check_blank;
        linter.go.exclude_functions =
            exclusions(&config.go.exclude_functions, &origin("go.exclude-functions"))?;
        if let Some(patterns) = &config.ticket_patterns {
            linter.tickets = TicketPatterns::new(patterns).map_err(|source| {
                WorkspaceError::TicketPattern { origin: origin("ticket-patterns"), source }
            })?;
        }
        for (id, rc) in &config.rules {
            if registry.index_of(id).is_some() || custom.is_off(id) {
                if let Some(sev) = rc.severity {
                    linter.custom_severity.insert(id.clone(), sev.into());
                }
                if let Some(m) = rc.debt_minutes {
                    linter.custom_debt_minutes.insert(id.clone(), m);
                }
                continue;
            }
            let rule = Rule::from_id(id).ok_or_else(|| unknown_rule(id, &origin("rules"), &registry))?;
            if let Some(sev) = rc.severity {
                linter.severity.insert(rule, sev.into());
            }
            if let Some(m) = rc.debt_minutes {
                linter.debt_minutes.insert(rule, m);
            }
        }

        let mut excludes = GitignoreBuilder::new(&root);
        for glob in config.exclude.iter().chain(&overrides.exclude) {
            excludes
                .add_line(None, glob)
                .map_err(|e| WorkspaceError::Glob { glob: glob.clone(), message: e.to_string() })?;
        }
        let excludes = excludes
            .build()
            .map_err(|e| WorkspaceError::Glob { glob: String::new(), message: e.to_string() })?;

        let mut per_path = Vec::new();
        for (glob, ids) in &config.per_path_ignores {
            let g = Glob::new(glob)
                .map_err(|e| WorkspaceError::Glob { glob: glob.clone(), message: e.to_string() })?;
            let mut set = GlobSetBuilder::new();
            set.add(g);
            // `tests/**` also matches files at any depth below a `tests` directory.
            if !glob.contains('/') {
                if let Ok(g) = Glob::new(&format!("**/{glob}")) {
                    set.add(g);
                }
            }
            let set = set
                .build()
                .map_err(|e| WorkspaceError::Glob { glob: glob.clone(), message: e.to_string() })?;
            per_path.push((set, select_all(ids, &origin("per-path-ignores"), &registry)?));
        }

        let fail_on = overrides.fail_on.or(config.fail_on.map(Into::into)).unwrap_or(Severity::Info);
        let rule_test_dirs = dirs_or_default(&root, config.rule_test_dirs.as_deref(), DEFAULT_RULE_TEST_DIR);
        Ok(Settings {
            linter,
            root,
            config_path,
            excludes,
            per_path,
            custom_on,
            fail_on,
            custom,
            rule_dirs,
            rule_test_dirs,
            gate: config.gate.clone(),
        })
    }

    /// The rules that run on a file of `lang`: [`Settings::rules_for`], and the selected
    /// custom rules of its language that its per-path ignores leave and whose
    /// `files`/`ignores` (relative to the root) accept it. The selection's custom digest
    /// is what the file's cached results depend on of the custom rules.
    pub fn selection_for(&self, path: &Path, lang: Language) -> Selection {
        let rules = self.rules_for(path);
        if self.linter.custom.is_empty() && self.custom.off_ids().next().is_none() {
            return rules.into();
        }
        let of_lang = self.custom.of_language(lang);
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = abs.strip_prefix(&self.root).unwrap_or(&abs);
        let ignored: Vec<&Picked> =
            self.per_path.iter().filter(|(set, _)| set.is_match(rel)).map(|(_, picked)| picked).collect();
        let custom = of_lang
            .iter()
            .copied()
            .filter(|&i| self.custom_on[i])
            .filter(|i| !ignored.iter().any(|p| p.custom.contains(i)))
            .filter(|&i| self.custom.accepts(i, rel))
            .collect();
        Selection::new(rules, custom, &self.linter.custom)
    }

    /// Whether custom rule `index` is selected (before per-path ignores).
    pub fn custom_enabled(&self, index: usize) -> bool {
        self.custom_on.get(index).copied().unwrap_or(false)
    }

    /// The rules that run on a file, after per-path ignores.
    pub fn rules_for(&self, path: &Path) -> RuleSet {
        let mut rules = self.linter.rules;
        if self.per_path.is_empty() {
            return rules;
        }
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = abs.strip_prefix(&self.root).unwrap_or(&abs);
        for (set, ignored) in &self.per_path {
            if set.is_match(rel) {
                for r in ignored.rules.iter() {
                    rules.remove(r);
                }
            }
        }
        rules
    }

    /// Whether `--exclude` or the config's `exclude` names this path or a directory above it.
    pub fn is_excluded(&self, path: &Path, is_dir: bool) -> bool {
        if self.excludes.is_empty() {
            return false;
        }
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        match abs.strip_prefix(&self.root) {
            Ok(rel) => self.excludes.matched_path_or_any_parents(rel, is_dir).is_ignore(),
            Err(_) => self.excludes.matched(&abs, is_dir).is_ignore(),
        }
    }
}

/// Where custom rules are when `rule-dirs` is not set (used only when it exists).
pub const DEFAULT_RULE_DIR: &str = ".debtctl/rules";
/// Where custom rules' tests are when `rule-test-dirs` is not set.
pub const DEFAULT_RULE_TEST_DIR: &str = ".debtctl/rule-tests";

/// The configured directories, relative to `root`; when none are configured, `default`
/// if it exists. A configured directory that does not exist is reported when it is read.
fn dirs_or_default(root: &Path, configured: Option<&[PathBuf]>, default: &str) -> Vec<PathBuf> {
    match configured {
        Some(dirs) => dirs.iter().map(|d| root.join(d)).collect(),
        None => Some(root.join(default)).filter(|d| d.is_dir()).into_iter().collect(),
    }
}

/// A custom rule may not take a built-in rule's ID, nor one in a built-in prefix (`go/`,
/// `py/`, `k8s/`, `helm/`, `debt/`): `--select go/` means debtctl's Go rules, and a later
/// built-in rule must not collide with a team's. Returns why the ID is taken.
pub fn reserved_id(id: &str) -> Option<String> {
    if Rule::from_id(id).is_some() {
        return Some("the ID is a built-in rule's".to_string());
    }
    let prefix = id.split_once('/')?.0;
    Rule::all()
        .any(|r| r.id().split_once('/').is_some_and(|(p, _)| p == prefix))
        .then(|| format!("the prefix `{prefix}/` is reserved for built-in rules; use your own (`acme/`)"))
}

/// The built-in and custom rules some selectors name.
#[derive(Debug, Default)]
struct Picked {
    rules: RuleSet,
    /// Indices of custom rules.
    custom: Vec<usize>,
}

fn select_all(selectors: &[String], origin: &str, custom: &CustomRegistry) -> Result<Picked, WorkspaceError> {
    let mut picked = Picked::default();
    for s in selectors {
        let s = s.trim();
        let builtin = select(s);
        let own = custom.select(s);
        if builtin.is_none() && own.is_none() {
            return Err(unknown_rule(s, origin, custom));
        }
        let mut found = builtin.unwrap_or_default();
        // Unused suppressions are reported only when asked for by name or by
        // `--report-unused-suppressions`, never through `debt/` or `ALL`.
        if s != Rule::DebtUnusedSuppression.id() {
            found.remove(Rule::DebtUnusedSuppression);
        }
        for r in found.iter() {
            picked.rules.insert(r);
        }
        picked.custom.extend(own.unwrap_or_default());
    }
    picked.custom.sort_unstable();
    picked.custom.dedup();
    Ok(picked)
}

fn unknown_rule(id: &str, origin: &str, custom: &CustomRegistry) -> WorkspaceError {
    WorkspaceError::UnknownRule {
        id: id.to_string(),
        origin: origin.to_string(),
        hint: debtctl_linter::registry::did_you_mean_among(id, custom.ids()),
    }
}

/// `[go] exclude-functions`, each entry checked and normalised.
fn exclusions(entries: &[String], origin: &str) -> Result<Vec<String>, WorkspaceError> {
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let parsed = debtctl_linter::parse_exclude_function(e)
            .map_err(|message| WorkspaceError::Setting { origin: origin.to_string(), message })?;
        out.push(parsed);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The nearest directory at or above `path` that holds `.git`.
pub fn repo_root(path: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(path).ok()?;
    let mut dir = if abs.is_dir() { Some(abs.as_path()) } else { abs.parent() };
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}
