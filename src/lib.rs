//! `onboard` onboards a SaaS vendor into an AWS account: it creates the IAM policies and the
//! cross-account role the vendor's documentation asks for, verifies them with `sts:AssumeRole`,
//! prints the role ARN to hand to the vendor, and removes everything it created on teardown.
//!
//! One pipeline serves every command:
//!
//! ```text
//! catalog entry + flags ──► Desired ──┐
//!                                     ├─► plan (pure) ──► executor ──► output
//! AWS reads ──────────────► Observed ─┘
//! ```
//!
//! - [`catalog`] holds the vendor entries (compiled in) and renders them into [`state::Desired`].
//! - [`aws`] is the only module that speaks to AWS: it reads [`state::Observed`] and executes
//!   single [`plan::Action`]s.
//! - [`plan`] turns desired and observed state into steps with dependency edges; [`executor`]
//!   runs them concurrently in dependency order.
//! - [`verification`] reads a role back, compares it with the catalog in canonical form
//!   ([`policy::canonical`]) and proves it can be assumed.
//!
//! Every resource onboard creates carries the tags in [`state::ownership_tags`]; teardown
//! removes only resources with `managed-by=onboard`.

mod arn;
mod audit;
mod aws;
mod catalog;
mod cli;
mod commands;
mod error;
mod executor;
mod export;
mod handoff;
mod interrupt;
mod kinds;
mod logging;
mod output;
mod pipeline;
mod plan;
mod policy;
mod progress;
mod state;
mod verification;

use std::process::ExitCode;

// The API of this library is what `main.rs` and the integration tests use; everything else is
// `pub(crate)`.
pub use cli::Cli;
pub use error::{CLOSED_PIPE_EXIT_CODE, exit_code_for, is_closed_stdout, one_line};
pub use logging::init as init_logging;
pub use policy::{canonical, decode_document};

use error::{Error, Usage};

/// Runs one parsed command line; `main` maps the error to an exit code. A Ctrl-C outside plan
/// execution stops the command at once; during execution the executor stops gracefully.
///
/// # Errors
///
/// Whatever the command met; [`exit_code_for`] maps it to the exit code.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    interrupt::install();
    let mut signals = interrupt::subscribe();
    let command = dispatch(cli);
    tokio::pin!(command);
    loop {
        tokio::select! {
            result = &mut command => return result,
            () = interrupt::next(&mut signals) => {
                if !interrupt::executing() {
                    return Err(Error::InterruptedIdle.into());
                }
            }
        }
    }
}

async fn dispatch(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    if global.output.audit_only() && !matches!(cli.command, cli::Command::Audit(_)) {
        let format = clap::ValueEnum::to_possible_value(&global.output)
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        return Err(Error::from(Usage::OutputForAuditOnly { format }).into());
    }
    // The commands that call AWS check its flags first; the others ignore them.
    if matches!(
        cli.command,
        cli::Command::Apply(_)
            | cli::Command::Plan(_)
            | cli::Command::Verify(_)
            | cli::Command::Teardown(_)
            | cli::Command::RotateKey(_)
    ) {
        cli::check_global(global)?;
    }
    match cli.command {
        cli::Command::Apply(args) => Box::pin(commands::apply::run(args, global)).await,
        cli::Command::Plan(args) => commands::plan::run(args, global).await,
        cli::Command::Verify(args) => Box::pin(commands::verify::run(args, global)).await,
        cli::Command::Teardown(args) => commands::teardown::run(args, global).await,
        cli::Command::Catalog(command) => commands::catalog::run(command, global),
        cli::Command::RotateKey(args) => Box::pin(commands::rotate_key::run(args, global)).await,
        cli::Command::Completions(args) => commands::completions::run(&args),
        cli::Command::Man(args) => commands::man::run(args),
        cli::Command::Export(args) => commands::export::run(&args, global),
        cli::Command::Lint(args) => commands::lint::run(&args, global),
        cli::Command::Audit(args) => commands::audit::run(args, global).await,
    }
}
