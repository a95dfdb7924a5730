//! `go/ignored-error`: an `error` result dropped, by a call used as a statement, by `go`,
//! or by assigning it to `_`. A callee is known to return `error` from the package stage
//! (functions and methods declared in the package) or from the Go API index (other
//! packages; the standard library from `$GOROOT` or the facts compiled in); a method call
//! resolves only through a receiver whose type the code writes. Anything else is unknown, and unknown is silent.
//!
//! An error assigned to `_` is flagged only with `[go] check-blank = true` (errcheck's
//! `-blank`); `[go] exclude-functions` names callees never flagged (errcheck's `-exclude`).

use super::types::{Callee, Resolver, TypeEnv};
use super::NodeExt;
use super::{children_by_field, list_items, snippet, text, Ctx};
use crate::checker::Checker;
use crate::registry::Rule;
use tree_sitter::Node;

/// `expression_statement`, `go_statement` or `defer_statement`.
pub(crate) fn statement(checker: &mut Checker<'_>, ctx: &Ctx<'_>, env: &TypeEnv, stmt: Node<'_>) {
    let Some(call) = stmt.named_child(0).filter(|c| c.kind_str() == "call_expression") else { return };
    let how = match stmt.kind_str() {
        "defer_statement" if !ctx.settings.check_deferred => return,
        "defer_statement" => "deferred call",
        "go_statement" => "`go` statement",
        _ => "call",
    };
    let Some(name) = error_callee(checker.source, ctx, env, call) else { return };
    let message = match how {
        "call" => format!("error returned by `{name}` is not checked"),
        _ => format!("error returned by `{name}` is dropped by the {how}"),
    };
    checker.report(Rule::GoIgnoredError, call, message);
}

/// `_ = f()`, `n, _ := w.Write(b)`, `var _ = f()`.
pub(crate) fn blank(checker: &mut Checker<'_>, ctx: &Ctx<'_>, env: &TypeEnv, node: Node<'_>) {
    if !ctx.settings.check_blank {
        return;
    }
    let source = checker.source;
    // Most assignments bind no `_`: decide that from the text before building lists.
    let lhs_end =
        node.field("right").or_else(|| node.field("value")).map_or(node.end_byte(), |r| r.start_byte());
    if !source[node.start_byte()..lhs_end].contains('_') {
        return;
    }
    let (left, right) = match node.kind_str() {
        "assignment_statement" => {
            let op = node.field("operator").map(|o| text(o, source));
            if op.is_some_and(|o| o != "=") {
                return;
            }
            (list_items(node.field("left")), list_items(node.field("right")))
        }
        "short_var_declaration" => (list_items(node.field("left")), list_items(node.field("right"))),
        _ => {
            let mut c = node.walk();
            let names: Vec<_> = children_by_field(node, "name", &mut c).collect();
            (names, list_items(node.field("value")))
        }
    };
    if !left.iter().any(|l| text(*l, source) == "_") {
        return;
    }
    if left.len() == right.len() {
        for (l, r) in left.iter().zip(&right) {
            if text(*l, source) != "_" || r.kind_str() != "call_expression" {
                continue;
            }
            if let Some(name) = error_callee(source, ctx, env, *r) {
                let message = format!("error returned by `{name}` is assigned to `_`");
                checker.report(Rule::GoIgnoredError, *r, message);
            }
        }
    } else if right.len() == 1 && right[0].kind_str() == "call_expression" {
        let call = right[0];
        let resolver = ctx.resolver(source, env);
        let Some(callee) = resolver.callee(call) else { return };
        if excluded(&callee, &ctx.settings.exclude_functions)
            || fprint_excluded(&resolver, &callee, call)
            || !resolver.returns_error(&callee)
        {
            return;
        }
        // Which results are errors: the declared list when the package declares the
        // callee, else the table's convention of `error` last.
        let blank_error = match resolver.results(&callee) {
            Some(r) if r.errors.len() == left.len() => {
                left.iter().zip(&r.errors).any(|(l, e)| *e && text(*l, source) == "_")
            }
            Some(_) => false,
            None => left.last().is_some_and(|l| text(*l, source) == "_"),
        };
        if blank_error {
            let name = display(source, call);
            let message = format!("error returned by `{name}` is assigned to `_`");
            checker.report(Rule::GoIgnoredError, call, message);
        }
    }
}

/// The callee's name for a message, if the call's last result is an `error`.
fn error_callee(source: &str, ctx: &Ctx<'_>, env: &TypeEnv, call: Node<'_>) -> Option<String> {
    let resolver = ctx.resolver(source, env);
    let callee = resolver.callee(call)?;
    if excluded(&callee, &ctx.settings.exclude_functions)
        || fprint_excluded(&resolver, &callee, call)
        || !resolver.returns_error(&callee)
    {
        return None;
    }
    Some(display(source, call))
}

