//! `onboard catalog import TEMPLATE --vendor NAME`: a vendor's CloudFormation template as a
//! catalog file, checked as any catalog file is (validation, then lint for a stand-in account),
//! with what it could not carry listed on stderr and in the entry's note.

use anyhow::Context;

use super::offline::{STAND_IN_ACCOUNT, STAND_IN_EXTERNAL_ID};
use crate::catalog::import::{import, parse_template};
use crate::catalog::{RenderContext, Source, parse, render};
use crate::cli::ImportArgs;
use crate::error::{Error, Result, Usage};
use crate::policy::lint::{Severity, lint, refuse_errors};

/// Largest template onboard reads.
const MAX_TEMPLATE: u64 = 1024 * 1024;

pub(super) fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let valid_name = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    for (flag, name) in [
        ("--vendor", &args.vendor),
        ("--integration", &args.integration),
    ] {
        if !valid_name(name) {
            return Err(Error::from(Usage::NotCatalogName {
                flag,
                name: name.clone(),
            })
            .into());
        }
    }
    let shown = args.template.display().to_string();
    let unreadable = |error| Usage::TemplateUnreadable {
        path: shown.clone(),
        error,
    };
    let problem = |problem: String| Usage::Template {
        path: shown.clone(),
        problem,
    };
    let meta = std::fs::metadata(&args.template).map_err(unreadable)?;
    if meta.len() > MAX_TEMPLATE {
        return Err(Error::from(Usage::TemplateTooLarge {
            path: shown,
            size: meta.len(),
            max: MAX_TEMPLATE,
        })
        .into());
    }
    let text = std::fs::read_to_string(&args.template).map_err(unreadable)?;
    let template = parse_template(&text).map_err(|e| problem(e.clone()))?;
    let file_name = args
        .template
        .file_name()
        .map_or(shown.clone(), |n| n.to_string_lossy().into_owned());
    let source = Source {
        title: format!("CloudFormation template {file_name}"),
        seed: None,
        url: None,
    };
    let imported = import(
        &template,
        &args.vendor,
        &args.vendor,
        &args.integration,
        source,
    )
    .map_err(|e| problem(e.clone()))?;
    for skipped in &imported.skipped {
        tracing::warn!("not imported: {skipped}");
    }

    // Checked as a catalog file is: validation, then lint of the documents for a stand-in
    // account, with a stand-in value for each parameter without a default.
    let mut json =
        serde_json::to_string_pretty(&imported.catalog).expect("catalog entries serialize");
    json.push('\n');
    let catalog = parse(&file_name, &json).map_err(|e| {
        Error::from(Usage::TemplateEntry {
            path: shown.clone(),
            problem: e.to_string(),
        })
    })?;
    check_lint(&catalog)?;

    match &args.output_file {
        Some(path) => {
            std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(
                "wrote {}: use it with --catalog-file {}",
                path.display(),
                path.display()
            );
        }
        None => print!("{json}"),
    }
    Ok(())
}

/// Lints every integration rendered for the stand-in account; lint errors refuse the file,
/// security findings are logged.
fn check_lint(catalog: &crate::catalog::VendorCatalog) -> Result<()> {
    for name in catalog.integrations.keys() {
        let selected = catalog.select(std::slice::from_ref(name), false)?;
        let mut ctx = RenderContext::new(STAND_IN_ACCOUNT, "aws", "us-east-1");
        for spec in selected.iter().flat_map(|(_, i)| &i.parameters) {
            ctx.params.insert(spec.name.clone(), spec.stand_in());
        }
        ctx.external_id = Some(STAND_IN_EXTERNAL_ID.to_owned());
        let desired = render(catalog, &selected, &ctx)?;
        let findings = lint(&desired);
        for finding in findings.iter().filter(|f| f.severity != Severity::Error) {
            tracing::warn!("lint: {finding}");
        }
        refuse_errors(&desired, &findings)?;
    }
    Ok(())
}
