//! The apply plan: create what is missing, repair what drifted on resources onboard owns, attach
//! what is not attached.

use std::collections::BTreeSet;

use super::{Action, Plan, Present, name_of};
use crate::error::{Error, Result, Usage};
use crate::handoff::record::{KeyState, reconcile};
use crate::policy::same_document;
use crate::state::{Desired, Observed, ObservedUser, Tag, Tags, VENDOR_TAG, is_owned};

/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// How far apply goes beyond the catalog, and the clock it reads access key records with.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApplyOptions {
    /// Detach managed policies the catalog does not name from onboard's roles and users.
    pub exclusive: bool,
    /// Now, in seconds since the epoch.
    pub now: i64,
    /// How long (seconds) a run creating an access key may take to hand it over.
    pub key_grace: i64,
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
fn missing_tags(desired: &[Tag], found: &Tags) -> Vec<Tag> {
    desired
        .iter()
        .filter(|t| found.get(&t.key) != Some(&t.value))
        .cloned()
        .collect()
}

/// What `apply` must do to turn `observed` into `desired`. Fails, before any step, when a name is
/// taken by a resource onboard does not own or a permissions boundary does not exist.
pub(crate) fn plan_apply(
    desired: &Desired,
    observed: &Observed,
    options: ApplyOptions,
) -> Result<Plan> {
    for role in &desired.roles {
        if let Some(boundary) = &role.permissions_boundary
            && observed.boundaries.get(boundary) == Some(&false)
        {
            return Err(Error::from(Usage::NoSuchBoundary {
                arn: boundary.clone(),
            }));
        }
    }
    let mut plan = Plan::default();
    let mut created_policy = Vec::new();
    for policy in &desired.policies {
        let Some(found) = observed.policies.get(&policy.arn).and_then(Option::as_ref) else {
            let step = plan.push(Action::CreatePolicy(policy.clone()), vec![]);
            created_policy.push((policy.arn.as_str(), step));
            continue;
        };
        check_ownership("policy", &policy.name, &found.tags, &desired.vendor)?;
        plan.present.push(Present {
            kind: "policy",
            name: policy.name.clone(),
            arn: policy.arn.clone(),
        });
        let tags = missing_tags(&policy.tags, &found.tags);
        if !tags.is_empty() {
            plan.push(
                Action::TagPolicy {
                    policy_arn: policy.arn.clone(),
                    tags,
                },
                vec![],
            );
        }
        if !same_document(&found.document, &policy.document) {
            // A full policy keeps its default and drops its oldest other version first.
            let mut after = Vec::new();
            if found.other_versions.len() + 1 >= MAX_POLICY_VERSIONS
                && let Some(oldest) = found.other_versions.first()
            {
                let delete = Action::DeletePolicyVersion {
                    policy_arn: policy.arn.clone(),
                    version_id: oldest.clone(),
                };
                after.push(plan.push(delete, vec![]));
            }
            let update = Action::CreatePolicyVersion {
                policy_arn: policy.arn.clone(),
                document: policy.document.clone(),
                known_versions: std::iter::once(&found.default_version_id)
                    .chain(&found.other_versions)
                    .cloned()
                    .collect(),
            };
            plan.push(update, after);
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
                plan.present.push(Present {
                    kind: "role",
                    name: role.name.clone(),
                    arn: found.arn.clone(),
                });
                let name = || role.name.clone();
                let tags = missing_tags(&role.tags, &found.tags);
                if !tags.is_empty() {
                    plan.push(Action::TagRole { role: name(), tags }, vec![]);
                }
                if !same_document(&found.trust, &role.trust) {
                    let update = Action::UpdateAssumeRolePolicy {
                        role: name(),
                        document: role.trust.clone(),
                    };
                    plan.push(update, vec![]);
                }
                if found.max_session_duration != role.max_session_duration {
                    let update = Action::UpdateRole {
                        role: name(),
                        max_session_duration: role.max_session_duration,
                    };
                    plan.push(update, vec![]);
                }
                if let Some(boundary) = &role.permissions_boundary
                    && found.permissions_boundary.as_ref() != Some(boundary)
                {
                    let update = Action::PutRolePermissionsBoundary {
                        role: name(),
                        boundary: boundary.clone(),
                    };
                    plan.push(update, vec![]);
                }
                extra_attachments(
                    &mut plan,
                    "role",
                    &role.name,
                    &found.attached,
                    &role.policy_arns,
                    options,
                );
                (None, found.attached.iter().map(String::as_str).collect())
            }
        };
        let found_inline = observed
            .roles
            .get(&role.name)
            .and_then(Option::as_ref)
            .map(|r| &r.inline_policies);
        inline_policies(&mut plan, role, found_inline, role_step, options);
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
                let tags = missing_tags(&role.tags, &found.tags);
                if !tags.is_empty() {
                    plan.push(
                        Action::TagInstanceProfile {
                            name: role.name.clone(),
                            tags,
                        },
                        vec![],
                    );
                }
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
                    (false, Vec::new()),
                ),
                Some(found) => {
                    check_ownership("user", &user.name, &found.tags, &desired.vendor)?;
                    plan.present.push(Present {
                        kind: "user",
                        name: user.name.clone(),
                        arn: found.arn.clone(),
                    });
                    let tags = missing_tags(&user.tags, &found.tags);
                    if !tags.is_empty() {
                        plan.push(
                            Action::TagUser {
                                user: user.name.clone(),
                                tags,
                            },
                            vec![],
                        );
                    }
                    extra_attachments(
                        &mut plan,
                        "user",
                        &user.name,
                        &found.attached,
                        &user.policy_arns,
                        options,
                    );
                    let attached = found.attached.iter().map(String::as_str).collect();
                    let has_key = if user.access_key {
                        reconcile_keys(&mut plan, &user.name, found, options)
                    } else {
                        (!found.access_keys.is_empty(), Vec::new())
                    };
                    (None, attached, has_key)
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
        let (has_key, deleted) = has_key;
        if user.access_key && !has_key {
            let create = Action::CreateAccessKey {
                user: user.name.clone(),
            };
            plan.push(create, user_step.into_iter().chain(deleted).collect());
        }
    }
    Ok(plan)
}

