//! Just enough of Go's types to resolve a method call without a type checker: a type is
//! its name, `T` for a type of the package and `path.T` for an imported one (`os.File`,
//! `net/http.Client`), pointers and type arguments stripped. Where a type is not written
//! in the code, it is unknown, and rules that need it stay silent. A function type is
//! `func:R1;R2` (its results, `?` for one unknown; parameters are not needed), a channel
//! `chan:T` whatever its direction.

use super::api::GoApi;
use super::imports::Imports;
use super::package::{results_of, Decls, Results};
use super::NodeExt;
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use tree_sitter::Node;

pub(crate) type Ty = String;

/// The type a type expression names. Iterative: a type can nest ten thousand parentheses.
pub(crate) fn type_of(node: Node<'_>, source: &str, imports: &Imports) -> Option<Ty> {
    let mut node = node;
    loop {
        match node.kind_str() {
            "pointer_type" | "parenthesized_type" => node = node.named_child(0)?,
            "generic_type" => node = node.field("type")?,
            "type_identifier" => return Some(source[node.byte_range()].to_string()),
            "slice_type" | "array_type" | "map_type" | "channel_type" => {
                return composite_type(node, source, imports, 0)
            }
            "function_type" => return func_type(node, source, imports),
            "qualified_type" => {
                let pkg = node.field("package")?;
                let name = node.field("name")?;
                let path = imports.path(&source[pkg.byte_range()])?;
                return Some(format!("{path}.{}", &source[name.byte_range()]));
            }
            _ => return None,
        }
    }
}

/// `[]T`, `[N]T`, `map[K]V`, written as the code writes them, with the element types in
/// this module's notation (`[]*net/http.Request`); pointers inside are kept, as they make
/// a different type. Bounded: composite types can nest without limit.
fn composite_type(node: Node<'_>, source: &str, imports: &Imports, depth: usize) -> Option<Ty> {
    if depth > 8 {
        return None;
    }
    let part = |n: Node<'_>| -> Option<Ty> {
        match n.kind_str() {
            "pointer_type" => {
                Some(format!("*{}", composite_type(n.named_child(0)?, source, imports, depth + 1)?))
            }
            "slice_type" | "array_type" | "map_type" | "channel_type" => {
                composite_type(n, source, imports, depth + 1)
            }
            "parenthesized_type" => None,
            _ => type_of(n, source, imports),
        }
    };
    match node.kind_str() {
        "slice_type" => Some(format!("[]{}", part(node.field("element")?)?)),
        "array_type" => {
            let len = &source[node.field("length")?.byte_range()];
            Some(format!("[{len}]{}", part(node.field("element")?)?))
        }
        "map_type" => Some(format!("map[{}]{}", part(node.field("key")?)?, part(node.field("value")?)?)),
        "channel_type" => Some(format!("chan:{}", part(node.field("value")?)?)),
        "pointer_type" => {
            Some(format!("*{}", composite_type(node.named_child(0)?, source, imports, depth + 1)?))
        }
        _ => type_of(node, source, imports),
    }
}

/// `func(...) (A, B)` as `func:A;B`, from a `function_type` or a `func_literal`: what a call
/// through a value of that type returns. A result that is itself a function of several
/// results is unknown (`?`), so that `;` only separates this function's results.
pub(crate) fn func_type(node: Node<'_>, source: &str, imports: &Imports) -> Option<Ty> {
    let results = results_of(node, source, imports);
    let parts: Vec<&str> = results
        .types
        .iter()
        .map(|t| match t.as_deref() {
            Some(t) if !(t.starts_with("func:") && t.contains(';')) => t,
            _ => "?",
        })
        .collect();
    Some(format!("func:{}", parts.join(";")))
}

/// The results of a call through a value of function type `func:A;B`.
pub(crate) fn func_results(ty: &str) -> Option<Results> {
    let rest = ty.strip_prefix("func:")?;
    let mut r = Results::default();
    if rest.is_empty() {
        return Some(r);
    }
    for part in rest.split(';') {
        r.errors.push(part == "error");
        r.types.push((part != "?").then(|| part.to_string()));
    }
    Some(r)
}

/// The type of a value received from a channel of type `chan:T`, into a variable of its
/// own: as [`range_element`] reads an element.
pub(crate) fn chan_element(ty: &str) -> Option<Ty> {
    let elem = ty.strip_prefix("chan:")?;
    range_element(&format!("[]{elem}"))
}

