//! Custom rules as data: a team's own debt categories, written in ast-grep's rule format
//! (`id`, `language`, `rule`, `constraints`, `utils`, `transform`, `fix`, `message`, ...)
//! and run by ast-grep's own matcher (`ast-grep-config`/`ast-grep-core`) on the tree-sitter
//! trees debtctl has already parsed, so a rule tested with the `ast-grep` CLI works here
//! unchanged and a file is still parsed once.
//!
//! debtctl's own keys live under `metadata`: `debt_minutes` (default 10) and `ticket`.
//! [`testing`] runs ast-grep's rule-test files (`id`, `valid`, `invalid`).

use ast_grep_config::{CombinedScan, RuleConfig, SerializableRuleConfig, Severity as AgSeverity};
use ast_grep_core::matcher::MatcherExt;
use ast_grep_core::tree_sitter::StrDoc;
use ast_grep_core::{AstGrep, Matcher, NodeMatch};
use debtctl_diagnostics::Severity;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod lang;
mod load;
pub mod testing;

pub use debtctl_syntax::Language;
use lang::AgLang;

/// The debt of a rule that does not say (`metadata.debt_minutes`).
pub const DEFAULT_DEBT_MINUTES: u32 = 10;

/// What a custom rule ID looks like, as the load error says it.
pub const ID_SYNTAX: &str = "a rule ID is letters, digits, `_`, `-` and `.`, in parts separated by `/` \
     (`no-print`, `acme/no-print`), each part starting with a letter, a digit or `_`";

/// Whether `id` is a custom rule ID debtctl accepts. A rule written for the ast-grep CLI
/// keeps its ID: `no-print` and `acme/no-print` alike (a prefix lets `--select acme/`
/// name a team's rules, but is not required). What is refused is what cannot stand in a
/// `--select` list or a suppression comment: spaces, commas, brackets, an empty part, and
/// `ALL`, which selects every rule.
pub fn valid_id(id: &str) -> bool {
    id != "ALL"
        && id.split('/').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
}

/// All custom rules of a project, loaded and validated. Cheap to clone (an `Arc` inside).
#[derive(Clone, Default)]
pub struct CustomRules {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    rules: Vec<RuleInfo>,
    /// Parallel to `rules`: the compiled rule and its file filter.
    compiled: Vec<Compiled>,
    /// The rules of each language (`AgLang::slot`), by index into `rules`.
    by_lang: [Vec<usize>; 3],
    /// Rules with `severity: off`: validated and holding their IDs, never run.
    off: Vec<RuleInfo>,
    /// Per language, node kind id -> the rules that can match a node of that kind
    /// (ast-grep's potential kinds), built once at load.
    by_kind: [Vec<Vec<usize>>; 3],
}

struct Compiled {
    config: RuleConfig<AgLang>,
    files: Option<GlobSet>,
    ignores: Option<GlobSet>,
}

impl Compiled {
    /// ast-grep's order: a path an `ignores` glob matches is out; otherwise `files`, when
    /// given, must match it.
    fn accepts(&self, path: &Path) -> bool {
        if self.ignores.as_ref().is_some_and(|g| g.is_match(path)) {
            return false;
        }
        self.files.as_ref().is_none_or(|g| g.is_match(path))
    }
}

impl fmt::Debug for CustomRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomRules").field("rules", &self.inner.rules).finish()
    }
}

/// What debtctl knows of one custom rule.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    pub language: Language,
    /// ast-grep's `hint` is our `info`; a rule with `severity: off` is not loaded.
    pub severity: Severity,
    /// As written: it may contain `$VARS`, filled in per match.
    pub message: String,
    pub note: Option<String>,
    pub url: Option<String>,
    /// `metadata.debt_minutes`, default [`DEFAULT_DEBT_MINUTES`].
    pub debt_minutes: u32,
    /// `metadata.ticket`.
    pub ticket: Option<String>,
    /// The rule file.
    pub file: PathBuf,
    /// This rule's own YAML document, as written.
    pub yaml: String,
    pub has_fix: bool,
    /// xxh3 of this rule's document (its local utils are part of it).
    pub digest: u64,
}

/// A replacement of `start_byte..end_byte` of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start_byte: usize,
    pub end_byte: usize,
    pub replacement: String,
}

/// One match of a custom rule.
#[derive(Debug, Clone)]
pub struct Match {
    /// Index into [`CustomRules::rules`].
    pub rule: usize,
    pub start_byte: usize,
    pub end_byte: usize,
    /// The message with metavariables (and transformed variables) filled in.
    pub message: String,
    /// The rule's fix with metavariables and transforms applied.
    pub fix: Option<Edit>,
}

