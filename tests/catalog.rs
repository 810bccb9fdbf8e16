//! `catalog list`, `catalog show` (no AWS call), and vendors from a catalog file.

use crate::harness::Env;
use crate::harness::output::{ApplyOutput, VendorListing};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/my-vendor.json");

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn catalog_list_names_every_vendor_integration_and_source() {
    let env = Env::start();
    let run = env.onboard(&["catalog", "list", "--output", "json"]);
    run.assert_code(0);
    let vendors: Vec<VendorListing> = run.json();
    let names: Vec<&str> = vendors.iter().map(|v| v.vendor.as_str()).collect();
    assert_eq!(
        names,
        ["kubermatic", "stream-manager", "streamkap", "upsolver"]
    );
    let streamkap = &vendors[2];
    assert_eq!(streamkap.display_name, "Streamkap");
    let integrations: Vec<(&str, bool)> = streamkap
        .integrations
        .iter()
        .map(|i| (i.name.as_str(), i.default))
        .collect();
    assert_eq!(
        integrations,
        [
            ("byoc", true),
            ("glue", false),
            ("redshift", false),
            ("s3", false)
        ]
    );
    let s3 = &streamkap.integrations[3];
    assert_eq!(s3.parameters, ["bucket", "prefix", "kms-key-arn"]);
    assert_eq!(
        s3.source.seed.as_deref(),
        Some("streamkap-cross-account.txt")
    );
    assert!(s3.source.title.contains("cross-account") && !s3.description.is_empty());
    for vendor in &vendors {
        for integration in &vendor.integrations {
            assert!(
                integration.source.seed.is_some(),
                "{} {}",
                vendor.vendor,
                integration.name
            );
        }
    }
    assert_eq!(env.take_calls(), Vec::<String>::new());
}

