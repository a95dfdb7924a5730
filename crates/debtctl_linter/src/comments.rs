//! What every language does with a comment node: read a suppression from it, and run
//! `debt/todo` on it.

use crate::checker::Checker;
use crate::registry::Rule;
use crate::rules::debt::todo;
use debtctl_syntax::Language;
use tree_sitter::Node;

pub(crate) fn visit_comment(checker: &mut Checker<'_>, lang: Language, node: Node<'_>) {
    let text = checker.text(node);
    checker.suppressions.add_comment(lang, text, node.start_byte(), node.start_position().row);
    if checker.enabled(Rule::DebtTodo) {
        todo::check(checker, text, node.start_byte());
    }
}
