//! `go/shadow`: a `:=` in an inner scope declares a name that already names a variable of
//! an enclosing scope of the same function, and the outer variable is used after the
//! inner scope ends (go vet's shadow analyzer, non-strict).
//!
//! The scope model is Go's: a function's parameters and its body share one scope; every
//! block, `if`/`for`/`switch`/`select` statement (for its header) and case clause opens
//! one; function literals nest. It runs inside the single walk: scopes are pushed when the
//! walk enters their node and popped when it passes their end, a `:=` binds its names
//! only once its right-hand side has been walked (`x := x` reads the outer `x`), and every
//! identifier that is not a declaration is resolved to record the variable's last use.

use super::error_wrap_verb::is_error_name;
use super::types::{type_of, TypeEnv};
use super::NodeExt;
use super::{children_by_field, is_define, list_items, text, Ctx};
use crate::checker::Checker;
use crate::registry::Rule;
use rustc_hash::FxHashMap;
use tree_sitter::Node;

struct Scope<'t> {
    start: usize,
    end: usize,
    /// A `for` statement's scope: its body runs again after an inner block ends.
    is_loop: bool,
    /// A function's scope (declaration or literal).
    is_func: bool,
    names: FxHashMap<&'t str, usize>,
    /// The scope of a function literal called directly by `go` or `defer`.
    go_defer: bool,
}

struct Var<'t> {
    last_use: usize,
    param: bool,
    line: usize,
    /// The type as written, where the declaration writes one (`var e error`, a parameter).
    ty: Option<String>,
    /// The `:=` statement (or untyped `var` spec) and the index that declare it: its type
    /// is worked out only if the variable takes part in a candidate.
    decl: Option<(Node<'t>, usize)>,
    /// `x := x.DeepCopy()`: a copy of this variable, of the same type.
    copy_of: Option<usize>,
}

struct Pending<'t> {
    at: usize,
    scope: usize,
    names: Vec<(&'t str, usize)>,
}

struct Candidate<'t> {
    stmt: Node<'t>,
    name: &'t str,
    outer: usize,
    inner: usize,
    scope_end: usize,
    in_go_defer: bool,
    /// Where the outermost loop around the inner declaration starts, when that loop is
    /// inside the outer variable's scope (in the same function): a use of the outer
    /// variable in the loop runs again after the inner block has ended.
    loop_start: Option<usize>,
}

pub(crate) struct Shadow<'t> {
    on: bool,
    scopes: Vec<Scope<'t>>,
    vars: Vec<Var<'t>>,
    pending: Vec<Pending<'t>>,
    candidates: Vec<Candidate<'t>>,
    /// Identifiers in this byte range are being declared, not used.
    skip: (usize, usize),
    function_has_error: bool,
}

impl<'t> Shadow<'t> {
    pub fn new(on: bool) -> Self {
        Shadow {
            on,
            scopes: Vec::new(),
            vars: Vec::new(),
            pending: Vec::new(),
            candidates: Vec::new(),
            skip: (0, 0),
            function_has_error: false,
        }
    }

    /// The node kinds [`Shadow::visit`] reads: scopes, declarations and identifiers.
    pub fn reads(kind: &str) -> bool {
        matches!(
            kind,
            "function_declaration"
                | "method_declaration"
                | "func_literal"
                | "block"
                | "if_statement"
                | "for_statement"
                | "expression_switch_statement"
                | "type_switch_statement"
                | "select_statement"
                | "expression_case"
                | "default_case"
                | "type_case"
                | "communication_case"
                | "short_var_declaration"
                | "receive_statement"
                | "range_clause"
                | "var_spec"
                | "const_spec"
                | "identifier"
        )
    }

