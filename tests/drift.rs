//! `plan` and drift repair: resources edited behind onboard's back in moto, then planned and
//! repaired to the exact catalog state.

use crate::harness::output::{ApplyOutput, PlanOutput};
use crate::harness::{Env, sorted, xml_values};

const ROLE: &str = "StreamkapInstallAccess";
const PROVISION_ARN: &str = "arn:aws:iam::123456789012:policy/StreamkapProvisionAccess";
const DEPROVISION_ARN: &str = "arn:aws:iam::123456789012:policy/StreamkapDeprovisionAccess";
const EDITED: &str = include_str!("fixtures/provision-policy-edited.json");
const TRUST: &str = include_str!("fixtures/trust-account-root.json");

#[test]
fn plan_shows_what_apply_would_do_without_writing() {
    let env = Env::start();
    let run = env.onboard(&[
        "plan",
        "--vendor",
        "streamkap",
        "--output",
        "json",
        "--detailed-exitcode",
    ]);
    run.assert_code(2);
    let plan: PlanOutput = run.json();
    assert!(plan.pending);
    assert_eq!(
        (
            plan.vendor.as_str(),
            plan.integration.as_str(),
            plan.account.as_str()
        ),
        ("streamkap", "byoc", "123456789012")
    );
    assert!(plan.unchanged.is_empty() && plan.drift.is_empty());
    assert_eq!(
        (plan.external_id.as_deref(), plan.external_id_generated),
        (None, false)
    );
    assert_eq!(
        plan.changes[2].description,
        "create role StreamkapInstallAccess"
    );
    let kinds: Vec<&str> = plan.changes.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["create", "create", "create", "attach", "attach"]);
    let diff = plan.changes[0].diff.as_deref().unwrap();
    assert!(
        diff.contains("+++ policy StreamkapProvisionAccess in the catalog"),
        "{diff}"
    );
    assert!(diff.contains("+        \"ec2:AllocateAddress\","), "{diff}");
    assert_eq!(
        Env::writes(&env.take_calls()),
        Vec::<String>::new(),
        "plan writes nothing"
    );

    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    let run = env.onboard(&["plan", "--vendor", "streamkap", "--detailed-exitcode"]);
    run.assert_code(0);
    assert_eq!(
        run.last_line(),
        "No changes: everything matches the catalog."
    );

    // Edit the trust policy by hand: plan shows a unified diff of it, in canonical JSON.
    env.iam(&[
        ("Action", "UpdateAssumeRolePolicy"),
        ("RoleName", ROLE),
        ("PolicyDocument", TRUST),
    ]);
    env.take_calls();
    let run = env.onboard(&["plan", "--vendor", "streamkap", "--detailed-exitcode"]);
    run.assert_code(2);
    assert!(
        run.stdout
            .contains("~ update trust policy of role StreamkapInstallAccess"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("--- trust policy of role StreamkapInstallAccess in AWS"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("-          \"arn:aws:iam::123456789012:root\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("+          \"arn:aws:iam::300973880807:role/installer-delegation\""),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.last_line(),
        "Plan: 0 to create, 1 to update, 0 to attach, 0 to detach, 0 to tag, 0 to delete."
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
}

#[test]
fn apply_repairs_every_kind_of_drift_to_the_exact_catalog_state() {
    let env = Env::start();
    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    // Behind onboard's back: a new trust, a detached policy, an extra policy, lost tags, a longer
    // session, and a policy document edited into a fifth version.
    env.iam(&[
        ("Action", "UpdateAssumeRolePolicy"),
        ("RoleName", ROLE),
        ("PolicyDocument", TRUST),
    ]);
    env.iam(&[
        ("Action", "DetachRolePolicy"),
        ("RoleName", ROLE),
        ("PolicyArn", DEPROVISION_ARN),
    ]);
    env.iam(&[
        ("Action", "AttachRolePolicy"),
        ("RoleName", ROLE),
        (
            "PolicyArn",
            "arn:aws:iam::aws:policy/AWSCloudFormationReadOnlyAccess",
        ),
    ]);
    env.iam(&[
        ("Action", "UntagRole"),
        ("RoleName", ROLE),
        ("TagKeys.member.1", "onboard:vendor"),
    ]);
    env.iam(&[
        ("Action", "UntagPolicy"),
        ("PolicyArn", PROVISION_ARN),
        ("TagKeys.member.1", "onboard:resource"),
    ]);
    env.iam(&[
        ("Action", "UpdateRole"),
        ("RoleName", ROLE),
        ("MaxSessionDuration", "7200"),
    ]);
    for set_default in ["false", "false", "false", "true"] {
        env.iam(&[
            ("Action", "CreatePolicyVersion"),
            ("PolicyArn", PROVISION_ARN),
            ("PolicyDocument", EDITED),
            ("SetAsDefault", set_default),
        ]);
    }
    env.take_calls();

    let run = env.onboard(&["apply", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(
        sorted(out.changes),
        [
            "attached policy StreamkapDeprovisionAccess to role StreamkapInstallAccess",
            "deleted version v1 of policy StreamkapProvisionAccess",
            "tagged policy StreamkapProvisionAccess with onboard:resource=StreamkapProvisionAccess",
            "tagged role StreamkapInstallAccess with onboard:vendor=streamkap",
            "updated maximum session duration of role StreamkapInstallAccess to 3600 seconds",
            "updated policy StreamkapProvisionAccess with a new default version",
            "updated trust policy of role StreamkapInstallAccess",
        ]
    );
    assert_eq!(
        out.drift,
        [
            "role StreamkapInstallAccess has policy AWSCloudFormationReadOnlyAccess attached, which the catalog does \
          not name: left attached (--exclusive detaches it)"
        ]
    );
    assert!(
        out.verifications[0].passed,
        "{:?}",
        out.verifications[0].checks
    );

    // The exact repaired state, read straight from moto.
    let role = env.iam(&[("Action", "GetRole"), ("RoleName", ROLE)]);
    assert_eq!(xml_values(&role, "MaxSessionDuration"), ["3600"]);
    assert!(role.contains("installer-delegation"), "{role}");
    assert!(
        xml_values(&role, "Value").contains(&"streamkap".to_owned()),
        "{role}"
    );
    let versions = env.iam(&[
        ("Action", "ListPolicyVersions"),
        ("PolicyArn", PROVISION_ARN),
    ]);
    assert_eq!(
        sorted(xml_values(&versions, "VersionId")),
        ["v2", "v3", "v4", "v5", "v6"]
    );
    let policy = env.iam(&[("Action", "GetPolicy"), ("PolicyArn", PROVISION_ARN)]);
    assert_eq!(xml_values(&policy, "DefaultVersionId"), ["v6"]);
    let attached = env.iam(&[("Action", "ListAttachedRolePolicies"), ("RoleName", ROLE)]);
    assert_eq!(
        sorted(xml_values(&attached, "PolicyName")),
        [
            "AWSCloudFormationReadOnlyAccess",
            "StreamkapDeprovisionAccess",
            "StreamkapProvisionAccess"
        ]
    );

    // --exclusive detaches what the catalog does not name; then nothing is left to do.
    env.take_calls();
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--exclusive",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(
        out.changes,
        ["detached policy AWSCloudFormationReadOnlyAccess from role StreamkapInstallAccess"]
    );
    assert!(out.drift.is_empty());
    assert_eq!(Env::writes(&env.take_calls()), ["DetachRolePolicy"]);
    let run = env.onboard(&["plan", "--vendor", "streamkap", "--detailed-exitcode"]);
    run.assert_code(0);
}

/// Two drift repairs of the same policy at once: the one that read first is held while the other
/// repairs; both succeed, and one version holds the catalog's document, as the default. With
/// four versions already, the second create meets IAM's limit of five and is done all the same.
#[test]
fn two_drift_repairs_at_once_leave_one_new_version() {
    for extra in [1, 3] {
        let env = Env::start();
        let apply = ["apply", "--vendor", "streamkap", "--no-verify"];
        env.onboard(&apply).assert_code(0);
        for index in 0..extra {
            let set_default = if index + 1 == extra { "true" } else { "false" };
            env.iam(&[
                ("Action", "CreatePolicyVersion"),
                ("PolicyArn", PROVISION_ARN),
                ("PolicyDocument", EDITED),
                ("SetAsDefault", set_default),
            ]);
        }
        // The first run has read the drifted policy; its answer is held until the second run
        // has repaired it.
        env.hold_answer_of("ListPolicyVersions", 0);
        let first = env.spawn_onboard(&apply);
        env.wait_for_hold();
        env.onboard(&apply).assert_code(0);
        env.release();
        let first = Env::finish(first);
        first.assert_code(0);

        // Besides v1, the first apply's, one version holds the catalog's document (the edited
        // ones say EditedByHand), and it is the default.
        let listing = env.iam(&[
            ("Action", "ListPolicyVersions"),
            ("PolicyArn", PROVISION_ARN),
        ]);
        let versions = xml_values(&listing, "VersionId");
        let catalog: Vec<&String> = versions
            .iter()
            .filter(|v| {
                let xml = env.iam(&[
                    ("Action", "GetPolicyVersion"),
                    ("PolicyArn", PROVISION_ARN),
                    ("VersionId", v),
                ]);
                *v != "v1" && !xml.contains("EditedByHand")
            })
            .collect();
        assert_eq!(catalog.len(), 1, "{extra}: {versions:?}");
        let default = env.iam(&[("Action", "GetPolicy"), ("PolicyArn", PROVISION_ARN)]);
        assert_eq!(
            xml_values(&default, "DefaultVersionId"),
            [catalog[0].clone()],
            "{extra}"
        );
        let again = env.onboard(&apply);
        assert!(again.stdout.contains("no changes"), "{}", again.stdout);
    }
}
