//! `py/mutable-default-arg`: a parameter default that is a list, dict or set (display,
//! comprehension or constructor call), evaluated once and shared between calls.

use super::{field_text, snippet, ModuleFacts};
use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::{Applicability, Fix};
use tree_sitter::Node;

const MUTABLE_CALLS: &[&str] = &[
    "list",
    "dict",
    "set",
    "bytearray",
    "builtins.list",
    "builtins.dict",
    "builtins.set",
    "builtins.bytearray",
    "collections.defaultdict",
    "collections.OrderedDict",
    "collections.deque",
    "collections.Counter",
];

pub(crate) fn check(checker: &mut Checker<'_>, facts: &ModuleFacts, func: Node<'_>) {
    let Some(params) = func.child_by_field_name("parameters") else { return };
    let mut cursor = params.walk();
    for param in params.named_children(&mut cursor) {
        if !matches!(param.kind(), "default_parameter" | "typed_default_parameter") {
            continue;
        }
        let (Some(value), Some(name)) =
            (param.child_by_field_name("value"), field_text(param, "name", checker.source))
        else {
            continue;
        };
        if !is_mutable(checker.source, facts, value) {
            continue;
        }
        let message = format!(
            "mutable default `{}` for parameter `{name}` is shared between calls",
            snippet(checker.text(value), 40)
        );
        let diag = checker.report(Rule::PyMutableDefaultArg, value, message);
        diag.fix = Some(Fix {
            applicability: Applicability::Unsafe,
            title: "default to None and create the value in the body".to_string(),
            edits: Vec::new(),
        });
    }
}

fn is_mutable(source: &str, facts: &ModuleFacts, mut value: Node<'_>) -> bool {
    while value.kind() == "parenthesized_expression" {
        match value.named_child(0) {
            Some(inner) => value = inner,
            None => return false,
        }
    }
    match value.kind() {
        "list" | "dictionary" | "set" | "list_comprehension" | "dictionary_comprehension"
        | "set_comprehension" => true,
        "call" => value
            .child_by_field_name("function")
            .and_then(|f| facts.resolve(source, f))
            .is_some_and(|callee| MUTABLE_CALLS.contains(&callee.as_str())),
        _ => false,
    }
}
