//! The Go rules' single walk. The package stage ([`package::PackageFacts`]) has already read
//! every file of the directory; this walk reads one file, keeps the types of the names the
//! current function binds ([`types::TypeEnv`]), and hands each node to the rules that want
//! it. Nothing is reported inside an ERROR node: a misparse is not evidence.

pub(crate) mod api;
pub(crate) mod append_alias;
pub(crate) mod cgo_leak;
pub(crate) mod defer_in_loop;
pub(crate) mod error_wrap_verb;
pub(crate) mod ignored_error;
pub(crate) mod imports;
pub(crate) mod module_major_suffix;
pub(crate) mod package;
pub(crate) mod shadow;
pub(crate) mod stdlib;
pub(crate) mod types;
pub(crate) mod unclosed_body;
pub(crate) mod untested_controller;

use crate::checker::Checker;
use crate::comments::visit_comment;
use crate::registry::Rule;
use crate::settings::GoSettings;
use crate::walk::{walk_named_with, Next};
use debtctl_syntax::Language;
use imports::Imports;
use package::{Decls, PackageFacts};
use tree_sitter::Node;
use types::{type_of, Resolver, TypeEnv};

/// What the Go rules know while checking one file.
pub(crate) struct Ctx<'a> {
    pub imports: &'a Imports,
    pub decls: &'a Decls,
    pub api: &'a api::GoApi,
    pub settings: &'a GoSettings,
    pub is_test: bool,
    /// What each function declares, for go/error-wrap-verb: read once per function.
    pub declared: error_wrap_verb::Declared,
    /// Which uses close or hand off a response, for go/unclosed-body: one walk per function.
    pub handed_off: unclosed_body::HandedOff,
}

impl<'a> Ctx<'a> {
    pub fn resolver(&self, source: &'a str, env: &'a TypeEnv) -> Resolver<'a> {
        Resolver { source, imports: self.imports, decls: self.decls, api: self.api, env }
    }
}

