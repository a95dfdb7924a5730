//! YAML parsed one document at a time. tree-sitter-yaml 0.7.2 keeps rows in 16-bit
//! integers in its scanner state and turns a file over 32,768 lines into a single ERROR
//! (upstream tree-sitter-yaml#49); large CRD bundles hit it. A document marker `---` at
//! column 0 always starts a document (it cannot occur inside a scalar there), so each
//! document is parsed on its own, through tree-sitter's included ranges: every tree keeps
//! the byte offsets and rows of the whole file, and the scanner counts only the rows of
//! its own document. An error in one document no longer spills into the next, either.

use std::ops::Range;
use tree_sitter::{Point, Tree};

/// The byte ranges of the documents of a YAML stream: each starts at a `---` line (or at
/// the start of the file) and ends where the next begins. Directives, comments and blank
/// lines before the first marker belong to the first document.
pub fn documents(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut line_start = 0;
    // Only directives, comments and blank lines so far: the next marker opens document 1.
    let mut preamble = true;
    while line_start < bytes.len() {
        let line_end =
            bytes[line_start..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| line_start + i);
        let line = &bytes[line_start..line_end];
        if is_marker(line) {
            if !preamble && line_start > *starts.last().expect("never empty") {
                starts.push(line_start);
            }
            preamble = false;
        } else if preamble {
            let trimmed = line.trim_ascii_start();
            preamble = trimmed.is_empty() || trimmed[0] == b'#' || line.first() == Some(&b'%');
        }
        line_start = line_end + 1;
    }
    let mut ranges: Vec<Range<usize>> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    ranges.push(*starts.last().expect("never empty")..text.len());
    ranges
}

fn is_marker(line: &[u8]) -> bool {
    line.starts_with(b"---") && line.get(3).is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// Parses each document of `text` (see [`documents`]) into its own tree, whose nodes carry
/// offsets into `text`. Documents that tree-sitter gives up on are left out, and nothing
/// is parsed when the text is nested deeper than the scanner can hold ([`crate::guard`]).
pub fn parse_documents(text: &str) -> Vec<Tree> {
    if crate::guard::check(crate::Language::Yaml, text).is_err() {
        return Vec::new();
    }
    let ranges = documents(text);
    if ranges.len() == 1 {
        return crate::parse(crate::Language::Yaml, text).into_iter().collect();
    }
    let mut row = 0;
    let mut counted = 0;
    let mut point_at = |offset: usize| {
        row += text.as_bytes()[counted..offset].iter().filter(|b| **b == b'\n').count();
        counted = offset;
        let col = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
        Point { row, column: col }
    };
    let spans: Vec<tree_sitter::Range> = ranges
        .into_iter()
        .map(|r| {
            let start_point = point_at(r.start);
            let end_point = point_at(r.end);
            tree_sitter::Range { start_byte: r.start, end_byte: r.end, start_point, end_point }
        })
        .collect();
    crate::with_parser(crate::Language::Yaml, |parser| {
        let trees = spans
            .iter()
            .filter_map(|span| {
                parser.set_included_ranges(std::slice::from_ref(span)).ok()?;
                parser.parse(text, None)
            })
            .collect();
        parser.set_included_ranges(&[]).expect("the whole file is a valid range");
        trees
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_markers_at_column_zero_only() {
        let text = "%YAML 1.2\n# c\n---\na: 1\n---\nb: |\n  ---\n--- x\n---x: 1\n";
        let docs = documents(text);
        let starts: Vec<&str> = docs.iter().map(|r| &text[r.start..r.start + 5.min(r.len())]).collect();
        assert_eq!(starts, ["%YAML", "---\nb", "--- x"]);
        assert_eq!(docs.last().unwrap().end, text.len());
    }

    #[test]
    fn trees_keep_file_offsets_and_rows() {
        let text = "a: 1\n---\nb: 2\n---\nc: [3\n---\nd: 4\n";
        let trees = parse_documents(text);
        assert_eq!(trees.len(), 4);
        let last = trees[3].root_node();
        assert!(!last.has_error(), "an error in document 3 stays there");
        assert!(trees[2].root_node().has_error());
        let d = text.find("d:").unwrap();
        let node = last.descendant_for_byte_range(d, d + 1).unwrap();
        assert_eq!(node.start_byte(), d);
        assert_eq!(node.start_position().row, 6);
    }

    /// Regression test for tree-sitter-yaml#49: a stream over 32,768 lines used to parse
    /// as one ERROR.
    #[test]
    fn long_streams_parse_document_by_document() {
        let doc = format!("---\nkind: ConfigMap\ndata:\n{}", "  k: v\n".repeat(1000));
        let text = doc.repeat(40);
        assert!(text.lines().count() > 40_000);
        let trees = parse_documents(&text);
        assert_eq!(trees.len(), 40);
        assert!(trees.iter().all(|t| !t.root_node().has_error()));
    }
}
