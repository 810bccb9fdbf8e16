//! The stages before any write: the caller, what exists, and the plan.

use tokio::task::JoinHandle;

use crate::aws::{Aws, Caller, RolesFound};
use crate::catalog;
use crate::cli::{ChangeArgs, GlobalArgs};
use crate::commands::offline::GENERATED_EXTERNAL_ID_BYTES;
use crate::error::{Error, Result};
use crate::handoff::record::reconcile;
use crate::plan::{ApplyOptions, Plan, plan_apply};
use crate::policy::limits::check_desired;
use crate::policy::lint::{Severity, lint};
use crate::policy::{external_ids, statements, trusts_third_party_without_external_id};
use crate::state::{Desired, DesiredRole, Observed};
use crate::verification::{AssumeSettings, FirstAssume};

use super::check::{Checked, check};

/// Everything apply and plan share: the target checked offline, the caller, the desired state
/// for the account, what exists, and the plan.
pub(crate) struct Prepared {
    pub(crate) aws: Aws,
    pub(crate) caller: Caller,
    pub(crate) desired: Desired,
    pub(crate) observed: Observed,
    pub(crate) plan: Plan,
    /// Whether the external ID was generated in this run.
    pub(crate) generated: bool,
    /// The first sts:AssumeRole of each role, made while the reads ran (apply only).
    pub(crate) early: Vec<EarlyAssume>,
}

/// An sts:AssumeRole started as soon as the caller was known and the role's read found it,
/// beside the policies' reads, for the role's verification, followed by sts:GetCallerIdentity as
/// the role when it succeeds: used when the plan leaves the role's trust policy alone and the
/// external ID it was made with is the one apply settles on; dropped (and stopped) otherwise.
pub(crate) struct EarlyAssume {
    pub(crate) arn: String,
    pub(crate) external_id: Option<String>,
    handle: Option<JoinHandle<Option<FirstAssume>>>,
}

impl EarlyAssume {
    /// Its answer, when it was made for `arn` with `external_id`.
    pub(crate) async fn answer(
        mut self,
        arn: &str,
        external_id: Option<&str>,
    ) -> Option<FirstAssume> {
        if self.arn != arn || self.external_id.as_deref() != external_id {
            return None;
        }
        self.handle.take()?.await.ok().flatten()
    }
}

impl Drop for EarlyAssume {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.abort();
        }
    }
}

/// How often a run waiting for another run's key hand-over reads the user again, in seconds.
pub(crate) const KEY_POLL_SECONDS: u64 = 2;

/// Seconds since the epoch.
pub(crate) fn unix_now() -> i64 {
    secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// Whole seconds of `duration`, as IAM's timestamps count them.
pub(crate) fn secs(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
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
/// writes anything, lint's warnings are summed up in one log line. Makes no write call.
/// With `verify` (apply), the first sts:AssumeRole of each role starts beside the reads.
pub(crate) async fn prepare(
    args: &ChangeArgs,
    global: &GlobalArgs,
    verify: Option<&AssumeSettings>,
) -> anyhow::Result<Prepared> {
    let checked = check(args)?;
    prepare_in(&checked, Aws::connect(global).await, verify).await
}

/// Reads the caller and what exists in the account of `aws`, and plans. Makes no write call
/// (with `verify`, an sts:AssumeRole of each role starts beside the reads).
pub(crate) async fn prepare_in(
    checked: &Checked,
    aws: Aws,
    verify: Option<&AssumeSettings>,
) -> anyhow::Result<Prepared> {
    let (target, needs_external_id) = (&checked.target, checked.needs_external_id);
    // The flags were applied and checked offline; only the account, partition and region change
    // (the region first: it is checked before any AWS call).
    let mut ctx = checked.offline.clone();
    target.set_region(&mut ctx, aws.region())?;
    // Roles and users are named without the account: read beside sts:GetCallerIdentity. Once the
    // caller answers, the policies' reads and (with `verify`) each role's first sts:AssumeRole
    // start.
    let offline = target.render(&ctx)?;
    let mut early = Vec::new();
    let (caller, mut named, observed) = aws
        .caller_and_observe(&offline, |caller, roles_found| {
            ctx.account = caller.account.clone();
            ctx.partition = caller.partition.clone();
            ctx.external_id = checked.external_id.clone();
            let named = target.render(&ctx)?;
            // The external ID apply will use is known now only when it is given or the trust
            // takes none.
            let early_id = (!needs_external_id || ctx.external_id.is_some()).then(|| {
                ctx.external_id
                    .clone()
                    .or_else(|| ctx.added_external_id.clone())
            });
            if let (Some(settings), Some(external_id)) = (verify, early_id) {
                early = named
                    .roles
                    .iter()
                    .map(|role| {
                        let found = roles_found.clone();
                        start_assume(&aws, role, found, settings, external_id.clone())
                    })
                    .collect();
            }
            Ok(named)
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
    // Lint's warnings, in one line, when the plan is going to write something.
    if !plan.steps.is_empty()
        && let Some(line) = lint_summary(&desired, target.integration_names())
    {
        tracing::warn!("{line}");
    }
    Ok(Prepared {
        aws,
        caller,
        desired,
        observed,
        plan,
        generated,
        early,
    })
}

/// sts:AssumeRole on `role`, started on its own task once its read found it (a role that does
/// not exist yet is not asked for: IAM would refuse, and log an `AccessDenied`).
fn start_assume(
    aws: &Aws,
    role: &DesiredRole,
    found: RolesFound,
    settings: &AssumeSettings,
    external_id: Option<String>,
) -> EarlyAssume {
    let (aws, arn, name) = (aws.clone(), role.arn.clone(), role.name.clone());
    let settings = AssumeSettings {
        session_name: settings.session_name.clone(),
        external_id: external_id.clone(),
    };
    let handle = tokio::spawn(async move {
        if !found.contains(&name).await {
            return None;
        }
        Some(FirstAssume::both(&aws, &arn, &settings).await)
    });
    EarlyAssume {
        arn: role.arn.clone(),
        external_id,
        handle: Some(handle),
    }
}

/// One line for lint's findings in the documents about to be written, naming the command that
/// lists them; `None` when there are none.
fn lint_summary(desired: &Desired, integrations: &[String]) -> Option<String> {
    let findings = lint(desired);
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let plural = |n: usize, what: &str| match n {
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    };
    let counts: Vec<String> = [
        (count(Severity::Security), "security warning"),
        (count(Severity::Warning), "warning"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| plural(n, what))
    .collect();
    if counts.is_empty() {
        return None;
    }
    let entry = if catalog::builtin_vendors().contains(&desired.vendor.as_str()) {
        format!("--vendor {}", desired.vendor)
    } else {
        "--catalog-file FILE".to_owned()
    };
    let selected: String = integrations
        .iter()
        .map(|i| format!(" --integration {i}"))
        .collect();
    Some(format!(
        "lint: {} in the documents: onboard lint {entry}{selected} lists them",
        counts.join(", ")
    ))
}
