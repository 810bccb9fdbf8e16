//! `onboard lint`: the documents apply would create, checked offline (see [`crate::policy::lint`]).

use std::fmt;
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
    emit(global.output, &output)?;
    Ok(if output.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Every finding, one line each, then the counts.
impl fmt::Display for LintOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        write!(
            f,
            "{} {}: {} error(s), {} security warning(s), {} warning(s)",
            self.vendor, self.integration, self.errors, self.security_warnings, self.warnings
        )
    }
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
