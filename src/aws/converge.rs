//! How a step converges, whatever its kind: the SDK retries throttling and 5xx; an answer lost
//! after IAM acted is resolved by reading back (a retried create that meets
//! `EntityAlreadyExists` adopts the resource when it is onboard's and matches: [`Aws::created`];
//! a retried removal that meets `NoSuchEntity`, or fails while the thing is gone, is done:
//! [`Aws::removed`]); calls that are not idempotent are never retried blindly
//! ([`Aws::send_unretried`]); an answer that means IAM has not propagated yet is waited out
//! ([`super::propagation`] decides which). Nothing else is retried: `AccessDenied` on a write is
//! explained, never retried. Each kind's module ([`crate::kinds`]) says which of these its steps
//! are, and how to read back.

use std::time::Duration;

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use super::Aws;
use super::errors::aws_error;
use crate::error::{Error, Result};
use crate::handoff::NewAccessKey;
use crate::kinds::Step;

/// Longest wait between attempts of onboard's own retry loops.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Whether an SDK error may have been caused by the network or a busy service, so that the
/// request may or may not have been applied: no answer, a broken answer, throttling or a 5xx.
fn is_transient<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => matches!(
            err.code(),
            Some(
                "Throttling"
                    | "ThrottlingException"
                    | "ServiceFailure"
                    | "InternalFailure"
                    | "ServiceUnavailable"
            )
        ),
        _ => false,
    }
}

impl Aws {
    fn backoff(&self, attempt: u32) -> Duration {
        self.retry
            .initial_backoff
            .saturating_mul(1 << attempt.min(6))
            .min(MAX_BACKOFF)
    }

    /// The answer to a step that changes something in place (tag, update, attach, put): as it
    /// is, since a retry of an applied change succeeds.
    pub(crate) fn changed<T>(sent: Result<T>) -> Result<Option<NewAccessKey>> {
        sent.map(|_| None)
    }

    /// The answer to a step that creates: `EntityAlreadyExists` is done when what is there is
    /// onboard's own, just as the step would have made it (`adoptable` reads it back).
    pub(crate) async fn created<S: Step, T, F, Fut>(
        &self,
        step: &S,
        sent: Result<T>,
        adoptable: F,
    ) -> Result<Option<NewAccessKey>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        let Err(err) = sent else {
            return Ok(None);
        };
        if err.aws_code() != Some("EntityAlreadyExists") {
            return Err(err);
        }
        // It exists, whatever a read just before said: read it back until IAM shows it.
        if let Some((entity, true)) = step.outcome() {
            self.propagation.exists(entity);
        }
        if adoptable().await? {
            return Ok(Self::already_done(step, &err));
        }
        Err(err)
    }

    /// The answer to a step that removes: done when IAM says the thing is not there
    /// (`NoSuchEntity`), or, after any other failure (a lost answer retried into an error, or an
    /// emulator's 500), when `gone` reads it gone.
    pub(crate) async fn removed<S: Step, T, F, Fut>(
        &self,
        step: &S,
        sent: Result<T>,
        gone: F,
    ) -> Result<Option<NewAccessKey>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        let Err(err) = sent else {
            return Ok(None);
        };
        if err.aws_code() == Some("NoSuchEntity") || gone().await? {
            return Ok(Self::already_done(step, &err));
        }
        Err(err)
    }

    /// A failed answer to a step whose effect is there after all.
    pub(crate) fn already_done<S: Step>(step: &S, err: &Error) -> Option<NewAccessKey> {
        tracing::debug!(
            "{}: {err}; already done (an earlier answer was lost)",
            step.doing()
        );
        None
    }

    /// Sends a call that is not idempotent once per attempt, without the SDK's retry. After a
    /// transient failure it waits, then `settle` looks at what IAM holds: `Some` when the lost call
    /// took effect as wanted (done), `None` to send again.
    pub(crate) async fn send_unretried<T, E, R, S, SendFut, K, SettleFut>(
        &self,
        doing: &str,
        send: S,
        settle: K,
    ) -> Result<T>
    where
        S: Fn() -> SendFut,
        SendFut: Future<Output = Result<T, SdkError<E, R>>>,
        K: Fn() -> SettleFut,
        SettleFut: Future<Output = Result<Option<T>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let mut attempt = 0;
        loop {
            match send().await {
                Ok(value) => return Ok(value),
                Err(err) if is_transient(&err) && attempt + 1 < self.retry.max_attempts => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                    if let Some(value) = settle().await? {
                        return Ok(value);
                    }
                }
                Err(err) => return Err(aws_error(doing, err)),
            }
        }
    }
}

/// A per-call override that turns the SDK's retry off.
pub(crate) fn no_retry() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled())
}

impl Aws {
    /// The IAM client, for the kinds' modules ([`crate::kinds`]), which make IAM's calls.
    pub(crate) fn iam(&self) -> &aws_sdk_iam::Client {
        &self.iam
    }

    /// Clients whose IAM and STS clients are `iam` and `sts` (answering from aws-smithy-mocks
    /// rules), whose
    /// propagation waits end after `timeout`, and whose own retry of calls that are not
    /// idempotent makes two attempts, a millisecond apart.
    #[cfg(test)]
    pub(crate) fn mocked(
        iam: aws_sdk_iam::Client,
        sts: aws_sdk_sts::Client,
        timeout: Duration,
    ) -> Aws {
        use aws_config::{BehaviorVersion, Region, SdkConfig};

        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .build();
        let retry = super::RetrySettings {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(1),
            propagation_timeout: timeout,
            key_grace: Duration::from_mins(1),
        };
        let propagation = super::Propagation::new(timeout, 1);
        let mut aws = Aws::from_config(config, retry, 8, propagation);
        aws.iam = iam;
        aws.sts = sts;
        aws
    }
}