/// A rule file that cannot be used: one line, "FILE: rule `ID`: WHAT" (or "FILE: WHAT").
#[derive(Debug, thiserror::Error)]
#[error("{}", self.line())]
pub struct LoadError {
    pub file: PathBuf,
    pub rule: Option<String>,
    pub message: String,
    /// Another file the message names at its end (the one whose rule holds a clashing
    /// ID), kept apart so that a caller can show it as it shows `file`.
    pub other_file: Option<PathBuf>,
}

impl LoadError {
    pub fn line(&self) -> String {
        let mut message = self.message.clone();
        if let Some(other) = &self.other_file {
            message = format!("{message} {}", other.display());
        }
        match &self.rule {
            Some(id) => format!("{}: rule `{id}`: {message}", self.file.display()),
            None => format!("{}: {message}", self.file.display()),
        }
    }

    pub(crate) fn new(file: &Path, rule: Option<&str>, message: impl Into<String>) -> Self {
        LoadError {
            file: file.to_path_buf(),
            rule: rule.filter(|id| !id.is_empty()).map(str::to_string),
            message: one_line(&message.into()),
            other_file: None,
        }
    }
}

/// Error text from YAML parsers and ast-grep spans lines; an error here is one line.
fn one_line(text: &str) -> String {
    text.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

impl CustomRules {
    /// Every `*.yml`/`*.yaml` under each of `dirs` (recursive, sorted), each holding one or
    /// more YAML documents in ast-grep's rule format. Fails on the first bad rule: not YAML,
    /// an unknown key, a language other than Go/Python/YAML, a pattern that does not parse,
    /// a bad constraint/transform/fix/glob/metadata, an ID that `reserved` says is taken (it
    /// returns why)
    /// or that repeats another custom rule. `root` is the directory `files:`/`ignores:`
    /// globs are relative to. Relative `dirs` are taken from `root`.
    pub fn load(
        root: &Path,
        dirs: &[PathBuf],
        reserved: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, LoadError> {
        let mut inner = Inner::default();
        for file in load::rule_files(root, dirs)? {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| LoadError::new(&file, None, format!("cannot read: {e}")))?;
            for doc in load::documents(&text) {
                let (info, compiled, on) = load::compile(&file, doc)?;
                if let Some(why) = reserved(&info.id) {
                    return Err(LoadError::new(&file, Some(&info.id), why));
                }
                let taken = inner.rules.iter().chain(&inner.off).find(|r| r.id == info.id);
                if let Some(other) = taken {
                    let mut err = LoadError::new(&file, Some(&info.id), "the ID is taken by a rule in");
                    err.other_file = Some(other.file.clone());
                    return Err(err);
                }
                if !on {
                    inner.off.push(info);
                    continue;
                }
                let index = inner.rules.len();
                let slot = compiled.config.language.slot();
                inner.by_lang[slot].push(index);
                let by_kind = &mut inner.by_kind[slot];
                // `compile` refused rules without potential kinds (ast-grep does too).
                for kind in compiled.config.matcher.potential_kinds().iter().flatten() {
                    if by_kind.len() <= kind {
                        by_kind.resize_with(kind + 1, Vec::new);
                    }
                    by_kind[kind].push(index);
                }
                inner.rules.push(info);
                inner.compiled.push(compiled);
            }
        }
        Ok(CustomRules { inner: Arc::new(inner) })
    }

    pub fn rules(&self) -> &[RuleInfo] {
        &self.inner.rules
    }

    pub fn is_empty(&self) -> bool {
        self.inner.rules.is_empty()
    }

    /// The rules turned off with `severity: off`: validated, holding their IDs, never run
    /// (their `severity` reads `info`).
    pub fn off_rules(&self) -> &[RuleInfo] {
        &self.inner.off
    }

    /// The IDs of the rules turned off with `severity: off`, in load order.
    pub fn off_ids(&self) -> impl Iterator<Item = &str> {
        self.inner.off.iter().map(|r| r.id.as_str())
    }

    /// Whether `id` is a rule turned off with `severity: off` (not in [`CustomRules::rules`]).
    pub fn is_off(&self, id: &str) -> bool {
        self.inner.off.iter().any(|r| r.id == id)
    }

    /// What a file's cached result depends on: a digest of the rules of `language` whose
    /// files/ignores accept `path` (relative to the root). A Python rule does not change a
    /// Go file's digest; no rule at all gives 0.
    pub fn digest_for(&self, language: Language, path: &Path) -> u64 {
        let Some(lang) = AgLang::of_file(language) else {
            return 0;
        };
        let mut digest = 0u64;
        for &i in &self.inner.by_lang[lang.slot()] {
            if self.inner.compiled[i].accepts(path) {
                digest =
                    xxhash_rust::xxh3::xxh3_64_with_seed(&self.inner.rules[i].digest.to_le_bytes(), digest);
            }
        }
        digest
    }

    /// The index of the rule `id` in [`CustomRules::rules`] (not a rule that is off).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.inner.rules.iter().position(|r| r.id == id)
    }

    /// Whether rule `index`'s `files`/`ignores` accept `path` (relative to the root).
    pub fn accepts(&self, index: usize, path: &Path) -> bool {
        self.inner.compiled[index].accepts(path)
    }

    /// The indices of the rules a file of `language` is checked with (for a Helm
    /// template: the YAML rules), before selection and `files`/`ignores`.
    pub fn of_language(&self, language: Language) -> &[usize] {
        match AgLang::of_file(language) {
            Some(lang) => &self.inner.by_lang[lang.slot()],
            None => &[],
        }
    }

    /// A digest of the rules `indices` (in that order), for the cache key of a file
    /// checked with exactly them; 0 for none. The same rules give the same digest as
    /// [`CustomRules::digest_for`] would for a path they all accept.
    pub fn digest_of(&self, indices: &[usize]) -> u64 {
        indices.iter().fold(0u64, |digest, &i| {
            xxhash_rust::xxh3::xxh3_64_with_seed(&self.inner.rules[i].digest.to_le_bytes(), digest)
        })
    }

    /// [`CustomRules::check_trees`] for a caller that has already chosen the rules: those
    /// `enabled` says, of `language`, without the `files`/`ignores` test of a path.
    pub fn check_selected(
        &self,
        language: Language,
        source: &str,
        trees: &[tree_sitter::Tree],
        enabled: &dyn Fn(usize) -> bool,
    ) -> Vec<Match> {
        self.check_filtered(language, source, trees, enabled)
    }

    /// Matches of the enabled rules of `language` whose files/ignores accept `path`, on
    /// the tree debtctl already parsed from `source` (for a Helm template: the masked
    /// source and its tree). The file is not parsed again, and one walk serves every rule,
    /// trying at each node only the rules that can match its kind (as ast-grep-config's
    /// `CombinedScan` groups them; a file with `ast-grep-ignore` comments goes through
    /// `CombinedScan` itself, which honours them). Sorted by position, then rule. A YAML stream parsed one document at a time
    /// (`debtctl_syntax::yaml::parse_documents`) goes to [`CustomRules::check_trees`].
    pub fn check(
        &self,
        language: Language,
        path: &Path,
        source: &str,
        tree: &tree_sitter::Tree,
        enabled: &dyn Fn(usize) -> bool,
    ) -> Vec<Match> {
        self.check_trees(language, path, source, std::slice::from_ref(tree), enabled)
    }

    /// [`CustomRules::check`] over several trees of the same `source`, such as the
    /// per-document trees of a YAML stream (each keeps the byte offsets of the whole
    /// file): the source is copied once for all of them, where a call of `check` per
    /// document would copy the whole file each time.
    pub fn check_trees(
        &self,
        language: Language,
        path: &Path,
        source: &str,
        trees: &[tree_sitter::Tree],
        enabled: &dyn Fn(usize) -> bool,
    ) -> Vec<Match> {
        self.check_filtered(language, source, trees, &|i| enabled(i) && self.inner.compiled[i].accepts(path))
    }

    fn check_filtered(
        &self,
        language: Language,
        source: &str,
        trees: &[tree_sitter::Tree],
        wanted: &dyn Fn(usize) -> bool,
    ) -> Vec<Match> {
        let Some(lang) = AgLang::of_file(language) else {
            return Vec::new();
        };
        let indices: Vec<usize> =
            self.inner.by_lang[lang.slot()].iter().copied().filter(|&i| wanted(i)).collect();
        if indices.is_empty() || trees.is_empty() {
            return Vec::new();
        }
        let mut out = if source.contains(IGNORE_COMMENT) {
            self.combined_scan(lang, source, trees, &indices)
        } else {
            self.kind_walk(lang, source, trees, &indices)
        };
        out.sort_by_key(|m| (m.start_byte, m.end_byte, m.rule));
        out
    }

    /// The common case, a file without `ast-grep-ignore` comments: one walk over each
    /// tree, trying at each node only the rules that can match its kind. This is
    /// what `CombinedScan` does, less its extra walk collecting suppression comments
    /// (half the cost on Python files, where parsing is the rest).
    fn kind_walk(
        &self,
        lang: AgLang,
        source: &str,
        trees: &[tree_sitter::Tree],
        indices: &[usize],
    ) -> Vec<Match> {
        let mut active = vec![false; self.inner.rules.len()];
        for &i in indices {
            active[i] = true;
        }
        let by_kind = &self.inner.by_kind[lang.slot()];
        let mut out = Vec::new();
        // ast-grep's document owns its text: one copy for all trees, handed from one to the
        // next. The trees are shared (tree-sitter trees are reference counted), not re-parsed.
        let mut src = source.to_string();
        for tree in trees {
            let root = AstGrep::doc(StrDoc { src, lang, tree: tree.clone() });
            // ast-grep's own pre-order walk: its nodes belong to `root` (`Root::adopt`
            // checks that by walking up to the root, at every node, in debug builds).
            for node in root.root().dfs() {
                let Some(rules) = by_kind.get(usize::from(node.kind_id())) else { continue };
                for &i in rules.iter().filter(|&&i| active[i]) {
                    let config = &self.inner.compiled[i].config;
                    if let Some(nm) = config.matcher.match_node(node.clone()) {
                        out.push(to_match(i, config, &nm));
                    }
                }
            }
            src = root.generate();
        }
        out
    }

    /// A file with `ast-grep-ignore` comments goes through ast-grep-config's `CombinedScan`,
    /// which honours them exactly as the CLI does.
    fn combined_scan(
        &self,
        lang: AgLang,
        source: &str,
        trees: &[tree_sitter::Tree],
        indices: &[usize],
    ) -> Vec<Match> {
        let configs: Vec<&RuleConfig<AgLang>> =
            indices.iter().map(|&i| &self.inner.compiled[i].config).collect();
        let scan = CombinedScan::new(configs.clone());
        let mut out = Vec::new();
        let mut src = source.to_string();
        for tree in trees {
            let root = AstGrep::doc(StrDoc { src, lang, tree: tree.clone() });
            for (config, node_matches) in scan.scan(&root, false).matches {
                let Some(pos) = configs.iter().position(|c| std::ptr::eq(*c, config)) else {
                    continue; // ast-grep's own suppression rules, which we do not register
                };
                out.extend(node_matches.iter().map(|nm| to_match(indices[pos], config, nm)));
            }
            src = root.generate();
        }
        out
    }
}

