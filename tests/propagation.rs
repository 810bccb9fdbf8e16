//! IAM is eventually consistent: every command converges on its first run while the harness's
//! proxy answers as propagating IAM does (`harness/propagation.rs`): `NoSuchEntity` for what was
//! created moments ago, `AccessDenied` from `sts:AssumeRole` on a new role, `Invalid principal`
//! for a new principal, old default versions, and deleted entities still read and listed.
//! `PROPAGATION_CYCLES` and `PROPAGATION_SEED` make the soak test run longer or elsewhere.

use std::time::{Duration, Instant};

use crate::harness::output::{
    AccountsOutput, ApplyOutput, RotateOutput, TeardownOutput, Verification,
};
use crate::harness::{Case, Env, PropagationMode, catalog_cases, count, xml_values};

fn mode(window_ms: u64, per_thousand: u64, seed: u64) -> PropagationMode {
    PropagationMode {
        window: Duration::from_millis(window_ms),
        per_thousand,
        seed,
    }
}

/// `apply` for `case` in JSON, which must exit 0 with every verification passed and at most one
/// new access key.
#[track_caller]
fn apply(env: &Env, case: &Case) -> ApplyOutput {
    let run = env.onboard(&case.apply(&["--output", "json"]));
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert!(
        out.verifications.iter().all(|v| v.passed),
        "{}: {:#?}",
        case.name(),
        out.verifications
    );
    assert!(out.access_keys.len() <= 1, "{}", case.name());
    out
}

/// The ARNs apply handed over, each verified by `onboard verify`.
#[track_caller]
fn verify_all(env: &Env, out: &ApplyOutput, case: &Case) {
    let roles = out.role_arns.iter().map(|arn| ("--role-arn", arn));
    let users = out.user_arns.iter().map(|arn| ("--user-arn", arn));
    for (flag, arn) in roles.chain(users) {
        let mut args = vec!["verify", flag, arn.as_str(), "--output", "json"];
        if let Some(id) = &out.external_id {
            args.extend(["--external-id", id.as_str()]);
        }
        let run = env.onboard(&args);
        run.assert_code(0);
        let verification: Verification = run.json();
        assert!(verification.passed, "{}: {arn}", case.name());
    }
}

/// Every user the case creates holds at most one access key.
#[track_caller]
fn at_most_one_key_each(env: &Env, case: &Case) {
    for user in env.user_names() {
        let keys = env.access_key_ids(&user);
        assert!(
            keys.len() <= 1,
            "{}: user {user} has keys {keys:?}",
            case.name()
        );
    }
}

#[test]
fn every_vendor_converges_on_its_first_run_while_iam_propagates() {
    let env = Env::start();
    let mut waited = 0;
    for (seed, case) in (1..).zip(catalog_cases()) {
        env.propagation(Some(mode(300, 900, seed)));
        let out = apply(&env, &case);
        assert!(out.changed, "{}", case.name());
        waited += out.waits.count;
        at_most_one_key_each(&env, &case);

        // After the window: the exact catalog state (apply again writes nothing, verify passes).
        env.settle();
        env.take_calls();
        let again = env.onboard(&case.apply(&["--output", "json"]));
        again.assert_code(0);
        let writes = Env::writes(&env.take_calls());
        assert_eq!(writes, Vec::<String>::new(), "{}: apply again", case.name());
        verify_all(&env, &out, &case);
        env.onboard(&case.args("plan", &["--detailed-exitcode"]))
            .assert_code(0);

        env.propagation(Some(mode(300, 900, seed + 100)));
        let run = env.onboard(&["teardown", "--yes", "--output", "json"]);
        run.assert_code(0);
        let torn: TeardownOutput = run.json();
        assert!(!torn.removed.is_empty(), "{}", case.name());
        env.settle();
        env.assert_empty();
    }
    let counts = env.propagation_counts();
    assert!(
        counts.missing > 0 && waited > 0,
        "{counts:?}, {waited} waits"
    );
}

