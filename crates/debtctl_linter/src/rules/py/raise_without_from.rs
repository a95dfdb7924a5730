//! `py/raise-without-from`: `raise X(...)` inside an `except` handler without `from`.

use super::{enclosing_scope, snippet, ModuleFacts};
use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::{Applicability, Edit, Fix};
use tree_sitter::Node;

pub(crate) fn check(checker: &mut Checker<'_>, facts: &ModuleFacts, raise: Node<'_>, ancestors: &[Node<'_>]) {
    if raise.child_by_field_name("cause").is_some() {
        return;
    }
    let Some(exc) = raise.named_child(0).filter(|n| n.kind() != "comment") else {
        return; // a bare `raise` re-raises with its context
    };
    // The handlers around the raise, nearest first, up to the enclosing function.
    let handlers: Vec<Node<'_>> = ancestors
        .iter()
        .rev()
        .take_while(|a| !matches!(a.kind(), "function_definition" | "class_definition" | "lambda"))
        .filter(|a| matches!(a.kind(), "except_clause" | "except_group_clause"))
        .copied()
        .collect();
    let Some(&handler) = handlers.first() else { return };
    let source = checker.source;
    let bound = bound_name(source, handler);
    if !raises_new_exception(source, exc, &handlers) {
        return;
    }
    let message = format!(
        "`raise {}` inside an `except` handler without `from` loses the original exception",
        snippet(checker.text(exc), 40)
    );
    let scope = enclosing_scope(ancestors).unwrap_or(handler);
    let fix = fix(source, facts, handler, exc, bound, scope);
    checker.report(Rule::PyRaiseWithoutFrom, raise, message).fix = fix;
}

/// Whether `raise EXC` raises a new exception (`X(...)`, or a class `X` / `mod.X` named in
/// CapWords as PEP 8 names classes), rather than re-raising one already caught: the name a
/// handler around it binds, or a variable or attribute holding an earlier exception
/// (`raise last_error`, `raise exc.__cause__`).
fn raises_new_exception(source: &str, exc: Node<'_>, handlers: &[Node<'_>]) -> bool {
    match exc.kind() {
        "call" => true,
        "identifier" | "attribute" => {
            let text = &source[exc.byte_range()];
            if handlers.iter().any(|h| bound_name(source, *h) == Some(text)) {
                return false;
            }
            let last = text.rsplit('.').next().unwrap_or(text);
            last.chars().next().is_some_and(char::is_uppercase) && last.chars().any(char::is_lowercase)
        }
        _ => false,
    }
}

/// The name an `except E as NAME` handler binds.
fn bound_name<'a>(source: &'a str, handler: Node<'_>) -> Option<&'a str> {
    let mut cursor = handler.walk();
    let value = handler.children_by_field_name("value", &mut cursor).find(|v| v.kind() == "as_pattern")?;
    let target = value.child_by_field_name("alias")?;
    let name = target.named_child(0).unwrap_or(target);
    (name.kind() == "identifier").then(|| &source[name.byte_range()])
}

fn fix(
    source: &str,
    facts: &ModuleFacts,
    handler: Node<'_>,
    exc: Node<'_>,
    bound: Option<&str>,
    scope: Node<'_>,
) -> Option<Fix> {
    let title = |name: &str| format!("chain the original exception with `from {name}`");
    if let Some(name) = bound {
        return Some(Fix {
            applicability: Applicability::Safe,
            title: title(name),
            edits: vec![Edit::insert(exc.end_byte(), format!(" from {name}"))],
        });
    }
    // A bare `except:` cannot bind a name without naming a type; leave it alone.
    let mut cursor = handler.walk();
    let last_type = handler.children_by_field_name("value", &mut cursor).last()?;
    // Read once per scope: a module of 20,000 such handlers was read 20,000 times (issue 17).
    let name =
        facts.fresh_names.borrow_mut().entry(scope.id()).or_insert_with(|| fresh_name(source, scope)).clone();
    Some(Fix {
        applicability: Applicability::Safe,
        title: title(&name),
        edits: vec![
            Edit::insert(last_type.end_byte(), format!(" as {name}")),
            Edit::insert(exc.end_byte(), format!(" from {name}")),
        ],
    })
}

/// `err`, or a variant that the enclosing scope does not use: Python unbinds the
/// handler's name when the handler ends, which would break a later use.
fn fresh_name(source: &str, scope: Node<'_>) -> String {
    let body = &source[scope.byte_range()];
    ["err", "exc", "error", "original_err"]
        .iter()
        .find(|n| !contains_word(body, n))
        .map_or_else(|| "err_".to_string(), |n| n.to_string())
}

fn contains_word(haystack: &str, word: &str) -> bool {
    haystack.match_indices(word).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}
