//! `--accounts` and `--organization`: apply, plan or teardown in many accounts at once, through a
//! role assumed in each, with one table row (or JSON object) per account. One account's failure
//! does not stop the others.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;

use futures_util::future::Either;
use futures_util::{StreamExt, stream};
use serde::Serialize;
use tracing::Instrument;

use crate::aws::Aws;
use crate::cli::{AccountsArgs, GlobalArgs, OutputFormat};
use crate::error::{Error, Result, Usage};
use crate::interrupt;
use crate::output::emit;
use crate::policy::limits::check_name;

/// The accounts to work in, and how to get there, checked offline.
pub(super) struct Selection {
    accounts: Accounts,
    role_name: String,
    concurrency: usize,
}

enum Accounts {
    Given(Vec<String>),
    /// Every ACTIVE account of the caller's organization but its management account.
    Organization,
}

impl Selection {
    /// `None` without --accounts or --organization (the caller's own account, as always).
    /// Refuses duplicate ids and a role name IAM would refuse.
    pub(super) fn check(args: &AccountsArgs) -> Result<Option<Selection>> {
        let accounts = match (args.organization, args.accounts.is_empty()) {
            (true, _) => Accounts::Organization,
            (false, false) => Accounts::Given(args.accounts.clone()),
            (false, true) => return Ok(None),
        };
        let mut seen = BTreeSet::new();
        if let Some(twice) = args.accounts.iter().find(|id| !seen.insert(*id)) {
            return Err(Error::from(Usage::AccountGivenTwice {
                account: twice.clone(),
            }));
        }
        check_name("--assume-role-name: role", &args.assume_role_name, 64)?;
        Ok(Some(Selection {
            accounts,
            role_name: args.assume_role_name.clone(),
            concurrency: args.account_concurrency.into(),
        }))
    }

    /// The accounts `--accounts` names; `None` for `--organization` (listed when it runs).
    pub(super) fn given(&self) -> Option<&[String]> {
        match &self.accounts {
            Accounts::Given(ids) => Some(ids),
            Accounts::Organization => None,
        }
    }
}

/// What the work in one account hands back.
pub(super) struct Report<T> {
    /// The table's STATUS when the account succeeded ("ok", "changed", "pending").
    pub status: &'static str,
    /// The table's last column when the account succeeded.
    pub detail: String,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// Why the account failed although it has a result (a failed verification after apply).
    pub failure: Option<String>,
    /// The single-account command's JSON object.
    pub result: T,
}

/// One account's row of `--output json`.
#[derive(Debug, Serialize)]
pub(super) struct AccountOutcome<T> {
    pub account: String,
    pub ok: bool,
    /// The table's STATUS: "FAILED", or what the command did ("ok", "changed", "pending").
    pub status: String,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// What the single-account command prints with `--output json`, when it got that far.
    pub result: Option<T>,
    /// The error with its causes, on one line.
    pub error: Option<String>,
    /// The table's last column.
    #[serde(skip)]
    detail: String,
    /// Whether the error was a Ctrl-C.
    #[serde(skip)]
    interrupted: bool,
}

/// What `--accounts` / `--organization` print: a table of one row per account (ACCOUNT,
/// STATUS, the command's last column, and EXTERNAL ID when any account has one), or with
/// `--output json` one object per account with the single-account command's result.
#[derive(Debug, Serialize)]
pub(crate) struct AccountsOutput<'a, T> {
    pub(crate) accounts: &'a [AccountOutcome<T>],
    /// How many accounts failed.
    pub(crate) failed: usize,
    /// The table's last column's header ("ARN / ERROR").
    #[serde(skip)]
    column: &'a str,
}

impl<T> fmt::Display for AccountsOutput<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::output::lines(f, table(self.column, self.accounts))
    }
}

