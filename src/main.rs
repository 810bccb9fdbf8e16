use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = onboard::Cli::parse();
    onboard::init_logging(cli.verbose());
    // Boxed: the command futures are large (clippy::large_futures).
    match Box::pin(onboard::run(cli)).await {
        Ok(code) => code,
        Err(err) if onboard::is_closed_stdout(&err) => {
            ExitCode::from(onboard::CLOSED_PIPE_EXIT_CODE)
        }
        Err(err) => {
            // One line, whatever the causes hold (a value with a newline, an answer over several
            // lines); stderr may be closed too: nothing is left to tell then.
            let message: String = onboard::one_line(&err)
                .chars()
                .flat_map(|c| {
                    let escaped: Vec<char> = if c.is_control() {
                        c.escape_debug().collect()
                    } else {
                        vec![c]
                    };
                    escaped
                })
                .collect();
            let _ = writeln!(std::io::stderr(), "error: {message}");
            onboard::exit_code_for(&err)
        }
    }
}
