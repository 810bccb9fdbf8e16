//! Turning catalog integrations into [`Desired`] state for one account.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Integration, VendorCatalog};
use crate::error::{Error, Result};
use crate::policy::{canonical, external_ids, require_external_id};
use crate::state::{
    Desired, DesiredPolicy, DesiredRole, DesiredUser, INTEGRATION_SEPARATOR, InlinePolicy, Tag,
    ownership_tags,
};

/// Default maximum session duration of a role, as IAM's.
const DEFAULT_MAX_SESSION: i32 = 3600;

/// How the user wants resources named.
#[derive(Debug, Clone, Default)]
pub(crate) struct Naming {
    pub prefix: String,
    pub suffix: String,
    /// Replaces the catalog's name of the (first) role.
    pub role_name: Option<String>,
    pub path: String,
}

impl Naming {
    /// The catalog's own names under path `/`.
    pub(crate) fn catalog() -> Self {
        Naming {
            path: "/".to_owned(),
            ..Naming::default()
        }
    }

    pub(crate) fn name(&self, base: &str) -> String {
        format!("{}{base}{}", self.prefix, self.suffix)
    }
}

/// Everything besides the catalog entry that decides the rendered state.
#[derive(Debug, Clone)]
pub(crate) struct RenderContext {
    pub account: String,
    pub partition: String,
    pub region: String,
    pub naming: Naming,
    pub permissions_boundary: Option<String>,
    pub max_session_duration: Option<i32>,
    /// The user's extra tags, put on every resource after onboard's own.
    pub tags: Vec<Tag>,
    /// Parameter values, complete and checked (see `ParamSpec`).
    pub params: BTreeMap<String, String>,
    /// The external ID for trust policies that ask for one.
    pub external_id: Option<String>,
    /// An external ID to require of third parties whose trust statements have none (see
    /// [`require_external_id`]): `--external-id` for vendors whose page has no condition.
    pub added_external_id: Option<String>,
}

impl RenderContext {
    /// The catalog's own names under path `/`, no boundary, no extra tags, no parameters: what
    /// verify compares with, and what the flags of apply start from.
    pub(crate) fn new(account: &str, partition: &str, region: &str) -> Self {
        RenderContext {
            account: account.to_owned(),
            partition: partition.to_owned(),
            region: region.to_owned(),
            naming: Naming {
                path: "/".to_owned(),
                ..Naming::default()
            },
            permissions_boundary: None,
            max_session_duration: None,
            tags: vec![],
            params: BTreeMap::new(),
            external_id: None,
            added_external_id: None,
        }
    }

    fn value(&self, name: &str) -> Option<&str> {
        match name {
            "AccountId" => Some(&self.account),
            "Partition" => Some(&self.partition),
            "Region" => Some(&self.region),
            "ExternalId" => self.external_id.as_deref(),
            _ => self.params.get(name).map(String::as_str),
        }
    }
}

