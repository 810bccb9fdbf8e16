//! `--accounts` and `--organization`: apply, plan and teardown in many accounts, each reached by
//! assuming a role there (moto switches to the account of the assumed role's ARN).

use crate::harness::output::{AccountsOutput, ApplyOutput, PlanOutput, TeardownOutput};
use crate::harness::{Env, count, xml_values};

const A: &str = "111111111111";
const B: &str = "222222222222";
/// The account of the harness's own credentials.
const CALLER: &str = "123456789012";
const ROLE: &str = "StreamkapInstallAccess";

fn role_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/{ROLE}")
}

fn assume_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole")
}

#[test]
fn apply_in_two_accounts_creates_the_role_in_each_and_again_writes_nothing() {
    let env = Env::start();
    let accounts = format!("{A},{B}");
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--accounts",
        &accounts,
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: AccountsOutput<ApplyOutput> = run.json();
    assert_eq!(out.failed, 0);
    let rows: Vec<(&str, bool, Option<&str>)> = out
        .accounts
        .iter()
        .map(|o| (o.account.as_str(), o.ok, o.role_arn.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            (A, true, Some(role_arn(A).as_str())),
            (B, true, Some(role_arn(B).as_str()))
        ]
    );
    for outcome in &out.accounts {
        let result = outcome.result.as_ref().expect("a result per account");
        assert_eq!(result.account, outcome.account);
        assert!(result.changed && result.verifications.iter().all(|v| v.passed));
        assert_eq!(outcome.status, "changed");
        assert_eq!(outcome.error, None);
    }
    // Read back in each account: the role is there, trusted by Streamkap, tagged as onboard's.
    for account in [A, B] {
        assert_eq!(env.role_names_in(account), [ROLE], "roles in {account}");
        let tags = env.iam_in(account, &[("Action", "ListRoleTags"), ("RoleName", ROLE)]);
        assert!(xml_values(&tags, "Key").contains(&"managed-by".to_owned()));
    }
    assert!(
        env.role_names().is_empty(),
        "nothing in the caller's account"
    );
    let calls = env.take_calls();
    // Per account: into the account, and the verification's once the role was created; no
    // early attempt beside the reads, since the role's read found none (IAM would refuse it).
    assert_eq!(count(&calls, "AssumeRole"), 4, "{calls:?}");

    // Again, as a table: every account is in place, no write call anywhere.
    let run = env.onboard(&["apply", "--vendor", "streamkap", "--accounts", &accounts]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "ACCOUNT       STATUS  ARN / ERROR".to_owned(),
            format!("{A}  ok      {}", role_arn(A)),
            format!("{B}  ok      {}", role_arn(B)),
        ]
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
}

#[test]
fn an_unowned_role_in_one_account_fails_that_account_only() {
    let env = Env::start();
    // Account B already has a role of that name that onboard did not create.
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
    env.iam_in(
        B,
        &[
            ("Action", "CreateRole"),
            ("RoleName", ROLE),
            ("AssumeRolePolicyDocument", trust),
        ],
    );
    let accounts = format!("{B},{A}");
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--accounts",
        &accounts,
        "--output",
        "json",
    ]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("1 of 2 accounts failed"),
        "{}",
        run.stderr
    );
    let out: AccountsOutput<ApplyOutput> = run.json();
    assert_eq!(out.failed, 1);
    let (b, a) = (&out.accounts[0], &out.accounts[1]);
    assert_eq!((b.account.as_str(), b.ok), (B, false));
    let error = b.error.as_deref().unwrap();
    assert!(
        error.contains(&format!(
            "role {ROLE} already exists and was not created by onboard"
        )),
        "{error}"
    );
    assert!(b.result.is_none() && b.role_arn.is_none());
    assert_eq!((a.account.as_str(), a.ok), (A, true));
    assert_eq!(a.role_arn.as_deref(), Some(role_arn(A).as_str()));
    assert_eq!(env.role_names_in(A), [ROLE]);
    // B's role is as it was: no policy attached to it.
    let attached = env.iam_in(
        B,
        &[("Action", "ListAttachedRolePolicies"), ("RoleName", ROLE)],
    );
    assert!(xml_values(&attached, "PolicyArn").is_empty(), "{attached}");
}

