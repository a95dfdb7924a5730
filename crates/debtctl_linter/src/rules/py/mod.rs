//! The Python rules' single walk, the module facts they share (what is imported as what),
//! and the analysis of how a bound name is used in its scope.

pub(crate) mod ctypes_leak;
pub(crate) mod mutable_default_arg;
pub(crate) mod open_without_with;
pub(crate) mod raise_without_from;
pub(crate) mod swallowed_exception;

use crate::checker::Checker;
use crate::comments::visit_comment;
use crate::registry::Rule;
use crate::walk::{walk, walk_pruned};
use debtctl_syntax::Language;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;
use tree_sitter::Node;

/// The tokens every Python rule starts from. A node that holds none of them cannot be
/// flagged, so the walk never enters it (see [`walk_pruned`]).
static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:def|except|raise|open|suppress)\b|TODO|FIXME|HACK|XXX|debtctl:|(?i:noqa)")
        .expect("valid regex")
});

/// The functions py/open-without-with knows as `open`.
pub(crate) const OPENS: [&str; 3] = ["io.open", "codecs.open", "builtins.open"];

/// The offsets of the tokens of the enabled rules, sorted.
fn token_offsets(checker: &Checker<'_>, facts: &ModuleFacts) -> Vec<usize> {
    let source = checker.source;
    let wanted = |token: &str| match token {
        "def" => checker.enabled(Rule::PyMutableDefaultArg),
        "except" | "suppress" => checker.enabled(Rule::PySwallowedException),
        "raise" => checker.enabled(Rule::PyRaiseWithoutFrom),
        "open" => checker.enabled(Rule::PyOpenWithoutWith),
        "debtctl:" => true,
        // Peers' suppressions (`# noqa`, in any case).
        t if t.eq_ignore_ascii_case("noqa") => true,
        _ => checker.enabled(Rule::DebtTodo),
    };
    let mut offsets: Vec<usize> =
        TOKENS.find_iter(source).filter(|m| wanted(m.as_str())).map(|m| m.start()).collect();
    // `from contextlib import suppress as quiet` makes `quiet` a token too.
    if checker.enabled(Rule::PySwallowedException) {
        for alias in facts.aliases_of("contextlib.suppress") {
            offsets.extend(source.match_indices(alias).map(|(i, _)| i));
        }
    }
    // So does `from codecs import open as copen`.
    if checker.enabled(Rule::PyOpenWithoutWith) {
        for dotted in OPENS {
            for alias in facts.aliases_of(dotted) {
                offsets.extend(source.match_indices(alias).map(|(i, _)| i));
            }
        }
    }
    offsets.sort_unstable();
    offsets
}

pub(crate) fn check<'t>(checker: &mut Checker<'_>, root: Node<'t>) {
    let facts = ModuleFacts::collect(checker.source, root);
    let mut ctypes = ctypes_leak::Pending::default();
    let open_on = checker.enabled(Rule::PyOpenWithoutWith);
    // ctypes code is rare and its rule follows names, not tokens: such a module gets the
    // full walk.
    let ctypes_on = checker.enabled(Rule::PyCtypesLeak) && checker.source.contains("ctypes");
    let swallow_on = checker.enabled(Rule::PySwallowedException);
    let offsets = if ctypes_on { Vec::new() } else { token_offsets(checker, &facts) };
    let mut indexes = Indexes::default();
    let visit = |node: Node<'t>, ancestors: &[Node<'t>]| match node.kind() {
        "comment" => visit_comment(checker, Language::Python, node),
        "function_definition" if checker.enabled(Rule::PyMutableDefaultArg) => {
            mutable_default_arg::check(checker, &facts, node);
        }
        "except_clause" | "except_group_clause" if swallow_on => {
            swallowed_exception::check_handler(checker, node);
        }
        "raise_statement" if checker.enabled(Rule::PyRaiseWithoutFrom) => {
            raise_without_from::check(checker, &facts, node, ancestors);
        }
        "call" => {
            if swallow_on {
                swallowed_exception::check_suppress(checker, &facts, node);
            }
            if open_on {
                open_without_with::check(checker, &facts, &mut indexes, node, ancestors);
            }
            if ctypes_on {
                ctypes.call(checker, node, ancestors);
            }
        }
        "assignment" if ctypes_on => ctypes.assignment(checker, &facts, node),
        _ => {}
    };
    if ctypes_on {
        walk(root, visit);
    } else {
        walk_pruned(root, &offsets, visit);
    }
    if ctypes_on {
        ctypes.finish(checker, &mut indexes, root);
    }
}

