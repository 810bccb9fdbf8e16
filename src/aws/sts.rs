//! STS: who the caller is, and assuming a role to prove it can be assumed.

use serde::Serialize;

use super::Aws;
use super::errors::Doing;
use crate::arn::Arn;
use crate::error::{Error, Result};

/// The identity onboard runs as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Caller {
    pub account: String,
    pub arn: String,
    /// `aws`, `aws-cn` or `aws-us-gov`, read from the caller's ARN.
    pub partition: String,
}

impl Caller {
    /// A caller from sts:GetCallerIdentity's account and ARN.
    pub(crate) fn new(account: &str, arn: &str) -> Result<Self> {
        let partition = Arn::parse(arn)
            .map(|parsed| parsed.partition())
            .map_err(|_| {
                Error::aws(
                    "reading the caller identity",
                    None,
                    format!("unexpected caller ARN '{arn}'"),
                )
            })?;
        Ok(Caller {
            account: account.to_owned(),
            arn: arn.to_owned(),
            partition: partition.to_owned(),
        })
    }
}

/// Temporary credentials from sts:AssumeRole. Debug output never shows the secret.
#[derive(Clone)]
pub(crate) struct AssumedCredentials(pub(super) aws_sdk_sts::config::Credentials);

impl std::fmt::Debug for AssumedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AssumedCredentials(..)")
    }
}

impl Aws {
    /// Who these clients act as: sts:GetCallerIdentity with the configured credentials, or,
    /// for clients [`Aws::in_account`] made, the role it assumed there, without asking again.
    pub(crate) async fn caller(&self) -> Result<Caller> {
        if let Some(known) = &self.account {
            return Ok(known.clone());
        }
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .doing(|| "finding the caller's account (sts:GetCallerIdentity)".to_owned())?;
        Caller::new(
            out.account().unwrap_or_default(),
            out.arn().unwrap_or_default(),
        )
    }

    /// sts:AssumeRole; the error keeps its AWS code so callers can tell `AccessDenied`.
    pub(crate) async fn assume_role(
        &self,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
    ) -> Result<AssumedCredentials> {
        let out = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_owned))
            .send()
            .await
            .doing(|| format!("assuming role {role_arn}"))?;
        let creds = out.credentials().ok_or_else(|| {
            Error::aws(
                format!("assuming role {role_arn}"),
                None,
                "no credentials in the answer".into(),
            )
        })?;
        Ok(AssumedCredentials(aws_sdk_sts::config::Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_owned()),
            None,
            "onboard-verify",
        )))
    }

    /// sts:GetCallerIdentity with temporary credentials: the assumed-role ARN.
    pub(crate) async fn caller_with(&self, creds: &AssumedCredentials) -> Result<String> {
        let config = aws_sdk_sts::config::Builder::from(&self.config)
            .credentials_provider(creds.0.clone())
            .build();
        let out = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .doing(|| "calling sts:GetCallerIdentity as the assumed role".to_owned())?;
        Ok(out.arn().unwrap_or_default().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_comes_from_the_caller_arn() {
        let c = Caller::new("123456789012", "arn:aws-cn:iam::123456789012:user/me").unwrap();
        assert_eq!(c.partition, "aws-cn");
        assert!(Caller::new("1", "not-an-arn").is_err());
    }
}
