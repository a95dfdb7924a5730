//! Syntax for debtctl: which language a file is in, a tree-sitter parse of it with one
//! parser per thread, and a [`LineIndex`] that turns byte offsets into the 1-based lines and
//! code-point columns that findings carry.

use std::cell::RefCell;
use std::path::Path;
use tree_sitter::{Node, Parser, Tree};

#[allow(unsafe_code)]
mod children;
pub mod guard;
pub mod helm;
mod line_index;
pub mod yaml;
pub use children::children_into;
pub use line_index::LineIndex;

/// The languages debtctl reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Go,
    /// A `go.mod` file: read line by line, not with tree-sitter.
    GoMod,
    Python,
    Yaml,
    /// A YAML file under `templates/` of a Helm chart: template actions are masked before
    /// it is parsed as YAML. Discovery decides this from the file's place in the tree.
    HelmTemplate,
}

impl Language {
    /// The extension table: picks the language from the file name alone.
    pub fn from_path(path: &Path) -> Option<Language> {
        let name = path.file_name()?.to_str()?;
        if name == "go.mod" {
            return Some(Language::GoMod);
        }
        let ext = name.rsplit_once('.')?.1;
        match ext {
            "go" => Some(Language::Go),
            "py" | "pyi" => Some(Language::Python),
            "yaml" | "yml" => Some(Language::Yaml),
            _ => None,
        }
    }

    fn ts_language(self) -> Option<tree_sitter::Language> {
        match self {
            Language::Go => Some(tree_sitter_go::LANGUAGE.into()),
            Language::Python => Some(tree_sitter_python::LANGUAGE.into()),
            Language::Yaml | Language::HelmTemplate => Some(tree_sitter_yaml::LANGUAGE.into()),
            Language::GoMod => None,
        }
    }

    /// The tree-sitter grammar, for looking up node kinds.
    pub fn grammar(self) -> tree_sitter::Language {
        self.ts_language().expect("go.mod has no tree-sitter grammar")
    }
}

thread_local! {
    static PARSERS: RefCell<[Option<Parser>; 3]> = const { RefCell::new([None, None, None]) };
}

/// Parses `source` with the thread's parser for `lang`. Returns `None` for `go.mod`, which
/// has no grammar, for a file nested deeper than the grammar's scanner can hold (see
/// [`guard`]; callers that skip files ask [`guard::check`] first, to say why), and if
/// tree-sitter gives up (it does not on any input we have seen). YAML streams are better
/// parsed with [`yaml::parse_documents`].
pub fn parse(lang: Language, source: &str) -> Option<Tree> {
    // The text given is the text parsed: a Helm template here is not masked.
    let measured = if lang == Language::HelmTemplate { Language::Yaml } else { lang };
    guard::check(measured, source).ok()?;
    with_parser(lang, |parser| parser.parse(source, None)).flatten()
}

/// Parses `source` again after edits, reusing the unchanged parts of `old`: tree-sitter's
/// incremental parsing. `old` must have been told of every edit with `Tree::edit` first.
pub fn reparse(lang: Language, source: &str, old: &Tree) -> Option<Tree> {
    // The guard as in `parse`: an edit can nest a file too deep for the scanner as well.
    let measured = if lang == Language::HelmTemplate { Language::Yaml } else { lang };
    guard::check(measured, source).ok()?;
    with_parser(lang, |parser| parser.parse(source, Some(old))).flatten()
}

/// Runs `f` with the thread's parser for `lang`; `None` for `go.mod`.
fn with_parser<R>(lang: Language, f: impl FnOnce(&mut Parser) -> R) -> Option<R> {
    let slot = match lang {
        Language::Go => 0,
        Language::Python => 1,
        Language::Yaml | Language::HelmTemplate => 2,
        Language::GoMod => return None,
    };
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let parser = parsers[slot].get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(&lang.grammar()).expect("grammar ABI matches tree-sitter");
            p
        });
        Some(f(parser))
    })
}

/// The source text of a node. Node boundaries always fall on character boundaries of
/// valid UTF-8 input, so this never panics on what [`parse`] was given.
pub fn text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

/// Whether `node` lies inside (or is) an ERROR node: findings there would rest on a
/// misparse.
pub fn in_error(node: Node<'_>) -> bool {
    let mut cur = Some(node);
    while let Some(n) = cur {
        if n.is_error() {
            return true;
        }
        cur = n.parent();
    }
    false
}

/// The 1-based line of the first ERROR or MISSING node, in source order: where a file
/// stops parsing (often syntax newer than the grammar). `None` when the tree is clean.
pub fn first_error_line(tree: &Tree) -> Option<u32> {
    let mut node = tree.root_node();
    if !node.has_error() {
        return None;
    }
    'descend: loop {
        if node.is_error() || node.is_missing() {
            return Some(node.start_position().row as u32 + 1);
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() {
                node = child;
                continue 'descend;
            }
        }
        // `has_error` without an erroneous child: the node itself is where it fails.
        return Some(node.start_position().row as u32 + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_name() {
        assert_eq!(Language::from_path(Path::new("a/b.go")), Some(Language::Go));
        assert_eq!(Language::from_path(Path::new("go.mod")), Some(Language::GoMod));
        assert_eq!(Language::from_path(Path::new("x.pyi")), Some(Language::Python));
        assert_eq!(Language::from_path(Path::new("c.yml")), Some(Language::Yaml));
        assert_eq!(Language::from_path(Path::new("Makefile")), None);
        assert_eq!(Language::from_path(Path::new("go.sum")), None);
    }

    #[test]
    fn parses_each_grammar() {
        for (lang, src) in [
            (Language::Go, "package a\nfunc f() {}\n"),
            (Language::Python, "def f():\n    pass\n"),
            (Language::Yaml, "a: 1\n"),
        ] {
            let tree = parse(lang, src).unwrap();
            assert!(!tree.root_node().has_error(), "{lang:?}");
        }
    }

    #[test]
    fn the_first_error_is_named_by_its_line() {
        let clean = parse(Language::Python, "x = 1\n").unwrap();
        assert_eq!(first_error_line(&clean), None);
        let broken = parse(Language::Python, "x = 1\n\ndef f(:\n    pass\ny = (\n").unwrap();
        assert_eq!(first_error_line(&broken), Some(3));
        let go = parse(Language::Go, "package a\n\nfunc f() {\n\tx := 1 +\n}\n").unwrap();
        assert!(first_error_line(&go).is_some_and(|l| (4..=5).contains(&l)), "{:?}", first_error_line(&go));
    }
}