/// What the module imports, by the names it binds them to.
#[derive(Debug, Default)]
pub(crate) struct ModuleFacts {
    /// Local name -> imported module (`import ctypes as ct` gives `ct` -> `ctypes`).
    modules: HashMap<String, String>,
    /// Local name -> `module.name` (`from collections import deque as dq` gives
    /// `dq` -> `collections.deque`).
    names: HashMap<String, String>,
    /// The module binds `open` itself (a `def`, an assignment or a foreign import), so a
    /// bare `open(...)` is not the builtin.
    pub open_shadowed: bool,
    /// The smallest indentation of any line, in spaces, once a fix asked for it (see
    /// [`ModuleFacts::indent_unit`]).
    smallest_indent: std::cell::OnceCell<Option<usize>>,
    /// A name for the exception that no word of the scope uses, by scope node, for
    /// py/raise-without-from's fix: each scope is read once, not once per fix.
    pub(crate) fresh_names: std::cell::RefCell<HashMap<usize, String>>,
}

impl ModuleFacts {
    /// Reads the imports at module level and one block deep (`try:`/`if:` guards).
    fn collect(source: &str, root: Node<'_>) -> ModuleFacts {
        let mut facts = ModuleFacts::default();
        let mut stack = vec![(root, 0)];
        while let Some((node, depth)) = stack.pop() {
            let mut cursor = node.walk();
            for stmt in node.named_children(&mut cursor) {
                match stmt.kind() {
                    "import_statement" => facts.import(source, stmt),
                    "import_from_statement" => facts.import_from(source, stmt),
                    "function_definition" | "class_definition"
                        if field_text(stmt, "name", source) == Some("open") =>
                    {
                        facts.open_shadowed = true;
                    }
                    "decorated_definition" => {
                        if let Some(def) = stmt.child_by_field_name("definition") {
                            if field_text(def, "name", source) == Some("open") {
                                facts.open_shadowed = true;
                            }
                        }
                    }
                    "expression_statement" => {
                        if let Some(a) = stmt.named_child(0).filter(|a| a.kind() == "assignment") {
                            if field_text(a, "left", source) == Some("open") {
                                facts.open_shadowed = true;
                            }
                        }
                    }
                    "try_statement" | "if_statement" | "block" | "else_clause" | "except_clause"
                    | "elif_clause" | "finally_clause"
                        if depth < 3 =>
                    {
                        stack.push((stmt, depth + 1));
                    }
                    _ => {}
                }
            }
        }
        facts
    }

    fn import(&mut self, source: &str, stmt: Node<'_>) {
        let mut cursor = stmt.walk();
        for item in stmt.children_by_field_name("name", &mut cursor) {
            match item.kind() {
                "dotted_name" => {
                    let name = text(item, source);
                    let top = name.split('.').next().unwrap_or(name);
                    self.modules.insert(top.to_string(), top.to_string());
                }
                "aliased_import" => {
                    if let (Some(n), Some(a)) =
                        (field_text(item, "name", source), field_text(item, "alias", source))
                    {
                        self.modules.insert(a.to_string(), n.to_string());
                    }
                }
                _ => {}
            }
        }
    }

