//! Computes `DEBTCTL_BUILD_DIGEST`: a digest of the sources that decide what a file's
//! findings are (the rules, the parsers' glue, the fingerprint, the rule docs and data
//! tables, the locked grammar versions). The result caches key on it beside the version,
//! so a build with changed rules never reads results an older build of the same version
//! cached (a `cargo install --path .` from a newer commit, a developer's own build).
//! Only this crate's own inputs are read: an edit anywhere else does not rebuild it.

use std::path::{Path, PathBuf};

const INPUTS: &[&str] =
    &["src", "../debtctl_syntax/src", "../debtctl_diagnostics/src", "../../rules", "../../Cargo.lock"];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    for input in INPUTS {
        let path = manifest.join(input);
        println!("cargo:rerun-if-changed={}", path.display());
        collect(&path, &mut files);
    }
    files.sort();
    // FNV-1a: no dependency for a build script, and collisions do not matter here beyond
    // what a 64-bit digest gives.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in &files {
        let rel = file.strip_prefix(&manifest).unwrap_or(file);
        feed(rel.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&std::fs::read(file).unwrap_or_default());
        feed(&[0]);
    }
    println!("cargo:rustc-env=DEBTCTL_BUILD_DIGEST={h:016x}");
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            for entry in entries.flatten() {
                collect(&entry.path(), out);
            }
        }
        Err(_) if path.is_file() => out.push(path.to_path_buf()),
        Err(_) => {}
    }
}