/// The element type of `[]*T`, `[N]*T` or `map[K]*V`, pointer stripped as [`type_of`]
/// does. A named element that is not a pointer is unknown: top-level types drop the
/// pointer, so `T` from `[]T` would look like the `*T` a function returns, and differ.
/// Basic types and nested slices and maps are kept as they are.
pub(crate) fn element_type(ty: &str) -> Option<Ty> {
    let rest = ty.strip_prefix("map").unwrap_or(ty);
    if !rest.starts_with('[') {
        return None;
    }
    let mut depth = 0usize;
    let mut end = None;
    for (i, c) in rest.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let elem = &rest[end? + 1..];
    const BASIC: &[&str] = &[
        "bool",
        "string",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "byte",
        "rune",
        "float32",
        "float64",
        "complex64",
        "complex128",
        "error",
    ];
    match elem.strip_prefix('*') {
        Some(pointee) if !pointee.is_empty() && !pointee.starts_with('*') => Some(pointee.to_string()),
        // Function and channel values have no pointer to be confused with.
        None if BASIC.contains(&elem)
            || elem.starts_with('[')
            || elem.starts_with("map[")
            || elem.starts_with("func:")
            || elem.starts_with("chan:") =>
        {
            Some(elem.to_string())
        }
        _ => None,
    }
}

/// The element type of a slice, array or map for a `range` variable: as
/// [`element_type`], and a named value element too, pointer stripped.
pub(crate) fn range_element(ty: &str) -> Option<Ty> {
    element_type(ty).or_else(|| {
        let rest = ty.strip_prefix("map").unwrap_or(ty);
        let elem = rest.strip_prefix('[')?.split_once(']')?.1;
        let elem = elem.trim_start_matches('*');
        (!elem.is_empty()
            && !elem.starts_with('[')
            && !elem.starts_with("map[")
            && !elem.contains([' ', ']', '[', '(']))
        .then(|| elem.to_string())
    })
}

/// The type of a value whose type is written in it: `T{}`, `&T{}`, `new(T)`.
pub(crate) fn literal_type(expr: Node<'_>, source: &str, imports: &Imports) -> Option<Ty> {
    let mut expr = expr;
    loop {
        match expr.kind_str() {
            "composite_literal" => return type_of(expr.field("type")?, source, imports),
            "unary_expression" => {
                let op = expr.field("operator")?;
                if &source[op.byte_range()] != "&" {
                    return None;
                }
                expr = expr.field("operand")?;
            }
            "parenthesized_expression" => expr = expr.named_child(0)?,
            "func_literal" => return func_type(expr, source, imports),
            "call_expression" => {
                let f = expr.field("function")?;
                if &source[f.byte_range()] != "new" {
                    return None;
                }
                let arg = expr.field("arguments")?.named_child(0)?;
                return type_of(arg, source, imports);
            }
            _ => return None,
        }
    }
}

/// The names a function binds, with their types where the code writes them. A name
/// bound twice with different types (shadowing in a nested block) becomes unknown.
#[derive(Debug, Default)]
pub(crate) struct TypeEnv {
    names: HashMap<String, Option<Ty>>,
    /// The last call whose callee [`Resolver::callee`] resolved under these names (node
    /// id), with its answer: up to three rules ask about one call in a row (the binding of
    /// its results, go/ignored-error, go/unclosed-body). Forgotten on every change of the
    /// names, so an answer is the one a fresh resolution would give.
    last_callee: RefCell<Option<(usize, Option<Callee>)>>,
}

impl TypeEnv {
    pub fn clear(&mut self) {
        self.names.clear();
        self.last_callee.get_mut().take();
    }

    pub fn bind(&mut self, name: &str, ty: Option<Ty>) {
        if name == "_" {
            return;
        }
        match self.names.get_mut(name) {
            Some(old) => {
                if *old != ty && old.is_some() {
                    *old = None;
                    self.last_callee.get_mut().take();
                }
            }
            None => {
                self.names.insert(name.to_string(), ty);
                self.last_callee.get_mut().take();
            }
        }
    }

    /// `Some(ty)` when the function binds the name: `Some(None)` when its type is unknown.
    pub fn get(&self, name: &str) -> Option<&Option<Ty>> {
        self.names.get(name)
    }
}

/// Where a name, a type and the API index are looked up while checking one file.
pub(crate) struct Resolver<'a> {
    pub source: &'a str,
    pub imports: &'a Imports,
    pub decls: &'a Decls,
    /// The APIs of imported packages, where they were found.
    pub api: &'a GoApi,
    pub env: &'a TypeEnv,
}

