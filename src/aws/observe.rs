//! Read-only calls: what exists under the names the desired state uses, and what onboard owns.

use std::collections::BTreeSet;

use futures_util::{StreamExt, TryStreamExt, future::try_join_all, stream};

use super::Aws;
use super::errors::{Doing, is_code};
use crate::error::{Error, Result};
use crate::plan::{Entity, Inventory, Kept, OwnedPolicy, OwnedRole, name_of};
use crate::policy::decode_document;
use crate::state::{Desired, Observed, ObservedPolicy, ObservedRole, Tags, is_owned};

/// How many read calls a listing fans out to at once.
const READ_CONCURRENCY: usize = 8;

/// Paths of roles AWS itself creates; onboard never creates roles there.
const AWS_ROLE_PATHS: &[&str] = &["/aws-service-role/", "/aws-reserved/"];

fn tags_of(tags: &[aws_sdk_iam::types::Tag]) -> Tags {
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

impl Aws {
    /// Reads every policy and role the desired state names, all at once.
    pub async fn observe(&self, desired: &Desired) -> Result<Observed> {
        let policies = try_join_all(desired.policies.iter().map(|p| async move {
            Ok::<_, Error>((p.arn.clone(), self.read_policy(&p.arn).await?))
        }));
        let roles = try_join_all(desired.roles.iter().map(|r| async move {
            Ok::<_, Error>((r.name.clone(), self.read_role(&r.name).await?))
        }));
        let boundaries: BTreeSet<&String> = desired
            .roles
            .iter()
            .filter_map(|r| r.permissions_boundary.as_ref())
            .collect();
        let boundaries = try_join_all(boundaries.into_iter().map(|arn| async move {
            Ok::<_, Error>((arn.clone(), self.policy_exists(arn).await?))
        }));
        let (policies, roles, boundaries) = tokio::try_join!(policies, roles, boundaries)?;
        Ok(Observed {
            policies: policies.into_iter().collect(),
            roles: roles.into_iter().collect(),
            boundaries: boundaries.into_iter().collect(),
        })
    }

    /// Whether a managed policy exists (one GetPolicy call).
    async fn policy_exists(&self, arn: &str) -> Result<bool> {
        match self.iam.get_policy().policy_arn(arn).send().await {
            Ok(_) => Ok(true),
            Err(err) if is_code(&err, "NoSuchEntity") => Ok(false),
            Err(err) => Err(err).doing(|| format!("reading policy {arn}")),
        }
    }

    /// A managed policy with its tags and default version's document; `None` if there is none.
    pub async fn read_policy(&self, arn: &str) -> Result<Option<ObservedPolicy>> {
        let name = name_of(arn);
        let policy = match self.iam.get_policy().policy_arn(arn).send().await {
            Ok(out) => out
                .policy
                .ok_or_else(|| missing(format!("reading policy {name}")))?,
            Err(err) if is_code(&err, "NoSuchEntity") => return Ok(None),
            Err(err) => return Err(err).doing(|| format!("reading policy {name}")),
        };
        let version_id = policy.default_version_id().unwrap_or("v1").to_owned();
        let version = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version_id)
            .send()
            .await
            .doing(|| format!("reading version {version_id} of policy {name}"))?;
        let document = decode(
            || format!("decoding version {version_id} of policy {name}"),
            version.policy_version().and_then(|v| v.document()),
        )?;
        Ok(Some(ObservedPolicy {
            arn: arn.to_owned(),
            tags: tags_of(policy.tags()),
            default_version_id: version_id,
            document,
        }))
    }

    /// A role with its tags, decoded trust policy and attached policies; `None` if there is none.
    pub async fn read_role(&self, name: &str) -> Result<Option<ObservedRole>> {
        let role = self.iam.get_role().role_name(name).send();
        let attached = self.attached_role_policies(name);
        let (role, attached) = tokio::join!(role, attached);
        let role = match role {
            Ok(out) => out
                .role
                .ok_or_else(|| missing(format!("reading role {name}")))?,
            Err(err) if is_code(&err, "NoSuchEntity") => return Ok(None),
            Err(err) => return Err(err).doing(|| format!("reading role {name}")),
        };
        let trust = decode(
            || format!("decoding the trust policy of role {name}"),
            role.assume_role_policy_document(),
        )?;
        Ok(Some(ObservedRole {
            name: name.to_owned(),
            arn: role.arn().to_owned(),
            tags: tags_of(role.tags()),
            trust,
            attached: attached?,
        }))
    }

    async fn attached_role_policies(&self, role: &str) -> Result<Vec<String>> {
        let attached: Vec<_> = self
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

    /// Everything onboard owns in the account, found by its tags, and the resources named as a
    /// catalog item (`catalog_names`) that onboard does not own.
    pub async fn inventory(&self, catalog_names: &BTreeSet<String>) -> Result<Inventory> {
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
        let (roles, policies) = tokio::join!(roles, policies);
        let roles = roles.doing(|| "listing roles".to_owned())?;
        let policies = policies.doing(|| "listing customer managed policies".to_owned())?;

        let mut inventory = Inventory::default();
        let role_names = roles
            .iter()
            .filter(|r| !AWS_ROLE_PATHS.iter().any(|p| r.path().starts_with(p)))
            .map(|r| r.role_name().to_owned());
        let roles: Vec<(String, Tags)> = stream::iter(role_names)
            .map(|name| async move {
                let tags = self.role_tags(&name).await?;
                Ok::<_, Error>((name, tags))
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        let policy_arns = policies.iter().filter_map(|p| p.arn().map(str::to_owned));
        let policies: Vec<(String, Tags)> = stream::iter(policy_arns)
            .map(|arn| async move {
                let tags = self.policy_tags(&arn).await?;
                Ok::<_, Error>((arn, tags))
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;

        let mut foreign = |kind, name: &str| {
            if catalog_names.contains(name) {
                inventory.foreign.push(Kept {
                    kind,
                    name: name.to_owned(),
                    reason: "it has no managed-by=onboard tag, so onboard did not create it".into(),
                });
            }
        };
        let mut owned_roles = Vec::new();
        for (name, tags) in roles {
            if is_owned(&tags) {
                owned_roles.push((name, tags));
            } else {
                foreign("role", &name);
            }
        }
        let mut owned_policies = Vec::new();
        for (arn, tags) in policies {
            if is_owned(&tags) {
                owned_policies.push((arn, tags));
            } else {
                foreign("policy", name_of(&arn));
            }
        }

        let roles = try_join_all(
            owned_roles
                .into_iter()
                .map(|(name, tags)| self.owned_role(name, tags)),
        );
        let policies = try_join_all(
            owned_policies
                .into_iter()
                .map(|(arn, tags)| self.owned_policy(arn, tags)),
        );
        let (roles, policies) = tokio::try_join!(roles, policies)?;
        inventory.roles = roles;
        inventory.policies = policies;
        Ok(inventory)
    }

    async fn role_tags(&self, role: &str) -> Result<Tags> {
        let tags: Vec<_> = self
            .iam
            .list_role_tags()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing tags of role {role}"))?;
        Ok(tags_of(&tags))
    }

    async fn policy_tags(&self, arn: &str) -> Result<Tags> {
        let tags: Vec<_> = self
            .iam
            .list_policy_tags()
            .policy_arn(arn)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing tags of policy {}", name_of(arn)))?;
        Ok(tags_of(&tags))
    }

    async fn instance_profile_owned(&self, name: &str) -> Result<bool> {
        let tags: Vec<_> = self
            .iam
            .list_instance_profile_tags()
            .instance_profile_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing tags of instance profile {name}"))?;
        Ok(is_owned(&tags_of(&tags)))
    }

    async fn owned_role(&self, name: String, tags: Tags) -> Result<OwnedRole> {
        let attached = self.attached_role_policies(&name);
        let inline = self
            .iam
            .list_role_policies()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let profiles = self
            .iam
            .list_instance_profiles_for_role()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let (attached, inline, profiles) = tokio::join!(attached, inline, profiles);
        let inline = inline.doing(|| format!("listing inline policies of role {name}"))?;
        let profiles = profiles.doing(|| format!("listing instance profiles of role {name}"))?;
        let instance_profiles = try_join_all(profiles.iter().map(|p| async move {
            let profile = p.instance_profile_name().to_owned();
            let owned = self.instance_profile_owned(&profile).await?;
            Ok::<_, Error>((profile, owned))
        }))
        .await?;
        Ok(OwnedRole {
            attached: attached?,
            inline_policies: inline,
            instance_profiles,
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
            let roles = page.policy_roles().iter().filter_map(|r| r.role_name());
            found.extend(roles.map(|n| Entity {
                kind: "role",
                name: n.to_owned(),
            }));
            let users = page.policy_users().iter().filter_map(|u| u.user_name());
            found.extend(users.map(|n| Entity {
                kind: "user",
                name: n.to_owned(),
            }));
            let groups = page.policy_groups().iter().filter_map(|g| g.group_name());
            found.extend(groups.map(|n| Entity {
                kind: "group",
                name: n.to_owned(),
            }));
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
