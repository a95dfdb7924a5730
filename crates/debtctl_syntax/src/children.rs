//! A node's children in one call ([`children_into`]), read by `csrc/children.c` straight
//! from tree-sitter's subtrees. The public API reads the `i`th child by starting again
//! from the first (`Node::named_child`) or steps a cursor that works out its parent's
//! aliases again at each move: on Go trees ~360 and ~550 instructions a child, the largest
//! part of the Go rules' walk (issue 12). This is the crate's one use of `unsafe`.

use tree_sitter::Node;

extern "C" {
    fn debtctl_ts_children(
        node: tree_sitter::ffi::TSNode,
        named: bool,
        out: *mut tree_sitter::ffi::TSNode,
        capacity: u32,
    ) -> u32;
}

/// Replaces `out` with the children of `node` in order: the named ones if `named` (as
/// `node.named_child(i)` gives them for each `i`), else all (as `node.child(i)`).
pub fn children_into<'t>(node: Node<'t>, named: bool, out: &mut Vec<Node<'t>>) {
    let count = if named { node.named_child_count() } else { node.child_count() as usize };
    out.clear();
    if count == 0 {
        return;
    }
    out.reserve(count);
    let capacity = u32::try_from(count).unwrap_or(u32::MAX);
    // SAFETY: `Node` is `repr(transparent)` over `TSNode`, so the vector's spare capacity
    // (at least `count` nodes) can take `TSNode`s; the C side writes at most `capacity` of
    // them and returns how many, each a node of `node`'s tree, which lives for `'t`.
    let written = unsafe {
        let n = debtctl_ts_children(node.into_raw(), named, out.as_mut_ptr().cast(), capacity);
        out.set_len(n as usize);
        n
    };
    debug_assert_eq!(written as usize, count, "every child of a {} is read", node.kind());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, Language};

    /// Every node of `source`'s tree: its children by [`children_into`] are those the public
    /// API gives, named and all, with the same kinds, ranges and ids.
    fn assert_matches_public_api(lang: Language, source: &str) -> usize {
        let tree = parse(lang, source).expect("parses");
        let mut stack = vec![tree.root_node()];
        let mut seen = 0;
        let mut buf = Vec::new();
        while let Some(node) = stack.pop() {
            seen += 1;
            for named in [true, false] {
                children_into(node, named, &mut buf);
                let public: Vec<Node<'_>> = if named {
                    (0..node.named_child_count() as u32).filter_map(|i| node.named_child(i)).collect()
                } else {
                    (0..node.child_count()).filter_map(|i| node.child(i)).collect()
                };
                assert_eq!(buf.len(), public.len(), "{} at {:?}", node.kind(), node.range());
                for (a, b) in buf.iter().zip(&public) {
                    assert_eq!(a, b, "same node under {} at {:?}", node.kind(), node.range());
                    assert_eq!((a.kind(), a.range(), a.is_named()), (b.kind(), b.range(), b.is_named()));
                }
            }
            stack.extend(buf.iter().copied());
        }
        seen
    }

    #[test]
    fn children_match_the_public_api() {
        // Hidden nodes read through (Go's `_expression`, `_statement`), aliases
        // (`field_identifier`, `package_identifier`, `type_identifier`), extras (comments
        // between any two nodes), and an error node.
        let go = "package p\n\nimport (\n\t\"fmt\" // why\n\tx \"os\"\n)\n\ntype T struct{ a, b int; c []map[string]*T }\n\nfunc (t *T) M(a int, b ...string) (int, error) {\n\t/* c */ v := t.a + len(b) // d\n\tfor i := range b { fmt.Println(i, x.Args) }\n\tgo func() { _ = v }()\n\treturn v, nil\n}\n\nfunc broken( {\n";
        assert!(assert_matches_public_api(Language::Go, go) > 100);
        let py = "import os\n\nclass A(B, metaclass=M):\n    @d\n    def f(self, x=[], *a, **k) -> int:\n        # c\n        return [y for y in x if y] or {**k}\n\nprint(f'{os.sep!r}')\n";
        assert!(assert_matches_public_api(Language::Python, py) > 50);
        let yaml = "a: 1\nb:\n  - c: [1, 2]\n  - &x {d: e}\n# f\n---\ng: *x\n";
        assert!(assert_matches_public_api(Language::Yaml, yaml) > 20);
    }

    /// Every Go, Python and YAML file of the repository's fixtures, masked Helm templates
    /// included: their trees hold what the rules meet.
    #[test]
    fn children_match_the_public_api_on_every_fixture() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    files(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut all = Vec::new();
        files(&root.join("fixtures"), &mut all);
        let (mut checked, mut nodes) = (0, 0);
        for path in all {
            let Some(lang) = Language::from_path(&path) else { continue };
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let text = if path.components().any(|c| c.as_os_str() == "templates") {
                crate::helm::mask(&text).text
            } else {
                text
            };
            if lang == Language::GoMod || parse(lang, &text).is_none() {
                continue;
            }
            nodes += assert_matches_public_api(lang, &text);
            checked += 1;
        }
        assert!(checked > 60 && nodes > 10_000, "{checked} files, {nodes} nodes");
    }

    #[test]
    fn a_leaf_has_no_children() {
        let tree = parse(Language::Go, "package p\n").expect("parses");
        let name = tree.root_node().named_child(0).and_then(|c| c.named_child(0)).expect("name");
        let mut buf = vec![tree.root_node()];
        children_into(name, true, &mut buf);
        assert!(buf.is_empty());
    }
}
