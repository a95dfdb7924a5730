//! The standard library's API compiled into the binary, for a machine without a Go
//! toolchain: `rules/data/go-stdlib.facts`, generated from `$GOROOT/src` by
//! `debtctl-bench gostd` with the same index code ([`PackageApi::read`]) a scan uses on
//! `$GOROOT`, never edited by hand. The index asks it for a standard-library package its
//! source did not find (see [`super::api::GoApi`]).
//!
//! The format is text, one declaration a line, fields separated by tabs, sorted so that
//! the same sources give the same file:
//!
//! ```text
//! go <the Go version of the sources>
//! p <import path>                          a package; the lines below are its own
//! f <func> <result>...                     an exported function and its results
//! m <type> <method> <result>...            an exported method (interface methods too)
//! d <type> <field> <type>                  an exported struct field
//! e <type> <embedded type>...              what a struct or interface embeds
//! v <var> <type>                           an exported package variable
//! ```
//!
//! A result is its type, `?` when the index does not model it, prefixed with `!` when it
//! is an `error`. Unexported functions, methods, fields and variables are left out (no
//! other package can name them); unexported types stay when they hold exported methods or
//! fields, as an exported type can promote them by embedding.

use super::api::PackageApi;
use super::package::{Decls, Results};
use rustc_hash::FxHashMap as HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex};

const FACTS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/data/go-stdlib.facts"));

/// The embedded facts: their Go version, where each package's lines are, and the packages
/// decoded so far (each once per process, when first asked for).
pub struct Stdlib {
    version: String,
    sections: HashMap<&'static str, &'static str>,
    decoded: Mutex<HashMap<String, Option<Arc<PackageApi>>>>,
}

static EMBEDDED: LazyLock<Stdlib> = LazyLock::new(|| Stdlib::index(FACTS));

/// The standard library compiled in.
pub fn embedded() -> &'static Stdlib {
    &EMBEDDED
}

/// The Go version the embedded standard-library facts were generated from (`go1.19.8`).
pub fn embedded_version() -> &'static str {
    &EMBEDDED.version
}

/// Whether the embedded facts hold standard-library package `path`.
pub fn embedded_has(path: &str) -> bool {
    EMBEDDED.sections.contains_key(path)
}

/// Whether an import path names a standard-library package (its first element has no dot).
pub fn is_std(path: &str) -> bool {
    !path.split('/').next().unwrap_or(path).contains('.')
}

impl Stdlib {
    fn index(text: &'static str) -> Stdlib {
        let mut version = String::new();
        let mut sections = HashMap::default();
        let mut current: Option<(&'static str, usize)> = None;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches('\n');
            if let Some(v) = body.strip_prefix("go ") {
                version = v.to_string();
            } else if let Some(path) = body.strip_prefix("p ") {
                if let Some((p, start)) = current.take() {
                    sections.insert(p, &text[start..offset]);
                }
                current = Some((path, offset + line.len()));
            }
            offset += line.len();
        }
        if let Some((p, start)) = current {
            sections.insert(p, &text[start..]);
        }
        Stdlib { version, sections, decoded: Mutex::default() }
    }

    /// The API of standard-library package `path`, None when the facts lack it.
    pub fn package(&self, path: &str) -> Option<Arc<PackageApi>> {
        if !is_std(path) {
            return None;
        }
        let mut decoded = self.decoded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = decoded.get(path) {
            return p.clone();
        }
        let api =
            self.sections.get(path).map(|s| Arc::new(PackageApi { decls: decode(s), name: String::new() }));
        decoded.insert(path.to_string(), api.clone());
        api
    }
}

fn exported(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

fn encode_results(out: &mut String, r: &Results) {
    for (i, t) in r.types.iter().enumerate() {
        out.push('\t');
        if r.errors.get(i).copied().unwrap_or(false) {
            out.push('!');
        }
        out.push_str(t.as_deref().unwrap_or("?"));
    }
}

fn decode_results<'a>(fields: impl Iterator<Item = &'a str>) -> Results {
    let mut r = Results::default();
    for f in fields {
        let (error, ty) = match f.strip_prefix('!') {
            Some(t) => (true, t),
            None => (false, f),
        };
        r.errors.push(error);
        r.types.push((ty != "?").then(|| ty.to_string()));
    }
    r
}

fn sorted<V>(m: &HashMap<String, V>) -> Vec<(&String, &V)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// The facts file of the packages given (import path, API), from Go `version`.
pub fn encode(version: &str, packages: &[(String, Arc<PackageApi>)]) -> String {
    let mut packages: Vec<&(String, Arc<PackageApi>)> = packages.iter().collect();
    packages.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    out.push_str("# The Go standard library's API, generated by `debtctl-bench gostd`: do not edit.\n");
    let _ = writeln!(out, "go {version}");
    for (path, api) in packages {
        write_package(&mut out, path, api);
    }
    out
}

/// One package's lines: `p <path>` and its declarations.
fn write_package(out: &mut String, path: &str, api: &PackageApi) {
    let d = &api.decls;
    let _ = writeln!(out, "p {path}");
    for (name, r) in sorted(&d.funcs) {
        if exported(name) {
            out.push_str("f ");
            out.push_str(name);
            encode_results(out, r);
            out.push('\n');
        }
    }
    for (ty, ms) in sorted(&d.methods) {
        for (name, r) in sorted(ms) {
            if exported(name) {
                let _ = write!(out, "m {ty}\t{name}");
                encode_results(out, r);
                out.push('\n');
            }
        }
    }
    for (ty, fs) in sorted(&d.fields) {
        for (name, t) in sorted(fs) {
            if exported(name) {
                let _ = writeln!(out, "d {ty}\t{name}\t{t}");
            }
        }
    }
    for (ty, embeds) in sorted(&d.embeds) {
        if !embeds.is_empty() {
            let _ = writeln!(out, "e {ty}\t{}", embeds.join("\t"));
        }
    }
    for (name, t) in sorted(&d.vars) {
        if exported(name) {
            let _ = writeln!(out, "v {name}\t{t}");
        }
    }
}