#[test]
fn catalog_show_prints_the_rendered_documents_without_any_aws_call() {
    let env = Env::start();
    let run = env.onboard(&[
        "catalog",
        "show",
        "streamkap",
        "--integration",
        "s3",
        "--param",
        "bucket=cdc-bucket",
    ]);
    run.assert_code(0);
    assert!(
        run.stdout.contains(
            "# policy StreamkapS3Access (arn:aws:iam::${AccountId}:policy/StreamkapS3Access)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"arn:aws:s3:::cdc-bucket/*\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"sts:ExternalId\": \"${ExternalId}\""),
        "{}",
        run.stdout
    );

    let run = env.onboard(&[
        "catalog",
        "show",
        "upsolver",
        "--param",
        "org-id=org42",
        "--account",
        "123456789012",
        "--external-id",
        "ext-1",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let desired: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        desired["roles"][0]["arn"],
        "arn:aws:iam::123456789012:role/UpsolverManagementRole"
    );
    assert_eq!(desired["external_id"], "ext-1");
    let server_policy = desired["policies"][1]["document"].to_string();
    assert!(
        server_policy.contains("arn:aws:s3:::eu-west-1-upsolver-org42"),
        "{server_policy}"
    );
    assert_eq!(
        env.take_calls(),
        Vec::<String>::new(),
        "catalog show calls no AWS API"
    );
}

/// An external ID the customer chooses (`"issued_by": "customer"`): generated when not given
/// (64 hex characters), required of the vendor's principal, and kept by the next apply.
#[test]
fn a_customer_chosen_external_id_is_generated_once_and_kept() {
    let env = Env::start();
    let args = [
        "apply",
        "--catalog-file",
        EXAMPLE,
        "--param",
        "bucket=acme-data",
        "--output",
        "json",
        "--no-verify",
    ];
    let run = env.onboard(&args);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    let id = out.external_id.expect("the example takes an external ID");
    assert!(out.external_id_generated);
    assert!(
        id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    let role = env.iam(&[("Action", "GetRole"), ("RoleName", "AcmeAccess")]);
    assert_eq!(role.matches(&id).count(), 1, "{role}");
    let run = env.onboard(&args);
    run.assert_code(0);
    let again: ApplyOutput = run.json();
    assert_eq!(again.external_id.as_deref(), Some(id.as_str()));
    assert!(!again.external_id_generated && !again.changed);
}

#[test]
fn a_vendor_from_a_catalog_file_applies_verifies_and_tears_down() {
    let env = Env::start();
    let flags = [
        "--catalog-file",
        EXAMPLE,
        "--param",
        "bucket=acme-data",
        "--external-id",
        "acme-ext-1",
    ];
    let args: Vec<&str> = ["apply", "--output", "json"]
        .into_iter()
        .chain(flags)
        .collect();
    let run = env.onboard(&args);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(out.vendor, "acme-analytics");
    assert_eq!(
        out.role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/AcmeAccess")
    );
    assert!(out.verifications[0].passed);
    let role = env.iam(&[("Action", "GetRole"), ("RoleName", "AcmeAccess")]);
    assert!(
        role.contains("<MaxSessionDuration>7200</MaxSessionDuration>"),
        "{role}"
    );
    env.take_calls();
    let run = env.onboard(&args);
    run.assert_code(0);
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());

    let run = env.onboard(&[
        "verify",
        "--role-arn",
        "arn:aws:iam::123456789012:role/AcmeAccess",
        "--catalog-file",
        EXAMPLE,
    ]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("pass     policy AcmeReadBucket matches the catalog"),
        "{}",
        run.stdout
    );
    // Without the file, verify says there is no built-in entry to compare with.
    let run = env.onboard(&[
        "verify",
        "--role-arn",
        "arn:aws:iam::123456789012:role/AcmeAccess",
    ]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("expected catalog comparison: unknown vendor 'acme-analytics'"),
        "{}",
        run.stdout
    );

    let run = env.onboard(&["teardown", "--vendor", "acme-analytics", "--yes"]);
    run.assert_code(0);
    env.assert_empty();
}

#[test]
fn a_malformed_catalog_file_names_the_field_and_nothing_is_called() {
    let env = Env::start();
    let cases = [
        (
            "catalog-missing-document.json",
            "integrations.read-bucket.policies[0]: missing field `document`",
        ),
        (
            "catalog-undefined-policy.json",
            "integrations.read-bucket.roles.AcmeAccess: policy 'NoSuchPolicy' is not defined",
        ),
        (
            "catalog-bad-kind.json",
            "integrations.read-bucket.parameters[0].kind: unknown variant `bucket`",
        ),
    ];
    for (file, message) in cases {
        let path = fixture(file);
        let run = env.onboard(&[
            "apply",
            "--catalog-file",
            &path,
            "--param",
            "bucket=b-1",
            "--external-id",
            "ab",
        ]);
        run.assert_code(2);
        let expected = format!("error: catalog file {path}: {message}");
        assert!(
            run.stderr.trim().starts_with(&expected),
            "{file}:\n{}\nwanted {expected}",
            run.stderr
        );
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
    let missing = fixture("no-such-file.json");
    let run = env.onboard(&["apply", "--catalog-file", &missing]);
    run.assert_code(2);
    assert!(
        run.stderr
            .starts_with(&format!("error: catalog file {missing}: cannot read it")),
        "{}",
        run.stderr
    );
    assert_eq!(env.take_calls(), Vec::<String>::new());
}

/// `catalog show` says plainly when an integration is administrator-equivalent, and for BYOC
/// that it belongs in a dedicated account; a connector gets no such warning.
#[test]
fn catalog_show_says_when_an_integration_is_administrator_equivalent() {
    let env = Env::start();
    let run = env.onboard(&["catalog", "show", "streamkap"]);
    run.assert_code(0);
    let first: Vec<&str> = run.stdout.lines().take(2).collect();
    assert!(
        first[0].starts_with(
            "# WARNING: ADMINISTRATOR-EQUIVALENT: StreamkapInstallAccess can make itself administrator \
             of the account (Rhino Security Labs method 1, "
        ),
        "{}",
        run.stdout
    );
    assert!(
        first[1]
            .starts_with("# Apply it in a dedicated account, as the vendor asks: Streamkap's page"),
        "{}",
        run.stdout
    );
    let run = env.onboard(&["catalog", "show", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let shown: serde_json::Value = run.json();
    assert_eq!(
        shown["administrator_equivalent"][0]["principal"],
        "StreamkapInstallAccess"
    );
    assert!(shown["dedicated_account"].is_string());
    assert_eq!(shown["roles"][0]["name"], "StreamkapInstallAccess");

    let run = env.onboard(&[
        "catalog",
        "show",
        "streamkap",
        "--integration",
        "s3",
        "--param",
        "bucket=b-1",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let shown: serde_json::Value = run.json();
    assert!(shown.get("administrator_equivalent").is_none(), "{shown}");
    assert!(!run.stdout.contains("ADMINISTRATOR"));
    assert_eq!(env.take_calls(), Vec::<String>::new());
}

/// `catalog import`: Streamkap's BYOC template becomes a catalog file without any AWS call;
/// apply with it creates what the built-in entry creates, verify passes, teardown removes it.
/// A template that is neither JSON nor YAML is refused on one line.
#[test]
fn an_imported_template_applies_like_the_builtin_entry() {
    let env = Env::start();
    let template = fixture("streamkap-byoc-template.yaml");
    let path = env.temp_path("imported.json");
    let file = path.to_str().unwrap();
    let run = env.onboard(&[
        "catalog",
        "import",
        &template,
        "--vendor",
        "streamkap-cfn",
        "--integration",
        "byoc",
        "--output-file",
        file,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        env.take_calls(),
        Vec::<String>::new(),
        "import calls no AWS API"
    );
    let entry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(entry["vendor"], "streamkap-cfn");
    assert!(
        entry["integrations"]["byoc"].get("note").is_none(),
        "nothing left out"
    );

    let run = env.onboard(&["apply", "--catalog-file", file, "--output", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out: ApplyOutput = run.json();
    assert_eq!(
        out.role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/StreamkapInstallAccess")
    );
    assert!(out.verifications.iter().all(|v| v.passed));
    let mut policies = env.policy_names();
    policies.sort();
    assert_eq!(
        policies,
        ["StreamkapDeprovisionAccess", "StreamkapProvisionAccess"]
    );
    env.onboard(&["teardown", "--vendor", "streamkap-cfn", "--yes"])
        .assert_code(0);
    env.assert_empty();

    let bad = env.temp_path("bad.yaml");
    std::fs::write(&bad, "Resources: [unclosed").unwrap();
    let run = env.onboard(&["catalog", "import", bad.to_str().unwrap(), "--vendor", "x"]);
    run.assert_code(2);
    assert!(
        run.stderr.trim().starts_with(&format!(
            "error: template {}: neither JSON nor YAML",
            bad.display()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1);

    // An entry that would not pass lint is refused, and says why.
    let typo = env.temp_path("typo.json");
    std::fs::write(
        &typo,
        serde_json::json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "R",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [{"Ref": "P"}]}},
            "P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}}}}})
        .to_string(),
    )
    .unwrap();
    let out = env.temp_path("typo-entry.json");
    let run = env.onboard(&[
        "catalog",
        "import",
        typo.to_str().unwrap(),
        "--vendor",
        "x",
        "--output-file",
        out.to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("s3:GetObjekt"), "{}", run.stderr);
    assert!(!out.exists(), "nothing written");
}

/// Inline policies (what `catalog import` carries from a role's `Policies`) are handled like
/// managed ones: apply writes them, verify checks them, a second apply writes nothing, an
/// edit behind onboard's back fails verify until apply repairs it, teardown removes them.
#[test]
fn inline_policies_apply_verify_repair_and_tear_down() {
    let env = Env::start();
    let entry = serde_json::json!({
        "vendor": "acme-inline",
        "display_name": "Acme",
        "default_integration": "read",
        "integrations": {"read": {
            "description": "reads one bucket through an inline policy",
            "source": {"title": "test"},
            "parameters": [{"name": "bucket", "description": "the bucket", "kind": "s3-bucket"}],
            "roles": [{
                "id": "AcmeInline", "name": "AcmeInline", "description": "Acme",
                "trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "inline_policies": [{"name": "ReadBucket", "document": {
                    "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": "s3:GetObject", "Resource": "arn:${Partition}:s3:::${bucket}/*"}]}}]
            }]
        }}
    });
    let path = env.temp_path("inline.json");
    std::fs::write(&path, entry.to_string()).unwrap();
    let file = path.to_str().unwrap();
    let apply = || {
        env.onboard(&[
            "apply",
            "--catalog-file",
            file,
            "--param",
            "bucket=acme-data",
            "--output",
            "json",
        ])
    };
    let verify = || {
        env.onboard(&[
            "verify",
            "--role-arn",
            "arn:aws:iam::123456789012:role/AcmeInline",
            "--catalog-file",
            file,
        ])
    };
    let run = apply();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out: ApplyOutput = run.json();
    assert!(
        out.changes
            .iter()
            .any(|c| c.contains("inline policy ReadBucket of role AcmeInline")),
        "{:?}",
        out.changes
    );
    let read = env.iam(&[
        ("Action", "GetRolePolicy"),
        ("RoleName", "AcmeInline"),
        ("PolicyName", "ReadBucket"),
    ]);
    assert!(read.contains("acme-data"), "{read}");
    let run = verify();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("inline policy ReadBucket matches the catalog"),
        "{}",
        run.stdout
    );
    env.take_calls();
    apply().assert_code(0);
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());

    // Edited behind onboard's back: verify fails, apply repairs.
    env.iam(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "AcmeInline"),
        ("PolicyName", "ReadBucket"),
        (
            "PolicyDocument",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        ),
    ]);
    let run = verify();
    assert_ne!(run.code, 0, "{}", run.stdout);
    let run = apply();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    verify().assert_code(0);

    env.onboard(&["teardown", "--vendor", "acme-inline", "--yes"])
        .assert_code(0);
    env.assert_empty();
}
