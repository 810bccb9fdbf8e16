use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = onboard::cli::Cli::parse();
    onboard::logging::init(cli.global.verbose);
    match onboard::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            onboard::exit_code_for(&err)
        }
    }
}
