//! The vendor catalog: one JSON file per vendor under `catalog/`, compiled into the binary, or a
//! user's own file (`--catalog-file`). `catalog/schema.json` documents the format.
//!
//! An entry is transcribed from the vendor's own page (its `source`): policy documents verbatim,
//! trust principals, names; where the page states requirements but not the policy, the entry
//! composes one and says so (`composed`). [`render`] turns an entry, parameters and the caller's
//! account into [`Desired`] state.
//!
//! [`Desired`]: crate::state::Desired

pub(crate) mod checks;
pub(crate) mod import;
mod params;
pub(crate) mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub(crate) use params::{ParamKind, ParamSpec, known_params, parse_param, resolve_params};
pub(crate) use render::{Naming, RenderContext, placeholders, render, uses_external_id};

use self::checks::Document;
use crate::error::{Error, Result, Usage};
use crate::policy::managed::unknown_aws_managed_policy;

/// Built-in catalog files, by vendor name.
const BUILTIN: &[(&str, &str)] = &[
    ("kubermatic", include_str!("../../catalog/kubermatic.json")),
    (
        "stream-manager",
        include_str!("../../catalog/stream-manager.json"),
    ),
    ("streamkap", include_str!("../../catalog/streamkap.json")),
    ("upsolver", include_str!("../../catalog/upsolver.json")),
];

/// Largest catalog file onboard reads.
const MAX_CATALOG_FILE: u64 = 1024 * 1024;

/// Placeholders every document may use besides the integration's parameters.
pub(crate) const BUILTIN_PLACEHOLDERS: &[&str] =
    &["AccountId", "Partition", "Region", "ExternalId"];

/// One vendor and the integrations it offers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorCatalog {
    pub vendor: String,
    pub display_name: String,
    pub default_integration: String,
    /// Integration chosen when the user passes `--trust-principal` without `--integration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_principal_integration: Option<String>,
    pub integrations: BTreeMap<String, Integration>,
}

/// One way of onboarding a vendor: the policies, roles and users it asks the customer to create.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Integration {
    pub description: String,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParamSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserSpec>,
    /// Why the vendor asks for the integration to be applied in a dedicated account (the
    /// page's words), shown with the warning that it is administrator-equivalent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedicated_account: Option<String>,
    /// What the entry does not carry from its source, and why (`catalog import` lists what it
    /// left out of the template here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The vendor page an entry was transcribed from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Source {
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
pub(crate) struct PolicySpec {
    /// Stable identifier within the vendor; recorded in the `onboard:resource` tag.
    pub id: String,
    /// Policy name before the user's prefix and suffix.
    pub name: String,
    pub description: String,
    /// True when the page states what the policy must allow but gives no document, and the
    /// entry composes a least-privilege one from those requirements.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub composed: bool,
    /// Where the document departs from the page, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The policy document, with `${...}` placeholders.
    pub document: Value,
    /// Statements the document has only when a parameter is given, or only when it is not
    /// (S3 prefix scoping, a KMS key), appended in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditional: Vec<ConditionalStatements>,
}

/// Statements added to a policy document when a parameter is given, or when it is not.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConditionalStatements {
    pub when: ParamPresence,
    pub statements: Vec<Value>,
}

/// Whether a parameter has a value: `{"given": "prefix"}` or `{"absent": "prefix"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ParamPresence {
    Given(String),
    Absent(String),
}

impl ParamPresence {
    /// The parameter it is about.
    pub(crate) fn parameter(&self) -> &str {
        match self {
            ParamPresence::Given(name) | ParamPresence::Absent(name) => name,
        }
    }

    /// Whether it holds for these parameter values.
    pub(crate) fn holds(&self, params: &BTreeMap<String, String>) -> bool {
        match self {
            ParamPresence::Given(name) => params.contains_key(name),
            ParamPresence::Absent(name) => !params.contains_key(name),
        }
    }
}

