// All children of a node in one pass, read straight from tree-sitter's subtrees.
//
// `ts_node_named_child(node, i)` starts again from the first child on every call and
// works out each child's position, alias and visibility on the way: reading every child
// that way costs ~360 instructions a child on Go trees, and a tree cursor's step ~550
// (issue 12). This reads each child once. It needs tree-sitter's internal headers, so the
// workspace pins tree-sitter to one version, and a test compares it with the public API
// on every node of real trees (`children_match_the_public_api`).

#include <stdbool.h>
#include <stdint.h>

#include "tree_sitter/api.h"
#include "language.h"
#include "length.h"
#include "subtree.h"
#include "tree.h"

// Whether a child, seen through its alias, is one the caller asked for.
static bool debtctl_wanted(const TSLanguage *language, Subtree child, TSSymbol alias, bool named) {
  if (named) {
    return alias ? ts_language_symbol_metadata(language, alias).named
                 : ts_subtree_visible(child) && ts_subtree_named(child);
  }
  return alias || ts_subtree_visible(child);
}

// How many wanted nodes a child that is not itself wanted stands for (its hidden subtree's).
static uint32_t debtctl_lifted(Subtree child, bool named) {
  if (ts_subtree_child_count(child) == 0) return 0;
  return named ? child.ptr->named_child_count : child.ptr->visible_child_count;
}

// Appends the wanted children of `parent`, which starts at `start`, to `out` from `*count`
// (at most `capacity`): hidden children are read through, as the public API does.
static void debtctl_collect(
  const TSTree *tree, Subtree parent, Length start, bool named,
  TSNode *out, uint32_t *count, uint32_t capacity
) {
  uint32_t child_count = ts_subtree_child_count(parent);
  if (child_count == 0) return;
  const TSSymbol *aliases = ts_language_alias_sequence(tree->language, parent.ptr->production_id);
  const Subtree *children = ts_subtree_children(parent);
  Length at = start;
  uint32_t structural = 0;
  for (uint32_t i = 0; i < child_count && *count < capacity; i++) {
    Subtree child = children[i];
    TSSymbol alias = 0;
    if (!ts_subtree_extra(child)) {
      if (aliases) alias = aliases[structural];
      structural++;
    }
    // A node starts after its padding; the first child's padding is the parent's own.
    if (i > 0) at = length_add(at, ts_subtree_padding(child));
    if (debtctl_wanted(tree->language, child, alias, named)) {
      out[(*count)++] = ts_node_new(tree, &children[i], at, alias);
    } else if (debtctl_lifted(child, named) > 0) {
      debtctl_collect(tree, child, at, named, out, count, capacity);
    }
    at = length_add(at, ts_subtree_size(child));
  }
}

// Writes the children of `node` (named ones only if `named`) to `out`, at most `capacity`,
// in order; returns how many were written. They are what `ts_node_named_child(node, i)`
// (or `ts_node_child`) gives for each `i`.
uint32_t debtctl_ts_children(TSNode node, bool named, TSNode *out, uint32_t capacity) {
  if (!node.id) return 0;
  Subtree self = *(const Subtree *)node.id;
  Length start = {node.context[0], {node.context[1], node.context[2]}};
  uint32_t count = 0;
  debtctl_collect(node.tree, self, start, named, out, &count, capacity);
  return count;
}