    fn import_from(&mut self, source: &str, stmt: Node<'_>) {
        let Some(module) = field_text(stmt, "module_name", source) else { return };
        let mut cursor = stmt.walk();
        for item in stmt.children_by_field_name("name", &mut cursor) {
            let (orig, local) = match item.kind() {
                "dotted_name" => (text(item, source), text(item, source)),
                "aliased_import" => {
                    match (field_text(item, "name", source), field_text(item, "alias", source)) {
                        (Some(n), Some(a)) => (n, a),
                        _ => continue,
                    }
                }
                _ => continue,
            };
            if local == "open" && !matches!(module, "io" | "codecs" | "builtins") {
                self.open_shadowed = true;
            }
            self.names.insert(local.to_string(), format!("{module}.{orig}"));
        }
    }

    /// The local names bound to `dotted` by `from ... import ... as ...`, other than its own
    /// last name.
    pub fn aliases_of<'a>(&'a self, dotted: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let last = dotted.rsplit('.').next().unwrap_or(dotted);
        self.names
            .iter()
            .filter(move |(local, full)| *full == dotted && *local != last)
            .map(|(l, _)| l.as_str())
    }

    /// The dotted name a bare `name` was imported as, if it was.
    pub fn resolve_name(&self, name: &str) -> Option<String> {
        self.names.get(name).cloned()
    }

    /// Whether `name` was bound by a `from ... import`.
    pub fn is_imported_name(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// The dotted name an expression refers to through the module's imports:
    /// `ct.CDLL` gives `ctypes.CDLL` after `import ctypes as ct`, a bare `deque` gives
    /// `collections.deque` after `from collections import deque`. Names that are not
    /// imported resolve to themselves (`open`, `list`).
    pub fn resolve(&self, source: &str, node: Node<'_>) -> Option<String> {
        self.resolve_at(source, node, 0)
    }

    fn resolve_at(&self, source: &str, node: Node<'_>, depth: u32) -> Option<String> {
        if depth > 8 {
            return None; // no import is eight attributes deep
        }
        match node.kind() {
            "identifier" => {
                let name = text(node, source);
                Some(self.names.get(name).cloned().unwrap_or_else(|| name.to_string()))
            }
            "attribute" => {
                let object = node.child_by_field_name("object")?;
                let attr = field_text(node, "attribute", source)?;
                let base = match object.kind() {
                    "identifier" => {
                        let name = text(object, source);
                        self.modules
                            .get(name)
                            .or_else(|| self.names.get(name))
                            .cloned()
                            .unwrap_or_else(|| name.to_string())
                    }
                    _ => self.resolve_at(source, object, depth + 1)?,
                };
                Some(format!("{base}.{attr}"))
            }
            _ => None,
        }
    }
}

pub(crate) fn text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

pub(crate) fn field_text<'a>(node: Node<'_>, field: &str, source: &'a str) -> Option<&'a str> {
    node.child_by_field_name(field).map(|n| text(n, source))
}

/// The offset where the line holding byte `at` starts.
pub(crate) fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The white space that starts the line holding byte `at`.
pub(crate) fn line_indent(source: &str, at: usize) -> &str {
    let line = &source[line_start(source, at)..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

impl ModuleFacts {
    /// One level of indentation as the file writes it: a tab where `indent` uses tabs, else
    /// the smallest indentation of any line (4 spaces when nothing is indented). The file is
    /// read once, not once per fix: a module of 20,000 fixable findings made this quadratic
    /// (issue 17).
    pub(crate) fn indent_unit(&self, source: &str, indent: &str) -> String {
        if indent.contains('\t') {
            return "\t".to_string();
        }
        let smallest = *self.smallest_indent.get_or_init(|| {
            source
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start_matches(' ').len())
                .filter(|n| *n > 0)
                .min()
        });
        " ".repeat(smallest.unwrap_or(4).min(8))
    }
}

/// Code for a message: white space folded, at most `max` characters.
pub(crate) fn snippet(code: &str, max: usize) -> String {
    let folded = code.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        folded
    } else {
        let mut s: String = folded.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// The last name of a call's callee: `free` for `lib.free(p)` and for `free(p)`.
pub(crate) fn callee_name<'a>(call: Node<'_>, source: &'a str) -> Option<&'a str> {
    let f = call.child_by_field_name("function")?;
    match f.kind() {
        "identifier" => Some(text(f, source)),
        "attribute" => field_text(f, "attribute", source),
        _ => None,
    }
}

/// The nearest enclosing function's body among `ancestors`, else the module.
pub(crate) fn enclosing_scope<'t>(ancestors: &[Node<'t>]) -> Option<Node<'t>> {
    ancestors
        .iter()
        .rev()
        .find(|a| a.kind() == "function_definition")
        .and_then(|f| f.child_by_field_name("body"))
        .or_else(|| ancestors.first().copied())
}

