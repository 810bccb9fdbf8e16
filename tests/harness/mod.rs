//! The integration-test harness: a moto server on a free loopback port, a counting proxy in
//! front of it, a way to run the built `onboard` binary against them, and a raw IAM client that
//! reads and changes moto's state behind onboard's back.

mod cases;
mod moto;
pub(crate) mod output;
mod propagation;
mod proxy;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde::de::DeserializeOwned;

pub(crate) use cases::{Case, catalog_cases};
pub(crate) use moto::{Moto, cfn_lint};
pub(crate) use propagation::{PropagationCounts, PropagationMode};
pub(crate) use proxy::FaultCounts;
use proxy::{Fault, FaultKind, Proxy};

/// Actions that only read (IAM's, and Organizations' DescribeOrganization); everything else
/// onboard sends to IAM writes.
const READ_PREFIXES: &[&str] = &["Get", "List", "Describe"];
/// STS actions: none of them changes IAM.
const STS_ACTIONS: &[&str] = &["GetCallerIdentity", "AssumeRole"];

/// One test's AWS: its own moto, and a proxy that records every request onboard sends.
pub(crate) struct Env {
    moto: Moto,
    proxy: Proxy,
    home: PathBuf,
}

/// What a run of the binary did.
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Decodes stdout as the JSON object `--output json` prints.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not the expected JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The last line of stdout.
    pub(crate) fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default()
    }

    #[track_caller]
    pub(crate) fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Env {
    pub(crate) fn start() -> Env {
        let moto = Moto::start();
        let proxy = Proxy::start(moto.port());
        let home = std::env::temp_dir().join(format!("onboard-test-home-{}", proxy.port()));
        std::fs::create_dir_all(&home).unwrap();
        Env { moto, proxy, home }
    }

    /// The endpoint onboard talks to (the counting proxy).
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.proxy.port())
    }

    /// `onboard ARGS` against this environment, with stdin closed (not a terminal).
    pub(crate) fn onboard(&self, args: &[&str]) -> Run {
        self.onboard_with_env(args, &[])
    }

    pub(crate) fn onboard_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(env!("CARGO_BIN_EXE_onboard"));
        command.args(args).stdin(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        run(command)
    }

    /// `onboard ARGS` with its stdout going to `stdout` (a closed pipe, /dev/full); `Run::stdout`
    /// is empty.
    pub(crate) fn onboard_to(&self, args: &[&str], stdout: Stdio) -> Run {
        let mut command = self.command(env!("CARGO_BIN_EXE_onboard"));
        command.args(args).stdin(Stdio::null()).stdout(stdout);
        run(command)
    }

    /// `onboard ARGS` with no credentials anywhere (no variables, no profile, no IMDS).
    pub(crate) fn onboard_without_credentials(&self, args: &[&str]) -> Run {
        let mut command = self.command(env!("CARGO_BIN_EXE_onboard"));
        command
            .args(args)
            .stdin(Stdio::null())
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        run(command)
    }

    /// `onboard ARGS` started in the background (stdin closed, output captured); see
    /// [`Env::finish`].
    pub(crate) fn spawn_onboard(&self, args: &[&str]) -> std::process::Child {
        let mut command = self.command(env!("CARGO_BIN_EXE_onboard"));
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.spawn().expect("the onboard binary starts")
    }

    /// Waits for a background run to end. A run killed by a signal has code -1.
    pub(crate) fn finish(child: std::process::Child) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }

    /// Blocks until the requests onboard sent so far satisfy `ready` (synchronizes a test with a
    /// run in the background; bounded).
    pub(crate) fn wait_for_calls(&self, ready: impl Fn(&[String]) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !ready(&self.proxy.snapshot()) {
            assert!(
                std::time::Instant::now() < deadline,
                "calls never got there: {:?}",
                self.proxy.snapshot()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// `onboard ARGS` on a pseudo-terminal (through util-linux `script`), typing `input`.
    /// The terminal merges stdout and stderr into `Run::stdout`.
    pub(crate) fn onboard_on_terminal(&self, args: &[&str], input: &str) -> Run {
        self.onboard_on_terminal_with_env(args, input, &[])
    }

    /// [`Env::onboard_on_terminal`] with more environment variables.
    pub(crate) fn onboard_on_terminal_with_env(
        &self,
        args: &[&str],
        input: &str,
        env: &[(&str, &str)],
    ) -> Run {
        use std::io::Write;
        let line = std::iter::once(env!("CARGO_BIN_EXE_onboard"))
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        let mut command = self.command("script");
        for (key, value) in env {
            command.env(key, value);
        }
        command
            .args(["--quiet", "--return", "--command", &line, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("util-linux script runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        run_output(output)
    }

    /// A command with no AWS configuration from the machine (HOME is an empty directory):
    /// credentials and region come from the variables here, and IMDS is off so nothing leaves
    /// loopback.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_EC2_METADATA_DISABLED", "true");
        command
    }

    /// Every AWS action onboard sent so far, in order; clears the record.
    pub(crate) fn take_calls(&self) -> Vec<String> {
        self.proxy.take()
    }

    /// Answers the next `action` with the AWS error `code` (HTTP `status`) instead of moto.
    pub(crate) fn fail_next(&self, action: &str, status: u16, code: &str, message: &str) {
        let body = format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
        );
        self.proxy.inject(Fault {
            action: action.to_owned(),
            kind: FaultKind::Answer(status, body),
        });
    }

    /// Lets moto act on the next `action`, then drops the connection before its answer.
    pub(crate) fn lose_answer_of(&self, action: &str) {
        self.proxy.inject(Fault {
            action: action.to_owned(),
            kind: FaultKind::LoseAnswer,
        });
    }

    /// Injects faults into about `per_thousand` of every thousand requests from now on, drawn
    /// from `seed`; `None` stops.
    pub(crate) fn chaos(&self, seed_and_rate: Option<(u64, u64)>) {
        self.proxy.chaos(seed_and_rate);
    }

    /// The faults injected so far.
    pub(crate) fn fault_counts(&self) -> FaultCounts {
        self.proxy.fault_counts()
    }

    /// Holds the answer to the `skip`-th next `action` (counted from 0) after moto acted on it,
    /// until [`Env::release`]; [`Env::wait_for_hold`] waits until it is held.
    pub(crate) fn hold_answer_of(&self, action: &str, skip: usize) {
        self.proxy.hold(action, skip, false);
    }

    /// Holds the `skip`-th next `action` (counted from 0) before moto sees it, until
    /// [`Env::release`].
    pub(crate) fn hold_request_of(&self, action: &str, skip: usize) {
        self.proxy.hold(action, skip, true);
    }

    /// Blocks until a held answer is being held (bounded).
    pub(crate) fn wait_for_hold(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !self.proxy.holding() {
            assert!(
                std::time::Instant::now() < deadline,
                "nothing was held: {:?}",
                self.proxy.snapshot()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Lets a held answer go.
    pub(crate) fn release(&self) {
        self.proxy.release();
    }

    /// Delays every request by `delay` (a slow network).
    pub(crate) fn delay(&self, delay: std::time::Duration) {
        self.proxy.delay(delay);
    }

    /// Makes IAM answer as it does while changes propagate (see `harness/propagation.rs`), from
    /// now on; `None` stops.
    pub(crate) fn propagation(&self, mode: Option<PropagationMode>) {
        self.proxy.propagation(mode);
    }

    /// Changes the propagation simulation's rate from now on, keeping its windows.
    pub(crate) fn propagation_rate(&self, per_thousand: u64) {
        self.proxy.propagation_rate(per_thousand);
    }

    /// Starts every propagation window again now, as if every change so far had just been made.
    pub(crate) fn restart_propagation(&self) {
        self.proxy.restart_propagation(None);
    }

    /// As if only the entities of one `kind` (`role`, `policy`, `user`, `profile`, `key`) had
    /// just been made: their windows start again now, every other window ends.
    pub(crate) fn restart_propagation_of(&self, kind: &str) {
        self.proxy.restart_propagation(Some(kind));
    }

    /// Ends every propagation window now, as if the test had waited them out.
    pub(crate) fn settle(&self) {
        self.proxy.settle();
    }

    /// The answers the propagation simulation gave so far.
    pub(crate) fn propagation_counts(&self) -> PropagationCounts {
        self.proxy.propagation_counts()
    }

    /// The most requests onboard had in flight at once since the last call.
    pub(crate) fn take_max_in_flight(&self) -> usize {
        self.proxy.take_max_in_flight()
    }

    /// The most requests onboard had in flight at once for each account since the last call:
    /// keyed by the account an AssumeRole reaches, else by the signing access key.
    pub(crate) fn take_max_in_flight_by_account(
        &self,
    ) -> std::collections::BTreeMap<String, usize> {
        self.proxy.take_max_in_flight_by_account()
    }

    /// The write calls among `calls`.
    pub(crate) fn writes(calls: &[String]) -> Vec<String> {
        calls
            .iter()
            .filter(|a| !STS_ACTIONS.contains(&a.as_str()))
            .filter(|a| !READ_PREFIXES.iter().any(|p| a.starts_with(p)))
            .cloned()
            .collect()
    }

    /// A raw IAM query straight to moto (not through the proxy, so it is not counted).
    pub(crate) fn iam(&self, params: &[(&str, &str)]) -> String {
        self.moto.iam(params)
    }

    /// A raw CloudFormation query straight to moto.
    pub(crate) fn cloudformation(&self, params: &[(&str, &str)]) -> String {
        self.moto.cloudformation(params)
    }

    /// A raw IAM query acting in another `account` (through a key moto's sts:AssumeRole handed
    /// out for a role there), not counted.
    pub(crate) fn iam_in(&self, account: &str, params: &[(&str, &str)]) -> String {
        // moto's sts:AssumeRole answers for any role, and a role ARN in another account switches
        // to that account.
        let answer = self
            .moto
            .assume_role(&format!("arn:aws:iam::{account}:role/test-harness"));
        let key = xml_values(&answer, "AccessKeyId")
            .pop()
            .expect("AssumeRole answers an access key");
        self.moto.iam_with_key(&key, params)
    }

    /// Uses a role of the account once, as a vendor would: sts:AssumeRole, then an IAM read
    /// with the session's key, so that moto records the role's last use. Not counted.
    pub(crate) fn use_role(&self, role_arn: &str) {
        let answer = self.moto.assume_role(role_arn);
        let key = xml_values(&answer, "AccessKeyId")
            .pop()
            .expect("AssumeRole answers an access key");
        self.moto.iam_with_key(&key, &[("Action", "ListRoles")]);
    }

    /// Names of all roles in another account.
    pub(crate) fn role_names_in(&self, account: &str) -> Vec<String> {
        xml_values(
            &self.iam_in(account, &[("Action", "ListRoles")]),
            "RoleName",
        )
    }

    /// A raw Organizations call (JSON protocol, such as `CreateAccount`) as the caller's account,
    /// not counted; the JSON answer.
    pub(crate) fn organizations(&self, action: &str, body: &str) -> serde_json::Value {
        let answer = self.moto.organizations(action, body);
        let json = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{action} answered ({e}):\n{answer}"))
    }

    /// Names of all roles in the account.
    pub(crate) fn role_names(&self) -> Vec<String> {
        xml_values(&self.iam(&[("Action", "ListRoles")]), "RoleName")
    }

    /// Names of all customer managed policies in the account.
    pub(crate) fn policy_names(&self) -> Vec<String> {
        xml_values(
            &self.iam(&[("Action", "ListPolicies"), ("Scope", "Local")]),
            "PolicyName",
        )
    }
}

/// `onboard ARGS` for commands that need no AWS at all: no credentials, no endpoint, no home.
pub(crate) fn onboard_offline(args: &[&str]) -> Run {
    onboard_offline_to(args, Stdio::piped())
}

/// [`onboard_offline`] with its stdout going to `stdout` (a closed pipe, /dev/full).
pub(crate) fn onboard_offline_to(args: &[&str], stdout: Stdio) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onboard"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(stdout);
    run(command)
}

/// A stdout whose reader is gone: every write fails with a broken pipe.
pub(crate) fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

/// A stdout on which every write fails with "no space left on device".
pub(crate) fn full_disk() -> Stdio {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    Stdio::from(full)
}

fn run(mut command: Command) -> Run {
    run_output(command.output().expect("the onboard binary runs"))
}

fn run_output(output: Output) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = output;
    Run {
        code: status
            .code()
            .expect("onboard exits, not killed by a signal"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

impl Env {
    /// Names of all users in the account.
    pub(crate) fn user_names(&self) -> Vec<String> {
        xml_values(&self.iam(&[("Action", "ListUsers")]), "UserName")
    }

    /// Names of all instance profiles in the account.
    pub(crate) fn instance_profile_names(&self) -> Vec<String> {
        xml_values(
            &self.iam(&[("Action", "ListInstanceProfiles")]),
            "InstanceProfileName",
        )
    }

    /// A user's tags, as (key, value).
    pub(crate) fn user_tags(&self, user: &str) -> Vec<(String, String)> {
        let xml = self.iam(&[("Action", "ListUserTags"), ("UserName", user)]);
        xml_values(&xml, "Key")
            .into_iter()
            .zip(xml_values(&xml, "Value"))
            .collect()
    }

    /// Ids of a user's access keys.
    pub(crate) fn access_key_ids(&self, user: &str) -> Vec<String> {
        xml_values(
            &self.iam(&[("Action", "ListAccessKeys"), ("UserName", user)]),
            "AccessKeyId",
        )
    }

    /// Asserts the account holds no role, customer managed policy, user or instance profile.
    #[track_caller]
    pub(crate) fn assert_empty(&self) {
        assert_eq!(self.role_names(), Vec::<String>::new(), "roles left");
        assert_eq!(self.policy_names(), Vec::<String>::new(), "policies left");
        assert_eq!(self.user_names(), Vec::<String>::new(), "users left");
        assert_eq!(
            self.instance_profile_names(),
            Vec::<String>::new(),
            "instance profiles left"
        );
    }

    /// A fresh path in this test's private folder.
    pub(crate) fn temp_path(&self, name: &str) -> PathBuf {
        self.home.join(name)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// The text of every `<tag>...</tag>` in an XML answer, in order.
pub(crate) fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut values = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let end = after.find(&close).expect("closed tag");
        values.push(after[..end].to_owned());
        rest = &after[end + close.len()..];
    }
    values
}

/// Sends a signal (`INT`, `KILL`) to a process.
pub(crate) fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `items`, sorted: for comparing lists whose order does not matter.
pub(crate) fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

/// How many of `calls` are `action`.
pub(crate) fn count(calls: &[String], action: &str) -> usize {
    calls.iter().filter(|c| *c == action).count()
}
