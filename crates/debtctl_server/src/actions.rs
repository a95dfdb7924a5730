//! Code actions (a rule's fix, a suppression comment, fix-all) and hover, from a document's
//! last analysis.

use crate::analysis::Item;
use crate::document::Document;
use crate::server::{Server, FIX_ALL};
use debtctl_diagnostics::{Applicability, Edit};
use debtctl_linter::fix::{apply_edits, error_count, fix_source, newline_of};
use debtctl_linter::Rule;
use debtctl_syntax::Language;
use lsp_types::{CodeActionParams, HoverParams, Uri};
use serde_json::{json, Value};

impl Server<'_> {
    pub(crate) fn code_actions(&mut self, p: &CodeActionParams) -> Value {
        let uri = &p.text_document.uri;
        let Some(analysis) = self.analysis(uri) else { return json!([]) };
        let diagnostics = self.diagnostics_json(uri);
        let enc = self.encoding();
        let Some(doc) = self.doc(uri) else { return json!([]) };
        let only = p.context.only.as_ref();
        // A kind is wanted when `only` is absent or names it or a kind above it.
        let wants = |kind: &str| {
            only.is_none_or(|o| {
                o.iter().any(|k| kind == k.as_str() || kind.starts_with(&format!("{}.", k.as_str())))
            })
        };
        let start = doc.lines.offset(&doc.text, p.range.start, enc);
        let end = doc.lines.offset(&doc.text, p.range.end, enc);
        let mut actions = Vec::new();
        if wants("quickfix") {
            for (item, diagnostic) in analysis.items.iter().zip(&diagnostics) {
                if item.start > end || item.end < start {
                    continue;
                }
                let rule = &item.finding.rule;
                if let Some(fix) = item.fix.as_ref().filter(|f| f.applicability > Applicability::DisplayOnly)
                {
                    // A fix whose result parses worse than the document is not offered.
                    let fixed = apply_edits(&doc.text, &fix.edits, newline_of(&doc.text));
                    if error_count(doc.lang, &fixed) <= error_count(doc.lang, &doc.text) {
                        let unsafe_note =
                            if fix.applicability == Applicability::Safe { "" } else { " (unsafe)" };
                        actions.push(json!({
                            "title": format!("{rule}: {}{unsafe_note}", fix.title),
                            "kind": "quickfix",
                            "diagnostics": [diagnostic],
                            "isPreferred": fix.applicability == Applicability::Safe,
                            "edit": {"changes": {uri.as_str(): text_edits(doc, &fix.edits, enc)}},
                        }));
                    }
                }
                let edit = suppression_edit(doc, item);
                actions.push(json!({
                    "title": format!("Suppress {rule} on this line"),
                    "kind": "quickfix",
                    "diagnostics": [diagnostic],
                    "edit": {"changes": {uri.as_str(): text_edits(doc, &[edit], enc)}},
                }));
            }
        }
        let any_safe = analysis
            .items
            .iter()
            .any(|i| i.fix.as_ref().is_some_and(|f| f.applicability == Applicability::Safe));
        if wants(FIX_ALL) && any_safe {
            let (lang, text) = (doc.lang, doc.text.clone());
            let end = doc.range(0, text.len(), enc).end;
            let outcome = fix_source(lang, &text, Applicability::Safe, |t| self.fixes_of(uri, t));
            if outcome.source != text {
                actions.push(json!({
                    "title": "debtctl: fix all safe fixes",
                    "kind": FIX_ALL,
                    "edit": {"changes": {uri.as_str(): [{
                        "range": {"start": {"line": 0, "character": 0}, "end": end},
                        "newText": outcome.source,
                    }]}},
                }));
            }
        }
        Value::Array(actions)
    }

    fn diagnostics_json(&mut self, uri: &Uri) -> Vec<Value> {
        self.diagnostics(uri).into_iter().map(|d| serde_json::to_value(d).unwrap_or(Value::Null)).collect()
    }

    pub(crate) fn hover(&mut self, p: &HoverParams) -> Value {
        let uri = &p.text_document_position_params.text_document.uri;
        let Some(analysis) = self.analysis(uri) else { return Value::Null };
        let (ticket_url, base) = self.project_facts(uri);
        let enc = self.encoding();
        let Some(doc) = self.doc(uri) else { return Value::Null };
        let at = doc.lines.offset(&doc.text, p.text_document_position_params.position, enc);
        let hits: Vec<&Item> = analysis.items.iter().filter(|i| i.start <= at && at <= i.end).collect();
        let Some(first) = hits.first() else { return Value::Null };
        let text: Vec<String> = hits
            .iter()
            .map(|i| {
                let doc = self.rule_doc(uri, &i.finding.rule);
                let note = self.custom_note(uri, &i.finding.rule);
                hover_text(i, ticket_url.as_deref(), base.as_deref(), doc.as_deref(), note.as_deref())
            })
            .collect();
        json!({
            "contents": {"kind": "markdown", "value": text.join("\n\n---\n\n")},
            "range": doc.range(first.start, first.end, enc),
        })
    }
}

