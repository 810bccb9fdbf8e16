//! `onboard teardown`: remove what onboard created (found by its tags), and nothing else.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::accounts::{self, Report, Selection};
use crate::aws::{Attempt, Aws, NotYet, Waits};
use crate::catalog;
use crate::cli::{GlobalArgs, TeardownArgs};
use crate::error::{Error, Result, Usage};
use crate::handoff::Handoff;
use crate::output::emit;
use crate::plan::{Kept, plan_teardown};

/// What `teardown` prints: the removals (or that there was nothing to remove) and what was
/// kept, with the reason.
#[derive(Debug, Serialize)]
pub(crate) struct TeardownOutput {
    pub(crate) vendor: Option<String>,
    /// With `--integration`: the integrations removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) integrations: Vec<String>,
    /// The write calls made, in the order they completed ("deleted role X").
    pub(crate) removed: Vec<String>,
    /// Resources found and left alone, with the reason.
    pub(crate) kept: Vec<Kept>,
    /// How long the run waited for IAM to propagate.
    pub(crate) waits: Waits,
}

impl TeardownOutput {
    /// The accounts table's last column.
    fn summary(&self) -> String {
        match self.removed.len() {
            0 => "nothing to remove".to_owned(),
            n => format!("removed {n} resources"),
        }
    }
}

impl fmt::Display for TeardownOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = self.removed.clone();
        if self.removed.is_empty() {
            let mut scope = self
                .vendor
                .as_deref()
                .map(|v| format!(" for vendor {v}"))
                .unwrap_or_default();
            if !self.integrations.is_empty() {
                scope.push_str(&format!(" ({})", self.integrations.join(", ")));
            }
            lines.push(format!(
                "nothing to remove: onboard owns no resources{scope} in this account"
            ));
        }
        lines.extend(
            self.kept
                .iter()
                .map(|k| format!("kept {} {}: {}", k.kind, k.name, k.reason)),
        );
        crate::output::lines(f, lines)
    }
}

/// Names of every resource the built-in entries in scope would create (a vendor of the user's
/// own catalog file has none here: its resources are found by their tags alone).
fn catalog_names(vendor: Option<&str>) -> Result<BTreeSet<String>> {
    let vendors = match vendor {
        Some(v) if catalog::builtin_vendors().contains(&v) => vec![v],
        Some(_) => vec![],
        None => catalog::builtin_vendors(),
    };
    let mut names = BTreeSet::new();
    for vendor in vendors {
        for integration in catalog::load_builtin(vendor)?.integrations.values() {
            names.extend(integration.policies.iter().map(|p| p.name.clone()));
            names.extend(integration.roles.iter().map(|r| r.name.clone()));
            names.extend(integration.users.iter().map(|u| u.name.clone()));
        }
    }
    Ok(names)
}

async fn confirm(count: usize) -> Result<bool> {
    let mut stderr = std::io::stderr();
    let _ = write!(
        stderr,
        "Remove these {count} resources? Only 'yes' confirms: "
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    BufReader::new(tokio::io::stdin())
        .read_line(&mut answer)
        .await?;
    Ok(answer.trim() == "yes")
}

pub(crate) async fn run(args: TeardownArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let selection = Selection::check(&args.accounts)?;
    let interactive = std::io::stdin().is_terminal();
    if !args.yes && !interactive {
        return Err(Error::from(Usage::NoTerminalToConfirm).into());
    }
    let names = catalog_names(args.vendor.as_deref())?;
    if let Some((catalog, removing)) = super::teardown_integration::check(&args)? {
        if !args.yes {
            return Err(Error::from(Usage::IntegrationTeardownUnconfirmed).into());
        }
        if selection.is_some() {
            return Err(Error::from(Usage::IntegrationTeardownInManyAccounts).into());
        }
        let aws = Aws::connect(global).await;
        let output =
            super::teardown_integration::teardown(&aws, &catalog, &removing, &names).await?;
        emit(global.output, &output)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(selection) = selection {
        return run_in_accounts(&args, &selection, &names, global).await;
    }

    let aws = Aws::connect(global).await;
    let output = teardown_in(&aws, &args, &names).await?;
    emit(global.output, &output)?;
    Ok(ExitCode::SUCCESS)
}

/// `teardown --accounts` / `--organization`: the same teardown in each account, one table row
/// each; --yes is required (no prompt per account).
async fn run_in_accounts(
    args: &TeardownArgs,
    selection: &Selection,
    names: &BTreeSet<String>,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    if !args.yes {
        return Err(Error::from(Usage::ManyAccountsUnconfirmed).into());
    }
    let outcomes = accounts::each(selection, global, |aws| async move {
        let output = teardown_in(&aws, args, names).await?;
        Ok(Report {
            status: "ok",
            detail: output.summary(),
            role_arn: None,
            external_id: None,
            failure: None,
            result: output,
        })
    })
    .await?;
    accounts::finish(global.output, "REMOVED / ERROR", &outcomes)?;
    Ok(ExitCode::SUCCESS)
}

/// Removes what onboard owns in the account of `aws` (asking first unless --yes), and says what
/// was removed and kept.
async fn teardown_in(
    aws: &Aws,
    args: &TeardownArgs,
    names: &BTreeSet<String>,
) -> anyhow::Result<TeardownOutput> {
    let vendor = args.vendor.as_deref();
    let read = aws.read_account().await?;
    let no_keys = Handoff::new(None, false)?;
    // With --yes, the detaches from onboard's roles and users, which the second round of reads
    // cannot change, start beside it; the rest is planned once it is in.
    let mut early = Vec::new();
    let plan = if args.yes {
        let detaches = plan_teardown(&read.settled(), vendor).detaches();
        let executed = crate::pipeline::execute_plan(aws, &detaches, &no_keys);
        let (executed, inventory) = tokio::join!(executed, aws.inventory_of(read, names));
        early = executed.into_result()?;
        plan_teardown(&inventory?, vendor).without(&detaches)
    } else {
        plan_teardown(&aws.inventory_of(read, names).await?, vendor)
    };

    if !plan.steps.is_empty() && !args.yes {
        for step in &plan.steps {
            let _ = writeln!(std::io::stderr(), "  will {}", step.action.describe());
        }
        if !confirm(plan.steps.len()).await? {
            anyhow::bail!("teardown cancelled: nothing was removed");
        }
    }
    // Something attached meanwhile, or a removal IAM has not propagated yet, answers
    // DeleteConflict: read the account again and go on, until the run's propagation deadline.
    let progress = Mutex::new((plan, early));
    aws.propagation()
        .until(|| async {
            let plan = progress.lock().expect("not poisoned").0.clone();
            let executed = crate::pipeline::execute_plan(aws, &plan, &no_keys).await;
            progress
                .lock()
                .expect("not poisoned")
                .1
                .extend(executed.changes);
            match executed.failure {
                None => Attempt::Done(Ok(())),
                Some(err) if err.aws_code() == Some("DeleteConflict") => {
                    match aws.inventory(names).await {
                        Ok(inventory) => {
                            let plan = plan_teardown(&inventory, vendor);
                            progress.lock().expect("not poisoned").0 = plan;
                            Attempt::NotYet(NotYet::StillInUse, err)
                        }
                        Err(read) => Attempt::Done(Err(read)),
                    }
                }
                Some(err) => Attempt::Done(Err(err)),
            }
        })
        .await?;
    let (plan, removed) = progress.into_inner().expect("not poisoned");

    Ok(TeardownOutput {
        vendor: args.vendor.clone(),
        integrations: Vec::new(),
        removed,
        kept: plan.kept,
        waits: aws.waits(),
    })
}
