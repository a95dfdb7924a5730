//! One rule, one file: `rules/<prefix>/<slug>.rs`. Each language's `check` walks the tree
//! once and hands every node to the rules that want it.

pub(crate) mod debt;
pub(crate) mod go;
pub(crate) mod helm;
pub(crate) mod k8s;
pub(crate) mod py;
pub(crate) mod yaml;
