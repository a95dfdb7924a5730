//! The package stage: facts about one directory of Go files that no single file holds.
//! Which functions and methods return `error`, what constructors and fields give, which
//! package variables have which type, and whether the directory has tests. Computed once
//! per directory from the top-level declarations of every file (generated and test files
//! included), then shared read-only by the rules of every file.

use super::imports::Imports;
use super::types::{type_of, Ty};
use super::NodeExt;
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
}

/// The declarations of one package.
#[derive(Debug, Default)]
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
}

/// A function's result list: each result's type, and which results are `error`.
#[derive(Debug, Default, Clone)]
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
        let mut facts = PackageFacts {
            has_tests: files.iter().any(|f| f.name.ends_with("_test.go")),
            packages: HashMap::default(),
        };
        for file in files {
            let Some(tree) = file.tree else { continue };
            let root = tree.root_node();
            let Some(pkg) = package_name(root, file.source) else { continue };
            let imports = Imports::collect(root, file.source);
            let decls = facts.packages.entry(pkg.to_string()).or_default();
            decls.read_file(root, file.source, &imports);
        }
        facts
    }

    /// The declarations of the package a file belongs to.
    pub(crate) fn decls(&self, package: Option<&str>) -> &Decls {
        package.and_then(|p| self.packages.get(p)).unwrap_or(&EMPTY)
    }
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
                }
                "method_declaration" => {
                    let (Some(name), Some(recv)) = (decl.field("name"), decl.field("receiver")) else {
                        continue;
                    };
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
                        for name in spec.children_by_field_name("name", &mut c) {
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

    /// `var client = &http.Client{}`: the type of a package variable from its value.
    fn var_values(&mut self, spec: Node<'_>, source: &str, imports: &Imports) {
        let Some(values) = spec.field("value") else { return };
        let mut c = spec.walk();
        let names: Vec<_> = spec.children_by_field_name("name", &mut c).collect();
        let mut vc = values.walk();
        let values: Vec<_> = values.named_children(&mut vc).collect();
        if names.len() != values.len() {
            return;
        }
        for (n, v) in names.iter().zip(values) {
            if let Some(ty) = super::types::literal_type(v, source, imports) {
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
                    for fname in field.children_by_field_name("name", &mut fc) {
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
            let n = p.children_by_field_name("name", &mut nc).count().max(1);
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
