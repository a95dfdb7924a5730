//! `k8s/missing-probe`: a container of a long-running workload without a `readinessProbe`
//! or without a `livenessProbe`.

use crate::checker::Checker;
use crate::registry::Rule;
use crate::rules::py::snippet;
use crate::rules::yaml::model::{Doc, Object};
use debtctl_diagnostics::{Applicability, Fix, TextRange};
use debtctl_syntax::helm::{ActionKind, Masked};
use regex::Regex;
use std::sync::LazyLock;
use tree_sitter::Node;

/// The kinds whose pods run until stopped. `Job` and `CronJob` run to completion.
const WORKLOADS: &[&str] =
    &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"];

const PROBES: [&str; 2] = ["readinessProbe", "livenessProbe"];

/// The indentation a template gives what it prints: `nindent 10`, `indent 10`.
static INDENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bn?indent\s+(\d+)\b").expect("valid regex"));

pub(crate) fn check(checker: &mut Checker<'_>, doc: &Doc<'_, '_>, object: &Object<'_, '_>) {
    if !WORKLOADS.contains(&object.kind.as_ref()) {
        return;
    }
    let Some(spec) = doc.get_content(object.mapping, "spec") else { return };
    let pod_spec = if object.kind == "Pod" {
        if runs_to_completion(doc, object.mapping, spec) {
            return;
        }
        Some(spec)
    } else {
        doc.get_content(spec, "template").and_then(|t| doc.get_content(t, "spec"))
    };
    let Some(containers) = pod_spec.and_then(|p| doc.get_content(p, "containers")) else { return };
    for item in doc.items(containers) {
        let Some(container) = doc.content(item) else { continue };
        if !matches!(container.kind(), "block_mapping" | "flow_mapping") || container.has_error() {
            continue;
        }
        let pairs = doc.pairs(container);
        let missing: Vec<&str> = PROBES
            .into_iter()
            .filter(|probe| {
                !pairs.iter().any(|p| doc.key(p).as_deref() == Some(probe) && present(doc, p.value))
            })
            .collect();
        if missing.is_empty() {
            continue;
        }
        if doc.helm.is_some_and(|m| injects_into(doc, m, item, container)) {
            continue;
        }
        if debtctl_syntax::in_error(container) {
            continue;
        }
        let name_pair = pairs
            .iter()
            .find(|p| !p.merged && doc.key(p).as_deref() == Some("name"))
            .or_else(|| pairs.iter().find(|p| !p.merged));
        let Some(at) = name_pair else { continue };
        let range = on_its_line(doc, at.node);
        let name = name_pair
            .filter(|p| doc.key(p).as_deref() == Some("name"))
            .map(|p| display_value(doc, p.node, range))
            .unwrap_or_default();
        let what = match missing.as_slice() {
            [one] => format!("`{one}`"),
            _ => "`readinessProbe` and no `livenessProbe`".to_string(),
        };
        let message = format!("container `{}` has no {what}", snippet(&name, 60));
        let title = suggestion(doc, container, &missing);
        let diag = checker.report(Rule::K8sMissingProbe, range, message);
        diag.scope = object.scope.clone();
        diag.fix = Some(Fix { applicability: Applicability::DisplayOnly, title, edits: Vec::new() });
    }
}

/// A bare Pod that is not long-running: `restartPolicy: Never` or `OnFailure` (a one-off
/// client, a Helm test), or a Helm hook (`helm.sh/hook` annotation), which runs once
/// around an install or upgrade.
fn runs_to_completion(doc: &Doc<'_, '_>, pod: Node<'_>, spec: Node<'_>) -> bool {
    let restart = doc.get_content(spec, "restartPolicy").and_then(|v| doc.scalar(v));
    if restart.is_some_and(|r| r == "Never" || r == "OnFailure") {
        return true;
    }
    doc.get_content(pod, "metadata")
        .and_then(|m| doc.get_content(m, "annotations"))
        .is_some_and(|a| doc.pairs(a).iter().any(|p| doc.key(p).as_deref() == Some("helm.sh/hook")))
}

/// The value of a `key: value` entry as the file shows it: the scalar when literal, the
/// template text when templated (`{{ .Chart.Name }}`).
fn display_value(doc: &Doc<'_, '_>, pair: Node<'_>, range: TextRange) -> String {
    let value = pair.child_by_field_name("value");
    if let Some(literal) =
        value.and_then(|v| doc.content(v)).filter(|v| !doc.templated(*v)).and_then(|v| doc.scalar(v))
    {
        return literal.into_owned();
    }
    let key_end = pair.child_by_field_name("key").map_or(range.start, |k| k.end_byte());
    let shown = &doc.source[doc.source_range(key_end.min(range.end)..range.end)];
    let shown = shown.trim_start().trim_start_matches(':').trim();
    // `name: "{{ .Chart.Name }}"` shows as `{{ .Chart.Name }}`.
    let unquoted = ['"', '\''].iter().find_map(|q| shown.strip_prefix(*q)?.strip_suffix(*q));
    unquoted.unwrap_or(shown).to_string()
}

/// Whether a probe entry counts: explicit `null`, `~` or nothing counts as absent in plain
/// YAML; in a template an empty value was most likely printed by an action.
fn present(doc: &Doc<'_, '_>, value: Option<Node<'_>>) -> bool {
    let Some(value) = value else { return doc.helm.is_some() };
    let Some(content) = doc.content(value) else { return doc.helm.is_some() };
    !(content.kind() == "plain_scalar" && matches!(doc.text(content).trim(), "null" | "Null" | "NULL" | "~"))
        || doc.templated(content)
}

