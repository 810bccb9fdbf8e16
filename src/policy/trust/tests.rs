use serde_json::{Value, json};

use super::*;
use crate::catalog::{RenderContext, builtin_vendors, load_builtin, render, resolve_params};

/// What a case expects, without the statement's details where they do not matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Allowed by this statement (1-based).
    Allowed(usize),
    /// Allowed through the account, by this statement.
    IfAccountPermits(usize),
    Denied(usize),
    NotAllowed,
    Unknown,
}

fn outcome(decision: &Decision) -> Want {
    match decision {
        Decision::Allowed(at) => Want::Allowed(at.index),
        Decision::AllowedIfAccountPermits { statement, .. } => {
            Want::IfAccountPermits(statement.index)
        }
        Decision::DeniedExplicitly(at) => Want::Denied(at.index),
        Decision::NotAllowed => Want::NotAllowed,
        Decision::Unknown { .. } => Want::Unknown,
    }
}

fn aws(arn: &str) -> Principal {
    Principal::Aws(AwsPrincipal::parse(arn).unwrap_or_else(|| panic!("{arn} parses")))
}

fn request(principal: Principal, external_id: Option<&str>) -> Request {
    Request {
        principal,
        external_id: external_id.map(str::to_owned),
    }
}

/// One statement allowing sts:AssumeRole to `principal`, with `condition` if not null.
#[allow(clippy::needless_pass_by_value, reason = "called with json! literals")]
fn allow(principal: Value, condition: Value) -> Value {
    let mut statement =
        json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
    if !condition.is_null() {
        statement["Condition"] = condition;
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

const VENDOR_ROLE: &str = "arn:aws:iam::300973880807:role/installer-delegation";
const VENDOR_SESSION: &str = "arn:aws:sts::300973880807:assumed-role/installer-delegation/s1";
const VENDOR_USER: &str = "arn:aws:iam::300973880807:user/ops/alice";
const OTHER_ROLE: &str = "arn:aws:iam::999999999999:role/installer-delegation";
const EXT: &str = "ext-123";

/// One rule case: name, trust policy, request, expected decision.
type Case = (&'static str, Value, Request, Want);

#[rustfmt::skip]
fn rule_cases() -> Vec<Case> {
    let ext_equals = json!({"StringEquals": {"sts:ExternalId": EXT}});
    let root = json!({"AWS": "arn:aws:iam::300973880807:root"});
    let none = Value::Null;
    let ec2 = || Principal::Service("ec2.amazonaws.com".into());
    let any = |statement: Value| json!({"Statement": statement});
    vec![
        // Principal forms.
        ("Principal *", allow(json!("*"), none.clone()), request(aws(OTHER_ROLE), None), Want::Allowed(1)),
        ("AWS *", allow(json!({"AWS": "*"}), none.clone()), request(aws(OTHER_ROLE), None), Want::Allowed(1)),
        ("Principal * also names services", allow(json!("*"), none.clone()), request(ec2(), None), Want::Allowed(1)),
        ("account root: a role of the account", allow(root.clone(), none.clone()),
            request(aws(VENDOR_ROLE), None), Want::IfAccountPermits(1)),
        ("account root: a session of the account", allow(root.clone(), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::IfAccountPermits(1)),
        ("account root: the root itself", allow(root.clone(), none.clone()),
            request(aws("arn:aws:iam::300973880807:root"), None), Want::Allowed(1)),
        ("account root: another account", allow(root.clone(), none.clone()),
            request(aws(OTHER_ROLE), None), Want::NotAllowed),
        ("account root: another partition", allow(root.clone(), none.clone()),
            request(aws("arn:aws-cn:iam::300973880807:role/r"), None), Want::NotAllowed),
        ("bare account id is the root", allow(json!({"AWS": "300973880807"}), none.clone()),
            request(aws(VENDOR_USER), None), Want::IfAccountPermits(1)),
        ("bare account id, another account", allow(json!({"AWS": "300973880807"}), none.clone()),
            request(aws(OTHER_ROLE), None), Want::NotAllowed),
        ("role ARN: its session", allow(json!({"AWS": VENDOR_ROLE}), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::Allowed(1)),
        ("role ARN with a path: its session",
            allow(json!({"AWS": "arn:aws:iam::300973880807:role/team/installer-delegation"}), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::Allowed(1)),
        ("role ARN: the role itself", allow(json!({"AWS": VENDOR_ROLE}), none.clone()),
            request(aws(VENDOR_ROLE), None), Want::Allowed(1)),
        ("role ARN: another role's session", allow(json!({"AWS": VENDOR_ROLE}), none.clone()),
            request(aws("arn:aws:sts::300973880807:assumed-role/other/s1"), None), Want::NotAllowed),
        ("role ARN: same name in another account", allow(json!({"AWS": VENDOR_ROLE}), none.clone()),
            request(aws("arn:aws:sts::999999999999:assumed-role/installer-delegation/s1"), None), Want::NotAllowed),
        ("role ARN: a user of the account", allow(json!({"AWS": VENDOR_ROLE}), none.clone()),
            request(aws(VENDOR_USER), None), Want::NotAllowed),
        ("user ARN: exact", allow(json!({"AWS": VENDOR_USER}), none.clone()),
            request(aws(VENDOR_USER), None), Want::Allowed(1)),
        ("user ARN: another path", allow(json!({"AWS": "arn:aws:iam::300973880807:user/alice"}), none.clone()),
            request(aws(VENDOR_USER), None), Want::NotAllowed),
        ("session ARN: exact", allow(json!({"AWS": VENDOR_SESSION}), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::Allowed(1)),
        ("session ARN: another session", allow(json!({"AWS": VENDOR_SESSION}), none.clone()),
            request(aws("arn:aws:sts::300973880807:assumed-role/installer-delegation/s2"), None), Want::NotAllowed),
        ("a list of AWS principals", allow(json!({"AWS": ["111122223333", VENDOR_ROLE]}), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::Allowed(1)),
        ("a named principal beats its account", allow(json!({"AWS": [root["AWS"].clone(), VENDOR_ROLE]}), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::Allowed(1)),
        ("service principal", allow(json!({"Service": "ec2.amazonaws.com"}), none.clone()),
            request(ec2(), None), Want::Allowed(1)),
        ("service principal list", allow(json!({"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}), none.clone()),
            request(ec2(), None), Want::Allowed(1)),
        ("another service", allow(json!({"Service": "lambda.amazonaws.com"}), none.clone()),
            request(ec2(), None), Want::NotAllowed),
        ("a service is no AWS principal", allow(json!({"Service": "ec2.amazonaws.com"}), none.clone()),
            request(aws(VENDOR_ROLE), None), Want::NotAllowed),
        ("an AWS principal is no service", allow(root.clone(), none.clone()),
            request(ec2(), None), Want::NotAllowed),
        ("a federated principal names no AWS principal",
            allow(json!({"Federated": "arn:aws:iam::300973880807:oidc-provider/x"}), none.clone()),
            request(aws(VENDOR_ROLE), None), Want::NotAllowed),
        ("a wildcard inside an ARN is not modelled", allow(json!({"AWS": "arn:aws:iam::300973880807:role/*"}), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::Unknown),
        ("a role's unique id is not modelled", allow(json!({"AWS": "AROAEXAMPLEID"}), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::Unknown),
        ("but another entry that matches decides", allow(json!({"AWS": ["AROAEXAMPLEID", VENDOR_ROLE]}), none.clone()),
            request(aws(VENDOR_SESSION), None), Want::Allowed(1)),
        ("NotPrincipal is not modelled",
            any(json!({"Effect": "Allow", "NotPrincipal": {"AWS": OTHER_ROLE}, "Action": "sts:AssumeRole"})),
            request(aws(VENDOR_ROLE), None), Want::Unknown),
        // Actions.
        ("Action sts:*", any(json!({"Effect": "Allow", "Principal": "*", "Action": "sts:*"})),
            request(aws(OTHER_ROLE), None), Want::Allowed(1)),
        ("Action *", any(json!({"Effect": "Allow", "Principal": "*", "Action": "*"})),
            request(aws(OTHER_ROLE), None), Want::Allowed(1)),
        ("Action case-insensitive, ? wildcard",
            any(json!({"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "STS:assume?ole"]})),
            request(aws(OTHER_ROLE), None), Want::Allowed(1)),
        ("Action sts:AssumeRoleWith* only", any(json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWith*"})),
            request(aws(OTHER_ROLE), None), Want::NotAllowed),
        ("Action sts:TagSession only", any(json!({"Effect": "Allow", "Principal": "*", "Action": ["sts:TagSession"]})),
            request(aws(OTHER_ROLE), None), Want::NotAllowed),
        ("NotAction excluding it", any(json!({"Effect": "Allow", "Principal": "*", "NotAction": "sts:Assume*"})),
            request(aws(OTHER_ROLE), None), Want::NotAllowed),
        ("NotAction excluding others", any(json!({"Effect": "Allow", "Principal": "*", "NotAction": "sts:TagSession"})),
            request(aws(OTHER_ROLE), None), Want::Allowed(1)),
        // Deny wins; an Allow is needed.
        ("explicit Deny wins", any(json!([
                {"Effect": "Allow", "Principal": root.clone(), "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": VENDOR_ROLE}, "Action": "sts:*"}])),
            request(aws(VENDOR_SESSION), None), Want::Denied(2)),
        ("a Deny for someone else does not apply", any(json!([
                {"Effect": "Allow", "Principal": root.clone(), "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": OTHER_ROLE}, "Action": "sts:*"}])),
            request(aws(VENDOR_SESSION), None), Want::IfAccountPermits(1)),
        ("Deny alone", any(json!({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"})),
            request(aws(VENDOR_SESSION), None), Want::Denied(1)),
        ("no statement allows", json!({"Version": "2012-10-17", "Statement": []}),
            request(aws(VENDOR_SESSION), None), Want::NotAllowed),
        ("the second statement allows", any(json!([
                {"Effect": "Allow", "Principal": {"AWS": OTHER_ROLE}, "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"AWS": VENDOR_ROLE}, "Action": "sts:AssumeRole"}])),
            request(aws(VENDOR_SESSION), None), Want::Allowed(2)),
        ("an unknown Deny leaves an Allow unknown", any(json!([
                {"Effect": "Allow", "Principal": {"AWS": VENDOR_ROLE}, "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])),
            request(aws(VENDOR_SESSION), None), Want::Unknown),
        ("an unknown Deny without an Allow is still no", any(json!([
                {"Effect": "Allow", "Principal": {"AWS": OTHER_ROLE}, "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])),
            request(aws(VENDOR_SESSION), None), Want::NotAllowed),
        ("an unknown Effect", any(json!({"Effect": "Maybe", "Principal": "*", "Action": "sts:AssumeRole"})),
            request(aws(VENDOR_SESSION), None), Want::Unknown),
        ("a Resource element", any(json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"})),
            request(aws(VENDOR_SESSION), None), Want::Unknown),
        // External ID conditions.
        ("StringEquals, right ID", allow(root.clone(), ext_equals.clone()),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::IfAccountPermits(1)),
        ("StringEquals, wrong ID", allow(root.clone(), ext_equals.clone()),
            request(aws(VENDOR_SESSION), Some("ext-124")), Want::NotAllowed),
        ("StringEquals, no ID", allow(root.clone(), ext_equals.clone()),
            request(aws(VENDOR_SESSION), None), Want::NotAllowed),
        ("StringEquals is case-sensitive", allow(root.clone(), ext_equals.clone()),
            request(aws(VENDOR_SESSION), Some("EXT-123")), Want::NotAllowed),
        ("the key is case-insensitive", allow(root.clone(), json!({"StringEquals": {"STS:externalid": EXT}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::IfAccountPermits(1)),
        ("StringEquals, any of a list", allow(root.clone(), json!({"StringEquals": {"sts:ExternalId": ["a1", EXT]}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::IfAccountPermits(1)),
        ("StringLike *", allow(root.clone(), json!({"StringLike": {"sts:ExternalId": "ext-*"}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::IfAccountPermits(1)),
        ("StringLike ?", allow(root.clone(), json!({"StringLike": {"sts:ExternalId": ["x", "ext-12?"]}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::IfAccountPermits(1)),
        ("StringLike, no match", allow(root.clone(), json!({"StringLike": {"sts:ExternalId": "ext-?"}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::NotAllowed),
        ("StringLike, no ID", allow(root.clone(), json!({"StringLike": {"sts:ExternalId": "*"}})),
            request(aws(VENDOR_SESSION), None), Want::NotAllowed),
        ("StringNotEquals, other ID", allow(root.clone(), json!({"StringNotEquals": {"sts:ExternalId": ["a", "b"]}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::IfAccountPermits(1)),
        ("StringNotEquals, listed ID", allow(root.clone(), json!({"StringNotEquals": {"sts:ExternalId": ["a", EXT]}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::NotAllowed),
        ("StringNotEquals, no ID holds", allow(root.clone(), json!({"StringNotEquals": {"sts:ExternalId": EXT}})),
            request(aws(VENDOR_SESSION), None), Want::IfAccountPermits(1)),
        ("StringNotLike, matching ID", allow(root.clone(), json!({"StringNotLike": {"sts:ExternalId": "ext-*"}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::NotAllowed),
        ("StringNotLike, no ID holds", allow(root.clone(), json!({"StringNotLike": {"sts:ExternalId": "ext-*"}})),
            request(aws(VENDOR_SESSION), None), Want::IfAccountPermits(1)),
        ("StringEqualsIfExists, no ID holds", allow(root.clone(), json!({"StringEqualsIfExists": {"sts:ExternalId": EXT}})),
            request(aws(VENDOR_SESSION), None), Want::IfAccountPermits(1)),
        ("StringEqualsIfExists, wrong ID", allow(root.clone(), json!({"StringEqualsIfExists": {"sts:ExternalId": EXT}})),
            request(aws(VENDOR_SESSION), Some("nope")), Want::NotAllowed),
        ("a Deny on a wrong ID", any(json!([
                {"Effect": "Allow", "Principal": root.clone(), "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                 "Condition": {"StringNotEquals": {"sts:ExternalId": EXT}}}])),
            request(aws(VENDOR_SESSION), None), Want::Denied(2)),
        ("another condition key is unknown", allow(root.clone(), json!({"StringEquals": {"aws:PrincipalOrgID": "o-1"}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::Unknown),
        ("another operator is unknown", allow(root.clone(), json!({"ForAnyValue:StringEquals": {"sts:ExternalId": EXT}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::Unknown),
        ("a policy variable is unknown", allow(root.clone(), json!({"StringEquals": {"sts:ExternalId": "${aws:username}"}})),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::Unknown),
        ("an unknown condition beside a failing one is no", allow(root.clone(),
                json!({"StringEquals": {"sts:ExternalId": EXT}, "Bool": {"aws:MultiFactorAuthPresent": "true"}})),
            request(aws(VENDOR_SESSION), Some("wrong")), Want::NotAllowed),
        ("an unknown condition for another principal does not matter", any(json!([
                {"Effect": "Allow", "Principal": {"AWS": VENDOR_ROLE}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": EXT}}},
                {"Effect": "Allow", "Principal": {"AWS": OTHER_ROLE}, "Action": "sts:AssumeRole",
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}])),
            request(aws(VENDOR_SESSION), Some(EXT)), Want::Allowed(1)),
        // Single values and lists.
        ("a lone Statement object and single strings", any(json!(
                {"Effect": "Allow", "Principal": {"AWS": VENDOR_ROLE, "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})),
            request(aws(VENDOR_SESSION), None), Want::Allowed(1)),
    ]
}

#[test]
fn the_rules_table() {
    let cases = rule_cases();
    let mut wrong = Vec::new();
    for (name, policy, request, want) in &cases {
        let got = evaluate(policy, request);
        if outcome(&got) != *want {
            wrong.push(format!("{name}: wanted {want:?}, got {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn decisions_name_the_statement_and_the_account() {
    let trust = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": OTHER_ROLE}, "Action": "sts:AssumeRole"},
        {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": "300973880807"}, "Action": "sts:AssumeRole"}]});
    let decision = evaluate(&trust, &request(aws(VENDOR_SESSION), None));
    let Decision::AllowedIfAccountPermits { statement, account } = decision else {
        panic!("{decision:?}")
    };
    assert_eq!(statement.to_string(), "statement 2 (Sid Vendor)");
    assert_eq!(account, "300973880807");
    let trust = allow(
        json!({"AWS": VENDOR_ROLE}),
        json!({"NumericLessThan": {"sts:ExternalId": "3"}}),
    );
    let decision = evaluate(&trust, &request(aws(VENDOR_SESSION), Some(EXT)));
    assert_eq!(
        decision,
        Decision::Unknown {
            statement: Some(StatementRef {
                index: 1,
                sid: None
            }),
            reason: "the condition operator NumericLessThan".into()
        }
    );
    assert_eq!(decision.allows(), None);
}

#[test]
fn principal_arns_parse_into_their_kinds() {
    let kind = |arn: &str| AwsPrincipal::parse(arn).map(|p| p.kind);
    assert_eq!(kind("arn:aws:iam::123456789012:root"), Some(AwsKind::Root));
    assert_eq!(
        kind("arn:aws:iam::123456789012:role/a/b/Name"),
        Some(AwsKind::Role {
            name: "Name".into()
        })
    );
    assert_eq!(
        kind("arn:aws-us-gov:iam::123456789012:user/u"),
        Some(AwsKind::User)
    );
    assert_eq!(
        kind("arn:aws:sts::123456789012:assumed-role/R/s"),
        Some(AwsKind::Session { role: "R".into() })
    );
    for bad in [
        "123456789012",
        "arn:aws:iam::12345:root",
        "arn:aws:iam::123456789012:role/*",
        "arn:aws:iam::123456789012:group/g",
        "arn:aws:sts::123456789012:assumed-role/R",
        "arn:aws:s3:::bucket",
    ] {
        assert_eq!(kind(bad), None, "{bad}");
    }
}

#[test]
fn external_id_conditions_are_found_under_any_operator() {
    assert!(conditions_on_external_id(&allow(
        json!("*"),
        json!({"StringLike": {"STS:ExternalID": "x*"}})
    )));
    assert!(!conditions_on_external_id(&allow(
        json!("*"),
        json!({"StringLike": {"aws:PrincipalArn": "x*"}})
    )));
    assert!(!conditions_on_external_id(&allow(json!("*"), Value::Null)));
}

/// The external ID the vendor table renders with, as `catalog show --external-id` would.
const CATALOG_EXT: &str = "onboard-test-external-id";

/// Renders one built-in integration for account 123456789012, as `onboard catalog show`
/// does offline: parameters checked and defaulted, names and path the catalog's own.
fn trusts(vendor: &str, integration: &str) -> Vec<(String, Value)> {
    let catalog = load_builtin(vendor).unwrap();
    let selected = catalog.select(&[integration.to_owned()], false).unwrap();
    let given: Vec<(String, String)> = [
        ("bucket", "cdc-bucket"),
        ("database", "lake"),
        ("cluster", "warehouse-1"),
        ("org-id", "org42"),
        ("db-user", "loader"),
        ("db-name", "dev"),
        ("region", "us-east-1"),
        (
            "trust-principal",
            "arn:aws:iam::111122223333:role/kkp-controller",
        ),
    ]
    .into_iter()
    .filter(|(name, _)| {
        selected
            .iter()
            .any(|(_, i)| i.parameters.iter().any(|p| p.name == *name))
    })
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let mut ctx = RenderContext::new("123456789012", "aws", "us-east-1");
    ctx.params = resolve_params(vendor, &selected, &given).unwrap();
    ctx.external_id = Some(CATALOG_EXT.to_owned());
    let desired = render(&catalog, &selected, &ctx).unwrap();
    desired
        .roles
        .into_iter()
        .map(|r| (r.name, r.trust))
        .collect()
}

/// Vendor, integration, role, principal, external ID, expected decision.
type VendorRow = (
    &'static str,
    &'static str,
    &'static str,
    Principal,
    Option<&'static str>,
    Want,
);

/// For each built-in vendor and integration with a role: the vendor's principal with the right
/// external ID, with a wrong one, without one, and a principal of another account.
#[rustfmt::skip]
fn vendor_rows() -> Vec<VendorRow> {
    let kafka_connect = || aws("arn:aws:sts::300973880807:assumed-role/kafkaConnectTenantAccessRole/s");
    let installer = || aws("arn:aws:sts::300973880807:assumed-role/installer-delegation/s");
    let streamkap = || aws("arn:aws:sts::300973880807:assumed-role/any-role/s");
    let upsolver_api = || aws("arn:aws:sts::428641199958:assumed-role/upsolver-api/s");
    let upsolver_account = || aws("arn:aws:sts::922761411349:assumed-role/any-role/s");
    let kkp = || aws("arn:aws:sts::111122223333:assumed-role/kkp-controller/s");
    let other = || aws("arn:aws:sts::999999999999:assumed-role/any-role/s");
    let ec2 = || Principal::Service("ec2.amazonaws.com".to_owned());
    let with = Some(CATALOG_EXT);
    let wrong = Some("someone-elses-id");
    vec![
        // BYOC's page asks for no external ID: its principal is allowed without one. That is
        // the truth, and verify warns of it (confused deputy).
        ("streamkap", "byoc", "StreamkapInstallAccess", installer(), with, Want::Allowed(1)),
        ("streamkap", "byoc", "StreamkapInstallAccess", installer(), None, Want::Allowed(1)),
        ("streamkap", "byoc", "StreamkapInstallAccess", streamkap(), with, Want::NotAllowed),
        ("streamkap", "byoc", "StreamkapInstallAccess", other(), with, Want::NotAllowed),
        ("streamkap", "s3", "StreamkapConnectorAccess", streamkap(), with, Want::IfAccountPermits(1)),
        ("streamkap", "s3", "StreamkapConnectorAccess", streamkap(), wrong, Want::NotAllowed),
        ("streamkap", "s3", "StreamkapConnectorAccess", streamkap(), None, Want::NotAllowed),
        ("streamkap", "s3", "StreamkapConnectorAccess", other(), with, Want::NotAllowed),
        ("streamkap", "glue", "StreamkapConnectorAccess", kafka_connect(), with, Want::Allowed(1)),
        ("streamkap", "glue", "StreamkapConnectorAccess", kafka_connect(), wrong, Want::NotAllowed),
        ("streamkap", "glue", "StreamkapConnectorAccess", kafka_connect(), None, Want::NotAllowed),
        ("streamkap", "glue", "StreamkapConnectorAccess", streamkap(), with, Want::NotAllowed),
        ("streamkap", "glue", "StreamkapConnectorAccess", other(), with, Want::NotAllowed),
        ("streamkap", "redshift", "StreamkapConnectorAccess", streamkap(), with, Want::IfAccountPermits(1)),
        ("streamkap", "redshift", "StreamkapConnectorAccess", streamkap(), wrong, Want::NotAllowed),
        ("streamkap", "redshift", "StreamkapConnectorAccess", streamkap(), None, Want::NotAllowed),
        ("streamkap", "redshift", "StreamkapConnectorAccess", other(), with, Want::NotAllowed),
        ("upsolver", "my-vpc", "UpsolverManagementRole", upsolver_api(), with, Want::Allowed(1)),
        ("upsolver", "my-vpc", "UpsolverManagementRole", upsolver_api(), wrong, Want::NotAllowed),
        ("upsolver", "my-vpc", "UpsolverManagementRole", upsolver_api(), None, Want::NotAllowed),
        ("upsolver", "my-vpc", "UpsolverManagementRole", upsolver_account(), with, Want::IfAccountPermits(2)),
        ("upsolver", "my-vpc", "UpsolverManagementRole", upsolver_account(), None, Want::NotAllowed),
        ("upsolver", "my-vpc", "UpsolverManagementRole", other(), with, Want::NotAllowed),
        ("upsolver", "my-vpc", "UpsolverManagementRole", ec2(), None, Want::NotAllowed),
        // The server role is for Upsolver's EC2 instances in your account, not for a vendor.
        ("upsolver", "my-vpc", "UpsolverServerRole", ec2(), None, Want::Allowed(1)),
        ("upsolver", "my-vpc", "UpsolverServerRole", upsolver_api(), with, Want::NotAllowed),
        ("upsolver", "my-vpc", "UpsolverServerRole", other(), with, Want::NotAllowed),
        // KKP's principal is --trust-principal; its trust takes no external ID.
        ("kubermatic", "role", "KubermaticKKPRole", kkp(), None, Want::Allowed(1)),
        ("kubermatic", "role", "KubermaticKKPRole", aws("arn:aws:sts::111122223333:assumed-role/other/s"), None, Want::NotAllowed),
        ("kubermatic", "role", "KubermaticKKPRole", other(), None, Want::NotAllowed),
    ]
}

#[test]
fn every_builtin_trust_lets_the_vendor_in_and_no_one_else() {
    let table = vendor_rows();
    let mut wrong_rows = Vec::new();
    for (vendor, integration, role, principal, external_id, want) in &table {
        let trusts = trusts(vendor, integration);
        let (_, trust) = trusts
            .iter()
            .find(|(name, _)| name == role)
            .unwrap_or_else(|| panic!("{vendor} {integration} has no role {role}"));
        let got = evaluate(trust, &request(principal.clone(), *external_id));
        if outcome(&got) != *want {
            wrong_rows.push(format!(
                "{vendor} {integration} {role} {principal} {external_id:?}: wanted {want:?}, got {got:?}"
            ));
        }
    }
    assert!(wrong_rows.is_empty(), "{}", wrong_rows.join("\n"));

    // Every role of every built-in integration is in the table.
    for vendor in builtin_vendors() {
        let catalog = load_builtin(vendor).unwrap();
        for integration in catalog.integrations.keys() {
            for (role, _) in trusts(vendor, integration) {
                assert!(
                    table
                        .iter()
                        .any(|(v, i, r, ..)| v == &vendor && i == integration && *r == role),
                    "the table has no row for {vendor} {integration} {role}"
                );
            }
        }
    }
}