    pub fn visit(
        &mut self,
        checker: &mut Checker<'t>,
        ctx: &Ctx<'_>,
        env: &TypeEnv,
        node: Node<'t>,
        kind: &str,
        ancestors: &[Node<'t>],
    ) {
        if !self.on {
            return;
        }
        let start = node.start_byte();
        // Most nodes find nothing ready: test before re-partitioning (and allocating).
        if self.pending.iter().any(|p| p.at <= start) {
            let (ready, rest): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| p.at <= start);
            self.pending = rest;
            for p in ready {
                if let Some(scope) = self.scopes.get_mut(p.scope) {
                    for (name, id) in p.names {
                        scope.names.insert(name, id);
                    }
                }
            }
        }
        while self.scopes.last().is_some_and(|s| s.end <= start) {
            self.scopes.pop();
            if self.scopes.is_empty() {
                self.finish_function(checker, ctx, env);
            }
        }
        let source = checker.source;
        match kind {
            "function_declaration" | "method_declaration" | "func_literal" => {
                if self.scopes.is_empty() {
                    self.function_has_error = node.has_error();
                }
                let go_defer = node.kind_str() == "func_literal"
                    && ancestors.len() >= 2
                    && ancestors[ancestors.len() - 1].kind_str() == "call_expression"
                    && ancestors[ancestors.len() - 1].field("function") == Some(node)
                    && matches!(
                        ancestors[ancestors.len() - 2].kind_str(),
                        "go_statement" | "defer_statement"
                    );
                self.push(node, go_defer);
                let top = self.scopes.len() - 1;
                self.scopes[top].is_func = true;
                for field in ["receiver", "parameters", "result"] {
                    let Some(list) = node.field(field) else { continue };
                    if list.kind_str() != "parameter_list" {
                        continue;
                    }
                    let mut c = list.walk();
                    for p in list.named_children(&mut c) {
                        let ty = p.field("type").and_then(|t| type_of(t, source, ctx.imports));
                        // `xs ...T` is a `[]T`.
                        let ty = match p.kind_str() {
                            "variadic_parameter_declaration" => ty.map(|t| format!("[]{t}")),
                            _ => ty,
                        };
                        let mut nc = p.walk();
                        for name in children_by_field(p, "name", &mut nc) {
                            // A named result is not a parameter: the `go`/`defer` closure
                            // exception is for parameters, and a deferred closure that
                            // shadows a named result (`if err := f(); ...`) is the classic.
                            let id = self.new_var(name, field != "result", ty.clone());
                            let top = self.scopes.len() - 1;
                            self.scopes[top].names.insert(text(name, source), id);
                        }
                    }
                }
            }
            _ if self.scopes.is_empty() => {}
            "block" => {
                let in_function = ancestors.last().is_some_and(|p| {
                    matches!(p.kind_str(), "function_declaration" | "method_declaration" | "func_literal")
                });
                if !in_function {
                    self.push(node, false);
                }
            }
            "if_statement"
            | "for_statement"
            | "expression_switch_statement"
            | "type_switch_statement"
            | "select_statement"
            | "expression_case"
            | "default_case"
            | "type_case"
            | "communication_case" => {
                self.push(node, false);
                if kind == "for_statement" {
                    let top = self.scopes.len() - 1;
                    self.scopes[top].is_loop = true;
                }
                if node.kind_str() == "type_switch_statement" {
                    let alias = list_items(node.field("alias"));
                    let at = node.field("value").map_or(node.end_byte(), |v| v.end_byte());
                    self.declare(&alias, at, source, None, None);
                }
            }
            "short_var_declaration" => self.define(node, source),
            "receive_statement" if is_define(node) => self.define(node, source),
            "range_clause" if is_define(node) => {
                let left = list_items(node.field("left"));
                self.declare(&left, node.end_byte(), source, None, None);
            }
            "var_spec" | "const_spec" => {
                let mut c = node.walk();
                let names: Vec<_> = children_by_field(node, "name", &mut c).collect();
                let ty = node.field("type").and_then(|t| type_of(t, source, ctx.imports));
                // `var ts = int64(0)`: without a written type, the values tell it.
                let typed_by = (ty.is_none() && node.field("value").is_some()).then_some(node);
                self.declare(&names, node.end_byte(), source, ty, typed_by);
            }
            "identifier" => self.use_of(node, ancestors, source),
            _ => {}
        }
    }

