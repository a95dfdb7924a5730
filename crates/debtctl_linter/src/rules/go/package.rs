//! The package stage: facts about one directory of Go files that no single file holds.
//! Which functions and methods return `error`, what constructors and fields give, which
//! package variables have which type, and whether the directory has tests. Computed once
//! per directory from the top-level declarations of every file (generated and test files
//! included), then shared read-only by the rules of every file.

use super::api::GoApi;
use super::imports::Imports;
use super::types::{type_of, Ty};
use super::{children_by_field, NodeExt};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use tree_sitter::{Node, Tree};

/// One file of a package, as the package stage reads it.
pub struct PackageFile<'a> {
    /// The file name (or path); only its `_test.go` suffix matters here.
    pub name: &'a str,
    pub source: &'a str,
    pub tree: Option<&'a Tree>,
}

/// What the files of one Go package (one directory) declare.
#[derive(Debug, Default)]
pub struct PackageFacts {
    /// The directory holds at least one `_test.go` file.
    pub has_tests: bool,
    /// Per package clause name (a directory may hold `foo` and `foo_test`).
    packages: HashMap<String, Decls>,
    /// The APIs of the packages the files import, as far as they were found.
    api: GoApi,
    /// What each file read by [`PackageFacts::collect`] imports, by name, with where its
    /// text was (address and length): the rules of a file read it rather than read the
    /// imports again, but only for the very text the facts were read from.
    imports: Vec<(String, (usize, usize), Imports)>,
}

/// The declarations of one package.
#[derive(Debug, Default, Clone)]
pub(crate) struct Decls {
    /// Top-level function name -> its result types (`None` where not a type we model).
    pub funcs: HashMap<String, Results>,
    /// (receiver type name, method name) -> results; interface methods included.
    pub methods: HashMap<String, HashMap<String, Results>>,
    /// (struct type name, field name) -> field type; an embedded field under its type's name.
    pub fields: HashMap<String, HashMap<String, Ty>>,
    /// Struct or interface type name -> the types it embeds, whose methods it promotes.
    pub embeds: HashMap<String, Vec<Ty>>,
    /// Package-level variables with a type we know.
    pub vars: HashMap<String, Ty>,
    /// Every top-level name a file of the package declares (functions, types, vars, consts).
    pub names: HashSet<String>,
    /// go/cgo-leak's one-level summary: function or method name -> the parameters (by
    /// index, receiver not counted) that it frees, returns or stores, so that a pointer
    /// passed there is handed on. Only functions with a C or unsafe pointer parameter.
    pub owners: HashMap<String, Vec<u32>>,
    /// C functions defined in the package's cgo preambles -> the parameters they hand to a
    /// callee together with `free` as its destructor.
    pub c_owners: HashMap<String, Vec<u32>>,
}

/// A function's result list: each result's type, and which results are `error`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Results {
    pub types: Vec<Option<Ty>>,
    pub errors: Vec<bool>,
}

impl Results {
    /// The last result is `error`.
    pub fn returns_error(&self) -> bool {
        self.errors.last().copied().unwrap_or(false)
    }
}

static EMPTY: std::sync::LazyLock<Decls> = std::sync::LazyLock::new(Decls::default);

