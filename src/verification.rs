//! Verification: read a role back, compare it with the catalog, and prove it can be assumed.
//! Used by `verify` and at the end of `apply`.

use std::future::Future;
use std::time::Duration;

use futures_util::future::join_all;
use serde::Serialize;
use serde_json::Value;

use crate::arn::RoleArn;
use crate::aws::{Aws, Caller};
use crate::catalog::{self, RenderContext};
use crate::error::{Error, Result};
use crate::policy::{same_document, trusted_aws_principals};
use crate::state::{Desired, INTEGRATION_TAG, ObservedRole, RESOURCE_TAG, VENDOR_TAG, is_owned};

/// First wait between sts:AssumeRole attempts while IAM propagates a new role; doubles up to
/// [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Not a pass, but what a correct setup shows: the customer may not assume the vendor's role,
    /// or there is nothing to compare.
    Expected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
}

/// Every check made on one role.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub role_arn: String,
    pub checks: Vec<Check>,
    pub assumed_role_arn: Option<String>,
    /// True when no check failed.
    pub passed: bool,
}

/// What the sts:AssumeRole check uses.
#[derive(Debug, Clone)]
pub struct AssumeSettings {
    pub session_name: String,
    pub external_id: Option<String>,
    /// Longest total wait for IAM propagation.
    pub wait: Duration,
}

/// How the assume-role attempts ended.
#[derive(Debug)]
pub enum AssumeOutcome<T> {
    Assumed(T),
    /// `AccessDenied`, and the caller is not trusted: what a correct setup shows.
    NotTrusted(Error),
    /// `AccessDenied` although the caller is trusted, still after waiting.
    Denied {
        err: Error,
        waited: Duration,
    },
    Failed(Error),
}

/// Calls `attempt` until it succeeds. `AccessDenied` is retried with backoff (up to `wait` in
/// total) only when the caller is trusted, since then it means IAM has not propagated the role
/// yet; any other error is final.
pub async fn assume_with_wait<T, F, Fut>(
    mut attempt: F,
    trusted: bool,
    wait: Duration,
) -> AssumeOutcome<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut waited = Duration::ZERO;
    let mut backoff = FIRST_BACKOFF;
    loop {
        match attempt().await {
            Ok(value) => return AssumeOutcome::Assumed(value),
            Err(err) if err.aws_code() == Some("AccessDenied") => {
                if !trusted {
                    return AssumeOutcome::NotTrusted(err);
                }
                if waited >= wait {
                    return AssumeOutcome::Denied { err, waited };
                }
                let pause = backoff.min(wait - waited);
                tracing::warn!(
                    "sts:AssumeRole denied; waiting {pause:?} for IAM to propagate the role"
                );
                tokio::time::sleep(pause).await;
                waited += pause;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(err) => return AssumeOutcome::Failed(err),
        }
    }
}

/// Whether the trust policy names the caller: its ARN, its role (for an assumed-role session),
/// its account (root ARN or bare id), or everyone.
pub fn caller_is_trusted(trust: &Value, caller: &Caller) -> bool {
    let root = format!("arn:{}:iam::{}:root", caller.partition, caller.account);
    // arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION trusts as role NAME of ACCOUNT, any path.
    let session_role = caller
        .arn
        .split_once(":assumed-role/")
        .and_then(|(_, rest)| rest.split('/').next());
    trusted_aws_principals(trust).iter().any(|p| {
        p == "*"
            || *p == caller.account
            || *p == root
            || *p == caller.arn
            || session_role.is_some_and(|role| {
                let prefix = format!("arn:{}:iam::{}:role/", caller.partition, caller.account);
                p.strip_prefix(&prefix)
                    .is_some_and(|rest| rest.rsplit('/').next() == Some(role))
            })
    })
}

fn check(name: impl Into<String>, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status,
        detail: detail.into(),
    }
}

/// The desired state a role's onboard tags point at, rendered for the role's account.
fn expected_from_tags(aws: &Aws, role: &ObservedRole, arn: &RoleArn) -> Result<Desired, String> {
    let vendor = role.tags.get(VENDOR_TAG).ok_or(
        "the role has no onboard:vendor tag, so there is no catalog entry to compare with",
    )?;
    let catalog = catalog::load_builtin(vendor).map_err(|e| e.to_string())?;
    let integration = role.tags.get(INTEGRATION_TAG).map(String::as_str);
    let (name, integration) = catalog
        .integration(integration)
        .map_err(|e| e.to_string())?;
    let mut ctx = RenderContext::new(&arn.account, &arn.partition, aws.region());
    ctx.naming.path = arn.path.clone();
    catalog::render(&catalog, name, integration, &ctx).map_err(|e| e.to_string())
}

