//! `onboard apply`: create what is missing, attach, verify, hand over the role ARN (and external
//! ID and access key where the vendor takes them).

use std::process::ExitCode;

use anyhow::Context;
use futures_util::future::try_join_all;
use serde::Serialize;

use super::accounts::{self, Report, Selection};
use super::offline::{
    GENERATED_EXTERNAL_ID_BYTES, STAND_IN_ACCOUNT, render_valid, stand_in_context,
};
use super::target::Target;
use crate::aws::{Aws, Caller, Waits};
use crate::catalog::RenderContext;
use crate::cli::{ApplyArgs, ChangeArgs, GlobalArgs};
use crate::error::{Error, Result};
use crate::handoff::record::reconcile;
use crate::handoff::{Handoff, KeyReport, account_key_file, check_many, key_lines};
use crate::output::{emit, verification_lines};
use crate::plan::{ApplyOptions, Plan, Present, plan_apply};
use crate::policy::limits::check_desired;
use crate::policy::lint::lint;
use crate::policy::{external_ids, statements, trusts_third_party_without_external_id};
use crate::state::{Desired, Observed};
use crate::verification::{
    AssumeSettings, Expected, Reads, Status, Verification, verify_role, verify_user,
};

/// What `apply --output json` prints.
#[derive(Debug, Serialize)]
pub(crate) struct ApplyOutput {
    pub vendor: String,
    pub integration: String,
    pub account: String,
    pub partition: String,
    /// The role to hand to the vendor (the first role), if the vendor takes a role.
    pub role_arn: Option<String>,
    pub role_arns: Vec<String>,
    pub user_arns: Vec<String>,
    /// The external ID in the trust policies, when the vendor takes one.
    pub external_id: Option<String>,
    /// True when onboard generated the external ID in this run.
    pub external_id_generated: bool,
    /// Access keys created in this run (the secret only with --show-secret).
    pub access_keys: Vec<KeyReport>,
    /// Whether any write call was made.
    pub changed: bool,
    /// The write calls made, in the order they completed ("created role X").
    pub changes: Vec<String>,
    pub already_present: Vec<Present>,
    /// Owned resources that differ from the catalog and were left as they are.
    pub drift: Vec<crate::plan::Drift>,
    pub verifications: Vec<Verification>,
    /// How long the run waited for IAM to propagate.
    pub waits: Waits,
}

