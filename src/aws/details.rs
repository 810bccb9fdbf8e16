//! The account's details: every role, user, group and customer managed policy with its tags,
//! attachments, inline policies and versions, in as few paged calls as IAM allows
//! (iam:GetAccountAuthorizationDetails), for `onboard audit` and teardown's inventory; and the
//! few reads the audit adds, concurrently: the access keys of onboard's users and their last
//! use, and the documents of the AWS managed policies attached to what the audit reports.

use std::collections::BTreeMap;

use aws_sdk_iam::types::EntityType;
use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::Value;

use super::Aws;
use super::errors::Doing;
use super::observe::tags_of;
use crate::error::{Error, Result};
use crate::plan::name_of;
use crate::policy::decode_document;
use crate::state::{AccessKeyInfo, InlinePolicy, Tags};

/// Items per page of GetAccountAuthorizationDetails: the most IAM returns at once.
const DETAILS_PAGE_SIZE: i32 = 1000;

/// When a role or key was last used, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastUse {
    /// Seconds since the epoch.
    pub at: i64,
    pub region: Option<String>,
    /// The service an access key was last used with.
    pub service: Option<String>,
}

/// A role as GetAccountAuthorizationDetails returns it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoleDetails {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub tags: Tags,
    /// The trust policy, decoded.
    pub trust: Value,
    /// ARNs of the attached managed policies.
    pub attached: Vec<String>,
    pub inline: Vec<InlinePolicy>,
    pub instance_profiles: Vec<String>,
    pub permissions_boundary: Option<String>,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// `RoleLastUsed`: IAM tracks the last 400 days.
    pub last_used: Option<LastUse>,
}

/// A user as GetAccountAuthorizationDetails returns it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserDetails {
    pub name: String,
    pub arn: String,
    pub tags: Tags,
    pub attached: Vec<String>,
    pub inline: Vec<InlinePolicy>,
    pub groups: Vec<String>,
    /// Creation time, seconds since the epoch.
    pub created: i64,
}

impl UserDetails {
    /// The user as apply and teardown observe one, with `access_keys` (which these details do
    /// not carry).
    pub(crate) fn observed(&self, access_keys: Vec<AccessKeyInfo>) -> crate::state::ObservedUser {
        crate::state::ObservedUser {
            name: self.name.clone(),
            arn: self.arn.clone(),
            tags: self.tags.clone(),
            attached: self.attached.clone(),
            inline_policies: self.inline.iter().map(|p| p.name.clone()).collect(),
            groups: self.groups.clone(),
            access_keys,
        }
    }
}

/// Everything GetAccountAuthorizationDetails says about the account's roles, users and customer
/// managed policies.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AccountDetails {
    pub roles: Vec<RoleDetails>,
    pub users: Vec<UserDetails>,
    /// The default version's document of every customer managed policy, by ARN.
    pub policies: BTreeMap<String, Value>,
    /// The versions other than the default of every customer managed policy, by ARN.
    pub other_versions: BTreeMap<String, Vec<String>>,
    /// Every group, with the ARNs of the managed policies attached to it.
    pub groups: Vec<(String, Vec<String>)>,
}

/// An access key and its last use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyUse {
    pub key: AccessKeyInfo,
    pub last_used: Option<LastUse>,
}

fn decode(what: impl FnOnce() -> String, text: Option<&str>) -> Result<Value> {
    decode_document(text.unwrap_or_default()).map_err(|message| Error::aws(what(), None, message))
}

fn inline(
    holder: &str,
    policies: &[aws_sdk_iam::types::PolicyDetail],
) -> Result<Vec<InlinePolicy>> {
    policies
        .iter()
        .map(|p| {
            let name = p.policy_name().unwrap_or_default().to_owned();
            let document = decode(
                || format!("decoding inline policy {name} of {holder}"),
                p.policy_document(),
            )?;
            Ok(InlinePolicy { name, document })
        })
        .collect()
}

