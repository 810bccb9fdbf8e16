//! One module per subcommand, each with `pub async fn run(args, global)`.

pub mod apply;
pub mod catalog;
pub mod rotate_key;
mod target;
pub mod teardown;
pub mod verify;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::cli::VerifyOptions;
use crate::error::Result;
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
