//! `onboard lint`: the documents apply would create, checked offline (see [`crate::policy::lint`]).

use std::process::ExitCode;

use serde::Serialize;

use super::target::Target;
use crate::catalog::{CatalogSource, Naming};
use crate::cli::{GlobalArgs, LintArgs};
use crate::error::{Error, Result};
use crate::output::emit;
use crate::policy::limits::{check_external_id, is_account_id};
use crate::policy::lint::{Finding, Severity, lint};

/// Account the documents are rendered for when `--account` is not given.
pub(super) const STAND_IN_ACCOUNT: &str = "000000000000";
/// External ID the documents are rendered with when `--external-id` is not given: as long as
/// the one apply would generate, so that sizes come out the same.
pub(super) const STAND_IN_EXTERNAL_ID: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// What `lint --output json` prints.
#[derive(Debug, Serialize)]
pub struct LintOutput {
    pub vendor: String,
    pub integration: String,
    /// The account the documents were rendered for (`--account`, else a stand-in).
    pub account: String,
    pub errors: usize,
    pub security_warnings: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

pub async fn run(args: LintArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let output = check(&args)?;
    let mut text: Vec<String> = output.findings.iter().map(Finding::to_string).collect();
    text.push(format!(
        "{} {}: {} error(s), {} security warning(s), {} warning(s)",
        output.vendor, output.integration, output.errors, output.security_warnings, output.warnings
    ));
    emit(global.output, &output, &text);
    Ok(if output.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn check(args: &LintArgs) -> Result<LintOutput> {
    let source = match (&args.vendor, &args.catalog_file) {
        (_, Some(path)) => CatalogSource::File(path),
        (Some(vendor), None) => CatalogSource::Builtin(vendor),
        (None, None) => unreachable!("clap requires --vendor or --catalog-file"),
    };
    let naming = Naming {
        path: "/".to_owned(),
        ..Naming::default()
    };
    let target = Target::new(
        source.load()?,
        &args.integrations,
        &args.params,
        args.trust_principal.as_deref(),
        naming,
    )?;
    let account = args.account.as_deref().unwrap_or(STAND_IN_ACCOUNT);
    if !is_account_id(account) {
        return Err(Error::Usage(format!(
            "--account '{account}' is not a 12-digit account id"
        )));
    }
    if let Some(id) = &args.external_id {
        check_external_id(id)?;
    }
    let mut ctx = target.context(account, "aws", "us-east-1");
    ctx.external_id = Some(
        args.external_id
            .clone()
            .unwrap_or_else(|| STAND_IN_EXTERNAL_ID.to_owned()),
    );
    ctx.added_external_id = args.external_id.clone();
    let desired = target.render(&ctx)?;
    if args.external_id.is_some() && desired.external_id.is_none() {
        return Err(no_external_id(&target));
    }
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

/// The error for `--external-id` on integrations none of whose trust policies could use it.
pub(super) fn no_external_id(target: &Target) -> Error {
    let integrations: Vec<&str> = target.selected().iter().map(|(n, _)| *n).collect();
    Error::Usage(format!(
        "--external-id: vendor {} ({}) has no trust policy with an external ID condition, nor one \
         that lets another account assume a role",
        target.catalog.vendor,
        integrations.join(", ")
    ))
}
