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
        "--tag key 'managed-by' is reserved (aws: prefix, or one of onboard's ownership tags): pick another key",
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
            "error: catalog file {path}: it is 1048577 bytes; onboard reads catalog files of at most 1048576 bytes"
        )
    );
    assert_eq!(env.take_calls(), Vec::<String>::new());
}
