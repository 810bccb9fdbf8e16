//! The trust evaluator's checks of a role's trust policy as read back: the vendor's principals
//! with the right external ID may assume the role, without it they may not, and a principal of
//! another account may not. moto's sts:AssumeRole succeeds for anyone and AWS's answers only for
//! the caller, so these questions are answered by [`crate::policy::trust`].

use serde_json::Value;

use super::{Check, Status};
use crate::arn::Arn;
use crate::audit::known::KnownAccounts;
use crate::policy::trust::{
    AwsKind, AwsPrincipal, Decision, Principal, Request, conditions_on_external_id, evaluate,
};
use crate::policy::{external_ids, trusted_aws_principals};
use crate::state::ObservedRole;

/// Name of the role a principal "of an account" is probed as, when the trust names the account.
const PROBE_ROLE: &str = "onboard-trust-probe";
/// The other account probed, unless the trust names it (then the next lower one).
const OTHER_ACCOUNT: u64 = 999_999_999_999;
/// The fix for a trust policy that lets the wrong principals in.
const REPAIR: &str =
    "onboard apply restores the catalog's trust policy (onboard plan shows the change)";
/// The fix for a third party trusted without an external ID.
const REQUIRE_EXTERNAL_ID: &str =
    "require one with onboard apply --external-id ID, the ID the vendor gives you";

/// One principal a trust policy names, and the request that stands for it.
struct Trusted {
    /// As the trust policy names it.
    entry: String,
    principal: Principal,
    /// The account, for AWS principals.
    account: Option<String>,
}

/// The principals `Allow` statements of `trust` name, as requests can be made for them: a role
/// as one of its sessions, an account as a role of that account.
fn trusted(trust: &Value, partition: &str) -> Vec<Trusted> {
    let mut found: Vec<Trusted> = Vec::new();
    let mut add = |entry: &str, principal: Principal| {
        if !found.iter().any(|t| t.entry == entry) {
            found.push(Trusted {
                entry: entry.to_owned(),
                account: match &principal {
                    Principal::Aws(p) => Some(p.account.clone()),
                    Principal::Service(_) => None,
                },
                principal,
            });
        }
    };
    let account_probe = |account: &str| {
        AwsPrincipal::parse(&format!("arn:{partition}:iam::{account}:role/{PROBE_ROLE}"))
    };
    for entry in trusted_aws_principals(trust) {
        let parsed = if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
            account_probe(&entry)
        } else {
            AwsPrincipal::parse(&entry).and_then(|p| match &p.kind {
                AwsKind::Root => account_probe(&p.account),
                AwsKind::Role { name } => AwsPrincipal::parse(&format!(
                    "arn:{}:sts::{}:assumed-role/{name}/onboard-verify",
                    p.partition, p.account
                )),
                AwsKind::User | AwsKind::Session { .. } => Some(p),
            })
        };
        // "*" and what the evaluator cannot parse are no one in particular: the other-account
        // check shows what they let in.
        if let Some(p) = parsed {
            add(&entry, Principal::Aws(p));
        }
    }
    for statement in statements(trust) {
        if statement["Effect"] == "Allow" {
            let services = match &statement["Principal"]["Service"] {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                Value::String(s) => vec![s.as_str()],
                _ => vec![],
            };
            for service in services {
                add(service, Principal::Service(service.to_owned()));
            }
        }
    }
    found
}

