//! Verification: read a role or user back, compare it with the catalog, ask the trust evaluator
//! who may assume a role, and prove it can be assumed. Used by `verify` and at the end of `apply`.

mod assume;
mod trust;
pub(crate) mod written;

use std::fmt;

use futures_util::future::join_all;
use serde::Serialize;

pub(crate) use assume::{AssumeSettings, FirstAssume};
pub(crate) use written::{Known, Written};

use crate::aws::{Aws, Caller, Waits};
use crate::catalog::{self, RenderContext, VendorCatalog};
use crate::error::Result;
use crate::handoff::record::{KeyState, reconcile};
use crate::policy::{external_ids, same_document, trusted_principal_names};
use crate::state::{
    Desired, DesiredRole, INTEGRATION_SEPARATOR, INTEGRATION_TAG, ObservedPolicy, ObservedRole,
    ObservedUser, RESOURCE_TAG, Tags, VENDOR_TAG, is_aws_managed, params_from_tags,
};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Pass,
    Fail,
    /// Not a pass, but what a correct setup shows: the customer may not assume the vendor's role,
    /// or there is nothing to compare.
    Expected,
    /// Worth a look, but not a failure: the trust evaluator cannot tell, or a trust policy as
    /// the catalog writes it lets the vendor in without an external ID (confused deputy).
    Warn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) detail: String,
    /// What repairs a failure or settles a warning, when onboard knows (`null` otherwise).
    pub(crate) fix: Option<String>,
    /// Whether the detail is a sentence that names its subject (the trust evaluator's answers),
    /// shown without the name.
    #[serde(skip)]
    sentence: bool,
}

impl Check {
    /// A check whose detail is a sentence of its own.
    fn sentence(
        name: impl Into<String>,
        status: Status,
        detail: String,
        fix: Option<&str>,
    ) -> Self {
        Check {
            name: name.into(),
            status,
            detail,
            fix: fix.map(str::to_owned),
            sentence: true,
        }
    }

    /// The check with `fix`.
    fn fix(mut self, fix: &str) -> Self {
        self.fix = Some(fix.to_owned());
        self
    }

    /// The check in one line, without its status: the name and detail (or the sentence), and
    /// the fix of a warning or failure.
    pub(crate) fn line(&self) -> String {
        let mut line = if self.sentence {
            self.detail.clone()
        } else {
            format!("{}: {}", self.name, self.detail)
        };
        if let (Some(fix), Status::Warn | Status::Fail) = (&self.fix, self.status) {
            line.push_str(": ");
            line.push_str(fix);
        }
        line
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Expected => "expected",
            Status::Warn => "warn",
        })
    }
}

/// `pass     role exists: arn:...`: the status, padded, then [`Check::line`].
impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<9}{}", self.status, self.line())
    }
}

/// How the checks of some verifications came out: "verified: 9 checks passed, 1 warning".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Passed, or what a correct setup shows (`expected`).
    pub(crate) passed: usize,
    pub(crate) warnings: usize,
    pub(crate) failed: usize,
}

impl Summary {
    pub(crate) fn of(verifications: &[Verification]) -> Self {
        let checks = || verifications.iter().flat_map(|v| &v.checks);
        let count = |status| checks().filter(|c| c.status == status).count();
        Summary {
            passed: count(Status::Pass) + count(Status::Expected),
            warnings: count(Status::Warn),
            failed: count(Status::Fail),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize, one: &str, many: &str| match n {
            1 => format!("1 {one}"),
            n => format!("{n} {many}"),
        };
        write!(
            f,
            "verified: {} passed",
            plural(self.passed, "check", "checks")
        )?;
        if self.warnings > 0 {
            write!(f, ", {}", plural(self.warnings, "warning", "warnings"))?;
        }
        if self.failed > 0 {
            write!(f, ", {} FAILED", self.failed)?;
        }
        Ok(())
    }
}

/// Every check made on one role or user.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Verification {
    /// `role` or `user`.
    pub kind: &'static str,
    pub arn: String,
    pub checks: Vec<Check>,
    pub assumed_role_arn: Option<String>,
    /// True when no check failed.
    pub passed: bool,
    /// How long `verify` waited for IAM to propagate (apply reports its waits once, for the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waits: Option<Waits>,
}

