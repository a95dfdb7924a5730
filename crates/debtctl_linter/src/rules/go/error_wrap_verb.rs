//! `go/error-wrap-verb`: `fmt.Errorf` formats an error with `%v` or `%s` instead of `%w`.

use super::types::{Resolver, TypeEnv};
use super::NodeExt;
use super::{children_by_field, enclosing_function, list_items, text, Ctx};
use crate::checker::Checker;
use crate::registry::Rule;
use crate::walk::walk;
use debtctl_diagnostics::{Applicability, Edit, Fix};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tree_sitter::Node;

pub(crate) fn check(
    checker: &mut Checker<'_>,
    ctx: &Ctx<'_>,
    env: &TypeEnv,
    call: Node<'_>,
    ancestors: &[Node<'_>],
) {
    let source = checker.source;
    let Some(f) = call.field("function") else { return };
    if !text(f, source).ends_with("Errorf") || f.kind_str() != "selector_expression" {
        return;
    }
    let (Some(pkg), Some(name)) = (f.field("operand"), f.field("field")) else {
        return;
    };
    if text(name, source) != "Errorf"
        || pkg.kind_str() != "identifier"
        || ctx.imports.path(text(pkg, source)) != Some("fmt")
    {
        return;
    }
    let Some(args) = call.field("arguments") else { return };
    let mut c = args.walk();
    let args: Vec<_> = args.named_children(&mut c).filter(|a| a.kind_str() != "comment").collect();
    let Some(format) = args.first() else { return };
    if format.kind_str() != "interpreted_string_literal" && format.kind_str() != "raw_string_literal" {
        return;
    }
    let Some(verbs) = parse_verbs(text(*format, source)) else { return };
    let mut declared: Option<Rc<Vec<(String, bool)>>> = None;
    for (arg_index, verb, offset) in verbs {
        if verb != 'v' && verb != 's' {
            continue;
        }
        let Some(arg) = args.get(arg_index + 1) else { continue };
        let resolver = ctx.resolver(source, env);
        let is_error = if arg.kind_str() == "identifier" {
            // The type the API index gives (a call's result, another package's variable),
            // else the type written in the function, else the name.
            let name = text(*arg, source);
            match resolver.expr_type(*arg) {
                Some(ty) => is_error_type(&resolver, &ty),
                None => {
                    let decl = declared.get_or_insert_with(|| ctx.declared.of(source, ancestors));
                    match decl.iter().rev().find(|(n, _)| n == name) {
                        Some((_, is_err)) => *is_err,
                        None => is_error_name(name),
                    }
                }
            }
        } else {
            // `f()`, `x.err`, `pkg.ErrX`, `errs[i]`, `v.(error)`: only a known type counts.
            resolver.expr_type(*arg).is_some_and(|ty| is_error_type(&resolver, &ty))
        };
        if !is_error {
            continue;
        }
        let name = shorten(text(*arg, source));
        let at = format.start_byte() + offset;
        let message =
            format!("error `{name}` is formatted with `%{verb}`, which breaks `errors.Is` and `errors.As`");
        let diag = checker.report(Rule::GoErrorWrapVerb, *arg, message);
        diag.fix = Some(Fix {
            applicability: Applicability::Safe,
            title: format!("wrap `{name}` with `%w`"),
            edits: vec![Edit::replace(at, at + 1, "w")],
        });
    }
}

/// Whether a value of type `ty` is an error: `error` itself, or a named type of this
/// package or another whose method `Error` returns a `string` (its own or promoted).
/// Pointers are stripped in [`super::types::Ty`], so a value whose `Error` has a pointer
/// receiver counts too.
fn is_error_type(resolver: &Resolver<'_>, ty: &str) -> bool {
    if ty == "error" {
        return true;
    }
    if ty.is_empty() || ty.starts_with(['[', '*']) || ty.starts_with("map[") {
        return false;
    }
    resolver
        .method_results(ty, "Error")
        .is_some_and(|r| r.types.len() == 1 && r.types[0].as_deref() == Some("string"))
}

/// An argument as the message names it: long expressions elided.
fn shorten(arg: &str) -> String {
    let arg = arg.split_whitespace().collect::<Vec<_>>().join(" ");
    match arg.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &arg[..i]),
        None => arg,
    }
}

/// The verbs of a format string literal (quotes included in `lit`): for each, the index
/// of the argument it formats (0 = first after the format), the verb, and the verb's byte
/// offset in `lit`. Only plain `%v`/`%s`-style verbs without flags map cleanly; a format
/// with explicit argument indexes (`%[1]v`) is not interpreted at all.
fn parse_verbs(lit: &str) -> Option<Vec<(usize, char, usize)>> {
    let bytes = lit.as_bytes();
    let mut out = Vec::new();
    let mut arg = 0;
    let mut i = 1;
    while i < bytes.len().saturating_sub(1) {
        if bytes[i] == b'\\' && lit.starts_with('"') {
            i += 2;
            continue;
        }
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if i < bytes.len() && bytes[i] == b'%' {
            i += 1;
            continue;
        }
        let mut plain = true;
        while i < bytes.len() && matches!(bytes[i], b'+' | b'-' | b'#' | b' ' | b'0') {
            plain = false;
            i += 1;
        }
        while i < bytes.len()
            && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'*' || bytes[i] == b'[')
        {
            match bytes[i] {
                b'[' => return None,
                b'*' => arg += 1,
                _ => {}
            }
            plain = false;
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let verb = bytes[i] as char;
        if plain {
            out.push((arg, verb, i));
        } else {
            out.push((arg, '?', i));
        }
        arg += 1;
        i += 1;
    }
    Some(out)
}

