//! The words a plan is told in: the verb of each step, the drift apply leaves, and why a
//! resource is kept. Each renders through `Display` (and serializes as that text).

use std::fmt;

use serde::{Serialize, Serializer};

use super::name_of;
use crate::kinds::Kind;

/// What a step does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Verb {
    Create,
    Update,
    Put,
    Tag,
    Untag,
    Add,
    Attach,
    Detach,
    Remove,
    Deactivate,
    Delete,
}

impl Verb {
    /// The word: "create".
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Put => "put",
            Verb::Tag => "tag",
            Verb::Untag => "untag",
            Verb::Add => "add",
            Verb::Attach => "attach",
            Verb::Detach => "detach",
            Verb::Remove => "remove",
            Verb::Deactivate => "deactivate",
            Verb::Delete => "delete",
        }
    }

    /// The word for what a step is doing: "creating".
    pub(crate) fn doing(self) -> &'static str {
        match self {
            Verb::Create => "creating",
            Verb::Update => "updating",
            Verb::Put => "putting",
            Verb::Tag => "tagging",
            Verb::Untag => "untagging",
            Verb::Add => "adding",
            Verb::Attach => "attaching",
            Verb::Detach => "detaching",
            Verb::Remove => "removing",
            Verb::Deactivate => "deactivating",
            Verb::Delete => "deleting",
        }
    }

    /// The word for what a step did: "created".
    pub(crate) fn done(self) -> &'static str {
        match self {
            Verb::Create => "created",
            Verb::Update => "updated",
            Verb::Put => "put",
            Verb::Tag => "tagged",
            Verb::Untag => "untagged",
            Verb::Add => "added",
            Verb::Attach => "attached",
            Verb::Detach => "detached",
            Verb::Remove => "removed",
            Verb::Deactivate => "deactivated",
            Verb::Delete => "deleted",
        }
    }

    /// The kind of change, as plan counts it: create, update, put, attach, detach, tag or
    /// delete.
    pub(crate) fn change(self) -> Verb {
        match self {
            Verb::Add => Verb::Attach,
            Verb::Remove => Verb::Detach,
            Verb::Untag => Verb::Tag,
            Verb::Deactivate => Verb::Update,
            verb @ (Verb::Create
            | Verb::Update
            | Verb::Put
            | Verb::Tag
            | Verb::Attach
            | Verb::Detach
            | Verb::Delete) => verb,
        }
    }

    /// Whether the step takes something away: done once it is gone.
    pub(crate) fn is_removal(self) -> bool {
        match self {
            Verb::Untag | Verb::Detach | Verb::Remove | Verb::Delete => true,
            Verb::Create
            | Verb::Update
            | Verb::Put
            | Verb::Tag
            | Verb::Add
            | Verb::Attach
            | Verb::Deactivate => false,
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Verb {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A difference from the catalog that apply leaves as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Drift {
    /// A managed policy the catalog does not name is attached to an owned role or user.
    ExtraAttachment {
        kind: Kind,
        name: String,
        policy_arn: String,
    },
    /// An owned role holds an inline policy the catalog does not name.
    ExtraInlinePolicy { role: String, policy_name: String },
    /// Another run is handing an access key of the user over.
    KeyInFlight { user: String, key_id: String },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::ExtraAttachment {
                kind,
                name,
                policy_arn,
            } => write!(
                f,
                "{kind} {name} has policy {} attached, which the catalog does not name: left attached \
                 (--exclusive detaches it)",
                name_of(policy_arn)
            ),
            Drift::ExtraInlinePolicy { role, policy_name } => write!(
                f,
                "role {role} has inline policy {policy_name}, which the catalog does not name: left in place \
                 (--exclusive deletes it)"
            ),
            Drift::KeyInFlight { user, key_id } => write!(
                f,
                "access key {key_id} of user {user} is being handed over by another onboard run: left to it"
            ),
        }
    }
}

impl Serialize for Drift {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Why teardown keeps a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeptReason {
    /// Named as a catalog item, but without onboard's tag.
    NotOwned,
    /// The role is in an instance profile onboard did not create.
    InForeignInstanceProfile(String),
    /// The user is in a group (onboard never puts users in groups).
    InGroup(String),
    /// The policy is attached to something teardown does not remove.
    AttachedElsewhere { kind: Kind, name: String },
}

impl fmt::Display for KeptReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeptReason::NotOwned => {
                f.write_str("it has no managed-by=onboard tag, so onboard did not create it")
            }
            KeptReason::InForeignInstanceProfile(profile) => write!(
                f,
                "it is in instance profile {profile}, which onboard did not create: \
                 remove it there (aws iam remove-role-from-instance-profile) and run teardown again"
            ),
            KeptReason::InGroup(group) => write!(
                f,
                "it is in group {group}, which onboard did not put it in: \
                 remove it there (aws iam remove-user-from-group) and run teardown again"
            ),
            KeptReason::AttachedElsewhere { kind, name } => write!(
                f,
                "it is attached to {kind} {name}, which teardown does not remove: detach it there and run teardown again"
            ),
        }
    }
}

impl Serialize for KeptReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_VERB: [Verb; 11] = [
        Verb::Create,
        Verb::Update,
        Verb::Put,
        Verb::Tag,
        Verb::Untag,
        Verb::Add,
        Verb::Attach,
        Verb::Detach,
        Verb::Remove,
        Verb::Deactivate,
        Verb::Delete,
    ];

    #[test]
    fn every_verb_reads_as_english_and_counts_as_a_change_plan_names() {
        for verb in EVERY_VERB {
            let word = verb.as_str();
            assert!(verb.doing().ends_with("ing"), "{verb}");
            assert!(
                verb.doing().starts_with(word.trim_end_matches('e')),
                "{verb}: {}",
                verb.doing()
            );
            assert!(
                verb.done().starts_with(word.trim_end_matches('e')),
                "{verb}"
            );
            assert_eq!(verb.change().change(), verb.change(), "{verb}");
            assert_eq!(serde_json::to_value(verb).unwrap(), word);
        }
        assert_eq!(Verb::Tag.doing(), "tagging");
        assert_eq!(Verb::Put.done(), "put");
        assert_eq!(Verb::Deactivate.change(), Verb::Update);
    }

    #[test]
    fn drift_and_reasons_serialize_as_the_text_they_show() {
        let drift = Drift::ExtraAttachment {
            kind: Kind::Role,
            name: "R".into(),
            policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
        };
        assert_eq!(
            serde_json::to_value(&drift).unwrap(),
            drift.to_string().as_str()
        );
        assert!(
            drift
                .to_string()
                .starts_with("role R has policy ReadOnlyAccess attached")
        );
        let kept = KeptReason::AttachedElsewhere {
            kind: Kind::Group,
            name: "G".into(),
        };
        assert_eq!(
            serde_json::to_value(&kept).unwrap(),
            kept.to_string().as_str()
        );
        assert!(kept.to_string().starts_with("it is attached to group G,"));
    }
}
