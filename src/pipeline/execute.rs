//! The execute stage: a plan run as a dependency graph (see [`crate::executor`]), with progress,
//! the changes made, and new access keys handed over the moment they exist.

use std::sync::Mutex;

use crate::aws::Aws;
use crate::cli::OutputFormat;
use crate::error::{Error, Result};
use crate::executor::execute;
use crate::handoff::Handoff;
use crate::output::{KeysOutput, emit};
use crate::plan::{Action, Plan};
use crate::progress;

/// What executing a plan did, even when a step failed.
pub(crate) struct Executed {
    /// The changes made ("created role X"), in the order they completed.
    pub(crate) changes: Vec<String>,
    pub(crate) failure: Option<Error>,
}

impl Executed {
    pub(crate) fn into_result(self) -> Result<Vec<String>> {
        match self.failure {
            Some(err) => Err(err),
            None => Ok(self.changes),
        }
    }
}

/// Executes `plan`; a new access key is created and handed over by `handoff` (to its file at
/// once, recorded; or kept for stdout, which the command writes and then settles).
pub(crate) async fn execute_plan(aws: &Aws, plan: &Plan, handoff: &Handoff) -> Executed {
    // On the heap: the executor's future is large, and every command awaits it.
    Box::pin(execute_plan_then(aws, plan, handoff, &|_| ())).await
}

/// As [`execute_plan`], calling `done` with each step that succeeded, as it does.
pub(crate) async fn execute_plan_then(
    aws: &Aws,
    plan: &Plan,
    handoff: &Handoff,
    done: &(dyn Fn(&Action) + Sync),
) -> Executed {
    let changes = Mutex::new(Vec::new());
    progress::add_steps(plan.steps.len());
    let result = execute(plan, aws.concurrency(), |action| {
        let changes = &changes;
        async move {
            let doing = action.doing();
            progress::started(doing.clone());
            // A new key goes through its hand-over (recorded, delivered); every other step is
            // its kind's call.
            let result: Result<()> =
                if let Action::CreateAccessKey(crate::plan::CreateAccessKey { user }) = action {
                    handoff.create_and_deliver(aws, user).await
                } else {
                    aws.execute(action).await.map(drop)
                };
            progress::ended(&doing, result.is_ok());
            result?;
            changes.lock().expect("not poisoned").push(action.done());
            done(action);
            Ok(())
        }
    })
    .await;
    let changes = changes.into_inner().expect("not poisoned");
    progress::finish(plan.steps.len(), changes.len());
    Executed {
        changes,
        failure: result.err(),
    }
}

/// Prints the keys handed over (or waiting for stdout) before a command fails, so that none is
/// lost unseen, and settles the ones for stdout; `failure` stays the error to report.
pub(crate) async fn announce_keys(
    aws: &Aws,
    handoff: &Handoff,
    output: OutputFormat,
    failure: anyhow::Error,
) -> anyhow::Error {
    let mut access_keys = handoff.delivered();
    access_keys.extend(handoff.for_stdout());
    if access_keys.is_empty() {
        return failure;
    }
    let written = emit(output, &KeysOutput { access_keys });
    match handoff.settle_stdout(aws, written).await {
        Ok(()) => failure,
        Err(err) => failure.context(err.to_string()),
    }
}