fn display(source: &str, call: Node<'_>) -> String {
    call.field("function").map(|f| snippet(text(f, source), 60)).unwrap_or_default()
}

/// errcheck's default exclusions, whatever the table says, and the config's.
fn excluded(callee: &Callee, config: &[String]) -> bool {
    default_excluded(callee) || (!config.is_empty() && excluded_by(callee, config))
}

/// Whether one of the config's `exclude-functions` (normalised by
/// [`parse_exclude_function`]) names the callee. A method matches `(T).M` and `(*T).M`
/// alike, since the receiver's pointerness is not known: an exclusion can only silence.
/// errcheck also names an interface method by the interfaces it is embedded through
/// (`(io.Closer).Close` for `io.ReadCloser`'s `Close`); of those, the standard library's
/// `io` interfaces that embed `io.Closer`, `io.Reader` and `io.Writer` are known here.
fn excluded_by(callee: &Callee, config: &[String]) -> bool {
    match callee {
        Callee::Imported(path, name) => config.iter().any(|e| {
            e.len() == path.len() + 1 + name.len()
                && e.starts_with(path.as_str())
                && e[path.len()..].starts_with('.')
                && e.ends_with(name.as_str())
        }),
        Callee::Method(ty, m) => {
            let mut owners = vec![ty.as_str()];
            owners.extend(io_embedded(ty, m));
            owners
                .iter()
                .any(|t| config.iter().any(|e| *e == format!("({t}).{m}") || *e == format!("(*{t}).{m}")))
        }
        // The package's own import path is not known to the rule; errcheck names no
        // function value.
        Callee::Local(_) | Callee::Value(_) => false,
    }
}

/// The `io` interface embedded in `io.<ty>` that declares method `m`.
fn io_embedded(ty: &str, m: &str) -> Option<&'static str> {
    const EMBEDS: &[(&str, &[&str])] = &[
        ("io.ReadCloser", &["Reader", "Closer"]),
        ("io.WriteCloser", &["Writer", "Closer"]),
        ("io.ReadWriteCloser", &["Reader", "Writer", "Closer"]),
        ("io.ReadWriter", &["Reader", "Writer"]),
        ("io.ReadSeeker", &["Reader", "Seeker"]),
        ("io.ReadSeekCloser", &["Reader", "Seeker", "Closer"]),
        ("io.WriteSeeker", &["Writer", "Seeker"]),
        ("io.ReadWriteSeeker", &["Reader", "Writer", "Seeker"]),
    ];
    let (owner, part) = match m {
        "Read" => ("io.Reader", "Reader"),
        "Write" => ("io.Writer", "Writer"),
        "Close" => ("io.Closer", "Closer"),
        "Seek" => ("io.Seeker", "Seeker"),
        _ => return None,
    };
    EMBEDS.iter().any(|(t, parts)| *t == ty && parts.contains(&part)).then_some(owner)
}

/// One `exclude-functions` entry in errcheck's `-exclude` syntax, trimmed: `path.Func`,
/// `(path.Type).Method` or `(*path.Type).Method`, the import path in full. The error says
/// what is wrong with it.
pub fn parse_exclude_function(entry: &str) -> Result<String, String> {
    let e = entry.trim();
    let is_ident = |s: &str| {
        let mut c = s.chars();
        c.next().is_some_and(|f| f.is_alphabetic() || f == '_') && c.all(|x| x.is_alphanumeric() || x == '_')
    };
    let qualified = |s: &str| {
        s.rsplit_once('.').is_some_and(|(path, name)| {
            !path.is_empty() && !path.ends_with('/') && !path.contains(char::is_whitespace) && is_ident(name)
        })
    };
    let ok = match e.strip_prefix('(') {
        Some(rest) => rest
            .split_once(").")
            .is_some_and(|(ty, m)| is_ident(m) && qualified(ty.strip_prefix('*').unwrap_or(ty))),
        None => qualified(e),
    };
    if ok {
        Ok(e.to_string())
    } else {
        Err(format!("`{entry}` is not `path.Func`, `(path.Type).Method` or `(*path.Type).Method`"))
    }
}

