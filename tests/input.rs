//! Bad input: a one-line error naming the value and the fix, exit code 2, and no AWS call.

use crate::harness::Env;

#[track_caller]
fn refused(env: &Env, args: &[&str], message: &str) {
    let run = env.onboard(args);
    run.assert_code(2);
    assert_eq!(run.stderr.trim(), format!("error: {message}"));
    assert_eq!(run.stderr.trim().lines().count(), 1);
    assert!(run.stdout.is_empty());
    assert_eq!(
        env.take_calls(),
        Vec::<String>::new(),
        "no AWS call for {args:?}"
    );
}

#[test]
fn bad_input_is_refused_before_any_aws_call() {
    let env = Env::start();
    refused(
        &env,
        &["apply", "--vendor", "nope"],
        "unknown vendor 'nope'; known vendors: kubermatic, stream-manager, streamkap, upsolver",
    );
    refused(
        &env,
        &["apply", "--vendor", "streamkap", "--integration", "s4"],
        "vendor streamkap has no integration 's4'; known integrations: byoc, glue, redshift, s3",
    );
    refused(
        &env,
        &["apply", "--vendor", "streamkap", "--tag", "team"],
        "--tag 'team' has no '=': use --tag KEY=VALUE",
    );
    refused(
        &env,
        &["apply", "--vendor", "streamkap", "--tag", "managed-by=me"],
        "--tag key 'managed-by' is reserved (the aws: and onboard: prefixes and managed-by are IAM's and \
         onboard's own): pick another key",
    );
    refused(
        &env,
        &["apply", "--vendor", "streamkap", "--path", "vendors"],
        "path 'vendors' is not an IAM path: use '/' or a path that starts and ends with '/' such as '/vendors/', \
         in printable ASCII without spaces, at most 512 characters",
    );
    refused(
        &env,
        &[
            "apply",
            "--vendor",
            "streamkap",
            "--max-session-duration",
            "60",
        ],
        "--max-session-duration 60 is out of range: IAM allows 3600 to 43200 seconds",
    );
    refused(
        &env,
        &[
            "apply",
            "--vendor",
            "streamkap",
            "--permissions-boundary",
            "Boundary",
        ],
        "--permissions-boundary 'Boundary' is not a managed policy ARN: use arn:aws:iam::ACCOUNT_ID:policy/NAME \
         or arn:aws:iam::aws:policy/NAME",
    );
    refused(
        &env,
        &["apply", "--vendor", "streamkap", "--role-name", "my role"],
        "role name 'my role' contains ' '; IAM names allow only letters, digits and +=,.@_-",
    );
    let prefix = "p".repeat(50);
    refused(
        &env,
        &["apply", "--vendor", "streamkap", "--name-prefix", &prefix],
        &format!(
            "role name '{prefix}StreamkapInstallAccess' is 72 characters; IAM allows 1 to 64: use a shorter name"
        ),
    );
    refused(
        &env,
        &[
            "verify",
            "--role-arn",
            "arn:aws:iam::123456789012:user/alice",
        ],
        "role ARN 'arn:aws:iam::123456789012:user/alice' is not valid (the resource must start with role/): \
         use arn:aws:iam::ACCOUNT_ID:role/NAME, as apply printed it",
    );
    refused(
        &env,
        &[
            "verify",
            "--role-arn",
            "arn:aws:iam::123456789012:role/R",
            "--external-id",
            "a b",
        ],
        "external ID 'a b' contains ' '; IAM allows only letters, digits and _+=,.@:/-",
    );
    assert!(env.role_names().is_empty() && env.policy_names().is_empty());
}