/// What a call's callee is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Callee {
    /// A function of this package.
    Local(String),
    /// `path.Func` of an imported package.
    Imported(String, String),
    /// A method on a receiver of a known type.
    Method(Ty, String),
    /// A value of function type: a closure in a variable, a function-typed field, variable
    /// or element, with its results.
    Value(Results),
}

impl Resolver<'_> {
    fn text(&self, n: Node<'_>) -> &str {
        &self.source[n.byte_range()]
    }

    /// The import path a name stands for, unless the function binds it itself: by the
    /// import's name, else by the `package` clause of an import whose name was guessed
    /// from its path (`jsoniter` for `github.com/json-iterator/go`).
    pub fn package(&self, name: &str) -> Option<&str> {
        if self.env.get(name).is_some() || self.decls.names.contains(name) {
            return None;
        }
        self.imports.path(name).or_else(|| {
            let path =
                self.imports.unsure.iter().find(|p| self.api.package_name(p).as_deref() == Some(name))?;
            Some(path.as_str())
        })
    }

    pub fn callee(&self, call: Node<'_>) -> Option<Callee> {
        if let Some((id, callee)) = &*self.env.last_callee.borrow() {
            if *id == call.id() {
                return callee.clone();
            }
        }
        let callee = self.callee_at(call, 0);
        *self.env.last_callee.borrow_mut() = Some((call.id(), callee.clone()));
        callee
    }

    fn callee_at(&self, call: Node<'_>, depth: usize) -> Option<Callee> {
        let f = call.field("function")?;
        match f.kind_str() {
            "identifier" => {
                let name = self.text(f);
                if let Some(ty) = self.env.get(name) {
                    // `f := func() error {...}; f()`, a parameter of function type.
                    return func_results(ty.as_deref()?).map(Callee::Value);
                }
                if self.decls.funcs.contains_key(name) {
                    return Some(Callee::Local(name.to_string()));
                }
                if let Some(r) = self.package_var(name).and_then(|t| func_results(&t)) {
                    return Some(Callee::Value(r));
                }
                if self.decls.names.contains(name) {
                    return Some(Callee::Local(name.to_string()));
                }
                // A dot import: the name resolves in the imported package.
                for path in &self.imports.dot {
                    if self.api.func(path, name).is_some() {
                        return Some(Callee::Imported(path.clone(), name.to_string()));
                    }
                }
                None
            }
            "selector_expression" => {
                let operand = f.field("operand")?;
                let field = self.text(f.field("field")?).to_string();
                if operand.kind_str() == "identifier" {
                    if let Some(path) = self.package(self.text(operand)) {
                        return Some(Callee::Imported(path.to_string(), field));
                    }
                }
                let ty = self.receiver_type(operand, depth + 1)?;
                // A field of function type (a type has no field and method of one name).
                if let Some(r) = self.field_type(&ty, &field).and_then(|t| func_results(&t)) {
                    return Some(Callee::Value(r));
                }
                let ty = self.method_owner(ty, &field)?;
                Some(Callee::Method(ty, field))
            }
            // `(f)()`, `hooks[i]()`, `make()()`: a value of function type.
            _ => func_results(&self.expr_type_at(f, depth + 1)?).map(Callee::Value),
        }
    }

    /// The type of a variable bound to `value` (`c := chunks[i]`): an element is a
    /// variable of its own, read as a `range` variable is ([`range_element`]).
    pub fn value_type(&self, value: Node<'_>) -> Option<Ty> {
        self.receiver_type(value, 0)
    }

    /// The type of a method call's receiver. An element `xs[i]` or `m[k]` is read as a
    /// `range` variable is ([`range_element`]): a value `T` and a `*T` have the same
    /// methods for the call (a slice element is addressable; a map element's methods
    /// must have value receivers to compile).
    fn receiver_type(&self, operand: Node<'_>, depth: usize) -> Option<Ty> {
        if operand.kind_str() == "index_expression" {
            let collection = self.expr_type_at(operand.field("operand")?, depth + 1)?;
            return range_element(&collection);
        }
        self.expr_type_at(operand, depth)
    }

    /// The type of a variable of this package (one declared as another package's is
    /// looked up there).
    fn package_var(&self, name: &str) -> Option<Ty> {
        let t = self.decls.vars.get(name)?;
        match t.strip_prefix('=') {
            Some(other) => {
                let (path, n) = other.rsplit_once('.')?;
                self.api.var(path, n)
            }
            None => Some(t.clone()),
        }
    }

    /// The type of field `f` of a value of type `ty`, of this package or another.
    fn field_type(&self, ty: &str, f: &str) -> Option<Ty> {
        if ty.contains('.') {
            self.api.field(ty, f)
        } else {
            self.decls.fields.get(ty)?.get(f).cloned()
        }
    }

    /// The type that declares method `m` of `ty`: `ty` itself, or the type of an embedded
    /// field that promotes it (`type printer struct { *bufio.Writer }` makes
    /// `p.WriteString` a `bufio.Writer` method). The shallowest embedding wins, as in Go;
    /// unknown when a level embeds a type whose methods are not all known.
    fn method_owner(&self, ty: Ty, m: &str) -> Option<Ty> {
        let declares = |t: &str| self.decls.methods.get(t).is_some_and(|ms| ms.contains_key(m));
        if ty.contains('.') || declares(&ty) || !self.decls.embeds.contains_key(&ty) {
            return Some(ty);
        }
        if self.decls.fields.get(&ty).is_some_and(|f| f.contains_key(m)) {
            return None;
        }
        let mut level = self.decls.embeds.get(&ty).cloned().unwrap_or_default();
        for _ in 0..4 {
            let mut owners = level.iter().filter(|t| {
                if t.contains('.') {
                    self.api.method(t, m).is_some()
                } else {
                    declares(t) || self.decls.fields.get(*t).is_some_and(|f| f.contains_key(m))
                }
            });
            if let Some(owner) = owners.next() {
                // A field of that name is not a method we know.
                return (owner.contains('.') || declares(owner)).then(|| owner.clone());
            }
            if level.iter().any(|t| t.contains('.')) {
                return None;
            }
            level = level.iter().filter_map(|t| self.decls.embeds.get(t)).flatten().cloned().collect();
            if level.is_empty() {
                return None;
            }
        }
        None
    }

    /// The results of method `m` of `ty`, its own or promoted (through an alias too).
    pub fn method_results(&self, ty: &str, m: &str) -> Option<Results> {
        let owner = self.method_owner(ty.to_string(), m)?;
        self.results(&Callee::Method(owner, m.to_string()))
    }

    /// The result list of a callee declared in this package.
    pub fn local_results(&self, callee: &Callee) -> Option<&Results> {
        match callee {
            Callee::Local(name) => self.decls.funcs.get(name),
            Callee::Method(ty, m) if !ty.contains('.') => self.decls.methods.get(ty)?.get(m),
            _ => None,
        }
    }

    /// The result list of a callee declared in this package or in an imported package
    /// the API index holds.
    pub fn results(&self, callee: &Callee) -> Option<Results> {
        match callee {
            Callee::Imported(path, name) => self.api.func(path, name),
            Callee::Method(ty, m) if ty.contains('.') => self.api.method(ty, m),
            Callee::Value(r) => Some(r.clone()),
            _ => self.local_results(callee).cloned(),
        }
    }

    /// Whether a callee's last result is `error`.
    pub fn returns_error(&self, callee: &Callee) -> bool {
        match callee {
            Callee::Local(_) => self.local_results(callee).is_some_and(Results::returns_error),
            Callee::Value(r) => r.returns_error(),
            Callee::Imported(path, name) => self.api.func_returns_error(path, name),
            Callee::Method(ty, m) => {
                if ty.contains('.') {
                    self.api.method_returns_error(ty, m)
                } else {
                    self.local_results(callee).is_some_and(Results::returns_error)
                }
            }
        }
    }

    /// The types of the first `n` results of a call (`None` where unknown), with the
    /// callee resolved once.
    pub fn call_results(&self, call: Node<'_>, n: usize) -> Vec<Option<Ty>> {
        let types = self.callee_at(call, 0).and_then(|callee| match self.local_results(&callee) {
            Some(r) => Some(r.types.clone()),
            None => self.results(&callee).map(|r| r.types),
        });
        let mut types = types.unwrap_or_default();
        types.resize(n, None);
        types
    }

    fn call_result_at(&self, call: Node<'_>, index: usize, depth: usize) -> Option<Ty> {
        self.result_of(&self.callee_at(call, depth)?, index)
    }

    fn result_of(&self, callee: &Callee, index: usize) -> Option<Ty> {
        if let Some(r) = self.local_results(callee) {
            return r.types.get(index).cloned().flatten();
        }
        self.results(callee)?.types.get(index).cloned().flatten()
    }

    /// The type of an expression, where the code writes it.
    pub fn expr_type(&self, expr: Node<'_>) -> Option<Ty> {
        self.expr_type_at(expr, 0)
    }

    /// Bounded: `a.b.c...` and parentheses can nest deeper than the stack allows.
    fn expr_type_at(&self, expr: Node<'_>, depth: usize) -> Option<Ty> {
        if depth > 32 {
            return None;
        }
        match expr.kind_str() {
            "identifier" => {
                let name = self.text(expr);
                match self.env.get(name) {
                    Some(ty) => ty.clone(),
                    None => self.package_var(name),
                }
            }
            "selector_expression" => {
                let operand = expr.field("operand")?;
                let field = self.text(expr.field("field")?);
                if operand.kind_str() == "identifier" {
                    if let Some(path) = self.package(self.text(operand)) {
                        return self.api.var(path, field);
                    }
                }
                let ty = self.receiver_type(operand, depth + 1)?;
                self.field_type(&ty, field)
            }
            "call_expression" => literal_type(expr, self.source, self.imports)
                .or_else(|| self.call_result_at(expr, 0, depth + 1)),
            "composite_literal" | "func_literal" => literal_type(expr, self.source, self.imports),
            "unary_expression" => literal_type(expr, self.source, self.imports).or_else(|| {
                // `p := &enc.p`: a pointer to a value of a known type; `<-ch`: an element.
                let op = expr.field("operator")?;
                let operand = expr.field("operand")?;
                match self.text(op) {
                    "&" => self.expr_type_at(operand, depth + 1),
                    "<-" => chan_element(&self.expr_type_at(operand, depth + 1)?),
                    _ => None,
                }
            }),
            "parenthesized_expression" => self.expr_type_at(expr.named_child(0)?, depth + 1),
            "type_assertion_expression" => type_of(expr.field("type")?, self.source, self.imports),
            "index_expression" => element_type(&self.expr_type_at(expr.field("operand")?, depth + 1)?),
            // `xs[i:j]` has the type of `xs`.
            "slice_expression" => {
                let ty = self.expr_type_at(expr.field("operand")?, depth + 1)?;
                ty.starts_with("[]").then_some(ty)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_types_keep_only_what_cannot_be_confused() {
        assert_eq!(element_type("[]*net/http.Request").as_deref(), Some("net/http.Request"));
        assert_eq!(element_type("map[string]*T").as_deref(), Some("T"));
        assert_eq!(element_type("map[[2]int]string").as_deref(), Some("string"));
        assert_eq!(element_type("[4][]byte").as_deref(), Some("[]byte"));
        // A named value element would look like the `*T` a call returns.
        assert_eq!(element_type("[]T"), None);
        assert_eq!(element_type("[]**T"), None);
        assert_eq!(element_type("T"), None);
        assert_eq!(element_type("mapping"), None);
    }

    /// The remembered callee is the one a fresh resolution gives: each change of the names
    /// forgets it.
    #[test]
    fn a_remembered_callee_follows_the_names() {
        let source = "package p\n\nimport \"os\"\n\nfunc f() { x.Close() }\n";
        let tree = debtctl_syntax::parse(debtctl_syntax::Language::Go, source).unwrap();
        let mut call = None;
        crate::walk::walk(tree.root_node(), |n, _| {
            if n.kind_str() == "call_expression" {
                call = Some(n);
            }
        });
        let call = call.unwrap();
        let imports = Imports::collect(tree.root_node(), source);
        let (decls, api) = (Decls::default(), GoApi::default());
        let callee = |env: &TypeEnv| {
            Resolver { source, imports: &imports, decls: &decls, api: &api, env }.callee(call)
        };
        let mut env = TypeEnv::default();
        assert_eq!(callee(&env), None);
        assert_eq!(callee(&env), None);
        env.bind("x", Some("os.File".to_string()));
        assert_eq!(callee(&env), Some(Callee::Method("os.File".to_string(), "Close".to_string())));
        assert_eq!(callee(&env), Some(Callee::Method("os.File".to_string(), "Close".to_string())));
        // Bound again as another type: unknown.
        env.bind("x", Some("net/http.Response".to_string()));
        assert_eq!(callee(&env), None);
        env.clear();
        env.bind("x", Some("os.File".to_string()));
        assert_eq!(callee(&env), Some(Callee::Method("os.File".to_string(), "Close".to_string())));
    }
}