/// Teardown starts as if apply had made everything that very moment, whatever the machine's
/// speed: it reads, lists and deletes what IAM has not propagated yet.
#[test]
fn every_vendor_is_torn_down_right_after_its_apply_within_a_3_s_window() {
    let env = Env::start();
    // Someone else's role and policy, made by hand moments before each run: never touched.
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}"#;
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    env.iam(&[
        ("Action", "CreateRole"),
        ("RoleName", "MadeByHand"),
        ("AssumeRolePolicyDocument", trust),
    ]);
    env.iam(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", "MadeByHandPolicy"),
        ("PolicyDocument", document),
    ]);
    let mut seen_by_teardown = 0;
    let mut teardown_waits = 0;
    for (seed, case) in (20..).zip(catalog_cases()) {
        env.propagation(Some(mode(3000, 900, seed)));
        let out = apply(&env, &case);
        at_most_one_key_each(&env, &case);
        env.restart_propagation();
        let before = env.propagation_counts().total();
        let run = env.onboard(&["teardown", "--yes", "--output", "json"]);
        run.assert_code(0);
        seen_by_teardown += env.propagation_counts().total() - before;
        let torn: TeardownOutput = run.json();
        teardown_waits += torn.waits.count;
        let created = out
            .changes
            .iter()
            .filter(|c| c.starts_with("created"))
            .count();
        let deleted = torn
            .removed
            .iter()
            .filter(|c| c.starts_with("deleted"))
            .count();
        assert!(deleted >= created, "{}: {:?}", case.name(), torn.removed);
        env.settle();
        assert_eq!(env.role_names(), ["MadeByHand"], "{}", case.name());
        assert_eq!(env.policy_names(), ["MadeByHandPolicy"], "{}", case.name());
        assert_eq!(env.user_names(), Vec::<String>::new());
        assert_eq!(env.instance_profile_names(), Vec::<String>::new());
    }
    // Teardown itself met IAM while it propagated, and waited for it.
    assert!(seen_by_teardown > 0 && teardown_waits > 0);
}

#[test]
fn plan_right_after_an_apply_exits_0_and_a_second_apply_after_the_window_writes_nothing() {
    let env = Env::start();
    let case = &catalog_cases()[0];
    env.propagation(Some(mode(3000, 900, 5)));
    apply(&env, case);
    env.onboard(&case.args("plan", &[])).assert_code(0);
    env.settle();
    env.take_calls();
    env.onboard(&case.apply(&[])).assert_code(0);
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
}

#[test]
fn every_key_vendor_rotates_its_key_while_iam_propagates() {
    let env = Env::start();
    let cases: Vec<Case> = catalog_cases()
        .into_iter()
        .filter(|c| c.access_key)
        .collect();
    assert!(!cases.is_empty());
    for (seed, case) in (40..).zip(&cases) {
        env.propagation(Some(mode(3000, 900, seed)));
        let applied = apply(&env, case);
        let user = applied.access_keys[0].user.clone();
        let rotate = [
            "rotate-key",
            "--vendor",
            case.vendor.as_str(),
            "--integration",
            case.integration.as_str(),
            "--show-secret",
            "--output",
            "json",
        ];
        // As if the key had just been made, and every request naming it is refused: the rotation
        // waits to deactivate and delete it. Then, after the window, again under a short one.
        env.restart_propagation_of("key");
        env.propagation_rate(1000);
        for round in 0..2 {
            let run = env.onboard(&rotate);
            run.assert_code(0);
            let out: RotateOutput = run.json();
            assert_eq!(out.access_keys.len(), 1, "{} round {round}", case.name());
            // moto, read behind the proxy's back, holds the truth.
            let keys = env.access_key_ids(&user);
            assert_eq!(
                keys,
                [out.access_keys[0].access_key_id.clone()],
                "{}",
                case.name()
            );
            if round == 0 {
                assert!(out.waits.count > 0, "{}: {:?}", case.name(), out.waits);
            }
            env.settle();
            env.propagation(Some(mode(300, 900, seed + 10)));
        }
        env.onboard(&["teardown", "--yes"]).assert_code(0);
        env.settle();
        env.assert_empty();
    }
}

#[test]
fn apply_in_three_accounts_converges_while_iam_propagates() {
    let env = Env::start();
    let accounts = ["111111111111", "222222222222", "333333333333"];
    env.propagation(Some(mode(3000, 900, 60)));
    let list = accounts.join(",");
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--accounts",
        &list,
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: AccountsOutput<ApplyOutput> = run.json();
    assert_eq!(out.failed, 0);
    for outcome in &out.accounts {
        let result = outcome.result.as_ref().expect("a result per account");
        assert!(result.verifications.iter().all(|v| v.passed));
    }
    assert!(env.propagation_counts().missing > 0);
    env.settle();
    for account in accounts {
        assert_eq!(env.role_names_in(account), ["StreamkapInstallAccess"]);
    }
}

