//! A reading of tree-sitter-yaml trees as YAML values: node wrappers, tags and anchors
//! looked through, aliases resolved, merge keys (`<<: *base`, `<<: [*a, *b]`) folded into
//! the mapping that holds them, and the Kubernetes objects of a document found.

use debtctl_syntax::helm::Masked;
use std::borrow::Cow;
use std::collections::HashMap;
use tree_sitter::Node;

/// How deep aliases and merge keys are followed: cycles are invalid YAML but not rare in
/// broken files.
const MAX_ALIAS_DEPTH: u32 = 8;

/// One YAML document and what the rules need besides its tree.
pub(crate) struct Doc<'a, 't> {
    /// The text the tree was parsed from: the source, or a template once masked.
    pub text: &'a str,
    /// The file as written; the same as `text` but for a template's actions.
    pub source: &'a str,
    /// The template's actions, for a Helm template.
    pub helm: Option<&'a Masked>,
    anchors: HashMap<&'a str, Node<'t>>,
}

/// A key-value entry of a mapping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair<'t> {
    /// The `block_mapping_pair` or `flow_pair` (or, for a key without value in a flow
    /// mapping, the key itself).
    pub node: Node<'t>,
    pub value: Option<Node<'t>>,
    /// Brought in by a merge key rather than written in the mapping.
    pub merged: bool,
}

/// A Kubernetes object: a mapping with `apiVersion` and `kind`.
#[derive(Debug, Clone)]
pub(crate) struct Object<'a, 't> {
    pub mapping: Node<'t>,
    /// Empty when the kind is templated.
    pub kind: Cow<'a, str>,
    /// `Kind/name` (or `Kind` when the name is not literal): the scope of findings in it.
    pub scope: String,
}

impl<'a, 't> Doc<'a, 't> {
    pub fn new(text: &'a str, source: &'a str, helm: Option<&'a Masked>) -> Self {
        Doc { text, source, helm, anchors: HashMap::new() }
    }

