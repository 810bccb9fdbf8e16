//! Instance profiles: one per role that asks for it, of the role's name, created with the role's
//! tags and holding the role; on teardown emptied and deleted.

use super::{Entity, Kind, Step, check_ownership, iam_tags, list, missing_tags, tags_of};
use crate::aws::{Aws, Doing, is_code, missing};
use crate::error::Result;
use crate::handoff::NewAccessKey;
use crate::plan::{Action, Documents, Plan, Present, Verb};
use crate::state::{DesiredRole, Observed, ObservedInstanceProfile, Tag, Tags, is_owned};
use crate::verification::written::{Written, merge, tag_map};

/// Creates an instance profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreateInstanceProfile {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) tags: Vec<Tag>,
}

/// Adds tags to an instance profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TagInstanceProfile {
    pub(crate) name: String,
    pub(crate) tags: Vec<Tag>,
}

/// Puts a role in an instance profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AddRoleToInstanceProfile {
    pub(crate) role: String,
    pub(crate) instance_profile: String,
}

/// Takes a role out of an instance profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RemoveRoleFromInstanceProfile {
    pub(crate) role: String,
    pub(crate) instance_profile: String,
}

/// Deletes an (empty) instance profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeleteInstanceProfile {
    pub(crate) name: String,
}

fn profile(name: &str) -> Entity {
    Entity::InstanceProfile(name.to_owned())
}

impl Step for CreateInstanceProfile {
    fn record(&self, written: &mut Written) {
        let profile = ObservedInstanceProfile {
            tags: tag_map(&self.tags),
            roles: Vec::new(),
        };
        written.set_profile(&self.name, Some(profile));
    }
    fn words(&self) -> (Verb, String) {
        (Verb::Create, format!("instance profile {}", self.name))
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((profile(&self.name), true))
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
            .create_instance_profile()
            .instance_profile_name(&self.name)
            .path(&self.path)
            .set_tags(Some(iam_tags(&self.tags)))
            .send()
            .await
            .doing(|| self.doing());
        aws.created(self, sent, || async {
            let found = aws.read_instance_profile(&self.name).await?;
            Ok(found.is_some_and(|found| is_owned(&found.tags)))
        })
        .await
    }
}