/// The policy's versions, straight from moto.
fn versions(env: &Env, arn: &str) -> Vec<String> {
    xml_values(
        &env.iam(&[("Action", "ListPolicyVersions"), ("PolicyArn", arn)]),
        "VersionId",
    )
}

#[test]
fn drift_repair_adds_one_version_and_verifies_it_while_iam_propagates() {
    let env = Env::start();
    env.onboard(&["apply", "--vendor", "streamkap"])
        .assert_code(0);
    let arn = "arn:aws:iam::123456789012:policy/StreamkapDeprovisionAccess";
    let changed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeRegions","Resource":"*"}]}"#;
    env.iam(&[
        ("Action", "CreatePolicyVersion"),
        ("PolicyArn", arn),
        ("PolicyDocument", changed),
        ("SetAsDefault", "true"),
    ]);
    assert_eq!(versions(&env, arn).len(), 2);
    // Every read of the policy right after the repair shows the old default version.
    env.propagation(Some(mode(3000, 1000, 61)));
    env.take_calls();
    let run = env.onboard(&["apply", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert!(
        out.verifications.iter().all(|v| v.passed),
        "{:#?}",
        out.verifications
    );
    assert!(env.propagation_counts().stale > 0);
    assert!(out.waits.count > 0);
    assert_eq!(count(&env.take_calls(), "CreatePolicyVersion"), 1);
    assert_eq!(versions(&env, arn).len(), 3, "no extra version");
}

#[test]
fn a_role_trusting_a_user_made_moments_ago_is_created_once_iam_knows_the_user() {
    let env = Env::start();
    // The user is made with nothing refused; then every request naming it is, for 3 s.
    env.propagation(Some(mode(3000, 0, 62)));
    env.onboard(&["apply", "--vendor", "kubermatic", "--show-secret"])
        .assert_code(0);
    env.restart_propagation();
    env.propagation_rate(1000);
    let user = "arn:aws:iam::123456789012:user/kubermatic-kkp";
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "kubermatic",
        "--integration",
        "role",
        "--trust-principal",
        user,
        "--output",
        "json",
    ]);
    run.assert_code(0);
    assert!(env.propagation_counts().invalid_principal > 0);
    env.settle();
    assert_eq!(env.role_names(), ["KubermaticKKPRole"]);
}

#[test]
fn what_the_run_never_saw_fails_at_once_with_a_clear_message() {
    let env = Env::start();
    env.propagation(Some(mode(3000, 1000, 63)));
    let started = Instant::now();
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--permissions-boundary",
        "arn:aws:iam::123456789012:policy/NoSuchBoundary",
    ]);
    assert_ne!(run.code, 0);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(last.contains("NoSuchBoundary"), "{}", run.stderr);
    assert!(!run.stderr.contains("waiting for IAM"), "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
}

/// AWS's messages for a write refused by the caller's policy, a service control policy and an
/// identity policy that requires a permissions boundary.
#[test]
fn refusals_are_explained_never_retried_and_list_what_was_created() {
    let env = Env::start();
    let who = "User: arn:aws:iam::123456789012:user/moto is not authorized to perform";
    let role = "arn:aws:iam::123456789012:role/StreamkapInstallAccess";
    let cases = [
        (
            "CreateRole",
            format!(
                "{who}: iam:CreateRole on resource: {role} with an explicit deny in a service control policy"
            ),
            "service control policy",
        ),
        (
            "CreateRole",
            format!(
                "{who}: iam:CreateRole on resource: {role} with an explicit deny in an identity-based policy"
            ),
            "--permissions-boundary",
        ),
        (
            "CreateRole",
            format!(
                "{who}: iam:CreateRole on resource: {role} because no identity-based policy allows the iam:CreateRole action"
            ),
            "lacks the permission iam:CreateRole",
        ),
    ];
    for (action, message, cause) in cases {
        env.fail_next(action, 403, "AccessDenied", &message);
        env.take_calls();
        let run = env.onboard(&["apply", "--vendor", "streamkap"]);
        run.assert_code(1);
        let calls = env.take_calls();
        assert_eq!(count(&calls, action), 1, "never retried: {calls:?}");
        let error = run.stderr.lines().last().unwrap_or_default();
        for expected in [
            "creating role StreamkapInstallAccess",
            "AccessDenied",
            cause,
        ] {
            assert!(error.contains(expected), "{expected}: {error}");
        }
        // The policies made beside it are named, so the user knows what exists.
        let created = env.policy_names();
        for policy in &created {
            assert!(
                error.contains(&format!("created policy {policy}")),
                "{error}"
            );
        }
        env.onboard(&["teardown", "--yes"]).assert_code(0);
    }
}

