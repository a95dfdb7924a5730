//! SARIF 2.1.0: one run, every built-in rule and each custom rule that has a result in
//! `tool.driver.rules`, each finding a result with a physical location and its
//! fingerprint in `partialFingerprints`.

use debtctl_diagnostics::{Finding, Severity};
use debtctl_linter::registry::all_meta;
use debtctl_linter::RuleKey;
use debtctl_workspace::engine::ScanOutcome;
use debtctl_workspace::Settings;
use serde_json::{json, Value};
use std::io::Write;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The `tool` object with every rule's id, descriptions, help and default level: the
/// built-in rules, then the custom rules `custom` (indices into the settings' custom rules).
pub fn tool(settings: &Settings, custom: &[usize]) -> Value {
    let mut rules: Vec<Value> = all_meta()
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.id.rsplit('/').next().unwrap_or(m.id),
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": m.summary},
                "help": {"text": m.doc, "markdown": m.doc},
                "defaultConfiguration": {
                    "level": level(settings.linter.severity_of(m.rule)),
                    "enabled": settings.linter.rules.contains(m.rule),
                },
                "properties": {
                    "tags": [m.id.split('/').next().unwrap_or("debt")],
                    "debt_minutes": settings.linter.debt_of(m.rule),
                },
            })
        })
        .collect();
    rules.extend(custom.iter().map(|&i| custom_rule(settings, i)));
    json!({
        "driver": {
            "name": "debtctl",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://github.com/debtctl/debtctl",
            "rules": rules,
        }
    })
}

/// One SARIF result for a finding.
pub fn result(f: &Finding) -> Value {
    let index = all_meta().iter().position(|m| m.id == f.rule);
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(&f.path),
                "region": {
                    "startLine": f.line,
                    "startColumn": f.column,
                    "endLine": f.end_line,
                    "endColumn": f.end_column,
                },
            }
        }],
        "partialFingerprints": {"debtctl/v1": f.fingerprint},
        "properties": {"debt_minutes": f.debt_minutes},
    });
    if let Some(i) = index {
        r["ruleIndex"] = json!(i);
    }
    if let Some(t) = &f.ticket {
        r["properties"]["ticket"] = json!(t);
    }
    // A SARIF `fix` needs concrete artifact changes; the fix's kind and title (for a
    // display-only fix, the suggestion itself) travel as properties and in the markdown.
    if let Some(fix) = &f.fix {
        r["properties"]["fix"] = json!({"applicability": fix.applicability, "title": fix.title});
        r["message"]["markdown"] = json!(format!("{}\n\nSuggested fix: {}", f.message, fix.title));
    }
    r
}

/// A custom rule's descriptor: its message template (else its note's first line) as the
/// short description, its note and its YAML as help.
fn custom_rule(settings: &Settings, index: usize) -> Value {
    let info = &settings.custom.rules()[index];
    let note = info.note.as_deref().unwrap_or("").trim();
    let short = [info.message.trim(), note.lines().next().unwrap_or("").trim(), info.id.as_str()]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let full = if note.is_empty() { short } else { note };
    let yaml = info.yaml.trim_end();
    let text = if note.is_empty() { yaml.to_string() } else { format!("{note}\n\n{yaml}") };
    let markdown = if note.is_empty() {
        format!("```yaml\n{yaml}\n```")
    } else {
        format!("{note}\n\n```yaml\n{yaml}\n```")
    };
    let key = RuleKey::Custom(index);
    let mut rule = json!({
        "id": info.id,
        "name": info.id.rsplit('/').next().unwrap_or(&info.id),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {
            "level": level(settings.linter.severity_of_key(key)),
            "enabled": settings.custom_enabled(index),
        },
        "properties": {
            "tags": [info.id.split('/').next().unwrap_or("custom"), "custom"],
            "debt_minutes": settings.linter.debt_of_key(key),
            "file": info.file.to_string_lossy(),
        },
    });
    if let Some(url) = &info.url {
        rule["helpUri"] = json!(url);
    }
    rule
}

/// The SARIF document of `runs_results`; results of custom rules get their rule's
/// descriptor in `tool.driver.rules` and its index.
pub fn document(mut runs_results: Vec<Value>, settings: &Settings) -> Value {
    let builtin = all_meta().len();
    let mut custom: Vec<usize> = Vec::new();
    for r in &mut runs_results {
        let Some(id) = r["ruleId"].as_str() else { continue };
        let Some(index) = settings.linter.custom.index_of(id) else { continue };
        let at = custom.iter().position(|&c| c == index).unwrap_or_else(|| {
            custom.push(index);
            custom.len() - 1
        });
        r["ruleIndex"] = json!(builtin + at);
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": tool(settings, &custom),
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": src_root()}},
            "results": runs_results,
        }]
    })
}

pub fn print(out: &mut impl Write, outcome: &ScanOutcome, settings: &Settings) -> std::io::Result<()> {
    let results = outcome.findings.iter().map(result).collect();
    serde_json::to_writer_pretty(&mut *out, &document(results, settings))?;
    writeln!(out)
}

fn src_root() -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut uri = format!("file://{}", encode(&cwd.to_string_lossy().replace('\\', "/")));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn artifact(path: &str) -> Value {
    if path.starts_with('/') {
        json!({"uri": format!("file://{}", encode(path))})
    } else {
        json!({"uri": encode(path), "uriBaseId": "%SRCROOT%"})
    }
}

/// Percent-encodes what may not stand in a URI path.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_encoded() {
        assert_eq!(super::encode("a b/c#d.py"), "a%20b/c%23d.py");
        assert_eq!(super::encode("é.py"), "%C3%A9.py");
    }
}
