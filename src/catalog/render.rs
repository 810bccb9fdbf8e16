//! Turning a catalog entry into [`Desired`] state for one account.

use serde_json::Value;

use super::{Integration, VendorCatalog};
use crate::error::{Error, Result};
use crate::state::{Desired, DesiredPolicy, DesiredRole, Tag, ownership_tags};

/// Default maximum session duration of a role, as IAM's.
const DEFAULT_MAX_SESSION: i32 = 3600;

/// How the user wants resources named.
#[derive(Debug, Clone, Default)]
pub struct Naming {
    pub prefix: String,
    pub suffix: String,
    /// Replaces the catalog's name of the (first) role.
    pub role_name: Option<String>,
    pub path: String,
}

impl Naming {
    fn name(&self, base: &str) -> String {
        format!("{}{base}{}", self.prefix, self.suffix)
    }
}

/// Everything besides the catalog entry that decides the rendered state.
#[derive(Debug, Clone)]
pub struct RenderContext {
    pub account: String,
    pub partition: String,
    pub region: String,
    pub naming: Naming,
    pub permissions_boundary: Option<String>,
    pub max_session_duration: Option<i32>,
    /// The user's extra tags, put on every resource after onboard's own.
    pub tags: Vec<Tag>,
}

impl RenderContext {
    /// The catalog's own names under path `/`, no boundary, no extra tags: what verify compares
    /// with, and what the flags of apply start from.
    pub fn new(account: &str, partition: &str, region: &str) -> Self {
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
        }
    }
}

/// Renders `integration` of `catalog` for the account in `ctx`.
pub fn render(
    catalog: &VendorCatalog,
    integration_name: &str,
    integration: &Integration,
    ctx: &RenderContext,
) -> Result<Desired> {
    let tags = |id: &str| {
        let mut tags = ownership_tags(&catalog.vendor, integration_name, id);
        tags.extend(ctx.tags.iter().cloned());
        tags
    };
    let substitute = |document: &Value, id: &str| {
        substitute(document, ctx).map_err(|message| Error::Catalog {
            vendor: catalog.vendor.clone(),
            message: format!("integrations.{integration_name}.{id}: {message}"),
        })
    };
    let path = &ctx.naming.path;

    let mut policies = Vec::new();
    for spec in &integration.policies {
        let name = ctx.naming.name(&spec.name);
        policies.push(DesiredPolicy {
            arn: format!(
                "arn:{}:iam::{}:policy{path}{name}",
                ctx.partition, ctx.account
            ),
            id: spec.id.clone(),
            name,
            path: path.clone(),
            description: spec.description.clone(),
            document: substitute(&spec.document, &spec.id)?,
            tags: tags(&spec.id),
        });
    }

    let mut roles = Vec::new();
    for (index, spec) in integration.roles.iter().enumerate() {
        let name = match (&ctx.naming.role_name, index) {
            (Some(name), 0) => ctx.naming.name(name),
            _ => ctx.naming.name(&spec.name),
        };
        let policy_arns = spec
            .policies
            .iter()
            .filter_map(|id| policies.iter().find(|p| &p.id == id))
            .map(|p| p.arn.clone())
            .collect();
        roles.push(DesiredRole {
            arn: format!(
                "arn:{}:iam::{}:role{path}{name}",
                ctx.partition, ctx.account
            ),
            id: spec.id.clone(),
            name,
            path: path.clone(),
            description: spec.description.clone(),
            trust: substitute(&spec.trust, &spec.id)?,
            max_session_duration: ctx
                .max_session_duration
                .or(spec.max_session_duration)
                .unwrap_or(DEFAULT_MAX_SESSION),
            permissions_boundary: ctx.permissions_boundary.clone(),
            policy_arns,
            tags: tags(&spec.id),
        });
    }

    Ok(Desired {
        vendor: catalog.vendor.clone(),
        integration: integration_name.to_owned(),
        account: ctx.account.clone(),
        partition: ctx.partition.clone(),
        policies,
        roles,
    })
}

/// Replaces `${AccountId}`, `${Partition}` and `${Region}` in every string of a document.
/// IAM's own policy variables (`${aws:username}` and the like) contain a colon and are left alone.
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
        let value = match name {
            "AccountId" => &ctx.account,
            "Partition" => &ctx.partition,
            "Region" => &ctx.region,
            _ if name.contains(':') || matches!(name, "*" | "?" | "$") => {
                out.push_str(&rest[start..start + 2 + end + 1]);
                rest = &after[end + 1..];
                continue;
            }
            _ => return Err(format!("unknown placeholder ${{{name}}} in '{text}'")),
        };
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalog::load_builtin;

    fn context() -> RenderContext {
        RenderContext::new("123456789012", "aws", "us-east-1")
    }

    fn byoc(ctx: &RenderContext) -> Desired {
        let catalog = load_builtin("streamkap").unwrap();
        let (name, integration) = catalog.integration(None).unwrap();
        render(&catalog, name, integration, ctx).unwrap()
    }

    #[test]
    fn byoc_renders_as_the_page_gives_it() {
        let desired = byoc(&context());
        insta::assert_json_snapshot!("streamkap_byoc", desired);
    }

    #[test]
    fn names_take_prefix_suffix_path_and_role_override() {
        let mut ctx = context();
        ctx.partition = "aws-cn".into();
        ctx.naming = Naming {
            prefix: "prod-".into(),
            suffix: "-2".into(),
            role_name: Some("Installer".into()),
            path: "/vendors/".into(),
        };
        ctx.tags = vec![Tag::new("team", "data")];
        let desired = byoc(&ctx);
        assert_eq!(desired.roles[0].name, "prod-Installer-2");
        assert_eq!(
            desired.roles[0].arn,
            "arn:aws-cn:iam::123456789012:role/vendors/prod-Installer-2"
        );
        assert_eq!(
            desired.roles[0].policy_arns,
            [
                "arn:aws-cn:iam::123456789012:policy/vendors/prod-StreamkapProvisionAccess-2",
                "arn:aws-cn:iam::123456789012:policy/vendors/prod-StreamkapDeprovisionAccess-2"
            ]
        );
        assert_eq!(
            desired.policies[0].tags.last(),
            Some(&Tag::new("team", "data"))
        );
        assert_eq!(desired.roles[0].tags[0], Tag::new("managed-by", "onboard"));
    }

    #[test]
    fn placeholders_are_substituted_and_iam_variables_kept() {
        let doc = json!({"Resource": ["arn:${Partition}:s3:::b-${AccountId}-${Region}/${aws:username}/*"]});
        let out = substitute(&doc, &context()).unwrap();
        assert_eq!(
            out["Resource"][0],
            "arn:aws:s3:::b-123456789012-us-east-1/${aws:username}/*"
        );
        let err = substitute(&json!("${Nope}"), &context()).unwrap_err();
        assert_eq!(err, "unknown placeholder ${Nope} in '${Nope}'");
    }
}
