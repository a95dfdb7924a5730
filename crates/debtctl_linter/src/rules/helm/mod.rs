//! Helm chart template rules, on the objects the YAML pass finds in masked templates (see
//! `rules::yaml`).

pub(crate) mod hardcoded_secret;
