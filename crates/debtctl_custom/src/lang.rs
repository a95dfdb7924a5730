//! debtctl's languages as ast-grep sees them: the grammar debtctl parses with, and the
//! metavariable handling of ast-grep's own language definitions, so that a pattern means
//! here what it means to the `ast-grep` CLI.

use ast_grep_core::matcher::{Pattern, PatternBuilder, PatternError};
use ast_grep_core::tree_sitter::{LanguageExt, StrDoc, TSLanguage};
use debtctl_syntax::Language;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;

/// One of the three languages custom rules are written for. `HelmTemplate` files use the
/// YAML rules (on the masked tree), so it has no value of its own here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct AgLang(pub(crate) Language);

impl AgLang {
    /// The rule language a file of `language` is checked with.
    pub(crate) fn of_file(language: Language) -> Option<AgLang> {
        match language {
            Language::Go => Some(AgLang(Language::Go)),
            Language::Python => Some(AgLang(Language::Python)),
            Language::Yaml | Language::HelmTemplate => Some(AgLang(Language::Yaml)),
            Language::GoMod => None,
        }
    }

    /// The index of this language in per-language tables.
    pub(crate) fn slot(self) -> usize {
        match self.0 {
            Language::Go => 0,
            Language::Python => 1,
            _ => 2,
        }
    }

    /// ast-grep-language replaces `$` in Go and Python patterns with `µ`, a letter both
    /// grammars accept in identifiers (`$` is not one); YAML keeps `$`.
    fn expando(self) -> char {
        match self.0 {
            Language::Go | Language::Python => 'µ',
            _ => '$',
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self.0 {
            Language::Go => "Go",
            Language::Python => "Python",
            _ => "YAML",
        }
    }

    /// The names ast-grep accepts for a language, compared without case.
    fn from_name(name: &str) -> Option<AgLang> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "go" | "golang" => Some(AgLang(Language::Go)),
            "python" | "py" => Some(AgLang(Language::Python)),
            "yaml" | "yml" => Some(AgLang(Language::Yaml)),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for AgLang {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        AgLang::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unsupported language `{name}` (custom rules are for Go, Python and YAML)"
            ))
        })
    }
}

impl Serialize for AgLang {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl ast_grep_core::Language for AgLang {
    fn pre_process_pattern<'q>(&self, query: &'q str) -> Cow<'q, str> {
        let expando = self.expando();
        if expando == '$' || !query.contains('$') {
            Cow::Borrowed(query)
        } else {
            Cow::Owned(query.replace('$', expando.encode_utf8(&mut [0; 4])))
        }
    }

    fn expando_char(&self) -> char {
        self.expando()
    }

    fn kind_to_id(&self, kind: &str) -> u16 {
        self.0.grammar().id_for_node_kind(kind, true)
    }

    fn field_to_id(&self, field: &str) -> Option<u16> {
        self.0.grammar().field_id_for_name(field).map(|f| f.get())
    }

    /// A pattern whose node is an ERROR node, one the `ast-grep` CLI warns "may cause
    /// unexpected results", is refused at load time: it does not parse for its language and
    /// would match by the accident of error recovery. (Go patterns such as `f()` parse with
    /// an ERROR around them, as a statement outside a function; the node ast-grep picks is
    /// the clean call inside, so they are fine.)
    fn build_pattern(&self, builder: &PatternBuilder) -> Result<Pattern, PatternError> {
        let lang = *self;
        let mut source = String::new();
        let pattern = builder.build(|src| {
            source = src.replace(lang.expando(), "$");
            StrDoc::try_new(src, lang)
        })?;
        if pattern.has_error() {
            // PatternError::Parse prints this as "Fails to parse the pattern query: `..`".
            return Err(PatternError::Parse(source.trim().to_string()));
        }
        Ok(pattern)
    }
}

impl LanguageExt for AgLang {
    fn get_ts_language(&self) -> TSLanguage {
        self.0.grammar()
    }
}
