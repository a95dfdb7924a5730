//! `go/defer-in-loop`: a `defer` in a `for` body runs when the function returns, not at the
//! end of the iteration.

use super::NodeExt;
use crate::checker::Checker;
use crate::registry::Rule;
use tree_sitter::Node;

pub(crate) fn check(checker: &mut Checker<'_>, stmt: Node<'_>, ancestors: &[Node<'_>]) {
    let in_loop = ancestors
        .iter()
        .rev()
        .find(|a| {
            matches!(
                a.kind_str(),
                "for_statement" | "func_literal" | "function_declaration" | "method_declaration"
            )
        })
        .is_some_and(|a| a.kind_str() == "for_statement");
    if !in_loop {
        return;
    }
    let what = stmt
        .named_child(0)
        .and_then(|c| c.field("function").or(Some(c)))
        .map(|f| crate::rules::go::snippet(&checker.source[f.byte_range()], 40))
        .unwrap_or_default();
    let message = format!("`defer {what}` in a loop runs only when the function returns");
    checker.report(Rule::GoDeferInLoop, stmt, message);
}
