//! The guard in front of the grammars' external scanners. tree-sitter copies an external
//! scanner's state into a fixed buffer of 1,024 bytes after every token it scans
//! (`TREE_SITTER_SERIALIZATION_BUFFER_SIZE`), and asserts that the scanner wrote no more.
//! Two of our scanners can write more, and the assertion then aborts the whole process
//! (with assertions off it would be a write past the buffer):
//!
//! - tree-sitter-yaml 0.7.2 writes 10 bytes of position, then 4 bytes (kind, column) for
//!   every entry of its block-indentation stack, and stops only once it is *at or past*
//!   1,024 bytes: 253 entries fit (1,022 bytes), the 254th writes bytes 1,022 to 1,025
//!   (tree-sitter-grammars/tree-sitter-yaml#48; a fix is proposed in #47 and not
//!   released). One entry is pushed per block mapping, per block sequence (two when a
//!   sequence sits at its parent mapping's column), per compact `- ` or `? ` on a line and
//!   per block scalar being read; flow collections push nothing.
//! - tree-sitter-python 0.25.0 writes 2 bytes, the open string delimiters (one byte each,
//!   at most 255), then 2 bytes per entry of its indentation stack, with the same
//!   off-by-one stop: with an odd number of open string delimiters (an f-string, say) it
//!   overflows once the stack reaches `(1021 - delimiters) / 2 + 1` entries, that is 511
//!   with one f-string open and 384 in the worst case (255 delimiters). Without an open
//!   string it silently truncates the stack past 511 entries instead.
//!
//! [`check`] measures, in one pass over the text, an upper bound of the stack the scanner
//! will hold, and refuses a file whose bound exceeds [`YAML_MAX_DEPTH`] or
//! [`PYTHON_MAX_DEPTH`]: well below 253 and 384 so that a shape the measure does not
//! model exactly still fits. Every parse of YAML or Python in this crate asks it first,
//! so no caller can reach a scanner with such a file. When a fixed tree-sitter-yaml is
//! released, [`YAML_MAX_DEPTH`] is the limit to lift (to the new format's capacity).

use crate::Language;
use std::fmt;

/// The most entries of tree-sitter-yaml's indentation stack we let it hold. Its
/// serialization overflows at 254 (see the module documentation); the margin covers
/// shapes of invalid YAML where the scanner's error recovery may push more than the
/// measure counts. Real manifests stay under 30.
pub const YAML_MAX_DEPTH: usize = 200;

/// The most entries of tree-sitter-python's indentation stack we let it hold: its
/// serialization overflows at 384 entries in the worst case (see the module
/// documentation). CPython itself refuses more than 100 levels of indentation.
pub const PYTHON_MAX_DEPTH: usize = 200;

/// tree-sitter-yaml 0.7.2 keeps its scanner's row in a 16-bit integer: a document longer
/// than this many lines parses as one ERROR from its first line (tree-sitter-yaml#49; a
/// widening is proposed in #35 and not released). Documents of a stream are parsed one by
/// one ([`crate::yaml::parse_documents`]), so the limit holds per document.
pub const YAML_MAX_LINES: usize = 32_768;

/// A file the grammar's scanner cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Nesting beyond the scanner's stack: `line` (1-based) is where the measure first
    /// exceeded `limit`.
    TooDeep { limit: usize, line: usize },
    /// A YAML document of more than `limit` lines ([`YAML_MAX_LINES`]), starting at `line`.
    TooLong { limit: usize, line: usize },
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::TooDeep { limit, line } => write!(f, "nesting deeper than {limit} levels (line {line})"),
            Refused::TooLong { limit, line } => write!(
                f,
                "a YAML document longer than {limit} lines (from line {line}), more than the YAML grammar can parse (tree-sitter-yaml#49)"
            ),
        }
    }
}

impl std::error::Error for Refused {}

/// Whether the grammar of `lang` can parse `text` without overflowing its scanner's
/// state; a Helm template is measured after masking, as it is parsed. Go and `go.mod`
/// have no external scanner and always pass.
pub fn check(lang: Language, text: &str) -> Result<(), Refused> {
    match lang {
        Language::Yaml => yaml_depth(text, YAML_MAX_DEPTH).and(yaml_lines(text)),
        Language::HelmTemplate => {
            let masked = crate::helm::mask(text).text;
            yaml_depth(&masked, YAML_MAX_DEPTH).and(yaml_lines(&masked))
        }
        Language::Python => python_depth(text, PYTHON_MAX_DEPTH).map(drop),
        Language::Go | Language::GoMod => Ok(()),
    }
}

