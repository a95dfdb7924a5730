//! Agreement with the `ast-grep` CLI on a real repository, for docs/accuracy.md:
//!
//! ```text
//! cargo run --release -p debtctl_custom --example agreement -- ROOT RULE_DIR... [--exclude PREFIX]...
//! ```
//!
//! Every rule file of each RULE_DIR is run by `ast-grep scan --rule FILE --json=stream .` in
//! ROOT and by debtctl_custom on the same files (the `ignore` crate's walk, as ast-grep's);
//! files under an excluded prefix (`vendor/`) are left out on both sides. Prints the
//! matches each side found, how many the other side found too (by rule, file, start and
//! end line), and the differences.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{files, ours_on, theirs, Found};
use debtctl_custom::CustomRules;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().expect("usage: agreement ROOT RULE_DIR... [--exclude PREFIX]..."));
    let root = root.canonicalize().expect("ROOT exists");
    let (mut dirs, mut excludes) = (Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        if arg == "--exclude" {
            excludes.push(args.next().expect("--exclude PREFIX"));
        } else {
            dirs.push(PathBuf::from(arg).canonicalize().expect("RULE_DIR exists"));
        }
    }
    let bin = common::ast_grep().expect("ast-grep 0.51.1 on PATH");
    let rules = CustomRules::load(&root, &dirs, &|_| None).unwrap_or_else(|e| panic!("{e}"));
    let kept = |file: &str| !excludes.iter().any(|p| file.starts_with(p.as_str()));

    let walked: Vec<PathBuf> = files(&root).into_iter().filter(|f| kept(&f.to_string_lossy())).collect();
    let started = std::time::Instant::now();
    let mine: Vec<Found> = ours_on(&root, &rules, &walked);
    let ours_time = started.elapsed();
    let started = std::time::Instant::now();
    let mut cli: Vec<Found> = Vec::new();
    for rule in rules.rules() {
        cli.extend(theirs(&bin, &root, &rule.file).into_iter().filter(|f| kept(&f.file)));
    }
    let cli_time = started.elapsed();

    // Agreement is by rule, file and lines; message and fix differences are listed apart.
    let key = |f: &Found| (f.rule.clone(), f.file.clone(), f.start_line, f.end_line);
    let our_keys: BTreeSet<_> = mine.iter().map(key).collect();
    let cli_keys: BTreeSet<_> = cli.iter().map(key).collect();
    let both = our_keys.intersection(&cli_keys).count();
    println!("corpus: {}", root.display());
    println!("files walked: {}", walked.len());
    println!("matches: ast-grep {}, ours {}, both {both}", cli_keys.len(), our_keys.len());
    println!(
        "agreement: ours found {:.4} of ast-grep's, ast-grep found {:.4} of ours",
        ratio(both, cli_keys.len()),
        ratio(both, our_keys.len())
    );
    println!(
        "time: ours {ours_time:.2?} (parse + check), ast-grep {cli_time:.2?} ({} runs)",
        rules.rules().len()
    );
    let mut per_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for k in &cli_keys {
        per_rule.entry(&k.0).or_default().0 += 1;
    }
    for k in &our_keys {
        per_rule.entry(&k.0).or_default().1 += 1;
    }
    for (rule, (theirs, ours)) in per_rule {
        println!("  {rule}: ast-grep {theirs}, ours {ours}");
    }
    for k in cli_keys.difference(&our_keys).take(40) {
        println!("only ast-grep: {} {}:{}-{}", k.0, k.1, k.2, k.3);
    }
    for k in our_keys.difference(&cli_keys).take(40) {
        println!("only ours: {} {}:{}-{}", k.0, k.1, k.2, k.3);
    }
    let cli_full: BTreeSet<&Found> = cli.iter().collect();
    let detail = mine.iter().filter(|f| cli_keys.contains(&key(f)) && !cli_full.contains(f));
    for f in detail.take(20) {
        println!("same match, other message or fix: {f:?}");
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}
