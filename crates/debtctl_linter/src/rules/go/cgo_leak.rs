//! `go/cgo-leak`: memory allocated through cgo (`C.CString`, `C.malloc`, ...) that the
//! function never frees, returns, stores or hands to an owner; or an allocation passed
//! inline as an argument, which nothing can free.

use super::NodeExt;
use super::{enclosing_function, list_items, text, Ctx};
use crate::checker::Checker;
use crate::registry::Rule;
use crate::walk::walk;
use debtctl_diagnostics::{Applicability, Edit, Fix};
use tree_sitter::Node;

const ALLOCATORS: &[&str] = &["CString", "CBytes", "malloc", "calloc", "realloc", "strdup"];
const OWNER_WORDS: &[&str] = &["free", "release", "destroy", "dispose", "take"];

pub(crate) fn check(checker: &mut Checker<'_>, ctx: &Ctx<'_>, call: Node<'_>, ancestors: &[Node<'_>]) {
    let source = checker.source;
    let Some(f) = call.field("function").filter(|f| f.kind_str() == "selector_expression") else {
        return;
    };
    let (Some(pkg), Some(field)) = (f.field("operand"), f.field("field")) else {
        return;
    };
    let alloc = text(field, source);
    if text(pkg, source) != "C" || !ALLOCATORS.contains(&alloc) {
        return;
    }
    let (child, context) = climb(call, ancestors, source);
    let Some(context) = context else { return };
    match context.kind_str() {
        "argument_list" => {
            let Some(owner) = ancestors.iter().rev().find(|a| {
                a.byte_range().contains(&context.start_byte())
                    && a.kind_str() == "call_expression"
                    && a.field("arguments") == Some(context)
            }) else {
                return;
            };
            let name = callee_name(*owner, source).unwrap_or_default();
            if name == "append" || is_owner(name) {
                return;
            }
            let shown = owner.field("function").map(|f| text(f, source)).unwrap_or("");
            let message = format!("memory from `C.{alloc}` passed inline to `{shown}` is never freed");
            checker.report(Rule::GoCgoLeak, call, message);
        }
        "expression_list" => {
            let Some(stmt) = ancestors
                .iter()
                .rev()
                .find(|a| a.field("right") == Some(context) || a.field("value") == Some(context))
                .copied()
            else {
                return;
            };
            let right = list_items(Some(context));
            let left = match stmt.kind_str() {
                "short_var_declaration" | "assignment_statement" => list_items(stmt.field("left")),
                "var_spec" => {
                    let mut c = stmt.walk();
                    stmt.children_by_field_name("name", &mut c).collect()
                }
                _ => return,
            };
            if left.len() != right.len() {
                return;
            }
            let Some(i) = right.iter().position(|r| *r == child) else { return };
            let target = left[i];
            if target.kind_str() != "identifier" || text(target, source) == "_" {
                return;
            }
            let name = text(target, source);
            let Some(func) = enclosing_function(ancestors).filter(|f| !f.has_error()) else { return };
            // A package variable holds it for the program's lifetime.
            if stmt.kind_str() == "assignment_statement" && ctx.decls.names.contains(name) {
                return;
            }
            if handed_off(func, name, target, source) {
                return;
            }
            let message = format!("memory from `C.{alloc}` bound to `{name}` is never freed");
            let fix = free_fix(ctx, source, stmt, name);
            let diag = checker.report(Rule::GoCgoLeak, call, message);
            diag.fix = fix;
        }
        _ => {}
    }
}

/// Climbs through conversions (`unsafe.Pointer(...)`, `(*C.char)(...)`) and parentheses
/// to the node that decides what happens to the allocation.
fn climb<'t>(call: Node<'t>, ancestors: &[Node<'t>], source: &str) -> (Node<'t>, Option<Node<'t>>) {
    let mut child = call;
    let mut i = ancestors.len();
    while i > 0 {
        let parent = ancestors[i - 1];
        match parent.kind_str() {
            "parenthesized_expression" | "type_conversion_expression" => {
                child = parent;
                i -= 1;
            }
            "argument_list" if i >= 2 && is_conversion(ancestors[i - 2], source) => {
                child = ancestors[i - 2];
                i -= 2;
            }
            _ => return (child, Some(parent)),
        }
    }
    (child, None)
}