/// Keys of `user` created by onboard and never handed over are deleted first, and the record's
/// stale tags removed; returns whether the user holds a usable key (or one another run is
/// handing over), and the deletion steps a new key waits for (IAM allows two keys).
fn reconcile_keys(
    plan: &mut Plan,
    user: &str,
    found: &ObservedUser,
    options: ApplyOptions,
) -> (bool, Vec<usize>) {
    let reconciled = reconcile(
        &found.tags,
        &found.access_keys,
        options.now,
        options.key_grace,
    );
    let deleted = super::push_key_cleanup(plan, user, &reconciled);
    let mut in_flight = false;
    for (key, state) in &reconciled.keys {
        if let KeyState::InFlight(_) = state {
            in_flight = true;
            plan.drift.push(format!(
                "access key {} of user {user} is being handed over by another onboard run: left to it",
                key.id
            ));
        }
    }
    (reconciled.has_usable_key() || in_flight, deleted)
}

/// Managed policies attached to an owned role or user that the catalog does not name: detached
/// with `--exclusive`, otherwise reported and left.
/// Writes the role's inline policies that are missing or differ (after the role is created);
/// an inline policy the catalog does not name is drift, deleted with --exclusive.
fn inline_policies(
    plan: &mut Plan,
    role: &crate::state::DesiredRole,
    found: Option<&std::collections::BTreeMap<String, serde_json::Value>>,
    role_step: Option<usize>,
    options: ApplyOptions,
) {
    for policy in &role.inline_policies {
        let current = found.and_then(|f| f.get(&policy.name));
        if current.is_some_and(|d| same_document(d, &policy.document)) {
            continue;
        }
        let put = Action::PutRolePolicy {
            role: role.name.clone(),
            policy_name: policy.name.clone(),
            document: policy.document.clone(),
        };
        plan.push(put, role_step.into_iter().collect());
    }
    let extra = found
        .into_iter()
        .flat_map(|f| f.keys())
        .filter(|name| !role.inline_policies.iter().any(|p| &p.name == *name));
    for name in extra {
        if options.exclusive {
            let delete = Action::DeleteRolePolicy {
                role: role.name.clone(),
                policy_name: name.clone(),
            };
            plan.push(delete, vec![]);
        } else {
            plan.drift.push(format!(
                "role {} has inline policy {name}, which the catalog does not name: left in place \
                 (--exclusive deletes it)",
                role.name
            ));
        }
    }
}

fn extra_attachments(
    plan: &mut Plan,
    kind: &str,
    name: &str,
    attached: &[String],
    wanted: &[String],
    options: ApplyOptions,
) {
    for arn in attached.iter().filter(|a| !wanted.contains(a)) {
        if options.exclusive {
            let detach = match kind {
                "role" => Action::DetachRolePolicy {
                    role: name.to_owned(),
                    policy_arn: arn.clone(),
                },
                _ => Action::DetachUserPolicy {
                    user: name.to_owned(),
                    policy_arn: arn.clone(),
                },
            };
            plan.push(detach, vec![]);
        } else {
            plan.drift.push(format!(
                "{kind} {name} has policy {} attached, which the catalog does not name: left attached \
                 (--exclusive detaches it)",
                name_of(arn)
            ));
        }
    }
}
