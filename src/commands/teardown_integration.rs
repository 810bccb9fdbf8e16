//! `onboard teardown --vendor NAME --integration NAME`: remove what only those integrations need.
//! A role that other integrations still serve (its `onboard:integration` tag) keeps their trust
//! statements and policies: it is re-planned, as apply with `--exclusive` would, for the
//! integrations that remain, with the parameters and external ID it already has. What no
//! remaining integration needs (the integrations' own policies, a role none serves any more) is
//! then torn down as a whole teardown would.

use std::collections::BTreeSet;

use super::target::Target;
use super::teardown::TeardownOutput;
use crate::aws::Aws;
use crate::catalog::{self, Naming, VendorCatalog};
use crate::cli::TeardownArgs;
use crate::error::{Error, Result, Usage};
use crate::handoff::Handoff;
use crate::plan::{Action, ApplyOptions, Inventory, Plan, plan_apply, plan_teardown};
use crate::policy::external_ids;
use crate::state::{INTEGRATION_SEPARATOR, INTEGRATION_TAG, VENDOR_TAG, params_from_tags};

/// The vendor's catalog entry and the integrations to remove, checked before any AWS call.
pub(super) fn check(args: &TeardownArgs) -> Result<Option<(VendorCatalog, Vec<String>)>> {
    if args.integrations.is_empty() {
        return Ok(None);
    }
    let vendor = args
        .vendor
        .as_deref()
        .ok_or_else(|| Error::from(Usage::IntegrationTeardownWithoutVendor))?;
    let catalog = catalog::load_builtin(vendor)?;
    catalog.select(&args.integrations, false)?;
    Ok(Some((catalog, args.integrations.clone())))
}

/// Removes what only `removing` needs in the account of `aws`.
pub(super) async fn teardown(
    aws: &Aws,
    catalog: &VendorCatalog,
    removing: &[String],
    names: &BTreeSet<String>,
) -> anyhow::Result<TeardownOutput> {
    let vendor = catalog.vendor.as_str();
    let inventory = aws.inventory(names).await?;
    let caller = aws.caller().await?;
    let no_keys = Handoff::new(None, false)?;
    let mut removed = Vec::new();

    // Each of the vendor's roles serving one of them: re-planned for what remains, or gone.
    let mut remaining_all: Vec<String> = Vec::new();
    let mut roles_gone: BTreeSet<String> = BTreeSet::new();
    for role in &inventory.roles {
        if role.tags.get(VENDOR_TAG).map(String::as_str) != Some(vendor) {
            continue;
        }
        let served: Vec<String> = role
            .tags
            .get(INTEGRATION_TAG)
            .map(|t| t.split(INTEGRATION_SEPARATOR).map(str::to_owned).collect())
            .unwrap_or_default();
        if !served.iter().any(|s| removing.contains(s)) {
            continue;
        }
        let remaining: Vec<String> = served
            .iter()
            .filter(|s| !removing.contains(s) && catalog.integrations.contains_key(*s))
            .cloned()
            .collect();
        if remaining.is_empty() {
            roles_gone.insert(role.name.clone());
            continue;
        }
        let plan = narrowed(aws, catalog, &remaining, role, &caller).await?;
        let executed = crate::pipeline::execute_plan(aws, &plan, &no_keys).await;
        removed.extend(executed.changes);
        if let Some(err) = executed.failure {
            return Err(err.into());
        }
        remaining_all.extend(remaining);
    }

    // What no remaining integration needs: the removed integrations' own items.
    let items = |names: &[String]| -> Result<BTreeSet<String>> {
        let mut items = BTreeSet::new();
        for (_, integration) in catalog.select(names, false)? {
            items.extend(integration.policies.iter().map(|p| p.name.clone()));
            items.extend(integration.users.iter().map(|u| u.name.clone()));
            items.extend(integration.roles.iter().map(|r| r.name.clone()));
        }
        Ok(items)
    };
    let kept_items = if remaining_all.is_empty() {
        BTreeSet::new()
    } else {
        items(&remaining_all)?
    };
    let gone: BTreeSet<String> = items(removing)?.difference(&kept_items).cloned().collect();
    let inventory = aws.inventory(names).await?;
    let scoped = Inventory {
        roles: inventory
            .roles
            .into_iter()
            .filter(|r| roles_gone.contains(&r.name) || gone.contains(&r.name))
            .filter(|r| !kept_items.contains(&r.name))
            .collect(),
        policies: inventory
            .policies
            .into_iter()
            .filter(|p| gone.contains(&p.name))
            .collect(),
        instance_profiles: inventory
            .instance_profiles
            .into_iter()
            .filter(|p| roles_gone.contains(&p.name) || gone.contains(&p.name))
            .collect(),
        users: inventory
            .users
            .into_iter()
            .filter(|u| gone.contains(&u.name))
            .collect(),
        foreign: inventory.foreign,
    };
    let plan = plan_teardown(&scoped, Some(vendor));
    let executed = crate::pipeline::execute_plan(aws, &plan, &no_keys).await;
    removed.extend(executed.changes);
    if let Some(err) = executed.failure {
        return Err(err.into());
    }

    Ok(TeardownOutput {
        vendor: Some(vendor.to_owned()),
        integrations: removing.to_vec(),
        removed,
        kept: plan.kept,
        waits: aws.waits(),
    })
}

/// The plan that turns `role` into what the `remaining` integrations need: their trust
/// statements and policies, rendered with the parameters and external ID the role has. Refuses
/// when that would create anything (the role was made with other names or a path).
async fn narrowed(
    aws: &Aws,
    catalog: &VendorCatalog,
    remaining: &[String],
    role: &crate::plan::OwnedRole,
    caller: &crate::aws::Caller,
) -> anyhow::Result<Plan> {
    let params: Vec<String> = params_from_tags(&role.tags)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let target = Target::for_integrations(catalog.clone(), remaining, &params, Naming::catalog())?;
    let mut ctx = target.context(&caller.account, &caller.partition, aws.region());
    let named = target.render(&ctx)?;
    let observed = aws.observe(&named).await?;
    ctx.external_id = observed
        .roles
        .get(&role.name)
        .and_then(Option::as_ref)
        .and_then(|r| external_ids(&r.trust).into_iter().next());
    let desired = target.render(&ctx)?;
    let options = ApplyOptions {
        exclusive: true,
        now: crate::pipeline::unix_now(),
        key_grace: i64::try_from(aws.key_grace().as_secs()).unwrap_or(i64::MAX),
    };
    let plan = plan_apply(&desired, &observed, options)?;
    let creates = plan.steps.iter().any(|s| {
        matches!(
            s.action,
            Action::CreatePolicy(_)
                | Action::CreateRole(_)
                | Action::CreateUser(_)
                | Action::CreateInstanceProfile { .. }
                | Action::CreateAccessKey { .. }
        )
    });
    if creates {
        return Err(Error::from(Usage::IntegrationTeardownRenamed {
            role: role.name.clone(),
            remaining: remaining.iter().map(ToString::to_string).collect(),
        })
        .into());
    }
    Ok(plan)
}