impl PolicySpec {
    /// The document with the conditional statements whose condition holds for `params`.
    pub(crate) fn document_for(&self, params: &BTreeMap<String, String>) -> Value {
        let mut document = self.document.clone();
        let extra = self
            .conditional
            .iter()
            .filter(|c| c.when.holds(params))
            .flat_map(|c| c.statements.iter().cloned());
        match &mut document["Statement"] {
            Value::Array(statements) => statements.extend(extra),
            single => {
                let mut all = vec![single.take()];
                all.extend(extra);
                *single = Value::Array(all);
            }
        }
        document
    }
}

/// A role onboard creates.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleSpec {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The trust (assume-role) policy document.
    pub trust: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<i32>,
    /// Ids of the entry's policies to attach.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Names of AWS managed policies to attach (never created or deleted by onboard).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aws_managed_policies: Vec<String>,
    /// Also create an instance profile of the same name holding the role (for EC2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instance_profile: bool,
    /// Who issues the external ID the trust policy requires (`${ExternalId}`); required exactly
    /// when the trust policy uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<ExternalIdSpec>,
    /// Inline policies of the role: part of it, created, checked and removed with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline_policies: Vec<InlinePolicySpec>,
    /// The role's IAM path (an imported template's `Path`), used unless `--path` names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The ARN of the role's permissions boundary (may use `${Partition}` and `${AccountId}`),
    /// used unless `--permissions-boundary` names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
}

/// An inline policy of a catalog role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InlinePolicySpec {
    pub name: String,
    /// The policy document, with `${...}` placeholders.
    pub document: Value,
}

/// Who issues the external ID a trust policy requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ExternalIdIssuer {
    /// The vendor issues it (Streamkap's app, Upsolver): `--external-id` is required and onboard
    /// never generates one, since a generated one could never match.
    Vendor,
    /// The customer chooses it: onboard generates one when `--external-id` is not given.
    Customer,
}

impl std::fmt::Display for ExternalIdIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExternalIdIssuer::Vendor => "vendor",
            ExternalIdIssuer::Customer => "customer",
        })
    }
}

/// Who issues a role's external ID, and where the vendor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExternalIdSpec {
    pub issued_by: ExternalIdIssuer,
    /// Where the vendor shows the ID ("the Streamkap app shows it during connector setup"):
    /// required when the vendor issues it, shown when `--external-id` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
}

/// An IAM user onboard creates, for products that take an access key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserSpec {
    pub id: String,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aws_managed_policies: Vec<String>,
    /// Create an access key and hand it over once (`--key-file` or `--show-secret`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub access_key: bool,
}

/// Names of the built-in vendors, sorted.
pub(crate) fn builtin_vendors() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// Loads and validates a built-in vendor; an unknown name lists the known ones.
pub(crate) fn load_builtin(vendor: &str) -> Result<VendorCatalog> {
    let (_, text) = BUILTIN
        .iter()
        .find(|(name, _)| *name == vendor)
        .ok_or_else(|| {
            Error::from(Usage::UnknownVendor {
                name: vendor.to_owned(),
                known: builtin_vendors().iter().map(|v| (*v).to_owned()).collect(),
            })
        })?;
    parse(vendor, text)
}

/// Loads and validates a user's catalog file.
pub(crate) fn load_file(path: &Path) -> Result<VendorCatalog> {
    let shown = path.display();
    let usage = |problem: String| {
        Error::from(Usage::CatalogFile {
            path: shown.to_string(),
            problem,
        })
    };
    let text = checks::read_capped(path, MAX_CATALOG_FILE).map_err(usage)?;
    parse(&shown.to_string(), &text).map_err(|e| match e {
        Error::Catalog { message, .. } => usage(message),
        other => other,
    })
}

