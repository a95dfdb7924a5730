use debtctl_syntax::children_into;
use tree_sitter::Node;

/// What a visitor of [`walk_with`] wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Visit this node's children.
    Descend,
    /// Go on with the next sibling, skipping the children.
    Skip,
    /// End the walk.
    Stop,
}

/// The one walk of the crate: visits nodes under `root` (itself included) in document
/// order, handing the visitor the node's ancestors, nearest last. Iterative, so 10,000
/// nested brackets cost a deep stack of nodes, not a deep call stack; and the ancestors
/// come from the walk itself, since `Node::parent` searches down from the root on every
/// call.
pub(crate) fn walk_with<'t>(root: Node<'t>, visit: impl FnMut(Node<'t>, &[Node<'t>]) -> Next) {
    walk_children::<false>(root, visit);
}

/// [`walk_with`] over named nodes only: tokens (`(`, `,`, `:=`, keywords), a third of a
/// Go tree, are not visited. For a visitor that ignores them it is the same walk, cheaper.
pub(crate) fn walk_named_with<'t>(root: Node<'t>, visit: impl FnMut(Node<'t>, &[Node<'t>]) -> Next) {
    walk_children::<true>(root, visit);
}

fn walk_children<'t, const NAMED: bool>(
    root: Node<'t>,
    mut visit: impl FnMut(Node<'t>, &[Node<'t>]) -> Next,
) {
    let mut ancestors: Vec<Node<'t>> = Vec::with_capacity(64);
    // The children of each ancestor, read in one call (`children_into`: the public API
    // reads the `i`th child from the first, or steps a cursor that works out its parent's
    // aliases at each move), and the next one to visit: level `i` holds `ancestors[i]`'s,
    // and the buffers of deeper levels are kept for the next descent there.
    let mut levels: Vec<(Vec<Node<'t>>, usize)> = Vec::with_capacity(64);
    let mut node = root;
    loop {
        match visit(node, &ancestors) {
            Next::Stop => return,
            Next::Descend => {
                let depth = ancestors.len();
                if depth == levels.len() {
                    levels.push((Vec::new(), 0));
                }
                let (children, next) = &mut levels[depth];
                children_into(node, NAMED, children);
                if !children.is_empty() {
                    *next = 0;
                    ancestors.push(node);
                }
            }
            Next::Skip => {}
        }
        loop {
            let Some(depth) = ancestors.len().checked_sub(1) else { return };
            let (children, next) = &mut levels[depth];
            if let Some(&child) = children.get(*next) {
                *next += 1;
                node = child;
                break;
            }
            ancestors.pop();
        }
    }
}

/// Visits every node under `root`; see [`walk_with`].
pub(crate) fn walk<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>, &[Node<'t>])) {
    walk_with(root, |node, ancestors| {
        visit(node, ancestors);
        Next::Descend
    });
}

/// Visits only the nodes whose byte range holds one of `offsets` (sorted ascending), and
/// descends only into those: a rule keyed on a token (`def`, `raise`, a TODO marker) sees
/// every node that contains such a token, and the rest of the tree costs one sibling step
/// per node beside the paths to the tokens.
pub(crate) fn walk_pruned<'t>(
    root: Node<'t>,
    offsets: &[usize],
    mut visit: impl FnMut(Node<'t>, &[Node<'t>]),
) {
    debug_assert!(offsets.windows(2).all(|w| w[0] <= w[1]));
    // Pre-order visits nodes in order of their start, so the first offset at or after
    // the current node's start only ever moves forward.
    let mut next = 0;
    walk_with(root, |node, ancestors| {
        while next < offsets.len() && offsets[next] < node.start_byte() {
            next += 1;
        }
        if next >= offsets.len() {
            return Next::Stop;
        }
        if offsets[next] < node.end_byte() {
            visit(node, ancestors);
            Next::Descend
        } else {
            Next::Skip
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use debtctl_syntax::{parse, Language};

    #[test]
    fn walk_reports_true_ancestors_and_survives_deep_nesting() {
        let src = "x = [[[1]]]\n";
        let tree = parse(Language::Python, src).unwrap();
        let mut seen = 0;
        walk(tree.root_node(), |node, anc| {
            if node.kind() == "integer" {
                let lists = anc.iter().filter(|a| a.kind() == "list").count();
                assert_eq!(lists, 3);
                assert_eq!(anc[0].kind(), "module");
                seen += 1;
            }
        });
        assert_eq!(seen, 1);

        let deep = format!("x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let tree = parse(Language::Python, &deep).unwrap();
        let mut max = 0;
        walk(tree.root_node(), |_, anc| max = max.max(anc.len()));
        assert!(max > 1000);
    }

    #[test]
    fn walk_of_a_subtree_stays_inside_it() {
        let src = "def f():\n    a = 1\nb = 2\n";
        let tree = parse(Language::Python, src).unwrap();
        let func = tree.root_node().named_child(0).unwrap();
        let mut idents = vec![];
        walk(func, |n, _| {
            if n.kind() == "identifier" {
                idents.push(n.utf8_text(src.as_bytes()).unwrap().to_string());
            }
        });
        assert_eq!(idents, ["f", "a"]);
    }

    #[test]
    fn pruned_walk_visits_exactly_the_nodes_holding_an_offset() {
        let src = "a = 1\ndef f():\n    raise X()\nb = [2]\n";
        let tree = parse(Language::Python, src).unwrap();
        let raise = src.find("raise").unwrap();
        let mut kinds = vec![];
        walk_pruned(tree.root_node(), &[raise], |n, anc| {
            assert_eq!(anc.len(), kinds.len());
            kinds.push(n.kind());
        });
        assert_eq!(kinds, ["module", "function_definition", "block", "raise_statement", "raise"]);
        let mut full = 0;
        walk(tree.root_node(), |_, _| full += 1);
        let mut none = 0;
        walk_pruned(tree.root_node(), &[], |_, _| none += 1);
        assert_eq!(none, 0);
        let mut all = 0;
        let every: Vec<usize> = (0..src.len()).collect();
        walk_pruned(tree.root_node(), &every, |_, _| all += 1);
        assert!(all <= full && all > full / 2);
    }
}
