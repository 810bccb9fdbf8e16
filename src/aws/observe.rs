//! Read-only calls for apply and verify: what exists under the names the desired state uses,
//! each read as soon as its inputs exist. Each kind's module ([`crate::kinds`]) reads its kind;
//! this starts those reads and waits, through [`super::propagation`], while an answer
//! contradicts what the run knows.

use std::collections::BTreeSet;

use futures_util::future::try_join_all;

use super::propagation::{Attempt, NotYet};
use super::{Aws, Caller};
use crate::error::{Error, Result};
use crate::kinds::Entity;
pub(super) use crate::kinds::tags_of;
use crate::policy::decode_document;
use crate::state::{Desired, Observed};

/// A document IAM answered, decoded.
pub(crate) fn decode(
    what: impl FnOnce() -> String,
    text: Option<&str>,
) -> Result<serde_json::Value> {
    decode_document(text.unwrap_or_default()).map_err(|message| Error::aws(what(), None, message))
}

/// An answer that lacks the resource it should hold.
pub(crate) fn missing(doing: String) -> Error {
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
        let principals = self.observe_principals(desired);
        let policies = self.observe_policies(desired);
        let (mut observed, policies) = tokio::try_join!(principals, policies)?;
        policies.fill(&mut observed);
        Ok(observed)
    }

    /// The caller and what exists under the names `render` gives for its account. Roles,
    /// instance profiles and users are named without the account: their reads start at once,
    /// by the names of `offline` (the entry rendered for a stand-in account), beside
    /// sts:GetCallerIdentity; the policies' reads (their ARNs hold the account) start when it
    /// answers.
    pub(crate) async fn caller_and_observe<F>(
        &self,
        offline: &Desired,
        render: F,
    ) -> Result<(Caller, Desired, Observed)>
    where
        F: FnOnce(&Caller) -> Result<Desired>,
    {
        let principals = self.observe_principals(offline);
        let rest = async {
            let caller = self.caller().await?;
            let desired = render(&caller)?;
            let policies = self.observe_policies(&desired).await?;
            Ok::<_, Error>((caller, desired, policies))
        };
        let (mut observed, (caller, desired, policies)) = tokio::try_join!(principals, rest)?;
        if principal_names(offline) != principal_names(&desired) {
            // A name that holds the account (no built-in entry has one): read again by name.
            observed = self.observe_principals(&desired).await?;
        }
        policies.fill(&mut observed);
        Ok((caller, desired, observed))
    }

    /// The roles, instance profiles and users `desired` names.
    async fn observe_principals(&self, desired: &Desired) -> Result<Observed> {
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
        let (roles, profiles, users) = tokio::try_join!(roles, profiles, users)?;
        Ok(Observed {
            roles: roles.into_iter().collect(),
            instance_profiles: profiles.into_iter().collect(),
            users: users.into_iter().collect(),
            ..Observed::default()
        })
    }

    /// The managed policies and permissions boundaries `desired` names.
    async fn observe_policies(&self, desired: &Desired) -> Result<Policies> {
        let policies = read_all(&desired.policies, |p| &p.arn, |arn| self.read_policy(arn));
        let boundaries: BTreeSet<&String> = desired
            .roles
            .iter()
            .filter_map(|r| r.permissions_boundary.as_ref())
            .collect();
        let boundaries: Vec<_> = boundaries.into_iter().collect();
        let boundaries = read_all(&boundaries, |b| b, |arn| self.policy_exists(arn));
        let (policies, boundaries) = tokio::try_join!(policies, boundaries)?;
        Ok(Policies {
            policies,
            boundaries,
        })
    }

    /// `read` (`None`: IAM answered `NoSuchEntity`), made again while its answer contradicts what
    /// this run knows of `entity` (see [`super::propagation`]): missing though it exists, or
    /// `stale`. What it finds, the run knows exists.
    pub(crate) async fn read_known<T, F, Fut>(
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
    pub(crate) async fn read_of_known<T, F, Fut>(&self, entity: Entity, read: F) -> Result<T>
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
}

/// What [`Aws::observe`] read of policies, to go into the [`Observed`] of the rest.
struct Policies {
    policies: Vec<(String, Option<crate::state::ObservedPolicy>)>,
    boundaries: Vec<(String, bool)>,
}

impl Policies {
    fn fill(self, observed: &mut Observed) {
        observed.policies = self.policies.into_iter().collect();
        observed.boundaries = self.boundaries.into_iter().collect();
    }
}

/// The names of the roles (with whether each has an instance profile) and users of `desired`.
fn principal_names(desired: &Desired) -> (Vec<(&str, bool)>, Vec<&str>) {
    (
        desired
            .roles
            .iter()
            .map(|r| (r.name.as_str(), r.instance_profile))
            .collect(),
        desired.users.iter().map(|u| u.name.as_str()).collect(),
    )
}
