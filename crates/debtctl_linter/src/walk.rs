use tree_sitter::{Node, TreeCursor};

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
    // The children still to visit of each ancestor, in step with `ancestors`.
    let mut pending: Vec<Children<'t>> = Vec::with_capacity(64);
    let mut node = root;
    loop {
        match visit(node, &ancestors) {
            Next::Stop => return,
            Next::Descend => {
                if let Some(children) = Children::of::<NAMED>(node) {
                    ancestors.push(node);
                    pending.push(children);
                }
            }
            Next::Skip => {}
        }
        loop {
            let Some(children) = pending.last_mut() else { return };
            if let Some(next) = children.next::<NAMED>() {
                node = next;
                break;
            }
            pending.pop();
            ancestors.pop();
        }
    }
}

/// The children of a node, one at a time. A few are read by index: `Node::child` scans
/// the parent's children from the first, which for a handful costs less than a cursor's
/// step (a cursor works out its parent's aliases and visibility again on each move:
/// about 550 instructions a step on Go trees, the largest part of the Go rules' walk,
/// issue 12). Many are read with a cursor, so that a list of 20,000 statements stays
/// linear.
enum Children<'t> {
    Indexed { parent: Node<'t>, next: u32, count: u32 },
    Cursor { cursor: TreeCursor<'t>, started: bool },
}

impl<'t> Children<'t> {
    /// Above this many children, a cursor (measured on prometheus: 8, 16 and 32 cost the
    /// same within 0.2 %).
    const INDEXED: u32 = 16;

    fn of<const NAMED: bool>(node: Node<'t>) -> Option<Children<'t>> {
        // A leaf's child count is one field read; the cursor's own test costs more.
        let count = if NAMED { node.named_child_count() as u32 } else { node.child_count() };
        match count {
            0 => None,
            count if count <= Self::INDEXED => Some(Children::Indexed { parent: node, next: 0, count }),
            _ => Some(Children::Cursor { cursor: node.walk(), started: false }),
        }
    }

    fn next<const NAMED: bool>(&mut self) -> Option<Node<'t>> {
        match self {
            Children::Indexed { parent, next, count } => {
                if *next >= *count {
                    return None;
                }
                *next += 1;
                if NAMED {
                    parent.named_child(*next - 1)
                } else {
                    parent.child(*next - 1)
                }
            }
            Children::Cursor { cursor, started } => loop {
                let moved = if *started { cursor.goto_next_sibling() } else { cursor.goto_first_child() };
                *started = true;
                if !moved {
                    return None;
                }
                if !NAMED || cursor.node().is_named() {
                    return Some(cursor.node());
                }
            },
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
