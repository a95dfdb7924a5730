//! `go/cgo-leak`: memory allocated through cgo (`C.CString`, `C.malloc`, ...) that the
//! function never frees, returns, stores or hands to an owner; or an allocation passed
//! inline as an argument, which nothing can free.

use super::package::Decls;
use super::NodeExt;
use super::{children_by_field, enclosing_function, list_items, text, Ctx};
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
    let lookup = Lookup { decls: ctx.decls, owning_c: &ctx.settings.cgo_owning_functions };
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
            if name == "append" {
                // `cs = append(cs, C.CString(s))` stores into the elements of `cs`.
                if let Some((func, collection)) = appended_to(*owner, ancestors, source) {
                    elements(checker, ctx, &lookup, func, call, alloc, collection);
                }
                return;
            }
            if is_owner(name) || lookup.takes(*owner, arg_index(context, child), source) {
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
                    children_by_field(stmt, "name", &mut c).collect()
                }
                _ => return,
            };
            if left.len() != right.len() {
                return;
            }
            let Some(i) = right.iter().position(|r| *r == child) else { return };
            let target = left[i];
            let Some(func) = enclosing_function(ancestors).filter(|f| !f.has_error()) else { return };
            if target.kind_str() == "index_expression" && stmt.kind_str() == "assignment_statement" {
                if let Some(operand) = target.field("operand").filter(|o| o.kind_str() == "identifier") {
                    elements(checker, ctx, &lookup, func, call, alloc, operand);
                }
                return;
            }
            if target.kind_str() != "identifier" || text(target, source) == "_" {
                return;
            }
            let name = text(target, source);
            // A package variable holds it for the program's lifetime.
            if stmt.kind_str() == "assignment_statement" && ctx.decls.names.contains(name) {
                return;
            }
            if handed_off(func, name, target, source, Some(&lookup), false) {
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

/// `xs[i] = C.CString(s)`: the elements of a local slice, array or map must be freed
/// (`C.free(unsafe.Pointer(xs[i]))`, a loop over `xs`, a helper that frees them), or the
/// collection handed on like a single pointer.
fn elements(
    checker: &mut Checker<'_>,
    ctx: &Ctx<'_>,
    lookup: &Lookup<'_>,
    func: Node<'_>,
    call: Node<'_>,
    alloc: &str,
    operand: Node<'_>,
) {
    let source = checker.source;
    let name = text(operand, source);
    // Parameters, named results and package variables belong to someone else.
    let Some(decl) = local_declaration(func, name, source) else { return };
    if handed_off(func, name, operand, source, Some(lookup), true) {
        return;
    }
    let message = format!("memory from `C.{alloc}` stored in elements of `{name}` is never freed");
    let fix = elements_fix(ctx, source, func, decl, name);
    let diag = checker.report(Rule::GoCgoLeak, call, message);
    diag.fix = fix;
}

/// For `cs = append(cs, ...)` (or `:=`), the enclosing function and `cs` on the left.
fn appended_to<'t>(append: Node<'t>, ancestors: &[Node<'t>], source: &str) -> Option<(Node<'t>, Node<'t>)> {
    let i = ancestors.iter().position(|a| *a == append)?;
    let list = ancestors.get(i.checked_sub(1)?).filter(|l| l.kind_str() == "expression_list")?;
    let stmt = ancestors.get(i.checked_sub(2)?).filter(|s| {
        matches!(s.kind_str(), "assignment_statement" | "short_var_declaration")
            && s.field("right") == Some(*list)
    })?;
    let (left, right) = (list_items(stmt.field("left")), list_items(Some(*list)));
    let target = *left.get(right.iter().position(|r| *r == append)?)?;
    let first = append.field("arguments")?.named_child(0)?;
    if target.kind_str() != "identifier" || text(first, source) != text(target, source) {
        return None;
    }
    Some((enclosing_function(ancestors).filter(|f| !f.has_error())?, target))
}

/// The statement of `func` that declares `name` (`xs := make(...)`, `var xs [4]*C.char`),
/// when it is declared once there and is not a parameter or result.
fn local_declaration<'t>(func: Node<'t>, name: &str, source: &str) -> Option<Node<'t>> {
    for field in ["receiver", "parameters", "result"] {
        if func.field(field).is_some_and(|p| declares(p, name, source)) {
            return None;
        }
    }
    let mut found = Vec::new();
    walk(func, |node, _| match node.kind_str() {
        "short_var_declaration"
            if list_items(node.field("left")).iter().any(|l| text(*l, source) == name) =>
        {
            found.push(node);
        }
        "var_spec" => {
            let mut c = node.walk();
            if children_by_field(node, "name", &mut c).any(|n| text(n, source) == name) {
                found.push(node);
            }
        }
        "func_literal" if node.field("parameters").is_some_and(|p| declares(p, name, source)) => {
            found.push(node);
        }
        _ => {}
    });
    match found.as_slice() {
        [one] if one.kind_str() != "func_literal" => Some(*one),
        _ => None,
    }
}