    fn push(&mut self, node: Node<'_>, go_defer: bool) {
        self.scopes.push(Scope {
            start: node.start_byte(),
            end: node.end_byte(),
            is_loop: false,
            is_func: false,
            names: FxHashMap::default(),
            go_defer,
        });
    }

    fn new_var(&mut self, name: Node<'_>, param: bool, ty: Option<String>) -> usize {
        self.vars.push(Var {
            last_use: 0,
            param,
            line: name.start_position().row + 1,
            ty,
            decl: None,
            copy_of: None,
        });
        self.vars.len() - 1
    }

    /// Declares names (not `:=` candidates) that take effect at byte `at`; `spec` is the
    /// `var` spec whose values type them, when it writes no type.
    fn declare(
        &mut self,
        names: &[Node<'_>],
        at: usize,
        source: &'t str,
        ty: Option<String>,
        spec: Option<Node<'t>>,
    ) {
        if let (Some(first), Some(last)) = (names.first(), names.last()) {
            self.skip = (first.start_byte(), last.end_byte());
        }
        let mut bound = Vec::new();
        for (i, n) in names.iter().enumerate() {
            if n.kind_str() != "identifier" || text(*n, source) == "_" {
                continue;
            }
            let id = self.new_var(*n, false, ty.clone());
            self.vars[id].decl = spec.map(|s| (s, i));
            bound.push((text(*n, source), id));
        }
        let scope = self.scopes.len() - 1;
        self.pending.push(Pending { at, scope, names: bound });
    }

    /// A `:=` (or `case v := <-ch:`): new names are declared in the current scope, names
    /// already there are reused, and a new name found in an enclosing scope is a candidate.
    fn define(&mut self, stmt: Node<'t>, source: &'t str) {
        let left = list_items(stmt.field("left"));
        let right = list_items(stmt.field("right"));
        if let (Some(first), Some(last)) = (left.first(), left.last()) {
            self.skip = (first.start_byte(), last.end_byte());
        }
        // `x := x` and `a, b := a, b` copy on purpose.
        let copies = left.len() == right.len()
            && left
                .iter()
                .zip(&right)
                .all(|(l, r)| r.kind_str() == "identifier" && text(*l, source) == text(*r, source));
        let top = self.scopes.len() - 1;
        let mut bound = Vec::new();
        for (i, l) in left.iter().enumerate() {
            if l.kind_str() != "identifier" {
                continue;
            }
            let name = text(*l, source);
            if name == "_" {
                continue;
            }
            if let Some(&id) = self.scopes[top].names.get(name) {
                // Redeclared in the same scope: an assignment to the same variable.
                self.vars[id].last_use = self.vars[id].last_use.max(l.start_byte());
                continue;
            }
            let id = self.new_var(*l, false, None);
            if stmt.kind_str() != "receive_statement" {
                self.vars[id].decl = Some((stmt, i));
            }
            // `obj := obj.DeepCopy()`: the copy methods keep the type.
            if let Some((_, outer)) = self.resolve(name) {
                if left.len() == right.len() && is_self_copy(right[i], name, source) {
                    self.vars[id].copy_of = Some(outer);
                }
            }
            bound.push((name, id));
            if copies {
                continue;
            }
            if let Some((depth, outer)) = self.resolve(name) {
                let in_go_defer = self.scopes[depth + 1..].iter().any(|s| s.go_defer);
                // The outermost loop between the outer variable's scope and the inner
                // declaration, with no function boundary from it inwards.
                let inner_scopes = &self.scopes[depth + 1..];
                let after_func = inner_scopes.iter().rposition(|s| s.is_func).map_or(0, |i| i + 1);
                let loop_start = inner_scopes[after_func..].iter().find(|s| s.is_loop).map(|s| s.start);
                self.candidates.push(Candidate {
                    stmt,
                    name,
                    outer,
                    inner: id,
                    scope_end: self.scopes[top].end,
                    in_go_defer,
                    loop_start,
                });
            }
        }
        self.pending.push(Pending { at: stmt.end_byte(), scope: top, names: bound });
    }

    fn resolve(&self, name: &str) -> Option<(usize, usize)> {
        self.scopes.iter().enumerate().rev().find_map(|(d, s)| s.names.get(name).map(|id| (d, *id)))
    }

    fn use_of(&mut self, ident: Node<'_>, ancestors: &[Node<'_>], source: &str) {
        // A use counts only through a candidate's outer variable, and only once the
        // candidate exists (what finish_function reads of it lies after the candidate's
        // `:=`): most identifiers are no candidate's name, and most functions have none.
        let name = text(ident, source);
        if !self.candidates.iter().any(|c| c.name == name) {
            return;
        }
        let start = ident.start_byte();
        if start >= self.skip.0 && start < self.skip.1 {
            return;
        }
        if let Some(parent) = ancestors.last() {
            match parent.kind_str() {
                "parameter_declaration" | "variadic_parameter_declaration" => return,
                // A struct literal's field key is not a variable.
                "literal_element" => {
                    let grand = ancestors.len().checked_sub(2).map(|i| ancestors[i]);
                    if grand
                        .is_some_and(|g| g.kind_str() == "keyed_element" && g.field("key") == Some(*parent))
                    {
                        return;
                    }
                }
                _ => {}
            }
        }
        if let Some((_, id)) = self.resolve(name) {
            let v = &mut self.vars[id];
            v.last_use = v.last_use.max(start);
        }
    }

