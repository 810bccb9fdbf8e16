//! One module per subcommand, each with `pub async fn run(args, global)`.

pub mod apply;
pub mod catalog;
pub mod plan;
pub mod rotate_key;
mod target;
pub mod teardown;
pub mod verify;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::aws::Aws;
use crate::cli::{OutputFormat, VerifyOptions};
use crate::error::Result;
use crate::executor::{DEFAULT_CONCURRENCY, execute};
use crate::handoff::{Handoff, KeyReport, key_lines};
use crate::output::emit;
use crate::plan::Plan;
use crate::policy::limits::{check_external_id, check_name};
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

/// Executes `plan`, handing every new access key over the moment it exists. Returns the changes
/// made ("created role X", in the order they completed) and the keys handed over. On failure the
/// keys already handed over are printed before the error, so none is lost unseen.
async fn execute_plan(
    aws: &Aws,
    plan: &Plan,
    handoff: &Handoff,
    output: OutputFormat,
) -> Result<(Vec<String>, Vec<KeyReport>)> {
    let result = execute(plan, DEFAULT_CONCURRENCY, |action| async move {
        if let Some(key) = aws.execute(action).await? {
            handoff.deliver(&key)?;
        }
        Ok(())
    })
    .await;
    let keys = handoff.delivered();
    match result {
        Ok(completed) => {
            let changes = completed
                .iter()
                .map(|&i| plan.steps[i].action.done())
                .collect();
            Ok((changes, keys))
        }
        Err(err) => {
            if !keys.is_empty() {
                emit(
                    output,
                    &serde_json::json!({ "access_keys": keys }),
                    &key_lines(&keys),
                );
            }
            Err(err)
        }
    }
}
