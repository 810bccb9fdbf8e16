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
use super::errors::Doing;
use crate::error::Result;
use crate::kinds::managed_policy::Holder;
use crate::kinds::{Entity, Kind};
use crate::plan::{
    Inventory, Kept, KeptReason, OwnedInstanceProfile, OwnedPolicy, OwnedRole, name_of,
};
use crate::state::{ObservedUser, Tags, is_owned};

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

impl Aws {
    /// Everything onboard owns in the account, and the resources named as a catalog item
    /// (`catalog_names`) that onboard does not own.
    pub(crate) async fn inventory(&self, catalog_names: &BTreeSet<String>) -> Result<Inventory> {
        let details = self.account_details();
        let profiles = self
            .iam
            .list_instance_profiles()
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let (details, profiles) = tokio::join!(details, profiles);
        let details = details?;
        let profiles = profiles.doing(|| "listing instance profiles".to_owned())?;

        // What the account shows exists (IAM may not show it to the next read yet), except what
        // this run deleted (a listing may show that for a while).
        let listed = |entity: Entity| {
            let deleted = self.propagation.was_deleted(&entity);
            if !deleted {
                self.propagation.exists(entity);
            }
            !deleted
        };
        let roles: Vec<_> = details
            .roles
            .iter()
            .filter(|r| !AWS_ROLE_PATHS.iter().any(|p| r.path.starts_with(p)))
            .filter(|r| listed(Entity::Role(r.name.clone())))
            .collect();
        let users: Vec<_> = details
            .users
            .iter()
            .filter(|u| listed(Entity::User(u.name.clone())))
            .collect();
        let policy_arns: Vec<String> = details
            .policies
            .keys()
            .filter(|arn| listed(Entity::Policy((*arn).clone())))
            .cloned()
            .collect();
        // The profile's roles come with the listing.
        let profile_roles: BTreeMap<String, Vec<String>> = profiles
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

        // The second round: what the details do not carry.
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
        let mut keys: BTreeMap<String, _> = keys.into_iter().collect();

        let mut inventory = Inventory::default();
        let mut foreign = |kind, name: &str| {
            if catalog_names.contains(name) {
                inventory.foreign.push(Kept {
                    kind,
                    name: name.to_owned(),
                    reason: KeptReason::NotOwned,
                });
            }
        };
        let mut owned = |kind, items: Vec<(String, Tags)>| {
            let (mine, theirs): (Vec<_>, Vec<_>) =
                items.into_iter().partition(|(_, tags)| is_owned(tags));
            for (name, _) in &theirs {
                foreign(kind, name_of(name));
            }
            mine
        };
        let role_tags = roles
            .iter()
            .map(|r| (r.name.clone(), r.tags.clone()))
            .collect();
        let owned_roles = owned(Kind::Role, role_tags);
        let user_tags = users
            .iter()
            .map(|u| (u.name.clone(), u.tags.clone()))
            .collect();
        let owned_users = owned(Kind::User, user_tags);
        let policies = owned(Kind::ManagedPolicy, policies);
        let profiles = owned(Kind::InstanceProfile, profiles);

        let owned_profiles: BTreeSet<&str> = profiles.iter().map(|(n, _)| n.as_str()).collect();
        let roles_by_name: BTreeMap<&str, _> =
            roles.iter().map(|r| (r.name.as_str(), *r)).collect();
        inventory.roles = owned_roles
            .into_iter()
            .filter_map(|(name, tags)| {
                let role = roles_by_name.get(name.as_str())?;
                let instance_profiles = profile_roles
                    .iter()
                    .filter(|(_, roles)| roles.contains(&name))
                    .map(|(profile, _)| {
                        (profile.clone(), owned_profiles.contains(profile.as_str()))
                    })
                    .collect();
                Some(OwnedRole {
                    attached: role.attached.clone(),
                    inline_policies: role.inline.iter().map(|p| p.name.clone()).collect(),
                    instance_profiles,
                    name,
                    tags,
                })
            })
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
        let users_by_name: BTreeMap<&str, _> =
            users.iter().map(|u| (u.name.as_str(), *u)).collect();
        inventory.users = owned_users
            .into_iter()
            .filter_map(|(name, tags)| {
                let user = users_by_name.get(name.as_str())?;
                Some(ObservedUser {
                    arn: user.arn.clone(),
                    attached: user.attached.clone(),
                    inline_policies: user.inline.iter().map(|p| p.name.clone()).collect(),
                    groups: user.groups.clone(),
                    access_keys: keys.remove(&name).unwrap_or_default(),
                    name,
                    tags,
                })
            })
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