    /// The type of a variable, worked out from its declaration.
    fn type_of_var(&self, id: usize, ctx: &Ctx<'_>, env: &TypeEnv, source: &str) -> Option<String> {
        let v = &self.vars[id];
        if v.ty.is_some() {
            return v.ty.clone();
        }
        let (stmt, i) = v.decl?;
        let (left, right) = if stmt.kind_str() == "var_spec" {
            let mut c = stmt.walk();
            (children_by_field(stmt, "name", &mut c).collect(), list_items(stmt.field("value")))
        } else {
            (list_items(stmt.field("left")), list_items(stmt.field("right")))
        };
        decl_types(ctx, env, source, &left, &right).get(i).cloned().flatten()
    }

    fn finish_function(&mut self, checker: &mut Checker<'_>, ctx: &Ctx<'_>, env: &TypeEnv) {
        let candidates = std::mem::take(&mut self.candidates);
        let source = checker.source;
        if !self.function_has_error {
            for c in candidates {
                let outer = &self.vars[c.outer];
                // Used after the inner block ends: later in the function, or, in a loop
                // around it, from the inner declaration on (its own right-hand side
                // included): the next round reads it again after the block has ended
                // (`for { buf, err := dec.Read(buf[:0]) }` never hands the grown buffer
                // back). A use only before the declaration in the loop is not counted.
                let in_loop = c.loop_start.is_some() && outer.last_use >= c.stmt.start_byte();
                if outer.last_use < c.scope_end && !in_loop {
                    continue;
                }
                if c.in_go_defer && outer.param {
                    continue;
                }
                // go vet does not complain when the types differ: two different things.
                // Where a type is not known, only names whose type is a convention
                // (`err` is an `error`, `ok` a `bool`) are reported.
                let same_copy = self.vars[c.inner].copy_of == Some(c.outer);
                let (ta, tb) = if same_copy {
                    (None, None)
                } else {
                    (self.type_of_var(c.outer, ctx, env, source), self.type_of_var(c.inner, ctx, env, source))
                };
                match (&ta, &tb) {
                    _ if same_copy => {}
                    (Some(a), Some(b)) if a == b => {}
                    (Some(a), Some(b)) if !a.starts_with("call:") && !b.starts_with("call:") => continue,
                    _ if c.name == "ok" || is_error_name(c.name) => {}
                    _ => continue,
                }
                let message = format!(
                    "declaration of `{}` shadows the variable declared at line {}, which is used after this block",
                    c.name, outer.line
                );
                checker.report(Rule::GoShadow, c.stmt, message);
            }
        }
        self.vars.clear();
        self.pending.clear();
    }

