//! Every `--output json` shape, and the text of plan, apply, verify, teardown and the accounts
//! table, snapshotted (insta) from real runs against moto: a field added, renamed, removed or
//! moved, or a line reworded, fails here. Values that differ from run to run (generated external
//! IDs, access key ids, waits, key file paths) are redacted.

use serde_json::Value;

use crate::harness::{Env, Run};

/// Keys of lists in the order steps completed, which varies from run to run.
const COMPLETION_ORDER: &[&str] = &["changes", "removed"];

/// Sorts the lists in completion order, wherever they are.
fn sort_completions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if let (true, Value::Array(items)) =
                    (COMPLETION_ORDER.contains(&key.as_str()), &mut *item)
                {
                    items.sort_by_key(ToString::to_string);
                }
                sort_completions(item);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sort_completions),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Snapshots stdout with the values that vary from run to run redacted, and what varies in
/// order sorted: lists of completed steps in JSON, the lines of a teardown's text.
fn snapshot(name: &str, run: &Run) {
    let stdout = match serde_json::from_str::<Value>(&run.stdout) {
        Ok(mut value) => {
            sort_completions(&mut value);
            serde_json::to_string_pretty(&value).unwrap() + "\n"
        }
        Err(_) if name.starts_with("teardown") => {
            let mut lines: Vec<&str> = run.stdout.lines().collect();
            lines.sort_unstable();
            lines.join("\n") + "\n"
        }
        Err(_) => run.stdout.clone(),
    };
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r#""seconds": [0-9.e-]+"#, r#""seconds": "[SECONDS]""#);
    settings.add_filter(r"\b[0-9a-f]{64}\b", "[EXTERNAL ID]");
    settings.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "[TIME]");
    settings.add_filter(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", "[KEY ID]");
    settings.add_filter(r"/[^ \n\x22]*/(sm-key[^ \n\x22]*\.json)", "[DIR]/$1");
    settings.bind(|| insta::assert_snapshot!(name, stdout));
}

/// Runs onboard, asserts the exit code, and snapshots stdout.
fn shape(env: &Env, name: &str, code: i32, args: &[&str]) -> Run {
    let run = env.onboard(args);
    run.assert_code(code);
    snapshot(name, &run);
    run
}

#[test]
fn every_json_shape_and_the_text_of_each_change_holds_its_shape() {
    let env = Env::start();
    let streamkap = ["--vendor", "streamkap", "--session-name", "snap"];
    let with = |command: &str, rest: &[&str], output: &str| -> Vec<String> {
        let mut args = vec![command.to_owned()];
        args.extend(rest.iter().map(|s| (*s).to_owned()));
        args.extend(["--output".to_owned(), output.to_owned()]);
        args
    };
    let run = |name: &str, code: i32, args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        shape(&env, name, code, &args)
    };
    let plan_args = ["--vendor", "streamkap"];

    // Offline: the catalog and lint.
    run("catalog_list_json", 0, with("catalog", &["list"], "json"));
    run(
        "catalog_show_json",
        0,
        with(
            "catalog",
            &["show", "streamkap", "--account", "123456789012"],
            "json",
        ),
    );
    run("lint_json", 0, with("lint", &plan_args, "json"));

    // From scratch: plan, then apply; again: plan and apply with nothing to do.
    run("plan_text", 0, with("plan", &plan_args, "text"));
    run("plan_json", 0, with("plan", &plan_args, "json"));
    run("apply_json", 0, with("apply", &streamkap, "json"));
    run("plan_in_sync_text", 0, with("plan", &plan_args, "text"));
    run("apply_again_text", 0, with("apply", &streamkap, "text"));
    let mut verbose = with("apply", &streamkap, "text");
    verbose.push("-v".to_owned());
    run("apply_again_verbose_text", 0, verbose);

    // verify, as text and JSON.
    let role = [
        "--role-arn",
        "arn:aws:iam::123456789012:role/StreamkapInstallAccess",
        "--session-name",
        "snap",
    ];
    run("verify_text", 0, with("verify", &role, "text"));
    run("verify_json", 0, with("verify", &role, "json"));

    // The same in the caller's own account through --accounts: the table and its JSON.
    let accounts = [
        "--vendor",
        "streamkap",
        "--accounts",
        "123456789012",
        "--session-name",
        "snap",
    ];
    run("accounts_apply_text", 0, with("apply", &accounts, "text"));
    run("accounts_apply_json", 0, with("apply", &accounts, "json"));
    let plan_accounts = ["--vendor", "streamkap", "--accounts", "123456789012"];
    run(
        "accounts_plan_text",
        0,
        with("plan", &plan_accounts, "text"),
    );
    run(
        "accounts_plan_json",
        0,
        with("plan", &plan_accounts, "json"),
    );

    // A user with an access key, and its rotation.
    let dir = std::env::temp_dir().join(format!("onboard-shapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("sm-key-1.json");
    let second = dir.join("sm-key-2.json");
    let (first, second) = (first.to_str().unwrap(), second.to_str().unwrap());
    run(
        "apply_user_json",
        0,
        with(
            "apply",
            &["--vendor", "stream-manager", "--key-file", first],
            "json",
        ),
    );
    run(
        "rotate_key_json",
        0,
        with(
            "rotate-key",
            &["--vendor", "stream-manager", "--key-file", second],
            "json",
        ),
    );

    // Teardown: the accounts table and its JSON, one vendor each; then the text and JSON of a
    // teardown in one account, each after a new apply; then nothing left to remove.
    let manager_accounts = [
        "--vendor",
        "stream-manager",
        "--accounts",
        "123456789012",
        "--yes",
    ];
    run(
        "accounts_teardown_text",
        0,
        with("teardown", &manager_accounts, "text"),
    );
    let streamkap_accounts = [
        "--vendor",
        "streamkap",
        "--accounts",
        "123456789012",
        "--yes",
    ];
    run(
        "accounts_teardown_json",
        0,
        with("teardown", &streamkap_accounts, "json"),
    );
    env.onboard(&["apply", "--vendor", "streamkap"])
        .assert_code(0);
    run("teardown_text", 0, with("teardown", &["--yes"], "text"));
    env.onboard(&["apply", "--vendor", "streamkap"])
        .assert_code(0);
    run("teardown_json", 0, with("teardown", &["--yes"], "json"));
    run(
        "teardown_nothing_text",
        0,
        with("teardown", &["--yes"], "text"),
    );
    std::fs::remove_dir_all(&dir).ok();
}
