//! `go/ignored-error`: an `error` result dropped, by a call used as a statement, by `go`,
//! or by assigning it to `_`. A callee is known to return `error` from the package stage
//! (functions and methods declared in the package) or from the curated table in
//! `rules/data/go-stdlib.toml`; a method call resolves only through a receiver whose type
//! the code writes. Anything else is unknown, and unknown is silent.

use super::types::{Callee, TypeEnv};
use super::NodeExt;
use super::{list_items, snippet, text, Ctx};
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
            let names: Vec<_> = node.children_by_field_name("name", &mut c).collect();
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
        if excluded(&callee) || !resolver.returns_error(&callee) {
            return;
        }
        // Which results are errors: the declared list when the package declares the
        // callee, else the table's convention of `error` last.
        let blank_error = match resolver.local_results(&callee) {
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
    if excluded(&callee) || !resolver.returns_error(&callee) {
        return None;
    }
    Some(display(source, call))
}

fn display(source: &str, call: Node<'_>) -> String {
    call.field("function").map(|f| snippet(text(f, source), 60)).unwrap_or_default()
}

/// errcheck's default exclusions, whatever the table says.
fn excluded(callee: &Callee) -> bool {
    match callee {
        Callee::Imported(path, name) => {
            (path == "fmt" && (name.starts_with("Print") || name.starts_with("Fprint")))
                || (path == "math/rand" && name == "Read")
        }
        Callee::Method(ty, name) => {
            (matches!(ty.as_str(), "bytes.Buffer" | "strings.Builder") && name.starts_with("Write"))
                || (ty.starts_with("hash.Hash") && name == "Write")
                || (ty == "math/rand.Rand" && name == "Read")
        }
        Callee::Local(_) => false,
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
        assert_eq!(lines("a.go", &default), [6, 8]);
        let mut deferred = LinterSettings::default();
        deferred.go.check_deferred = true;
        assert_eq!(lines("a.go", &deferred), [6, 7, 8]);
        let mut no_tests = LinterSettings::default();
        no_tests.go.tests = false;
        assert_eq!(lines("a_test.go", &no_tests), Vec::<u32>::new());
        assert_eq!(lines("a_test.go", &default), [6, 8]);
    }
}
