//! Applying fixes without breaking code, as ruff does and more: edits never overlap (a fix
//! that conflicts with one already taken waits for the next round), rounds repeat until
//! nothing changes (at most [`MAX_ROUNDS`]), and a round whose result parses with more
//! ERROR or MISSING nodes than the original is undone fix by fix, so a broken fix is
//! dropped and never written.

use debtctl_diagnostics::{Applicability, Edit, Fix};
use debtctl_syntax::{parse, Language};
use std::collections::{BTreeMap, HashSet};

pub const MAX_ROUNDS: usize = 10;

/// What fixing one file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixOutcome {
    /// The fixed text (equal to the input when nothing applied).
    pub source: String,
    /// Fixes applied, by rule ID.
    pub applied: BTreeMap<&'static str, u32>,
    /// Fixes dropped because their result did not parse, by rule ID.
    pub rejected: BTreeMap<&'static str, u32>,
}

/// Fixes `source` in rounds. `lint` checks a text and returns the fixes its findings
/// offer (rule ID and fix); only fixes at or above `min` are applied.
pub fn fix_source(
    lang: Language,
    source: &str,
    min: Applicability,
    mut lint: impl FnMut(&str) -> Vec<(&'static str, Fix)>,
) -> FixOutcome {
    let baseline = error_count(lang, source);
    let mut out = FixOutcome { source: source.to_string(), ..FixOutcome::default() };
    // A fix that broke the code once is not tried again in a later round.
    let mut broken: HashSet<(&'static str, Vec<Edit>)> = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        let mut fixes: Vec<(&'static str, Fix)> = lint(&out.source)
            .into_iter()
            .filter(|(rule, f)| {
                f.applicability >= min && !f.edits.is_empty() && !broken.contains(&(*rule, f.edits.clone()))
            })
            .collect();
        fixes.sort_by_key(|(_, f)| f.edits.iter().map(|e| e.range.start).min());
        let mut taken: Vec<Edit> = Vec::new();
        let mut round: Vec<(&'static str, Fix)> = Vec::new();
        for (rule, fix) in fixes {
            if fix.edits.iter().any(|e| taken.iter().any(|t| conflicts(e, t))) {
                continue;
            }
            taken.extend(fix.edits.iter().cloned());
            round.push((rule, fix));
        }
        if round.is_empty() {
            break;
        }
        let newline = newline_of(&out.source);
        let all = apply_edits(&out.source, &taken, newline);
        if error_count(lang, &all) <= baseline {
            for (rule, _) in &round {
                *out.applied.entry(rule).or_default() += 1;
            }
            out.source = all;
            continue;
        }
        // Something in this round broke the code: keep the fixes that do not, one by one.
        let mut current = out.source.clone();
        let mut any = false;
        for (rule, fix) in round {
            // Offsets were computed on the text before the round; applying fixes one by one
            // would shift them, so each is tried on that text and only the first good one
            // is kept; the rest come back, re-linted, in the next round.
            let alone = apply_edits(&out.source, &fix.edits, newline);
            if !any && error_count(lang, &alone) <= baseline {
                current = alone;
                any = true;
                *out.applied.entry(rule).or_default() += 1;
            } else if error_count(lang, &alone) > baseline {
                *out.rejected.entry(rule).or_default() += 1;
                broken.insert((rule, fix.edits.clone()));
            }
        }
        out.source = current;
        if !any && broken.is_empty() {
            break;
        }
    }
    out
}

/// Two edits conflict when their ranges overlap or touch: two insertions at one point
/// would come out in an order nobody chose.
fn conflicts(a: &Edit, b: &Edit) -> bool {
    a.range.start <= b.range.end && b.range.start <= a.range.end
}

/// `"\r\n"` when the text's first line ends so, else `"\n"`.
pub fn newline_of(source: &str) -> &'static str {
    match source.find('\n') {
        Some(i) if i > 0 && source.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Applies non-overlapping edits; `\n` in inserted text becomes the file's own newline.
pub fn apply_edits(source: &str, edits: &[Edit], newline: &str) -> String {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(source.len() + 64);
    let mut at = 0;
    for e in edits {
        debug_assert!(e.range.start >= at, "edits overlap");
        out.push_str(&source[at..e.range.start]);
        if newline == "\n" {
            out.push_str(&e.content);
        } else {
            out.push_str(&e.content.replace("\r\n", "\n").replace('\n', newline));
        }
        at = e.range.end;
    }
    out.push_str(&source[at..]);
    out
}

/// ERROR and MISSING nodes in a parse of `source`; `usize::MAX` when it cannot be parsed
/// safely at all ([`debtctl_syntax::guard`]), so that a fix making a file too deep is
/// dropped.
pub fn error_count(lang: Language, source: &str) -> usize {
    if debtctl_syntax::guard::check(lang, source).is_err() {
        return usize::MAX;
    }
    let Some(tree) = parse(lang, source) else { return 0 };
    if !tree.root_node().has_error() {
        return 0;
    }
    let mut count = 0;
    crate::walk::walk(tree.root_node(), |n, _| {
        if n.is_error() || n.is_missing() {
            count += 1;
        }
    });
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(start: usize, end: usize, content: &str) -> Fix {
        Fix {
            applicability: Applicability::Safe,
            title: "t".into(),
            edits: vec![Edit::replace(start, end, content)],
        }
    }

    #[test]
    fn conflicting_fixes_wait_for_the_next_round() {
        // Two fixes insert at the same point: one per round, both applied in the end.
        let src = "x = 1\n";
        let mut calls = 0;
        let out = fix_source(Language::Python, src, Applicability::Safe, |text| {
            calls += 1;
            let mut v = vec![];
            if !text.contains("# a") {
                v.push(("r/a", fix(5, 5, "  # a")));
            }
            if !text.contains("# b") {
                v.push(("r/b", fix(5, 5, "  # b")));
            }
            v
        });
        assert!(out.source.contains("# a") && out.source.contains("# b"), "{}", out.source);
        assert_eq!(out.applied.values().sum::<u32>(), 2);
        assert_eq!(calls, 3);
    }

    #[test]
    fn a_fix_that_breaks_the_parse_is_dropped() {
        let src = "def f():\n    return 1\n";
        let out = fix_source(Language::Python, src, Applicability::Safe, |text| {
            if text.contains("2") {
                vec![]
            } else {
                vec![("r/bad", fix(0, 3, "de(")), ("r/good", fix(20, 21, "2"))]
            }
        });
        assert_eq!(out.source, "def f():\n    return 2\n");
        assert_eq!(out.rejected.get("r/bad"), Some(&1));
        assert_eq!(out.applied.get("r/good"), Some(&1));
    }

    #[test]
    fn unsafe_fixes_need_unsafe() {
        let src = "x = 1\n";
        let out = fix_source(Language::Python, src, Applicability::Safe, |_| {
            vec![("r/u", Fix { applicability: Applicability::Unsafe, ..fix(0, 1, "y") })]
        });
        assert_eq!(out.source, src);
        assert!(out.applied.is_empty());
    }

    #[test]
    fn rounds_are_bounded() {
        let out = fix_source(Language::Python, "x = 1\n", Applicability::Safe, |text| {
            vec![("r/grow", fix(text.len() - 1, text.len() - 1, " "))]
        });
        assert_eq!(out.applied["r/grow"], MAX_ROUNDS as u32);
    }

    #[test]
    fn inserted_newlines_follow_the_file() {
        let edits = [Edit::insert(7, "a\nb\n")];
        assert_eq!(apply_edits("x = 1\r\ny\r\n", &edits, "\r\n"), "x = 1\r\na\r\nb\r\ny\r\n");
        assert_eq!(newline_of("a\r\nb"), "\r\n");
        assert_eq!(newline_of("a\nb"), "\n");
    }
}
