//! The comparison itself, as pure functions over two lists of findings: which findings of
//! the head are new, which were already in the base, and which of the base are gone.
//!
//! Findings are matched by fingerprint as multisets: a fingerprint the base holds twice
//! and the head three times is one new finding. The fingerprint holds no line number, so
//! inserted lines and reformatting do not make a finding new. A second pass matches what
//! is left by the finding's own code (rule, message and source text with white space
//! folded away, path left out): debt moved from one function or file to another is
//! neither new nor fixed.

use debtctl_diagnostics::{Finding, Severity};
use std::collections::HashMap;

/// Which side of the comparison a finding belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Base,
    Head,
}

/// The head's findings split into new and unchanged, and the base's findings that the
/// head no longer has. Each list keeps the order it was given in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    pub new: Vec<Finding>,
    pub unchanged: Vec<Finding>,
    pub fixed: Vec<Finding>,
}

/// Compares by fingerprint only.
pub fn compare(base: &[Finding], head: &[Finding]) -> Comparison {
    compare_with(base, head, |_, _| None)
}

/// Compares by fingerprint, then matches what is left over by `moved_key` (a key that
/// does not depend on where the finding is, or `None` when there is none): an unmatched
/// head finding and an unmatched base finding with the same key are one finding that
/// moved.
pub fn compare_with(
    base: &[Finding],
    head: &[Finding],
    moved_key: impl Fn(Side, &Finding) -> Option<String>,
) -> Comparison {
    let mut base_left: HashMap<&str, usize> = HashMap::new();
    for f in base {
        *base_left.entry(f.fingerprint.as_str()).or_default() += 1;
    }
    let mut head_left: HashMap<&str, usize> = HashMap::new();
    for f in head {
        *head_left.entry(f.fingerprint.as_str()).or_default() += 1;
    }
    // A fingerprint's matches are the first min(base, head) occurrences on either side.
    let take = |left: &mut HashMap<&str, usize>, fp: &str| match left.get_mut(fp) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    };
    let mut head_unmatched = Vec::new();
    let mut head_matched = vec![false; head.len()];
    for (i, f) in head.iter().enumerate() {
        if take(&mut base_left, &f.fingerprint) {
            head_matched[i] = true;
        } else {
            head_unmatched.push(i);
        }
    }
    let mut base_unmatched = Vec::new();
    for (i, f) in base.iter().enumerate() {
        if !take(&mut head_left, &f.fingerprint) {
            base_unmatched.push(i);
        }
    }

    // Second pass: moved debt, by a key without the path.
    let mut fixed_matched = vec![false; base.len()];
    if !head_unmatched.is_empty() && !base_unmatched.is_empty() {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for &i in base_unmatched.iter().rev() {
            if let Some(k) = moved_key(Side::Base, &base[i]) {
                by_key.entry(k).or_default().push(i);
            }
        }
        for &i in &head_unmatched {
            let Some(k) = moved_key(Side::Head, &head[i]) else { continue };
            if let Some(j) = by_key.get_mut(&k).and_then(Vec::pop) {
                head_matched[i] = true;
                fixed_matched[j] = true;
            }
        }
    }

    let mut out = Comparison::default();
    for (f, matched) in head.iter().zip(&head_matched) {
        if *matched {
            out.unchanged.push(f.clone());
        } else {
            out.new.push(f.clone());
        }
    }
    out.fixed = base_unmatched.into_iter().filter(|&i| !fixed_matched[i]).map(|i| base[i].clone()).collect();
    out
}

/// When the gate fails: a new finding at or above `fail_on` fails it, unless all such
/// findings together stay within `budget_minutes` of debt. New findings below `fail_on`
/// are reported and never fail it, whatever their debt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// A new finding of this severity or above fails the gate.
    pub fail_on: Severity,
    /// Minutes of new debt at or above `fail_on` that may pass.
    pub budget_minutes: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { fail_on: Severity::Warning, budget_minutes: 0 }
    }
}

/// The gate's decision and the numbers behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub passed: bool,
    /// New findings at or above the failing severity.
    pub blocking: usize,
    /// Minutes of the blocking findings: what the budget is weighed against.
    pub blocking_debt_minutes: u64,
    /// Minutes of the new findings.
    pub new_debt_minutes: u64,
    /// Minutes of the fixed findings.
    pub fixed_debt_minutes: u64,
    /// New minus fixed.
    pub delta_minutes: i64,
    /// Why it failed, one sentence each; empty when it passed.
    pub reasons: Vec<String>,
}