/// Runs `work` in every selected account, at most `--account-concurrency` at once, and returns
/// the outcomes in the order the accounts were given (or listed). The organization's accounts
/// start as soon as their page of organizations:ListAccounts arrives. Only reading the caller
/// and the organization's accounts fails the whole command (a later page's failure once the
/// accounts already started have finished); everything else fails one account.
pub(super) async fn each<T, F, Fut>(
    selection: &Selection,
    global: &GlobalArgs,
    work: F,
) -> anyhow::Result<Vec<AccountOutcome<T>>>
where
    F: Fn(Aws) -> Fut,
    Fut: Future<Output = anyhow::Result<Report<T>>>,
{
    let aws = Aws::connect(global).await;
    let pages = async {
        Ok::<_, Error>(match &selection.accounts {
            Accounts::Given(ids) => Either::Left(stream::iter([Ok(ids.clone())])),
            Accounts::Organization => Either::Right(aws.member_accounts().await?),
        })
    };
    // Who the caller is and the organization's accounts do not depend on each other.
    let (caller, pages) = tokio::join!(aws.caller(), pages);
    let (caller, pages) = (caller?, pages?);
    let (aws, caller, work) = (&aws, &caller, &work);
    let accounts = pages.flat_map(|page| {
        stream::iter(match page {
            Ok(ids) => ids.into_iter().map(Ok).collect(),
            Err(err) => vec![Err(err)],
        })
    });
    let results: Vec<Result<(usize, AccountOutcome<T>)>> = accounts
        .enumerate()
        .map(|(index, account)| async move {
            let account = account?;
            let span = tracing::info_span!("account", id = %account);
            let result = async {
                if interrupt::received() {
                    return Err(anyhow::Error::from(Error::InterruptedIdle)
                        .context("not started in this account"));
                }
                let aws = if account == caller.account {
                    aws.clone()
                } else {
                    aws.in_account(&caller.partition, &account, &selection.role_name)
                        .await?
                };
                work(aws).await
            }
            .instrument(span)
            .await;
            Ok((index, outcome(account, result)))
        })
        .buffer_unordered(selection.concurrency)
        .collect()
        .await;
    let mut outcomes = results.into_iter().collect::<Result<Vec<_>>>()?;
    if outcomes.is_empty() && selection.given().is_none() {
        tracing::warn!("the organization has no ACTIVE account but its management account");
    }
    outcomes.sort_by_key(|(index, _)| *index);
    Ok(outcomes.into_iter().map(|(_, outcome)| outcome).collect())
}

fn outcome<T>(account: String, result: anyhow::Result<Report<T>>) -> AccountOutcome<T> {
    match result {
        Ok(report) => {
            let ok = report.failure.is_none();
            AccountOutcome {
                account,
                ok,
                status: if ok { report.status } else { "FAILED" }.to_owned(),
                role_arn: report.role_arn,
                external_id: report.external_id,
                result: Some(report.result),
                detail: report.failure.clone().unwrap_or(report.detail),
                error: report.failure,
                interrupted: false,
            }
        }
        Err(err) => {
            let message = crate::error::one_line(&err).replace('\n', " ");
            AccountOutcome {
                account,
                ok: false,
                status: "FAILED".to_owned(),
                role_arn: None,
                external_id: None,
                result: None,
                detail: message.clone(),
                error: Some(message),
                interrupted: err.chain().any(|cause| {
                    matches!(
                        cause.downcast_ref::<Error>(),
                        Some(Error::Interrupted { .. } | Error::InterruptedIdle)
                    )
                }),
            }
        }
    }
}

/// Prints the table (ACCOUNT, STATUS, `last_column`, and EXTERNAL ID when any account has one)
/// or the JSON object; an error when any account failed.
pub(super) fn finish<T: Serialize>(
    format: OutputFormat,
    last_column: &str,
    outcomes: &[AccountOutcome<T>],
) -> anyhow::Result<()> {
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    emit(
        format,
        &AccountsOutput {
            accounts: outcomes,
            failed,
            column: last_column,
        },
    )?;
    if failed == 0 {
        return Ok(());
    }
    Err(Error::AccountsFailed {
        failed,
        total: outcomes.len(),
        interrupted: outcomes.iter().any(|o| o.interrupted),
    }
    .into())
}

/// One line per account under a header, columns padded to the widest cell.
fn table<T>(last_column: &str, outcomes: &[AccountOutcome<T>]) -> Vec<String> {
    let external_id = |o: &AccountOutcome<T>| o.external_id.clone().filter(|_| o.ok);
    let with_external_ids = outcomes.iter().any(|o| external_id(o).is_some());
    let status_width = outcomes
        .iter()
        .map(|o| o.status.len())
        .chain(["STATUS".len()])
        .max()
        .unwrap_or_default();
    let detail_width = outcomes
        .iter()
        .filter(|o| external_id(o).is_some())
        .map(|o| o.detail.len())
        .chain([last_column.len()])
        .max()
        .unwrap_or_default();
    let row = |account: &str, status: &str, detail: &str, external_id: Option<&str>| {
        let line = match external_id.filter(|_| with_external_ids) {
            Some(id) => {
                format!("{account:<12}  {status:<status_width$}  {detail:<detail_width$}  {id}")
            }
            None => format!("{account:<12}  {status:<status_width$}  {detail}"),
        };
        line.trim_end().to_owned()
    };
    std::iter::once(row("ACCOUNT", "STATUS", last_column, Some("EXTERNAL ID")))
        .chain(
            outcomes
                .iter()
                .map(|o| row(&o.account, &o.status, &o.detail, external_id(o).as_deref())),
        )
        .collect()
}
