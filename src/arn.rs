//! ARNs, in one type: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, parsed once and read
//! through accessors, instead of split by hand wherever one is needed.

use std::fmt;

use crate::error::{Error, Result, Usage};
use crate::policy::limits::{MAX_ROLE_NAME, check_name, is_account_id};

/// A parsed ARN, borrowing the text it was parsed from.
///
/// The resource is read the way IAM and STS write theirs: `TYPE/PATH.../NAME`
/// (`role/vendors/Reader`, `policy/P`, `assumed-role/ROLE/SESSION`, `key/ID`), or a bare `TYPE`
/// (`root`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    text: &'a str,
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

/// Why text is not the ARN asked for; each reads after "is not valid (...)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ArnProblem {
    #[error("it needs six ':'-separated parts")]
    Parts,
    #[error("it must start with arn:aws, arn:aws-cn or arn:aws-us-gov")]
    Prefix,
    #[error("the service must be iam, with no region")]
    NotIam,
    #[error("the account id must be 12 digits")]
    Account,
    #[error("the resource must start with {0}/")]
    ResourceType(&'static str),
    #[error("the name is not a valid IAM name")]
    Name,
}

impl<'a> Arn<'a> {
    /// Any ARN of an AWS partition (`aws`, `aws-cn`, `aws-us-gov`, ...); the parts are not
    /// checked further (an AWS managed policy's account is `aws`, an S3 bucket's is empty).
    pub(crate) fn parse(text: &'a str) -> Result<Self, ArnProblem> {
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts[..] else {
            return Err(ArnProblem::Parts);
        };
        if arn != "arn" || !partition.starts_with("aws") {
            return Err(ArnProblem::Prefix);
        }
        Ok(Arn {
            text,
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// An IAM ARN of an account's own `kind` (`role`, `user`): no region, a 12-digit account,
    /// `kind/PATH/NAME` with a valid IAM name.
    pub(crate) fn parse_iam(text: &'a str, kind: &'static str) -> Result<Self, ArnProblem> {
        let arn = Self::parse(text)?;
        if arn.service != "iam" || !arn.region.is_empty() {
            return Err(ArnProblem::NotIam);
        }
        if !is_account_id(arn.account) {
            return Err(ArnProblem::Account);
        }
        if arn.resource_type() != kind || !arn.resource.contains('/') {
            return Err(ArnProblem::ResourceType(kind));
        }
        check_name(kind, arn.name(), MAX_ROLE_NAME).map_err(|_| ArnProblem::Name)?;
        Ok(arn)
    }

    /// A role ARN given on the command line, with an error that names the value and the
    /// expected shape.
    pub(crate) fn parse_role(text: &'a str) -> Result<Self> {
        Self::parse_given(text, "role")
    }

    /// A user ARN given on the command line, with an error that names the value and the
    /// expected shape.
    pub(crate) fn parse_user(text: &'a str) -> Result<Self> {
        Self::parse_given(text, "user")
    }

    fn parse_given(text: &'a str, kind: &'static str) -> Result<Self> {
        Self::parse_iam(text, kind).map_err(|problem| {
            Error::from(Usage::BadArn {
                kind,
                text: text.to_owned(),
                problem,
            })
        })
    }

    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub(crate) fn partition(&self) -> &'a str {
        self.partition
    }

    /// `iam`, `sts`, `kms`, ...
    pub(crate) fn service(&self) -> &'a str {
        self.service
    }

    /// Empty for global services such as IAM and STS.
    pub(crate) fn region(&self) -> &'a str {
        self.region
    }

