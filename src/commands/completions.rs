//! `onboard completions SHELL`: a completion script generated from the clap definitions.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::output::write_stdout;

pub(crate) fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    // clap_complete panics when its writer fails: generate in memory, write fallibly.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    write_stdout(&script)?;
    Ok(ExitCode::SUCCESS)
}