fn declares(list: Node<'_>, name: &str, source: &str) -> bool {
    let mut c = list.walk();
    let found = list.named_children(&mut c).any(|p| {
        let mut nc = p.walk();
        let hit = children_by_field(p, "name", &mut nc).any(|n| text(n, source) == name);
        hit
    });
    found
}

/// What go/cgo-leak knows of the callees of one package: its functions' summaries, its
/// cgo preambles' C functions, and the C functions config names as owners.
pub(crate) struct Lookup<'a> {
    pub decls: &'a Decls,
    pub owning_c: &'a [String],
}

impl Lookup<'_> {
    /// Whether `call` takes ownership of its argument number `index`.
    fn takes(&self, call: Node<'_>, index: usize, source: &str) -> bool {
        let Some(f) = call.field("function") else { return false };
        let has = |m: &rustc_hash::FxHashMap<String, Vec<u32>>, name: &str| {
            m.get(name).is_some_and(|v| v.contains(&(index as u32)))
        };
        match f.kind_str() {
            "identifier" => has(&self.decls.owners, text(f, source)),
            "selector_expression" => {
                let (Some(op), Some(field)) = (f.field("operand"), f.field("field")) else { return false };
                let field = text(field, source);
                if text(op, source) == "C" {
                    has(&self.decls.c_owners, field) || self.owning_c.iter().any(|n| n == field)
                } else {
                    // A method of the package (by its name, whatever the receiver).
                    has(&self.decls.owners, field)
                }
            }
            _ => false,
        }
    }
}