fn attached(policies: &[aws_sdk_iam::types::AttachedPolicy]) -> Vec<String> {
    policies
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

impl Aws {
    /// Every page of iam:GetAccountAuthorizationDetails for roles, users, groups and customer
    /// managed policies (AWS managed ones are read by [`Aws::policy_documents`] when attached).
    pub(crate) async fn account_details(&self) -> Result<AccountDetails> {
        let doing = || {
            "reading the account's roles, users and policies (iam:GetAccountAuthorizationDetails)"
                .to_owned()
        };
        let pages: Vec<_> = self
            .iam
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .filter(EntityType::User)
            .filter(EntityType::Group)
            .filter(EntityType::LocalManagedPolicy)
            .max_items(DETAILS_PAGE_SIZE)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .doing(doing)?;
        let mut details = AccountDetails::default();
        for page in &pages {
            for role in page.role_detail_list() {
                let name = role.role_name().unwrap_or_default().to_owned();
                let holder = format!("role {name}");
                details.roles.push(RoleDetails {
                    trust: decode(
                        || format!("decoding the trust policy of {holder}"),
                        role.assume_role_policy_document(),
                    )?,
                    arn: role.arn().unwrap_or_default().to_owned(),
                    path: role.path().unwrap_or("/").to_owned(),
                    tags: tags_of(role.tags()),
                    attached: attached(role.attached_managed_policies()),
                    inline: inline(&holder, role.role_policy_list())?,
                    instance_profiles: role
                        .instance_profile_list()
                        .iter()
                        .map(|p| p.instance_profile_name().to_owned())
                        .collect(),
                    permissions_boundary: role
                        .permissions_boundary()
                        .and_then(|b| b.permissions_boundary_arn())
                        .map(str::to_owned),
                    created: role
                        .create_date()
                        .map_or(0, aws_sdk_iam::primitives::DateTime::secs),
                    last_used: role.role_last_used().and_then(|used| {
                        Some(LastUse {
                            at: used.last_used_date()?.secs(),
                            region: used.region().map(str::to_owned),
                            service: None,
                        })
                    }),
                    name,
                });
            }
            for user in page.user_detail_list() {
                let name = user.user_name().unwrap_or_default().to_owned();
                details.users.push(UserDetails {
                    arn: user.arn().unwrap_or_default().to_owned(),
                    tags: tags_of(user.tags()),
                    attached: attached(user.attached_managed_policies()),
                    inline: inline(&format!("user {name}"), user.user_policy_list())?,
                    groups: user.group_list().to_vec(),
                    created: user
                        .create_date()
                        .map_or(0, aws_sdk_iam::primitives::DateTime::secs),
                    name,
                });
            }
            for group in page.group_detail_list() {
                details.groups.push((
                    group.group_name().unwrap_or_default().to_owned(),
                    attached(group.attached_managed_policies()),
                ));
            }
            for policy in page.policies() {
                let arn = policy.arn().unwrap_or_default().to_owned();
                let others = policy
                    .policy_version_list()
                    .iter()
                    .filter(|v| !v.is_default_version())
                    .filter_map(|v| v.version_id().map(str::to_owned))
                    .collect();
                details.other_versions.insert(arn.clone(), others);
                let default = policy
                    .policy_version_list()
                    .iter()
                    .find(|v| v.is_default_version());
                let document = decode(
                    || format!("decoding the default version of policy {}", name_of(&arn)),
                    default.and_then(|v| v.document()),
                )?;
                details.policies.insert(arn, document);
            }
        }
        Ok(details)
    }

    /// The default version's document of each managed policy (GetPolicy, GetPolicyVersion),
    /// `--concurrency` at a time; a policy that no longer exists is left out.
    pub(crate) async fn policy_documents(
        &self,
        arns: Vec<String>,
    ) -> Result<BTreeMap<String, Value>> {
        let found: Vec<Option<(String, Value)>> = stream::iter(arns)
            .map(|arn| async move {
                let name = name_of(&arn).to_owned();
                let policy = match self.iam.get_policy().policy_arn(&arn).send().await {
                    Ok(out) => out.policy,
                    Err(err) if super::errors::is_code(&err, "NoSuchEntity") => return Ok(None),
                    Err(err) => return Err(err).doing(|| format!("reading policy {name}")),
                };
                let version_id = policy
                    .as_ref()
                    .and_then(|p| p.default_version_id())
                    .unwrap_or("v1")
                    .to_owned();
                let version = self
                    .iam
                    .get_policy_version()
                    .policy_arn(&arn)
                    .version_id(&version_id)
                    .send()
                    .await
                    .doing(|| format!("reading version {version_id} of policy {name}"))?;
                let document = decode(
                    || format!("decoding version {version_id} of policy {name}"),
                    version.policy_version().and_then(|v| v.document()),
                )?;
                Ok::<_, Error>(Some((arn, document)))
            })
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// A user's access keys, oldest first, each with its last use (GetAccessKeyLastUsed, all
    /// at once).
    pub(crate) async fn key_uses(&self, user: &str) -> Result<Vec<KeyUse>> {
        let keys = self.access_keys(user).await?;
        futures_util::future::try_join_all(keys.into_iter().map(|key| async move {
            let out = self
                .iam
                .get_access_key_last_used()
                .access_key_id(&key.id)
                .send()
                .await
                .doing(|| format!("reading the last use of access key {}", key.id))?;
            let last_used = out.access_key_last_used().and_then(|used| {
                let known = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty() && s != "N/A");
                Some(LastUse {
                    at: used.last_used_date()?.secs(),
                    region: known(&used.region),
                    service: known(&used.service_name),
                })
            });
            Ok(KeyUse { key, last_used })
        }))
        .await
    }
}
