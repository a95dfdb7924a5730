//! The JSON Schemas in `schemas/` are generated from the Rust types. This test fails when
//! they are stale; `DEBTCTL_UPDATE_SCHEMAS=1 cargo test -p debtctl --test schemas`
//! rewrites them.

use std::path::{Path, PathBuf};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

#[test]
fn schemas_are_fresh() {
    let generated = [
        ("findings.schema.json", schemars::schema_for!(debtctl_diagnostics::Report)),
        ("config.schema.json", schemars::schema_for!(debtctl_workspace::config::Config)),
        ("test-rules.schema.json", schemars::schema_for!(debtctl::TestRulesReport)),
    ];
    let update = std::env::var_os("DEBTCTL_UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in generated {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = schemas_dir().join(name);
        if update {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas {stale:?}: run `DEBTCTL_UPDATE_SCHEMAS=1 cargo test -p debtctl --test schemas`"
    );
}
