//! Desired state (what the catalog asks for) and observed state (what AWS holds), plus the
//! ownership tags that tell onboard's resources from everyone else's.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::arn::Arn;

/// Tag every resource onboard creates carries; teardown removes only resources that have it.
pub(crate) const MANAGED_BY: (&str, &str) = ("managed-by", "onboard");
/// `managed-by` of what a template from `onboard export --format cloudformation` creates.
pub(crate) const MANAGED_BY_CLOUDFORMATION: &str = "cloudformation";
/// `managed-by` of what a configuration from `onboard export --format terraform` creates.
pub(crate) const MANAGED_BY_TERRAFORM: &str = "terraform";
/// Tag naming the vendor a resource was created for.
pub(crate) const VENDOR_TAG: &str = "onboard:vendor";
/// Tag naming the vendor's integration.
pub(crate) const INTEGRATION_TAG: &str = "onboard:integration";
/// Tag naming the catalog item (policy or role id) a resource was created from.
pub(crate) const RESOURCE_TAG: &str = "onboard:resource";
/// Prefix of the tags recording the parameters a resource was rendered with.
pub(crate) const PARAM_TAG_PREFIX: &str = "onboard:param:";
/// Separator of integration names in the integration tag when several share resources.
pub(crate) const INTEGRATION_SEPARATOR: char = '+';

/// An IAM tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub(crate) fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Tags as a map, as read back from AWS.
pub(crate) type Tags = BTreeMap<String, String>;

/// Whether tags read back from AWS mark a resource as onboard's.
pub(crate) fn is_owned(tags: &Tags) -> bool {
    tags.get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1)
}

/// Whether onboard or a deployed `onboard export` created the resource: rotate-key may replace
/// the access keys of such a user, which neither the stack nor Terraform manages.
pub(crate) fn is_owned_or_exported(tags: &Tags) -> bool {
    is_owned(tags)
        || matches!(
            tags.get(MANAGED_BY.0).map(String::as_str),
            Some(MANAGED_BY_CLOUDFORMATION | MANAGED_BY_TERRAFORM)
        )
}

/// The tags onboard puts on a resource it creates for `vendor`'s `integration` item `id`,
/// rendered with `params`.
pub(crate) fn ownership_tags(
    vendor: &str,
    integration: &str,
    id: &str,
    params: &BTreeMap<String, String>,
) -> Vec<Tag> {
    let mut tags = vec![
        Tag::new(MANAGED_BY.0, MANAGED_BY.1),
        Tag::new(VENDOR_TAG, vendor),
        Tag::new(INTEGRATION_TAG, integration),
        Tag::new(RESOURCE_TAG, id),
    ];
    tags.extend(
        params
            .iter()
            .map(|(k, v)| Tag::new(format!("{PARAM_TAG_PREFIX}{k}"), v)),
    );
    tags
}

/// The parameters recorded in a resource's tags.
pub(crate) fn params_from_tags(tags: &Tags) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(PARAM_TAG_PREFIX)?.to_owned(), v.clone())))
        .collect()
}

/// Everything the selected integrations need in one account, rendered and named.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Desired {
    pub vendor: String,
    /// The integration, or several joined with `+`.
    pub integration: String,
    pub account: String,
    pub partition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub policies: Vec<DesiredPolicy>,
    pub roles: Vec<DesiredRole>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<DesiredUser>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct DesiredPolicy {
    pub id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: String,
    pub document: Value,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DesiredRole {
    pub id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: String,
    pub trust: Value,
    pub max_session_duration: i32,
    pub permissions_boundary: Option<String>,
    /// ARNs of the managed policies to attach: onboard's and AWS managed ones.
    pub policy_arns: Vec<String>,
    /// Whether an instance profile of the same name holds the role.
    pub instance_profile: bool,
    pub tags: Vec<Tag>,
    /// Inline policies the role holds, by name (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inline_policies: Vec<InlinePolicy>,
}

/// An inline policy: a name and a document, part of the role that holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct InlinePolicy {
    pub name: String,
    pub document: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DesiredUser {
    pub id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: String,
    /// ARNs of the managed policies to attach: onboard's and AWS managed ones.
    pub policy_arns: Vec<String>,
    /// Whether the user gets an access key (handed over once).
    pub access_key: bool,
    pub tags: Vec<Tag>,
}

/// Whether a policy ARN names an AWS managed policy, which onboard attaches but never owns.
pub(crate) fn is_aws_managed(policy_arn: &str) -> bool {
    Arn::parse(policy_arn).is_ok_and(|arn| arn.is_aws_managed_policy())
}

/// A managed policy as read back from AWS.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObservedPolicy {
    pub arn: String,
    pub tags: Tags,
    pub default_version_id: String,
    /// The default version's document, decoded.
    pub document: Value,
    /// Ids of the versions that are not the default, oldest first.
    pub other_versions: Vec<String>,
}

/// A role as read back from AWS.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObservedRole {
    pub name: String,
    pub arn: String,
    pub tags: Tags,
    /// The trust policy, decoded.
    pub trust: Value,
    /// ARNs of the attached managed policies.
    pub attached: Vec<String>,
    /// Names of the instance profiles holding the role.
    pub instance_profiles: Vec<String>,
    pub max_session_duration: i32,
    pub permissions_boundary: Option<String>,
    /// Inline policies by name, documents decoded.
    pub inline_policies: BTreeMap<String, Value>,
}

/// An instance profile as read back from AWS.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObservedInstanceProfile {
    pub tags: Tags,
    /// Names of the roles it holds (at most one).
    pub roles: Vec<String>,
}

/// An access key's metadata (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AccessKeyInfo {
    pub id: String,
    pub active: bool,
    /// Creation time, seconds since the epoch.
    pub created: i64,
}

/// A user as read back from AWS, by apply (GetUser) or teardown's inventory (ListUsers), with
/// what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObservedUser {
    pub name: String,
    pub arn: String,
    pub tags: Tags,
    /// ARNs of the attached managed policies.
    pub attached: Vec<String>,
    /// Names of its inline policies.
    pub inline_policies: Vec<String>,
    /// Groups the user is in (onboard never puts users in groups).
    pub groups: Vec<String>,
    /// Its access keys, oldest first.
    pub access_keys: Vec<AccessKeyInfo>,
}

/// What exists in AWS under the names the desired state uses; `None` where nothing does.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observed {
    /// By policy ARN.
    pub policies: BTreeMap<String, Option<ObservedPolicy>>,
    /// By role name.
    pub roles: BTreeMap<String, Option<ObservedRole>>,
    /// Whether each permissions boundary the desired roles name exists, by ARN.
    pub boundaries: BTreeMap<String, bool>,
    /// By instance profile name.
    pub instance_profiles: BTreeMap<String, Option<ObservedInstanceProfile>>,
    /// By user name.
    pub users: BTreeMap<String, Option<ObservedUser>>,
}
