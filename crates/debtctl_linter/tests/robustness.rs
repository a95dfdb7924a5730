//! No input makes the per-file pipeline panic or hang: arbitrary text in every language,
//! and 10,000 levels of nesting in the places where rules look deepest. Case counts are
//! fixed so that the test is bounded in time in CI.

use debtctl_linter::{check_source, Language, LinterSettings, RuleSet};
use proptest::prelude::*;

const LANGS: [Language; 4] = [Language::Python, Language::Go, Language::Yaml, Language::HelmTemplate];

fn check_all(source: &str) {
    for lang in LANGS {
        let result = check_source("fuzz", lang, source, RuleSet::all(), &LinterSettings::default());
        for f in &result.findings {
            assert!(f.line >= 1 && f.column >= 1 && f.end_line >= f.line);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,400}") {
        check_all(&source);
    }

    #[test]
    fn code_like_text_never_panics(
        source in proptest::collection::vec(
            prop_oneof![
                Just("def f(a=[], *, b={}):\n"), Just("    try:\n"), Just("    except Exception:\n"),
                Just("        pass\n"), Just("raise X() \n"), Just("f = open(p)\n"), Just("lib = ctypes.CDLL(None)\n"),
                Just("p = lib.malloc(3)\n"), Just("# TODO(AB-1): x\n"), Just("# debtctl: ignore[py/x]\n"),
                Just("func f() {\n"), Just("}\n"), Just("x := y\n"), Just("// TODO: x\n"), Just("package p\n"),
                Just("kind: Deployment\n"), Just("  containers:\n"), Just("  - name: a\n"), Just("{{- if .X }}\n"),
                Just("---\n"), Just("\t"), Just("\"\"\"\n"), Just("`\n"), Just("(\n"), Just("]\n"), Just("é"),
            ],
            0..60,
        )
    ) {
        check_all(&source.concat());
    }

    #[test]
    fn arbitrary_bytes_decoded_lossily_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_all(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn ten_thousand_nested_brackets() {
    let n = 10_000;
    let deep = |open: &str, close: &str, inner: &str| format!("{}{inner}{}", open.repeat(n), close.repeat(n));
    let cases = [
        format!("x = {}\n", deep("[", "]", "1")),
        format!("def f(a={}):\n    pass\n", deep("(", ")", "[]")),
        format!("try:\n    pass\nexcept {}:\n    pass\n", deep("(", ")", "Exception")),
        format!("x = a{}()\n", ".b".repeat(n)),
        format!("try:\n    pass\nexcept E:\n    raise {}\n", deep("(", ")", "X()")),
        format!("package p\nvar x = {}\n", deep("(", ")", "1")),
        format!("package p\nfunc f() {{ {} }}\n", "{".repeat(n)),
        format!("a: {}\n", deep("[", "]", "1")),
        format!("a: {}\n", deep("{x: ", "}", "1")),
        "  ".repeat(n) + "- x\n",
    ];
    for case in &cases {
        check_all(case);
    }
}

// Regression tests for issue 17: a YAML file about 256 levels deep (or deep Python with an
// f-string open) made tree-sitter's serialization of the grammar's scanner state overflow
// its 1,024-byte buffer, and the assertion aborted the process. These run the per-file
// pipeline in the test process itself: an abort fails the whole test run.

use debtctl_syntax::guard::{self, PYTHON_MAX_DEPTH, YAML_MAX_DEPTH};

/// One level of block nesting in the shapes a user meets. Each file opens with a `TODO`
/// comment, so that a parse shows in the findings.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Mappings,
    Sequences,
    CompactDashes,
    SequenceOfMappings,
    ExplicitKeys,
    Mixed,
    /// Flow collections push nothing on the scanner's stack: never skipped.
    Flow,
    /// A Helm template, with actions around every level.
    Helm,
}

const SHAPES: [Shape; 8] = [
    Shape::Mappings,
    Shape::Sequences,
    Shape::CompactDashes,
    Shape::SequenceOfMappings,
    Shape::ExplicitKeys,
    Shape::Mixed,
    Shape::Flow,
    Shape::Helm,
];

const MARKER: &str = "# TODO: marker\n";

fn nested_yaml(shape: Shape, depth: usize) -> String {
    let ind = |i: usize| "  ".repeat(i);
    let mut out = MARKER.to_string();
    match shape {
        Shape::Mappings => (0..depth).for_each(|i| out += &format!("{}k{i}:\n", ind(i))),
        Shape::Sequences => (0..depth).for_each(|i| out += &format!("{}-\n", ind(i))),
        Shape::CompactDashes => out += &format!("{}x\n", "- ".repeat(depth)),
        Shape::SequenceOfMappings => (0..depth).for_each(|i| out += &format!("{}- k:\n", ind(2 * i))),
        Shape::ExplicitKeys => (0..depth).for_each(|i| out += &format!("{}? k\n{}:\n", ind(i), ind(i))),
        Shape::Mixed => (0..depth).for_each(|i| {
            out += &match i % 3 {
                0 => format!("{}k:\n", ind(i)),
                1 => format!("{}-\n", ind(i)),
                _ => format!("{}- - k:\n", ind(i)),
            }
        }),
        Shape::Flow => out += &format!("a: {}x{}\n", "[{k: ".repeat(depth), "}]".repeat(depth)),
        Shape::Helm => (0..depth).for_each(|i| {
            out += &format!("{}{{{{- if .Values.x{i} }}}}\n{}k{i}: {{{{ .Values.y }}}}\n", ind(i), ind(i))
        }),
    }
    out
}

fn nested_python(depth: usize, tabs: bool, fstring: bool) -> String {
    let ind = |i: usize| if tabs { "\t".repeat(i) } else { " ".repeat(i) };
    let mut out: String = MARKER.to_string();
    out.extend((0..depth).map(|i| format!("{}if x:\n", ind(i))));
    let bottom = if fstring { "y = f\"{f'{x}'}\"" } else { "pass" };
    out += &format!("{}{bottom}\n", ind(depth));
    out
}

fn lang_of(shape: Shape) -> Language {
    if matches!(shape, Shape::Helm) {
        Language::HelmTemplate
    } else {
        Language::Yaml
    }
}

/// Checks `source` and says whether it was parsed (the marker `TODO` found). A file the
/// guard refuses is never parsed; for valid YAML and Python, one it accepts always is.
fn parsed(lang: Language, source: &str, valid: bool) -> bool {
    let result = check_source("deep", lang, source, RuleSet::all(), &LinterSettings::default());
    let found = result.findings.iter().any(|f| f.rule == "debt/todo" && f.line == 1);
    let admitted = guard::check(lang, source).is_ok();
    assert!(admitted || found == admitted, "a file the guard refuses is not parsed");
    if valid {
        assert_eq!(found, admitted, "the guard decides what is parsed");
    }
    found
}

fn valid(shape: Shape) -> bool {
    !matches!(shape, Shape::Mixed | Shape::ExplicitKeys)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn nested_yaml_never_aborts(shape in proptest::sample::select(&SHAPES[..]), depth in 1usize..5_000) {
        parsed(lang_of(shape), &nested_yaml(shape, depth), valid(shape));
    }

    #[test]
    fn deep_python_never_aborts(depth in 1usize..5_000, tabs: bool, fstring: bool) {
        let ok = parsed(Language::Python, &nested_python(depth, tabs, fstring), true);
        prop_assert_eq!(ok, depth <= PYTHON_MAX_DEPTH);
    }

    /// Lines of random indentation and indicators, valid YAML or not, long enough to
    /// reach the scanner's limit through its error recovery.
    #[test]
    fn random_block_structure_never_aborts(
        lines in proptest::collection::vec(
            (0usize..300, proptest::collection::vec(
                proptest::sample::select(&["- ", "? ", ": ", "k: ", "\"q\": ", "[", "]", "{", "}", "| ", "x", " #c", "&a ", "'s' "][..]),
                0..6,
            )),
            0..600,
        )
    ) {
        let text: String = lines.iter().map(|(indent, tokens)| format!("{}{}\n", " ".repeat(*indent), tokens.concat())).collect();
        for lang in [Language::Yaml, Language::HelmTemplate] {
            parsed(lang, &text, false);
        }
    }

    /// A staircase of random levels around the limit: every level one of the shapes.
    #[test]
    fn mixed_staircases_never_abort(levels in proptest::collection::vec(0u8..6, 90..300)) {
        let mut text = MARKER.to_string();
        let mut col = 0;
        for level in &levels {
            let pad = " ".repeat(col);
            let (line, step) = match level {
                0 => (format!("{pad}k:\n"), 2),
                1 => (format!("{pad}-\n"), 2),
                2 => (format!("{pad}- - k:\n"), 6),
                3 => (format!("{pad}? k\n{pad}:\n"), 2),
                4 => (format!("{pad}k: [a, {{b: c}}]\n{pad}l:\n"), 2),
                _ => (format!("{pad}- k: v\n{pad}  l:\n"), 4),
            };
            text += &line;
            col += step;
        }
        text += &format!("{}x\n", " ".repeat(col));
        parsed(Language::Yaml, &text, true);
        parsed(Language::HelmTemplate, &text, true);
    }
}

/// The limits hold with room to spare: right up to them, every shape is parsed in this
/// process; just past them, it is skipped.
#[test]
fn depths_around_the_limits() {
    let half = YAML_MAX_DEPTH / 2;
    for shape in SHAPES {
        let lang = lang_of(shape);
        for depth in (half - 3..=half + 3).chain(YAML_MAX_DEPTH - 3..=YAML_MAX_DEPTH + 3) {
            let ok = parsed(lang, &nested_yaml(shape, depth), valid(shape));
            match shape {
                Shape::Flow => assert!(ok, "flow collections are never too deep"),
                // Two entries of the scanner's stack per level.
                Shape::SequenceOfMappings => assert_eq!(ok, depth <= half, "{shape:?} at {depth}"),
                Shape::Mixed | Shape::ExplicitKeys => {}
                _ => assert_eq!(ok, depth <= YAML_MAX_DEPTH, "{shape:?} at {depth}"),
            }
        }
    }
    for depth in PYTHON_MAX_DEPTH - 3..=PYTHON_MAX_DEPTH + 3 {
        for (tabs, fstring) in [(false, false), (false, true), (true, true)] {
            let ok = parsed(Language::Python, &nested_python(depth, tabs, fstring), true);
            assert_eq!(ok, depth <= PYTHON_MAX_DEPTH);
        }
    }
}

/// The scanner itself holds 253 entries: parsed here without the guard, right below the
/// overflow at 254 that the issue hit, so the limits keep a real margin.
#[test]
fn the_scanners_hold_up_to_their_buffer() {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&Language::Yaml.grammar()).unwrap();
    for depth in [YAML_MAX_DEPTH, 253] {
        for shape in [Shape::Mappings, Shape::Sequences, Shape::CompactDashes] {
            let tree = parser.parse(nested_yaml(shape, depth), None).unwrap();
            assert!(!tree.root_node().has_error(), "{shape:?} at {depth}");
        }
    }
    parser.set_language(&Language::Python.grammar()).unwrap();
    // With one f-string open the overflow comes at 511 entries; 383 is the worst case.
    for depth in [PYTHON_MAX_DEPTH, 383, 510] {
        let tree = parser.parse(nested_python(depth, false, true), None).unwrap();
        assert!(!tree.root_node().has_error(), "python at {depth}");
    }
}
