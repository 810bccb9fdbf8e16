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
use crate::kinds::managed_policy::{Listing, common_path};
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
        let policies = self.observe_policies(desired, None);
        let (mut observed, policies) = tokio::try_join!(principals, policies)?;
        policies.fill(&mut observed);
        Ok(observed)
    }

    /// The caller and what exists under the names `render` gives for its account. Roles,
    /// instance profiles and users are named without the account: their reads start at once,
    /// by the names of `offline` (the entry rendered for a stand-in account), beside
    /// sts:GetCallerIdentity and one listing of the policies; the policies' reads (their ARNs
    /// hold the account) start when it answers. `render` also gets the names of the roles
    /// found, which arrive beside the caller.
    pub(crate) async fn caller_and_observe<F>(
        &self,
        offline: &Desired,
        render: F,
    ) -> Result<(Caller, Desired, Observed)>
    where
        F: FnOnce(&Caller, RolesFound) -> Result<Desired>,
    {
        let (found, roles_found) = tokio::sync::watch::channel(None);
        let roles_found = RolesFound(roles_found);
        let principals = async {
            let observed = self.observe_principals(offline).await;
            if let Ok(observed) = &observed {
                let names = observed.roles.iter().filter(|(_, r)| r.is_some());
                found.send_replace(Some(names.map(|(name, _)| name.clone()).collect()));
            }
            // A failed read drops the sender: the roles found are never known.
            drop(found);
            observed
        };
        // Unless the account is known, one listing of the policies runs beside the caller too:
        // the policies it does not show need no read once the account names them.
        let listing = async {
            if self.account.is_some() || offline.policies.is_empty() {
                return None;
            }
            Box::pin(self.list_local_policies(&common_path(&offline.policies))).await
        };
        let rest = async {
            let (caller, listing) = tokio::join!(self.caller(), listing);
            let caller = caller?;
            let desired = render(&caller, roles_found)?;
            let policies = self.observe_policies(&desired, listing.as_ref()).await?;
            Ok::<_, Error>((caller, desired, policies))
        };
        // The caller's failure (no credentials, say) is the one to tell, whichever came first.
        let (principals, rest) = tokio::join!(principals, rest);
        let (caller, desired, policies) = rest?;
        let mut observed = principals?;
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

    /// The managed policies and permissions boundaries `desired` names (with what `listing`
    /// showed of them).
    async fn observe_policies(
        &self,
        desired: &Desired,
        listing: Option<&Listing>,
    ) -> Result<Policies> {
        let policies = read_all(
            &desired.policies,
            |p| &p.arn,
            |arn| self.read_listed_policy(arn, listing),
        );
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

/// The names of the roles that exist, once their reads answer (`None` until then; closed if
/// they failed).
#[derive(Debug, Clone)]
pub(crate) struct RolesFound(tokio::sync::watch::Receiver<Option<BTreeSet<String>>>);

impl RolesFound {
    /// Whether role `name` exists: waits for the roles' reads; `false` if they failed.
    pub(crate) async fn contains(mut self, name: &str) -> bool {
        match self.0.wait_for(Option::is_some).await {
            Ok(found) => found.as_ref().is_some_and(|names| names.contains(name)),
            Err(_) => false,
        }
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

#[cfg(test)]
mod tests {
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use aws_smithy_mocks::mock;
    use serde_json::json;

    use super::*;
    use crate::kinds::mocks::{self, ACCOUNT, failure, owned_tags};
    use crate::state::{DesiredPolicy, DesiredRole};

    const STAND_IN: &str = "000000000000";

    fn desired(account: &str) -> Desired {
        let trust = json!({"Version": "2012-10-17", "Statement": []});
        Desired {
            account: account.into(),
            policies: vec![DesiredPolicy {
                arn: format!("arn:aws:iam::{account}:policy/P"),
                name: "P".into(),
                ..DesiredPolicy::default()
            }],
            roles: vec![DesiredRole {
                id: "install".into(),
                name: "R".into(),
                path: "/".into(),
                arn: format!("arn:aws:iam::{account}:role/R"),
                description: String::new(),
                trust,
                max_session_duration: 3600,
                permissions_boundary: None,
                policy_arns: vec![],
                instance_profile: false,
                tags: owned_tags("install"),
                inline_policies: vec![],
            }],
            ..Desired::default()
        }
    }

    fn identity() -> GetCallerIdentityOutput {
        GetCallerIdentityOutput::builder()
            .account(ACCOUNT)
            .arn(format!("arn:aws:iam::{ACCOUNT}:user/alice"))
            .build()
    }

    /// The role is read by the stand-in's names and the policies listed, before the caller
    /// answers; a policy the whole listing does not show is not read by its ARN.
    #[tokio::test]
    async fn roles_are_read_beside_the_caller_and_policies_once_it_answers() {
        let trust = json!({"Version": "2012-10-17", "Statement": []});
        let role = mocks::role("R", &owned_tags("install"), &trust, &[]);
        let get_role = role[0].clone();
        let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/P");
        let arn = policy_arn.clone();
        let get_policy = mock!(aws_sdk_iam::Client::get_policy)
            .match_requests(move |r| r.policy_arn() == Some(arn.as_str()))
            .then_http_response(mocks::no_such_entity);
        let list = mock!(aws_sdk_iam::Client::list_policies)
            .match_requests(|r| r.path_prefix() == Some("/"))
            .then_output(|| {
                aws_sdk_iam::operation::list_policies::ListPoliciesOutput::builder()
                    .is_truncated(false)
                    .build()
            });
        let mut rules = role;
        rules.push(get_policy.clone());
        rules.push(list.clone());
        let caller = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(identity);
        let aws = mocks::aws_with(&rules, &[caller]);
        let (caller, named, observed) = aws
            .caller_and_observe(&desired(STAND_IN), |caller, _| {
                assert_eq!(get_role.num_calls(), 1, "GetRole waited for the caller");
                assert_eq!(list.num_calls(), 1, "ListPolicies waited for the caller");
                Ok(desired(&caller.account))
            })
            .await
            .unwrap();
        assert_eq!(caller.account, ACCOUNT);
        assert_eq!(named.policies[0].arn, policy_arn);
        assert_eq!(observed.policies.get(&policy_arn), Some(&None));
        assert!(observed.roles["R"].is_some());
        assert_eq!(get_policy.num_calls(), 0);
    }

    /// When the caller cannot be found, that is the error, whatever the reads answered.
    #[tokio::test]
    async fn the_callers_failure_is_the_one_told() {
        // The role's read fails too (first: its rule comes before the others).
        let rules: Vec<_> = [mock!(aws_sdk_iam::Client::get_role).then_http_response(failure)]
            .into_iter()
            .chain(mocks::no_role())
            .chain([mock!(aws_sdk_iam::Client::list_policies).then_http_response(failure)])
            .collect();
        let caller = mock!(aws_sdk_sts::Client::get_caller_identity).then_http_response(|| {
            mocks::error(
                403,
                "InvalidClientTokenId",
                "The security token is invalid.",
            )
        });
        let aws = mocks::aws_with(&rules, &[caller]);
        let err = aws
            .caller_and_observe(&desired(STAND_IN), |_, _| unreachable!())
            .await
            .unwrap_err();
        assert_eq!(err.aws_code(), Some("InvalidClientTokenId"), "{err}");
    }
}
