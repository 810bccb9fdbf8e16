//! Read-only calls for teardown: everything onboard owns in the account, found by its tags, in
//! two rounds. First the account's roles, users, groups and customer managed policies in
//! iam:GetAccountAuthorizationDetails pages (with the tags of roles and users, what is attached
//! to each, inline policy names and policy versions), beside the instance profiles; then, at
//! once, what those answers do not carry: the tags of policies and instance profiles, and the
//! access keys of onboard's users.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::try_join_all;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::Aws;
use super::details::{AccountDetails, RoleDetails, UserDetails};
use super::errors::Doing;
use crate::error::Result;
use crate::kinds::managed_policy::Holder;
use crate::kinds::{Entity, Kind};
use crate::plan::{
    Inventory, Kept, KeptReason, OwnedInstanceProfile, OwnedPolicy, OwnedRole, name_of,
};
use crate::state::{AccessKeyInfo, Tags, is_owned};

/// Paths of roles AWS itself creates; onboard never creates roles there.
const AWS_ROLE_PATHS: &[&str] = &["/aws-service-role/", "/aws-reserved/"];

/// Reads the tags of every named item, `concurrency` at a time.
async fn tags_of_each<'a, F, Fut>(
    concurrency: usize,
    names: impl Iterator<Item = String>,
    read: F,
) -> Result<Vec<(String, Tags)>>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(String, Tags)>> + 'a,
{
    stream::iter(names)
        .map(read)
        .buffer_unordered(concurrency)
        .try_collect()
        .await
}

/// What the first round of teardown's reads found: the account's details, and each instance
/// profile with its roles.
pub(crate) struct AccountRead {
    details: AccountDetails,
    profile_roles: BTreeMap<String, Vec<String>>,
}

impl AccountRead {
    /// The owned roles and users whose detaches the second round cannot change: every owned
    /// user (its keys not yet read), and every owned role in no instance profile (a role in a
    /// profile is kept when someone else owns the profile, which the second round reads).
    /// Planned from this, their detaches can start while the second round reads.
    pub(crate) fn settled(&self) -> Inventory {
        let roles = self
            .roles()
            .filter(|r| is_owned(&r.tags))
            .filter(|r| {
                !self
                    .profile_roles
                    .values()
                    .any(|roles| roles.contains(&r.name))
            })
            .map(|r| owned_role(r, Vec::new()))
            .collect();
        let users = self
            .users()
            .filter(|u| is_owned(&u.tags))
            .map(|u| u.observed(Vec::new()))
            .collect();
        Inventory {
            roles,
            users,
            ..Inventory::default()
        }
    }

    /// The roles onboard may own (not under AWS's own paths).
    fn roles(&self) -> impl Iterator<Item = &RoleDetails> {
        self.details
            .roles
            .iter()
            .filter(|r| !AWS_ROLE_PATHS.iter().any(|p| r.path.starts_with(p)))
    }

    fn users(&self) -> impl Iterator<Item = &UserDetails> {
        self.details.users.iter()
    }
}

fn owned_role(role: &RoleDetails, instance_profiles: Vec<(String, bool)>) -> OwnedRole {
    OwnedRole {
        name: role.name.clone(),
        tags: role.tags.clone(),
        attached: role.attached.clone(),
        inline_policies: role.inline.iter().map(|p| p.name.clone()).collect(),
        instance_profiles,
    }
}

impl Aws {
    /// Everything onboard owns in the account, and the resources named as a catalog item
    /// (`catalog_names`) that onboard does not own: both rounds.
    pub(crate) async fn inventory(&self, catalog_names: &BTreeSet<String>) -> Result<Inventory> {
        let read = self.read_account().await?;
        self.inventory_of(read, catalog_names).await
    }

    /// The first round: the account's details beside its instance profiles, less what this run
    /// deleted (a listing may show that for a while); what they show, the run knows exists (IAM
    /// may not show it to the next read yet).
    pub(crate) async fn read_account(&self) -> Result<AccountRead> {
        let details = self.account_details();
        let profiles = self
            .iam
            .list_instance_profiles()
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let (details, profiles) = tokio::join!(details, profiles);
        let mut details = details?;
        let profiles = profiles.doing(|| "listing instance profiles".to_owned())?;
        let listed = |entity: Entity| {
            let deleted = self.propagation.was_deleted(&entity);
            if !deleted {
                self.propagation.exists(entity);
            }
            !deleted
        };
        details
            .roles
            .retain(|r| listed(Entity::Role(r.name.clone())));
        details
            .users
            .retain(|u| listed(Entity::User(u.name.clone())));
        details
            .policies
            .retain(|arn, _| listed(Entity::Policy(arn.clone())));
        // The profile's roles come with the listing.
        let profile_roles = profiles
            .iter()
            .filter(|p| {
                listed(Entity::InstanceProfile(
                    p.instance_profile_name().to_owned(),
                ))
            })
            .map(|p| {
                let roles = p.roles().iter().map(|r| r.role_name().to_owned()).collect();
                (p.instance_profile_name().to_owned(), roles)
            })
            .collect();
        Ok(AccountRead {
            details,
            profile_roles,
        })
    }

