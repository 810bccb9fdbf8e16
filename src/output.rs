//! Results on stdout, as text or JSON. Logs and progress go to stderr through `tracing`.

use std::io::Write;

use serde::Serialize;

use crate::cli::OutputFormat;
use crate::error::{Error, Result};
use crate::verification::{Status, Verification};

/// Prints `value` as one JSON object, or `text` line by line, and flushes. A closed or full
/// stdout is an [`Error::Stdout`], never a panic: `main` exits quietly on a closed pipe.
pub(crate) fn emit<T: Serialize>(format: OutputFormat, value: &T, text: &[String]) -> Result<()> {
    let mut out = match format {
        // Only audit writes SARIF and Markdown; `run` refuses them for every other command.
        OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Markdown => {
            serde_json::to_string_pretty(value).expect("output serializes")
        }
        OutputFormat::Text => text.join("\n"),
    };
    if !(out.is_empty() && text.is_empty()) {
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}

/// Writes `bytes` to stdout and flushes; a failure is an [`Error::Stdout`].
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(Error::Stdout)
}

/// One line per check: status, name, detail.
pub(crate) fn verification_lines(verification: &Verification) -> Vec<String> {
    verification
        .checks
        .iter()
        .map(|c| {
            let status = match c.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::Expected => "expected",
                Status::Warn => "warn",
            };
            format!("{status:<9}{}: {}", c.name, c.detail)
        })
        .collect()
}
