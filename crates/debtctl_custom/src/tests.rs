use super::*;
use std::fs;

fn load_str(files: &[(&str, &str)]) -> Result<CustomRules, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join("rules").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let reserved = |id: &str| (id == "go/ignored-error").then(|| "the ID is a built-in rule's".to_string());
    CustomRules::load(dir.path(), &[PathBuf::from("rules")], &reserved)
}

fn load_err(text: &str) -> String {
    load_str(&[("r.yml", text)]).unwrap_err().to_string()
}

fn check(rules: &CustomRules, lang: Language, path: &str, src: &str) -> Vec<Match> {
    let tree = debtctl_syntax::parse(lang, src).unwrap();
    rules.check(lang, Path::new(path), src, &tree, &|_| true)
}

const GO_TODO: &str = "id: acme/no-todo\nlanguage: go\nseverity: warning\nmessage: context.TODO() in $F\nrule:\n  pattern: context.TODO()\n  inside:\n    kind: function_declaration\n    stopBy: end\n    has:\n      field: name\n      pattern: $F\n";

#[test]
fn custom_rules_are_shareable() {
    fn assert_send_sync<T: Send + Sync + Clone + fmt::Debug + Default>() {}
    assert_send_sync::<CustomRules>();
}

#[test]
fn pattern_kind_and_regex_rules_match_go_and_python() {
    let rules = load_str(&[
        ("go.yml", GO_TODO),
        (
            "py.yaml",
            "id: acme/print\nlanguage: python\nmessage: print of $$$A\nrule:\n  pattern: print($$$A)\n---\nid: acme/todo-name\nlanguage: py\nseverity: hint\nrule:\n  kind: identifier\n  regex: ^todo_\n",
        ),
    ])
    .unwrap();
    assert_eq!(rules.rules().len(), 3);
    let go = "package a\n\nfunc run() {\n\tctx := context.TODO()\n\t_ = ctx\n}\n";
    let found = check(&rules, Language::Go, "a.go", go);
    assert_eq!(found.len(), 1);
    assert_eq!(&go[found[0].start_byte..found[0].end_byte], "context.TODO()");
    assert_eq!(found[0].message, "context.TODO() in run");
    let py = "todo_x = 1\nprint(todo_x, 2)\n";
    let found = check(&rules, Language::Python, "a.py", py);
    let ids: Vec<&str> = found.iter().map(|m| rules.rules()[m.rule].id.as_str()).collect();
    assert_eq!(ids, ["acme/todo-name", "acme/print", "acme/todo-name"]);
    assert_eq!(found[1].message, "print of todo_x, 2");
    assert_eq!(rules.rules()[2].severity, Severity::Info, "hint is our info");
}

#[test]
fn severities_map_to_ours_and_off_is_not_loaded() {
    let mut text = String::new();
    for sev in ["hint", "info", "warning", "error", "off"] {
        text.push_str(&format!(
            "---\nid: acme/{sev}\nlanguage: go\nseverity: {sev}\nrule:\n  pattern: f()\n"
        ));
    }
    let rules = load_str(&[("s.yml", &text)]).unwrap();
    let got: Vec<(&str, Severity)> = rules.rules().iter().map(|r| (r.id.as_str(), r.severity)).collect();
    assert_eq!(
        got,
        [
            ("acme/hint", Severity::Info),
            ("acme/info", Severity::Info),
            ("acme/warning", Severity::Warning),
            ("acme/error", Severity::Error),
        ]
    );
    assert!(rules.is_off("acme/off") && !rules.is_off("acme/error"));
}