    /// The 12-digit account id, `aws` for AWS managed policies, empty for some services.
    pub(crate) fn account(&self) -> &'a str {
        self.account
    }

    /// Everything after the account: `role/vendors/Reader`.
    pub(crate) fn resource(&self) -> &'a str {
        self.resource
    }

    /// The resource's type: `role` of `role/vendors/Reader`, `root` of `root`.
    pub(crate) fn resource_type(&self) -> &'a str {
        self.resource
            .split_once('/')
            .map_or(self.resource, |(kind, _)| kind)
    }

    /// What follows the type: `vendors/Reader` of `role/vendors/Reader`, empty when the resource
    /// has no `/`.
    pub(crate) fn resource_id(&self) -> &'a str {
        self.resource.split_once('/').map_or("", |(_, id)| id)
    }

    /// The path between the type and the name, as IAM writes it: `/vendors/` of
    /// `role/vendors/Reader`, `/` of `role/Reader` (and of `root`).
    pub(crate) fn path(&self) -> &'a str {
        let id = self.resource_id();
        match id.rfind('/') {
            // `vendors/Reader`: the path is `/vendors/`, which the resource holds right before
            // the id, so it is borrowed from there.
            Some(end) => {
                let start = self.resource.len() - id.len() - 1;
                &self.resource[start..=start + end + 1]
            }
            None => "/",
        }
    }

    /// The last segment: `Reader` of `role/vendors/Reader`, the session of
    /// `assumed-role/ROLE/SESSION`, `root` of `root`.
    pub(crate) fn name(&self) -> &'a str {
        self.resource
            .rsplit_once('/')
            .map_or(self.resource, |(_, name)| name)
    }

    /// Whether this is an AWS managed policy (`arn:aws:iam::aws:policy/...`), which onboard
    /// attaches but never owns.
    pub(crate) fn is_aws_managed_policy(&self) -> bool {
        self.service == "iam" && self.account == "aws" && self.resource_type() == "policy"
    }
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_part_of_an_arn() {
        let arn = Arn::parse("arn:aws-us-gov:iam::123456789012:role/vendors/x/R").unwrap();
        assert_eq!(arn.partition(), "aws-us-gov");
        assert_eq!(arn.service(), "iam");
        assert_eq!(arn.region(), "");
        assert_eq!(arn.account(), "123456789012");
        assert_eq!(arn.resource(), "role/vendors/x/R");
        assert_eq!(arn.resource_type(), "role");
        assert_eq!(arn.resource_id(), "vendors/x/R");
        assert_eq!(arn.path(), "/vendors/x/");
        assert_eq!(arn.name(), "R");
        assert_eq!(
            arn.to_string(),
            "arn:aws-us-gov:iam::123456789012:role/vendors/x/R"
        );
        assert!(!arn.is_aws_managed_policy());
    }

    #[test]
    fn reads_resources_without_a_path_or_a_slash() {
        let role = Arn::parse("arn:aws:iam::123456789012:role/R").unwrap();
        assert_eq!((role.path(), role.name()), ("/", "R"));
        let root = Arn::parse("arn:aws:iam::123456789012:root").unwrap();
        assert_eq!(
            (
                root.resource_type(),
                root.resource_id(),
                root.path(),
                root.name()
            ),
            ("root", "", "/", "root")
        );
        let session =
            Arn::parse("arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com").unwrap();
        assert_eq!(
            (session.service(), session.resource_type(), session.path()),
            ("sts", "assumed-role", "/Admin/")
        );
        assert_eq!(session.name(), "alice@example.com");
        let key = Arn::parse("arn:aws:kms:eu-west-1:123456789012:key/1234-abcd").unwrap();
        assert_eq!((key.region(), key.name()), ("eu-west-1", "1234-abcd"));
        let bucket = Arn::parse("arn:aws:s3:::my-bucket").unwrap();
        assert_eq!((bucket.account(), bucket.name()), ("", "my-bucket"));
        // The resource keeps its own colons.
        let function = Arn::parse("arn:aws:lambda:us-east-1:123456789012:function:f:1").unwrap();
        assert_eq!(function.resource(), "function:f:1");
    }

    #[test]
    fn knows_aws_managed_policies() {
        let managed = Arn::parse("arn:aws-cn:iam::aws:policy/job-function/ViewOnlyAccess").unwrap();
        assert!(managed.is_aws_managed_policy());
        assert_eq!(
            (managed.path(), managed.name()),
            ("/job-function/", "ViewOnlyAccess")
        );
        let own = Arn::parse("arn:aws:iam::123456789012:policy/P").unwrap();
        assert!(!own.is_aws_managed_policy());
    }

    #[test]
    fn rejects_what_is_not_an_arn() {
        for (text, problem) in [
            ("StreamkapInstallAccess", ArnProblem::Parts),
            ("arn:aws:iam::123456789012", ArnProblem::Parts),
            ("urn:aws:iam::123456789012:role/R", ArnProblem::Prefix),
            ("arn:gcp:iam::123456789012:role/R", ArnProblem::Prefix),
        ] {
            assert_eq!(Arn::parse(text), Err(problem), "{text}");
        }
    }

    #[test]
    fn parses_role_arns_with_and_without_paths() {
        let arn = Arn::parse_role("arn:aws:iam::123456789012:role/StreamkapInstallAccess").unwrap();
        assert_eq!((arn.path(), arn.name()), ("/", "StreamkapInstallAccess"));
        let text = "arn:aws-us-gov:iam::123456789012:role/vendors/x/R";
        let arn = Arn::parse_role(text).unwrap();
        assert_eq!(
            (arn.partition(), arn.path(), arn.name()),
            ("aws-us-gov", "/vendors/x/", "R")
        );
        assert_eq!(arn.to_string(), text);
    }

    #[test]
    fn parses_user_arns() {
        let arn =
            Arn::parse_user("arn:aws:iam::123456789012:user/production-streammanager").unwrap();
        assert_eq!(
            (arn.resource_type(), arn.name()),
            ("user", "production-streammanager")
        );
        let err = Arn::parse_user("arn:aws:iam::123456789012:role/R")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "user ARN 'arn:aws:iam::123456789012:role/R' is not valid (the resource must start with \
             user/): use arn:aws:iam::ACCOUNT_ID:user/NAME, as apply printed it"
        );
    }

    #[test]
    fn rejects_malformed_iam_arns_naming_the_value_and_the_problem() {
        for (bad, problem) in [
            ("StreamkapInstallAccess", ArnProblem::Parts),
            ("arn:aws:iam::12345:role/R", ArnProblem::Account),
            (
                "arn:aws:iam::123456789012:user/R",
                ArnProblem::ResourceType("role"),
            ),
            (
                "arn:aws:iam::123456789012:role",
                ArnProblem::ResourceType("role"),
            ),
            (
                "arn:aws:iam::123456789012:roles/R",
                ArnProblem::ResourceType("role"),
            ),
            ("arn:aws:s3:::bucket", ArnProblem::NotIam),
            (
                "arn:aws:iam:us-east-1:123456789012:role/R",
                ArnProblem::NotIam,
            ),
            ("arn:aws:iam::123456789012:role/bad name", ArnProblem::Name),
            ("arn:aws:iam::123456789012:role/", ArnProblem::Name),
        ] {
            assert_eq!(Arn::parse_iam(bad, "role"), Err(problem), "{bad}");
            let err = Arn::parse_role(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("role ARN '{bad}' is not valid ({problem})")),
                "{err}"
            );
        }
    }
}
