//! The apply plan: create what is missing, attach what is not attached.

use std::collections::BTreeSet;

use super::{Action, Plan, Present};
use crate::error::{Error, Result};
use crate::policy::same_document;
use crate::state::{Desired, Observed, Tags, VENDOR_TAG, is_owned};

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
/// taken by a resource onboard does not own or a permissions boundary does not exist.
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
        for arn in role
            .policy_arns
            .iter()
            .filter(|a| !attached.contains(a.as_str()))
        {
            let after = role_step.into_iter().chain(policy_step(arn)).collect();
            let attach = Action::AttachRolePolicy {
                role: role.name.clone(),
                policy_arn: arn.clone(),
            };
            plan.push(attach, after);
        }
        if !role.instance_profile {
            continue;
        }
        let profile_step = match observed
            .instance_profiles
            .get(&role.name)
            .and_then(Option::as_ref)
        {
            None => {
                let create = Action::CreateInstanceProfile {
                    name: role.name.clone(),
                    path: role.path.clone(),
                    tags: role.tags.clone(),
                };
                Some(plan.push(create, vec![]))
            }
            Some(found) => {
                check_ownership("instance profile", &role.name, &found.tags, &desired.vendor)?;
                plan.present.push(Present {
                    kind: "instance profile",
                    name: role.name.clone(),
                    arn: String::new(),
                });
                if found.roles.contains(&role.name) {
                    continue;
                }
                None
            }
        };
        let add = Action::AddRoleToInstanceProfile {
            role: role.name.clone(),
            instance_profile: role.name.clone(),
        };
        plan.push(add, role_step.into_iter().chain(profile_step).collect());
    }

    for user in &desired.users {
        let (user_step, attached, has_key) =
            match observed.users.get(&user.name).and_then(Option::as_ref) {
                None => (
                    Some(plan.push(Action::CreateUser(user.clone()), vec![])),
                    BTreeSet::new(),
                    false,
                ),
                Some(found) => {
                    check_ownership("user", &user.name, &found.tags, &desired.vendor)?;
                    plan.present.push(Present {
                        kind: "user",
                        name: user.name.clone(),
                        arn: found.arn.clone(),
                    });
                    let attached = found.attached.iter().map(String::as_str).collect();
                    (None, attached, !found.access_keys.is_empty())
                }
            };
        for arn in user
            .policy_arns
            .iter()
            .filter(|a| !attached.contains(a.as_str()))
        {
            let after = user_step.into_iter().chain(policy_step(arn)).collect();
            let attach = Action::AttachUserPolicy {
                user: user.name.clone(),
                policy_arn: arn.clone(),
            };
            plan.push(attach, after);
        }
        if user.access_key && !has_key {
            let create = Action::CreateAccessKey {
                user: user.name.clone(),
            };
            plan.push(create, user_step.into_iter().collect());
        }
    }
    Ok(plan)
}
