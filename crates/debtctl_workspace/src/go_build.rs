//! Go's build constraints, as `go/build` applies them: which `.go` files of an imported
//! package a build for one platform compiles. A file is left out by its name
//! (`x_windows.go`, `x_linux_arm64.go`), by a `//go:build` expression, or by `// +build`
//! lines (when it has no `//go:build` line) in the comments before its package clause.
//!
//! The platform is the one the go command would build for: `GOOS` and `GOARCH` from the
//! environment, else this machine's; `CGO_ENABLED` (else on when building for this
//! machine, as go's default); the `go1.N` release tags up to the Go version in use; the
//! `-tags` of `GOFLAGS`. Without this, an imported package such as `golang.org/x/sys/unix`
//! is read for every operating system and architecture at once (a third of the bytes a
//! scan of prometheus reads from `vendor/`), and a function declared differently per
//! platform has whichever declaration was read last.

use std::collections::BTreeSet;

/// The operating systems go/build knows (a file name suffix is a constraint only when it
/// names one of these or an architecture).
const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];

/// The operating systems the `unix` tag stands for.
const UNIX_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "linux",
    "netbsd",
    "openbsd",
    "solaris",
];

const KNOWN_ARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// The platform a build is for, and the tags that hold for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub goos: String,
    pub goarch: String,
    pub cgo: bool,
    /// The `N` of the newest `go1.N` release tag that holds.
    pub go_minor: u32,
    /// Tags given with `-tags` (in `GOFLAGS`), sorted.
    pub tags: BTreeSet<String>,
}

impl Platform {
    /// The platform the go command would build for here. `go_version` is the Go version
    /// in use (`go1.19.8`); its minor version bounds the release tags.
    pub fn from_env(go_version: &str) -> Platform {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (host_os, host_arch) = host();
        let goos = var("GOOS").unwrap_or_else(|| host_os.to_string());
        let goarch = var("GOARCH").unwrap_or_else(|| host_arch.to_string());
        let native = goos == host_os && goarch == host_arch;
        let cgo = match var("CGO_ENABLED").as_deref() {
            Some("0") => false,
            Some(_) => true,
            None => native,
        };
        let tags = var("GOFLAGS").map(|f| goflags_tags(&f)).unwrap_or_default();
        Platform { goos, goarch, cgo, go_minor: go_minor(go_version).unwrap_or(0), tags }
    }

    /// What the facts of a package read for this platform are keyed by, beside its version.
    pub fn key(&self) -> String {
        let tags: Vec<&str> = self.tags.iter().map(String::as_str).collect();
        format!(
            "{}/{} cgo={} go1.{} tags={}",
            self.goos,
            self.goarch,
            u8::from(self.cgo),
            self.go_minor,
            tags.join(",")
        )
    }

    /// Does `tag` hold? (go/build's `matchTag`.)
    fn holds(&self, tag: &str) -> bool {
        if tag == self.goos || tag == self.goarch || self.tags.contains(tag) {
            return true;
        }
        match tag {
            "cgo" => self.cgo,
            "unix" => UNIX_OS.contains(&self.goos.as_str()),
            "linux" => self.goos == "android",
            "solaris" => self.goos == "illumos",
            "darwin" => self.goos == "ios",
            _ => tag
                .strip_prefix("go1.")
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 1 && n <= self.go_minor),
        }
    }

    /// Is the file `name` with text `source` part of this platform's build of its package?
    pub fn builds(&self, name: &str, source: &str) -> bool {
        if name.starts_with(['_', '.']) || !self.name_matches(name) {
            return false;
        }
        let constrained = match constraint(source) {
            Some(Constraint::GoBuild(expr)) => self.eval(&expr).unwrap_or(true),
            Some(Constraint::PlusBuild(lines)) => lines.iter().all(|l| self.plus_build(l)),
            None => true,
        };
        // A file that imports "C" is cgo's; without cgo it is not built.
        constrained && (self.cgo || !imports_c(source))
    }

    /// go/build's `goodOSArchFile`: `name_GOOS.go`, `name_GOARCH.go`, `name_GOOS_GOARCH.go`
    /// (with `_test` before `.go` allowed); what comes before the first `_` is not read.
    fn name_matches(&self, name: &str) -> bool {
        let stem = name.strip_suffix(".go").unwrap_or(name);
        let Some(i) = stem.find('_') else { return true };
        let mut parts: Vec<&str> = stem[i..].split('_').collect();
        if parts.last() == Some(&"test") {
            parts.pop();
        }
        let n = parts.len();
        if n >= 2 && KNOWN_OS.contains(&parts[n - 2]) && KNOWN_ARCH.contains(&parts[n - 1]) {
            return self.holds(parts[n - 2]) && self.holds(parts[n - 1]);
        }
        match parts.last() {
            Some(last) if KNOWN_OS.contains(last) || KNOWN_ARCH.contains(last) => self.holds(last),
            _ => true,
        }
    }

    /// One `// +build` line: space-separated options, any of which holds; each a
    /// comma-separated list of terms that all hold; a term `!tag` or `tag`.
    fn plus_build(&self, line: &str) -> bool {
        line.split_whitespace().any(|option| {
            option.split(',').all(|term| match term.strip_prefix('!') {
                Some(tag) => valid_tag(tag) && !self.holds(tag),
                None => valid_tag(term) && self.holds(term),
            })
        })
    }

    /// A `//go:build` expression; None when it does not parse (go/build then reports an
    /// error; the file is kept, since an API read too wide is safer than one read short).
    fn eval(&self, expr: &str) -> Option<bool> {
        let tokens = tokens(expr)?;
        let mut parser = Parser { tokens: &tokens, at: 0, platform: self };
        let value = parser.or()?;
        (parser.at == tokens.len()).then_some(value)
    }
}

