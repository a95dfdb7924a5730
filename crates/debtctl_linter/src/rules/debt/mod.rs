pub(crate) mod todo;
