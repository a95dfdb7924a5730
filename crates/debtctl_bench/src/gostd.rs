//! `debtctl-gostd [GOROOT] [OUT]`: regenerates the standard-library facts compiled into
//! debtctl (`rules/data/go-stdlib.facts`) from a Go installation's sources, with the index
//! code a scan uses on `$GOROOT`. GOROOT defaults to `$GOROOT`, else `/usr/lib/go`; OUT to
//! `rules/data/go-stdlib.facts` (run from the repository root). The output is
//! deterministic: run it twice and `cmp` the files.
//!
//! ```sh
//! cargo run -p debtctl_bench --bin debtctl-gostd -- /usr/lib/go-1.19 rules/data/go-stdlib.facts
//! ```

use anyhow::{Context, Result};
use std::path::PathBuf;

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let goroot = args
        .next()
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("GOROOT").filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/usr/lib/go"));
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("rules/data/go-stdlib.facts"));
    let text = debtctl_workspace::go_api::stdlib_facts(&goroot)
        .with_context(|| format!("reading the Go sources under {}", goroot.display()))?;
    let tmp = out.with_extension("facts.tmp");
    std::fs::write(&tmp, &text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
    let packages = text.lines().filter(|l| l.starts_with("p ")).count();
    let version = text.lines().find_map(|l| l.strip_prefix("go ")).unwrap_or("");
    eprintln!("{}: {packages} packages of {version}, {} bytes", out.display(), text.len());
    Ok(())
}
