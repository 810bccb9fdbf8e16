//! Role and user ARNs given on the command line.

use std::fmt;

use crate::error::{Error, Result};
use crate::policy::limits::{MAX_ROLE_NAME, check_name, is_account_id};

/// A parsed `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME` (or `user/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IamArn {
    /// `role` or `user`.
    pub kind: &'static str,
    pub partition: String,
    pub account: String,
    /// `/` or `/a/b/`.
    pub path: String,
    pub name: String,
}

impl IamArn {
    /// Parses a role ARN, with an error that names the value and the expected shape.
    pub(crate) fn parse_role(text: &str) -> Result<Self> {
        Self::parse(text, "role")
    }

    /// Parses a user ARN, with an error that names the value and the expected shape.
    pub(crate) fn parse_user(text: &str) -> Result<Self> {
        Self::parse(text, "user")
    }

    fn parse(text: &str, kind: &'static str) -> Result<Self> {
        let bad = |why: &str| {
            Error::Usage(format!(
                "{kind} ARN '{text}' is not valid ({why}): use arn:aws:iam::ACCOUNT_ID:{kind}/NAME, as apply printed it"
            ))
        };
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts[..] else {
            return Err(bad("it needs six ':'-separated parts"));
        };
        if arn != "arn" || !partition.starts_with("aws") {
            return Err(bad(
                "it must start with arn:aws, arn:aws-cn or arn:aws-us-gov",
            ));
        }
        if service != "iam" || !region.is_empty() {
            return Err(bad("the service must be iam, with no region"));
        }
        if !is_account_id(account) {
            return Err(bad("the account id must be 12 digits"));
        }
        let Some(path_and_name) = resource
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix('/'))
        else {
            return Err(bad(&format!("the resource must start with {kind}/")));
        };
        let (path, name) = match path_and_name.rsplit_once('/') {
            Some((path, name)) => (format!("/{path}/"), name),
            None => ("/".to_owned(), path_and_name),
        };
        check_name(kind, name, MAX_ROLE_NAME)
            .map_err(|_| bad("the name is not a valid IAM name"))?;
        Ok(IamArn {
            kind,
            partition: partition.to_owned(),
            account: account.to_owned(),
            path,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for IamArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:iam::{}:{}{}{}",
            self.partition, self.account, self.kind, self.path, self.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_role_arns_with_and_without_paths() {
        let arn =
            IamArn::parse_role("arn:aws:iam::123456789012:role/StreamkapInstallAccess").unwrap();
        assert_eq!(
            (arn.path.as_str(), arn.name.as_str()),
            ("/", "StreamkapInstallAccess")
        );
        let text = "arn:aws-us-gov:iam::123456789012:role/vendors/x/R";
        let arn = IamArn::parse_role(text).unwrap();
        assert_eq!(
            (arn.partition.as_str(), arn.path.as_str(), arn.name.as_str()),
            ("aws-us-gov", "/vendors/x/", "R")
        );
        assert_eq!(arn.to_string(), text);
    }

    #[test]
    fn parses_user_arns() {
        let arn =
            IamArn::parse_user("arn:aws:iam::123456789012:user/production-streammanager").unwrap();
        assert_eq!(
            (arn.kind, arn.name.as_str()),
            ("user", "production-streammanager")
        );
        let err = IamArn::parse_user("arn:aws:iam::123456789012:role/R")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("(the resource must start with user/)"),
            "{err}"
        );
    }

    #[test]
    fn rejects_malformed_arns_naming_the_value() {
        for bad in [
            "StreamkapInstallAccess",
            "arn:aws:iam::12345:role/R",
            "arn:aws:iam::123456789012:user/R",
            "arn:aws:s3:::bucket",
            "arn:aws:iam:us-east-1:123456789012:role/R",
            "arn:aws:iam::123456789012:role/bad name",
        ] {
            let err = IamArn::parse_role(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("role ARN '{bad}' is not valid")),
                "{err}"
            );
        }
    }
}