/// Whether a template action prints a block of keys into this container, which may hold
/// the probes: `{{- toYaml .Values.probes | nindent 10 }}` or `{{ include "probes" . }}` on
/// a line of its own, at the indentation of the container's keys (from its `indent`/
/// `nindent` argument, else from where the action stands), and not the value of the key
/// above it nor more items of a sequence above it.
fn injects_into(doc: &Doc<'_, '_>, masked: &Masked, item: Node<'_>, container: Node<'_>) -> bool {
    if container.kind() != "block_mapping" {
        return false;
    }
    let key_col = container.start_position().column;
    let extent = item.start_byte()..extent_end(doc.text, item);
    masked.actions_in(extent).iter().any(|action| {
        if action.kind != ActionKind::Output || !masked.starts_line(action) {
            return false;
        }
        let body = &doc.source[action.range.clone()];
        let level = match INDENT.captures_iter(body).last().and_then(|c| c[1].parse::<usize>().ok()) {
            Some(n) => n,
            None => action.range.start - doc.text[..action.range.start].rfind('\n').map_or(0, |i| i + 1),
        };
        level == key_col && prints_keys_at(doc.text, masked, action.range.start, level)
    })
}

/// Whether what an action at `at` prints at column `col` is entries of the mapping whose
/// keys stand at `col`, judged from the nearest line of YAML above that is not deeper: a
/// key at `col` (or a `- key:` whose key is at `col`) says yes; a `- ` item at `col` says
/// it continues that sequence; an empty `key:` at `col` says it is that key's value (a
/// sequence may sit at its key's column); anything shallower says it is nested deeper.
fn prints_keys_at(text: &str, masked: &Masked, at: usize, col: usize) -> bool {
    let mut end = text[..at].rfind('\n').unwrap_or(0);
    // An action printed something between that line and this one: an empty key above
    // already has its value.
    let mut printed_between = false;
    while end > 0 {
        let start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[start..end];
        let line_range = start..end;
        end = start.saturating_sub(1);
        let indent = line.len() - line.trim_start().len();
        let rest = line.trim();
        if rest.is_empty() || rest.starts_with('#') || indent > col {
            printed_between |= masked.actions_in(line_range).iter().any(|a| a.kind == ActionKind::Output);
            continue;
        }
        let dash = rest == "-" || rest.starts_with("- ");
        if dash && indent == col {
            return false;
        }
        let content =
            if dash { indent + 1 + (rest[1..].len() - rest[1..].trim_start().len()) } else { indent };
        if content != col {
            return false;
        }
        let empty_key = !dash && rest.ends_with(':') && masked.actions_in(line_range).is_empty();
        return !empty_key || printed_between;
    }
    false
}

/// Where the item's region ends: at the next item, or at the first later line that holds
/// YAML (not blanks, masked actions or comments) indented no deeper than the item's dash.
fn extent_end(text: &str, item: Node<'_>) -> usize {
    if let Some(next) = item.next_named_sibling() {
        return next.start_byte();
    }
    let dash_col = item.start_position().column;
    let bytes = text.as_bytes();
    let mut line_start = text[..item.end_byte()].rfind('\n').map_or(0, |i| i + 1);
    // Skip the rest of the line the item ends on.
    line_start = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i + 1);
    while line_start < text.len() {
        let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
        let indent = bytes[line_start..line_end].iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        let rest = &bytes[line_start + indent..line_end];
        if !rest.is_empty() && rest[0] != b'#' && rest != b"\r" && indent <= dash_col {
            return line_start;
        }
        line_start = line_end + 1;
    }
    text.len()
}

/// A node's range, extended to the end of the template actions on the same line that it
/// was masked from (`name: {{ .Chart.Name }}` parses as `name:`).
fn on_its_line(doc: &Doc<'_, '_>, node: Node<'_>) -> TextRange {
    let range = doc.source_range(node.byte_range());
    let (start, mut end) = (range.start, range.end);
    if let Some(masked) = doc.helm {
        let source = doc.source;
        let line_end = source[end..].find('\n').map_or(source.len(), |i| end + i);
        if let Some(last) = masked.actions_in(end..line_end).last() {
            end = last.range.end.min(line_end);
        }
    }
    TextRange::new(start, end)
}

/// The probes to add, built from the container's first port.
fn suggestion(doc: &Doc<'_, '_>, container: Node<'_>, missing: &[&str]) -> String {
    let port = doc
        .get_content(container, "ports")
        .and_then(|ports| doc.items(ports).into_iter().next())
        .and_then(|first| doc.content(first))
        .and_then(|port| {
            let literal = |key: &str| {
                doc.get_content(port, key).filter(|v| !doc.templated(*v)).and_then(|v| doc.scalar(v))
            };
            literal("name").or_else(|| literal("containerPort"))
        });
    let probe = match &port {
        Some(port) => format!("{{tcpSocket: {{port: {port}}}}}"),
        None => "{exec: {command: [...]}}".to_string(),
    };
    let parts: Vec<String> = missing.iter().map(|m| format!("`{m}: {probe}`")).collect();
    format!("add {}", parts.join(" and "))
}