/// The hover of one finding: rule, summary, why it is debt (a custom rule's `note`), its
/// cost and ticket, and whether it is new on this branch.
fn hover_text(
    item: &Item,
    ticket_url: Option<&str>,
    base: Option<&str>,
    doc: Option<&str>,
    note: Option<&str>,
) -> String {
    let f = &item.finding;
    let meta = Rule::from_id(&f.rule).map(Rule::meta);
    let status = match (item.new, base) {
        (true, Some(base)) => format!("**new debt**: not in `{base}`"),
        (true, None) => "**new debt**".to_string(),
        (false, Some(base)) => format!("legacy debt: already in `{base}`"),
        (false, None) => "legacy debt".to_string(),
    };
    let mut out = format!("**{}** ({}) · {status}\n\n{}", f.rule, f.severity, f.message);
    if let Some(meta) = meta {
        out.push_str(&format!("\n\n*{}*", meta.summary));
        if let Some(why) = section(meta.doc, "Why is this bad?") {
            out.push_str(&format!("\n\n**Why is this debt?** {why}"));
        }
    }
    if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
        out.push_str(&format!("\n\n{note}"));
    }
    out.push_str(&format!("\n\n**Cost:** {} min", f.debt_minutes));
    if let Some(ticket) = &f.ticket {
        match ticket_url {
            Some(url) => {
                out.push_str(&format!(" · **Ticket:** [{ticket}]({})", url.replace("{key}", ticket)))
            }
            None => out.push_str(&format!(" · **Ticket:** {ticket}")),
        }
    }
    if let Some(fix) = &f.fix {
        let how = match fix.applicability {
            Applicability::Safe => "safe fix",
            Applicability::Unsafe => "unsafe fix",
            Applicability::DisplayOnly => "suggestion",
        };
        out.push_str(&format!(" · **Fix** ({how}): {}", fix.title));
    }
    if let Some(doc) = doc {
        out.push_str(&format!("\n\n[Documentation]({doc})"));
    }
    out
}