    /// Records an `anchor` node met by the walk; its parent holds the anchored value. A
    /// later anchor of the same name replaces an earlier one, as in YAML.
    pub fn record_anchor(&mut self, anchor: Node<'t>, ancestors: &[Node<'t>]) {
        let Some(holder) = ancestors.last() else { return };
        let text = self.text;
        let name = text[anchor.byte_range()].trim_start_matches('&');
        self.anchors.insert(name, *holder);
    }

    /// A range of the tree, widened to character boundaries of the source: inside a
    /// masked action the masked text is ASCII where the source may not be, so a range from
    /// the tree is safe to slice the source with only once widened.
    pub fn source_range(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let source = self.source;
        let mut start = range.start.min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = range.end.clamp(start, source.len());
        while !source.is_char_boundary(end) {
            end += 1;
        }
        start..end
    }

    pub fn text(&self, node: Node<'_>) -> &'a str {
        let text = self.text;
        &text[node.byte_range()]
    }

    /// The value a node stands for: `block_node`/`flow_node` wrappers, anchors and tags
    /// looked through, aliases resolved. `None` for an empty (null) node or a dangling
    /// alias.
    pub fn content(&self, node: Node<'t>) -> Option<Node<'t>> {
        self.content_at(node, 0)
    }

    fn content_at(&self, node: Node<'t>, depth: u32) -> Option<Node<'t>> {
        match node.kind() {
            "block_node" | "flow_node" => {
                let mut cursor = node.walk();
                let inner = node
                    .named_children(&mut cursor)
                    .find(|c| !matches!(c.kind(), "anchor" | "tag" | "comment"))?;
                self.content_at(inner, depth)
            }
            "alias" => {
                if depth >= MAX_ALIAS_DEPTH {
                    return None;
                }
                let name = self.text(node).trim_start_matches('*');
                let target = *self.anchors.get(name)?;
                self.content_at(target, depth + 1)
            }
            _ => Some(node),
        }
    }

    /// The entries of a mapping, those it writes first, then those merge keys bring in.
    /// Empty for anything that is not a mapping.
    pub fn pairs(&self, mapping: Node<'t>) -> Vec<Pair<'t>> {
        let mut out = Vec::new();
        self.collect_pairs(mapping, false, 0, &mut out);
        out
    }

    fn collect_pairs(&self, mapping: Node<'t>, merged: bool, depth: u32, out: &mut Vec<Pair<'t>>) {
        if !matches!(mapping.kind(), "block_mapping" | "flow_mapping") || depth > MAX_ALIAS_DEPTH {
            return;
        }
        let mut merges = Vec::new();
        let mut cursor = mapping.walk();
        for child in mapping.named_children(&mut cursor) {
            let pair = match child.kind() {
                "block_mapping_pair" | "flow_pair" => {
                    Pair { node: child, value: child.child_by_field_name("value"), merged }
                }
                // `{a, b: 1}`: `a` is a key with a null value.
                "flow_node" => Pair { node: child, value: None, merged },
                _ => continue,
            };
            if self.key(&pair).as_deref() == Some("<<") {
                merges.extend(pair.value);
            } else {
                out.push(pair);
            }
        }
        for value in merges {
            let Some(content) = self.content(value) else { continue };
            match content.kind() {
                "block_mapping" | "flow_mapping" => self.collect_pairs(content, true, depth + 1, out),
                "block_sequence" | "flow_sequence" => {
                    for item in self.items(content) {
                        if let Some(m) = self.content(item) {
                            self.collect_pairs(m, true, depth + 1, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// A pair's key as a string, when it is a scalar.
    pub fn key(&self, pair: &Pair<'t>) -> Option<Cow<'a, str>> {
        let key =
            if pair.node.kind() == "flow_node" { pair.node } else { pair.node.child_by_field_name("key")? };
        self.scalar(self.content(key)?)
    }

    /// The entry of `mapping` under `key`; a written entry wins over a merged one.
    pub fn get(&self, mapping: Node<'t>, key: &str) -> Option<Pair<'t>> {
        self.pairs(mapping).into_iter().find(|p| self.key(p).as_deref() == Some(key))
    }

    /// The content of the value under `key`.
    pub fn get_content(&self, mapping: Node<'t>, key: &str) -> Option<Node<'t>> {
        self.content(self.get(mapping, key)?.value?)
    }

    /// The string a one-line scalar holds, quotes removed and the common escapes undone.
    /// `None` for mappings, sequences and block scalars.
    pub fn scalar(&self, content: Node<'t>) -> Option<Cow<'a, str>> {
        let raw = self.text(content);
        match content.kind() {
            "plain_scalar" => Some(Cow::Borrowed(raw.trim())),
            "single_quote_scalar" => {
                let inner = raw.strip_prefix('\'')?.strip_suffix('\'')?;
                Some(if inner.contains("''") {
                    Cow::Owned(inner.replace("''", "'"))
                } else {
                    Cow::Borrowed(inner)
                })
            }
            "double_quote_scalar" => {
                let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
                Some(if inner.contains('\\') {
                    Cow::Owned(inner.replace("\\\"", "\"").replace("\\\\", "\\"))
                } else {
                    Cow::Borrowed(inner)
                })
            }
            _ => None,
        }
    }

    /// The item nodes of a sequence (`block_sequence_item` children or `flow_node`s), to be
    /// read with [`Doc::content`].
    pub fn items(&self, seq: Node<'t>) -> Vec<Node<'t>> {
        let mut cursor = seq.walk();
        match seq.kind() {
            "block_sequence" => seq
                .named_children(&mut cursor)
                .filter(|c| c.kind() == "block_sequence_item")
                .filter_map(|item| {
                    let mut c = item.walk();
                    let value =
                        item.named_children(&mut c).find(|n| matches!(n.kind(), "block_node" | "flow_node"));
                    value
                })
                .collect(),
            "flow_sequence" => seq.named_children(&mut cursor).filter(|c| c.kind() == "flow_node").collect(),
            _ => Vec::new(),
        }
    }

    /// Whether a template action prints into `node`'s value (see [`Masked::templated`]).
    pub fn templated(&self, node: Node<'_>) -> bool {
        self.helm.is_some_and(|m| m.templated(node.byte_range()))
    }

    /// The Kubernetes objects of a document tree: each document's top mapping when it has
    /// `apiVersion` and `kind`, and the items of a `kind: List` (or `FooList`) that do.
    pub fn objects(&self, root: Node<'t>) -> Vec<Object<'a, 't>> {
        let mut out = Vec::new();
        let mut cursor = root.walk();
        for document in root.named_children(&mut cursor).filter(|n| n.kind() == "document") {
            let mut c = document.walk();
            let Some(top) =
                document.named_children(&mut c).find(|n| matches!(n.kind(), "block_node" | "flow_node"))
            else {
                continue;
            };
            let Some(mapping) = self.content(top) else { continue };
            let Some(object) = self.object(mapping) else { continue };
            let items = object.kind.ends_with("List").then(|| self.get_content(mapping, "items")).flatten();
            match items {
                Some(items) => {
                    for item in self.items(items) {
                        out.extend(self.content(item).and_then(|m| self.object(m)));
                    }
                }
                None => out.push(object),
            }
        }
        out
    }

    fn object(&self, mapping: Node<'t>) -> Option<Object<'a, 't>> {
        let pairs = self.pairs(mapping);
        let find = |key: &str| pairs.iter().find(|p| self.key(p).as_deref() == Some(key));
        find("apiVersion")?;
        let kind_pair = find("kind")?;
        let kind =
            kind_pair.value.and_then(|v| self.content(v)).and_then(|v| self.scalar(v)).unwrap_or_default();
        let name = find("metadata")
            .and_then(|p| self.content(p.value?))
            .and_then(|m| self.get_content(m, "name"))
            .filter(|n| !self.templated(*n))
            .and_then(|n| self.scalar(n));
        let scope = match name {
            Some(name) => format!("{kind}/{name}"),
            None => kind.to_string(),
        };
        Some(Object { mapping, kind, scope })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::walk;
    use debtctl_syntax::yaml::parse_documents;

    fn with_doc(src: &str, f: impl FnOnce(&Doc<'_, '_>, Node<'_>)) {
        let trees = parse_documents(src);
        assert_eq!(trees.len(), 1);
        let root = trees[0].root_node();
        let mut doc = Doc::new(src, src, None);
        walk(root, |n, anc| {
            if n.kind() == "anchor" {
                doc.record_anchor(n, anc);
            }
        });
        f(&doc, root);
    }

    #[test]
    fn merge_keys_and_aliases_bring_in_entries() {
        let src = "base: &b {x: 1, y: 2}\nmore: &m\n  z: 3\nuse:\n  <<: [*b, *m]\n  w: 0\n  x: 9\n";
        with_doc(src, |doc, root| {
            let top = doc.objects(root);
            assert!(top.is_empty(), "no apiVersion, no object");
            let doc_node = root.named_child(0).unwrap();
            let mapping = doc.content(doc_node.named_child(0).unwrap()).unwrap();
            let used = doc.get_content(mapping, "use").unwrap();
            let keys: Vec<String> =
                doc.pairs(used).iter().map(|p| doc.key(p).unwrap().into_owned()).collect();
            assert_eq!(keys, ["w", "x", "x", "y", "z"]);
            let x = doc.get_content(used, "x").unwrap();
            assert_eq!(doc.scalar(x).unwrap(), "9", "a written key wins over a merged one");
        });
    }

    #[test]
    fn lists_and_quoted_scalars() {
        let src = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: 'it''s'}}\n- kind: Other\n";
        with_doc(src, |doc, root| {
            let objects = doc.objects(root);
            let scopes: Vec<&str> = objects.iter().map(|o| o.scope.as_str()).collect();
            assert_eq!(scopes, ["Pod/it's"]);
        });
    }

    #[test]
    fn alias_cycles_end() {
        let src = "a: &a\n  <<: *a\n  k: *a\n";
        with_doc(src, |doc, root| {
            let doc_node = root.named_child(0).unwrap();
            let mapping = doc.content(doc_node.named_child(0).unwrap()).unwrap();
            let a = doc.get_content(mapping, "a").unwrap();
            assert!(!doc.pairs(a).is_empty());
        });
    }
}
