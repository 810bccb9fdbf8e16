//! Offline checks of rendered documents (`onboard lint`, and the gate before apply and plan):
//! unknown actions, IAM's size limits, write actions and `iam:PassRole` on `"Resource": "*"`,
//! roles anyone can assume, and third parties trusted without an external ID.

pub(crate) mod actions;
pub(crate) mod escalation;

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use self::actions::{Unknown, matching};
use super::limits::{check_policy_size, check_trust_size};
use super::{statements, trusts_third_party_without_external_id};
use crate::error::{Error, Result};
use crate::state::Desired;

/// How many actions a finding names before it says "and N more".
const NAMED_ACTIONS: usize = 5;
/// How many findings the error of a refused apply lists.
const LISTED_FINDINGS: usize = 3;

/// How bad a finding is; `error` findings make apply and plan refuse to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// IAM would reject the document, or it grants what no vendor should get.
    Error,
    /// Valid, but grants more than it needs to or opens the role to misuse.
    Security,
    /// Valid and safe, but probably not what was meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Security => "security",
            Severity::Warning => "warning",
        })
    }
}

/// Which document of a resource a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DocumentKind {
    /// A managed policy's document.
    Policy,
    /// A role's trust policy.
    Trust,
}

/// A statement of a document: its position (from 0) and its `Sid`, if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct StatementRef {
    pub index: usize,
    pub sid: Option<String>,
}

/// One thing lint found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Finding {
    pub severity: Severity,
    /// The policy's or the role's name.
    pub resource: String,
    pub document: DocumentKind,
    /// The statement at fault; `None` for the document as a whole (its size).
    pub statement: Option<StatementRef>,
    /// Stable identifier of the check, such as `unknown-action`.
    pub code: &'static str,
    pub message: String,
}

impl Finding {
    /// Where the finding points: `policy P statement 2 (Sid S)`, `role R trust statement 0`.
    pub(crate) fn location(&self) -> String {
        let mut text = match self.document {
            DocumentKind::Policy => format!("policy {}", self.resource),
            DocumentKind::Trust => format!("role {} trust", self.resource),
        };
        if let Some(statement) = &self.statement {
            text.push_str(&format!(" statement {}", statement.index));
            if let Some(sid) = &statement.sid {
                text.push_str(&format!(" ({sid})"));
            }
        }
        text
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = self.severity.to_string();
        write!(f, "{severity:<9} {}: {}", self.location(), self.message)
    }
}

/// Every finding in the documents of `desired`, policies first, in document order. Principals of
/// `desired.account` are the role's own; any other account is a third party.
pub(crate) fn lint(desired: &Desired) -> Vec<Finding> {
    let mut findings = Vec::new();
    for policy in &desired.policies {
        let mut doc = Doc {
            resource: &policy.name,
            kind: DocumentKind::Policy,
            findings: &mut findings,
        };
        if let Err(e) = check_policy_size(&policy.name, &policy.document) {
            doc.push(Severity::Error, None, "size", e.to_string());
        }
        lint_statements(&mut doc, &policy.document, &desired.account);
    }
    for role in &desired.roles {
        let mut doc = Doc {
            resource: &role.name,
            kind: DocumentKind::Trust,
            findings: &mut findings,
        };
        if let Err(e) = check_trust_size(&role.name, &role.trust) {
            doc.push(Severity::Error, None, "size", e.to_string());
        }
        lint_statements(&mut doc, &role.trust, &desired.account);
        for policy in &role.inline_policies {
            let resource = format!("{} (inline in role {})", policy.name, role.name);
            let mut doc = Doc {
                resource: &resource,
                kind: DocumentKind::Policy,
                findings: &mut findings,
            };
            lint_statements(&mut doc, &policy.document, &desired.account);
        }
    }
    findings.extend(escalation_findings(desired));
    findings
}

