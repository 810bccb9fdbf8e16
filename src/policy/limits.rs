//! IAM's limits and naming rules, checked before the first write: moto does not enforce most of
//! them, and AWS would reject the call half-way through an apply.

use crate::arn::Arn;
use crate::error::{Limit, Result};
use crate::kinds::Kind;
use crate::state::{Desired, MANAGED_BY, Tag};

/// The namespace of onboard's own tags (`onboard:vendor`, `onboard:param:NAME`, ...).
const ONBOARD_TAG_PREFIX: &str = "onboard:";

/// Managed policy document size, whitespace not counted.
pub(crate) const MAX_POLICY_CHARS: usize = 6144;
/// Role trust policy size (the default quota), whitespace not counted.
pub(crate) const MAX_TRUST_CHARS: usize = 2048;
/// Managed policies attached to one role or user (the default quota).
pub(crate) const MAX_POLICIES_PER_ROLE: usize = 10;
/// Tags on one IAM resource.
pub(crate) const MAX_TAGS: usize = 50;
pub(crate) const MAX_ROLE_NAME: usize = 64;
pub(crate) const MAX_USER_NAME: usize = 64;
pub(crate) const MAX_POLICY_NAME: usize = 128;
pub(crate) const MAX_PATH: usize = 512;

/// Checks an IAM role or policy name: length and the `[\w+=,.@-]` character set.
pub(crate) fn check_name(kind: &str, name: &str, max: usize) -> Result<()> {
    if name.is_empty() || name.chars().count() > max {
        return Err(Limit::NameLength {
            kind: kind.to_owned(),
            name: name.to_owned(),
            max,
        }
        .into());
    }
    if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
        return Err(Limit::NameCharacter {
            kind: kind.to_owned(),
            name: name.to_owned(),
            bad,
        }
        .into());
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// Checks an external ID for sts:AssumeRole: 2 to 1,224 characters of `[\w+=,.@:/-]`.
pub(crate) fn check_external_id(id: &str) -> Result<()> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c);
    let len = id.chars().count();
    if !(2..=1224).contains(&len) {
        return Err(Limit::ExternalIdLength { id: id.to_owned() }.into());
    }
    if let Some(bad) = id.chars().find(|c| !valid_char(*c)) {
        return Err(Limit::ExternalIdCharacter {
            id: id.to_owned(),
            bad,
        }
        .into());
    }
    Ok(())
}

