//! Desired state (what the catalog asks for) and observed state (what AWS holds), plus the
//! ownership tags that tell onboard's resources from everyone else's.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Tag every resource onboard creates carries; teardown removes only resources that have it.
pub const MANAGED_BY: (&str, &str) = ("managed-by", "onboard");
/// Tag naming the vendor a resource was created for.
pub const VENDOR_TAG: &str = "onboard:vendor";
/// Tag naming the vendor's integration.
pub const INTEGRATION_TAG: &str = "onboard:integration";
/// Tag naming the catalog item (policy or role id) a resource was created from.
pub const RESOURCE_TAG: &str = "onboard:resource";

/// An IAM tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Tags as a map, as read back from AWS.
pub type Tags = BTreeMap<String, String>;

/// Whether tags read back from AWS mark a resource as onboard's.
pub fn is_owned(tags: &Tags) -> bool {
    tags.get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1)
}

/// The tags onboard puts on a resource it creates for `vendor`'s `integration` item `id`.
pub fn ownership_tags(vendor: &str, integration: &str, id: &str) -> Vec<Tag> {
    vec![
        Tag::new(MANAGED_BY.0, MANAGED_BY.1),
        Tag::new(VENDOR_TAG, vendor),
        Tag::new(INTEGRATION_TAG, integration),
        Tag::new(RESOURCE_TAG, id),
    ]
}

/// Everything one integration needs in one account, rendered and named.
#[derive(Debug, Clone, Serialize)]
pub struct Desired {
    pub vendor: String,
    pub integration: String,
    pub account: String,
    pub partition: String,
    pub policies: Vec<DesiredPolicy>,
    pub roles: Vec<DesiredRole>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredPolicy {
    pub id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: String,
    pub document: Value,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredRole {
    pub id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: String,
    pub trust: Value,
    pub max_session_duration: i32,
    pub permissions_boundary: Option<String>,
    /// ARNs of the managed policies to attach.
    pub policy_arns: Vec<String>,
    pub tags: Vec<Tag>,
}

/// A managed policy as read back from AWS.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedPolicy {
    pub arn: String,
    pub tags: Tags,
    pub default_version_id: String,
    /// The default version's document, decoded.
    pub document: Value,
}

/// A role as read back from AWS.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRole {
    pub name: String,
    pub arn: String,
    pub tags: Tags,
    /// The trust policy, decoded.
    pub trust: Value,
    /// ARNs of the attached managed policies.
    pub attached: Vec<String>,
}

/// What exists in AWS under the names the desired state uses; `None` where nothing does.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// By policy ARN.
    pub policies: BTreeMap<String, Option<ObservedPolicy>>,
    /// By role name.
    pub roles: BTreeMap<String, Option<ObservedRole>>,
    /// Whether each permissions boundary the desired roles name exists, by ARN.
    pub boundaries: BTreeMap<String, bool>,
}
