//! The Go API index: what other packages declare, read with tree-sitter from their
//! sources (no Go toolchain), by import path. The package stage ([`super::package`]) knows
//! the current package; this answers the same questions ("what does this callee return",
//! "what type has this field", "which type promotes this method") for the packages a file
//! imports, for every Go rule through [`super::types::Resolver`]. Finding a package's
//! directory is the workspace's job; a package it could not find is absent, and its calls
//! stay unknown.

use super::package::{package_name, Decls, PackageFacts, PackageFile, Results};
use super::types::Ty;
use rustc_hash::FxHashMap as HashMap;
use std::sync::{Arc, Mutex};

/// The exported API of one package, read from its non-test files.
#[derive(Debug, Default)]
pub struct PackageApi {
    pub(crate) decls: Decls,
    /// The package's own name, from its `package` clause (empty where not known, as for
    /// the embedded standard library, whose names are their paths' last elements).
    pub(crate) name: String,
}

impl PackageApi {
    /// Reads the top-level declarations of a package's files (`_test.go` files and files
    /// of another package clause, such as `package main` tools beside a library, skipped).
    pub fn read(files: &[PackageFile<'_>]) -> PackageApi {
        Self::read_reusing(files, None)
    }

    /// [`PackageApi::read`], from `facts` when they are [`PackageFacts::collect`]'s of the
    /// same files and no test file shares the package's clause: the API is then the very
    /// declarations the package stage read, and nothing is read twice.
    pub fn read_reusing(files: &[PackageFile<'_>], facts: Option<&PackageFacts>) -> PackageApi {
        fn clause<'a>(f: &PackageFile<'a>) -> Option<&'a str> {
            f.tree.and_then(|t| package_name(t.root_node(), f.source))
        }
        let (tests, files): (Vec<&PackageFile<'_>>, Vec<&PackageFile<'_>>) =
            files.iter().partition(|f| f.name.ends_with("_test.go"));
        let mut names: HashMap<&str, usize> = HashMap::default();
        for f in &files {
            if let Some(name) = clause(f) {
                if name != "main" && name != "documentation" {
                    *names.entry(name).or_default() += 1;
                }
            }
        }
        // The package clause most files carry, ties broken by name for determinism.
        let Some(main) =
            names.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(n, _)| n.to_string())
        else {
            return PackageApi::default();
        };
        if let Some(decls) = facts.filter(|_| tests.iter().all(|t| clause(t) != Some(main.as_str()))) {
            if let Some(decls) = decls.package(&main) {
                return PackageApi { decls: decls.clone(), name: main };
            }
        }
        let units: Vec<PackageFile<'_>> =
            files.iter().map(|f| PackageFile { name: f.name, source: f.source, tree: f.tree }).collect();
        let mut facts = PackageFacts::collect(&units);
        PackageApi { decls: facts.take(&main), name: main }
    }
}

/// Where the index gets a package it has not read yet, by import path: the workspace
/// finds its directory and reads it. `None`: not found, its calls stay unknown.
pub trait ApiSource: Send + Sync {
    fn load(&self, path: &str) -> Option<Arc<PackageApi>>;
}

/// The APIs of the packages one package's files can reach, by import path, read on
/// demand: only the packages a query asks about are read (a file imports many packages
/// and calls into few; an API's types name many more).
#[derive(Default, Clone)]
pub struct GoApi {
    packages: Arc<Mutex<HashMap<String, Option<Arc<PackageApi>>>>>,
    source: Option<Arc<dyn ApiSource>>,
}

impl std::fmt::Debug for GoApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let loaded = self.lock().values().filter(|p| p.is_some()).count();
        f.debug_struct("GoApi").field("loaded", &loaded).finish()
    }
}

/// Basic and predeclared types keep their name in any package.
fn is_universe(name: &str) -> bool {
    matches!(
        name,
        "bool"
            | "string"
            | "int"
            | "int8"
            | "int16"
            | "int32"
            | "int64"
            | "uint"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "uintptr"
            | "byte"
            | "rune"
            | "float32"
            | "float64"
            | "complex64"
            | "complex128"
            | "error"
            | "any"
    )
}