/// How a name bound in a scope is used there (nested functions included: a closure that
/// frees the value counts).
#[derive(Debug, Default)]
pub(crate) struct Uses {
    /// Methods called or read on it: `close` for `f.close()`.
    pub methods: Vec<String>,
    /// Callees of every call it is an argument of, directly or nested:
    /// `free` and `c_void_p` for `lib.free(c_void_p(p))`.
    pub callees: Vec<String>,
    /// Returned or yielded, or the body of a lambda.
    pub returned: bool,
    /// Assigned on (to an attribute, an item, another name) or put in a literal container.
    pub stored: bool,
    /// Named in a `with` item.
    pub in_with: bool,
    /// Calls it is passed to as a positional argument itself: callee name and position.
    pub passed: Vec<(String, usize)>,
}

/// Methods that put their argument into a container.
const CONTAINER_METHODS: &[&str] =
    &["append", "appendleft", "add", "insert", "extend", "put", "put_nowait", "setdefault", "push"];

/// Calls that consume an iterable or a file and return something else: a file returned
/// through one (`return len(f.read())`, `return sum(1 for _ in f)`) is not returned.
const CONSUMERS: &[&str] = &[
    "len",
    "sum",
    "list",
    "tuple",
    "set",
    "frozenset",
    "sorted",
    "max",
    "min",
    "any",
    "all",
    "load",
    "safe_load",
    "join",
    "dict",
    "str",
    "bytes",
];

/// Every identifier under a scope (a function's body or the module), by name, in document
/// order, with what the analyses of a binding's uses need of its ancestors: built once per
/// scope, so that the uses of each of 20,000 bindings at module level cost their own
/// occurrences, not a walk of the module each (issue 17).
#[derive(Default)]
pub(crate) struct ScopeIndex<'t> {
    names: HashMap<String, Occurrences<'t>>,
    /// The ancestors of every occurrence, from the nearest block, module or expression
    /// statement down to its parent: no climb of [`uses_of`] or [`next_binding`] goes higher.
    chains: Vec<Node<'t>>,
}

#[derive(Default)]
struct Occurrences<'t> {
    all: Vec<Occurrence<'t>>,
    /// Indices into `all` of the occurrences inside a nested function or lambda.
    nested: Vec<usize>,
}

struct Occurrence<'t> {
    node: Node<'t>,
    /// Inside a function or lambda nested in the scope.
    nested: bool,
    /// Its range of [`ScopeIndex::chains`].
    chain: std::ops::Range<usize>,
}

impl<'t> ScopeIndex<'t> {
    /// Indexes the identifiers under `scope`; only those spelled `only` when it is given.
    pub(crate) fn build(source: &str, scope: Node<'t>, only: Option<&str>) -> Self {
        let mut index = ScopeIndex::default();
        walk(scope, |node, ancestors| {
            if node.kind() != "identifier" {
                return;
            }
            let name = text(node, source);
            if only.is_some_and(|o| o != name) {
                return;
            }
            let nested = ancestors.iter().any(|a| matches!(a.kind(), "function_definition" | "lambda"));
            let from = ancestors
                .iter()
                .rposition(|a| matches!(a.kind(), "block" | "module" | "expression_statement"))
                .unwrap_or(0);
            let at = index.chains.len();
            index.chains.extend_from_slice(&ancestors[from..]);
            let chain = at..index.chains.len();
            let entry = index.names.entry(name.to_string()).or_default();
            if nested {
                entry.nested.push(entry.all.len());
            }
            entry.all.push(Occurrence { node, nested, chain });
        });
        index
    }

