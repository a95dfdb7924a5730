use super::*;
use std::fs;

fn load_str(files: &[(&str, &str)]) -> Result<CustomRules, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join("rules").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let reserved = |id: &str| id == "go/ignored-error";
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
}

#[test]
fn each_bad_rule_is_one_error_line_naming_file_and_rule() {
    let cases: &[(&str, &str)] = &[
        ("id: a/x\nlanguage: go\nrule: [unclosed\n", "not a valid rule"),
        ("id: a/x\nlanguage: go\nrule:\n  pattern: f()\nseverty: error\n", "severty"),
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
