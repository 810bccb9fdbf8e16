//! Every built-in vendor and integration: apply, verify, apply again with zero writes, teardown
//! to nothing; AWS managed policies are attached, never created or deleted.

use crate::harness::Env;
use crate::harness::output::{ApplyOutput, TeardownOutput};

/// `apply` flags for each vendor shape, and what the hand-off is.
const CASES: &[(&str, &[&str])] = &[
    ("streamkap byoc", &["--vendor", "streamkap"]),
    (
        "streamkap s3",
        &[
            "--vendor",
            "streamkap",
            "--integration",
            "s3",
            "--param",
            "bucket=cdc-bucket",
            "--external-id",
            "streamkap-ext-1",
        ],
    ),
    (
        "streamkap glue",
        &[
            "--vendor",
            "streamkap",
            "--integration",
            "glue",
            "--param",
            "database=lake",
            "--param",
            "bucket=cdc-bucket",
            "--external-id",
            "streamkap-ext-1",
        ],
    ),
    (
        "streamkap redshift",
        &[
            "--vendor",
            "streamkap",
            "--integration",
            "redshift",
            "--param",
            "cluster=warehouse-1",
            "--param",
            "db-user=streamkap_loader",
            "--param",
            "db-name=analytics",
            "--param",
            "region=eu-west-1",
            "--external-id",
            "streamkap-ext-1",
        ],
    ),
    (
        "streamkap s3+glue",
        &[
            "--vendor",
            "streamkap",
            "--integration",
            "s3",
            "--integration",
            "glue",
            "--param",
            "bucket=cdc-bucket",
            "--param",
            "database=lake",
            "--external-id",
            "streamkap-ext-1",
        ],
    ),
    (
        "upsolver",
        &[
            "--vendor",
            "upsolver",
            "--param",
            "org-id=org42",
            "--external-id",
            "upsolver-ext-1",
        ],
    ),
    (
        "kubermatic role",
        &[
            "--vendor",
            "kubermatic",
            "--trust-principal",
            "arn:aws:iam::111122223333:role/kkp",
        ],
    ),
    (
        "kubermatic user",
        &["--vendor", "kubermatic", "--show-secret"],
    ),
    (
        "stream-manager",
        &["--vendor", "stream-manager", "--show-secret"],
    ),
];

const AWS_MANAGED: &[&str] = &["AWSCloudFormationReadOnlyAccess", "AmazonAthenaFullAccess"];

fn aws_managed_policy_exists(env: &Env, name: &str) -> bool {
    let arn = format!("arn:aws:iam::aws:policy/{name}");
    env.iam(&[
        ("Action", "ListPolicies"),
        ("Scope", "AWS"),
        ("MaxItems", "1000"),
    ])
    .contains(&arn)
}