/// The position of `arg` among the arguments of a call.
fn arg_index(list: Node<'_>, arg: Node<'_>) -> usize {
    (0..list.named_child_count())
        .filter_map(|i| list.named_child(i as u32))
        .filter(|a| a.kind_str() != "comment")
        .position(|a| a == arg)
        .unwrap_or(usize::MAX)
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

/// Whether the variable is, anywhere in `region`, freed, returned, stored, copied into
/// another variable, or passed to a function that takes ownership. With `elements`, the
/// variable is a collection whose elements hold the memory: an element freed
/// (`C.free(unsafe.Pointer(xs[i]))`), a loop freeing each (`for _, p := range xs`), or the
/// collection itself handed on counts.
fn handed_off(
    region: Node<'_>,
    name: &str,
    binding: Node<'_>,
    source: &str,
    lookup: Option<&Lookup<'_>>,
    elements: bool,
) -> bool {
    let mut found = false;
    walk(region, |node, ancestors| {
        if found || node.kind_str() != "identifier" || node == binding || text(node, source) != name {
            return;
        }
        let mut child = node;
        let mut indexed = false;
        // The argument of the call being climbed to.
        let mut arg = node;
        for (depth, parent) in ancestors.iter().enumerate().rev() {
            match parent.kind_str() {
                "index_expression" if elements && !indexed && parent.field("operand") == Some(child) => {
                    indexed = true;
                }
                // `&xs[0]` lends the array to C for the call; it hands nothing on.
                "unary_expression" if indexed && text(*parent, source).starts_with('&') => return,
                "parenthesized_expression" | "type_conversion_expression" | "unary_expression" => {}
                // `&x.parent` stored somewhere hands the whole block over.
                "selector_expression" if parent.field("operand") == Some(child) => {}
                "argument_list" => arg = child,
                "call_expression" => {
                    if parent.field("function") == Some(child) {
                        // `xs.Destroy()`: a method whose name says it frees.
                        let method = child.field("field").map(|f| text(f, source)).unwrap_or("");
                        if child.kind_str() == "selector_expression" && child != node && is_owner(method) {
                            found = true;
                        }
                        return;
                    }
                    let callee = callee_name(*parent, source).unwrap_or("");
                    // `xs = append(xs, ...)` keeps the elements in `xs`.
                    if elements && callee == "append" && arg == node {
                        let ancestors = &ancestors[..=depth];
                        if appended_to(*parent, ancestors, source)
                            .is_some_and(|(_, t)| text(t, source) == name)
                        {
                            return;
                        }
                    }
                    if is_owner(callee) || callee == "append" {
                        found = true;
                        return;
                    }
                    if !is_conversion(*parent, source) {
                        if let (Some(lookup), Some(args)) = (lookup, parent.field("arguments")) {
                            found = lookup.takes(*parent, arg_index(args, arg), source);
                        }
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
                // `for _, p := range xs { C.free(unsafe.Pointer(p)) }`
                "range_clause" if elements && !indexed && parent.field("right") == Some(child) => {
                    let value = list_items(parent.field("left")).get(1).copied();
                    let body = depth.checked_sub(1).and_then(|d| ancestors[d].field("body"));
                    if let (Some(value), Some(body)) = (value.filter(|v| v.kind_str() == "identifier"), body)
                    {
                        found = handed_off(body, text(value, source), value, source, lookup, false);
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

/// go/cgo-leak's summary of a function for the package stage: the parameters (by index,
/// receiver not counted) that it frees, returns, stores or hands to an owner, itself or
/// through their elements; so that a caller passing an allocation there hands it on.
/// One level: the callees of the function are not followed. Only parameters whose type
/// mentions a C or unsafe pointer are read.
pub(crate) fn summary(decl: Node<'_>, source: &str) -> Vec<u32> {
    let (Some(params), Some(body)) = (decl.field("parameters"), decl.field("body")) else {
        return Vec::new();
    };
    let pointer = |t: &str| t.contains("C.") || t.contains("unsafe.Pointer");
    if !pointer(text(params, source)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut index = 0u32;
    let mut c = params.walk();
    for p in params.named_children(&mut c) {
        if !matches!(p.kind_str(), "parameter_declaration" | "variadic_parameter_declaration") {
            continue;
        }
        let is_pointer = p.field("type").is_some_and(|t| pointer(text(t, source)));
        let mut nc = p.walk();
        let names: Vec<_> = children_by_field(p, "name", &mut nc).collect();
        for n in names.iter().copied().chain(names.is_empty().then_some(p)) {
            let name = text(n, source);
            if is_pointer
                && n != p
                && name != "_"
                && (handed_off(body, name, n, source, None, false)
                    || handed_off(body, name, n, source, None, true))
            {
                out.push(index);
            }
            index += 1;
        }
    }
    out
}

/// The C functions defined in a file's cgo preamble (the comments right before
/// `import "C"`) that hand a parameter to a callee together with `free` as its
/// destructor (`sqlite3_result_text(ctx, s, n, &free)`): such a function takes
/// ownership of that parameter. C is read by hand, not parsed: enough for the definitions
/// preambles hold.
pub(crate) fn preamble_owners(root: Node<'_>, source: &str) -> Vec<(String, Vec<u32>)> {
    let mut out = Vec::new();
    let mut comments = String::new();
    let mut cursor = root.walk();
    for node in root.named_children(&mut cursor) {
        match node.kind_str() {
            "comment" => {
                let t = text(node, source);
                let inner = match t.strip_prefix("/*") {
                    Some(rest) => rest.strip_suffix("*/").unwrap_or(rest),
                    None => t.strip_prefix("//").unwrap_or(t),
                };
                comments.push_str(inner);
                comments.push('\n');
            }
            "import_declaration" => {
                if text(node, source).contains("\"C\"") {
                    out.extend(c_owning_functions(&comments));
                }
                comments.clear();
            }
            "package_clause" => comments.clear(),
            _ => break,
        }
    }
    out
}

/// The C function definitions of `code` that pass a parameter to a call with `free` among
/// its arguments: name -> parameter indices.
fn c_owning_functions(code: &str) -> Vec<(String, Vec<u32>)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        let Some(end) = matching(b, i, b'{', b'}') else { break };
        if let Some((name, params)) = c_header(&code[..i]) {
            let owned = freed_params(&code[i + 1..end], &params);
            if !owned.is_empty() {
                out.push((name, owned));
            }
        }
        i = end + 1;
    }
    out
}

/// The index of the bracket closing the one at `open`.
fn matching(b: &[u8], open: usize, o: u8, c: u8) -> Option<usize> {
    let mut depth = 0usize;
    for (k, &ch) in b.iter().enumerate().skip(open) {
        if ch == o {
            depth += 1;
        } else if ch == c {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// `void f(sqlite3_context* ctx, const char* s, int n)` -> `f` and its parameters' names,
/// each with whether it is a pointer.
fn c_header(head: &str) -> Option<(String, Vec<(String, bool)>)> {
    let head = head.trim_end();
    let head = head.strip_suffix(')')?;
    let b = head.as_bytes();
    let mut depth = 1usize;
    let mut open = None;
    for k in (0..b.len()).rev() {
        match b[k] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    open = Some(k);
                    break;
                }
            }
            _ => {}
        }
    }
    let open = open?;
    let name = last_ident(&head[..open])?;
    if matches!(name, "if" | "for" | "while" | "switch" | "return" | "sizeof") {
        return None;
    }
    let params = split_top(&head[open + 1..])
        .into_iter()
        .map(|p| (last_ident(p).unwrap_or("").to_string(), p.contains('*') || p.contains('[')))
        .collect();
    Some((name.to_string(), params))
}

fn last_ident(s: &str) -> Option<&str> {
    let mut s = s.trim_end();
    // `char buf[16]`
    if s.ends_with(']') {
        s = s[..s.rfind('[')?].trim_end();
    }
    let end = s.len();
    let start = s.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |k| k + 1);
    let ident = &s[start..end];
    (!ident.is_empty() && !ident.starts_with(|c: char| c.is_ascii_digit())).then_some(ident)
}

/// Splits at the commas outside brackets.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (k, ch) in s.char_indices() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    if !s[start..].trim().is_empty() {
        out.push(&s[start..]);
    }
    out
}

/// An argument with its casts and `&` taken off: `(void*)s` -> `s`, `&free` -> `free`.
fn bare_arg(arg: &str) -> &str {
    let mut a = arg.trim();
    loop {
        if let Some(rest) = a.strip_prefix('&') {
            a = rest.trim_start();
        } else if a.starts_with('(') {
            let Some(close) = matching(a.as_bytes(), 0, b'(', b')') else { return a };
            if close + 1 == a.len() {
                a = a[1..close].trim();
            } else {
                a = a[close + 1..].trim_start();
            }
        } else {
            return a;
        }
    }
}

/// The parameters a call in `body` hands on with `free` as destructor: the pointer
/// parameter passed nearest before `free` (`sqlite3_result_text(ctx, s, n, &free)` hands
/// on `s`, not the context `ctx`).
fn freed_params(body: &str, params: &[(String, bool)]) -> Vec<u32> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    for (k, _) in body.match_indices('(') {
        if k == 0 || !(b[k - 1].is_ascii_alphanumeric() || b[k - 1] == b'_') {
            continue;
        }
        let Some(close) = matching(b, k, b'(', b')') else { continue };
        let args: Vec<&str> = split_top(&body[k + 1..close]).into_iter().map(bare_arg).collect();
        let Some(destructor) = args.iter().position(|a| *a == "free") else { continue };
        let data = args[..destructor].iter().rev().find_map(|a| {
            params.iter().position(|(name, pointer)| *pointer && !name.is_empty() && name == a)
        });
        if let Some(i) = data {
            out.push(i as u32);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `defer C.free(unsafe.Pointer(x))` after the binding, with the `unsafe` import if missing.
fn free_fix(ctx: &Ctx<'_>, source: &str, stmt: Node<'_>, name: &str) -> Option<Fix> {
    if stmt.kind_str() != "short_var_declaration" || stmt.parent()?.kind_str() != "statement_list" {
        return None;
    }
    let indent = indent_of(source, stmt);
    let insert = Edit::insert(stmt.end_byte(), format!("\n{indent}defer C.free(unsafe.Pointer({name}))"));
    Some(Fix {
        applicability: Applicability::Unsafe,
        title: format!("free `{name}` with a deferred `C.free`"),
        edits: with_unsafe_import(ctx, source, stmt, insert)?,
    })
}

/// A deferred loop freeing every element, right after the collection's declaration: the
/// closure reads the collection when the function returns, so elements stored later are
/// freed too, and `C.free(nil)` of an element never set does nothing.
fn elements_fix(ctx: &Ctx<'_>, source: &str, func: Node<'_>, decl: Node<'_>, name: &str) -> Option<Fix> {
    let stmt = match decl.kind_str() {
        "short_var_declaration" => decl,
        // `var xs [4]*C.char` alone in its declaration.
        "var_spec" => {
            decl.parent().filter(|p| p.kind_str() == "var_declaration" && p.named_child_count() == 1)?
        }
        _ => return None,
    };
    if stmt.parent()?.kind_str() != "statement_list" {
        return None;
    }
    let body = text(func, source);
    let var = ["p", "ptr", "elem", "cp"]
        .into_iter()
        .find(|v| !body.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == *v))?;
    let i = indent_of(source, stmt);
    let insert = Edit::insert(
        stmt.end_byte(),
        format!(
            "\n{i}defer func() {{\n{i}\tfor _, {var} := range {name} {{\n{i}\t\tC.free(unsafe.Pointer({var}))\n{i}\t}}\n{i}}}()"
        ),
    );
    Some(Fix {
        applicability: Applicability::Unsafe,
        title: format!("free the elements of `{name}` in a deferred loop"),
        edits: with_unsafe_import(ctx, source, stmt, insert)?,
    })
}

fn indent_of(source: &str, stmt: Node<'_>) -> String {
    let line_start = source[..stmt.start_byte()].rfind('\n').map_or(0, |i| i + 1);
    source[line_start..stmt.start_byte()].chars().take_while(|c| c.is_whitespace()).collect()
}

/// `insert`, preceded by `import "unsafe"` after `import "C"` where the file lacks it.
fn with_unsafe_import(ctx: &Ctx<'_>, source: &str, stmt: Node<'_>, insert: Edit) -> Option<Vec<Edit>> {
    let mut edits = vec![insert];
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
    Some(edits)
}

#[cfg(test)]
mod tests {
    use super::c_owning_functions;

    #[test]
    fn preamble_functions_that_pass_a_parameter_with_free_take_it() {
        let code = r#"
#include <stdlib.h>
void _result_text(sqlite3_context* ctx, const char* s, int n);
struct pair { int a; };
void _result_text(sqlite3_context* ctx, const char* s, int n) {
  sqlite3_result_text(ctx, s, n, &free);
}
static void keep(void *ctx, char buf[16], void *p) {
  bind(ctx, (const void*)p, (void(*)(void*))free);
  if (ctx) { use(buf); }
}
void borrow(char *s) {
  sqlite3_result_text(0, s, -1, SQLITE_TRANSIENT);
}
"#;
        assert_eq!(
            c_owning_functions(code),
            vec![("_result_text".to_string(), vec![1]), ("keep".to_string(), vec![2])]
        );
    }
}
