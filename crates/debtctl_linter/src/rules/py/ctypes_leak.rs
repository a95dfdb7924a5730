//! `py/ctypes-leak`: memory from a ctypes foreign allocator that is never freed.
//!
//! Which names are foreign libraries is only known once the whole module was seen, so the
//! walk collects candidates and [`Pending::finish`] decides.

use super::{enclosing_scope, field_text, snippet, text, uses_in, uses_of, Indexes, ModuleFacts};
use crate::checker::Checker;
use crate::registry::Rule;
use crate::walk::walk;
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

const FREE_WORDS: &[&str] = &["free", "release", "destroy", "delete", "dealloc"];

/// Library constructors: `CDLL(...)` and kin, called.
const LOADERS: &[&str] =
    &["ctypes.CDLL", "ctypes.PyDLL", "ctypes.cdll.LoadLibrary", "ctypes.pydll.LoadLibrary"];

#[derive(Default)]
pub(crate) struct Pending<'t> {
    /// The source text of every expression bound to a foreign library (`libc`, `self._lib`).
    libs: HashSet<String>,
    /// Calls `X.name(...)` whose name looks like an allocator, with their enclosing scope.
    allocations: Vec<(Node<'t>, Option<Node<'t>>, Vec<Node<'t>>)>,
    /// `X.name.restype = ...` assignments.
    restypes: Vec<Node<'t>>,
}

