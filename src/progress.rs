//! Progress of multi-step runs on stderr, only when stderr is a terminal: one status line,
//! `[done/total] creating role X`, redrawn as steps start and finish and cleared when the run
//! ends. Log lines clear it before they print and redraw it after ([`StderrWriter`]), so the
//! two never mix. When stderr is not a terminal nothing is drawn at all.

use std::io::{self, IsTerminal, Write};
use std::sync::{Mutex, MutexGuard};

use tracing_subscriber::fmt::MakeWriter;

/// Clears the current terminal line and returns the cursor to its start.
const CLEAR_LINE: &str = "\r\x1b[2K";

/// Characters of the spinner, one step further at each redraw.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Widest status line drawn, so that it never wraps on a narrow terminal.
const MAX_WIDTH: usize = 100;

#[derive(Debug, Default)]
struct State {
    enabled: bool,
    /// Whether the status line is on the screen now.
    drawn: bool,
    total: usize,
    done: usize,
    /// What the steps in flight are doing, oldest first.
    doing: Vec<String>,
    /// Waits for IAM to propagate, with how long each has lasted, oldest first.
    waiting: Vec<(String, f64)>,
    tick: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    enabled: false,
    drawn: false,
    total: 0,
    done: 0,
    doing: Vec::new(),
    waiting: Vec::new(),
    tick: 0,
});

fn state() -> MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    fn line(&self) -> String {
        let spinner = SPINNER[self.tick % SPINNER.len()];
        if let Some((label, seconds)) = self.waiting.first() {
            let line = format!("{spinner} {label}: {seconds:.1} s");
            return line.chars().take(MAX_WIDTH).collect();
        }
        let doing = match self.doing.as_slice() {
            [] => String::new(),
            [one] => format!(" {one}"),
            [first, rest @ ..] => format!(" {first} (and {} more)", rest.len()),
        };
        let line = format!("{spinner} [{}/{}]{doing}", self.done, self.total);
        line.chars().take(MAX_WIDTH).collect()
    }

    fn clear(&mut self, out: &mut impl Write) {
        if self.drawn {
            let _ = write!(out, "{CLEAR_LINE}");
            self.drawn = false;
        }
    }

    fn draw(&mut self, out: &mut impl Write) {
        if self.enabled && (self.total > 0 || !self.waiting.is_empty()) {
            let _ = write!(out, "{CLEAR_LINE}{}", self.line());
            let _ = out.flush();
            self.drawn = true;
        }
    }

    fn redraw(&mut self) {
        self.tick += 1;
        self.draw(&mut io::stderr().lock());
    }
}

/// Turns progress on when stderr is a terminal that can redraw a line (not `TERM=dumb`).
pub(crate) fn init() {
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    state().enabled = io::stderr().is_terminal() && !dumb;
}

/// Adds `steps` to the steps of the run (several plans may run at once, one per account).
pub(crate) fn add_steps(steps: usize) {
    state().total += steps;
}

/// A step started; `doing` says what it does ("creating role X").
pub(crate) fn started(doing: String) {
    let mut state = state();
    state.doing.push(doing);
    state.redraw();
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
    state.redraw();
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
    if state.waiting.is_empty() && state.total == 0 {
        state.clear(&mut io::stderr().lock());
    } else {
        state.redraw();
    }
}

/// Removes `steps` from the run (a plan finished or stopped) and clears the line once nothing
/// is left to do, so that results print on a clean line.
pub(crate) fn finish(steps: usize, done: usize) {
    let mut state = state();
    state.total = state.total.saturating_sub(steps);
    state.done = state.done.saturating_sub(done);
    if state.total == 0 {
        state.doing.clear();
        state.clear(&mut io::stderr().lock());
    } else {
        state.redraw();
    }
}

/// Writes log lines to stderr around the status line: clears it first, draws it again after.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StderrWriter;

/// One log line's writer; it holds the progress state so that nothing draws in between.
pub(crate) struct LogLine {
    state: MutexGuard<'static, State>,
    stderr: io::Stderr,
}

impl<'a> MakeWriter<'a> for StderrWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        let mut state = state();
        let stderr = io::stderr();
        state.clear(&mut stderr.lock());
        LogLine { state, stderr }
    }
}

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stderr.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stderr.flush()
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        self.state.draw(&mut self.stderr.lock());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_of(total: usize, done: usize, doing: &[&str]) -> State {
        State {
            enabled: true,
            total,
            done,
            doing: doing.iter().map(std::string::ToString::to_string).collect(),
            ..State::default()
        }
    }

    #[test]
    fn the_line_counts_steps_and_names_the_oldest_in_flight() {
        assert_eq!(state_of(7, 0, &[]).line(), "⠋ [0/7]");
        assert_eq!(
            state_of(7, 2, &["creating role R"]).line(),
            "⠋ [2/7] creating role R"
        );
        assert_eq!(
            state_of(7, 2, &["creating policy A", "creating policy B"]).line(),
            "⠋ [2/7] creating policy A (and 1 more)"
        );
        let mut waiting = state_of(7, 2, &["attaching policy P to role R"]);
        waiting.waiting = vec![("waiting for IAM to propagate role R".into(), 1.42)];
        assert_eq!(
            waiting.line(),
            "⠋ waiting for IAM to propagate role R: 1.4 s"
        );
        let long = "x".repeat(300);
        assert_eq!(state_of(1, 0, &[&long]).line().chars().count(), MAX_WIDTH);
    }

    #[test]
    fn drawing_is_off_unless_enabled_and_clearing_only_erases_a_drawn_line() {
        let mut out = Vec::new();
        let mut off = state_of(3, 1, &["creating role R"]);
        off.enabled = false;
        off.draw(&mut out);
        off.clear(&mut out);
        assert!(out.is_empty());

        let mut on = state_of(3, 1, &["creating role R"]);
        on.draw(&mut out);
        on.clear(&mut out);
        on.clear(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            format!("{CLEAR_LINE}⠋ [1/3] creating role R{CLEAR_LINE}")
        );
    }
}
