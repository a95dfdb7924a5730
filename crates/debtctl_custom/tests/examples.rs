//! The repository's `examples/rules/` load and pass their own rule tests in
//! `examples/rule-tests/` (ast-grep's format), as `debtctl test-rules` would run them.

use debtctl_custom::{testing, CustomRules};
use std::path::PathBuf;

#[test]
fn example_rules_pass_their_tests() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let rules = CustomRules::load(&root, &[PathBuf::from("rules")], &|_| None).unwrap();
    assert!(rules.rules().len() >= 5, "{:?}", rules.rules().len());
    let report = testing::run(&rules, &[root.join("rule-tests")]).unwrap();
    let failed: Vec<_> = report.failed().collect();
    assert!(failed.is_empty(), "{failed:#?}");
    // Every example rule is tested, each with a valid and an invalid case.
    for rule in rules.rules() {
        for valid in [true, false] {
            assert!(
                report.cases.iter().any(|c| c.rule_id == rule.id && c.valid == valid),
                "{} has no {} case",
                rule.id,
                if valid { "valid" } else { "invalid" }
            );
        }
    }
}