impl Verification {
    fn new(
        kind: &'static str,
        arn: String,
        checks: Vec<Check>,
        assumed_role_arn: Option<String>,
    ) -> Self {
        let passed = checks.iter().all(|c| c.status != Status::Fail);
        Verification {
            kind,
            arn,
            checks,
            assumed_role_arn,
            passed,
            waits: None,
        }
    }
}

/// Every check, one line each, then the ARN the role was assumed as: what `verify` prints.
impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::output::lines(f, self.checks.iter().map(ToString::to_string))?;
        if let Some(arn) = &self.assumed_role_arn {
            write!(f, "\n{arn}")?;
        }
        Ok(())
    }
}

fn check(name: impl Into<String>, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status,
        detail: detail.into(),
        fix: None,
        sentence: false,
    }
}

/// What repairs a resource that differs from the catalog.
const APPLY_REPAIRS: &str = "onboard apply repairs it (onboard plan shows how)";

/// A comparison with the catalog, which apply repairs when it fails.
fn repairable(name: impl Into<String>, status: Status, detail: impl Into<String>) -> Check {
    let check = check(name, status, detail);
    match status {
        Status::Fail => check.fix(APPLY_REPAIRS),
        Status::Pass | Status::Expected | Status::Warn => check,
    }
}

/// Policies read ahead, by ARN.
type Prefetched = std::collections::BTreeMap<String, Option<ObservedPolicy>>;

impl Expected<'_> {
    fn written(&self) -> Option<&Written> {
        match self {
            Expected::Applied(_, written) => Some(written),
            Expected::FromTags { .. } => None,
        }
    }

    async fn role(&self, aws: &Aws, name: &str) -> Result<Option<ObservedRole>> {
        match self.written().map(|w| w.role(name)) {
            Some(Known::Is(found)) => Ok(found.cloned()),
            Some(Known::ReadBack) | None => aws.read_role(name).await,
        }
    }

    async fn user(&self, aws: &Aws, name: &str) -> Result<Option<ObservedUser>> {
        match self.written().map(|w| w.user(name)) {
            Some(Known::Is(found)) => Ok(found.cloned()),
            Some(Known::ReadBack) | None => aws.read_user(name).await,
        }
    }

    /// The customer managed policies a role should hold after apply (none for `verify`, which
    /// learns them from the role).
    fn policies_of_role(&self, name: &str) -> Vec<&str> {
        let Expected::Applied(desired, _) = self else {
            return Vec::new();
        };
        let role = desired.roles.iter().find(|r| r.name == name);
        role.into_iter()
            .flat_map(|r| &r.policy_arns)
            .filter(|arn| !is_aws_managed(arn))
            .map(String::as_str)
            .collect()
    }

    async fn policy(&self, aws: &Aws, arn: &str) -> Result<Option<ObservedPolicy>> {
        match self.written().map(|w| w.policy(arn)) {
            Some(Known::Is(found)) => Ok(found.cloned()),
            Some(Known::ReadBack) | None => aws.read_policy(arn).await,
        }
    }
}

/// What a resource is compared with: the desired state apply rendered, or (for `verify`) the
/// catalog entry its onboard tags name, rendered with the parameters they record.
pub(crate) enum Expected<'a> {
    /// After apply: the desired state, and what apply read and wrote.
    Applied(&'a Desired, &'a Written),
    FromTags {
        /// A catalog file to use instead of the built-in entry (`verify --catalog-file`).
        catalog: Option<&'a VendorCatalog>,
        account: &'a str,
        partition: &'a str,
        /// The external ID given to verify.
        external_id: Option<String>,
    },
}

impl<'a> Expected<'a> {
    /// The built-in catalog entry the tags name, in `account`, with no external ID given.
    fn built_in(account: &'a str, partition: &'a str) -> Self {
        Expected::FromTags {
            catalog: None,
            account,
            partition,
            external_id: None,
        }
    }
}

