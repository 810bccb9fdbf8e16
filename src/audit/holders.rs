//! Who holds a role, and who manages it: the principals outside the account its trust policy
//! lets in (asked of the trust evaluator, with and without an external ID), and the tool its
//! tags name.

use serde_json::Value;

use super::known::KnownAccounts;
use super::model::{ExternalId, Holder, HolderKind, Manager};
use crate::policy::limits::is_account_id;
use crate::policy::trust::{AwsKind, AwsPrincipal, Principal, Request, evaluate};
use crate::policy::{principal_account, statements, trusted_aws_principals};
use crate::state::{
    INTEGRATION_TAG, MANAGED_BY, MANAGED_BY_CLOUDFORMATION, MANAGED_BY_TERRAFORM, Tags, VENDOR_TAG,
    is_owned,
};

/// The account `*` is asked about: any account but the role's own.
const OUTSIDERS: [&str; 2] = ["000000000000", "999999999999"];

/// Tag CloudFormation puts on what a stack creates.
const STACK_NAME_TAG: &str = "aws:cloudformation:stack-name";

/// The principals outside `account` that `trust` lets assume the role, with whether each must
/// pass an external ID; empty when only the account itself and services are trusted.
pub(crate) fn holders(
    trust: &Value,
    account: &str,
    partition: &str,
    known: &KnownAccounts,
) -> Vec<Holder> {
    let candidates = external_id_values(trust);
    let mut principals = trusted_aws_principals(trust);
    principals.sort();
    principals.dedup();
    let mut found = Vec::new();
    for entry in principals {
        let Some((kind, holder_account, asker)) = asker(&entry, account, partition) else {
            continue;
        };
        let Some(external_id) = requirement(trust, &asker, &candidates) else {
            continue;
        };
        found.push(Holder {
            known_as: match kind {
                HolderKind::Everyone => Some("anyone".to_owned()),
                _ => holder_account
                    .as_deref()
                    .and_then(|a| known.name(a))
                    .map(str::to_owned),
            },
            principal: entry,
            kind,
            account: holder_account,
            external_id,
        });
    }
    found
}

/// What a trust policy entry names, its account, and the principal to ask the evaluator about;
/// `None` for the role's own account and for what is no principal of another account.
fn asker(
    entry: &str,
    account: &str,
    partition: &str,
) -> Option<(HolderKind, Option<String>, Principal)> {
    if entry == "*" {
        let outsider = OUTSIDERS.iter().find(|o| **o != account)?;
        let root = AwsPrincipal::parse(&format!("arn:{partition}:iam::{outsider}:root"))?;
        return Some((HolderKind::Everyone, None, Principal::Aws(root)));
    }
    let other = principal_account(entry).filter(|a| is_account_id(a) && *a != account)?;
    let arn = if is_account_id(entry) {
        format!("arn:{partition}:iam::{entry}:root")
    } else {
        entry.to_owned()
    };
    let principal = AwsPrincipal::parse(&arn)?;
    let kind = match principal.kind {
        AwsKind::Root => HolderKind::Account,
        AwsKind::Role { .. } => HolderKind::Role,
        AwsKind::User => HolderKind::User,
        AwsKind::Session { .. } => HolderKind::Session,
    };
    Some((kind, Some(other.to_owned()), Principal::Aws(principal)))
}

/// Whether `who` needs an external ID to assume the role: not when the trust policy lets it in
/// without one, required when one of the IDs it names lets it in; `None` when nothing lets it
/// in (a `Deny`, or another principal's statement).
fn requirement(trust: &Value, who: &Principal, candidates: &[String]) -> Option<ExternalId> {
    let ask = |external_id: Option<&str>| {
        evaluate(
            trust,
            &Request {
                principal: who.clone(),
                external_id: external_id.map(str::to_owned),
            },
        )
        .allows()
    };
    match ask(None) {
        Some(true) => return Some(ExternalId::NotRequired),
        None => return Some(ExternalId::Unknown),
        Some(false) => {}
    }
    let mut unknown = false;
    for id in candidates {
        match ask(Some(id)) {
            Some(true) => return Some(ExternalId::Required),
            None => unknown = true,
            Some(false) => {}
        }
    }
    unknown.then_some(ExternalId::Unknown)
}

