use serde_json::json;

use super::*;
use crate::catalog::{builtin_vendors, load_builtin};

fn context() -> RenderContext {
    RenderContext::new("123456789012", "aws", "us-east-1")
}

/// Parameter values good for every built-in entry.
pub(crate) fn params() -> BTreeMap<String, String> {
    [
        ("bucket", "example-bucket"),
        ("database", "example_db"),
        ("cluster", "example-cluster"),
        ("org-id", "org42"),
        ("db-user", "streamkap_loader"),
        ("db-name", "analytics"),
        ("region", "eu-west-1"),
        (
            "trust-principal",
            "arn:aws:iam::111122223333:role/kkp-controller",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn rendered(vendor: &str, integrations: &[&str], ctx: &RenderContext) -> Desired {
    let catalog = load_builtin(vendor).unwrap();
    let names: Vec<String> = integrations
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    let selected = catalog.select(&names, false).unwrap();
    let mut ctx = ctx.clone();
    let wanted: Vec<&str> = selected
        .iter()
        .flat_map(|(_, i)| i.parameters.iter().map(|p| p.name.as_str()))
        .collect();
    ctx.params = params()
        .into_iter()
        .filter(|(k, _)| wanted.contains(&k.as_str()))
        .collect();
    ctx.external_id = Some("example-external-id".into());
    render(&catalog, &selected, &ctx).unwrap()
}

/// Every document of every built-in integration, as apply would create it: a changed action
/// list or trust shows up here in review.
#[test]
fn every_builtin_integration_renders_as_snapshotted() {
    for vendor in builtin_vendors() {
        let catalog = load_builtin(vendor).unwrap();
        for integration in catalog.integrations.keys() {
            let desired = rendered(vendor, &[integration], &context());
            insta::assert_json_snapshot!(format!("{vendor}_{integration}"), desired);
        }
    }
}

#[test]
fn names_take_prefix_suffix_path_and_role_override() {
    let mut ctx = context();
    ctx.partition = "aws-cn".into();
    ctx.naming = Naming {
        prefix: "prod-".into(),
        suffix: "-2".into(),
        role_name: Some("Installer".into()),
        path: "/vendors/".into(),
    };
    ctx.tags = vec![Tag::new("team", "data")];
    let desired = rendered("streamkap", &["byoc"], &ctx);
    assert_eq!(desired.roles[0].name, "prod-Installer-2");
    assert_eq!(
        desired.roles[0].arn,
        "arn:aws-cn:iam::123456789012:role/vendors/prod-Installer-2"
    );
    assert_eq!(
        desired.roles[0].policy_arns,
        [
            "arn:aws-cn:iam::123456789012:policy/vendors/prod-StreamkapProvisionAccess-2",
            "arn:aws-cn:iam::123456789012:policy/vendors/prod-StreamkapDeprovisionAccess-2"
        ]
    );
    assert_eq!(
        desired.policies[0].tags.last(),
        Some(&Tag::new("team", "data"))
    );
    assert_eq!(desired.roles[0].tags[0], Tag::new("managed-by", "onboard"));
}

#[test]
fn integrations_given_together_share_one_connector_role() {
    let desired = rendered("streamkap", &["s3", "glue"], &context());
    assert_eq!(desired.integration, "s3+glue");
    assert_eq!(desired.roles.len(), 1);
    let role = &desired.roles[0];
    assert_eq!(role.name, "StreamkapConnectorAccess");
    assert_eq!(role.policy_arns.len(), 2);
    // Both principals, each with the external ID condition.
    let principals = crate::policy::trusted_aws_principals(&role.trust);
    assert_eq!(
        principals,
        [
            "arn:aws:iam::300973880807:root",
            "arn:aws:iam::300973880807:role/kafkaConnectTenantAccessRole"
        ]
    );
    for statement in role.trust["Statement"].as_array().unwrap() {
        assert_eq!(
            statement["Condition"]["StringEquals"]["sts:ExternalId"],
            "example-external-id"
        );
    }
    let tags: Vec<_> = role
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    assert!(
        tags.contains(&("onboard:param:bucket", "example-bucket")),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("onboard:integration", "s3+glue")),
        "{tags:?}"
    );
}

#[test]
fn placeholders_are_substituted_and_iam_variables_kept() {
    let mut ctx = context();
    ctx.params.insert("bucket".into(), "b".into());
    let doc = json!({"Resource": ["arn:${Partition}:s3:::${bucket}-${AccountId}-${Region}/${aws:username}/*"]});
    let out = substitute(&doc, &ctx).unwrap();
    assert_eq!(
        out["Resource"][0],
        "arn:aws:s3:::b-123456789012-us-east-1/${aws:username}/*"
    );
    assert_eq!(
        placeholders(&doc),
        ["AccountId", "Partition", "Region", "bucket"]
    );
    let err = substitute(&json!("${Nope}"), &ctx).unwrap_err();
    assert_eq!(err, "no value for placeholder ${Nope} in '${Nope}'");
    // Without an external ID (catalog show) its placeholder stays visible.
    assert_eq!(
        substitute(&json!("${ExternalId}"), &ctx).unwrap(),
        "${ExternalId}"
    );
}

/// S3 with a prefix and a KMS key: listing and objects scoped to the prefix, the key's two
/// actions on that key only, no delete; Glue with a prefix deletes data files under it only.
#[test]
fn s3_and_glue_with_prefix_and_key_render_as_snapshotted() {
    let catalog = load_builtin("streamkap").unwrap();
    let selected = catalog
        .select(&["s3".into(), "glue".into()], false)
        .unwrap();
    let mut ctx = context();
    ctx.params = [
        ("bucket", "example-bucket"),
        ("database", "example_db"),
        ("prefix", "cdc/orders/"),
        (
            "kms-key-arn",
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        ("region", "eu-west-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    ctx.external_id = Some("example-external-id".into());
    let desired = render(&catalog, &selected, &ctx).unwrap();
    let s3 = &desired.policies[0].document;
    let text = s3.to_string();
    assert!(
        text.contains("arn:aws:s3:::example-bucket/cdc/orders/*"),
        "{text}"
    );
    assert!(!text.contains("arn:aws:s3:::example-bucket/*"), "{text}");
    assert!(!text.contains("s3:DeleteObject"), "{text}");
    assert_eq!(
        s3["Statement"][1]["Condition"]["StringLike"]["s3:prefix"],
        json!(["cdc/orders/*"])
    );
    let glue = desired.policies[1].document.to_string();
    assert!(
        glue.contains("glue:eu-west-1:123456789012:catalog"),
        "{glue}"
    );
    assert!(glue.contains("glue:GetDatabases"), "{glue}");
    assert!(
        glue.contains(
            "\"s3:DeleteObject\"],\"Resource\":\"arn:aws:s3:::example-bucket/cdc/orders/*\""
        ),
        "{glue}"
    );
    insta::assert_json_snapshot!("streamkap_s3_glue_prefix_kms", desired);
}

/// Without the optional parameters, S3 lists and writes the whole bucket, with no KMS
/// statement and no delete; the tags record only the parameters given.
#[test]
fn optional_parameters_left_out_leave_their_statements_out() {
    let desired = rendered("streamkap", &["s3"], &context());
    let text = desired.policies[0].document.to_string();
    assert!(text.contains("arn:aws:s3:::example-bucket/*"), "{text}");
    assert!(!text.contains("kms:"), "{text}");
    assert!(!text.contains("s3:prefix"), "{text}");
    assert!(!text.contains("s3:DeleteObject"), "{text}");
    assert!(
        !desired.policies[0]
            .tags
            .iter()
            .any(|t| t.key == "onboard:param:prefix")
    );
}
