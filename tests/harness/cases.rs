//! Every built-in vendor and integration, read from `onboard catalog list` and `catalog show`,
//! with the flags `apply` needs for each: a value for every parameter, an external ID where a
//! trust policy asks for one, and `--show-secret` where a user gets an access key.

use serde::Deserialize;

use super::onboard_offline;
use super::output::VendorListing;

/// One vendor integration and the `apply` flags that select it.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub vendor: String,
    pub integration: String,
    /// `--vendor V --integration I --param ...` and the external ID: what apply and plan take.
    pub flags: Vec<String>,
    /// Whether apply creates an access key.
    pub access_key: bool,
}

impl Case {
    pub(crate) fn name(&self) -> String {
        format!("{} {}", self.vendor, self.integration)
    }

    /// `command` with this case's flags, then `extra`.
    pub(crate) fn args<'a>(&'a self, command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        std::iter::once(command)
            .chain(self.flags.iter().map(String::as_str))
            .chain(extra.iter().copied())
            .collect()
    }

    /// `apply` with this case's flags (and `--show-secret` where a key is created), then `extra`.
    pub(crate) fn apply<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = self.args("apply", extra);
        if self.access_key {
            args.push("--show-secret");
        }
        args
    }
}

/// A valid value for each parameter a built-in integration takes, optional ones too (so that
/// what they add is applied as well). A new parameter fails here until it gets one.
fn value_for(parameter: &str) -> &'static str {
    match parameter {
        "bucket" => "cdc-bucket",
        "database" => "lake",
        "cluster" => "warehouse-1",
        "org-id" => "org42",
        "prefix" => "cdc/",
        "kms-key-arn" => {
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        }
        "region" => "us-east-1",
        "db-user" => "streamkap",
        "db-name" => "dev",
        "trust-principal" => "arn:aws:iam::111122223333:role/kkp",
        other => panic!("tests/harness/cases.rs: give parameter {other} a value"),
    }
}

#[derive(Deserialize)]
struct Shown {
    #[serde(default)]
    roles: Vec<serde_json::Value>,
    #[serde(default)]
    users: Option<Vec<ShownUser>>,
}

#[derive(Deserialize)]
struct ShownUser {
    access_key: bool,
}

/// Every integration of every built-in vendor.
pub(crate) fn catalog_cases() -> Vec<Case> {
    let list = onboard_offline(&["catalog", "list", "--output", "json"]);
    list.assert_code(0);
    let vendors: Vec<VendorListing> = list.json();
    let mut cases = Vec::new();
    for vendor in &vendors {
        for integration in &vendor.integrations {
            let mut flags = vec![
                "--vendor".to_owned(),
                vendor.vendor.clone(),
                "--integration".to_owned(),
                integration.name.clone(),
            ];
            for parameter in &integration.parameters {
                flags.push("--param".into());
                flags.push(format!("{parameter}={}", value_for(parameter)));
            }
            let mut show: Vec<&str> = vec!["catalog", "show", &vendor.vendor];
            show.extend(flags.iter().skip(2).map(String::as_str));
            show.extend(["--output", "json"]);
            let shown = onboard_offline(&show);
            shown.assert_code(0);
            let shown: Shown = shown.json();
            if shown
                .roles
                .iter()
                .any(|r| r["trust"].to_string().contains("sts:ExternalId"))
            {
                flags.push("--external-id".into());
                flags.push(format!("{}-ext-1", vendor.vendor));
            }
            let access_key = shown.users.iter().flatten().any(|u| u.access_key);
            cases.push(Case {
                vendor: vendor.vendor.clone(),
                integration: integration.name.clone(),
                flags,
                access_key,
            });
        }
    }
    assert!(
        cases.len() >= 8,
        "the catalog lists {} integrations",
        cases.len()
    );
    cases
}
