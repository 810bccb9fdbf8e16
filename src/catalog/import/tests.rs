use serde_json::{Value, json};

use super::*;
use crate::catalog::render::{RenderContext, render};
use crate::catalog::{load_builtin, parse};
use crate::policy::canonical;

fn source() -> Source {
    Source {
        title: "test template".into(),
        seed: None,
        url: None,
    }
}

fn imported(template: &Value) -> Imported {
    import(template, "acme", "Acme", "cfn", source()).unwrap()
}

/// Streamkap's BYOC template, imported, renders the same documents, names and attachments as
/// the built-in entry transcribed from the same page.
#[test]
fn the_streamkap_byoc_template_renders_as_the_builtin_entry() {
    let text = include_str!("../../../tests/fixtures/streamkap-byoc-template.yaml");
    let template = parse_template(text).unwrap();
    let imported = import(&template, "streamkap", "Streamkap", "byoc", source()).unwrap();
    assert_eq!(imported.skipped, []);
    let json = serde_json::to_string(&imported.catalog).unwrap();
    let catalog = parse("imported", &json).unwrap();

    let ctx = RenderContext::new("123456789012", "aws", "us-east-1");
    let ours = render(&catalog, &catalog.select(&[], false).unwrap(), &ctx).unwrap();
    let builtin = load_builtin("streamkap").unwrap();
    let theirs = render(&builtin, &builtin.select(&[], false).unwrap(), &ctx).unwrap();
    let documents = |d: &crate::state::Desired| -> Vec<(String, String, Value)> {
        d.policies
            .iter()
            .map(|p| (p.name.clone(), p.arn.clone(), canonical(&p.document)))
            .chain(d.roles.iter().map(|r| {
                (
                    r.name.clone(),
                    r.arn.clone(),
                    json!([canonical(&r.trust), r.policy_arns, r.instance_profile]),
                )
            }))
            .collect()
    };
    assert_eq!(documents(&ours), documents(&theirs));
    assert_eq!(ours.policies.len(), 2);
}

#[test]
fn intrinsic_functions_and_parameters_become_placeholders() {
    let template = json!({
        "Parameters": {
            "Bucket": {"Type": "String", "Description": "the bucket", "Default": "b-1"},
            "Env": {"Type": "String", "AllowedValues": ["prod", "dev"]},
            "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"}
        },
        "Conditions": {
            "Always": {"Fn::Equals": ["a", "a"]},
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
        },
        "Resources": {
            "Read": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "ManagedPolicyName": "AcmeRead",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "s3:GetObject",
                    "Resource": [
                        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
                        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}]]},
                        {"Fn::If": ["Always", {"Fn::Sub": "arn:aws:s3:::${!aws:username}"}, {"Ref": "AWS::NoValue"}]}
                    ]}]},
                "Roles": [{"Ref": "Access"}]
            }},
            "Access": {"Type": "AWS::IAM::Role", "Properties": {
                "RoleName": "AcmeAccess",
                "MaxSessionDuration": 7200,
                "Path": "/vendors/",
                "PermissionsBoundary": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/VendorBoundary"},
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                    "Action": "sts:AssumeRole"}]},
                "ManagedPolicyArns": [
                    {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"},
                    "arn:aws:iam::999999999999:policy/Theirs"
                ],
                "Policies": [{"PolicyName": "AcmeInline", "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                   "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}"}}]}},
                             {"PolicyDocument": {}}]
            }},
            "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "Access"}]}},
            "ProdOnly": {"Type": "AWS::IAM::User", "Condition": "IsProd", "Properties": {}},
            "Setup": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Custom": {"Type": "Custom::Setup", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Setup", "Arn"]}}}
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["Access", "Arn"]}}},
        "Transform": "AWS::Serverless-2016-10-31"
    });
    let imported = imported(&template);
    let integration = &imported.catalog.integrations["cfn"];
    let policy = &integration.policies[0];
    assert_eq!(
        policy.document["Statement"][0]["Resource"],
        json!([
            "arn:${Partition}:s3:::${Bucket}/*",
            "arn:${Partition}:s3:::${Bucket}",
            "arn:aws:s3:::${aws:username}"
        ])
    );
    let role = &integration.roles[0];
    assert_eq!(role.name, "AcmeAccess");
    assert_eq!(role.policies, ["AcmeRead"]);
    assert_eq!(role.aws_managed_policies, ["ReadOnlyAccess"]);
    assert_eq!(role.max_session_duration, Some(7200));
    assert!(role.instance_profile);
    assert_eq!(role.inline_policies[0].name, "AcmeInline");
    assert_eq!(
        role.inline_policies[0].document["Statement"][0]["Resource"],
        "arn:${Partition}:s3:::${Bucket}"
    );
    let bucket = &integration.parameters[0];
    assert_eq!(
        (bucket.name.as_str(), bucket.default.as_deref(), bucket.kind),
        ("Bucket", Some("b-1"), ParamKind::Text)
    );
    assert_eq!(integration.parameters[1].allowed_values, ["prod", "dev"]);

    // Everything left out, by logical ID and reason, also in the note.
    let ids: Vec<&str> = imported
        .skipped
        .iter()
        .map(|s| s.logical_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "Transform",
            "Outputs",
            "Subnets",
            "Access.ManagedPolicyArns",
            "Access.Policies[1]",
            "ProdOnly",
            "Setup",
            "Custom"
        ]
    );
    let why = |id: &str| {
        imported
            .skipped
            .iter()
            .find(|s| s.logical_id == id)
            .unwrap()
            .reason
            .clone()
    };
    assert!(why("ProdOnly").contains("condition IsProd depends on values only the deployer knows"));
    assert!(why("Setup").contains("resource type AWS::Lambda::Function"));
    assert!(why("Access.ManagedPolicyArns").contains("arn:aws:iam::999999999999:policy/Theirs"));
    let note = integration.note.as_deref().unwrap();
    assert!(
        note.contains("Custom: resource type Custom::Setup"),
        "{note}"
    );

    // The entry passes the catalog's validation; the role keeps its path and boundary.
    let catalog = parse(
        "imported",
        &serde_json::to_string(&imported.catalog).unwrap(),
    )
    .unwrap();
    let mut ctx = RenderContext::new("123456789012", "aws", "us-east-1");
    ctx.params = [("Bucket", "b-1"), ("Env", "dev")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let desired = render(&catalog, &catalog.select(&[], false).unwrap(), &ctx).unwrap();
    assert_eq!(
        desired.roles[0].arn,
        "arn:aws:iam::123456789012:role/vendors/AcmeAccess"
    );
    assert_eq!(
        desired.roles[0].permissions_boundary.as_deref(),
        Some("arn:aws:iam::123456789012:policy/VendorBoundary")
    );
}

#[test]
fn a_template_without_roles_or_users_is_refused_with_what_was_left_out() {
    let template = json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}});
    let err = import(&template, "acme", "Acme", "cfn", source()).unwrap_err();
    assert!(
        err.starts_with("the template creates no IAM role or user onboard can carry (left out: Q: resource type AWS::SQS::Queue"),
        "{err}"
    );
}
