//! The sts:AssumeRole check: who may assume a role, waiting for IAM propagation only when the
//! caller is trusted, and sts:GetCallerIdentity with the temporary credentials.

use std::future::Future;

use serde_json::Value;

use super::{Check, Status, check};
use crate::arn::Arn;
use crate::aws::{AssumedCredentials, Attempt, Aws, Caller, NotYet, Propagation};
use crate::error::{Error, Result};
use crate::policy::trust::{AwsPrincipal, Principal, Request, evaluate};
use crate::policy::trusted_aws_principals;
use crate::state::ObservedRole;

/// What the sts:AssumeRole check uses.
#[derive(Debug, Clone)]
pub(crate) struct AssumeSettings {
    pub session_name: String,
    pub external_id: Option<String>,
}

/// How the assume-role attempts ended.
#[derive(Debug)]
pub(crate) enum AssumeOutcome<T> {
    Assumed(T),
    /// `AccessDenied`, and the caller is not trusted: what a correct setup shows.
    NotTrusted,
    /// `AccessDenied` although the caller is trusted, still at the run's propagation deadline.
    Denied(Error),
    Failed(Error),
}

/// Calls `attempt` until it succeeds. `AccessDenied` is waited out (up to the run's propagation
/// deadline) only when the caller is trusted, since then it means IAM has not propagated the
/// role yet; any other error is final.
pub(crate) async fn assume_with_wait<T, F, Fut>(
    propagation: &Propagation,
    role: &str,
    mut attempt: F,
    trusted: bool,
) -> AssumeOutcome<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let result = propagation
        .until(|| {
            let attempt = attempt();
            async move {
                match attempt.await {
                    Err(err) if trusted && err.aws_code() == Some("AccessDenied") => {
                        Attempt::NotYet(NotYet::NotAssumable(role.to_owned()), err)
                    }
                    other => Attempt::Done(other),
                }
            }
        })
        .await;
    match result {
        Ok(value) => AssumeOutcome::Assumed(value),
        Err(err @ Error::NotPropagated { .. }) => AssumeOutcome::Denied(err),
        Err(err) if err.aws_code() == Some("AccessDenied") => AssumeOutcome::NotTrusted,
        Err(err) => AssumeOutcome::Failed(err),
    }
}

/// Whether the trust policy lets the caller assume the role with `external_id`, by the trust
/// evaluator: named (or its role, for an assumed-role session), through its account, or as
/// everyone, with the conditions onboard models. Only a trusted caller's `AccessDenied` is worth
/// waiting out as IAM propagation. A caller or a policy the evaluator cannot judge (a federated
/// user, a condition it does not model) counts as trusted: a wait too many beats a failure
/// reported as expected.
pub(crate) fn caller_is_trusted(trust: &Value, caller: &Caller, external_id: Option<&str>) -> bool {
    let Some(principal) = AwsPrincipal::parse(&caller.arn) else {
        return true;
    };
    let request = Request {
        principal: Principal::Aws(principal),
        external_id: external_id.map(str::to_owned),
    };
    evaluate(trust, &request).allows().unwrap_or(true)
}

/// The first sts:AssumeRole of a role, made ahead of its checks (while the role was read, or
/// while apply read the account), and the sts:GetCallerIdentity made with its credentials when
/// it succeeded, if that was made too.
#[derive(Debug)]
pub(crate) struct FirstAssume {
    pub(crate) creds: Result<AssumedCredentials>,
    pub(crate) identity: Option<Result<String>>,
}

impl FirstAssume {
    /// sts:AssumeRole of `arn`, then (when it succeeds) sts:GetCallerIdentity as the role.
    pub(crate) async fn both(aws: &Aws, arn: &str, settings: &AssumeSettings) -> FirstAssume {
        let creds = aws
            .assume_role(arn, &settings.session_name, settings.external_id.as_deref())
            .await;
        let identity = match &creds {
            Ok(creds) => Some(aws.caller_with(creds).await),
            Err(_) => None,
        };
        FirstAssume { creds, identity }
    }
}

impl From<Result<AssumedCredentials>> for FirstAssume {
    fn from(creds: Result<AssumedCredentials>) -> Self {
        FirstAssume {
            creds,
            identity: None,
        }
    }
}