/// Renders the `selected` integrations of `catalog` (merged: items with the same id become one,
/// a role's trust statements and attachments are the union) for the account in `ctx`.
pub(crate) fn render(
    catalog: &VendorCatalog,
    selected: &[(&str, &Integration)],
    ctx: &RenderContext,
) -> Result<Desired> {
    let integration_tag = selected
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(&INTEGRATION_SEPARATOR.to_string());
    let tags = |id: &str| {
        let mut tags = ownership_tags(&catalog.vendor, &integration_tag, id, &ctx.params);
        tags.extend(ctx.tags.iter().cloned());
        tags
    };
    let substitute = |document: &Value, id: &str| {
        substitute(document, ctx).map_err(|message| Error::Catalog {
            vendor: catalog.vendor.clone(),
            message: format!("{id}: {message}"),
        })
    };
    let path = &ctx.naming.path;
    let arn = |kind: &str, name: &str| {
        format!(
            "arn:{}:iam::{}:{kind}{path}{name}",
            ctx.partition, ctx.account
        )
    };
    let aws_managed = |name: &String| format!("arn:{}:iam::aws:policy/{name}", ctx.partition);

    let mut policies: Vec<DesiredPolicy> = Vec::new();
    let mut roles: Vec<DesiredRole> = Vec::new();
    let mut users: Vec<DesiredUser> = Vec::new();
    for (_, integration) in selected {
        for spec in &integration.policies {
            if policies.iter().any(|p| p.id == spec.id) {
                continue;
            }
            let name = ctx.naming.name(&spec.name);
            policies.push(DesiredPolicy {
                arn: arn("policy", &name),
                id: spec.id.clone(),
                name,
                path: path.clone(),
                description: spec.description.clone(),
                document: substitute(&spec.document_for(&ctx.params), &spec.id)?,
                tags: tags(&spec.id),
            });
        }
        let policy_arn = |id: &String| policies.iter().find(|p| &p.id == id).map(|p| p.arn.clone());

        for spec in &integration.roles {
            let mut attach: Vec<String> = spec.policies.iter().filter_map(policy_arn).collect();
            attach.extend(spec.aws_managed_policies.iter().map(aws_managed));
            let trust = substitute(&spec.trust, &spec.id)?;
            let mut inline = Vec::new();
            for policy in &spec.inline_policies {
                inline.push(InlinePolicy {
                    name: policy.name.clone(),
                    document: substitute(&policy.document, &spec.id)?,
                });
            }
            if let Some(role) = roles.iter_mut().find(|r| r.id == spec.id) {
                merge_list(&mut role.policy_arns, attach);
                merge_statements(&mut role.trust, &trust);
                role.instance_profile |= spec.instance_profile;
                for policy in inline {
                    if !role.inline_policies.iter().any(|p| p.name == policy.name) {
                        role.inline_policies.push(policy);
                    }
                }
                continue;
            }
            let name = match (&ctx.naming.role_name, roles.is_empty()) {
                (Some(name), true) => ctx.naming.name(name),
                _ => ctx.naming.name(&spec.name),
            };
            // The catalog's own path and boundary (an imported template's) unless the flags
            // name others.
            let role_path = match (path.as_str(), &spec.path) {
                ("/", Some(own)) => own.clone(),
                _ => path.clone(),
            };
            let boundary = match (&ctx.permissions_boundary, &spec.permissions_boundary) {
                (Some(flag), _) => Some(flag.clone()),
                (None, Some(own)) => {
                    Some(substitute_str(own, ctx).map_err(|message| Error::Catalog {
                        vendor: catalog.vendor.clone(),
                        message: format!("{}: {message}", spec.id),
                    })?)
                }
                (None, None) => None,
            };
            roles.push(DesiredRole {
                arn: format!(
                    "arn:{}:iam::{}:role{role_path}{name}",
                    ctx.partition, ctx.account
                ),
                id: spec.id.clone(),
                name,
                path: role_path,
                description: spec.description.clone(),
                trust,
                max_session_duration: ctx
                    .max_session_duration
                    .or(spec.max_session_duration)
                    .unwrap_or(DEFAULT_MAX_SESSION),
                permissions_boundary: boundary,
                policy_arns: attach,
                instance_profile: spec.instance_profile,
                tags: tags(&spec.id),
                inline_policies: inline,
            });
        }

        for spec in &integration.users {
            let mut attach: Vec<String> = spec.policies.iter().filter_map(policy_arn).collect();
            attach.extend(spec.aws_managed_policies.iter().map(aws_managed));
            if let Some(user) = users.iter_mut().find(|u| u.id == spec.id) {
                merge_list(&mut user.policy_arns, attach);
                user.access_key |= spec.access_key;
                continue;
            }
            let name = ctx.naming.name(&spec.name);
            users.push(DesiredUser {
                arn: arn("user", &name),
                id: spec.id.clone(),
                name,
                path: path.clone(),
                description: spec.description.clone(),
                policy_arns: attach,
                access_key: spec.access_key,
                tags: tags(&spec.id),
            });
        }
    }

    if let Some(id) = &ctx.added_external_id {
        for role in &mut roles {
            require_external_id(&mut role.trust, id, &ctx.account);
        }
    }
    // The external ID the trust policies require, whichever way it came in.
    let external_id = match (&ctx.external_id, &ctx.added_external_id) {
        (Some(id), _) if uses_external_id(selected) => Some(id.clone()),
        (_, Some(id)) if roles.iter().any(|r| external_ids(&r.trust).contains(id)) => {
            Some(id.clone())
        }
        _ => None,
    };
    Ok(Desired {
        vendor: catalog.vendor.clone(),
        integration: integration_tag,
        account: ctx.account.clone(),
        partition: ctx.partition.clone(),
        external_id,
        policies,
        roles,
        users,
    })
}

/// Whether a trust policy of the selected integrations asks for an external ID.
pub(crate) fn uses_external_id(selected: &[(&str, &Integration)]) -> bool {
    selected
        .iter()
        .flat_map(|(_, i)| &i.roles)
        .any(|r| placeholders(&r.trust).iter().any(|p| p == "ExternalId"))
}

fn merge_list(into: &mut Vec<String>, more: Vec<String>) {
    for item in more {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// Adds the statements of `more` that `document` does not already have (in canonical form).
fn merge_statements(document: &mut Value, more: &Value) {
    let Some(statements) = document["Statement"].as_array_mut() else {
        return;
    };
    for statement in more["Statement"].as_array().into_iter().flatten() {
        let present = statements
            .iter()
            .any(|s| canonical(s) == canonical(statement));
        if !present {
            statements.push(statement.clone());
        }
    }
}

/// The placeholder names (`${Name}` without a colon) a document uses, sorted and unique.
pub(crate) fn placeholders(document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk_strings(document, &mut |text| {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let name = &after[..end];
            if is_placeholder(name) {
                found.push(name.to_owned());
            }
            rest = &after[end + 1..];
        }
    });
    found.sort();
    found.dedup();
    found
}

/// `${Name}` is onboard's; IAM's own variables (`${aws:username}`, `${*}`) contain a colon or
/// are punctuation.
fn is_placeholder(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn walk_strings(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| walk_strings(v, f)),
        Value::Object(map) => map.values().for_each(|v| walk_strings(v, f)),
        _ => {}
    }
}

/// Replaces every placeholder in every string of a document; a placeholder without a value
/// (the external ID in `catalog show`) stays as it is.
fn substitute(document: &Value, ctx: &RenderContext) -> Result<Value, String> {
    Ok(match document {
        Value::String(s) => Value::String(substitute_str(s, ctx)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, ctx)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn substitute_str(text: &str, ctx: &RenderContext) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        match ctx.value(name) {
            Some(value) if is_placeholder(name) => out.push_str(value),
            None if is_placeholder(name) && name != "ExternalId" => {
                return Err(format!("no value for placeholder ${{{name}}} in '{text}'"));
            }
            _ => out.push_str(&rest[start..=(start + 2 + end)]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests;
