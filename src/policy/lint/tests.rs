use serde_json::json;

use super::*;
use crate::catalog::render::tests::params;
use crate::catalog::{RenderContext, builtin_vendors, load_builtin, render};
use crate::state::{DesiredPolicy, DesiredRole};

const ACCOUNT: &str = "123456789012";

fn desired(policies: Vec<Value>, trusts: Vec<Value>) -> Desired {
    Desired {
        vendor: "test".into(),
        integration: "one".into(),
        account: ACCOUNT.into(),
        partition: "aws".into(),
        external_id: None,
        policies: policies
            .into_iter()
            .enumerate()
            .map(|(i, document)| DesiredPolicy {
                id: format!("P{i}"),
                name: format!("P{i}"),
                path: "/".into(),
                arn: format!("arn:aws:iam::{ACCOUNT}:policy/P{i}"),
                description: String::new(),
                document,
                tags: vec![],
            })
            .collect(),
        roles: trusts
            .into_iter()
            .enumerate()
            .map(|(i, trust)| DesiredRole {
                id: format!("R{i}"),
                name: format!("R{i}"),
                path: "/".into(),
                arn: format!("arn:aws:iam::{ACCOUNT}:role/R{i}"),
                description: String::new(),
                trust,
                max_session_duration: 3600,
                permissions_boundary: None,
                policy_arns: vec![],
                instance_profile: false,
                tags: vec![],
                inline_policies: vec![],
            })
            .collect(),
        users: vec![],
    }
}

/// (severity, code) of each finding.
fn codes(findings: &[Finding]) -> Vec<(Severity, &'static str)> {
    findings.iter().map(|f| (f.severity, f.code)).collect()
}

/// A table row: what the case is, the document, and the (severity, code) of each finding.
type Case = (&'static str, Value, Vec<(Severity, &'static str)>);

