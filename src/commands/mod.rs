//! One module per subcommand, each with `pub async fn run(args, global)`.

mod accounts;
pub mod apply;
pub mod audit;
pub mod catalog;
pub mod completions;
pub mod export;
pub mod lint;
pub mod man;
mod offline;
pub mod plan;
pub mod rotate_key;
mod target;
pub mod teardown;
pub mod verify;

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::aws::Aws;
use crate::cli::{OutputFormat, VerifyOptions};
use crate::error::{Error, Result};
use crate::executor::execute;
use crate::handoff::{Handoff, KeyReport, key_lines};
use crate::output::emit;
use crate::plan::Plan;
use crate::policy::limits::{check_external_id, check_name};
use crate::progress;
use crate::verification::AssumeSettings;

/// The sts:AssumeRole settings from the command line, validated; the session name defaults to
/// `onboard-verify-<unix time>`.
fn assume_settings(options: &VerifyOptions, external_id: Option<String>) -> Result<AssumeSettings> {
    if let Some(id) = &external_id {
        check_external_id(id)?;
    }
    let session_name = match &options.session_name {
        Some(name) => name.clone(),
        None => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            format!("onboard-verify-{}", now.as_secs())
        }
    };
    check_name("session", &session_name, 64)?;
    Ok(AssumeSettings {
        session_name,
        external_id,
        wait: std::time::Duration::from_secs(options.wait),
    })
}

/// What executing a plan did, even when a step failed.
struct Executed {
    /// The changes made ("created role X"), in the order they completed.
    changes: Vec<String>,
    /// The access keys handed over.
    keys: Vec<KeyReport>,
    failure: Option<Error>,
}

impl Executed {
    fn into_result(self) -> Result<(Vec<String>, Vec<KeyReport>)> {
        match self.failure {
            Some(err) => Err(err),
            None => Ok((self.changes, self.keys)),
        }
    }
}

/// Executes `plan`, handing every new access key over the moment it exists. On failure the keys
/// already handed over are printed in the `announce` format before anything else, so none is
/// lost unseen; `None` leaves that to the caller (apply in many accounts names them in the
/// account's error).
async fn execute_plan(
    aws: &Aws,
    plan: &Plan,
    handoff: &Handoff,
    announce: Option<OutputFormat>,
) -> Executed {
    let changes = Mutex::new(Vec::new());
    progress::add_steps(plan.steps.len());
    let result = execute(plan, aws.concurrency(), |action| {
        let changes = &changes;
        async move {
            let doing = action.doing();
            progress::started(doing.clone());
            let result: Result<()> = async {
                if let Some(key) = aws.execute(action).await? {
                    handoff.deliver(&key)?;
                }
                Ok(())
            }
            .await;
            progress::ended(&doing, result.is_ok());
            result?;
            changes.lock().expect("not poisoned").push(action.done());
            Ok(())
        }
    })
    .await;
    let changes = changes.into_inner().expect("not poisoned");
    progress::finish(plan.steps.len(), changes.len());
    let keys = handoff.delivered();
    if let Some(output) = announce.filter(|_| result.is_err() && !keys.is_empty()) {
        emit(
            output,
            &serde_json::json!({ "access_keys": keys }),
            &key_lines(&keys),
        );
    }
    Executed {
        changes,
        keys,
        failure: result.err(),
    }
}