#[test]
fn each_bad_rule_is_one_error_line_naming_file_and_rule() {
    let cases: &[(&str, &str)] = &[
        ("id: a/x\nlanguage: go\nrule: [unclosed\n", "not a valid rule"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f()\nseverty: error\n", "severty"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f()\n  inside:\n    kind: block\n    stopby: end\n", "unknown key `stopby` in `rule.inside`"),
        ("id: a/x\nlanguage: go\nrule:\n  all:\n    - has:\n        kind: block\n        feild: body\n", "unknown key `feild` in `rule.all[0].has`"),
        ("id: a/x\nlanguage: rust\nrule:\n  pattern: f()\n", "unsupported language `rust`"),
        ("id: a/x\nlanguage: python\nrule:\n  pattern: 'def ('\n", "Fails to parse the pattern query: `def (`"),
        ("id: a/x\nlanguage: go\nrule:\n  kind: no_such_kind\n", "no_such_kind"),
        ("id: a/x\nlanguage: go\nrule:\n  regex: '^a'\n", "Try adding `kind` rule"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f($A)\nconstraints:\n  A:\n    regex: '('\n", "regex"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f($A)\ntransform:\n  B:\n    substring:\n      source: $NOPE\n", "NOPE"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f($A)\nfix:\n  template: g()\n  expandEnd:\n    kind: nope_kind\n", "nope_kind"),
        ("id: a/x\nlanguage: go\nrule:\n  matches: missing-util\n", "missing-util"),
        ("id: a/x\nlanguage: go\nfiles: ['a/{b']\nrule:\n  pattern: f()\n", "bad `files` glob"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f()\nmetadata:\n  debt_minutes: -5\n", "`metadata.debt_minutes` must be a whole number"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f()\nmetadata:\n  debt_minutes: ten\n", "`metadata.debt_minutes` must be a whole number"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f()\nmetadata:\n  ticket: [1]\n", "`metadata.ticket` must be a string"),
        ("id: go/ignored-error\nlanguage: go\nrule:\n  pattern: f()\n", "the ID is a built-in rule's"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f()\n---\nid: a/x\nlanguage: go\nrule:\n  pattern: g()\n", "the ID is taken by a rule in"),
        ("language: go\nrule:\n  pattern: f()\n", "a rule needs an `id`"),
        ("id: no print\nlanguage: go\nrule:\n  pattern: f()\n", "in parts separated by `/`"),
        ("id: acme//x\nlanguage: go\nrule:\n  pattern: f()\n", "in parts separated by `/`"),
        ("id: a/x\nlanguage: go\nseverity: off\nrule:\n  pattern: f(\n", "Fails to parse the pattern query"),
        ("id: a/x\nlanguage: go\nseverity: off\nrule:\n  pattern: f()\n---\nid: a/x\nlanguage: go\nrule:\n  pattern: g()\n", "the ID is taken"),
    ];
    for (text, want) in cases {
        let line = load_err(text);
        assert!(line.contains(want), "{text}\n=> {line}\n(wanted {want:?})");
        assert!(!line.contains('\n'), "one line: {line}");
        assert!(line.contains("r.yml: "), "names the file: {line}");
        if !want.contains("needs an `id`") {
            assert!(line.contains("rule `"), "names the rule: {line}");
        }
    }
}

#[test]
fn debt_minutes_and_ticket_come_from_metadata() {
    let rules = load_str(&[(
        "m.yml",
        "id: a/x\nlanguage: go\nrule:\n  pattern: f()\nmetadata:\n  debt_minutes: 45\n  ticket: ACME-12\n  owner: team-a\n---\nid: a/y\nlanguage: go\nrule:\n  pattern: g()\n",
    )])
    .unwrap();
    let r = rules.rules();
    assert_eq!((r[0].debt_minutes, r[0].ticket.as_deref()), (45, Some("ACME-12")));
    assert_eq!((r[1].debt_minutes, r[1].ticket.as_deref()), (DEFAULT_DEBT_MINUTES, None));
    assert!(r[0].yaml.starts_with("id: a/x") && !r[0].yaml.contains("a/y"), "{}", r[0].yaml);
}

#[test]
fn files_and_ignores_are_globs_relative_to_the_root() {
    let rules = load_str(&[(
        "g.yml",
        "id: a/x\nlanguage: go\nfiles: ['cmd/**/*.go', {glob: 'LIB/*.GO', caseInsensitive: true}]\nignores: ['**/*_test.go']\nrule:\n  pattern: f()\n",
    )])
    .unwrap();
    let src = "package a\n\nfunc g() { f() }\n";
    for (path, want) in
        [("cmd/tool/main.go", 1), ("cmd/tool/main_test.go", 0), ("lib/a.go", 1), ("internal/a.go", 0)]
    {
        assert_eq!(check(&rules, Language::Go, path, src).len(), want, "{path}");
        let digest = rules.digest_for(Language::Go, Path::new(path));
        assert_eq!(digest != 0, want == 1, "{path}: the digest follows the globs");
    }
}

#[test]
fn a_python_rule_does_not_change_a_go_files_digest() {
    let go = "id: a/go\nlanguage: go\nrule:\n  pattern: f()\n";
    let before =
        load_str(&[("g.yml", go), ("p.yml", "id: a/py\nlanguage: python\nrule:\n  pattern: f()\n")]).unwrap();
    let after =
        load_str(&[("g.yml", go), ("p.yml", "id: a/py\nlanguage: python\nrule:\n  pattern: g()\n")]).unwrap();
    let (go_path, py_path) = (Path::new("a.go"), Path::new("a.py"));
    assert_eq!(before.digest_for(Language::Go, go_path), after.digest_for(Language::Go, go_path));
    assert_ne!(before.digest_for(Language::Python, py_path), after.digest_for(Language::Python, py_path));
    // YAML rules serve Helm templates too.
    let yaml = load_str(&[("y.yml", "id: a/y\nlanguage: yml\nrule:\n  kind: block_mapping_pair\n")]).unwrap();
    assert_ne!(yaml.digest_for(Language::HelmTemplate, Path::new("t/templates/a.yaml")), 0);
    assert_eq!(yaml.digest_for(Language::GoMod, Path::new("go.mod")), 0);
}

#[test]
fn fixes_carry_metavariables_and_transforms() {
    let rules = load_str(&[(
        "f.yml",
        "id: a/camel\nlanguage: python\nrule:\n  kind: identifier\n  pattern: $N\n  regex: '^[a-z]+[A-Z]'\n  inside:\n    kind: function_definition\n    field: name\ntransform:\n  S:\n    convert:\n      source: $N\n      toCase: snakeCase\nmessage: rename $N to $S\nfix: $S\n",
    )])
    .unwrap();
    let src = "def loadAll(x):\n    return x\n";
    let found = check(&rules, Language::Python, "a.py", src);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].message, "rename loadAll to load_all");
    assert_eq!(found[0].fix, Some(Edit { start_byte: 4, end_byte: 11, replacement: "load_all".into() }));
    assert!(rules.rules()[0].has_fix);
}

#[test]
fn enabled_filters_rules_and_yaml_rules_run_on_helm_templates() {
    let rules = load_str(&[(
        "y.yml",
        "id: a/priv\nlanguage: yaml\nrule:\n  pattern: 'privileged: true'\n---\nid: a/host\nlanguage: yaml\nrule:\n  pattern: 'hostNetwork: true'\n",
    )])
    .unwrap();
    let masked = debtctl_syntax::helm::mask(
        "spec:\n  hostNetwork: true\n  privileged: true\n  name: {{ .Values.name }}\n",
    )
    .text;
    let tree = debtctl_syntax::parse(Language::HelmTemplate, &masked).unwrap();
    let path = Path::new("chart/templates/pod.yaml");
    let all = rules.check(Language::HelmTemplate, path, &masked, &tree, &|_| true);
    assert_eq!(all.iter().map(|m| m.rule).collect::<Vec<_>>(), [1, 0]);
    let only_first = rules.check(Language::HelmTemplate, path, &masked, &tree, &|i| i == 0);
    assert_eq!(only_first.iter().map(|m| m.rule).collect::<Vec<_>>(), [0]);
}

#[test]
fn rule_tests_report_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("rules")).unwrap();
    fs::create_dir_all(dir.path().join("tests/__snapshots__")).unwrap();
    fs::write(dir.path().join("rules/r.yml"), "id: a/p\nlanguage: python\nrule:\n  pattern: print($$$A)\n")
        .unwrap();
    fs::write(
        dir.path().join("tests/p.yml"),
        "id: a/p\nvalid:\n  - log(1)\n  - print(2)\ninvalid:\n  - print(1)\n  - pprint(1)\n",
    )
    .unwrap();
    fs::write(dir.path().join("tests/__snapshots__/p-snapshot.yml"), "id: a/p\nsnapshots: {}\n").unwrap();
    let rules = CustomRules::load(dir.path(), &[PathBuf::from("rules")], &|_| None).unwrap();
    let report = testing::run(&rules, &[dir.path().join("tests")]).unwrap();
    assert_eq!(report.cases.len(), 4);
    let failed: Vec<(&str, bool, &str)> =
        report.failed().map(|c| (c.snippet.as_str(), c.valid, c.detail.as_str())).collect();
    assert_eq!(
        failed,
        [
            ("print(2)", true, "expected no match, found 1 at line 1"),
            ("pprint(1)", false, "expected a match, found none")
        ]
    );
    fs::write(dir.path().join("tests/q.yml"), "id: a/nope\nvalid: [x]\n").unwrap();
    let err = testing::run(&rules, &[dir.path().join("tests")]).unwrap_err().to_string();
    assert!(err.ends_with("q.yml: rule `a/nope`: no custom rule has this ID"), "{err}");
}

