//! `onboard lint`: the documents apply would create, checked offline (see [`crate::policy::lint`]).

use std::process::ExitCode;

use serde::Serialize;

use super::offline::{STAND_IN_ACCOUNT, render_checked, stand_in_context};
use super::target::Target;
use crate::cli::{GlobalArgs, LintArgs, RenderFlags};
use crate::error::Result;
use crate::output::emit;
use crate::policy::lint::{Finding, Severity, lint};

/// What `lint --output json` prints.
#[derive(Debug, Serialize)]
pub(crate) struct LintOutput {
    pub vendor: String,
    pub integration: String,
    /// The account the documents were rendered for (`--account`, else a stand-in).
    pub account: String,
    pub errors: usize,
    pub security_warnings: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

pub(crate) fn run(args: &LintArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let output = check(args)?;
    let mut text: Vec<String> = output.findings.iter().map(Finding::to_string).collect();
    text.push(format!(
        "{} {}: {} error(s), {} security warning(s), {} warning(s)",
        output.vendor, output.integration, output.errors, output.security_warnings, output.warnings
    ));
    emit(global.output, &output, &text)?;
    Ok(if output.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn check(args: &LintArgs) -> Result<LintOutput> {
    let entry = &args.entry;
    let target = Target::with_catalog_names(
        entry.vendor.as_deref(),
        entry.catalog_file.as_deref(),
        &entry.integrations,
        &entry.params,
        entry.trust_principal.as_deref(),
    )?;
    let account = args.account.as_deref().unwrap_or(STAND_IN_ACCOUNT);
    let ctx = stand_in_context(
        &target,
        account,
        args.external_id.as_deref(),
        &RenderFlags::default(),
    )?;
    let desired = render_checked(&target, &ctx)?;
    let findings = lint(&desired);
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    Ok(LintOutput {
        errors: count(Severity::Error),
        security_warnings: count(Severity::Security),
        warnings: count(Severity::Warning),
        vendor: desired.vendor,
        integration: desired.integration,
        account: desired.account,
        findings,
    })
}
