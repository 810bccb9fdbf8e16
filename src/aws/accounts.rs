//! Other accounts: the organization's accounts (organizations:ListAccounts), and clients acting
//! in another account through a role assumed there.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_organizations::types::{AccountState, AccountStatus};

use super::Aws;
use super::errors::Doing;
use crate::error::{Error, Result};

/// The accounts of the caller's organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Organization {
    /// The management account's id.
    pub management_account: String,
    /// Ids of the ACTIVE accounts, the management account among them, in the order AWS lists
    /// them.
    pub active_accounts: Vec<String>,
}

impl Aws {
    /// organizations:DescribeOrganization and every page of organizations:ListAccounts, at once.
    pub(crate) async fn organization(&self) -> Result<Organization> {
        let client = aws_sdk_organizations::Client::new(&self.config);
        let describe = async {
            client.describe_organization().send().await.doing(|| {
                "finding the caller's organization (organizations:DescribeOrganization)".to_owned()
            })
        };
        let list = async {
            let mut pages = client.list_accounts().into_paginator().send();
            let mut active = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.doing(|| {
                    "listing the organization's accounts (organizations:ListAccounts)".to_owned()
                })?;
                active.extend(
                    page.accounts()
                        .iter()
                        .filter(|a| match a.state() {
                            Some(state) => *state == AccountState::Active,
                            None => a.status() == Some(&AccountStatus::Active),
                        })
                        .filter_map(|a| a.id().map(str::to_owned)),
                );
            }
            Ok(active)
        };
        let (described, active_accounts) = tokio::try_join!(describe, list)?;
        let management_account = described
            .organization()
            .and_then(|o| o.master_account_id())
            .ok_or_else(|| {
                Error::aws(
                    "finding the caller's organization (organizations:DescribeOrganization)",
                    None,
                    "no management account in the answer".into(),
                )
            })?
            .to_owned();
        Ok(Organization {
            management_account,
            active_accounts,
        })
    }

    /// Clients acting in `account` as the role `role_name` there, assumed (sts:AssumeRole) with
    /// these clients' credentials. They share this configuration, the bound on requests in
    /// flight included.
    pub(crate) async fn in_account(
        &self,
        partition: &str,
        account: &str,
        role_name: &str,
    ) -> Result<Aws> {
        let role_arn = format!("arn:{partition}:iam::{account}:role/{role_name}");
        let session = format!("onboard-{account}");
        let creds = self.assume_role(&role_arn, &session, None).await?;
        let config = self
            .config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(creds.0))
            .build();
        let mut aws = Aws::from_config(
            config,
            self.retry,
            self.concurrency,
            self.propagation.for_another_account(),
        );
        aws.account = Some(super::Caller {
            account: account.to_owned(),
            arn: format!("arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"),
            partition: partition.to_owned(),
        });
        Ok(aws)
    }
}