#[test]
fn rule_tests_are_selected_and_off_rules_skipped() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("rules")).unwrap();
    fs::create_dir_all(dir.path().join("tests")).unwrap();
    fs::write(
        dir.path().join("rules/r.yml"),
        "id: a/p\nlanguage: python\nrule:\n  pattern: print($$$A)\n---\n\
         id: a/off\nlanguage: python\nseverity: off\nrule:\n  pattern: g()\n---\n\
         id: b/q\nlanguage: python\nrule:\n  pattern: q()\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("tests/t.yml"),
        "id: a/p\nvalid:\n  - |\n    x = 1\n    print(1)\n    print(2)\n---\n\
         id: a/off\nvalid: [g()]\ninvalid: [h(), g()]\n---\nid: b/q\ninvalid: [q()]\n",
    )
    .unwrap();
    let rules = CustomRules::load(dir.path(), &[PathBuf::from("rules")], &|_| None).unwrap();
    let tests = [dir.path().join("tests")];
    let report = testing::run_selected(&rules, &tests, &|id| id.starts_with("a/")).unwrap();
    let case = &report.cases[..];
    assert_eq!(case.len(), 1, "b/q is not selected");
    assert_eq!((case[0].rule_id.as_str(), case[0].valid, case[0].index), ("a/p", true, 0));
    assert_eq!(case[0].line, Some(4), "the snippet's first non-blank line in the test file");
    assert_eq!(case[0].match_lines, [2, 3]);
    assert_eq!(case[0].detail, "expected no match, found 2 at lines 2, 3");
    let skipped: Vec<(&str, usize)> = report.skipped.iter().map(|s| (s.rule_id.as_str(), s.cases)).collect();
    assert_eq!(skipped, [("a/off", 3)]);
    let all = testing::run(&rules, &tests).unwrap();
    assert_eq!(all.cases.len(), 2);
    assert_eq!(all.cases[1].line, Some(13), "b/q's snippet, in the third document");
    assert_eq!(rules.off_rules().iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a/off"]);
}

