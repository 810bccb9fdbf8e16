//! `onboard apply`: create what is missing, attach, verify, hand over the role ARN (and external
//! ID and access key where the vendor takes them). An adapter: flags → [`crate::pipeline`] →
//! [`ApplyOutput`].

use std::fmt;
use std::process::ExitCode;

use serde::Serialize;

use super::accounts::{self, Report, Selection};
use crate::aws::Waits;
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::handoff::{Handoff, KeyReport, account_key_file, check_many, key_lines};
use crate::output::emit_detailed;
use crate::pipeline::{self, Applied};
use crate::plan::{Present, name_of};
use crate::verification::{AssumeSettings, Status, Summary, Verification};

/// What `apply` prints: with `--output json` every field; as text the changes (or "no
/// changes"), the drift, one verification summary line with only the warnings and failures
/// under it (every check with `-v`, the alternate form), the hand-over, and the ARN last.
#[derive(Debug, Serialize)]
pub(crate) struct ApplyOutput {
    pub(crate) vendor: String,
    pub(crate) integration: String,
    pub(crate) account: String,
    pub(crate) partition: String,
    /// The role to hand to the vendor (the first role), if the vendor takes a role.
    pub(crate) role_arn: Option<String>,
    pub(crate) role_arns: Vec<String>,
    pub(crate) user_arns: Vec<String>,
    /// The external ID in the trust policies, when the vendor takes one.
    pub(crate) external_id: Option<String>,
    /// True when onboard generated the external ID in this run.
    pub(crate) external_id_generated: bool,
    /// Access keys created in this run (the secret only with --show-secret).
    pub(crate) access_keys: Vec<KeyReport>,
    /// Whether any write call was made.
    pub(crate) changed: bool,
    /// The write calls made, in the order they completed ("created role X").
    pub(crate) changes: Vec<String>,
    pub(crate) already_present: Vec<Present>,
    /// Owned resources that differ from the catalog and were left as they are.
    pub(crate) drift: Vec<crate::plan::Drift>,
    pub(crate) verifications: Vec<Verification>,
    /// How long the run waited for IAM to propagate.
    pub(crate) waits: Waits,
}

impl From<Applied> for ApplyOutput {
    fn from(applied: Applied) -> Self {
        let Applied {
            desired,
            plan,
            changes,
            access_keys,
            verifications,
            generated,
            waits,
        } = applied;
        let role_arns: Vec<String> = desired.roles.iter().map(|r| r.arn.clone()).collect();
        ApplyOutput {
            role_arn: role_arns.first().cloned(),
            role_arns,
            user_arns: desired.users.iter().map(|u| u.arn.clone()).collect(),
            external_id: desired.external_id,
            external_id_generated: generated,
            access_keys,
            changed: !changes.is_empty(),
            changes,
            already_present: plan.present,
            drift: plan.drift,
            verifications,
            waits,
            vendor: desired.vendor,
            integration: desired.integration,
            account: desired.account,
            partition: desired.partition,
        }
    }
}

impl ApplyOutput {
    /// Whether no check failed.
    fn passed(&self) -> bool {
        self.verifications.iter().all(|v| v.passed)
    }

    /// Why the account failed although every change was made, naming the failed checks.
    fn failure(&self) -> String {
        let failed: Vec<String> = self
            .verifications
            .iter()
            .flat_map(|v| &v.checks)
            .filter(|c| c.status == Status::Fail)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        format!(
            "{} {} was applied but its verification failed: {}",
            self.vendor,
            self.integration,
            failed.join("; ")
        )
    }

    /// The checks' lines: every one (`all`), or only the warnings and failures; each names its
    /// role or user when there are several.
    fn check_lines(&self, all: bool) -> Vec<String> {
        let many = self.verifications.len() > 1;
        self.verifications
            .iter()
            .flat_map(|v| v.checks.iter().map(move |c| (v, c)))
            .filter(|(_, c)| all || matches!(c.status, Status::Warn | Status::Fail))
            .map(|(v, c)| {
                if many {
                    format!(
                        "{:<9}{} {}: {}",
                        c.status,
                        v.kind,
                        name_of(&v.arn),
                        c.line()
                    )
                } else {
                    c.to_string()
                }
            })
            .collect()
    }
}

