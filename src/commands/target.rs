//! The catalog entry a command works on, with its integrations, parameters and names, all
//! checked before any AWS call.

use std::collections::BTreeMap;
use std::path::Path;

use crate::catalog::{
    CatalogSource, ExternalIdIssuer, Integration, Naming, ParamKind, RenderContext, VendorCatalog,
    known_params, parse_param, render, resolve_params, uses_external_id,
};
use crate::cli::TargetArgs;
use crate::error::{Error, Result, Usage};
use crate::policy::limits::check_path;
use crate::state::{
    Desired, INTEGRATION_SEPARATOR, INTEGRATION_TAG, Observed, VENDOR_TAG, is_owned,
    params_from_tags,
};

/// Name of the parameter `--trust-principal` sets.
const TRUST_PRINCIPAL_PARAM: &str = "trust-principal";

pub(crate) struct Target {
    pub catalog: VendorCatalog,
    integrations: Vec<String>,
    pub params: BTreeMap<String, String>,
    pub naming: Naming,
}

impl Target {
    /// Loads the entry and checks integrations, parameters, names and path.
    pub(crate) fn resolve(args: &TargetArgs) -> Result<Self> {
        Self::from_args(args, true)
    }

    /// As [`Target::resolve`], but a required parameter may be left without a value (it is
    /// missing from `params`): export leaves it to the template's deployer.
    pub(crate) fn resolve_partial(args: &TargetArgs) -> Result<Self> {
        Self::from_args(args, false)
    }

    fn from_args(args: &TargetArgs, complete: bool) -> Result<Self> {
        let entry = &args.entry;
        Self::build(
            source(entry.vendor.as_deref(), entry.catalog_file.as_deref()).load()?,
            &entry.integrations,
            &entry.params,
            entry.trust_principal.as_deref(),
            Naming {
                prefix: args.name_prefix.clone(),
                suffix: args.name_suffix.clone(),
                role_name: args.role_name.clone(),
                path: args.path.clone(),
            },
            complete,
        )
    }

    /// The `integrations` of `catalog` with these `NAME=VALUE` parameters and names.
    pub(crate) fn for_integrations(
        catalog: VendorCatalog,
        integrations: &[String],
        params: &[String],
        naming: Naming,
    ) -> Result<Self> {
        Self::build(catalog, integrations, params, None, naming, true)
    }

    /// The entry with the catalog's own names under path `/`, from `--vendor` or
    /// `--catalog-file`: what `catalog show` and `lint` look at.
    pub(crate) fn with_catalog_names(
        vendor: Option<&str>,
        catalog_file: Option<&Path>,
        integrations: &[String],
        params: &[String],
        trust_principal: Option<&str>,
    ) -> Result<Self> {
        let naming = Naming {
            path: "/".to_owned(),
            ..Naming::default()
        };
        Self::build(
            source(vendor, catalog_file).load()?,
            integrations,
            params,
            trust_principal,
            naming,
            true,
        )
    }

    fn build(
        catalog: VendorCatalog,
        integrations: &[String],
        params: &[String],
        trust_principal: Option<&str>,
        naming: Naming,
        complete: bool,
    ) -> Result<Self> {
        check_path(&naming.path)?;
        let mut given = params
            .iter()
            .map(|p| parse_param(p))
            .collect::<Result<Vec<_>>>()?;
        let selected = catalog.select(integrations, trust_principal.is_some())?;
        let given_twice = |name: &str, values: Vec<&str>| {
            Error::from(Usage::ParamGivenTwice {
                name: name.to_owned(),
                values: values.iter().map(|v| (*v).to_owned()).collect(),
            })
        };
        for (index, (name, _)) in given.iter().enumerate() {
            if given[..index].iter().any(|(earlier, _)| earlier == name) {
                let values = given
                    .iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
                    .collect();
                return Err(given_twice(name, values));
            }
        }
        if let Some(principal) = trust_principal {
            let takes = selected
                .iter()
                .any(|(_, i)| i.parameters.iter().any(|p| p.name == TRUST_PRINCIPAL_PARAM));
            if !takes {
                return Err(Error::from(Usage::TrustPrincipalNotTaken {
                    vendor: catalog.vendor.clone(),
                }));
            }
            if let Some((_, value)) = given.iter().find(|(n, _)| n == TRUST_PRINCIPAL_PARAM) {
                return Err(Error::from(Usage::TrustPrincipalTwice {
                    principal: principal.to_owned(),
                    param: TRUST_PRINCIPAL_PARAM,
                    value: value.clone(),
                }));
            }
            given.push((TRUST_PRINCIPAL_PARAM.to_owned(), principal.to_owned()));
        }
        let params = if complete {
            resolve_params(&catalog.vendor, &selected, &given)?
        } else {
            known_params(&catalog.vendor, &selected, &given)?
        };
        let integrations = selected.iter().map(|(name, _)| name.to_string()).collect();
        Ok(Target {
            catalog,
            integrations,
            params,
            naming,
        })
    }

