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
    let names: Vec<String> = integrations.iter().map(|s| s.to_string()).collect();
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
