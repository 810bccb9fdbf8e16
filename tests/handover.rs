//! A key is either handed over (and recorded as such on the user) or gone: after a kill while
//! `CreateAccessKey` is in flight, a stdout that cannot take the secret, a key file that cannot
//! be written, a rotation stopped half-way, a late failure, or two runs at once.

use std::time::Duration;

use crate::harness::{Env, closed_pipe, full_disk, signal};

const USER: &str = "production-streammanager";
const USER_ARN: &str = "arn:aws:iam::123456789012:user/production-streammanager";

fn key_id_in(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let key: serde_json::Value = serde_json::from_str(&text).unwrap();
    key["AccessKeyId"].as_str().unwrap().to_owned()
}

/// The ids recorded as handed over, and whether a run's pending tag is left.
fn record(env: &Env) -> (Vec<String>, bool) {
    let tags = env.user_tags(USER);
    let handed = tags
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("onboard:key:").map(str::to_owned))
        .collect();
    let pending = tags
        .iter()
        .any(|(k, _)| k.starts_with("onboard:key-pending:"));
    (handed, pending)
}

fn apply(key_file: &std::path::Path) -> Vec<String> {
    [
        "apply",
        "--vendor",
        "stream-manager",
        "--no-verify",
        "--key-grace-seconds",
        "0",
        "--key-file",
        key_file.to_str().unwrap(),
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect()
}

fn args(line: &[String]) -> Vec<&str> {
    line.iter().map(String::as_str).collect()
}

#[test]
fn a_kill_while_create_access_key_is_in_flight_leaves_no_key_nobody_holds() {
    let env = Env::start();
    let key_file = env.temp_path("key.json");
    let line = apply(&key_file);
    // moto creates the key; its answer never reaches onboard, which is killed.
    env.hold_answer_of("CreateAccessKey", 0);
    let child = env.spawn_onboard(&args(&line));
    env.wait_for_hold();
    signal(&child, "KILL");
    Env::finish(child);
    env.release();
    let lost = env.access_key_ids(USER);
    assert_eq!(lost.len(), 1);
    assert_eq!(record(&env), (vec![], true));
    assert!(!key_file.exists());

    // verify fails on the key nobody received.
    let run = env.onboard(&["verify", "--user-arn", USER_ARN, "--key-grace-seconds", "0"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains(&format!(
            "FAIL     access key handed over: access key {} was created by onboard and is never handed over",
            lost[0]
        )),
        "{}",
        run.stdout
    );

    // The same command again deletes it and hands a new one over.
    let run = env.onboard(&args(&line));
    run.assert_code(0);
    assert!(
        run.stdout
            .contains(&format!("deleted access key {} of user {USER}", lost[0])),
        "{}",
        run.stdout
    );
    let new = key_id_in(&key_file);
    assert_eq!(env.access_key_ids(USER), [new.as_str()]);
    assert_eq!(record(&env), (vec![new], false));
    env.onboard(&["verify", "--user-arn", USER_ARN])
        .assert_code(0);
    let again = env.onboard(&args(&line[..line.len() - 2]));
    again.assert_code(0);
    assert!(again.stdout.contains("no changes"), "{}", again.stdout);
}

#[test]
fn a_secret_stdout_cannot_take_is_deleted_and_the_next_run_converges() {
    let env = Env::start();
    let line = [
        "apply",
        "--vendor",
        "stream-manager",
        "--no-verify",
        "--show-secret",
    ];
    for (stdout, why) in [
        (full_disk(), "No space left on device"),
        (closed_pipe(), "Broken pipe"),
    ] {
        let run = env.onboard_to(&line, stdout);
        run.assert_code(1);
        let last = run.stderr.lines().last().unwrap_or_default();
        assert!(
            last.contains(
                "was not handed over, so it was deleted: writing the results to stdout: "
            ) && last.contains(why),
            "{last}"
        );
        assert_eq!(env.access_key_ids(USER), Vec::<String>::new());
        assert_eq!(record(&env), (vec![], false));
    }
    let run = env.onboard(&line);
    run.assert_code(0);
    let ids = env.access_key_ids(USER);
    assert_eq!(ids.len(), 1);
    assert!(run.stdout.contains(&format!(
        "access key {} of user {USER}: secret access key ",
        ids[0]
    )));
    assert_eq!(record(&env), (ids, false));
    let again = env.onboard(&line);
    again.assert_code(0);
    assert!(again.stdout.contains("no changes"), "{}", again.stdout);
}

#[test]
fn rotate_key_never_deletes_the_old_key_before_the_new_one_is_handed_over() {
    let env = Env::start();
    let first = env.temp_path("key-1.json");
    env.onboard(&args(&apply(&first))).assert_code(0);
    let old = key_id_in(&first);

    let rotate = ["rotate-key", "--vendor", "stream-manager", "--show-secret"];
    for (stdout, format) in [(full_disk(), "text"), (closed_pipe(), "json")] {
        let mut line = rotate.to_vec();
        line.extend(["--output", format]);
        let run = env.onboard_to(&line, stdout);
        run.assert_code(1);
        assert!(
            run.stderr
                .contains("was not handed over, so it was deleted"),
            "{}",
            run.stderr
        );
        assert_eq!(env.access_key_ids(USER), [old.as_str()], "{format}");
        assert_eq!(record(&env), (vec![old.clone()], false));
    }

    // Stopped after the new key was handed over, while the old one was being deactivated: the
    // same command finishes the rotation, keeping the new key.
    let second = env.temp_path("key-2.json");
    let line = [
        "rotate-key",
        "--vendor",
        "stream-manager",
        "--key-file",
        second.to_str().unwrap(),
    ];
    env.hold_answer_of("UpdateAccessKey", 0);
    let child = env.spawn_onboard(&line);
    env.wait_for_hold();
    signal(&child, "KILL");
    Env::finish(child);
    env.release();
    let new = key_id_in(&second);
    assert_eq!(
        crate::harness::sorted(env.access_key_ids(USER)),
        crate::harness::sorted(vec![old.clone(), new.clone()])
    );
    let run = env.onboard(&line);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains(&format!("deleted access key {old} of user {USER}")),
        "{}",
        run.stdout
    );
    assert_eq!(env.access_key_ids(USER), [new.as_str()]);
    assert_eq!(record(&env), (vec![new.clone()], false));
    assert_eq!(key_id_in(&second), new);

    // With --show-secret the new key is on stdout, in one JSON object, before the old one goes.
    let run = env.onboard(&[
        "rotate-key",
        "--vendor",
        "stream-manager",
        "--show-secret",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: serde_json::Value = run.json();
    let newest = out["access_keys"][0]["access_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(out["access_keys"][0]["secret_access_key"].is_string());
    assert_eq!(
        out["changes"][1],
        format!("deactivated access key {new} of user {USER}")
    );
    assert_eq!(env.access_key_ids(USER), [newest.as_str()]);
    assert_eq!(record(&env), (vec![newest], false));
}

#[test]
fn a_key_file_that_cannot_be_written_leaves_no_key() {
    let env = Env::start();
    // A dangling symbolic link where the key file would go: refused before any AWS call.
    let link = env.temp_path("link.json");
    std::os::unix::fs::symlink(env.temp_path("nowhere.json"), &link).unwrap();
    let run = env.onboard(&args(&apply(&link)));
    run.assert_code(2);
    assert_eq!(
        run.stderr.lines().last().unwrap_or_default(),
        format!(
            "error: --key-file {}: a symbolic link to {} is there; onboard never overwrites a key file: \
             name a new file",
            link.display(),
            env.temp_path("nowhere.json").display()
        )
    );
    assert_eq!(env.take_calls(), Vec::<String>::new());

    // A file created between the check and the write: the key is deleted, the error said once.
    let key_file = env.temp_path("key.json");
    env.hold_answer_of("CreateAccessKey", 0);
    let child = env.spawn_onboard(&args(&apply(&key_file)));
    env.wait_for_hold();
    std::fs::write(&key_file, "someone else's").unwrap();
    env.release();
    let run = Env::finish(child);
    run.assert_code(1);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(&format!(
            "was not handed over, so it was deleted: writing key file {}: File exists (os error 17)",
            key_file.display()
        )),
        "{last}"
    );
    assert_eq!(last.matches("File exists").count(), 1, "{last}");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        "someone else's"
    );
    assert_eq!(env.access_key_ids(USER), Vec::<String>::new());
    assert_eq!(record(&env), (vec![], false));

    let other = env.temp_path("other.json");
    env.onboard(&args(&apply(&other))).assert_code(0);
    assert_eq!(env.access_key_ids(USER), [key_id_in(&other)]);
}

#[test]
fn a_late_failure_in_apply_still_reports_the_key_it_handed_over() {
    for format in ["text", "json"] {
        let env = Env::start();
        let key_file = env.temp_path("key.json");
        let mut line = apply(&key_file);
        line.retain(|a| a != "--no-verify");
        line.extend(["--output".to_owned(), format.to_owned()]);
        env.delay(Duration::from_millis(100));
        let child = env.spawn_onboard(&args(&line));
        // Once the key is there, the verification's read of the user is refused.
        env.wait_for_calls(|calls| calls.iter().any(|c| c == "CreateAccessKey"));
        env.fail_next("GetUser", 403, "AccessDenied", "not allowed");
        let run = Env::finish(child);
        env.delay(Duration::ZERO);
        run.assert_code(1);
        assert!(run.stderr.contains("AccessDenied"), "{}", run.stderr);
        let id = key_id_in(&key_file);
        match format {
            "json" => {
                let out: serde_json::Value = run.json();
                assert_eq!(out["access_keys"][0]["access_key_id"], id.as_str());
            }
            _ => assert!(
                run.stdout.contains(&format!(
                    "access key {id} of user {USER}: secret written to {}",
                    key_file.display()
                )),
                "{}",
                run.stdout
            ),
        }
        assert_eq!(record(&env), (vec![id], false));
    }
}

#[test]
fn a_second_apply_while_the_first_hands_its_key_over_waits_and_leaves_one_key() {
    let env = Env::start();
    let first = env.temp_path("first.json");
    let second = env.temp_path("second.json");
    env.hold_answer_of("CreateAccessKey", 0);
    let mut line = apply(&first);
    line.retain(|a| a != "--key-grace-seconds" && a != "0");
    let a = env.spawn_onboard(&args(&line));
    env.wait_for_hold();
    let mut line = apply(&second);
    line.retain(|a| a != "--key-grace-seconds" && a != "0");
    let b = env.spawn_onboard(&args(&line));
    // The second run reads the user (the first run read its keys three times: its plan, and
    // before creating), sees the first one's pending tag, and waits for it.
    env.wait_for_calls(|calls| calls.iter().filter(|c| *c == "ListAccessKeys").count() >= 4);
    env.release();
    let (a, b) = (Env::finish(a), Env::finish(b));
    a.assert_code(0);
    b.assert_code(0);
    assert!(
        b.stderr
            .contains("another onboard run is creating an access key"),
        "{}",
        b.stderr
    );
    assert!(b.stdout.contains("no changes"), "{}", b.stdout);
    assert!(!second.exists());
    let id = key_id_in(&first);
    assert_eq!(env.access_key_ids(USER), [id.as_str()]);
    assert_eq!(record(&env), (vec![id], false));
}

#[test]
fn a_kill_after_the_key_file_was_written_converges_with_the_same_command() {
    let env = Env::start();
    let key_file = env.temp_path("key.json");
    let line = apply(&key_file);
    // The pending tag is TagUser 0, the record TagUser 1: hold the record before IAM sees it,
    // once the file is written and synced, and kill.
    env.hold_request_of("TagUser", 1);
    let child = env.spawn_onboard(&args(&line));
    env.wait_for_hold();
    signal(&child, "KILL");
    Env::finish(child);
    env.release();
    let id = key_id_in(&key_file);
    assert_eq!(env.access_key_ids(USER), [id.as_str()]);
    assert_eq!(record(&env), (vec![], true));

    // The same command again: the file holds the key, so it was handed over; it is recorded.
    let run = env.onboard(&args(&line));
    run.assert_code(0);
    assert!(
        run.stdout.contains(&format!(
            "access key {id} of user {USER}: secret written to {}",
            key_file.display()
        )),
        "{}",
        run.stdout
    );
    assert_eq!(env.access_key_ids(USER), [id.as_str()]);
    assert_eq!(record(&env), (vec![id.clone()], false));
    env.onboard(&["verify", "--user-arn", USER_ARN])
        .assert_code(0);
    // Once recorded, the file is an existing file like any other.
    let again = env.onboard(&args(&line));
    again.assert_code(2);
    assert!(again.stderr.contains("the file exists"), "{}", again.stderr);
}

#[test]
fn apply_and_rotate_key_at_once_leave_one_key() {
    let env = Env::start();
    let first = env.temp_path("first.json");
    let rotated = env.temp_path("rotated.json");
    env.hold_answer_of("CreateAccessKey", 0);
    let mut line = apply(&first);
    line.retain(|a| a != "--key-grace-seconds" && a != "0");
    let a = env.spawn_onboard(&args(&line));
    env.wait_for_hold();
    let b = env.spawn_onboard(&[
        "rotate-key",
        "--vendor",
        "stream-manager",
        "--key-file",
        rotated.to_str().unwrap(),
    ]);
    // rotate-key reads the user, sees apply's pending tag, and waits for it.
    env.wait_for_calls(|calls| calls.iter().filter(|c| *c == "ListAccessKeys").count() >= 4);
    env.release();
    let (a, b) = (Env::finish(a), Env::finish(b));
    a.assert_code(0);
    b.assert_code(0);
    let (old, new) = (key_id_in(&first), key_id_in(&rotated));
    assert!(
        b.stdout
            .contains(&format!("deleted access key {old} of user {USER}")),
        "{}",
        b.stdout
    );
    assert_eq!(env.access_key_ids(USER), [new.as_str()]);
    assert_eq!(record(&env), (vec![new], false));
}

#[test]
fn a_lost_answer_on_the_last_attempt_leaves_a_key_the_next_run_deletes() {
    let env = Env::start();
    let key_file = env.temp_path("key.json");
    let mut line = apply(&key_file);
    line.extend(["--max-attempts".to_owned(), "1".to_owned()]);
    env.lose_answer_of("CreateAccessKey");
    let run = env.onboard(&args(&line));
    run.assert_code(1);
    let lost = env.access_key_ids(USER);
    assert_eq!(lost.len(), 1);
    assert_eq!(record(&env), (vec![], true));
    assert!(!key_file.exists());

    let run = env.onboard(&args(&line));
    run.assert_code(0);
    let new = key_id_in(&key_file);
    assert_ne!(new, lost[0]);
    assert_eq!(env.access_key_ids(USER), [new.as_str()]);
    assert_eq!(record(&env), (vec![new], false));
}
