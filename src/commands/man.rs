//! `onboard man`: the man page, generated from the clap definitions (the same text as `--help`).

use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::output::write_stdout;

pub(crate) fn run(args: ManArgs) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    if let Some(dir) = args.dir {
        clap_mangen::generate_to(command, &dir)
            .with_context(|| format!("writing man pages into {}", dir.display()))?;
    } else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page)?;
        write_stdout(&page)?;
    }
    Ok(ExitCode::SUCCESS)
}
