//! Catalog parameters: values the vendor page leaves to the customer (`<bucket_name>`,
//! `UPSOLVER_ORG_ID`, ...), given as `--param NAME=VALUE` and checked before any AWS call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Integration;
use crate::arn::Arn;
use crate::error::{Error, Result, Usage};
use crate::policy::limits::is_account_id;

/// What a parameter holds, which decides how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ParamKind {
    /// An S3 bucket name (general purpose bucket naming rules).
    S3Bucket,
    /// An AWS Glue database name.
    GlueDatabase,
    /// A Redshift cluster identifier.
    RedshiftCluster,
    /// A 12-digit AWS account id.
    AccountId,
    /// The ARN of an IAM principal: an account root, a role or a user.
    PrincipalArn,
    /// Letters, digits, `-` and `_`, 1 to 64 characters.
    Identifier,
    /// An AWS region name (`us-east-1`). Without a value and without a default it is the
    /// profile's region (`--region`, `AWS_REGION`, the profile), as the SDK resolves it.
    Region,
    /// A key prefix in an S3 bucket, ending with `/` (`cdc/orders/`).
    S3Prefix,
    /// The ARN of a KMS key (`arn:aws:kms:REGION:ACCOUNT:key/ID`).
    KmsKeyArn,
    /// A Redshift database user name.
    RedshiftDbUser,
    /// A Redshift database name.
    RedshiftDatabase,
    /// Any text of 1 to 4096 printable characters: a CloudFormation template's `String`
    /// parameter, imported as it is (its `AllowedValues` become `allowed_values`).
    Text,
}

impl std::fmt::Display for ParamKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParamKind::S3Bucket => "s3-bucket",
            ParamKind::GlueDatabase => "glue-database",
            ParamKind::RedshiftCluster => "redshift-cluster",
            ParamKind::AccountId => "account-id",
            ParamKind::PrincipalArn => "principal-arn",
            ParamKind::Identifier => "identifier",
            ParamKind::Region => "region",
            ParamKind::S3Prefix => "s3-prefix",
            ParamKind::KmsKeyArn => "kms-key-arn",
            ParamKind::RedshiftDbUser => "redshift-db-user",
            ParamKind::RedshiftDatabase => "redshift-database",
            ParamKind::Text => "text",
        })
    }
}

/// A parameter of a catalog integration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParamSpec {
    /// Used as `--param NAME=VALUE` and as `${NAME}` in documents.
    pub name: String,
    pub description: String,
    pub kind: ParamKind,
    /// Value when none is given; without a default the parameter is required (unless it is
    /// optional, or a region, which defaults to the profile's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The parameter may be left out: it has no value then, and only the policies' `conditional`
    /// statements that ask for it given use it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// The only values accepted, when given (a template parameter's `AllowedValues`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
}

impl ParamSpec {
    /// A value to render with when none is given: the default, else the first allowed value,
    /// else a placeholder (for checks of a rendering that no account will hold).
    pub(crate) fn stand_in(&self) -> String {
        self.default
            .clone()
            .or_else(|| self.allowed_values.first().cloned())
            .unwrap_or_else(|| "value".to_owned())
    }

    /// Whether a value must be given: no default, not optional, not a region (the profile's).
    pub(crate) fn required(&self) -> bool {
        self.default.is_none() && !self.optional && self.kind != ParamKind::Region
    }

    /// Whether the profile's region is its value when none is given.
    pub(crate) fn defaults_to_region(&self) -> bool {
        self.default.is_none() && self.kind == ParamKind::Region
    }
}

