//! What `onboard audit` reports: every way into each account that another party holds, and the
//! findings about them. [`Audit`] is the one output type: `Serialize` for `--output json`,
//! `Display` for text (see [`super::text`]).

use std::fmt;

use serde::Serialize;

use super::findings::Finding;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Audit {
    /// When the audit ran (RFC 3339, UTC): ages and "unused" are counted up to it.
    pub generated_at: String,
    /// `--stale-days`.
    pub stale_days: u32,
    /// `--key-max-age`.
    pub key_max_age_days: u32,
    pub accounts: Vec<AccountAudit>,
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

/// Counts over the whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    pub accounts: usize,
    pub failed_accounts: usize,
    /// Roles and users listed.
    pub access: usize,
    pub errors: usize,
    pub security: usize,
    pub warnings: usize,
}

/// One account: what it lists, or why it could not be read.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AccountAudit {
    pub account: String,
    pub ok: bool,
    /// Why the account could not be audited (the error and its causes, on one line).
    pub error: Option<String>,
    pub access: Vec<Access>,
}

/// A role or user through which another party reaches the account.
#[derive(Debug, Clone, Serialize)]
#[allow(
    clippy::struct_field_names,
    reason = "`access_keys` is a documented JSON field"
)]
pub(crate) struct Access {
    pub kind: AccessKind,
    pub name: String,
    pub arn: String,
    /// Who holds it: the principals outside the account a role trusts, or the vendor a user's
    /// key was made for.
    pub holders: Vec<Holder>,
    pub managed_by: Manager,
    /// Whether every holder must pass an external ID (roles only).
    pub external_id: ExternalId,
    pub grants: Grants,
    /// When the role, or the user's most recently used key, was last used (RFC 3339); `None`
    /// when IAM has no record (never, or more than 400 days ago).
    pub last_used: Option<String>,
    /// When the role or user was created (RFC 3339).
    pub created: String,
    /// The user's access keys (users only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_keys: Vec<KeyReport>,
    /// How onboard's own role or user differs from the catalog (onboard's only): the failed
    /// checks of `onboard verify`, as `check: detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Vec<String>>,
}

/// What kind of IAM entity a way in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AccessKind {
    Role,
    User,
}

impl fmt::Display for AccessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessKind::Role => "role",
            AccessKind::User => "user",
        })
    }
}

/// A party that can use a way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Holder {
    /// As the trust policy names it (an ARN, an account id or `*`), or, for a user, the vendor
    /// its access key was made for.
    pub principal: String,
    pub kind: HolderKind,
    /// The principal's account; `None` for `*`.
    pub account: Option<String>,
    /// Who the account belongs to, from the catalog or `--known-accounts`.
    pub known_as: Option<String>,
    /// Whether this principal must pass an external ID (the trust evaluator's answer).
    pub external_id: ExternalId,
}

/// What a trusted principal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum HolderKind {
    /// `*`: any AWS principal.
    Everyone,
    /// A whole account (its root, or its bare id).
    Account,
    Role,
    User,
    /// An assumed-role session.
    Session,
    /// The vendor an access key was made for.
    Vendor,
}

/// Whether an external ID is needed to get in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ExternalId {
    Required,
    NotRequired,
    /// The trust policy has conditions the evaluator does not model.
    Unknown,
    /// Users: access keys have no external ID.
    NotApplicable,
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExternalId::Required => "required",
            ExternalId::NotRequired => "NOT required",
            ExternalId::Unknown => "unknown",
            ExternalId::NotApplicable => "n/a",
        })
    }
}

/// Who manages a role or user, read from its tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "tool", rename_all = "lowercase")]
pub(crate) enum Manager {
    /// `managed-by=onboard`: `onboard apply` made it.
    Onboard { vendor: String, integration: String },
    /// A CloudFormation stack (the stack's tags, or `onboard export`'s `managed-by`).
    Cloudformation {
        stack: Option<String>,
        vendor: Option<String>,
    },
    /// Terraform (its tags, or `onboard export`'s `managed-by`).
    Terraform { vendor: Option<String> },
    /// Nothing in its tags says.
    Unknown,
}

impl Manager {
    /// The vendor the tags name, if any.
    pub(crate) fn vendor(&self) -> Option<&str> {
        match self {
            Manager::Onboard { vendor, .. } => Some(vendor),
            Manager::Cloudformation { vendor, .. } | Manager::Terraform { vendor } => {
                vendor.as_deref()
            }
            Manager::Unknown => None,
        }
    }
}

impl fmt::Display for Manager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let vendor = |v: &Option<String>| v.as_ref().map(|v| format!(" ({v})")).unwrap_or_default();
        match self {
            Manager::Onboard {
                vendor,
                integration,
            } => write!(f, "onboard ({vendor} {integration})"),
            Manager::Cloudformation { stack, vendor: v } => match stack {
                Some(stack) => write!(f, "CloudFormation stack {stack}{}", vendor(v)),
                None => write!(f, "CloudFormation{}", vendor(v)),
            },
            Manager::Terraform { vendor: v } => write!(f, "Terraform{}", vendor(v)),
            Manager::Unknown => f.write_str("unknown"),
        }
    }
}

/// What a way in grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Grants {
    pub policies: Vec<PolicyRef>,
    /// The services `Allow` statements grant, with their access levels (an upper bound: `Deny`
    /// statements, conditions and resources are not subtracted).
    pub services: Vec<ServiceAccess>,
    /// Whether a policy grants every action on every resource (or all of IAM): the holder
    /// can do anything in the account.
    pub administrator: bool,
}

/// A policy held by a role or user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PolicyRef {
    pub kind: PolicyKind,
    pub name: String,
    /// The ARN of a managed policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PolicyKind {
    AwsManaged,
    CustomerManaged,
    Inline,
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyKind::AwsManaged => "AWS managed",
            PolicyKind::CustomerManaged => "customer managed",
            PolicyKind::Inline => "inline",
        })
    }
}

/// One service and the access levels granted on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ServiceAccess {
    /// The service prefix (`s3`), or `*` for every service.
    pub service: String,
    pub levels: Vec<Level>,
}

impl fmt::Display for ServiceAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let levels: String = self.levels.iter().map(|l| l.letter()).collect();
        write!(f, "{}:{levels}", self.service)
    }
}

/// An access level of AWS's Service Authorization Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Level {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl Level {
    pub(crate) const ALL: [Level; 5] = [
        Level::List,
        Level::Read,
        Level::Write,
        Level::PermissionsManagement,
        Level::Tagging,
    ];

    /// The one-letter code the text table uses.
    pub(crate) fn letter(self) -> char {
        match self {
            Level::List => 'L',
            Level::Read => 'R',
            Level::Write => 'W',
            Level::PermissionsManagement => 'P',
            Level::Tagging => 'T',
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::List => "List",
            Level::Read => "Read",
            Level::Write => "Write",
            Level::PermissionsManagement => "Permissions management",
            Level::Tagging => "Tagging",
        })
    }
}

/// An access key of a user (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct KeyReport {
    pub id: String,
    pub active: bool,
    /// RFC 3339.
    pub created: String,
    pub age_days: i64,
    /// RFC 3339; `None` when never used.
    pub last_used: Option<String>,
    /// The service it was last used with.
    pub last_service: Option<String>,
}
