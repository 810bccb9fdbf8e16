//! The apply plan: create what is missing, repair what drifted on resources onboard owns, attach
//! what is not attached. Each kind plans its own steps ([`crate::kinds`]); this orders them:
//! policies first, so that attachments can wait for the policies they attach.

use super::Plan;
use crate::error::{Error, Result, Usage};
use crate::kinds::{managed_policy, role, user};
use crate::state::{Desired, Observed};

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
    let vendor = &desired.vendor;
    let mut plan = Plan::default();
    let mut created_policy = Vec::new();
    for policy in &desired.policies {
        let found = observed.policies.get(&policy.arn).and_then(Option::as_ref);
        if let Some(step) = managed_policy::plan(&mut plan, policy, found, vendor)? {
            created_policy.push((policy.arn.as_str(), step));
        }
    }
    let policy_step = |arn: &str| {
        created_policy
            .iter()
            .find(|(a, _)| *a == arn)
            .map(|(_, step)| *step)
    };
    for desired_role in &desired.roles {
        role::plan(
            &mut plan,
            desired_role,
            observed,
            vendor,
            &policy_step,
            options,
        )?;
    }
    for desired_user in &desired.users {
        let found = observed
            .users
            .get(&desired_user.name)
            .and_then(Option::as_ref);
        user::plan(
            &mut plan,
            desired_user,
            found,
            vendor,
            &policy_step,
            options,
        )?;
    }
    Ok(plan)
}