    fn occurrences(&self, name: &str) -> Option<&Occurrences<'t>> {
        self.names.get(name)
    }

    fn chain(&self, o: &Occurrence<'t>) -> &[Node<'t>] {
        &self.chains[o.chain.clone()]
    }

    /// The identifiers spelled `name` under the scope, in document order.
    pub(crate) fn nodes<'a>(&'a self, name: &str) -> impl DoubleEndedIterator<Item = Node<'t>> + 'a {
        self.occurrences(name).into_iter().flat_map(|o| o.all.iter().map(|o| o.node))
    }

    /// Those of [`ScopeIndex::nodes`] that start after byte `after`, with their parent.
    pub(crate) fn nodes_after<'a>(
        &'a self,
        name: &str,
        after: usize,
    ) -> impl Iterator<Item = (Node<'t>, Option<Node<'t>>)> + 'a {
        self.occurrences(name).into_iter().flat_map(move |o| {
            let from = o.all.partition_point(|x| x.node.start_byte() <= after);
            o.all[from..].iter().map(|x| (x.node, self.chain(x).last().copied()))
        })
    }
}

/// The indices of the scopes and the statements of the blocks one module's rules asked
/// for, each built once.
#[derive(Default)]
pub(crate) struct Indexes<'t> {
    scopes: HashMap<usize, ScopeIndex<'t>>,
    blocks: HashMap<usize, Vec<Node<'t>>>,
}

impl<'t> Indexes<'t> {
    pub(crate) fn scope(&mut self, source: &str, scope: Node<'t>) -> &ScopeIndex<'t> {
        self.scopes.entry(scope.id()).or_insert_with(|| ScopeIndex::build(source, scope, None))
    }

    /// The index of `scope` and the named children of `block`, in order.
    pub(crate) fn scope_and_statements(
        &mut self,
        source: &str,
        scope: Node<'t>,
        block: Node<'t>,
    ) -> (&ScopeIndex<'t>, &[Node<'t>]) {
        let statements = self.blocks.entry(block.id()).or_insert_with(|| {
            let mut cursor = block.walk();
            block.named_children(&mut cursor).collect()
        });
        let index = self.scopes.entry(scope.id()).or_insert_with(|| ScopeIndex::build(source, scope, None));
        (index, statements)
    }
}

/// How the value bound at `binding` is used in `scope`: the uses of the name after the
/// binding and before the next statement that binds it again, and those inside a nested
/// function or lambda (which may run later) wherever they are written.
pub(crate) fn uses_of(source: &str, scope: Node<'_>, name: &str, binding: Node<'_>) -> Uses {
    uses_in(source, &ScopeIndex::build(source, scope, Some(name)), name, binding)
}

