//! Ticket keys in text: which words name a ticket. `debt/todo` gives a finding the first
//! key of its comment line, and the ledger reads a commit's keys from its message, both
//! through the patterns of [`LinterSettings::tickets`](crate::LinterSettings), which
//! `ticket-patterns` in `debtctl.toml` sets (default: Jira-style keys such as `PAY-142`).

use regex::Regex;
use std::sync::{Arc, LazyLock};

/// The default pattern: a project key, a dash and a number (`PAY-142`, `OPS2-7`).
pub const DEFAULT_TICKET_PATTERN: &str = r"\b[A-Z][A-Z0-9]+-[0-9]+\b";

/// Upper-case words followed by a dash and digits that name a standard, not a ticket,
/// whatever pattern matched them.
const NOT_TICKETS: &[&str] =
    &["UTF", "SHA", "ISO", "RFC", "AES", "RSA", "TLS", "SSL", "HTTP", "MD", "PEP", "IEEE", "ECMA", "CP"];

static DEFAULT: LazyLock<TicketPatterns> = LazyLock::new(|| {
    TicketPatterns::new(&[DEFAULT_TICKET_PATTERN.to_string()]).expect("the default pattern compiles")
});

/// The regular expressions that find ticket keys, in the config's order. A key is the
/// whole match; a named group (`#(?P<number>[0-9]+)`) gives `ticket-url` a placeholder
/// (`{number}`). Cheap to clone.
#[derive(Clone)]
pub struct TicketPatterns(Arc<Inner>);

struct Inner {
    sources: Vec<String>,
    regexes: Vec<Regex>,
}

/// A `ticket-patterns` entry that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ticket pattern `{pattern}` {reason}")]
pub struct TicketPatternError {
    pub pattern: String,
    pub reason: String,
}

impl Default for TicketPatterns {
    fn default() -> Self {
        DEFAULT.clone()
    }
}

impl std::fmt::Debug for TicketPatterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TicketPatterns").field(&self.0.sources).finish()
    }
}

impl PartialEq for TicketPatterns {
    fn eq(&self, other: &Self) -> bool {
        self.0.sources == other.0.sources
    }
}

impl Eq for TicketPatterns {}

impl std::hash::Hash for TicketPatterns {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.sources.hash(state);
    }
}

impl TicketPatterns {
    /// Compiles the patterns; an empty list finds no tickets. A pattern that does not
    /// compile, or that matches an empty text, is an error naming it.
    pub fn new(patterns: &[String]) -> Result<TicketPatterns, TicketPatternError> {
        let mut regexes = Vec::with_capacity(patterns.len());
        for p in patterns {
            let err = |reason: String| TicketPatternError { pattern: p.clone(), reason };
            let re = Regex::new(p).map_err(|e| {
                err(format!("is not a regular expression: {}", e.to_string().lines().last().unwrap_or("")))
            })?;
            if re.is_match("") {
                return Err(err("matches an empty text".to_string()));
            }
            regexes.push(re);
        }
        Ok(TicketPatterns(Arc::new(Inner { sources: patterns.to_vec(), regexes })))
    }

    /// The patterns as written.
    pub fn sources(&self) -> &[String] {
        &self.0.sources
    }

    /// The named groups of the patterns (`number` for `#(?P<number>[0-9]+)`).
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.0.regexes.iter().flat_map(|r| r.capture_names().flatten())
    }

    /// Every key in `text`, in order of position; where matches of two patterns overlap,
    /// the earlier (then the longer) wins.
    fn keys<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut found: Vec<(usize, usize)> = Vec::new();
        for re in &self.0.regexes {
            found.extend(re.find_iter(text).filter(|m| !m.is_empty()).map(|m| (m.start(), m.end())));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut out = Vec::new();
        let mut end = 0;
        for (s, e) in found {
            if s < end {
                continue;
            }
            let key = &text[s..e];
            if !is_standard(key) {
                out.push(key);
                end = e;
            }
        }
        out
    }

    /// The first key in `text`.
    pub fn first(&self, text: &str) -> Option<String> {
        self.keys(text).first().map(|k| k.to_string())
    }

    /// Every key `text` names (a commit message, say), once each, in order of first
    /// appearance.
    pub fn tickets_in(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for key in self.keys(text) {
            if !out.iter().any(|t| t == key) {
                out.push(key.to_string());
            }
        }
        out
    }

    /// The named groups of the first pattern that matches the whole `key`, for a ticket
    /// link: `[("number", "123")]` for `#123` and `#(?P<number>[0-9]+)`. `None` when no
    /// pattern matches it whole (a key recorded under other patterns).
    pub fn fields(&self, key: &str) -> Option<Vec<(String, String)>> {
        self.0.regexes.iter().find_map(|re| {
            let c = re.captures(key)?;
            let whole = c.get(0)?;
            if whole.start() != 0 || whole.end() != key.len() {
                return None;
            }
            Some(
                re.capture_names()
                    .flatten()
                    .filter_map(|name| Some((name.to_string(), c.name(name)?.as_str().to_string())))
                    .collect(),
            )
        })
    }
}