/// `--concurrency` bounds the requests in flight in each account (IAM throttles each account on
/// its own), not across accounts: with `--concurrency 1` no account ever has two requests in
/// flight, the sts:AssumeRole that reaches it included, while the two accounts run at once.
#[test]
fn concurrency_bounds_each_account_and_the_accounts_run_at_once() {
    let env = Env::start();
    env.delay(std::time::Duration::from_millis(50));
    let accounts = format!("{A},{B}");
    env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--accounts",
        &accounts,
        "--concurrency",
        "1",
    ])
    .assert_code(0);
    env.delay(std::time::Duration::ZERO);
    let by_account = env.take_max_in_flight_by_account();
    assert!(
        by_account.contains_key(A) && by_account.contains_key(B),
        "{by_account:?}"
    );
    assert!(by_account.values().all(|max| *max == 1), "{by_account:?}");
    // One request of each account at once (the two role assumptions start together).
    assert_eq!(env.take_max_in_flight(), 2);
}

#[test]
fn access_denied_on_assuming_into_one_account_leaves_the_other_done() {
    let env = Env::start();
    // One account at a time: the first AssumeRole is the one into A.
    env.fail_next(
        "AssumeRole",
        403,
        "AccessDenied",
        "not authorized to perform sts:AssumeRole",
    );
    let accounts = format!("{A},{B}");
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--accounts",
        &accounts,
        "--account-concurrency",
        "1",
    ]);
    run.assert_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(
        lines[1],
        format!(
            "{A}  FAILED   assuming role {}: AccessDenied: not authorized to perform sts:AssumeRole",
            assume_arn(A)
        )
    );
    assert_eq!(lines[2], format!("{B}  changed  {}", role_arn(B)));
    assert!(env.role_names_in(A).is_empty());
    assert_eq!(env.role_names_in(B), [ROLE]);
}

/// A vendor whose external ID the customer chooses (the example catalog file): one generated
/// per account.
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/my-vendor.json");

