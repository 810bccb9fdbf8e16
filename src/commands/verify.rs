//! `onboard verify`: check a role (and try to assume it) or a user.

use std::process::ExitCode;

use crate::arn::Arn;
use crate::aws::Aws;
use crate::catalog;
use crate::cli::{GlobalArgs, VerifyArgs};
use crate::output::emit;
use crate::pipeline;
use crate::verification::{Assume, Expected, verify_role, verify_user};

pub(crate) async fn run(args: VerifyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let arn = match (&args.role_arn, &args.user_arn) {
        (Some(role), _) => Arn::parse_role(role)?,
        (None, Some(user)) => Arn::parse_user(user)?,
        (None, None) => unreachable!("clap requires --role-arn or --user-arn"),
    };
    let settings = pipeline::assume_settings(&args.verify, args.external_id.clone())?;
    let catalog = args
        .catalog_file
        .as_deref()
        .map(catalog::load_file)
        .transpose()?;

    let aws = Aws::connect(global).await;
    let caller = aws.caller().await?;
    let expected = Expected::FromTags {
        catalog: catalog.as_ref(),
        account: arn.account(),
        partition: arn.partition(),
        external_id: args.external_id,
    };
    let verification = if arn.resource_type() == "role" {
        verify_role(
            &aws,
            arn.name(),
            &arn.to_string(),
            &caller,
            &expected,
            Assume::Now(&settings),
        )
        .await?
    } else {
        verify_user(&aws, arn.name(), &arn.to_string(), &expected, &[]).await?
    };
    let mut verification = verification;
    verification.waits = Some(aws.waits());
    emit(global.output, &verification)?;
    if verification.passed {
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!("verification of {arn} failed: see the failed checks")
    }
}
