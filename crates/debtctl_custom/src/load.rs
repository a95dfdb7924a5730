//! Finding rule files, splitting them into documents and compiling each document, with one
//! error line for whatever is wrong.

use crate::{glob_set, map_severity, Compiled, Config, LoadError, OwnKeys, RuleInfo};
use ast_grep_config::{GlobalRules, RuleConfig};
use std::path::{Path, PathBuf};

/// Every `*.yml`/`*.yaml` under each dir (relative ones taken from `root`).
pub(crate) fn rule_files(root: &Path, dirs: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    yaml_files(dirs.iter().map(|d| if d.is_absolute() { d.clone() } else { root.join(d) }))
}

/// Every `*.yml`/`*.yaml` under each dir, recursively, sorted within each dir; hidden
/// entries and ast-grep's `__snapshots__` skipped. A dir that does not exist is an error:
/// it was named on purpose.
pub(crate) fn yaml_files(dirs: impl Iterator<Item = PathBuf>) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(LoadError::new(&dir, None, "no such directory"));
        }
        let mut found = Vec::new();
        walk(&dir, &mut found)?;
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| LoadError::new(dir, None, format!("cannot read: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| LoadError::new(dir, None, format!("cannot read: {e}")))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "__snapshots__" {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The documents of a YAML stream, each as written: split at `---` lines. A rule file's
/// values are indented under their keys, so a `---` at the start of a line is always a
/// document marker there (block scalars are indented). The text after a marker on its line
/// (`--- # comment`) stays with the document. Empty documents are dropped.
pub(crate) fn documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        let marker = bare == "---" || bare.starts_with("--- ") || bare == "...";
        if marker {
            docs.push(&text[start..offset]);
            start = offset + if bare.starts_with("--- ") { 4 } else { line.len() };
        }
        offset += line.len();
    }
    docs.push(&text[start..]);
    docs.into_iter().filter(|d| !is_empty_document(d)).collect()
}

fn is_empty_document(doc: &str) -> bool {
    doc.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l.starts_with('%') || l == "~" || l == "null"
    })
}

/// The `id:` of a document, read leniently for error messages before it parses.
fn sniff_id(doc: &str) -> Option<String> {
    doc.lines().find_map(|l| {
        let rest = l.strip_prefix("id:")?;
        let id = rest.split(" #").next()?.trim().trim_matches(|c| c == '"' || c == '\'');
        (!id.is_empty()).then(|| id.to_string())
    })
}

/// Compiles one document, validated in full even when its severity is `off`; the flag says
/// whether the rule is on.
pub(crate) fn compile(file: &Path, doc: &str) -> Result<(RuleInfo, Compiled, bool), LoadError> {
    let sniffed = sniff_id(doc);
    let err = |message: String| LoadError::new(file, sniffed.as_deref(), message);
    let config: Config = ast_grep_config::from_str(doc).map_err(|e| err(yaml_error(&e)))?;
    if config.id.trim().is_empty() {
        return Err(err("a rule needs an `id`".into()));
    }
    let id = config.id.clone();
    let err = |message: String| LoadError::new(file, Some(&id), message);
    if !crate::valid_id(&id) {
        return Err(err(crate::ID_SYNTAX.to_string()));
    }
    let raw: serde_json::Value = ast_grep_config::from_str(doc).map_err(|e| err(yaml_error(&e)))?;
    if let Some((place, key)) = unknown_relation_key(&raw, "") {
        return Err(err(format!(
            "not a valid rule: unknown key `{key}` in `{place}` (a relational rule takes rule keys, `stopBy` and `field`)"
        )));
    }
    let own: OwnKeys = serde_json::from_value(raw).map_err(|e| err(format!("not a valid rule: {e}")))?;
    let files = own.files.as_deref().map(glob_set).transpose();
    let files = files.map_err(|e| err(format!("bad `files` glob: {e}")))?;
    let ignores = own.ignores.as_deref().map(glob_set).transpose();
    let ignores = ignores.map_err(|e| err(format!("bad `ignores` glob: {e}")))?;
    let (debt_minutes, ticket) = own_metadata(own.metadata.as_ref()).map_err(&err)?;
    let severity = map_severity(&config.severity);
    let language = config.language.0;
    let message = config.message.clone();
    let note = config.note.clone();
    let url = config.url.clone();
    let has_fix = config.fix.is_some();
    let config = RuleConfig::try_from(config, &GlobalRules::default()).map_err(|e| {
        // ast-grep's chain ("Fail to parse yaml as Rule: `rule` is not configured correctly:
        // ... Fails to parse the pattern query") says what, not where: lead with that.
        let chain = error_chain(&e);
        if chain.contains("Fails to parse the pattern") {
            let lang = match language {
                debtctl_syntax::Language::Python => "Python",
                debtctl_syntax::Language::Yaml | debtctl_syntax::Language::HelmTemplate => "YAML",
                _ => "Go",
            };
            err(format!(
                "a `pattern` does not parse as {lang} (a fragment that parses only inside other code needs a pattern object with `context` and `selector`); ast-grep says: {chain}"
            ))
        } else {
            err(chain)
        }
    })?;
    // ast-grep-config fills the message in with a template parsed on every match and
    // panics if it does not parse; find out now.
    check_message(&config).map_err(&err)?;
    let info = RuleInfo {
        id,
        language,
        severity: severity.unwrap_or(debtctl_diagnostics::Severity::Info),
        message,
        note,
        url,
        debt_minutes,
        ticket,
        file: file.to_path_buf(),
        yaml: doc.to_string(),
        has_fix,
        digest: xxhash_rust::xxh3::xxh3_64(doc.as_bytes()),
    };
    Ok((info, Compiled { config, files, ignores }, severity.is_some()))
}