#[test]
fn every_vendor_applies_verifies_reapplies_without_writes_and_tears_down_to_nothing() {
    let env = Env::start();
    // Checks verify warns of, for every case: text lines as verify prints them.
    let mut warnings = Vec::new();
    for (case, flags) in CASES {
        let args: Vec<&str> = ["apply", "--output", "json"]
            .iter()
            .chain(flags.iter())
            .copied()
            .collect();
        let run = env.onboard(&args);
        assert_eq!(run.code, 0, "{case}: apply\n{}\n{}", run.stdout, run.stderr);
        let out: ApplyOutput = run.json();
        assert!(out.changed, "{case}");
        assert!(!out.verifications.is_empty(), "{case}");
        for verification in &out.verifications {
            let failed: Vec<_> = verification
                .checks
                .iter()
                .filter(|c| c.status == "fail")
                .collect();
            assert!(
                verification.passed && failed.is_empty(),
                "{case}: {failed:?}"
            );
        }
        assert_eq!(
            out.verifications.len(),
            out.role_arns.len() + out.user_arns.len(),
            "{case}"
        );
        // A new access key's hand-over also writes its record on the user: the pending tag, the
        // record, the pending tag removed.
        let mut writes = Env::writes(&env.take_calls());
        if !out.access_keys.is_empty() {
            for record in ["TagUser", "TagUser", "UntagUser"] {
                let index = writes.iter().position(|w| w == record);
                writes.remove(index.unwrap_or_else(|| panic!("{case}: {record}: {writes:?}")));
            }
        }
        assert_eq!(
            writes.len(),
            out.changes.len(),
            "{case}: one write call a change: {writes:?}"
        );
        assert!(!writes.iter().any(|w| w == "CreatePolicy"
            && out.changes.iter().any(|c| {
                AWS_MANAGED
                    .iter()
                    .any(|m| c == &format!("created policy {m}"))
            })));

        // Verify each role and user on its own, as a customer would.
        for arn in &out.role_arns {
            let mut verify = vec!["verify", "--role-arn", arn.as_str()];
            if let Some(id) = &out.external_id {
                verify.extend(["--external-id", id.as_str()]);
            }
            let run = env.onboard(&verify);
            assert_eq!(
                run.code, 0,
                "{case}: verify {arn}\n{}\n{}",
                run.stdout, run.stderr
            );
            assert!(!run.stdout.contains("FAIL"), "{case}: {}", run.stdout);
            assert!(
                run.stdout.contains(
                    "pass     no account the trust policy does not name can assume this role"
                ),
                "{case}: {}",
                run.stdout
            );
            warnings.extend(
                run.stdout
                    .lines()
                    .filter(|l| l.starts_with("warn"))
                    .map(|l| {
                        format!(
                            "{case}: {}",
                            l.split(": require one with").next().unwrap_or(l)
                        )
                    }),
            );
        }
        for arn in &out.user_arns {
            let run = env.onboard(&["verify", "--user-arn", arn]);
            assert_eq!(
                run.code, 0,
                "{case}: verify {arn}\n{}\n{}",
                run.stdout, run.stderr
            );
            assert!(
                run.stdout.contains("pass     active access key"),
                "{case}: {}",
                run.stdout
            );
        }
        assert_eq!(
            Env::writes(&env.take_calls()),
            Vec::<String>::new(),
            "{case}: verify writes nothing"
        );

        // Again: nothing to do, not even a second access key.
        let run = env.onboard(&args);
        assert_eq!(
            run.code, 0,
            "{case}: apply again\n{}\n{}",
            run.stdout, run.stderr
        );
        let again: ApplyOutput = run.json();
        assert!(
            !again.changed && again.changes.is_empty(),
            "{case}: {:?}",
            again.changes
        );
        assert!(again.access_keys.is_empty(), "{case}");
        assert_eq!(again.role_arn, out.role_arn, "{case}");
        assert_eq!(again.external_id, out.external_id, "{case}");
        assert_eq!(
            Env::writes(&env.take_calls()),
            Vec::<String>::new(),
            "{case}: second apply writes nothing"
        );

        let run = env.onboard(&["teardown", "--yes", "--output", "json"]);
        assert_eq!(
            run.code, 0,
            "{case}: teardown\n{}\n{}",
            run.stdout, run.stderr
        );
        let down: TeardownOutput = run.json();
        assert!(down.kept.is_empty(), "{case}: {:?}", down.kept);
        assert!(!down.removed.is_empty(), "{case}");
        env.assert_empty();
        for name in AWS_MANAGED {
            assert!(
                aws_managed_policy_exists(&env, name),
                "{case}: {name} must survive teardown"
            );
        }
        let run = env.onboard(&["teardown", "--yes"]);
        assert_eq!(run.code, 0);
        env.take_calls();
    }
    // Only the trusts whose pages ask for no external ID, for a principal of another account.
    assert_eq!(
        warnings,
        [
            "streamkap byoc: warn     Streamkap (arn:aws:iam::300973880807:role/installer-delegation) \
             can assume this role without an external ID",
            "kubermatic role: warn     arn:aws:iam::111122223333:role/kkp \
             can assume this role without an external ID",
        ]
    );
}

