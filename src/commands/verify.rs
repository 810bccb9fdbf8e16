//! `onboard verify`: check a role and try to assume it.

use std::process::ExitCode;

use crate::arn::RoleArn;
use crate::aws::Aws;
use crate::cli::{GlobalArgs, VerifyArgs};
use crate::output::{emit, verification_lines};
use crate::verification::verify_role;

pub async fn run(args: VerifyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let arn = RoleArn::parse(&args.role_arn)?;
    let settings = super::assume_settings(&args.verify, args.external_id)?;
    let aws = Aws::connect(global).await;
    let caller = aws.caller().await?;
    let verification = verify_role(&aws, &arn, &caller, None, &settings).await?;
    let mut text = verification_lines(&verification);
    if let Some(assumed) = &verification.assumed_role_arn {
        text.push(assumed.clone());
    }
    emit(global.output, &verification, &text);
    if verification.passed {
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!("verification of {arn} failed: see the failed checks")
    }
}
