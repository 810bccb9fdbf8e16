//! Executing one plan step: exactly one write call.

use aws_sdk_iam::types::Tag as IamTag;

use aws_sdk_iam::types::StatusType;

use super::Aws;
use super::errors::Doing;
use crate::error::Result;
use crate::plan::Action;
use crate::state::Tag;

fn iam_tags(tags: &[Tag]) -> Vec<IamTag> {
    tags.iter()
        .map(|t| {
            IamTag::builder()
                .key(&t.key)
                .value(&t.value)
                .build()
                .expect("key and value are set")
        })
        .collect()
}

impl Aws {
    /// Makes the one write call of a step whose retry is safe (the SDK's retry, and any answer
    /// a retry gets is resolved by [`Aws::execute`]).
    pub(super) async fn call(&self, action: &Action) -> Result<()> {
        let doing = || action.doing();
        let iam = &self.iam;
        match action {
            Action::CreatePolicy(p) => {
                iam.create_policy()
                    .policy_name(&p.name)
                    .path(&p.path)
                    .description(&p.description)
                    .policy_document(p.document.to_string())
                    .set_tags(Some(iam_tags(&p.tags)))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::CreateRole(r) => {
                iam.create_role()
                    .role_name(&r.name)
                    .path(&r.path)
                    .description(&r.description)
                    .assume_role_policy_document(r.trust.to_string())
                    .max_session_duration(r.max_session_duration)
                    .set_permissions_boundary(r.permissions_boundary.clone())
                    .set_tags(Some(iam_tags(&r.tags)))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::UpdateAssumeRolePolicy { role, document } => {
                iam.update_assume_role_policy()
                    .role_name(role)
                    .policy_document(document.to_string())
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::UpdateRole {
                role,
                max_session_duration,
            } => {
                iam.update_role()
                    .role_name(role)
                    .max_session_duration(*max_session_duration)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::PutRolePermissionsBoundary { role, boundary } => {
                iam.put_role_permissions_boundary()
                    .role_name(role)
                    .permissions_boundary(boundary)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::TagPolicy { policy_arn, tags } => {
                iam.tag_policy()
                    .policy_arn(policy_arn)
                    .set_tags(Some(iam_tags(tags)))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::TagRole { role, tags } => {
                iam.tag_role()
                    .role_name(role)
                    .set_tags(Some(iam_tags(tags)))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::TagInstanceProfile { name, tags } => {
                iam.tag_instance_profile()
                    .instance_profile_name(name)
                    .set_tags(Some(iam_tags(tags)))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::TagUser { user, tags } => {
                iam.tag_user()
                    .user_name(user)
                    .set_tags(Some(iam_tags(tags)))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::UntagUser { user, keys } => {
                iam.untag_user()
                    .user_name(user)
                    .set_tag_keys(Some(keys.clone()))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::CreateInstanceProfile { name, path, tags } => {
                iam.create_instance_profile()
                    .instance_profile_name(name)
                    .path(path)
                    .set_tags(Some(iam_tags(tags)))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::AddRoleToInstanceProfile {
                role,
                instance_profile,
            } => {
                iam.add_role_to_instance_profile()
                    .role_name(role)
                    .instance_profile_name(instance_profile)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::CreateUser(u) => {
                iam.create_user()
                    .user_name(&u.name)
                    .path(&u.path)
                    .set_tags(Some(iam_tags(&u.tags)))
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::AttachUserPolicy { user, policy_arn } => {
                iam.attach_user_policy()
                    .user_name(user)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DetachUserPolicy { user, policy_arn } => {
                iam.detach_user_policy()
                    .user_name(user)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DeleteUserPolicy { user, policy_name } => {
                iam.delete_user_policy()
                    .user_name(user)
                    .policy_name(policy_name)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DeactivateAccessKey { user, key_id } => {
                iam.update_access_key()
                    .user_name(user)
                    .access_key_id(key_id)
                    .status(StatusType::Inactive)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DeleteAccessKey { user, key_id } => {
                iam.delete_access_key()
                    .user_name(user)
                    .access_key_id(key_id)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DeleteUser { user } => {
                iam.delete_user()
                    .user_name(user)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::AttachRolePolicy { role, policy_arn } => {
                iam.attach_role_policy()
                    .role_name(role)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DetachRolePolicy { role, policy_arn } => {
                iam.detach_role_policy()
                    .role_name(role)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DeletePolicyVersion {
                policy_arn,
                version_id,
            } => {
                iam.delete_policy_version()
                    .policy_arn(policy_arn)
                    .version_id(version_id)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DeletePolicy { policy_arn } => {
                iam.delete_policy()
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::RemoveRoleFromInstanceProfile {
                role,
                instance_profile,
            } => {
                iam.remove_role_from_instance_profile()
                    .role_name(role)
                    .instance_profile_name(instance_profile)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DeleteInstanceProfile { name } => {
                iam.delete_instance_profile()
                    .instance_profile_name(name)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::PutRolePolicy {
                role,
                policy_name,
                document,
            } => {
                self.put_role_policy(role, policy_name, document, doing)
                    .await?;
            }
            Action::DeleteRolePolicy { role, policy_name } => {
                iam.delete_role_policy()
                    .role_name(role)
                    .policy_name(policy_name)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::DeleteRole { role } => {
                iam.delete_role()
                    .role_name(role)
                    .send()
                    .await
                    .doing(doing)?;
            }
            Action::CreatePolicyVersion { .. } | Action::CreateAccessKey { .. } => {
                unreachable!("not idempotent: run by Aws::execute without the SDK's retry")
            }
        }
        Ok(())
    }
}

impl Aws {
    /// Writes an inline policy of a role (PutRolePolicy replaces one of the same name).
    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &serde_json::Value,
        doing: impl Fn() -> String,
    ) -> Result<()> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(document.to_string())
            .send()
            .await
            .doing(doing)?;
        Ok(())
    }
}