    pub fn finish(&mut self, checker: &mut Checker<'_>, ctx: &Ctx<'_>, env: &TypeEnv) {
        if !self.scopes.is_empty() {
            self.scopes.clear();
            self.finish_function(checker, ctx, env);
        }
    }
}

/// The type of each name a `:=` declares, where the code tells: a type name (`int`,
/// `os.File`), or, for the result of a call whose type is unknown, `call:F#i`, which is
/// the same type as another `call:F#i` and unknown against anything else.
fn decl_types(
    ctx: &Ctx<'_>,
    env: &TypeEnv,
    source: &str,
    left: &[Node<'_>],
    right: &[Node<'_>],
) -> Vec<Option<String>> {
    let r = ctx.resolver(source, env);
    let call_key =
        |call: Node<'_>, i: usize| call.field("function").map(|f| format!("call:{}#{i}", text(f, source)));
    if left.len() == right.len() {
        right
            .iter()
            .map(|e| {
                written_type(*e, source)
                    .or_else(|| r.expr_type(*e))
                    .or_else(|| (e.kind_str() == "call_expression").then(|| call_key(*e, 0)).flatten())
            })
            .collect()
    } else if right.len() == 1 && right[0].kind_str() == "call_expression" {
        r.call_results(right[0], left.len())
            .into_iter()
            .enumerate()
            .map(|(i, t)| t.or_else(|| call_key(right[0], i)))
            .collect()
    } else if right.len() == 1 && right[0].kind_str() == "type_assertion_expression" {
        let mut v = vec![r.expr_type(right[0])];
        v.resize(left.len(), None);
        if left.len() == 2 {
            v[1] = Some("bool".into());
        }
        v
    } else if right.len() == 1 && right[0].kind_str() == "index_expression" && left.len() == 2 {
        vec![r.expr_type(right[0]), Some("bool".into())]
    } else {
        vec![None; left.len()]
    }
}

/// `x.DeepCopy()`, `x.Clone()`, `x.Copy()` for the name `x`.
fn is_self_copy(value: Node<'_>, name: &str, source: &str) -> bool {
    if value.kind_str() != "call_expression" {
        return false;
    }
    let Some(f) = value.field("function").filter(|f| f.kind_str() == "selector_expression") else {
        return false;
    };
    let operand = f.field("operand").map(|o| text(o, source));
    let field = f.field("field").map(|o| text(o, source));
    operand == Some(name) && matches!(field, Some("DeepCopy" | "Clone" | "Copy"))
}

/// The type a value's literal writes: basic literals, and conversions to a basic type
/// (`int64(n)`).
fn written_type(value: Node<'_>, source: &str) -> Option<String> {
    match value.kind_str() {
        "call_expression" => {
            let f = value.field("function").filter(|f| f.kind_str() == "identifier")?;
            let name = text(f, source);
            let basic = matches!(
                name,
                "bool"
                    | "string"
                    | "int"
                    | "int8"
                    | "int16"
                    | "int32"
                    | "int64"
                    | "uint"
                    | "uint8"
                    | "uint16"
                    | "uint32"
                    | "uint64"
                    | "uintptr"
                    | "float32"
                    | "float64"
                    | "complex64"
                    | "complex128"
                    | "byte"
                    | "rune"
            );
            basic.then(|| name.to_string())
        }
        "int_literal" => Some("int".into()),
        "float_literal" => Some("float64".into()),
        "interpreted_string_literal" | "raw_string_literal" => Some("string".into()),
        "true" | "false" => Some("bool".into()),
        "rune_literal" => Some("rune".into()),
        _ => None,
    }
}