/// errcheck v1.6's `fmt.Fprint*(os.Stdout)`, `(os.Stderr)`, `(*bytes.Buffer)` and
/// `(*strings.Builder)`: the writer is `os.Stdout` or `os.Stderr` as written, or of one of
/// those types. To any other writer of known type the call is checked; to a writer of
/// unknown type it stays silent (unknown is never guessed).
fn fprint_excluded(resolver: &Resolver<'_>, callee: &Callee, call: Node<'_>) -> bool {
    let Callee::Imported(path, name) = callee else { return false };
    if path != "fmt" || !name.starts_with("Fprint") {
        return false;
    }
    let args = call.field("arguments");
    let first = args.and_then(|a| {
        (0..a.named_child_count()).filter_map(|i| a.named_child(i as u32)).find(|n| n.kind_str() != "comment")
    });
    let Some(w) = first else { return true };
    if w.kind_str() == "selector_expression" {
        let operand = w.field("operand").filter(|o| o.kind_str() == "identifier");
        let field = w.field("field").map(|f| text(f, resolver.source));
        if operand.is_some_and(|o| resolver.package(text(o, resolver.source)) == Some("os"))
            && matches!(field, Some("Stdout" | "Stderr"))
        {
            return true;
        }
    }
    match resolver.expr_type(w) {
        Some(ty) => matches!(ty.as_str(), "bytes.Buffer" | "strings.Builder"),
        None => true,
    }
}

/// errcheck's default exclusions.
fn default_excluded(callee: &Callee) -> bool {
    match callee {
        Callee::Imported(path, name) => {
            (path == "fmt" && name.starts_with("Print")) || (path == "math/rand" && name == "Read")
        }
        Callee::Method(ty, name) => {
            (matches!(ty.as_str(), "bytes.Buffer" | "strings.Builder") && name.starts_with("Write"))
                || (ty.starts_with("hash.Hash") && name == "Write")
                || (ty == "math/rand.Rand" && name == "Read")
        }
        Callee::Local(_) | Callee::Value(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::{check_package, LinterSettings, Rule, RuleSet};

    const SRC: &str = "package p\n\nimport \"os\"\n\nfunc f(p string) {\n\tf, _ := os.Open(p)\n\tdefer f.Close()\n\tos.Remove(p)\n}\n";

    fn lines(name: &str, settings: &LinterSettings) -> Vec<u32> {
        let rules: RuleSet = [Rule::GoIgnoredError].into_iter().collect();
        let results = check_package(&[(name, SRC, rules)], settings);
        results[0].findings.iter().map(|f| f.line).collect()
    }

    #[test]
    fn check_deferred_and_tests_options() {
        let default = LinterSettings::default();
        // Line 6 binds the error to `_`: flagged only with check-blank.
        assert_eq!(lines("a.go", &default), [8]);
        let mut deferred = LinterSettings::default();
        deferred.go.check_deferred = true;
        assert_eq!(lines("a.go", &deferred), [7, 8]);
        let mut no_tests = LinterSettings::default();
        no_tests.go.tests = false;
        no_tests.go.check_blank = true;
        assert_eq!(lines("a_test.go", &no_tests), Vec::<u32>::new());
        assert_eq!(lines("a_test.go", &default), [8]);
    }

    #[test]
    fn exclude_entries_in_errchecks_syntax() {
        use super::parse_exclude_function as parse;
        for ok in ["io.Copy", "(*net/http.Server).Shutdown", "(io.Closer).Close", " github.com/a/b.C "] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(parse(" io.Copy ").unwrap(), "io.Copy");
        for bad in
            ["", "Copy", "io.", "(io.Closer.Close", "(io.Closer).", "(Closer).Close", "io/.Copy", "a b.C"]
        {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    /// Regression (issue 16): `_ = w.Close()` was flagged although an explicit blank is
    /// Go's way to discard on purpose and errcheck flags it only with `-blank`.
    #[test]
    fn blank_is_flagged_only_with_check_blank() {
        const BLANK: &str = "package p\n\nimport \"os\"\n\nfunc f(w *os.File) {\n\t_ = w.Close()\n}\n";
        let rules: RuleSet = [Rule::GoIgnoredError].into_iter().collect();
        let run = |settings: &LinterSettings| {
            check_package(&[("a.go", BLANK, rules)], settings)[0]
                .findings
                .iter()
                .map(|f| f.line)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(&LinterSettings::default()), Vec::<u32>::new());
        let mut blank = LinterSettings::default();
        blank.go.check_blank = true;
        assert_eq!(run(&blank), [6]);
        assert_ne!(blank.cache_key(), LinterSettings::default().cache_key());
        let mut excluded = blank.clone();
        excluded.go.exclude_functions = vec!["(*os.File).Close".into()];
        assert_eq!(run(&excluded), Vec::<u32>::new());
        assert_ne!(blank.cache_key(), excluded.cache_key());
    }
}