/// Every value a condition of the trust policy compares `sts:ExternalId` with, under any
/// operator: the IDs that may let a principal in.
fn external_id_values(trust: &Value) -> Vec<String> {
    let mut values = Vec::new();
    for statement in statements(trust) {
        let Some(operators) = statement["Condition"].as_object() else {
            continue;
        };
        for keys in operators.values().filter_map(Value::as_object) {
            for (key, value) in keys {
                if !key.eq_ignore_ascii_case("sts:ExternalId") {
                    continue;
                }
                let items = match value {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                values.extend(items.iter().filter_map(|v| v.as_str().map(str::to_owned)));
            }
        }
    }
    values.sort();
    values.dedup();
    values
}

/// Who manages a resource, from its tags: onboard's own, a CloudFormation stack, Terraform, or
/// nothing known.
pub(crate) fn manager(tags: &Tags) -> Manager {
    let vendor = tags.get(VENDOR_TAG).cloned();
    if is_owned(tags) {
        return Manager::Onboard {
            vendor: vendor.unwrap_or_default(),
            integration: tags.get(INTEGRATION_TAG).cloned().unwrap_or_default(),
        };
    }
    let managed_by = tags.get(MANAGED_BY.0).map(String::as_str);
    if let Some(stack) = tags.get(STACK_NAME_TAG) {
        return Manager::Cloudformation {
            stack: Some(stack.clone()),
            vendor,
        };
    }
    if managed_by == Some(MANAGED_BY_CLOUDFORMATION) {
        return Manager::Cloudformation {
            stack: None,
            vendor,
        };
    }
    if managed_by == Some(MANAGED_BY_TERRAFORM) || tags.iter().any(|(k, v)| says_terraform(k, v)) {
        return Manager::Terraform { vendor };
    }
    Manager::Unknown
}

/// Tags teams put on what Terraform creates: `ManagedBy = Terraform` and its spellings, or
/// `Terraform = true`.
fn says_terraform(key: &str, value: &str) -> bool {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let value = value.to_ascii_lowercase();
    match key.as_str() {
        "managedby" | "provisionedby" | "createdby" | "provisioner" | "iac" => value == "terraform",
        "terraform" => value == "true",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const OWN: &str = "123456789012";

    #[allow(clippy::needless_pass_by_value, reason = "called with json! literals")]
    fn holders_of(trust: Value) -> Vec<(String, HolderKind, ExternalId)> {
        holders(&trust, OWN, "aws", &KnownAccounts::builtin())
            .into_iter()
            .map(|h| (h.principal, h.kind, h.external_id))
            .collect()
    }

    #[allow(clippy::needless_pass_by_value, reason = "called with json! literals")]
    fn allow(principal: Value, condition: Option<Value>) -> Value {
        let mut statement =
            json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        statement
    }

    #[test]
    fn services_and_the_account_itself_are_no_holders() {
        let trust = json!({"Statement": [
            allow(json!({"Service": "ec2.amazonaws.com"}), None),
            allow(json!({"AWS": format!("arn:aws:iam::{OWN}:root")}), None),
            allow(json!({"AWS": OWN}), None),
            allow(json!({"AWS": format!("arn:aws:iam::{OWN}:role/admin")}), None)]});
        assert_eq!(holders_of(trust), []);
    }

    #[test]
    fn other_accounts_with_and_without_an_external_id() {
        let trust = json!({"Statement": [
            allow(json!({"AWS": "arn:aws:iam::300973880807:root"}), None),
            allow(json!({"AWS": ["111122223333", "arn:aws:iam::222233334444:role/deployer"]}),
                Some(json!({"StringEquals": {"sts:ExternalId": "abc"}})))]});
        assert_eq!(
            holders_of(trust.clone()),
            [
                (
                    "111122223333".to_owned(),
                    HolderKind::Account,
                    ExternalId::Required
                ),
                (
                    "arn:aws:iam::222233334444:role/deployer".to_owned(),
                    HolderKind::Role,
                    ExternalId::Required
                ),
                (
                    "arn:aws:iam::300973880807:root".to_owned(),
                    HolderKind::Account,
                    ExternalId::NotRequired
                ),
            ]
        );
        let named = holders(&trust, OWN, "aws", &KnownAccounts::builtin());
        assert_eq!(named[2].known_as.as_deref(), Some("Streamkap"));
        assert_eq!(named[0].known_as, None);
    }

    #[test]
    fn everyone_and_conditions_the_evaluator_does_not_model() {
        let trust = json!({"Statement": [allow(json!("*"), None)]});
        assert_eq!(
            holders_of(trust),
            [(
                "*".to_owned(),
                HolderKind::Everyone,
                ExternalId::NotRequired
            )]
        );
        let trust = json!({"Statement": [allow(json!({"AWS": "*"}),
            Some(json!({"StringEquals": {"aws:PrincipalOrgID": "o-123"}})))]});
        assert_eq!(
            holders_of(trust),
            [("*".to_owned(), HolderKind::Everyone, ExternalId::Unknown)]
        );
    }

    #[test]
    fn a_denied_principal_holds_nothing() {
        let trust = json!({"Statement": [
            allow(json!({"AWS": "111122223333"}), None),
            {"Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(holders_of(trust), []);
    }

    #[test]
    fn managers_come_from_tags() {
        let tags = |pairs: &[(&str, &str)]| -> Tags {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(
            manager(&tags(&[
                ("managed-by", "onboard"),
                ("onboard:vendor", "streamkap"),
                ("onboard:integration", "byoc")
            ])),
            Manager::Onboard {
                vendor: "streamkap".into(),
                integration: "byoc".into()
            }
        );
        assert_eq!(
            manager(&tags(&[
                ("managed-by", "cloudformation"),
                ("onboard:vendor", "streamkap")
            ])),
            Manager::Cloudformation {
                stack: None,
                vendor: Some("streamkap".into())
            }
        );
        assert_eq!(
            manager(&tags(&[("aws:cloudformation:stack-name", "vendor-stack")])),
            Manager::Cloudformation {
                stack: Some("vendor-stack".into()),
                vendor: None
            }
        );
        assert_eq!(
            manager(&tags(&[("ManagedBy", "Terraform")])),
            Manager::Terraform { vendor: None }
        );
        assert_eq!(manager(&tags(&[("team", "data")])), Manager::Unknown);
    }
}
