//! One module per IAM kind onboard manages. Each owns everything about its kind: how it is
//! read (for apply and for teardown), its steps (one struct per [`crate::plan::Action`]
//! variant, with the write call and how a retried call converges), what apply plans for it, and
//! how teardown removes it. [`crate::plan::Action`] dispatches to them with one exhaustive
//! match; adding a kind is a new module here plus the places the compiler points to.

pub(crate) mod access_key;
pub(crate) mod inline_policy;
pub(crate) mod instance_profile;
pub(crate) mod managed_policy;
#[cfg(test)]
pub(crate) mod mocks;
pub(crate) mod role;
pub(crate) mod user;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use aws_sdk_iam::types::Tag as IamTag;
use serde::{Serialize, Serializer};

use crate::aws::Aws;
use crate::error::{Error, Result, Usage};
use crate::handoff::NewAccessKey;
use crate::plan::{Action, ApplyOptions, Documents, Drift, Plan, Verb, name_of};
use crate::state::{Observed, Tag, Tags, VENDOR_TAG, is_owned};
use crate::verification::Written;

/// A kind of IAM resource, as output names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    ManagedPolicy,
    Role,
    InstanceProfile,
    User,
    /// A group: onboard creates none, but finds policies and users in them.
    Group,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::ManagedPolicy => "policy",
            Kind::Role => "role",
            Kind::InstanceProfile => "instance profile",
            Kind::User => "user",
            Kind::Group => "group",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An IAM entity whose visibility a run waits for (see [`crate::aws`]'s propagation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Entity {
    Role(String),
    /// By ARN.
    Policy(String),
    User(String),
    InstanceProfile(String),
    AccessKey(String),
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entity::Role(name) => write!(f, "role {name}"),
            Entity::Policy(arn) => write!(f, "policy {}", name_of(arn)),
            Entity::User(name) => write!(f, "user {name}"),
            Entity::InstanceProfile(name) => write!(f, "instance profile {name}"),
            Entity::AccessKey(id) => write!(f, "access key {id}"),
        }
    }
}

/// What every step of every kind tells about itself, and how it runs.
pub(crate) trait Step {
    /// The verb and its object ("policy X").
    fn words(&self) -> (Verb, String);
    /// The entities that must exist for the step to succeed (what a `NoSuchEntity` answer may
    /// be about).
    fn depends_on(&self) -> Vec<Entity>;
    /// The entity the step brings into being (`true`) or removes (`false`).
    fn outcome(&self) -> Option<(Entity, bool)>;
    /// Whether the step writes a trust policy (whose principal IAM may not know yet).
    fn writes_trust_policy(&self) -> bool;
    /// The document the step writes, what it replaces, and their labels, for plan's diff.
    fn documents<'a>(&'a self, observed: &'a Observed) -> Option<Documents<'a>>;
    /// Makes the step's write call so that it converges (see [`crate::aws`]'s converge); a new
    /// access key comes back (and only from [`access_key::CreateAccessKey`]).
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>>;
    /// What the step leaves in place once IAM answered it with success, laid over what the run
    /// read, for apply's verification (a result the step does not hold is marked unknown, to
    /// be read back).
    fn record(&self, written: &mut Written);

    /// Whether the step makes a principal (role or user) without a permissions boundary: an
    /// `AccessDenied` on it may mean the caller's own policy requires one. Only the two creating
    /// steps say yes.
    fn creates_without_boundary(&self) -> bool {
        false
    }

    /// What the step is doing, for errors: "creating role StreamkapInstallAccess".
    fn doing(&self) -> String {
        let (verb, object) = self.words();
        format!("{} {object}", verb.doing())
    }
}

/// Refuses a resource onboard did not create, or created for another vendor.
pub(crate) fn check_ownership(kind: Kind, name: &str, tags: &Tags, vendor: &str) -> Result<()> {
    if !is_owned(tags) {
        return Err(Error::NotOwned {
            kind,
            name: name.to_owned(),
        });
    }
    match tags.get(VENDOR_TAG) {
        Some(owner) if owner != vendor => Err(Error::from(Usage::OtherVendors {
            kind,
            name: name.to_owned(),
            owner: owner.clone(),
            vendor: vendor.to_owned(),
        })),
        _ => Ok(()),
    }
}

/// The desired tags a resource lacks or holds with another value.
pub(crate) fn missing_tags(desired: &[Tag], found: &Tags) -> Vec<Tag> {
    desired
        .iter()
        .filter(|t| found.get(&t.key) != Some(&t.value))
        .cloned()
        .collect()
}

/// Tags as the SDK takes them.
pub(crate) fn iam_tags(tags: &[Tag]) -> Vec<IamTag> {
    tags.iter()
        .map(|t| {
            IamTag::builder()
                .key(&t.key)
                .value(&t.value)
                .build()
                .expect("key and value are set")
        })
        .collect()
}

/// Tags as the SDK answers them, as a map.
pub(crate) fn tags_of(tags: &[IamTag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// The list of tags as plan shows it: `k=v, k=v`.
pub(crate) fn list(tags: &[Tag]) -> String {
    tags.iter()
        .map(|t| format!("{}={}", t.key, t.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Managed policies attached to an owned role or user that the catalog does not name: detached
/// (`detach`) with `--exclusive`, otherwise drift.
pub(crate) fn extra_attachments(
    plan: &mut Plan,
    kind: Kind,
    name: &str,
    attached: &[String],
    wanted: &[String],
    options: ApplyOptions,
    detach: impl Fn(&str) -> Action,
) {
    for arn in attached.iter().filter(|a| !wanted.contains(a)) {
        if options.exclusive {
            plan.push(detach(arn), vec![]);
        } else {
            plan.drift.push(Drift::ExtraAttachment {
                kind,
                name: name.to_owned(),
                policy_arn: arn.clone(),
            });
        }
    }
}

/// What teardown of roles and users has planned so far, for the kinds removed after them.
#[derive(Debug, Default)]
pub(crate) struct Emptied<'a> {
    /// Each policy detached from a role or user, and the detaching step.
    pub(crate) detached: Vec<(&'a str, usize)>,
    /// (instance profile, role) → the step removing the role from it.
    pub(crate) removed: BTreeMap<(&'a str, &'a str), usize>,
    /// (kind, name) of the roles and users deleted.
    pub(crate) deleted: BTreeSet<(Kind, &'a str)>,
}
