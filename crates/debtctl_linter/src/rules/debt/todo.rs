//! `debt/todo`: a TODO, FIXME, HACK or XXX marker in a comment, with its ticket key.

use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::TextRange;
use regex::Regex;
use std::sync::LazyLock;

static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(TODO|FIXME|HACK|XXX)\b").expect("valid regex"));

/// Checks one comment, whose text starts at byte `start` of the file. One finding per
/// line of the comment that holds a marker, at the first marker of that line.
pub(crate) fn check(checker: &mut Checker<'_>, comment: &str, start: usize) {
    if !comment.contains(['T', 'F', 'H', 'X']) {
        return;
    }
    let mut line_start = 0;
    for line in comment.split_inclusive('\n') {
        if let Some(m) = MARKER.find(line) {
            let mut rest = &line[m.end()..];
            // `TODO(owner)`: the owner is part of the marker.
            let mut marker = m.as_str().to_string();
            if let Some(inner) = rest.strip_prefix('(') {
                if let Some(close) = inner.find(')').filter(|c| *c <= 40) {
                    marker.push_str(&rest[..close + 2]);
                    rest = &inner[close + 1..];
                }
            }
            let rest = rest.trim_start_matches([':', ' ', '\t', '-']);
            let rest = rest.trim_end().trim_end_matches("*/").trim_end();
            // The settings' ticket patterns (`ticket-patterns`), first key of the line.
            let ticket = checker.tickets.first(line);
            let mut message = format!("unresolved `{marker}`");
            let note = truncate(rest, 80);
            if !note.is_empty() {
                message.push_str(": ");
                message.push_str(&note);
            }
            let at = start + line_start + m.start();
            let diag = checker.report(Rule::DebtTodo, TextRange::new(at, at + m.len()), message);
            diag.ticket = ticket;
        }
        line_start += line.len();
    }
}

fn truncate(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use crate::{check_source, Language, LinterSettings, Rule, RuleSet, TicketPatterns};

    /// Issue 16: `ticket-patterns` decide which ticket a finding carries, and being part
    /// of the settings, they are part of the result caches' key.
    #[test]
    fn the_settings_ticket_patterns_decide_the_ticket() {
        let src = "# TODO(#12): retry, see PAY-3\nx = 1  # FIXME: UTF-8 only\n";
        let rules: RuleSet = [Rule::DebtTodo].into_iter().collect();
        let tickets = |s: &LinterSettings| -> Vec<Option<String>> {
            check_source("a.py", Language::Python, src, rules, s)
                .findings
                .into_iter()
                .map(|f| f.ticket)
                .collect()
        };
        assert_eq!(tickets(&LinterSettings::default()), [Some("PAY-3".to_string()), None]);
        let github = LinterSettings {
            tickets: TicketPatterns::new(&["#(?P<number>[0-9]+)".to_string()]).unwrap(),
            ..LinterSettings::default()
        };
        assert_eq!(tickets(&github), [Some("#12".to_string()), None]);
        assert_ne!(github.cache_key(), LinterSettings::default().cache_key());
    }

    /// The Go walk skips subtrees no rule reads (imports, type expressions, selectors)
    /// unless a comment may be inside: one inside each is found.
    #[test]
    fn go_comments_inside_skipped_subtrees_are_found() {
        let src = "package p\n\nimport (\n\t\"net/http\" // TODO: one\n\t/* FIXME: two */ \"os\"\n)\n\n\
                   var _ []/* TODO: three */int\n\nfunc f() { _ = os.Args; http./* XXX: four */Get(\"u\") }\n";
        let rules: RuleSet = [Rule::DebtTodo].into_iter().collect();
        let lines: Vec<u32> = check_source("a.go", Language::Go, src, rules, &LinterSettings::default())
            .findings
            .into_iter()
            .map(|f| f.line)
            .collect();
        assert_eq!(lines, [4, 5, 8, 10]);
    }
}