impl fmt::Display for ApplyOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = self.changes.clone();
        if self.changes.is_empty() {
            lines.push("no changes: everything was already in place".to_owned());
        }
        lines.extend(
            self.drift
                .iter()
                .map(|d| format!("drift: {d}; apply left it as it is")),
        );
        if !self.verifications.is_empty() {
            if !f.alternate() {
                lines.push(Summary::of(&self.verifications).to_string());
            }
            lines.extend(self.check_lines(f.alternate()));
        }
        lines.extend(key_lines(&self.access_keys));
        if let Some(id) = &self.external_id {
            let note = if self.external_id_generated {
                " (generated: give it to the vendor with the role ARN)"
            } else {
                ""
            };
            lines.push(format!("external ID: {id}{note}"));
        }
        lines.extend(self.role_arns.iter().skip(1).rev().cloned());
        lines.extend(
            self.role_arn
                .clone()
                .or_else(|| self.user_arns.first().cloned()),
        );
        crate::output::lines(f, lines)
    }
}

pub(crate) async fn run(args: ApplyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let settings = pipeline::assume_settings(&args.verify, None)?;
    if let Some(selection) = Selection::check(&args.accounts)? {
        return run_in_accounts(&args, &selection, &settings, global).await;
    }
    let handoff = Handoff::new_or_resuming(args.key.key_file.as_deref(), args.key.show_secret)?;
    let verify = (!args.no_verify).then_some(&settings);
    let mut prepared = pipeline::prepare(&args.change, global, verify).await?;
    // The same command again after a run that wrote the key file but did not record the key.
    let user = prepared
        .desired
        .users
        .iter()
        .find(|u| u.access_key)
        .and_then(|u| prepared.observed.users.get(&u.name)?.as_ref());
    if handoff.resume(&prepared.aws, user).await? {
        prepared = pipeline::prepare(&args.change, global, verify).await?;
    }
    let aws = prepared.aws.clone();
    let output = match pipeline::apply(prepared, verify, &handoff).await {
        Ok(applied) => ApplyOutput::from(applied),
        // A late failure still shows the keys handed over (and hands over those for stdout).
        Err(err) => return Err(pipeline::announce_keys(&aws, &handoff, global.output, err).await),
    };
    // A key for stdout is handed over by this output: recorded once it is written, deleted if
    // it cannot be.
    let written = emit_detailed(global.output, &output, global.verbose > 0);
    handoff.settle_stdout(&aws, written).await?;
    if !output.passed() {
        anyhow::bail!(
            "{} {} was applied but its verification failed: see the failed checks",
            output.vendor,
            output.integration
        )
    }
    Ok(ExitCode::SUCCESS)
}

/// `apply --accounts` / `--organization`: the same apply in each account, one table row each;
/// a new access key goes to the account's own `--key-file` (`{account}` in the path).
async fn run_in_accounts(
    args: &ApplyArgs,
    selection: &Selection,
    settings: &AssumeSettings,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let checked = pipeline::check(&args.change)?;
    let key_user = checked.key_user.as_deref();
    check_many(args.key.key_file.as_deref(), args.key.show_secret, key_user)?;
    let key_file = args.key.key_file.as_deref().filter(|_| key_user.is_some());
    // Every given account's key file, checked before the first AWS call.
    if let (Some(path), Some(accounts)) = (key_file, selection.given()) {
        for account in accounts {
            Handoff::new(Some(&account_key_file(path, account)), false)?;
        }
    }
    let checked = &checked;
    let verify = (!args.no_verify).then_some(settings);
    let outcomes = accounts::each(selection, global, |aws| async move {
        let prepared = pipeline::prepare_in(checked, aws, verify).await?;
        let path = key_file.map(|p| account_key_file(p, &prepared.caller.account));
        let handoff = Handoff::new(path.as_deref(), false)?;
        let output = pipeline::apply(prepared, verify, &handoff)
            .await
            .map_err(|err| match key_lines(&handoff.delivered()).as_slice() {
                [] => err,
                lines => err.context(format!("before this failure: {}", lines.join("; "))),
            })
            .map(ApplyOutput::from)?;
        let mut detail = output
            .role_arn
            .clone()
            .or_else(|| output.user_arns.first().cloned())
            .unwrap_or_default();
        if let Some(file) = output.access_keys.iter().find_map(|k| k.key_file.as_ref()) {
            detail.push_str(&format!(" (new key in {})", file.display()));
        }
        Ok(Report {
            status: if output.changed { "changed" } else { "ok" },
            detail,
            role_arn: output.role_arn.clone(),
            external_id: output.external_id.clone(),
            failure: (!output.passed()).then(|| output.failure()),
            result: output,
        })
    })
    .await?;
    accounts::finish(global.output, "ARN / ERROR", &outcomes)?;
    Ok(ExitCode::SUCCESS)
}
