//! What apply's plan wrote, laid over what it read: the state apply's verification compares with
//! the catalog, so that nothing the run read or wrote is read again. IAM answered every write
//! with success before verification starts; a step whose result the plan does not hold (a new
//! access key and its record tags, a new default policy version) leaves its resource unknown, to
//! be read back.

use std::collections::BTreeSet;

use crate::plan::{Action, Plan};
use crate::state::{
    Observed, ObservedInstanceProfile, ObservedPolicy, ObservedRole, ObservedUser, Tag, Tags,
};

/// What the run knows of a resource after its plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Known<'a, T> {
    /// As the run read and wrote it (`None`: there is none).
    Is(Option<&'a T>),
    /// A write left it unknown, or the run never read it: read it back.
    ReadBack,
}

impl<'a, T> Known<'a, T> {
    fn of(unknown: bool, found: Option<&'a Option<T>>) -> Self {
        match (unknown, found) {
            (false, Some(found)) => Known::Is(found.as_ref()),
            (true, _) | (false, None) => Known::ReadBack,
        }
    }
}

/// The state after a plan, as far as its writes tell.
pub(crate) struct Written {
    state: Observed,
    /// (kind, name or policy ARN) of what must be read back.
    unknown: BTreeSet<(&'static str, String)>,
}

fn merge(into: &mut Tags, tags: &[Tag]) {
    into.extend(tags.iter().map(|t| (t.key.clone(), t.value.clone())));
}

fn tags_of(tags: &[Tag]) -> Tags {
    let mut map = Tags::new();
    merge(&mut map, tags);
    map
}

impl Written {
    /// `observed` with every step of `plan` done.
    pub(crate) fn after(observed: &Observed, plan: &Plan) -> Self {
        let mut written = Written {
            state: observed.clone(),
            unknown: BTreeSet::new(),
        };
        for step in &plan.steps {
            written.apply(&step.action);
        }
        written
    }

    /// The role as the run left it.
    pub(crate) fn role(&self, name: &str) -> Known<'_, ObservedRole> {
        let unknown = self.unknown.contains(&("role", name.to_owned()));
        Known::of(unknown, self.state.roles.get(name))
    }