/// Whether a name reads as an error: `err`, or `err`/`error` as a camel-case word
/// (`errRead`, `readErr`, `lastError`), but not `stderr`, `errs` or `errMsg`.
pub(crate) fn is_error_name(name: &str) -> bool {
    let words = camel_words(name);
    let Some(pos) = words.iter().position(|w| {
        let w = w.trim_end_matches(|c: char| c.is_ascii_digit()).to_ascii_lowercase();
        w == "err" || w == "error"
    }) else {
        return false;
    };
    // `errMsg`, `errCount`: the last word says what it is, and it is not an error.
    const NOT_ERRORS: &[&str] = &[
        "msg", "message", "str", "string", "text", "code", "codes", "count", "cnt", "num", "chan", "ch", "c",
        "list", "type", "kind", "name", "func", "fn", "handler", "status", "reason", "desc", "format", "fmt",
        "rate", "total", "counter", "metric", "prefix", "suffix", "key", "label", "buf", "bytes", "detail",
        "details", "output", "out", "log", "file", "path", "line", "regex", "re", "pattern", "want",
        "expected", "expect", "substr", "contains", "check", "checker", "group", "ptr", "val", "value",
        "class", "response", "resp", "body", "info", "data", "map", "set", "slice", "arr", "level", "field",
        "event", "events", "id",
    ];
    if pos + 1 < words.len() {
        let last = words.last().map(|w| w.to_ascii_lowercase()).unwrap_or_default();
        if NOT_ERRORS.contains(&last.as_str()) {
            return false;
        }
    }
    true
}

fn camel_words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = name.char_indices().collect();
    for k in 1..chars.len() {
        let (i, c) = chars[k];
        let prev = chars[k - 1].1;
        let next_lower = chars.get(k + 1).is_some_and(|(_, n)| n.is_lowercase());
        let boundary = c == '_'
            || prev == '_'
            || (c.is_uppercase() && (prev.is_lowercase() || prev.is_ascii_digit()))
            || (c.is_uppercase() && prev.is_uppercase() && next_lower);
        if boundary {
            if i > start {
                words.push(name[start..i].trim_matches('_'));
            }
            start = i;
        }
    }
    words.push(name[start..].trim_matches('_'));
    words.retain(|w| !w.is_empty());
    words
}

/// Names the enclosing function declares with a written type, and whether that type is
/// `error`: parameters, named results, `var e error`, `var n int`.
/// The declarations of each function of a file, read once per function: a function of
/// 20,000 `fmt.Errorf` calls was read 20,000 times (issue 17).
#[derive(Default)]
pub(crate) struct Declared(RefCell<HashMap<Option<usize>, Rc<Names>>>);

/// Names declared in a function, and whether each is declared an `error`.
type Names = Vec<(String, bool)>;

impl Declared {
    fn of(&self, source: &str, ancestors: &[Node<'_>]) -> Rc<Vec<(String, bool)>> {
        let key = enclosing_function(ancestors).map(|f| f.id());
        let mut memo = self.0.borrow_mut();
        Rc::clone(memo.entry(key).or_insert_with(|| Rc::new(declared_types(source, ancestors))))
    }
}

fn declared_types(source: &str, ancestors: &[Node<'_>]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let Some(func) = enclosing_function(ancestors) else { return out };
    walk(func, |node, _| match node.kind_str() {
        "parameter_declaration" | "var_spec" => {
            let Some(ty) = node.field("type") else { return };
            let is_err = text(ty, source) == "error";
            let mut c = node.walk();
            for name in children_by_field(node, "name", &mut c) {
                out.push((text(name, source).to_string(), is_err));
            }
        }
        "short_var_declaration" => {
            // `errMsg := "..."`: a string, whatever its name says.
            let left = list_items(node.field("left"));
            let right = list_items(node.field("right"));
            if left.len() == right.len() {
                for (l, r) in left.iter().zip(&right) {
                    if matches!(
                        r.kind_str(),
                        "interpreted_string_literal"
                            | "raw_string_literal"
                            | "int_literal"
                            | "composite_literal"
                    ) {
                        out.push((text(*l, source).to_string(), false));
                    }
                }
            }
        }
        _ => {}
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names() {
        for yes in ["err", "errRead", "readErr", "lastError", "err2", "closeErr", "ERR", "parseError"] {
            assert!(is_error_name(yes), "{yes}");
        }
        for no in ["stderr", "errs", "errMsg", "errors", "terror", "errCount", "x"] {
            assert!(!is_error_name(no), "{no}");
        }
    }

    #[test]
    fn verbs_map_to_arguments() {
        let v = parse_verbs("\"a %d %v: %s %%\"").unwrap();
        assert_eq!(v.iter().map(|(a, c, _)| (*a, *c)).collect::<Vec<_>>(), [(0, 'd'), (1, 'v'), (2, 's')]);
        assert!(parse_verbs("\"%[1]v\"").is_none());
        let v = parse_verbs("\"%*d %+v\"").unwrap();
        assert_eq!(v.iter().map(|(a, c, _)| (*a, *c)).collect::<Vec<_>>(), [(1, '?'), (2, '?')]);
    }
}