/// Parses and validates a catalog file's text; errors name the field at fault.
pub(crate) fn parse(origin: &str, text: &str) -> Result<VendorCatalog> {
    checks::unique_keys(text).map_err(|message| Error::Catalog {
        vendor: origin.to_owned(),
        message,
    })?;
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let catalog: VendorCatalog = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let message = if path == "." {
            e.inner().to_string()
        } else {
            format!("{path}: {}", e.inner())
        };
        Error::Catalog {
            vendor: origin.to_owned(),
            message,
        }
    })?;
    catalog.validate()?;
    Ok(catalog)
}

/// Where the user's catalog entry comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CatalogSource<'a> {
    Builtin(&'a str),
    File(&'a Path),
}

impl CatalogSource<'_> {
    pub(crate) fn load(self) -> Result<VendorCatalog> {
        match self {
            CatalogSource::Builtin(vendor) => load_builtin(vendor),
            CatalogSource::File(path) => load_file(path),
        }
    }
}

impl VendorCatalog {
    /// The integrations named (merged in that order), or the vendor's default one; an unknown
    /// name lists the known ones.
    pub(crate) fn select(
        &self,
        names: &[String],
        trust_principal: bool,
    ) -> Result<Vec<(&str, &Integration)>> {
        let default = match (trust_principal, &self.trust_principal_integration) {
            (true, Some(integration)) => integration,
            _ => &self.default_integration,
        };
        let names: Vec<&str> = if names.is_empty() {
            vec![default.as_str()]
        } else {
            names.iter().map(String::as_str).collect()
        };
        let mut selected: Vec<(&str, &Integration)> = Vec::new();
        for name in names {
            let (key, integration) = self.integrations.get_key_value(name).ok_or_else(|| {
                Error::from(Usage::UnknownIntegration {
                    vendor: self.vendor.clone(),
                    name: name.to_owned(),
                    known: self.integrations.keys().cloned().collect(),
                })
            })?;
            if !selected.iter().any(|(k, _)| *k == key) {
                selected.push((key.as_str(), integration));
            }
        }
        Ok(selected)
    }