/// The keys of ast-grep's rule object (`SerializableRule`).
const RULE_KEYS: &[&str] = &[
    "pattern", "kind", "regex", "nthChild", "range", "inside", "has", "precedes", "follows", "all", "any",
    "not", "matches",
];

/// ast-grep-config rejects unknown keys in a rule object, except in a relational one
/// (`inside`/`has`/`precedes`/`follows`): there the rule is a flattened field, which serde
/// cannot combine with `deny_unknown_fields`, and a misspelt `stopby: end` is silently
/// dropped, changing what the rule matches. Finds such a key: (where, key).
fn unknown_relation_key(value: &serde_json::Value, place: &str) -> Option<(String, String)> {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                if place.is_empty() && key == "metadata" {
                    continue;
                }
                let here = if place.is_empty() { key.clone() } else { format!("{place}.{key}") };
                if matches!(key.as_str(), "inside" | "has" | "precedes" | "follows") {
                    if let serde_json::Value::Object(relation) = child {
                        let bad = relation.keys().find(|k| {
                            !RULE_KEYS.contains(&k.as_str())
                                && k.as_str() != "stopBy"
                                && k.as_str() != "field"
                        });
                        if let Some(bad) = bad {
                            return Some((here, bad.clone()));
                        }
                    }
                }
                if let Some(found) = unknown_relation_key(child, &here) {
                    return Some(found);
                }
            }
            None
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| unknown_relation_key(item, &format!("{place}[{i}]"))),
        _ => None,
    }
}

fn check_message(config: &RuleConfig<crate::lang::AgLang>) -> Result<(), String> {
    // With a `transform`, ast-grep builds the template without a check that can fail.
    if config.transform.is_some() {
        return Ok(());
    }
    ast_grep_config::Fixer::from_str(&config.message, &config.language)
        .map(|_| ())
        .map_err(|e| format!("bad `message`: {}", error_chain(&e)))
}

/// `metadata.debt_minutes` (a non-negative integer, default 10) and `metadata.ticket` (a
/// string); every other metadata key is the rule author's own.
fn own_metadata(
    metadata: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<(u32, Option<String>), String> {
    let Some(metadata) = metadata else {
        return Ok((crate::DEFAULT_DEBT_MINUTES, None));
    };
    let debt_minutes = match metadata.get("debt_minutes") {
        None | Some(serde_json::Value::Null) => crate::DEFAULT_DEBT_MINUTES,
        Some(value) => value.as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(|| {
            format!("`metadata.debt_minutes` must be a whole number of minutes, 0 or more, not {value}")
        })?,
    };
    let ticket = match metadata.get("ticket") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(value) => return Err(format!("`metadata.ticket` must be a string, not {value}")),
    };
    Ok((debt_minutes, ticket))
}

fn yaml_error(e: &dyn std::error::Error) -> String {
    format!("not a valid rule: {}", yaml_reason(e))
}

/// serde-saphyr's message without the source excerpt it draws after ` --> `.
pub(crate) fn yaml_reason(e: &dyn std::error::Error) -> String {
    let text = e.to_string();
    let reason = text.split(" --> ").next().unwrap_or(&text);
    let reason = reason.split("\n -->").next().unwrap_or(reason);
    reason.trim().trim_start_matches("error: ").to_string()
}

/// An error and its causes, as one line: ast-grep-config's errors say "Fail to parse yaml
/// as Rule." and keep the reason in their sources.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string().trim_end_matches('.').to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string().trim_end_matches('.').to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::documents;

    #[test]
    fn documents_are_split_at_markers_as_written() {
        let text =
            "# rules\n---\nid: a\n---   # second\nid: b\n\n...\n---\r\nid: c\r\n---\n# only a comment\n";
        assert_eq!(documents(text), ["id: a\n", "  # second\nid: b\n\n", "id: c\r\n"]);
        assert_eq!(documents("id: a\nmessage: |\n  ---\n  x\n"), ["id: a\nmessage: |\n  ---\n  x\n"]);
        assert!(documents("").is_empty());
    }
}