#[test]
fn a_yaml_stream_is_checked_over_its_document_trees() {
    let rules =
        load_str(&[("y.yml", "id: a/priv\nlanguage: yaml\nrule:\n  pattern: 'privileged: true'\n")]).unwrap();
    let src = "a:\n  privileged: true\n---\nb:\n  privileged: false\n---\nc:\n  privileged: true\n";
    let trees = debtctl_syntax::yaml::parse_documents(src);
    assert_eq!(trees.len(), 3);
    let found = rules.check_trees(Language::Yaml, Path::new("a.yaml"), src, &trees, &|_| true);
    let lines: Vec<usize> = found.iter().map(|m| src[..m.start_byte].matches('\n').count() + 1).collect();
    assert_eq!(lines, [2, 8]);
}

/// The walk by kind (files without `ast-grep-ignore`) must find what ast-grep-config's
/// `CombinedScan` finds: every test rule over every fixture, through both.
#[test]
fn the_kind_walk_finds_what_combined_scan_finds() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let rules = CustomRules::load(&base, &[PathBuf::from("rules")], &|_| None).unwrap();
    let mut compared = 0;
    let mut stack = vec![base.join("fixtures")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Some(lang) = Language::from_path(&path).and_then(|l| lang::AgLang::of_file(l).map(|_| l))
            else {
                continue;
            };
            let src = fs::read_to_string(&path).unwrap();
            let trees = match lang {
                Language::Yaml => debtctl_syntax::yaml::parse_documents(&src),
                _ => vec![debtctl_syntax::parse(lang, &src).unwrap()],
            };
            let ag = lang::AgLang::of_file(lang).unwrap();
            let all: Vec<usize> =
                (0..rules.rules().len()).filter(|&i| rules.rules()[i].language == ag.0).collect();
            let key =
                |m: &Match| (m.rule, m.start_byte, m.end_byte, m.message.clone(), format!("{:?}", m.fix));
            let mut walk: Vec<_> = rules.kind_walk(ag, &src, &trees, &all).iter().map(key).collect();
            let mut scan: Vec<_> = rules.combined_scan(ag, &src, &trees, &all).iter().map(key).collect();
            walk.sort();
            scan.sort();
            if src.contains(IGNORE_COMMENT) {
                assert!(scan.len() < walk.len(), "{}: the ignore comments suppress", path.display());
            } else {
                assert_eq!(walk, scan, "{}", path.display());
                compared += walk.len();
            }
        }
    }
    assert!(compared >= 20, "{compared}");
}