/// A type written in package `path`'s notation, in the notation of any package: its own
/// type names gain the import path (`Client` -> `net/http.Client`, `[]*Pod` ->
/// `[]*k8s.io/api/core/v1.Pod`); imported and basic types stay as they are.
pub(crate) fn qualify(ty: &str, path: &str) -> Ty {
    let mut out = String::with_capacity(ty.len() + path.len() + 1);
    let mut rest = ty;
    loop {
        if let Some(r) = rest.strip_prefix('*') {
            out.push('*');
            rest = r;
        } else if let Some(r) = rest.strip_prefix("chan:") {
            out.push_str("chan:");
            rest = r;
        } else if let Some(r) = rest.strip_prefix("func:") {
            // Each result of a function type (see `super::types::func_type`).
            out.push_str("func:");
            let parts: Vec<Ty> = r
                .split(';')
                .map(|t| if t == "?" || t.is_empty() { t.to_string() } else { qualify(t, path) })
                .collect();
            out.push_str(&parts.join(";"));
            return out;
        } else if let Some(r) = rest.strip_prefix("map[") {
            // map[K]V: qualify K up to its closing bracket, then V.
            let mut depth = 1usize;
            let end = r.char_indices().find_map(|(i, c)| {
                match c {
                    '[' => depth += 1,
                    ']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i);
                        }
                    }
                    _ => {}
                }
                None
            });
            let Some(end) = end else {
                out.push_str(rest);
                return out;
            };
            out.push_str("map[");
            out.push_str(&qualify(&r[..end], path));
            out.push(']');
            rest = &r[end + 1..];
        } else if rest.starts_with('[') {
            let Some(end) = rest.find(']') else {
                out.push_str(rest);
                return out;
            };
            out.push_str(&rest[..=end]);
            rest = &rest[end + 1..];
        } else {
            if !rest.contains('.') && !is_universe(rest) && !rest.is_empty() {
                out.push_str(path);
                out.push('.');
            }
            out.push_str(rest);
            return out;
        }
    }
}

impl GoApi {
    /// An index that reads the packages it is asked about from `source`.
    pub fn with_source(source: Arc<dyn ApiSource>) -> GoApi {
        GoApi { packages: Arc::default(), source: Some(source) }
    }

    pub fn insert(&mut self, path: &str, api: Arc<PackageApi>) {
        self.lock().insert(path.to_string(), Some(api));
    }

