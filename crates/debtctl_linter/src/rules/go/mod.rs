//! The Go rules' single walk. The package stage ([`package::PackageFacts`]) has already read
//! every file of the directory; this walk reads one file, keeps the types of the names the
//! current function binds ([`types::TypeEnv`]), and hands each node to the rules that want
//! it. Nothing is reported inside an ERROR node: a misparse is not evidence.

pub(crate) mod append_alias;
pub(crate) mod cgo_leak;
pub(crate) mod defer_in_loop;
pub(crate) mod error_wrap_verb;
pub(crate) mod ignored_error;
pub(crate) mod imports;
pub(crate) mod module_major_suffix;
pub(crate) mod package;
pub(crate) mod shadow;
pub(crate) mod types;
pub(crate) mod unclosed_body;
pub(crate) mod untested_controller;

use crate::checker::Checker;
use crate::comments::visit_comment;
use crate::registry::Rule;
use crate::settings::GoSettings;
use crate::walk::{walk_with, Next};
use debtctl_syntax::Language;
use imports::Imports;
use package::{Decls, PackageFacts};
use tree_sitter::Node;
use types::{type_of, Resolver, TypeEnv};

/// What the Go rules know while checking one file.
pub(crate) struct Ctx<'a> {
    pub imports: &'a Imports,
    pub decls: &'a Decls,
    pub settings: &'a GoSettings,
    pub is_test: bool,
}

impl<'a> Ctx<'a> {
    pub fn resolver(&self, source: &'a str, env: &'a TypeEnv) -> Resolver<'a> {
        Resolver { source, imports: self.imports, decls: self.decls, env }
    }
}

pub(crate) fn check(
    checker: &mut Checker<'_>,
    root: Node<'_>,
    facts: &PackageFacts,
    settings: &GoSettings,
    file_name: &str,
) {
    let source = checker.source;
    let imports = Imports::collect(root, source);
    let decls = facts.decls(package::package_name(root, source));
    let ctx = Ctx { imports: &imports, decls, settings, is_test: file_name.ends_with("_test.go") };
    let has_error = root.has_error();
    let mut env = TypeEnv::default();
    let mut shadow = shadow::Shadow::new(checker.enabled(Rule::GoShadow));
    let ignored_on = checker.enabled(Rule::GoIgnoredError) && (settings.tests || !ctx.is_test);
    let wrap_on = checker.enabled(Rule::GoErrorWrapVerb);
    let cgo_on = checker.enabled(Rule::GoCgoLeak) && imports.cgo;
    let append_on = checker.enabled(Rule::GoAppendAlias);
    let defer_on = checker.enabled(Rule::GoDeferInLoop);
    let body_on = checker.enabled(Rule::GoUnclosedBody);
    let controller_on = checker.enabled(Rule::GoUntestedController) && !ctx.is_test && !facts.has_tests;
    let mut controller_done = false;

    walk_with(root, |node, ancestors| {
        let kind = node.kind_str();
        if kind == "comment" {
            visit_comment(checker, Language::Go, node);
            return Next::Skip;
        }
        // String literals hold no comment, name or statement: the walk does not descend.
        if matches!(kind, "interpreted_string_literal" | "raw_string_literal") {
            return Next::Skip;
        }
        shadow.visit(checker, &ctx, &env, node, kind, ancestors);
        // Names and their types, before any rule looks at the node.
        match kind {
            "function_declaration" | "method_declaration" => {
                env.clear();
                for field in ["receiver", "parameters", "result"] {
                    if let Some(list) = node.field(field) {
                        bind_params(&mut env, list, source, &imports);
                    }
                }
            }
            "func_literal" => {
                for field in ["parameters", "result"] {
                    if let Some(list) = node.field(field) {
                        bind_params(&mut env, list, source, &imports);
                    }
                }
            }
            "short_var_declaration"
            | "var_spec"
            | "const_spec"
            | "range_clause"
            | "receive_statement"
            | "type_switch_statement" => bind_names(&ctx, &mut env, node, source),
            _ => {}
        }
        if !is_interesting(kind) || (has_error && in_error(node, ancestors)) {
            return Next::Descend;
        }
        match kind {
            "expression_statement" | "go_statement" | "defer_statement" => {
                if ignored_on {
                    ignored_error::statement(checker, &ctx, &env, node);
                }
                if kind == "defer_statement" && defer_on {
                    defer_in_loop::check(checker, node, ancestors);
                }
            }
            "assignment_statement" | "short_var_declaration" | "var_spec" => {
                if ignored_on {
                    ignored_error::blank(checker, &ctx, &env, node);
                }
                if append_on && kind != "var_spec" {
                    append_alias::check(checker, node);
                }
            }
            "call_expression" => {
                if wrap_on {
                    error_wrap_verb::check(checker, &ctx, node, ancestors);
                }
                if cgo_on {
                    cgo_leak::check(checker, &ctx, node, ancestors);
                }
                if body_on {
                    unclosed_body::check(checker, &ctx, &env, node, ancestors);
                }
            }
            "method_declaration" if controller_on && !controller_done => {
                controller_done = untested_controller::check(checker, node);
            }
            _ => {}
        }
        Next::Descend
    });
    shadow.finish(checker, &ctx, &env);
}

