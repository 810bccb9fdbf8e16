//! Results on stdout, as text or JSON. Logs and progress go to stderr through `tracing`.

use serde::Serialize;

use crate::cli::OutputFormat;
use crate::verification::{Status, Verification};

/// Prints `value` as one JSON object, or `text` line by line.
pub fn emit<T: Serialize>(format: OutputFormat, value: &T, text: &[String]) {
    match format {
        // Only audit writes SARIF and Markdown; `run` refuses them for every other command.
        OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Markdown => {
            println!(
                "{}",
                serde_json::to_string_pretty(value).expect("output serializes")
            );
        }
        OutputFormat::Text => {
            for line in text {
                println!("{line}");
            }
        }
    }
}

/// One line per check: status, name, detail.
pub fn verification_lines(verification: &Verification) -> Vec<String> {
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