    pub fn is_empty(&self) -> bool {
        self.source.is_none() && self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<Arc<PackageApi>>>> {
        self.packages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The package, read now if it was not yet.
    fn package(&self, path: &str) -> Option<Arc<PackageApi>> {
        if let Some(p) = self.lock().get(path) {
            return p.clone();
        }
        // The standard library's facts compiled in answer where no GOROOT was found.
        let loaded = self
            .source
            .as_ref()
            .and_then(|s| s.load(path))
            .or_else(|| super::stdlib::embedded().package(path));
        self.lock().insert(path.to_string(), loaded.clone());
        loaded
    }

    /// The name package `path` declares in its `package` clause, read now if it was not.
    pub(crate) fn package_name(&self, path: &str) -> Option<String> {
        self.package(path).map(|p| p.name.clone()).filter(|n| !n.is_empty())
    }

    /// `path.T` split into its package and `T`.
    fn owner<'a>(&self, ty: &'a str) -> Option<(&'a str, Arc<PackageApi>, &'a str)> {
        let (path, name) = ty.rsplit_once('.')?;
        Some((path, self.package(path)?, name))
    }

    /// The results of function `path.name`, types qualified.
    pub(crate) fn func(&self, path: &str, name: &str) -> Option<Results> {
        let r = self.package(path)?.decls.funcs.get(name).map(|r| qualified(r, path));
        r
    }

    /// Whether function `path.name` returns an `error` last: [`GoApi::func`]'s answer
    /// without qualifying every result type.
    pub(crate) fn func_returns_error(&self, path: &str, name: &str) -> bool {
        self.package(path).is_some_and(|p| p.decls.funcs.get(name).is_some_and(Results::returns_error))
    }

    /// Whether method `m` of `path.T` returns an `error` last: [`GoApi::method`]'s answer
    /// without qualifying every result type.
    pub(crate) fn method_returns_error(&self, ty: &str, m: &str) -> bool {
        self.promoted(ty, |_, decls, name| decls.methods.get(name)?.get(m).map(Results::returns_error))
            .unwrap_or(false)
    }

    /// The type of package variable `path.name`, through variables declared as another
    /// package's (`var ErrNotFound = exec.ErrNotFound`, written `=os/exec.ErrNotFound`).
    pub(crate) fn var(&self, path: &str, name: &str) -> Option<Ty> {
        let (mut path, mut name) = (path.to_string(), name.to_string());
        for _ in 0..4 {
            let t = self.package(&path)?.decls.vars.get(&name).cloned()?;
            let Some(other) = t.strip_prefix('=') else { return Some(qualify(&t, &path)) };
            let (p, n) = other.rsplit_once('.')?;
            (path, name) = (p.to_string(), n.to_string());
        }
        None
    }

    /// The type of field `f` of `path.T`, through embedded fields as Go promotes them
    /// (the shallowest wins; two at the same depth are unknown).
    pub(crate) fn field(&self, ty: &str, f: &str) -> Option<Ty> {
        self.promoted(ty, |path, decls, name| decls.fields.get(name)?.get(f).map(|t| qualify(t, path)))
    }

    /// The results of method `m` of `path.T` (interface methods included), found on the
    /// type or promoted through its embedded fields and interfaces.
    pub(crate) fn method(&self, ty: &str, m: &str) -> Option<Results> {
        self.promoted(ty, |path, decls, name| decls.methods.get(name)?.get(m).map(|r| qualified(r, path)))
    }

    /// Looks `find` up on `ty`, then level by level on the types it embeds. Unknown (None)
    /// when a level names the selector twice, or embeds a type the index does not hold
    /// before the selector is found (it might declare it).
    fn promoted<T>(&self, ty: &str, find: impl Fn(&str, &Decls, &str) -> Option<T>) -> Option<T> {
        let mut level = vec![ty.trim_start_matches('*').to_string()];
        for _ in 0..5 {
            let mut found = Vec::new();
            let mut next = Vec::new();
            for t in &level {
                let (path, pkg, name) = self.owner(t)?;
                let decls = &pkg.decls;
                if let Some(v) = find(path, decls, name) {
                    found.push(v);
                    continue;
                }
                if let Some(embeds) = decls.embeds.get(name) {
                    next.extend(embeds.iter().map(|e| qualify(e.trim_start_matches('*'), path)));
                }
            }
            match found.len() {
                0 => {}
                1 => return found.pop(),
                _ => return None,
            }
            if next.is_empty() {
                return None;
            }
            level = next;
        }
        None
    }

    /// A digest of the APIs the package reads, for the result caches.
    pub fn digest(&self) -> u64 {
        let packages = self.lock();
        let mut keys: Vec<&String> = packages.keys().collect();
        keys.sort();
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for k in keys {
            h.update(k.as_bytes());
            h.update(&[0]);
            if let Some(p) = &packages[k] {
                p.decls.digest(&mut h);
            }
        }
        h.digest()
    }
}

fn qualified(r: &Results, path: &str) -> Results {
    Results {
        types: r.types.iter().map(|t| t.as_deref().map(|t| qualify(t, path))).collect(),
        errors: r.errors.clone(),
    }
}

/// The import paths a package's files name, in order, without duplicates or `"C"`.
pub fn imported_paths(files: &[PackageFile<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in files {
        let Some(tree) = f.tree else { continue };
        for p in super::imports::Imports::collect(tree.root_node(), f.source).paths() {
            if !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use debtctl_syntax::{parse, Language};

    fn api(files: &[(&str, &str)]) -> PackageApi {
        let trees: Vec<_> = files.iter().map(|(_, s)| parse(Language::Go, s)).collect();
        let units: Vec<PackageFile<'_>> = files
            .iter()
            .zip(&trees)
            .map(|((n, s), t)| PackageFile { name: n, source: s, tree: t.as_ref() })
            .collect();
        PackageApi::read(&units)
    }

    #[test]
    fn qualify_names_the_package_of_its_own_types() {
        assert_eq!(qualify("Client", "net/http"), "net/http.Client");
        assert_eq!(qualify("[]*Pod", "k8s.io/api/core/v1"), "[]*k8s.io/api/core/v1.Pod");
        assert_eq!(qualify("map[string]Value", "p"), "map[string]p.Value");
        assert_eq!(qualify("map[Key][]int", "p"), "map[p.Key][]int");
        assert_eq!(qualify("io.Reader", "p"), "io.Reader");
        assert_eq!(qualify("error", "p"), "error");
        assert_eq!(qualify("[4]byte", "p"), "[4]byte");
        assert_eq!(qualify("func:Result;error", "p"), "func:p.Result;error");
        assert_eq!(qualify("func:", "p"), "func:");
        assert_eq!(qualify("[]func:?;*T", "p"), "[]func:?;*p.T");
        assert_eq!(qualify("chan:*Event", "p"), "chan:*p.Event");
    }

    #[test]
    fn functions_methods_fields_and_promotion_across_packages() {
        let lib = api(&[
            (
                "lib.go",
                "package lib\n\nimport \"io\"\n\ntype Client struct{ *Base; Body io.ReadCloser }\n\ntype Base struct{}\n\nfunc (b *Base) Do() (int, error) { return 0, nil }\n\nfunc New() (*Client, error) { return nil, nil }\n\ntype Store interface { io.Closer; Add(x int) error }\n",
            ),
            ("lib_test.go", "package lib\n\nfunc Hidden() error { return nil }\n"),
            ("tool.go", "package main\n\nfunc Tool() error { return nil }\n"),
        ]);
        let mut idx = GoApi::default();
        idx.insert("example.com/lib", Arc::new(lib));
        idx.insert("io", Arc::new(api(&[("io.go", "package io\n\ntype Closer interface { Close() error }\n\ntype ReadCloser interface { Reader; Closer }\n\ntype Reader interface { Read(p []byte) (n int, err error) }\n")])));
        let new = idx.func("example.com/lib", "New").unwrap();
        assert_eq!(new.types, [Some("example.com/lib.Client".to_string()), Some("error".to_string())]);
        assert!(new.returns_error());
        assert!(idx.func("example.com/lib", "Hidden").is_none(), "test files are not the API");
        assert!(idx.func("example.com/lib", "Tool").is_none(), "another package clause");
        assert!(idx.method("example.com/lib.Client", "Do").unwrap().returns_error(), "promoted from *Base");
        assert!(idx.method("example.com/lib.Store", "Close").unwrap().returns_error(), "embedded io.Closer");
        assert!(idx.method("example.com/lib.Store", "Add").unwrap().returns_error());
        assert_eq!(idx.field("example.com/lib.Client", "Body").as_deref(), Some("io.ReadCloser"));
        assert!(idx.method("io.ReadCloser", "Close").unwrap().returns_error());
        assert!(idx.method("example.com/lib.Client", "Nope").is_none());
        assert!(idx.method("other.T", "Close").is_none(), "a package not in the index is unknown");
        // On demand: a package is read when first asked about, once.
        struct Counting(std::sync::atomic::AtomicUsize);
        impl ApiSource for Counting {
            fn load(&self, path: &str) -> Option<Arc<PackageApi>> {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                (path == "a")
                    .then(|| Arc::new(api(&[("a.go", "package a\n\nfunc F() error { return nil }\n")])))
            }
        }
        let source = Arc::new(Counting(Default::default()));
        let lazy = GoApi::with_source(source.clone());
        assert_eq!(source.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert!(lazy.func("a", "F").unwrap().returns_error());
        assert!(lazy.func("a", "G").is_none());
        assert!(lazy.func("b", "F").is_none());
        assert_eq!(source.0.load(std::sync::atomic::Ordering::SeqCst), 2, "a once, b once");
    }
}
