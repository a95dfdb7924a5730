//! `debt/todo`: a TODO, FIXME, HACK or XXX marker in a comment, with its ticket key.

use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::TextRange;
use regex::Regex;
use std::sync::LazyLock;

static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(TODO|FIXME|HACK|XXX)\b").expect("valid regex"));
static TICKET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([A-Z][A-Z0-9]+)-[0-9]+\b").expect("valid regex"));

/// Upper-case words followed by a dash and digits that name a standard, not a ticket.
const NOT_TICKETS: &[&str] =
    &["UTF", "SHA", "ISO", "RFC", "AES", "RSA", "TLS", "SSL", "HTTP", "MD", "PEP", "IEEE", "ECMA", "CP"];

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
            let ticket = ticket(line);
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

fn ticket(line: &str) -> Option<String> {
    ticket_keys(line).next().map(str::to_string)
}

/// Ticket keys such as `PAY-142` in a text, in order, without the standards that look like
/// them (`UTF-8`, `SHA-256` ...).
fn ticket_keys(text: &str) -> impl Iterator<Item = &str> {
    TICKET
        .captures_iter(text)
        .filter(|c| !NOT_TICKETS.contains(&&c[1]))
        .map(|c| c.get(0).expect("whole match").as_str())
}

/// Every ticket key a text names (a commit message, say), once each, in order of first
/// appearance; the same keys the `debt/todo` rule gives its findings.
pub fn tickets_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in ticket_keys(text) {
        if !out.iter().any(|t| t == key) {
            out.push(key.to_string());
        }
    }
    out
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
    use super::*;

    #[test]
    fn tickets_skip_standards() {
        assert_eq!(ticket("TODO(PAY-142): retry").as_deref(), Some("PAY-142"));
        assert_eq!(ticket("TODO: decode UTF-8 then see OPS-7").as_deref(), Some("OPS-7"));
        assert_eq!(ticket("TODO: SHA-256 only"), None);
        assert_eq!(ticket("TODO: pay-142 lower case"), None);
    }

    #[test]
    fn tickets_in_a_text_once_each_in_order() {
        assert_eq!(
            tickets_in("Fix PAY-142 and OPS2-7\n\nsee PAY-142, UTF-8, not pay-1"),
            ["PAY-142", "OPS2-7"]
        );
        assert!(tickets_in("SHA-256 and RFC-3339").is_empty());
    }
}