impl Comparison {
    pub fn verdict(&self, policy: &Policy) -> Verdict {
        let minutes =
            |fs: &mut dyn Iterator<Item = &Finding>| fs.map(|f| u64::from(f.debt_minutes)).sum::<u64>();
        let new_debt_minutes = minutes(&mut self.new.iter());
        let fixed_debt_minutes = minutes(&mut self.fixed.iter());
        let is_blocking = |f: &&Finding| f.severity >= policy.fail_on;
        let blocking = self.new.iter().filter(is_blocking).count();
        let blocking_debt_minutes = minutes(&mut self.new.iter().filter(is_blocking));
        let mut reasons = Vec::new();
        if blocking > 0 && blocking_debt_minutes > policy.budget_minutes {
            let s = if blocking == 1 { "" } else { "s" };
            reasons.push(format!(
                "{blocking} new finding{s} at or above {}: {blocking_debt_minutes} min of debt, over the budget of {} min",
                policy.fail_on, policy.budget_minutes
            ));
        }
        Verdict {
            passed: reasons.is_empty(),
            blocking,
            blocking_debt_minutes,
            new_debt_minutes,
            fixed_debt_minutes,
            delta_minutes: new_debt_minutes as i64 - fixed_debt_minutes as i64,
            reasons,
        }
    }
}

/// The code of a finding as a key for [`compare_with`]: rule, message and the source text
/// of its range, folded as a formatter would not care: no white space, one kind of quote,
/// no trailing comma before a closing bracket (black and gofmt reformatting). `None` when
/// the range is not in `source`.
pub fn code_key(f: &Finding, source: &str) -> Option<String> {
    let text = range_text(source, f.line, f.column, f.end_line, f.end_column)?;
    let code = fold(text);
    if code.is_empty() {
        return None;
    }
    Some(format!("{}\0{}\0{}", f.rule, fold(&f.message), code))
}

fn fold(text: &str) -> String {
    let chars: Vec<char> =
        text.chars().filter(|c| !c.is_whitespace()).map(|c| if c == '\'' { '"' } else { c }).collect();
    let mut out = String::with_capacity(chars.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == ',' && matches!(chars.get(i + 1), Some(')' | ']' | '}')) {
            continue;
        }
        out.push(*c);
    }
    out
}

