//! `py/mutable-default-arg`: a parameter default that is a list, dict or set (display,
//! comprehension or constructor call), evaluated once and shared between calls.

use super::{field_text, line_indent, line_start, snippet, text, ModuleFacts};
use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::{Applicability, Edit, Fix};
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
        let edits = fix_edits(checker.source, facts, func, param, value, name);
        let diag = checker.report(Rule::PyMutableDefaultArg, value, message);
        diag.fix = edits.map(|edits| Fix {
            applicability: Applicability::Unsafe,
            title: "default to None and create the value in the body".to_string(),
            edits,
        });
    }
}

/// The default becomes `None`, a non-optional annotation `T` becomes `T | None` (or
/// `Optional[T]` where the module imports `Optional`), and the body starts, after any
/// docstring, with `if NAME is None:` / `NAME = <original>`.
fn fix_edits(
    source: &str,
    facts: &ModuleFacts,
    func: Node<'_>,
    param: Node<'_>,
    value: Node<'_>,
    name: &str,
) -> Option<Vec<Edit>> {
    let body = func.child_by_field_name("body")?;
    let mut edits = vec![Edit::replace(value.start_byte(), value.end_byte(), "None")];
    if let Some(annotation) = param.child_by_field_name("type") {
        let t = text(annotation, source);
        let optional =
            t.contains("None") || t.starts_with("Optional[") || t.contains(".Optional[") || t == "Any";
        if !optional {
            let new = if facts.resolve_name("Optional").as_deref() == Some("typing.Optional") {
                format!("Optional[{t}]")
            } else {
                format!("{t} | None")
            };
            edits.push(Edit::replace(annotation.start_byte(), annotation.end_byte(), new));
        }
    }
    let original = text(value, source);
    let def_indent = line_indent(source, func.start_byte());
    let unit = facts.indent_unit(source, def_indent);
    let one_line = !source[func.start_byte()..body.start_byte()].contains('\n');
    if one_line {
        // `def f(x=[]): return x`: the body moves to its own lines below the guard.
        let colon = source[..body.start_byte()].rfind(':')?;
        let ind = format!("{def_indent}{unit}");
        edits.push(Edit::replace(
            colon + 1,
            body.start_byte(),
            format!("\n{ind}if {name} is None:\n{ind}{unit}{name} = {original}\n{ind}"),
        ));
        return Some(edits);
    }
    let mut cursor = body.walk();
    let statements: Vec<Node<'_>> =
        body.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
    let first = *statements.first()?;
    let is_docstring = first.kind() == "expression_statement"
        && first.named_child_count() == 1
        && first.named_child(0).is_some_and(|e| matches!(e.kind(), "string" | "concatenated_string"));
    let ind = line_indent(source, first.start_byte());
    let unit = match ind.strip_prefix(def_indent) {
        Some(u) if !u.is_empty() => u.to_string(),
        _ => unit,
    };
    let guard = format!("{ind}if {name} is None:\n{ind}{unit}{name} = {original}\n");
    // After the docstring and after the guards earlier rounds inserted, so that guards
    // read in parameter order.
    let skip = usize::from(is_docstring)
        + statements[usize::from(is_docstring)..].iter().take_while(|s| is_none_guard(source, **s)).count();
    match statements.get(skip) {
        Some(target) => {
            let at = line_start(source, target.start_byte());
            // The target must start its own line, or the guard would split a line.
            if source[at..target.start_byte()].trim().is_empty() {
                edits.push(Edit::insert(at, guard));
            } else {
                return None;
            }
        }
        None => {
            // Only a docstring (and guards): the guard goes on the lines after them.
            let end = statements[skip - 1].end_byte();
            match source[end..].find('\n') {
                Some(nl) => edits.push(Edit::insert(end + nl + 1, guard)),
                None => edits.push(Edit::insert(source.len(), format!("\n{}", guard.trim_end_matches('\n')))),
            }
        }
    }
    Some(edits)
}

fn is_mutable(source: &str, facts: &ModuleFacts, mut value: Node<'_>) -> bool {
    while value.kind() == "parenthesized_expression" {
        match value.named_child(0) {
            Some(inner) => value = inner,
            None => return false,
        }
    }
    match value.kind() {
        "list"
        | "dictionary"
        | "set"
        | "list_comprehension"
        | "dictionary_comprehension"
        | "set_comprehension" => true,
        "call" => value
            .child_by_field_name("function")
            .and_then(|f| facts.resolve(source, f))
            .is_some_and(|callee| MUTABLE_CALLS.contains(&callee.as_str())),
        _ => false,
    }
}

/// `if NAME is None:` followed by `NAME = ...`: a guard this fix inserted.
fn is_none_guard(source: &str, stmt: Node<'_>) -> bool {
    stmt.kind() == "if_statement"
        && stmt.child_by_field_name("condition").is_some_and(|c| {
            let t = text(c, source);
            t.ends_with(" is None") && t.split_whitespace().count() == 3
        })
        && stmt.child_by_field_name("alternative").is_none()
}