/// Every document of `text` within [`YAML_MAX_LINES`] lines.
fn yaml_lines(text: &str) -> Result<(), Refused> {
    // Only a text of that many lines can hold such a document: most files end here.
    if newlines_in(text.as_bytes()) < YAML_MAX_LINES {
        return Ok(());
    }
    let mut line = 1;
    for doc in crate::yaml::documents(text) {
        let body = &text.as_bytes()[doc];
        let newlines = newlines_in(body);
        let lines = newlines + usize::from(body.last().is_some_and(|b| *b != b'\n'));
        if lines > YAML_MAX_LINES {
            return Err(Refused::TooLong { limit: YAML_MAX_LINES, line });
        }
        line += newlines;
    }
    Ok(())
}

fn newlines_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

/// The measure [`check`] compares with the limit: the deepest stack the grammar's scanner
/// may hold on `text` (0 for Go and `go.mod`).
pub fn depth(lang: Language, text: &str) -> usize {
    let measured = match lang {
        Language::Yaml => yaml_depth(text, usize::MAX),
        Language::HelmTemplate => yaml_depth(&crate::helm::mask(text).text, usize::MAX),
        Language::Python => python_depth(text, usize::MAX),
        Language::Go | Language::GoMod => Ok(0),
    };
    measured.unwrap_or(usize::MAX)
}

/// One entry of the modelled YAML stack: the column it was pushed at and whether it is a
/// sequence (a sequence may sit on a mapping of the same column).
#[derive(Clone, Copy)]
struct Entry {
    col: usize,
    seq: bool,
}

/// The deepest stack tree-sitter-yaml's scanner holds on `text`, as an upper bound, or
/// the line where it first exceeds `limit`.
///
/// Line by line, as the scanner: a line's indentation closes every entry of a greater
/// column; then each compact indicator (`- `, `? `, `: `) pushes at its column and an
/// implicit key (a token followed by `: ` outside flow collections and quotes) pushes at
/// the key's column, unless the top is already at that column (a sequence on a mapping
/// of the same column is pushed, once); a block scalar header counts one more while it is
/// read. Block scalar and multi-line flow contents are measured as if they were block
/// structure, which can only count more.
pub(crate) fn yaml_depth(text: &str, limit: usize) -> Result<usize, Refused> {
    let mut stack: Vec<Entry> = Vec::new();
    let mut deepest = 0;
    for (n, line) in text.split('\n').enumerate() {
        let b = line.as_bytes();
        let indent = b.iter().position(|c| *c != b' ' && *c != b'\t').unwrap_or(b.len());
        if indent == b.len() || b[indent] == b'#' || b[indent] == b'\r' {
            continue;
        }
        if indent == 0 && (b.starts_with(b"---") || b.starts_with(b"...")) && is_space(b.get(3).copied()) {
            // A new document: the scanner starts again from its root.
            stack.clear();
            continue;
        }
        while stack.last().is_some_and(|e| e.col > indent) {
            stack.pop();
        }
        let push = |stack: &mut Vec<Entry>, col: usize, seq: bool| match stack.last() {
            Some(top) if top.col > col || (top.col == col && (top.seq || !seq)) => {}
            _ => stack.push(Entry { col, seq }),
        };
        // Columns count characters, as the scanner's do.
        let mut col = indent;
        let mut q = indent;
        let mut at_start = true;
        let mut token_col = col;
        let mut flow = 0usize;
        let mut scalar = 0;
        while q < b.len() {
            let c = b[q];
            let next_is_space = is_space(b.get(q + 1).copied());
            match c {
                b'[' | b'{' if at_start || flow > 0 => {
                    flow += 1;
                    at_start = true;
                    q += 1;
                    col += 1;
                    continue;
                }
                b']' | b'}' if flow > 0 => {
                    flow -= 1;
                    at_start = flow > 0;
                    q += 1;
                    col += 1;
                    continue;
                }
                _ => {}
            }
            if at_start {
                match c {
                    b'-' | b'?' | b':' if next_is_space && flow == 0 => {
                        push(&mut stack, col, c == b'-');
                        q += 1;
                        col += 1;
                        continue;
                    }
                    b' ' | b'\t' => {}
                    b'|' | b'>' if flow == 0 => {
                        scalar = 1;
                        break;
                    }
                    b'#' => break,
                    b'"' | b'\'' => {
                        at_start = false;
                        token_col = col;
                        // The quoted scalar, to its closing quote on this line.
                        let close = b[q + 1..].iter().position(|x| *x == c).map_or(b.len(), |i| q + 1 + i);
                        col += chars(&b[q..close.min(b.len())]);
                        q = close + 1;
                        col += usize::from(close < b.len());
                        continue;
                    }
                    _ => {
                        at_start = false;
                        token_col = col;
                    }
                }
            } else {
                match c {
                    b':' if next_is_space && flow == 0 => {
                        push(&mut stack, token_col, false);
                        at_start = true;
                    }
                    b'#' if matches!(b[q - 1], b' ' | b'\t') => break,
                    b',' | b' ' if flow > 0 => at_start = true,
                    _ => {}
                }
            }
            q += 1;
            if c & 0xC0 != 0x80 {
                col += 1;
            }
        }
        let depth = stack.len() + scalar;
        deepest = deepest.max(depth);
        if depth > limit {
            return Err(Refused::TooDeep { limit, line: n + 1 });
        }
    }
    Ok(deepest)
}