/// Every ticket key of the default patterns in `text`, once each, in order.
pub fn tickets_in(text: &str) -> Vec<String> {
    DEFAULT.tickets_in(text)
}

/// `UTF-8`, `SHA-256`: a standard's name and number.
fn is_standard(key: &str) -> bool {
    key.split_once('-').is_some_and(|(word, number)| {
        NOT_TICKETS.contains(&word) && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(p: &[&str]) -> TicketPatterns {
        TicketPatterns::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn the_default_finds_jira_keys_without_standards() {
        let t = TicketPatterns::default();
        assert_eq!(t.first("TODO(PAY-142): retry").as_deref(), Some("PAY-142"));
        assert_eq!(t.first("TODO: decode UTF-8 then see OPS-7").as_deref(), Some("OPS-7"));
        assert_eq!(t.first("TODO: SHA-256 only"), None);
        assert_eq!(t.first("TODO: pay-142 lower case"), None);
        assert_eq!(
            t.tickets_in("Fix PAY-142 and OPS2-7\n\nsee PAY-142, UTF-8, not pay-1"),
            ["PAY-142", "OPS2-7"]
        );
        assert!(t.tickets_in("SHA-256 and RFC-3339").is_empty());
        assert_eq!(t.fields("PAY-142"), Some(vec![]));
    }

    #[test]
    fn github_numbers_with_a_named_group() {
        let t = patterns(&[r"#(?P<number>[0-9]+)\b", DEFAULT_TICKET_PATTERN]);
        assert_eq!(t.tickets_in("Fix #12 and PAY-3 (#12, #7); UTF-8"), ["#12", "PAY-3", "#7"]);
        assert_eq!(t.first("TODO(#481): drop this").as_deref(), Some("#481"));
        assert_eq!(t.fields("#481"), Some(vec![("number".to_string(), "481".to_string())]));
        assert_eq!(t.fields("PAY-3"), Some(vec![]));
        assert_eq!(t.fields("#481 and more"), None, "a key must match whole");
        assert_eq!(t.group_names().collect::<Vec<_>>(), ["number"]);
        // Only the configured patterns count: the default's keys are gone without it.
        let only = patterns(&[r"#(?P<number>[0-9]+)\b"]);
        assert!(only.tickets_in("PAY-3").is_empty());
        assert!(patterns(&[]).tickets_in("PAY-3 #4").is_empty());
    }

    #[test]
    fn bad_patterns_are_errors_naming_them() {
        let err = TicketPatterns::new(&["#(".to_string()]).unwrap_err();
        assert!(err.to_string().starts_with("ticket pattern `#(` is not a regular expression"), "{err}");
        assert!(!err.to_string().contains('\n'));
        let err = TicketPatterns::new(&["#?[0-9]*".to_string()]).unwrap_err();
        assert_eq!(err.to_string(), "ticket pattern `#?[0-9]*` matches an empty text");
    }

    #[test]
    fn equal_and_hashed_by_their_sources() {
        use std::hash::{BuildHasher, RandomState};
        let s = RandomState::new();
        assert_eq!(TicketPatterns::default(), patterns(&[DEFAULT_TICKET_PATTERN]));
        assert_ne!(s.hash_one(TicketPatterns::default()), s.hash_one(patterns(&["#[0-9]+"])));
    }
}
