//! Logging to stderr through `tracing`: `-v` counts up the level, `RUST_LOG` overrides it.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Filters for `-v` counts: progress by default, debug with `-v`, every AWS call with `-vv`.
/// The SDK's trace level (which prints raw responses, credentials included) is never the default.
fn default_filter(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn,onboard=info",
        1 => "info,onboard=debug",
        _ => "debug,onboard=trace",
    }
}

/// Installs the stderr subscriber.
pub fn init(verbose: u8) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(verbose)));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbose > 0)
        .without_time()
        .init();
}
