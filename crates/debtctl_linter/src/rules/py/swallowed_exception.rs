//! `py/swallowed-exception`: a bare or `Exception`/`BaseException` handler whose body does
//! nothing, and `contextlib.suppress(Exception)`.

use super::{text, ModuleFacts};
use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::TextRange;
use tree_sitter::Node;

const BROAD: &[&str] = &["Exception", "BaseException", "builtins.Exception", "builtins.BaseException"];

pub(crate) fn check_handler(checker: &mut Checker<'_>, clause: Node<'_>) {
    let source = checker.source;
    let mut cursor = clause.walk();
    let mut types: Vec<Node<'_>> = clause.children_by_field_name("value", &mut cursor).collect();
    // `except E as e` holds `E` inside an `as_pattern`.
    for t in &mut types {
        if t.kind() == "as_pattern" {
            if let Some(inner) = t.named_child(0) {
                *t = inner;
            }
        }
    }
    let broad = types.iter().find(|t| names_broad(source, **t, 0));
    if !types.is_empty() && broad.is_none() {
        return;
    }
    let mut cursor = clause.walk();
    let Some(body) = clause.named_children(&mut cursor).find(|c| c.kind() == "block") else {
        return;
    };
    if !does_nothing(body) {
        return;
    }
    let (end, message) = match types.last() {
        None => {
            let keyword_end = clause.child(0).map_or(clause.start_byte(), |k| k.end_byte());
            (keyword_end, "bare `except` swallows every exception: the handler does nothing".to_string())
        }
        Some(last) => {
            let shown = &source[types[0].start_byte()..last.end_byte()];
            (last.end_byte(), format!("`except {shown}` swallows every exception: the handler does nothing"))
        }
    };
    checker.report(Rule::PySwallowedException, TextRange::new(clause.start_byte(), end), message);
}

/// `contextlib.suppress(Exception)` (or `suppress` imported from `contextlib`).
pub(crate) fn check_suppress(checker: &mut Checker<'_>, facts: &ModuleFacts, call: Node<'_>) {
    let source = checker.source;
    let Some(function) = call.child_by_field_name("function") else { return };
    // Cheap test first: calls are the commonest node this rule sees.
    let last = text(function, source).rsplit('.').next().unwrap_or_default();
    if (last != "suppress" && !facts.is_imported_name(last))
        || facts.resolve(source, function).as_deref() != Some("contextlib.suppress")
    {
        return;
    }
    let Some(args) = call.child_by_field_name("arguments") else { return };
    let mut cursor = args.walk();
    let Some(arg) = args.named_children(&mut cursor).find(|a| is_broad_name(source, *a)) else {
        return;
    };
    let message = format!("`suppress({})` swallows every exception", text(arg, source));
    checker.report(Rule::PySwallowedException, call, message);
}

fn is_broad_name(source: &str, node: Node<'_>) -> bool {
    matches!(node.kind(), "identifier" | "attribute") && BROAD.contains(&text(node, source))
}

/// The type expression names `Exception` or `BaseException`, alone or in a tuple.
fn names_broad(source: &str, node: Node<'_>, depth: u32) -> bool {
    match node.kind() {
        "identifier" | "attribute" => is_broad_name(source, node),
        // Real code nests a tuple in parentheses once or twice; deeper is not worth a stack.
        "tuple" | "parenthesized_expression" | "expression_list" if depth < 8 => {
            let mut cursor = node.walk();
            let found = node.named_children(&mut cursor).any(|c| names_broad(source, c, depth + 1));
            found
        }
        _ => false,
    }
}

/// Only `pass`, `...`, `continue` or a string (a docstring), comments aside.
fn does_nothing(block: Node<'_>) -> bool {
    let mut cursor = block.walk();
    let result = block.named_children(&mut cursor).all(|stmt| match stmt.kind() {
        "pass_statement" | "continue_statement" | "comment" => true,
        "expression_statement" => {
            stmt.named_child_count() == 1
                && stmt
                    .named_child(0)
                    .is_some_and(|e| matches!(e.kind(), "ellipsis" | "string" | "concatenated_string"))
        }
        _ => false,
    });
    result
}