/// Checks one role. `expected` is the desired state when the caller knows it (apply); otherwise
/// it comes from the role's onboard tags and the built-in catalog.
pub async fn verify_role(
    aws: &Aws,
    arn: &RoleArn,
    caller: &Caller,
    expected: Option<&Desired>,
    settings: &AssumeSettings,
) -> Result<Verification> {
    let mut checks = Vec::new();
    let role_arn = arn.to_string();
    let Some(role) = aws.read_role(&arn.name).await? else {
        checks.push(check(
            "role exists",
            Status::Fail,
            format!("no role named {} in account {}", arn.name, caller.account),
        ));
        return Ok(finish(role_arn, checks, None));
    };
    checks.push(check("role exists", Status::Pass, role.arn.clone()));

    let from_tags;
    let expected = match expected {
        Some(desired) => Ok(desired),
        None => {
            from_tags = expected_from_tags(aws, &role, arn);
            from_tags.as_ref().map_err(Clone::clone)
        }
    };
    let (catalog_checks, (assume_checks, assumed_role_arn)) = tokio::join!(
        compare_with_catalog(aws, &role, expected),
        assume(aws, &role, caller, settings),
    );
    checks.extend(catalog_checks?);
    checks.extend(assume_checks);
    Ok(finish(role_arn, checks, assumed_role_arn))
}

fn finish(role_arn: String, checks: Vec<Check>, assumed_role_arn: Option<String>) -> Verification {
    let passed = checks.iter().all(|c| c.status != Status::Fail);
    Verification {
        role_arn,
        checks,
        assumed_role_arn,
        passed,
    }
}

/// Trust policy, attachments and default policy versions, compared with the catalog.
async fn compare_with_catalog(
    aws: &Aws,
    role: &ObservedRole,
    expected: Result<&Desired, String>,
) -> Result<Vec<Check>> {
    let desired = match expected {
        Ok(desired) => desired,
        Err(why) => return Ok(vec![check("catalog comparison", Status::Expected, why)]),
    };
    let role_id = role.tags.get(RESOURCE_TAG);
    let Some(wanted) = desired
        .roles
        .iter()
        .find(|r| Some(&r.id) == role_id || r.name == role.name)
    else {
        let detail = format!(
            "the {} {} catalog entry has no such role",
            desired.vendor, desired.integration
        );
        return Ok(vec![check("catalog comparison", Status::Fail, detail)]);
    };
    let mut checks = Vec::new();
    let (status, detail) = if same_document(&role.trust, &wanted.trust) {
        (
            Status::Pass,
            format!(
                "trusts {}",
                trusted_aws_principals(&wanted.trust).join(", ")
            ),
        )
    } else {
        (
            Status::Fail,
            format!(
                "expected principals [{}], found [{}]{}",
                trusted_aws_principals(&wanted.trust).join(", "),
                trusted_aws_principals(&role.trust).join(", "),
                " (or other statements differ)"
            ),
        )
    };
    checks.push(check("trust policy matches the catalog", status, detail));

    // Read every customer managed policy attached to the role, then match catalog policies to
    // them by onboard's tags, so that the user's name prefix or suffix does not matter.
    let customer_managed = role
        .attached
        .iter()
        .filter(|a| !a.contains(":iam::aws:policy/"));
    let attached = join_all(customer_managed.map(|a| aws.read_policy(a))).await;
    let attached: Vec<_> = attached
        .into_iter()
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    for policy in desired
        .policies
        .iter()
        .filter(|p| wanted.policy_arns.contains(&p.arn))
    {
        let found = attached.iter().find(|a| {
            is_owned(&a.tags)
                && a.tags.get(RESOURCE_TAG) == Some(&policy.id)
                && a.tags.get(VENDOR_TAG) == Some(&desired.vendor)
        });
        let Some(found) = found else {
            checks.push(check(
                format!("policy {} attached", policy.name),
                Status::Fail,
                format!(
                    "no policy tagged {RESOURCE_TAG}={} is attached to role {}",
                    policy.id, role.name
                ),
            ));
            continue;
        };
        checks.push(check(
            format!("policy {} attached", policy.name),
            Status::Pass,
            found.arn.clone(),
        ));
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
        checks.push(check(
            format!("policy {} matches the catalog", policy.name),
            status,
            detail,
        ));
    }
    Ok(checks)
}

