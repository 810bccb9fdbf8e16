//! Users: read with their attachments, inline policies, groups and access keys; created, tagged
//! (and untagged: the record of handed-over keys lives in tags), attached to managed policies,
//! and on teardown emptied and deleted.

use std::collections::BTreeSet;

use super::{
    Emptied, Entity, Kind, Step, access_key, check_ownership, extra_attachments, iam_tags,
    inline_policy, list, missing_tags, tags_of,
};
use crate::aws::{Aws, Doing, is_code, missing};
use crate::error::Result;
use crate::handoff::NewAccessKey;
use crate::plan::{
    Action, ApplyOptions, Documents, Kept, KeptReason, Plan, Present, Verb, name_of,
};
use crate::state::{
    AccessKeyInfo, DesiredUser, Observed, ObservedUser, RESOURCE_TAG, Tag, Tags, is_owned,
};
use crate::verification::written::{Written, merge, tag_map};

/// Adds tags to a user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TagUser {
    pub(crate) user: String,
    pub(crate) tags: Vec<Tag>,
}

/// Removes tags from a user: the record of access keys that are gone, pending tags of runs
/// that are over.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UntagUser {
    pub(crate) user: String,
    pub(crate) keys: Vec<String>,
}

/// Attaches a managed policy to a user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttachUserPolicy {
    pub(crate) user: String,
    pub(crate) policy_arn: String,
}

/// Detaches a managed policy from a user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DetachUserPolicy {
    pub(crate) user: String,
    pub(crate) policy_arn: String,
}

/// Deletes a user (once it holds nothing).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeleteUser {
    pub(crate) user: String,
}

fn user(name: &str) -> Entity {
    Entity::User(name.to_owned())
}

impl Step for DesiredUser {
    fn record(&self, written: &mut Written) {
        written.set_user(
            &self.name,
            Some(ObservedUser {
                name: self.name.clone(),
                arn: self.arn.clone(),
                tags: tag_map(&self.tags),
                attached: Vec::new(),
                inline_policies: Vec::new(),
                groups: Vec::new(),
                access_keys: Vec::new(),
            }),
        );
    }
    fn creates_without_boundary(&self) -> bool {
        true
    }

    fn words(&self) -> (Verb, String) {
        (Verb::Create, format!("user {}", self.name))
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((user(&self.name), true))
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
            .create_user()
            .user_name(&self.name)
            .path(&self.path)
            .set_tags(Some(iam_tags(&self.tags)))
            .send()
            .await
            .doing(|| self.doing());
        // Adoptable: onboard's own, from the same catalog item.
        aws.created(self, sent, || async {
            Ok(aws.read_user(&self.name).await?.is_some_and(|found| {
                is_owned(&found.tags) && found.tags.get(RESOURCE_TAG) == Some(&self.id)
            }))
        })
        .await
    }
}

impl Step for TagUser {
    fn record(&self, written: &mut Written) {
        if let Some(user) = written.user_mut(&self.user) {
            merge(&mut user.tags, &self.tags);
        }
    }
    fn words(&self) -> (Verb, String) {
        (
            Verb::Tag,
            format!("user {} with {}", self.user, list(&self.tags)),
        )
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![user(&self.user)]
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
            .tag_user()
            .user_name(&self.user)
            .set_tags(Some(iam_tags(&self.tags)))
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for UntagUser {
    fn record(&self, written: &mut Written) {
        if let Some(user) = written.user_mut(&self.user) {
            user.tags.retain(|k, _| !self.keys.contains(k));
        }
    }
    fn words(&self) -> (Verb, String) {
        (
            Verb::Untag,
            format!("user {}: {}", self.user, self.keys.join(", ")),
        )
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![user(&self.user)]
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
            .untag_user()
            .user_name(&self.user)
            .set_tag_keys(Some(self.keys.clone()))
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(match aws.read_user(&self.user).await? {
                Some(found) => !self.keys.iter().any(|k| found.tags.contains_key(k)),
                None => true,
            })
        })
        .await
    }
}

