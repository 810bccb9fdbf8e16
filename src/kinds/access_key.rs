//! Access keys: listed with a user (never their secrets); created once per run and handed over
//! (see [`crate::handoff`]), deactivated and deleted by rotation, cleaned up when a run never
//! handed one over, deleted with their user.

use super::{Entity, Step};
use crate::aws::{Aws, Doing, no_retry};
use crate::error::{Error, Result};
use crate::handoff::NewAccessKey;
use crate::handoff::record::{KeyState, reconcile};
use crate::plan::{Action, ApplyOptions, Documents, Drift, Plan, Verb, push_key_cleanup};
use crate::state::{AccessKeyInfo, Observed, ObservedUser};
use crate::verification::Written;

/// Creates an access key for a user (not idempotent: see [`CreateAccessKey::run`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreateAccessKey {
    pub(crate) user: String,
}

/// Makes an access key inactive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeactivateAccessKey {
    pub(crate) user: String,
    pub(crate) key_id: String,
}

/// Deletes an access key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeleteAccessKey {
    pub(crate) user: String,
    pub(crate) key_id: String,
}

fn key_of(user: &str, key_id: &str) -> Vec<Entity> {
    vec![
        Entity::User(user.to_owned()),
        Entity::AccessKey(key_id.to_owned()),
    ]
}

