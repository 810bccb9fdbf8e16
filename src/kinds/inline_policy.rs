//! Inline policies, part of the role or user that holds them: a role's are read with their
//! documents, written when missing or different, and deleted with `--exclusive` or on
//! teardown; a user's are only deleted (the catalog gives users none).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Entity, Step};
use crate::aws::{Aws, Doing, decode};
use crate::error::{Error, Result};
use crate::handoff::NewAccessKey;
use crate::plan::{Action, ApplyOptions, Documents, Drift, Plan, Verb};
use crate::policy::same_document;
use crate::state::{DesiredRole, Observed};
use crate::verification::Written;

/// Writes (creates or replaces) an inline policy of a role.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PutRolePolicy {
    pub(crate) role: String,
    pub(crate) policy_name: String,
    pub(crate) document: Value,
}

/// Deletes an inline policy of a role.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeleteRolePolicy {
    pub(crate) role: String,
    pub(crate) policy_name: String,
}

/// Deletes an inline policy of a user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeleteUserPolicy {
    pub(crate) user: String,
    pub(crate) policy_name: String,
}

impl Step for PutRolePolicy {
    fn record(&self, written: &mut Written) {
        if let Some(role) = written.role_mut(&self.role) {
            role.inline_policies
                .insert(self.policy_name.clone(), self.document.clone());
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!("inline policy {} of role {}", self.policy_name, self.role);
        (Verb::Put, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![Entity::Role(self.role.clone())]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, observed: &'a Observed) -> Option<Documents<'a>> {
        let name = format!("inline policy {} of role {}", self.policy_name, self.role);
        let found = observed
            .roles
            .get(&self.role)
            .and_then(Option::as_ref)
            .and_then(|r| r.inline_policies.get(&self.policy_name));
        Some((
            found.map(|d| (d, format!("{name} in AWS"))),
            &self.document,
            name,
        ))
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        // PutRolePolicy replaces a policy of the same name: a retry converges by itself.
        let sent = aws
            .iam()
            .put_role_policy()
            .role_name(&self.role)
            .policy_name(&self.policy_name)
            .policy_document(self.document.to_string())
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for DeleteRolePolicy {
    fn record(&self, written: &mut Written) {
        if let Some(role) = written.role_mut(&self.role) {
            role.inline_policies.remove(&self.policy_name);
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!("inline policy {} of role {}", self.policy_name, self.role);
        (Verb::Delete, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![Entity::Role(self.role.clone())]
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
            .delete_role_policy()
            .role_name(&self.role)
            .policy_name(&self.policy_name)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(match aws.read_role(&self.role).await? {
                Some(found) => !found.inline_policies.contains_key(&self.policy_name),
                None => true,
            })
        })
        .await
    }
}

impl Step for DeleteUserPolicy {
    /// A user's inline policies are not part of what verification compares.
    fn record(&self, _: &mut Written) {}
    fn words(&self) -> (Verb, String) {
        let object = format!("inline policy {} of user {}", self.policy_name, self.user);
        (Verb::Delete, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![Entity::User(self.user.clone())]
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
            .delete_user_policy()
            .user_name(&self.user)
            .policy_name(&self.policy_name)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(match aws.read_user(&self.user).await? {
                Some(found) => !found.inline_policies.contains(&self.policy_name),
                None => true,
            })
        })
        .await
    }
}

/// Writes the role's inline policies that are missing or differ (after the role is created);
/// an inline policy the catalog does not name is drift, deleted with --exclusive.
pub(crate) fn plan_role(
    plan: &mut Plan,
    role: &DesiredRole,
    found: Option<&BTreeMap<String, Value>>,
    role_step: Option<usize>,
    options: ApplyOptions,
) {
    for policy in &role.inline_policies {
        let current = found.and_then(|f| f.get(&policy.name));
        if current.is_some_and(|d| same_document(d, &policy.document)) {
            continue;
        }
        let put = PutRolePolicy {
            role: role.name.clone(),
            policy_name: policy.name.clone(),
            document: policy.document.clone(),
        };
        plan.push(Action::PutRolePolicy(put), role_step.into_iter().collect());
    }
    let extra = found
        .into_iter()
        .flat_map(BTreeMap::keys)
        .filter(|name| !role.inline_policies.iter().any(|p| &p.name == *name));
    for name in extra {
        if options.exclusive {
            teardown_role(plan, &role.name, name);
        } else {
            plan.drift.push(Drift::ExtraInlinePolicy {
                role: role.name.clone(),
                policy_name: name.clone(),
            });
        }
    }
}

/// Plans the deletion of an inline policy of a role; returns its step.
pub(crate) fn teardown_role(plan: &mut Plan, role: &str, policy_name: &str) -> usize {
    let delete = DeleteRolePolicy {
        role: role.to_owned(),
        policy_name: policy_name.to_owned(),
    };
    plan.push(Action::DeleteRolePolicy(delete), vec![])
}

/// Plans the deletion of an inline policy of a user; returns its step.
pub(crate) fn teardown_user(plan: &mut Plan, user: &str, policy_name: &str) -> usize {
    let delete = DeleteUserPolicy {
        user: user.to_owned(),
        policy_name: policy_name.to_owned(),
    };
    plan.push(Action::DeleteUserPolicy(delete), vec![])
}

impl Aws {
    /// The names of a role's inline policies.
    pub(crate) async fn inline_role_policy_names(&self, role: &str) -> Result<Vec<String>> {
        self.iam()
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing inline policies of role {role}"))
    }

    /// The names of a user's inline policies.
    pub(crate) async fn inline_user_policy_names(&self, user: &str) -> Result<Vec<String>> {
        self.iam()
            .list_user_policies()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .doing(|| format!("listing inline policies of user {user}"))
    }

    /// A role's inline policies by name, documents decoded.
    pub(crate) async fn inline_role_policies(&self, role: &str) -> Result<BTreeMap<String, Value>> {
        // A role that does not exist is told by GetRole, read beside this; a NoSuchEntity here
        // for a role GetRole found means IAM has not propagated it yet.
        let names = self.inline_role_policy_names(role).await?;
        let reads = names.iter().map(|name| async move {
            let out = self
                .iam()
                .get_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
                .doing(|| format!("reading inline policy {name} of role {role}"))?;
            let document = decode(
                || format!("decoding inline policy {name} of role {role}"),
                Some(out.policy_document()),
            )?;
            Ok::<_, Error>((name.clone(), document))
        });
        futures_util::future::try_join_all(reads)
            .await
            .map(|pairs| pairs.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::Client;
    use aws_sdk_iam::operation::put_role_policy::PutRolePolicyOutput;
    use aws_smithy_mocks::{Rule, mock};
    use serde_json::json;

    use super::*;
    use crate::kinds::mocks::{self, denied, failure, no_such_entity, owned_tags};

    fn rules(groups: Vec<Vec<Rule>>) -> Vec<Rule> {
        groups.into_iter().flatten().collect()
    }

    fn put() -> Action {
        Action::PutRolePolicy(PutRolePolicy {
            role: "R".into(),
            policy_name: "inline".into(),
            document: json!({"Version": "2012-10-17", "Statement": []}),
        })
    }

    #[tokio::test]
    async fn deleting_an_inline_policy_that_is_gone_is_done() {
        let call = mock!(Client::delete_role_policy).then_http_response(no_such_entity);
        let step = Action::DeleteRolePolicy(DeleteRolePolicy {
            role: "R".into(),
            policy_name: "inline".into(),
        });
        mocks::aws(&[call]).execute(&step).await.unwrap();
        // A failed answer: done when the role no longer has it.
        let call = mock!(Client::delete_role_policy).then_http_response(failure);
        let trust = json!({});
        let aws = mocks::aws(&rules(vec![
            vec![call],
            mocks::role("R", &owned_tags("install"), &trust, &[]),
        ]));
        aws.execute(&step).await.unwrap();
        // A user's: done when the user no longer has it; still there: the error.
        let step = Action::DeleteUserPolicy(DeleteUserPolicy {
            user: "U".into(),
            policy_name: "inline".into(),
        });
        let call = || mock!(Client::delete_user_policy).then_http_response(failure);
        let gone = mocks::aws(&rules(vec![
            vec![call()],
            mocks::user("U", &owned_tags("reader"), &[], &[], &[]),
        ]));
        gone.execute(&step).await.unwrap();
        let there = mocks::aws(&rules(vec![
            vec![call()],
            mocks::user("U", &owned_tags("reader"), &[], &["inline"], &[]),
        ]));
        assert!(there.execute(&step).await.is_err());
    }

    #[tokio::test]
    async fn access_denied_is_refused() {
        let call = mock!(Client::put_role_policy).then_http_response(denied);
        let err = mocks::aws(&[call]).execute(&put()).await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_put_waits_for_a_role_the_run_created() {
        let call = mock!(Client::put_role_policy)
            .sequence()
            .http_response(no_such_entity)
            .output(|| PutRolePolicyOutput::builder().build())
            .build();
        let aws = mocks::aws(std::slice::from_ref(&call));
        aws.propagation().exists(Entity::Role("R".into()));
        aws.execute(&put()).await.unwrap();
        assert_eq!(call.num_calls(), 2);
    }
}
