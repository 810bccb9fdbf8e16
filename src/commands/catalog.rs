//! `onboard catalog list` and `onboard catalog show`: the built-in entries and the exact
//! documents apply would create, without any AWS call.

use std::fmt;
use std::process::ExitCode;

use serde::Serialize;

use super::target::Target;
use crate::catalog::{self, Source};
use crate::cli::{CatalogCommand, GlobalArgs, ShowArgs};
use crate::error::Result;
use crate::output::emit;
use crate::policy::limits::check_external_id;
use crate::policy::lint;
use crate::state::Desired;

/// What `catalog list` prints: every built-in vendor with its integrations.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub(crate) struct CatalogListing(Vec<VendorListing>);

/// One vendor in `catalog list --output json`.
#[derive(Debug, Serialize)]
pub(crate) struct VendorListing {
    pub(crate) vendor: String,
    pub(crate) display_name: String,
    pub(crate) integrations: Vec<IntegrationListing>,
}

#[derive(Debug, Serialize)]
pub(crate) struct IntegrationListing {
    pub(crate) name: String,
    pub(crate) default: bool,
    pub(crate) description: String,
    pub(crate) parameters: Vec<String>,
    pub(crate) source: Source,
    /// The parameters that may be left out (shown in brackets).
    #[serde(skip)]
    optional: Vec<String>,
}

/// `vendor: Display Name`, then each integration with its parameters and description.
impl fmt::Display for CatalogListing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = Vec::new();
        for vendor in &self.0 {
            lines.push(format!("{}: {}", vendor.vendor, vendor.display_name));
            for integration in &vendor.integrations {
                let params = integration
                    .parameters
                    .iter()
                    .map(|p| {
                        if integration.optional.contains(p) {
                            format!(" [--param {p}=...]")
                        } else {
                            format!(" --param {p}=...")
                        }
                    })
                    .collect::<String>();
                let marker = if integration.default {
                    " (default)"
                } else {
                    ""
                };
                lines.push(format!(
                    "  {}{marker}{params}: {}",
                    integration.name, integration.description
                ));
            }
        }
        crate::output::lines(f, lines)
    }
}

pub(crate) fn run(command: CatalogCommand, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    match command {
        CatalogCommand::List => list(global)?,
        CatalogCommand::Show(args) => show(&args, global)?,
        CatalogCommand::Import(args) => super::import::run(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn list(global: &GlobalArgs) -> Result<()> {
    let mut listing = Vec::new();
    for vendor in catalog::builtin_vendors() {
        let entry = catalog::load_builtin(vendor)?;
        let integrations = entry
            .integrations
            .iter()
            .map(|(name, integration)| IntegrationListing {
                name: name.clone(),
                default: *name == entry.default_integration,
                description: integration.description.clone(),
                parameters: integration
                    .parameters
                    .iter()
                    .map(|p| p.name.clone())
                    .collect(),
                source: integration.source.clone(),
                optional: integration
                    .parameters
                    .iter()
                    .filter(|p| !p.required())
                    .map(|p| p.name.clone())
                    .collect(),
            })
            .collect();
        listing.push(VendorListing {
            vendor: vendor.to_owned(),
            display_name: entry.display_name,
            integrations,
        });
    }
    emit(global.output, &CatalogListing(listing))?;
    Ok(())
}

fn json(document: &serde_json::Value) -> String {
    serde_json::to_string_pretty(document).expect("JSON values serialize")
}

fn show(args: &ShowArgs, global: &GlobalArgs) -> Result<()> {
    let target = Target::with_catalog_names(
        args.vendor.as_deref(),
        args.catalog_file.as_deref(),
        &args.integrations,
        &args.params,
        args.trust_principal.as_deref(),
    )?;
    if let Some(id) = &args.external_id {
        check_external_id(id)?;
    }
    let region = global.region.as_deref().unwrap_or("${Region}");
    let mut ctx = target.context(
        args.account.as_deref().unwrap_or("${AccountId}"),
        &args.partition,
        region,
    );
    ctx.external_id = args.external_id.clone();
    ctx.added_external_id = args.external_id.clone();
    let desired = target.render(&ctx)?;
    let dedicated_account = target
        .selected()
        .iter()
        .find_map(|(_, i)| i.dedicated_account.clone());
    let administrator_equivalent: Vec<AdministratorEquivalent> =
        lint::administrator_equivalent(&desired)
            .into_iter()
            .map(|(principal, paths)| AdministratorEquivalent { principal, paths })
            .collect();

    let output = ShowOutput {
        desired,
        dedicated_account: dedicated_account.filter(|_| !administrator_equivalent.is_empty()),
        administrator_equivalent,
    };
    emit(global.output, &output)?;
    Ok(())
}

/// What `catalog show --output json` prints: the rendered desired state, and who in it is
/// administrator-equivalent.
#[derive(Debug, Serialize)]
pub(crate) struct ShowOutput {
    #[serde(flatten)]
    pub desired: Desired,
    /// Roles and users holding a known path to administrator (absent when none does).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub administrator_equivalent: Vec<AdministratorEquivalent>,
    /// Why the vendor asks for a dedicated account, for an administrator-equivalent integration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dedicated_account: Option<String>,
}

/// A role or user that can make itself administrator, and the published paths it holds.
#[derive(Debug, Serialize)]
pub(crate) struct AdministratorEquivalent {
    pub principal: String,
    pub paths: Vec<String>,
}

/// The administrator-equivalent warnings, then every document apply would create, each under a
/// `#` comment line naming it.
impl fmt::Display for ShowOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let desired = &self.desired;
        let mut text = Vec::new();
        for admin in &self.administrator_equivalent {
            text.push(format!(
                "# WARNING: ADMINISTRATOR-EQUIVALENT: {} can make itself administrator of the account \
                 ({}; `onboard lint` names the statements)",
                admin.principal,
                admin.paths.join(", ")
            ));
        }
        if let Some(why) = &self.dedicated_account {
            text.push(format!(
                "# Apply it in a dedicated account, as the vendor asks: {why}"
            ));
        }
        for policy in &desired.policies {
            text.push(format!("# policy {} ({})", policy.name, policy.arn));
            text.push(json(&policy.document));
        }
        for role in &desired.roles {
            text.push(format!("# role {} ({}): trust policy", role.name, role.arn));
            text.push(json(&role.trust));
            for arn in &role.policy_arns {
                text.push(format!("# role {}: attach {arn}", role.name));
            }
            if role.instance_profile {
                text.push(format!(
                    "# role {}: in instance profile {}",
                    role.name, role.name
                ));
            }
        }
        for user in &desired.users {
            text.push(format!("# user {} ({})", user.name, user.arn));
            for arn in &user.policy_arns {
                text.push(format!("# user {}: attach {arn}", user.name));
            }
            if user.access_key {
                text.push(format!(
                    "# user {}: one access key, handed over once",
                    user.name
                ));
            }
        }
        crate::output::lines(f, text)
    }
}
