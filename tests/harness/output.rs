//! The documented `--output json` shapes, decoded independently of onboard's own types.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ApplyOutput {
    pub vendor: String,
    pub integration: String,
    pub account: String,
    pub partition: String,
    pub role_arn: String,
    pub changed: bool,
    pub changes: Vec<String>,
    pub already_present: Vec<Present>,
    pub drift: Vec<String>,
    pub verification: Option<Verification>,
}

#[derive(Debug, Deserialize)]
pub struct Present {
    pub kind: String,
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Deserialize)]
pub struct Verification {
    pub role_arn: String,
    pub checks: Vec<Check>,
    pub assumed_role_arn: Option<String>,
    pub passed: bool,
}

#[derive(Debug, Deserialize)]
pub struct Check {
    pub name: String,
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Deserialize)]
pub struct TeardownOutput {
    pub vendor: Option<String>,
    pub removed: Vec<String>,
    pub kept: Vec<Kept>,
}

#[derive(Debug, Deserialize)]
pub struct Kept {
    pub kind: String,
    pub name: String,
    pub reason: String,
}
