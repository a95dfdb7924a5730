//! The YAML rules' single walk. The Kubernetes and Helm rules plug in here (see their
//! issue); today a YAML file gets `debt/todo` and suppression comments.

use crate::checker::Checker;
use crate::comments::visit_comment;
use crate::walk::walk;
use debtctl_syntax::Language;
use tree_sitter::Node;

pub(crate) fn check(checker: &mut Checker<'_>, root: Node<'_>) {
    walk(root, |node, _| {
        if node.kind() == "comment" {
            visit_comment(checker, Language::Yaml, node);
        }
    });
}
