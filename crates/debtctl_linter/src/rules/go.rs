//! The Go rules' single walk. The Go catalog's rules plug in here (see the Go rules issue);
//! today a Go file gets `debt/todo` and suppression comments.

use crate::checker::Checker;
use crate::comments::visit_comment;
use crate::walk::walk;
use debtctl_syntax::Language;
use tree_sitter::Node;

pub(crate) fn check(checker: &mut Checker<'_>, root: Node<'_>) {
    walk(root, |node, _| {
        if node.kind() == "comment" {
            visit_comment(checker, Language::Go, node);
        }
    });
}