fn host() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        "riscv64" => "riscv64",
        "s390x" => "s390x",
        "arm" => "arm",
        other => other,
    };
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    (os, arch)
}

/// `19` of `go1.19.8` (or `go1.19`, `go1.21rc2`).
fn go_minor(version: &str) -> Option<u32> {
    let rest = version.strip_prefix("go1.")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The tags of `-tags=a,b` (or `-tags a,b`, or the older space-separated list) in a
/// `GOFLAGS` value.
fn goflags_tags(flags: &str) -> BTreeSet<String> {
    let words: Vec<&str> = flags.split_whitespace().collect();
    let mut out = BTreeSet::new();
    for (i, w) in words.iter().enumerate() {
        let w = w.trim_start_matches('-');
        let list = match w.strip_prefix("tags") {
            Some(rest) if rest.starts_with('=') => &rest[1..],
            Some("") => words.get(i + 1).copied().unwrap_or(""),
            _ => continue,
        };
        out.extend(list.split([',', ' ']).filter(|t| !t.is_empty()).map(str::to_string));
    }
    out
}

/// Does the file import "C"?
pub(crate) fn imports_c(source: &str) -> bool {
    let mut found = false;
    crate::go_api::import_paths(source, |path, _| {
        found = path == "C";
        !found
    });
    found
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

enum Constraint {
    GoBuild(String),
    PlusBuild(Vec<String>),
}

/// The constraint in a file's header: the comments and blank lines before its package
/// clause. A `//go:build` line wins; `// +build` lines count only in a comment block
/// that a blank line ends (the rule that keeps a package's doc comment from being one).
fn constraint(source: &str) -> Option<Constraint> {
    let mut go_build = None;
    let mut plus = Vec::new();
    let mut pending = Vec::new();
    let mut in_block = false;
    for line in source.lines() {
        let line = line.trim();
        if in_block {
            if let Some(end) = line.find("*/") {
                in_block = false;
                if !line[end + 2..].trim().is_empty() {
                    break;
                }
            }
            continue;
        }
        if line.is_empty() {
            plus.append(&mut pending);
            continue;
        }
        if let Some(comment) = line.strip_prefix("//") {
            if let Some(expr) = comment.strip_prefix("go:build") {
                if go_build.is_none() && expr.starts_with([' ', '\t']) {
                    go_build = Some(expr.trim().to_string());
                }
            } else if let Some(tags) = comment.trim_start().strip_prefix("+build") {
                if tags.is_empty() || tags.starts_with([' ', '\t']) {
                    pending.push(tags.trim().to_string());
                }
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("/*") {
            match rest.find("*/") {
                Some(end) if rest[end + 2..].trim().is_empty() => continue,
                Some(_) => break,
                None => {
                    in_block = true;
                    continue;
                }
            }
        }
        break;
    }
    match go_build {
        Some(expr) => Some(Constraint::GoBuild(expr)),
        None if !plus.is_empty() => Some(Constraint::PlusBuild(plus)),
        None => None,
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Tag(String),
    Not,
    And,
    Or,
    Open,
    Close,
}

fn tokens(expr: &str) -> Option<Vec<Token>> {
    let b = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'!' => {
                out.push(Token::Not);
                i += 1;
            }
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            b'&' if b.get(i + 1) == Some(&b'&') => {
                out.push(Token::And);
                i += 2;
            }
            b'|' if b.get(i + 1) == Some(&b'|') => {
                out.push(Token::Or);
                i += 2;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c >= 0x80 => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.' || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Token::Tag(expr[start..i].to_string()));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `or := and ('||' and)*`, `and := not ('&&' not)*`, `not := '!' not | '(' or ')' | tag`.
struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    platform: &'a Platform,
}

impl Parser<'_> {
    fn or(&mut self) -> Option<bool> {
        let mut value = self.and()?;
        while self.tokens.get(self.at) == Some(&Token::Or) {
            self.at += 1;
            value |= self.and()?;
        }
        Some(value)
    }

    fn and(&mut self) -> Option<bool> {
        let mut value = self.not()?;
        while self.tokens.get(self.at) == Some(&Token::And) {
            self.at += 1;
            value &= self.not()?;
        }
        Some(value)
    }

    fn not(&mut self) -> Option<bool> {
        let token = self.tokens.get(self.at)?;
        self.at += 1;
        match token {
            Token::Not => Some(!self.not()?),
            Token::Open => {
                let value = self.or()?;
                (self.tokens.get(self.at) == Some(&Token::Close)).then(|| self.at += 1)?;
                Some(value)
            }
            Token::Tag(tag) => Some(self.platform.holds(tag)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux_amd64() -> Platform {
        Platform {
            goos: "linux".into(),
            goarch: "amd64".into(),
            cgo: true,
            go_minor: 19,
            tags: BTreeSet::new(),
        }
    }

    #[test]
    fn file_names_constrain_by_os_and_arch_after_the_first_underscore() {
        let p = linux_amd64();
        let yes = [
            "a.go",
            "linux.go",
            "a_linux.go",
            "a_amd64.go",
            "a_linux_amd64.go",
            "a_linux_test.go",
            "a_unix.go",
            "zerrors_linux_amd64.go",
        ];
        let no = [
            "a_windows.go",
            "a_arm64.go",
            "a_linux_arm64.go",
            "a_darwin_amd64.go",
            "_a.go",
            ".a.go",
            "zsyscall_openbsd_386.go",
        ];
        for name in yes {
            assert!(p.builds(name, "package a\n"), "{name} is built");
        }
        for name in no {
            assert!(!p.builds(name, "package a\n"), "{name} is not built");
        }
        let android = Platform { goos: "android".into(), ..linux_amd64() };
        assert!(android.builds("a_linux.go", "package a\n"), "android builds linux files");
    }

    #[test]
    fn go_build_expressions() {
        let p = linux_amd64();
        let cases = [
            ("//go:build linux\n\npackage a\n", true),
            ("//go:build !linux\n\npackage a\n", false),
            ("//go:build darwin || (linux && amd64)\n\npackage a\n", true),
            ("//go:build (darwin || linux) && !arm64\n\npackage a\n", true),
            ("//go:build unix && !cgo\n\npackage a\n", false),
            ("//go:build go1.18\n\npackage a\n", true),
            ("//go:build go1.20\n\npackage a\n", false),
            ("//go:build !go1.20\n\npackage a\n", true),
            ("//go:build ignore\n\npackage main\n", false),
            ("// Copyright.\n\n//go:build windows\n// +build windows\n\npackage a\n", false),
            // An expression that does not parse keeps the file.
            ("//go:build linux &&\n\npackage a\n", true),
        ];
        for (src, want) in cases {
            assert_eq!(p.builds("a.go", src), want, "{src:?}");
        }
    }

    #[test]
    fn plus_build_lines_and_what_is_not_a_constraint() {
        let p = linux_amd64();
        let cases = [
            ("// +build linux darwin\n\npackage a\n", true),
            ("// +build windows\n\npackage a\n", false),
            ("// +build linux,!cgo\n\npackage a\n", false),
            // Two lines: both must hold.
            ("// +build linux\n// +build arm64\n\npackage a\n", false),
            // Without a blank line before the package clause it is the package's doc comment.
            ("// +build windows\npackage a\n", true),
            // After the package clause nothing is a constraint.
            ("package a\n\n//go:build windows\n", true),
            ("/* a header */\n\n// +build windows\n\npackage a\n", false),
            // `//go:build` wins over `+build`.
            ("//go:build linux\n// +build windows\n\npackage a\n", true),
        ];
        for (src, want) in cases {
            assert_eq!(p.builds("a.go", src), want, "{src:?}");
        }
    }

    #[test]
    fn cgo_files_need_cgo() {
        let no_cgo = Platform { cgo: false, ..linux_amd64() };
        for src in [
            "package a\n\n// #include <stdlib.h>\nimport \"C\"\n",
            "package a\n\nimport (\n\t\"C\"\n\t\"unsafe\"\n)\n",
        ] {
            assert!(linux_amd64().builds("a.go", src));
            assert!(!no_cgo.builds("a.go", src), "{src:?}");
        }
        assert!(no_cgo.builds("a.go", "package a\n\nimport \"fmt\"\n\nvar C = \"C\"\n"));
    }

    #[test]
    fn goflags_tags_and_versions() {
        assert_eq!(
            goflags_tags("-mod=vendor -tags=netgo,osusergo"),
            ["netgo", "osusergo"].map(String::from).into()
        );
        assert_eq!(goflags_tags("-tags netgo"), ["netgo"].map(String::from).into());
        assert_eq!(go_minor("go1.19.8"), Some(19));
        assert_eq!(go_minor("go1.21rc2"), Some(21));
        let p = Platform { tags: ["netgo".to_string()].into(), ..linux_amd64() };
        assert!(p.builds("a.go", "//go:build netgo\n\npackage a\n"));
        assert_ne!(p.key(), linux_amd64().key());
    }
}