pub(crate) fn check<'t>(
    checker: &mut Checker<'t>,
    root: Node<'t>,
    facts: &PackageFacts,
    settings: &GoSettings,
    file_name: &str,
) {
    let source = checker.source;
    let read;
    let imports = match facts.imports_of(file_name, source) {
        Some(imports) => imports,
        None => {
            read = Imports::collect(root, source);
            &read
        }
    };
    let decls = facts.decls(package::package_name(root, source));
    let ctx = Ctx {
        imports,
        decls,
        api: facts.api(),
        settings,
        is_test: file_name.ends_with("_test.go"),
        declared: Default::default(),
        handed_off: Default::default(),
    };
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

    // Tokens are leaves no rule reads (every kind of `role_of` is named).
    walk_named_with(root, |node, ancestors| {
        let id = node.kind_id();
        let role = role_of(id);
        if role == 0 {
            return Next::Descend;
        }
        let kind = kind_name(id);
        if role & COMMENT != 0 {
            visit_comment(checker, Language::Go, node);
            return Next::Skip;
        }
        // String literals hold nothing a rule reads; other subtrees no rule looks inside
        // are skipped unless they may hold a comment (a `/`).
        if role & STRING != 0
            || (role & OPAQUE != 0 && !may_hold_comment(&source.as_bytes()[node.byte_range()]))
        {
            return Next::Skip;
        }
        if role & CONSTANT != 0 && holds_no_name(&source.as_bytes()[node.byte_range()]) {
            return Next::Skip;
        }
        if role & SELECTOR != 0 {
            // `a.b.c` is one use of `a` and field names: no rule reads more of it.
            let mut operand = node;
            while operand.kind_id() == node.kind_id() {
                match operand.field("operand") {
                    Some(o) => operand = o,
                    None => break,
                }
            }
            if operand.kind_str() == "identifier" && !may_hold_comment(&source.as_bytes()[node.byte_range()])
            {
                shadow.visit(checker, &ctx, &env, operand, "identifier", &[node]);
                return Next::Skip;
            }
            return Next::Descend;
        }
        if role & SCOPE != 0 {
            shadow.visit(checker, &ctx, &env, node, kind, ancestors);
        }
        // Names and their types, before any rule looks at the node.
        match if role & BIND != 0 { kind } else { "" } {
            "function_declaration" | "method_declaration" => {
                env.clear();
                for field in ["receiver", "parameters", "result"] {
                    if let Some(list) = node.field(field) {
                        bind_params(&mut env, list, source, imports);
                    }
                }
            }
            "func_literal" => {
                for field in ["parameters", "result"] {
                    if let Some(list) = node.field(field) {
                        bind_params(&mut env, list, source, imports);
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
        if role & RULE == 0 || (has_error && in_error(node, ancestors)) {
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
                    error_wrap_verb::check(checker, &ctx, &env, node, ancestors);
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

/// What the walk does with a node, by kind: a table indexed by kind id, so that the many
/// nodes no rule reads (punctuation, operators, literals, most expressions) cost one lookup.
const COMMENT: u8 = 1;
const STRING: u8 = 1 << 1;
/// No rule looks inside but for comments: the package clause and imports (read by
/// [`Imports`]), type expressions (they hold no statement, call or variable; an
/// `identifier` in one is a type parameter or a constant array length), and parameter
/// lists (bound from their fields when the function is entered).
const OPAQUE: u8 = 1 << 2;
/// go/shadow's scopes, declarations and uses.
const SCOPE: u8 = 1 << 3;
/// Binds names and their types.
const BIND: u8 = 1 << 4;
/// Checked by a rule.
const RULE: u8 = 1 << 5;
/// `x.f`, read as a whole when its innermost operand is a name.
const SELECTOR: u8 = 1 << 6;
/// Lists and literals, skipped when their text names nothing (`("a", 1)`, `{1, 2}`).
const CONSTANT: u8 = 1 << 7;

fn role_of(kind_id: u16) -> u8 {
    static ROLES: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let lang = Language::Go.grammar();
        (0..lang.node_kind_count() as u16)
            .map(|id| role_of_kind(lang.node_kind_for_id(id).unwrap_or("")))
            .collect()
    });
    ROLES.get(kind_id as usize).copied().unwrap_or(0)
}

/// Whether Go text may hold a comment: it has `//` or `/*` (in a string literal too, which
/// only costs a walk). A lone `/` does not count: every import path has one, and
/// `import_declaration` subtrees were walked for it.
fn may_hold_comment(text: &[u8]) -> bool {
    text.windows(2).any(|w| w[0] == b'/' && (w[1] == b'/' || w[1] == b'*'))
}

/// Whether Go text holds no name, call or comment: only numbers, string and rune
/// literals, operators and punctuation. Conservative: any letter or `_` outside a literal
/// (`nil` and `true` included) or any `/` counts as a name.
fn holds_no_name(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' | b'\'' => {
                let quote = text[i];
                i += 1;
                while i < text.len() && text[i] != quote {
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'`' => {
                i += 1;
                while i < text.len() && text[i] != b'`' {
                    i += 1;
                }
            }
            // A number's letters (`0x1F`, `1e9`, `2i`, `1_000`) are its own.
            b'0'..=b'9' => {
                while i + 1 < text.len()
                    && (text[i + 1].is_ascii_alphanumeric() || matches!(text[i + 1], b'_' | b'.'))
                {
                    i += 1;
                }
            }
            b'/' | b'_' | b'a'..=b'z' | b'A'..=b'Z' => return false,
            c if c >= 0x80 => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

fn role_of_kind(kind: &str) -> u8 {
    let mut role = match kind {
        "comment" => COMMENT,
        "interpreted_string_literal" | "raw_string_literal" => STRING,
        "package_clause"
        | "import_declaration"
        | "parameter_list"
        | "type_parameter_list"
        | "pointer_type"
        | "slice_type"
        | "map_type"
        | "channel_type"
        | "function_type"
        | "qualified_type"
        | "generic_type"
        | "array_type" => OPAQUE,
        "selector_expression" => SELECTOR,
        "argument_list" | "literal_value" | "literal_element" | "keyed_element" | "composite_literal"
        | "expression_list" => CONSTANT,
        _ => 0,
    };
    if shadow::Shadow::reads(kind) {
        role |= SCOPE;
    }
    if matches!(
        kind,
        "function_declaration"
            | "method_declaration"
            | "func_literal"
            | "short_var_declaration"
            | "var_spec"
            | "const_spec"
            | "range_clause"
            | "receive_statement"
            | "type_switch_statement"
    ) {
        role |= BIND;
    }
    if matches!(
        kind,
        "expression_statement"
            | "go_statement"
            | "defer_statement"
            | "assignment_statement"
            | "short_var_declaration"
            | "var_spec"
            | "call_expression"
            | "method_declaration"
    ) {
        role |= RULE;
    }
    role
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
        for name in children_by_field(p, "name", &mut nc) {
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
    // Lists are short: indexing costs less than allocating a cursor.
    (0..node.named_child_count())
        .filter_map(|i| node.named_child(i as u32))
        .filter(|n| n.kind_str() != "comment")
        .collect()
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
                    right.iter().map(|e| r.value_type(*e)).collect()
                } else if right.len() == 1 && right[0].kind_str() == "call_expression" {
                    r.call_results(right[0], left.len())
                } else if right.len() == 1
                    && matches!(right[0].kind_str(), "type_assertion_expression" | "unary_expression")
                {
                    // `v, ok := x.(T)`, `v, ok := <-ch`.
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
            let names: Vec<_> = children_by_field(node, "name", &mut c).collect();
            let declared = node.field("type").and_then(|t| type_of(t, source, ctx.imports));
            let values = list_items(node.field("value"));
            let tys: Vec<Option<String>> = if declared.is_some() || node.field("type").is_some() {
                vec![declared; names.len()]
            } else if values.len() == names.len() {
                let r = ctx.resolver(source, env);
                values.iter().map(|e| r.expr_type(*e)).collect()
            } else if values.len() == 1 && values[0].kind_str() == "call_expression" {
                let r = ctx.resolver(source, env);
                r.call_results(values[0], names.len())
            } else {
                vec![None; names.len()]
            };
            for (n, ty) in names.iter().zip(tys) {
                env.bind(&source[n.byte_range()], ty);
            }
        }
        "range_clause" | "receive_statement" if is_define(node) => {
            // `for _, v := range xs`: v is the element of a slice, array or map of known
            // type, a variable of its own (so a value `T` is as good as `*T` for a method
            // call); `for v := range ch` and `case v, ok := <-ch`: v is the channel's
            // element. The key or index is not modelled.
            let right = node.field("right");
            let (elem, at) = if node.kind_str() == "range_clause" {
                let ty = right.and_then(|r| ctx.resolver(source, env).expr_type(r));
                match ty.as_deref() {
                    Some(t) if t.starts_with("chan:") => (types::chan_element(t), 0),
                    t => (t.and_then(types::range_element), 1),
                }
            } else {
                (right.and_then(|r| ctx.resolver(source, env).expr_type(r)), 0)
            };
            for (i, l) in list_items(node.field("left")).into_iter().enumerate() {
                if l.kind_str() == "identifier" {
                    let ty = if i == at {
                        elem.clone()
                    } else {
                        (node.kind_str() == "receive_statement").then(|| "bool".to_string())
                    };
                    env.bind(&source[l.byte_range()], ty);
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

/// `Node::children_by_field_name` with the field's id looked up once, as
/// [`NodeExt::field`]: tree-sitter's compares the name with every field name of the
/// grammar (`strncmp`) on each call.
pub(crate) fn children_by_field<'t, 'c>(
    node: Node<'t>,
    name: &'static str,
    cursor: &'c mut tree_sitter::TreeCursor<'t>,
) -> impl Iterator<Item = Node<'t>> + 'c {
    let id = std::num::NonZeroU16::new(field_id(name));
    let (mut started, mut done) = (false, id.is_none());
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let moved = if started {
            cursor.goto_next_sibling()
        } else {
            started = true;
            cursor.reset(node);
            cursor.goto_first_child()
        };
        if moved {
            loop {
                if cursor.field_id() == id {
                    return Some(cursor.node());
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        done = true;
        None
    })
}

/// `child_by_field_name` with the field's id looked up once: tree-sitter compares the
/// name against every field name of the grammar on each call, which showed in profiles.
pub(crate) trait NodeExt<'t> {
    fn field(&self, name: &'static str) -> Option<Node<'t>>;
    /// `Node::kind` from a table: tree-sitter's returns a C string that Rust measures and
    /// validates on every call.
    fn kind_str(&self) -> &'static str;
}

/// The name of a Go node kind, from a table.
#[inline]
fn kind_name(id: u16) -> &'static str {
    static KINDS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let lang: &'static tree_sitter::Language = &GRAMMAR;
        (0..lang.node_kind_count() as u16).map(|id| lang.node_kind_for_id(id).unwrap_or("")).collect()
    });
    KINDS.get(id as usize).copied().unwrap_or("")
}

impl<'t> NodeExt<'t> for Node<'t> {
    #[inline]
    fn kind_str(&self) -> &'static str {
        kind_name(self.kind_id())
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

/// The Go grammar, kept for the life of the process: since tree-sitter 0.26 the names a
/// `Language` gives out borrow from it.
static GRAMMAR: std::sync::LazyLock<tree_sitter::Language> =
    std::sync::LazyLock::new(|| Language::Go.grammar());

fn field_id(name: &str) -> u16 {
    static IDS: std::sync::LazyLock<Vec<(&'static str, u16)>> = std::sync::LazyLock::new(|| {
        let lang: &'static tree_sitter::Language = &GRAMMAR;
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

#[cfg(test)]
mod tests {
    use super::{holds_no_name, may_hold_comment};

    #[test]
    fn comments_are_seen_by_their_opening() {
        for text in ["a /* c */ .b", "(\n// c\nx)", "\"a//b\""] {
            assert!(may_hold_comment(text.as_bytes()), "{text}");
        }
        for text in ["(\"github.com/a/b\")", "[n/2]int", "a.b", "x /"] {
            assert!(!may_hold_comment(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn names_are_seen_outside_literals_only() {
        for text in [
            r#"("a b", 1)"#,
            "{1, 2.5, 0x1F, 1e9, 2i, 1_000}",
            r#"{'x', `raw f(x)`, "q\"uote"}"#,
            "(-1 << 20)",
        ] {
            assert!(holds_no_name(text.as_bytes()), "{text}");
        }
        for text in [
            "(x)",
            "{nil}",
            "(1, /* c */ 2)",
            "(1 // c\n)",
            "{_}",
            "(é)",
            r#"("a", f(1))"#,
            "(5*time.Second)",
        ] {
            assert!(!holds_no_name(text.as_bytes()), "{text}");
        }
    }
}
