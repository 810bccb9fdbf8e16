//! Read-only calls for teardown: everything onboard owns in the account, found by its tags.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::try_join_all;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::Aws;
use super::errors::Doing;
use super::observe::tags_of;
use super::propagation::Entity as Visible;
use crate::error::Result;
use crate::plan::{
    Entity, Inventory, Kept, OwnedInstanceProfile, OwnedPolicy, OwnedRole, OwnedUser, name_of,
};
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
        let listed = |entity: Visible| {
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
            .filter(|name| listed(Visible::Role(name.clone())))
            .collect();
        let roles = tags_of_each(
            self.concurrency,
            role_names.into_iter(),
            |name| async move {
                let entity = Visible::Role(name.clone());
                let tags = self.read_of_known(entity, || async {
                    self.iam
                        .list_role_tags()
                        .role_name(&name)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .doing(|| format!("listing tags of role {name}"))
                });
                Ok((name.clone(), tags_of(&tags.await?)))
            },
        );
        let policy_arns: Vec<String> = policies
            .iter()
            .filter_map(|p| p.arn().map(str::to_owned))
            .filter(|arn| listed(Visible::Policy(arn.clone())))
            .collect();
        let policies = tags_of_each(
            self.concurrency,
            policy_arns.into_iter(),
            |arn| async move {
                let entity = Visible::Policy(arn.clone());
                let tags = self.read_of_known(entity, || async {
                    self.iam
                        .list_policy_tags()
                        .policy_arn(&arn)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .doing(|| format!("listing tags of policy {}", name_of(&arn)))
                });
                Ok((arn.clone(), tags_of(&tags.await?)))
            },
        );
        let user_names: Vec<String> = users
            .iter()
            .map(|u| u.user_name().to_owned())
            .filter(|name| listed(Visible::User(name.clone())))
            .collect();
        let users = tags_of_each(
            self.concurrency,
            user_names.into_iter(),
            |name| async move {
                let entity = Visible::User(name.clone());
                let tags = self.read_of_known(entity, || async {
                    self.iam
                        .list_user_tags()
                        .user_name(&name)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await
                        .doing(|| format!("listing tags of user {name}"))
                });
                Ok((name.clone(), tags_of(&tags.await?)))
            },
        );
        // Instance profile tags come from GetInstanceProfile, which every IAM implementation
        // answers with tags; the profile's roles come with the listing.
        let profile_roles: BTreeMap<String, Vec<String>> = profiles
            .iter()
            .filter(|p| {
                listed(Visible::InstanceProfile(
                    p.instance_profile_name().to_owned(),
                ))
            })
            .map(|p| {
                let roles = p.roles().iter().map(|r| r.role_name().to_owned()).collect();
                (p.instance_profile_name().to_owned(), roles)
            })
            .collect();
        let profile_names = profile_roles.keys().cloned();
        let profiles = tags_of_each(self.concurrency, profile_names, |name| async move {
            let entity = Visible::InstanceProfile(name.clone());
            let out = self.read_of_known(entity, || async {
                self.iam
                    .get_instance_profile()
                    .instance_profile_name(&name)
                    .send()
                    .await
                    .doing(|| format!("reading instance profile {name}"))
            });
            let tags = out
                .await?
                .instance_profile
                .map(|p| tags_of(p.tags()))
                .unwrap_or_default();
            Ok((name, tags))
        });
        let (roles, policies, users, profiles) =
            tokio::try_join!(roles, policies, users, profiles)?;

        let mut inventory = Inventory::default();
        let mut foreign = |kind, name: &str| {
            if catalog_names.contains(name) {
                inventory.foreign.push(Kept {
                    kind,
                    name: name.to_owned(),
                    reason: "it has no managed-by=onboard tag, so onboard did not create it".into(),
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
        let roles = owned("role", roles);
        let policies = owned("policy", policies);
        let users = owned("user", users);
        let profiles = owned("instance profile", profiles);

        let owned_profiles: BTreeSet<&str> = profiles.iter().map(|(n, _)| n.as_str()).collect();
        let roles = try_join_all(roles.into_iter().map(|(name, tags)| {
            let instance_profiles: Vec<(String, bool)> = profile_roles
                .iter()
                .filter(|(_, roles)| roles.contains(&name))
                .map(|(profile, _)| (profile.clone(), owned_profiles.contains(profile.as_str())))
                .collect();
            let entity = Visible::Role(name.clone());
            self.read_of_known(entity, move || {
                self.owned_role(name.clone(), tags.clone(), instance_profiles.clone())
            })
        }));
        let policies = try_join_all(policies.into_iter().map(|(arn, tags)| {
            let entity = Visible::Policy(arn.clone());
            self.read_of_known(entity, move || self.owned_policy(arn.clone(), tags.clone()))
        }));
        let users = try_join_all(users.into_iter().map(|(name, tags)| {
            let entity = Visible::User(name.clone());
            self.read_of_known(entity, move || self.owned_user(name.clone(), tags.clone()))
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

    async fn owned_role(
        &self,
        name: String,
        tags: Tags,
        instance_profiles: Vec<(String, bool)>,
    ) -> Result<OwnedRole> {
        let attached = self.attached_role_policies(&name);
        let inline = self
            .iam
            .list_role_policies()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let (attached, inline) = tokio::join!(attached, inline);
        let inline = inline.doing(|| format!("listing inline policies of role {name}"))?;
        Ok(OwnedRole {
            attached: attached?,
            inline_policies: inline,
            instance_profiles,
            name,
            tags,
        })
    }

    async fn owned_user(&self, name: String, tags: Tags) -> Result<OwnedUser> {
        let attached = self.attached_user_policies(&name);
        let inline = self
            .iam
            .list_user_policies()
            .user_name(&name)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let groups = self
            .iam
            .list_groups_for_user()
            .user_name(&name)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let keys = self.access_keys(&name);
        let (attached, inline, groups, keys) = tokio::join!(attached, inline, groups, keys);
        let inline = inline.doing(|| format!("listing inline policies of user {name}"))?;
        let groups = groups.doing(|| format!("listing groups of user {name}"))?;
        Ok(OwnedUser {
            attached: attached?,
            inline_policies: inline,
            access_keys: keys?.into_iter().map(|k| k.id).collect(),
            groups: groups.iter().map(|g| g.group_name().to_owned()).collect(),
            name,
            tags,
        })
    }

    async fn owned_policy(&self, arn: String, tags: Tags) -> Result<OwnedPolicy> {
        let name = name_of(&arn).to_owned();
        let versions = self.iam.list_policy_versions().policy_arn(&arn).send();
        let entities = self
            .iam
            .list_entities_for_policy()
            .policy_arn(&arn)
            .into_paginator()
            .send()
            .try_collect();
        let (versions, entities) = tokio::join!(versions, entities);
        let versions = versions.doing(|| format!("listing versions of policy {name}"))?;
        let pages = entities.doing(|| format!("listing where policy {name} is attached"))?;
        let mut found = Vec::new();
        for page in &pages {
            let entity = |kind, name: &str| Entity {
                kind,
                name: name.to_owned(),
            };
            found.extend(
                page.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name())
                    .map(|n| entity("role", n)),
            );
            found.extend(
                page.policy_users()
                    .iter()
                    .filter_map(|u| u.user_name())
                    .map(|n| entity("user", n)),
            );
            found.extend(
                page.policy_groups()
                    .iter()
                    .filter_map(|g| g.group_name())
                    .map(|n| entity("group", n)),
            );
        }
        let non_default_versions = versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .filter_map(|v| v.version_id().map(str::to_owned))
            .collect();
        Ok(OwnedPolicy {
            arn,
            name,
            tags,
            non_default_versions,
            entities: found,
        })
    }
}
