//! aws-smithy-mocks for the kinds' convergence tests: an [`Aws`] whose IAM client answers from
//! rules (each repeating; the first that matches a request answers it), and IAM's answers as
//! IAM sends them, so that errors reach onboard with their real codes.

use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::operation::get_instance_profile::GetInstanceProfileOutput;
use aws_sdk_iam::operation::get_policy::GetPolicyOutput;
use aws_sdk_iam::operation::get_policy_version::GetPolicyVersionOutput;
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::operation::get_user::GetUserOutput;
use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::operation::list_attached_user_policies::ListAttachedUserPoliciesOutput;
use aws_sdk_iam::operation::list_groups_for_user::ListGroupsForUserOutput;
use aws_sdk_iam::operation::list_instance_profiles_for_role::ListInstanceProfilesForRoleOutput;
use aws_sdk_iam::operation::list_policy_versions::ListPolicyVersionsOutput;
use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
use aws_sdk_iam::operation::list_user_policies::ListUserPoliciesOutput;
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{
    AccessKeyMetadata, AttachedPolicy, InstanceProfile, Policy, PolicyVersion, Role, StatusType,
    User,
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::Value;

use super::iam_tags;
use crate::aws::Aws;
use crate::state::Tag;

/// The account of the mocked ARNs.
pub(crate) const ACCOUNT: &str = "111122223333";

/// Clients answering from `rules`, with a short propagation deadline, no SDK retry and onboard's
/// own retry of calls that are not idempotent set to two attempts.
pub(crate) fn aws(rules: &[Rule]) -> Aws {
    aws_with(rules, &[])
}

/// The same, with STS answering from `sts` (a request no rule matches fails the test).
pub(crate) fn aws_with(rules: &[Rule], sts: &[Rule]) -> Aws {
    let interceptor = |rules: &[Rule]| {
        rules.iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            MockResponseInterceptor::with_rule,
        )
    };
    let credentials = Credentials::new("AKIDMOCK", "mock", None, None, "mock");
    let iam = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials.clone())
        .http_client(create_mock_http_client())
        .interceptor(interceptor(rules))
        .retry_config(RetryConfig::disabled())
        .build();
    let sts = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .http_client(create_mock_http_client())
        .interceptor(interceptor(sts))
        .retry_config(RetryConfig::disabled())
        .build();
    Aws::mocked(
        Client::from_conf(iam),
        aws_sdk_sts::Client::from_conf(sts),
        Duration::from_secs(5),
    )
}

/// An IAM error answer, as IAM's query protocol sends it.
pub(crate) fn error(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
         <Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>mocked</RequestId></ErrorResponse>"
    );
    HttpResponse::new(
        StatusCode::try_from(status).expect("a status code"),
        SdkBody::from(body),
    )
}

pub(crate) fn no_such_entity() -> HttpResponse {
    error(404, "NoSuchEntity", "The entity cannot be found.")
}

pub(crate) fn already_exists() -> HttpResponse {
    error(409, "EntityAlreadyExists", "The entity already exists.")
}

/// A 500: the answer IAM gives when it failed, or a lost answer's stand-in.
pub(crate) fn failure() -> HttpResponse {
    error(500, "ServiceFailure", "Internal failure.")
}

pub(crate) fn denied() -> HttpResponse {
    error(
        403,
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:X \
         on resource: R with an explicit deny in a service control policy",
    )
}

pub(crate) fn limit_exceeded() -> HttpResponse {
    error(409, "LimitExceeded", "Cannot exceed quota.")
}

fn epoch() -> DateTime {
    DateTime::from_secs(1_700_000_000)
}

/// The tags onboard gives a resource of the catalog item `id`.
pub(crate) fn owned_tags(id: &str) -> Vec<Tag> {
    crate::state::ownership_tags("streamkap", "byoc", id, &std::collections::BTreeMap::new())
}

/// Rules for a role that exists with `tags` and `trust`, holding `attached` and nothing else.
pub(crate) fn role(name: &str, tags: &[Tag], trust: &Value, attached: &[&str]) -> Vec<Rule> {
    let role = Role::builder()
        .path("/")
        .role_name(name)
        .role_id("AROAMOCK")
        .arn(format!("arn:aws:iam::{ACCOUNT}:role/{name}"))
        .create_date(epoch())
        .assume_role_policy_document(trust.to_string())
        .set_tags(Some(iam_tags(tags)))
        .build()
        .expect("a role");
    let attached: Vec<AttachedPolicy> = attached
        .iter()
        .map(|arn| AttachedPolicy::builder().policy_arn(*arn).build())
        .collect();
    vec![
        mock!(Client::get_role)
            .then_output(move || GetRoleOutput::builder().role(role.clone()).build()),
        mock!(Client::list_attached_role_policies).then_output(move || {
            ListAttachedRolePoliciesOutput::builder()
                .set_attached_policies(Some(attached.clone()))
                .build()
        }),
        mock!(Client::list_instance_profiles_for_role).then_output(|| {
            ListInstanceProfilesForRoleOutput::builder()
                .set_instance_profiles(Some(vec![]))
                .build()
                .expect("a listing")
        }),
        mock!(Client::list_role_policies).then_output(|| {
            ListRolePoliciesOutput::builder()
                .set_policy_names(Some(vec![]))
                .build()
                .expect("a listing")
        }),
    ]
}

/// Rules for a role that does not exist.
pub(crate) fn no_role() -> Vec<Rule> {
    vec![
        mock!(Client::get_role).then_http_response(no_such_entity),
        mock!(Client::list_attached_role_policies).then_http_response(no_such_entity),
        mock!(Client::list_instance_profiles_for_role).then_http_response(no_such_entity),
        mock!(Client::list_role_policies).then_http_response(no_such_entity),
    ]
}

