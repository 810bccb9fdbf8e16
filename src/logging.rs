//! Logging to stderr through `tracing`: `-v` counts up the level, `RUST_LOG` overrides it.

use std::io::IsTerminal;

use tracing_indicatif::IndicatifLayer;
use tracing_indicatif::filter::{IndicatifFilter, hide_indicatif_span_fields};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::DefaultFields;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

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

/// Installs the stderr subscriber. On a terminal, tracing-indicatif draws the progress line
/// ([`progress`]) and log lines print through its writer, which lifts the line while one
/// prints; elsewhere log lines go straight to stderr and no line is drawn.
pub fn init(verbose: u8) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter(verbose)));
    let log = tracing_subscriber::fmt::layer()
        .with_ansi(colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .with_target(verbose > 0)
        .without_time();
    if progress::on_terminal() {
        let line = IndicatifLayer::new()
            .with_span_field_formatter(hide_indicatif_span_fields(DefaultFields::new()))
            .with_progress_style(progress::style());
        tracing_subscriber::registry()
            .with(
                log.with_writer(line.get_stderr_writer())
                    .with_filter(filter),
            )
            .with(line.with_filter(IndicatifFilter::new(false)))
            .init();
    } else {
        tracing_subscriber::registry()
            .with(log.with_writer(std::io::stderr).with_filter(filter))
            .init();
    }
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
