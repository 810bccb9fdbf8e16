//! Roles: read with their trust policy, attachments, instance profiles and inline policies;
//! created, repaired (tags, trust, session duration, boundary), attached to managed policies,
//! and on teardown emptied and deleted.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{
    Emptied, Entity, Kind, Step, check_ownership, extra_attachments, iam_tags, inline_policy,
    instance_profile, list, missing_tags, tags_of,
};
use crate::aws::{Aws, Doing, decode, is_code, missing};
use crate::error::Result;
use crate::handoff::NewAccessKey;
use crate::plan::{
    Action, ApplyOptions, Documents, Kept, KeptReason, Plan, Present, Verb, name_of,
};
use crate::policy::same_document;
use crate::state::{DesiredRole, Observed, ObservedRole, RESOURCE_TAG, Tag, Tags, is_owned};
use crate::verification::written::{Written, merge, tag_map};

/// Replaces a role's trust policy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UpdateAssumeRolePolicy {
    pub(crate) role: String,
    pub(crate) document: Value,
}

/// Sets a role's maximum session duration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UpdateRole {
    pub(crate) role: String,
    pub(crate) max_session_duration: i32,
}

/// Sets a role's permissions boundary.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PutRolePermissionsBoundary {
    pub(crate) role: String,
    pub(crate) boundary: String,
}

/// Adds tags to a role.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TagRole {
    pub(crate) role: String,
    pub(crate) tags: Vec<Tag>,
}

/// Attaches a managed policy to a role.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttachRolePolicy {
    pub(crate) role: String,
    pub(crate) policy_arn: String,
}

/// Detaches a managed policy from a role.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DetachRolePolicy {
    pub(crate) role: String,
    pub(crate) policy_arn: String,
}

/// Deletes a role (once it holds nothing).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeleteRole {
    pub(crate) role: String,
}

fn role(name: &str) -> Entity {
    Entity::Role(name.to_owned())
}

fn policy(arn: &str) -> Entity {
    Entity::Policy(arn.to_owned())
}

/// The trust policy a step replaces, for plan's diff.
fn trust_in_aws<'a>(observed: &'a Observed, name: &str) -> Option<(&'a Value, String)> {
    let found = observed.roles.get(name).and_then(Option::as_ref)?;
    Some((&found.trust, format!("trust policy of role {name} in AWS")))
}

impl Step for DesiredRole {
    fn record(&self, written: &mut Written) {
        written.set_role(
            &self.name,
            Some(ObservedRole {
                name: self.name.clone(),
                arn: self.arn.clone(),
                tags: tag_map(&self.tags),
                trust: self.trust.clone(),
                attached: Vec::new(),
                instance_profiles: Vec::new(),
                max_session_duration: self.max_session_duration,
                permissions_boundary: self.permissions_boundary.clone(),
                inline_policies: std::collections::BTreeMap::new(),
            }),
        );
    }
    fn creates_without_boundary(&self) -> bool {
        self.permissions_boundary.is_none()
    }

    fn words(&self) -> (Verb, String) {
        (Verb::Create, format!("role {}", self.name))
    }
    fn depends_on(&self) -> Vec<Entity> {
        self.permissions_boundary
            .iter()
            .map(|b| policy(b))
            .collect()
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((role(&self.name), true))
    }
    fn writes_trust_policy(&self) -> bool {
        true
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        Some((
            None,
            &self.trust,
            format!("trust policy of role {}", self.name),
        ))
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .create_role()
            .role_name(&self.name)
            .path(&self.path)
            .description(&self.description)
            .assume_role_policy_document(self.trust.to_string())
            .max_session_duration(self.max_session_duration)
            .set_permissions_boundary(self.permissions_boundary.clone())
            .set_tags(Some(iam_tags(&self.tags)))
            .send()
            .await
            .doing(|| self.doing());
        // Adoptable: onboard's own, from the same catalog item, with the same trust.
        aws.created(self, sent, || async {
            Ok(aws.read_role(&self.name).await?.is_some_and(|found| {
                is_owned(&found.tags)
                    && found.tags.get(RESOURCE_TAG) == Some(&self.id)
                    && same_document(&found.trust, &self.trust)
            }))
        })
        .await
    }
}