/// The build whose index code wrote a cached package's facts: debtctl's version and the
/// digest of the sources that decide findings (`build.rs`), so that a changed index never
/// reads facts an older one wrote.
pub fn facts_build() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("DEBTCTL_BUILD_DIGEST"))
}

/// One package's facts for the on-disk cache of imported packages (see the workspace's
/// `go_api`): the same lines as the embedded facts, under a `go <key>` line naming what
/// they were read from and an `n <name>` line with the package clause's name, and an `end`
/// line, so that a truncated file is told from a whole one.
pub fn encode_package(key: &str, api: &PackageApi) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "go {key}");
    let _ = writeln!(out, "n {}", api.name);
    write_package(&mut out, "-", api);
    out.push_str("end\n");
    out
}

/// [`encode_package`]'s text back, when it is whole and was written for `key`; else None
/// (a corrupt or foreign entry is a miss, not an error).
pub fn decode_package(key: &str, text: &str) -> Option<PackageApi> {
    let rest = text.strip_prefix("go ")?.strip_prefix(key)?.strip_prefix("\nn ")?;
    let (name, rest) = rest.split_once('\n')?;
    let section = rest.strip_prefix("p -\n")?.strip_suffix("end\n")?;
    Some(PackageApi { decls: decode(section), name: name.to_string() })
}

/// One package's lines back into declarations; a malformed line is skipped.
fn decode(section: &str) -> Decls {
    let mut d = Decls::default();
    for line in section.lines() {
        let Some((kind, rest)) = line.split_once(' ') else { continue };
        let mut f = rest.split('\t');
        match kind {
            "f" => {
                let Some(name) = f.next() else { continue };
                d.funcs.insert(name.to_string(), decode_results(f));
            }
            "m" => {
                let (Some(ty), Some(name)) = (f.next(), f.next()) else { continue };
                d.methods.entry(ty.to_string()).or_default().insert(name.to_string(), decode_results(f));
            }
            "d" => {
                let (Some(ty), Some(name), Some(t)) = (f.next(), f.next(), f.next()) else { continue };
                d.fields.entry(ty.to_string()).or_default().insert(name.to_string(), t.to_string());
            }
            "e" => {
                let Some(ty) = f.next() else { continue };
                d.embeds.insert(ty.to_string(), f.map(str::to_string).collect());
            }
            "v" => {
                let (Some(name), Some(t)) = (f.next(), f.next()) else { continue };
                d.vars.insert(name.to_string(), t.to_string());
            }
            _ => {}
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file compiled in is in the format this code writes and reads: it has the
    /// packages it should, every section decodes and encodes back to the same lines, and
    /// it knows what the hand-picked table it replaced did not.
    #[test]
    fn the_embedded_facts_are_fresh_and_complete() {
        let std = embedded();
        assert!(std.version.starts_with("go1."), "{}", std.version);
        assert!(std.sections.len() > 150, "only {} packages", std.sections.len());
        for path in ["fmt", "io", "os", "net/http", "encoding/json", "database/sql", "archive/tar"] {
            assert!(std.package(path).is_some(), "{path} is missing");
        }
        assert!(std.sections.keys().all(|p| !p.split('/').any(|e| e == "internal" || e == "vendor")));
        assert!(std.sections.keys().all(|p| !p.starts_with("cmd/") && !p.contains("testdata")));
        let mut packages: Vec<(String, Arc<PackageApi>)> =
            std.sections.keys().map(|p| (p.to_string(), std.package(p).unwrap())).collect();
        packages.sort_by(|a, b| a.0.cmp(&b.0));
        let again = encode(&std.version, &packages);
        assert!(again == FACTS, "rules/data/go-stdlib.facts is not in the current format: regenerate it");
        let os = std.package("os").unwrap();
        assert!(os.decls.funcs["Remove"].returns_error());
        assert!(os.decls.methods["File"]["Close"].returns_error());
        assert!(!os.decls.funcs.contains_key("fixLongPath"), "unexported");
        let http = std.package("net/http").unwrap();
        assert_eq!(http.decls.fields["Response"]["Body"], "io.ReadCloser");
        assert!(http.decls.methods["ResponseWriter"].contains_key("Write"));
        assert!(std.package("github.com/x/y").is_none());
    }

    #[test]
    fn encode_and_decode_round_trip() {
        let text = "go go1.0\np a\nf F\t?\t!error\nf G\nm T\tClose\t!error\nd T\tBody\tio.ReadCloser\ne T\t*base\tio.Closer\nv V\t*T\n";
        let std = Stdlib::index(Box::leak(text.to_string().into_boxed_str()));
        assert_eq!(std.version, "go1.0");
        let a = std.package("a").unwrap();
        assert_eq!(a.decls.funcs["F"].types, [None, Some("error".to_string())]);
        assert!(a.decls.funcs["F"].returns_error());
        assert!(a.decls.funcs["G"].types.is_empty());
        let back = encode("go1.0", &[("a".to_string(), a)]);
        assert_eq!(back.lines().skip(1).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>());
    }
}
