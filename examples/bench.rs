//! Benchmark: onboard against moto behind a latency layer that adds a fixed delay to every request
//! (standing for a real AWS round trip), the median of several runs of each phase, with
//! `--concurrency 1` for comparison, the requests each phase makes, and the aws CLI baseline
//! where the aws CLI is installed. Run it with `examples/bench.sh`; nothing leaves loopback.

#[allow(dead_code)]
#[path = "../tests/harness/moto.rs"]
mod moto;
#[allow(dead_code)]
#[path = "../tests/harness/propagation.rs"]
mod propagation;
#[allow(dead_code)]
#[path = "../tests/harness/proxy.rs"]
mod proxy;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use moto::Moto;
use proxy::Proxy;

/// The vendor shapes measured: Streamkap BYOC, and the largest entry (Upsolver: two roles, two
/// policies, an instance profile and AWS managed attachments).
const VENDORS: &[(&str, &[&str])] = &[
    ("streamkap byoc", &["--vendor", "streamkap"]),
    (
        "upsolver my-vpc",
        &[
            "--vendor",
            "upsolver",
            "--param",
            "org-id=bench",
            "--external-id",
            "bench-external-id",
        ],
    ),
];

/// The parts of the benchmark, in the order they run.
const PARTS: [&str; 4] = ["proxy", "audit", "accounts", "apply"];

struct Settings {
    runs: usize,
    delay: Duration,
    bin: PathBuf,
    /// `--only proxy|audit|accounts|apply`: one part of the benchmark (the proxy's own latency
    /// is measured in every part).
    only: Option<String>,
}

fn settings() -> Settings {
    let mut settings = Settings {
        runs: 10,
        delay: Duration::from_millis(50),
        bin: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/onboard"),
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--runs", Some(n)) => settings.runs = n.parse().expect("--runs N"),
            ("--delay-ms", Some(ms)) => {
                settings.delay = Duration::from_millis(ms.parse().expect("--delay-ms N"));
            }
            ("--bin", Some(path)) => settings.bin = path.into(),
            ("--only", Some(part)) if PARTS.contains(&part.as_str()) => {
                settings.only = Some(part.clone());
            }
            _ => {
                panic!(
                    "usage: bench [--runs N] [--delay-ms MS] [--bin PATH] [--only proxy|audit|accounts|apply]"
                )
            }
        }
    }
    assert!(
        settings.bin.exists(),
        "{} not found: cargo build --release first",
        settings.bin.display()
    );
    settings
}

