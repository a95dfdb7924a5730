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
