//! The documented `--output json` shapes, decoded independently of onboard's own types.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct ApplyOutput {
    pub vendor: String,
    pub integration: String,
    pub account: String,
    pub partition: String,
    pub role_arn: Option<String>,
    pub role_arns: Vec<String>,
    pub user_arns: Vec<String>,
    pub external_id: Option<String>,
    pub external_id_generated: bool,
    pub access_keys: Vec<KeyReport>,
    pub changed: bool,
    pub changes: Vec<String>,
    pub already_present: Vec<Present>,
    pub drift: Vec<String>,
    pub verifications: Vec<Verification>,
    pub waits: Waits,
}

/// How long a run waited for IAM to propagate.
#[derive(Debug, Deserialize, Clone, Copy)]
pub(crate) struct Waits {
    pub count: u32,
    pub seconds: f64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyReport {
    pub user: String,
    pub access_key_id: String,
    pub key_file: Option<String>,
    pub secret_access_key: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RotateOutput {
    pub user: String,
    pub access_keys: Vec<KeyReport>,
    pub changes: Vec<String>,
    pub waits: Waits,
}

#[derive(Debug, Deserialize)]
pub(crate) struct VendorListing {
    pub vendor: String,
    pub display_name: String,
    pub integrations: Vec<IntegrationListing>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IntegrationListing {
    pub name: String,
    pub default: bool,
    pub description: String,
    pub parameters: Vec<String>,
    pub source: Source,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Source {
    pub title: String,
    pub seed: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Present {
    pub kind: String,
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Verification {
    pub kind: String,
    pub arn: String,
    pub checks: Vec<Check>,
    pub assumed_role_arn: Option<String>,
    pub passed: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Check {
    pub name: String,
    /// `pass`, `fail`, `expected` or `warn`.
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TeardownOutput {
    pub vendor: Option<String>,
    pub removed: Vec<String>,
    pub kept: Vec<Kept>,
    pub waits: Waits,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Kept {
    pub kind: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlanOutput {
    pub vendor: String,
    pub integration: String,
    pub account: String,
    pub pending: bool,
    pub changes: Vec<PlannedChange>,
    pub unchanged: Vec<Present>,
    pub drift: Vec<String>,
    pub external_id: Option<String>,
    pub external_id_generated: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlannedChange {
    pub kind: String,
    pub description: String,
    pub diff: Option<String>,
}

/// What apply, plan and teardown print with `--accounts` or `--organization`; `T` is the
/// single-account command's output.
#[derive(Debug, Deserialize)]
pub(crate) struct AccountsOutput<T> {
    pub accounts: Vec<AccountOutcome<T>>,
    pub failed: usize,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccountOutcome<T> {
    pub account: String,
    pub ok: bool,
    pub status: String,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub result: Option<T>,
    pub error: Option<String>,
}
