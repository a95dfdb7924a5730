//! The YAML rules' single pass. A YAML file, or a Helm template once its actions are
//! masked, is parsed one document at a time ([`debtctl_syntax::yaml::parse_documents`]);
//! each document is walked once for comments (`debt/todo`, suppressions) and anchors, then
//! its Kubernetes objects (mappings with `apiVersion` and `kind`, and the `items` of a
//! `kind: List`) go to the Kubernetes and Helm rules.

pub(crate) mod model;

use crate::checker::Checker;
use crate::comments::visit_comment;
use crate::registry::Rule;
use crate::rules::debt::todo;
use crate::rules::{helm, k8s};
use crate::walk::walk;
use debtctl_syntax::{helm as helm_syntax, yaml, Language};
use model::Doc;
use tree_sitter::Node;

/// Checks a YAML file or Helm template; returns whether any document failed to parse
/// cleanly.
pub(crate) fn check(checker: &mut Checker<'_>, lang: Language) -> bool {
    let masked = (lang == Language::HelmTemplate).then(|| helm_syntax::mask(checker.source));
    let text: &str = masked.as_ref().map_or(checker.source, |m| m.text.as_str());
    let trees = yaml::parse_documents(text);
    let probes_on = checker.enabled(Rule::K8sMissingProbe);
    let secrets_on = lang == Language::HelmTemplate && checker.enabled(Rule::HelmHardcodedSecret);
    let mut parse_error = trees.is_empty() && !text.trim().is_empty();
    for tree in &trees {
        let root = tree.root_node();
        parse_error |= root.has_error();
        let mut doc = Doc::new(text, checker.source, masked.as_ref());
        walk(root, |node, ancestors| match node.kind() {
            "comment" => comment(checker, masked.as_ref(), node),
            "anchor" => doc.record_anchor(node, ancestors),
            _ => {}
        });
        if !(probes_on || secrets_on) {
            continue;
        }
        for object in doc.objects(root) {
            if probes_on {
                k8s::missing_probe::check(checker, &doc, &object);
            }
            if secrets_on {
                helm::hardcoded_secret::check(checker, &doc, &object);
            }
        }
    }
    checker.check_custom(lang, text, &trees);
    parse_error
}

/// A comment node. In a masked template it may start with the `#` that masking put in
/// place of a line's actions (see [`helm_syntax::Masked::text`]); the comment as written, if
/// any, is the part from the first `#` of the source after that.
fn comment(checker: &mut Checker<'_>, masked: Option<&helm_syntax::Masked>, node: Node<'_>) {
    let source = checker.source;
    let range = node.byte_range();
    if masked.is_none() || source.as_bytes()[range.start] == b'#' {
        return visit_comment(checker, Language::Yaml, node);
    }
    let Some(masked) = masked else { return };
    let written = (range.start + 1..range.end)
        .find(|&i| masked.text.as_bytes()[i] == b'#' && source.as_bytes()[i] == b'#');
    let Some(start) = written else { return };
    let text = &source[start..range.end];
    checker.suppressions.add_comment(Language::Yaml, text, start, node.start_position().row);
    if checker.enabled(Rule::DebtTodo) {
        todo::check(checker, text, start);
    }
}

#[cfg(test)]
mod tests {
    use crate::registry::{Rule, RuleSet};
    use crate::{check_source, FileResult, LinterSettings};
    use debtctl_syntax::Language;

    fn check(lang: Language, source: &str, rules: &[Rule]) -> FileResult {
        check_source(
            "t.yaml",
            lang,
            source,
            rules.iter().copied().collect::<RuleSet>(),
            &LinterSettings::default(),
        )
    }

    #[test]
    fn template_comments_are_the_written_ones() {
        let src = "{{- if .x }} # TODO(PAY-1): drop the flag\n{{/* TODO not a YAML comment */}}\na: 1\n";
        let result = check(Language::HelmTemplate, src, &[Rule::DebtTodo]);
        assert_eq!(result.findings.len(), 1, "{:?}", result.findings);
        let f = &result.findings[0];
        assert_eq!((f.line, f.column), (1, 16), "at the marker of the written comment");
        assert_eq!(f.ticket.as_deref(), Some("PAY-1"));
    }

    #[test]
    fn a_broken_document_does_not_hide_the_next_one() {
        let src = "a: [1\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n";
        let result = check(Language::Yaml, src, &[Rule::K8sMissingProbe]);
        assert!(result.parse_error);
        assert_eq!(result.findings.len(), 1);
        assert_eq!(result.findings[0].line, 8);
    }

    /// Regression test for tree-sitter-yaml#49: past 32,768 lines the whole file used to be
    /// one ERROR, and every finding of a large bundle was lost.
    #[test]
    fn findings_past_line_32768_keep_their_lines() {
        let filler = format!("---\napiVersion: v1\nkind: ConfigMap\ndata:\n{}", "  k: v\n".repeat(2000));
        let pod =
            "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: last\n";
        let src = format!("{}{pod}", filler.repeat(20));
        let result = check(Language::Yaml, &src, &[Rule::K8sMissingProbe]);
        assert!(!result.parse_error);
        assert_eq!(result.findings.len(), 1);
        assert_eq!(result.findings[0].line as usize, src.lines().count());
    }

    #[test]
    fn findings_carry_the_object_as_scope() {
        let a = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\n";
        let b = a.replace("name: a", "name: b");
        let fp =
            |src: &str| check(Language::Yaml, src, &[Rule::K8sMissingProbe]).findings[0].fingerprint.clone();
        assert_ne!(fp(a), fp(&b), "the same container in two Pods is two findings");
    }

    proptest::proptest! {
        /// No input makes the YAML pass panic, template or not: masking, alias cycles,
        /// multi-byte text inside actions, broken documents.
        #[test]
        fn never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
            "apiVersion: v1\n", "kind: Pod\n", "kind: List\n", "items:\n", "spec:\n", "  containers:\n",
            "    - name: é\n", "      livenessProbe: {}\n", "{{ if .x }}", "{{- end }}", "{{ .Values.ü }}",
            "{{/* ✓ \n */}}", "{{ include \"x\" . | nindent 6 }}\n", "---\n", "&a ", "*a", "<<: *a\n",
            "secretName: x\n", "secretKeyRef: {name: s}\n", "\"", "'", "`", "{{", "}}", "\n", "  ", "#", ":", "- ",
            "vault.hashicorp.com/x: secret/data/y\n", "{{ define \"d\" }}", "{{ else }}", "é", "\r\n",
        ]), 0..60)) {
            let src: String = parts.concat();
            let all: Vec<Rule> = Rule::all().collect();
            for lang in [Language::Yaml, Language::HelmTemplate] {
                let _ = check(lang, &src, &all);
            }
            let _ = RuleSet::all();
        }
    }
}
