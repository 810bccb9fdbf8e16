//! One module per subcommand, each with `pub async fn run(args, global)`.

mod accounts;
pub(crate) mod apply;
pub(crate) mod audit;
pub(crate) mod catalog;
pub(crate) mod completions;
pub(crate) mod export;
mod import;
pub(crate) mod lint;
pub(crate) mod man;
mod offline;
pub(crate) mod plan;
pub(crate) mod rotate_key;
mod target;
pub(crate) mod teardown;
mod teardown_integration;
pub(crate) mod verify;

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::aws::Aws;
use crate::cli::{OutputFormat, VerifyOptions};
use crate::error::{Error, Result};
use crate::executor::execute;
use crate::handoff::{Handoff, key_lines};
use crate::output::emit;
use crate::plan::{Action, Plan};
use crate::policy::limits::{check_external_id, check_session_name};
use crate::progress;
use crate::verification::AssumeSettings;

/// The sts:AssumeRole settings from the command line, validated; the session name defaults to
/// `onboard-verify-<unix time>`.
fn assume_settings(options: &VerifyOptions, external_id: Option<String>) -> Result<AssumeSettings> {
    if let Some(id) = &external_id {
        check_external_id(id)?;
    }
    let session_name = if let Some(name) = &options.session_name {
        name.clone()
    } else {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        format!("onboard-verify-{}", now.as_secs())
    };
    check_session_name(&session_name)?;
    Ok(AssumeSettings {
        session_name,
        external_id,
    })
}

/// What executing a plan did, even when a step failed.
struct Executed {
    /// The changes made ("created role X"), in the order they completed.
    changes: Vec<String>,
    failure: Option<Error>,
}

impl Executed {
    fn into_result(self) -> Result<Vec<String>> {
        match self.failure {
            Some(err) => Err(err),
            None => Ok(self.changes),
        }
    }
}

/// Executes `plan`; a new access key is created and handed over by `handoff` (to its file at
/// once, recorded; or kept for stdout, which the command writes and then settles).
async fn execute_plan(aws: &Aws, plan: &Plan, handoff: &Handoff) -> Executed {
    let changes = Mutex::new(Vec::new());
    progress::add_steps(plan.steps.len());
    let result = execute(plan, aws.concurrency(), |action| {
        let changes = &changes;
        async move {
            let doing = action.doing();
            progress::started(doing.clone());
            let result: Result<()> = match action {
                Action::CreateAccessKey(crate::plan::CreateAccessKey { user }) => {
                    handoff.create_and_deliver(aws, user).await
                }
                _ => aws.execute(action).await.map(drop),
            };
            progress::ended(&doing, result.is_ok());
            result?;
            changes.lock().expect("not poisoned").push(action.done());
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
async fn announce_keys(
    aws: &Aws,
    handoff: &Handoff,
    output: OutputFormat,
    failure: anyhow::Error,
) -> anyhow::Error {
    let mut keys = handoff.delivered();
    keys.extend(handoff.for_stdout());
    if keys.is_empty() {
        return failure;
    }
    let written = emit(
        output,
        &serde_json::json!({ "access_keys": keys }),
        &key_lines(&keys),
    );
    match handoff.settle_stdout(aws, written).await {
        Ok(()) => failure,
        Err(err) => failure.context(err.to_string()),
    }
}
