//! Kubernetes manifest rules, on the objects the YAML pass finds (see `rules::yaml`).

pub(crate) mod missing_probe;