/// Rules for a managed policy whose default version `default` holds `document`, with the
/// versions `others` besides.
pub(crate) fn policy(
    arn: &str,
    tags: &[Tag],
    default: &str,
    document: &Value,
    others: &[&str],
) -> Vec<Rule> {
    let policy = Policy::builder()
        .arn(arn)
        .policy_name(crate::plan::name_of(arn))
        .default_version_id(default)
        .set_tags(Some(iam_tags(tags)))
        .build();
    let version = PolicyVersion::builder()
        .version_id(default)
        .is_default_version(true)
        .document(document.to_string())
        .build();
    let mut versions = vec![version.clone()];
    versions.extend(others.iter().map(|v| {
        PolicyVersion::builder()
            .version_id(*v)
            .is_default_version(false)
            .create_date(epoch())
            .build()
    }));
    vec![
        mock!(Client::get_policy)
            .then_output(move || GetPolicyOutput::builder().policy(policy.clone()).build()),
        mock!(Client::get_policy_version).then_output(move || {
            GetPolicyVersionOutput::builder()
                .policy_version(version.clone())
                .build()
        }),
        mock!(Client::list_policy_versions).then_output(move || {
            ListPolicyVersionsOutput::builder()
                .set_versions(Some(versions.clone()))
                .build()
        }),
    ]
}

/// Rules for a managed policy that does not exist.
pub(crate) fn no_policy() -> Vec<Rule> {
    vec![mock!(Client::get_policy).then_http_response(no_such_entity)]
}

/// Rules for an instance profile holding `roles`.
pub(crate) fn instance_profile(name: &str, tags: &[Tag], roles: &[&str]) -> Vec<Rule> {
    let roles: Vec<Role> = roles
        .iter()
        .map(|r| {
            Role::builder()
                .path("/")
                .role_name(*r)
                .role_id("AROAMOCK")
                .arn(format!("arn:aws:iam::{ACCOUNT}:role/{r}"))
                .create_date(epoch())
                .build()
                .expect("a role")
        })
        .collect();
    let profile = InstanceProfile::builder()
        .path("/")
        .instance_profile_name(name)
        .instance_profile_id("AIPAMOCK")
        .arn(format!("arn:aws:iam::{ACCOUNT}:instance-profile/{name}"))
        .create_date(epoch())
        .set_roles(Some(roles))
        .set_tags(Some(iam_tags(tags)))
        .build()
        .expect("an instance profile");
    vec![mock!(Client::get_instance_profile).then_output(move || {
        GetInstanceProfileOutput::builder()
            .instance_profile(profile.clone())
            .build()
    })]
}

/// Rules for a user with `tags`, holding `attached`, `inline` policies and the keys `keys`.
pub(crate) fn user(
    name: &str,
    tags: &[Tag],
    attached: &[&str],
    inline: &[&str],
    keys: &[&str],
) -> Vec<Rule> {
    let user = User::builder()
        .path("/")
        .user_name(name)
        .user_id("AIDAMOCK")
        .arn(format!("arn:aws:iam::{ACCOUNT}:user/{name}"))
        .create_date(epoch())
        .set_tags(Some(iam_tags(tags)))
        .build()
        .expect("a user");
    let attached: Vec<AttachedPolicy> = attached
        .iter()
        .map(|arn| AttachedPolicy::builder().policy_arn(*arn).build())
        .collect();
    let inline: Vec<String> = inline.iter().map(|s| (*s).to_owned()).collect();
    let keys: Vec<AccessKeyMetadata> = keys
        .iter()
        .map(|id| {
            AccessKeyMetadata::builder()
                .user_name(name)
                .access_key_id(*id)
                .status(StatusType::Active)
                .create_date(epoch())
                .build()
        })
        .collect();
    vec![
        mock!(Client::get_user)
            .then_output(move || GetUserOutput::builder().user(user.clone()).build()),
        mock!(Client::list_attached_user_policies).then_output(move || {
            ListAttachedUserPoliciesOutput::builder()
                .set_attached_policies(Some(attached.clone()))
                .build()
        }),
        mock!(Client::list_user_policies).then_output(move || {
            ListUserPoliciesOutput::builder()
                .set_policy_names(Some(inline.clone()))
                .build()
                .expect("a listing")
        }),
        mock!(Client::list_groups_for_user).then_output(|| {
            ListGroupsForUserOutput::builder()
                .set_groups(Some(vec![]))
                .build()
                .expect("a listing")
        }),
        access_keys(&keys),
    ]
}

/// A rule listing `keys`.
pub(crate) fn access_keys(keys: &[AccessKeyMetadata]) -> Rule {
    let keys = keys.to_vec();
    mock!(Client::list_access_keys).then_output(move || {
        ListAccessKeysOutput::builder()
            .set_access_key_metadata(Some(keys.clone()))
            .build()
            .expect("a listing")
    })
}

/// Rules for a user that does not exist.
pub(crate) fn no_user() -> Vec<Rule> {
    vec![
        mock!(Client::get_user).then_http_response(no_such_entity),
        mock!(Client::list_attached_user_policies).then_http_response(no_such_entity),
        mock!(Client::list_user_policies).then_http_response(no_such_entity),
        mock!(Client::list_groups_for_user).then_http_response(no_such_entity),
        mock!(Client::list_access_keys).then_http_response(no_such_entity),
    ]
}
