//! `onboard lint` (offline), apply and plan refusing documents with lint errors, and
//! `--external-id` for a trust policy without an external ID condition (Streamkap BYOC).

use serde_json::Value;

use crate::harness::output::{ApplyOutput, PlanOutput};
use crate::harness::{Env, xml_values};

const TYPO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/catalog-unknown-action.json"
);
const BYOC_ROLE: &str = "StreamkapInstallAccess";

/// The codes of the findings in `lint --output json`.
fn codes(json: &Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn lint_reports_findings_offline_with_exit_codes() {
    let env = Env::start();

    // BYOC: valid, but its role trusts Streamkap's account without an external ID.
    let run = env.onboard(&["lint", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let json: Value = run.json();
    assert_eq!(json["vendor"], "streamkap");
    assert_eq!(json["integration"], "byoc");
    assert_eq!(json["errors"], 0);
    let deputy = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "no-external-id")
        .expect("BYOC's trust has no external ID");
    assert_eq!(deputy["severity"], "security");
    assert_eq!(deputy["resource"], BYOC_ROLE);
    assert_eq!(deputy["document"], "trust");
    assert_eq!(deputy["statement"]["index"], 0);

    // With the external ID the vendor gives, apply would add the condition: no more warning.
    let run = env.onboard(&[
        "lint",
        "--vendor",
        "streamkap",
        "--external-id",
        "streamkap-given-id",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let json: Value = run.json();
    assert!(
        !codes(&json).iter().any(|(_, c)| c == "no-external-id"),
        "{json:#}"
    );
    assert_eq!(json["security_warnings"], codes(&json).len());

    // A misspelt action is an error: exit 1, one line per finding and a summary.
    let run = env.onboard(&[
        "lint",
        "--catalog-file",
        TYPO,
        "--param",
        "bucket=acme-data",
    ]);
    run.assert_code(1);
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "error     policy AcmeReadBucket statement 1: action 's3:GetObjekt' matches no action of \
             its service: check the spelling against the Service Authorization Reference",
            "acme-typo read-bucket: 1 error(s), 0 security warning(s), 0 warning(s)",
        ]
    );

    // Neither --vendor nor --catalog-file: a usage error.
    let run = env.onboard(&["lint"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--vendor"), "{}", run.stderr);
    let run = env.onboard(&["lint", "--vendor", "streamkap", "--account", "12345"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("'12345' is not an AWS account id: give 12 digits"),
        "{}",
        run.stderr
    );

    // Lint never talks to AWS.
    assert_eq!(env.take_calls(), Vec::<String>::new());
}

#[test]
fn apply_plan_and_export_refuse_documents_with_lint_errors_before_any_call() {
    let env = Env::start();
    let template = env.temp_path("template.json");
    for command in ["apply", "plan", "export"] {
        let mut args = vec![
            command,
            "--catalog-file",
            TYPO,
            "--param",
            "bucket=acme-data",
        ];
        if command == "export" {
            let path = template.to_str().unwrap();
            args.extend(["--format", "cloudformation", "--output-file", path]);
        }
        let run = env.onboard(&args);
        run.assert_code(2);
        assert_eq!(
            run.stderr.trim(),
            "error: acme-typo read-bucket: lint found 1 error(s) in the documents, so nothing was \
             done: policy AcmeReadBucket statement 1: action 's3:GetObjekt' matches no action of \
             its service: check the spelling against the Service Authorization Reference \
             (onboard lint lists every finding)",
            "{command}"
        );
        assert_eq!(run.stdout, "", "{command}");
        assert_eq!(env.take_calls(), Vec::<String>::new(), "{command}");
    }
    assert!(!template.exists());
    env.assert_empty();
}

/// The trust policy of BYOC's role, read back from moto.
fn byoc_trust(env: &Env) -> Value {
    let role = env.iam(&[("Action", "GetRole"), ("RoleName", BYOC_ROLE)]);
    let encoded = &xml_values(&role, "AssumeRolePolicyDocument")[0];
    let text = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn byoc_takes_an_external_id_and_keeps_it() {
    let env = Env::start();

    // Without one, apply works as before and warns on stderr, not on stdout: one line that
    // points to onboard lint.
    let run = env.onboard(&["apply", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let lint_lines: Vec<&str> = run.stderr.lines().filter(|l| l.contains("lint:")).collect();
    assert_eq!(lint_lines.len(), 1, "{}", run.stderr);
    assert!(
        lint_lines[0].contains(
            "lint: 9 security warnings in the documents: \
             onboard lint --vendor streamkap --integration byoc lists them"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("lint:"), "{}", run.stdout);
    let out: ApplyOutput = run.json();
    assert_eq!(out.external_id, None);
    assert_eq!(byoc_trust(&env)["Statement"][0].get("Condition"), None);

    // With --external-id the condition is added to the trust of the existing role.
    env.take_calls();
    let run = env.onboard(&[
        "apply",
        "--vendor",
        "streamkap",
        "--external-id",
        "streamkap-given-id",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    // One warning fewer: the vendor's principal needs the external ID now.
    assert!(
        run.stderr
            .contains("lint: 8 security warnings in the documents"),
        "{}",
        run.stderr
    );
    let out: ApplyOutput = run.json();
    assert_eq!(out.external_id.as_deref(), Some("streamkap-given-id"));
    assert!(!out.external_id_generated);
    assert!(out.verifications.iter().all(|v| v.passed));
    assert_eq!(
        Env::writes(&env.take_calls()),
        ["UpdateAssumeRolePolicy"],
        "only the trust policy changes"
    );
    let trust = byoc_trust(&env);
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], "streamkap-given-id",
        "{trust:#}"
    );

    // Later runs without the flag keep it: plan shows nothing to do, apply writes nothing.
    let run = env.onboard(&["plan", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let plan: PlanOutput = run.json();
    assert!(!plan.pending, "{}", run.stdout);
    assert_eq!(plan.external_id.as_deref(), Some("streamkap-given-id"));
    let run = env.onboard(&["apply", "--vendor", "streamkap", "--output", "json"]);
    run.assert_code(0);
    let out: ApplyOutput = run.json();
    assert_eq!(out.external_id.as_deref(), Some("streamkap-given-id"));
    assert!(!out.changed);
    assert_eq!(Env::writes(&env.take_calls()), Vec::<String>::new());

    // verify compares with the catalog plus the condition, and passes with the ID.
    let arn = out.role_arn.unwrap();
    let run = env.onboard(&[
        "verify",
        "--role-arn",
        &arn,
        "--external-id",
        "streamkap-given-id",
    ]);
    run.assert_code(0);
}
