//! The rules of debtctl and the per-file pipeline that runs them: parse once, walk the tree
//! once with every enabled rule of the language, apply suppression comments, and turn what
//! the rules report into [`Finding`]s with stable fingerprints.

mod checker;
mod comments;
pub mod custom;
pub mod fix;
pub mod registry;
mod rules;
mod settings;
mod suppression;
pub mod tickets;
mod walk;

pub use checker::{check_go_file, check_package, check_parsed, check_source, is_generated, FileResult};
pub use custom::{CustomRegistry, RuleKey, Selection};
pub use registry::{Rule, RuleMeta, RuleSet};
pub use rules::go::api::{imported_paths, ApiSource, GoApi, PackageApi};
pub use rules::go::ignored_error::parse_exclude_function;
pub use rules::go::package::{FileFacts, PackageFacts, PackageFile};
pub use rules::go::stdlib::{
    decode_package as decode_go_package, embedded_has as go_stdlib_has,
    embedded_version as go_stdlib_version, encode as encode_go_stdlib, encode_package as encode_go_package,
    facts_build as go_facts_build, is_std as is_go_std,
};
pub use settings::{GoSettings, LinterSettings};
pub use tickets::{tickets_in, TicketPatterns};

pub use debtctl_syntax::Language;