#[test]
fn upsolver_creates_both_roles_with_the_server_role_in_an_instance_profile() {
    let env = Env::start();
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "upsolver",
        "--param",
        "org-id=org42",
        "--external-id",
        "upsolver-ext-1",
        "--output",
        "json",
        "--no-verify",
    ]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(
        out.role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/UpsolverManagementRole")
    );
    assert_eq!(out.role_arns.len(), 2);
    assert_eq!(env.instance_profile_names(), ["UpsolverServerRole"]);
    let profile = env.iam(&[
        ("Action", "GetInstanceProfile"),
        ("InstanceProfileName", "UpsolverServerRole"),
    ]);
    assert!(
        profile.contains("<RoleName>UpsolverServerRole</RoleName>"),
        "{profile}"
    );
    let attached = env.iam(&[
        ("Action", "ListAttachedRolePolicies"),
        ("RoleName", "UpsolverServerRole"),
    ]);
    for name in [
        "AmazonAthenaFullAccess",
        "AWSCloudFormationReadOnlyAccess",
        "UpsolverServerPolicy",
    ] {
        assert!(
            attached.contains(&format!("<PolicyName>{name}</PolicyName>")),
            "{name}: {attached}"
        );
    }
    // The org id and region are substituted into the server policy.
    let version = env.iam(&[
        ("Action", "GetPolicyVersion"),
        (
            "PolicyArn",
            "arn:aws:iam::123456789012:policy/UpsolverServerPolicy",
        ),
        ("VersionId", "v1"),
    ]);
    assert!(
        version.contains("arn:aws:s3:::us-east-1-upsolver-org42/*"),
        "{version}"
    );

    // The external ID Upsolver issued: both principals require it, none is generated.
    let id = out.external_id.expect("upsolver takes an external ID");
    assert_eq!(id, "upsolver-ext-1");
    assert!(!out.external_id_generated);
    let role = env.iam(&[
        ("Action", "GetRole"),
        ("RoleName", "UpsolverManagementRole"),
    ]);
    assert_eq!(role.matches(&id).count(), 2, "{role}");
}

#[test]
fn missing_or_invalid_parameters_are_refused_before_any_aws_call() {
    let env = Env::start();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--vendor", "streamkap", "--integration", "s3"],
            "vendor streamkap (s3) needs --param bucket=VALUE: the S3 bucket Streamkap writes to",
        ),
        (
            &[
                "--vendor",
                "streamkap",
                "--integration",
                "s3",
                "--param",
                "bucket=Bad_Bucket",
            ],
            "--param bucket=Bad_Bucket is not valid: S3 bucket names use only lowercase letters, digits, '.' and '-'",
        ),
        (
            &["--vendor", "streamkap", "--param", "bucket=b"],
            "vendor streamkap (byoc) has no parameter 'bucket'; it takes none",
        ),
        (
            &[
                "--vendor",
                "upsolver",
                "--param",
                "org-id=o1",
                "--external-id",
                "x",
            ],
            "external ID 'x' is 1 characters; IAM allows 2 to 1224: use the ID the vendor gave you",
        ),
        (
            &["--vendor", "stream-manager", "--external-id", "abc"],
            "--external-id: vendor stream-manager (iam-user) has no trust policy with an external ID condition, nor one that lets another account assume a role: leave out --external-id",
        ),
        (
            &["--vendor", "kubermatic", "--trust-principal", "kkp"],
            "--param trust-principal=kkp is not valid: use arn:aws:iam::ACCOUNT_ID:root, arn:aws:iam::ACCOUNT_ID:role/NAME or arn:aws:iam::ACCOUNT_ID:user/NAME",
        ),
        (
            &[
                "--vendor",
                "streamkap",
                "--trust-principal",
                "arn:aws:iam::111122223333:root",
            ],
            "vendor streamkap takes no --trust-principal: its roles trust the principals its page names",
        ),
    ];
    for (flags, message) in cases {
        let args: Vec<&str> = std::iter::once("apply")
            .chain(flags.iter().copied())
            .collect();
        let run = env.onboard(&args);
        assert_eq!(run.code, 2, "{args:?}\n{}", run.stderr);
        assert_eq!(run.stderr.trim(), format!("error: {message}"), "{args:?}");
        assert_eq!(env.take_calls(), Vec::<String>::new(), "{args:?}");
    }
}