fn statements(trust: &Value) -> Vec<&Value> {
    match &trust["Statement"] {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// How a decision reads in a check's detail.
fn because(decision: &Decision) -> String {
    match decision {
        Decision::Allowed(at) => format!("{at} allows it"),
        Decision::AllowedIfAccountPermits { statement, account } => format!(
            "{statement} trusts account {account}: its own IAM policies decide which of its principals"
        ),
        Decision::DeniedExplicitly(at) => format!("{at} denies it"),
        Decision::NotAllowed => "no statement allows it".to_owned(),
        Decision::Unknown { statement, reason } => {
            let at = statement
                .as_ref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default();
            format!("the evaluator cannot tell ({at}it does not model {reason})")
        }
    }
}

/// The evaluator's checks of `role`'s trust policy for the principals `expected_trust` (the
/// catalog's, or the role's own when there is no catalog entry) names.
pub(super) fn checks(role: &ObservedRole, expected_trust: &Value) -> Vec<Check> {
    let arn = Arn::parse(&role.arn).ok();
    let partition = arn.map_or("aws", |arn| arn.partition());
    let role_account = arn.map_or("", |arn| arn.account());
    let trusted = trusted(expected_trust, partition);
    // The ID the vendor passes: the expected trust's, unless that is still a placeholder (verify
    // found none in the role and was given none).
    let external_id = external_ids(expected_trust)
        .into_iter()
        .find(|id| !id.contains("${"));
    let wants_external_id = conditions_on_external_id(expected_trust);
    let ask = |principal: &Principal, external_id: Option<&str>| {
        evaluate(
            &role.trust,
            &Request {
                principal: principal.clone(),
                external_id: external_id.map(str::to_owned),
            },
        )
    };
    let with = |id: Option<&str>| match id {
        Some(id) => format!(" with external ID {id}"),
        None => String::new(),
    };

    // Who a principal is, by the vendors of the built-in catalog: "Streamkap (arn:...)".
    let known = KnownAccounts::builtin();
    let who = |t: &Trusted| match t.account.as_deref().and_then(|a| known.name(a)) {
        Some(name) => format!("{name} ({})", t.entry),
        None => t.entry.clone(),
    };

    let mut checks = Vec::new();
    for t in &trusted {
        let id = match t.principal {
            Principal::Aws(_) => external_id.as_deref(),
            Principal::Service(_) => None,
        };
        let decision = ask(&t.principal, id);
        let (subject, with, why) = (who(t), with(id), because(&decision));
        let (status, detail, fix) = match decision.allows() {
            Some(true) => (
                Status::Pass,
                format!("{subject} can assume this role{with} ({why})"),
                None,
            ),
            Some(false) => (
                Status::Fail,
                format!("{subject} cannot assume this role{with} ({why})"),
                Some(REPAIR),
            ),
            None => (
                Status::Warn,
                format!("onboard cannot tell whether {subject} can assume this role{with} ({why})"),
                None,
            ),
        };
        let name = format!("trust evaluation: {} may assume the role", t.entry);
        checks.push(Check::sentence(name, status, detail, fix));
    }

    for t in &trusted {
        let Some(account) = &t.account else { continue };
        let decision = ask(&t.principal, None);
        let (subject, why) = (who(t), because(&decision));
        let name = format!("trust evaluation: {} needs the external ID", t.entry);
        let (status, detail, fix) = match (decision.allows(), wants_external_id) {
            (Some(false), _) => (
                Status::Pass,
                format!("{subject} cannot assume this role without the external ID ({why})"),
                None,
            ),
            (Some(true), true) => (
                Status::Fail,
                format!(
                    "{subject} can assume this role without an external ID, though one is expected ({why})"
                ),
                Some(REPAIR),
            ),
            // Anyone who can have the principal act for them could point it at this role: a
            // confused deputy, if the vendor can be made to act for another of its customers.
            (Some(true), false) if account != role_account => (
                Status::Warn,
                format!("{subject} can assume this role without an external ID"),
                Some(REQUIRE_EXTERNAL_ID),
            ),
            // A principal of the role's own account needs no external ID.
            (Some(true), false) => continue,
            (None, _) => (
                Status::Warn,
                format!("onboard cannot tell whether {subject} needs the external ID ({why})"),
                None,
            ),
        };
        checks.push(Check::sentence(name, status, detail, fix));
    }

    let named: Vec<&str> = trusted
        .iter()
        .filter_map(|t| t.account.as_deref())
        .collect();
    let other = (0..100)
        .map(|n| format!("{:012}", OTHER_ACCOUNT - n))
        .find(|a| a != role_account && !named.contains(&a.as_str()))
        .expect("100 candidate accounts cannot all be named");
    let probe = format!("arn:{partition}:iam::{other}:role/{PROBE_ROLE}");
    let principal = Principal::Aws(AwsPrincipal::parse(&probe).expect("a role ARN parses"));
    let decision = ask(&principal, external_id.as_deref());
    let (with, why) = (with(external_id.as_deref()), because(&decision));
    let asked = format!("asked as {probe}{with}: {why}");
    let (status, detail, fix) = match decision.allows() {
        Some(false) => (
            Status::Pass,
            format!("no account the trust policy does not name can assume this role ({asked})"),
            None,
        ),
        Some(true) => (
            Status::Fail,
            format!("an account the trust policy does not name can assume this role ({asked})"),
            Some(REPAIR),
        ),
        None => (
            Status::Warn,
            format!("onboard cannot tell whether other accounts can assume this role ({asked})"),
            None,
        ),
    };
    checks.push(Check::sentence(
        "trust evaluation: another account may not assume the role",
        status,
        detail,
        fix,
    ));
    checks
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn role(trust: Value) -> ObservedRole {
        ObservedRole {
            name: "R".into(),
            arn: "arn:aws:iam::123456789012:role/R".into(),
            tags: BTreeMap::default(),
            trust,
            attached: vec![],
            instance_profiles: vec![],
            max_session_duration: 3600,
            permissions_boundary: None,
            inline_policies: BTreeMap::default(),
        }
    }

    fn statuses(checks: &[Check]) -> Vec<(&str, Status)> {
        checks.iter().map(|c| (c.name.as_str(), c.status)).collect()
    }

    fn vendor_trust(condition: Value) -> Value {
        let mut statement = json!({"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": ["arn:aws:iam::300973880807:root", "arn:aws:iam::428641199958:role/api"]}});
        if !condition.is_null() {
            statement["Condition"] = condition;
        }
        json!({"Version": "2012-10-17", "Statement": [statement]})
    }

    #[test]
    fn a_trust_as_expected_passes_every_check() {
        let trust = vendor_trust(json!({"StringEquals": {"sts:ExternalId": "ext-1"}}));
        let checks = checks(&role(trust.clone()), &trust);
        assert_eq!(
            statuses(&checks),
            [
                (
                    "trust evaluation: arn:aws:iam::300973880807:root may assume the role",
                    Status::Pass
                ),
                (
                    "trust evaluation: arn:aws:iam::428641199958:role/api may assume the role",
                    Status::Pass
                ),
                (
                    "trust evaluation: arn:aws:iam::300973880807:root needs the external ID",
                    Status::Pass
                ),
                (
                    "trust evaluation: arn:aws:iam::428641199958:role/api needs the external ID",
                    Status::Pass
                ),
                (
                    "trust evaluation: another account may not assume the role",
                    Status::Pass
                ),
            ]
        );
        assert_eq!(
            checks[0].detail,
            "Streamkap (arn:aws:iam::300973880807:root) can assume this role with external ID ext-1 \
             (statement 1 trusts account 300973880807: its own IAM policies decide which of its principals)"
        );
        assert_eq!(
            checks[1].detail,
            "Upsolver (arn:aws:iam::428641199958:role/api) can assume this role with external ID ext-1 \
             (statement 1 allows it)"
        );
        assert_eq!(
            checks[4].detail,
            "no account the trust policy does not name can assume this role (asked as \
             arn:aws:iam::999999999999:role/onboard-trust-probe with external ID ext-1: no statement allows it)"
        );
    }

    #[test]
    fn a_dropped_condition_fails_and_a_wildcard_principal_lets_another_account_in() {
        let expected = vendor_trust(json!({"StringEquals": {"sts:ExternalId": "ext-1"}}));
        let checks = checks(&role(vendor_trust(Value::Null)), &expected);
        let failed: Vec<&str> = checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            failed,
            [
                "trust evaluation: arn:aws:iam::300973880807:root needs the external ID",
                "trust evaluation: arn:aws:iam::428641199958:role/api needs the external ID",
            ]
        );

        let mut open = expected.clone();
        open["Statement"].as_array_mut().unwrap().push(
            json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
        );
        let checks = checks_for(&open, &expected);
        let last = checks.last().unwrap();
        assert_eq!(last.status, Status::Fail);
        assert!(
            last.detail
                .ends_with("with external ID ext-1: statement 2 allows it)"),
            "{}",
            last.detail
        );
        assert_eq!(
            last.to_string(),
            format!("FAIL     {}: {REPAIR}", last.detail)
        );
    }

    fn checks_for(actual: &Value, expected: &Value) -> Vec<Check> {
        checks(&role(actual.clone()), expected)
    }

    #[test]
    fn no_external_id_for_another_account_is_a_warning_and_the_probe_avoids_trusted_accounts() {
        let trust = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": ["999999999999", "arn:aws:iam::123456789012:root"]}}]});
        let checks = checks_for(&trust, &trust);
        assert_eq!(
            statuses(&checks),
            [
                (
                    "trust evaluation: 999999999999 may assume the role",
                    Status::Pass
                ),
                (
                    "trust evaluation: arn:aws:iam::123456789012:root may assume the role",
                    Status::Pass
                ),
                (
                    "trust evaluation: 999999999999 needs the external ID",
                    Status::Warn
                ),
                (
                    "trust evaluation: another account may not assume the role",
                    Status::Pass
                ),
            ]
        );
        // One short line that names the fix.
        assert_eq!(
            checks[2].to_string(),
            "warn     999999999999 can assume this role without an external ID: \
             require one with onboard apply --external-id ID, the ID the vendor gives you"
        );
        assert!(
            checks[3]
                .detail
                .contains("asked as arn:aws:iam::999999999998:role/"),
            "{}",
            checks[3].detail
        );
    }

    #[test]
    fn a_principal_named_twice_is_checked_once() {
        let statement = json!({"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": "300973880807", "Service": ["ec2.amazonaws.com"]}});
        let trust = json!({"Statement": [statement, statement]});
        assert_eq!(checks_for(&trust, &trust).len(), 4);
    }

    #[test]
    fn services_and_unknown_conditions() {
        let trust = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "ec2.amazonaws.com"}}]});
        assert_eq!(
            statuses(&checks_for(&trust, &trust)),
            [
                (
                    "trust evaluation: ec2.amazonaws.com may assume the role",
                    Status::Pass
                ),
                (
                    "trust evaluation: another account may not assume the role",
                    Status::Pass
                ),
            ]
        );
        let trust = vendor_trust(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}}));
        let checks = checks_for(&trust, &trust);
        let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
        assert_eq!(warned, 4, "{checks:?}");
        // The other account is not named, whatever the condition says.
        assert_eq!(checks[4].status, Status::Pass);
        assert!(
            checks[0].detail.ends_with("(the evaluator cannot tell (statement 1: it does not model StringEquals on the condition key aws:SourceAccount))"),
            "{}",
            checks[0].detail
        );
    }
}
