//! `go/unclosed-body`: an `*http.Response` whose `Body` the function never closes, and that
//! it does not hand to anyone who could. The response comes from any function or method
//! known to return one ([`super::types::Resolver::results`]), at any result position.

use super::types::{Callee, TypeEnv};
use super::NodeExt;
use super::{enclosing_function, list_items, text, Ctx};
use crate::checker::Checker;
use crate::registry::Rule;
use crate::walk::walk;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;
use tree_sitter::Node;

const REQUESTS: &[&str] = &["Get", "Post", "Head", "PostForm"];

pub(crate) fn check(
    checker: &mut Checker<'_>,
    ctx: &Ctx<'_>,
    env: &TypeEnv,
    call: Node<'_>,
    ancestors: &[Node<'_>],
) {
    let source = checker.source;
    // Cheap tests first: the call must be a statement of its own (its response dropped)
    // or the whole right side of a binding.
    let Some(parent) = ancestors.last() else { return };
    let dropped = parent.kind_str() == "expression_statement";
    let stmt = if dropped {
        *parent
    } else {
        if parent.kind_str() != "expression_list" || list_items(Some(*parent)).len() != 1 {
            return;
        }
        let Some(stmt) = ancestors.len().checked_sub(2).map(|i| ancestors[i]) else { return };
        if !matches!(stmt.kind_str(), "short_var_declaration" | "assignment_statement" | "var_spec") {
            return;
        }
        stmt
    };
    // The callee side: the request functions and methods of net/http, or any function or
    // method with an `*http.Response` among its results (declared in this package, in an
    // imported one the API index holds, the standard library included), at `index`.
    let resolver = ctx.resolver(source, env);
    let index = match resolver.callee(call) {
        Some(Callee::Imported(path, name)) if path == "net/http" && REQUESTS.contains(&name.as_str()) => 0,
        Some(Callee::Method(ty, m))
            if ty == "net/http.Client" && (m == "Do" || REQUESTS.contains(&m.as_str())) =>
        {
            0
        }
        // A recorder's result has a body that holds no connection (bodyclose skips it too).
        Some(Callee::Method(ty, m)) if ty == "net/http/httptest.ResponseRecorder" && m == "Result" => return,
        Some(callee) => {
            let Some(results) = resolver.results(&callee) else { return };
            let Some(i) = results.types.iter().position(|t| t.as_deref() == Some("net/http.Response")) else {
                return;
            };
            i
        }
        None => return,
    };
    // Nobody can close a response dropped as a statement or bound to `_`.
    let discarded = |checker: &mut Checker<'_>| {
        let callee = call.field("function").map_or("the call", |f| text(f, source));
        let message = format!("response of `{callee}` is discarded, so its body is never closed");
        checker.report(Rule::GoUnclosedBody, call, message);
    };
    if dropped {
        return discarded(checker);
    }
    let left = match stmt.kind_str() {
        "var_spec" => {
            let mut c = stmt.walk();
            stmt.children_by_field_name("name", &mut c).collect()
        }
        _ => list_items(stmt.field("left")),
    };
    let Some(target) = left.get(index).filter(|t| t.kind_str() == "identifier") else { return };
    let name = text(*target, source);
    if name == "_" {
        return discarded(checker);
    }
    let Some(func) = enclosing_function(ancestors).filter(|f| !f.has_error()) else { return };
    if ctx.handed_off.closed_or_handed_off(func, name, *target, stmt, source) {
        return;
    }
    let message = format!("body of the response `{name}` is never closed");
    checker.report(Rule::GoUnclosedBody, call, message);
}

/// For each function, every identifier's uses (node id, start byte, whether it lies inside
/// a function literal, whether it closes the response or hands it off) and the statements
/// that bind each name; built in one walk of the function the first time a request in it
/// is checked. (Walking the function for each request was quadratic in a function of
/// 20,000 requests; issue 17.)
#[derive(Default)]
pub(crate) struct HandedOff(RefCell<HashMap<usize, Rc<Uses>>>);

#[derive(Default)]
struct Uses {
    uses: HashMap<String, Vec<Use>>,
    /// The statements that bind each name, in source order.
    bindings: HashMap<String, Vec<Binding>>,
}

struct Use {
    id: usize,
    start: usize,
    in_closure: bool,
    counts: bool,
}

struct Binding {
    start: usize,
    /// The bytes of the node whose statements it is one of (a block, an `if` header's
    /// statement): a later binding replaces the value for the uses inside it only.
    scope: Range<usize>,
}

