//! Escaping for HTML text and attribute values. Everything that comes from a repository
//! (commit messages, author names, paths, messages, ticket keys) goes through [`html`]
//! before it reaches the page.

use std::fmt::Write;

/// `s` as HTML text or a double- or single-quoted attribute value: `& < > " '` become
/// character references, and control characters other than tab and newline are dropped
/// (the HTML parser would report them as errors).
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A relative URL path for a repository path: each segment percent-encoded, so `#`, `?`
/// and spaces in file names stay part of the path. The result still needs [`html`] in an
/// attribute (it never contains `"`, `<` or `&`, but the rule is simpler without exceptions).
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// A URL component (a ticket key in a `ticket-url` template) percent-encoded.
pub fn url_component(s: &str) -> String {
    url_path(s).replace('/', "%2F")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_tags_become_text() {
        assert_eq!(html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
    }

    #[test]
    fn attribute_breakouts_are_escaped() {
        assert_eq!(html(r#"" onmouseover='x' a=&"#), "&quot; onmouseover=&#39;x&#39; a=&amp;");
        assert_eq!(html("&lt;"), "&amp;lt;", "already-escaped text is escaped again, not trusted");
    }

    #[test]
    fn controls_are_dropped_text_is_kept() {
        assert_eq!(html("a\u{0}b\u{1b}[31mc\td\ne — ü 😀"), "ab[31mc\td\ne — ü 😀");
    }

    #[test]
    fn url_paths_keep_slashes_and_encode_the_rest() {
        assert_eq!(url_path("src/a b#1?.py"), "src/a%20b%231%3F.py");
        assert_eq!(url_path("ü.py"), "%C3%BC.py");
        assert_eq!(url_component("A/B-1"), "A%2FB-1");
        assert_eq!(url_path(r#""><script>"#), "%22%3E%3Cscript%3E");
    }
}
