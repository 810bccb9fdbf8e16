//! What policies grant, summarized: the services their `Allow` statements reach with each
//! access level, and whether they amount to administrator access.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{Level, ServiceAccess};
use crate::arn::Arn;
use crate::policy::lint::actions::{AccessLevel, matching};
use crate::policy::statements;

/// The AWS managed policy that grants everything.
const ADMINISTRATOR_ACCESS: &str = "policy/AdministratorAccess";

fn level(level: AccessLevel) -> Level {
    match level {
        AccessLevel::List => Level::List,
        AccessLevel::Read => Level::Read,
        AccessLevel::Write => Level::Write,
        AccessLevel::PermissionsManagement => Level::PermissionsManagement,
        AccessLevel::Tagging => Level::Tagging,
    }
}

/// The strings of a value that is a string or a list of strings.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Services and levels the `Allow` statements of `documents` grant, by service prefix; `*`
/// stands for every service (an `Action` of `*`, or `NotAction`).
pub(crate) fn services<'a>(documents: impl IntoIterator<Item = &'a Value>) -> Vec<ServiceAccess> {
    let mut by_service: BTreeMap<String, BTreeSet<Level>> = BTreeMap::new();
    for document in documents {
        for statement in statements(document) {
            if statement["Effect"] != "Allow" {
                continue;
            }
            if statement.get("NotAction").is_some() {
                by_service
                    .entry("*".to_owned())
                    .or_default()
                    .extend(Level::ALL);
                continue;
            }
            for action in strings(&statement["Action"]) {
                if action == "*" || action == "*:*" {
                    by_service
                        .entry("*".to_owned())
                        .or_default()
                        .extend(Level::ALL);
                    continue;
                }
                for known in matching(action).unwrap_or_default() {
                    let service = known.name.split(':').next().unwrap_or(known.name);
                    by_service
                        .entry(service.to_ascii_lowercase())
                        .or_default()
                        .insert(level(known.level));
                }
            }
        }
    }
    by_service
        .into_iter()
        .map(|(service, levels)| ServiceAccess {
            service,
            levels: levels.into_iter().collect(),
        })
        .collect()
}

/// Whether the policies amount to administrator access: AWS's AdministratorAccess, or an
/// unconditioned `Allow` of every action (or every IAM action, with which the holder can grant
/// itself the rest; or `NotAction`) on every resource.
pub(crate) fn administrator<'a>(
    attached: &[String],
    documents: impl IntoIterator<Item = &'a Value>,
) -> bool {
    if attached
        .iter()
        .filter_map(|arn| Arn::parse(arn).ok())
        .any(|arn| arn.is_aws_managed_policy() && arn.resource() == ADMINISTRATOR_ACCESS)
    {
        return true;
    }
    documents.into_iter().any(|document| {
        statements(document).iter().any(|statement| {
            let everything = statement.get("NotAction").is_some()
                || strings(&statement["Action"])
                    .iter()
                    .any(|a| matches!(a.to_ascii_lowercase().as_str(), "*" | "*:*" | "iam:*"));
            statement["Effect"] == "Allow"
                && statement.get("Condition").is_none()
                && strings(&statement["Resource"]).contains(&"*")
                && everything
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn services_are_summarized_by_level_and_deny_is_ignored() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"], "Resource": "*"},
            {"Effect": "Allow", "Action": "glue:GetTable", "Resource": "*"},
            {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]});
        let found: Vec<String> = services([&doc]).iter().map(ToString::to_string).collect();
        assert_eq!(found, ["glue:R", "s3:LRW"]);
    }

    #[test]
    fn administrator_access_is_every_action_or_all_of_iam_on_every_resource() {
        let star = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        let iam =
            json!({"Statement": [{"Effect": "Allow", "Action": ["IAM:*"], "Resource": ["*"]}]});
        let scoped = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}});
        let conditioned = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}});
        assert!(administrator(&[], [&star]));
        assert!(administrator(&[], [&iam]));
        assert!(!administrator(&[], [&scoped, &conditioned]));
        assert!(administrator(
            &["arn:aws:iam::aws:policy/AdministratorAccess".to_owned()],
            []
        ));
        assert_eq!(services([&star])[0].to_string(), "*:LRWPT");
    }
}