/// One `privilege-escalation` finding for each known path to administrator a role or user
/// holds, at the statement granting the path's first action.
fn escalation_findings(desired: &Desired) -> Vec<Finding> {
    escalation::held(desired)
        .into_iter()
        .map(|held| {
            let inline = desired
                .roles
                .iter()
                .flat_map(|r| r.inline_policies.iter().map(move |p| (r, p)))
                .find(|(r, p)| held.policy == format!("{} (inline in role {})", p.name, r.name))
                .map(|(_, p)| &p.document);
            let document = desired
                .policies
                .iter()
                .find(|p| p.name == held.policy)
                .map(|p| &p.document)
                .or(inline);
            let sid = document
                .and_then(|d| statements(d).into_iter().nth(held.statement))
                .and_then(|s| s["Sid"].as_str().map(str::to_owned))
                .filter(|s| !s.is_empty());
            Finding {
                severity: Severity::Security,
                resource: held.policy.clone(),
                document: DocumentKind::Policy,
                statement: Some(StatementRef {
                    index: held.statement,
                    sid,
                }),
                code: ESCALATION,
                message: format!(
                    "privilege escalation: {} can become administrator of the account: with {} on \
                     resources the policies do not name, it {} ({})",
                    held.principal,
                    held.path.actions.join(" + "),
                    held.path.how,
                    held.path.source
                ),
            }
        })
        .collect()
}

/// Code of the findings that make an integration administrator-equivalent.
pub(crate) const ESCALATION: &str = "privilege-escalation";

/// The roles and users of `desired` that hold a known path to administrator, each with the
/// sources of its paths: who is administrator-equivalent in the account.
pub(crate) fn administrator_equivalent(desired: &Desired) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for held in escalation::held(desired) {
        let source = held.path.source.to_string();
        match out.iter_mut().find(|(p, _)| p == held.principal) {
            Some((_, sources)) => sources.push(source),
            None => out.push((held.principal.to_owned(), vec![source])),
        }
    }
    out
}

/// Refuses to go on when `findings` has errors: the error names the first few.
pub(crate) fn refuse_errors(desired: &Desired, findings: &[Finding]) -> Result<()> {
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.location(), f.message))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let mut first = errors[..errors.len().min(LISTED_FINDINGS)].join("; ");
    if errors.len() > LISTED_FINDINGS {
        first.push_str(&format!("; and {} more", errors.len() - LISTED_FINDINGS));
    }
    Err(Error::Lint {
        vendor: desired.vendor.clone(),
        integration: desired.integration.clone(),
        count: errors.len(),
        first,
    })
}

/// The document being linted, and where its findings go.
struct Doc<'a> {
    resource: &'a str,
    kind: DocumentKind,
    findings: &'a mut Vec<Finding>,
}

impl Doc<'_> {
    fn push(
        &mut self,
        severity: Severity,
        statement: Option<StatementRef>,
        code: &'static str,
        message: String,
    ) {
        self.findings.push(Finding {
            severity,
            resource: self.resource.to_owned(),
            document: self.kind,
            statement,
            code,
            message,
        });
    }
}

