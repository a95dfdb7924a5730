//! Builds `csrc/children.c` against the tree-sitter this crate links: its public header
//! comes from tree-sitter's build (`DEP_TREE_SITTER_INCLUDE`), its internal headers from
//! the `src` directory beside it, which is why the workspace pins tree-sitter's version.

fn main() {
    let include = std::path::PathBuf::from(
        std::env::var("DEP_TREE_SITTER_INCLUDE").expect("tree-sitter's build names its include directory"),
    );
    let internal = include.parent().expect("tree-sitter's include has a parent").join("src");
    println!("cargo:rerun-if-changed=csrc/children.c");
    cc::Build::new()
        .std("c11")
        .include(&include)
        .include(&internal)
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-fvisibility=hidden")
        .file("csrc/children.c")
        .compile("debtctl_ts_children");
}
