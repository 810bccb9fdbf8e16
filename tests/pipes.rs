//! stdout that cannot take the results (a reader that went away, a full disk) never makes
//! onboard panic, and colours appear only on a terminal without NO_COLOR.

use crate::harness::{Env, Run, closed_pipe, full_disk, onboard_offline_to};

/// The commands that print results, each as a user would run it (every subcommand, and --help).
fn every_printing_command() -> Vec<Vec<String>> {
    let role = "arn:aws:iam::123456789012:role/StreamkapInstallAccess";
    let lines: &[&[&str]] = &[
        &["catalog", "list"],
        &["catalog", "show", "streamkap"],
        &["lint", "--vendor", "streamkap"],
        &["export", "--vendor", "streamkap", "--format", "terraform"],
        &["completions", "bash"],
        &["man"],
        &["--help"],
        &["apply", "--vendor", "streamkap", "--no-verify"],
        &["plan", "--vendor", "streamkap"],
        &["verify", "--role-arn", role, "--wait", "0"],
        &[
            "rotate-key",
            "--vendor",
            "stream-manager",
            "--key-file",
            "KEY_FILE",
        ],
        &["audit"],
        &["teardown", "--yes"],
    ];
    lines
        .iter()
        .map(|line| line.iter().map(std::string::ToString::to_string).collect())
        .collect()
}

#[track_caller]
fn assert_no_panic(run: &Run, args: &[&str]) {
    assert!(
        !run.stderr.contains("panicked"),
        "{args:?} panicked: {}",
        run.stderr
    );
}

#[test]
fn a_closed_stdout_exits_quietly_and_a_full_one_is_an_error_in_every_command() {
    let env = Env::start();
    let commands = every_printing_command();
    for subcommand in crate::terminal::SUBCOMMANDS {
        assert!(commands.iter().any(|c| c[0] == subcommand), "{subcommand}");
    }
    // rotate-key needs the user and its key.
    let first = env.temp_path("first.json");
    let apply = ["apply", "--vendor", "stream-manager", "--no-verify"];
    let mut with_key = apply.to_vec();
    with_key.extend(["--key-file", first.to_str().unwrap()]);
    env.onboard(&with_key).assert_code(0);
    let mut key_files = 0;
    for line in commands {
        key_files += 1;
        let key_file = env.temp_path(&format!("key-{key_files}.json"));
        let key_file = key_file.to_str().unwrap().to_owned();
        let args: Vec<&str> = line
            .iter()
            .map(|a| {
                if a == "KEY_FILE" {
                    &key_file
                } else {
                    a.as_str()
                }
            })
            .collect();
        let offline = matches!(
            args[0],
            "catalog" | "lint" | "export" | "completions" | "man"
        );
        let to = |stdout| {
            if args[0] == "rotate-key" {
                // A new key file for each run.
                let _ = std::fs::remove_file(&key_file);
            }
            if offline {
                onboard_offline_to(&args, stdout)
            } else {
                env.onboard_to(&args, stdout)
            }
        };
        // A reader that went away (`| head -1`): no message, 141 as a shell reports a program
        // stopped by SIGPIPE (clap's own --help exits 0, as clap does).
        let closed = to(closed_pipe());
        assert_no_panic(&closed, &args);
        let expected = if args[0] == "--help" { 0 } else { 141 };
        assert_eq!(closed.code, expected, "{args:?}: {}", closed.stderr);
        assert!(
            !closed.stderr.contains("error"),
            "{args:?}: {}",
            closed.stderr
        );
        if args[0] == "teardown" || args[0] == "--help" {
            continue;
        }
        // A full disk: one line naming it, exit 1.
        let full = to(full_disk());
        assert_no_panic(&full, &args);
        full.assert_code(1);
        assert_eq!(
            full.stderr.lines().last().unwrap_or_default(),
            "error: writing the results to stdout: No space left on device (os error 28)",
            "{args:?}"
        );
    }
}

#[test]
fn warnings_are_coloured_only_on_a_terminal_and_never_with_no_color() {
    let env = Env::start();
    let args = ["apply", "--vendor", "streamkap", "--no-verify"];
    // BYOC's page trusts another account without an external ID: lint warns on stderr.
    let coloured = env.onboard_on_terminal(&args, "");
    coloured.assert_code(0);
    assert!(
        coloured.stdout.contains("\x1b[33m WARN"),
        "{:?}",
        coloured.stdout
    );
    env.onboard(&["teardown", "--yes"]).assert_code(0);
    let plain = env.onboard_on_terminal_with_env(&args, "", &[("NO_COLOR", "1")]);
    plain.assert_code(0);
    assert!(plain.stdout.contains(" WARN lint: "), "{:?}", plain.stdout);
    assert!(!plain.stdout.contains("\x1b[33m"), "{:?}", plain.stdout);
    assert!(!plain.stdout.contains("\x1b[0m"), "{:?}", plain.stdout);
    // Not a terminal: no escapes at all.
    env.onboard(&["teardown", "--yes"]).assert_code(0);
    let piped = env.onboard(&args);
    assert!(!piped.stderr.contains('\x1b'), "{:?}", piped.stderr);
}
