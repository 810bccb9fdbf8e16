//! Resources onboard did not create are never taken over, changed or deleted.

use crate::harness::output::TeardownOutput;
use crate::harness::{Env, count, xml_values};

const TRUST: &str = include_str!("fixtures/trust-account-root.json");

#[test]
fn a_same_named_role_without_onboards_tags_blocks_apply_and_survives_teardown() {
    let env = Env::start();
    env.iam(&[
        ("Action", "CreateRole"),
        ("RoleName", "StreamkapInstallAccess"),
        ("AssumeRolePolicyDocument", TRUST),
    ]);

    let run = env.onboard(&["apply", "--vendor", "streamkap"]);
    run.assert_code(1);
    assert_eq!(
        run.stderr.trim(),
        "error: role StreamkapInstallAccess already exists and was not created by onboard \
         (it has no managed-by=onboard tag); onboard will not take it over: delete or rename it, \
         or pick other names with --name-prefix/--name-suffix"
    );
    assert!(run.stdout.is_empty());
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
    assert!(env.policy_names().is_empty(), "nothing may be created");

    let run = env.onboard(&["teardown", "--yes", "--output", "json"]);
    run.assert_code(0);
    let out: TeardownOutput = run.json();
    assert!(out.removed.is_empty());
    assert_eq!(out.kept.len(), 1);
    assert_eq!(
        (out.kept[0].kind.as_str(), out.kept[0].name.as_str()),
        ("role", "StreamkapInstallAccess")
    );
    assert!(
        out.kept[0].reason.contains("no managed-by=onboard tag"),
        "{:?}",
        out.kept
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
    assert_eq!(env.role_names(), ["StreamkapInstallAccess"]);
    let role = env.iam(&[
        ("Action", "GetRole"),
        ("RoleName", "StreamkapInstallAccess"),
    ]);
    assert!(
        xml_values(&role, "Key").is_empty(),
        "the role was not tagged: {role}"
    );
}

#[test]
fn a_same_named_policy_without_onboards_tags_blocks_apply() {
    let env = Env::start();
    env.iam(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", "StreamkapDeprovisionAccess"),
        ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#),
    ]);
    let run = env.onboard(&["apply", "--vendor", "streamkap"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "policy StreamkapDeprovisionAccess already exists and was not created by onboard"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
    assert!(env.role_names().is_empty());

    let run = env.onboard(&["teardown", "--yes"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("kept policy StreamkapDeprovisionAccess: it has no managed-by=onboard tag"),
        "{}",
        run.stdout
    );
    assert_eq!(env.policy_names(), ["StreamkapDeprovisionAccess"]);
}

/// A role or a group of someone else's holding a policy of onboard's keeps it (groups are read
/// with the account's roles and users).
#[test]
fn teardown_keeps_a_policy_someone_attached_to_their_own_role_or_group() {
    const POLICY: &str = "arn:aws:iam::123456789012:policy/StreamkapProvisionAccess";
    for holder in ["role", "group"] {
        let env = Env::start();
        env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
            .assert_code(0);
        let listing = if holder == "role" {
            env.iam(&[
                ("Action", "CreateRole"),
                ("RoleName", "Theirs"),
                ("AssumeRolePolicyDocument", TRUST),
            ]);
            env.iam(&[
                ("Action", "AttachRolePolicy"),
                ("RoleName", "Theirs"),
                ("PolicyArn", POLICY),
            ]);
            [
                ("Action", "ListAttachedRolePolicies"),
                ("RoleName", "Theirs"),
            ]
        } else {
            env.iam(&[("Action", "CreateGroup"), ("GroupName", "Theirs")]);
            env.iam(&[
                ("Action", "AttachGroupPolicy"),
                ("GroupName", "Theirs"),
                ("PolicyArn", POLICY),
            ]);
            [
                ("Action", "ListAttachedGroupPolicies"),
                ("GroupName", "Theirs"),
            ]
        };

        let run = env.onboard(&["teardown", "--yes", "--output", "json"]);
        run.assert_code(0);
        let out: TeardownOutput = run.json();
        assert_eq!(out.kept.len(), 1, "{holder}: {:?}", out.kept);
        assert_eq!(out.kept[0].name, "StreamkapProvisionAccess");
        assert!(
            out.kept[0]
                .reason
                .contains(&format!("attached to {holder} Theirs")),
            "{:?}",
            out.kept
        );
        assert!(
            out.removed
                .contains(&"deleted role StreamkapInstallAccess".to_owned())
        );
        // Nothing was detached from their role or group.
        let attached = env.iam(&listing);
        assert_eq!(
            xml_values(&attached, "PolicyName"),
            ["StreamkapProvisionAccess"]
        );
        let roles: &[&str] = if holder == "role" { &["Theirs"] } else { &[] };
        assert_eq!(env.role_names(), roles);
        assert_eq!(env.policy_names(), ["StreamkapProvisionAccess"]);
    }
}

/// With --yes, the detaches from onboard's own role do not wait for the policies' tags (which
/// cannot change them): they go out while a ListPolicyTags answer is held, and nothing is
/// deleted before every read is in.
#[test]
fn teardown_detaches_while_it_reads_the_policies_tags() {
    let env = Env::start();
    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    env.take_calls();
    env.hold_answer_of("ListPolicyTags", 0);
    let run = env.spawn_onboard(&["teardown", "--yes"]);
    env.wait_for_hold();
    env.wait_for_calls(|calls| count(calls, "DetachRolePolicy") == 2);
    let calls = env.take_calls();
    assert!(!calls.iter().any(|c| c.starts_with("Delete")), "{calls:?}");
    env.release();
    let run = Env::finish(run);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("detached policy StreamkapProvisionAccess from role StreamkapInstallAccess"),
        "{}",
        run.stdout
    );
    env.assert_empty();
}

#[test]
fn teardown_refuses_without_yes_when_stdin_is_not_a_terminal() {
    let env = Env::start();
    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    env.take_calls();
    let run = env.onboard(&["teardown"]);
    run.assert_code(2);
    assert_eq!(
        run.stderr.trim(),
        "error: teardown deletes resources and stdin is not a terminal to confirm on: pass --yes"
    );
    assert!(env.take_calls().is_empty());
    assert_eq!(env.role_names(), ["StreamkapInstallAccess"]);
}

#[test]
fn teardown_on_a_terminal_lists_the_steps_and_deletes_only_after_yes() {
    let env = Env::start();
    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    env.take_calls();

    let run = env.onboard_on_terminal(&["teardown"], "no\n");
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("will delete role StreamkapInstallAccess"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Remove these 5 resources? Only 'yes' confirms:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("error: teardown cancelled: nothing was removed"),
        "{}",
        run.stdout
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
    assert_eq!(env.role_names(), ["StreamkapInstallAccess"]);

    let run = env.onboard_on_terminal(&["teardown"], "yes\n");
    run.assert_code(0);
    assert!(
        run.stdout.contains("deleted role StreamkapInstallAccess"),
        "{}",
        run.stdout
    );
    assert!(env.role_names().is_empty());
    assert!(env.policy_names().is_empty());
}

#[test]
fn teardown_reads_the_account_again_after_a_delete_conflict() {
    let env = Env::start();
    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    env.fail_next(
        "DeleteRole",
        409,
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
    );
    env.take_calls();
    let run = env.onboard(&["teardown", "--yes"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("DeleteConflict: Cannot delete entity"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("waiting for IAM to propagate the removals so far"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("deleted role StreamkapInstallAccess"),
        "{}",
        run.stdout
    );
    let calls = env.take_calls();
    assert_eq!(
        count(&calls, "GetAccountAuthorizationDetails"),
        2,
        "{calls:?}"
    );
    env.assert_empty();
}