impl HandedOff {
    /// Whether this response (the value bound by `stmt`, not every value of the name) is
    /// closed or handed on. A use counts when the value can reach it: after the binding
    /// with no binding of the name in between that every path to the use goes through (a
    /// rebinding in one branch of an `if` leaves the other branch's value to the code
    /// after it); in a loop, a use before a plain assignment, which reads the previous
    /// iteration's value (`if resp != nil { resp.Body.Close() }` then `resp, err =
    /// client.Do(req)`); or before the binding inside a function literal
    /// (`defer func() { resp.Body.Close() }()` written first).
    fn closed_or_handed_off(
        &self,
        func: Node<'_>,
        name: &str,
        binding: Node<'_>,
        stmt: Node<'_>,
        source: &str,
    ) -> bool {
        let facts =
            Rc::clone(self.0.borrow_mut().entry(func.id()).or_insert_with(|| Rc::new(uses_in(func, source))));
        let bindings = facts.bindings.get(name).map_or(&[][..], Vec::as_slice);
        // A later binding between `from` and the use, on every path to it.
        let replaced = |from: usize, at: usize| {
            bindings.iter().any(|b| {
                b.start >= from && b.start < at && b.start != stmt.start_byte() && b.scope.contains(&at)
            })
        };
        // The loop whose next iteration reads this value before the statement.
        let carried = (stmt.kind_str() == "assignment_statement")
            .then(|| {
                let mut up = stmt.parent();
                while let Some(n) = up.filter(|n| n.id() != func.id()) {
                    if n.kind_str() == "for_statement" {
                        return Some(n.start_byte());
                    }
                    up = n.parent();
                }
                None
            })
            .flatten();
        facts.uses.get(name).is_some_and(|uses| {
            uses.iter().any(|u| {
                if !u.counts || u.id == binding.id() {
                    return false;
                }
                if u.start >= stmt.start_byte() {
                    !replaced(stmt.end_byte(), u.start)
                } else {
                    u.in_closure || carried.is_some_and(|top| u.start >= top && !replaced(top, u.start))
                }
            })
        })
    }
}

fn uses_in(func: Node<'_>, source: &str) -> Uses {
    let mut out = Uses::default();
    walk(func, |node, ancestors| match node.kind_str() {
        "identifier" => {
            let counts = closes_or_hands_off(node, ancestors, source);
            let in_closure = ancestors.iter().any(|a| a.kind_str() == "func_literal" && *a != func);
            let start = node.start_byte();
            out.uses.entry(text(node, source).to_string()).or_default().push(Use {
                id: node.id(),
                start,
                in_closure,
                counts,
            });
        }
        "short_var_declaration" | "assignment_statement" => {
            let scope = ancestors.last().map_or(0..usize::MAX, |p| p.byte_range());
            for l in list_items(node.field("left")) {
                out.bindings
                    .entry(text(l, source).to_string())
                    .or_default()
                    .push(Binding { start: node.start_byte(), scope: scope.clone() });
            }
        }
        _ => {}
    });
    out
}

/// Whether this use of an identifier closes its body or hands it off.
fn closes_or_hands_off(node: Node<'_>, ancestors: &[Node<'_>], source: &str) -> bool {
    let mut found = false;
    let mut visit = || {
        let n = ancestors.len();
        let parent = |k: usize| n.checked_sub(k).map(|i| ancestors[i]);
        let field = |s: Node<'_>| s.field("field").map(|f| text(f, source));
        // `resp.Body...`
        let mut value = node;
        let mut depth = 1;
        if let Some(sel) = parent(1).filter(|p| p.kind_str() == "selector_expression") {
            if field(sel) != Some("Body") {
                return;
            }
            if let Some(close) = parent(2).filter(|p| p.kind_str() == "selector_expression") {
                if field(close) == Some("Close") {
                    found = true;
                }
                return;
            }
            value = sel;
            depth = 2;
        }
        // What is done with `resp` or `resp.Body`.
        let Some(ctx) = parent(depth) else { return };
        match ctx.kind_str() {
            "argument_list" => {
                let call = parent(depth + 1);
                let callee = call
                    .and_then(|c| c.field("function"))
                    .map(|f| text(f, source).to_ascii_lowercase())
                    .unwrap_or_default();
                // The response itself goes to a helper that may close it; its body only
                // counts when the helper's name says it closes or drains it.
                if value == node || ["close", "drain", "discard"].iter().any(|w| callee.contains(w)) {
                    found = true;
                }
            }
            "return_statement" | "send_statement" | "literal_element" | "keyed_element" => found = true,
            "expression_list" => {
                let stmt = parent(depth + 1);
                if let Some(stmt) = stmt {
                    let is_right = stmt.field("right") == Some(ctx) || stmt.field("value") == Some(ctx);
                    if is_right || stmt.kind_str() == "return_statement" {
                        found = true;
                    }
                }
            }
            _ => {}
        }
        let _ = value;
    };
    visit();
    found
}