impl Expected<'_> {
    /// The desired state to compare `tags`' resource with, or why there is none. Without an
    /// external ID given, the one found in the resource's trust policy is used.
    fn resolve(
        &self,
        aws: &Aws,
        tags: &Tags,
        found_external_id: Option<String>,
    ) -> Result<Desired, String> {
        let (catalog_file, account, partition, external_id) = match self {
            Expected::Applied(desired, _) => return Ok((*desired).clone()),
            Expected::FromTags {
                catalog,
                account,
                partition,
                external_id,
            } => (catalog, account, partition, external_id),
        };
        let vendor = tags
            .get(VENDOR_TAG)
            .ok_or("it has no onboard:vendor tag, so there is no catalog entry to compare with")?;
        let catalog = match catalog_file {
            Some(catalog) if &catalog.vendor == vendor => (*catalog).clone(),
            _ => catalog::load_builtin(vendor)
                .map_err(|e| format!("{e} (pass --catalog-file for your own entries)"))?,
        };
        let names: Vec<String> = tags
            .get(INTEGRATION_TAG)
            .map(|i| i.split(INTEGRATION_SEPARATOR).map(str::to_owned).collect())
            .unwrap_or_default();
        let selected = catalog.select(&names, false).map_err(|e| e.to_string())?;
        let mut ctx = RenderContext::new(account, partition, aws.region());
        ctx.params = params_from_tags(tags);
        // A condition an earlier `apply --external-id` added to third parties' statements.
        ctx.added_external_id = found_external_id.clone();
        ctx.external_id = external_id.clone().or(found_external_id);
        catalog::render(&catalog, &selected, &ctx).map_err(|e| e.to_string())
    }
}

/// How a role's sts:AssumeRole check is made.
pub(crate) enum Assume<'a> {
    /// Now, the first attempt beside the role's read-back (`verify`).
    Now(&'a AssumeSettings),
    /// Already made (apply: beside its attachments): its checks and the ARN assumed as.
    Done(Vec<Check>, Option<String>),
}

/// sts:AssumeRole on `role` (waiting for propagation where that makes sense), then
/// sts:GetCallerIdentity with the temporary credentials: the checks and the ARN assumed as.
/// `first` is the answer to an attempt made already, if any.
pub(crate) async fn assume_checks(
    aws: &Aws,
    role: &ObservedRole,
    caller: &Caller,
    settings: &AssumeSettings,
    first: Option<FirstAssume>,
) -> (Vec<Check>, Option<String>) {
    let first = match first {
        Some(answer) => answer,
        None => aws
            .assume_role(
                &role.arn,
                &settings.session_name,
                settings.external_id.as_deref(),
            )
            .await
            .into(),
    };
    assume::assume(aws, role, caller, settings, first).await
}

/// Checks one role: it exists, matches the catalog, and can be assumed.
pub(crate) async fn verify_role(
    aws: &Aws,
    name: &str,
    arn: &str,
    caller: &Caller,
    expected: &Expected<'_>,
    assume: Assume<'_>,
) -> Result<Verification> {
    // The role, its first sts:AssumeRole and (after apply) the policies it should hold are read
    // all at once: they do not depend on each other.
    let first = async {
        match &assume {
            Assume::Now(settings) => Some(
                aws.assume_role(arn, &settings.session_name, settings.external_id.as_deref())
                    .await,
            ),
            Assume::Done(..) => None,
        }
    };
    let prefetch = join_all(expected.policies_of_role(name).into_iter().map(
        |policy_arn| async move {
            Ok::<_, crate::error::Error>((
                policy_arn.to_owned(),
                expected.policy(aws, policy_arn).await?,
            ))
        },
    ));
    let (role, first, prefetched) = tokio::join!(expected.role(aws, name), first, prefetch);
    let prefetched: Prefetched = prefetched.into_iter().collect::<Result<_>>()?;
    let Some(role) = role? else {
        let detail = format!("no role named {name} in account {}", caller.account);
        return Ok(Verification::new(
            "role",
            arn.to_owned(),
            vec![check("role exists", Status::Fail, detail).fix("run onboard apply")],
            None,
        ));
    };
    let mut checks = vec![check("role exists", Status::Pass, role.arn.clone())];
    let trust_external_id = external_ids(&role.trust).into_iter().next();
    let desired = expected.resolve(aws, &role.tags, trust_external_id);
    let expected_trust = desired
        .as_ref()
        .ok()
        .and_then(|d| wanted_role(d, &role))
        .map_or(&role.trust, |r| &r.trust);
    let trust_checks = trust::checks(&role, expected_trust);
    let assumed = async {
        match (assume, first) {
            (Assume::Now(settings), Some(first)) => {
                assume::assume(aws, &role, caller, settings, first.into()).await
            }
            (Assume::Now(settings), None) => {
                assume_checks(aws, &role, caller, settings, None).await
            }
            (Assume::Done(checks, assumed_arn), _) => (checks, assumed_arn),
        }
    };
    let (catalog_checks, (assume_checks, assumed_role_arn)) = tokio::join!(
        compare_role(aws, expected, &prefetched, &role, desired),
        assumed,
    );
    checks.extend(catalog_checks?);
    checks.extend(trust_checks);
    checks.extend(assume_checks);
    Ok(Verification::new(
        "role",
        role.arn,
        checks,
        assumed_role_arn,
    ))
}