impl Step for UpdateAssumeRolePolicy {
    fn record(&self, written: &mut Written) {
        if let Some(role) = written.role_mut(&self.role) {
            role.trust = self.document.clone();
        }
    }
    fn words(&self) -> (Verb, String) {
        (Verb::Update, format!("trust policy of role {}", self.role))
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![role(&self.role)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        true
    }
    fn documents<'a>(&'a self, observed: &'a Observed) -> Option<Documents<'a>> {
        let name = format!("trust policy of role {}", self.role);
        Some((trust_in_aws(observed, &self.role), &self.document, name))
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .update_assume_role_policy()
            .role_name(&self.role)
            .policy_document(self.document.to_string())
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for UpdateRole {
    fn record(&self, written: &mut Written) {
        if let Some(role) = written.role_mut(&self.role) {
            role.max_session_duration = self.max_session_duration;
        }
    }
    fn words(&self) -> (Verb, String) {
        let (role, seconds) = (&self.role, self.max_session_duration);
        let object = format!("maximum session duration of role {role} to {seconds} seconds");
        (Verb::Update, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![role(&self.role)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .update_role()
            .role_name(&self.role)
            .max_session_duration(self.max_session_duration)
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for PutRolePermissionsBoundary {
    fn record(&self, written: &mut Written) {
        if let Some(role) = written.role_mut(&self.role) {
            role.permissions_boundary = Some(self.boundary.clone());
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!(
            "permissions boundary of role {} to {}",
            self.role, self.boundary
        );
        (Verb::Update, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![role(&self.role), policy(&self.boundary)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .put_role_permissions_boundary()
            .role_name(&self.role)
            .permissions_boundary(&self.boundary)
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for TagRole {
    fn record(&self, written: &mut Written) {
        if let Some(role) = written.role_mut(&self.role) {
            merge(&mut role.tags, &self.tags);
        }
    }
    fn words(&self) -> (Verb, String) {
        (
            Verb::Tag,
            format!("role {} with {}", self.role, list(&self.tags)),
        )
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![role(&self.role)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .tag_role()
            .role_name(&self.role)
            .set_tags(Some(iam_tags(&self.tags)))
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for AttachRolePolicy {
    fn record(&self, written: &mut Written) {
        if let Some(role) = written.role_mut(&self.role)
            && !role.attached.contains(&self.policy_arn)
        {
            role.attached.push(self.policy_arn.clone());
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!("policy {} to role {}", name_of(&self.policy_arn), self.role);
        (Verb::Attach, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![role(&self.role), policy(&self.policy_arn)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .attach_role_policy()
            .role_name(&self.role)
            .policy_arn(&self.policy_arn)
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for DetachRolePolicy {
    fn record(&self, written: &mut Written) {
        if let Some(role) = written.role_mut(&self.role) {
            role.attached.retain(|a| *a != self.policy_arn);
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!(
            "policy {} from role {}",
            name_of(&self.policy_arn),
            self.role
        );
        (Verb::Detach, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![role(&self.role), policy(&self.policy_arn)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .detach_role_policy()
            .role_name(&self.role)
            .policy_arn(&self.policy_arn)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(match aws.read_role(&self.role).await? {
                Some(found) => !found.attached.contains(&self.policy_arn),
                None => true,
            })
        })
        .await
    }
}

impl Step for DeleteRole {
    fn record(&self, written: &mut Written) {
        written.set_role(&self.role, None);
    }
    fn words(&self) -> (Verb, String) {
        (Verb::Delete, format!("role {}", self.role))
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![role(&self.role)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((role(&self.role), false))
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .delete_role()
            .role_name(&self.role)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(aws.read_role(&self.role).await?.is_none())
        })
        .await
    }
}

/// Plans `role`: created when missing, else refused unless onboard's and repaired; then its
/// inline policies, the attachments it lacks (after the role and the policy are created) and its
/// instance profile. `policy_step` is the step creating a policy, by ARN.
pub(crate) fn plan(
    plan: &mut Plan,
    role: &DesiredRole,
    observed: &Observed,
    vendor: &str,
    policy_step: &dyn Fn(&str) -> Option<usize>,
    options: ApplyOptions,
) -> Result<()> {
    let found = observed.roles.get(&role.name).and_then(Option::as_ref);
    let role_step = match found {
        None => Some(plan.push(Action::CreateRole(role.clone()), vec![])),
        Some(found) => {
            repair(plan, role, found, vendor, options)?;
            None
        }
    };
    inline_policy::plan_role(
        plan,
        role,
        found.map(|r| &r.inline_policies),
        role_step,
        options,
    );
    let attached: BTreeSet<&str> = found
        .map(|f| f.attached.iter().map(String::as_str).collect())
        .unwrap_or_default();
    for arn in role
        .policy_arns
        .iter()
        .filter(|a| !attached.contains(a.as_str()))
    {
        let after = role_step.into_iter().chain(policy_step(arn)).collect();
        let attach = AttachRolePolicy {
            role: role.name.clone(),
            policy_arn: arn.clone(),
        };
        plan.push(Action::AttachRolePolicy(attach), after);
    }
    if role.instance_profile {
        let found = observed
            .instance_profiles
            .get(&role.name)
            .and_then(Option::as_ref);
        instance_profile::plan(plan, role, found, vendor, role_step)?;
    }
    Ok(())
}

/// An existing role: onboard's (or refused), and brought back to the catalog's tags, trust,
/// session duration and boundary; attachments the catalog does not name are drift.
fn repair(
    plan: &mut Plan,
    role: &DesiredRole,
    found: &ObservedRole,
    vendor: &str,
    options: ApplyOptions,
) -> Result<()> {
    check_ownership(Kind::Role, &role.name, &found.tags, vendor)?;
    plan.present.push(Present {
        kind: Kind::Role,
        name: role.name.clone(),
        arn: found.arn.clone(),
    });
    let name = || role.name.clone();
    let tags = missing_tags(&role.tags, &found.tags);
    if !tags.is_empty() {
        plan.push(Action::TagRole(TagRole { role: name(), tags }), vec![]);
    }
    if !same_document(&found.trust, &role.trust) {
        let update = UpdateAssumeRolePolicy {
            role: name(),
            document: role.trust.clone(),
        };
        plan.push(Action::UpdateAssumeRolePolicy(update), vec![]);
    }
    if found.max_session_duration != role.max_session_duration {
        let update = UpdateRole {
            role: name(),
            max_session_duration: role.max_session_duration,
        };
        plan.push(Action::UpdateRole(update), vec![]);
    }
    if let Some(boundary) = &role.permissions_boundary
        && found.permissions_boundary.as_ref() != Some(boundary)
    {
        let update = PutRolePermissionsBoundary {
            role: name(),
            boundary: boundary.clone(),
        };
        plan.push(Action::PutRolePermissionsBoundary(update), vec![]);
    }
    extra_attachments(
        plan,
        Kind::Role,
        &role.name,
        &found.attached,
        &role.policy_arns,
        options,
        |arn| {
            Action::DetachRolePolicy(DetachRolePolicy {
                role: name(),
                policy_arn: arn.to_owned(),
            })
        },
    );
    Ok(())
}

/// An onboard-owned role and what hangs off it, as teardown reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OwnedRole {
    pub(crate) name: String,
    pub(crate) tags: Tags,
    pub(crate) attached: Vec<String>,
    pub(crate) inline_policies: Vec<String>,
    /// Instance profiles holding the role, and whether onboard owns each.
    pub(crate) instance_profiles: Vec<(String, bool)>,
}

/// Plans the deletion of `role` after its attachments, inline policies and instance profiles
/// are removed; a role in an instance profile onboard did not create is kept, with all it holds.
pub(crate) fn teardown<'a>(plan: &mut Plan, role: &'a OwnedRole, emptied: &mut Emptied<'a>) {
    if let Some((profile, _)) = role.instance_profiles.iter().find(|(_, owned)| !owned) {
        plan.kept.push(Kept {
            kind: Kind::Role,
            name: role.name.clone(),
            reason: KeptReason::InForeignInstanceProfile(profile.clone()),
        });
        return;
    }
    let mut before = Vec::new();
    for arn in &role.attached {
        let detach = DetachRolePolicy {
            role: role.name.clone(),
            policy_arn: arn.clone(),
        };
        let step = plan.push(Action::DetachRolePolicy(detach), vec![]);
        emptied.detached.push((arn, step));
        before.push(step);
    }
    for policy_name in &role.inline_policies {
        before.push(inline_policy::teardown_role(plan, &role.name, policy_name));
    }
    for (profile, _) in &role.instance_profiles {
        let step = instance_profile::remove_role(plan, &role.name, profile);
        emptied.removed.insert((profile, &role.name), step);
        before.push(step);
    }
    let delete = DeleteRole {
        role: role.name.clone(),
    };
    plan.push(Action::DeleteRole(delete), before);
    emptied.deleted.insert((Kind::Role, &role.name));
}

impl Aws {
    /// A role with its tags, decoded trust policy, attached policies and instance profiles;
    /// `None` if there is none.
    pub(crate) async fn read_role(&self, name: &str) -> Result<Option<ObservedRole>> {
        self.read_known(role(name), || self.read_role_once(name), |_| None)
            .await
    }

    async fn read_role_once(&self, name: &str) -> Result<Option<ObservedRole>> {
        let found = self.iam().get_role().role_name(name).send();
        let attached = self.attached_role_policies(name);
        let profiles = self
            .iam()
            .list_instance_profiles_for_role()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let inline = self.inline_role_policies(name);
        let (found, attached, profiles, inline) = tokio::join!(found, attached, profiles, inline);
        let found = match found {
            Ok(out) => out
                .role
                .ok_or_else(|| missing(format!("reading role {name}")))?,
            Err(err) if is_code(&err, "NoSuchEntity") => return Ok(None),
            Err(err) => return Err(err).doing(|| format!("reading role {name}")),
        };
        self.propagation().exists(role(name));
        let trust = decode(
            || format!("decoding the trust policy of role {name}"),
            found.assume_role_policy_document(),
        )?;
        let profiles = profiles.doing(|| format!("listing instance profiles of role {name}"))?;
        Ok(Some(ObservedRole {
            name: name.to_owned(),
            arn: found.arn().to_owned(),
            tags: tags_of(found.tags()),
            trust,
            attached: attached?,
            instance_profiles: profiles
                .iter()
                .map(|p| p.instance_profile_name().to_owned())
                .collect(),
            max_session_duration: found.max_session_duration().unwrap_or(3600),
            permissions_boundary: found
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_owned),
            inline_policies: inline?,
        }))
    }

    /// The ARNs of the managed policies attached to a role.
    pub(crate) async fn attached_role_policies(&self, role: &str) -> Result<Vec<String>> {
        let attached = self
            .iam()
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing policies attached to role {role}"))?;
        Ok(attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::Client;
    use aws_sdk_iam::operation::attach_role_policy::AttachRolePolicyOutput;
    use aws_sdk_iam::operation::update_assume_role_policy::UpdateAssumeRolePolicyOutput;
    use aws_smithy_mocks::{Rule, mock};
    use serde_json::json;

    use super::*;
    use crate::error::Error;
    use crate::kinds::mocks::{
        self, ACCOUNT, already_exists, denied, error, failure, no_such_entity, owned_tags,
    };

    const POLICY: &str = "arn:aws:iam::111122223333:policy/P";

    fn trust() -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]})
    }

    fn desired() -> DesiredRole {
        DesiredRole {
            id: "install".into(),
            name: "R".into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:role/R"),
            description: "d".into(),
            trust: trust(),
            max_session_duration: 3600,
            permissions_boundary: None,
            policy_arns: vec![],
            instance_profile: false,
            tags: owned_tags("install"),
            inline_policies: vec![],
        }
    }

    fn rules(groups: Vec<Vec<Rule>>) -> Vec<Rule> {
        groups.into_iter().flatten().collect()
    }

    fn attach() -> Action {
        Action::AttachRolePolicy(AttachRolePolicy {
            role: "R".into(),
            policy_arn: POLICY.into(),
        })
    }

    #[tokio::test]
    async fn a_create_that_meets_its_own_role_adopts_it() {
        let create = mock!(Client::create_role).then_http_response(already_exists);
        let aws = mocks::aws(&rules(vec![
            vec![create],
            mocks::role("R", &owned_tags("install"), &trust(), &[]),
        ]));
        aws.execute(&Action::CreateRole(desired())).await.unwrap();
    }

    #[tokio::test]
    async fn a_create_that_meets_a_role_onboard_did_not_make_fails() {
        let create = mock!(Client::create_role).then_http_response(already_exists);
        let aws = mocks::aws(&rules(vec![
            vec![create],
            mocks::role("R", &[], &trust(), &[]),
        ]));
        let err = aws
            .execute(&Action::CreateRole(desired()))
            .await
            .unwrap_err();
        assert_eq!(err.aws_code(), Some("EntityAlreadyExists"), "{err}");
        // Onboard's, but of another catalog item: not adopted either.
        let create = mock!(Client::create_role).then_http_response(already_exists);
        let aws = mocks::aws(&rules(vec![
            vec![create],
            mocks::role("R", &owned_tags("other"), &trust(), &[]),
        ]));
        let err = aws
            .execute(&Action::CreateRole(desired()))
            .await
            .unwrap_err();
        assert_eq!(err.aws_code(), Some("EntityAlreadyExists"), "{err}");
    }

    #[tokio::test]
    async fn a_removal_of_what_is_gone_is_done() {
        let delete = mock!(Client::delete_role).then_http_response(no_such_entity);
        let aws = mocks::aws(&[delete]);
        let step = Action::DeleteRole(DeleteRole { role: "R".into() });
        aws.execute(&step).await.unwrap();
    }

    #[tokio::test]
    async fn a_detach_whose_answer_failed_is_done_when_the_policy_is_detached() {
        let detach = Action::DetachRolePolicy(DetachRolePolicy {
            role: "R".into(),
            policy_arn: POLICY.into(),
        });
        let call = || mock!(Client::detach_role_policy).then_http_response(failure);
        let detached = mocks::aws(&rules(vec![
            vec![call()],
            mocks::role("R", &owned_tags("install"), &trust(), &[]),
        ]));
        detached.execute(&detach).await.unwrap();
        let still = mocks::aws(&rules(vec![
            vec![call()],
            mocks::role("R", &owned_tags("install"), &trust(), &[POLICY]),
        ]));
        let err = still.execute(&detach).await.unwrap_err();
        assert_eq!(err.aws_code(), Some("ServiceFailure"), "{err}");
        // The role itself is gone: so is the attachment.
        let gone = mocks::aws(&rules(vec![vec![call()], mocks::no_role()]));
        gone.execute(&detach).await.unwrap();
    }

    #[tokio::test]
    async fn access_denied_is_refused_and_never_retried() {
        let call = mock!(Client::attach_role_policy).then_http_response(denied);
        let aws = mocks::aws(std::slice::from_ref(&call));
        let err = aws.execute(&attach()).await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
        assert_eq!(call.num_calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_attach_waits_for_a_role_the_run_knows_exists() {
        let call = || {
            mock!(Client::attach_role_policy)
                .sequence()
                .http_response(no_such_entity)
                .times(2)
                .output(|| AttachRolePolicyOutput::builder().build())
                .build()
        };
        // A role the run never saw: NoSuchEntity is final.
        let aws = mocks::aws(&rules(vec![vec![call()], mocks::no_policy()]));
        let err = aws.execute(&attach()).await.unwrap_err();
        assert_eq!(err.aws_code(), Some("NoSuchEntity"), "{err}");
        // One it created: waited for.
        let attach_call = call();
        let aws = mocks::aws(std::slice::from_ref(&attach_call));
        aws.propagation().exists(Entity::Role("R".into()));
        aws.propagation().exists(Entity::Policy(POLICY.into()));
        aws.execute(&attach()).await.unwrap();
        assert_eq!(attach_call.num_calls(), 3);
        assert_eq!(aws.waits().count, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_trust_policy_waits_for_its_new_principal() {
        let invalid = || {
            error(
                400,
                "MalformedPolicyDocument",
                "Invalid principal in policy: \"AWS\":\"arn:aws:iam::999988887777:role/new\"",
            )
        };
        let update = mock!(Client::update_assume_role_policy)
            .sequence()
            .http_response(invalid)
            .output(|| UpdateAssumeRolePolicyOutput::builder().build())
            .build();
        let aws = mocks::aws(std::slice::from_ref(&update));
        let step = Action::UpdateAssumeRolePolicy(UpdateAssumeRolePolicy {
            role: "R".into(),
            document: trust(),
        });
        aws.execute(&step).await.unwrap();
        assert_eq!(update.num_calls(), 2);
    }
}
