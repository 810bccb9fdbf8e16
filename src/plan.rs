//! The pure heart of onboard: desired and observed state in, a list of steps with dependency
//! edges out. `apply` and `teardown` both execute a [`Plan`]; nothing here speaks to AWS.

mod apply;
mod rotation;
mod teardown;

use serde::Serialize;
use serde_json::Value;

pub(crate) use apply::{ApplyOptions, plan_apply};
pub(crate) use rotation::{plan_retire, plan_rotation, push_key_cleanup};
pub(crate) use teardown::{
    Entity, Inventory, OwnedInstanceProfile, OwnedPolicy, OwnedRole, OwnedUser, plan_teardown,
};

use crate::state::{DesiredPolicy, DesiredRole, DesiredUser, Tag};

/// One write call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    CreatePolicy(DesiredPolicy),
    CreatePolicyVersion {
        policy_arn: String,
        document: Value,
        /// The versions the plan saw: another version with the same document that is not among
        /// them was made by a run repairing the policy at the same time (see aws::versions).
        known_versions: Vec<String>,
    },
    CreateRole(DesiredRole),
    UpdateAssumeRolePolicy {
        role: String,
        document: Value,
    },
    UpdateRole {
        role: String,
        max_session_duration: i32,
    },
    PutRolePermissionsBoundary {
        role: String,
        boundary: String,
    },
    TagPolicy {
        policy_arn: String,
        tags: Vec<Tag>,
    },
    TagRole {
        role: String,
        tags: Vec<Tag>,
    },
    TagInstanceProfile {
        name: String,
        tags: Vec<Tag>,
    },
    TagUser {
        user: String,
        tags: Vec<Tag>,
    },
    /// Removes tags from a user: the record of access keys that are gone, pending tags of runs
    /// that are over.
    UntagUser {
        user: String,
        keys: Vec<String>,
    },
    CreateInstanceProfile {
        name: String,
        path: String,
        tags: Vec<Tag>,
    },
    AddRoleToInstanceProfile {
        role: String,
        instance_profile: String,
    },
    AttachRolePolicy {
        role: String,
        policy_arn: String,
    },
    CreateUser(DesiredUser),
    AttachUserPolicy {
        user: String,
        policy_arn: String,
    },
    CreateAccessKey {
        user: String,
    },
    DetachRolePolicy {
        role: String,
        policy_arn: String,
    },
    DetachUserPolicy {
        user: String,
        policy_arn: String,
    },
    DeletePolicyVersion {
        policy_arn: String,
        version_id: String,
    },
    DeletePolicy {
        policy_arn: String,
    },
    RemoveRoleFromInstanceProfile {
        role: String,
        instance_profile: String,
    },
    DeleteInstanceProfile {
        name: String,
    },
    DeleteRolePolicy {
        role: String,
        policy_name: String,
    },
    /// Writes (creates or replaces) an inline policy of a role.
    PutRolePolicy {
        role: String,
        policy_name: String,
        document: Value,
    },
    DeleteUserPolicy {
        user: String,
        policy_name: String,
    },
    DeactivateAccessKey {
        user: String,
        key_id: String,
    },
    DeleteAccessKey {
        user: String,
        key_id: String,
    },
    DeleteRole {
        role: String,
    },
    DeleteUser {
        user: String,
    },
}

