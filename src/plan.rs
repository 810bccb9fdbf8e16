//! The pure heart of onboard: desired and observed state in, a list of steps with dependency
//! edges out. `apply` and `teardown` both execute a [`Plan`]; nothing here speaks to AWS.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::policy::same_document;
use crate::state::{Desired, DesiredPolicy, DesiredRole, Observed, Tags, VENDOR_TAG, is_owned};

/// One write call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreatePolicy(DesiredPolicy),
    CreateRole(DesiredRole),
    AttachRolePolicy {
        role: String,
        policy_arn: String,
    },
    DetachRolePolicy {
        role: String,
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
    DeleteRole {
        role: String,
    },
}

impl Action {
    /// The verb (create, attach, detach, delete, remove) and its object ("policy X").
    fn words(&self) -> (&'static str, String) {
        match self {
            Action::CreatePolicy(p) => ("create", format!("policy {}", p.name)),
            Action::CreateRole(r) => ("create", format!("role {}", r.name)),
            Action::AttachRolePolicy { role, policy_arn } => (
                "attach",
                format!("policy {} to role {role}", name_of(policy_arn)),
            ),
            Action::DetachRolePolicy { role, policy_arn } => (
                "detach",
                format!("policy {} from role {role}", name_of(policy_arn)),
            ),
            Action::DeletePolicyVersion {
                policy_arn,
                version_id,
            } => (
                "delete",
                format!("version {version_id} of policy {}", name_of(policy_arn)),
            ),
            Action::DeletePolicy { policy_arn } => {
                ("delete", format!("policy {}", name_of(policy_arn)))
            }
            Action::RemoveRoleFromInstanceProfile {
                role,
                instance_profile,
            } => (
                "remove",
                format!("role {role} from instance profile {instance_profile}"),
            ),
            Action::DeleteInstanceProfile { name } => {
                ("delete", format!("instance profile {name}"))
            }
            Action::DeleteRolePolicy { role, policy_name } => (
                "delete",
                format!("inline policy {policy_name} of role {role}"),
            ),
            Action::DeleteRole { role } => ("delete", format!("role {role}")),
        }
    }

    /// What the step will do: "delete role StreamkapInstallAccess".
    pub fn describe(&self) -> String {
        let (verb, object) = self.words();
        format!("{verb} {object}")
    }

    /// What the step is doing, for errors: "creating role StreamkapInstallAccess".
    pub fn doing(&self) -> String {
        let (verb, object) = self.words();
        format!("{}ing {object}", verb.strip_suffix('e').unwrap_or(verb))
    }

    /// What the step did, for results: "created role StreamkapInstallAccess".
    pub fn done(&self) -> String {
        let (verb, object) = self.words();
        let ending = if verb.ends_with('e') { "d" } else { "ed" };
        format!("{verb}{ending} {object}")
    }
}

/// The last segment of an ARN: a policy's or role's name.
pub fn name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// An action and the indices of the steps that must finish before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: Action,
    /// Indices of earlier steps only, so a plan is always acyclic.
    pub after: Vec<usize>,
}

/// A resource onboard found and leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub kind: &'static str,
    pub name: String,
    pub reason: String,
}

/// A resource that is already as wanted (or present, with drift reported separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Present {
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub present: Vec<Present>,
    pub kept: Vec<Kept>,
    /// Owned resources whose content differs from the catalog; apply does not rewrite them yet.
    pub drift: Vec<String>,
}

impl Plan {
    fn push(&mut self, action: Action, after: Vec<usize>) -> usize {
        debug_assert!(after.iter().all(|&i| i < self.steps.len()));
        self.steps.push(Step { action, after });
        self.steps.len() - 1
    }
}

/// Refuses a resource onboard did not create, or created for another vendor.
fn check_ownership(kind: &'static str, name: &str, tags: &Tags, vendor: &str) -> Result<()> {
    if !is_owned(tags) {
        return Err(Error::NotOwned {
            kind,
            name: name.to_owned(),
        });
    }
    match tags.get(VENDOR_TAG) {
        Some(owner) if owner != vendor => Err(Error::Usage(format!(
            "{kind} {name} was created by onboard for vendor {owner}, not {vendor}: \
             pick other names with --name-prefix/--name-suffix"
        ))),
        _ => Ok(()),
    }
}

/// What `apply` must do to turn `observed` into `desired`. Fails, before any step, when a name is
/// taken by a resource onboard does not own.
pub fn plan_apply(desired: &Desired, observed: &Observed) -> Result<Plan> {
    for role in &desired.roles {
        if let Some(boundary) = &role.permissions_boundary
            && observed.boundaries.get(boundary) == Some(&false)
        {
            return Err(Error::Usage(format!(
                "--permissions-boundary {boundary}: no such policy in this account: \
                 create it first or fix the ARN"
            )));
        }
    }
    let mut plan = Plan::default();
    let mut created_policy = Vec::new();
    for policy in &desired.policies {
        match observed.policies.get(&policy.arn).and_then(Option::as_ref) {
            None => {
                let step = plan.push(Action::CreatePolicy(policy.clone()), vec![]);
                created_policy.push((policy.arn.as_str(), step));
            }
            Some(found) => {
                check_ownership("policy", &policy.name, &found.tags, &desired.vendor)?;
                if !same_document(&found.document, &policy.document) {
                    plan.drift.push(format!(
                        "policy {}: default version {} differs from the catalog",
                        policy.name, found.default_version_id
                    ));
                }
                plan.present.push(Present {
                    kind: "policy",
                    name: policy.name.clone(),
                    arn: policy.arn.clone(),
                });
            }
        }
    }
    let policy_step = |arn: &str| {
        created_policy
            .iter()
            .find(|(a, _)| *a == arn)
            .map(|(_, step)| *step)
    };

    for role in &desired.roles {
        let (role_step, attached) = match observed.roles.get(&role.name).and_then(Option::as_ref) {
            None => (
                Some(plan.push(Action::CreateRole(role.clone()), vec![])),
                BTreeSet::new(),
            ),
            Some(found) => {
                check_ownership("role", &role.name, &found.tags, &desired.vendor)?;
                if !same_document(&found.trust, &role.trust) {
                    plan.drift.push(format!(
                        "role {}: trust policy differs from the catalog",
                        role.name
                    ));
                }
                plan.present.push(Present {
                    kind: "role",
                    name: role.name.clone(),
                    arn: found.arn.clone(),
                });
                (None, found.attached.iter().map(String::as_str).collect())
            }
        };
        for arn in &role.policy_arns {
            if attached.contains(arn.as_str()) {
                continue;
            }
            let after = role_step.into_iter().chain(policy_step(arn)).collect();
            let attach = Action::AttachRolePolicy {
                role: role.name.clone(),
                policy_arn: arn.clone(),
            };
            plan.push(attach, after);
        }
    }
    Ok(plan)
}

