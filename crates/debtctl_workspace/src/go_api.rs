//! Where the packages a Go file imports are, found as the go command finds them, and their
//! API read with tree-sitter ([`debtctl_linter::PackageApi`]). In order: the standard
//! library under `$GOROOT/src` (`$GOROOT`, else the `go` on `PATH`; the facts compiled in
//! answer instead when they were generated from that Go version); the module's own
//! packages, the modules of a `go.work` and `replace` directives with local paths;
//! `vendor/` when `vendor/modules.txt` is there; the module cache (`$GOMODCACHE`, else
//! `$GOPATH/pkg/mod`, else `~/go/pkg/mod`) at the version `go.mod` requires, with Go's
//! `!`-escaping of capital letters; `$GOPATH/src` for code outside a module. A package
//! found nowhere is counted as missing, and its calls stay unknown. A package from
//! `vendor/`, the module cache or `$GOPATH/src` is read for the build's platform only
//! ([`crate::go_build`]).
//!
//! Each package is read at most once per run (one memo shared by the threads); a package
//! the scan itself parses is given to the memo by the package stage ([`GoPackages::provide`])
//! rather than read again. For the result caches every package has a digest: its module
//! path and version for the module cache and `vendor/`, the Go version for `$GOROOT`, its
//! files' contents otherwise.
//!
//! With a facts directory ([`GoPackages::with_facts_cache`], `.debtctl/cache/go-facts`
//! beside the scan cache) the facts read are kept on disk, one file per package, keyed the
//! same way (module path and version, the Go version, or the files' contents, each with
//! debtctl's build), so that the next scan, `record`, `history` and `gate` read none of
//! them again. Entries are written atomically; one that is corrupt, truncated or written
//! for another key is a miss, and one that cannot be written is not an error.

use crate::go_build::Platform;
use debtctl_linter::{ApiSource, GoApi, PackageApi, PackageFacts, PackageFile};
use debtctl_syntax::{parse, Language};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where a module's files are read: the file system ([`DiskFiles`]), or for the ledger a
/// past commit's tree below the repository and the file system elsewhere (the module
/// cache and `$GOROOT` are addressed by version, so the disk holds what the commit meant).
/// Paths are absolute.
pub trait GoFiles: Send + Sync {
    /// A file's text; None when it is absent or not UTF-8.
    fn read(&self, path: &Path) -> Option<String>;
    /// The non-test `.go` files of a directory, by name, sorted; unreadable ones left out.
    fn go_files(&self, dir: &Path) -> Vec<(String, String)>;
    /// A directory with at least one non-test `.go` file.
    fn is_package(&self, dir: &Path) -> bool;
    fn is_file(&self, path: &Path) -> bool;
}

/// The file system.
pub struct DiskFiles;