    /// The second round, on what the first read: the tags of policies and instance profiles
    /// and the keys of onboard's users, at once; then what onboard owns.
    pub(crate) async fn inventory_of(
        &self,
        read: AccountRead,
        catalog_names: &BTreeSet<String>,
    ) -> Result<Inventory> {
        let roles: Vec<&RoleDetails> = read.roles().collect();
        let users: Vec<&UserDetails> = read.users().collect();
        let AccountRead {
            details,
            profile_roles,
        } = &read;
        let policy_arns: Vec<String> = details.policies.keys().cloned().collect();
        let policies = tags_of_each(self.concurrency, policy_arns.into_iter(), |arn| {
            self.policy_tags(arn)
        });
        let profiles = tags_of_each(self.concurrency, profile_roles.keys().cloned(), |name| {
            self.instance_profile_tags(name)
        });
        let keys = try_join_all(users.iter().filter(|u| is_owned(&u.tags)).map(|u| async {
            Ok::<_, crate::error::Error>((u.name.clone(), self.access_keys(&u.name).await?))
        }));
        let (policies, profiles, keys) = tokio::try_join!(policies, profiles, keys)?;
        let mut keys: BTreeMap<String, Vec<AccessKeyInfo>> = keys.into_iter().collect();

        // Only what carries onboard's tags; what is named as a catalog item without them is
        // reported as kept.
        let mut foreign = Vec::new();
        let mut owned = |kind, name: &str, tags: &Tags| {
            let theirs = !is_owned(tags);
            if theirs && catalog_names.contains(name) {
                foreign.push(Kept {
                    kind,
                    name: name.to_owned(),
                    reason: KeptReason::NotOwned,
                });
            }
            !theirs
        };
        let roles: Vec<_> = roles
            .into_iter()
            .filter(|r| owned(Kind::Role, &r.name, &r.tags))
            .collect();
        let users: Vec<_> = users
            .into_iter()
            .filter(|u| owned(Kind::User, &u.name, &u.tags))
            .collect();
        let policies: Vec<_> = policies
            .into_iter()
            .filter(|(arn, tags)| owned(Kind::ManagedPolicy, name_of(arn), tags))
            .collect();
        let profiles: Vec<_> = profiles
            .into_iter()
            .filter(|(name, tags)| owned(Kind::InstanceProfile, name, tags))
            .collect();
        let mut inventory = Inventory {
            foreign,
            ..Inventory::default()
        };

        let owned_profiles: BTreeSet<&str> = profiles.iter().map(|(n, _)| n.as_str()).collect();
        let profiles_of = |role: &str| {
            profile_roles
                .iter()
                .filter(|(_, roles)| roles.iter().any(|r| r == role))
                .map(|(profile, _)| (profile.clone(), owned_profiles.contains(profile.as_str())))
                .collect()
        };
        inventory.roles = roles
            .iter()
            .map(|r| owned_role(r, profiles_of(&r.name)))
            .collect();
        // Who holds each policy: the roles, users and groups it is attached to.
        let holders_of = |arn: &str| {
            let holder = |kind, name: &str| Holder {
                kind,
                name: name.to_owned(),
            };
            let roles = details
                .roles
                .iter()
                .filter(|r| r.attached.iter().any(|a| a == arn))
                .map(|r| holder(Kind::Role, &r.name));
            let users = details
                .users
                .iter()
                .filter(|u| u.attached.iter().any(|a| a == arn))
                .map(|u| holder(Kind::User, &u.name));
            let groups = details
                .groups
                .iter()
                .filter(|(_, attached)| attached.iter().any(|a| a == arn))
                .map(|(name, _)| holder(Kind::Group, name));
            roles.chain(users).chain(groups).collect()
        };
        inventory.policies = policies
            .into_iter()
            .map(|(arn, tags)| OwnedPolicy {
                name: name_of(&arn).to_owned(),
                non_default_versions: details
                    .other_versions
                    .get(&arn)
                    .cloned()
                    .unwrap_or_default(),
                holders: holders_of(&arn),
                arn,
                tags,
            })
            .collect();
        inventory.users = users
            .iter()
            .map(|u| u.observed(keys.remove(&u.name).unwrap_or_default()))
            .collect();
        inventory.instance_profiles = profiles
            .into_iter()
            .map(|(name, tags)| OwnedInstanceProfile {
                roles: profile_roles.get(&name).cloned().unwrap_or_default(),
                name,
                tags,
            })
            .collect();
        Ok(inventory)
    }
}
