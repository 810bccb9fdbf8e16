//! The report as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for
//! code-scanning dashboards: one run, one rule per finding code, one result per finding, located
//! at the role's or user's ARN.

use std::collections::BTreeMap;

use serde::Serialize;

use super::findings::{Code, Finding};
use super::model::Audit;
use crate::policy::lint::Severity;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Debug, Serialize)]
pub(crate) struct Sarif {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Text,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Debug, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, Serialize)]
struct Configuration {
    level: Level,
}

#[derive(Debug, Serialize)]
struct RuleProperties {
    tags: [&'static str; 1],
    /// GitHub code scanning's 0.0-10.0 score.
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

/// SARIF's levels.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Error,
    Warning,
    Note,
}

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Error => Level::Error,
        Severity::Security => Level::Warning,
        Severity::Warning => Level::Note,
    }
}

fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "9.0",
        Severity::Security => "7.0",
        Severity::Warning => "3.0",
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: Level,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    properties: ResultProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
}

#[derive(Debug, Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct ResultProperties {
    severity: Severity,
    account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestion: Option<String>,
}

impl Sarif {
    pub(crate) fn new(audit: &Audit) -> Self {
        // One rule per code, at the most severe level any of its findings has.
        let mut codes: BTreeMap<&'static str, (Code, Severity)> = BTreeMap::new();
        for finding in &audit.findings {
            codes
                .entry(finding.code.id())
                .and_modify(|(_, s)| *s = (*s).min(finding.severity))
                .or_insert((finding.code, finding.severity));
        }
        let index: BTreeMap<&str, usize> = codes.keys().enumerate().map(|(i, c)| (*c, i)).collect();
        let rules = codes
            .iter()
            .map(|(id, (code, severity))| Rule {
                id,
                short_description: Text {
                    text: code.description().to_owned(),
                },
                default_configuration: Configuration {
                    level: level(*severity),
                },
                properties: RuleProperties {
                    tags: ["security"],
                    security_severity: security_severity(*severity),
                },
            })
            .collect();
        let results = audit
            .findings
            .iter()
            .map(|f| result(f, index[f.code.id()]))
            .collect();
        Sarif {
            schema: SCHEMA,
            version: "2.1.0",
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: "onboard",
                        version: env!("CARGO_PKG_VERSION"),
                        rules,
                    },
                },
                results,
            }],
        }
    }
}

fn result(finding: &Finding, rule_index: usize) -> SarifResult {
    let mut text = finding.message.clone();
    if let Some(suggestion) = &finding.suggestion {
        text.push_str(&format!(" ({suggestion})"));
    }
    SarifResult {
        rule_id: finding.code.id(),
        rule_index,
        level: level(finding.severity),
        message: Text { text },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: finding.arn.clone(),
                },
            },
            logical_locations: vec![LogicalLocation {
                name: finding.name.clone(),
                fully_qualified_name: finding.arn.clone(),
                kind: "resource",
            }],
        }],
        partial_fingerprints: BTreeMap::from([("onboardFinding/v1", fingerprint(finding))]),
        properties: ResultProperties {
            severity: finding.severity,
            account: finding.account.clone(),
            suggestion: finding.suggestion.clone(),
        },
    }
}

/// What identifies a finding from one run to the next: its resource and code, and its message
/// where that does not count days.
fn fingerprint(finding: &Finding) -> String {
    match finding.code {
        Code::Unused | Code::OldAccessKey => format!("{}/{}", finding.arn, finding.code),
        Code::NoExternalId
        | Code::PublicPrincipal
        | Code::ThirdPartyAdministrator
        | Code::Drift
        | Code::Lint(_) => format!("{}/{}/{}", finding.arn, finding.code, finding.message),
    }
}