impl GoFiles for DiskFiles {
    fn read(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
    fn go_files(&self, dir: &Path) -> Vec<(String, String)> {
        go_files(dir)
    }
    fn is_package(&self, dir: &Path) -> bool {
        is_package(dir)
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

/// A package's directory, and its digest when its version tells it (module cache,
/// `vendor/`, `$GOROOT`) rather than its files.
type Found = (PathBuf, Option<u64>);

/// A module: its path, directory, and how its imports are resolved.
#[derive(Debug, Default)]
struct Module {
    /// Module path -> directory: this module, the `go.work` modules, local replacements.
    local: Vec<(String, PathBuf)>,
    /// Package path -> `module@version` from `vendor/modules.txt`, when vendoring.
    vendor: Option<HashMap<String, String>>,
    root: PathBuf,
    /// A digest of the module versions the build uses (`vendor/modules.txt`, else the
    /// `require` and `replace` directives): what a vendored or cached package's API, and
    /// the APIs its types come from, depend on.
    versions: u64,
    /// Required module path -> the module path and version whose files the module cache
    /// holds for it (itself, or its `replace` target).
    requires: Vec<(String, (String, String))>,
}

#[derive(Default)]
struct State {
    /// Directory -> its module (None outside any module).
    modules: HashMap<PathBuf, Option<Arc<Module>>>,
    /// Package directory -> its API (None when it holds no Go package).
    apis: HashMap<PathBuf, Option<Arc<PackageApi>>>,
    digests: HashMap<PathBuf, u64>,
    /// (module root, import path) -> where it was found.
    located: HashMap<(PathBuf, String), Option<Found>>,
    /// Import paths found nowhere.
    missing: std::collections::BTreeSet<String>,
    /// A standard-library import was answered by the facts compiled in.
    used_embedded: bool,
    /// A standard-library import was found under `$GOROOT/src`.
    used_goroot: bool,
    /// Package directory -> what its facts are keyed by on disk when its version says
    /// what it holds (`vendor/`, the module cache, `$GOROOT`): `mod path@version`.
    versioned: HashMap<PathBuf, String>,
    /// Package directories outside the module and the standard library (`vendor/`, the
    /// module cache, `$GOPATH/src`): read for the build's platform only ([`Platform`]).
    constrained: std::collections::HashSet<PathBuf>,
}

/// The Go packages of one run.
pub struct GoPackages {
    goroot: Option<(PathBuf, String)>,
    modcache: Option<PathBuf>,
    gopath: Vec<PathBuf>,
    state: Mutex<State>,
    /// Where package facts are cached on disk, if anywhere.
    facts: Option<PathBuf>,
    files: Arc<dyn GoFiles>,
    /// The platform imported packages are read for, and its key.
    platform: Platform,
    platform_key: String,
}

impl GoPackages {
    /// Reads the environment: `GOROOT`, `GOMODCACHE`, `GOPATH`, `HOME`, `PATH`.
    pub fn from_env() -> GoPackages {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let goroot = var("GOROOT").or_else(go_on_path).and_then(|root| {
            let version = std::fs::read_to_string(root.join("VERSION")).ok()?;
            root.join("src").is_dir().then(|| (root, version.lines().next().unwrap_or("").to_string()))
        });
        let gopath: Vec<PathBuf> = match std::env::var_os("GOPATH").filter(|v| !v.is_empty()) {
            Some(p) => std::env::split_paths(&p).collect(),
            None => var("HOME").map(|h| vec![h.join("go")]).unwrap_or_default(),
        };
        let modcache = var("GOMODCACHE").or_else(|| gopath.first().map(|p| p.join("pkg/mod")));
        GoPackages::with_locations(goroot, modcache, gopath)
    }

    fn with_locations(
        goroot: Option<(PathBuf, String)>,
        modcache: Option<PathBuf>,
        gopath: Vec<PathBuf>,
    ) -> GoPackages {
        // The release tags go as far as the Go in use, else the one the facts compiled in
        // come from.
        let version = goroot.as_ref().map_or(debtctl_linter::go_stdlib_version(), |(_, v)| v.as_str());
        let platform = Platform::from_env(version);
        GoPackages {
            goroot,
            modcache,
            gopath,
            state: Mutex::new(State::default()),
            facts: None,
            files: Arc::new(DiskFiles),
            platform_key: platform.key(),
            platform,
        }
    }

    /// Reads imported packages for `platform` rather than the environment's.
    pub fn with_platform(mut self, platform: Platform) -> GoPackages {
        self.platform_key = platform.key();
        self.platform = platform;
        self
    }

    /// Reads modules and packages from `files` instead of the file system.
    pub fn with_files(mut self, files: Arc<dyn GoFiles>) -> GoPackages {
        self.files = files;
        self
    }

    /// Keeps the facts of the packages read in `dir` (see the module's documentation).
    pub fn with_facts_cache(mut self, dir: PathBuf) -> GoPackages {
        self.facts = Some(dir);
        self
    }

    /// For tests: explicit locations, no environment.
    pub fn new(goroot: Option<PathBuf>, modcache: Option<PathBuf>, gopath: Vec<PathBuf>) -> GoPackages {
        let goroot = goroot.map(|r| {
            let v = std::fs::read_to_string(r.join("VERSION")).unwrap_or_default();
            (r, v.lines().next().unwrap_or("").to_string())
        });
        GoPackages::with_locations(goroot, modcache, gopath)
    }

    /// Which standard library answered this run's imports, for the scan's summary:
    /// `go1.19.8 (/usr/lib/go-1.19/src)` from a GOROOT, `go1.19.8 (embedded)` from the
    /// facts compiled in; None when no standard-library package was asked for.
    pub fn stdlib(&self) -> Option<String> {
        let state = self.lock();
        match &self.goroot {
            Some((root, version)) if state.used_goroot => {
                Some(format!("{version} ({})", root.join("src").display()))
            }
            _ if state.used_embedded => Some(format!("{} (embedded)", debtctl_linter::go_stdlib_version())),
            _ => None,
        }
    }

    /// How many imported packages were found nowhere so far.
    pub fn missing(&self) -> Vec<String> {
        self.lock().missing.iter().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A digest of the APIs the package in `dir` can read through `imports`, for the
    /// result caches: cheap, as it reads no imported file outside the module's own.
    pub fn digest(&self, dir: &Path, imports: &[String]) -> u64 {
        let module = self.module(dir);
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for import in imports {
            h.update(import.as_bytes());
            h.update(&[0]);
            let d = match self.locate(module.as_deref(), import) {
                Some((_, Some(version))) => {
                    if debtctl_linter::is_go_std(import) {
                        self.lock().used_goroot = true;
                    }
                    version
                }
                Some((pkg_dir, None)) => self.content_digest(module.as_deref(), &pkg_dir, 0),
                // Not in a GOROOT: the facts compiled in answer, by their Go version.
                None if debtctl_linter::is_go_std(import) => {
                    self.lock().used_embedded = true;
                    xxhash_rust::xxh3::xxh3_64(
                        format!("embedded {}", debtctl_linter::go_stdlib_version()).as_bytes(),
                    )
                }
                None => {
                    self.note_missing(import);
                    0
                }
            };
            h.update(&d.to_le_bytes());
        }
        h.digest()
    }

    /// The APIs of the packages `imports` name, as found from the package in `dir`.
    /// Only the imports are located now (the missing ones counted); each package, and
    /// each package its types come from (`net/http.File` embeds `io.Closer`), is read when
    /// a rule first asks about it.
    pub fn api(self: &Arc<Self>, dir: &Path, imports: &[String]) -> GoApi {
        self.note_imports(dir, imports);
        GoApi::with_source(Arc::new(Loader { go: Arc::clone(self), module: self.module(dir) }))
    }

    /// Counts where `imports`, imported from the package in `dir`, are found (the standard
    /// library's source or the facts compiled in) or that they are not, as [`GoPackages::api`]
    /// does: for files that join a package whose index is made already.
    pub fn note_imports(&self, dir: &Path, imports: &[String]) {
        let module = self.module(dir);
        for import in imports {
            let found = self.locate(module.as_deref(), import);
            if debtctl_linter::is_go_std(import) {
                let mut state = self.lock();
                if found.is_some() {
                    state.used_goroot = true;
                } else {
                    state.used_embedded = true;
                }
            } else if found.is_none() {
                self.note_missing(import);
            }
        }
    }

    /// A package found nowhere; the standard library's are not counted, as the facts
    /// compiled in stand for them.
    fn note_missing(&self, import: &str) {
        if import.split('/').next().is_some_and(|first| first.contains('.')) {
            self.lock().missing.insert(import.to_string());
        }
    }

    fn module(&self, dir: &Path) -> Option<Arc<Module>> {
        if let Some(m) = self.lock().modules.get(dir) {
            return m.clone();
        }
        let found = dir.ancestors().find(|d| self.files.is_file(&d.join("go.mod"))).and_then(|root| {
            if let Some(m) = self.lock().modules.get(root) {
                return m.clone();
            }
            let m = read_module(&*self.files, root).map(Arc::new);
            self.lock().modules.insert(root.to_path_buf(), m.clone());
            m
        });
        self.lock().modules.insert(dir.to_path_buf(), found.clone());
        found
    }

    /// The directory of package `import`, and its digest when it is known without reading
    /// the files (a versioned module or the standard library).
    fn locate(&self, module: Option<&Module>, import: &str) -> Option<Found> {
        let key = (module.map(|m| m.root.clone()).unwrap_or_default(), import.to_string());
        if let Some(found) = self.lock().located.get(&key) {
            return found.clone();
        }
        let found = self.find(module, import);
        self.lock().located.insert(key, found.clone());
        found
    }

    fn find(&self, module: Option<&Module>, import: &str) -> Option<Found> {
        let first = import.split('/').next().unwrap_or(import);
        let digest_of = |what: &str| {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(what.as_bytes());
            h.update(&[0]);
            h.update(import.as_bytes());
            Some(h.digest())
        };
        let versioned = |dir: PathBuf, key: Option<String>, digest: Option<u64>| {
            if let Some(key) = key {
                self.lock().versioned.insert(dir.clone(), key);
            }
            Some((dir, digest))
        };
        if !first.contains('.') {
            let (root, version) = self.goroot.as_ref()?;
            // The facts compiled in were generated from this Go version's sources with this
            // index: they answer as reading `$GOROOT/src` would, without reading or parsing
            // it (about 0.7 CPU-s of a cold scan of prometheus, issue 12). Packages they
            // leave out (`internal/...`, which an exported type can embed) are read.
            if version == debtctl_linter::go_stdlib_version() && debtctl_linter::go_stdlib_has(import) {
                return None;
            }
            let dir = root.join("src").join(import);
            if !self.files.is_package(&dir) {
                return None;
            }
            return versioned(dir, Some(format!("goroot {version} {import}")), digest_of(version));
        }
        let outside = |dir: PathBuf| {
            self.lock().constrained.insert(dir.clone());
            dir
        };
        let Some(module) = module else {
            let dir =
                self.gopath.iter().map(|p| p.join("src").join(import)).find(|d| self.files.is_package(d))?;
            return Some((outside(dir), None));
        };
        if let Some((mpath, mdir)) = longest(&module.local, import) {
            let dir = mdir.join(import[mpath.len()..].trim_start_matches('/'));
            return self.files.is_package(&dir).then_some((dir, None));
        }
        // What a vendored or cached package holds depends on the versions and the platform.
        let versions = format!("{:x} {}", module.versions, self.platform_key);
        if let Some(vendor) = &module.vendor {
            let line = vendor.get(import)?;
            let dir = module.root.join("vendor").join(import);
            if !self.files.is_package(&dir) {
                return None;
            }
            // `# a v1 => ../a`: a local replacement has no version; its files key it.
            let local = line.split("=>").nth(1).is_some_and(|to| to.trim_start().starts_with(['.', '/']));
            let key = (!local).then(|| format!("vendor {line} {import} {}", self.platform_key));
            return versioned(outside(dir), key, digest_of(&versions));
        }
        let (mpath, (target, version)) = longest(&module.requires, import)?;
        let cache = self.modcache.as_ref()?;
        let dir = cache
            .join(format!("{}@{}", escape(target), escape(version)))
            .join(import[mpath.len()..].trim_start_matches('/'));
        if !self.files.is_package(&dir) {
            return None;
        }
        let key = format!("mod {target}@{version} {import} {}", self.platform_key);
        versioned(outside(dir), Some(key), digest_of(&versions))
    }

    /// The directories where `imports` are found from the package in `dir`.
    pub fn scanned_dirs(&self, dir: &Path, imports: &[String]) -> Vec<PathBuf> {
        let module = self.module(dir);
        imports.iter().filter_map(|i| self.locate(module.as_deref(), i)).map(|(d, _)| d).collect()
    }

    /// The package stage's own parse of the package in `dir` (its files, test files
    /// included, as the scan read them), for the packages of the scan that import it: the
    /// module's own packages are parsed once, not once more with their bodies blanked.
    /// A package read already is kept as it is. `facts` are the package stage's of the same
    /// files, whose declarations are reused where they are the API.
    pub fn provide(&self, dir: &Path, files: &[PackageFile<'_>], facts: &PackageFacts) {
        if self.lock().apis.contains_key(dir) || files.iter().all(|f| f.name.ends_with("_test.go")) {
            return;
        }
        let api = Arc::new(PackageApi::read_reusing(files, Some(facts)));
        self.lock().apis.entry(dir.to_path_buf()).or_insert(Some(api));
    }

    /// Where the facts keyed `key` are kept on disk, and the key as the entry names it.
    fn facts_entry(&self, key: &str) -> Option<(PathBuf, String)> {
        static CODE: std::sync::LazyLock<u64> =
            std::sync::LazyLock::new(|| xxhash_rust::xxh3::xxh3_64(include_str!("go_api.rs").as_bytes()));
        let dir = self.facts.as_ref()?;
        let key = format!("{} {:016x} {key}", debtctl_linter::go_facts_build(), *CODE);
        let file = dir.join(format!("{:016x}.facts", xxhash_rust::xxh3::xxh3_64(key.as_bytes())));
        Some((file, key))
    }

    fn cached_facts(&self, key: &str) -> Option<PackageApi> {
        let (file, key) = self.facts_entry(key)?;
        let text = std::fs::read_to_string(file).ok()?;
        debtctl_linter::decode_go_package(&key, &text)
    }

    /// Writes an entry atomically; a failure is ignored (a read-only checkout still scans).
    fn keep_facts(&self, key: &str, api: &PackageApi) {
        let Some((file, key)) = self.facts_entry(key) else { return };
        let write = || -> std::io::Result<()> {
            let dir = file.parent().expect("an entry has a directory");
            crate::cache::create_cache_dir(dir)?;
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(
                tmp.as_file_mut(),
                debtctl_linter::encode_go_package(&key, api).as_bytes(),
            )?;
            tmp.persist(&file).map_err(|e| e.error)?;
            Ok(())
        };
        let _ = write();
    }

    fn read(&self, dir: &Path) -> Option<Arc<PackageApi>> {
        let versioned = {
            let state = self.lock();
            if let Some(p) = state.apis.get(dir) {
                return p.clone();
            }
            state.versioned.get(dir).cloned()
        };
        if let Some(api) = versioned.as_deref().and_then(|k| self.cached_facts(k)) {
            let api = Some(Arc::new(api));
            return self.lock().apis.entry(dir.to_path_buf()).or_insert(api).clone();
        }
        let sources = self.package_files(dir);
        // Without a version, the files' contents key the facts.
        let key = versioned.or_else(|| {
            self.facts.as_ref()?;
            Some(format!("src {:016x}", api_fingerprint(&sources)))
        });
        if let Some(api) = key.as_deref().filter(|_| !sources.is_empty()).and_then(|k| self.cached_facts(k)) {
            let api = Some(Arc::new(api));
            return self.lock().apis.entry(dir.to_path_buf()).or_insert(api).clone();
        }
        // Function bodies and comments are not part of an API: left out before parsing,
        // they cost nothing. Where what is left does not parse cleanly, the file is parsed
        // as it is.
        let mut files = Vec::new();
        let mut trees = Vec::new();
        for (name, source) in sources {
            let blank = declarations_only(&source);
            let tree =
                blank.as_deref().and_then(|b| parse(Language::Go, b)).filter(|t| !t.root_node().has_error());
            match (blank, tree) {
                (Some(blank), Some(tree)) => {
                    files.push((name, blank));
                    trees.push(Some(tree));
                }
                _ => {
                    trees.push(parse(Language::Go, &source));
                    files.push((name, source));
                }
            }
        }
        let units: Vec<PackageFile<'_>> = files
            .iter()
            .zip(&trees)
            .map(|((n, s), t)| PackageFile { name: n, source: s, tree: t.as_ref() })
            .collect();
        let api = (!units.is_empty()).then(|| Arc::new(PackageApi::read(&units)));
        if let (Some(api), Some(key)) = (&api, &key) {
            self.keep_facts(key, api);
        }
        self.lock().apis.entry(dir.to_path_buf()).or_insert(api).clone()
    }

    /// The non-test files of the package in `dir` that are read for its API: those the
    /// build's platform compiles for a package outside the module and the standard library,
    /// every one otherwise (the module's own files are all scanned, whatever their
    /// constraints; the standard library is read whole, as its facts compiled in are).
    fn package_files(&self, dir: &Path) -> Vec<(String, String)> {
        let mut files = self.files.go_files(dir);
        if self.lock().constrained.contains(dir) {
            files.retain(|(name, source)| self.platform.builds(name, source));
        }
        files
    }

    /// A package's files, and the digests of the packages it imports (the APIs its types
    /// come from), the versioned ones by version.
    fn content_digest(&self, module: Option<&Module>, dir: &Path, depth: usize) -> u64 {
        if let Some(d) = self.lock().digests.get(dir) {
            return *d;
        }
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let files = self.package_files(dir);
        let mut imports: Vec<String> = files.iter().flat_map(|(_, s)| scan_imports(s)).collect();
        imports.sort();
        imports.dedup();
        // What other packages can read of it: an edit inside a function body changes
        // nothing that imports it.
        h.update(&api_fingerprint(&files).to_le_bytes());
        // Go has no import cycles; the bound is for broken trees.
        if depth < 32 {
            for import in &imports {
                let d = match self.locate(module, import) {
                    Some((_, Some(v))) => v,
                    Some((d, None)) if d != dir => self.content_digest(module, &d, depth + 1),
                    _ => 0,
                };
                h.update(import.as_bytes());
                h.update(&d.to_le_bytes());
            }
        }
        let d = h.digest();
        self.lock().digests.insert(dir.to_path_buf(), d);
        d
    }
}

/// The embedded standard-library facts (`rules/data/go-stdlib.facts`) of the Go sources
/// under `goroot`: every package of `goroot/src` but `cmd`, `internal`, `vendor` and
/// `testdata` trees, read as a scan reads `$GOROOT` ([`GoPackages`]), written in
/// [`debtctl_linter::encode_go_stdlib`]'s format with the Go version of `goroot/VERSION`.
/// The same sources give the same text.
pub fn stdlib_facts(goroot: &Path) -> std::io::Result<String> {
    let version = std::fs::read_to_string(goroot.join("VERSION"))?;
    let version = version.lines().next().unwrap_or("").trim().to_string();
    if version.is_empty() || version.contains(char::is_whitespace) {
        return Err(std::io::Error::other(format!(
            "{}: no Go version on its first line",
            goroot.join("VERSION").display()
        )));
    }
    let src = goroot.join("src");
    let go = GoPackages::new(Some(goroot.to_path_buf()), None, Vec::new());
    let mut packages = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(&dir)?.flatten().filter(|e| e.path().is_dir()).map(|e| e.path()).collect();
        entries.sort();
        for sub in entries {
            let name = sub.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let top = dir == src && name == "cmd";
            if top
                || matches!(name.as_str(), "internal" | "vendor" | "testdata")
                || name.starts_with(['.', '_'])
            {
                continue;
            }
            dirs.push(sub);
        }
        let Ok(rel) = dir.strip_prefix(&src) else { continue };
        let path = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if path.is_empty() || !is_package(&dir) {
            continue;
        }
        if let Some(api) = go.read(&dir) {
            packages.push((path, api));
        }
    }
    Ok(debtctl_linter::encode_go_stdlib(&version, &packages))
}

/// Reads packages for the index of one package's files, as they are asked for.
struct Loader {
    go: Arc<GoPackages>,
    module: Option<Arc<Module>>,
}

impl ApiSource for Loader {
    fn load(&self, path: &str) -> Option<Arc<PackageApi>> {
        let (dir, _) = self.go.locate(self.module.as_deref(), path)?;
        self.go.read(&dir)
    }
}

/// A digest of what other packages can read of a package's files (name, source): each
/// file with its function bodies left out and runs of white space made one space
/// ([`api_text`]). An edit inside a body, or one that only moves lines, keeps it.
pub fn api_fingerprint(files: &[(String, String)]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (name, source) in files {
        h.update(name.as_bytes());
        h.update(&[0]);
        h.update(api_text(source).as_bytes());
        h.update(&[0]);
    }
    h.digest()
}

/// A Go source without its function bodies and comments ([`declarations_only`]; the
/// source as it is where they cannot be found lexically), white space runs made one space:
/// for digests, not for parsing. An edit inside a body or a comment leaves it as it was.
pub fn api_text(source: &str) -> String {
    let blank = declarations_only(source);
    let text = blank.as_deref().unwrap_or(source);
    let mut out = String::with_capacity(text.len() / 2);
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        // `{ }` and `{}` alike: a blanked body is white space between its braces.
        if space && !out.is_empty() && !out.ends_with('{') && c != '}' {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// The source as the API index parses it: the inside of every top-level function and
/// method body left out (`{}`) and comments dropped (a newline kept where one ended a line
/// or stood inside a block comment, as Go ends statements at newlines), strings kept as
/// they are. What is left declares what the source declares, in a third of the text for
/// prometheus's `vendor/` (bodies, and the doc comments of generated API types, are most
/// of it): the tokens the parser no longer reads were most of a cold scan's cost (issue
/// 12). Positions are not kept: nothing reads them from an imported package. None when the
/// text is not lexed to the end.
pub(crate) fn declarations_only(src: &str) -> Option<String> {
    let b = src.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() / 2);
    let (mut i, mut depth, mut paren) = (0usize, 0i32, 0i32);
    let mut in_signature = false;
    let mut prev_word: &[u8] = b"";
    while i < b.len() {
        let c = b[i];
        if let Some(next) = skip_literal(b, i)? {
            match (c, b.get(i + 1)) {
                // The newline that ends a line comment is kept by the next step.
                (b'/', Some(b'/')) => {}
                (b'/', Some(b'*')) => out.push(if b[i..next].contains(&b'\n') { b'\n' } else { b' ' }),
                _ => out.extend_from_slice(&b[i..next]),
            }
            i = next;
            prev_word = b"";
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            prev_word = &b[start..i];
            out.extend_from_slice(prev_word);
            if depth == 0 && paren == 0 && prev_word == b"func" {
                in_signature = true;
            }
            continue;
        }
        match c {
            b'(' | b'[' => paren += 1,
            b')' | b']' => paren -= 1,
            b'{' if depth == 0
                && paren == 0
                && in_signature
                && prev_word != b"interface"
                && prev_word != b"struct" =>
            {
                i = matching_brace(b, i)? + 1;
                out.extend_from_slice(b"{}");
                in_signature = false;
                prev_word = b"";
                continue;
            }
            b'{' => depth += 1,
            b'}' => depth -= 1,
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            prev_word = b"";
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// If a comment, string, raw string or rune starts at `i`: Some(the index after it);
/// Ok(None) (as `Some(None)`) when none starts there; None when it does not end.
fn skip_literal(b: &[u8], i: usize) -> Option<Option<usize>> {
    // A byte search, then a check of the rest of the pattern: `windows` compares every
    // position in full.
    let find = |from: usize, pat: &[u8]| {
        let mut at = from;
        loop {
            at += b.get(at..)?.iter().position(|&x| x == pat[0])?;
            if b[at..].starts_with(pat) {
                return Some(at);
            }
            at += 1;
        }
    };
    match (b[i], b.get(i + 1)) {
        (b'/', Some(b'/')) => Some(Some(find(i, b"\n").unwrap_or(b.len()))),
        (b'/', Some(b'*')) => Some(Some(find(i + 2, b"*/")? + 2)),
        (b'`', _) => Some(Some(find(i + 1, b"`")? + 1)),
        (q @ (b'"' | b'\''), _) => {
            let mut j = i + 1;
            while j < b.len() && b[j] != q {
                if b[j] == b'\n' {
                    return None;
                }
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            (j < b.len()).then_some(Some(j + 1))
        }
        _ => Some(None),
    }
}

/// The index of the `}` that closes the `{` at `open`.
fn matching_brace(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        if let Some(next) = skip_literal(b, i)? {
            i = next;
            continue;
        }
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `GOROOT` of the `go` on `PATH`: the directory above its `bin/`, symbolic links followed.
fn go_on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let go = std::env::split_paths(&path).map(|d| d.join("go")).find(|p| p.is_file())?;
    let real = std::fs::canonicalize(go).ok()?;
    Some(real.parent()?.parent()?.to_path_buf())
}

/// A directory with at least one non-test `.go` file.
fn is_package(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten().any(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.ends_with(".go") && !n.ends_with("_test.go")
        })
    })
}

/// The non-test `.go` files of a directory, by name, sorted; unreadable ones left out.
fn go_files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().to_string();
                    if !name.ends_with(".go") || name.ends_with("_test.go") {
                        return None;
                    }
                    let source = std::fs::read_to_string(e.path()).ok()?;
                    Some((name, source))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The entry whose module path is `import` or a path prefix of it, the longest.
fn longest<'a, T>(entries: &'a [(String, T)], import: &str) -> Option<(&'a str, &'a T)> {
    entries
        .iter()
        .filter(|(m, _)| {
            import == m || (import.starts_with(m.as_str()) && import[m.len()..].starts_with('/'))
        })
        .max_by_key(|(m, _)| m.len())
        .map(|(m, t)| (m.as_str(), t))
}

/// Go's module cache escaping: each capital letter becomes `!` and its lower case.
pub fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The directives of a `go.mod` or `go.work` this needs: each as (verb, arguments), block
/// forms (`require ( ... )`) flattened, comments dropped.
fn directives(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(verb) = &block {
            if line == ")" {
                block = None;
            } else {
                out.push((verb.clone(), words(line)));
            }
            continue;
        }
        let mut w = words(line);
        if w.len() == 2 && w[1] == "(" {
            block = Some(w.remove(0));
        } else if !w.is_empty() {
            let verb = w.remove(0);
            out.push((verb, w));
        }
    }
    out
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(|w| w.trim_matches('"').to_string()).collect()
}

fn read_module(fs: &dyn GoFiles, root: &Path) -> Option<Module> {
    let text = fs.read(&root.join("go.mod"))?;
    let mut m = Module { root: root.to_path_buf(), ..Module::default() };
    let mut replaced = Vec::new();
    for (verb, args) in directives(&text) {
        match (verb.as_str(), args.as_slice()) {
            ("module", [path, ..]) => m.local.push((path.clone(), root.to_path_buf())),
            ("require", [path, version, ..]) => {
                m.requires.push((path.clone(), (path.clone(), version.clone())));
            }
            // `replace a => ../a` (a local path starts with `./` or `../`, or is absolute),
            // or `replace a [v] => b v2`, whose files the module cache holds as b@v2.
            ("replace", args) => {
                let Some(arrow) = args.iter().position(|a| a == "=>") else { continue };
                let (Some(from), Some(to)) = (args.first(), args.get(arrow + 1)) else { continue };
                if to.starts_with("./") || to.starts_with("../") || to.starts_with('/') {
                    m.local.push((from.clone(), root.join(to)));
                } else if let Some(version) = args.get(arrow + 2) {
                    replaced.push((from.clone(), (to.clone(), version.clone())));
                }
            }
            _ => {}
        }
    }
    for (from, target) in replaced {
        m.requires.retain(|(p, _)| *p != from);
        m.requires.push((from, target));
    }
    // go.work: its `use` directories are local modules too.
    if let Some(work) = root.ancestors().find(|d| fs.is_file(&d.join("go.work"))) {
        if let Some(text) = fs.read(&work.join("go.work")) {
            for (verb, args) in directives(&text) {
                if verb != "use" {
                    continue;
                }
                let Some(dir) = args.first() else { continue };
                let dir = work.join(dir);
                let module_path = fs.read(&dir.join("go.mod")).and_then(|t| {
                    directives(&t)
                        .into_iter()
                        .find(|(v, _)| v == "module")
                        .and_then(|(_, a)| a.first().cloned())
                });
                if let Some(p) = module_path {
                    m.local.push((p, dir));
                }
            }
        }
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (p, (t, v)) in &m.requires {
        h.update(format!("{p} {t} {v}\n").as_bytes());
    }
    if let Some(text) = fs.read(&root.join("vendor/modules.txt")) {
        m.vendor = Some(read_vendor(&text));
        h.update(text.as_bytes());
    }
    m.versions = h.digest();
    Some(m)
}

/// `vendor/modules.txt`: `# module version` lines, each followed by its packages; each
/// package maps to its module's line (`module version`, or `module [version] => target
/// [version]` when replaced), words joined by one space.
fn read_vendor(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::default();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let w: Vec<&str> = rest.split_whitespace().collect();
            current = (!w.is_empty()).then(|| w.join(" "));
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            if let Some(m) = &current {
                out.insert(line.trim().to_string(), m.clone());
            }
        }
    }
    out
}

/// The import paths of a Go source, from its import declarations, without parsing: the
/// cache key needs them before anything is parsed. A superset is harmless (more keys).
/// cgo's `"C"` is not a package and is left out.
pub fn scan_imports(source: &str) -> Vec<String> {
    imports_sorted(source, true)
}

/// [`scan_imports`] without blank imports (`_ "embed"`, a database driver): the packages
/// whose API a file can use. What a scan's results depend on, and what it counts as not
/// found, as the parsed imports do.
pub fn scan_used_imports(source: &str) -> Vec<String> {
    imports_sorted(source, false)
}

fn imports_sorted(source: &str, with_blank: bool) -> Vec<String> {
    let mut out = Vec::new();
    import_paths(source, |path, blank| {
        if path != "C" && (with_blank || !blank) {
            out.push(path.to_string());
        }
        true
    });
    out.sort();
    out.dedup();
    out
}

/// Hands `each` the quoted paths of the import declarations at the top of a Go source
/// (lines up to the first `func`, `type` or `var`), `"C"` included, and whether each is
/// imported as `_`, until it returns false.
pub(crate) fn import_paths(source: &str, mut each: impl FnMut(&str, bool) -> bool) {
    let mut in_block = false;
    for line in source.lines() {
        let t = line.trim();
        if in_block {
            if t.starts_with(')') {
                in_block = false;
                continue;
            }
        } else if let Some(rest) = t.strip_prefix("import") {
            let rest = rest.trim_start();
            if rest.starts_with('(') {
                in_block = !rest.contains(')');
            }
        } else if t.starts_with("func ") || t.starts_with("type ") || t.starts_with("var ") {
            return;
        } else {
            continue;
        }
        let mut before = "";
        for (i, part) in t.split(['"', '`']).enumerate() {
            if i % 2 == 0 {
                before = part;
                continue;
            }
            // The name, if any, is the last word before the path: `_ "embed"`.
            let blank = before.split_whitespace().next_back() == Some("_");
            if !part.is_empty() && !each(part, blank) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_go_mod_directives() {
        assert_eq!(escape("github.com/BurntSushi/toml"), "github.com/!burnt!sushi/toml");
        let d = directives("module example.com/m // c\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgolang.org/x/y v0.1.0 // indirect\n)\n\nreplace github.com/a/b => ../b\n");
        assert_eq!(d[0], ("module".to_string(), vec!["example.com/m".to_string()]));
        assert!(
            d.contains(&("require".to_string(), vec!["golang.org/x/y".to_string(), "v0.1.0".to_string()]))
        );
        assert!(d.iter().any(|(v, a)| v == "replace" && a[2] == "../b"));
    }

    /// What the index parses of an imported package: declarations without bodies or
    /// comments, newlines where Go needs them, literals as they are.
    #[test]
    fn declarations_only_drops_bodies_and_comments() {
        let src = "// Package p.\npackage p // import \"x\"\n\n/* a\nb */\nvar s = \"// not a comment\" /* c */ + `/*`\n\n// F does.\nfunc (s *S) F(x interface{ M() }) error {\n\treturn f(\"}\", '{')\n}\n\ntype S struct {\n\tA int // a\n}\n";
        let out = declarations_only(src).unwrap();
        assert_eq!(
            out,
            "\npackage p \n\n\n\nvar s = \"// not a comment\"   + `/*`\n\n\nfunc (s *S) F(x interface{ M() }) error {}\n\ntype S struct {\n\tA int \n}\n"
        );
        let tree = parse(Language::Go, &out).unwrap();
        assert!(!tree.root_node().has_error());
        assert!(declarations_only("package p\n\nfunc f() {\n\ts := \"unclosed\n}\n").is_none());
    }

    /// The generator of `rules/data/go-stdlib.facts`, on a tiny fake GOROOT: packages by
    /// import path, `cmd`, `internal`, `vendor` and `testdata` trees and test files left
    /// out, unexported names dropped, the version recorded, the same text twice.
    #[test]
    fn stdlib_facts_index_a_goroot() {
        let root = tempfile::TempDir::new().unwrap();
        let w = |rel: &str, text: &str| {
            let p = root.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w("VERSION", "go1.99.1\ntime 2026\n");
        w("src/io/io.go", "package io\n\ntype Closer interface { Close() error }\n\nfunc ReadAll(r Reader) ([]byte, error) { return nil, nil }\n\nfunc hidden() error { return nil }\n");
        w("src/io/io_test.go", "package io\n\nfunc Test() error { return nil }\n");
        w("src/net/http/client.go", "package http\n\nimport \"io\"\n\ntype Response struct { Body io.ReadCloser; n int }\n\nvar DefaultClient = &Client{}\n\ntype Client struct{}\n\nfunc (c *Client) Get(u string) (*Response, error) { return nil, nil }\n");
        w("src/internal/poll/fd.go", "package poll\n\nfunc Open() error { return nil }\n");
        w("src/vendor/golang.org/x/net/n.go", "package net\n\nfunc Dial() error { return nil }\n");
        w("src/cmd/go/main.go", "package main\n\nfunc Run() error { return nil }\n");
        w("src/io/testdata/t.go", "package t\n\nfunc T() error { return nil }\n");
        let text = stdlib_facts(root.path()).unwrap();
        assert_eq!(text, stdlib_facts(root.path()).unwrap(), "deterministic");
        let body: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(
            body,
            [
                "go go1.99.1",
                "p io",
                "f ReadAll\t[]byte\t!error",
                "m Closer\tClose\t!error",
                "p net/http",
                "m Client\tGet\tResponse\t!error",
                "d Response\tBody\tio.ReadCloser",
                "v DefaultClient\tClient",
            ]
        );
        let empty = tempfile::TempDir::new().unwrap();
        assert!(stdlib_facts(empty.path()).is_err(), "no VERSION: an error, not an empty file");
    }

    /// The result caches key a standard-library import on the library that answers it:
    /// the embedded facts' Go version without a GOROOT, GOROOT's version with one; and the
    /// summary names it.
    #[test]
    fn stdlib_digest_follows_the_library_used() {
        let dir = tempfile::TempDir::new().unwrap();
        let embedded = GoPackages::new(None, None, Vec::new());
        assert_eq!(embedded.stdlib(), None);
        let d = embedded.digest(dir.path(), &["os".to_string()]);
        assert_ne!(d, GoPackages::new(None, None, Vec::new()).digest(dir.path(), &["io".to_string()]));
        let expected = format!("{} (embedded)", debtctl_linter::go_stdlib_version());
        assert_eq!(embedded.stdlib().as_deref(), Some(expected.as_str()));
        assert!(embedded.missing().is_empty(), "the standard library is not missing");
        let root = tempfile::TempDir::new().unwrap();
        std::fs::create_dir_all(root.path().join("src/os")).unwrap();
        std::fs::write(root.path().join("src/os/file.go"), "package os\n").unwrap();
        let key = |version: &str| {
            std::fs::write(root.path().join("VERSION"), version).unwrap();
            GoPackages::new(Some(root.path().to_path_buf()), None, Vec::new())
                .digest(dir.path(), &["os".to_string()])
        };
        let (a, b) = (key("go1.98.0\n"), key("go1.99.0\n"));
        assert_ne!(a, b);
        assert_ne!(a, d);
    }

    /// A body edit (with lines added) keeps a package's API fingerprint; a signature edit
    /// moves it.
    #[test]
    fn the_api_fingerprint_ignores_bodies_and_comments() {
        let f = |src: &str| api_fingerprint(&[("a.go".to_string(), src.to_string())]);
        let base = f("package a\n\nfunc F() {\n\tx()\n}\n");
        assert_eq!(base, f("package a\n\nfunc F() {\n\tx()\n\n\ty(\"}\")\n}\n"));
        assert_eq!(base, f("package a\n\n// F does x.\nfunc F() { /* x */\n\tx()\n}\n"));
        assert_ne!(base, f("package a\n\nfunc F() error {\n\tx()\n}\n"));
        assert_ne!(base, f("package a\n\nfunc F() {\n\tx()\n}\n\nfunc G() {}\n"));
    }

    #[test]
    fn imports_are_read_without_parsing() {
        let src = "package p\n\nimport \"os\"\nimport (\n\t\"fmt\"\n\th \"net/http\"\n\t_ \"embed\"\n\t\"C\"\n)\n\nfunc f() { _ = \"not/an/import\" }\n";
        assert_eq!(scan_imports(src), ["embed", "fmt", "net/http", "os"]);
        assert_eq!(scan_used_imports(src), ["fmt", "net/http", "os"]);
        assert_eq!(
            scan_used_imports("package p\n\nimport _ \"a.org/x\"\nimport x_ \"b.org/y\"\n"),
            ["b.org/y"]
        );
    }
}
