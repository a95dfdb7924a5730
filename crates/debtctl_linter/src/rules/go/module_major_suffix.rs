//! `go/module-major-suffix`: a `go.mod` requirement of a v2+ module whose path lacks the
//! matching `/vN` suffix. `go.mod` is read line by line: the grammar is small and regular
//! (`require path version`, `require ( ... )` blocks, `//` comments).

use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::TextRange;
use debtctl_syntax::Language;

/// One requirement: its path and version, and the byte range they span.
#[derive(Debug, PartialEq)]
pub(crate) struct Require<'a> {
    pub path: &'a str,
    pub version: &'a str,
    pub range: (usize, usize),
}

/// Every requirement of a `go.mod`, and every `//` comment with its byte offset and line.
pub(crate) fn parse(source: &str) -> (Vec<Require<'_>>, Vec<(usize, usize, &str)>) {
    let mut requires = Vec::new();
    let mut comments = Vec::new();
    let mut in_block = false;
    let mut offset = 0;
    for (line_no, line) in source.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let (code, comment) = match find_comment(line) {
            Some(i) => (&line[..i], Some(i)),
            None => (line, None),
        };
        if let Some(i) = comment {
            comments.push((start + i, line_no, line[i..].trim_end()));
        }
        let trimmed = code.trim();
        if in_block {
            if trimmed == ")" {
                in_block = false;
                continue;
            }
            if let Some(r) = requirement(trimmed, code, start) {
                requires.push(r);
            }
            continue;
        }
        let Some(rest) = trimmed.strip_prefix("require") else { continue };
        if !rest.starts_with([' ', '\t', '(']) {
            continue;
        }
        let rest = rest.trim();
        if rest == "(" {
            in_block = true;
        } else if let Some(r) = requirement(rest, code, start) {
            requires.push(r);
        }
    }
    (requires, comments)
}

/// The byte index of a `//` comment outside a quoted path.
fn find_comment(line: &str) -> Option<usize> {
    let mut quoted = false;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'/' if !quoted && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
    }
    None
}

fn requirement<'a>(spec: &'a str, code: &'a str, line_start: usize) -> Option<Require<'a>> {
    let mut parts = spec.split_whitespace();
    let path = parts.next()?.trim_matches('"');
    let version = parts.next()?.trim_matches('"');
    if path.is_empty() || !version.starts_with('v') {
        return None;
    }
    let at = code.find(spec)?;
    Some(Require { path, version, range: (line_start + at, line_start + at + spec.len()) })
}

/// The major version of a semantic version: 2 for `v2.1.0`, `v2.0.0-2019...` and `v2.0.0+incompatible`.
fn major(version: &str) -> Option<u64> {
    version.strip_prefix('v')?.split(['.', '-', '+']).next()?.parse().ok()
}

/// The major version a module path's suffix declares: `/v3`, or `.v3` for gopkg.in.
fn path_major(path: &str) -> Option<u64> {
    let last = path.rsplit('/').next()?;
    if path.starts_with("gopkg.in/") {
        let (_, v) = last.rsplit_once(".v")?;
        return v.parse().ok();
    }
    let n = last.strip_prefix('v')?;
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    n.parse().ok().filter(|n| *n >= 2)
}

/// The problem with one requirement, if any.
pub(crate) fn problem(path: &str, version: &str) -> Option<String> {
    let major = major(version)?;
    if version.contains("+incompatible") {
        return None;
    }
    let declared = path_major(path);
    if major < 2 {
        // `gopkg.in/yaml.v2 v2.4.0` and `m/v3 v3.0.0` agree; a v0/v1 version on a /vN
        // path cannot be required at all, which `go` itself reports.
        return None;
    }
    match declared {
        Some(d) if d == major => None,
        Some(d) => {
            Some(format!("`{path}` is required at `{version}`, but its path declares major version {d}"))
        }
        None => Some(format!("`{path}` is required at `{version}` without the `/v{major}` suffix")),
    }
}

pub(crate) fn check(checker: &mut Checker<'_>) {
    let source = checker.source;
    let (requires, comments) = parse(source);
    for (at, line, text) in comments {
        checker.suppressions.add_comment(Language::GoMod, text, at, line);
    }
    if !checker.enabled(Rule::GoModuleMajorSuffix) {
        return;
    }
    for r in requires {
        if let Some(message) = problem(r.path, r.version) {
            checker.report(Rule::GoModuleMajorSuffix, TextRange::new(r.range.0, r.range.1), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_lines_blocks_and_comments() {
        let src = "module x\n\ngo 1.22\n\nrequire a.com/b v1.2.3 // indirect\nrequire (\n\ta.com/c/v2 v2.0.0\n\t\"q.com/d\" v3.1.0\n)\nreplace a.com/b => ../b\n";
        let (reqs, comments) = parse(src);
        let got: Vec<_> = reqs.iter().map(|r| (r.path, r.version)).collect();
        assert_eq!(got, [("a.com/b", "v1.2.3"), ("a.com/c/v2", "v2.0.0"), ("q.com/d", "v3.1.0")]);
        assert_eq!(comments.len(), 1);
        assert_eq!(&src[reqs[1].range.0..reqs[1].range.1], "a.com/c/v2 v2.0.0");
    }

    #[test]
    fn problems() {
        assert!(problem("github.com/a/b", "v2.1.0").is_some());
        assert!(problem("github.com/a/b/v4", "v5.1.0").is_some());
        assert!(problem("github.com/a/b", "v2.1.0+incompatible").is_none());
        assert!(problem("github.com/a/b/v2", "v2.0.0-20200101000000-abcdefabcdef").is_none());
        assert!(problem("gopkg.in/yaml.v3", "v3.0.1").is_none());
        assert!(problem("gopkg.in/yaml.v2", "v3.0.1").is_some());
        assert!(problem("github.com/a/b", "v1.9.0").is_none());
        assert!(problem("github.com/a/b", "v0.0.0-2020").is_none());
        assert!(problem("k8s.io/api/core/v1", "v0.30.0").is_none());
    }
}
