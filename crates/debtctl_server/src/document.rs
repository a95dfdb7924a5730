//! An open document: its text, version and syntax tree, kept in step with the editor's
//! incremental changes. Each change edits the tree (`Tree::edit`) so that the next parse
//! reuses every untouched subtree.

use debtctl_syntax::Language;
use lsp_types::{Position, Range, TextDocumentContentChangeEvent};
use std::path::PathBuf;
use tree_sitter::{InputEdit, Point, Tree};

/// How LSP positions count characters within a line: negotiated at initialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-16 code units, the protocol's default.
    Utf16,
    /// Bytes, when the client offers `utf-8`.
    Utf8,
}

/// Line starts of a text, as byte offsets.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// The byte offset of a position; positions past a line's end clamp to it, past the
    /// last line to the end of the text (as the protocol asks of servers).
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> usize {
        let line = pos.line as usize;
        let Some(&start) = self.starts.get(line) else { return text.len() };
        let end = self.line_end(text, line);
        let line_text = &text[start..end];
        let mut units = 0u32;
        for (i, c) in line_text.char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += match enc {
                Encoding::Utf16 => c.len_utf16() as u32,
                Encoding::Utf8 => c.len_utf8() as u32,
            };
        }
        end
    }

    /// The position of a byte offset (which must fall on a character boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let prefix = &text[start..offset];
        let character = match enc {
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum::<usize>(),
            Encoding::Utf8 => prefix.len(),
        };
        Position { line: line as u32, character: character as u32 }
    }

    /// The byte offset of a 1-based line and 1-based code-point column, as findings carry.
    pub fn offset_of_line_col(&self, text: &str, line: u32, column: u32) -> usize {
        let Some(&start) = self.starts.get((line as usize).saturating_sub(1)) else { return text.len() };
        let end = self.line_end(text, line as usize - 1);
        let rest = &text[start..end];
        let within =
            rest.char_indices().nth(column.saturating_sub(1) as usize).map_or(rest.len(), |(i, _)| i);
        start + within
    }

    /// The end of a line's text, before its `\n` (and `\r`).
    pub fn line_end(&self, text: &str, line: usize) -> usize {
        let end = self.starts.get(line + 1).map_or(text.len(), |&next| next - 1);
        let start = self.starts[line];
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    pub fn start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// The tree-sitter point (row, byte column) of an offset.
    fn point(&self, offset: usize) -> Point {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        Point { row: line, column: offset - self.starts[line] }
    }
}

/// An open document.
pub struct Document {
    pub path: PathBuf,
    pub lang: Language,
    pub version: i32,
    pub text: String,
    pub lines: Lines,
    /// The last parse; `None` for YAML and `go.mod`, which the linter parses itself.
    pub tree: Option<Tree>,
}

impl Document {
    pub fn new(path: PathBuf, lang: Language, version: i32, text: String) -> Document {
        let lines = Lines::new(&text);
        let tree = parses_itself(lang).then(|| debtctl_syntax::parse(lang, &text)).flatten();
        Document { path, lang, version, text, lines, tree }
    }

    /// Applies the editor's changes in order, editing the tree with each, then re-parses
    /// once, incrementally.
    pub fn apply(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>, enc: Encoding) {
        for change in changes {
            match change.range {
                Some(range) => self.splice(range, &change.text, enc),
                None => {
                    self.text = change.text;
                    self.lines = Lines::new(&self.text);
                    self.tree = None;
                }
            }
        }
        self.version = version;
        if parses_itself(self.lang) {
            self.tree = match &self.tree {
                Some(old) => debtctl_syntax::reparse(self.lang, &self.text, old),
                None => debtctl_syntax::parse(self.lang, &self.text),
            };
        }
    }

    fn splice(&mut self, range: Range, new_text: &str, enc: Encoding) {
        let start = self.lines.offset(&self.text, range.start, enc);
        let end = self.lines.offset(&self.text, range.end, enc).max(start);
        let start_position = self.lines.point(start);
        let old_end_position = self.lines.point(end);
        self.text.replace_range(start..end, new_text);
        self.lines = Lines::new(&self.text);
        let new_end = start + new_text.len();
        if let Some(tree) = &mut self.tree {
            tree.edit(&InputEdit {
                start_byte: start,
                old_end_byte: end,
                new_end_byte: new_end,
                start_position,
                old_end_position,
                new_end_position: self.lines.point(new_end),
            });
        }
    }

    pub fn range(&self, start: usize, end: usize, enc: Encoding) -> Range {
        Range {
            start: self.lines.position(&self.text, start, enc),
            end: self.lines.position(&self.text, end, enc),
        }
    }
}

/// Languages whose tree the server keeps (and re-parses incrementally).
fn parses_itself(lang: Language) -> bool {
    matches!(lang, Language::Go | Language::Python)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(l0: u32, c0: u32, l1: u32, c1: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range { start: Position::new(l0, c0), end: Position::new(l1, c1) }),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn utf16_and_utf8_positions() {
        let text = "a = \"é😀\"\nb\n";
        let lines = Lines::new(text);
        // `é` is 1 UTF-16 unit and 2 bytes, `😀` 2 units and 4 bytes.
        let after_emoji = text.find("😀").unwrap() + 4;
        assert_eq!(lines.position(text, after_emoji, Encoding::Utf16), Position::new(0, 8));
        assert_eq!(lines.position(text, after_emoji, Encoding::Utf8), Position::new(0, 11));
        assert_eq!(lines.offset(text, Position::new(0, 8), Encoding::Utf16), after_emoji);
        assert_eq!(lines.offset(text, Position::new(0, 11), Encoding::Utf8), after_emoji);
        assert_eq!(lines.offset(text, Position::new(1, 99), Encoding::Utf16), text.len() - 1);
        assert_eq!(lines.offset(text, Position::new(9, 0), Encoding::Utf16), text.len());
        assert_eq!(lines.offset_of_line_col(text, 1, 7), text.find("😀").unwrap());
    }

    /// The incremental parse must give the tree a fresh parse gives, or findings would
    /// drift from what `debtctl scan` reports after a few edits.
    #[test]
    fn incremental_edits_match_a_fresh_parse() {
        let mut doc = Document::new(
            PathBuf::from("a.py"),
            Language::Python,
            1,
            "def f(x=[]):\n    return x\n\n# é😀\ndef g():\n    pass\n".to_string(),
        );
        doc.apply(2, vec![change(0, 8, 0, 10, "None"), change(3, 5, 3, 5, "TODO ")], Encoding::Utf16);
        doc.apply(3, vec![change(4, 6, 4, 6, "y={}")], Encoding::Utf16);
        let expected = "def f(x=None):\n    return x\n\n# é😀TODO \ndef g(y={}):\n    pass\n";
        assert_eq!(doc.text, expected);
        let fresh = debtctl_syntax::parse(Language::Python, expected).unwrap();
        assert_eq!(doc.tree.as_ref().unwrap().root_node().to_sexp(), fresh.root_node().to_sexp());
        assert_eq!(doc.version, 3);
    }
}
