//! The teardown plan: remove everything onboard owns, in dependency order, and nothing else.
//! Each kind plans its own removal ([`crate::kinds`]); this orders them: holders (roles, users)
//! first, then instance profiles, then the policies nothing left holds.

use super::{Kept, OwnedInstanceProfile, OwnedPolicy, OwnedRole, Plan};
use crate::kinds::{Emptied, instance_profile, managed_policy, role, user};
use crate::state::{ObservedUser, Tags, VENDOR_TAG};

/// Everything onboard owns in an account, and the same-named resources it does not.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Inventory {
    pub roles: Vec<OwnedRole>,
    pub policies: Vec<OwnedPolicy>,
    pub instance_profiles: Vec<OwnedInstanceProfile>,
    pub users: Vec<ObservedUser>,
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
    let mut emptied = Emptied::default();
    for found in inventory.roles.iter().filter(|r| in_scope(&r.tags)) {
        role::teardown(&mut plan, found, &mut emptied);
    }
    for found in inventory.users.iter().filter(|u| in_scope(&u.tags)) {
        user::teardown(&mut plan, found, &mut emptied);
    }
    // Instance profiles: empty them (onboard owns the profile), then delete them.
    for found in inventory
        .instance_profiles
        .iter()
        .filter(|p| in_scope(&p.tags))
    {
        instance_profile::teardown(&mut plan, found, &emptied.removed);
    }
    for found in inventory.policies.iter().filter(|p| in_scope(&p.tags)) {
        managed_policy::teardown(&mut plan, found, &emptied);
    }
    plan
}