impl PackageFacts {
    /// Reads the top-level declarations of every file of a directory.
    pub fn collect(files: &[PackageFile<'_>]) -> PackageFacts {
        let mut facts = PackageFacts::default();
        facts.add(files);
        facts
    }

    /// Reads the top-level declarations of more files of the directory: [`collect`] of
    /// `a` then `add` of `b` are the facts of `a` and `b` (read in that order).
    ///
    /// [`collect`]: PackageFacts::collect
    pub fn add(&mut self, files: &[PackageFile<'_>]) {
        self.has_tests |= files.iter().any(|f| f.name.ends_with("_test.go"));
        for file in files {
            let Some(tree) = file.tree else { continue };
            let root = tree.root_node();
            let Some(pkg) = package_name(root, file.source) else { continue };
            let imports = Imports::collect(root, file.source);
            let decls = self.packages.entry(pkg.to_string()).or_default();
            decls.read_file(root, file.source, &imports);
            self.imports.push((file.name.to_string(), text_id(file.source), imports));
        }
    }

    /// What file `name` imports, if the facts were read from this very `source`.
    pub(crate) fn imports_of(&self, name: &str, source: &str) -> Option<&Imports> {
        let id = text_id(source);
        self.imports.iter().find(|(n, at, _)| *at == id && n == name).map(|(_, _, i)| i)
    }

    /// The import paths the files name, in order, without duplicates or `"C"`: as
    /// [`super::api::imported_paths`] reads them from the same files.
    pub fn imported_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, _, imports) in &self.imports {
            for p in imports.paths() {
                if !out.iter().any(|o| o == p) {
                    out.push(p.to_string());
                }
            }
        }
        out
    }

    /// The declarations of package clause `name`, if a file declares it.
    pub(crate) fn package(&self, name: &str) -> Option<&Decls> {
        self.packages.get(name)
    }

    /// The declarations of the package a file belongs to.
    pub(crate) fn decls(&self, package: Option<&str>) -> &Decls {
        package.and_then(|p| self.packages.get(p)).unwrap_or(&EMPTY)
    }

    /// Takes the declarations of package clause `name` out of the facts.
    pub(crate) fn take(&mut self, name: &str) -> Decls {
        self.packages.remove(name).unwrap_or_default()
    }

    /// Gives the files the APIs of the packages they import.
    pub fn set_api(&mut self, api: GoApi) {
        self.api = api;
    }

    pub(crate) fn api(&self) -> &GoApi {
        &self.api
    }
}

/// Where a text is, to tell the text the facts were read from from another one.
fn text_id(source: &str) -> (usize, usize) {
    (source.as_ptr() as usize, source.len())
}

/// The name of a file's package clause.
pub(crate) fn package_name<'s>(root: Node<'_>, source: &'s str) -> Option<&'s str> {
    let mut cursor = root.walk();
    let clause = root.named_children(&mut cursor).find(|n| n.kind_str() == "package_clause")?;
    let name = clause.named_child(0)?;
    Some(&source[name.byte_range()])
}

