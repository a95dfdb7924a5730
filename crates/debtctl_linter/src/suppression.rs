//! Suppression comments, as the catalog's Suppression section defines them:
//! Go `//debtctl:ignore RULE[,RULE] reason`, YAML `#debtctl:ignore RULE[,RULE] reason`,
//! Python `# debtctl: ignore[RULE,RULE] reason`. A comment suppresses findings on its own
//! line and on the line below it.

use crate::checker::Checker;
use crate::registry::Rule;
use debtctl_diagnostics::TextRange;
use debtctl_syntax::Language;
use regex::Regex;
use std::sync::LazyLock;

static PY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\s*debtctl:\s*ignore\[([^\]]*)\]").expect("valid regex"));
static GO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^//\s*debtctl:ignore\s+([^\s,]+(?:\s*,\s*[^\s,]+)*)").expect("valid regex")
});
static YAML: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\s*debtctl:ignore\s+([^\s,]+(?:\s*,\s*[^\s,]+)*)").expect("valid regex"));

#[derive(Debug)]
struct Code {
    range: TextRange,
    text: String,
    rule: Option<Rule>,
    used: bool,
}

#[derive(Debug)]
struct Suppression {
    /// 0-based line of the comment.
    line: usize,
    codes: Vec<Code>,
}

#[derive(Debug, Default)]
pub(crate) struct Suppressions {
    items: Vec<Suppression>,
}

impl Suppressions {
    /// Reads a suppression from a comment, if it holds one. `comment` is the comment's
    /// whole text, starting at byte `start` of a source whose 0-based line is `line`.
    pub fn add_comment(&mut self, lang: Language, comment: &str, start: usize, line: usize) {
        if !comment.contains("debtctl:") {
            return;
        }
        let re = match lang {
            Language::Python => &*PY,
            Language::Go | Language::GoMod => &*GO,
            Language::Yaml | Language::HelmTemplate => &*YAML,
        };
        let Some(caps) = re.captures(comment) else { return };
        let list = caps.get(1).expect("group 1 always takes part");
        let mut codes = Vec::new();
        let mut offset = list.start();
        for part in list.as_str().split(',') {
            let trimmed = part.trim();
            let lead = part.len() - part.trim_start().len();
            if !trimmed.is_empty() {
                let s = start + offset + lead;
                codes.push(Code {
                    range: TextRange::new(s, s + trimmed.len()),
                    text: trimmed.to_string(),
                    rule: Rule::from_id(trimmed),
                    used: false,
                });
            }
            offset += part.len() + 1;
        }
        self.items.push(Suppression { line, codes });
    }

    /// Whether a finding of `rule` on 0-based `line` is suppressed; marks the code used.
    pub fn suppresses(&self, rule: Rule, line: usize) -> bool {
        // Interior mutability would hide the bookkeeping; a second pass is cheap instead.
        self.items
            .iter()
            .any(|s| (s.line == line || s.line + 1 == line) && s.codes.iter().any(|c| c.rule == Some(rule)))
    }

    fn mark_used(&mut self, rule: Rule, line: usize) {
        for s in &mut self.items {
            if s.line == line || s.line + 1 == line {
                for c in &mut s.codes {
                    if c.rule == Some(rule) {
                        c.used = true;
                    }
                }
            }
        }
    }

    /// Reports unknown rule IDs, and (when that rule is on) suppressions that hid nothing.
    /// Called after suppressed diagnostics were dropped; `suppressed` lists them.
    pub fn report(mut self, checker: &mut Checker<'_>, suppressed: &[(Rule, usize)]) {
        for (rule, line) in suppressed {
            self.mark_used(*rule, *line);
        }
        for s in &self.items {
            for c in &s.codes {
                match c.rule {
                    None if checker.enabled(Rule::DebtUnknownSuppression) => {
                        checker.report(
                            Rule::DebtUnknownSuppression,
                            c.range,
                            format!("unknown rule `{}` in suppression comment", c.text),
                        );
                    }
                    Some(rule)
                        if !c.used
                            && checker.enabled(rule)
                            && checker.enabled(Rule::DebtUnusedSuppression) =>
                    {
                        checker.report(
                            Rule::DebtUnusedSuppression,
                            c.range,
                            format!("suppression of `{}` suppresses nothing", c.text),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}