/// [`uses_of`] in a scope already indexed.
pub(crate) fn uses_in(source: &str, index: &ScopeIndex<'_>, name: &str, binding: Node<'_>) -> Uses {
    let mut uses = Uses::default();
    let Some(occurrences) = index.occurrences(name) else { return uses };
    let rebound = next_binding(index, occurrences, binding);
    let all = &occurrences.all;
    let from = all.partition_point(|o| o.node.start_byte() < binding.start_byte());
    // In document order: those in nested functions before the binding, then those from the
    // binding on to the next binding.
    let before = occurrences
        .nested
        .iter()
        .map(|&i| &all[i])
        .take_while(|o| o.node.start_byte() < binding.start_byte());
    let after = all[from..].iter().take_while(|o| o.node.start_byte() < rebound);
    'uses: for occurrence in before.chain(after) {
        let node = occurrence.node;
        if node == binding {
            continue;
        }
        let chain = index.chain(occurrence);
        let mut child = node;
        // Whether the value itself (not something computed from it) reaches the ancestor.
        let mut direct = true;
        // Whether what reaches the ancestor no longer holds the value: it was iterated by
        // a comprehension or consumed by a call such as `len` or `sum`.
        let mut consumed = false;
        // Iterated by a generator expression, which holds it until a call consumes it.
        let mut lazy = false;
        // The argument of the call being climbed to.
        let mut arg = node;
        for parent in chain.iter().rev() {
            match parent.kind() {
                "attribute" if direct => {
                    if parent.child_by_field_name("object") == Some(child) {
                        if let Some(attr) = field_text(*parent, "attribute", source) {
                            uses.methods.push(attr.to_string());
                        }
                        continue 'uses;
                    }
                    direct = false;
                }
                "call" => {
                    if let Some(callee) = callee_name(*parent, source) {
                        if parent.child_by_field_name("function") != Some(child) {
                            if direct && CONTAINER_METHODS.contains(&callee) {
                                uses.stored = true;
                            }
                            if direct && child.kind() == "argument_list" {
                                let mut c = child.walk();
                                let position = child
                                    .named_children(&mut c)
                                    .filter(|a| a.kind() != "comment")
                                    .position(|a| a == arg);
                                if let Some(i) = position {
                                    uses.passed.push((callee.to_string(), i));
                                }
                            }
                            uses.callees.push(callee.to_string());
                            if lazy || CONSUMERS.contains(&callee) {
                                consumed = true;
                            }
                        }
                    }
                    direct = false;
                }
                "for_in_clause" => {
                    direct = false;
                    if parent.child_by_field_name("right") == Some(child) {
                        lazy = true;
                    }
                }
                "list_comprehension" | "set_comprehension" | "dictionary_comprehension" if lazy => {
                    consumed = true;
                    lazy = false;
                }
                "return_statement" | "yield" | "lambda" => {
                    uses.returned |= !consumed;
                    continue 'uses;
                }
                "with_item" => {
                    uses.in_with = true;
                    continue 'uses;
                }
                "assignment" | "augmented_assignment" => {
                    let right = parent.child_by_field_name("right");
                    if direct && right == Some(child) {
                        uses.stored = true;
                    }
                    continue 'uses;
                }
                "list" | "tuple" | "set" | "dictionary" | "pair" | "expression_list" if direct => {
                    uses.stored = true;
                    continue 'uses;
                }
                "argument_list" => arg = child,
                "parenthesized_expression" | "keyword_argument" => {}
                "block" | "module" | "expression_statement" => continue 'uses,
                _ => direct = false,
            }
            child = *parent;
        }
    }
    uses
}

/// Where the value bound at `binding` stops being the name's: the end of the first later
/// statement of the scope (outside nested functions) that binds the name again (`f = ...`,
/// `with ... as f`, `for f in ...`, `f := ...`); the end of the source if none.
fn next_binding(index: &ScopeIndex<'_>, occurrences: &Occurrences<'_>, binding: Node<'_>) -> usize {
    let mut at = usize::MAX;
    let all = &occurrences.all;
    let from = all.partition_point(|o| o.node.start_byte() <= binding.end_byte());
    for occurrence in &all[from..] {
        let node = occurrence.node;
        if node.start_byte() >= at {
            break;
        }
        if occurrence.nested {
            continue;
        }
        let ancestors = index.chain(occurrence);
        let Some(parent) = ancestors.last() else { continue };
        let field = |f: &str| parent.child_by_field_name(f) == Some(node);
        let end = match parent.kind() {
            // The right side still reads the old value: `f = wrap(f)`.
            "assignment" if field("left") => parent.end_byte(),
            "pattern_list" | "tuple_pattern" | "list_pattern" => ancestors
                .iter()
                .rev()
                .find(|a| a.kind() == "assignment")
                .map_or(node.start_byte(), |a| a.end_byte()),
            "named_expression" if field("name") => parent.end_byte(),
            "as_pattern_target" => node.start_byte(),
            "for_statement" if field("left") => node.start_byte(),
            _ => continue,
        };
        at = at.min(end);
    }
    at
}