impl ParamKind {
    /// Why `value` is not valid for this kind, if it is not.
    pub(crate) fn problem(self, value: &str) -> Option<&'static str> {
        let len = value.len();
        let all = |f: fn(char) -> bool| value.chars().all(f);
        match self {
            ParamKind::S3Bucket => {
                let edge_ok = value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && value.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
                let ip_like = value.split('.').count() == 4 && value.split('.').all(|p| p.parse::<u8>().is_ok());
                if !(3..=63).contains(&len) {
                    Some("S3 bucket names are 3 to 63 characters")
                } else if !all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-') {
                    Some("S3 bucket names use only lowercase letters, digits, '.' and '-'")
                } else if !edge_ok {
                    Some("S3 bucket names begin and end with a lowercase letter or digit")
                } else if value.contains("..") || ip_like {
                    Some("S3 bucket names have no '..' and are not formatted as an IP address")
                } else if value.starts_with("xn--") || value.starts_with("sthree-") || value.ends_with("-s3alias") {
                    Some("S3 bucket names may not start with xn-- or sthree- or end with -s3alias")
                } else {
                    None
                }
            }
            ParamKind::GlueDatabase => (!(1..=255).contains(&len)
                || !all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
            .then_some("Glue database names are 1 to 255 lowercase letters, digits, '_' and '-'"),
            ParamKind::RedshiftCluster => (!(1..=63).contains(&len)
                || !all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                || !value.starts_with(|c: char| c.is_ascii_lowercase())
                || value.ends_with('-')
                || value.contains("--"))
            .then_some(
                "Redshift cluster identifiers are 1 to 63 lowercase letters, digits and single hyphens, \
                 starting with a letter and not ending with a hyphen",
            ),
            ParamKind::AccountId => (!is_account_id(value)).then_some("account ids are 12 digits"),
            ParamKind::PrincipalArn => (!is_principal_arn(value)).then_some(
                "use arn:aws:iam::ACCOUNT_ID:root, arn:aws:iam::ACCOUNT_ID:role/NAME or arn:aws:iam::ACCOUNT_ID:user/NAME",
            ),
            ParamKind::Identifier => (!(1..=64).contains(&len)
                || !all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .then_some("use 1 to 64 letters, digits, '-' and '_'"),
            ParamKind::Region => (!is_region(value))
                .then_some("use a region name such as us-east-1, eu-central-1 or us-gov-west-1"),
            ParamKind::S3Prefix => (!(2..=1024).contains(&len)
                || value.starts_with('/')
                || !value.ends_with('/')
                || value.contains("//")
                || !all(|c| c.is_ascii_alphanumeric() || "_.=+@/-".contains(c)))
            .then_some(
                "use a key prefix that ends with '/' and does not start with one, such as cdc/ or \
                 lake/orders/, in letters, digits and _.=+@/- (no IAM wildcards), at most 1024 characters",
            ),
            ParamKind::KmsKeyArn => (!is_kms_key_arn(value))
                .then_some("use a key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            ParamKind::RedshiftDbUser => (!(1..=128).contains(&len)
                || !value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                || !all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$'))
            .then_some(
                "Redshift user names are 1 to 128 letters, digits, '_' and '$', starting with a letter or '_'",
            ),
            ParamKind::RedshiftDatabase => (!(1..=64).contains(&len)
                || !value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                || !all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$'))
            .then_some(
                "Redshift database names are 1 to 64 letters, digits, '_' and '$', starting with a letter or '_'",
            ),
            ParamKind::Text => (!(1..=4096).contains(&len) || value.chars().any(char::is_control))
                .then_some("use 1 to 4096 characters, without control characters"),
        }
    }
}

impl ParamKind {
    /// A regular expression (whole value, in the syntax CloudFormation's `AllowedPattern` and
    /// Terraform's `regex` share) that values of this kind match. It is coarser than
    /// [`ParamKind::problem`] where a rule (no IP address, reserved prefixes) is not a simple
    /// pattern.
    pub(crate) fn pattern(self) -> &'static str {
        match self {
            ParamKind::S3Bucket => "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            ParamKind::GlueDatabase => "^[a-z0-9_-]{1,255}$",
            ParamKind::RedshiftCluster => "^[a-z](-?[a-z0-9]){0,62}$",
            ParamKind::AccountId => "^[0-9]{12}$",
            ParamKind::PrincipalArn => {
                "^arn:aws[a-z-]*:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]+)$"
            }
            ParamKind::Identifier => "^[A-Za-z0-9_-]{1,64}$",
            ParamKind::Region => "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$",
            ParamKind::S3Prefix => "^[A-Za-z0-9_.=+@-][A-Za-z0-9_.=+@/-]{0,1022}/$",
            ParamKind::KmsKeyArn => {
                "^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:key/[A-Za-z0-9-]{1,128}$"
            }
            ParamKind::RedshiftDbUser => "^[A-Za-z_][A-Za-z0-9_$]{0,127}$",
            ParamKind::RedshiftDatabase => "^[A-Za-z_][A-Za-z0-9_$]{0,63}$",
            ParamKind::Text => "^.+$",
        }
    }
}

/// Parses a `--param NAME=VALUE`.
pub(crate) fn parse_param(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(Error::from(Usage::ParamNotNameValue {
            text: text.to_owned(),
        })),
    }
}

