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

/// Whether log levels are coloured: only on a terminal, and never when `NO_COLOR` is set to
/// anything but the empty string (<https://no-color.org>).
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Installs the stderr subscriber, which shares stderr with the progress line.
pub fn init(verbose: u8) {
    progress::init();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(verbose)));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(progress::StderrWriter)
        .with_ansi(colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .with_target(verbose > 0)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())));
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }
}