/// sts:AssumeRole (waiting for propagation where that makes sense), then sts:GetCallerIdentity
/// with the temporary credentials. `first` is the first attempt, made ahead so that it does not
/// wait for the reads; its identity serves when that first attempt is the one that succeeded.
pub(super) async fn assume(
    aws: &Aws,
    role: &ObservedRole,
    caller: &Caller,
    settings: &AssumeSettings,
    first: FirstAssume,
) -> (Vec<Check>, Option<String>) {
    let FirstAssume {
        creds: first,
        identity: mut first_identity,
    } = first;
    if first.is_err() {
        first_identity = None;
    }
    let trusted = caller_is_trusted(&role.trust, caller, settings.external_id.as_deref());
    let mut first = Some(first);
    let attempt = || {
        let first = first.take();
        async move {
            match first {
                Some(result) => result,
                None => {
                    aws.assume_role(
                        &role.arn,
                        &settings.session_name,
                        settings.external_id.as_deref(),
                    )
                    .await
                }
            }
        }
    };
    let name = "sts:AssumeRole";
    let creds = match assume_with_wait(aws.propagation(), &role.name, attempt, trusted).await {
        AssumeOutcome::Assumed(creds) => creds,
        AssumeOutcome::NotTrusted => {
            let detail = format!(
                "AccessDenied, as expected: the trust policy does not let the caller {} assume the \
                 role (its principals: {}; conditions and Deny statements count too)",
                caller.arn,
                trusted_aws_principals(&role.trust).join(", ")
            );
            return (vec![check(name, Status::Expected, detail)], None);
        }
        AssumeOutcome::Denied(err) => {
            let detail = crate::error::one_line(&anyhow::Error::from(err));
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
    let identity = match first_identity {
        Some(identity) => identity,
        None => aws.caller_with(&creds).await,
    };
    match identity {
        Ok(assumed) => {
            let account = Arn::parse(&role.arn).map_or("", |arn| arn.account());
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
    use std::time::Duration;

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
        let trust = |principal: &str| {
            json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"AWS": principal}}]})
        };
        let me = caller("arn:aws:iam::111122223333:user/alice");
        let vendor = trust("arn:aws:iam::300973880807:role/installer-delegation");
        assert!(!caller_is_trusted(&vendor, &me, None));
        assert!(caller_is_trusted(&trust("111122223333"), &me, None));
        let root = trust("arn:aws:iam::111122223333:root");
        assert!(caller_is_trusted(&root, &me, None));

        let role = trust("arn:aws:iam::111122223333:role/ops/Admin");
        let admin = caller("arn:aws:sts::111122223333:assumed-role/Admin/s1");
        assert!(caller_is_trusted(&role, &admin, None));
        let other = caller("arn:aws:sts::111122223333:assumed-role/Other/s1");
        assert!(!caller_is_trusted(&role, &other, None));

        // Named, but only with the external ID: without it AccessDenied is no propagation delay.
        let with_id = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Condition": {"StringEquals": {"sts:ExternalId": "xid"}}}]});
        assert!(caller_is_trusted(&with_id, &me, Some("xid")));
        assert!(!caller_is_trusted(&with_id, &me, Some("other")));
        assert!(!caller_is_trusted(&with_id, &me, None));
        // An explicit Deny wins.
        let denied = json!({"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "111122223333"}},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}}]});
        assert!(!caller_is_trusted(&denied, &me, None));

        // What the evaluator cannot judge counts as trusted.
        let federated = caller("arn:aws:sts::111122223333:federated-user/bob");
        assert!(caller_is_trusted(&vendor, &federated, None));
        let unmodeled = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": "111122223333"},
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]});
        assert!(caller_is_trusted(&unmodeled, &me, None));
    }

    fn propagation(timeout: u64) -> Propagation {
        Propagation::new(Duration::from_secs(timeout), 7)
    }

    #[tokio::test(start_paused = true)]
    async fn a_trusted_caller_waits_for_propagation_then_assumes() {
        let calls = AtomicUsize::new(0);
        let start = tokio::time::Instant::now();
        let propagation = propagation(60);
        let outcome = assume_with_wait(
            &propagation,
            "R",
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                    Err(denied())
                } else {
                    Ok("creds")
                }
            },
            true,
        )
        .await;
        assert!(matches!(outcome, AssumeOutcome::Assumed("creds")));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        // Pauses of 0.1-0.2, 0.2-0.4 and 0.25-0.5 s of virtual time: short, as propagation is.
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(550) && waited <= Duration::from_millis(1100),
            "{waited:?}"
        );
        let waits = propagation.waits();
        assert_eq!(waits.count, 1);
        assert!((waits.seconds - waited.as_secs_f64()).abs() < 0.01);
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_is_bounded_by_the_runs_deadline() {
        let calls = AtomicUsize::new(0);
        let start = tokio::time::Instant::now();
        let outcome = assume_with_wait(
            &propagation(20),
            "R",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(denied())
            },
            true,
        )
        .await;
        let AssumeOutcome::Denied(err) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            err.to_string()
                .contains("IAM did not propagate role R to be assumable within 20 s"),
            "{err}"
        );
        assert_eq!(start.elapsed(), Duration::from_secs(20));
        // Pauses capped at 0.5 s: two to four attempts a second, never a long sleep.
        let calls = calls.load(Ordering::SeqCst);
        assert!((40..=85).contains(&calls), "{calls} attempts");
    }

    #[tokio::test(start_paused = true)]
    async fn an_untrusted_caller_is_told_at_once_and_other_errors_are_final() {
        let start = tokio::time::Instant::now();
        let propagation = propagation(60);
        let outcome = assume_with_wait(
            &propagation,
            "R",
            || async { Err::<(), _>(denied()) },
            false,
        )
        .await;
        assert!(matches!(outcome, AssumeOutcome::NotTrusted));
        let calls = AtomicUsize::new(0);
        let outcome = assume_with_wait(
            &propagation,
            "R",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(Error::aws("x", Some("InvalidClientTokenId"), "bad".into()))
            },
            true,
        )
        .await;
        assert!(matches!(outcome, AssumeOutcome::Failed(_)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(propagation.waits().count, 0);
    }
}