/// A resource's region is the profile's unless `--param region` names it: rendered into the
/// Glue ARNs and recorded in the tags, where verify finds it again.
#[test]
fn the_resources_region_defaults_to_the_profiles_and_is_recorded_in_tags() {
    let env = Env::start();
    let apply = |extra: &[&str]| {
        let mut args = vec![
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
        args.extend(extra);
        env.onboard(&args)
    };
    let document = || {
        let xml = env.iam(&[
            ("Action", "GetPolicyVersion"),
            (
                "PolicyArn",
                "arn:aws:iam::123456789012:policy/StreamkapGlueAccess",
            ),
            ("VersionId", "v1"),
        ]);
        percent_encoding::percent_decode_str(&xml)
            .decode_utf8()
            .unwrap()
            .into_owned()
    };
    let run = apply(&["--region", "eu-west-2"]);
    run.assert_code(0);
    assert!(
        document().contains("arn:aws:glue:eu-west-2:123456789012:database/lake"),
        "{}",
        document()
    );
    let tags = env.iam(&[
        ("Action", "ListRoleTags"),
        ("RoleName", "StreamkapConnectorAccess"),
    ]);
    assert!(
        tags.contains("<Key>onboard:param:region</Key>\n        <Value>eu-west-2</Value>")
            || tags.contains("<Key>onboard:param:region</Key><Value>eu-west-2</Value>"),
        "{tags}"
    );
    let run = env.onboard(&[
        "verify",
        "--role-arn",
        "arn:aws:iam::123456789012:role/StreamkapConnectorAccess",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    env.onboard(&["teardown", "--yes"]).assert_code(0);

    // Named: the profile's region does not matter.
    apply(&["--param", "region=ap-southeast-2"]).assert_code(0);
    assert!(
        document().contains("arn:aws:glue:ap-southeast-2:123456789012:catalog"),
        "{}",
        document()
    );
}

/// Connectors added one at a time accumulate on the shared role: the second apply plans the
/// union, verify checks it; teardown of one integration leaves the other working, and the role
/// goes with the last one. `--exclusive` narrows the role to the integrations named, and plan
/// shows the principal it removes.
#[test]
fn integrations_on_a_shared_role_accumulate_and_are_torn_down_one_at_a_time() {
    const ROLE: &str = "StreamkapConnectorAccess";
    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/StreamkapConnectorAccess";
    const ROOT: &str = "arn:aws:iam::300973880807:root";
    const TENANT: &str = "arn:aws:iam::300973880807:role/kafkaConnectTenantAccessRole";
    let env = Env::start();
    let s3 = [
        "--vendor",
        "streamkap",
        "--integration",
        "s3",
        "--param",
        "bucket=cdc-bucket",
        "--external-id",
        "x-1",
    ];
    let glue = [
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
    let with = |verb: &'static str, flags: &[&'static str], extra: &[&'static str]| {
        let mut args = vec![verb];
        args.extend(flags);
        args.extend(extra);
        env.onboard(&args)
    };
    let trust = || {
        let role = env.iam(&[("Action", "GetRole"), ("RoleName", ROLE)]);
        percent_encoding::percent_decode_str(&role)
            .decode_utf8()
            .unwrap()
            .into_owned()
    };
    let attached = || env.iam(&[("Action", "ListAttachedRolePolicies"), ("RoleName", ROLE)]);
    let verify = || env.onboard(&["verify", "--role-arn", ROLE_ARN]);

    with("apply", &s3, &["--no-verify"]).assert_code(0);
    // The Glue connector is added: plan shows the union, apply makes it.
    let run = with("plan", &glue, &["--output", "json"]);
    run.assert_code(0);
    let plan: serde_json::Value = run.json();
    assert_eq!(plan["integration"], "s3+glue", "{plan}");
    let run = with("apply", &glue, &["--output", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out: ApplyOutput = run.json();
    assert_eq!(out.integration, "s3+glue");
    assert!(out.verifications.iter().all(|v| v.passed));
    let (t, a) = (trust(), attached());
    assert!(t.contains(ROOT) && t.contains(TENANT), "{t}");
    assert!(
        a.contains("StreamkapS3Access") && a.contains("StreamkapGlueAccess"),
        "{a}"
    );
    // Either connector's apply again: nothing to do.
    env.take_calls();
    with("apply", &s3, &["--no-verify"]).assert_code(0);
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());
    let run = verify();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    // --exclusive narrows to the integrations named: plan shows the principal going.
    let run = with("plan", &s3, &["--exclusive", "--output", "json"]);
    run.assert_code(0);
    let plan: serde_json::Value = run.json();
    let diffs: String = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["diff"].as_str())
        .collect();
    assert!(
        diffs.contains(&format!("-  {TENANT}"))
            || diffs
                .lines()
                .any(|l| l.starts_with('-') && l.contains(TENANT)),
        "{plan}"
    );

    // Teardown of s3 only: its policy and its principal go, Glue keeps working.
    let run = env.onboard(&[
        "teardown",
        "--vendor",
        "streamkap",
        "--integration",
        "s3",
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let (t, a) = (trust(), attached());
    assert!(!t.contains(ROOT) && t.contains(TENANT), "{t}");
    assert!(
        !a.contains("StreamkapS3Access") && a.contains("StreamkapGlueAccess"),
        "{a}"
    );
    assert!(!env.policy_names().contains(&"StreamkapS3Access".to_owned()));
    let run = verify();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    // The last integration takes the role with it.
    let run = env.onboard(&[
        "teardown",
        "--vendor",
        "streamkap",
        "--integration",
        "glue",
        "--yes",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    env.assert_empty();
}
