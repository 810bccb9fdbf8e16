//! The vendor catalog: one JSON file per vendor under `catalog/`, compiled into the binary.
//!
//! An entry is transcribed from the vendor's own page (its `source`): policy documents verbatim,
//! trust principals, names. [`render`] turns an entry plus the caller's account into [`Desired`]
//! state.
//!
//! [`Desired`]: crate::state::Desired

mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use render::{Naming, RenderContext, render};

use crate::error::{Error, Result};

/// Built-in catalog files, by vendor name.
const BUILTIN: &[(&str, &str)] = &[("streamkap", include_str!("../../catalog/streamkap.json"))];

/// One vendor and the integrations it offers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorCatalog {
    pub vendor: String,
    pub display_name: String,
    pub default_integration: String,
    pub integrations: BTreeMap<String, Integration>,
}

/// One way of onboarding a vendor: the policies and roles it asks the customer to create.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integration {
    pub description: String,
    pub source: Source,
    pub policies: Vec<PolicySpec>,
    pub roles: Vec<RoleSpec>,
}

/// The vendor page an entry was transcribed from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    /// File under shared/seeds/ holding the page as it was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A customer managed policy onboard creates.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Stable identifier within the integration; recorded in the `onboard:resource` tag.
    pub id: String,
    /// Policy name before the user's prefix and suffix.
    pub name: String,
    pub description: String,
    /// The policy document, with `${AccountId}`, `${Partition}` and `${Region}` placeholders.
    pub document: Value,
}

/// A role onboard creates.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The trust (assume-role) policy document.
    pub trust: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<i32>,
    /// Ids of the entry's policies to attach.
    pub policies: Vec<String>,
}

/// Names of the built-in vendors, sorted.
pub fn builtin_vendors() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// Loads and validates a built-in vendor; an unknown name lists the known ones.
pub fn load_builtin(vendor: &str) -> Result<VendorCatalog> {
    let (_, text) = BUILTIN
        .iter()
        .find(|(name, _)| *name == vendor)
        .ok_or_else(|| {
            Error::Usage(format!(
                "unknown vendor '{vendor}'; known vendors: {}",
                builtin_vendors().join(", ")
            ))
        })?;
    parse(vendor, text)
}

/// Parses and validates a catalog file's text.
pub fn parse(origin: &str, text: &str) -> Result<VendorCatalog> {
    let catalog: VendorCatalog = serde_json::from_str(text).map_err(|e| Error::Catalog {
        vendor: origin.to_owned(),
        message: e.to_string(),
    })?;
    catalog.validate()?;
    Ok(catalog)
}

impl VendorCatalog {
    /// The integration named, or the vendor's default; an unknown name lists the known ones.
    pub fn integration(&self, name: Option<&str>) -> Result<(&str, &Integration)> {
        let name = name.unwrap_or(&self.default_integration);
        self.integrations
            .get_key_value(name)
            .map(|(k, v)| (k.as_str(), v))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "vendor {} has no integration '{name}'; known integrations: {}",
                    self.vendor,
                    self.integrations
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    /// Checks what serde cannot: references between items, unique ids, document shapes.
    pub fn validate(&self) -> Result<()> {
        let fail = |message: String| {
            Err(Error::Catalog {
                vendor: self.vendor.clone(),
                message,
            })
        };
        if !self.integrations.contains_key(&self.default_integration) {
            return fail(format!(
                "default_integration '{}' is not among integrations",
                self.default_integration
            ));
        }
        for (name, integration) in &self.integrations {
            let mut ids = BTreeSet::new();
            let items = integration.policies.iter().map(|p| (&p.id, &p.document));
            let items = items.chain(integration.roles.iter().map(|r| (&r.id, &r.trust)));
            for (id, document) in items {
                if !ids.insert(id.as_str()) {
                    return fail(format!("integrations.{name}: id '{id}' is used twice"));
                }
                if !document
                    .get("Statement")
                    .is_some_and(|s| s.is_array() || s.is_object())
                {
                    return fail(format!(
                        "integrations.{name}.{id}: document has no Statement"
                    ));
                }
            }
            for role in &integration.roles {
                for policy in &role.policies {
                    if !integration.policies.iter().any(|p| &p.id == policy) {
                        return fail(format!(
                            "integrations.{name}.roles.{}: policy '{policy}' is not defined",
                            role.id
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_entry_loads_and_validates() {
        for vendor in builtin_vendors() {
            let catalog = load_builtin(vendor).unwrap();
            assert_eq!(catalog.vendor, vendor);
        }
    }

    #[test]
    fn byoc_carries_the_pages_action_counts_and_trust() {
        let catalog = load_builtin("streamkap").unwrap();
        let (name, byoc) = catalog.integration(None).unwrap();
        assert_eq!(name, "byoc");
        let count = |id: &str| {
            let policy = byoc.policies.iter().find(|p| p.id == id).unwrap();
            policy.document["Statement"][0]["Action"]
                .as_array()
                .unwrap()
                .len()
        };
        assert_eq!(count("StreamkapProvisionAccess"), 116);
        assert_eq!(count("StreamkapDeprovisionAccess"), 76);
        let role = &byoc.roles[0];
        assert_eq!(role.name, "StreamkapInstallAccess");
        assert_eq!(
            role.trust["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::300973880807:role/installer-delegation"
        );
        assert_eq!(
            role.policies,
            ["StreamkapProvisionAccess", "StreamkapDeprovisionAccess"]
        );
    }

    #[test]
    fn unknown_vendor_lists_the_known_ones() {
        let err = load_builtin("nope").unwrap_err().to_string();
        assert_eq!(err, "unknown vendor 'nope'; known vendors: streamkap");
    }

    #[test]
    fn unknown_integration_lists_the_known_ones() {
        let catalog = load_builtin("streamkap").unwrap();
        let err = catalog.integration(Some("nope")).unwrap_err().to_string();
        assert_eq!(
            err,
            "vendor streamkap has no integration 'nope'; known integrations: byoc"
        );
    }

    #[test]
    fn a_role_naming_an_undefined_policy_is_rejected() {
        let mut entry: Value = serde_json::from_str(BUILTIN[0].1).unwrap();
        entry["integrations"]["byoc"]["roles"][0]["policies"][0] = "Missing".into();
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(err.contains("policy 'Missing' is not defined"), "{err}");
    }
}
