//! `onboard export`: the vendor's resources as a CloudFormation template or Terraform
//! configuration, without any AWS call and without credentials.

use std::process::ExitCode;

use anyhow::Context;

use super::apply::{GENERATED_EXTERNAL_ID_BYTES, configure};
use super::target::Target;
use crate::cli::{ExportArgs, ExportFormat, GlobalArgs};
use crate::export::{Export, cloudformation, terraform};
use crate::policy::limits::check_desired;

/// Value of a parameter without a default while the limits are checked.
const STAND_IN_PARAM: &str = "value";

pub async fn run(args: ExportArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let target = Target::resolve_partial(&args.target)?;
    target.check_external_id(args.external_id.as_deref())?;
    let needs_external_id = target.needs_external_id();

    // Every flag checked as apply checks it: rendered for a stand-in account.
    let mut offline = target.context("000000000000", "aws", "us-east-1");
    configure(
        &mut offline,
        args.permissions_boundary.as_deref(),
        args.max_session_duration,
        &args.tags,
    )?;
    let stand_in = "0".repeat(2 * GENERATED_EXTERNAL_ID_BYTES);
    offline.external_id = Some(args.external_id.clone().unwrap_or(stand_in));
    for spec in target.selected().iter().flat_map(|(_, i)| &i.parameters) {
        offline
            .params
            .entry(spec.name.clone())
            .or_insert_with(|| STAND_IN_PARAM.to_owned());
    }
    check_desired(&target.render(&offline)?)?;

    let parameters = Export::parameters(
        &target.selected(),
        &target.params,
        args.external_id.as_deref(),
        needs_external_id,
    );
    let desired = target.render(&Export::context(&offline, &parameters))?;
    let export = Export {
        desired,
        parameters,
    };
    let mut text = match args.format {
        ExportFormat::Cloudformation => {
            serde_json::to_string_pretty(&cloudformation::template(&export))
                .expect("JSON values serialize")
        }
        ExportFormat::Terraform => terraform::configuration(&export),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    match &args.output_file {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            tracing::info!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