/// Region, Redshift user and S3 prefix parameters are checked before any AWS call.
#[test]
fn region_and_least_privilege_parameters_are_checked_before_any_aws_call() {
    let env = Env::start();
    let glue = [
        "apply",
        "--vendor",
        "streamkap",
        "--integration",
        "glue",
        "--param",
        "database=lake",
        "--param",
        "bucket=cdc-bucket",
        "--external-id",
        "x-1",
    ];
    let with =
        |extra: &[&'static str]| -> Vec<&str> { glue.iter().chain(extra).copied().collect() };
    refused(
        &env,
        &with(&["--param", "region=mars"]),
        "--param region=mars is not valid: use a region name such as us-east-1, eu-central-1 or us-gov-west-1",
    );
    refused(
        &env,
        &with(&["--param", "prefix=cdc"]),
        "--param prefix=cdc is not valid: use a key prefix that ends with '/' and does not start with one, such as \
         cdc/ or lake/orders/, in letters, digits and _.=+@/- (no IAM wildcards), at most 1024 characters",
    );
    refused(
        &env,
        &with(&["--region", "mars"]),
        "the profile's region 'mars' is not valid for --param region: use a region name such as us-east-1, \
         eu-central-1 or us-gov-west-1; pass --param region=NAME or --region NAME",
    );
    refused(
        &env,
        &[
            "apply",
            "--vendor",
            "streamkap",
            "--integration",
            "redshift",
            "--param",
            "cluster=warehouse-1",
            "--external-id",
            "x-1",
        ],
        "vendor streamkap (redshift) needs --param db-user=VALUE: the database user Streamkap connects as \
         (never an administrator)",
    );
    refused(
        &env,
        &[
            "apply",
            "--vendor",
            "streamkap",
            "--integration",
            "s3",
            "--param",
            "bucket=cdc-bucket",
            "--param",
            "kms-key-arn=alias/aws/s3",
            "--external-id",
            "x-1",
        ],
        "--param kms-key-arn=alias/aws/s3 is not valid: use a key ARN such as \
         arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    );
}

/// The vendor issues the external ID (Streamkap's connectors, Upsolver): without
/// `--external-id`, apply and plan stop before any AWS call and say where the vendor shows it.
#[test]
fn a_vendor_issued_external_id_is_required_before_any_aws_call() {
    let env = Env::start();
    for command in ["apply", "plan"] {
        refused(
            &env,
            &[
                command,
                "--vendor",
                "streamkap",
                "--integration",
                "s3",
                "--param",
                "bucket=cdc-bucket",
            ],
            "vendor streamkap (s3) issues the external ID, so onboard cannot generate one: pass --external-id ID \
             with the ID the vendor issues: Streamkap's app shows it during connector setup, and Streamkap support has it too",
        );
        refused(
            &env,
            &[command, "--vendor", "upsolver", "--param", "org-id=org42"],
            "vendor upsolver (my-vpc) issues the external ID, so onboard cannot generate one: pass --external-id ID \
             with the ID the vendor issues: Upsolver gives it to you (the page's <get_from_upsolver>); ask Upsolver \
             for it",
        );
    }
    assert!(env.role_names().is_empty() && env.policy_names().is_empty());
}

#[test]
fn an_endpoint_that_does_not_answer_says_which_step_failed() {
    let env = Env::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{closed}");
    let run = env.onboard_with_env(
        &["apply", "--vendor", "streamkap", "--endpoint-url", &url],
        &[("AWS_MAX_ATTEMPTS", "1")],
    );
    run.assert_code(1);
    assert!(
        run.stderr
            .starts_with("error: finding the caller's account (sts:GetCallerIdentity): "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("dispatch failure"), "{}", run.stderr);
}

#[test]
fn missing_or_refused_credentials_say_how_to_fix_them() {
    let env = Env::start();
    let run = env.onboard_without_credentials(&["apply", "--vendor", "streamkap"]);
    run.assert_code(1);
    assert!(
        run.stderr.starts_with(
            "error: finding the caller's account (sts:GetCallerIdentity): no usable AWS credentials: pick a profile \
             with --profile or AWS_PROFILE (aws configure, aws sso login), or set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);

    env.fail_next(
        "GetCallerIdentity",
        403,
        "ExpiredToken",
        "The security token included in the request is expired",
    );
    let run = env.onboard(&["apply", "--vendor", "streamkap"]);
    run.assert_code(1);
    assert_eq!(
        run.stderr.trim(),
        "error: finding the caller's account (sts:GetCallerIdentity): ExpiredToken: The security token included \
         in the request is expired (the credentials were refused: refresh them, for example with aws sso login, \
         or pick another --profile)"
    );
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
}

#[test]
fn an_oversized_catalog_file_is_refused_before_any_aws_call() {
    let env = Env::start();
    let path = env.temp_path("huge.json");
    std::fs::write(&path, " ".repeat(1024 * 1024 + 1)).unwrap();
    let path = path.to_str().unwrap();
    let run = env.onboard(&["apply", "--catalog-file", path]);
    run.assert_code(2);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: catalog file {path}: it is more than 1048576 bytes; onboard reads catalog files of at \
             most 1048576 bytes"
        )
    );
    assert_eq!(env.take_calls(), Vec::<String>::new());
}

/// Each bad input issue 13 found slipping past the checks: refused before the first AWS call,
/// with one line naming the value and the fix.
#[test]
fn bad_input_that_used_to_reach_aws_is_refused_before_any_call() {
    let env = Env::start();
    let apply = |extra: &[&str]| -> Vec<String> {
        ["apply", "--vendor", "streamkap"]
            .iter()
            .chain(extra)
            .map(std::string::ToString::to_string)
            .collect()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            apply(&[
                "--integration",
                "s3",
                "--param",
                "bucket=one-bucket",
                "--param",
                "bucket=two-bucket",
            ]),
            "--param bucket is given 2 times ('one-bucket', 'two-bucket'): give it once",
        ),
        (
            apply(&["--tag", "team=a", "--tag", "team=b"]),
            "--tag key 'team' is given twice (team=a and team=b; IAM tag keys ignore case): give it once",
        ),
        (
            apply(&["--tag", "team=a", "--tag", "Team=b"]),
            "--tag key 'Team' is given twice (team=a and Team=b; IAM tag keys ignore case): give it once",
        ),
        (
            apply(&["--tag", "onboard:owner=me"]),
            "--tag key 'onboard:owner' is reserved (the aws: and onboard: prefixes and managed-by are IAM's \
             and onboard's own): pick another key",
        ),
        (
            apply(&["--tag", "Managed-By=me"]),
            "--tag key 'Managed-By' is reserved (the aws: and onboard: prefixes and managed-by are IAM's \
             and onboard's own): pick another key",
        ),
        (
            apply(&["--session-name", "s"]),
            "--session-name 's' is not a session name: STS takes 2 to 64 letters, digits and +=,.@_-",
        ),
        (
            apply(&["--max-attempts", "0"]),
            "--max-attempts 0 (or AWS_MAX_ATTEMPTS=0) makes no attempt at all: give 1 or more (1 sends each \
             call once, without retries)",
        ),
        (
            apply(&["--endpoint-url", "not a url"]),
            "--endpoint-url 'not a url' is not an endpoint URL: give http:// or https:// and a host, such as \
             http://localhost:5000",
        ),
        (
            apply(&["--external-id", "line\nbreak"]),
            "external ID 'line\\nbreak' contains '\\n'; IAM allows only letters, digits and _+=,.@:/-",
        ),
        (
            [
                "verify",
                "--role-arn",
                "arn:aws:iam::123456789012:role/R",
                "--session-name",
                "s",
            ]
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
            "--session-name 's' is not a session name: STS takes 2 to 64 letters, digits and +=,.@_-",
        ),
    ];
    for (args, message) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&env, &args, message);
    }
    assert_eq!(env.role_names(), Vec::<String>::new());
}

