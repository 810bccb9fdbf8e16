//! Ctrl-C (SIGINT) and SIGTERM alike: while a plan executes, the calls in flight finish and no new one starts; anywhere else
//! the command stops at once (nothing is being written then).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

/// Counts the interrupts received so far.
static SIGNALS: OnceLock<watch::Receiver<u64>> = OnceLock::new();
/// How many executors are running (they stop gracefully themselves).
static EXECUTING: AtomicUsize = AtomicUsize::new(0);

/// Starts listening for Ctrl-C (SIGINT) and SIGTERM (what `kill`, systemd, Docker and CI
/// runners send to stop a program). Call once, inside the runtime.
pub(crate) fn install() {
    SIGNALS.get_or_init(|| {
        let (sender, receiver) = watch::channel(0);
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::spawn(async move {
            loop {
                #[cfg(unix)]
                let terminated = async {
                    match term.as_mut() {
                        Some(term) => term.recv().await,
                        None => std::future::pending().await,
                    }
                };
                #[cfg(not(unix))]
                let terminated = std::future::pending::<Option<()>>();
                let arrived = tokio::select! {
                    ctrl_c = tokio::signal::ctrl_c() => ctrl_c.is_ok(),
                    term = terminated => term.is_some(),
                };
                if !arrived {
                    break;
                }
                sender.send_modify(|count| *count += 1);
            }
        });
        receiver
    });
}

/// A receiver that sees the interrupts from now on; `None` when none is installed (tests).
pub(crate) fn subscribe() -> Option<watch::Receiver<u64>> {
    SIGNALS.get().map(|receiver| {
        let mut receiver = receiver.clone();
        receiver.mark_unchanged();
        receiver
    })
}

/// Whether any interrupt arrived since [`install`]: an executor that starts afterwards (in
/// another account of `--accounts`) starts no step.
pub(crate) fn received() -> bool {
    SIGNALS.get().is_some_and(|receiver| *receiver.borrow() > 0)
}

/// Waits for the next interrupt; never returns without one.
pub(crate) async fn next(receiver: &mut Option<watch::Receiver<u64>>) {
    if let Some(receiver) = receiver
        && receiver.changed().await.is_ok()
    {
        return;
    }
    std::future::pending::<()>().await;
}

/// Marks an executor as running while the guard lives.
pub(crate) struct Executing;

impl Executing {
    pub(crate) fn start() -> Self {
        EXECUTING.fetch_add(1, Ordering::SeqCst);
        Executing
    }
}

impl Drop for Executing {
    fn drop(&mut self) {
        EXECUTING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether an executor is running and will stop gracefully on an interrupt.
pub(crate) fn executing() -> bool {
    EXECUTING.load(Ordering::SeqCst) > 0
}
