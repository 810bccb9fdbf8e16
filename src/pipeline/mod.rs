//! The one pipeline the commands that touch AWS run, stage by stage:
//!
//! ```text
//! check offline ──► caller ──► observe ──► plan ──► execute ──► verify
//! ```
//!
//! - [`check`]: every flag and document checked before the first AWS call ([`Checked`]);
//! - [`prepare`]: the caller, what exists (once no other run is handing a key over), and the
//!   plan ([`Prepared`]); no write call;
//! - [`execute`]: the plan run as a dependency graph, with new access keys handed over;
//! - [`apply`]: execution and verification together: `sts:AssumeRole` starts as soon as a role
//!   and its trust policy are in place, beside the attachments, and verification compares what
//!   this run read and wrote instead of reading it again.
//!
//! Each command in [`crate::commands`] is an adapter: it parses its flags, runs the stages it
//! needs (in one account, or in each of `--accounts` through [`crate::commands`]' accounts
//! runner) and prints one output type.

mod apply;
mod check;
mod execute;
mod prepare;

pub(crate) use apply::{Applied, apply};
pub(crate) use check::{assume_settings, check};
pub(crate) use execute::{announce_keys, execute_plan};
pub(crate) use prepare::{KEY_POLL_SECONDS, Prepared, prepare, prepare_in, unix_now};
