//! The result cache: a file whose content hash, path and settings match a cached entry is
//! not parsed again. One cache file per settings digest ([`LinterSettings::cache_key`]:
//! debtctl's version and build, every linter setting); each entry also keeps the rule set
//! its file was checked with, after per-path ignores, and the digest of the custom rules it
//! was checked with (so editing a Python rule re-checks Python files only). In `.debtctl/cache/` at the
//! project root, which carries its own `.gitignore` (as ruff's `.ruff_cache` does).
//! A cache that cannot be read or written is ignored: it is never worth failing a scan.

#[cfg(doc)]
use debtctl_linter::LinterSettings;
use debtctl_linter::{FileResult, Selection};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const FORMAT: u32 = 3;

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    tool: String,
    entries: HashMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    hash: u64,
    /// The rules the file was checked with ([`debtctl_linter::RuleSet::bits`]).
    rules: u64,
    /// The digest of the custom rules it was checked with ([`Selection::custom_digest`]).
    custom: u64,
    result: FileResult,
}

#[derive(Debug)]
pub struct Cache {
    file: PathBuf,
    data: CacheFile,
    dirty: bool,
}

/// `DEBTCTL_CACHE_DIR` or `<root>/.debtctl/cache`.
pub fn default_cache_dir(root: &Path) -> PathBuf {
    match std::env::var_os("DEBTCTL_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join(".debtctl").join("cache"),
    }
}

impl Cache {
    /// Opens the cache for one settings digest; an unreadable or stale file starts empty.
    pub fn open(dir: &Path, settings_key: u64) -> Cache {
        let tool = env!("CARGO_PKG_VERSION").to_string();
        let file = dir.join(format!("scan-{settings_key:016x}.json"));
        let data = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .filter(|c| c.format == FORMAT && c.tool == tool)
            .unwrap_or(CacheFile { format: FORMAT, tool, entries: HashMap::new() });
        Cache { file, data, dirty: false }
    }

    /// The directory the cache file is in (the Go package facts are kept beside it).
    pub fn dir(&self) -> &Path {
        self.file.parent().expect("cache file has a directory")
    }

    /// The result of the file at `path` whose content hashes to `hash`, checked with `rules`.
    pub fn get(&self, path: &str, hash: u64, rules: &Selection) -> Option<&FileResult> {
        self.data
            .entries
            .get(path)
            .filter(|e| e.hash == hash && e.rules == rules.rules.bits() && e.custom == rules.custom_digest)
            .map(|e| &e.result)
    }

    pub fn insert(&mut self, path: String, hash: u64, rules: &Selection, result: FileResult) {
        let entry = Entry { hash, rules: rules.rules.bits(), custom: rules.custom_digest, result };
        self.data.entries.insert(path, entry);
        self.dirty = true;
    }

    /// Writes the cache atomically if anything changed. Errors are swallowed on purpose:
    /// a read-only checkout still scans.
    pub fn save(&self) {
        if !self.dirty {
            return;
        }
        let _ = self.try_save();
    }

    fn try_save(&self) -> std::io::Result<()> {
        let dir = self.file.parent().expect("cache file has a directory");
        create_cache_dir(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), &self.data)?;
        tmp.persist(&self.file).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Creates a cache directory, with a `.gitignore` of everything in `.debtctl/` when the
/// directory is below it (else beside the directory's contents).
pub fn create_cache_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let marker_dir = dir.ancestors().find(|p| p.file_name().is_some_and(|n| n == ".debtctl")).unwrap_or(dir);
    let gitignore = marker_dir.join(".gitignore");
    if !gitignore.exists() {
        std::fs::write(&gitignore, "# Created by debtctl.\n*\n")?;
    }
    Ok(())
}

/// The content hash the cache keys on.
pub fn content_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}
