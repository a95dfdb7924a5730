//! `py/open-without-with`: a file opened outside `with` and never closed in its scope.

use super::{callee_name, enclosing_scope, line_indent, line_start, text, uses_of, ModuleFacts};
use crate::checker::Checker;
use crate::registry::Rule;
use crate::walk::walk;
use debtctl_diagnostics::{Applicability, Edit, Fix};
use tree_sitter::Node;

/// Calls that take over a file object and close it later.
const OWNERS: &[&str] = &["closing", "enter_context", "push", "callback"];

pub(crate) fn check(checker: &mut Checker<'_>, facts: &ModuleFacts, call: Node<'_>, ancestors: &[Node<'_>]) {
    let source = checker.source;
    let Some(function) = call.child_by_field_name("function") else { return };
    let is_open = match function.kind() {
        "identifier" => {
            let name = &source[function.byte_range()];
            (name == "open" && !facts.open_shadowed)
                // `from codecs import open as copen`
                || facts.resolve_name(name).is_some_and(|d| super::OPENS.contains(&d.as_str()))
        }
        "attribute" => facts.resolve(source, function).is_some_and(|d| super::OPENS.contains(&d.as_str())),
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
            if context
                .child_by_field_name("attribute")
                .is_some_and(|a| &source[a.byte_range()] == "close") => {}
        // Put in a container: whoever holds the container owns the file.
        "list" | "tuple" | "set" | "pair" | "dictionary" => {}
        "argument_list" | "keyword_argument" => {
            let owner =
                ancestors.iter().rev().find(|a| a.kind() == "call").and_then(|c| callee_name(*c, source));
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
            let edits = with_rewrite(source, facts, context, call, scope, name);
            let diag = checker.report(Rule::PyOpenWithoutWith, call, message);
            diag.fix = edits.map(|edits| Fix {
                applicability: Applicability::Unsafe,
                title: format!("open `{name}` in a `with` statement"),
                edits,
            });
        }
        _ => inline(checker),
    }
}

/// Rewrites `f = open(p)` and the statements after it that use `f` into
/// `with open(p) as f:` holding those statements, where the file's use is a straight line
/// in one block: the binding is a plain statement on its own line, every use of the name
/// in the scope is in the statements that follow it in the same block, none of them binds
/// the name again or holds a multi-line string (whose text re-indenting would change).
fn with_rewrite(
    source: &str,
    facts: &ModuleFacts,
    binding: Node<'_>,
    call: Node<'_>,
    scope: Node<'_>,
    name: &str,
) -> Option<Vec<Edit>> {
    let stmt = binding.parent().filter(|s| s.kind() == "expression_statement")?;
    let block = stmt.parent().filter(|b| matches!(b.kind(), "block" | "module"))?;
    if binding.child_by_field_name("type").is_some() || stmt.named_child_count() != 1 {
        return None;
    }
    let stmt_line = line_start(source, stmt.start_byte());
    let line_end = source[stmt.end_byte()..].find('\n').map_or(source.len(), |i| stmt.end_byte() + i);
    let after = source[stmt.end_byte()..line_end].trim();
    if !source[stmt_line..stmt.start_byte()].trim().is_empty()
        || !(after.is_empty() || after.starts_with('#'))
    {
        return None;
    }
    // The statements after the binding, up to the last that names the file.
    let mut cursor = block.walk();
    let siblings: Vec<Node<'_>> = block.named_children(&mut cursor).collect();
    let index = siblings.iter().position(|s| *s == stmt)?;
    let mentions = |n: Node<'_>| {
        let mut found = false;
        walk(n, |m, _| found |= m.kind() == "identifier" && text(m, source) == name);
        found
    };
    // A comment on the binding's own line stays with the `with` line.
    let first = index + 1 + siblings[index + 1..].iter().take_while(|s| s.start_byte() < line_end).count();
    let last = siblings[first..].iter().rposition(|s| s.kind() != "comment" && mentions(*s));
    let wrapped: &[Node<'_>] = match last {
        Some(i) => &siblings[first..=first + i],
        None => &[],
    };
    // Every use of the name in the scope lies in the binding or the wrapped statements.
    let (lo, hi) = (stmt.start_byte(), wrapped.last().map_or(stmt.end_byte(), |s| s.end_byte()));
    let mut outside = false;
    let mut rebinds = false;
    let mut multiline_string = false;
    walk(scope, |m, ancestors| {
        let inside = m.start_byte() >= lo && m.end_byte() <= hi;
        if m.kind() == "identifier" && text(m, source) == name {
            if !inside {
                outside = true;
            } else if m.start_byte() > stmt.end_byte()
                && ancestors.last().is_some_and(|p| {
                    matches!(
                        p.kind(),
                        "assignment" | "augmented_assignment" | "for_statement" | "as_pattern_target"
                    ) && p.child_by_field_name("right") != Some(m)
                })
            {
                rebinds = true;
            }
        }
        if inside
            && m.start_byte() > stmt.end_byte()
            && m.kind() == "string"
            && text(m, source).contains('\n')
        {
            multiline_string = true;
        }
    });
    if outside || rebinds || multiline_string {
        return None;
    }
    let indent = line_indent(source, stmt.start_byte());
    let unit = facts.indent_unit(source, indent);
    let mut edits = vec![Edit::replace(
        stmt.start_byte(),
        stmt.end_byte(),
        format!("with {} as {name}:", text(call, source)),
    )];
    match wrapped.last() {
        None => edits.push(Edit::insert(line_end, format!("\n{indent}{unit}pass"))),
        Some(last) => {
            // Indent every non-blank line from the first wrapped statement to the last.
            let first_line = line_start(source, wrapped[0].start_byte());
            let mut at = first_line;
            while at < last.end_byte() {
                let end = source[at..].find('\n').map_or(source.len(), |i| at + i);
                if !source[at..end].trim().is_empty() {
                    edits.push(Edit::insert(at, unit.clone()));
                }
                at = end + 1;
            }
        }
    }
    Some(edits)
}