/// A new external ID from the operating system's cryptographically secure generator.
fn generate_external_id() -> Result<String> {
    let mut bytes = [0u8; GENERATED_EXTERNAL_ID_BYTES];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        Error::Io(std::io::Error::other(format!(
            "no secure random source to generate an external ID: {e}"
        )))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Everything apply and plan share: the target checked offline, the caller, the desired state
/// for the account, what exists, and the plan.
pub(super) struct Prepared {
    pub aws: Aws,
    pub caller: Caller,
    pub desired: Desired,
    pub observed: Observed,
    pub plan: Plan,
    /// Whether the external ID was generated in this run.
    pub generated: bool,
}

/// The target and the flags of apply and plan, checked without any AWS call.
pub(super) struct Checked {
    target: Target,
    /// The render context with every flag applied, for a stand-in account.
    offline: RenderContext,
    external_id: Option<String>,
    exclusive: bool,
    /// Whether the vendor takes an external ID.
    needs_external_id: bool,
    /// The vendor's user that gets an access key, if any.
    key_user: Option<String>,
}

/// Checks every flag offline (the entry rendered for a stand-in account of the same length as a
/// real one) and lints the documents, refusing on errors.
pub(super) fn check(args: &ChangeArgs) -> Result<Checked> {
    let target = Target::resolve(&args.target)?;
    target.require_vendor_external_id(args.external_id.as_deref())?;
    let needs_external_id = target.needs_external_id();
    let offline = stand_in_context(
        &target,
        STAND_IN_ACCOUNT,
        args.external_id.as_deref(),
        &args.render,
    )?;
    let rendered = render_valid(&target, &offline)?;
    Ok(Checked {
        target,
        offline,
        external_id: args.external_id.clone(),
        exclusive: args.exclusive,
        needs_external_id,
        key_user: rendered
            .users
            .iter()
            .find(|u| u.access_key)
            .map(|u| u.name.clone()),
    })
}

/// How often a run waiting for another run's key hand-over reads the user again, in seconds.
pub(super) const KEY_POLL_SECONDS: u64 = 2;

/// Seconds since the epoch.
pub(super) fn unix_now() -> i64 {
    secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

fn secs(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// What exists, read once no other run may still be handing an access key of the vendor's user
/// over: while one may (its pending tag is younger than the grace), waits for it to finish or
/// to run out of time, then reads again.
async fn observe_settled(
    aws: &Aws,
    named: &Desired,
    mut first: Option<Observed>,
) -> anyhow::Result<Observed> {
    let grace = secs(aws.key_grace());
    loop {
        let observed = match first.take() {
            Some(observed) => observed,
            None => aws.observe(named).await?,
        };
        let wait_until = named
            .users
            .iter()
            .filter(|u| u.access_key)
            .filter_map(|u| observed.users.get(&u.name)?.as_ref())
            .filter_map(|u| reconcile(&u.tags, &u.access_keys, unix_now(), grace).wait_until)
            .max();
        let Some(until) = wait_until else {
            return Ok(observed);
        };
        let pause = u64::try_from(until - unix_now()).unwrap_or(0).max(1);
        tracing::warn!(
            "another onboard run is creating an access key for the vendor's user (or was killed \
             doing so): waiting up to {pause} s for it to hand the key over, or for its key to count as \
             never handed over"
        );
        // Read again every few seconds: the other run may finish well before the grace ends.
        tokio::time::sleep(std::time::Duration::from_secs(pause.min(KEY_POLL_SECONDS))).await;
    }
}

/// Checks every flag offline, then reads the caller and what exists, and plans; when the plan
/// writes anything, lint's warnings go to the log. Makes no write call.
pub(super) async fn prepare(args: &ChangeArgs, global: &GlobalArgs) -> anyhow::Result<Prepared> {
    let checked = check(args)?;
    prepare_in(&checked, Aws::connect(global).await).await
}

/// Reads the caller and what exists in the account of `aws`, and plans. Makes no write call.
pub(super) async fn prepare_in(checked: &Checked, aws: Aws) -> anyhow::Result<Prepared> {
    let (target, needs_external_id) = (&checked.target, checked.needs_external_id);
    // The flags were applied and checked offline; only the account, partition and region change
    // (the region first: it is checked before any AWS call).
    let mut ctx = checked.offline.clone();
    target.set_region(&mut ctx, aws.region())?;
    // Roles and users are named without the account: read beside sts:GetCallerIdentity.
    let offline = target.render(&ctx)?;
    let (caller, mut named, observed) = aws
        .caller_and_observe(&offline, |caller| {
            ctx.account = caller.account.clone();
            ctx.partition = caller.partition.clone();
            ctx.external_id = checked.external_id.clone();
            target.render(&ctx)
        })
        .await?;
    let mut observed = observe_settled(&aws, &named, Some(observed)).await?;

    // A shared role keeps serving the integrations its tags record: plan the union, unless
    // --exclusive asks for exactly the integrations named.
    let widened = if checked.exclusive {
        None
    } else {
        target.accumulate(&observed)?
    };
    let target = match &widened {
        Some(widened) => {
            tracing::info!(
                "the role already serves {}: planning all of them (--exclusive plans only those named)",
                widened.integration_names().join(", ")
            );
            let region = ctx.region.clone();
            ctx.params = widened
                .context(&ctx.account, &ctx.partition, &region)
                .params;
            named = widened.render(&ctx)?;
            observed = observe_settled(&aws, &named, None).await?;
            widened
        }
        None => target,
    };

    // The external ID: the one given, else the one the roles already trust, else (for trust
    // policies that ask for one) a new one.
    let mut generated = false;
    if needs_external_id && ctx.external_id.is_none() {
        let existing = observed
            .roles
            .values()
            .flatten()
            .flat_map(|r| external_ids(&r.trust))
            .next();
        ctx.external_id = if let Some(id) = existing {
            Some(id)
        } else {
            generated = true;
            Some(generate_external_id()?)
        };
    }
    // Third parties trusted without one keep the external ID an earlier --external-id added.
    if ctx.added_external_id.is_none() {
        ctx.added_external_id = named
            .roles
            .iter()
            .filter(|role| {
                statements(&role.trust)
                    .iter()
                    .any(|s| trusts_third_party_without_external_id(s, &ctx.account))
            })
            .filter_map(|role| observed.roles.get(&role.name)?.as_ref())
            .flat_map(|role| external_ids(&role.trust))
            .next();
    }
    let desired = target.render(&ctx)?;
    check_desired(&desired)?;
    let options = ApplyOptions {
        exclusive: checked.exclusive,
        now: unix_now(),
        key_grace: secs(aws.key_grace()),
    };
    let plan = plan_apply(&desired, &observed, options)?;
    // Lint's warnings, when the plan is going to write something.
    if !plan.steps.is_empty() {
        for finding in lint(&desired) {
            tracing::warn!("lint: {finding}");
        }
    }
    Ok(Prepared {
        aws,
        caller,
        desired,
        observed,
        plan,
        generated,
    })
}

pub(crate) async fn run(args: ApplyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let settings = super::assume_settings(&args.verify, None)?;
    if let Some(selection) = Selection::check(&args.accounts)? {
        return run_in_accounts(&args, &selection, &settings, global).await;
    }
    let handoff = Handoff::new_or_resuming(args.key.key_file.as_deref(), args.key.show_secret)?;
    let mut prepared = prepare(&args.change, global).await?;
    // The same command again after a run that wrote the key file but did not record the key.
    let user = prepared
        .desired
        .users
        .iter()
        .find(|u| u.access_key)
        .and_then(|u| prepared.observed.users.get(&u.name)?.as_ref());
    if handoff.resume(&prepared.aws, user).await? {
        prepared = prepare(&args.change, global).await?;
    }
    let aws = prepared.aws.clone();
    let applied = match apply_prepared(prepared, &args, &handoff, &settings).await {
        Ok(applied) => applied,
        // A late failure still shows the keys handed over (and hands over those for stdout).
        Err(err) => return Err(super::announce_keys(&aws, &handoff, global.output, err).await),
    };
    // A key for stdout is handed over by this output: recorded once it is written, deleted if
    // it cannot be.
    let written = emit(global.output, &applied.output, &applied.text);
    handoff.settle_stdout(&aws, written).await?;
    applied.verified()?;
    Ok(ExitCode::SUCCESS)
}

/// `apply --accounts` / `--organization`: the same apply in each account, one table row each;
/// a new access key goes to the account's own `--key-file` (`{account}` in the path).
async fn run_in_accounts(
    args: &ApplyArgs,
    selection: &Selection,
    settings: &AssumeSettings,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let checked = check(&args.change)?;
    let key_user = checked.key_user.as_deref();
    check_many(args.key.key_file.as_deref(), args.key.show_secret, key_user)?;
    let key_file = args.key.key_file.as_deref().filter(|_| key_user.is_some());
    // Every given account's key file, checked before the first AWS call.
    if let (Some(path), Some(accounts)) = (key_file, selection.given()) {
        for account in accounts {
            Handoff::new(Some(&account_key_file(path, account)), false)?;
        }
    }
    let checked = &checked;
    let outcomes = accounts::each(selection, global, |aws| async move {
        let prepared = prepare_in(checked, aws).await?;
        let path = key_file.map(|p| account_key_file(p, &prepared.caller.account));
        let handoff = Handoff::new(path.as_deref(), false)?;
        let applied = apply_prepared(prepared, args, &handoff, settings)
            .await
            .map_err(|err| match key_lines(&handoff.delivered()).as_slice() {
                [] => err,
                lines => err.context(format!("before this failure: {}", lines.join("; "))),
            })?;
        let failure = (!applied.passed).then(|| applied.failure());
        let output = applied.output;
        let mut detail = output
            .role_arn
            .clone()
            .or_else(|| output.user_arns.first().cloned())
            .unwrap_or_default();
        if let Some(file) = output.access_keys.iter().find_map(|k| k.key_file.as_ref()) {
            detail.push_str(&format!(" (new key in {})", file.display()));
        }
        Ok(Report {
            status: if output.changed { "changed" } else { "ok" },
            detail,
            role_arn: output.role_arn.clone(),
            external_id: output.external_id.clone(),
            failure,
            result: output,
        })
    })
    .await?;
    accounts::finish(global.output, "ARN / ERROR", &outcomes)?;
    Ok(ExitCode::SUCCESS)
}

/// What apply did in one account: the output, its text, and whether the verification passed.
struct Applied {
    output: ApplyOutput,
    text: Vec<String>,
    passed: bool,
}

impl Applied {
    /// Why the account failed although every change was made, naming the failed checks.
    fn failure(&self) -> String {
        let failed: Vec<String> = self
            .output
            .verifications
            .iter()
            .flat_map(|v| &v.checks)
            .filter(|c| c.status == Status::Fail)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        format!(
            "{} {} was applied but its verification failed: {}",
            self.output.vendor,
            self.output.integration,
            failed.join("; ")
        )
    }

    /// An error when the verification failed.
    fn verified(&self) -> anyhow::Result<()> {
        if self.passed {
            return Ok(());
        }
        anyhow::bail!(
            "{} {} was applied but its verification failed: see the failed checks",
            self.output.vendor,
            self.output.integration
        )
    }
}

/// Executes the plan, verifies, and says what to hand over.
async fn apply_prepared(
    prepared: Prepared,
    args: &ApplyArgs,
    handoff: &Handoff,
    settings: &AssumeSettings,
) -> anyhow::Result<Applied> {
    let Prepared {
        aws,
        caller,
        desired,
        observed,
        plan,
        generated,
        ..
    } = prepared;
    if plan.creates_access_key() {
        let user = desired
            .users
            .iter()
            .find(|u| u.access_key)
            .map_or("", |u| &u.name);
        handoff.require(user)?;
    }

    let changes = super::execute_plan(&aws, &plan, handoff)
        .await
        .into_result()
        .with_context(|| format!("applying {} {}", desired.vendor, desired.integration))?;
    let mut access_keys = handoff.delivered();
    access_keys.extend(handoff.for_stdout());

    // Every role and user is verified at once.
    let mut verifications = Vec::new();
    if !args.no_verify {
        let reads = Reads::new(&observed, &plan);
        let expected = Expected::Applied(&desired, &reads);
        let mut settings = settings.clone();
        settings.external_id = desired.external_id.clone();
        let handing_over: Vec<String> = handoff
            .for_stdout()
            .into_iter()
            .map(|k| k.access_key_id)
            .collect();
        let handing_over = &handing_over;
        let (expected, settings, aws, caller) = (&expected, &settings, &aws, &caller);
        let roles = try_join_all(
            desired
                .roles
                .iter()
                .map(|role| verify_role(aws, &role.name, &role.arn, caller, expected, settings)),
        );
        let users = try_join_all(
            desired
                .users
                .iter()
                .map(|user| verify_user(aws, &user.name, &user.arn, expected, handing_over)),
        );
        let (roles, users) = tokio::try_join!(roles, users)?;
        verifications.extend(roles.into_iter().chain(users));
    }

    let role_arns: Vec<String> = desired.roles.iter().map(|r| r.arn.clone()).collect();
    let user_arns: Vec<String> = desired.users.iter().map(|u| u.arn.clone()).collect();
    let passed = verifications.iter().all(|v| v.passed);
    let mut text = changes.clone();
    if changes.is_empty() {
        text.push("no changes: everything was already in place".to_owned());
    }
    text.extend(
        plan.drift
            .iter()
            .map(|d| format!("drift: {d}; apply left it as it is")),
    );
    text.extend(verifications.iter().flat_map(verification_lines));
    text.extend(key_lines(&access_keys));
    if let Some(id) = &desired.external_id {
        let note = if generated {
            " (generated: give it to the vendor with the role ARN)"
        } else {
            ""
        };
        text.push(format!("external ID: {id}{note}"));
    }
    text.extend(role_arns.iter().skip(1).rev().cloned());
    text.extend(
        role_arns
            .first()
            .cloned()
            .or_else(|| user_arns.first().cloned()),
    );
    let output = ApplyOutput {
        vendor: desired.vendor.clone(),
        integration: desired.integration.clone(),
        account: desired.account.clone(),
        partition: desired.partition.clone(),
        role_arn: role_arns.first().cloned(),
        role_arns,
        user_arns,
        external_id: desired.external_id.clone(),
        external_id_generated: generated,
        access_keys,
        changed: !changes.is_empty(),
        changes,
        already_present: plan.present,
        drift: plan.drift,
        verifications,
        waits: aws.waits(),
    };
    Ok(Applied {
        output,
        text,
        passed,
    })
}