/// The text of a `## heading` section of a rule's documentation, as one paragraph.
fn section(doc: &str, heading: &str) -> Option<String> {
    let start = doc.find(&format!("## {heading}\n"))? + heading.len() + 4;
    let rest = &doc[start..];
    let body = rest.find("\n## ").map_or(rest, |end| &rest[..end]);
    Some(body.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The comment that suppresses `rule` in `lang`, in the catalog's spelling.
fn suppression_comment(lang: Language, rule: &str) -> String {
    match lang {
        Language::Go | Language::GoMod => format!("//debtctl:ignore {rule}"),
        Language::Python => format!("# debtctl: ignore[{rule}]"),
        Language::Yaml | Language::HelmTemplate => format!("# debtctl:ignore {rule}"),
    }
}

/// Suppresses an item on its line: the comment goes at the end of the line, or, where
/// the line already holds a comment (which the new one would fall inside), on a line of
/// its own above, which suppresses the line below it.
fn suppression_edit(doc: &Document, item: &Item) -> Edit {
    let comment = suppression_comment(doc.lang, &item.finding.rule);
    let line = item.finding.line as usize - 1;
    let start = doc.lines.start(line).unwrap_or(doc.text.len());
    let end = doc.lines.line_end(&doc.text, line);
    let line_text = &doc.text[start..end];
    let marker = if matches!(doc.lang, Language::Go | Language::GoMod) { "//" } else { "#" };
    if !line_text.contains(marker) {
        let gap = if doc.lang == Language::Python { "  " } else { " " };
        return Edit::insert(end, format!("{gap}{comment}"));
    }
    let indent: String = line_text.chars().take_while(|c| c.is_whitespace()).collect();
    Edit::insert(start, format!("{indent}{comment}{}", newline_of(&doc.text)))
}

/// Edits as LSP text edits; `\n` in inserted text becomes the document's own newline.
fn text_edits(doc: &Document, edits: &[Edit], enc: crate::document::Encoding) -> Vec<Value> {
    let newline = newline_of(&doc.text);
    edits
        .iter()
        .map(|e| {
            let text = if newline == "\n" { e.content.clone() } else { e.content.replace('\n', newline) };
            json!({"range": doc.range(e.range.start, e.range.end, enc), "newText": text})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use debtctl_diagnostics::{Finding, Severity};
    use std::path::PathBuf;

    fn item(rule: &str, line: u32) -> Item {
        let finding = Finding {
            rule: rule.to_string(),
            severity: Severity::Warning,
            path: "x".to_string(),
            line,
            column: 1,
            end_line: line,
            end_column: 2,
            message: String::new(),
            debt_minutes: 1,
            fingerprint: "0000000000000000".to_string(),
            ticket: None,
            fix: None,
        };
        Item { finding, start: 0, end: 0, fix: None, new: true }
    }

    fn suppressed(lang: Language, text: &str, rule: &str, line: u32) -> String {
        let doc = Document::new(PathBuf::from("x"), lang, 1, text.to_string());
        apply_edits(text, &[suppression_edit(&doc, &item(rule, line))], newline_of(text))
    }

    #[test]
    fn suppression_goes_at_the_end_of_the_line_in_each_language() {
        assert_eq!(
            suppressed(Language::Go, "package p\n\nfunc f() {\n\tsave()\n}\n", "go/ignored-error", 4),
            "package p\n\nfunc f() {\n\tsave() //debtctl:ignore go/ignored-error\n}\n"
        );
        assert_eq!(
            suppressed(Language::Python, "def f(x=[]):\r\n    pass\r\n", "py/mutable-default-arg", 1),
            "def f(x=[]):  # debtctl: ignore[py/mutable-default-arg]\r\n    pass\r\n"
        );
        assert_eq!(
            suppressed(Language::Yaml, "a:\n  - name: web\n", "k8s/missing-probe", 2),
            "a:\n  - name: web # debtctl:ignore k8s/missing-probe\n"
        );
    }

    /// A comment appended after an existing one would be part of it, and suppress nothing.
    #[test]
    fn a_line_with_a_comment_gets_the_suppression_on_the_line_above() {
        assert_eq!(
            suppressed(Language::Go, "func f() {\n\tsave() // keep\n}\n", "go/ignored-error", 2),
            "func f() {\n\t//debtctl:ignore go/ignored-error\n\tsave() // keep\n}\n"
        );
        assert_eq!(
            suppressed(Language::Python, "    # TODO(PAY-1): x\r\n", "debt/todo", 1),
            "    # debtctl: ignore[debt/todo]\r\n    # TODO(PAY-1): x\r\n"
        );
    }

    #[test]
    fn hover_sections_are_read_from_the_rule_docs() {
        let meta = Rule::PyMutableDefaultArg.meta();
        let why = section(meta.doc, "Why is this bad?").unwrap();
        assert!(why.starts_with("A default is evaluated once"), "{why}");
        assert!(!why.contains("##"), "{why}");
    }
}