fn is_space(b: Option<u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\t' | b'\r'))
}

fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b & 0xC0 != 0x80).count()
}

/// The deepest indentation stack tree-sitter-python's scanner can hold on `text`, as an
/// upper bound, or the line where it first exceeds `limit`.
///
/// The scanner pushes a line's indentation (a space counts 1, a tab 8, a form feed or a
/// carriage return starts again from 0, as the scanner counts) only when it is greater
/// than the top of its stack, so the stack is always a strictly increasing sequence of
/// indentations of lines in file order. In error recovery it may push on any line and
/// miss a dedent, so the bound is the longest strictly increasing sequence of line
/// indentations in the file, whatever lies between them: for real code, about the number
/// of distinct indentations.
pub(crate) fn python_depth(text: &str, limit: usize) -> Result<usize, Refused> {
    // tails[k]: the smallest last indentation of an increasing sequence of k + 1 lines.
    let mut tails: Vec<u16> = Vec::new();
    // A line of only blanks and a backslash continues into the next one: the scanner
    // keeps counting the indentation across it.
    let mut carried: u16 = 0;
    for (n, line) in text.split('\n').enumerate() {
        let mut indent = carried;
        carried = 0;
        let mut rest = None;
        for (i, c) in line.bytes().enumerate() {
            match c {
                b' ' => indent = indent.wrapping_add(1),
                b'\t' => indent = indent.wrapping_add(8),
                b'\r' | b'\x0c' => indent = 0,
                _ => {
                    rest = Some(&line.as_bytes()[i..]);
                    break;
                }
            }
        }
        let Some(rest) = rest else { continue };
        match rest {
            [b'#', ..] => continue,
            [b'\\'] | [b'\\', b'\r'] => {
                carried = indent;
                continue;
            }
            _ => {}
        }
        if indent == 0 {
            // The stack's root: never pushed, never serialized.
            continue;
        }
        let k = tails.partition_point(|t| *t < indent);
        if k == tails.len() {
            tails.push(indent);
            if tails.len() > limit {
                return Err(Refused::TooDeep { limit, line: n + 1 });
            }
        } else {
            tails[k] = indent;
        }
    }
    Ok(tails.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_maps(n: usize) -> String {
        (0..n).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect::<String>() + &"  ".repeat(n) + "v\n"
    }
    fn nested_seqs(n: usize) -> String {
        (0..n).map(|i| format!("{}-\n", "  ".repeat(i))).collect::<String>() + &"  ".repeat(n) + "x\n"
    }
    fn dashes(n: usize) -> String {
        "- ".repeat(n) + "x\n"
    }
    fn seq_of_maps(n: usize) -> String {
        (0..n).map(|i| format!("{}- k:\n", "    ".repeat(i))).collect::<String>()
            + &"    ".repeat(n)
            + "  v\n"
    }

    /// The measure equals the scanner's stack on the shapes of the issue: 254 entries is
    /// where tree-sitter-yaml 0.7.2 aborts (tried by hand: 254 nested mappings, sequences
    /// or compact dashes, or 127 levels of `- k:`).
    #[test]
    fn yaml_measure_counts_as_the_scanner() {
        for n in [1, 2, 10, 199, 253] {
            assert_eq!(yaml_depth(&nested_maps(n), usize::MAX), Ok(n));
            assert_eq!(yaml_depth(&nested_seqs(n), usize::MAX), Ok(n));
            assert_eq!(yaml_depth(&dashes(n), usize::MAX), Ok(n));
            assert_eq!(yaml_depth(&seq_of_maps(n), usize::MAX), Ok(2 * n));
        }
        assert_eq!(yaml_depth("a:\n- b\n- c\nd:\n- e\n", usize::MAX), Ok(2));
        assert_eq!(yaml_depth("a: {b: 1, c: [d, {e: f}]}\n", usize::MAX), Ok(1));
        assert_eq!(yaml_depth("\"a: b\": c # d: e\n", usize::MAX), Ok(1));
        assert_eq!(yaml_depth("a:\n  b: |\n    x\n", usize::MAX), Ok(3));
        assert_eq!(yaml_depth("- - a\n---\n- b\n", usize::MAX), Ok(2));
    }

    #[test]
    fn yaml_limit_and_line() {
        assert!(check(Language::Yaml, &nested_maps(YAML_MAX_DEPTH)).is_ok());
        let err = check(Language::Yaml, &nested_maps(YAML_MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(err, Refused::TooDeep { limit: YAML_MAX_DEPTH, line: YAML_MAX_DEPTH + 1 });
        assert_eq!(err.to_string(), format!("nesting deeper than {YAML_MAX_DEPTH} levels (line 201)"));
        assert!(check(Language::Yaml, &dashes(600)).is_err());
        assert!(check(Language::Yaml, &format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000))).is_ok());
    }

    /// Helm actions are masked before the measure, as before the parse.
    #[test]
    fn helm_is_measured_masked() {
        let deep = nested_maps(YAML_MAX_DEPTH + 1);
        let template = deep.replace("k0:", "k0: {{ .Values.x }}");
        assert!(check(Language::HelmTemplate, &template).is_err());
        let flat = "{{- range .Values.x }}\n".repeat(500) + "a: 1\n";
        assert!(check(Language::HelmTemplate, &flat).is_ok());
    }

    /// tree-sitter-yaml#49: a document of 32,769 lines parses as one ERROR (found on
    /// prometheus's 40,011-line `cmd/promtool/testdata/rules_large.yml`, which was reported
    /// as a syntax error). It is refused with its reason; 32,768 lines parse, and a stream
    /// of shorter documents is fine however long.
    #[test]
    fn yaml_documents_longer_than_the_scanner_counts_are_refused() {
        let lines = |n: usize| (0..n).map(|i| format!("k{i}: {i}\n")).collect::<String>();
        let fits = lines(YAML_MAX_LINES);
        assert_eq!(check(Language::Yaml, &fits), Ok(()));
        let tree = crate::parse(Language::Yaml, &fits).unwrap();
        assert!(!tree.root_node().has_error(), "the longest document the grammar parses");
        let long = lines(YAML_MAX_LINES + 1);
        let err = check(Language::Yaml, &long).unwrap_err();
        assert_eq!(err, Refused::TooLong { limit: YAML_MAX_LINES, line: 1 });
        assert!(err.to_string().contains("tree-sitter-yaml#49"), "{err}");
        // The refusal is the grammar's limit, not a guess: one line more is one ERROR.
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Language::Yaml.grammar()).unwrap();
        assert!(parser.parse(&long, None).unwrap().root_node().has_error());
        // The same line without its newline counts too.
        assert!(check(Language::Yaml, &format!("{}last: 1", lines(YAML_MAX_LINES))).is_err());
        // Per document: the third, from its marker on line 4, is the long one.
        let stream = format!("a: 1\n---\nb: 2\n---\n{long}");
        assert_eq!(check(Language::Yaml, &stream), Err(Refused::TooLong { limit: YAML_MAX_LINES, line: 4 }));
        // A document's marker line counts: the scanner's rows start at the marker.
        let at_limit = format!("a: 1\n---\n{}", lines(YAML_MAX_LINES - 1));
        assert_eq!(check(Language::Yaml, &at_limit), Ok(()));
        assert!(crate::yaml::parse_documents(&at_limit).iter().all(|t| !t.root_node().has_error()));
        let over = format!("a: 1\n---\n{}", lines(YAML_MAX_LINES));
        assert!(check(Language::Yaml, &over).is_err());
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Language::Yaml.grammar()).unwrap();
        let start = over.find("---").unwrap();
        let rows = over.matches('\n').count();
        let range = tree_sitter::Range {
            start_byte: start,
            end_byte: over.len(),
            start_point: tree_sitter::Point { row: 1, column: 0 },
            end_point: tree_sitter::Point { row: rows, column: 0 },
        };
        parser.set_included_ranges(&[range]).unwrap();
        assert!(parser.parse(&over, None).unwrap().root_node().has_error(), "one row more is an ERROR");
        let short_docs = format!("---\n{}", lines(1000)).repeat(40);
        assert_eq!(check(Language::Yaml, &short_docs), Ok(()));
        assert!(check(Language::HelmTemplate, &long).is_err());
    }

    /// How far real code is from the limits (docs/accuracy.md): the deepest file of each
    /// language under `DEBTCTL_GUARD_CORPUS`, a directory.
    #[test]
    #[ignore = "reads a corpus named by DEBTCTL_GUARD_CORPUS"]
    fn deepest_files_of_a_corpus() {
        let Some(root) = std::env::var_os("DEBTCTL_GUARD_CORPUS") else { return };
        let mut dirs = vec![std::path::PathBuf::from(root)];
        let mut deepest: std::collections::BTreeMap<&str, (usize, String, usize)> = Default::default();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if entry.file_type().unwrap().is_dir() {
                    dirs.push(path);
                    continue;
                }
                let Some(lang) = Language::from_path(&path) else { continue };
                let Ok(text) = std::fs::read_to_string(&path) else { continue };
                let lang = if lang == Language::Yaml && path.to_string_lossy().contains("/templates/") {
                    Language::HelmTemplate
                } else {
                    lang
                };
                let name = match lang {
                    Language::Python => "python",
                    Language::Yaml => "yaml",
                    Language::HelmTemplate => "helm",
                    _ => continue,
                };
                let d = depth(lang, &text);
                let e = deepest.entry(name).or_insert((0, String::new(), 0));
                e.2 += 1;
                if d > e.0 {
                    *e = (d, path.display().to_string(), e.2);
                }
            }
        }
        for (lang, (d, path, files)) in deepest {
            println!("{lang}: {files} files, deepest {d} in {path}");
        }
    }

    #[test]
    fn python_measure_is_the_longest_increasing_indentation() {
        let nested = |n: usize| {
            (0..n).map(|i| format!("{}if x:\n", " ".repeat(i))).collect::<String>()
                + &" ".repeat(n)
                + "pass\n"
        };
        assert_eq!(python_depth(&nested(1), usize::MAX), Ok(1));
        assert_eq!(python_depth(&nested(300), usize::MAX), Ok(300));
        assert_eq!(python_depth("def f():\n    if x:\n        y\n    z\n# c\n\n", usize::MAX), Ok(2));
        assert_eq!(python_depth("if x:\n\tif y:\n\t\tz\n", usize::MAX), Ok(2));
        assert_eq!(python_depth("    \\\n    x\n", usize::MAX), Ok(1));
        assert!(check(Language::Python, &nested(PYTHON_MAX_DEPTH)).is_ok());
        assert_eq!(
            check(Language::Python, &nested(PYTHON_MAX_DEPTH + 1)),
            Err(Refused::TooDeep { limit: PYTHON_MAX_DEPTH, line: PYTHON_MAX_DEPTH + 2 })
        );
    }
}