/// A catalog file that would make IAM refuse a call half-way through, or silently do something
/// else than it says, is refused when it loads: before any AWS call.
#[test]
fn every_bad_catalog_document_is_refused_before_any_call() {
    let env = Env::start();
    let example: serde_json::Value =
        serde_json::from_str(include_str!("../examples/my-vendor.json")).unwrap();
    let at = "integrations.read-bucket";
    let edit = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut entry = example.clone();
        change(&mut entry["integrations"]["read-bucket"]);
        serde_json::to_string_pretty(&entry).unwrap()
    };
    let statement = |kind: &str| format!("/{kind}/0/document/Statement/0");
    let cases: Vec<(&str, String, String)> = vec![
        (
            "a key twice",
            edit(&|_| {}).replacen(
                "\"Effect\": \"Allow\",",
                "\"Effect\": \"Allow\", \"Effect\": \"Deny\",",
                1,
            ),
            format!(
                "{at}.policies[0].document.Statement[0]: key \"Effect\" appears twice in one object (a JSON \
                 parser keeps only the last one): keep one at line"
            ),
        ),
        (
            "NotPrincipal",
            edit(&|i| {
                let s = &mut i["roles"][0]["trust"]["Statement"][0];
                s["NotPrincipal"] = s["Principal"].take();
                s.as_object_mut().unwrap().remove("Principal");
            }),
            format!(
                "{at}.roles.AcmeAccess: trust policy: Statement 0: NotPrincipal: IAM refuses it in trust policies"
            ),
        ),
        (
            "an empty Statement",
            edit(&|i| i["policies"][0]["document"]["Statement"] = serde_json::json!([])),
            format!("{at}.policies.AcmeReadBucket: managed policy: Statement is empty"),
        ),
        (
            "an empty Action",
            edit(&|i| {
                *i.pointer_mut(&format!("{}/Action", statement("policies")))
                    .unwrap() = serde_json::json!([]);
            }),
            format!(
                "{at}.policies.AcmeReadBucket: managed policy: Statement 0: Action is empty: list the actions"
            ),
        ),
        (
            "no Resource",
            edit(&|i| {
                i.pointer_mut(&statement("policies"))
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .remove("Resource");
            }),
            format!(
                "{at}.policies.AcmeReadBucket: managed policy: Statement 0: it has no Resource"
            ),
        ),
        (
            "an unknown Version",
            edit(&|i| i["policies"][0]["document"]["Version"] = "2012-10-18".into()),
            format!(
                "{at}.policies.AcmeReadBucket: managed policy: Version \"2012-10-18\" is not a policy \
                 language version IAM knows: use \"2012-10-17\""
            ),
        ),
        (
            "a trust action other than assuming the role",
            edit(&|i| i["roles"][0]["trust"]["Statement"][0]["Action"] = "s3:GetObject".into()),
            format!(
                "{at}.roles.AcmeAccess: trust policy: Statement 0: action \"s3:GetObject\" is not one a \
                 trust policy allows"
            ),
        ),
        (
            "an AWS managed policy that does not exist",
            edit(&|i| {
                i["roles"][0]["aws_managed_policies"] = serde_json::json!(["ReadOnlyAccessPlus"]);
            }),
            format!(
                "{at}.roles.AcmeAccess: AWS managed policy 'ReadOnlyAccessPlus' does not exist"
            ),
        ),
        (
            "an upper-case vendor",
            {
                let mut entry = example.clone();
                entry["vendor"] = "Acme".into();
                entry.to_string()
            },
            "vendor 'Acme' is not a vendor name: use lowercase letters".to_owned(),
        ),
    ];
    for (case, text, fragment) in cases {
        let path = env.temp_path("bad-catalog.json");
        std::fs::write(&path, &text).unwrap();
        let file = path.to_str().unwrap();
        let run = env.onboard(&[
            "apply",
            "--catalog-file",
            file,
            "--param",
            "bucket=my-bucket",
            "--external-id",
            "ext-123",
        ]);
        run.assert_code(2);
        let prefix = format!("error: catalog file {file}: {fragment}");
        assert!(run.stderr.starts_with(&prefix), "{case}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{case}");
        assert_eq!(env.take_calls(), Vec::<String>::new(), "{case}");
    }

    // Files of any kind are read with the cap: a device that never ends, a FIFO nobody writes.
    let run = env.onboard(&["apply", "--catalog-file", "/dev/zero"]);
    run.assert_code(2);
    assert_eq!(
        run.stderr.trim(),
        "error: catalog file /dev/zero: it is more than 1048576 bytes; onboard reads catalog files of at most \
         1048576 bytes"
    );
    let fifo = env.temp_path("catalog.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fifo = fifo.to_str().unwrap();
    let run = env.onboard(&["apply", "--catalog-file", fifo]);
    run.assert_code(2);
    assert!(
        run.stderr
            .starts_with(&format!("error: catalog file {fifo}: it is empty")),
        "{}",
        run.stderr
    );
    assert_eq!(env.take_calls(), Vec::<String>::new());
}
