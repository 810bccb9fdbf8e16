//! Convergence under faults: apply and teardown cycles for every vendor shape through a proxy
//! that injects throttling, 500s, dropped connections and answers lost after moto acted, at about
//! 20% of requests, from a seed. Every cycle must end in exactly the catalog's state, and then
//! in nothing.

use crate::harness::{Env, count, sorted, xml_values};

/// Cycles per vendor shape: 20, or FAULT_CYCLES for a longer soak.
fn cycles() -> u64 {
    std::env::var("FAULT_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

/// Added to every seed: 0, or FAULT_SEED_BASE to explore other fault sequences.
fn seed_base() -> u64 {
    std::env::var("FAULT_SEED_BASE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
/// Injected faults per thousand requests.
const FAULT_RATE: u64 = 200;
/// Short backoffs keep hundreds of retries fast.
const FAST_RETRY: &[&str] = &["--retry-initial-backoff-ms", "2"];

fn attached(env: &Env, role: &str) -> Vec<String> {
    let answer = env.iam(&[("Action", "ListAttachedRolePolicies"), ("RoleName", role)]);
    sorted(xml_values(&answer, "PolicyName"))
}

fn versions(env: &Env, policy: &str) -> Vec<String> {
    let arn = format!("arn:aws:iam::123456789012:policy/{policy}");
    sorted(xml_values(
        &env.iam(&[("Action", "ListPolicyVersions"), ("PolicyArn", &arn)]),
        "VersionId",
    ))
}

/// Runs onboard with faults on, and requires success; the seed is in the message for replay.
#[track_caller]
fn converges(env: &Env, seed: u64, args: &[&str]) -> String {
    env.chaos(Some((seed, FAULT_RATE)));
    let args: Vec<&str> = args.iter().chain(FAST_RETRY).copied().collect();
    let run = env.onboard(&args);
    env.chaos(None);
    assert_eq!(
        run.code, 0,
        "seed {seed}: {args:?}\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.stdout
}

#[test]
fn streamkap_byoc_converges_under_faults_without_extra_policy_versions() {
    let env = Env::start();
    for cycle in 0..cycles() {
        let seed = seed_base() + 1000 + cycle;
        converges(&env, seed, &["apply", "--vendor", "streamkap"]);
        assert_eq!(env.role_names(), ["StreamkapInstallAccess"], "seed {seed}");
        assert_eq!(
            sorted(env.policy_names()),
            ["StreamkapDeprovisionAccess", "StreamkapProvisionAccess"]
        );
        assert_eq!(
            attached(&env, "StreamkapInstallAccess"),
            ["StreamkapDeprovisionAccess", "StreamkapProvisionAccess"]
        );
        assert_eq!(
            versions(&env, "StreamkapProvisionAccess"),
            ["v1"],
            "seed {seed}"
        );

        // Drift repaired under faults: exactly one new version, never two.
        env.iam(&[
            ("Action", "CreatePolicyVersion"),
            (
                "PolicyArn",
                "arn:aws:iam::123456789012:policy/StreamkapProvisionAccess",
            ),
            (
                "PolicyDocument",
                include_str!("fixtures/provision-policy-edited.json"),
            ),
            ("SetAsDefault", "true"),
        ]);
        converges(&env, seed + 500, &["apply", "--vendor", "streamkap"]);
        assert_eq!(
            versions(&env, "StreamkapProvisionAccess"),
            ["v1", "v2", "v3"],
            "seed {seed}"
        );

        converges(&env, seed + 900, &["teardown", "--yes"]);
        env.assert_empty();
    }
    assert!(
        env.fault_counts().total()
            >= 10 * u32::try_from(cycles()).expect("a small number of cycles"),
        "{:?}",
        env.fault_counts()
    );
    assert!(env.fault_counts().answers_lost > 0 && env.fault_counts().dropped > 0);
}

#[test]
fn upsolver_converges_under_faults() {
    let env = Env::start();
    for cycle in 0..cycles() {
        let seed = seed_base() + 2000 + cycle;
        let flags = [
            "apply",
            "--vendor",
            "upsolver",
            "--param",
            "org-id=org42",
            "--external-id",
            "ext-1",
        ];
        converges(&env, seed, &flags);
        assert_eq!(
            sorted(env.role_names()),
            ["UpsolverManagementRole", "UpsolverServerRole"],
            "seed {seed}"
        );
        assert_eq!(
            sorted(env.policy_names()),
            ["UpsolverManagementPolicy", "UpsolverServerPolicy"]
        );
        assert_eq!(
            env.instance_profile_names(),
            ["UpsolverServerRole"],
            "seed {seed}"
        );
        assert_eq!(
            attached(&env, "UpsolverServerRole"),
            [
                "AWSCloudFormationReadOnlyAccess",
                "AmazonAthenaFullAccess",
                "UpsolverServerPolicy"
            ]
        );
        assert_eq!(
            attached(&env, "UpsolverManagementRole"),
            [
                "AWSCloudFormationReadOnlyAccess",
                "UpsolverManagementPolicy"
            ]
        );
        converges(&env, seed + 900, &["teardown", "--yes"]);
        env.assert_empty();
    }
    assert!(env.fault_counts().total() > 0);
}

#[test]
fn a_user_with_an_access_key_converges_under_faults_with_exactly_one_key() {
    let env = Env::start();
    for cycle in 0..cycles() {
        let seed = seed_base() + 3000 + cycle;
        let stdout = converges(
            &env,
            seed,
            &["apply", "--vendor", "stream-manager", "--show-secret"],
        );
        assert_eq!(
            env.user_names(),
            ["production-streammanager"],
            "seed {seed}"
        );
        let keys = env.access_key_ids("production-streammanager");
        assert_eq!(keys.len(), 1, "seed {seed}: {keys:?}");
        // The one key left is the one handed over.
        assert!(
            stdout.contains(&format!(
                "access key {} of user production-streammanager: secret",
                keys[0]
            )),
            "seed {seed}: {stdout}"
        );
        converges(&env, seed + 900, &["teardown", "--yes"]);
        env.assert_empty();
    }
    assert!(env.fault_counts().total() > 0);
}

#[test]
fn lost_answers_are_resolved_by_reading_back_never_by_duplicating() {
    let env = Env::start();
    // A create whose answer is lost: the SDK's retry meets EntityAlreadyExists, and the role,
    // onboard's own and as wanted, is adopted.
    env.lose_answer_of("CreateRole");
    let stdout = converges(&env, 0, &["apply", "--vendor", "streamkap"]);
    assert!(
        stdout.contains("created role StreamkapInstallAccess"),
        "{stdout}"
    );
    let calls = env.take_calls();
    assert_eq!(count(&calls, "CreateRole"), 2, "{calls:?}");

    // CreatePolicyVersion is not retried blindly: exactly one new version.
    env.iam(&[
        ("Action", "CreatePolicyVersion"),
        (
            "PolicyArn",
            "arn:aws:iam::123456789012:policy/StreamkapProvisionAccess",
        ),
        (
            "PolicyDocument",
            include_str!("fixtures/provision-policy-edited.json"),
        ),
        ("SetAsDefault", "true"),
    ]);
    env.lose_answer_of("CreatePolicyVersion");
    converges(&env, 0, &["apply", "--vendor", "streamkap"]);
    assert_eq!(
        versions(&env, "StreamkapProvisionAccess"),
        ["v1", "v2", "v3"]
    );
    let calls = env.take_calls();
    assert_eq!(count(&calls, "CreatePolicyVersion"), 1, "{calls:?}");

    // A delete whose answer is lost: the retry meets NoSuchEntity, which means done.
    env.lose_answer_of("DeleteRole");
    converges(&env, 0, &["teardown", "--yes"]);
    env.assert_empty();

    // An access key whose answer is lost can never be handed over: it is deleted, and the one
    // key the user keeps is the one handed over.
    env.lose_answer_of("CreateAccessKey");
    let stdout = converges(
        &env,
        0,
        &[
            "apply",
            "--vendor",
            "stream-manager",
            "--show-secret",
            "--no-verify",
        ],
    );
    let keys = env.access_key_ids("production-streammanager");
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        stdout.contains(&format!(
            "access key {} of user production-streammanager: secret",
            keys[0]
        )),
        "{stdout}"
    );
    // The lost key was deleted (more creates and deletes may follow the seed's faults).
    let calls = env.take_calls();
    assert!(count(&calls, "CreateAccessKey") >= 2, "{calls:?}");
    assert!(count(&calls, "DeleteAccessKey") >= 1, "{calls:?}");
}

#[test]
fn a_principal_iam_does_not_know_yet_is_waited_for_and_other_malformed_documents_are_not() {
    let env = Env::start();
    let invalid = "Invalid principal in policy: \"AWS\":\"arn:aws:iam::300973880807:role/installer-delegation\"";
    env.fail_next("CreateRole", 400, "MalformedPolicyDocument", invalid);
    env.fail_next("CreateRole", 400, "MalformedPolicyDocument", invalid);
    converges(&env, 0, &["apply", "--vendor", "streamkap"]);
    let calls = env.take_calls();
    assert_eq!(count(&calls, "CreateRole"), 3, "{calls:?}");
    converges(&env, 0, &["teardown", "--yes"]);

    env.fail_next(
        "CreateRole",
        400,
        "MalformedPolicyDocument",
        "Syntax errors in policy.",
    );
    env.take_calls();
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--retry-initial-backoff-ms",
        "2",
    ]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "creating role StreamkapInstallAccess: MalformedPolicyDocument: Syntax errors"
        ),
        "{}",
        run.stderr
    );
    let calls = env.take_calls();
    assert_eq!(count(&calls, "CreateRole"), 1, "{calls:?}");
}
