//! `go/append-alias`: `x = append(y, ...)` where `y` is another slice, whose backing array
//! the result may or may not share.

use super::NodeExt;
use super::{list_items, text};
use crate::checker::Checker;
use crate::registry::Rule;
use tree_sitter::Node;

pub(crate) fn check(checker: &mut Checker<'_>, stmt: Node<'_>) {
    let source = checker.source;
    let Some(right) = stmt.field("right") else { return };
    if !text(right, source).contains("append") {
        return;
    }
    if stmt.kind_str() == "assignment_statement"
        && stmt.field("operator").is_some_and(|o| text(o, source) != "=")
    {
        return;
    }
    let left = list_items(stmt.field("left"));
    let right = list_items(stmt.field("right"));
    if left.len() != right.len() {
        return;
    }
    for (x, call) in left.iter().zip(&right) {
        if call.kind_str() != "call_expression" || text(*x, source) == "_" {
            continue;
        }
        let Some(f) = call.field("function") else { continue };
        if f.kind_str() != "identifier" || text(f, source) != "append" {
            continue;
        }
        let Some(first) = call.field("arguments").and_then(|a| a.named_child(0)) else { continue };
        let base = match first.kind_str() {
            "identifier" | "selector_expression" => first,
            "slice_expression" => {
                // `y[:0:0]` is a fresh slice: the copy idiom.
                let zero = |field| first.field(field).is_some_and(|n| text(n, source) == "0");
                if zero("end") && zero("capacity") {
                    continue;
                }
                match first.field("operand") {
                    Some(op) if matches!(op.kind_str(), "identifier" | "selector_expression") => op,
                    _ => continue,
                }
            }
            _ => continue,
        };
        if same(text(*x, source), text(base, source)) {
            continue;
        }
        let message = format!(
            "`{}` is assigned `append({}, ...)`, which may share `{}`'s backing array",
            text(*x, source),
            text(first, source),
            text(base, source)
        );
        checker.report(Rule::GoAppendAlias, stmt, message);
    }
}

fn same(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
        || a.replace(char::is_whitespace, "") == b.replace(char::is_whitespace, "")
}