#[test]
fn waits_are_reported_in_json_and_logged_once_each_off_a_terminal() {
    let env = Env::start();
    env.propagation(Some(mode(1500, 1000, 64)));
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--no-verify",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert!(
        out.waits.count > 0 && out.waits.seconds > 1.0,
        "{:?}",
        out.waits
    );
    let lines = run
        .stderr
        .lines()
        .filter(|l| l.contains("waiting for IAM to propagate"))
        .count();
    assert_eq!(lines, out.waits.count as usize, "{}", run.stderr);
    assert!(!run.stderr.contains(['\r', '\x1b']));
}

#[test]
fn a_wait_is_one_line_updated_in_place_on_a_terminal() {
    let env = Env::start();
    env.propagation(Some(mode(1500, 1000, 65)));
    // A terminal says what it is in TERM (the harness clears the environment).
    let run = env.onboard_on_terminal_with_env(
        &["apply", "--vendor", "streamkap", "--no-verify"],
        "",
        &[("TERM", "xterm-256color")],
    );
    run.assert_code(0);
    let line = "waiting for IAM to propagate role StreamkapInstallAccess: ";
    assert!(run.stdout.matches(line).count() > 1, "{}", run.stdout);
    // Each drawing of the line is taken back (a carriage return, or erasing the line) before
    // the next; indicatif pads a line to the width of the one it replaces.
    let redrawn = run.stdout.split(line).skip(1).any(|rest| {
        rest.split_once(" s")
            .is_some_and(|(_, after)| after.trim_start_matches(' ').starts_with(['\r', '\x1b']))
    });
    assert!(redrawn, "{}", run.stdout);
}

#[test]
fn the_propagation_timeout_bounds_all_waits_of_a_run() {
    let env = Env::start();
    env.propagation(Some(mode(600_000, 1000, 66)));
    let started = Instant::now();
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--propagation-timeout",
        "2",
    ]);
    run.assert_code(1);
    assert!(started.elapsed() < Duration::from_secs(30));
    let error = run.stderr.lines().last().unwrap_or_default();
    assert!(
        error.contains("IAM did not propagate role StreamkapInstallAccess within 2 s"),
        "{error}"
    );
    assert!(
        error.contains("run the same command again to finish"),
        "{error}"
    );
}

/// Many seeded cycles of apply, then teardown at once, over random vendors, windows and rates,
/// with throttling, 500s, dropped connections and lost answers at 5% of requests besides.
#[test]
fn propagation_soak() {
    let cycles: u64 = std::env::var("PROPAGATION_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let base: u64 = std::env::var("PROPAGATION_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7000);
    let cases = catalog_cases();
    let env = Env::start();
    let fast_retry = ["--retry-initial-backoff-ms", "2"];
    for seed in base..base + cycles {
        let case = &cases[usize::try_from(seed * 7).expect("a small seed") % cases.len()];
        let window = 200 + (seed * 37) % 1300;
        let rate = 300 + (seed * 53) % 600;
        env.propagation(Some(mode(window, rate, seed)));
        env.chaos(Some((seed, 50)));
        let replay = format!(
            "seed {seed} ({}, window {window} ms, rate {rate}/1000): PROPAGATION_SEED={seed} \
             PROPAGATION_CYCLES=1 replays it",
            case.name()
        );
        let run = env.onboard(&case.apply(&fast_retry));
        assert_eq!(run.code, 0, "{replay}: apply\n{}", run.stderr);
        at_most_one_key_each(&env, case);
        let run = env.onboard(&["teardown", "--yes", fast_retry[0], fast_retry[1]]);
        assert_eq!(run.code, 0, "{replay}: teardown\n{}", run.stderr);
        env.chaos(None);
        env.settle();
        env.assert_empty();
    }
}