/// How a role read elsewhere (`onboard audit`) compares with the catalog entry its onboard tags
/// name: the catalog checks of `verify`, without sts:AssumeRole. Reads only the customer managed
/// policies attached to it.
pub(crate) async fn compare_role_with_catalog(
    aws: &Aws,
    role: &ObservedRole,
    account: &str,
    partition: &str,
) -> Result<Vec<Check>> {
    let expected = Expected::built_in(account, partition);
    let trust_external_id = external_ids(&role.trust).into_iter().next();
    let desired = expected.resolve(aws, &role.tags, trust_external_id);
    compare_role(aws, &expected, &Prefetched::new(), role, desired).await
}

/// How a user read elsewhere (`onboard audit`) compares with the catalog entry its onboard tags
/// name: the checks of `verify`.
pub(crate) async fn compare_user_with_catalog(
    aws: &Aws,
    user: &ObservedUser,
    account: &str,
    partition: &str,
) -> Result<Vec<Check>> {
    let expected = Expected::built_in(account, partition);
    let desired = expected.resolve(aws, &user.tags, None);
    compare_user(aws, &expected, user, desired, &[]).await
}

/// Checks one user: it exists, matches the catalog, and holds an access key if it should;
/// `handing_over` names the keys the calling run is handing over with its output (apply with
/// `--show-secret`), which count as handed over.
pub(crate) async fn verify_user(
    aws: &Aws,
    name: &str,
    arn: &str,
    expected: &Expected<'_>,
    handing_over: &[String],
) -> Result<Verification> {
    let Some(user) = expected.user(aws, name).await? else {
        let detail = format!("no user named {name}");
        return Ok(Verification::new(
            "user",
            arn.to_owned(),
            vec![check("user exists", Status::Fail, detail)],
            None,
        ));
    };
    let mut checks = vec![check("user exists", Status::Pass, user.arn.clone())];
    checks.extend(
        compare_user(
            aws,
            expected,
            &user,
            expected.resolve(aws, &user.tags, None),
            handing_over,
        )
        .await?,
    );
    Ok(Verification::new("user", user.arn, checks, None))
}

/// Attached policies compared with the catalog: onboard's found by their tags (whatever prefix
/// or suffix they were named with) with their default version's document, AWS managed ones by ARN.
async fn compare_attached(
    aws: &Aws,
    expected: &Expected<'_>,
    prefetched: &Prefetched,
    attached: &[String],
    wanted: &[String],
    desired: &Desired,
    holder: &str,
) -> Result<Vec<Check>> {
    let customer_managed = attached.iter().filter(|a| !is_aws_managed(a));
    let read: Vec<Option<ObservedPolicy>> = join_all(customer_managed.map(|a| async move {
        match prefetched.get(a) {
            Some(found) => Ok(found.clone()),
            None => expected.policy(aws, a).await,
        }
    }))
    .await
    .into_iter()
    .collect::<Result<_>>()?;
    let read: Vec<ObservedPolicy> = read.into_iter().flatten().collect();
    let mut checks = Vec::new();
    for arn in wanted.iter().filter(|a| is_aws_managed(a)) {
        let name = format!("AWS managed policy {} attached", crate::plan::name_of(arn));
        let (status, detail) = if attached.contains(arn) {
            (Status::Pass, arn.clone())
        } else {
            (Status::Fail, format!("{arn} is not attached to {holder}"))
        };
        checks.push(repairable(name, status, detail));
    }
    for policy in desired.policies.iter().filter(|p| wanted.contains(&p.arn)) {
        // By the vendor's tags, else by the catalog's ARN: a policy a stack from `onboard
        // export` created is managed by CloudFormation (which cannot tag managed policies) or
        // Terraform, not by onboard, and is checked all the same.
        let found = read
            .iter()
            .find(|a| {
                a.tags.get(RESOURCE_TAG) == Some(&policy.id)
                    && a.tags.get(VENDOR_TAG) == Some(&desired.vendor)
            })
            .or_else(|| read.iter().find(|a| a.arn == policy.arn));
        let attached_check = format!("policy {} attached", policy.name);
        let Some(found) = found else {
            let detail = format!(
                "neither a policy tagged {RESOURCE_TAG}={} nor {} is attached to {holder}",
                policy.id, policy.arn
            );
            checks.push(repairable(attached_check, Status::Fail, detail));
            continue;
        };
        checks.push(check(attached_check, Status::Pass, found.arn.clone()));
        let (status, detail) = if same_document(&found.document, &policy.document) {
            (
                Status::Pass,
                format!("default version {}", found.default_version_id),
            )
        } else {
            (
                Status::Fail,
                format!(
                    "default version {} differs from the catalog",
                    found.default_version_id
                ),
            )
        };
        checks.push(repairable(
            format!("policy {} matches the catalog", policy.name),
            status,
            detail,
        ));
    }
    Ok(checks)
}

