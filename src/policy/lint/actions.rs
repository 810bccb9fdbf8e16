//! Every IAM action AWS knows, with its access level, embedded from `iam-actions.tsv` (generated
//! by `scripts/iam-actions.py`; its header names the source), and matching a policy's actions,
//! wildcards included, against them: case-insensitively, as IAM does.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::policy::wildcard::Wildcard;

const TABLE: &str = include_str!("iam-actions.tsv");

/// An action's access level in AWS's Service Authorization Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessLevel {
    Read,
    List,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    /// Whether the action changes something: write, permissions management or tagging.
    pub(crate) fn is_write(self) -> bool {
        matches!(
            self,
            AccessLevel::Write | AccessLevel::PermissionsManagement | AccessLevel::Tagging
        )
    }
}

/// One action of the table.
#[derive(Debug)]
pub(crate) struct KnownAction {
    /// `service:Action` as AWS spells it.
    pub name: &'static str,
    pub level: AccessLevel,
    /// Whether the action can be granted on specific resources; if not, only `"Resource": "*"`
    /// grants it.
    pub takes_resource: bool,
    /// The part after the colon, lowercase, for matching.
    lower: String,
}

/// Why a policy's action matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Not `service:action` (or `*`).
    Malformed,
    /// No service has this prefix.
    Service(String),
    /// The service exists but has no action of this name (or matching this pattern).
    Action,
}

/// The table by lowercase service prefix.
static ACTIONS: LazyLock<BTreeMap<String, Vec<KnownAction>>> = LazyLock::new(|| {
    let mut services: BTreeMap<String, Vec<KnownAction>> = BTreeMap::new();
    for line in TABLE.lines().filter(|l| !l.starts_with('#')) {
        let (name, level) = line
            .split_once('\t')
            .expect("generated table: name TAB level");
        let (service, action) = name
            .split_once(':')
            .expect("generated table: service:Action");
        let takes_resource = !level.ends_with('*');
        let level = match level.trim_end_matches('*') {
            "R" => AccessLevel::Read,
            "L" => AccessLevel::List,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            other => panic!("generated table: unknown access level {other}"),
        };
        services
            .entry(service.to_ascii_lowercase())
            .or_default()
            .push(KnownAction {
                name,
                level,
                takes_resource,
                lower: action.to_ascii_lowercase(),
            });
    }
    services
});

/// The known actions a policy's action (`s3:GetObject`, `s3:Get*`, `ec2:*`, `*`) grants.
pub(crate) fn matching(pattern: &str) -> Result<Vec<&'static KnownAction>, Unknown> {
    let pattern = pattern.to_ascii_lowercase();
    if pattern == "*" {
        return Ok(ACTIONS.values().flatten().collect());
    }
    let Some((service, action)) = pattern.split_once(':') else {
        return Err(Unknown::Malformed);
    };
    if service.is_empty() || action.is_empty() || action.contains(':') {
        return Err(Unknown::Malformed);
    }
    let (service_pattern, action_pattern) = (Wildcard::action(service), Wildcard::action(action));
    let services: Vec<&Vec<KnownAction>> = ACTIONS
        .iter()
        .filter(|(name, _)| service_pattern.matches(name))
        .map(|(_, actions)| actions)
        .collect();
    if services.is_empty() {
        return Err(Unknown::Service(service.to_owned()));
    }
    let found: Vec<&KnownAction> = services
        .into_iter()
        .flatten()
        .filter(|a| action_pattern.matches(&a.lower))
        .collect();
    if found.is_empty() {
        return Err(Unknown::Action);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_match_case_insensitively_with_wildcards() {
        let names =
            |p: &str| -> Vec<&str> { matching(p).unwrap().iter().map(|a| a.name).collect() };
        assert_eq!(names("s3:getobject"), ["s3:GetObject"]);
        assert_eq!(names("IAM:PassRole"), ["iam:PassRole"]);
        assert!(names("s3:Get*").contains(&"s3:GetBucketPolicy"));
        assert!(names("ec2:*").len() > 500);
        assert!(matching("*").unwrap().len() > 20_000);
        assert_eq!(matching("s3:GetObjekt").unwrap_err(), Unknown::Action);
        assert_eq!(
            matching("s4:GetObject").unwrap_err(),
            Unknown::Service("s4".to_owned())
        );
        assert_eq!(matching("GetObject").unwrap_err(), Unknown::Malformed);
        assert_eq!(matching("s3:").unwrap_err(), Unknown::Malformed);
    }

    #[test]
    fn access_levels_and_resource_support_come_from_the_table() {
        let one = |p: &str| matching(p).unwrap()[0];
        assert_eq!(one("s3:GetObject").level, AccessLevel::Read);
        assert_eq!(one("s3:ListBucket").level, AccessLevel::List);
        assert_eq!(one("iam:PassRole").level, AccessLevel::Write);
        assert_eq!(
            one("iam:PutRolePolicy").level,
            AccessLevel::PermissionsManagement
        );
        assert_eq!(one("iam:TagRole").level, AccessLevel::Tagging);
        assert!(one("ec2:TerminateInstances").takes_resource);
        assert!(!one("ec2:DescribeInstances").takes_resource);
    }
}