#[test]
fn rule_files_are_found_recursively_in_order_and_a_missing_dir_is_an_error() {
    let rules = load_str(&[
        ("b.yaml", "id: a/b\nlanguage: go\nrule:\n  pattern: b()\n"),
        ("a/z.yml", "id: a/z\nlanguage: go\nrule:\n  pattern: z()\n"),
        ("a.yml", "id: a/a\nlanguage: go\nrule:\n  pattern: a()\n"),
        ("notes.md", "not a rule"),
        (".hidden.yml", "not: [a rule"),
    ])
    .unwrap();
    let ids: Vec<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a/z", "a/a", "a/b"], "sorted by path: a/ before a.yml before b.yaml");
    let dir = tempfile::tempdir().unwrap();
    let err = CustomRules::load(dir.path(), &[PathBuf::from("nope")], &|_| None).unwrap_err();
    assert!(err.to_string().ends_with("nope: no such directory"), "{err}");
}

/// Issue 14: a rule written and tested with the ast-grep CLI works unchanged, so an ID
/// without a prefix (`no-print`) is kept; refused is only what a `--select` list or a
/// suppression comment cannot hold, and what the findings schema's `rule` pattern excludes.
#[test]
fn custom_ids_are_kept_as_ast_grep_rules_write_them() {
    for ok in [
        "acme/no-print",
        "a/x",
        "team1/py/no_print",
        "acme/2fa-check",
        "no-print",
        "noPrint",
        "rule.v2",
        "_x",
    ] {
        assert!(valid_id(ok), "{ok}");
    }
    for bad in ["ALL", "acme/", "/x", "acme//x", "acme/-x", "acme/x y", "a,b", "a[b]", ""] {
        assert!(!valid_id(bad), "{bad}");
    }
}