fn is_interesting(kind: &str) -> bool {
    matches!(
        kind,
        "expression_statement"
            | "go_statement"
            | "defer_statement"
            | "assignment_statement"
            | "short_var_declaration"
            | "var_spec"
            | "call_expression"
            | "method_declaration"
    )
}

/// Whether a node rests on a misparse: it is, or lies inside, an ERROR node, holds one,
/// or belongs to a simple statement that holds one (tree-sitter-go 0.25 misparses Go 1.26's
/// `new(expr)` and glues the next statement into the broken one). Only asked of files
/// that have an ERROR node.
pub(crate) fn in_error(node: Node<'_>, ancestors: &[Node<'_>]) -> bool {
    node.has_error()
        || ancestors.iter().any(|a| {
            a.is_error()
                || (matches!(
                    a.kind_str(),
                    "short_var_declaration"
                        | "assignment_statement"
                        | "expression_statement"
                        | "go_statement"
                        | "defer_statement"
                        | "return_statement"
                        | "var_declaration"
                        | "send_statement"
                ) && a.has_error())
        })
}

fn bind_params(env: &mut TypeEnv, list: Node<'_>, source: &str, imports: &Imports) {
    if list.kind_str() != "parameter_list" {
        return;
    }
    let mut c = list.walk();
    for p in list.named_children(&mut c) {
        let ty = p.field("type").and_then(|t| {
            if p.kind_str() == "variadic_parameter_declaration" {
                None
            } else {
                type_of(t, source, imports)
            }
        });
        let mut nc = p.walk();
        for name in p.children_by_field_name("name", &mut nc) {
            env.bind(&source[name.byte_range()], ty.clone());
        }
    }
}

/// The named children of an `expression_list` (or the node itself if it is not a list).
pub(crate) fn list_items<'t>(node: Option<Node<'t>>) -> Vec<Node<'t>> {
    let Some(node) = node else { return Vec::new() };
    if node.kind_str() != "expression_list" {
        return vec![node];
    }
    let mut c = node.walk();
    node.named_children(&mut c).filter(|n| n.kind_str() != "comment").collect()
}

/// Whether an assignment-like node declares with `:=`.
pub(crate) fn is_define(node: Node<'_>) -> bool {
    match node.kind_str() {
        "short_var_declaration" => true,
        "range_clause" | "receive_statement" => {
            let mut c = node.walk();
            let found = node.children(&mut c).any(|ch| ch.kind_str() == ":=");
            found
        }
        _ => false,
    }
}