fn lint_statements(doc: &mut Doc<'_>, document: &Value, account: &str) {
    let kind = doc.kind;
    for (index, statement) in statements(document).iter().enumerate() {
        let at = StatementRef {
            index,
            sid: statement["Sid"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        };
        let mut push =
            |severity, code, message| doc.push(severity, Some(at.clone()), code, message);
        let allow = statement["Effect"] == "Allow";
        if !allow && statement["Effect"] != "Deny" {
            push(
                Severity::Error,
                "effect",
                format!(
                    "Effect is {}; IAM accepts only \"Allow\" or \"Deny\"",
                    statement["Effect"]
                ),
            );
        }
        let granted = check_actions(statement, &mut push);
        if allow && statement.get("NotAction").is_some() {
            push(
                Severity::Security,
                "allow-not-action",
                "Allow with NotAction grants every action not listed, including future ones: list \
                 the actions with Action instead"
                    .to_owned(),
            );
        }
        if statement.get("NotPrincipal").is_some() {
            push(
                Severity::Error,
                "not-principal",
                match kind {
                    DocumentKind::Trust => {
                        "NotPrincipal: IAM refuses it in trust policies, and \
                        nobody could say who may assume the role: name them in Principal"
                    }
                    DocumentKind::Policy => {
                        "NotPrincipal: a managed policy names no principal \
                        (IAM refuses it): remove it"
                    }
                }
                .to_owned(),
            );
        }
        if allow && kind == DocumentKind::Policy && statement.get("NotResource").is_some() {
            push(
                Severity::Security,
                "allow-not-resource",
                "Allow with NotResource grants the actions on every resource not listed, \
                 including resources created later: name the resources with Resource instead"
                    .to_owned(),
            );
        }
        match kind {
            DocumentKind::Policy if allow && any_resource(statement) => {
                check_any_resource(&granted, &mut push);
            }
            DocumentKind::Trust if allow => check_trust(statement, account, &mut push),
            _ => {}
        }
    }
}

/// Checks the statement's Action and NotAction entries; returns the known actions `Action` grants.
fn check_actions(
    statement: &Value,
    push: &mut impl FnMut(Severity, &'static str, String),
) -> Vec<&'static actions::KnownAction> {
    let mut granted = Vec::new();
    for key in ["Action", "NotAction"] {
        let entries = match &statement[key] {
            Value::Null => continue,
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let mut seen: Vec<String> = Vec::new();
        for entry in &entries {
            let Some(action) = entry.as_str() else {
                push(
                    Severity::Error,
                    "malformed-action",
                    format!("{key} entry {entry} is not a string"),
                );
                continue;
            };
            let lower = action.to_ascii_lowercase();
            if seen.contains(&lower) {
                push(
                    Severity::Warning,
                    "duplicate-action",
                    format!("{action} is listed twice in {key}"),
                );
                continue;
            }
            seen.push(lower);
            match matching(action) {
                Ok(found) if key == "Action" => granted.extend(found),
                Ok(_) => {}
                Err(unknown) => push(
                    Severity::Error,
                    "unknown-action",
                    unknown_message(action, unknown),
                ),
            }
        }
    }
    granted.sort_by_key(|a| a.name);
    granted.dedup_by_key(|a| a.name);
    granted
}

fn unknown_message(action: &str, unknown: Unknown) -> String {
    match unknown {
        Unknown::Malformed => format!(
            "action '{action}' is not service:Action (such as s3:GetObject): IAM rejects it"
        ),
        Unknown::Service(service) => format!(
            "action '{action}': no AWS service has the prefix '{service}': check the spelling"
        ),
        Unknown::Action => format!(
            "action '{action}' matches no action of its service: check the spelling against \
             the Service Authorization Reference"
        ),
    }
}

/// Whether the statement's Resource includes `*`.
fn any_resource(statement: &Value) -> bool {
    match &statement["Resource"] {
        Value::String(s) => s == "*",
        Value::Array(items) => items.iter().any(|r| r == "*"),
        _ => false,
    }
}

/// Write actions that could name their resources, and iam:PassRole, on `"Resource": "*"`.
fn check_any_resource(
    granted: &[&'static actions::KnownAction],
    push: &mut impl FnMut(Severity, &'static str, String),
) {
    if granted.iter().any(|a| a.name == "iam:PassRole") {
        push(
            Severity::Security,
            "pass-role-any-resource",
            "iam:PassRole on \"Resource\": \"*\" lets the holder hand any role of the account, \
             with all its permissions, to a service: name the roles it may pass"
                .to_owned(),
        );
    }
    let writes: Vec<&str> = granted
        .iter()
        .filter(|a| a.level.is_write() && a.takes_resource && a.name != "iam:PassRole")
        .map(|a| a.name)
        .collect();
    if !writes.is_empty() {
        let mut named = writes[..writes.len().min(NAMED_ACTIONS)].join(", ");
        if writes.len() > NAMED_ACTIONS {
            named.push_str(&format!(" and {} more", writes.len() - NAMED_ACTIONS));
        }
        push(
            Severity::Security,
            "write-on-any-resource",
            format!(
                "\"Resource\": \"*\" grants write actions that can be limited to named resources \
                 on every resource of the account: {named}"
            ),
        );
    }
}

/// Principals anyone can be, and third parties trusted without an external ID.
fn check_trust(
    statement: &Value,
    account: &str,
    push: &mut impl FnMut(Severity, &'static str, String),
) {
    let principal = &statement["Principal"];
    let public = principal == "*"
        || match &principal["AWS"] {
            Value::String(s) => s == "*",
            Value::Array(items) => items.iter().any(|p| p == "*"),
            _ => false,
        };
    if public {
        let conditioned = statement["Condition"]
            .as_object()
            .is_some_and(|c| !c.is_empty());
        let (severity, rest) = if conditioned {
            (
                Severity::Security,
                "only its Condition keeps other accounts out",
            )
        } else {
            (
                Severity::Error,
                "with no Condition, any AWS account can assume the role",
            )
        };
        push(
            severity,
            "public-principal",
            format!("Principal \"*\" trusts every AWS principal: {rest}; name the principals"),
        );
    }
    if trusts_third_party_without_external_id(statement, account) {
        push(
            Severity::Security,
            "no-external-id",
            "another account may assume the role without an sts:ExternalId condition, so anyone \
             who can get that account to act for them can reach your account (the confused \
             deputy): pass --external-id ID, the ID the vendor gives you, to require it"
                .to_owned(),
        );
    }
}

#[cfg(test)]
mod tests;
