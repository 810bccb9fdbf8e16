//! `onboard export`: the vendor's resources as a CloudFormation template or Terraform
//! configuration, without any AWS call and without credentials.

use std::process::ExitCode;

use anyhow::Context;

use super::offline::{STAND_IN_ACCOUNT, render_valid, stand_in_context};
use super::target::Target;
use crate::cli::{ExportArgs, ExportFormat, GlobalArgs};
use crate::export::{Export, cloudformation, terraform};

/// Value of a parameter without a default while the limits are checked.
const STAND_IN_PARAM: &str = "value";

pub(crate) fn run(args: &ExportArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let target = Target::resolve_partial(&args.target)?;

    // Every flag checked as apply checks it: rendered for a stand-in account, with a stand-in
    // value for each parameter the deployer may still choose.
    let mut offline = stand_in_context(
        &target,
        STAND_IN_ACCOUNT,
        args.external_id.as_deref(),
        &args.render,
    )?;
    let selected = target.selected();
    let required = selected
        .iter()
        .flat_map(|(_, i)| &i.parameters)
        .filter(|p| !p.optional);
    for spec in required {
        offline
            .params
            .entry(spec.name.clone())
            .or_insert_with(|| STAND_IN_PARAM.to_owned());
    }
    render_valid(&target, &offline)?;
    // An --external-id that only adds the condition (Streamkap BYOC) is a parameter too.
    let needs_external_id = target.needs_external_id() || offline.added_external_id.is_some();

    let parameters = Export::parameters(
        &target.selected(),
        &target.params,
        args.external_id.as_deref(),
        needs_external_id,
    );
    let desired = target.render(&Export::context(&offline, &parameters))?;
    let export = Export::new(desired, parameters);
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
        None => crate::output::write_stdout(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
