//! Read-only calls for apply and verify: what exists under the names the desired state uses.

use std::collections::BTreeSet;

use futures_util::future::try_join_all;

use super::Aws;
use super::errors::{Doing, is_code};
use super::propagation::{Attempt, Entity, NotYet};
use crate::error::{Error, Result};
use crate::plan::name_of;
use crate::policy::decode_document;
use crate::state::{
    AccessKeyInfo, Desired, Observed, ObservedInstanceProfile, ObservedPolicy, ObservedRole,
    ObservedUser, Tags,
};

pub(super) fn tags_of(tags: &[aws_sdk_iam::types::Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn decode(what: impl FnOnce() -> String, text: Option<&str>) -> Result<serde_json::Value> {
    decode_document(text.unwrap_or_default()).map_err(|message| Error::aws(what(), None, message))
}

fn missing(doing: String) -> Error {
    Error::aws(doing, None, "the answer holds no resource".to_owned())
}

/// Runs `read` for every item at once, keyed by `key`.
async fn read_all<'a, T, K, V, F, Fut>(items: &'a [T], key: K, read: F) -> Result<Vec<(String, V)>>
where
    K: Fn(&'a T) -> &'a String,
    F: Fn(&'a String) -> Fut,
    Fut: Future<Output = Result<V>>,
{
    try_join_all(items.iter().map(|item| {
        let key = key(item);
        let read = read(key);
        async move { Ok((key.clone(), read.await?)) }
    }))
    .await
}

impl Aws {
    /// Reads every policy, role, instance profile, user and permissions boundary the desired
    /// state names, all at once.
    pub(crate) async fn observe(&self, desired: &Desired) -> Result<Observed> {
        let policies = read_all(&desired.policies, |p| &p.arn, |arn| self.read_policy(arn));
        let roles = read_all(&desired.roles, |r| &r.name, |name| self.read_role(name));
        let profiles: Vec<_> = desired
            .roles
            .iter()
            .filter(|r| r.instance_profile)
            .collect();
        let profiles = read_all(
            &profiles,
            |r| &r.name,
            |name| self.read_instance_profile(name),
        );
        let users = read_all(&desired.users, |u| &u.name, |name| self.read_user(name));
        let boundaries: BTreeSet<&String> = desired
            .roles
            .iter()
            .filter_map(|r| r.permissions_boundary.as_ref())
            .collect();
        let boundaries: Vec<_> = boundaries.into_iter().collect();
        let boundaries = read_all(&boundaries, |b| b, |arn| self.policy_exists(arn));
        let (policies, roles, profiles, users, boundaries) =
            tokio::try_join!(policies, roles, profiles, users, boundaries)?;
        Ok(Observed {
            policies: policies.into_iter().collect(),
            roles: roles.into_iter().collect(),
            boundaries: boundaries.into_iter().collect(),
            instance_profiles: profiles.into_iter().collect(),
            users: users.into_iter().collect(),
        })
    }

    /// `read` (`None`: IAM answered `NoSuchEntity`), made again while its answer contradicts what
    /// this run knows of `entity` (see [`super::propagation`]): missing though it exists, or
    /// `stale`. What it finds, the run knows exists.
    pub(super) async fn read_known<T, F, Fut>(
        &self,
        entity: Entity,
        read: F,
        stale: impl Fn(&T) -> Option<NotYet>,
    ) -> Result<Option<T>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let propagation = &self.propagation;
        let found = propagation
            .until(|| async {
                let (reason, err) = match read().await {
                    Ok(Some(found)) => match stale(&found) {
                        Some(reason) => {
                            let err = Error::aws(
                                format!("reading {entity}"),
                                None,
                                format!("IAM still shows what was there before: {reason}"),
                            );
                            (Some(reason), err)
                        }
                        None => return Attempt::Done(Ok(Some(found))),
                    },
                    Ok(None) => {
                        let err = Error::aws(
                            format!("reading {entity}"),
                            Some("NoSuchEntity"),
                            "not found".into(),
                        );
                        match propagation.judge_missing(&entity) {
                            None => return Attempt::Done(Ok(None)),
                            reason => (reason, err),
                        }
                    }
                    Err(err) if err.aws_code() == Some("NoSuchEntity") => {
                        (propagation.judge_missing(&entity), err)
                    }
                    Err(err) => return Attempt::Done(Err(err)),
                };
                match reason {
                    Some(reason) => Attempt::NotYet(reason, err),
                    None => Attempt::Done(Err(err)),
                }
            })
            .await?;
        if found.is_some() {
            propagation.exists(entity);
        }
        Ok(found)
    }

    /// `read`, made again while it answers `NoSuchEntity` for an entity this run knows exists.
    pub(super) async fn read_of_known<T, F, Fut>(&self, entity: Entity, read: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let propagation = &self.propagation;
        propagation
            .until(|| async {
                match read().await {
                    Err(err) if err.aws_code() == Some("NoSuchEntity") => {
                        match propagation.judge_missing(&entity) {
                            Some(reason) => Attempt::NotYet(reason, err),
                            None => Attempt::Done(Err(err)),
                        }
                    }
                    other => Attempt::Done(other),
                }
            })
            .await
    }

    /// Whether a managed policy exists (one GetPolicy call).
    pub(super) async fn policy_exists(&self, arn: &str) -> Result<bool> {
        match self.iam.get_policy().policy_arn(arn).send().await {
            Ok(_) => Ok(true),
            Err(err) if is_code(&err, "NoSuchEntity") => Ok(false),
            Err(err) => Err(err).doing(|| format!("reading policy {arn}")),
        }
    }

    /// A managed policy with its tags and default version's document; `None` if there is none.
    pub(crate) async fn read_policy(&self, arn: &str) -> Result<Option<ObservedPolicy>> {
        self.read_known(
            Entity::Policy(arn.to_owned()),
            || self.read_policy_once(arn),
            |found| {
                self.propagation
                    .judge_default(arn, &found.default_version_id)
            },
        )
        .await
    }

    async fn read_policy_once(&self, arn: &str) -> Result<Option<ObservedPolicy>> {
        let name = name_of(arn);
        let policy = match self.iam.get_policy().policy_arn(arn).send().await {
            Ok(out) => out
                .policy
                .ok_or_else(|| missing(format!("reading policy {name}")))?,
            Err(err) if is_code(&err, "NoSuchEntity") => return Ok(None),
            Err(err) => return Err(err).doing(|| format!("reading policy {name}")),
        };
        self.propagation.exists(Entity::Policy(arn.to_owned()));
        let version_id = policy.default_version_id().unwrap_or("v1").to_owned();
        let version = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version_id)
            .send();
        let versions = self.iam.list_policy_versions().policy_arn(arn).send();
        let (version, versions) = tokio::join!(version, versions);
        let version = version.doing(|| format!("reading version {version_id} of policy {name}"))?;
        let versions = versions.doing(|| format!("listing versions of policy {name}"))?;
        let document = decode(
            || format!("decoding version {version_id} of policy {name}"),
            version.policy_version().and_then(|v| v.document()),
        )?;
        let mut others: Vec<_> = versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        others.sort_by_key(|v| {
            v.create_date()
                .map_or(0, aws_sdk_iam::primitives::DateTime::secs)
        });
        Ok(Some(ObservedPolicy {
            arn: arn.to_owned(),
            tags: tags_of(policy.tags()),
            default_version_id: version_id,
            document,
            other_versions: others
                .iter()
                .filter_map(|v| v.version_id().map(str::to_owned))
                .collect(),
        }))
    }

    /// A role with its tags, decoded trust policy, attached policies and instance profiles;
    /// `None` if there is none.
    pub(crate) async fn read_role(&self, name: &str) -> Result<Option<ObservedRole>> {
        let entity = Entity::Role(name.to_owned());
        self.read_known(entity, || self.read_role_once(name), |_| None)
            .await
    }

    async fn read_role_once(&self, name: &str) -> Result<Option<ObservedRole>> {
        let role = self.iam.get_role().role_name(name).send();
        let attached = self.attached_role_policies(name);
        let profiles = self
            .iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let inline = self.inline_role_policies(name);
        let (role, attached, profiles, inline) = tokio::join!(role, attached, profiles, inline);
        let role = match role {
            Ok(out) => out
                .role
                .ok_or_else(|| missing(format!("reading role {name}")))?,
            Err(err) if is_code(&err, "NoSuchEntity") => return Ok(None),
            Err(err) => return Err(err).doing(|| format!("reading role {name}")),
        };
        self.propagation.exists(Entity::Role(name.to_owned()));
        let trust = decode(
            || format!("decoding the trust policy of role {name}"),
            role.assume_role_policy_document(),
        )?;
        let profiles = profiles.doing(|| format!("listing instance profiles of role {name}"))?;
        Ok(Some(ObservedRole {
            name: name.to_owned(),
            arn: role.arn().to_owned(),
            tags: tags_of(role.tags()),
            trust,
            attached: attached?,
            instance_profiles: profiles
                .iter()
                .map(|p| p.instance_profile_name().to_owned())
                .collect(),
            max_session_duration: role.max_session_duration().unwrap_or(3600),
            permissions_boundary: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_owned),
            inline_policies: inline?,
        }))
    }

    /// A role's inline policies by name, documents decoded; none for a role that is gone.
    async fn inline_role_policies(
        &self,
        role: &str,
    ) -> Result<std::collections::BTreeMap<String, serde_json::Value>> {
        // A role that does not exist is told by GetRole, read beside this; a NoSuchEntity here
        // for a role GetRole found means IAM has not propagated it yet.
        let names: Vec<String> = self
            .iam
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing inline policies of role {role}"))?;
        let reads = names.iter().map(|name| async move {
            let out = self
                .iam
                .get_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
                .doing(|| format!("reading inline policy {name} of role {role}"))?;
            let document = decode(
                || format!("decoding inline policy {name} of role {role}"),
                Some(out.policy_document()),
            )?;
            Ok::<_, Error>((name.clone(), document))
        });
        futures_util::future::try_join_all(reads)
            .await
            .map(|pairs| pairs.into_iter().collect())
    }

    pub(super) async fn attached_role_policies(&self, role: &str) -> Result<Vec<String>> {
        let attached = self
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing policies attached to role {role}"))?;
        Ok(attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect())
    }

    /// An instance profile with its tags and roles; `None` if there is none.
    pub(crate) async fn read_instance_profile(
        &self,
        name: &str,
    ) -> Result<Option<ObservedInstanceProfile>> {
        let entity = Entity::InstanceProfile(name.to_owned());
        self.read_known(entity, || self.read_instance_profile_once(name), |_| None)
            .await
    }

    async fn read_instance_profile_once(
        &self,
        name: &str,
    ) -> Result<Option<ObservedInstanceProfile>> {
        match self
            .iam
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
        {
            Ok(out) => {
                let profile = out
                    .instance_profile
                    .ok_or_else(|| missing(format!("reading instance profile {name}")))?;
                Ok(Some(ObservedInstanceProfile {
                    tags: tags_of(profile.tags()),
                    roles: profile
                        .roles()
                        .iter()
                        .map(|r| r.role_name().to_owned())
                        .collect(),
                }))
            }
            Err(err) if is_code(&err, "NoSuchEntity") => Ok(None),
            Err(err) => Err(err).doing(|| format!("reading instance profile {name}")),
        }
    }

    /// A user with its tags, attached policies and access keys; `None` if there is none.
    pub(crate) async fn read_user(&self, name: &str) -> Result<Option<ObservedUser>> {
        let entity = Entity::User(name.to_owned());
        self.read_known(entity, || self.read_user_once(name), |_| None)
            .await
    }

    async fn read_user_once(&self, name: &str) -> Result<Option<ObservedUser>> {
        let user = self.iam.get_user().user_name(name).send();
        let attached = self.attached_user_policies(name);
        let keys = self.list_access_keys(name);
        let (user, attached, keys) = tokio::join!(user, attached, keys);
        let user = match user {
            Ok(out) => out
                .user
                .ok_or_else(|| missing(format!("reading user {name}")))?,
            Err(err) if is_code(&err, "NoSuchEntity") => return Ok(None),
            Err(err) => return Err(err).doing(|| format!("reading user {name}")),
        };
        self.propagation.exists(Entity::User(name.to_owned()));
        Ok(Some(ObservedUser {
            name: name.to_owned(),
            arn: user.arn().to_owned(),
            tags: tags_of(user.tags()),
            attached: attached?,
            access_keys: keys?,
        }))
    }

    pub(super) async fn attached_user_policies(&self, user: &str) -> Result<Vec<String>> {
        let attached = self
            .iam
            .list_attached_user_policies()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing policies attached to user {user}"))?;
        Ok(attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect())
    }

    /// The user's access keys, oldest first, waiting while IAM does not show a user this run
    /// knows exists.
    pub(crate) async fn access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>> {
        self.read_of_known(Entity::User(user.to_owned()), || {
            self.list_access_keys(user)
        })
        .await
    }

    /// The user's access keys, oldest first, but those this run deleted (a listing may show them
    /// for a while).
    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>> {
        let keys = self
            .iam
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
                .propagation
                .was_deleted(&Entity::AccessKey(k.id.clone()))
        });
        keys.sort_by_key(|k| k.created);
        Ok(keys)
    }
}
