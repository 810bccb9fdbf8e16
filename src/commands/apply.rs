//! `onboard apply`: create what is missing, attach, verify, print the role ARN.

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::arn::RoleArn;
use crate::aws::Aws;
use crate::catalog::{self, Naming, RenderContext};
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::error::Result;
use crate::executor::{DEFAULT_CONCURRENCY, execute};
use crate::output::{emit, verification_lines};
use crate::plan::{Present, plan_apply};
use crate::policy::limits::{
    check_desired, check_max_session_duration, check_path, check_policy_arn, parse_tag,
};
use crate::verification::{Verification, verify_role};

/// What `apply --output json` prints.
#[derive(Debug, Serialize)]
pub struct ApplyOutput {
    pub vendor: String,
    pub integration: String,
    pub account: String,
    pub partition: String,
    pub role_arn: String,
    /// Whether any write call was made.
    pub changed: bool,
    /// The write calls made, in the order they completed ("created role X").
    pub changes: Vec<String>,
    pub already_present: Vec<Present>,
    /// Owned resources that differ from the catalog and were left as they are.
    pub drift: Vec<String>,
    pub verification: Option<Verification>,
}

/// Everything `apply` takes from its flags, checked without any AWS call.
fn render_context(
    args: &ApplyArgs,
    account: &str,
    partition: &str,
    region: &str,
) -> Result<RenderContext> {
    check_path(&args.path)?;
    if let Some(arn) = &args.permissions_boundary {
        check_policy_arn("--permissions-boundary", arn)?;
    }
    if let Some(seconds) = args.max_session_duration {
        check_max_session_duration(seconds)?;
    }
    let mut ctx = RenderContext::new(account, partition, region);
    ctx.naming = Naming {
        prefix: args.name_prefix.clone(),
        suffix: args.name_suffix.clone(),
        role_name: args.role_name.clone(),
        path: args.path.clone(),
    };
    ctx.permissions_boundary = args.permissions_boundary.clone();
    ctx.max_session_duration = args.max_session_duration;
    ctx.tags = args
        .tags
        .iter()
        .map(|t| parse_tag(t))
        .collect::<Result<_>>()?;
    Ok(ctx)
}

pub async fn run(args: ApplyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    // Everything that can be checked offline is checked before the first AWS call: the entry
    // is rendered for a stand-in account of the same length as a real one.
    let catalog = catalog::load_builtin(&args.vendor)?;
    let (integration_name, integration) = catalog.integration(args.integration.as_deref())?;
    let offline = render_context(&args, "000000000000", "aws", "us-east-1")?;
    check_desired(&catalog::render(
        &catalog,
        integration_name,
        integration,
        &offline,
    )?)?;
    let settings = super::assume_settings(&args.verify, None)?;

    let aws = Aws::connect(global).await;
    let caller = aws.caller().await?;
    let ctx = render_context(&args, &caller.account, &caller.partition, aws.region())?;
    let desired = catalog::render(&catalog, integration_name, integration, &ctx)?;
    check_desired(&desired)?;

    let observed = aws.observe(&desired).await?;
    let plan = plan_apply(&desired, &observed)?;
    let completed = execute(&plan, DEFAULT_CONCURRENCY, |action| aws.execute(action))
        .await
        .with_context(|| format!("applying {} {}", desired.vendor, desired.integration))?;
    let changes: Vec<String> = completed
        .iter()
        .map(|&i| plan.steps[i].action.done())
        .collect();

    let role = desired
        .roles
        .first()
        .context("the catalog entry defines no role")?;
    let verification = if args.no_verify {
        None
    } else {
        let arn = RoleArn::parse(&role.arn)?;
        Some(verify_role(&aws, &arn, &caller, Some(&desired), &settings).await?)
    };

    let mut text = changes.clone();
    if changes.is_empty() {
        text.push("no changes: everything was already in place".to_owned());
    }
    text.extend(
        plan.drift
            .iter()
            .map(|d| format!("drift: {d}; apply left it as it is")),
    );
    text.extend(verification.iter().flat_map(verification_lines));
    text.push(role.arn.clone());
    let passed = verification.as_ref().is_none_or(|v| v.passed);
    let output = ApplyOutput {
        vendor: desired.vendor.clone(),
        integration: desired.integration.clone(),
        account: desired.account.clone(),
        partition: desired.partition.clone(),
        role_arn: role.arn.clone(),
        changed: !changes.is_empty(),
        changes,
        already_present: plan.present,
        drift: plan.drift,
        verification,
    };
    emit(global.output, &output, &text);
    if passed {
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!(
            "{} was applied but its verification failed: see the failed checks",
            role.arn
        )
    }
}