/// Where a policy is attached, as ListEntitiesForPolicy reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub kind: &'static str,
    pub name: String,
}

/// An onboard-owned role and what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedRole {
    pub name: String,
    pub tags: Tags,
    pub attached: Vec<String>,
    pub inline_policies: Vec<String>,
    /// Instance profiles holding the role, and whether onboard owns each.
    pub instance_profiles: Vec<(String, bool)>,
}

/// An onboard-owned managed policy and what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedPolicy {
    pub arn: String,
    pub name: String,
    pub tags: Tags,
    pub non_default_versions: Vec<String>,
    pub entities: Vec<Entity>,
}

/// Everything onboard owns in an account, and the same-named resources it does not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    pub roles: Vec<OwnedRole>,
    pub policies: Vec<OwnedPolicy>,
    /// Resources named as a catalog item but without onboard's tags.
    pub foreign: Vec<Kept>,
}

/// What `teardown` must do to remove everything onboard owns (for `vendor`, when given), in
/// dependency order, touching nothing it does not own.
pub fn plan_teardown(inventory: &Inventory, vendor: Option<&str>) -> Plan {
    let mut plan = Plan {
        kept: inventory.foreign.clone(),
        ..Plan::default()
    };
    let in_scope =
        |tags: &Tags| vendor.is_none_or(|v| tags.get(VENDOR_TAG).map(String::as_str) == Some(v));

    // Roles first: a role held by an instance profile onboard does not own is kept, and so is
    // everything attached to it.
    let mut deleted_roles = BTreeSet::new();
    let mut detach_steps: Vec<(String, usize)> = Vec::new();
    for role in inventory.roles.iter().filter(|r| in_scope(&r.tags)) {
        if let Some((profile, _)) = role.instance_profiles.iter().find(|(_, owned)| !owned) {
            plan.kept.push(Kept {
                kind: "role",
                name: role.name.clone(),
                reason: format!(
                    "it is in instance profile {profile}, which onboard did not create: \
                     remove it there (aws iam remove-role-from-instance-profile) and run teardown again"
                ),
            });
            continue;
        }
        let mut before_delete = Vec::new();
        for arn in &role.attached {
            let detach = Action::DetachRolePolicy {
                role: role.name.clone(),
                policy_arn: arn.clone(),
            };
            let step = plan.push(detach, vec![]);
            detach_steps.push((arn.clone(), step));
            before_delete.push(step);
        }
        for policy_name in &role.inline_policies {
            let delete = Action::DeleteRolePolicy {
                role: role.name.clone(),
                policy_name: policy_name.clone(),
            };
            before_delete.push(plan.push(delete, vec![]));
        }
        for (profile, _) in &role.instance_profiles {
            let remove = Action::RemoveRoleFromInstanceProfile {
                role: role.name.clone(),
                instance_profile: profile.clone(),
            };
            let removed = plan.push(remove, vec![]);
            before_delete.push(removed);
            plan.push(
                Action::DeleteInstanceProfile {
                    name: profile.clone(),
                },
                vec![removed],
            );
        }
        plan.push(
            Action::DeleteRole {
                role: role.name.clone(),
            },
            before_delete,
        );
        deleted_roles.insert(role.name.as_str());
    }

    for policy in inventory.policies.iter().filter(|p| in_scope(&p.tags)) {
        let holder = policy
            .entities
            .iter()
            .find(|e| !(e.kind == "role" && deleted_roles.contains(e.name.as_str())));
        if let Some(holder) = holder {
            plan.kept.push(Kept {
                kind: "policy",
                name: policy.name.clone(),
                reason: format!(
                    "it is attached to {} {}, which teardown does not remove: detach it there and run teardown again",
                    holder.kind, holder.name
                ),
            });
            continue;
        }
        let mut before_delete: Vec<usize> = detach_steps
            .iter()
            .filter(|(arn, _)| *arn == policy.arn)
            .map(|(_, step)| *step)
            .collect();
        for version_id in &policy.non_default_versions {
            let delete = Action::DeletePolicyVersion {
                policy_arn: policy.arn.clone(),
                version_id: version_id.clone(),
            };
            before_delete.push(plan.push(delete, vec![]));
        }
        plan.push(
            Action::DeletePolicy {
                policy_arn: policy.arn.clone(),
            },
            before_delete,
        );
    }
    plan
}

#[cfg(test)]
mod tests;