/// The text between two 1-based (line, code point column) positions.
fn range_text(source: &str, line: u32, column: u32, end_line: u32, end_column: u32) -> Option<&str> {
    let offset = |l: u32, c: u32| -> Option<usize> {
        let start =
            if l == 1 { 0 } else { source.match_indices('\n').nth(l as usize - 2).map(|(i, _)| i + 1)? };
        let rest = &source[start..];
        let within = rest.char_indices().nth(c as usize - 1).map_or(rest.len(), |(i, _)| i);
        Some(start + within)
    };
    if line == 0 || column == 0 || end_line == 0 || end_column == 0 {
        return None;
    }
    let (a, b) = (offset(line, column)?, offset(end_line, end_column)?);
    source.get(a..b.max(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, path: &str, line: u32, fp: &str, severity: Severity, minutes: u32) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity,
            path: path.to_string(),
            line,
            column: 1,
            end_line: line,
            end_column: 5,
            message: format!("{rule} here"),
            debt_minutes: minutes,
            fingerprint: fp.to_string(),
            ticket: None,
            fix: None,
        }
    }

    fn fps(fs: &[Finding]) -> Vec<&str> {
        fs.iter().map(|f| f.fingerprint.as_str()).collect()
    }

    #[test]
    fn new_is_what_the_base_does_not_have_and_fixed_what_the_head_lost() {
        let w = Severity::Warning;
        let base = [finding("go/a", "a.go", 3, "1", w, 5), finding("go/b", "a.go", 9, "2", w, 10)];
        // Lines were inserted above: same fingerprints, other lines.
        let head = [finding("go/a", "a.go", 13, "1", w, 5), finding("go/c", "a.go", 20, "3", w, 15)];
        let c = compare(&base, &head);
        assert_eq!(fps(&c.new), ["3"]);
        assert_eq!(fps(&c.unchanged), ["1"]);
        assert_eq!(fps(&c.fixed), ["2"]);
        let v = c.verdict(&Policy::default());
        assert!(!v.passed);
        assert_eq!((v.blocking, v.new_debt_minutes, v.fixed_debt_minutes, v.delta_minutes), (1, 15, 10, 5));
    }

    #[test]
    fn fingerprints_are_counted_as_a_multiset() {
        let w = Severity::Warning;
        let base = [finding("go/a", "a.go", 1, "1", w, 5), finding("go/a", "a.go", 2, "1", w, 5)];
        let head = [
            finding("go/a", "a.go", 1, "1", w, 5),
            finding("go/a", "a.go", 2, "1", w, 5),
            finding("go/a", "a.go", 3, "1", w, 5),
        ];
        let c = compare(&base, &head);
        assert_eq!((c.new.len(), c.unchanged.len(), c.fixed.len()), (1, 2, 0));
        assert_eq!(c.new[0].line, 3);
        let c = compare(&head, &base);
        assert_eq!((c.new.len(), c.unchanged.len(), c.fixed.len()), (0, 2, 1));
    }

    #[test]
    fn moved_debt_is_matched_by_its_code_when_keys_agree() {
        let w = Severity::Warning;
        let base = [finding("go/a", "old.go", 4, "1", w, 5)];
        let head = [finding("go/a", "new.go", 8, "9", w, 5)];
        assert_eq!(compare(&base, &head).new.len(), 1);
        let c = compare_with(&base, &head, |_, f| Some(f.rule.clone()));
        assert!(c.new.is_empty() && c.fixed.is_empty());
        assert_eq!(fps(&c.unchanged), ["9"]);
    }

    /// Issue 16: a new TODO (info, 30 min) failed `--fail-on error` through the budget
    /// ("new debt of 30 min is over the budget of 0 min"). Findings below `--fail-on`
    /// never fail the gate; the budget weighs only those at or above it.
    #[test]
    fn the_policy_weighs_severity_and_budget() {
        let info = [finding("debt/todo", "a.py", 1, "1", Severity::Info, 30)];
        let c = compare(&[], &info);
        for fail_on in [Severity::Warning, Severity::Error] {
            let v = c.verdict(&Policy { fail_on, budget_minutes: 0 });
            assert!(v.passed, "{v:?}");
            assert_eq!((v.blocking, v.blocking_debt_minutes, v.new_debt_minutes), (0, 0, 30));
        }
        let v = c.verdict(&Policy { fail_on: Severity::Info, budget_minutes: 0 });
        assert!(!v.passed);
        assert_eq!(v.reasons, ["1 new finding at or above info: 30 min of debt, over the budget of 0 min"]);
        assert!(c.verdict(&Policy { fail_on: Severity::Info, budget_minutes: 30 }).passed);
        let v = c.verdict(&Policy { fail_on: Severity::Info, budget_minutes: 29 });
        assert_eq!(v.reasons, ["1 new finding at or above info: 30 min of debt, over the budget of 29 min"]);
        assert!(compare(&info, &info).verdict(&Policy { fail_on: Severity::Info, budget_minutes: 0 }).passed);

        // The budget counts only the findings at or above `fail_on`.
        let w = Severity::Warning;
        let mixed =
            [info[0].clone(), finding("go/a", "a.go", 2, "2", w, 10), finding("go/b", "a.go", 3, "3", w, 5)];
        let c = compare(&[], &mixed);
        let v = c.verdict(&Policy { fail_on: w, budget_minutes: 15 });
        assert!(v.passed, "{v:?}");
        assert_eq!((v.blocking, v.blocking_debt_minutes, v.new_debt_minutes), (2, 15, 45));
        // A rule whose debt is set to 0 minutes adds nothing to weigh: the contract is
        // "whose debt exceeds --budget" (cli.md).
        let free = [finding("go/a", "a.go", 2, "2", w, 0)];
        assert!(compare(&[], &free).verdict(&Policy { fail_on: w, budget_minutes: 0 }).passed);
        let v = c.verdict(&Policy { fail_on: w, budget_minutes: 14 });
        assert_eq!(
            v.reasons,
            ["2 new findings at or above warning: 15 min of debt, over the budget of 14 min"]
        );
    }

    #[test]
    fn code_keys_read_the_range_in_code_points_and_fold_white_space() {
        let mut f = finding("py/x", "a.py", 2, "1", Severity::Warning, 1);
        (f.column, f.end_line, f.end_column) = (3, 3, 4);
        let a = code_key(&f, "x = 1\né f(a,\n  b)\n").unwrap();
        (f.line, f.column, f.end_line, f.end_column) = (1, 1, 1, 8);
        let b = code_key(&f, "f( a, b)\n").unwrap();
        assert_eq!(a, b);
        f.line = 9;
        assert_eq!(code_key(&f, "x\n"), None);
        // Quotes and trailing commas as black would change them.
        (f.line, f.column, f.end_line, f.end_column) = (1, 1, 1, 14);
        let single = code_key(&f, "g('a', 'b',)\n").unwrap();
        (f.end_column) = 12;
        assert_eq!(code_key(&f, "g(\"a\", \"b\")\n").unwrap(), single);
    }
}
