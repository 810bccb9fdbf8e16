//! Logging to stderr through `tracing`: `-v` counts up the level, `RUST_LOG` overrides it.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::progress;

/// Filters for `-v` counts: warnings only by default (results are on stdout), each write call
/// as it completes with `-v`, onboard's debug output with `-vv`, the SDK's request log with
/// `-vvv`. The SDK's trace level, which dumps raw responses (credentials included), is never
/// reached by `-v`: only an explicit RUST_LOG asks for it.
fn default_filter(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "warn,onboard=info",
        2 => "info,onboard=debug",
        _ => "debug,onboard=trace",
    }
}

/// Installs the stderr subscriber, which shares stderr with the progress line.
pub fn init(verbose: u8) {
    progress::init();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(verbose)));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(progress::StderrWriter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbose > 0)
        .without_time()
        .init();
}