    /// Checks what serde cannot: references between items, unique ids, placeholders, shapes.
    pub(crate) fn validate(&self) -> Result<()> {
        let fail = |message: String| {
            Err(Error::Catalog {
                vendor: self.vendor.clone(),
                message,
            })
        };
        if !is_vendor_name(&self.vendor) {
            return fail(format!(
                "vendor '{}' is not a vendor name: use lowercase letters, digits and '-', \
                 starting with a letter or digit (catalog/schema.json)",
                self.vendor
            ));
        }
        for (field, name) in [
            ("default_integration", Some(&self.default_integration)),
            (
                "trust_principal_integration",
                self.trust_principal_integration.as_ref(),
            ),
        ] {
            if let Some(name) = name.filter(|n| !self.integrations.contains_key(*n)) {
                return fail(format!("{field}: '{name}' is not among integrations"));
            }
        }
        for (name, integration) in &self.integrations {
            let at = format!("integrations.{name}");
            if integration.roles.is_empty() && integration.users.is_empty() {
                return fail(format!("{at}: needs at least one role or user"));
            }
            let mut ids = BTreeSet::new();
            let mut known: BTreeSet<&str> = BUILTIN_PLACEHOLDERS.iter().copied().collect();
            for param in &integration.parameters {
                if !ids.insert(param.name.as_str()) {
                    return fail(format!(
                        "{at}.parameters: '{}' is declared twice",
                        param.name
                    ));
                }
                if !is_param_name(&param.name) {
                    return fail(format!(
                        "{at}.parameters: '{}' is not a parameter name: use letters, digits, '_' \
                         and '-'",
                        param.name
                    ));
                }
                known.insert(&param.name);
            }
            let optional: BTreeSet<&str> = integration
                .parameters
                .iter()
                .filter(|p| p.optional)
                .map(|p| p.name.as_str())
                .collect();
            for policy in &integration.policies {
                let at = format!("{at}.policies.{}", policy.id);
                for group in &policy.conditional {
                    let name = group.when.parameter();
                    if !integration.parameters.iter().any(|p| p.name == name) {
                        return fail(format!(
                            "{at}.conditional: '{name}' is not a parameter of the integration"
                        ));
                    }
                    let usable = |p: &String| {
                        !optional.contains(p.as_str())
                            || group.when == ParamPresence::Given(p.clone())
                    };
                    let group_doc = Value::Array(group.statements.clone());
                    if let Some(p) = placeholders(&group_doc).iter().find(|p| !usable(p)) {
                        return fail(format!(
                            "{at}.conditional: statements used when {name} is {} use the optional parameter ${{{p}}}",
                            match group.when {
                                ParamPresence::Given(_) => "given",
                                ParamPresence::Absent(_) => "absent",
                            }
                        ));
                    }
                    if let Some(unknown) = placeholders(&group_doc)
                        .into_iter()
                        .find(|p| !known.contains(p.as_str()))
                    {
                        return fail(format!(
                            "{at}.conditional: placeholder ${{{unknown}}} is neither a parameter nor one of {}",
                            BUILTIN_PLACEHOLDERS.join(", ")
                        ));
                    }
                }
                if let Some(p) = placeholders(&policy.document)
                    .iter()
                    .find(|p| optional.contains(p.as_str()))
                {
                    return fail(format!(
                        "{at}: the document uses the optional parameter ${{{p}}}: use it only in \
                         conditional statements given it"
                    ));
                }
            }
            let documents = integration
                .policies
                .iter()
                .map(|p| ("policies", &p.id, &p.document, Document::Policy));
            let documents = documents.chain(
                integration
                    .roles
                    .iter()
                    .map(|r| ("roles", &r.id, &r.trust, Document::Trust)),
            );
            let inline_ids: Vec<(String, &Value)> = integration
                .roles
                .iter()
                .flat_map(|r| {
                    r.inline_policies
                        .iter()
                        .map(move |p| (format!("{}.inline.{}", r.id, p.name), &p.document))
                })
                .collect();
            let documents = documents.chain(
                inline_ids
                    .iter()
                    .map(|(id, document)| ("roles", id, *document, Document::Policy)),
            );
            ids.clear();
            for (kind, id, document, document_kind) in documents {
                let at = format!("{at}.{kind}.{id}");
                if !ids.insert(id.as_str()) {
                    return fail(format!("{at}: id '{id}' is used twice"));
                }
                if !document
                    .get("Statement")
                    .is_some_and(|s| s.is_array() || s.is_object())
                {
                    return fail(format!("{at}: the document has no Statement"));
                }
                if let Some(problem) = checks::document_problem(document_kind, document) {
                    return fail(format!("{at}: {document_kind}: {problem}"));
                }
                if let Some(unknown) = placeholders(document)
                    .into_iter()
                    .find(|p| !known.contains(p.as_str()))
                {
                    return fail(format!(
                        "{at}: placeholder ${{{unknown}}} is neither a parameter nor one of {}",
                        BUILTIN_PLACEHOLDERS.join(", ")
                    ));
                }
            }
            let managed = integration
                .roles
                .iter()
                .map(|r| ("roles", &r.id, &r.aws_managed_policies));
            let managed = managed.chain(
                integration
                    .users
                    .iter()
                    .map(|u| ("users", &u.id, &u.aws_managed_policies)),
            );
            for (kind, id, names) in managed {
                if let Some(problem) = names.iter().find_map(|n| unknown_aws_managed_policy(n)) {
                    return fail(format!("{at}.{kind}.{id}: {problem}"));
                }
            }
            for role in &integration.roles {
                let at = format!("{at}.roles.{}", role.id);
                if let Some(Err(e)) = role.path.as_deref().map(crate::policy::limits::check_path) {
                    return fail(format!("{at}.path: {e}"));
                }
                let uses = placeholders(&role.trust).iter().any(|p| p == "ExternalId");
                match (&role.external_id, uses) {
                    (None, true) => {
                        return fail(format!(
                            "{at}: the trust policy uses ${{ExternalId}}: say who issues it with \
                             \"external_id\": {{\"issued_by\": \"vendor\" or \"customer\"}}"
                        ));
                    }
                    (Some(_), false) => {
                        return fail(format!(
                            "{at}: external_id is given but the trust policy does not use ${{ExternalId}}"
                        ));
                    }
                    (
                        Some(ExternalIdSpec {
                            issued_by: ExternalIdIssuer::Vendor,
                            shown: None,
                        }),
                        true,
                    ) => {
                        return fail(format!(
                            "{at}: external_id.issued_by is vendor: say where the vendor shows it in external_id.shown"
                        ));
                    }
                    (Some(_), true) | (None, false) => {}
                }
            }
            let holders = integration
                .roles
                .iter()
                .map(|r| ("roles", &r.id, &r.policies));
            let holders = holders.chain(
                integration
                    .users
                    .iter()
                    .map(|u| ("users", &u.id, &u.policies)),
            );
            for (kind, id, policies) in holders {
                if let Some(policy) = policies
                    .iter()
                    .find(|p| !integration.policies.iter().any(|d| &d.id == *p))
                {
                    return fail(format!(
                        "{at}.{kind}.{id}: policy '{policy}' is not defined"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A vendor name as the schema allows it: `^[a-z0-9][a-z0-9-]*$`.
fn is_vendor_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A parameter name as the schema allows it: `^[A-Za-z0-9_-]+$`.
fn is_param_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let selected = catalog.select(&[], false).unwrap();
        let (name, byoc) = selected[0];
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
        assert_eq!(
            err,
            "unknown vendor 'nope'; known vendors: kubermatic, stream-manager, streamkap, upsolver"
        );
    }

    #[test]
    fn unknown_integration_lists_the_known_ones() {
        let catalog = load_builtin("streamkap").unwrap();
        let err = catalog
            .select(&["nope".into()], false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "vendor streamkap has no integration 'nope'; known integrations: byoc, glue, redshift, s3"
        );
    }

    fn streamkap() -> Value {
        serde_json::from_str(include_str!("../../catalog/streamkap.json")).unwrap()
    }

    #[test]
    fn a_role_naming_an_undefined_policy_is_rejected() {
        let mut entry = streamkap();
        entry["integrations"]["byoc"]["roles"][0]["policies"][0] = "Missing".into();
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert_eq!(
            err,
            "catalog streamkap: integrations.byoc.roles.StreamkapInstallAccess: policy 'Missing' is not defined"
        );
    }

    #[test]
    fn errors_name_the_field_at_fault() {
        let mut entry = streamkap();
        entry["integrations"]["byoc"]["policies"][1]
            .as_object_mut()
            .unwrap()
            .remove("document");
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "catalog test: integrations.byoc.policies[1]: missing field `document`"
            ),
            "{err}"
        );
        let mut entry = streamkap();
        entry["integrations"]["s3"]["policies"][0]["document"]["Statement"][0]["Resource"] =
            "arn:aws:s3:::${bucket_name}".into();
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(
            err.contains("placeholder ${bucket_name} is neither a parameter"),
            "{err}"
        );
    }

    #[test]
    fn every_trust_with_an_external_id_says_who_issues_it() {
        let mut vendor_issued = 0;
        for vendor in builtin_vendors() {
            let catalog = load_builtin(vendor).unwrap();
            for (name, integration) in &catalog.integrations {
                for role in &integration.roles {
                    let uses = placeholders(&role.trust).iter().any(|p| p == "ExternalId");
                    assert_eq!(
                        uses,
                        role.external_id.is_some(),
                        "{vendor} {name} {}",
                        role.id
                    );
                    if let Some(spec) = &role.external_id
                        && spec.issued_by == ExternalIdIssuer::Vendor
                    {
                        vendor_issued += 1;
                        assert!(spec.shown.is_some(), "{vendor} {name}");
                    }
                }
            }
        }
        // Streamkap's connectors (the app shows the ID) and Upsolver (<get_from_upsolver>).
        assert!(vendor_issued >= 4, "{vendor_issued}");
        let upsolver = load_builtin("upsolver").unwrap();
        let role = &upsolver.integrations["my-vpc"].roles[0];
        assert_eq!(
            role.external_id.as_ref().unwrap().issued_by,
            ExternalIdIssuer::Vendor
        );
    }

    #[test]
    fn a_trust_with_an_external_id_and_no_issuer_is_rejected() {
        let mut entry = streamkap();
        let role = &mut entry["integrations"]["s3"]["roles"][0];
        role.as_object_mut().unwrap().remove("external_id");
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(
            err.contains("integrations.s3.roles.StreamkapConnectorAccess: the trust policy uses ${ExternalId}: say who issues it"),
            "{err}"
        );
        let mut entry = streamkap();
        entry["integrations"]["s3"]["roles"][0]["external_id"] = json!({"issued_by": "vendor"});
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(err.contains("say where the vendor shows it"), "{err}");
        let mut entry = streamkap();
        entry["integrations"]["byoc"]["roles"][0]["external_id"] = json!({"issued_by": "customer"});
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(err.contains("does not use ${ExternalId}"), "{err}");
    }

    #[test]
    fn optional_parameters_are_used_only_where_given() {
        let mut entry = streamkap();
        entry["integrations"]["s3"]["policies"][0]["document"]["Statement"][0]["Resource"] =
            "arn:aws:s3:::${bucket}/${prefix}".into();
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(
            err.contains("StreamkapS3Access: the document uses the optional parameter ${prefix}"),
            "{err}"
        );
        let mut entry = streamkap();
        entry["integrations"]["s3"]["policies"][0]["conditional"][1]["when"] =
            json!({"absent": "prefix"});
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(
            err.contains(
                "statements used when prefix is absent use the optional parameter ${prefix}"
            ),
            "{err}"
        );
        let mut entry = streamkap();
        entry["integrations"]["s3"]["policies"][0]["conditional"][0]["when"] =
            json!({"given": "nope"});
        let err = parse("test", &entry.to_string()).unwrap_err().to_string();
        assert!(err.contains("'nope' is not a parameter"), "{err}");
    }

    /// catalog/schema.json documents the format: every built-in entry and the example file
    /// satisfy it, and it rejects what the loader rejects.
    #[test]
    fn the_json_schema_accepts_every_entry_and_rejects_unknown_fields() {
        let schema: Value =
            serde_json::from_str(include_str!("../../catalog/schema.json")).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let example = include_str!("../../examples/my-vendor.json");
        for (name, text) in BUILTIN.iter().copied().chain([("example", example)]) {
            let entry: Value = serde_json::from_str(text).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&entry)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:?}");
            parse(name, text).unwrap();
        }
        let mut entry = streamkap();
        entry["integrations"]["byoc"]["roles"][0]["trust_policy"] = Value::Null;
        assert!(!validator.is_valid(&entry));
        assert!(parse("test", &entry.to_string()).is_err());
    }

    #[test]
    fn integrations_are_selected_by_name_or_default() {
        let catalog = load_builtin("kubermatic").unwrap();
        let names = |sel: Vec<(&str, &Integration)>| {
            sel.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(names(catalog.select(&[], false).unwrap()), ["user"]);
        assert_eq!(names(catalog.select(&[], true).unwrap()), ["role"]);
        let streamkap = load_builtin("streamkap").unwrap();
        let both = streamkap
            .select(&["s3".into(), "glue".into(), "s3".into()], false)
            .unwrap();
        assert_eq!(names(both), ["s3", "glue"]);
    }
}
