//! What onboard offers a terminal user: shell completions, the man page, and a progress line on
//! stderr that appears only when stderr is a terminal.

use std::process::Command;

use crate::harness::{Env, onboard_offline};

pub(crate) const SUBCOMMANDS: [&str; 11] = [
    "apply",
    "plan",
    "verify",
    "teardown",
    "audit",
    "catalog",
    "rotate-key",
    "lint",
    "export",
    "completions",
    "man",
];

/// What bash's completion offers for the words typed so far, using the generated script.
fn bash_completes(words: &str) -> Vec<String> {
    let script = onboard_offline(&["completions", "bash"]);
    script.assert_code(0);
    let program = format!(
        "{}\nCOMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
         _onboard onboard \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.stdout
    );
    let output = Command::new("bash")
        .args(["--norc", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_flags() {
    assert_eq!(bash_completes("onboard ap"), ["apply"]);
    let flags = bash_completes("onboard apply --vend");
    assert_eq!(flags, ["--vendor"]);
    let all = bash_completes("onboard ''");
    for subcommand in SUBCOMMANDS {
        assert!(all.iter().any(|c| c == subcommand), "{subcommand}: {all:?}");
    }
}

#[test]
fn zsh_and_fish_scripts_name_every_subcommand() {
    let zsh = onboard_offline(&["completions", "zsh"]);
    zsh.assert_code(0);
    assert!(zsh.stdout.starts_with("#compdef onboard"), "{}", zsh.stdout);
    let fish = onboard_offline(&["completions", "fish"]);
    fish.assert_code(0);
    for subcommand in SUBCOMMANDS {
        assert!(
            zsh.stdout.contains(&format!("'{subcommand}:")),
            "{subcommand}"
        );
        assert!(
            fish.stdout.contains(&format!("-a \"{subcommand}\"")),
            "{subcommand}"
        );
    }
    let bad = onboard_offline(&["completions", "tcsh"]);
    bad.assert_code(2);
    assert!(
        bad.stderr.contains("invalid value 'tcsh'"),
        "{}",
        bad.stderr
    );
}

#[test]
fn the_man_page_renders_without_warnings_and_covers_every_subcommand() {
    let page = onboard_offline(&["man"]);
    page.assert_code(0);
    assert!(page.stdout.contains(".TH onboard 1"), "{}", page.stdout);
    let output = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(page.stdout.as_bytes())?;
            child.wait_with_output()
        })
        .expect("groff (from man-db's groff-base) runs");
    let rendered = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "groff warnings"
    );
    for subcommand in SUBCOMMANDS {
        assert!(
            rendered.contains(&format!("onboard-{subcommand}(1)")),
            "{subcommand}"
        );
    }

    let dir = std::env::temp_dir().join(format!("onboard-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    onboard_offline(&["man", "--dir", dir.to_str().unwrap()]).assert_code(0);
    let apply = std::fs::read_to_string(dir.join("onboard-apply.1")).unwrap();
    assert!(apply.contains("\\-\\-external\\-id"), "{apply}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn progress_is_drawn_on_a_terminal_and_absent_otherwise() {
    let env = Env::start();
    // A terminal says what it is in TERM (the harness clears the environment).
    let run = env.onboard_on_terminal_with_env(
        &["apply", "--vendor", "streamkap", "--no-verify"],
        "",
        &[("TERM", "xterm-256color")],
    );
    run.assert_code(0);
    // script(1) puts stdout and stderr of the terminal together. The line names the oldest step
    // in flight: which creation that is depends on timing, but the first step is a creation and
    // the last step in flight is an attachment.
    for expected in ["[0/5] creating ", "attaching policy", "[5/5]"] {
        assert!(run.stdout.contains(expected), "{expected}: {}", run.stdout);
    }
    assert!(
        run.stdout.contains("\x1b[2K"),
        "the line is cleared: {}",
        run.stdout
    );
    let arn = "arn:aws:iam::123456789012:role/StreamkapInstallAccess";
    assert!(run.stdout.trim_end().ends_with(arn), "{}", run.stdout);

    env.onboard(&["teardown", "--yes"]).assert_code(0);
    let run = env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"]);
    run.assert_code(0);
    // Nothing but log lines (lint's warnings on BYOC's page), no status line, no escapes.
    assert!(!run.stderr.is_empty());
    for line in run.stderr.lines() {
        assert!(line.starts_with(" WARN lint: "), "{line}");
    }
    assert!(!run.stderr.contains(['\x1b', '\r']), "{}", run.stderr);
    assert_eq!(run.last_line(), arn);
}