#[test]
fn organization_covers_its_active_member_accounts_each_with_its_own_external_id() {
    let env = Env::start();
    env.organizations("CreateOrganization", r#"{"FeatureSet":"ALL"}"#);
    let mut members = Vec::new();
    for name in ["one", "two"] {
        let created = env.organizations(
            "CreateAccount",
            &format!(r#"{{"AccountName":"{name}","Email":"{name}@example.com"}}"#),
        );
        members.push(
            created["CreateAccountStatus"]["AccountId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let run = env.onboard(&[
        "apply",
        "--catalog-file",
        EXAMPLE,
        "--param",
        "bucket=acme-bucket",
        "--organization",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: AccountsOutput<ApplyOutput> = run.json();
    // The management account (the caller's) is not among them.
    let accounts: Vec<&str> = out.accounts.iter().map(|o| o.account.as_str()).collect();
    assert_eq!(accounts, members);
    let ids: Vec<&str> = out
        .accounts
        .iter()
        .map(|o| {
            o.external_id
                .as_deref()
                .expect("an external ID per account")
        })
        .collect();
    assert_ne!(ids[0], ids[1], "each account has its own external ID");
    for (outcome, account) in out.accounts.iter().zip(&members) {
        assert!(outcome.ok, "{:?}", outcome.error);
        assert!(
            outcome
                .role_arn
                .as_ref()
                .unwrap()
                .starts_with(&format!("arn:aws:iam::{account}:role/"))
        );
        assert_eq!(
            outcome.result.as_ref().unwrap().external_id.as_deref(),
            outcome.external_id.as_deref()
        );
        // moto's CreateAccount made OrganizationAccountAccessRole; apply added Acme's.
        let roles = env.role_names_in(account);
        assert!(
            roles.iter().any(|r| r == "AcmeAccess"),
            "Acme's role in {account}: {roles:?}"
        );
    }
    assert!(
        env.role_names().is_empty(),
        "nothing in the management account"
    );
    let calls = env.take_calls();
    assert_eq!(count(&calls, "ListAccounts"), 1, "{calls:?}");

    // As a table, again: the external ID each account's roles trust, kept.
    let run = env.onboard(&[
        "apply",
        "--catalog-file",
        EXAMPLE,
        "--param",
        "bucket=acme-bucket",
        "--organization",
    ]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ACCOUNT       STATUS  ARN / ERROR"),
        "{}",
        run.stdout
    );
    assert!(lines[0].ends_with("EXTERNAL ID"), "{}", run.stdout);
    for (line, (account, id)) in lines[1..].iter().zip(members.iter().zip(&ids)) {
        assert!(
            line.starts_with(&format!("{account}  ok      arn:aws:iam::{account}:role/")),
            "{line}"
        );
        assert!(line.ends_with(id), "{line}");
    }
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
}

#[test]
fn plan_and_teardown_in_many_accounts() {
    let env = Env::start();
    let accounts = format!("{A},{B}");
    let plan = |env: &Env| {
        env.onboard(&[
            "plan",
            "--vendor",
            "streamkap",
            "--accounts",
            &accounts,
            "--detailed-exitcode",
            "--output",
            "json",
        ])
    };
    // Nothing yet: changes pending in both accounts (exit 2), none made.
    let run = plan(&env);
    run.assert_code(2);
    let out: AccountsOutput<PlanOutput> = run.json();
    assert!(out.accounts.iter().all(|o| o.ok && o.status == "pending"));
    assert!(
        out.accounts
            .iter()
            .all(|o| o.result.as_ref().unwrap().pending)
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());

    // Applied in A only: B still pending.
    env.onboard(&["apply", "--vendor", "streamkap", "--accounts", A])
        .assert_code(0);
    let run = plan(&env);
    run.assert_code(2);
    let out: AccountsOutput<PlanOutput> = run.json();
    let pending: Vec<(&str, bool)> = out
        .accounts
        .iter()
        .map(|o| (o.account.as_str(), o.result.as_ref().unwrap().pending))
        .collect();
    assert_eq!(pending, [(A, false), (B, true)]);

    env.onboard(&["apply", "--vendor", "streamkap", "--accounts", B])
        .assert_code(0);
    plan(&env).assert_code(0);
    env.take_calls();

    // Teardown removes in each account, and only there.
    let run = env.onboard(&[
        "teardown",
        "--vendor",
        "streamkap",
        "--accounts",
        &accounts,
        "--yes",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let out: AccountsOutput<TeardownOutput> = run.json();
    for outcome in &out.accounts {
        assert!(outcome.ok, "{:?}", outcome.error);
        let removed = &outcome.result.as_ref().unwrap().removed;
        assert!(
            removed.contains(&format!("deleted role {ROLE}")),
            "{removed:?}"
        );
    }
    assert!(env.role_names_in(A).is_empty() && env.role_names_in(B).is_empty());
    let run = env.onboard(&[
        "teardown",
        "--vendor",
        "streamkap",
        "--accounts",
        &accounts,
        "--yes",
    ]);
    run.assert_code(0);
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "ACCOUNT       STATUS  REMOVED / ERROR".to_owned(),
            format!("{A}  ok      nothing to remove"),
            format!("{B}  ok      nothing to remove"),
        ]
    );
}

#[test]
fn the_callers_own_account_in_the_list_uses_the_callers_credentials() {
    let env = Env::start();
    let accounts = format!("{CALLER},{A}");
    env.onboard(&["apply", "--vendor", "streamkap", "--accounts", &accounts])
        .assert_code(0);
    assert_eq!(env.role_names(), [ROLE]);
    assert_eq!(env.role_names_in(A), [ROLE]);
    let calls = env.take_calls();
    // One assume into A and the verification's per account; none into the caller's own
    // account, and no early one (the role did not exist yet).
    assert_eq!(count(&calls, "AssumeRole"), 3, "{calls:?}");
}

#[test]
fn bad_account_flags_are_refused_before_any_call() {
    let env = Env::start();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "apply",
                "--vendor",
                "streamkap",
                "--accounts",
                "11111111111",
            ],
            "'11111111111' is not an AWS account id",
        ),
        (
            &[
                "plan",
                "--vendor",
                "streamkap",
                "--accounts",
                "111111111111,12345678901x",
            ],
            "'12345678901x' is not an AWS account id",
        ),
        (
            &[
                "apply",
                "--vendor",
                "streamkap",
                "--accounts",
                "111111111111",
                "--organization",
            ],
            "cannot be used with",
        ),
        (
            &[
                "apply",
                "--vendor",
                "streamkap",
                "--accounts",
                "111111111111,111111111111",
            ],
            "--accounts names account 111111111111 twice",
        ),
        (
            &[
                "apply",
                "--vendor",
                "streamkap",
                "--organization",
                "--assume-role-name",
                "no/slash",
            ],
            "role name 'no/slash' contains '/'",
        ),
        (
            &[
                "apply",
                "--vendor",
                "stream-manager",
                "--accounts",
                "111111111111",
            ],
            "user production-streammanager gets an access key in each account",
        ),
        (
            &[
                "apply",
                "--vendor",
                "stream-manager",
                "--accounts",
                "111111111111",
                "--key-file",
                "key.json",
            ],
            "put {account} in the path",
        ),
        (
            &[
                "apply",
                "--vendor",
                "stream-manager",
                "--organization",
                "--show-secret",
            ],
            "--show-secret: with --accounts or --organization keys go to files",
        ),
        (&["teardown", "--accounts", "111111111111"], "pass --yes"),
        (
            &[
                "apply",
                "--vendor",
                "streamkap",
                "--accounts",
                "111111111111",
                "--account-concurrency",
                "0",
            ],
            "--account-concurrency",
        ),
    ];
    for (args, message) in cases {
        let run = env.onboard(args);
        run.assert_code(2);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert_eq!(env.take_calls(), Vec::<String>::new(), "{args:?}");
    }
}

/// A vendor whose user gets an access key: one key file per account, `{account}` in the path,
/// each checked before any call, none in the output.
#[test]
fn access_keys_go_to_a_file_per_account() {
    let env = Env::start();
    let template = env.temp_path("key-{account}.json");
    let template = template.to_str().unwrap();
    let key_file = |account: &str| std::path::PathBuf::from(template.replace("{account}", account));
    let accounts = format!("{A},{B}");
    let apply = [
        "apply",
        "--vendor",
        "stream-manager",
        "--accounts",
        &accounts,
        "--key-file",
        template,
    ];

    // B's file exists already: refused before any call, nothing written.
    std::fs::write(key_file(B), "not a key").unwrap();
    let run = env.onboard(&apply);
    run.assert_code(2);
    assert!(run.stderr.contains("the file exists"), "{}", run.stderr);
    assert!(!key_file(A).exists());
    assert_eq!(env.take_calls(), Vec::<String>::new());
    std::fs::remove_file(key_file(B)).unwrap();

    let run = env.onboard(&apply);
    run.assert_code(0);
    let user = "production-streammanager";
    for (line, account) in run.stdout.lines().skip(1).zip([A, B]) {
        let file = key_file(account);
        let key: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let id = key["AccessKeyId"].as_str().unwrap();
        let secret = key["SecretAccessKey"].as_str().unwrap();
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
        assert_eq!(
            line,
            format!(
                "{account}  changed  arn:aws:iam::{account}:user/{user} (new key in {})",
                file.display()
            )
        );
        let keys = env.iam_in(account, &[("Action", "ListAccessKeys"), ("UserName", user)]);
        assert_eq!(xml_values(&keys, "AccessKeyId"), [id]);
    }

    // Again (the key files moved away, as onboard never overwrites one): the users have their
    // keys, so no new one and no file.
    for account in [A, B] {
        std::fs::remove_file(key_file(account)).unwrap();
    }
    env.take_calls();
    let run = env.onboard(&apply);
    run.assert_code(0);
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
    assert!(!key_file(A).exists() && !key_file(B).exists());
}

#[test]
fn ctrl_c_finishes_the_account_in_flight_and_starts_no_other() {
    let env = Env::start();
    env.delay(std::time::Duration::from_millis(300));
    let accounts = format!("{A},{B}");
    let child = env.spawn_onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--no-verify",
        "--accounts",
        &accounts,
        "--account-concurrency",
        "1",
    ]);
    // A's three creates run together; interrupt while they are in flight.
    env.wait_for_calls(|calls| calls.iter().filter(|c| c.starts_with("Create")).count() == 3);
    crate::harness::signal(&child, "INT");
    let run = Env::finish(child);
    env.delay(std::time::Duration::ZERO);
    assert_eq!(run.code, 130, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[1].starts_with(&format!(
            "{A}  FAILED  applying streamkap byoc: interrupted after 3 of 5 steps"
        )),
        "{}",
        run.stdout
    );
    assert!(
        lines[2].starts_with(&format!(
            "{B}  FAILED  not started in this account: interrupted"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(env.role_names_in(A), [ROLE]);
    assert!(env.role_names_in(B).is_empty());
}
