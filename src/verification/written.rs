//! What apply's plan wrote, laid over what it read: the state apply's verification compares with
//! the catalog, so that nothing the run read or wrote is read again. IAM answered every write
//! with success before verification starts; a step whose result the plan does not hold (a new
//! access key and its record tags, a new default policy version) leaves its resource unknown, to
//! be read back.

use std::collections::BTreeSet;

use crate::plan::Plan;
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

/// Adds `tags` to `into`.
pub(crate) fn merge(into: &mut Tags, tags: &[Tag]) {
    into.extend(tags.iter().map(|t| (t.key.clone(), t.value.clone())));
}

/// `tags` as a map.
pub(crate) fn tag_map(tags: &[Tag]) -> Tags {
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
        // What each successful step changed: its kind's module says.
        for step in &plan.steps {
            step.action.record(&mut written);
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

    /// Marks a resource unknown: verification reads it back.
    pub(crate) fn forget(&mut self, kind: &'static str, name: &str) {
        self.unknown.insert((kind, name.to_owned()));
    }

    /// Sets a policy as the run left it (`None`: deleted).
    pub(crate) fn set_policy(&mut self, arn: &str, policy: Option<ObservedPolicy>) {
        self.state.policies.insert(arn.to_owned(), policy);
    }

    /// Sets a role as the run left it (`None`: deleted).
    pub(crate) fn set_role(&mut self, name: &str, role: Option<ObservedRole>) {
        self.state.roles.insert(name.to_owned(), role);
    }

    /// Sets a user as the run left it (`None`: deleted).
    pub(crate) fn set_user(&mut self, name: &str, user: Option<ObservedUser>) {
        self.state.users.insert(name.to_owned(), user);
    }

    /// Sets an instance profile as the run left it (`None`: deleted).
    pub(crate) fn set_profile(&mut self, name: &str, profile: Option<ObservedInstanceProfile>) {
        self.state
            .instance_profiles
            .insert(name.to_owned(), profile);
    }

    /// The role to change, if the run knows it; else it is marked unknown.
    pub(crate) fn role_mut(&mut self, name: &str) -> Option<&mut ObservedRole> {
        let found = self.state.roles.get_mut(name).and_then(Option::as_mut);
        if found.is_none() {
            self.unknown.insert(("role", name.to_owned()));
        }
        found
    }

    /// The user to change, if the run knows it; else it is marked unknown.
    pub(crate) fn user_mut(&mut self, name: &str) -> Option<&mut ObservedUser> {
        let found = self.state.users.get_mut(name).and_then(Option::as_mut);
        if found.is_none() {
            self.unknown.insert(("user", name.to_owned()));
        }
        found
    }

    /// The policy to change, if the run knows it; else it is marked unknown.
    pub(crate) fn policy_mut(&mut self, arn: &str) -> Option<&mut ObservedPolicy> {
        let found = self.state.policies.get_mut(arn).and_then(Option::as_mut);
        if found.is_none() {
            self.unknown.insert(("policy", arn.to_owned()));
        }
        found
    }

    /// The instance profile to change, if the run read or made it.
    pub(crate) fn profile_mut(&mut self, name: &str) -> Option<&mut ObservedInstanceProfile> {
        self.state
            .instance_profiles
            .get_mut(name)
            .and_then(Option::as_mut)
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