impl<'t> Pending<'t> {
    pub fn call(&mut self, checker: &Checker<'_>, call: Node<'t>, ancestors: &[Node<'t>]) {
        let Some(function) = call.child_by_field_name("function") else { return };
        if function.kind() != "attribute" {
            return;
        }
        let Some(name) = field_text(function, "attribute", checker.source) else { return };
        if !is_allocator(name) || has_out_parameter(checker.source, call) {
            return;
        }
        // The context is decided at the end; keep the nearest few ancestors for it.
        let keep = ancestors.len().saturating_sub(4);
        self.allocations.push((call, enclosing_scope(ancestors), ancestors[keep..].to_vec()));
    }

    pub fn assignment(&mut self, checker: &Checker<'_>, facts: &ModuleFacts, assign: Node<'t>) {
        let source = checker.source;
        let (Some(left), Some(right)) =
            (assign.child_by_field_name("left"), assign.child_by_field_name("right"))
        else {
            return;
        };
        if is_library(source, facts, right) {
            self.libs.insert(text(left, source).to_string());
        }
        if left.kind() == "attribute" && field_text(left, "attribute", source) == Some("restype") {
            let drops = match right.kind() {
                "none" => true,
                "identifier" | "attribute" => {
                    matches!(facts.resolve(source, right).as_deref(), Some("ctypes.c_char_p"))
                }
                _ => false,
            };
            if drops {
                self.restypes.push(assign);
            }
        }
    }

    pub fn finish(self, checker: &mut Checker<'_>, indexes: &mut Indexes<'t>, root: Node<'_>) {
        let source = checker.source;
        let mut owners: Option<HashMap<String, Vec<usize>>> = None;
        let is_lib = |object: Option<Node<'_>>| object.is_some_and(|o| self.libs.contains(text(o, source)));
        for assign in &self.restypes {
            let Some(left) = assign.child_by_field_name("left") else { continue };
            let Some(func) = left.child_by_field_name("object").filter(|f| f.kind() == "attribute") else {
                continue;
            };
            let Some(name) = field_text(func, "attribute", source) else { continue };
            if is_allocator(name) && is_lib(func.child_by_field_name("object")) {
                let message = format!(
                    "`{}` drops the pointer `{}` returns, so it can never be freed",
                    snippet(text(*assign, source), 60),
                    text(func, source)
                );
                checker.report(Rule::PyCtypesLeak, *assign, message);
            }
        }
        for (call, scope, ancestors) in &self.allocations {
            let Some(function) = call.child_by_field_name("function") else { continue };
            if !is_lib(function.child_by_field_name("object")) {
                continue;
            }
            let callee = text(function, source);
            let mut child = *call;
            let mut context = None;
            for parent in ancestors.iter().rev() {
                if parent.kind() == "parenthesized_expression" {
                    child = *parent;
                    continue;
                }
                context = Some(*parent);
                break;
            }
            let Some(context) = context else { continue };
            match context.kind() {
                "expression_statement" => {
                    let message = format!("result of `{callee}(...)` is discarded, so it can never be freed");
                    checker.report(Rule::PyCtypesLeak, *call, message);
                }
                "assignment" | "named_expression" => {
                    let (target, value) = match context.kind() {
                        "assignment" => {
                            (context.child_by_field_name("left"), context.child_by_field_name("right"))
                        }
                        _ => (context.child_by_field_name("name"), context.child_by_field_name("value")),
                    };
                    let Some(target) = target.filter(|t| t.kind() == "identifier" && value == Some(child))
                    else {
                        continue;
                    };
                    let Some(scope) = scope else { continue };
                    let name = text(target, source);
                    // The scope's uses indexed once, not walked per allocation (issue 17).
                    let uses = uses_in(source, indexes.scope(source, *scope), name, target);
                    let freed = uses.callees.iter().chain(&uses.methods).any(|c| is_free(c));
                    if freed || uses.returned || uses.stored {
                        continue;
                    }
                    if !uses.passed.is_empty() {
                        let owners = owners.get_or_insert_with(|| summaries(source, root));
                        let owned = |(callee, i): &(String, usize)| {
                            owners.get(callee).is_some_and(|ps| ps.contains(i))
                        };
                        if uses.passed.iter().any(owned) {
                            continue;
                        }
                    }
                    let message = format!("memory from `{callee}(...)` bound to `{name}` is never freed");
                    checker.report(Rule::PyCtypesLeak, *call, message);
                }
                _ => {}
            }
        }
    }
}

/// The functions and methods of the module (by name) and the positions of the parameters
/// they free, return or store: passing an allocation there hands it on. One level: what
/// they pass the parameter to is not followed. A method's `self` or `cls` is not counted,
/// as calls through an instance do not pass it.
fn summaries(source: &str, root: Node<'_>) -> HashMap<String, Vec<usize>> {
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    walk(root, |node, ancestors| {
        if node.kind() != "function_definition" {
            return;
        }
        let (Some(name), Some(params), Some(body)) = (
            field_text(node, "name", source),
            node.child_by_field_name("parameters"),
            node.child_by_field_name("body"),
        ) else {
            return;
        };
        let in_class = ancestors
            .iter()
            .rev()
            .find(|a| matches!(a.kind(), "class_definition" | "function_definition"))
            .is_some_and(|a| a.kind() == "class_definition");
        let mut c = params.walk();
        let mut index = 0usize;
        for (k, p) in params.named_children(&mut c).enumerate() {
            let ident = match p.kind() {
                "identifier" => Some(p),
                "typed_parameter" => p.named_child(0).filter(|n| n.kind() == "identifier"),
                "default_parameter" | "typed_default_parameter" => p.child_by_field_name("name"),
                _ => None,
            };
            let Some(ident) = ident else { continue };
            let pname = text(ident, source);
            if k == 0 && in_class && matches!(pname, "self" | "cls") {
                continue;
            }
            let uses = uses_of(source, body, pname, ident);
            if uses.stored || uses.returned || uses.callees.iter().chain(&uses.methods).any(|c| is_free(c)) {
                out.entry(name.to_string()).or_default().push(index);
            }
            index += 1;
        }
    });
    out
}

/// `lib.ctx_create(byref(handle))`: the object comes back through the out-parameter and
/// the call returns a status code, not a pointer to free.
fn has_out_parameter(source: &str, call: Node<'_>) -> bool {
    let Some(args) = call.child_by_field_name("arguments") else { return false };
    let mut cursor = args.walk();
    let found = args.named_children(&mut cursor).any(|a| {
        a.kind() == "call"
            && a.child_by_field_name("function").is_some_and(|f| {
                let name = text(f, source);
                matches!(name.rsplit('.').next(), Some("byref" | "pointer" | "addressof"))
            })
    });
    found
}

fn is_free(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    FREE_WORDS.iter().any(|w| lower.contains(w))
}

fn is_allocator(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if is_free(&lower) {
        return false;
    }
    matches!(lower.as_str(), "malloc" | "calloc" | "realloc" | "strdup" | "wcsdup")
        || ["alloc", "create", "new"].iter().any(|w| lower.contains(w))
}

/// `ctypes.CDLL(...)` and its kin, or `ctypes.cdll.NAME`.
fn is_library(source: &str, facts: &ModuleFacts, value: Node<'_>) -> bool {
    match value.kind() {
        "call" => value
            .child_by_field_name("function")
            .and_then(|f| facts.resolve(source, f))
            .is_some_and(|f| LOADERS.contains(&f.as_str())),
        "attribute" => facts.resolve(source, value).is_some_and(|f| {
            ["ctypes.cdll.", "ctypes.pydll."].iter().any(|p| f.starts_with(p) && !f.ends_with(".LoadLibrary"))
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_names() {
        for yes in ["malloc", "strdup", "ctx_create", "NewBuffer", "g_malloc0", "av_calloc"] {
            assert!(is_allocator(yes), "{yes}");
        }
        for no in ["free", "dealloc", "buffer_free", "destroy_new", "get", "puts"] {
            assert!(!is_allocator(no), "{no}");
        }
    }
}
