//! apply -> verify -> apply again -> teardown -> teardown again, and installs side by side.

use crate::harness::output::{ApplyOutput, TeardownOutput};
use crate::harness::{Env, count, sorted, xml_values};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/StreamkapInstallAccess";

#[test]
fn apply_verify_apply_again_teardown_leaves_nothing() {
    let env = Env::start();

    // First apply creates both policies and the role, attaches them and verifies.
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--output",
        "json",
        "--session-name",
        "t1",
    ]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(
        (out.vendor.as_str(), out.integration.as_str()),
        ("streamkap", "byoc")
    );
    assert_eq!(
        (out.account.as_str(), out.partition.as_str()),
        ("123456789012", "aws")
    );
    assert_eq!(out.role_arn.as_deref(), Some(ROLE_ARN));
    assert!(out.changed);
    assert!(out.already_present.is_empty() && out.drift.is_empty());
    assert_eq!(
        sorted(out.changes),
        [
            "attached policy StreamkapDeprovisionAccess to role StreamkapInstallAccess",
            "attached policy StreamkapProvisionAccess to role StreamkapInstallAccess",
            "created policy StreamkapDeprovisionAccess",
            "created policy StreamkapProvisionAccess",
            "created role StreamkapInstallAccess",
        ]
    );
    assert_eq!(out.verifications.len(), 1);
    let verification = &out.verifications[0];
    assert!(verification.passed);
    assert_eq!(
        (verification.kind.as_str(), verification.arn.as_str()),
        ("role", ROLE_ARN)
    );
    // BYOC's trust, as its page writes it, asks for no external ID: a warning, not a failure.
    let not_passed: Vec<(&str, &str)> = verification
        .checks
        .iter()
        .filter(|c| c.status != "pass")
        .map(|c| (c.name.as_str(), c.status.as_str()))
        .collect();
    assert_eq!(
        not_passed,
        [(
            "trust evaluation: arn:aws:iam::300973880807:role/installer-delegation needs the external ID",
            "warn"
        )]
    );
    let names: Vec<&str> = verification
        .checks
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "role exists",
            "trust policy matches the catalog",
            "policy StreamkapProvisionAccess attached",
            "policy StreamkapProvisionAccess matches the catalog",
            "policy StreamkapDeprovisionAccess attached",
            "policy StreamkapDeprovisionAccess matches the catalog",
            "trust evaluation: arn:aws:iam::300973880807:role/installer-delegation may assume the role",
            "trust evaluation: arn:aws:iam::300973880807:role/installer-delegation needs the external ID",
            "trust evaluation: another account may not assume the role",
            "sts:AssumeRole",
            "sts:GetCallerIdentity as the role",
        ]
    );
    assert_eq!(
        verification.assumed_role_arn.as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/StreamkapInstallAccess/t1")
    );
    let calls = env.take_calls();
    assert_eq!(
        sorted(Env::writes(&calls)),
        [
            "AttachRolePolicy",
            "AttachRolePolicy",
            "CreatePolicy",
            "CreatePolicy",
            "CreateRole"
        ]
    );

    // What moto holds, read straight from it.
    assert_eq!(env.role_names(), ["StreamkapInstallAccess"]);
    assert_eq!(
        sorted(env.policy_names()),
        ["StreamkapDeprovisionAccess", "StreamkapProvisionAccess"]
    );
    let attached = env.iam(&[
        ("Action", "ListAttachedRolePolicies"),
        ("RoleName", "StreamkapInstallAccess"),
    ]);
    assert_eq!(
        sorted(xml_values(&attached, "PolicyName")),
        ["StreamkapDeprovisionAccess", "StreamkapProvisionAccess"]
    );
    let tags = env.iam(&[
        ("Action", "ListRoleTags"),
        ("RoleName", "StreamkapInstallAccess"),
    ]);
    let keys = xml_values(&tags, "Key");
    let values = xml_values(&tags, "Value");
    let mut tags: Vec<(&str, &str)> = keys
        .iter()
        .map(String::as_str)
        .zip(values.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    assert_eq!(
        tags,
        [
            ("managed-by", "onboard"),
            ("onboard:integration", "byoc"),
            ("onboard:resource", "StreamkapInstallAccess"),
            ("onboard:vendor", "streamkap"),
        ]
    );
    let version = env.iam(&[
        ("Action", "GetPolicyVersion"),
        (
            "PolicyArn",
            "arn:aws:iam::123456789012:policy/StreamkapProvisionAccess",
        ),
        ("VersionId", "v1"),
    ]);
    assert_eq!(version.matches("ec2:DescribeAddressesAttribute").count(), 1);

    // verify on its own: passes, prints the assumed-role ARN last, writes nothing.
    let run = env.onboard(&["verify", "--role-arn", ROLE_ARN, "--session-name", "t2"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("pass     trust policy matches the catalog"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.last_line(),
        "arn:aws:sts::123456789012:assumed-role/StreamkapInstallAccess/t2"
    );
    assert!(Env::writes(&env.take_calls()).is_empty());

    // A second apply: zero write calls, same ARN, says nothing changed.
    let run = env.onboard(&["apply", "--vendor", "streamkap"]);
    run.assert_code(0);
    assert_eq!(run.last_line(), ROLE_ARN);
    assert!(
        run.stdout
            .contains("no changes: everything was already in place"),
        "{}",
        run.stdout
    );
    let calls = env.take_calls();
    assert_eq!(Env::writes(&calls), Vec::<String>::new());
    // Nothing is read twice: verification reuses what apply read before it.
    assert_eq!(
        [
            count(&calls, "GetRole"),
            count(&calls, "ListAttachedRolePolicies"),
            count(&calls, "GetPolicy"),
            count(&calls, "GetPolicyVersion")
        ],
        [1, 1, 2, 2],
        "{calls:?}"
    );

    // Teardown removes all of it.
    let run = env.onboard(&["teardown", "--yes", "--output", "json"]);
    run.assert_code(0);
    let out: TeardownOutput = run.json();
    assert_eq!(out.vendor, None);
    assert!(out.kept.is_empty(), "{:?}", out.kept);
    assert_eq!(
        sorted(out.removed),
        [
            "deleted policy StreamkapDeprovisionAccess",
            "deleted policy StreamkapProvisionAccess",
            "deleted role StreamkapInstallAccess",
            "detached policy StreamkapDeprovisionAccess from role StreamkapInstallAccess",
            "detached policy StreamkapProvisionAccess from role StreamkapInstallAccess",
        ]
    );
    assert!(env.role_names().is_empty());
    assert!(env.policy_names().is_empty());
    env.take_calls();

    // A second teardown is a no-op.
    let run = env.onboard(&["teardown", "--yes"]);
    run.assert_code(0);
    assert_eq!(
        run.stdout.trim(),
        "nothing to remove: onboard owns no resources in this account"
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
}

#[test]
fn two_installs_live_side_by_side_with_their_options_and_teardown_removes_both() {
    let env = Env::start();
    // A boundary policy of the customer's own: used, never touched.
    env.iam(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", "Boundary"),
        ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
    ]);
    let boundary = "arn:aws:iam::123456789012:policy/Boundary";

    env.onboard(&["apply", "--vendor", "streamkap", "--name-suffix", "-a"])
        .assert_code(0);
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--name-prefix",
        "b-",
        "--role-name",
        "Installer",
        "--path",
        "/vendors/",
        "--max-session-duration",
        "7200",
        "--permissions-boundary",
        boundary,
        "--tag",
        "team=data",
        "--no-verify",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(
        out.role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/vendors/b-Installer")
    );
    assert!(out.verifications.is_empty());
    assert_eq!(out.changes.len(), 5);

    let role = env.iam(&[("Action", "GetRole"), ("RoleName", "b-Installer")]);
    assert_eq!(xml_values(&role, "Path"), ["/vendors/"]);
    assert_eq!(xml_values(&role, "MaxSessionDuration"), ["7200"]);
    assert_eq!(xml_values(&role, "PermissionsBoundaryArn"), [boundary]);
    assert!(
        xml_values(&role, "Key").contains(&"team".to_owned()),
        "{role}"
    );
    assert_eq!(
        sorted(env.role_names()),
        ["StreamkapInstallAccess-a", "b-Installer"]
    );
    assert_eq!(
        sorted(env.policy_names()),
        [
            "Boundary",
            "StreamkapDeprovisionAccess-a",
            "StreamkapProvisionAccess-a",
            "b-StreamkapDeprovisionAccess",
            "b-StreamkapProvisionAccess",
        ]
    );

    // verify finds the catalog entry from the role's tags, whatever the names.
    let run = env.onboard(&["verify", "--role-arn", out.role_arn.as_deref().unwrap()]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("pass     policy StreamkapProvisionAccess matches the catalog"),
        "{}",
        run.stdout
    );

    let run = env.onboard(&[
        "teardown",
        "--vendor",
        "streamkap",
        "--yes",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: TeardownOutput = run.json();
    assert_eq!(out.vendor.as_deref(), Some("streamkap"));
    assert_eq!(out.removed.len(), 10, "{:?}", out.removed);
    assert!(env.role_names().is_empty());
    assert_eq!(env.policy_names(), ["Boundary"]);
}

#[test]
fn a_failed_write_names_the_step_and_the_next_apply_finishes_the_job() {
    let env = Env::start();
    let message =
        "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: iam:CreateRole";
    env.fail_next("CreateRole", 403, "AccessDenied", message);

    let run = env.onboard(&["apply", "--vendor", "streamkap"]);
    run.assert_code(1);
    // The error is the last line, after lint's warnings.
    assert_eq!(
        run.stderr.lines().last().unwrap_or_default(),
        format!(
            "error: applying streamkap byoc: stopped after 2 of 5 steps had completed (created policy \
             StreamkapProvisionAccess, created policy StreamkapDeprovisionAccess): once the caller may do what was \
             refused, run the same command again to finish, or onboard teardown to remove them: creating role \
             StreamkapInstallAccess: AccessDenied: {message} (your identity lacks the permission iam:CreateRole: grant \
             it, or use an identity that has it)"
        )
    );
    assert!(run.stdout.is_empty());
    // The policies were created concurrently with the failed role; nothing was attached.
    assert_eq!(
        sorted(env.policy_names()),
        ["StreamkapDeprovisionAccess", "StreamkapProvisionAccess"]
    );
    assert!(env.role_names().is_empty());
    env.take_calls();

    let run = env.onboard(&["apply", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(
        sorted(out.changes),
        [
            "attached policy StreamkapDeprovisionAccess to role StreamkapInstallAccess",
            "attached policy StreamkapProvisionAccess to role StreamkapInstallAccess",
            "created role StreamkapInstallAccess",
        ]
    );
    assert_eq!(out.already_present.len(), 2);
    assert!(out.verifications.iter().all(|v| v.passed));
}

#[test]
fn a_permissions_boundary_that_does_not_exist_is_refused_before_any_write() {
    let env = Env::start();
    let missing = "arn:aws:iam::123456789012:policy/NoSuchBoundary";
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--permissions-boundary",
        missing,
    ]);
    run.assert_code(2);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: --permissions-boundary {missing}: no such policy in this account: create it first or fix the ARN"
        )
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
    assert!(env.policy_names().is_empty() && env.role_names().is_empty());
}

#[test]
fn independent_calls_run_together_and_concurrency_one_runs_them_in_sequence() {
    let env = Env::start();
    env.delay(std::time::Duration::from_millis(50));
    env.onboard(&["apply", "--vendor", "streamkap", "--concurrency", "1"])
        .assert_code(0);
    assert_eq!(env.take_max_in_flight(), 1);
    env.onboard(&["teardown", "--yes", "--concurrency", "1"])
        .assert_code(0);
    assert_eq!(env.take_max_in_flight(), 1);
    env.take_calls();

    env.onboard(&["apply", "--vendor", "streamkap"])
        .assert_code(0);
    // Both policies and the role are created together (and read together before).
    assert!(env.take_max_in_flight() >= 3);
    let run = env.onboard(&["apply", "--vendor", "streamkap", "--concurrency", "0"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--concurrency"), "{}", run.stderr);
}