impl Decls {
    fn read_file(&mut self, root: Node<'_>, source: &str, imports: &Imports) {
        if imports.cgo {
            for (name, params) in super::cgo_leak::preamble_owners(root, source) {
                merge_indices(self.c_owners.entry(name).or_default(), &params);
            }
        }
        let mut cursor = root.walk();
        for decl in root.named_children(&mut cursor) {
            if decl.has_error() && decl.is_error() {
                continue;
            }
            match decl.kind_str() {
                "function_declaration" => {
                    let Some(name) = decl.field("name") else { continue };
                    let name = &source[name.byte_range()];
                    self.names.insert(name.to_string());
                    let results = results_of(decl, source, imports);
                    self.funcs.insert(name.to_string(), results);
                    self.add_owners(name, super::cgo_leak::summary(decl, source));
                }
                "method_declaration" => {
                    let (Some(name), Some(recv)) = (decl.field("name"), decl.field("receiver")) else {
                        continue;
                    };
                    self.add_owners(&source[name.byte_range()], super::cgo_leak::summary(decl, source));
                    let Some(recv_ty) = receiver_type(recv, source) else { continue };
                    let results = results_of(decl, source, imports);
                    self.methods
                        .entry(recv_ty)
                        .or_default()
                        .insert(source[name.byte_range()].to_string(), results);
                }
                "type_declaration" => {
                    let mut c = decl.walk();
                    for spec in decl.named_children(&mut c) {
                        if !matches!(spec.kind_str(), "type_spec" | "type_alias") {
                            continue;
                        }
                        self.read_type_spec(spec, source, imports);
                    }
                }
                "var_declaration" | "const_declaration" => {
                    let mut specs = Vec::new();
                    collect_specs(decl, &mut specs);
                    for spec in specs {
                        let ty = spec.field("type").and_then(|t| type_of(t, source, imports));
                        let mut c = spec.walk();
                        for name in children_by_field(spec, "name", &mut c) {
                            let name = &source[name.byte_range()];
                            self.names.insert(name.to_string());
                            if let Some(ty) = &ty {
                                self.vars.insert(name.to_string(), ty.clone());
                            }
                        }
                        if ty.is_none() {
                            self.var_values(spec, source, imports);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// `var client = &http.Client{}`: the type of a package variable from its value (and
    /// `var ErrX = errors.New("x")`, see [`sentinel`]).
    fn var_values(&mut self, spec: Node<'_>, source: &str, imports: &Imports) {
        let Some(values) = spec.field("value") else { return };
        let mut c = spec.walk();
        let names: Vec<_> = children_by_field(spec, "name", &mut c).collect();
        let mut vc = values.walk();
        let values: Vec<_> = values.named_children(&mut vc).collect();
        if names.len() != values.len() {
            return;
        }
        for (n, v) in names.iter().zip(values) {
            if let Some(ty) = super::types::literal_type(v, source, imports)
                .or_else(|| sentinel(v, source, imports))
                .or_else(|| var_of(v, source, imports))
            {
                self.vars.insert(source[n.byte_range()].to_string(), ty);
            }
        }
    }

    fn read_type_spec(&mut self, spec: Node<'_>, source: &str, imports: &Imports) {
        let (Some(name), Some(ty)) = (spec.field("name"), spec.field("type")) else {
            return;
        };
        let name = source[name.byte_range()].to_string();
        self.names.insert(name.clone());
        match ty.kind_str() {
            // `type Error = exec.Error`: the alias has the aliased type's fields and methods,
            // read as if it embedded it.
            "qualified_type" | "type_identifier" if spec.kind_str() == "type_alias" => {
                if let Some(t) = type_of(ty, source, imports) {
                    self.embeds.entry(name.clone()).or_default().push(t);
                }
            }
            "struct_type" => {
                let Some(list) = ty.named_child(0) else { return };
                let mut c = list.walk();
                for field in list.named_children(&mut c) {
                    if field.kind_str() != "field_declaration" {
                        continue;
                    }
                    let Some(fty) = field.field("type").and_then(|t| type_of(t, source, imports)) else {
                        continue;
                    };
                    let mut fc = field.walk();
                    let mut named = false;
                    for fname in children_by_field(field, "name", &mut fc) {
                        named = true;
                        self.fields
                            .entry(name.clone())
                            .or_default()
                            .insert(source[fname.byte_range()].to_string(), fty.clone());
                    }
                    if !named {
                        // An embedded field is named by its type's name: `d.WriteCloser`.
                        let short = fty.rsplit_once('.').map_or(fty.as_str(), |(_, n)| n).to_string();
                        self.fields.entry(name.clone()).or_default().insert(short, fty.clone());
                        self.embeds.entry(name.clone()).or_default().push(fty);
                    }
                }
            }
            "interface_type" => {
                let mut c = ty.walk();
                for elem in ty.named_children(&mut c) {
                    if elem.kind_str() == "type_elem" {
                        // `interface { io.Writer; ... }` embeds io.Writer's methods.
                        let embedded = elem.named_child(0).filter(|_| elem.named_child_count() == 1);
                        if let Some(t) = embedded.and_then(|t| type_of(t, source, imports)) {
                            self.embeds.entry(name.clone()).or_default().push(t);
                        }
                        continue;
                    }
                    if elem.kind_str() != "method_elem" {
                        continue;
                    }
                    let Some(m) = elem.field("name") else { continue };
                    let results = results_of(elem, source, imports);
                    self.methods
                        .entry(name.clone())
                        .or_default()
                        .insert(source[m.byte_range()].to_string(), results);
                }
            }
            _ => {}
        }
    }
}

impl Decls {
    fn add_owners(&mut self, name: &str, params: Vec<u32>) {
        if !params.is_empty() {
            merge_indices(self.owners.entry(name.to_string()).or_default(), &params);
        }
    }
}

/// Adds `more` to a sorted set of indices.
fn merge_indices(into: &mut Vec<u32>, more: &[u32]) {
    into.extend_from_slice(more);
    into.sort_unstable();
    into.dedup();
}

fn collect_specs<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    let mut c = node.walk();
    for child in node.named_children(&mut c) {
        match child.kind_str() {
            "var_spec" | "const_spec" => out.push(child),
            "var_spec_list" | "const_spec_list" => collect_specs(child, out),
            _ => {}
        }
    }
}

/// The receiver's type name, pointer and type parameters stripped: `S` for `(s *S[T])`.
pub(crate) fn receiver_type(recv: Node<'_>, source: &str) -> Option<String> {
    let param = recv.named_child(0)?;
    let mut ty = param.field("type")?;
    loop {
        match ty.kind_str() {
            "pointer_type" | "parenthesized_type" => ty = ty.named_child(0)?,
            "generic_type" => ty = ty.field("type")?,
            "type_identifier" => return Some(source[ty.byte_range()].to_string()),
            _ => return None,
        }
    }
}

/// The result list of a function, method or interface method.
pub(crate) fn results_of(decl: Node<'_>, source: &str, imports: &Imports) -> Results {
    let mut out = Results::default();
    let Some(result) = decl.field("result") else { return out };
    if result.kind_str() == "parameter_list" {
        let mut c = result.walk();
        for p in result.named_children(&mut c) {
            let Some(t) = p.field("type") else { continue };
            let is_err = &source[t.byte_range()] == "error";
            let ty = type_of(t, source, imports);
            let mut nc = p.walk();
            let n = children_by_field(p, "name", &mut nc).count().max(1);
            for _ in 0..n {
                out.types.push(ty.clone());
                out.errors.push(is_err);
            }
        }
    } else {
        out.errors.push(&source[result.byte_range()] == "error");
        out.types.push(type_of(result, source, imports));
    }
    out
}

impl PackageFacts {
    /// A digest of everything [`PackageFacts::collect`] reads from one file: its top-level
    /// declarations (package clause, imports, types, variables, constants, and functions and
    /// methods without their bodies), as written; top-level comments do not count. Two files
    /// with the same signature contribute the same facts, so a cache can key a package's
    /// facts on its files' signatures (and whether it has tests): editing a function body
    /// leaves them, changing a result type does not. A file without a tree has the
    /// signature of an empty one.
    pub fn signature(source: &str, tree: Option<&Tree>) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        if let Some(tree) = tree {
            let root = tree.root_node();
            let mut cursor = root.walk();
            for decl in root.children(&mut cursor) {
                if decl.kind_str() == "comment" {
                    continue;
                }
                let range = decl.byte_range();
                let body = match decl.kind_str() {
                    "function_declaration" | "method_declaration" => {
                        decl.field("body").map(|b| b.byte_range())
                    }
                    _ => None,
                };
                match body {
                    Some(body) => {
                        h.update(&source.as_bytes()[range.start..body.start]);
                        h.update(b"{}");
                        h.update(&source.as_bytes()[body.end..range.end]);
                        // A body counts through what go/cgo-leak reads from it.
                        for p in super::cgo_leak::summary(decl, source) {
                            h.update(&p.to_le_bytes());
                        }
                    }
                    None => h.update(&source.as_bytes()[range]),
                }
                h.update(&[0x1e]);
            }
            // The cgo preamble is a comment, read for the C functions that take ownership.
            for (name, params) in super::cgo_leak::preamble_owners(root, source) {
                h.update(name.as_bytes());
                for p in params {
                    h.update(&p.to_le_bytes());
                }
                h.update(&[0x1d]);
            }
        }
        h.digest()
    }
}

/// `var ErrNotFound = exec.ErrNotFound`: the type of another package's variable, written
/// `=path.Name` and looked up when asked ([`super::api::GoApi::var`]).
fn var_of(value: Node<'_>, source: &str, imports: &Imports) -> Option<Ty> {
    if value.kind_str() != "selector_expression" {
        return None;
    }
    let (pkg, name) = (value.field("operand")?, value.field("field")?);
    let path = (pkg.kind_str() == "identifier").then(|| imports.path(&source[pkg.byte_range()])).flatten()?;
    Some(format!("={path}.{}", &source[name.byte_range()]))
}

/// `errors.New(...)` and `fmt.Errorf(...)` are an `error`: the sentinel errors packages
/// declare (`var ErrNotFound = errors.New("not found")`, issue 12's go/error-wrap-verb).
fn sentinel(value: Node<'_>, source: &str, imports: &Imports) -> Option<Ty> {
    let f = (value.kind_str() == "call_expression").then(|| value.field("function")).flatten()?;
    let (pkg, name) = (f.field("operand")?, f.field("field")?);
    let path = (pkg.kind_str() == "identifier").then(|| imports.path(&source[pkg.byte_range()])).flatten()?;
    matches!((path, &source[name.byte_range()]), ("errors", "New") | ("fmt", "Errorf"))
        .then(|| "error".to_string())
}

#[cfg(test)]
mod signature_tests {
    use super::PackageFacts;
    use debtctl_syntax::{parse, Language};

    fn sig(source: &str) -> u64 {
        PackageFacts::signature(source, parse(Language::Go, source).as_ref())
    }

    #[test]
    fn bodies_and_top_level_comments_do_not_count_declarations_do() {
        let base = sig("package p\n\nimport \"os\"\n\n// F does.\nfunc F() error {\n\treturn nil\n}\n");
        let body = sig("package p\n\nimport \"os\"\n\n// F does more.\nfunc F() error {\n\tos.Exit(1)\n\treturn nil\n}\n");
        assert_eq!(base, body);
        assert_ne!(base, sig("package p\n\nimport \"os\"\n\nfunc F() {\n}\n"));
        assert_ne!(base, sig("package q\n\nimport \"os\"\n\nfunc F() error {\n\treturn nil\n}\n"));
        assert_ne!(base, sig("package p\n\nimport \"io\"\n\nfunc F() error {\n\treturn nil\n}\n"));
        let var = sig("package p\n\nvar x = 1\n");
        assert_ne!(var, sig("package p\n\nvar x = \"s\"\n"));
        let method = sig("package p\n\nfunc (s *S) M() error { return nil }\n");
        assert_ne!(method, sig("package p\n\nfunc (s *S) M() int { return 0 }\n"));
        assert_eq!(method, sig("package p\n\nfunc (s *S) M() error { return s.err }\n"));
    }

    /// go/cgo-leak reads function bodies and the cgo preamble (issue 13): a body edit that
    /// changes what a function takes ownership of changes the signature, so the ledger
    /// does not reuse findings of other files computed with the old summary.
    #[test]
    fn ownership_summaries_and_the_cgo_preamble_count() {
        let keeps = sig("package p\n\nimport \"C\"\n\nfunc keep(p *C.char) *C.char {\n\treturn p\n}\n");
        let reads = sig(
            "package p\n\nimport \"C\"\n\nfunc keep(p *C.char) *C.char {\n\tC.puts(p)\n\treturn nil\n}\n",
        );
        assert_ne!(keeps, reads);
        let also_reads =
            sig("package p\n\nimport \"C\"\n\nfunc keep(p *C.char) *C.char {\n\tC.puts(p)\n\tC.puts(p)\n\treturn nil\n}\n");
        assert_eq!(reads, also_reads);
        let owner = "package p\n\n/*\nvoid give(char *s) { take(s, &free); }\n*/\nimport \"C\"\n";
        let lender = "package p\n\n/*\nvoid give(char *s) { take(s, KEEP); }\n*/\nimport \"C\"\n";
        assert_ne!(sig(owner), sig(lender));
    }
}

/// What one file contributes to its package's facts: its package clause and top-level
/// declarations. A cache keeps these per blob, so that a package's facts can be rebuilt
/// with [`PackageFacts::merge`] when one file changes, without parsing the others.
#[derive(Debug, Default)]
pub struct FileFacts {
    is_test: bool,
    package: Option<String>,
    decls: Decls,
}

impl FileFacts {
    /// Reads one file as [`PackageFacts::collect`] reads each of its files.
    pub fn read(file: &PackageFile<'_>) -> FileFacts {
        let mut out =
            FileFacts { is_test: file.name.ends_with("_test.go"), package: None, decls: Decls::default() };
        let Some(tree) = file.tree else { return out };
        let root = tree.root_node();
        let Some(pkg) = package_name(root, file.source) else { return out };
        let imports = Imports::collect(root, file.source);
        out.package = Some(pkg.to_string());
        out.decls.read_file(root, file.source, &imports);
        out
    }

    /// The name in the file's package clause.
    pub fn package(&self) -> Option<&str> {
        self.package.as_deref()
    }
}

impl Decls {
    /// Adds a later file's declarations, as `read_file` on this value would have.
    fn absorb(&mut self, other: &Decls) {
        self.funcs.extend(other.funcs.iter().map(|(k, v)| (k.clone(), v.clone())));
        for (ty, ms) in &other.methods {
            self.methods
                .entry(ty.clone())
                .or_default()
                .extend(ms.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for (ty, fs) in &other.fields {
            self.fields.entry(ty.clone()).or_default().extend(fs.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        self.vars.extend(other.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.names.extend(other.names.iter().cloned());
        for (name, params) in &other.owners {
            merge_indices(self.owners.entry(name.clone()).or_default(), params);
        }
        for (name, params) in &other.c_owners {
            merge_indices(self.c_owners.entry(name.clone()).or_default(), params);
        }
        for (ty, es) in &other.embeds {
            self.embeds.entry(ty.clone()).or_default().extend(es.iter().cloned());
        }
    }

    /// The entries a file can look up by the identifiers it holds: functions, variables and
    /// names by name, methods and fields by their own name (under any type).
    fn project(&self, idents: &HashSet<&str>) -> Decls {
        let keep = |k: &String| idents.contains(k.as_str());
        let inner =
            |m: &HashMap<String, HashMap<String, Results>>| -> HashMap<String, HashMap<String, Results>> {
                m.iter()
                    .map(|(ty, ms)| {
                        (
                            ty.clone(),
                            ms.iter().filter(|(k, _)| keep(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
                        )
                    })
                    .filter(|(_, ms): &(String, HashMap<String, Results>)| !ms.is_empty())
                    .collect()
            };
        Decls {
            funcs: self.funcs.iter().filter(|(k, _)| keep(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
            methods: inner(&self.methods),
            fields: self
                .fields
                .iter()
                .map(|(ty, fs)| {
                    (
                        ty.clone(),
                        fs.iter().filter(|(k, _)| keep(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
                    )
                })
                .filter(|(_, fs): &(String, HashMap<String, Ty>)| !fs.is_empty())
                .collect(),
            vars: self.vars.iter().filter(|(k, _)| keep(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
            names: self.names.iter().filter(|k| keep(k)).cloned().collect(),
            owners: self
                .owners
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            c_owners: self
                .c_owners
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            // Looked up by type, as methods are found through them: kept whole.
            embeds: self.embeds.clone(),
        }
    }

    /// Feeds the declarations to `h` in a canonical (sorted) order.
    pub(crate) fn digest(&self, h: &mut xxhash_rust::xxh3::Xxh3) {
        fn sorted<V>(m: &HashMap<String, V>) -> Vec<(&String, &V)> {
            let mut v: Vec<_> = m.iter().collect();
            v.sort_by(|a, b| a.0.cmp(b.0));
            v
        }
        let s = |h: &mut xxhash_rust::xxh3::Xxh3, text: &str| {
            h.update(text.as_bytes());
            h.update(&[0]);
        };
        let results = |h: &mut xxhash_rust::xxh3::Xxh3, r: &Results| {
            for (t, e) in r.types.iter().zip(&r.errors) {
                h.update(&[u8::from(t.is_some()), u8::from(*e)]);
                h.update(t.as_deref().unwrap_or("").as_bytes());
                h.update(&[0]);
            }
            h.update(&[r.types.len() as u8, r.errors.len() as u8, 0x1f]);
        };
        s(h, "funcs");
        for (k, r) in sorted(&self.funcs) {
            s(h, k);
            results(h, r);
        }
        s(h, "methods");
        for (ty, ms) in sorted(&self.methods) {
            s(h, ty);
            for (k, r) in sorted(ms) {
                s(h, k);
                results(h, r);
            }
            h.update(&[0x1e]);
        }
        s(h, "fields");
        for (ty, fs) in sorted(&self.fields) {
            s(h, ty);
            for (k, t) in sorted(fs) {
                s(h, k);
                s(h, t);
            }
            h.update(&[0x1e]);
        }
        s(h, "vars");
        for (k, t) in sorted(&self.vars) {
            s(h, k);
            s(h, t);
        }
        s(h, "embeds");
        for (ty, es) in sorted(&self.embeds) {
            s(h, ty);
            for t in es {
                s(h, t);
            }
            h.update(&[0x1e]);
        }
        for (section, map) in [("owners", &self.owners), ("c_owners", &self.c_owners)] {
            s(h, section);
            for (k, params) in sorted(map) {
                s(h, k);
                for p in params {
                    h.update(&p.to_le_bytes());
                }
                h.update(&[0x1e]);
            }
        }
        s(h, "names");
        let mut names: Vec<_> = self.names.iter().collect();
        names.sort();
        for n in names {
            s(h, n);
        }
    }
}

impl PackageFacts {
    /// The facts of a package from its files' contributions in path order: the same facts
    /// [`PackageFacts::collect`] gives for the same files.
    pub fn merge(files: &[&FileFacts]) -> PackageFacts {
        let mut facts =
            PackageFacts { has_tests: files.iter().any(|f| f.is_test), ..PackageFacts::default() };
        for f in files {
            if let Some(pkg) = &f.package {
                facts.packages.entry(pkg.clone()).or_default().absorb(&f.decls);
            }
        }
        facts
    }

    /// The part of these facts a file of package `package` can read, when `idents` holds
    /// every identifier the file mentions: the Go rules look facts up only by the text of
    /// identifiers in the file they check (a function's, variable's, method's or field's
    /// own name; the type a method or field is looked up under may come from elsewhere, so
    /// every type is kept). A test in this file holds the rules to that, on the fixtures.
    pub fn project(&self, package: Option<&str>, idents: &HashSet<&str>) -> PackageFacts {
        let mut out =
            PackageFacts { has_tests: self.has_tests, api: self.api.clone(), ..PackageFacts::default() };
        if let Some(p) = package {
            if let Some(d) = self.packages.get(p) {
                out.packages.insert(p.to_string(), d.project(idents));
            }
        }
        out
    }

    /// A digest of the facts, independent of hash-map order.
    pub fn digest(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&[u8::from(self.has_tests)]);
        let mut pkgs: Vec<_> = self.packages.iter().collect();
        pkgs.sort_by(|a, b| a.0.cmp(b.0));
        for (name, decls) in pkgs {
            h.update(name.as_bytes());
            h.update(&[0x1d]);
            decls.digest(&mut h);
        }
        if !self.api.is_empty() {
            h.update(&self.api.digest().to_le_bytes());
        }
        h.digest()
    }

    /// Every word of a source text (maximal runs of letters, digits and `_`): a superset of
    /// the identifiers it mentions, found without parsing.
    pub fn identifiers(source: &str) -> HashSet<&str> {
        source.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect()
    }
}

#[cfg(test)]
mod projection_tests {
    use super::{FileFacts, PackageFacts, PackageFile};
    use crate::registry::RuleSet;
    use crate::settings::LinterSettings;
    use debtctl_syntax::{parse, Language};
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    /// Every directory of Go fixtures, with its files' paths and sources.
    fn fixture_packages() -> BTreeMap<PathBuf, Vec<(String, String)>> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/go");
        let mut out: BTreeMap<PathBuf, Vec<(String, String)>> = BTreeMap::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "go") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    out.entry(dir.clone()).or_default().push((p.to_string_lossy().into_owned(), text));
                }
            }
        }
        for files in out.values_mut() {
            files.sort();
        }
        assert!(out.len() >= 5, "Go fixtures not found");
        out
    }

    /// The ledger caches a Go file's findings under the digest of its projected facts; that
    /// is right only while checking with the projection finds what checking with the whole
    /// facts finds, and while merged per-file facts equal collected ones.
    #[test]
    fn projected_facts_find_what_whole_facts_find_and_merge_equals_collect() {
        let settings = LinterSettings::default();
        let mut checked = 0;
        for files in fixture_packages().values() {
            let trees: Vec<_> = files.iter().map(|(_, s)| parse(Language::Go, s)).collect();
            let units: Vec<PackageFile<'_>> = files
                .iter()
                .zip(&trees)
                .map(|((name, source), tree)| PackageFile { name, source, tree: tree.as_ref() })
                .collect();
            let facts = PackageFacts::collect(&units);
            let parts: Vec<FileFacts> = units.iter().map(FileFacts::read).collect();
            let merged = PackageFacts::merge(&parts.iter().collect::<Vec<_>>());
            assert_eq!(merged.digest(), facts.digest());
            for ((unit, part), tree) in units.iter().zip(&parts).zip(&trees) {
                let idents = PackageFacts::identifiers(unit.source);
                let projected = facts.project(part.package(), &idents);
                let whole = crate::check_go_file(
                    unit.name,
                    unit.source,
                    tree.as_ref(),
                    &facts,
                    RuleSet::all(),
                    &settings,
                );
                let part_only = crate::check_go_file(
                    unit.name,
                    unit.source,
                    tree.as_ref(),
                    &projected,
                    RuleSet::all(),
                    &settings,
                );
                assert_eq!(whole.findings, part_only.findings, "{}", unit.name);
                let from_merged = crate::check_go_file(
                    unit.name,
                    unit.source,
                    tree.as_ref(),
                    &merged,
                    RuleSet::all(),
                    &settings,
                );
                assert_eq!(whole.findings, from_merged.findings, "{}", unit.name);
                checked += 1;
            }
        }
        assert!(checked >= 10);
    }

    #[test]
    fn a_new_test_function_leaves_other_files_projections_alone() {
        let a = "package p\n\nfunc helper() error { return nil }\n\nfunc Use() { helper() }\n";
        let t1 = "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n";
        let t2 =
            "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n\nfunc TestB(t *testing.T) {}\n";
        let digest = |test: &str| {
            let files = [("a.go", a), ("a_test.go", test)];
            let trees: Vec<_> = files.iter().map(|(_, s)| parse(Language::Go, s)).collect();
            let units: Vec<PackageFile<'_>> = files
                .iter()
                .zip(&trees)
                .map(|((name, source), tree)| PackageFile { name, source, tree: tree.as_ref() })
                .collect();
            let facts = PackageFacts::collect(&units);
            (facts.digest(), facts.project(Some("p"), &PackageFacts::identifiers(a)).digest())
        };
        let (whole1, proj1) = digest(t1);
        let (whole2, proj2) = digest(t2);
        assert_ne!(whole1, whole2);
        assert_eq!(proj1, proj2);
        let changed = "package p\n\nfunc helper() {}\n\nfunc Use() { helper() }\n";
        let facts = {
            let tree = parse(Language::Go, changed);
            PackageFacts::collect(&[PackageFile { name: "a.go", source: changed, tree: tree.as_ref() }])
        };
        let tree = parse(Language::Go, a);
        let before = PackageFacts::collect(&[PackageFile { name: "a.go", source: a, tree: tree.as_ref() }]);
        let idents = PackageFacts::identifiers(a);
        assert_ne!(facts.project(Some("p"), &idents).digest(), before.project(Some("p"), &idents).digest());
    }
}