impl Step for AttachUserPolicy {
    fn record(&self, written: &mut Written) {
        if let Some(user) = written.user_mut(&self.user)
            && !user.attached.contains(&self.policy_arn)
        {
            user.attached.push(self.policy_arn.clone());
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!("policy {} to user {}", name_of(&self.policy_arn), self.user);
        (Verb::Attach, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![user(&self.user), Entity::Policy(self.policy_arn.clone())]
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
            .attach_user_policy()
            .user_name(&self.user)
            .policy_arn(&self.policy_arn)
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for DetachUserPolicy {
    fn record(&self, written: &mut Written) {
        if let Some(user) = written.user_mut(&self.user) {
            user.attached.retain(|a| *a != self.policy_arn);
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!(
            "policy {} from user {}",
            name_of(&self.policy_arn),
            self.user
        );
        (Verb::Detach, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![user(&self.user), Entity::Policy(self.policy_arn.clone())]
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
            .detach_user_policy()
            .user_name(&self.user)
            .policy_arn(&self.policy_arn)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(match aws.read_user(&self.user).await? {
                Some(found) => !found.attached.contains(&self.policy_arn),
                None => true,
            })
        })
        .await
    }
}

impl Step for DeleteUser {
    fn record(&self, written: &mut Written) {
        written.set_user(&self.user, None);
    }
    fn words(&self) -> (Verb, String) {
        (Verb::Delete, format!("user {}", self.user))
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![user(&self.user)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((user(&self.user), false))
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
            .delete_user()
            .user_name(&self.user)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(aws.read_user(&self.user).await?.is_none())
        })
        .await
    }
}

/// Plans `desired`: created when missing, else refused unless onboard's, tagged, its extra
/// attachments drift and its keys reconciled; then the attachments it lacks (after the user and
/// the policy are created) and its access key. `policy_step` is the step creating a policy.
pub(crate) fn plan(
    plan: &mut Plan,
    desired: &DesiredUser,
    found: Option<&ObservedUser>,
    vendor: &str,
    policy_step: &dyn Fn(&str) -> Option<usize>,
    options: ApplyOptions,
) -> Result<()> {
    let (user_step, attached, (has_key, deleted)) = match found {
        None => {
            let create = plan.push(Action::CreateUser(desired.clone()), vec![]);
            (Some(create), BTreeSet::new(), (false, Vec::new()))
        }
        Some(found) => {
            check_ownership(Kind::User, &desired.name, &found.tags, vendor)?;
            plan.present.push(Present {
                kind: Kind::User,
                name: desired.name.clone(),
                arn: found.arn.clone(),
            });
            let tags = missing_tags(&desired.tags, &found.tags);
            if !tags.is_empty() {
                let tag = TagUser {
                    user: desired.name.clone(),
                    tags,
                };
                plan.push(Action::TagUser(tag), vec![]);
            }
            extra_attachments(
                plan,
                Kind::User,
                &desired.name,
                &found.attached,
                &desired.policy_arns,
                options,
                |arn| {
                    Action::DetachUserPolicy(DetachUserPolicy {
                        user: desired.name.clone(),
                        policy_arn: arn.to_owned(),
                    })
                },
            );
            let attached = found.attached.iter().map(String::as_str).collect();
            let keys = if desired.access_key {
                access_key::reconcile_keys(plan, &desired.name, found, options)
            } else {
                (!found.access_keys.is_empty(), Vec::new())
            };
            (None, attached, keys)
        }
    };
    for arn in desired
        .policy_arns
        .iter()
        .filter(|a| !attached.contains(a.as_str()))
    {
        let after = user_step.into_iter().chain(policy_step(arn)).collect();
        let attach = AttachUserPolicy {
            user: desired.name.clone(),
            policy_arn: arn.clone(),
        };
        plan.push(Action::AttachUserPolicy(attach), after);
    }
    if desired.access_key && !has_key {
        let after = user_step.into_iter().chain(deleted).collect();
        access_key::plan_create(plan, &desired.name, after);
    }
    Ok(())
}

/// Plans the deletion of `found` after its keys, attachments and inline policies are removed;
/// a user in a group is kept, with all it holds (onboard never puts users in groups).
pub(crate) fn teardown<'a>(plan: &mut Plan, found: &'a ObservedUser, emptied: &mut Emptied<'a>) {
    if let Some(group) = found.groups.first() {
        plan.kept.push(Kept {
            kind: Kind::User,
            name: found.name.clone(),
            reason: KeptReason::InGroup(group.clone()),
        });
        return;
    }
    let mut before = Vec::new();
    for key in &found.access_keys {
        before.push(access_key::plan_delete(plan, &found.name, &key.id, vec![]));
    }
    for arn in &found.attached {
        let detach = DetachUserPolicy {
            user: found.name.clone(),
            policy_arn: arn.clone(),
        };
        let step = plan.push(Action::DetachUserPolicy(detach), vec![]);
        emptied.detached.push((arn, step));
        before.push(step);
    }
    for policy_name in &found.inline_policies {
        before.push(inline_policy::teardown_user(plan, &found.name, policy_name));
    }
    let delete = DeleteUser {
        user: found.name.clone(),
    };
    plan.push(Action::DeleteUser(delete), before);
    emptied.deleted.insert((Kind::User, &found.name));
}

/// What hangs off a user: attached and inline policies, groups and access keys.
struct Held {
    attached: Vec<String>,
    inline_policies: Vec<String>,
    groups: Vec<String>,
    access_keys: Vec<AccessKeyInfo>,
}

impl Held {
    fn of(self, name: String, arn: String, tags: Tags) -> ObservedUser {
        ObservedUser {
            name,
            arn,
            tags,
            attached: self.attached,
            inline_policies: self.inline_policies,
            groups: self.groups,
            access_keys: self.access_keys,
        }
    }
}

impl Aws {
    /// A user with its tags, attached and inline policies, groups and access keys; `None` if
    /// there is none.
    pub(crate) async fn read_user(&self, name: &str) -> Result<Option<ObservedUser>> {
        self.read_known(user(name), || self.read_user_once(name), |_| None)
            .await
    }

    async fn read_user_once(&self, name: &str) -> Result<Option<ObservedUser>> {
        let found = self.iam().get_user().user_name(name).send();
        let (found, held) = tokio::join!(found, self.held_by_user(name));
        let found = match found {
            Ok(out) => out
                .user
                .ok_or_else(|| missing(format!("reading user {name}")))?,
            Err(err) if is_code(&err, "NoSuchEntity") => return Ok(None),
            Err(err) => return Err(err).doing(|| format!("reading user {name}")),
        };
        self.propagation().exists(user(name));
        Ok(Some(held?.of(
            name.to_owned(),
            found.arn().to_owned(),
            tags_of(found.tags()),
        )))
    }

    /// What hangs off a user, read at once.
    async fn held_by_user(&self, name: &str) -> Result<Held> {
        let attached = self.attached_user_policies(name);
        let inline = self.inline_user_policy_names(name);
        let groups = self
            .iam()
            .list_groups_for_user()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let keys = self.list_access_keys(name);
        let (attached, inline, groups, keys) = tokio::join!(attached, inline, groups, keys);
        let groups = groups.doing(|| format!("listing groups of user {name}"))?;
        Ok(Held {
            attached: attached?,
            inline_policies: inline?,
            groups: groups.iter().map(|g| g.group_name().to_owned()).collect(),
            access_keys: keys?,
        })
    }

    /// The ARNs of the managed policies attached to a user.
    pub(crate) async fn attached_user_policies(&self, user: &str) -> Result<Vec<String>> {
        let attached = self
            .iam()
            .list_attached_user_policies()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing policies attached to user {user}"))?;
        Ok(attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::Client;
    use aws_sdk_iam::operation::attach_user_policy::AttachUserPolicyOutput;
    use aws_smithy_mocks::{Rule, mock};

    use super::*;
    use crate::error::Error;
    use crate::kinds::mocks::{
        self, ACCOUNT, already_exists, denied, failure, no_such_entity, owned_tags,
    };

    const POLICY: &str = "arn:aws:iam::111122223333:policy/P";

    fn rules(groups: Vec<Vec<Rule>>) -> Vec<Rule> {
        groups.into_iter().flatten().collect()
    }

    fn desired() -> DesiredUser {
        DesiredUser {
            id: "reader".into(),
            name: "U".into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/U"),
            description: "d".into(),
            policy_arns: vec![],
            access_key: false,
            tags: owned_tags("reader"),
        }
    }

    #[tokio::test]
    async fn a_create_that_meets_its_own_user_adopts_it_and_another_fails() {
        let call = || mock!(Client::create_user).then_http_response(already_exists);
        let own = mocks::aws(&rules(vec![
            vec![call()],
            mocks::user("U", &owned_tags("reader"), &[], &[], &[]),
        ]));
        own.execute(&Action::CreateUser(desired())).await.unwrap();
        let theirs = mocks::aws(&rules(vec![
            vec![call()],
            mocks::user("U", &[], &[], &[], &[]),
        ]));
        let err = theirs
            .execute(&Action::CreateUser(desired()))
            .await
            .unwrap_err();
        assert_eq!(err.aws_code(), Some("EntityAlreadyExists"), "{err}");
    }

    #[tokio::test]
    async fn removals_of_what_is_gone_are_done() {
        let delete = mock!(Client::delete_user).then_http_response(no_such_entity);
        let aws = mocks::aws(&[delete]);
        let step = DeleteUser { user: "U".into() };
        aws.execute(&Action::DeleteUser(step)).await.unwrap();

        let detach = Action::DetachUserPolicy(DetachUserPolicy {
            user: "U".into(),
            policy_arn: POLICY.into(),
        });
        let call = || mock!(Client::detach_user_policy).then_http_response(failure);
        let detached = mocks::aws(&rules(vec![
            vec![call()],
            mocks::user("U", &owned_tags("reader"), &[], &[], &[]),
        ]));
        detached.execute(&detach).await.unwrap();
        let attached = mocks::aws(&rules(vec![
            vec![call()],
            mocks::user("U", &owned_tags("reader"), &[POLICY], &[], &[]),
        ]));
        assert!(attached.execute(&detach).await.is_err());
        let no_user = mocks::aws(&rules(vec![vec![call()], mocks::no_user()]));
        no_user.execute(&detach).await.unwrap();

        // An untag whose answer failed is done once the tags are gone.
        let untag = Action::UntagUser(UntagUser {
            user: "U".into(),
            keys: vec!["onboard:key:AKIA1".into()],
        });
        let call = || mock!(Client::untag_user).then_http_response(failure);
        let untagged = mocks::aws(&rules(vec![
            vec![call()],
            mocks::user("U", &owned_tags("reader"), &[], &[], &[]),
        ]));
        untagged.execute(&untag).await.unwrap();
        let mut tags = owned_tags("reader");
        tags.push(Tag::new("onboard:key:AKIA1", "2026-01-01T00:00:00Z"));
        let tagged = mocks::aws(&rules(vec![
            vec![call()],
            mocks::user("U", &tags, &[], &[], &[]),
        ]));
        assert!(tagged.execute(&untag).await.is_err());
    }

    #[tokio::test]
    async fn access_denied_is_refused() {
        let tag = mock!(Client::tag_user).then_http_response(denied);
        let aws = mocks::aws(&[tag]);
        let step = Action::TagUser(TagUser {
            user: "U".into(),
            tags: owned_tags("reader"),
        });
        let err = aws.execute(&step).await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_attach_waits_for_a_user_the_run_created() {
        let call = mock!(Client::attach_user_policy)
            .sequence()
            .http_response(no_such_entity)
            .output(|| AttachUserPolicyOutput::builder().build())
            .build();
        let aws = mocks::aws(std::slice::from_ref(&call));
        aws.propagation().exists(Entity::User("U".into()));
        aws.propagation().exists(Entity::Policy(POLICY.into()));
        let step = Action::AttachUserPolicy(AttachUserPolicy {
            user: "U".into(),
            policy_arn: POLICY.into(),
        });
        aws.execute(&step).await.unwrap();
        assert_eq!(call.num_calls(), 2);
    }
}
