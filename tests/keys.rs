//! Access keys: handed over once (a 0600 file or stdout on request), never in logs, rotated
//! within IAM's two-key limit, deleted on teardown.

use crate::harness::Env;
use crate::harness::output::{ApplyOutput, RotateOutput};

const USER: &str = "production-streammanager";

fn secret_in(path: &std::path::Path) -> (String, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let key: serde_json::Value = serde_json::from_str(&text).unwrap();
    (
        key["AccessKeyId"].as_str().unwrap().to_owned(),
        key["SecretAccessKey"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn a_user_vendor_needs_a_key_destination_before_anything_is_written() {
    let env = Env::start();
    let run = env.onboard(&["apply", "--vendor", "stream-manager"]);
    run.assert_code(2);
    // The error is the last line, after lint's warnings.
    assert_eq!(
        run.stderr.lines().last().unwrap_or_default(),
        "error: user production-streammanager gets an access key, shown only once: \
         pass --key-file PATH (written with mode 0600) or --show-secret"
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
    env.assert_empty();
}

#[test]
fn the_key_goes_to_a_0600_file_and_never_into_output_or_logs() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::start();
    let path = env.temp_path("stream-manager-key.json");
    let file = path.to_str().unwrap();
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "stream-manager",
        "--key-file",
        file,
        "-vvv",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    let (key_id, secret) = secret_in(&path);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(out.access_keys.len(), 1);
    assert_eq!(out.access_keys[0].user, USER);
    assert_eq!(out.access_keys[0].access_key_id, key_id);
    assert_eq!(out.access_keys[0].key_file.as_deref(), Some(file));
    assert_eq!(out.access_keys[0].secret_access_key, None);
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
    assert!(
        run.stderr.contains("CreateAccessKey"),
        "-vvv logs the SDK's requests"
    );
    assert_eq!(
        out.user_arns,
        [format!("arn:aws:iam::123456789012:user/{USER}")]
    );
    // No console login: the user has no login profile.
    assert!(
        !env.iam(&[("Action", "ListUsers")])
            .contains("PasswordLastUsed")
    );

    // The file is never overwritten.
    let run = env.onboard(&[
        "rotate-key",
        "--vendor",
        "stream-manager",
        "--key-file",
        file,
    ]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("the file exists; onboard never overwrites a key file"),
        "{}",
        run.stderr
    );
    assert_eq!(secret_in(&path).1, secret);
}

#[test]
fn show_secret_prints_the_key_once() {
    let env = Env::start();
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "stream-manager",
        "--show-secret",
        "--no-verify",
    ]);
    run.assert_code(0);
    let ids = env.access_key_ids(USER);
    assert_eq!(ids.len(), 1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("access key "))
        .unwrap();
    assert!(
        line.starts_with(&format!(
            "access key {} of user {USER}: secret access key ",
            ids[0]
        )),
        "{line}"
    );
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "stream-manager",
        "--show-secret",
        "--no-verify",
    ]);
    run.assert_code(0);
    assert!(!run.stdout.contains("secret access key"), "{}", run.stdout);
}

#[test]
fn rotate_key_creates_the_new_key_first_then_removes_the_old_and_teardown_deletes_keys() {
    let env = Env::start();
    let first = env.temp_path("key-1.json");
    env.onboard(&[
        "apply",
        "--vendor",
        "stream-manager",
        "--key-file",
        first.to_str().unwrap(),
    ])
    .assert_code(0);
    let (old_id, _) = secret_in(&first);
    env.take_calls();

    let second = env.temp_path("key-2.json");
    let run = env.onboard(&[
        "rotate-key",
        "--vendor",
        "stream-manager",
        "--key-file",
        second.to_str().unwrap(),
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: RotateOutput = run.json();
    let (new_id, secret) = secret_in(&second);
    assert_ne!(new_id, old_id);
    assert_eq!(out.user, USER);
    assert_eq!(out.access_keys[0].access_key_id, new_id);
    assert_eq!(
        out.changes,
        [
            format!("created access key for user {USER}"),
            format!("deactivated access key {old_id} of user {USER}"),
            format!("deleted access key {old_id} of user {USER}"),
            format!("untagged user {USER}: onboard:key:{old_id}"),
        ]
    );
    // The pending tag, the key, its record (and the pending tag removed), then the old key and
    // its record go.
    assert_eq!(
        Env::writes(&env.take_calls()),
        [
            "TagUser",
            "CreateAccessKey",
            "TagUser",
            "UntagUser",
            "UpdateAccessKey",
            "DeleteAccessKey",
            "UntagUser"
        ]
    );
    assert_eq!(env.access_key_ids(USER), [new_id.as_str()]);
    assert!(!run.stdout.contains(&secret));

    // Two active keys (one made by hand): rotate-key refuses, changing nothing.
    env.iam(&[("Action", "CreateAccessKey"), ("UserName", USER)]);
    let third = env.temp_path("key-3.json");
    let run = env.onboard(&[
        "rotate-key",
        "--vendor",
        "stream-manager",
        "--key-file",
        third.to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("already has two active access keys"),
        "{}",
        run.stderr
    );
    assert!(!third.exists());
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());

    let run = env.onboard(&["teardown", "--yes"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains(&format!("deleted access key {new_id} of user {USER}")),
        "{}",
        run.stdout
    );
    env.assert_empty();
}

/// The user a stack from `onboard export` creates (tagged as the template tags it; moto's
/// CloudFormation drops user tags, so it is made here): rotate-key gives it its key, as the
/// README's export section says, and teardown leaves the stack's user alone.
#[test]
fn rotate_key_serves_the_user_of_a_deployed_export_and_teardown_leaves_it() {
    let env = Env::start();
    env.iam(&[
        ("Action", "CreateUser"),
        ("UserName", USER),
        ("Tags.member.1.Key", "managed-by"),
        ("Tags.member.1.Value", "cloudformation"),
        ("Tags.member.2.Key", "onboard:vendor"),
        ("Tags.member.2.Value", "stream-manager"),
    ]);
    let key = env.temp_path("key.json");
    let run = env.onboard(&[
        "rotate-key",
        "--vendor",
        "stream-manager",
        "--key-file",
        key.to_str().unwrap(),
    ]);
    run.assert_code(0);
    let (id, _) = secret_in(&key);
    assert_eq!(env.access_key_ids(USER), [id.as_str()]);

    // Another vendor's tag, or none: not a user rotate-key may touch.
    env.iam(&[
        ("Action", "TagUser"),
        ("UserName", USER),
        ("Tags.member.1.Key", "onboard:vendor"),
        ("Tags.member.1.Value", "someone-else"),
    ]);
    let other = env.temp_path("other.json");
    let run = env.onboard(&[
        "rotate-key",
        "--vendor",
        "stream-manager",
        "--key-file",
        other.to_str().unwrap(),
    ]);
    run.assert_code(1);
    assert!(!other.exists());

    env.onboard(&["teardown", "--yes"]).assert_code(0);
    assert_eq!(env.access_key_ids(USER), [id.as_str()]);
}