/// sts:AssumeRole (waiting for propagation where that makes sense), then sts:GetCallerIdentity
/// with the temporary credentials.
async fn assume(
    aws: &Aws,
    role: &ObservedRole,
    caller: &Caller,
    settings: &AssumeSettings,
) -> (Vec<Check>, Option<String>) {
    let trusted = caller_is_trusted(&role.trust, caller);
    let attempt = || {
        aws.assume_role(
            &role.arn,
            &settings.session_name,
            settings.external_id.as_deref(),
        )
    };
    let name = "sts:AssumeRole";
    let creds = match assume_with_wait(attempt, trusted, settings.wait).await {
        AssumeOutcome::Assumed(creds) => creds,
        AssumeOutcome::NotTrusted(_) => {
            let detail = format!(
                "AccessDenied, as expected: the caller {} is not among the trust policy's principals ({}); \
                 only they can assume the role",
                caller.arn,
                trusted_aws_principals(&role.trust).join(", ")
            );
            return (vec![check(name, Status::Expected, detail)], None);
        }
        AssumeOutcome::Denied { err, waited } => {
            let detail = format!(
                "still denied after waiting {}s for IAM propagation: {err}",
                waited.as_secs()
            );
            return (vec![check(name, Status::Fail, detail)], None);
        }
        AssumeOutcome::Failed(err) => {
            return (vec![check(name, Status::Fail, err.to_string())], None);
        }
    };
    let mut checks = vec![check(
        name,
        Status::Pass,
        format!("assumed with session {}", settings.session_name),
    )];
    let name = "sts:GetCallerIdentity as the role";
    match aws.caller_with(&creds).await {
        Ok(assumed) => {
            let account = role.arn.split(':').nth(4).unwrap_or_default();
            let wanted = format!(
                "arn:{}:sts::{account}:assumed-role/{}/",
                caller.partition, role.name
            );
            let status = if assumed.starts_with(&wanted) {
                Status::Pass
            } else {
                Status::Fail
            };
            checks.push(check(name, status, assumed.clone()));
            (checks, Some(assumed))
        }
        Err(err) => {
            checks.push(check(name, Status::Fail, err.to_string()));
            (checks, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;

    fn denied() -> Error {
        Error::aws(
            "assuming role R",
            Some("AccessDenied"),
            "not authorized".into(),
        )
    }

    fn caller(arn: &str) -> Caller {
        Caller::new("111122223333", arn).unwrap()
    }

    #[test]
    fn trust_decides_whether_the_caller_may_assume() {
        let vendor = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": "arn:aws:iam::300973880807:role/installer-delegation"}}]});
        let me = caller("arn:aws:iam::111122223333:user/alice");
        assert!(!caller_is_trusted(&vendor, &me));

        let account =
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}}]});
        assert!(caller_is_trusted(&account, &me));
        let root = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}]});
        assert!(caller_is_trusted(&root, &me));

        let role = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/ops/Admin"}}]});
        assert!(caller_is_trusted(
            &role,
            &caller("arn:aws:sts::111122223333:assumed-role/Admin/s1")
        ));
        assert!(!caller_is_trusted(
            &role,
            &caller("arn:aws:sts::111122223333:assumed-role/Other/s1")
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_trusted_caller_waits_for_propagation_then_assumes() {
        let calls = AtomicUsize::new(0);
        let start = tokio::time::Instant::now();
        let outcome = assume_with_wait(
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                    Err(denied())
                } else {
                    Ok("creds")
                }
            },
            true,
            Duration::from_secs(60),
        )
        .await;
        assert!(matches!(outcome, AssumeOutcome::Assumed("creds")));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        // Backoff 1 + 2 + 4 seconds of virtual time.
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_is_bounded() {
        let calls = AtomicUsize::new(0);
        let start = tokio::time::Instant::now();
        let outcome = assume_with_wait(
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(denied())
            },
            true,
            Duration::from_secs(20),
        )
        .await;
        let AssumeOutcome::Denied { waited, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(waited, Duration::from_secs(20));
        assert_eq!(start.elapsed(), Duration::from_secs(20));
        // 1 + 2 + 4 + 8 + 5 seconds: five waits, six attempts.
        assert_eq!(calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn an_untrusted_caller_is_told_at_once_and_other_errors_are_final() {
        let start = tokio::time::Instant::now();
        let outcome = assume_with_wait(
            || async { Err::<(), _>(denied()) },
            false,
            Duration::from_secs(60),
        )
        .await;
        assert!(matches!(outcome, AssumeOutcome::NotTrusted(_)));
        let calls = AtomicUsize::new(0);
        let outcome = assume_with_wait(
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(Error::aws("x", Some("InvalidClientTokenId"), "bad".into()))
            },
            true,
            Duration::from_secs(60),
        )
        .await;
        assert!(matches!(outcome, AssumeOutcome::Failed(_)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