fn bind_names(ctx: &Ctx<'_>, env: &mut TypeEnv, node: Node<'_>, source: &str) {
    match node.kind_str() {
        "short_var_declaration" => {
            let left = list_items(node.field("left"));
            let right = list_items(node.field("right"));
            let tys: Vec<Option<String>> = {
                let r = ctx.resolver(source, env);
                if left.len() == right.len() {
                    right.iter().map(|e| r.expr_type(*e)).collect()
                } else if right.len() == 1 && right[0].kind_str() == "call_expression" {
                    (0..left.len()).map(|i| r.call_result(right[0], i)).collect()
                } else if right.len() == 1 && right[0].kind_str() == "type_assertion_expression" {
                    let mut v = vec![r.expr_type(right[0])];
                    v.resize(left.len(), None);
                    v
                } else {
                    vec![None; left.len()]
                }
            };
            for (l, ty) in left.iter().zip(tys) {
                if l.kind_str() == "identifier" {
                    env.bind(&source[l.byte_range()], ty);
                }
            }
        }
        "var_spec" | "const_spec" => {
            let mut c = node.walk();
            let names: Vec<_> = node.children_by_field_name("name", &mut c).collect();
            let declared = node.field("type").and_then(|t| type_of(t, source, ctx.imports));
            let values = list_items(node.field("value"));
            let tys: Vec<Option<String>> = if declared.is_some() || node.field("type").is_some() {
                vec![declared; names.len()]
            } else if values.len() == names.len() {
                let r = ctx.resolver(source, env);
                values.iter().map(|e| r.expr_type(*e)).collect()
            } else if values.len() == 1 && values[0].kind_str() == "call_expression" {
                let r = ctx.resolver(source, env);
                (0..names.len()).map(|i| r.call_result(values[0], i)).collect()
            } else {
                vec![None; names.len()]
            };
            for (n, ty) in names.iter().zip(tys) {
                env.bind(&source[n.byte_range()], ty);
            }
        }
        "range_clause" | "receive_statement" if is_define(node) => {
            for l in list_items(node.field("left")) {
                if l.kind_str() == "identifier" {
                    env.bind(&source[l.byte_range()], None);
                }
            }
        }
        "type_switch_statement" => {
            for l in list_items(node.field("alias")) {
                env.bind(&source[l.byte_range()], None);
            }
        }
        _ => {}
    }
}

/// The outermost function (declaration, or literal at package level) around a node: the
/// region in which a variable's uses are looked for.
pub(crate) fn enclosing_function<'t>(ancestors: &[Node<'t>]) -> Option<Node<'t>> {
    ancestors
        .iter()
        .find(|a| matches!(a.kind_str(), "function_declaration" | "method_declaration" | "func_literal"))
        .copied()
}

/// `child_by_field_name` with the field's id looked up once: tree-sitter compares the
/// name against every field name of the grammar on each call, which showed in profiles.
pub(crate) trait NodeExt<'t> {
    fn field(&self, name: &'static str) -> Option<Node<'t>>;
    /// `Node::kind` from a table: tree-sitter's returns a C string that Rust measures and
    /// validates on every call.
    fn kind_str(&self) -> &'static str;
}

impl<'t> NodeExt<'t> for Node<'t> {
    #[inline]
    fn kind_str(&self) -> &'static str {
        static KINDS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
            let lang = Language::Go.grammar();
            (0..lang.node_kind_count() as u16).map(|id| lang.node_kind_for_id(id).unwrap_or("")).collect()
        });
        KINDS.get(self.kind_id() as usize).copied().unwrap_or("")
    }

    #[inline]
    fn field(&self, name: &'static str) -> Option<Node<'t>> {
        let id = field_id(name);
        if id == 0 {
            return None;
        }
        self.child_by_field_id(id)
    }
}

fn field_id(name: &str) -> u16 {
    static IDS: std::sync::LazyLock<Vec<(&'static str, u16)>> = std::sync::LazyLock::new(|| {
        let lang = Language::Go.grammar();
        (1..=lang.field_count() as u16).filter_map(|id| lang.field_name_for_id(id).map(|n| (n, id))).collect()
    });
    IDS.iter().find(|(n, _)| *n == name).map_or(0, |(_, id)| *id)
}

pub(crate) fn text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

/// Code for a message: white space folded, at most `max` characters.
pub(crate) fn snippet(code: &str, max: usize) -> String {
    crate::rules::py::snippet(code, max)
}