/// Checks an sts:AssumeRole session name: 2 to 64 characters of `[\w+=,.@-]`.
pub(crate) fn check_session_name(name: &str) -> Result<()> {
    let len = name.chars().count();
    if !(2..=64).contains(&len) || !name.chars().all(is_name_char) {
        return Err(Limit::SessionName {
            name: name.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Checks an IAM path: `/` alone, or `/` + segments + `/`, printable ASCII, at most 512 characters.
pub(crate) fn check_path(path: &str) -> Result<()> {
    let printable = path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if path.len() > MAX_PATH || !path.starts_with('/') || !path.ends_with('/') || !printable {
        return Err(Limit::Path {
            path: path.to_owned(),
            max: MAX_PATH,
        }
        .into());
    }
    Ok(())
}

/// Checks a role's maximum session duration.
pub(crate) fn check_max_session_duration(seconds: i32) -> Result<()> {
    if !(3600..=43200).contains(&seconds) {
        return Err(Limit::SessionDuration { seconds }.into());
    }
    Ok(())
}

/// Checks the ARN given for a permissions boundary: a managed policy's ARN.
pub(crate) fn check_policy_arn(flag: &'static str, arn: &str) -> Result<()> {
    let ok = Arn::parse(arn).is_ok_and(|parsed| {
        parsed.service() == "iam"
            && parsed.region().is_empty()
            && (parsed.account() == "aws" || is_account_id(parsed.account()))
            && parsed.resource_type() == "policy"
            && !parsed.resource_id().is_empty()
    });
    if !ok {
        return Err(Limit::NotPolicyArn {
            flag,
            arn: arn.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Whether `s` is a 12-digit AWS account id.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a `--tag KEY=VALUE`, refusing keys IAM or onboard reserve.
pub(crate) fn parse_tag(text: &str) -> Result<Tag> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(Limit::TagWithoutEquals {
            text: text.to_owned(),
        }
        .into());
    };
    let valid = is_tag_text;
    if key.is_empty() || key.chars().count() > 128 || !valid(key) {
        return Err(Limit::TagKey {
            key: key.to_owned(),
        }
        .into());
    }
    if value.chars().count() > 256 || !valid(value) {
        return Err(Limit::TagValue {
            value: value.to_owned(),
        }
        .into());
    }
    // IAM compares tag keys without regard to case; onboard's namespace holds its ownership
    // tags, parameters and key records.
    let lower = key.to_ascii_lowercase();
    let reserved_prefix = ["aws:", ONBOARD_TAG_PREFIX]
        .iter()
        .any(|p| lower.starts_with(p));
    if reserved_prefix || lower == MANAGED_BY.0 {
        return Err(Limit::ReservedTagKey {
            key: key.to_owned(),
        }
        .into());
    }
    Ok(Tag::new(key, value))
}

/// Whether text uses only the characters IAM allows in tag keys and values.
fn is_tag_text(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// Length of a JSON document as IAM counts it: compact, whitespace outside strings not counted.
pub(crate) fn document_chars(document: &serde_json::Value) -> usize {
    let compact = serde_json::to_string(document).expect("JSON values serialize");
    compact.chars().filter(|c| !c.is_whitespace()).count()
}

/// Checks every limit of the rendered desired state.
pub(crate) fn check_desired(desired: &Desired) -> Result<()> {
    for policy in &desired.policies {
        check_name("policy", &policy.name, MAX_POLICY_NAME)?;
        check_path(&policy.path)?;
        check_tags(&policy.name, &policy.tags)?;
        check_policy_size(&policy.name, &policy.document)?;
    }
    for role in &desired.roles {
        check_name("role", &role.name, MAX_ROLE_NAME)?;
        check_path(&role.path)?;
        check_tags(&role.name, &role.tags)?;
        check_max_session_duration(role.max_session_duration)?;
        check_trust_size(&role.name, &role.trust)?;
        check_attachments(Kind::Role, &role.name, role.policy_arns.len())?;
    }
    for user in &desired.users {
        check_name("user", &user.name, MAX_USER_NAME)?;
        check_path(&user.path)?;
        check_tags(&user.name, &user.tags)?;
        check_attachments(Kind::User, &user.name, user.policy_arns.len())?;
    }
    Ok(())
}

/// Checks the size of managed policy `name`'s document.
pub(crate) fn check_policy_size(name: &str, document: &serde_json::Value) -> Result<()> {
    let chars = document_chars(document);
    if chars > MAX_POLICY_CHARS {
        return Err(Limit::PolicySize {
            name: name.to_owned(),
            chars,
            max: MAX_POLICY_CHARS,
        }
        .into());
    }
    Ok(())
}

/// Checks the size of role `name`'s trust policy.
pub(crate) fn check_trust_size(name: &str, trust: &serde_json::Value) -> Result<()> {
    let chars = document_chars(trust);
    if chars > MAX_TRUST_CHARS {
        return Err(Limit::TrustPolicySize {
            role: name.to_owned(),
            chars,
            max: MAX_TRUST_CHARS,
        }
        .into());
    }
    Ok(())
}

fn check_attachments(kind: Kind, name: &str, count: usize) -> Result<()> {
    if count > MAX_POLICIES_PER_ROLE {
        return Err(Limit::TooManyAttachments {
            kind,
            name: name.to_owned(),
            count,
            max: MAX_POLICIES_PER_ROLE,
        }
        .into());
    }
    Ok(())
}

fn check_tags(resource: &str, tags: &[Tag]) -> Result<()> {
    if let Some(tag) = tags
        .iter()
        .find(|t| !is_tag_text(&t.value) || t.value.chars().count() > 256)
    {
        return Err(Limit::ResourceTagValue {
            resource: resource.to_owned(),
            key: tag.key.clone(),
            value: tag.value.clone(),
        }
        .into());
    }
    if tags.len() > MAX_TAGS {
        return Err(Limit::TooManyTags {
            resource: resource.to_owned(),
            count: tags.len(),
            max: MAX_TAGS,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_are_checked_for_length_and_characters() {
        assert!(check_name("role", "StreamkapInstallAccess", MAX_ROLE_NAME).is_ok());
        assert!(check_name("role", "a+=,.@_-9", MAX_ROLE_NAME).is_ok());
        let long = "r".repeat(65);
        let err = check_name("role", &long, MAX_ROLE_NAME)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is 65 characters; IAM allows 1 to 64"),
            "{err}"
        );
        let err = check_name("role", "has space", MAX_ROLE_NAME)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "role name 'has space' contains ' '; IAM names allow only letters, digits and +=,.@_-"
        );
        assert!(check_name("policy", &"p".repeat(128), MAX_POLICY_NAME).is_ok());
    }

    #[test]
    fn external_ids_are_checked_for_length_and_characters() {
        assert!(check_external_id("ab").is_ok());
        assert!(check_external_id("org:123/x=y+z@a.b,c-d_e").is_ok());
        assert!(check_external_id("a").is_err());
        assert!(check_external_id(&"a".repeat(1225)).is_err());
        let err = check_external_id("has space").unwrap_err().to_string();
        assert_eq!(
            err,
            "external ID 'has space' contains ' '; IAM allows only letters, digits and _+=,.@:/-"
        );
    }

    #[test]
    fn paths_must_start_and_end_with_a_slash() {
        assert!(check_path("/").is_ok());
        assert!(check_path("/vendors/streamkap/").is_ok());
        for bad in ["", "vendors/", "/vendors", "/a b/"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_parsed_and_reserved_keys_refused() {
        assert_eq!(
            parse_tag("team=data eng").unwrap(),
            Tag::new("team", "data eng")
        );
        assert_eq!(parse_tag("k=").unwrap(), Tag::new("k", ""));
        assert!(parse_tag("novalue").is_err());
        assert!(parse_tag("=v").is_err());
        assert!(parse_tag("aws:x=1").is_err());
        assert!(parse_tag("managed-by=me").is_err());
        assert!(parse_tag("k=a;b").is_err());
    }

    #[test]
    fn policy_arns_and_session_durations_are_checked() {
        assert!(check_policy_arn("--b", "arn:aws:iam::123456789012:policy/Boundary").is_ok());
        assert!(check_policy_arn("--b", "arn:aws:iam::aws:policy/PowerUserAccess").is_ok());
        assert!(check_policy_arn("--b", "arn:aws:iam::123:policy/X").is_err());
        assert!(check_policy_arn("--b", "arn:aws:iam::123456789012:role/X").is_err());
        assert!(check_max_session_duration(3600).is_ok());
        assert!(check_max_session_duration(43201).is_err());
        assert!(check_max_session_duration(3599).is_err());
    }

    fn byoc() -> Desired {
        let catalog = crate::catalog::load_builtin("streamkap").unwrap();
        let selected = catalog.select(&[], false).unwrap();
        let ctx = crate::catalog::RenderContext::new("123456789012", "aws", "us-east-1");
        crate::catalog::render(&catalog, &selected, &ctx).unwrap()
    }

    #[test]
    fn rendered_state_is_checked_against_iams_quotas() {
        assert!(check_desired(&byoc()).is_ok());

        let mut desired = byoc();
        let actions = desired.policies[0].document["Statement"][0]["Action"]
            .as_array_mut()
            .unwrap();
        let more: Vec<_> = (0..200)
            .map(|i| json!(format!("ec2:DescribeSomethingLong{i}")))
            .collect();
        actions.extend(more);
        let err = check_desired(&desired).unwrap_err().to_string();
        assert!(
            err.starts_with("policy StreamkapProvisionAccess is "),
            "{err}"
        );
        assert!(
            err.contains("IAM allows 6144 (whitespace not counted)"),
            "{err}"
        );

        let mut desired = byoc();
        let statement = desired.roles[0].trust["Statement"][0].clone();
        let statements = desired.roles[0].trust["Statement"].as_array_mut().unwrap();
        statements.extend(std::iter::repeat_n(statement, 20));
        let err = check_desired(&desired).unwrap_err().to_string();
        assert!(
            err.starts_with("trust policy of role StreamkapInstallAccess is "),
            "{err}"
        );

        let mut desired = byoc();
        desired.roles[0].policy_arns = (0..11)
            .map(|i| format!("arn:aws:iam::aws:policy/P{i}"))
            .collect();
        let err = check_desired(&desired).unwrap_err().to_string();
        assert_eq!(
            err,
            "role StreamkapInstallAccess would have 11 managed policies attached; IAM allows 10 by default: \
             select fewer integrations, or raise the account's quota in Service Quotas"
        );

        let mut desired = byoc();
        let principal = Tag::new(
            "onboard:param:trust-principal",
            "arn:aws:iam::111122223333:role/a,b",
        );
        desired.roles[0].tags.push(principal);
        let err = check_desired(&desired).unwrap_err().to_string();
        assert!(err.contains(
            "'arn:aws:iam::111122223333:role/a,b' of tag onboard:param:trust-principal cannot be"
        ));

        let mut desired = byoc();
        desired.roles[0]
            .tags
            .extend((0..50).map(|i| Tag::new(format!("k{i}"), "v")));
        assert!(
            check_desired(&desired)
                .unwrap_err()
                .to_string()
                .contains("IAM allows 50")
        );
    }

    #[test]
    fn document_size_ignores_whitespace() {
        let doc = json!({"Sid": "a b"});
        // {"Sid":"ab"} once the space inside the string is not counted either.
        assert_eq!(document_chars(&doc), 12);
    }
}