impl Step for TagInstanceProfile {
    fn record(&self, written: &mut Written) {
        if let Some(profile) = written.profile_mut(&self.name) {
            merge(&mut profile.tags, &self.tags);
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!("instance profile {} with {}", self.name, list(&self.tags));
        (Verb::Tag, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![profile(&self.name)]
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
            .tag_instance_profile()
            .instance_profile_name(&self.name)
            .set_tags(Some(iam_tags(&self.tags)))
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for AddRoleToInstanceProfile {
    fn record(&self, written: &mut Written) {
        if let Some(profile) = written.profile_mut(&self.instance_profile) {
            profile.roles.push(self.role.clone());
        }
        if let Some(role) = written.role_mut(&self.role)
            && !role.instance_profiles.contains(&self.instance_profile)
        {
            role.instance_profiles.push(self.instance_profile.clone());
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!(
            "role {} to instance profile {}",
            self.role, self.instance_profile
        );
        (Verb::Add, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![
            Entity::Role(self.role.clone()),
            profile(&self.instance_profile),
        ]
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
            .add_role_to_instance_profile()
            .role_name(&self.role)
            .instance_profile_name(&self.instance_profile)
            .send()
            .await
            .doing(|| self.doing());
        // A profile holds one role: a retry after a lost answer meets `LimitExceeded`, done
        // when the role is the one it holds.
        match sent {
            Err(err) if err.aws_code() == Some("LimitExceeded") => {
                let found = aws.read_instance_profile(&self.instance_profile).await?;
                if found.is_some_and(|p| p.roles.contains(&self.role)) {
                    return Ok(Aws::already_done(self, &err));
                }
                Err(err)
            }
            sent => Aws::changed(sent),
        }
    }
}

impl Step for RemoveRoleFromInstanceProfile {
    fn record(&self, written: &mut Written) {
        if let Some(profile) = written.profile_mut(&self.instance_profile) {
            profile.roles.retain(|r| *r != self.role);
        }
        if let Some(role) = written.role_mut(&self.role) {
            role.instance_profiles
                .retain(|p| *p != self.instance_profile);
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!(
            "role {} from instance profile {}",
            self.role, self.instance_profile
        );
        (Verb::Remove, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![
            Entity::Role(self.role.clone()),
            profile(&self.instance_profile),
        ]
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
            .remove_role_from_instance_profile()
            .role_name(&self.role)
            .instance_profile_name(&self.instance_profile)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            let found = aws.read_instance_profile(&self.instance_profile).await?;
            Ok(found.is_none_or(|p| !p.roles.contains(&self.role)))
        })
        .await
    }
}

impl Step for DeleteInstanceProfile {
    fn record(&self, written: &mut Written) {
        written.set_profile(&self.name, None);
    }
    fn words(&self) -> (Verb, String) {
        (Verb::Delete, format!("instance profile {}", self.name))
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![profile(&self.name)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((profile(&self.name), false))
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
            .delete_instance_profile()
            .instance_profile_name(&self.name)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(aws.read_instance_profile(&self.name).await?.is_none())
        })
        .await
    }
}

/// Plans the instance profile of `role` (of the same name): created when missing, else refused
/// unless onboard's and tagged; the role added unless it is in it already.
pub(crate) fn plan(
    plan: &mut Plan,
    role: &DesiredRole,
    found: Option<&ObservedInstanceProfile>,
    vendor: &str,
    role_step: Option<usize>,
) -> Result<()> {
    let profile_step = match found {
        None => {
            let create = CreateInstanceProfile {
                name: role.name.clone(),
                path: role.path.clone(),
                tags: role.tags.clone(),
            };
            Some(plan.push(Action::CreateInstanceProfile(create), vec![]))
        }
        Some(found) => {
            check_ownership(Kind::InstanceProfile, &role.name, &found.tags, vendor)?;
            plan.present.push(Present {
                kind: Kind::InstanceProfile,
                name: role.name.clone(),
                arn: String::new(),
            });
            let tags = missing_tags(&role.tags, &found.tags);
            if !tags.is_empty() {
                let tag = TagInstanceProfile {
                    name: role.name.clone(),
                    tags,
                };
                plan.push(Action::TagInstanceProfile(tag), vec![]);
            }
            if found.roles.contains(&role.name) {
                return Ok(());
            }
            None
        }
    };
    let add = AddRoleToInstanceProfile {
        role: role.name.clone(),
        instance_profile: role.name.clone(),
    };
    let after = role_step.into_iter().chain(profile_step).collect();
    plan.push(Action::AddRoleToInstanceProfile(add), after);
    Ok(())
}

/// An onboard-owned instance profile and the roles it holds, as teardown reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OwnedInstanceProfile {
    pub(crate) name: String,
    pub(crate) tags: Tags,
    pub(crate) roles: Vec<String>,
}

/// Plans taking `role` out of instance profile `profile`; returns its step.
pub(crate) fn remove_role(plan: &mut Plan, role: &str, profile: &str) -> usize {
    let remove = RemoveRoleFromInstanceProfile {
        role: role.to_owned(),
        instance_profile: profile.to_owned(),
    };
    plan.push(Action::RemoveRoleFromInstanceProfile(remove), vec![])
}

/// Plans the deletion of `found` once it is empty: the roles teardown of roles took out
/// (`removed`, by (profile, role)) and the others, taken out here.
pub(crate) fn teardown(
    plan: &mut Plan,
    found: &OwnedInstanceProfile,
    removed: &std::collections::BTreeMap<(&str, &str), usize>,
) {
    let before = found
        .roles
        .iter()
        .map(
            |role| match removed.get(&(found.name.as_str(), role.as_str())) {
                Some(&step) => step,
                None => remove_role(plan, role, &found.name),
            },
        )
        .collect();
    let delete = DeleteInstanceProfile {
        name: found.name.clone(),
    };
    plan.push(Action::DeleteInstanceProfile(delete), before);
}

impl Aws {
    /// An instance profile with its tags and roles; `None` if there is none.
    pub(crate) async fn read_instance_profile(
        &self,
        name: &str,
    ) -> Result<Option<ObservedInstanceProfile>> {
        self.read_known(
            profile(name),
            || self.read_instance_profile_once(name),
            |_| None,
        )
        .await
    }

    async fn read_instance_profile_once(
        &self,
        name: &str,
    ) -> Result<Option<ObservedInstanceProfile>> {
        match self
            .iam()
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
        {
            Ok(out) => {
                let found = out
                    .instance_profile
                    .ok_or_else(|| missing(format!("reading instance profile {name}")))?;
                Ok(Some(ObservedInstanceProfile {
                    tags: tags_of(found.tags()),
                    roles: found
                        .roles()
                        .iter()
                        .map(|r| r.role_name().to_owned())
                        .collect(),
                }))
            }
            Err(err) if is_code(&err, "NoSuchEntity") => Ok(None),
            Err(err) => Err(err).doing(|| format!("reading instance profile {name}")),
        }
    }

    /// An instance profile's tags, for the inventory: GetInstanceProfile, which every IAM
    /// implementation answers with tags (waiting while IAM does not show a profile this run
    /// knows).
    pub(crate) async fn instance_profile_tags(&self, name: String) -> Result<(String, Tags)> {
        let out = self.read_of_known(profile(&name), || async {
            self.iam()
                .get_instance_profile()
                .instance_profile_name(&name)
                .send()
                .await
                .doing(|| format!("reading instance profile {name}"))
        });
        let tags = out
            .await?
            .instance_profile
            .map(|p| tags_of(p.tags()))
            .unwrap_or_default();
        Ok((name, tags))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::Client;
    use aws_sdk_iam::operation::add_role_to_instance_profile::AddRoleToInstanceProfileOutput;
    use aws_smithy_mocks::{Rule, mock};

    use super::*;
    use crate::error::Error;
    use crate::kinds::mocks::{
        self, already_exists, denied, failure, limit_exceeded, no_such_entity, owned_tags,
    };

    fn rules(groups: Vec<Vec<Rule>>) -> Vec<Rule> {
        groups.into_iter().flatten().collect()
    }

    fn create() -> Action {
        Action::CreateInstanceProfile(CreateInstanceProfile {
            name: "R".into(),
            path: "/".into(),
            tags: owned_tags("install"),
        })
    }

    fn add() -> Action {
        Action::AddRoleToInstanceProfile(AddRoleToInstanceProfile {
            role: "R".into(),
            instance_profile: "R".into(),
        })
    }

    #[tokio::test]
    async fn a_create_that_meets_its_own_profile_adopts_it_and_another_fails() {
        let call = || mock!(Client::create_instance_profile).then_http_response(already_exists);
        let own = mocks::aws(&rules(vec![
            vec![call()],
            mocks::instance_profile("R", &owned_tags("install"), &[]),
        ]));
        own.execute(&create()).await.unwrap();
        let theirs = mocks::aws(&rules(vec![
            vec![call()],
            mocks::instance_profile("R", &[], &[]),
        ]));
        let err = theirs.execute(&create()).await.unwrap_err();
        assert_eq!(err.aws_code(), Some("EntityAlreadyExists"), "{err}");
    }

    #[tokio::test]
    async fn adding_a_role_the_profile_holds_already_is_done() {
        let call =
            || mock!(Client::add_role_to_instance_profile).then_http_response(limit_exceeded);
        let holds = mocks::aws(&rules(vec![
            vec![call()],
            mocks::instance_profile("R", &owned_tags("install"), &["R"]),
        ]));
        holds.execute(&add()).await.unwrap();
        let other = mocks::aws(&rules(vec![
            vec![call()],
            mocks::instance_profile("R", &owned_tags("install"), &["Other"]),
        ]));
        let err = other.execute(&add()).await.unwrap_err();
        assert_eq!(err.aws_code(), Some("LimitExceeded"), "{err}");
    }

    #[tokio::test]
    async fn removing_and_deleting_what_is_gone_is_done() {
        let remove = Action::RemoveRoleFromInstanceProfile(RemoveRoleFromInstanceProfile {
            role: "R".into(),
            instance_profile: "R".into(),
        });
        let call = || mock!(Client::remove_role_from_instance_profile).then_http_response(failure);
        let empty = mocks::aws(&rules(vec![
            vec![call()],
            mocks::instance_profile("R", &owned_tags("install"), &[]),
        ]));
        empty.execute(&remove).await.unwrap();
        let holds = mocks::aws(&rules(vec![
            vec![call()],
            mocks::instance_profile("R", &owned_tags("install"), &["R"]),
        ]));
        assert!(holds.execute(&remove).await.is_err());
        let delete = mock!(Client::delete_instance_profile).then_http_response(no_such_entity);
        let aws = mocks::aws(&[delete]);
        let step = DeleteInstanceProfile { name: "R".into() };
        aws.execute(&Action::DeleteInstanceProfile(step))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn access_denied_is_refused() {
        let call = mock!(Client::add_role_to_instance_profile).then_http_response(denied);
        let aws = mocks::aws(&[call]);
        let err = aws.execute(&add()).await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn adding_waits_for_a_profile_the_run_created() {
        let call = mock!(Client::add_role_to_instance_profile)
            .sequence()
            .http_response(no_such_entity)
            .output(|| AddRoleToInstanceProfileOutput::builder().build())
            .build();
        let aws = mocks::aws(std::slice::from_ref(&call));
        aws.propagation()
            .exists(Entity::InstanceProfile("R".into()));
        aws.execute(&add()).await.unwrap();
        assert_eq!(call.num_calls(), 2);
    }
}