    /// The integrations a shared role already serves besides the selected ones, read from the
    /// `onboard:integration` tags of the vendor's roles in `observed`, with the parameters their
    /// tags record: this target widened to all of them (the given parameters win), or `None`
    /// when the roles serve nothing else. Integrations the catalog no longer has are skipped.
    pub(crate) fn accumulate(&self, observed: &Observed) -> Result<Option<Target>> {
        let mut names: Vec<String> = Vec::new();
        let mut recorded: BTreeMap<String, String> = BTreeMap::new();
        for role in observed.roles.values().flatten() {
            let ours =
                is_owned(&role.tags) && role.tags.get(VENDOR_TAG) == Some(&self.catalog.vendor);
            let Some(tag) = role.tags.get(INTEGRATION_TAG).filter(|_| ours) else {
                continue;
            };
            for name in tag.split(INTEGRATION_SEPARATOR) {
                let known = self.catalog.integrations.contains_key(name);
                if known && !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                }
            }
            recorded.extend(params_from_tags(&role.tags));
        }
        if names.iter().all(|n| self.integrations.contains(n)) {
            return Ok(None);
        }
        for name in &self.integrations {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        let selected = self.catalog.select(&names, false)?;
        let specs: Vec<&str> = selected
            .iter()
            .flat_map(|(_, i)| &i.parameters)
            .map(|p| p.name.as_str())
            .collect();
        // The parameters given now win over those the role records.
        let mut merged: BTreeMap<&String, &String> = recorded
            .iter()
            .filter(|(k, _)| specs.contains(&k.as_str()))
            .collect();
        merged.extend(&self.params);
        let given: Vec<String> = merged.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Self::build(
            self.catalog.clone(),
            &names,
            &given,
            None,
            self.naming.clone(),
            true,
        )
        .map(Some)
    }

    /// The names of the selected integrations.
    pub(crate) fn integration_names(&self) -> &[String] {
        &self.integrations
    }

    /// The selected integrations, in the order given.
    pub(crate) fn selected(&self) -> Vec<(&str, &Integration)> {
        self.catalog
            .select(&self.integrations, false)
            .expect("checked in Target::new")
    }

    /// Whether any trust policy of the selected integrations asks for an external ID.
    pub(crate) fn needs_external_id(&self) -> bool {
        uses_external_id(&self.selected())
    }

    /// Where the vendor shows the external ID it issues, when a selected role's trust policy
    /// takes one the vendor issues (onboard never generates those).
    pub(crate) fn vendor_issued_external_id(&self) -> Option<&str> {
        self.selected()
            .into_iter()
            .flat_map(|(_, i)| &i.roles)
            .filter_map(|r| r.external_id.as_ref())
            .find(|spec| spec.issued_by == ExternalIdIssuer::Vendor)
            .map(|spec| spec.shown.as_deref().unwrap_or("ask the vendor"))
    }

    /// Refuses a missing `--external-id` when the vendor issues the ID: a generated one could
    /// never match. Checked before any AWS call.
    pub(crate) fn require_vendor_external_id(&self, given: Option<&str>) -> Result<()> {
        match (self.vendor_issued_external_id(), given) {
            (Some(shown), None) => Err(Error::from(Usage::ExternalIdNeeded {
                vendor: self.catalog.vendor.clone(),
                integrations: self.integrations.join(", "),
                shown: shown.to_owned(),
            })),
            (Some(_), Some(_)) | (None, _) => Ok(()),
        }
    }

    /// A render context for the account, with this target's names and parameters.
    pub(crate) fn context(&self, account: &str, partition: &str, region: &str) -> RenderContext {
        let mut ctx = RenderContext::new(account, partition, region);
        ctx.naming = self.naming.clone();
        ctx.params = self.params.clone();
        for name in self.region_defaulted() {
            ctx.params.insert(name.to_owned(), region.to_owned());
        }
        ctx
    }

    /// Region parameters left without a value: they take the profile's region.
    fn region_defaulted(&self) -> Vec<&str> {
        self.selected()
            .into_iter()
            .flat_map(|(_, i)| &i.parameters)
            .filter(|p| p.defaults_to_region() && !self.params.contains_key(&p.name))
            .map(|p| p.name.as_str())
            .collect()
    }

    /// Moves `ctx` to the caller's `region` (the profile's), and with it the region parameters
    /// left without a value; a region name that is not one is refused.
    pub(crate) fn set_region(&self, ctx: &mut RenderContext, region: &str) -> Result<()> {
        ctx.region = region.to_owned();
        for name in self.region_defaulted() {
            if let Some(problem) = ParamKind::Region.problem(region) {
                return Err(Error::from(Usage::ProfileRegion {
                    region: region.to_owned(),
                    param: name.to_owned(),
                    problem: problem.to_string(),
                }));
            }
            ctx.params.insert(name.to_owned(), region.to_owned());
        }
        Ok(())
    }

    pub(crate) fn render(&self, ctx: &RenderContext) -> Result<Desired> {
        render(&self.catalog, &self.selected(), ctx)
    }
}

/// The built-in vendor, or the user's catalog file (clap requires one of them).
fn source<'a>(vendor: Option<&'a str>, catalog_file: Option<&'a Path>) -> CatalogSource<'a> {
    match (vendor, catalog_file) {
        (_, Some(path)) => CatalogSource::File(path),
        (Some(vendor), None) => CatalogSource::Builtin(vendor),
        (None, None) => unreachable!("clap requires a vendor or --catalog-file"),
    }
}