impl Step for CreateAccessKey {
    fn record(&self, written: &mut Written) {
        // The new key's id and the hand-over record's tags are IAM's and the hand-over's: read
        // the user back.
        written.forget("user", &self.user);
    }
    fn words(&self) -> (Verb, String) {
        (Verb::Create, format!("access key for user {}", self.user))
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![Entity::User(self.user.clone())]
    }
    /// The key's id is known only from the answer: recorded by [`CreateAccessKey::run`].
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    /// CreateAccessKey is not idempotent, and a key whose answer was lost can never be handed
    /// over: after a transient failure onboard deletes any key that appeared meanwhile and tries
    /// again, so the user ends with exactly the one key it handed over.
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let user = &self.user;
        let before = aws.access_key_ids(user).await?;
        let send = || async {
            let sent = aws
                .iam()
                .create_access_key()
                .user_name(user)
                .customize()
                .config_override(no_retry());
            sent.send().await.map(|out| out.access_key)
        };
        let settle = || async {
            for lost in aws
                .access_keys(user)
                .await?
                .into_iter()
                .filter(|k| !before.contains(&k.id))
            {
                tracing::debug!(
                    "deleting access key {} of user {user}: its answer was lost",
                    lost.id
                );
                aws.iam()
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
        let key = aws
            .send_unretried(&self.doing(), send, settle)
            .await?
            .ok_or_else(|| {
                Error::aws(self.doing(), None, "the answer holds no access key".into())
            })?;
        aws.propagation()
            .exists(Entity::AccessKey(key.access_key_id.clone()));
        Ok(Some(NewAccessKey::new(
            user.to_owned(),
            key.access_key_id,
            key.secret_access_key,
        )))
    }
}

impl Step for DeactivateAccessKey {
    fn record(&self, written: &mut Written) {
        if let Some(user) = written.user_mut(&self.user) {
            for key in user.access_keys.iter_mut().filter(|k| k.id == self.key_id) {
                key.active = false;
            }
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!("access key {} of user {}", self.key_id, self.user);
        (Verb::Deactivate, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        key_of(&self.user, &self.key_id)
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .update_access_key()
            .user_name(&self.user)
            .access_key_id(&self.key_id)
            .status(aws_sdk_iam::types::StatusType::Inactive)
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for DeleteAccessKey {
    fn record(&self, written: &mut Written) {
        if let Some(user) = written.user_mut(&self.user) {
            user.access_keys.retain(|k| k.id != self.key_id);
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!("access key {} of user {}", self.key_id, self.user);
        (Verb::Delete, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        key_of(&self.user, &self.key_id)
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((Entity::AccessKey(self.key_id.clone()), false))
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .delete_access_key()
            .user_name(&self.user)
            .access_key_id(&self.key_id)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            let keys = aws.access_keys(&self.user).await?;
            Ok(!keys.iter().any(|k| k.id == self.key_id))
        })
        .await
    }
}

/// Plans a new key for `user` after the steps `after`.
pub(crate) fn plan_create(plan: &mut Plan, user: &str, after: Vec<usize>) -> usize {
    let create = CreateAccessKey {
        user: user.to_owned(),
    };
    plan.push(Action::CreateAccessKey(create), after)
}

/// Plans the deletion of key `key_id` of `user` after the steps `after`.
pub(crate) fn plan_delete(plan: &mut Plan, user: &str, key_id: &str, after: Vec<usize>) -> usize {
    let delete = DeleteAccessKey {
        user: user.to_owned(),
        key_id: key_id.to_owned(),
    };
    plan.push(Action::DeleteAccessKey(delete), after)
}

/// Keys of `user` created by onboard and never handed over are deleted first, and the record's
/// stale tags removed; returns whether the user holds a usable key (or one another run is
/// handing over), and the deletion steps a new key waits for (IAM allows two keys).
pub(crate) fn reconcile_keys(
    plan: &mut Plan,
    user: &str,
    found: &ObservedUser,
    options: ApplyOptions,
) -> (bool, Vec<usize>) {
    let reconciled = reconcile(
        &found.tags,
        &found.access_keys,
        options.now,
        options.key_grace,
    );
    let deleted = push_key_cleanup(plan, user, &reconciled);
    let mut in_flight = false;
    for (key, state) in &reconciled.keys {
        if let KeyState::InFlight(_) = state {
            in_flight = true;
            plan.drift.push(Drift::KeyInFlight {
                user: user.to_owned(),
                key_id: key.id.clone(),
            });
        }
    }
    (reconciled.has_usable_key() || in_flight, deleted)
}

impl Aws {
    /// The user's access keys, oldest first, waiting while IAM does not show a user this run
    /// knows exists.
    pub(crate) async fn access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>> {
        self.read_of_known(Entity::User(user.to_owned()), || {
            self.list_access_keys(user)
        })
        .await
    }

    /// The ids of the user's access keys, as [`Aws::access_keys`] reads them.
    pub(crate) async fn access_key_ids(&self, user: &str) -> Result<Vec<String>> {
        Ok(self
            .access_keys(user)
            .await?
            .into_iter()
            .map(|k| k.id)
            .collect())
    }

    /// The user's access keys, oldest first, but those this run deleted (a listing may show them
    /// for a while).
    pub(crate) async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>> {
        let keys = self
            .iam()
            .list_access_keys()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing access keys of user {user}"))?;
        let mut keys: Vec<AccessKeyInfo> = keys
            .iter()
            .map(|k| AccessKeyInfo {
                id: k.access_key_id().unwrap_or_default().to_owned(),
                active: k.status() == Some(&aws_sdk_iam::types::StatusType::Active),
                created: k
                    .create_date()
                    .map_or(0, aws_sdk_iam::primitives::DateTime::secs),
            })
            .collect();
        keys.retain(|k| {
            !self
                .propagation()
                .was_deleted(&Entity::AccessKey(k.id.clone()))
        });
        keys.sort_by_key(|k| k.created);
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::Client;
    use aws_sdk_iam::operation::create_access_key::CreateAccessKeyOutput;
    use aws_sdk_iam::operation::delete_access_key::DeleteAccessKeyOutput;
    use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
    use aws_sdk_iam::types::{AccessKey, AccessKeyMetadata, StatusType};
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::kinds::mocks::{self, denied, failure, no_such_entity};

    fn listing(ids: &[&str]) -> ListAccessKeysOutput {
        let keys = ids
            .iter()
            .map(|id| {
                AccessKeyMetadata::builder()
                    .user_name("U")
                    .access_key_id(*id)
                    .status(StatusType::Active)
                    .build()
            })
            .collect();
        ListAccessKeysOutput::builder()
            .set_access_key_metadata(Some(keys))
            .build()
            .expect("a listing")
    }

    fn delete() -> Action {
        Action::DeleteAccessKey(DeleteAccessKey {
            user: "U".into(),
            key_id: "AKIA1".into(),
        })
    }

    #[tokio::test]
    async fn deleting_a_key_that_is_gone_is_done() {
        let call = mock!(Client::delete_access_key).then_http_response(no_such_entity);
        mocks::aws(&[call]).execute(&delete()).await.unwrap();
        let call = || mock!(Client::delete_access_key).then_http_response(failure);
        let gone = mocks::aws(&[call(), mocks::access_keys(&[])]);
        gone.execute(&delete()).await.unwrap();
        let list = mock!(Client::list_access_keys).then_output(|| listing(&["AKIA1"]));
        let there = mocks::aws(&[call(), list]);
        assert!(there.execute(&delete()).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_whose_answer_was_lost_is_deleted_and_one_new_key_handed_over() {
        let create = mock!(Client::create_access_key)
            .sequence()
            .http_response(failure)
            .output(|| {
                let key = AccessKey::builder()
                    .user_name("U")
                    .access_key_id("AKIANEW")
                    .secret_access_key("secret")
                    .status(StatusType::Active)
                    .build()
                    .expect("a key");
                CreateAccessKeyOutput::builder().access_key(key).build()
            })
            .build();
        // Before: none. After the failed answer: the key it made after all.
        let list = mock!(Client::list_access_keys)
            .sequence()
            .output(|| listing(&[]))
            .output(|| listing(&["AKIALOST"]))
            .repeatedly()
            .build();
        let deleted = mock!(Client::delete_access_key)
            .match_requests(|r| r.access_key_id() == Some("AKIALOST"))
            .then_output(|| DeleteAccessKeyOutput::builder().build());
        let aws = mocks::aws(&[create.clone(), list, deleted.clone()]);
        let step = Action::CreateAccessKey(CreateAccessKey { user: "U".into() });
        let key = aws.execute(&step).await.unwrap().expect("a key");
        assert_eq!(key.access_key_id, "AKIANEW");
        assert_eq!((create.num_calls(), deleted.num_calls()), (2, 1));
    }

    #[tokio::test]
    async fn access_denied_is_refused() {
        let call = mock!(Client::update_access_key).then_http_response(denied);
        let aws = mocks::aws(&[call]);
        let step = Action::DeactivateAccessKey(DeactivateAccessKey {
            user: "U".into(),
            key_id: "AKIA1".into(),
        });
        let err = aws.execute(&step).await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_waits_for_a_user_the_run_created() {
        let create = mock!(Client::create_access_key)
            .sequence()
            .http_response(no_such_entity)
            .output(|| {
                let key = AccessKey::builder()
                    .user_name("U")
                    .access_key_id("AKIANEW")
                    .secret_access_key("secret")
                    .status(StatusType::Active)
                    .build()
                    .expect("a key");
                CreateAccessKeyOutput::builder().access_key(key).build()
            })
            .build();
        let aws = mocks::aws(&[create.clone(), mocks::access_keys(&[])]);
        aws.propagation().exists(Entity::User("U".into()));
        let step = Action::CreateAccessKey(CreateAccessKey { user: "U".into() });
        aws.execute(&step).await.unwrap();
        assert_eq!(create.num_calls(), 2);
        assert!(
            aws.propagation()
                .judge_missing(&Entity::AccessKey("AKIANEW".into()))
                .is_some()
        );
    }
}
