//! Results on stdout, as text or JSON: every command prints one output type that is both
//! `Serialize` (`--output json`) and `Display` (text), so the two come from the same data. Logs
//! and progress go to stderr through `tracing`.

use std::fmt;
use std::io::Write;

use serde::Serialize;

use crate::cli::OutputFormat;
use crate::error::{Error, Result};
use crate::handoff::{KeyReport, key_lines};

/// Prints `value` as one JSON object, or as its text (`{value}`), and flushes. A closed or full
/// stdout is an [`Error::Stdout`], never a panic: `main` exits quietly on a closed pipe.
pub(crate) fn emit<T: Serialize + fmt::Display>(format: OutputFormat, value: &T) -> Result<()> {
    emit_detailed(format, value, false)
}

/// As [`emit`]; with `detailed` (`-v`) the text is the alternate form (`{value:#}`), which
/// lists everything where the plain form sums up.
pub(crate) fn emit_detailed<T: Serialize + fmt::Display>(
    format: OutputFormat,
    value: &T,
    detailed: bool,
) -> Result<()> {
    let text = match format {
        // Only audit writes SARIF and Markdown; `run` refuses them for every other command.
        OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Markdown => {
            serde_json::to_string_pretty(value).expect("output serializes")
        }
        OutputFormat::Text if detailed => format!("{value:#}"),
        OutputFormat::Text => value.to_string(),
    };
    print(text)
}

/// Prints `text` with a final newline (nothing for an empty text), and flushes.
pub(crate) fn print(mut text: String) -> Result<()> {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    write_stdout(text.as_bytes())
}

/// Writes `bytes` to stdout and flushes; a failure is an [`Error::Stdout`].
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(Error::Stdout)
}

/// Writes `lines`, one per line, with no trailing newline (the caller's [`print`] adds it).
pub(crate) fn lines<I, L>(f: &mut fmt::Formatter<'_>, lines: I) -> fmt::Result
where
    I: IntoIterator<Item = L>,
    L: fmt::Display,
{
    for (index, line) in lines.into_iter().enumerate() {
        if index > 0 {
            f.write_str("\n")?;
        }
        write!(f, "{line}")?;
    }
    Ok(())
}

/// What a command that fails after creating access keys prints, so that none is lost unseen.
#[derive(Debug, Serialize)]
pub(crate) struct KeysOutput {
    pub(crate) access_keys: Vec<KeyReport>,
}

impl fmt::Display for KeysOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        lines(f, key_lines(&self.access_keys))
    }
}