impl Action {
    /// The verb (create, attach, add, detach, delete, remove) and its object ("policy X").
    fn words(&self) -> (&'static str, String) {
        use Action::{
            AddRoleToInstanceProfile, AttachRolePolicy, AttachUserPolicy, CreateAccessKey,
            CreateInstanceProfile, CreatePolicy, CreatePolicyVersion, CreateRole, CreateUser,
            DeactivateAccessKey, DeleteAccessKey, DeleteInstanceProfile, DeletePolicy,
            DeletePolicyVersion, DeleteRole, DeleteRolePolicy, DeleteUser, DeleteUserPolicy,
            DetachRolePolicy, DetachUserPolicy, PutRolePermissionsBoundary, PutRolePolicy,
            RemoveRoleFromInstanceProfile, TagInstanceProfile, TagPolicy, TagRole, TagUser,
            UntagUser, UpdateAssumeRolePolicy, UpdateRole,
        };
        match self {
            CreatePolicy(p) => ("create", format!("policy {}", p.name)),
            CreatePolicyVersion { policy_arn, .. } => (
                "update",
                format!("policy {} with a new default version", name_of(policy_arn)),
            ),
            CreateRole(r) => ("create", format!("role {}", r.name)),
            UpdateAssumeRolePolicy { role, .. } => {
                ("update", format!("trust policy of role {role}"))
            }
            UpdateRole {
                role,
                max_session_duration,
            } => (
                "update",
                format!(
                    "maximum session duration of role {role} to {max_session_duration} seconds"
                ),
            ),
            PutRolePermissionsBoundary { role, boundary } => (
                "update",
                format!("permissions boundary of role {role} to {boundary}"),
            ),
            TagPolicy { policy_arn, tags } => (
                "tag",
                format!("policy {} with {}", name_of(policy_arn), list(tags)),
            ),
            TagRole { role, tags } => ("tag", format!("role {role} with {}", list(tags))),
            TagInstanceProfile { name, tags } => (
                "tag",
                format!("instance profile {name} with {}", list(tags)),
            ),
            TagUser { user, tags } => ("tag", format!("user {user} with {}", list(tags))),
            UntagUser { user, keys } => ("untag", format!("user {user}: {}", keys.join(", "))),
            CreateInstanceProfile { name, .. } => ("create", format!("instance profile {name}")),
            AddRoleToInstanceProfile {
                role,
                instance_profile,
            } => (
                "add",
                format!("role {role} to instance profile {instance_profile}"),
            ),
            AttachRolePolicy { role, policy_arn } => (
                "attach",
                format!("policy {} to role {role}", name_of(policy_arn)),
            ),
            CreateUser(u) => ("create", format!("user {}", u.name)),
            AttachUserPolicy { user, policy_arn } => (
                "attach",
                format!("policy {} to user {user}", name_of(policy_arn)),
            ),
            CreateAccessKey { user } => ("create", format!("access key for user {user}")),
            DetachRolePolicy { role, policy_arn } => (
                "detach",
                format!("policy {} from role {role}", name_of(policy_arn)),
            ),
            DetachUserPolicy { user, policy_arn } => (
                "detach",
                format!("policy {} from user {user}", name_of(policy_arn)),
            ),
            DeletePolicyVersion {
                policy_arn,
                version_id,
            } => (
                "delete",
                format!("version {version_id} of policy {}", name_of(policy_arn)),
            ),
            DeletePolicy { policy_arn } => ("delete", format!("policy {}", name_of(policy_arn))),
            RemoveRoleFromInstanceProfile {
                role,
                instance_profile,
            } => (
                "remove",
                format!("role {role} from instance profile {instance_profile}"),
            ),
            DeleteInstanceProfile { name } => ("delete", format!("instance profile {name}")),
            PutRolePolicy {
                role, policy_name, ..
            } => ("put", format!("inline policy {policy_name} of role {role}")),
            DeleteRolePolicy { role, policy_name } => (
                "delete",
                format!("inline policy {policy_name} of role {role}"),
            ),
            DeleteUserPolicy { user, policy_name } => (
                "delete",
                format!("inline policy {policy_name} of user {user}"),
            ),
            DeactivateAccessKey { user, key_id } => {
                ("deactivate", format!("access key {key_id} of user {user}"))
            }
            DeleteAccessKey { user, key_id } => {
                ("delete", format!("access key {key_id} of user {user}"))
            }
            DeleteRole { role } => ("delete", format!("role {role}")),
            DeleteUser { user } => ("delete", format!("user {user}")),
        }
    }

