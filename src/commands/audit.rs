//! `onboard audit`: every way into the account (or each account of `--accounts` /
//! `--organization`) that another party holds, with findings (see [`crate::audit`]).

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use super::accounts::{self, Report, Selection};
use crate::audit::findings::Limits;
use crate::audit::known::KnownAccounts;
use crate::audit::model::Audit;
use crate::audit::sarif::Sarif;
use crate::audit::{Settings, audit_account, markdown};
use crate::aws::Aws;
use crate::cli::{AuditArgs, GlobalArgs, OutputFormat};
use crate::error::Error;
use crate::output::{emit, print};

pub(crate) async fn run(args: AuditArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    // Everything the command line says is checked before the first AWS call.
    let mut known = KnownAccounts::builtin();
    if let Some(path) = &args.known_accounts {
        known.load_file(path)?;
    }
    let selection = Selection::check(&args.accounts)?;
    let now = args.now.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    });
    let settings = Settings {
        limits: Limits {
            now,
            stale_days: args.stale_days,
            key_max_age_days: args.key_max_age,
        },
        known,
    };

    let results = match &selection {
        None => {
            let aws = Aws::connect(global).await;
            let (account, result) = audit_account(&aws, &settings).await?;
            vec![(account, Ok(result))]
        }
        Some(selection) => {
            let settings = &settings;
            let outcomes = accounts::each(selection, global, |aws| async move {
                let (_, result) = audit_account(&aws, settings).await?;
                Ok(Report {
                    status: "ok",
                    detail: String::new(),
                    role_arn: None,
                    external_id: None,
                    failure: None,
                    result,
                })
            })
            .await?;
            outcomes
                .into_iter()
                .map(|o| {
                    let result = match (o.result, o.error) {
                        (Some(result), None) => Ok(result),
                        (_, error) => Err(error.unwrap_or_default()),
                    };
                    (o.account, result)
                })
                .collect()
        }
    };
    let audit = Audit::new(&settings, results);
    // Through `emit`, as every command prints, so a closed stdout behaves alike everywhere.
    match global.output {
        OutputFormat::Text | OutputFormat::Json => {
            emit(global.output, &audit)?;
        }
        OutputFormat::Sarif => {
            print(serde_json::to_string_pretty(&Sarif::new(&audit)).expect("SARIF serializes"))?;
        }
        OutputFormat::Markdown => {
            let report = markdown::render(&audit);
            print(report.trim_end().to_owned())?;
        }
    }
    let failed = audit.summary.failed_accounts;
    if failed > 0 {
        return Err(Error::AccountsFailed {
            failed,
            total: audit.summary.accounts,
            interrupted: false,
        }
        .into());
    }
    if let Some(level) = args.fail_on {
        let count = audit.fails_at(level.severity());
        if count > 0 {
            tracing::error!(
                "{count} finding(s) at --fail-on {} or above",
                level.severity()
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}
