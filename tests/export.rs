//! `onboard export`: no AWS call and no credentials; the CloudFormation templates pass cfn-lint;
//! deployed on moto's CloudFormation they create the policies and trust apply creates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use onboard::{canonical, decode_document};
use serde_json::Value;

use crate::harness::output::TeardownOutput;
use crate::harness::{Env, catalog_cases, cfn_lint, sorted, xml_values};

fn export(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let run = env.onboard_without_credentials(&all);
    run.assert_code(0);
    run.stdout.clone()
}

#[test]
fn export_makes_no_aws_call_and_needs_no_credentials() {
    let env = Env::start();
    let args = ["--vendor", "streamkap", "--integration", "s3"];
    let template: Value = serde_json::from_str(&export(
        &env,
        &[&args[..], &["--format", "cloudformation"]].concat(),
    ))
    .unwrap();
    assert_eq!(
        template["Resources"]["StreamkapConnectorAccess"]["Type"],
        "AWS::IAM::Role"
    );
    // The bucket was not given: the deployer must fill it in.
    assert_eq!(template["Parameters"]["Bucket"].get("Default"), None);
    let hcl = export(&env, &[&args[..], &["--format", "terraform"]].concat());
    assert!(
        hcl.contains("resource \"aws_iam_role\" \"streamkap_connector_access\""),
        "{hcl}"
    );
    // Every AWS call would have gone through the counting proxy.
    assert_eq!(env.take_calls(), Vec::<String>::new());

    // --output-file writes the same text as stdout.
    let path = env.temp_path("template.json");
    let path_text = path.to_str().unwrap();
    let run = env.onboard_without_credentials(&[
        "export",
        "--vendor",
        "streamkap",
        "--integration",
        "s3",
        "--format",
        "terraform",
        "--output-file",
        path_text,
    ]);
    run.assert_code(0);
    assert_eq!(run.stdout, "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), hcl);
}

#[test]
fn bad_input_is_refused_before_anything_is_written() {
    let env = Env::start();
    let path = env.temp_path("out.json");
    let path_text = path.to_str().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--integration", "s3", "--param", "bucket=Bad_Bucket"],
            "--param bucket=Bad_Bucket is not valid",
        ),
        (
            &["--integration", "s3", "--external-id", "a"],
            "external ID 'a' is 1 characters",
        ),
        (
            &["--max-session-duration", "60"],
            "--max-session-duration 60 is out of range",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec![
            "export",
            "--vendor",
            "streamkap",
            "--format",
            "cloudformation",
            "--output-file",
            path_text,
        ];
        all.extend_from_slice(args);
        let run = env.onboard_without_credentials(&all);
        run.assert_code(2);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(!path.exists(), "{args:?} wrote a file");
    }
    let run = env.onboard_without_credentials(&["export", "--vendor", "streamkap"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--format"), "{}", run.stderr);
}

/// Every built-in integration of every vendor exported in `format`, twice: with the flags apply
/// takes (values become defaults) and with none (every value becomes an input without default).
/// Returns the files written, named for what they hold.
fn export_every_integration(env: &Env, format: &str, extension: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for case in catalog_cases() {
        let plain = [
            "--vendor",
            case.vendor.as_str(),
            "--integration",
            case.integration.as_str(),
        ];
        let mut given: Vec<&str> = case.flags.iter().map(String::as_str).collect();
        given.extend(["--format", format]);
        let variants = [
            ("given", given),
            ("inputs", [&plain[..], &["--format", format]].concat()),
        ];
        for (variant, args) in variants {
            let path = env.temp_path(&format!(
                "{}-{}-{variant}.{extension}",
                case.vendor, case.integration
            ));
            std::fs::write(&path, export(env, &args)).unwrap();
            files.push(path);
        }
    }
    files
}

#[test]
fn cfn_lint_accepts_every_builtin_template_with_no_rule_ignored() {
    let env = Env::start();
    let files = export_every_integration(&env, "cloudformation", "json");
    // One cfn-lint run over every template: it starts slowly.
    assert_passes("cfn-lint", Command::new(cfn_lint()).args(&files));
}

#[test]
fn every_terraform_export_is_in_terraform_fmt_form() {
    let Some(terraform) = which("terraform") else {
        // Without terraform, the unit tests of the alignment rule (src/export/terraform_fmt.rs)
        // still run.
        eprintln!("terraform is not on PATH: terraform fmt -check skipped");
        return;
    };
    let env = Env::start();
    let files = export_every_integration(&env, "terraform", "tf");
    let mut command = Command::new(terraform);
    command
        .args(["fmt", "-check", "-diff", "-no-color"])
        .args(&files);
    assert_passes("terraform fmt -check", &mut command);
}

/// Runs a checker and fails with what it printed unless it exits 0.
fn assert_passes(checker: &str, command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{checker} runs: {e}"));
    assert!(
        output.status.success(),
        "{checker}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `program` on PATH, if it is there.
fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// What the account holds, read with raw IAM calls: documents in canonical form.
#[derive(Debug, PartialEq)]
struct Iam {
    /// Policy name -> document.
    policies: BTreeMap<String, Value>,
    roles: BTreeMap<String, Role>,
    /// Instance profile name -> role names.
    instance_profiles: BTreeMap<String, Vec<String>>,
}

/// A role as read back: trust, max session duration, tags sorted.
#[derive(Debug, PartialEq)]
struct Role {
    trust: Value,
    max_session_duration: String,
    tags: Vec<(String, String)>,
}

fn document(xml: &str, tag: &str) -> Value {
    let text = &xml_values(xml, tag)[0];
    canonical(&decode_document(text).unwrap())
}

fn read_iam(env: &Env) -> Iam {
    let mut policies = BTreeMap::new();
    let list = env.iam(&[("Action", "ListPolicies"), ("Scope", "Local")]);
    for (name, arn) in xml_values(&list, "PolicyName")
        .into_iter()
        .zip(xml_values(&list, "Arn"))
    {
        let policy = env.iam(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]);
        let version = &xml_values(&policy, "DefaultVersionId")[0];
        let version = env.iam(&[
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", &arn),
            ("VersionId", version),
        ]);
        policies.insert(name, document(&version, "Document"));
    }
    let mut roles = BTreeMap::new();
    for name in env.role_names() {
        let role = env.iam(&[("Action", "GetRole"), ("RoleName", &name)]);
        let tags = env.iam(&[("Action", "ListRoleTags"), ("RoleName", &name)]);
        let tags: Vec<(String, String)> = xml_values(&tags, "Key")
            .into_iter()
            .zip(xml_values(&tags, "Value"))
            .collect();
        let duration = xml_values(&role, "MaxSessionDuration")[0].clone();
        roles.insert(
            name,
            Role {
                trust: document(&role, "AssumeRolePolicyDocument"),
                max_session_duration: duration,
                tags: sorted_pairs(tags),
            },
        );
    }
    let mut instance_profiles = BTreeMap::new();
    for name in env.instance_profile_names() {
        let profile = env.iam(&[
            ("Action", "GetInstanceProfile"),
            ("InstanceProfileName", &name),
        ]);
        instance_profiles.insert(name, sorted(xml_values(&profile, "RoleName")));
    }
    Iam {
        policies,
        roles,
        instance_profiles,
    }
}

fn sorted_pairs(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

/// Creates a stack from `template` with `parameters` and waits for its outcome (moto creates
/// it within the call); returns DescribeStacks' answer.
fn create_stack(env: &Env, name: &str, template: &str, parameters: &[(&str, &str)]) -> String {
    let mut params: Vec<(String, String)> = vec![
        ("Action".into(), "CreateStack".into()),
        ("StackName".into(), name.into()),
        ("TemplateBody".into(), template.into()),
        (
            "Capabilities.member.1".into(),
            "CAPABILITY_NAMED_IAM".into(),
        ),
    ];
    for (i, (key, value)) in parameters.iter().enumerate() {
        let n = i + 1;
        params.push((
            format!("Parameters.member.{n}.ParameterKey"),
            key.to_string(),
        ));
        params.push((
            format!("Parameters.member.{n}.ParameterValue"),
            value.to_string(),
        ));
    }
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.cloudformation(&params);
    env.cloudformation(&[("Action", "DescribeStacks"), ("StackName", name)])
}

/// The template deployed on moto's CloudFormation creates the policies, trust policies, session
/// durations, role tags and instance profiles `onboard apply` creates with the same flags.
#[test]
fn a_deployed_template_creates_what_apply_creates() {
    // Vendor, integration, its parameters for apply, the same for the stack.
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static [(&'static str, &'static str)],
    );
    let cases: [Case; 3] = [
        // The page's trust has no condition; --external-id adds it, in the template as well.
        ("streamkap", "byoc", &[], &[]),
        (
            "streamkap",
            "s3",
            &[("bucket", "example-bucket")],
            &[("Bucket", "example-bucket")],
        ),
        (
            "upsolver",
            "my-vpc",
            &[("org-id", "org42"), ("region", "us-east-1")],
            &[("OrgId", "org42"), ("Region", "us-east-1")],
        ),
    ];
    for (vendor, integration, params, stack_params) in cases {
        let env = Env::start();
        let mut flags = vec![
            "--vendor",
            vendor,
            "--integration",
            integration,
            "--path",
            "/vendors/",
            "--tag",
            "team=data",
            "--max-session-duration",
            "7200",
        ];
        let param_flags: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for flag in &param_flags {
            flags.extend(["--param", flag]);
        }
        let mut apply = vec!["apply", "--no-verify", "--external-id", "xid-42"];
        apply.extend_from_slice(&flags);
        env.onboard(&apply).assert_code(0);
        let applied = read_iam(&env);
        env.onboard(&["teardown", "--yes"]).assert_code(0);
        env.assert_empty();

        // The parameters are left to the stack, the external ID as well.
        let mut export_args = flags.clone();
        export_args.retain(|a| !param_flags.iter().any(|p| p == a));
        export_args.retain(|a| *a != "--param");
        // The stack's parameter overrides the default.
        export_args.extend(["--format", "cloudformation", "--external-id", "default-id"]);
        let template = self::export(&env, &export_args);
        let mut stack_params = stack_params.to_vec();
        stack_params.push(("ExternalId", "xid-42"));
        let stack = create_stack(&env, "onboard-export", &template, &stack_params);
        assert_eq!(
            xml_values(&stack, "StackStatus"),
            ["CREATE_COMPLETE"],
            "{stack}"
        );
        let deployed = read_iam(&env);
        assert!(!deployed.roles.is_empty(), "{vendor}: no role");
        // The same, except that the stack, not onboard, manages what it created.
        let mut expected = applied;
        for role in expected.roles.values_mut() {
            for (key, value) in &mut role.tags {
                if key == "managed-by" {
                    *value = "cloudformation".to_owned();
                }
            }
        }
        assert_eq!(deployed, expected, "{vendor} {integration}");

        // So onboard leaves the stack's resources alone: teardown deletes none of them, and
        // apply does not take them over.
        let run = env.onboard(&["teardown", "--yes", "--output", "json"]);
        run.assert_code(0);
        let teardown: TeardownOutput = run.json();
        assert_eq!(teardown.removed, Vec::<String>::new());
        for role in deployed.roles.keys() {
            let kept = teardown
                .kept
                .iter()
                .find(|k| k.kind == "role" && &k.name == role);
            let kept = kept.unwrap_or_else(|| panic!("{role} not kept: {:?}", teardown.kept));
            assert!(
                kept.reason.contains("managed-by=onboard"),
                "{}",
                kept.reason
            );
        }
        assert_eq!(read_iam(&env), deployed);
        let run = env.onboard(&apply);
        run.assert_code(1);
        assert!(
            run.stderr.contains("was not created by onboard"),
            "{}",
            run.stderr
        );
        assert_eq!(read_iam(&env), deployed);
        let outputs = xml_values(&stack, "OutputValue");
        assert!(
            outputs.contains(&"xid-42".to_owned()),
            "{vendor}: {outputs:?}"
        );
        let role = deployed.roles.keys().next().unwrap();
        assert!(
            outputs
                .iter()
                .any(|o| o.ends_with(&format!(":role/vendors/{role}"))),
            "{vendor}: {outputs:?}"
        );
    }
}
