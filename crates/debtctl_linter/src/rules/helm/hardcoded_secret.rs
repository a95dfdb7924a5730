//! `helm/hardcoded-secret`: in a Helm chart template, a secret reference written as a
//! literal: `secretName:`, the `name:` of a `secretKeyRef:` or `secretRef:`, or a Vault
//! secret path in a `vault.hashicorp.com/*` annotation.

use crate::checker::Checker;
use crate::registry::Rule;
use crate::rules::py::snippet;
use crate::rules::yaml::model::{Doc, Object};
use debtctl_diagnostics::TextRange;
use regex::Regex;
use std::sync::LazyLock;
use tree_sitter::Node;

/// `secret/data/app`, `secret/app`, `kv/app`, `kv-v2/app`, and any `<mount>/data/<path>`
/// (the shape of a KV version 2 read).
static VAULT_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:secret|kv)(?:-v[12])?/[^\s/]\S*|[A-Za-z0-9_.-]+/data/[^\s/]\S*)$")
        .expect("valid regex")
});

pub(crate) fn check(checker: &mut Checker<'_>, doc: &Doc<'_, '_>, object: &Object<'_, '_>) {
    // Written entries only: what an alias or merge key brings in is reported where it is
    // written, once.
    let mut stack = vec![object.mapping];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "block_mapping" | "flow_mapping" => {
                for pair in doc.pairs(node).into_iter().filter(|p| !p.merged) {
                    let Some(value) = pair.value else { continue };
                    let key = doc.key(&pair);
                    match key.as_deref() {
                        Some("imagePullSecrets") => continue,
                        Some(key @ "secretName") => {
                            literal(checker, doc, object, value, |v| {
                                format!("literal secret name `{v}` in `{key}`")
                            });
                        }
                        Some(key @ ("secretKeyRef" | "secretRef")) => {
                            if let Some(name) = doc.content(value).and_then(|m| doc.get(m, "name")) {
                                if let (false, Some(v)) = (name.merged, name.value) {
                                    literal(checker, doc, object, v, |v| {
                                        format!("literal secret name `{v}` under `{key}`")
                                    });
                                }
                            }
                        }
                        Some(key) if key.starts_with("vault.hashicorp.com/") => {
                            let key = key.to_string();
                            literal(checker, doc, object, value, |v| {
                                if VAULT_PATH.is_match(v) {
                                    format!("literal vault path `{v}` in annotation `{key}`")
                                } else {
                                    String::new()
                                }
                            });
                        }
                        _ => {}
                    }
                    stack.push(value);
                }
            }
            "block_sequence" | "flow_sequence" => stack.extend(doc.items(node)),
            "block_node" | "flow_node" => {
                let mut cursor = node.walk();
                let inner = node
                    .named_children(&mut cursor)
                    .find(|c| !matches!(c.kind(), "anchor" | "tag" | "comment"));
                stack.extend(inner.filter(|i| i.kind() != "alias"));
            }
            _ => {}
        }
    }
}

/// Reports `value` when it is a one-line literal scalar, not templated and not empty, with
/// the message `message` builds from its text (an empty message: not a finding).
fn literal(
    checker: &mut Checker<'_>,
    doc: &Doc<'_, '_>,
    object: &Object<'_, '_>,
    value: Node<'_>,
    message: impl FnOnce(&str) -> String,
) {
    let Some(content) = doc.content(value) else { return };
    // An alias is reported where its anchor is written.
    if content.byte_range().start < value.start_byte() || content.byte_range().end > value.end_byte() {
        return;
    }
    let Some(text) = doc.scalar(content) else { return };
    if text.trim().is_empty() || doc.templated(content) || debtctl_syntax::in_error(content) {
        return;
    }
    let message = message(&snippet(&text, 80));
    if message.is_empty() {
        return;
    }
    let range = doc.source_range(content.byte_range());
    let diag = checker.report(Rule::HelmHardcodedSecret, TextRange::new(range.start, range.end), message);
    diag.scope = object.scope.clone();
}
