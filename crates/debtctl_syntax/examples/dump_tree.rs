//! Prints a file's syntax tree as S-expression, for rule authors:
//! `cargo run -p debtctl_syntax --example dump_tree -- FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: dump_tree FILE");
    let src = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let lang = debtctl_syntax::Language::from_path(path.as_ref()).expect("known language");
    let tree = debtctl_syntax::parse(lang, &src).expect("parse");
    let mut cursor = tree.root_node().walk();
    let mut depth = 0;
    loop {
        let n = cursor.node();
        let field = cursor.field_name().map(|f| format!("{f}: ")).unwrap_or_default();
        if n.is_named() || n.is_missing() {
            let leaf =
                if n.child_count() == 0 { format!(" {:?}", &src[n.byte_range()]) } else { String::new() };
            println!("{}{field}{}{} [{}]", "  ".repeat(depth), n.kind(), leaf, n.start_position().row + 1);
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            depth -= 1;
        }
    }
}
