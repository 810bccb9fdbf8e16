//! Executing a step so that it converges: the SDK retries throttling and 5xx; an answer lost
//! after IAM acted is resolved by reading back (a retried create that meets `EntityAlreadyExists`
//! adopts the resource when it is onboard's and matches; a retried delete that meets
//! `NoSuchEntity` is done); calls that are not idempotent are never retried blindly; an answer
//! that means IAM has not propagated yet is waited out ([`super::propagation`] decides which).
//! Nothing else is retried: `AccessDenied` on a write is explained, never retried.

use std::time::Duration;

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use super::Aws;
use super::errors::{Doing, aws_error, refusal};
use super::propagation::{Attempt, Entity, NotYet, depends_on, outcome};
use crate::error::{Error, Result};
use crate::handoff::NewAccessKey;
use crate::plan::Action;
use crate::policy::same_document;
use crate::state::{RESOURCE_TAG, is_owned};

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

    /// Makes the write call `action` stands for, converging as the module says; a new access key
    /// comes back (and only there) for the caller to hand over.
    pub(crate) async fn execute(&self, action: &Action) -> Result<Option<NewAccessKey>> {
        let result = self
            .propagation
            .until(|| async {
                let result = self.execute_once(action).await;
                let Err(err) = result else {
                    return Attempt::Done(result);
                };
                match self.not_yet(action, &err).await {
                    Ok(Some(reason)) => Attempt::NotYet(reason, err),
                    Ok(None) => Attempt::Done(Err(err)),
                    Err(read) => Attempt::Done(Err(read)),
                }
            })
            .await;
        match result {
            Ok(key) => {
                if let Some((entity, created)) = outcome(action) {
                    if created {
                        self.propagation.exists(entity);
                    } else {
                        self.propagation.deleted(entity);
                    }
                }
                tracing::info!("{}", action.done());
                Ok(key)
            }
            Err(err) => Err(refusal(action, err)),
        }
    }

    /// The one attempt of a step.
    async fn execute_once(&self, action: &Action) -> Result<Option<NewAccessKey>> {
        match action {
            Action::CreatePolicyVersion {
                policy_arn,
                document,
                known_versions,
            } => self
                .create_default_version(action, policy_arn, document, known_versions)
                .await
                .map(|()| None),
            Action::CreateAccessKey { user } => {
                let key = self.create_access_key(action, user).await?;
                self.propagation
                    .exists(Entity::AccessKey(key.access_key_id.clone()));
                Ok(Some(key))
            }
            _ => self.converge(action).await.map(|()| None),
        }
    }

    /// Whether `err`, the answer to `action`, means IAM has not propagated yet. A `NoSuchEntity`
    /// that may be about a policy the run knows nothing of (an AWS managed policy, a boundary)
    /// is final when that policy does not exist.
    async fn not_yet(&self, action: &Action, err: &Error) -> Result<Option<NotYet>> {
        let Some(reason) = self.propagation.judge(action, err) else {
            return Ok(None);
        };
        if let NotYet::Missing(_) = reason {
            for dependency in depends_on(action) {
                if let Entity::Policy(arn) = &dependency
                    && self.propagation.judge_missing(&dependency).is_none()
                {
                    if !self.policy_exists(arn).await? {
                        return Ok(None);
                    }
                    self.propagation.exists(dependency);
                }
            }
        }
        Ok(Some(reason))
    }

    /// One idempotent call (with the SDK's retry), and the answers a retry of an applied call
    /// gets, resolved by reading back.
    async fn converge(&self, action: &Action) -> Result<()> {
        let Err(err) = self.call(action).await else {
            return Ok(());
        };
        let resolved = match (err.aws_code(), action) {
            (
                Some("LimitExceeded"),
                Action::AddRoleToInstanceProfile {
                    role,
                    instance_profile,
                },
            ) => self
                .read_instance_profile(instance_profile)
                .await?
                .is_some_and(|p| p.roles.contains(role)),
            (Some("NoSuchEntity"), _) if action.is_removal() => true,
            // Any other failure of a removal (a lost answer retried into an error, or an
            // emulator's 500) is done when the thing is gone.
            _ if action.is_removal() => self.already_gone(action).await?,
            // It exists, whatever a read just before said: read it back until IAM shows it.
            (Some("EntityAlreadyExists"), _) => {
                if let Some((entity, true)) = outcome(action) {
                    self.propagation.exists(entity);
                }
                self.adoptable(action).await?
            }

            _ => false,
        };
        if resolved {
            tracing::debug!(
                "{}: {err}; already done (an earlier answer was lost)",
                action.doing()
            );
            Ok(())
        } else {
            Err(err)
        }
    }

    /// Whether what a removal removes is gone already.
    async fn already_gone(&self, action: &Action) -> Result<bool> {
        Ok(match action {
            Action::DetachRolePolicy { role, policy_arn } => match self.read_role(role).await? {
                Some(found) => !found.attached.contains(policy_arn),
                None => true,
            },
            Action::DetachUserPolicy { user, policy_arn } => match self.read_user(user).await? {
                Some(found) => !found.attached.contains(policy_arn),
                None => true,
            },
            Action::DeletePolicyVersion {
                policy_arn,
                version_id,
            } => match self.read_policy(policy_arn).await? {
                Some(found) => {
                    found.default_version_id != *version_id
                        && !found.other_versions.contains(version_id)
                }
                None => true,
            },
            Action::DeletePolicy { policy_arn } => self.read_policy(policy_arn).await?.is_none(),
            Action::RemoveRoleFromInstanceProfile {
                role,
                instance_profile,
            } => self
                .read_instance_profile(instance_profile)
                .await?
                .is_none_or(|p| !p.roles.contains(role)),
            Action::DeleteInstanceProfile { name } => {
                self.read_instance_profile(name).await?.is_none()
            }
            Action::DeleteAccessKey { user, key_id } => !self
                .access_keys(user)
                .await?
                .iter()
                .any(|k| &k.id == key_id),
            Action::DeleteRole { role } => self.read_role(role).await?.is_none(),
            Action::DeleteUser { user } => self.read_user(user).await?.is_none(),
            _ => false,
        })
    }

    /// Whether what a create meets is onboard's own, just as the step would have made it.
    async fn adoptable(&self, action: &Action) -> Result<bool> {
        let id_of = |tags: &crate::state::Tags| tags.get(RESOURCE_TAG).cloned();
        Ok(match action {
            Action::CreatePolicy(p) => self.read_policy(&p.arn).await?.is_some_and(|found| {
                is_owned(&found.tags)
                    && id_of(&found.tags) == Some(p.id.clone())
                    && same_document(&found.document, &p.document)
            }),
            Action::CreateRole(r) => self.read_role(&r.name).await?.is_some_and(|found| {
                is_owned(&found.tags)
                    && id_of(&found.tags) == Some(r.id.clone())
                    && same_document(&found.trust, &r.trust)
            }),
            Action::CreateInstanceProfile { name, .. } => self
                .read_instance_profile(name)
                .await?
                .is_some_and(|found| is_owned(&found.tags)),
            Action::CreateUser(u) => self.read_user(&u.name).await?.is_some_and(|found| {
                is_owned(&found.tags) && id_of(&found.tags) == Some(u.id.clone())
            }),
            _ => false,
        })
    }

    /// Sends a call that is not idempotent once per attempt, without the SDK's retry. After a
    /// transient failure it waits, then `settle` looks at what IAM holds: `Some` when the lost call
    /// took effect as wanted (done), `None` to send again.
    async fn send_unretried<T, E, R, S, SendFut, K, SettleFut>(
        &self,
        action: &Action,
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
                Err(err) => return Err(aws_error(action.doing(), err)),
            }
        }
    }

    /// CreatePolicyVersion is not idempotent (a blind retry adds a second version): after a
    /// transient failure onboard reads the policy, and is done when its default version already
    /// holds the document. The new default version's id comes back when IAM said it.
    pub(super) async fn create_policy_version(
        &self,
        action: &Action,
        arn: &str,
        document: &serde_json::Value,
    ) -> Result<Option<String>> {
        let send = || async {
            self.iam
                .create_policy_version()
                .policy_arn(arn)
                .policy_document(document.to_string())
                .set_as_default(true)
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map(|out| out.policy_version.and_then(|v| v.version_id))
        };
        let settle = || async {
            let found = self.read_policy(arn).await?;
            Ok(found
                .filter(|p| same_document(&p.document, document))
                .map(|p| Some(p.default_version_id)))
        };
        self.send_unretried(action, send, settle).await
    }

    /// CreateAccessKey is not idempotent either, and a key whose answer was lost can never be
    /// handed over: after a transient failure onboard deletes any key that appeared meanwhile
    /// and tries again, so the user ends with exactly the one key it handed over.
    async fn create_access_key(&self, action: &Action, user: &str) -> Result<NewAccessKey> {
        let before: Vec<String> = self
            .access_keys(user)
            .await?
            .into_iter()
            .map(|k| k.id)
            .collect();
        let send = || async {
            let sent = self
                .iam
                .create_access_key()
                .user_name(user)
                .customize()
                .config_override(no_retry());
            sent.send().await.map(|out| out.access_key)
        };
        let settle = || async {
            for lost in self
                .access_keys(user)
                .await?
                .into_iter()
                .filter(|k| !before.contains(&k.id))
            {
                tracing::debug!(
                    "deleting access key {} of user {user}: its answer was lost",
                    lost.id
                );
                self.iam
                    .delete_access_key()
                    .user_name(user)
                    .access_key_id(&lost.id)
                    .send()
                    .await
                    .doing(|| {
                        format!(
                            "deleting access key {} of user {user}, whose answer was lost",
                            lost.id
                        )
                    })?;
            }
            Ok(None)
        };
        let key = self
            .send_unretried(action, send, settle)
            .await?
            .ok_or_else(|| {
                Error::aws(
                    action.doing(),
                    None,
                    "the answer holds no access key".into(),
                )
            })?;
        Ok(NewAccessKey::new(
            user.to_owned(),
            key.access_key_id,
            key.secret_access_key,
        ))
    }
}

/// A per-call override that turns the SDK's retry off.
fn no_retry() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled())
}