/// The catalog's role that `role` was created from: by its resource tag, else by name.
fn wanted_role<'a>(desired: &'a Desired, role: &ObservedRole) -> Option<&'a DesiredRole> {
    let role_id = role.tags.get(RESOURCE_TAG);
    desired
        .roles
        .iter()
        .find(|r| Some(&r.id) == role_id || r.name == role.name)
}

/// Trust policy, attachments and instance profile, compared with the catalog.
/// The role's inline policies against the catalog's: each present with the same document, and
/// none the catalog does not name.
fn compare_inline(role: &ObservedRole, wanted: &crate::state::DesiredRole) -> Vec<Check> {
    let mut checks = Vec::new();
    for policy in &wanted.inline_policies {
        let name = format!("inline policy {} matches the catalog", policy.name);
        let (status, detail) = match role.inline_policies.get(&policy.name) {
            Some(found) if same_document(found, &policy.document) => {
                (Status::Pass, format!("role {} holds it", role.name))
            }
            Some(_) => (
                Status::Fail,
                "its document differs from the catalog's: apply repairs it".to_owned(),
            ),
            None => (
                Status::Fail,
                format!(
                    "role {} has no inline policy {}: apply adds it",
                    role.name, policy.name
                ),
            ),
        };
        checks.push(check(name, status, detail));
    }
    for name in role.inline_policies.keys() {
        if !wanted.inline_policies.iter().any(|p| &p.name == name) {
            checks.push(check(
                format!("inline policy {name}"),
                Status::Fail,
                format!(
                    "role {} has inline policy {name}, which the catalog does not name \
                     (apply --exclusive deletes it)",
                    role.name
                ),
            ));
        }
    }
    checks
}

async fn compare_role(
    aws: &Aws,
    expected: &Expected<'_>,
    prefetched: &Prefetched,
    role: &ObservedRole,
    desired: Result<Desired, String>,
) -> Result<Vec<Check>> {
    let desired = match desired {
        Ok(desired) => desired,
        Err(why) => return Ok(vec![check("catalog comparison", Status::Expected, why)]),
    };
    let Some(wanted) = wanted_role(&desired, role) else {
        let detail = format!(
            "the {} {} catalog entry has no such role",
            desired.vendor, desired.integration
        );
        return Ok(vec![check("catalog comparison", Status::Fail, detail)]);
    };
    let mut checks = Vec::new();
    let principals = |trust| trusted_principal_names(trust).join(", ");
    let (status, detail) = if same_document(&role.trust, &wanted.trust) {
        (
            Status::Pass,
            format!("trusts {}", principals(&wanted.trust)),
        )
    } else {
        (
            Status::Fail,
            format!(
                "expected principals [{}], found [{}] (or conditions such as the external ID differ)",
                principals(&wanted.trust),
                principals(&role.trust)
            ),
        )
    };
    checks.push(repairable(
        "trust policy matches the catalog",
        status,
        detail,
    ));
    if wanted.instance_profile {
        let (status, detail) = if role.instance_profiles.contains(&wanted.name) {
            (
                Status::Pass,
                format!("instance profile {} holds the role", wanted.name),
            )
        } else {
            (
                Status::Fail,
                format!("no instance profile named {} holds the role", wanted.name),
            )
        };
        checks.push(repairable("instance profile", status, detail));
    }
    checks.extend(compare_inline(role, wanted));
    let holder = format!("role {}", role.name);
    checks.extend(
        compare_attached(
            aws,
            expected,
            prefetched,
            &role.attached,
            &wanted.policy_arns,
            &desired,
            &holder,
        )
        .await?,
    );
    Ok(checks)
}