    /// The user as the run left it.
    pub(crate) fn user(&self, name: &str) -> Known<'_, ObservedUser> {
        let unknown = self.unknown.contains(&("user", name.to_owned()));
        Known::of(unknown, self.state.users.get(name))
    }

    /// The managed policy as the run left it (an AWS managed policy, which the run does not
    /// read, is read back).
    pub(crate) fn policy(&self, arn: &str) -> Known<'_, ObservedPolicy> {
        let unknown = self.unknown.contains(&("policy", arn.to_owned()));
        Known::of(unknown, self.state.policies.get(arn))
    }

    fn forget(&mut self, kind: &'static str, name: &str) {
        self.unknown.insert((kind, name.to_owned()));
    }

    fn role_mut(&mut self, name: &str) -> Option<&mut ObservedRole> {
        let found = self.state.roles.get_mut(name).and_then(Option::as_mut);
        if found.is_none() {
            self.unknown.insert(("role", name.to_owned()));
        }
        found
    }

    fn user_mut(&mut self, name: &str) -> Option<&mut ObservedUser> {
        let found = self.state.users.get_mut(name).and_then(Option::as_mut);
        if found.is_none() {
            self.unknown.insert(("user", name.to_owned()));
        }
        found
    }

    fn policy_mut(&mut self, arn: &str) -> Option<&mut ObservedPolicy> {
        let found = self.state.policies.get_mut(arn).and_then(Option::as_mut);
        if found.is_none() {
            self.unknown.insert(("policy", arn.to_owned()));
        }
        found
    }

    fn profile_mut(&mut self, name: &str) -> Option<&mut ObservedInstanceProfile> {
        self.state
            .instance_profiles
            .get_mut(name)
            .and_then(Option::as_mut)
    }

    /// What one successful step changed.
    #[allow(clippy::too_many_lines)]
    fn apply(&mut self, action: &Action) {
        match action {
            Action::CreatePolicy(p) => {
                let policy = ObservedPolicy {
                    arn: p.arn.clone(),
                    tags: tags_of(&p.tags),
                    default_version_id: "v1".to_owned(),
                    document: p.document.clone(),
                    other_versions: Vec::new(),
                };
                self.state.policies.insert(p.arn.clone(), Some(policy));
            }
            // The new default version's id is IAM's to choose: read it back.
            Action::CreatePolicyVersion(crate::plan::CreatePolicyVersion {
                policy_arn, ..
            }) => self.forget("policy", policy_arn),
            Action::DeletePolicyVersion(crate::plan::DeletePolicyVersion {
                policy_arn,
                version_id,
            }) => {
                if let Some(policy) = self.policy_mut(policy_arn) {
                    policy.other_versions.retain(|v| v != version_id);
                }
            }
            Action::TagPolicy(crate::plan::TagPolicy { policy_arn, tags }) => {
                if let Some(policy) = self.policy_mut(policy_arn) {
                    merge(&mut policy.tags, tags);
                }
            }
            Action::DeletePolicy(crate::plan::DeletePolicy { policy_arn }) => {
                self.state.policies.insert(policy_arn.clone(), None);
            }
            Action::CreateRole(r) => {
                let role = ObservedRole {
                    name: r.name.clone(),
                    arn: r.arn.clone(),
                    tags: tags_of(&r.tags),
                    trust: r.trust.clone(),
                    attached: Vec::new(),
                    instance_profiles: Vec::new(),
                    max_session_duration: r.max_session_duration,
                    permissions_boundary: r.permissions_boundary.clone(),
                    inline_policies: std::collections::BTreeMap::new(),
                };
                self.state.roles.insert(r.name.clone(), Some(role));
            }
            Action::UpdateAssumeRolePolicy(crate::plan::UpdateAssumeRolePolicy {
                role,
                document,
            }) => {
                if let Some(role) = self.role_mut(role) {
                    role.trust = document.clone();
                }
            }
            Action::UpdateRole(crate::plan::UpdateRole {
                role,
                max_session_duration,
            }) => {
                if let Some(role) = self.role_mut(role) {
                    role.max_session_duration = *max_session_duration;
                }
            }
            Action::PutRolePermissionsBoundary(crate::plan::PutRolePermissionsBoundary {
                role,
                boundary,
            }) => {
                if let Some(role) = self.role_mut(role) {
                    role.permissions_boundary = Some(boundary.clone());
                }
            }
            Action::TagRole(crate::plan::TagRole { role, tags }) => {
                if let Some(role) = self.role_mut(role) {
                    merge(&mut role.tags, tags);
                }
            }
            Action::AttachRolePolicy(crate::plan::AttachRolePolicy { role, policy_arn }) => {
                if let Some(role) = self.role_mut(role)
                    && !role.attached.contains(policy_arn)
                {
                    role.attached.push(policy_arn.clone());
                }
            }
            Action::DetachRolePolicy(crate::plan::DetachRolePolicy { role, policy_arn }) => {
                if let Some(role) = self.role_mut(role) {
                    role.attached.retain(|a| a != policy_arn);
                }
            }
            Action::PutRolePolicy(crate::plan::PutRolePolicy {
                role,
                policy_name,
                document,
            }) => {
                if let Some(role) = self.role_mut(role) {
                    role.inline_policies
                        .insert(policy_name.clone(), document.clone());
                }
            }
            Action::DeleteRolePolicy(crate::plan::DeleteRolePolicy { role, policy_name }) => {
                if let Some(role) = self.role_mut(role) {
                    role.inline_policies.remove(policy_name);
                }
            }
            Action::DeleteRole(crate::plan::DeleteRole { role }) => {
                self.state.roles.insert(role.clone(), None);
            }
            Action::CreateInstanceProfile(crate::plan::CreateInstanceProfile {
                name,
                tags,
                ..
            }) => {
                let profile = ObservedInstanceProfile {
                    tags: tags_of(tags),
                    roles: Vec::new(),
                };
                self.state
                    .instance_profiles
                    .insert(name.clone(), Some(profile));
            }
            Action::TagInstanceProfile(crate::plan::TagInstanceProfile { name, tags }) => {
                if let Some(profile) = self.profile_mut(name) {
                    merge(&mut profile.tags, tags);
                }
            }
            Action::AddRoleToInstanceProfile(crate::plan::AddRoleToInstanceProfile {
                role,
                instance_profile,
            }) => {
                if let Some(profile) = self.profile_mut(instance_profile) {
                    profile.roles.push(role.clone());
                }
                if let Some(role) = self.role_mut(role)
                    && !role.instance_profiles.contains(instance_profile)
                {
                    role.instance_profiles.push(instance_profile.clone());
                }
            }
            Action::RemoveRoleFromInstanceProfile(crate::plan::RemoveRoleFromInstanceProfile {
                role,
                instance_profile,
            }) => {
                if let Some(profile) = self.profile_mut(instance_profile) {
                    profile.roles.retain(|r| r != role);
                }
                if let Some(role) = self.role_mut(role) {
                    role.instance_profiles.retain(|p| p != instance_profile);
                }
            }
            Action::DeleteInstanceProfile(crate::plan::DeleteInstanceProfile { name }) => {
                self.state.instance_profiles.insert(name.clone(), None);
            }
            Action::CreateUser(u) => {
                let user = ObservedUser {
                    name: u.name.clone(),
                    arn: u.arn.clone(),
                    tags: tags_of(&u.tags),
                    attached: Vec::new(),
                    inline_policies: Vec::new(),
                    groups: Vec::new(),
                    access_keys: Vec::new(),
                };
                self.state.users.insert(u.name.clone(), Some(user));
            }
            Action::TagUser(crate::plan::TagUser { user, tags }) => {
                if let Some(user) = self.user_mut(user) {
                    merge(&mut user.tags, tags);
                }
            }
            Action::UntagUser(crate::plan::UntagUser { user, keys }) => {
                if let Some(user) = self.user_mut(user) {
                    user.tags.retain(|k, _| !keys.contains(k));
                }
            }
            Action::AttachUserPolicy(crate::plan::AttachUserPolicy { user, policy_arn }) => {
                if let Some(user) = self.user_mut(user)
                    && !user.attached.contains(policy_arn)
                {
                    user.attached.push(policy_arn.clone());
                }
            }
            Action::DetachUserPolicy(crate::plan::DetachUserPolicy { user, policy_arn }) => {
                if let Some(user) = self.user_mut(user) {
                    user.attached.retain(|a| a != policy_arn);
                }
            }
            // A user's inline policies are not part of what verification compares.
            Action::DeleteUserPolicy(crate::plan::DeleteUserPolicy { .. }) => {}
            // The new key's id and the hand-over record's tags are IAM's and the hand-over's:
            // read the user back.
            Action::CreateAccessKey(crate::plan::CreateAccessKey { user }) => {
                self.forget("user", user);
            }
            Action::DeactivateAccessKey(crate::plan::DeactivateAccessKey { user, key_id }) => {
                if let Some(user) = self.user_mut(user) {
                    for key in user.access_keys.iter_mut().filter(|k| &k.id == key_id) {
                        key.active = false;
                    }
                }
            }
            Action::DeleteAccessKey(crate::plan::DeleteAccessKey { user, key_id }) => {
                if let Some(user) = self.user_mut(user) {
                    user.access_keys.retain(|k| &k.id != key_id);
                }
            }
            Action::DeleteUser(crate::plan::DeleteUser { user }) => {
                self.state.users.insert(user.clone(), None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{self, RenderContext};
    use crate::plan::{ApplyOptions, plan_apply};
    use crate::state::Desired;

    /// `vendor`'s default integration, each parameter at its default (or a stand-in).
    fn desired(vendor: &str) -> Desired {
        let entry = catalog::load_builtin(vendor).unwrap();
        let selected = entry.select(&[], false).unwrap();
        let mut ctx = RenderContext::new("123456789012", "aws", "us-east-1");
        for spec in selected.iter().flat_map(|(_, i)| &i.parameters) {
            ctx.params.insert(spec.name.clone(), spec.stand_in());
        }
        ctx.external_id = Some("ext-1".to_owned());
        catalog::render(&entry, &selected, &ctx).unwrap()
    }

    /// Nothing exists under the names `desired` uses.
    fn nothing(desired: &Desired) -> Observed {
        let mut observed = Observed::default();
        for p in &desired.policies {
            observed.policies.insert(p.arn.clone(), None);
        }
        for r in &desired.roles {
            observed.roles.insert(r.name.clone(), None);
            if r.instance_profile {
                observed.instance_profiles.insert(r.name.clone(), None);
            }
        }
        for u in &desired.users {
            observed.users.insert(u.name.clone(), None);
        }
        observed
    }

    fn options() -> ApplyOptions {
        ApplyOptions {
            exclusive: false,
            now: 0,
            key_grace: 0,
        }
    }

    #[test]
    fn every_builtin_default_integration_from_scratch_is_known_without_reading_back() {
        for vendor in catalog::builtin_vendors() {
            let desired = desired(vendor);
            let observed = nothing(&desired);
            let plan = plan_apply(&desired, &observed, options()).unwrap();
            let written = Written::after(&observed, &plan);
            for role in &desired.roles {
                let Known::Is(Some(found)) = written.role(&role.name) else {
                    panic!("{vendor}: role {} not known", role.name)
                };
                assert_eq!(found.trust, role.trust, "{vendor}");
                let mut attached = found.attached.clone();
                let mut wanted = role.policy_arns.clone();
                attached.sort();
                wanted.sort();
                assert_eq!(attached, wanted, "{vendor} {}", role.name);
                let profiles: Vec<&String> = found.instance_profiles.iter().collect();
                assert_eq!(
                    profiles.len(),
                    usize::from(role.instance_profile),
                    "{vendor}"
                );
            }
            for policy in &desired.policies {
                let Known::Is(Some(found)) = written.policy(&policy.arn) else {
                    panic!("{vendor}: policy {} not known", policy.name)
                };
                assert_eq!(found.document, policy.document, "{vendor}");
            }
            // A user given a new access key is read back: its key is IAM's to name.
            for user in &desired.users {
                assert_eq!(
                    written.user(&user.name) == Known::ReadBack,
                    user.access_key,
                    "{vendor}"
                );
            }
        }
    }

    #[test]
    fn what_a_plan_detaches_or_replaces_is_gone_and_a_new_policy_version_is_read_back() {
        let desired = desired("streamkap");
        let role = &desired.roles[0];
        let mut observed = nothing(&desired);
        let written = Written::after(
            &observed,
            &plan_apply(&desired, &observed, options()).unwrap(),
        );
        // What the first apply wrote is what a second one reads.
        let policy_arn = &desired.policies[0].arn;
        let Known::Is(Some(found)) = written.role(&role.name) else {
            panic!("role not known")
        };
        let mut found = found.clone();
        found
            .attached
            .push("arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned());
        found.trust = serde_json::json!({"Statement": []});
        observed.roles.insert(role.name.clone(), Some(found));
        for policy in &desired.policies {
            let Known::Is(Some(read)) = written.policy(&policy.arn) else {
                panic!("policy not known")
            };
            let mut read = read.clone();
            if &policy.arn == policy_arn {
                read.document = serde_json::json!({"Statement": []});
            }
            observed.policies.insert(policy.arn.clone(), Some(read));
        }
        let plan = plan_apply(
            &desired,
            &observed,
            ApplyOptions {
                exclusive: true,
                ..options()
            },
        )
        .unwrap();
        let written = Written::after(&observed, &plan);
        let Known::Is(Some(after)) = written.role(&role.name) else {
            panic!("role not known")
        };
        assert_eq!(after.trust, role.trust);
        assert!(!after.attached.iter().any(|a| a.ends_with("ReadOnlyAccess")));
        assert_eq!(written.policy(policy_arn), Known::ReadBack, "a new version");
    }
}
