//! Ctrl-C stops after the calls in flight; after a kill at any point, apply converges and
//! teardown leaves nothing.

use std::time::Duration;

use crate::harness::output::ApplyOutput;
use crate::harness::{Env, signal, sorted, xml_values};

fn creates(calls: &[String]) -> usize {
    calls.iter().filter(|c| c.starts_with("Create")).count()
}

#[test]
fn ctrl_c_during_apply_finishes_the_calls_in_flight_and_starts_no_other() {
    interrupt_during_apply("INT");
}

#[test]
fn sigterm_during_apply_is_handled_like_ctrl_c() {
    interrupt_during_apply("TERM");
}

fn interrupt_during_apply(signal_name: &str) {
    let env = Env::start();
    env.delay(Duration::from_millis(300));
    let child = env.spawn_onboard(&["apply", "--vendor", "streamkap", "--no-verify"]);
    // The three creates run together; interrupt while they are in flight.
    env.wait_for_calls(|calls| creates(calls) == 3);
    signal(&child, signal_name);
    let run = Env::finish(child);
    env.delay(Duration::ZERO);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("interrupted after 3 of 5 steps had completed; nothing else was started"),
        "{}",
        run.stderr
    );
    let calls = env.take_calls();
    assert!(!calls.iter().any(|c| c == "AttachRolePolicy"), "{calls:?}");
    assert_eq!(env.role_names(), ["StreamkapInstallAccess"]);
    assert_eq!(
        sorted(env.policy_names()),
        ["StreamkapDeprovisionAccess", "StreamkapProvisionAccess"]
    );

    let run = env.onboard(&["apply", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(
        sorted(out.changes),
        [
            "attached policy StreamkapDeprovisionAccess to role StreamkapInstallAccess",
            "attached policy StreamkapProvisionAccess to role StreamkapInstallAccess",
        ]
    );
}

#[test]
fn after_a_kill_at_any_point_apply_converges_and_teardown_leaves_nothing() {
    let env = Env::start();
    let flags = [
        "--vendor",
        "upsolver",
        "--param",
        "org-id=org42",
        "--external-id",
        "ext-1",
        "--no-verify",
    ];
    let apply: Vec<&str> = std::iter::once("apply").chain(flags).collect();
    // Upsolver's apply makes 11 writes; kill after each of a spread of them.
    for kill_after in [1, 3, 5, 7, 9] {
        env.delay(Duration::from_millis(150));
        let child = env.spawn_onboard(&apply);
        env.wait_for_calls(|calls| Env::writes(calls).len() >= kill_after);
        signal(&child, "KILL");
        Env::finish(child);
        env.delay(Duration::ZERO);
        env.take_calls();

        env.onboard(&apply).assert_code(0);
        assert_eq!(
            sorted(env.role_names()),
            ["UpsolverManagementRole", "UpsolverServerRole"],
            "after {kill_after}"
        );
        assert_eq!(
            sorted(env.policy_names()),
            ["UpsolverManagementPolicy", "UpsolverServerPolicy"]
        );
        assert_eq!(env.instance_profile_names(), ["UpsolverServerRole"]);
        let attached = env.iam(&[
            ("Action", "ListAttachedRolePolicies"),
            ("RoleName", "UpsolverServerRole"),
        ]);
        assert_eq!(
            xml_values(&attached, "PolicyName").len(),
            3,
            "after {kill_after}"
        );
        let again = env.onboard(&apply);
        again.assert_code(0);
        assert!(
            again.stdout.contains("no changes"),
            "after {kill_after}: {}",
            again.stdout
        );

        env.take_calls();
        env.delay(Duration::from_millis(150));
        let child = env.spawn_onboard(&["teardown", "--yes"]);
        env.wait_for_calls(|calls| Env::writes(calls).len() >= kill_after);
        signal(&child, "KILL");
        Env::finish(child);
        env.delay(Duration::ZERO);
        env.onboard(&["teardown", "--yes"]).assert_code(0);
        env.assert_empty();
        env.take_calls();
    }
}

#[test]
fn sigterm_while_only_reading_stops_at_once() {
    let env = Env::start();
    env.delay(Duration::from_millis(500));
    let child = env.spawn_onboard(&["apply", "--vendor", "streamkap", "--no-verify"]);
    env.wait_for_calls(|calls| calls.iter().any(|c| c == "GetCallerIdentity"));
    signal(&child, "TERM");
    let run = Env::finish(child);
    env.delay(Duration::ZERO);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "error: interrupted while no change was being made: nothing is left half-done"
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
}
