//! `onboard plan`: what apply would do, resource by resource, with a unified diff of every
//! document it would write, in canonical JSON. No write call. An adapter: flags →
//! [`crate::pipeline`] (up to the plan) → [`PlanOutput`].

use std::fmt;
use std::process::ExitCode;

use serde::Serialize;

use super::accounts::{self, Report, Selection};
use crate::cli::{GlobalArgs, PlanArgs};
use crate::output::emit;
use crate::pipeline::{self, Prepared};
use crate::plan::{Action, Documents, Drift, Present, Verb};
use crate::policy::pretty;
use crate::state::Observed;

/// What `plan --output json` prints.
#[derive(Debug, Serialize)]
pub(crate) struct PlanOutput {
    pub vendor: String,
    pub integration: String,
    pub account: String,
    /// Whether apply would make any write call.
    pub pending: bool,
    pub changes: Vec<PlannedChange>,
    pub unchanged: Vec<Present>,
    /// Differences apply would leave as they are.
    pub drift: Vec<Drift>,
    /// The external ID apply would use, when the vendor takes one.
    pub external_id: Option<String>,
    /// True when apply would generate a new external ID (a different one than shown here).
    pub external_id_generated: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct PlannedChange {
    /// create, update, attach, detach, tag or delete.
    pub kind: Verb,
    pub description: String,
    /// Unified diff of the document, canonical JSON, for changes that write one.
    pub diff: Option<String>,
}

/// A step's document, what it replaces and their labels, as its kind's module says.
fn documents<'a>(action: &'a Action, observed: &'a Observed) -> Option<Documents<'a>> {
    action.documents(observed)
}

/// A unified diff of two documents in canonical form.
fn unified_diff((before, after, label): Documents<'_>) -> String {
    let (before, before_label) = match before {
        Some((document, label)) => (pretty(document) + "\n", label),
        None => (String::new(), "nothing".to_owned()),
    };
    let after = pretty(after) + "\n";
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(&before_label, &format!("{label} in the catalog"))
        .to_string()
}

pub(crate) async fn run(args: PlanArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    if let Some(selection) = Selection::check(&args.accounts)? {
        return run_in_accounts(&args, &selection, global).await;
    }
    let output = planned(pipeline::prepare(&args.change, global, None).await?);
    emit(global.output, &output)?;
    Ok(exit_code(&args, output.pending))
}

/// 2 with --detailed-exitcode when changes are pending, as Terraform's plan does; else 0.
fn exit_code(args: &PlanArgs, pending: bool) -> ExitCode {
    match (args.detailed_exitcode, pending) {
        (true, true) => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    }
}

/// `plan --accounts` / `--organization`: the same plan in each account, one table row each.
async fn run_in_accounts(
    args: &PlanArgs,
    selection: &Selection,
    global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    let checked = &pipeline::check(&args.change)?;
    let outcomes = accounts::each(selection, global, |aws| async move {
        let prepared = pipeline::prepare_in(checked, aws, None).await?;
        let role_arn = prepared.desired.roles.first().map(|r| r.arn.clone());
        let output = planned(prepared);
        Ok(Report {
            status: if output.pending { "pending" } else { "in sync" },
            detail: output.summary(),
            role_arn,
            external_id: output.external_id.clone(),
            failure: None,
            result: output,
        })
    })
    .await?;
    accounts::finish(global.output, "PLAN / ERROR", &outcomes)?;
    let pending = outcomes
        .iter()
        .any(|o| o.result.as_ref().is_some_and(|r| r.pending));
    Ok(exit_code(args, pending))
}

/// The plan's output: every resource, every change with its diff.
fn planned(prepared: Prepared) -> PlanOutput {
    let Prepared {
        desired,
        observed,
        plan,
        generated,
        ..
    } = prepared;
    let changes: Vec<PlannedChange> = plan
        .steps
        .iter()
        .map(|step| PlannedChange {
            kind: step.action.change(),
            description: step.action.describe(),
            diff: documents(&step.action, &observed).map(unified_diff),
        })
        .collect();
    PlanOutput {
        vendor: desired.vendor.clone(),
        integration: desired.integration.clone(),
        account: desired.account.clone(),
        pending: !changes.is_empty(),
        changes,
        unchanged: plan.present,
        drift: plan.drift,
        external_id: desired.external_id.clone(),
        external_id_generated: generated,
    }
}

impl PlanOutput {
    /// The last line: what apply would do, counted by kind of change.
    fn summary(&self) -> String {
        if self.changes.is_empty() {
            return "No changes: everything matches the catalog.".to_owned();
        }
        let count = |kind| self.changes.iter().filter(|c| c.kind == kind).count();
        format!(
            "Plan: {} to create, {} to update, {} to attach, {} to detach, {} to tag, {} to delete.",
            count(Verb::Create),
            count(Verb::Update),
            count(Verb::Attach),
            count(Verb::Detach),
            count(Verb::Tag),
            count(Verb::Delete)
        )
    }
}

/// Every resource that exists, every change with its diff indented under it, the drift, and
/// the summary last.
impl fmt::Display for PlanOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<String> = self
            .unchanged
            .iter()
            .map(|p| format!("  {} {}: exists", p.kind, p.name))
            .collect();
        for change in &self.changes {
            lines.push(format!("~ {}", change.description));
            if let Some(diff) = &change.diff {
                lines.extend(diff.lines().map(|l| format!("    {l}")));
            }
        }
        lines.extend(self.drift.iter().map(|d| format!("! {d}")));
        lines.push(self.summary());
        crate::output::lines(f, lines)
    }
}
