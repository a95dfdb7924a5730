//! `py/open-without-with`: a file opened outside `with` and never closed in its scope.

use super::{callee_name, enclosing_scope, uses_of, ModuleFacts};
use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::{Applicability, Fix};
use tree_sitter::Node;

/// Calls that take over a file object and close it later.
const OWNERS: &[&str] = &["closing", "enter_context", "push", "callback"];

pub(crate) fn check(
    checker: &mut Checker<'_>,
    facts: &ModuleFacts,
    call: Node<'_>,
    ancestors: &[Node<'_>],
) {
    let source = checker.source;
    let Some(function) = call.child_by_field_name("function") else { return };
    let is_open = match function.kind() {
        "identifier" => &source[function.byte_range()] == "open" && !facts.open_shadowed,
        "attribute" => matches!(
            facts.resolve(source, function).as_deref(),
            Some("io.open" | "codecs.open" | "builtins.open")
        ),
        _ => false,
    };
    if !is_open {
        return;
    }
    // Climb through wrappers to the node that decides what happens to the file.
    let mut child = call;
    let mut context = None;
    for parent in ancestors.iter().rev() {
        match parent.kind() {
            "parenthesized_expression" | "conditional_expression" | "boolean_operator" => {
                child = *parent;
            }
            _ => {
                context = Some(*parent);
                break;
            }
        }
    }
    let Some(context) = context else { return };
    // Anything inside a `with` item is managed by it, `with closing(open(p))` included.
    let in_with = ancestors
        .iter()
        .rev()
        .take_while(|a| !matches!(a.kind(), "block" | "module" | "function_definition" | "lambda"))
        .any(|a| a.kind() == "with_item");
    if in_with {
        return;
    }
    let inline = |checker: &mut Checker<'_>| {
        let message = "file opened without `with` is never closed".to_string();
        checker.report(Rule::PyOpenWithoutWith, call, message);
    };
    match context.kind() {
        "return_statement" | "yield" | "lambda" => {}
        // `open(p, "w").close()`: the touch idiom closes at once.
        "attribute"
            if context.child_by_field_name("attribute")
                .is_some_and(|a| &source[a.byte_range()] == "close") => {}
        // Put in a container: whoever holds the container owns the file.
        "list" | "tuple" | "set" | "pair" | "dictionary" => {}
        "argument_list" | "keyword_argument" => {
            let owner = ancestors
                .iter()
                .rev()
                .find(|a| a.kind() == "call")
                .and_then(|c| callee_name(*c, source));
            if !owner.is_some_and(|o| OWNERS.contains(&o)) {
                inline(checker);
            }
        }
        "assignment" | "named_expression" => {
            let target = match context.kind() {
                "assignment" => context.child_by_field_name("left"),
                _ => context.child_by_field_name("name"),
            };
            let is_value = match context.kind() {
                "assignment" => context.child_by_field_name("right") == Some(child),
                _ => context.child_by_field_name("value") == Some(child),
            };
            let Some(target) = target.filter(|_| is_value) else { return };
            // Stored on an attribute or in an item: its owner closes it.
            if target.kind() != "identifier" {
                return;
            }
            let Some(scope) = enclosing_scope(ancestors) else { return };
            let name = &source[target.byte_range()];
            let uses = uses_of(source, scope, name, target);
            let handed_off = uses.returned
                || uses.stored
                || uses.in_with
                || uses.methods.iter().any(|m| m == "close" || m == "__exit__")
                || uses.callees.iter().any(|c| OWNERS.contains(&c.as_str()));
            if handed_off {
                return;
            }
            let message = format!("file `{name}` is opened without `with` and never closed");
            let diag = checker.report(Rule::PyOpenWithoutWith, call, message);
            if straight_line(context) {
                diag.fix = Some(Fix {
                    applicability: Applicability::Unsafe,
                    title: format!("open `{name}` in a `with` statement"),
                    edits: Vec::new(),
                });
            }
        }
        _ => inline(checker),
    }
}

/// The binding is a plain statement of a block (not inside a condition or a loop header),
/// which a `with` statement can wrap together with the statements after it.
fn straight_line(binding: Node<'_>) -> bool {
    binding.kind() == "assignment"
        && binding.parent().is_some_and(|stmt| {
            stmt.kind() == "expression_statement"
                && stmt.parent().is_some_and(|b| matches!(b.kind(), "block" | "module"))
        })
}