/// The comment that suppresses ast-grep rules (`// ast-grep-ignore: ID`).
const IGNORE_COMMENT: &str = "ast-grep-ignore";

fn to_match(rule: usize, config: &RuleConfig<AgLang>, nm: &NodeMatch<'_, StrDoc<AgLang>>) -> Match {
    let range = nm.range();
    let fix = config.fixer.first().map(|fixer| {
        let edit = nm.make_edit(&config.matcher, fixer);
        Edit {
            start_byte: edit.position,
            end_byte: edit.position + edit.deleted_length,
            replacement: String::from_utf8_lossy(&edit.inserted_text).into_owned(),
        }
    });
    Match { rule, start_byte: range.start, end_byte: range.end, message: config.get_message(nm), fix }
}

/// hint -> info (our lowest), info, warning, error; `off` is `None`.
fn map_severity(severity: &AgSeverity) -> Option<Severity> {
    match severity {
        AgSeverity::Off => None,
        AgSeverity::Hint | AgSeverity::Info => Some(Severity::Info),
        AgSeverity::Warning => Some(Severity::Warning),
        AgSeverity::Error => Some(Severity::Error),
    }
}

/// `files:`/`ignores:` entries as ast-grep builds them: a glob string, or `{glob,
/// caseInsensitive}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum FileGlob {
    Glob(String),
    #[serde(rename_all = "camelCase")]
    Config {
        glob: String,
        #[serde(default)]
        case_insensitive: bool,
    },
}

fn glob_set(globs: &[FileGlob]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let (text, insensitive) = match glob {
            FileGlob::Glob(g) => (g, false),
            FileGlob::Config { glob, case_insensitive } => (glob, *case_insensitive),
        };
        builder.add(GlobBuilder::new(text).case_insensitive(insensitive).build()?);
    }
    builder.build()
}

/// The parts of a rule document ast-grep-config keeps private or that are debtctl's own.
#[derive(Deserialize)]
struct OwnKeys {
    #[serde(default)]
    files: Option<Vec<FileGlob>>,
    #[serde(default)]
    ignores: Option<Vec<FileGlob>>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

pub(crate) type Config = SerializableRuleConfig<AgLang>;

#[cfg(test)]
mod tests;
