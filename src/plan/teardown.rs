//! The teardown plan: remove everything onboard owns, in dependency order, and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, Kept, Plan};
use crate::state::{Tags, VENDOR_TAG};

/// Where a policy is attached, as ListEntitiesForPolicy reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entity {
    pub kind: &'static str,
    pub name: String,
}

/// An onboard-owned role and what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OwnedRole {
    pub name: String,
    pub tags: Tags,
    pub attached: Vec<String>,
    pub inline_policies: Vec<String>,
    /// Instance profiles holding the role, and whether onboard owns each.
    pub instance_profiles: Vec<(String, bool)>,
}

/// An onboard-owned managed policy and what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OwnedPolicy {
    pub arn: String,
    pub name: String,
    pub tags: Tags,
    pub non_default_versions: Vec<String>,
    pub entities: Vec<Entity>,
}

/// An onboard-owned instance profile and the roles it holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OwnedInstanceProfile {
    pub name: String,
    pub tags: Tags,
    pub roles: Vec<String>,
}

/// An onboard-owned user and what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OwnedUser {
    pub name: String,
    pub tags: Tags,
    pub attached: Vec<String>,
    pub inline_policies: Vec<String>,
    pub access_keys: Vec<String>,
    /// Groups the user is in (onboard never puts users in groups).
    pub groups: Vec<String>,
}

/// Everything onboard owns in an account, and the same-named resources it does not.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Inventory {
    pub roles: Vec<OwnedRole>,
    pub policies: Vec<OwnedPolicy>,
    pub instance_profiles: Vec<OwnedInstanceProfile>,
    pub users: Vec<OwnedUser>,
    /// Resources named as a catalog item but without onboard's tags.
    pub foreign: Vec<Kept>,
}

/// What `teardown` must do to remove everything onboard owns (for `vendor`, when given), in
/// dependency order, touching nothing it does not own.
pub(crate) fn plan_teardown(inventory: &Inventory, vendor: Option<&str>) -> Plan {
    let mut plan = Plan {
        kept: inventory.foreign.clone(),
        ..Plan::default()
    };
    let in_scope =
        |tags: &Tags| vendor.is_none_or(|v| tags.get(VENDOR_TAG).map(String::as_str) == Some(v));

    // Holders first: roles and users. One held by something onboard does not own is kept, and
    // so is everything attached to it.
    let mut deleted: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut detached: Vec<(&str, usize)> = Vec::new();
    let mut removed: BTreeMap<(&str, &str), usize> = BTreeMap::new();
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
        let mut before = Vec::new();
        for arn in &role.attached {
            let step = plan.push(
                Action::DetachRolePolicy {
                    role: role.name.clone(),
                    policy_arn: arn.clone(),
                },
                vec![],
            );
            detached.push((arn, step));
            before.push(step);
        }
        for policy_name in &role.inline_policies {
            let delete = Action::DeleteRolePolicy {
                role: role.name.clone(),
                policy_name: policy_name.clone(),
            };
            before.push(plan.push(delete, vec![]));
        }
        for (profile, _) in &role.instance_profiles {
            let remove = Action::RemoveRoleFromInstanceProfile {
                role: role.name.clone(),
                instance_profile: profile.clone(),
            };
            let step = plan.push(remove, vec![]);
            removed.insert((profile, &role.name), step);
            before.push(step);
        }
        plan.push(
            Action::DeleteRole {
                role: role.name.clone(),
            },
            before,
        );
        deleted.insert(("role", &role.name));
    }

    for user in inventory.users.iter().filter(|u| in_scope(&u.tags)) {
        if let Some(group) = user.groups.first() {
            plan.kept.push(Kept {
                kind: "user",
                name: user.name.clone(),
                reason: format!(
                    "it is in group {group}, which onboard did not put it in: \
                     remove it there (aws iam remove-user-from-group) and run teardown again"
                ),
            });
            continue;
        }
        let mut before = Vec::new();
        for key_id in &user.access_keys {
            let delete = Action::DeleteAccessKey {
                user: user.name.clone(),
                key_id: key_id.clone(),
            };
            before.push(plan.push(delete, vec![]));
        }
        for arn in &user.attached {
            let step = plan.push(
                Action::DetachUserPolicy {
                    user: user.name.clone(),
                    policy_arn: arn.clone(),
                },
                vec![],
            );
            detached.push((arn, step));
            before.push(step);
        }
        for policy_name in &user.inline_policies {
            let delete = Action::DeleteUserPolicy {
                user: user.name.clone(),
                policy_name: policy_name.clone(),
            };
            before.push(plan.push(delete, vec![]));
        }
        plan.push(
            Action::DeleteUser {
                user: user.name.clone(),
            },
            before,
        );
        deleted.insert(("user", &user.name));
    }

    // Instance profiles: empty them (onboard owns the profile), then delete them.
    for profile in inventory
        .instance_profiles
        .iter()
        .filter(|p| in_scope(&p.tags))
    {
        let mut before = Vec::new();
        for role in &profile.roles {
            let step = match removed.get(&(profile.name.as_str(), role.as_str())) {
                Some(&step) => step,
                None => plan.push(
                    Action::RemoveRoleFromInstanceProfile {
                        role: role.clone(),
                        instance_profile: profile.name.clone(),
                    },
                    vec![],
                ),
            };
            before.push(step);
        }
        plan.push(
            Action::DeleteInstanceProfile {
                name: profile.name.clone(),
            },
            before,
        );
    }

    for policy in inventory.policies.iter().filter(|p| in_scope(&p.tags)) {
        let holder = policy
            .entities
            .iter()
            .find(|e| !deleted.contains(&(e.kind, e.name.as_str())));
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
        let mut before: Vec<usize> = detached
            .iter()
            .filter(|(arn, _)| *arn == policy.arn)
            .map(|(_, step)| *step)
            .collect();
        for version_id in &policy.non_default_versions {
            let delete = Action::DeletePolicyVersion {
                policy_arn: policy.arn.clone(),
                version_id: version_id.clone(),
            };
            before.push(plan.push(delete, vec![]));
        }
        plan.push(
            Action::DeletePolicy {
                policy_arn: policy.arn.clone(),
            },
            before,
        );
    }
    plan
}