/// The parameter values for the selected integrations: given values checked, defaults filled
/// in. A missing required parameter is reported with its description; an unknown one with the
/// list of known ones.
pub(crate) fn resolve_params(
    vendor: &str,
    selected: &[(&str, &Integration)],
    given: &[(String, String)],
) -> Result<BTreeMap<String, String>> {
    let values = known_params(vendor, selected, given)?;
    let specs = selected.iter().flat_map(|(_, i)| &i.parameters);
    if let Some(spec) = specs
        .into_iter()
        .find(|p| p.required() && !values.contains_key(&p.name))
    {
        return Err(Error::from(Usage::MissingParam {
            vendor: vendor.to_owned(),
            integrations: integration_names(selected),
            name: spec.name.clone(),
            description: spec.description.clone(),
        }));
    }
    Ok(values)
}

fn integration_names(selected: &[(&str, &Integration)]) -> String {
    selected
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The parameter values given or defaulted for the selected integrations, checked as
/// [`resolve_params`] checks them; a required parameter without a value is left out (export turns
/// it into a template parameter the deployer fills in).
pub(crate) fn known_params(
    vendor: &str,
    selected: &[(&str, &Integration)],
    given: &[(String, String)],
) -> Result<BTreeMap<String, String>> {
    let specs: Vec<&ParamSpec> = selected.iter().flat_map(|(_, i)| &i.parameters).collect();
    let integrations = integration_names(selected);
    for (name, _) in given {
        if !specs.iter().any(|p| &p.name == name) {
            return Err(Error::from(Usage::UnknownParam {
                vendor: vendor.to_owned(),
                integrations,
                name: name.clone(),
                known: specs.iter().map(|p| p.name.clone()).collect(),
            }));
        }
    }
    let mut values = BTreeMap::new();
    for spec in specs {
        let value = given
            .iter()
            .rev()
            .find(|(n, _)| *n == spec.name)
            .map(|(_, v)| v.clone());
        let Some(value) = value.or_else(|| spec.default.clone()) else {
            continue;
        };
        if let Some(problem) = spec.kind.problem(&value) {
            return Err(Error::from(Usage::BadParam {
                name: spec.name.clone(),
                value,
                fix: problem.to_owned(),
            }));
        }
        if !spec.allowed_values.is_empty() && !spec.allowed_values.contains(&value) {
            return Err(Error::from(Usage::ParamNotAllowed {
                name: spec.name.clone(),
                value,
                allowed: spec.allowed_values.clone(),
            }));
        }
        values.insert(spec.name.clone(), value);
    }
    Ok(values)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`: two letters, words, a number.
fn is_region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return false;
    };
    first.len() == 2
        && first.chars().all(|c| c.is_ascii_lowercase())
        && !middle.is_empty()
        && middle
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
        && (1..=2).contains(&last.len())
        && last.chars().all(|c| c.is_ascii_digit())
}

/// `arn:PARTITION:kms:REGION:ACCOUNT:key/ID` (a key, not an alias).
fn is_kms_key_arn(value: &str) -> bool {
    Arn::parse(value).is_ok_and(|arn| {
        let id = arn.resource_id();
        arn.service() == "kms"
            && is_region(arn.region())
            && is_account_id(arn.account())
            && arn.resource_type() == "key"
            && (1..=128).contains(&id.len())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// `arn:PARTITION:iam::ACCOUNT:root`, `...:role/NAME` or `...:user/NAME`.
fn is_principal_arn(value: &str) -> bool {
    Arn::parse(value).is_ok_and(|arn| {
        let id = arn.resource_id();
        let resource_ok = arn.resource() == "root"
            || (matches!(arn.resource_type(), "role" | "user")
                && !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c)));
        arn.service() == "iam"
            && arn.region().is_empty()
            && is_account_id(arn.account())
            && resource_ok
    })
}

#[cfg(test)]
mod tests {
    use super::ParamKind::*;

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["my-bucket", "a.b.c", "abc", "us-east-1-upsolver-org1"] {
            assert_eq!(S3Bucket.problem(good), None, "{good}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "-bucket",
            "bucket-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "b-s3alias",
            "b_c",
        ] {
            assert!(S3Bucket.problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn other_kinds_are_checked() {
        assert_eq!(GlueDatabase.problem("sales_db"), None);
        assert!(GlueDatabase.problem("Sales").is_some());
        assert_eq!(RedshiftCluster.problem("analytics-1"), None);
        for bad in ["1abc", "a--b", "abc-", "ABC"] {
            assert!(RedshiftCluster.problem(bad).is_some(), "{bad}");
        }
        assert_eq!(AccountId.problem("123456789012"), None);
        assert!(AccountId.problem("1234").is_some());
        assert_eq!(
            PrincipalArn.problem("arn:aws:iam::123456789012:role/ops/Admin"),
            None
        );
        assert_eq!(
            PrincipalArn.problem("arn:aws-cn:iam::123456789012:root"),
            None
        );
        assert!(
            PrincipalArn
                .problem("arn:aws:iam::123456789012:group/G")
                .is_some()
        );
        assert!(PrincipalArn.problem("123456789012").is_some());
        assert_eq!(Identifier.problem("org-42_x"), None);
        assert!(Identifier.problem("a b").is_some());
    }

    #[test]
    fn regions_prefixes_keys_and_redshift_names_are_checked() {
        for good in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
            "cn-north-1",
        ] {
            assert_eq!(Region.problem(good), None, "{good}");
        }
        for bad in [
            "us-east",
            "US-EAST-1",
            "useast1",
            "us-east-1a",
            "-east-1",
            "u-east-1",
            "*",
        ] {
            assert!(Region.problem(bad).is_some(), "{bad}");
        }
        for good in ["cdc/", "lake/orders/", "a=b/"] {
            assert_eq!(S3Prefix.problem(good), None, "{good}");
        }
        for bad in [
            "cdc",
            "/cdc/",
            "c*/",
            "c?/",
            "${aws:username}/",
            "a//b/",
            "/",
            "a b/",
        ] {
            assert!(S3Prefix.problem(bad).is_some(), "{bad}");
        }
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(KmsKeyArn.problem(key), None);
        for bad in [
            "arn:aws:kms:us-east-1:123456789012:alias/s3",
            "arn:aws:kms:us-east-1:123456789012:key/*",
            "arn:aws:s3:us-east-1:123456789012:key/abc",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
        ] {
            assert!(KmsKeyArn.problem(bad).is_some(), "{bad}");
        }
        assert_eq!(RedshiftDbUser.problem("streamkap_loader"), None);
        for bad in ["*", "a-b", "1abc", "", "admin*"] {
            assert!(RedshiftDbUser.problem(bad).is_some(), "{bad}");
        }
        assert_eq!(RedshiftDatabase.problem("dev"), None);
        assert!(RedshiftDatabase.problem("d*").is_some());
    }
}
