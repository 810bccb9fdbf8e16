//! One module per subcommand, each a short adapter: its flags, the stages of
//! [`crate::pipeline`] it needs, and one output type (`Serialize` for `--output json`, `Display`
//! for text).

mod accounts;
pub(crate) mod apply;
pub(crate) mod audit;
pub(crate) mod catalog;
pub(crate) mod completions;
pub(crate) mod export;
mod import;
pub(crate) mod lint;
pub(crate) mod man;
pub(crate) mod offline;
pub(crate) mod plan;
pub(crate) mod rotate_key;
pub(crate) mod target;
pub(crate) mod teardown;
mod teardown_integration;
pub(crate) mod verify;
