//! Read-only calls for teardown: everything onboard owns in the account, found by its tags.
//! The listings are here; each kind's module ([`crate::kinds`]) reads the tags and what hangs
//! off each resource of its kind.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::try_join_all;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::Aws;
use super::errors::Doing;
use crate::error::Result;
use crate::kinds::{Entity, Kind};
use crate::plan::{Inventory, Kept, KeptReason, OwnedInstanceProfile, name_of};
use crate::state::{Tags, is_owned};

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
        let roles = self
            .iam
            .list_roles()
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let policies = self
            .iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let users = self
            .iam
            .list_users()
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let profiles = self
            .iam
            .list_instance_profiles()
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let (roles, policies, users, profiles) = tokio::join!(roles, policies, users, profiles);
        let roles = roles.doing(|| "listing roles".to_owned())?;
        let policies = policies.doing(|| "listing customer managed policies".to_owned())?;
        let users = users.doing(|| "listing users".to_owned())?;
        let profiles = profiles.doing(|| "listing instance profiles".to_owned())?;

        // What a listing shows exists (IAM may not show it to the next read yet), except what
        // this run deleted (a listing may show that for a while).
        let listed = |entity: Entity| {
            let deleted = self.propagation.was_deleted(&entity);
            if !deleted {
                self.propagation.exists(entity);
            }
            !deleted
        };
        let role_names: Vec<String> = roles
            .iter()
            .filter(|r| !AWS_ROLE_PATHS.iter().any(|p| r.path().starts_with(p)))
            .map(|r| r.role_name().to_owned())
            .filter(|name| listed(Entity::Role(name.clone())))
            .collect();
        let roles = tags_of_each(self.concurrency, role_names.into_iter(), |name| {
            self.role_tags(name)
        });
        let policy_arns: Vec<String> = policies
            .iter()
            .filter_map(|p| p.arn().map(str::to_owned))
            .filter(|arn| listed(Entity::Policy(arn.clone())))
            .collect();
        let policies = tags_of_each(self.concurrency, policy_arns.into_iter(), |arn| {
            self.policy_tags(arn)
        });
        let user_arns: BTreeMap<String, String> = users
            .iter()
            .map(|u| (u.user_name().to_owned(), u.arn().to_owned()))
            .filter(|(name, _)| listed(Entity::User(name.clone())))
            .collect();
        let users = tags_of_each(self.concurrency, user_arns.keys().cloned(), |name| {
            self.user_tags(name)
        });
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
        let profiles = tags_of_each(self.concurrency, profile_roles.keys().cloned(), |name| {
            self.instance_profile_tags(name)
        });
        let (roles, policies, users, profiles) =
            tokio::try_join!(roles, policies, users, profiles)?;

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
        let roles = owned(Kind::Role, roles);
        let policies = owned(Kind::ManagedPolicy, policies);
        let users = owned(Kind::User, users);
        let profiles = owned(Kind::InstanceProfile, profiles);

        let owned_profiles: BTreeSet<&str> = profiles.iter().map(|(n, _)| n.as_str()).collect();
        let roles = try_join_all(roles.into_iter().map(|(name, tags)| {
            let instance_profiles: Vec<(String, bool)> = profile_roles
                .iter()
                .filter(|(_, roles)| roles.contains(&name))
                .map(|(profile, _)| (profile.clone(), owned_profiles.contains(profile.as_str())))
                .collect();
            let entity = Entity::Role(name.clone());
            self.read_of_known(entity, move || {
                self.owned_role(name.clone(), tags.clone(), instance_profiles.clone())
            })
        }));
        let policies = try_join_all(policies.into_iter().map(|(arn, tags)| {
            let entity = Entity::Policy(arn.clone());
            self.read_of_known(entity, move || self.owned_policy(arn.clone(), tags.clone()))
        }));
        let users = try_join_all(users.into_iter().map(|(name, tags)| {
            let entity = Entity::User(name.clone());
            let arn = user_arns.get(&name).cloned().unwrap_or_default();
            self.read_of_known(entity, move || {
                self.owned_user(name.clone(), arn.clone(), tags.clone())
            })
        }));
        let (roles, policies, users) = tokio::try_join!(roles, policies, users)?;
        inventory.roles = roles;
        inventory.policies = policies;
        inventory.users = users;
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
