//! `onboard rotate-key`: a new access key for a vendor's user, handed over before the old one is
//! deactivated and deleted.

use std::process::ExitCode;

use serde::Serialize;

use super::offline::STAND_IN_ACCOUNT;
use super::target::Target;
use crate::aws::Aws;
use crate::cli::{GlobalArgs, RotateKeyArgs};
use crate::error::Error;
use crate::handoff::{Handoff, KeyReport, key_lines};
use crate::output::emit;
use crate::plan::plan_rotation;
use crate::state::{VENDOR_TAG, is_owned_or_exported};

/// What `rotate-key --output json` prints.
#[derive(Debug, Serialize)]
pub struct RotateOutput {
    pub user: String,
    pub access_keys: Vec<KeyReport>,
    /// The write calls made, in order.
    pub changes: Vec<String>,
}

pub async fn run(args: RotateKeyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let target = Target::resolve(&args.target)?;
    let handoff = Handoff::new(args.key.key_file.as_deref(), args.key.show_secret)?;
    let desired = target.render(&target.context(STAND_IN_ACCOUNT, "aws", "us-east-1"))?;
    let Some(user) = desired.users.iter().find(|u| u.access_key) else {
        return Err(Error::Usage(format!(
            "vendor {} ({}) has no user with an access key: rotate-key is for vendors that take one",
            desired.vendor, desired.integration
        ))
        .into());
    };
    handoff.require(&user.name)?;

    let aws = Aws::connect(global).await;
    let Some(found) = aws.read_user(&user.name).await? else {
        anyhow::bail!("user {} does not exist: run onboard apply first", user.name);
    };
    if !is_owned_or_exported(&found.tags) || found.tags.get(VENDOR_TAG) != Some(&desired.vendor) {
        return Err(Error::NotOwned {
            kind: "user",
            name: user.name.clone(),
        }
        .into());
    }
    let plan = plan_rotation(&user.name, &found.access_keys)?;
    let (changes, access_keys) = super::execute_plan(&aws, &plan, &handoff, Some(global.output))
        .await
        .into_result()?;
    let mut text = changes.clone();
    text.extend(key_lines(&access_keys));
    let output = RotateOutput {
        user: user.name.clone(),
        access_keys,
        changes,
    };
    emit(global.output, &output, &text)?;
    Ok(ExitCode::SUCCESS)
}
