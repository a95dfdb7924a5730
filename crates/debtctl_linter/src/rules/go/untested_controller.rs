//! `go/untested-controller`: a controller-runtime `Reconcile(ctx, req)` method in a
//! directory without any `_test.go` file. The caller checks the package facts; this
//! decides whether a method is a reconciler. Returns whether it reported.

use super::children_by_field;
use super::NodeExt;
use crate::checker::Checker;
use crate::registry::Rule;
use tree_sitter::Node;

pub(crate) fn check(checker: &mut Checker<'_>, method: Node<'_>) -> bool {
    let source = checker.source;
    let Some(name) = method.field("name") else { return false };
    if &source[name.byte_range()] != "Reconcile" || method.field("body").is_none() {
        return false;
    }
    let Some(params) = method.field("parameters") else { return false };
    let mut c = params.walk();
    let count: usize = params
        .named_children(&mut c)
        .filter(|p| p.kind_str() == "parameter_declaration")
        .map(|p| {
            let mut nc = p.walk();
            children_by_field(p, "name", &mut nc).count().max(1)
        })
        .sum();
    if count != 2 {
        return false;
    }
    let recv =
        method.field("receiver").and_then(|r| super::package::receiver_type(r, source)).unwrap_or_default();
    let message =
        format!("controller `{recv}` has a `Reconcile` method but its directory has no `_test.go` file");
    checker.report(Rule::GoUntestedController, name, message);
    true
}