#[allow(clippy::needless_pass_by_value, reason = "called with json! literals")]
fn policy(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

#[test]
fn policy_statements_are_checked() {
    use Severity::{Error, Security, Warning};
    let cases: Vec<Case> = vec![
        (
            "known actions on named resources",
            json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}),
            vec![],
        ),
        (
            "reads and lists on any resource",
            json!({"Effect": "Allow", "Action": ["ec2:Describe*", "s3:ListAllMyBuckets", "s3:GetObject"], "Resource": "*"}),
            vec![],
        ),
        (
            "Allow with NotResource",
            json!({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}),
            vec![(Security, "allow-not-resource")],
        ),
        (
            "Deny with NotResource is a guard, not a grant",
            json!({"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/*"}),
            vec![],
        ),
        (
            "wildcards and case are as IAM's",
            json!({"Effect": "Allow", "Action": ["S3:getobject", "s3:Get*Tagging", "s3:?etObject"], "Resource": "arn:aws:s3:::b/*"}),
            vec![],
        ),
        (
            "writes without resource types on any resource",
            json!({"Effect": "Allow", "Action": ["ec2:AssociateTrunkInterface", "ec2:DescribeVpcs"], "Resource": "*"}),
            vec![],
        ),
        (
            "unknown action",
            json!({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"}),
            vec![(Error, "unknown-action")],
        ),
        (
            "unknown service",
            json!({"Effect": "Allow", "Action": "s4:GetObject", "Resource": "*"}),
            vec![(Error, "unknown-action")],
        ),
        (
            "wildcard matching nothing",
            json!({"Effect": "Allow", "Action": "s3:Fly*", "Resource": "*"}),
            vec![(Error, "unknown-action")],
        ),
        (
            "not service:action",
            json!({"Effect": "Allow", "Action": ["GetObject", 7], "Resource": "*"}),
            vec![(Error, "unknown-action"), (Error, "malformed-action")],
        ),
        (
            "unknown action in NotAction, on a Deny",
            json!({"Effect": "Deny", "NotAction": "iam:Nope", "Resource": "*"}),
            vec![(Error, "unknown-action")],
        ),
        (
            "bad effect",
            json!({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}),
            vec![(Error, "effect")],
        ),
        (
            "write action that takes a resource, on any resource",
            json!({"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*"}),
            vec![(Security, "write-on-any-resource")],
        ),
        (
            "permissions management on any resource",
            json!({"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": ["*"]}),
            vec![(Security, "write-on-any-resource")],
        ),
        (
            "service wildcard on any resource",
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
            vec![(Security, "write-on-any-resource")],
        ),
        (
            "PassRole on any resource",
            json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
            vec![(Security, "pass-role-any-resource")],
        ),
        (
            "PassRole through a wildcard, with other writes",
            json!({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
            vec![
                (Security, "pass-role-any-resource"),
                (Security, "write-on-any-resource"),
            ],
        ),
        (
            "PassRole on named roles",
            json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/x"}),
            vec![],
        ),
        (
            "writes on any resource, denied",
            json!({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}),
            vec![],
        ),
        (
            "Allow with NotAction",
            json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}),
            vec![(Security, "allow-not-action")],
        ),
        (
            "duplicate action",
            json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:getobject"], "Resource": "arn:aws:s3:::b/*"}),
            vec![(Warning, "duplicate-action")],
        ),
    ];
    for (name, statement, expected) in cases {
        let findings = lint(&desired(vec![policy(statement)], vec![]));
        assert_eq!(codes(&findings), expected, "{name}: {findings:#?}");
    }
}

#[test]
fn trust_statements_are_checked() {
    use Severity::{Error, Security};
    let assume = |principal: Value, condition: Option<Value>| {
        let mut statement =
            json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        policy(statement)
    };
    let external_id = || Some(json!({"StringEquals": {"sts:ExternalId": "x-123"}}));
    let cases: Vec<Case> = vec![
        (
            "third party with an external ID",
            assume(
                json!({"AWS": "arn:aws:iam::300973880807:root"}),
                external_id(),
            ),
            vec![],
        ),
        (
            "third party without an external ID",
            assume(
                json!({"AWS": "arn:aws:iam::300973880807:role/installer"}),
                None,
            ),
            vec![(Security, "no-external-id")],
        ),
        (
            "third party by account id, other condition only",
            assume(
                json!({"AWS": ["300973880807"]}),
                Some(json!({"Bool": {"aws:SecureTransport": "true"}})),
            ),
            vec![(Security, "no-external-id")],
        ),
        (
            "the role's own account",
            assume(json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}), None),
            vec![],
        ),
        (
            "a service",
            assume(json!({"Service": "ec2.amazonaws.com"}), None),
            vec![],
        ),
        (
            "anyone, unconditioned",
            assume(json!("*"), None),
            vec![(Error, "public-principal")],
        ),
        (
            "anyone by AWS, conditioned",
            assume(
                json!({"AWS": "*"}),
                Some(json!({"StringEquals": {"aws:PrincipalOrgID": "o-1"}})),
            ),
            vec![(Security, "public-principal")],
        ),
        (
            "unknown action in a trust policy",
            assume(json!({"Service": "ec2.amazonaws.com"}), None)
                .pointer_mut("/Statement/0")
                .map(|s| {
                    s["Action"] = json!(["sts:AssumeRole", "sts:AssumeRoleNow"]);
                    policy(s.clone())
                })
                .unwrap(),
            vec![(Error, "unknown-action")],
        ),
        (
            "NotPrincipal, which IAM refuses in a trust policy",
            policy(
                json!({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::300973880807:root"},
                "Action": "sts:AssumeRole"}),
            ),
            vec![(Error, "not-principal")],
        ),
    ];
    for (name, trust, expected) in cases {
        let findings = lint(&desired(vec![], vec![trust]));
        assert!(
            findings.iter().all(|f| f.document == DocumentKind::Trust),
            "{name}"
        );
        assert_eq!(codes(&findings), expected, "{name}: {findings:#?}");
    }
}

#[test]
fn sizes_are_iams_limits() {
    let actions: Vec<String> = (0..300).map(|_| "ec2:DescribeInstances".into()).collect();
    let big = policy(json!({"Effect": "Allow", "Action": actions, "Resource": "*"}));
    let findings = lint(&desired(vec![big], vec![]));
    let size = findings.iter().find(|f| f.code == "size").unwrap();
    assert_eq!(size.severity, Severity::Error);
    assert_eq!(size.statement, None);
    assert!(
        size.message.starts_with("policy P0 is "),
        "{}",
        size.message
    );
}

#[test]
fn findings_say_where_they_point_and_errors_refuse() {
    let statement =
        json!({"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"});
    let state = desired(
        vec![
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, statement]}),
        ],
        vec![],
    );
    let findings = lint(&state);
    assert_eq!(
        findings[0].to_string(),
        "error     policy P0 statement 1 (Read): action 's3:GetObjekt' matches no action of its \
         service: check the spelling against the Service Authorization Reference"
    );
    let err = refuse_errors(&state, &findings).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .starts_with("test one: lint found 1 error(s) in the documents, so nothing was done: policy P0 statement 1 (Read): action 's3:GetObjekt'"),
        "{err}"
    );
    assert!(refuse_errors(&state, &[]).is_ok());
}

/// Every built-in integration lints without errors; the findings are snapshotted so that a
/// change to them shows up in review.
#[test]
fn builtin_entries_lint_without_errors() {
    let mut lines = Vec::new();
    for vendor in builtin_vendors() {
        let catalog = load_builtin(vendor).unwrap();
        for integration in catalog.integrations.keys() {
            let selected = catalog
                .select(std::slice::from_ref(integration), false)
                .unwrap();
            let mut ctx = RenderContext::new(ACCOUNT, "aws", "us-east-1");
            ctx.params = params();
            ctx.params.retain(|k, _| {
                selected
                    .iter()
                    .any(|(_, i)| i.parameters.iter().any(|p| &p.name == k))
            });
            let desired = render(&catalog, &selected, &ctx).unwrap();
            let findings = lint(&desired);
            assert!(
                refuse_errors(&desired, &findings).is_ok(),
                "{vendor} {integration}: {findings:#?}"
            );
            lines.push(format!("# {vendor} {integration}"));
            lines.extend(findings.iter().map(Finding::to_string));
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn an_external_id_given_for_byoc_silences_its_warning() {
    let catalog = load_builtin("streamkap").unwrap();
    let selected = catalog.select(&["byoc".to_owned()], false).unwrap();
    let mut ctx = RenderContext::new(ACCOUNT, "aws", "us-east-1");
    let without = render(&catalog, &selected, &ctx).unwrap();
    assert!(lint(&without).iter().any(|f| f.code == "no-external-id"));
    assert_eq!(without.external_id, None);
    ctx.added_external_id = Some("vendor-given-id".into());
    let with = render(&catalog, &selected, &ctx).unwrap();
    assert!(!lint(&with).iter().any(|f| f.code == "no-external-id"));
    assert_eq!(with.external_id.as_deref(), Some("vendor-given-id"));
    assert_eq!(
        crate::policy::external_ids(&with.roles[0].trust),
        ["vendor-given-id"]
    );
}

/// A role holding `policies` (all attached), for the escalation checks.
fn holder(policies: Vec<Value>) -> Desired {
    let mut desired = desired(
        policies,
        vec![json!({"Version": "2012-10-17", "Statement": []})],
    );
    desired.roles[0].policy_arns = desired.policies.iter().map(|p| p.arn.clone()).collect();
    desired
}

fn escalations(desired: &Desired) -> Vec<String> {
    lint(desired)
        .into_iter()
        .filter(|f| f.code == ESCALATION)
        .map(|f| f.message)
        .collect()
}

/// Every path of the list names actions AWS knows, exactly.
#[test]
fn every_escalation_path_names_known_actions() {
    for path in escalation::PATHS {
        for action in path.actions {
            let found = actions::matching(action).unwrap_or_else(|e| panic!("{action}: {e:?}"));
            assert_eq!(found.len(), 1, "{action}");
            assert_eq!(found[0].name, *action);
        }
    }
}

/// Case by case: each path's actions on `"*"` are found and cite their source; on resources
/// the policy names, or with one action missing, they are not.
#[test]
fn every_escalation_path_is_found_and_only_with_all_its_actions_unnamed() {
    for path in escalation::PATHS {
        let source = path.source.to_string();
        let all = holder(vec![policy(json!({
            "Effect": "Allow", "Action": path.actions, "Resource": "*"
        }))]);
        let found = escalations(&all);
        assert!(
            found
                .iter()
                .any(|m| m.contains(&source) && m.contains(path.how)),
            "{source}: {found:?}"
        );

        // Split over two policies of the same role: still one principal's permissions.
        if let [first, rest @ ..] = path.actions
            && !rest.is_empty()
        {
            let split = holder(vec![
                policy(json!({"Effect": "Allow", "Action": first, "Resource": "*"})),
                policy(json!({"Effect": "Allow", "Action": rest, "Resource": "*"})),
            ]);
            assert!(
                escalations(&split).iter().any(|m| m.contains(&source)),
                "{source} split"
            );
            // Without the last action: not this path.
            let missing = holder(vec![policy(json!({
                "Effect": "Allow",
                "Action": &path.actions[..path.actions.len() - 1],
                "Resource": "*"
            }))]);
            assert!(
                !escalations(&missing).iter().any(|m| m.contains(&source)),
                "{source} without its last action"
            );
        }

        // On named resources only: not found.
        let named = holder(vec![policy(json!({
            "Effect": "Allow",
            "Action": path.actions,
            "Resource": format!("arn:aws:iam::{ACCOUNT}:role/OnlyThisOne")
        }))]);
        assert!(
            !escalations(&named).iter().any(|m| m.contains(&source)),
            "{source} on a named resource"
        );
    }
}

#[test]
fn escalation_sees_wildcards_not_action_and_patterns_but_not_denies_or_unattached_policies() {
    // A wildcard action and a role pattern the holder may create roles under.
    let pattern = holder(vec![policy(json!({
        "Effect": "Allow", "Action": "iam:Put*",
        "Resource": format!("arn:aws:iam::{ACCOUNT}:role/kubernetes-*")
    }))]);
    let found = escalations(&pattern);
    assert!(
        found
            .iter()
            .any(|m| m.contains("iam:PutRolePolicy") && m.contains("Rhino Security Labs method 12")),
        "{found:?}"
    );
    // NotAction grants everything it does not list.
    let not_action = holder(vec![policy(json!({
        "Effect": "Allow", "NotAction": "s3:*", "Resource": "*"
    }))]);
    assert!(escalations(&not_action).len() >= 20);
    // A Deny grants nothing.
    let deny = holder(vec![policy(json!({
        "Effect": "Deny", "Action": "iam:CreatePolicyVersion", "Resource": "*"
    }))]);
    assert!(escalations(&deny).is_empty());
    // A policy no role or user holds escalates nobody.
    let mut unattached = holder(vec![policy(json!({
        "Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"
    }))]);
    unattached.roles[0].policy_arns.clear();
    assert!(escalations(&unattached).is_empty());
    assert!(administrator_equivalent(&unattached).is_empty());
}

/// The built-in integrations a reviewer must know are administrator-equivalent: Streamkap BYOC
/// (its page's provision policy), Upsolver's management role (PassRole and RunInstances on any
/// role), Kubermatic (roles it creates under kubernetes-* with any inline policy, passed to EC2);
/// Streamkap's connectors and Stream Manager are not.
#[test]
fn administrator_equivalent_builtin_integrations() {
    let mut admin = Vec::new();
    for vendor in builtin_vendors() {
        let catalog = load_builtin(vendor).unwrap();
        for name in catalog.integrations.keys() {
            let selected = catalog.select(std::slice::from_ref(name), false).unwrap();
            let mut ctx = RenderContext::new(ACCOUNT, "aws", "us-east-1");
            ctx.params = params();
            ctx.external_id = Some("x".into());
            let desired = render(&catalog, &selected, &ctx).unwrap();
            if !administrator_equivalent(&desired).is_empty() {
                admin.push(format!("{vendor} {name}"));
            }
        }
    }
    assert_eq!(
        admin,
        [
            "kubermatic role",
            "kubermatic user",
            "streamkap byoc",
            "upsolver my-vpc"
        ]
    );
}
