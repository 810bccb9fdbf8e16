//! Other accounts: the organization's member accounts (organizations:ListAccounts), and clients
//! acting in another account through a role assumed there.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_organizations::types::{Account, AccountState, AccountStatus};
use futures_util::{Stream, StreamExt, stream};

use super::Aws;
use super::errors::Doing;
use crate::error::{Error, Result};

const LISTING: &str = "listing the organization's accounts (organizations:ListAccounts)";
const DESCRIBING: &str = "finding the caller's organization (organizations:DescribeOrganization)";

/// The ids of the ACTIVE accounts among `accounts`, but `management`.
fn members(accounts: &[Account], management: &str) -> Vec<String> {
    accounts
        .iter()
        .filter(|a| match a.state() {
            Some(state) => *state == AccountState::Active,
            None => a.status() == Some(&AccountStatus::Active),
        })
        .filter_map(|a| a.id())
        .filter(|id| *id != management)
        .map(str::to_owned)
        .collect()
}

impl Aws {
    /// The ACTIVE accounts of the caller's organization but its management account, in the
    /// order AWS lists them, one page of organizations:ListAccounts at a time: each page's
    /// accounts come as soon as the page arrives, so that work in them starts while later
    /// pages are read (ListAccounts answers at most 20 accounts a page). The first page is read
    /// together with organizations:DescribeOrganization, which names the management account.
    pub(crate) async fn member_accounts(
        &self,
    ) -> Result<impl Stream<Item = Result<Vec<String>>> + use<>> {
        let client = aws_sdk_organizations::Client::new(&self.config);
        let describe = async {
            let described = client
                .describe_organization()
                .send()
                .await
                .doing(|| DESCRIBING.to_owned())?;
            described
                .organization()
                .and_then(|o| o.master_account_id())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::aws(
                        DESCRIBING,
                        None,
                        "no management account in the answer".into(),
                    )
                })
        };
        let mut pages = client.list_accounts().into_paginator().send();
        let first = async { pages.next().await.transpose().doing(|| LISTING.to_owned()) };
        let (management, first) = tokio::try_join!(describe, first)?;
        let first = first.map(|page| members(page.accounts(), &management));
        let rest = stream::unfold(pages, move |mut pages| {
            let management = management.clone();
            async move {
                let page = pages.next().await?.doing(|| LISTING.to_owned());
                Some((page.map(|p| members(p.accounts(), &management)), pages))
            }
        });
        Ok(stream::iter(first.map(Ok)).chain(rest))
    }

    /// Clients acting in `account` as the role `role_name` there, assumed (sts:AssumeRole) with
    /// these clients' credentials. They share this configuration and its connections, but not
    /// its bound on requests in flight: each account has its own (IAM throttles each account on
    /// its own), and the sts:AssumeRole that reaches the account counts against it.
    pub(crate) async fn in_account(
        &self,
        partition: &str,
        account: &str,
        role_name: &str,
    ) -> Result<Aws> {
        let role_arn = format!("arn:{partition}:iam::{account}:role/{role_name}");
        let session = format!("onboard-{account}");
        let http = self
            .http
            .as_ref()
            .map(super::limit::Limited::for_another_account);
        let mut builder = self.config.to_builder();
        if let Some(http) = &http {
            builder = builder.http_client(http.clone());
        }
        let reaching = builder.build();
        let creds = Aws {
            sts: aws_sdk_sts::Client::new(&reaching),
            ..self.clone()
        }
        .assume_role(&role_arn, &session, None)
        .await?;
        let config = reaching
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(creds.0))
            .build();
        let mut aws = Aws::from_config(
            config,
            self.retry,
            self.concurrency,
            self.propagation.for_another_account(),
        );
        aws.http = http;
        aws.account = Some(super::Caller {
            account: account.to_owned(),
            arn: format!("arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"),
            partition: partition.to_owned(),
        });
        Ok(aws)
    }
}
