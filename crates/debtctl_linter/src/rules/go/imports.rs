//! What a Go file imports, by the names it binds them to.

use super::NodeExt;
use rustc_hash::FxHashMap as HashMap;
use tree_sitter::Node;

#[derive(Debug, Default)]
pub(crate) struct Imports {
    /// Local name -> import path (`h` -> `net/http` after `import h "net/http"`).
    by_name: HashMap<String, String>,
    /// Paths imported with `.`.
    pub dot: Vec<String>,
    /// The file imports `"C"` (cgo).
    pub cgo: bool,
    /// Paths imported without a name whose package name [`default_name`] may guess wrong
    /// (`github.com/json-iterator/go` is package `jsoniter`): the package's own `package`
    /// clause decides, once the API index has read it.
    pub unsure: Vec<String>,
}

impl Imports {
    pub fn collect(root: Node<'_>, source: &str) -> Imports {
        let mut out = Imports::default();
        let mut cursor = root.walk();
        for decl in root.named_children(&mut cursor) {
            match decl.kind_str() {
                "import_declaration" => {}
                "package_clause" | "comment" => continue,
                _ => break,
            }
            let mut specs = Vec::new();
            let mut c = decl.walk();
            for child in decl.named_children(&mut c) {
                match child.kind_str() {
                    "import_spec" => specs.push(child),
                    "import_spec_list" => {
                        let mut lc = child.walk();
                        specs.extend(child.named_children(&mut lc).filter(|s| s.kind_str() == "import_spec"));
                    }
                    _ => {}
                }
            }
            for spec in specs {
                let Some(path) = spec.field("path") else { continue };
                let path = source[path.byte_range()].trim_matches(|c| c == '"' || c == '`');
                if path == "C" {
                    out.cgo = true;
                    continue;
                }
                match spec.field("name") {
                    Some(n) if n.kind_str() == "dot" => out.dot.push(path.to_string()),
                    Some(n) if n.kind_str() == "blank_identifier" || &source[n.byte_range()] == "_" => {}
                    Some(n) => {
                        out.by_name.insert(source[n.byte_range()].to_string(), path.to_string());
                    }
                    None => {
                        let name = default_name(path);
                        if is_unsure(path, name) {
                            out.unsure.push(path.to_string());
                        }
                        out.by_name.insert(name.to_string(), path.to_string());
                    }
                }
            }
        }
        out
    }

    /// Every path the file imports under a name or with `.`.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_name.values().chain(&self.dot).map(String::as_str)
    }

    /// Whether the file imports `path` under any name.
    pub fn has_path(&self, path: &str) -> bool {
        self.by_name.values().any(|p| p == path) || self.dot.iter().any(|p| p == path)
    }

    /// The import path a package name in this file stands for.
    pub fn path(&self, name: &str) -> Option<&str> {
        self.by_name.get(name).map(String::as_str)
    }
}

/// The name a package is imported under when the import gives none: the last path
/// element, without a `/vN` major suffix, a `.vN` gopkg.in suffix or a `go-` prefix, and
/// its last `-` part (`golang-lru` is `lru`) — unless that part is `go`, which cannot name
/// a package: then, as goimports assumes, the element up to its first character that
/// cannot be in an identifier (`opentracing-go` is `opentracing`, `jaeger-client-go` is
/// `jaeger`).
pub(crate) fn default_name(path: &str) -> &str {
    let mut parts = path.rsplit('/');
    let mut last = parts.next().unwrap_or(path);
    if is_major(last) {
        last = parts.next().unwrap_or(last);
    }
    if let Some((base, v)) = last.rsplit_once(".v") {
        if v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty() {
            last = base;
        }
    }
    let last = last.strip_prefix("go-").unwrap_or(last);
    match last.rsplit('-').next() {
        Some("go") if last != "go" => {
            let end = last.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(last.len());
            &last[..end]
        }
        part => part.unwrap_or(last),
    }
}

/// Whether the name guessed for an import path is less than certain: the last path
/// element is not that name as it stands (`go-yaml`, `yaml.v2`, `log/v2`), or is `go`.
fn is_unsure(path: &str, name: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    last != name || last == "go"
}

fn is_major(elem: &str) -> bool {
    elem.strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && n != "1" && n != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names() {
        assert_eq!(default_name("net/http"), "http");
        assert_eq!(default_name("gopkg.in/yaml.v3"), "yaml");
        assert_eq!(default_name("github.com/go-kit/log/v2"), "log");
        assert_eq!(default_name("k8s.io/api/core/v1"), "v1");
        assert_eq!(default_name("github.com/mattn/go-sqlite3"), "sqlite3");
        assert_eq!(default_name("github.com/hashicorp/golang-lru"), "lru");
        // Regression (issue 12, go/shadow on prometheus): `opentracing.StartSpanFromContext`
        // was unknown, its import read as a package named `go`.
        assert_eq!(default_name("github.com/opentracing/opentracing-go"), "opentracing");
        assert_eq!(default_name("github.com/uber/jaeger-client-go"), "jaeger");
        assert_eq!(default_name("github.com/json-iterator/go"), "go");
    }
}