/// Attachments and access key, compared with the catalog.
async fn compare_user(
    aws: &Aws,
    expected: &Expected<'_>,
    user: &ObservedUser,
    desired: Result<Desired, String>,
    handing_over: &[String],
) -> Result<Vec<Check>> {
    let desired = match desired {
        Ok(desired) => desired,
        Err(why) => return Ok(vec![check("catalog comparison", Status::Expected, why)]),
    };
    let user_id = user.tags.get(RESOURCE_TAG);
    let Some(wanted) = desired
        .users
        .iter()
        .find(|u| Some(&u.id) == user_id || u.name == user.name)
    else {
        let detail = format!(
            "the {} {} catalog entry has no such user",
            desired.vendor, desired.integration
        );
        return Ok(vec![check("catalog comparison", Status::Fail, detail)]);
    };
    let holder = format!("user {}", user.name);
    let mut checks = compare_attached(
        aws,
        expected,
        &Prefetched::new(),
        &user.attached,
        &wanted.policy_arns,
        &desired,
        &holder,
    )
    .await?;
    if wanted.access_key {
        // The record on the user says which keys were handed over (see handoff::record).
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let grace = i64::try_from(aws.key_grace().as_secs()).unwrap_or(i64::MAX);
        let mut reconciled = reconcile(&user.tags, &user.access_keys, now, grace);
        for (key, state) in &mut reconciled.keys {
            if handing_over.contains(&key.id) {
                *state = KeyState::HandedOver("with this run's output".to_owned());
            }
        }
        let usable: Vec<String> = reconciled
            .keys
            .iter()
            .filter(|(k, _)| k.active)
            .filter(|(_, s)| matches!(s, KeyState::HandedOver(_) | KeyState::Foreign))
            .map(|(k, s)| format!("{} ({s})", k.id))
            .collect();
        let (status, detail) = if usable.is_empty() {
            (
                Status::Fail,
                "no active access key that was handed over: run onboard rotate-key to create one"
                    .to_owned(),
            )
        } else {
            (Status::Pass, usable.join(", "))
        };
        checks.push(check("active access key", status, detail));
        for (key, state) in &reconciled.keys {
            let failed = match state {
                KeyState::NotHandedOver => Some(Status::Fail),
                KeyState::InFlight(_) => Some(Status::Warn),
                KeyState::HandedOver(_) | KeyState::Foreign => None,
            };
            if let Some(status) = failed {
                let detail = format!(
                    "access key {} was created by onboard and is {state}: nobody holds it; \
                     onboard apply or rotate-key deletes it",
                    key.id
                );
                checks.push(check("access key handed over", status, detail));
            }
        }
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verification(statuses: &[Status]) -> Verification {
        let checks = statuses
            .iter()
            .map(|&status| check("c", status, "d"))
            .collect();
        Verification::new("role", "arn:aws:iam::1:role/R".into(), checks, None)
    }

    #[test]
    fn the_summary_counts_expected_as_passed_and_names_warnings_and_failures() {
        let summary = |statuses: &[Status]| Summary::of(&[verification(statuses)]).to_string();
        assert_eq!(summary(&[Status::Pass]), "verified: 1 check passed");
        assert_eq!(
            summary(&[Status::Pass, Status::Expected, Status::Warn]),
            "verified: 2 checks passed, 1 warning"
        );
        assert_eq!(
            summary(&[Status::Warn, Status::Warn, Status::Fail]),
            "verified: 0 checks passed, 2 warnings, 1 FAILED"
        );
    }

    #[test]
    fn a_check_is_one_line_with_the_fix_only_when_it_warns_or_fails() {
        let failed = repairable("trust policy matches the catalog", Status::Fail, "differs");
        assert_eq!(
            failed.to_string(),
            format!("FAIL     trust policy matches the catalog: differs: {APPLY_REPAIRS}")
        );
        let passed = repairable("trust policy matches the catalog", Status::Pass, "trusts X");
        assert_eq!(
            passed.to_string(),
            "pass     trust policy matches the catalog: trusts X"
        );
        assert_eq!(passed.fix, None);
    }
}
