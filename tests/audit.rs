//! `onboard audit`: third parties' ways into an account, made by hand, by onboard, by a deployed
//! CloudFormation export, listed with who holds them, what they grant and their findings, in
//! every format; read calls only.

use serde_json::{Value, json};

use crate::harness::{Env, count, xml_values};

const OWN: &str = "123456789012";
/// A third party nobody named.
const STRANGER: &str = "111122223333";
/// A third party the test names with --known-accounts.
const PARTNER: &str = "222233334444";
const PUBLIC_ROLE: &str = "OpenToAnyone";
const WITH_ID_ROLE: &str = "PartnerDeployer";
const WITHOUT_ID_ROLE: &str = "StrangerReadOnly";
const SERVICE_ROLE: &str = "InternalEc2";
/// Stream Manager's user.
const USER: &str = "production-streammanager";

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{OWN}:{kind}/{name}")
}

#[allow(clippy::needless_pass_by_value, reason = "called with json! literals")]
fn trust(principal: Value, condition: Option<Value>) -> String {
    let mut statement =
        json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

fn create_role(env: &Env, name: &str, trust: &str) {
    env.iam(&[
        ("Action", "CreateRole"),
        ("RoleName", name),
        ("AssumeRolePolicyDocument", trust),
    ]);
}

/// The roles made by hand: one trusting a stranger without an external ID (read-only S3,
/// inline), one trusting a named partner's role with one (administrator), one trusting
/// everyone, and one only EC2 and the account itself may assume.
fn hand_made_roles(env: &Env) {
    create_role(
        env,
        WITHOUT_ID_ROLE,
        &trust(
            json!({"AWS": format!("arn:aws:iam::{STRANGER}:root")}),
            None,
        ),
    );
    let read_bucket = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}]});
    env.iam(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", WITHOUT_ID_ROLE),
        ("PolicyName", "read-reports"),
        ("PolicyDocument", &read_bucket.to_string()),
    ]);
    create_role(
        env,
        WITH_ID_ROLE,
        &trust(
            json!({"AWS": format!("arn:aws:iam::{PARTNER}:role/deployer")}),
            Some(json!({"StringEquals": {"sts:ExternalId": "partner-external-id"}})),
        ),
    );
    env.iam(&[
        ("Action", "AttachRolePolicy"),
        ("RoleName", WITH_ID_ROLE),
        ("PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ]);
    create_role(env, PUBLIC_ROLE, &trust(json!({"AWS": "*"}), None));
    create_role(
        env,
        SERVICE_ROLE,
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{OWN}:root")}, "Action": "sts:AssumeRole"}]})
        .to_string(),
    );
}

/// Deploys `onboard export --vendor upsolver` as a CloudFormation stack.
fn deploy_upsolver_stack(env: &Env) {
    let run = env.onboard(&[
        "export",
        "--vendor",
        "upsolver",
        "--format",
        "cloudformation",
        "--external-id",
        "upsolver-external-id",
    ]);
    run.assert_code(0);
    env.cloudformation(&[
        ("Action", "CreateStack"),
        ("StackName", "upsolver-onboarding"),
        ("TemplateBody", &run.stdout),
        ("Capabilities.member.1", "CAPABILITY_NAMED_IAM"),
        ("Parameters.member.1.ParameterKey", "OrgId"),
        ("Parameters.member.1.ParameterValue", "org42"),
        ("Parameters.member.2.ParameterKey", "Region"),
        ("Parameters.member.2.ParameterValue", "us-east-1"),
    ]);
}

/// Seconds since the epoch of an ISO 8601 time as IAM's XML writes it (`2026-12-01T23:04:54Z`,
/// maybe with fractions).
fn epoch(time: &str) -> i64 {
    let digits = |range: std::ops::Range<usize>| -> i64 { time[range].parse().unwrap() };
    let (y, m, d) = (digits(0..4), digits(5..7), digits(8..10));
    let (hh, mm, ss) = (digits(11..13), digits(14..16), digits(17..19));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

/// RFC 3339 of seconds since the epoch.
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// One account with every kind of way in: hand-made roles (with and without an external ID,
/// `*`, administrator), an internal service role (not listed), a role used through assumed
/// credentials, an onboard vendor (Streamkap, drifted), a deployed CloudFormation export
/// (Upsolver), and an onboard user (Stream Manager) whose key is older than --key-max-age on an
/// injected clock. Every format is snapshotted.
#[test]
fn audit_lists_every_third_party_way_in_with_its_findings_in_every_format() {
    let env = Env::start();
    hand_made_roles(&env);
    env.use_role(&arn("role", WITH_ID_ROLE));
    env.onboard(&["apply", "--vendor", "streamkap", "--no-verify"])
        .assert_code(0);
    // Drift behind onboard's back: the trust policy now also lets the stranger in.
    env.iam(&[
        ("Action", "UpdateAssumeRolePolicy"),
        ("RoleName", "StreamkapInstallAccess"),
        (
            "PolicyDocument",
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::300973880807:role/installer-delegation",
                                      format!("arn:aws:iam::{STRANGER}:root")]},
                "Action": "sts:AssumeRole"}]})
            .to_string(),
        ),
    ]);
    deploy_upsolver_stack(&env);
    let key_file = env.temp_path("stream-manager-key.json");
    env.onboard(&[
        "apply",
        "--vendor",
        "stream-manager",
        "--no-verify",
        "--key-file",
        key_file.to_str().unwrap(),
    ])
    .assert_code(0);
    let keys = env.iam(&[("Action", "ListAccessKeys"), ("UserName", USER)]);
    let created = epoch(&xml_values(&keys, "CreateDate")[0]);
    // 100 days and an hour after the key was made: it is 100 days old, and so is everything.
    let now = rfc3339(created + 100 * 86_400 + 3600);
    let known = env.temp_path("known.yaml");
    std::fs::write(
        &known,
        format!("- name: Partner Corp\n  source: []\n  accounts:\n    - '{PARTNER}'\n"),
    )
    .unwrap();
    let known = known.to_str().unwrap();
    env.take_calls();

    let audit = |format: &str, stale_days: &str, extra: &[&str]| {
        let mut args = vec![
            "audit",
            "--known-accounts",
            known,
            "--now",
            &now,
            "--stale-days",
            stale_days,
            "--output",
            format,
        ];
        args.extend_from_slice(extra);
        env.onboard(&args)
    };
    let run = audit("json", "120", &[]);
    run.assert_code(0);
    let report: Value = run.json();

    // Read calls only, and one paged read of the whole account.
    let calls = env.take_calls();
    assert_eq!(Env::writes(&calls), Vec::<String>::new(), "{calls:?}");
    assert_eq!(
        count(&calls, "GetAccountAuthorizationDetails"),
        1,
        "{calls:?}"
    );

    let access = report["accounts"][0]["access"].as_array().unwrap();
    let names: Vec<&str> = access.iter().map(|a| a["name"].as_str().unwrap()).collect();
    // Roles, then users, by name; the EC2 roles (Upsolver's server role among them) are not
    // listed.
    assert_eq!(
        names,
        [
            PUBLIC_ROLE,
            WITH_ID_ROLE,
            WITHOUT_ID_ROLE,
            "StreamkapInstallAccess",
            "UpsolverManagementRole",
            USER,
        ]
    );
    assert!(!names.contains(&SERVICE_ROLE), "{names:?}");
    let by_name = |name: &str| access.iter().find(|a| a["name"] == name).unwrap();

    // Hand-made, without and with an external ID, named from --known-accounts.
    let stranger = by_name(WITHOUT_ID_ROLE);
    assert_eq!(stranger["external_id"], "not-required");
    assert_eq!(stranger["holders"][0]["account"], STRANGER);
    assert_eq!(stranger["holders"][0]["known_as"], Value::Null);
    assert_eq!(stranger["managed_by"]["tool"], "unknown");
    assert_eq!(stranger["last_used"], Value::Null);
    assert_eq!(
        stranger["grants"]["services"],
        json!([{"service": "s3", "levels": ["list", "read"]}])
    );
    let partner = by_name(WITH_ID_ROLE);
    assert_eq!(partner["external_id"], "required");
    assert_eq!(partner["holders"][0]["known_as"], "Partner Corp");
    assert_eq!(partner["holders"][0]["kind"], "role");
    assert_eq!(partner["grants"]["administrator"], true);
    // Used through assumed credentials: moto recorded it.
    assert!(partner["last_used"].is_string(), "{partner}");

    // onboard's own vendor, named from the catalog, with its drift.
    let streamkap = by_name("StreamkapInstallAccess");
    assert_eq!(
        streamkap["managed_by"],
        json!({"tool": "onboard", "vendor": "streamkap", "integration": "byoc"})
    );
    let holders: Vec<(&str, &str)> = streamkap["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["account"].as_str().unwrap(),
                h["known_as"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(holders, [(STRANGER, "-"), ("300973880807", "Streamkap")]);
    let drift = streamkap["drift"].as_array().unwrap();
    assert!(
        drift[0]
            .as_str()
            .unwrap()
            .starts_with("trust policy matches the catalog"),
        "{drift:?}"
    );

    // The deployed CloudFormation export: Upsolver's accounts, with the external ID. (moto's
    // CloudFormation does not attach a role's ManagedPolicyArns, so it grants nothing here.)
    let upsolver = by_name("UpsolverManagementRole");
    assert_eq!(upsolver["managed_by"]["tool"], "cloudformation");
    assert_eq!(upsolver["managed_by"]["vendor"], "upsolver");
    assert_eq!(upsolver["external_id"], "required");
    assert!(
        upsolver["holders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["known_as"] == "Upsolver"),
        "{upsolver}"
    );

    // The onboard user and its old key.
    let user = by_name(USER);
    assert_eq!(user["kind"], "user");
    assert_eq!(user["access_keys"][0]["age_days"], 100);
    assert_eq!(user["external_id"], "not-applicable");

    let findings = report["findings"].as_array().unwrap();
    let has = |code: &str, name: &str, severity: &str| {
        findings
            .iter()
            .any(|f| f["code"] == code && f["name"] == name && f["severity"] == severity)
    };
    assert!(has("no-external-id", WITHOUT_ID_ROLE, "security"));
    assert!(!has("no-external-id", WITH_ID_ROLE, "security"));
    assert!(has("public-principal", PUBLIC_ROLE, "error"));
    assert!(has("third-party-administrator", WITH_ID_ROLE, "error"));
    assert!(has("old-access-key", USER, "security"));
    assert!(has("drift", "StreamkapInstallAccess", "warning"));
    assert!(!findings.iter().any(|f| f["code"] == "unused"), "120 days");
    let suggestion = findings
        .iter()
        .find(|f| f["code"] == "old-access-key")
        .unwrap()["suggestion"]
        .clone();
    assert_eq!(
        suggestion,
        "replace it with onboard rotate-key --vendor stream-manager"
    );

    // Every format, snapshotted with times, dates and key ids redacted.
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "[TIME]");
    settings.add_filter(r"\d{4}-\d{2}-\d{2}", "[DATE]");
    settings.add_filter(r"AKIA[0-9A-Z]{16}", "[KEY ID]");
    settings.bind(|| {
        insta::assert_snapshot!("audit_json", run.stdout);
        for format in ["text", "sarif", "markdown"] {
            let run = audit(format, "120", &[]);
            run.assert_code(0);
            insta::assert_snapshot!(format!("audit_{format}"), run.stdout);
        }
    });

    // --fail-on: an error-level finding exists.
    let run = audit("text", "120", &["--fail-on", "error"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("finding(s) at --fail-on error or above"),
        "{}",
        run.stderr
    );
    // Unused for longer than --stale-days: every way in, with teardown for onboard's own.
    let run = audit("json", "30", &[]);
    let report: Value = run.json();
    let unused: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unused")
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(unused.len(), names.len(), "{unused:?}");
    let teardown = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "unused" && f["name"] == "StreamkapInstallAccess")
        .unwrap();
    assert_eq!(
        teardown["suggestion"],
        "if streamkap no longer needs it, remove it with onboard teardown --vendor streamkap"
    );
}

/// --accounts: each account's ways in, through a role assumed there.
#[test]
fn audit_in_several_accounts_lists_each_accounts_own_roles() {
    const A: &str = "111111111111";
    const B: &str = "222222222222";
    let env = Env::start();
    for (account, trusted) in [(A, "333333333333"), (B, "444444444444")] {
        env.iam_in(
            account,
            &[
                ("Action", "CreateRole"),
                ("RoleName", "VendorAccess"),
                (
                    "AssumeRolePolicyDocument",
                    &trust(
                        json!({"AWS": trusted}),
                        Some(json!({"StringEquals": {"sts:ExternalId": "x"}})),
                    ),
                ),
            ],
        );
    }
    let accounts = format!("{A},{B}");
    let run = env.onboard(&["audit", "--accounts", &accounts, "--output", "json"]);
    run.assert_code(0);
    let report: Value = run.json();
    let rows: Vec<(String, String, String)> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["access"].as_array().unwrap().iter().map(|r| {
                (
                    a["account"].as_str().unwrap().to_owned(),
                    r["arn"].as_str().unwrap().to_owned(),
                    r["holders"][0]["account"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                A.to_owned(),
                format!("arn:aws:iam::{A}:role/VendorAccess"),
                "333333333333".to_owned()
            ),
            (
                B.to_owned(),
                format!("arn:aws:iam::{B}:role/VendorAccess"),
                "444444444444".to_owned()
            ),
        ]
    );
    assert_eq!(report["summary"]["accounts"], 2);
    assert_eq!(report["findings"], json!([]));
    let calls = env.take_calls();
    assert_eq!(Env::writes(&calls), Vec::<String>::new(), "{calls:?}");
    assert_eq!(count(&calls, "GetAccountAuthorizationDetails"), 2);
    // Each account's id is known from the role assumed there: only the caller is asked who it is.
    assert_eq!(count(&calls, "GetCallerIdentity"), 1, "{calls:?}");

    // The text table names both accounts, and --fail-on warning passes: nothing was found.
    let run = env.onboard(&["audit", "--accounts", &accounts, "--fail-on", "warning"]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[1].starts_with(&format!("{A}  role  VendorAccess  333333333333")));
    assert!(lines[2].starts_with(&format!("{B}  role  VendorAccess  444444444444")));
    assert_eq!(
        lines.last().unwrap(),
        &"2 way(s) in across 2 account(s): 0 error(s), 0 security finding(s), 0 warning(s)"
    );

    // An account that cannot be reached is a row of its own; the other is still audited.
    env.fail_next(
        "AssumeRole",
        403,
        "AccessDenied",
        "not authorized to assume the role",
    );
    let run = env.onboard(&[
        "audit",
        "--accounts",
        &accounts,
        "--account-concurrency",
        "1",
    ]);
    run.assert_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[1].starts_with(&format!("{A}  FAILED  ")) && lines[1].contains("AccessDenied"),
        "{}",
        run.stdout
    );
    let row: Vec<&str> = lines[2].split_whitespace().take(4).collect();
    assert_eq!(
        row,
        [B, "role", "VendorAccess", "444444444444"],
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("1 of 2 accounts failed"),
        "{}",
        run.stderr
    );
}

/// Bad input is refused before any AWS call, with the bad value named.
#[test]
fn audit_refuses_a_bad_known_accounts_file_and_other_commands_refuse_sarif() {
    let env = Env::start();
    let file = env.temp_path("bad.yaml");
    std::fs::write(&file, "- name: Short\n  accounts: ['12345']\n").unwrap();
    let run = env.onboard(&["audit", "--known-accounts", file.to_str().unwrap()]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("'12345' (of Short) is not an AWS account id"),
        "{}",
        run.stderr
    );
    let run = env.onboard(&["plan", "--vendor", "streamkap", "--output", "sarif"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("--output sarif is for onboard audit only"),
        "{}",
        run.stderr
    );
    assert_eq!(env.take_calls(), Vec::<String>::new());
}
