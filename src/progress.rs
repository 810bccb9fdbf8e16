//! Progress of multi-step runs on stderr, only when stderr is a terminal: one status line,
//! `⠋ [done/total] creating role X`, or `⠋ waiting for IAM to propagate role X: 1.4 s` while a
//! wait lasts, redrawn as steps start and end and cleared when the run ends.
//!
//! The line is an indicatif progress bar kept by tracing-indicatif: a span of this module's
//! carries it, and [`crate::logging`] writes log lines through tracing-indicatif's writer,
//! which lifts the line while a log line prints. When stderr is not a terminal, or `TERM` is
//! unset or `dumb`, the layer is not installed and nothing is drawn; each wait is then its one
//! WARN line.

use std::sync::{Mutex, MutexGuard};

use tracing::Span;
use tracing_indicatif::span_ext::IndicatifSpanExt;
use tracing_indicatif::style::ProgressStyle;

/// Widest status line drawn, so that it never wraps on a narrow terminal.
const MAX_WIDTH: usize = 100;

#[derive(Debug, Default)]
struct State {
    total: usize,
    done: usize,
    /// What the steps in flight are doing, oldest first.
    doing: Vec<String>,
    /// Waits for IAM to propagate, with how long each has lasted, oldest first.
    waiting: Vec<(String, f64)>,
    /// The span whose progress bar is the line, while there is something to show.
    span: Option<Span>,
}

static STATE: Mutex<State> = Mutex::new(State {
    total: 0,
    done: 0,
    doing: Vec::new(),
    waiting: Vec::new(),
    span: None,
});

fn state() -> MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether progress is drawn: stderr is a terminal that says it can redraw a line (`TERM` set,
/// and not to `dumb`, as indicatif decides).
pub(crate) fn on_terminal() -> bool {
    use std::io::IsTerminal;
    let dumb = std::env::var_os("TERM").is_none_or(|t| t == "dumb");
    std::io::stderr().is_terminal() && !dumb
}

/// The bar's look: the spinner, then the line.
pub(crate) fn style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg}").expect("a valid template")
}

impl State {
    /// The line after the spinner.
    fn line(&self) -> String {
        if let Some((label, seconds)) = self.waiting.first() {
            let line = format!("{label}: {seconds:.1} s");
            return line.chars().take(MAX_WIDTH).collect();
        }
        let doing = match self.doing.as_slice() {
            [] => String::new(),
            [one] => format!(" {one}"),
            [first, rest @ ..] => format!(" {first} (and {} more)", rest.len()),
        };
        let line = format!("[{}/{}]{doing}", self.done, self.total);
        line.chars().take(MAX_WIDTH).collect()
    }

    /// Shows the line, or clears it once nothing is left to show (the span's end clears its
    /// bar, so that results print on a clean line).
    fn show(&mut self) {
        if self.total == 0 && self.waiting.is_empty() {
            self.doing.clear();
            self.span = None;
            return;
        }
        let line = self.line();
        let span = self.span.get_or_insert_with(|| {
            let span =
                tracing::info_span!(parent: None, "progress", indicatif.pb_show = tracing::field::Empty);
            span.pb_set_style(&style());
            span.pb_start();
            span
        });
        span.pb_set_message(&line);
    }
}

/// Adds `steps` to the steps of the run (several plans may run at once, one per account).
pub(crate) fn add_steps(steps: usize) {
    state().total += steps;
}

/// A step started; `doing` says what it does ("creating role X").
pub(crate) fn started(doing: String) {
    let mut state = state();
    state.doing.push(doing);
    state.show();
}

/// A step ended, done or not; `doing` is what [`started`] was given.
pub(crate) fn ended(doing: &str, succeeded: bool) {
    let mut state = state();
    if let Some(index) = state.doing.iter().position(|d| d == doing) {
        state.doing.remove(index);
    }
    if succeeded {
        state.done += 1;
    }
    state.show();
}

/// A wait for IAM to propagate ("waiting for IAM to propagate role X") has lasted `elapsed`;
/// `None` when it is over. The line shows the oldest wait in place of the steps.
pub(crate) fn waiting(label: &str, elapsed: Option<std::time::Duration>) {
    let mut state = state();
    let index = state.waiting.iter().position(|(l, _)| l == label);
    match (index, elapsed) {
        (Some(index), Some(elapsed)) => state.waiting[index].1 = elapsed.as_secs_f64(),
        (None, Some(elapsed)) => state
            .waiting
            .push((label.to_owned(), elapsed.as_secs_f64())),
        (Some(index), None) => {
            state.waiting.remove(index);
        }
        (None, None) => {}
    }
    state.show();
}

/// Removes `steps` from the run (a plan finished or stopped) and clears the line once nothing
/// is left to do.
pub(crate) fn finish(steps: usize, done: usize) {
    let mut state = state();
    state.total = state.total.saturating_sub(steps);
    state.done = state.done.saturating_sub(done);
    state.show();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_of(total: usize, done: usize, doing: &[&str]) -> State {
        State {
            total,
            done,
            doing: doing.iter().map(ToString::to_string).collect(),
            ..State::default()
        }
    }

    #[test]
    fn the_line_counts_steps_and_names_the_oldest_in_flight() {
        assert_eq!(state_of(7, 0, &[]).line(), "[0/7]");
        assert_eq!(
            state_of(7, 2, &["creating role R"]).line(),
            "[2/7] creating role R"
        );
        assert_eq!(
            state_of(7, 2, &["creating policy A", "creating policy B"]).line(),
            "[2/7] creating policy A (and 1 more)"
        );
        let mut waiting = state_of(7, 2, &["attaching policy P to role R"]);
        waiting.waiting = vec![("waiting for IAM to propagate role R".into(), 1.42)];
        assert_eq!(waiting.line(), "waiting for IAM to propagate role R: 1.4 s");
        let long = "x".repeat(300);
        assert_eq!(state_of(1, 0, &[&long]).line().chars().count(), MAX_WIDTH);
    }

    #[test]
    fn the_line_is_kept_while_steps_or_waits_remain_and_dropped_after() {
        let mut state = state_of(2, 0, &["creating role R"]);
        state.show();
        assert!(state.span.is_some());
        state.total = 0;
        state.waiting = vec![("waiting for IAM to propagate role R".into(), 0.2)];
        state.show();
        assert!(state.span.is_some(), "a wait keeps the line");
        state.waiting.clear();
        state.show();
        assert!(state.span.is_none() && state.doing.is_empty());
    }
}