/// Runs a program with only the variables a run against the emulator needs; returns the wall time.
fn timed(program: &PathBuf, args: &[&str], endpoint: &str, home: &std::path::Path) -> Duration {
    // A pyenv shim (how the aws CLI is often installed) finds its root from PYENV_ROOT.
    let pyenv_root = program
        .parent()
        .filter(|dir| dir.ends_with("shims"))
        .and_then(|dir| dir.parent())
        .map(|root| std::env::var_os("PYENV_ROOT").unwrap_or_else(|| root.as_os_str().to_owned()));
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .envs(pyenv_root.map(|root| ("PYENV_ROOT", root)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the program runs");
    let elapsed = start.elapsed();
    assert!(status.success(), "{} {args:?} failed", program.display());
    elapsed
}

/// One request: the request in one write, then its answer (headers and a Content-Length body)
/// read whole.
fn round_trip(stream: &mut TcpStream, request: &[u8]) {
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the connection closed");
        answer.extend_from_slice(&buf[..n]);
        let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        if answer.len() >= end + 4 + length {
            return;
        }
    }
}

/// The latency the proxy adds to one request (no delay set): the median of sequential
/// sts:GetCallerIdentity requests straight to moto and through the proxy. moto answers every
/// request with `Connection: close`, which the proxy passes on, so each request connects, as
/// onboard's SDK client does against the proxy.
fn proxy_overhead(moto: &Moto, proxy: &Proxy) -> (Duration, Duration) {
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let measure = |port: u16| {
        let samples: Vec<Duration> = (0..60)
            .map(|_| {
                let start = Instant::now();
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream.set_nodelay(true).unwrap();
                round_trip(&mut stream, request.as_bytes());
                start.elapsed()
            })
            .skip(10)
            .collect();
        median(samples)
    };
    (measure(moto.port()), measure(proxy.port()))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Requests by action, writes first marked with `*`.
fn by_action(calls: &[String]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for call in calls {
        *counts.entry(call.as_str()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(action, n)| format!("{action}×{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_write(action: &str) -> bool {
    !(action.starts_with("Get") || action.starts_with("List") || action == "AssumeRole")
}

/// Clears moto between runs (straight to moto, not through the latency layer), then warms its
/// IAM backend up: the first policy created after a reset makes moto load AWS's managed
/// policies, about a second of moto's own that a real AWS account never spends.
fn reset(moto: &Moto) {
    let mut stream = TcpStream::connect(("127.0.0.1", moto.port())).unwrap();
    write!(stream, "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    moto.iam(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", "BenchWarmUp"),
        ("PolicyDocument", document),
    ]);
    moto.iam(&[
        ("Action", "DeletePolicy"),
        ("PolicyArn", "arn:aws:iam::123456789012:policy/BenchWarmUp"),
    ]);
}

struct Row {
    vendor: &'static str,
    phase: &'static str,
    concurrent: Duration,
    sequential: Duration,
    requests: usize,
    writes: usize,
    detail: String,
}

fn main() {
    let settings = settings();
    let moto = Moto::start();
    let proxy = Proxy::start(moto.port());
    proxy.delay(settings.delay);
    let endpoint = format!("http://127.0.0.1:{}", proxy.port());
    let home = std::env::temp_dir().join("onboard-bench-home");
    std::fs::create_dir_all(&home).unwrap();
    let bin = &settings.bin;
    let part = |name: &str| settings.only.as_deref().is_none_or(|only| only == name);

    // The latency layer's own cost, with no delay set: one request, and a whole onboard run.
    proxy.delay(Duration::ZERO);
    let (direct, proxied) = proxy_overhead(&moto, &proxy);
    reset(&moto);
    let moto_endpoint = format!("http://127.0.0.1:{}", moto.port());
    let plan: Vec<&str> = std::iter::once("plan")
        .chain(VENDORS[1].1.iter().copied())
        .collect();
    let run_direct = median(
        (0..20)
            .map(|_| timed(bin, &plan, &moto_endpoint, &home))
            .collect(),
    );
    let run_proxied = median(
        (0..20)
            .map(|_| timed(bin, &plan, &endpoint, &home))
            .collect(),
    );
    let requests = proxy.take().len() / 20;
    proxy.delay(settings.delay);
    println!(
        "The latency layer's own cost (no delay set): one sts:GetCallerIdentity, median of 50: {:.2} ms \
         straight to moto, {:.2} ms through the proxy ({:.2} ms added); onboard plan (upsolver, {requests} \
         requests), median of 20: {:.1} ms straight to moto, {:.1} ms through the proxy ({:.1} ms added)\n",
        direct.as_secs_f64() * 1000.0,
        proxied.as_secs_f64() * 1000.0,
        (proxied.as_secs_f64() - direct.as_secs_f64()) * 1000.0,
        run_direct.as_secs_f64() * 1000.0,
        run_proxied.as_secs_f64() * 1000.0,
        (run_proxied.as_secs_f64() - run_direct.as_secs_f64()) * 1000.0
    );
    if part("audit") {
        audit_bench(&settings, &moto, &proxy, &endpoint, &home);
    }
    if part("accounts") {
        accounts_bench(&settings, &moto, &proxy, &endpoint, &home);
    }
    if !part("apply") {
        return;
    }

    let mut rows = Vec::new();
    for (vendor, flags) in VENDORS {
        let apply: Vec<&str> = std::iter::once("apply")
            .chain(flags.iter().copied())
            .collect();
        let mut samples: BTreeMap<(&str, bool), Vec<Duration>> = BTreeMap::new();
        let mut calls: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for sequential in [false, true] {
            let extra: &[&str] = if sequential {
                &["--concurrency", "1"]
            } else {
                &[]
            };
            for run in 0..settings.runs {
                reset(&moto);
                proxy.take();
                let phases: [(&str, Vec<&str>); 3] = [
                    ("apply from scratch", apply.clone()),
                    ("apply, nothing to do", apply.clone()),
                    ("teardown", vec!["teardown", "--yes"]),
                ];
                for (phase, args) in phases {
                    let args: Vec<&str> = args.iter().chain(extra).copied().collect();
                    samples
                        .entry((phase, sequential))
                        .or_default()
                        .push(timed(bin, &args, &endpoint, &home));
                    let made = proxy.take();
                    if run == 0 && !sequential {
                        calls.insert(phase, made);
                    }
                }
            }
        }
        for phase in ["apply from scratch", "apply, nothing to do", "teardown"] {
            let made = &calls[phase];
            rows.push(Row {
                vendor,
                phase,
                concurrent: median(samples[&(phase, false)].clone()),
                sequential: median(samples[&(phase, true)].clone()),
                requests: made.len(),
                writes: made.iter().filter(|a| is_write(a)).count(),
                detail: by_action(made),
            });
        }
    }

    let delay_ms = settings.delay.as_millis();
    println!(
        "onboard benchmark: median of {} runs, {delay_ms} ms added to every request (moto adds its own)\n",
        settings.runs
    );
    println!(
        "| vendor | phase | default concurrency | --concurrency 1 | ratio | requests (writes) |"
    );
    println!("|---|---|---|---|---|---|");
    for row in &rows {
        println!(
            "| {} | {} | {:.3} s | {:.3} s | {:.2}x | {} ({}) |",
            row.vendor,
            row.phase,
            row.concurrent.as_secs_f64(),
            row.sequential.as_secs_f64(),
            row.sequential.as_secs_f64() / row.concurrent.as_secs_f64(),
            row.requests,
            row.writes
        );
    }
    println!("\nRequests by action (default concurrency, first run):");
    for row in &rows {
        println!("- {} / {}: {}", row.vendor, row.phase, row.detail);
    }

    // IAM propagating for 2 s: every request that names a new entity is refused for 2 s after
    // its creation. The wait should cost about the propagation itself, not long backoff sleeps.
    let window = Duration::from_secs(2);
    let mut samples = Vec::new();
    for seed in 0..settings.runs as u64 {
        reset(&moto);
        proxy.propagation(Some(propagation::PropagationMode {
            window,
            per_thousand: 1000,
            seed,
        }));
        let args = ["apply", "--vendor", "streamkap", "--no-verify"];
        samples.push(timed(bin, &args, &endpoint, &home));
        proxy.propagation(None);
        proxy.take();
    }
    let propagating = median(samples);
    println!(
        "\nIAM propagating for {:.0} s (every request naming a new entity refused): streamkap byoc apply --no-verify \
         from scratch: {:.3} s median, {:.3} s more than the propagation",
        window.as_secs_f64(),
        propagating.as_secs_f64(),
        propagating.as_secs_f64() - window.as_secs_f64()
    );

    // The aws CLI baseline: the Streamkap BYOC page's console steps as aws CLI calls.
    let aws = which("aws");
    match aws {
        Some(aws) => {
            let mut samples = Vec::new();
            for _ in 0..settings.runs {
                reset(&moto);
                samples.push(aws_cli_steps(&aws, &endpoint, &home));
            }
            let cli = median(samples);
            let onboard = rows[0].concurrent;
            println!(
                "\naws CLI, the Streamkap BYOC page's steps (5 calls, no verification): {:.3} s median; onboard apply \
                 from scratch with verification: {:.3} s ({:.2}x faster)",
                cli.as_secs_f64(),
                onboard.as_secs_f64(),
                cli.as_secs_f64() / onboard.as_secs_f64()
            );
        }
        None => println!("\naws CLI not installed: its baseline was skipped"),
    }

    // Start-up: commands that make no AWS call.
    let mut help = Vec::new();
    let mut show = Vec::new();
    for _ in 0..20 {
        help.push(timed(bin, &["--help"], &endpoint, &home));
        show.push(timed(
            bin,
            &["catalog", "show", "streamkap"],
            &endpoint,
            &home,
        ));
    }
    let size = std::fs::metadata(bin).unwrap().len();
    println!(
        "\nonboard --help: {:.1} ms median; onboard catalog show streamkap: {:.1} ms median; release binary: {:.1} MB",
        median(help).as_secs_f64() * 1000.0,
        median(show).as_secs_f64() * 1000.0,
        size as f64 / 1_000_000.0
    );
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// The console steps of the Streamkap BYOC page, one aws CLI process per call, as a user's
/// script would run them.
fn aws_cli_steps(aws: &PathBuf, endpoint: &str, home: &std::path::Path) -> Duration {
    let catalog: serde_json::Value =
        serde_json::from_str(include_str!("../catalog/streamkap.json")).unwrap();
    let byoc = &catalog["integrations"]["byoc"];
    let provision = byoc["policies"][0]["document"].to_string();
    let deprovision = byoc["policies"][1]["document"].to_string();
    let trust = byoc["roles"][0]["trust"].to_string();
    let account = "123456789012";
    let steps: Vec<Vec<String>> = vec![
        vec![
            "iam",
            "create-policy",
            "--policy-name",
            "StreamkapProvisionAccess",
            "--policy-document",
            &provision,
        ],
        vec![
            "iam",
            "create-policy",
            "--policy-name",
            "StreamkapDeprovisionAccess",
            "--policy-document",
            &deprovision,
        ],
        vec![
            "iam",
            "create-role",
            "--role-name",
            "StreamkapInstallAccess",
            "--assume-role-policy-document",
            &trust,
        ],
        vec![
            "iam",
            "attach-role-policy",
            "--role-name",
            "StreamkapInstallAccess",
            "--policy-arn",
            &format!("arn:aws:iam::{account}:policy/StreamkapProvisionAccess"),
        ],
        vec![
            "iam",
            "attach-role-policy",
            "--role-name",
            "StreamkapInstallAccess",
            "--policy-arn",
            &format!("arn:aws:iam::{account}:policy/StreamkapDeprovisionAccess"),
        ],
    ]
    .into_iter()
    .map(|step| step.into_iter().map(str::to_owned).collect())
    .collect();
    let start = Instant::now();
    for step in &steps {
        let args: Vec<&str> = ["--endpoint-url", endpoint]
            .into_iter()
            .chain(step.iter().map(String::as_str))
            .collect();
        timed(aws, &args, endpoint, home);
    }
    start.elapsed()
}

/// A third party's account the audit's roles trust.
const VENDOR_ACCOUNT: &str = "300973880807";

/// Creates `roles` roles in the account `key` acts in (straight to moto, not timed): each trusts
/// another account, every other one with an external ID, and holds an inline policy; every
/// third also a customer managed policy.
fn audit_roles(moto: &Moto, key: &str, roles: usize) {
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::bench/*"}]}"#;
    let answer = moto.iam_with_key(
        key,
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", "BenchVendorRead"),
            ("PolicyDocument", document),
        ],
    );
    let policy_arn = answer
        .split("<Arn>")
        .nth(1)
        .and_then(|rest| rest.split("</Arn>").next())
        .expect("CreatePolicy answers the ARN")
        .to_owned();
    for i in 0..roles {
        let condition = if i % 2 == 0 {
            r#","Condition":{"StringEquals":{"sts:ExternalId":"bench-external-id"}}"#
        } else {
            ""
        };
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{VENDOR_ACCOUNT}:root"}},"Action":"sts:AssumeRole"{condition}}}]}}"#
        );
        let name = format!("BenchVendorRole{i:04}");
        moto.iam_with_key(
            key,
            &[
                ("Action", "CreateRole"),
                ("RoleName", &name),
                ("AssumeRolePolicyDocument", &trust),
            ],
        );
        moto.iam_with_key(
            key,
            &[
                ("Action", "PutRolePolicy"),
                ("RoleName", &name),
                ("PolicyName", "vendor-read"),
                ("PolicyDocument", document),
            ],
        );
        if i % 3 == 0 {
            moto.iam_with_key(
                key,
                &[
                    ("Action", "AttachRolePolicy"),
                    ("RoleName", &name),
                    ("PolicyArn", &policy_arn),
                ],
            );
        }
    }
}

/// The access key of a role assumed in `account` (moto switches to that account).
fn key_in(moto: &Moto, account: &str) -> String {
    let answer = moto.assume_role(&format!(
        "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    ));
    answer
        .split("<AccessKeyId>")
        .nth(1)
        .and_then(|rest| rest.split("</AccessKeyId>").next())
        .expect("AssumeRole answers an access key")
        .to_owned()
}

/// `onboard audit`: 300 and 1,000 roles in one account, and an organization of 20 accounts
/// against one account of the same size.
fn audit_bench(
    settings: &Settings,
    moto: &Moto,
    proxy: &Proxy,
    endpoint: &str,
    home: &std::path::Path,
) {
    let bin = &settings.bin;
    let audit = ["audit", "--output", "json"];
    let mut rows: Vec<(String, Duration, usize, String)> = Vec::new();
    let mut measure = |label: String, args: &[&str]| {
        timed(bin, args, endpoint, home);
        proxy.take();
        let samples: Vec<Duration> = (0..settings.runs)
            .map(|_| timed(bin, args, endpoint, home))
            .collect();
        let calls = proxy.take();
        let per_run = calls.len() / settings.runs;
        let detail = by_action(&calls[..per_run]);
        rows.push((label, median(samples), per_run, detail));
    };
    for roles in [300, 1000] {
        reset(moto);
        audit_roles(moto, "testing", roles);
        measure(format!("one account, {roles} roles"), &audit);
        if roles == 300 {
            let sequential = ["audit", "--output", "json", "--concurrency", "1"];
            measure(
                format!("one account, {roles} roles, --concurrency 1"),
                &sequential,
            );
        }
    }

    // An organization of 20 member accounts of 50 roles each, and its management account alike.
    let (member_count, roles_each) = (20usize, 50usize);
    reset(moto);
    moto.organizations("CreateOrganization", r#"{"FeatureSet":"ALL"}"#);
    audit_roles(moto, "testing", roles_each);
    let mut members = Vec::new();
    for i in 0..member_count {
        let account = create_account(moto, &format!("bench{i}"));
        audit_roles(moto, &key_in(moto, &account), roles_each);
        members.push(account);
    }
    measure(format!("one account, {roles_each} roles"), &audit);
    let one_member = ["audit", "--output", "json", "--accounts", &members[0]];
    measure(
        format!("--accounts with one member account, {roles_each} roles (through its role)"),
        &one_member,
    );
    let organization = ["audit", "--output", "json", "--organization"];
    measure(
        format!(
            "--organization, {member_count} accounts x {roles_each} roles (default --account-concurrency 64)"
        ),
        &organization,
    );
    let wide = [
        "audit",
        "--output",
        "json",
        "--organization",
        "--account-concurrency",
        "20",
        "--concurrency",
        "32",
    ];
    measure(
        format!(
            "--organization, {member_count} accounts x {roles_each} roles (--account-concurrency 20 --concurrency 32)"
        ),
        &wide,
    );

    println!(
        "onboard audit: median of {} runs, {} ms added to every request\n",
        settings.runs,
        settings.delay.as_millis()
    );
    println!("| audit of | median | requests |");
    println!("|---|---|---|");
    for (label, time, requests, _) in &rows {
        println!("| {label} | {:.3} s | {requests} |", time.as_secs_f64());
    }
    println!("\nRequests by action:");
    for (label, _, _, detail) in &rows {
        println!("- {label}: {detail}");
    }
    println!();
}

/// The CPU time moto's process has used so far (user and system, from /proc; Linux only).
fn moto_cpu(moto: &Moto) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", moto.pid())).unwrap_or_default();
    // The fields after the command name (in parentheses): utime and stime are the 12th and 13th.
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|t| t.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or_default();
    // Clock ticks are 1/100 s on Linux.
    Duration::from_millis(ticks * 10)
}

/// A new member account of the organization named `name`: its id.
fn create_account(moto: &Moto, name: &str) -> String {
    let answer = moto.organizations(
        "CreateAccount",
        &format!(r#"{{"AccountName":"{name}","Email":"{name}@example.com"}}"#),
    );
    let json = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let created: serde_json::Value =
        serde_json::from_str(json).expect("CreateAccount answers JSON");
    created["CreateAccountStatus"]["AccountId"]
        .as_str()
        .expect("an account id")
        .to_owned()
}

/// Creates `count` member accounts in a new organization, each warmed up like the default
/// account (its first AssumeRole and first policy make moto build the account's backends, about
/// 0.7 s a new account that no real account spends); their ids.
fn member_accounts(moto: &Moto, count: usize) -> Vec<String> {
    moto.organizations("CreateOrganization", r#"{"FeatureSet":"ALL"}"#);
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    (0..count)
        .map(|i| {
            let account = create_account(moto, &format!("member{i}"));
            let key = key_in(moto, &account);
            moto.iam_with_key(
                &key,
                &[
                    ("Action", "CreatePolicy"),
                    ("PolicyName", "BenchWarmUp"),
                    ("PolicyDocument", document),
                ],
            );
            moto.iam_with_key(
                &key,
                &[
                    ("Action", "DeletePolicy"),
                    (
                        "PolicyArn",
                        &format!("arn:aws:iam::{account}:policy/BenchWarmUp"),
                    ),
                ],
            );
            account
        })
        .collect()
}

/// `apply` (from scratch, with verification) and `teardown` of Streamkap BYOC in one, 50 and
/// 200 member accounts at once (`--accounts`, through each account's role, default
/// `--concurrency` and `--account-concurrency`), with moto's own CPU time in each run: moto
/// serves every account in one Python process, so its CPU time is a floor under the wall time
/// that a real IAM, which serves accounts in parallel, does not have.
fn accounts_bench(
    settings: &Settings,
    moto: &Moto,
    proxy: &Proxy,
    endpoint: &str,
    home: &std::path::Path,
) {
    reset(moto);
    let members = member_accounts(moto, 200);
    proxy.take();
    let bin = &settings.bin;
    let mut rows = Vec::new();
    for count in [1, 50, 200] {
        // The 200-account rows take about 20 s a run on moto: fewer runs.
        let runs = if count > 50 {
            settings.runs.min(3)
        } else {
            settings.runs
        };
        let ids = members[..count].join(",");
        let apply = ["apply", "--vendor", "streamkap", "--accounts", &ids];
        let teardown = ["teardown", "--yes", "--accounts", &ids];
        let mut samples: BTreeMap<&str, (Vec<Duration>, Vec<Duration>)> = BTreeMap::new();
        let mut requests: BTreeMap<&str, usize> = BTreeMap::new();
        for _ in 0..runs {
            for (phase, args) in [
                ("apply from scratch", &apply[..]),
                ("teardown", &teardown[..]),
            ] {
                let cpu = moto_cpu(moto);
                let wall = timed(bin, args, endpoint, home);
                let (walls, cpus) = samples.entry(phase).or_default();
                walls.push(wall);
                cpus.push(moto_cpu(moto).saturating_sub(cpu));
                requests.insert(phase, proxy.take().len());
            }
        }
        for (phase, (walls, cpus)) in samples {
            rows.push((
                count,
                phase,
                median(walls),
                median(cpus),
                requests[phase],
                runs,
            ));
        }
    }
    println!(
        "onboard in many accounts (streamkap byoc, --accounts, each through its role): median at {} ms a request\n",
        settings.delay.as_millis()
    );
    println!("| accounts | phase | median | vs one account | moto CPU | requests | runs |");
    println!("|---|---|---|---|---|---|---|");
    for (count, phase, wall, cpu, requests, runs) in &rows {
        let one = rows
            .iter()
            .find(|(c, p, ..)| *c == 1 && p == phase)
            .map_or(*wall, |row| row.2);
        println!(
            "| {count} | {phase} | {:.3} s | {:.1}x | {:.2} s | {requests} | {runs} |",
            wall.as_secs_f64(),
            wall.as_secs_f64() / one.as_secs_f64(),
            cpu.as_secs_f64()
        );
    }
    println!();
}