    /// Whether the step takes something away (detach, remove, delete): done once it is gone.
    pub(crate) fn is_removal(&self) -> bool {
        use Action::{
            AddRoleToInstanceProfile, AttachRolePolicy, AttachUserPolicy, CreateAccessKey,
            CreateInstanceProfile, CreatePolicy, CreatePolicyVersion, CreateRole, CreateUser,
            DeactivateAccessKey, DeleteAccessKey, DeleteInstanceProfile, DeletePolicy,
            DeletePolicyVersion, DeleteRole, DeleteRolePolicy, DeleteUser, DeleteUserPolicy,
            DetachRolePolicy, DetachUserPolicy, PutRolePermissionsBoundary, PutRolePolicy,
            RemoveRoleFromInstanceProfile, TagInstanceProfile, TagPolicy, TagRole, TagUser,
            UntagUser, UpdateAssumeRolePolicy, UpdateRole,
        };
        match self {
            DetachRolePolicy { .. }
            | DetachUserPolicy { .. }
            | DeletePolicyVersion { .. }
            | DeletePolicy { .. }
            | RemoveRoleFromInstanceProfile { .. }
            | DeleteInstanceProfile { .. }
            | DeleteRolePolicy { .. }
            | DeleteUserPolicy { .. }
            | DeleteAccessKey { .. }
            | UntagUser { .. }
            | DeleteRole { .. }
            | DeleteUser { .. } => true,
            CreatePolicy(_)
            | CreatePolicyVersion { .. }
            | CreateRole(_)
            | UpdateAssumeRolePolicy { .. }
            | PutRolePolicy { .. }
            | UpdateRole { .. }
            | PutRolePermissionsBoundary { .. }
            | TagPolicy { .. }
            | TagRole { .. }
            | TagInstanceProfile { .. }
            | TagUser { .. }
            | CreateInstanceProfile { .. }
            | AddRoleToInstanceProfile { .. }
            | AttachRolePolicy { .. }
            | CreateUser(_)
            | AttachUserPolicy { .. }
            | CreateAccessKey { .. }
            | DeactivateAccessKey { .. } => false,
        }
    }

    /// The kind of change, as plan shows it: create, update, attach, detach, tag or delete.
    pub(crate) fn kind(&self) -> &'static str {
        match self.words().0 {
            "add" => "attach",
            "remove" => "detach",
            "untag" => "tag",
            "deactivate" => "update",
            verb => verb,
        }
    }

    /// What the step will do: "delete role StreamkapInstallAccess".
    pub(crate) fn describe(&self) -> String {
        let (verb, object) = self.words();
        format!("{verb} {object}")
    }

    /// What the step is doing, for errors: "creating role StreamkapInstallAccess".
    pub(crate) fn doing(&self) -> String {
        let (verb, object) = self.words();
        let stem = match verb {
            "tag" => "tagg",
            "untag" => "untagg",
            _ => verb.strip_suffix('e').unwrap_or(verb),
        };
        format!("{stem}ing {object}")
    }

    /// What the step did, for results: "created role StreamkapInstallAccess".
    pub(crate) fn done(&self) -> String {
        let (verb, object) = self.words();
        let past = match verb {
            "tag" => "tagged".to_owned(),
            "untag" => "untagged".to_owned(),
            _ if verb.ends_with('e') => format!("{verb}d"),
            _ => format!("{verb}ed"),
        };
        format!("{past} {object}")
    }
}

fn list(tags: &[Tag]) -> String {
    tags.iter()
        .map(|t| format!("{}={}", t.key, t.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last segment of an ARN: a policy's or role's name.
pub(crate) fn name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// An action and the indices of the steps that must finish before it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub action: Action,
    /// Indices of earlier steps only, so a plan is always acyclic.
    pub after: Vec<usize>,
}

/// A resource onboard found and leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Kept {
    pub kind: &'static str,
    pub name: String,
    pub reason: String,
}

/// A resource that is already there (drift, if any, is reported separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Present {
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    pub present: Vec<Present>,
    pub kept: Vec<Kept>,
    /// Differences from the catalog that apply leaves as they are (attachments the catalog does
    /// not name, without --exclusive).
    pub drift: Vec<String>,
}

impl Plan {
    pub(crate) fn push(&mut self, action: Action, after: Vec<usize>) -> usize {
        debug_assert!(after.iter().all(|&i| i < self.steps.len()));
        self.steps.push(Step { action, after });
        self.steps.len() - 1
    }

    /// Whether the plan creates an access key (whose secret must be handed over).
    pub(crate) fn creates_access_key(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.action, Action::CreateAccessKey { .. }))
    }
}

/// Each step's description and edges, for tests to compare plans.
#[cfg(test)]
pub(crate) fn described(plan: &Plan) -> Vec<(String, Vec<usize>)> {
    plan.steps
        .iter()
        .map(|s| (s.action.describe(), s.after.clone()))
        .collect()
}

#[cfg(test)]
mod tests;