fn is_conversion(call: Node<'_>, source: &str) -> bool {
    if call.kind_str() != "call_expression" {
        return false;
    }
    let Some(f) = call.field("function") else { return false };
    matches!(f.kind_str(), "parenthesized_expression" | "parenthesized_type" | "pointer_type")
        || matches!(text(f, source), "unsafe.Pointer" | "uintptr")
}

fn callee_name<'a>(call: Node<'_>, source: &'a str) -> Option<&'a str> {
    let f = call.field("function")?;
    match f.kind_str() {
        "identifier" => Some(text(f, source)),
        "selector_expression" => f.field("field").map(|n| text(n, source)),
        _ => None,
    }
}

fn is_owner(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    OWNER_WORDS.iter().any(|w| lower.contains(w))
}

/// Whether the variable is, anywhere in the function, freed, returned, stored, copied
/// into another variable, or passed to a function that takes ownership.
fn handed_off(func: Node<'_>, name: &str, binding: Node<'_>, source: &str) -> bool {
    let mut found = false;
    walk(func, |node, ancestors| {
        if found || node.kind_str() != "identifier" || node == binding || text(node, source) != name {
            return;
        }
        let mut child = node;
        for parent in ancestors.iter().rev() {
            match parent.kind_str() {
                "parenthesized_expression" | "type_conversion_expression" | "unary_expression" => {}
                // `&x.parent` stored somewhere hands the whole block over.
                "selector_expression" if parent.field("operand") == Some(child) => {}
                "argument_list" => {}
                "call_expression" => {
                    if parent.field("function") == Some(child) {
                        return;
                    }
                    let callee = callee_name(*parent, source).unwrap_or("");
                    if is_owner(callee) || callee == "append" {
                        found = true;
                        return;
                    }
                    if !is_conversion(*parent, source) {
                        return;
                    }
                }
                "return_statement" | "send_statement" | "literal_element" | "keyed_element" => {
                    found = true;
                    return;
                }
                "expression_list" => {}
                "short_var_declaration" | "assignment_statement" | "var_spec" => {
                    let right = parent.field("right").or_else(|| parent.field("value"));
                    // `_ = x` keeps nothing.
                    let blank = list_items(parent.field("left")).iter().all(|l| text(*l, source) == "_");
                    if right == Some(child) && !blank {
                        found = true;
                    }
                    return;
                }
                _ => return,
            }
            child = *parent;
        }
    });
    found
}

/// `defer C.free(unsafe.Pointer(x))` after the binding, with the `unsafe` import if missing.
fn free_fix(ctx: &Ctx<'_>, source: &str, stmt: Node<'_>, name: &str) -> Option<Fix> {
    if stmt.kind_str() != "short_var_declaration" || stmt.parent()?.kind_str() != "statement_list" {
        return None;
    }
    let line_start = source[..stmt.start_byte()].rfind('\n').map_or(0, |i| i + 1);
    let indent: String =
        source[line_start..stmt.start_byte()].chars().take_while(|c| c.is_whitespace()).collect();
    let mut edits =
        vec![Edit::insert(stmt.end_byte(), format!("\n{indent}defer C.free(unsafe.Pointer({name}))"))];
    if !ctx.imports.has_path("unsafe") {
        let root = {
            let mut n = stmt;
            while let Some(p) = n.parent() {
                n = p;
            }
            n
        };
        let mut c = root.walk();
        let import_c = root
            .named_children(&mut c)
            .find(|d| d.kind_str() == "import_declaration" && text(*d, source).contains("\"C\""))?;
        edits.insert(0, Edit::insert(import_c.end_byte(), "\nimport \"unsafe\""));
    }
    Some(Fix {
        applicability: Applicability::Unsafe,
        title: format!("free `{name}` with a deferred `C.free`"),
        edits,
    })
}
