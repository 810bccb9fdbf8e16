//! verify: catalog comparison read back from AWS, and what it reports when things differ.

use serde_json::json;

use crate::harness::output::{ApplyOutput, Verification};
use crate::harness::{Env, sorted, xml_values};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/StreamkapInstallAccess";
const PROVISION_ARN: &str = "arn:aws:iam::123456789012:policy/StreamkapProvisionAccess";

#[test]
fn a_policy_edited_behind_onboards_back_fails_verification_until_apply_repairs_it() {
    let env = Env::start();
    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    env.iam(&[
        ("Action", "CreatePolicyVersion"),
        ("PolicyArn", PROVISION_ARN),
        (
            "PolicyDocument",
            include_str!("fixtures/provision-policy-edited.json"),
        ),
        ("SetAsDefault", "true"),
    ]);
    env.take_calls();

    let run = env.onboard(&["verify", "--role-arn", ROLE_ARN, "--output", "json"]);
    run.assert_code(1);
    let out: Verification = run.json();
    assert!(!out.passed);
    let failed: Vec<_> = out.checks.iter().filter(|c| c.status == "fail").collect();
    assert_eq!(failed.len(), 1, "{:?}", out.checks);
    assert_eq!(
        failed[0].name,
        "policy StreamkapProvisionAccess matches the catalog"
    );
    assert_eq!(
        failed[0].detail,
        "default version v2 differs from the catalog"
    );
    assert!(
        run.stderr
            .contains(&format!("error: verification of {ROLE_ARN} failed")),
        "{}",
        run.stderr
    );

    // apply repairs it with a new default version, and verification passes again.
    let run = env.onboard(&["apply", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(
        out.changes,
        ["updated policy StreamkapProvisionAccess with a new default version"]
    );
    assert!(out.drift.is_empty());
    let present: Vec<(&str, &str, &str)> = out
        .already_present
        .iter()
        .map(|p| (p.kind.as_str(), p.name.as_str(), p.arn.as_str()))
        .collect();
    assert_eq!(
        present,
        [
            ("policy", "StreamkapProvisionAccess", PROVISION_ARN),
            (
                "policy",
                "StreamkapDeprovisionAccess",
                "arn:aws:iam::123456789012:policy/StreamkapDeprovisionAccess"
            ),
            ("role", "StreamkapInstallAccess", ROLE_ARN),
        ]
    );
    assert!(out.verifications[0].passed);
    assert_eq!(Env::writes(&env.take_calls()), ["CreatePolicyVersion"]);
    let policy = env.iam(&[("Action", "GetPolicy"), ("PolicyArn", PROVISION_ARN)]);
    assert_eq!(xml_values(&policy, "DefaultVersionId"), ["v3"]);

    // Teardown deletes the non-default version before the policy.
    let run = env.onboard(&["teardown", "--yes"]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let version = lines
        .iter()
        .position(|l| *l == "deleted version v2 of policy StreamkapProvisionAccess");
    let policy = lines
        .iter()
        .position(|l| *l == "deleted policy StreamkapProvisionAccess");
    assert!(version.is_some() && version < policy, "{}", run.stdout);
    assert!(env.policy_names().is_empty());
    assert!(env.role_names().is_empty());
}

#[test]
fn a_role_without_onboards_tags_is_checked_without_a_catalog_comparison() {
    let env = Env::start();
    env.iam(&[
        ("Action", "CreateRole"),
        ("RoleName", "Plain"),
        (
            "AssumeRolePolicyDocument",
            include_str!("fixtures/trust-account-root.json"),
        ),
    ]);
    let run = env.onboard(&[
        "verify",
        "--role-arn",
        "arn:aws:iam::123456789012:role/Plain",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: Verification = run.json();
    let statuses: Vec<(&str, &str)> = out
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("role exists", "pass"),
            ("catalog comparison", "expected"),
            (
                "trust evaluation: arn:aws:iam::123456789012:root may assume the role",
                "pass"
            ),
            (
                "trust evaluation: another account may not assume the role",
                "pass"
            ),
            ("sts:AssumeRole", "pass"),
            ("sts:GetCallerIdentity as the role", "pass"),
        ]
    );
    assert!(out.checks[1].detail.contains("no onboard:vendor tag"));
}

/// What a stack from `onboard export --format cloudformation` leaves on real AWS, made from an
/// apply (moto's CloudFormation does not attach `ManagedPolicyArns`): the same role and policies,
/// the role tagged `managed-by=cloudformation`, the policies untagged (CloudFormation cannot tag
/// managed policies).
#[test]
fn a_deployed_export_is_verified_against_the_catalog_and_left_alone() {
    let env = Env::start();
    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    let role = "StreamkapInstallAccess";
    env.iam(&[
        ("Action", "TagRole"),
        ("RoleName", role),
        ("Tags.member.1.Key", "managed-by"),
        ("Tags.member.1.Value", "cloudformation"),
    ]);
    let policies = ["StreamkapProvisionAccess", "StreamkapDeprovisionAccess"];
    for policy in policies {
        let arn = format!("arn:aws:iam::123456789012:policy/{policy}");
        let tags = env.iam(&[("Action", "ListPolicyTags"), ("PolicyArn", &arn)]);
        let mut untag = vec![("Action", "UntagPolicy"), ("PolicyArn", arn.as_str())];
        let keys = xml_values(&tags, "Key");
        let members: Vec<String> = (1..=keys.len())
            .map(|i| format!("TagKeys.member.{i}"))
            .collect();
        untag.extend(
            members
                .iter()
                .map(String::as_str)
                .zip(keys.iter().map(String::as_str)),
        );
        env.iam(&untag);
    }

    let arn = format!("arn:aws:iam::123456789012:role/{role}");
    let run = env.onboard(&["verify", "--role-arn", &arn, "--output", "json"]);
    run.assert_code(0);
    let out: Verification = run.json();
    for policy in policies {
        for name in [
            format!("policy {policy} attached"),
            format!("policy {policy} matches the catalog"),
        ] {
            let check = out.checks.iter().find(|c| c.name == name);
            assert_eq!(check.map(|c| c.status.as_str()), Some("pass"), "{name}");
        }
    }
    assert!(out.passed);

    // Neither the role nor the untagged policies are onboard's to delete.
    let run = env.onboard(&["teardown", "--yes"]);
    run.assert_code(0);
    assert_eq!(env.role_names(), [role]);
    let list = env.iam(&[("Action", "ListPolicies"), ("Scope", "Local")]);
    assert_eq!(
        sorted(xml_values(&list, "PolicyName")),
        sorted(policies.map(String::from).to_vec())
    );
}

#[test]
fn a_missing_role_fails_verification() {
    let env = Env::start();
    let run = env.onboard(&["verify", "--role-arn", ROLE_ARN]);
    run.assert_code(1);
    assert!(
        run.stdout.starts_with(
            "FAIL     role exists: no role named StreamkapInstallAccess in account 123456789012"
        ),
        "{}",
        run.stdout
    );
}

/// The trust evaluator's checks in `verify --output json`: name and status of each.
fn trust_checks(out: &Verification) -> Vec<(&str, &str)> {
    out.checks
        .iter()
        .filter(|c| c.name.starts_with("trust evaluation: "))
        .map(|c| (c.name.as_str(), c.status.as_str()))
        .collect()
}

#[test]
fn the_trust_evaluator_passes_the_catalogs_trust_and_fails_a_tampered_one() {
    const CONNECTOR: &str = "StreamkapConnectorAccess";
    const CONNECTOR_ARN: &str = "arn:aws:iam::123456789012:role/StreamkapConnectorAccess";
    const VENDOR: &str = "arn:aws:iam::300973880807:root";
    let env = Env::start();
    env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--integration",
        "s3",
        "--param",
        "bucket=cdc-bucket",
        "--external-id",
        "streamkap-ext-1",
        "--no-verify",
    ])
    .assert_code(0);
    let verify = || env.onboard(&["verify", "--role-arn", CONNECTOR_ARN, "--output", "json"]);

    let run = verify();
    run.assert_code(0);
    let out: Verification = run.json();
    let may = format!("trust evaluation: {VENDOR} may assume the role");
    let needs = format!("trust evaluation: {VENDOR} needs the external ID");
    let other = "trust evaluation: another account may not assume the role";
    assert_eq!(
        trust_checks(&out),
        [
            (may.as_str(), "pass"),
            (needs.as_str(), "pass"),
            (other, "pass")
        ]
    );
    assert!(
        out.checks.iter().any(|c| c.name == needs
            && c.detail
                .contains("cannot assume this role without the external ID")),
        "{:?}",
        out.checks
    );

    // The external ID condition dropped behind onboard's back: the vendor's account may assume
    // the role without it.
    let vendor_statement = json!({"Effect": "Allow", "Principal": {"AWS": VENDOR},
        "Action": "sts:AssumeRole"});
    let update = |document: serde_json::Value| {
        env.iam(&[
            ("Action", "UpdateAssumeRolePolicy"),
            ("RoleName", CONNECTOR),
            ("PolicyDocument", &document.to_string()),
        ]);
    };
    update(json!({"Version": "2012-10-17", "Statement": [vendor_statement]}));
    let run = verify();
    run.assert_code(1);
    let out: Verification = run.json();
    assert!(!out.passed);
    assert_eq!(
        trust_checks(&out),
        [
            (may.as_str(), "pass"),
            (needs.as_str(), "fail"),
            (other, "pass")
        ]
    );

    // The condition back, but a second statement trusts everyone who knows the ID.
    let condition = json!({"StringEquals": {"sts:ExternalId": "streamkap-ext-1"}});
    let mut guarded = vendor_statement.clone();
    guarded["Condition"] = condition.clone();
    let everyone = json!({"Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": "sts:AssumeRole", "Condition": condition});
    update(json!({"Version": "2012-10-17", "Statement": [guarded, everyone]}));
    let run = verify();
    run.assert_code(1);
    let out: Verification = run.json();
    assert_eq!(
        trust_checks(&out),
        [
            (may.as_str(), "pass"),
            (needs.as_str(), "pass"),
            (other, "fail")
        ]
    );
    let detail = &out.checks.iter().find(|c| c.name == other).unwrap().detail;
    assert!(
        detail.starts_with("an account the trust policy does not name can assume this role")
            && detail.ends_with("with external ID streamkap-ext-1: statement 2 allows it)"),
        "{detail}"
    );
    assert!(
        run.stderr
            .contains(&format!("error: verification of {CONNECTOR_ARN} failed")),
        "{}",
        run.stderr
    );
}
