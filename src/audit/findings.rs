//! The audit's findings: what is wrong with a way in, with lint's severities, and what to do.

use std::fmt;

use serde::{Serialize, Serializer};

use super::model::{Access, AccessKind, ExternalId, HolderKind, Manager};
use crate::policy::lint::{self, Severity};

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;

/// What a finding is about: the audit's own checks, or one of lint's on a live document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// A principal of another account may assume the role without an external ID.
    NoExternalId,
    /// The trust policy names `*`.
    PublicPrincipal,
    /// Not used for more than `--stale-days`.
    Unused,
    /// An active access key older than `--key-max-age`.
    OldAccessKey,
    /// A third party holds administrator-equivalent access.
    ThirdPartyAdministrator,
    /// onboard's own role or user differs from the catalog.
    Drift,
    /// One of lint's checks, by its code.
    Lint(&'static str),
}

impl Code {
    /// The stable identifier, as in JSON and SARIF.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Code::NoExternalId => "no-external-id",
            Code::PublicPrincipal => "public-principal",
            Code::Unused => "unused",
            Code::OldAccessKey => "old-access-key",
            Code::ThirdPartyAdministrator => "third-party-administrator",
            Code::Drift => "drift",
            Code::Lint(code) => code,
        }
    }

    /// One line on what the check looks for (SARIF's rule description).
    pub(crate) fn description(self) -> &'static str {
        match self {
            Code::NoExternalId => {
                "Another account may assume the role without an external ID (the confused deputy)"
            }
            Code::PublicPrincipal => "The trust policy trusts every AWS principal (\"*\")",
            Code::Unused => "Third-party access not used for longer than --stale-days",
            Code::OldAccessKey => "An active access key older than --key-max-age",
            Code::ThirdPartyAdministrator => "A third party holds administrator-equivalent access",
            Code::Drift => "onboard's resource differs from the catalog",
            Code::Lint(_) => "A finding of onboard lint on a live policy document",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// One thing the audit found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Finding {
    pub severity: Severity,
    pub code: Code,
    pub account: String,
    pub kind: AccessKind,
    pub name: String,
    /// The role's or user's ARN.
    pub arn: String,
    pub message: String,
    /// What to do about it, where onboard can do it.
    pub suggestion: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = self.severity.to_string();
        write!(
            f,
            "{severity:<9} {} {} {} [{}]: {}",
            self.account, self.kind, self.name, self.code, self.message
        )?;
        match &self.suggestion {
            Some(suggestion) => write!(f, " ({suggestion})"),
            None => Ok(()),
        }
    }
}

/// What the findings are measured against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Seconds since the epoch.
    pub now: i64,
    pub stale_days: u32,
    pub key_max_age_days: u32,
}

/// Every finding about one way in: `lint` holds lint's findings on its live policies.
pub(crate) fn findings(
    account: &str,
    access: &Access,
    created: i64,
    last_used: Option<i64>,
    lint: Vec<lint::Finding>,
    limits: Limits,
) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut push = |severity, code, message: String, suggestion: Option<String>| {
        found.push(Finding {
            severity,
            code,
            account: account.to_owned(),
            kind: access.kind,
            name: access.name.clone(),
            arn: access.arn.clone(),
            message,
            suggestion,
        });
    };
    let onboard_vendor = match &access.managed_by {
        Manager::Onboard { vendor, .. } => Some(vendor.as_str()),
        Manager::Cloudformation { .. } | Manager::Terraform { .. } | Manager::Unknown => None,
    };
    for holder in &access.holders {
        let who = holder
            .known_as
            .as_ref()
            .map_or(holder.principal.clone(), |name| {
                format!("{} ({name})", holder.principal)
            });
        match (holder.kind, holder.external_id) {
            (HolderKind::Everyone, ExternalId::NotRequired) => push(
                Severity::Error,
                Code::PublicPrincipal,
                "the trust policy names \"*\" with no condition that keeps other accounts out: \
                 any AWS account can assume the role"
                    .to_owned(),
                Some("name the vendor's principals instead of \"*\"".to_owned()),
            ),
            (HolderKind::Everyone, _) => push(
                Severity::Security,
                Code::PublicPrincipal,
                "the trust policy names \"*\": only its conditions keep other accounts out"
                    .to_owned(),
                Some("name the vendor's principals instead of \"*\"".to_owned()),
            ),
            (_, ExternalId::NotRequired) => push(
                Severity::Security,
                Code::NoExternalId,
                format!(
                    "{who} may assume the role without an external ID, so anyone who can get \
                     that account to act for them can reach this account (the confused deputy)"
                ),
                Some(match onboard_vendor {
                    Some(vendor) => format!(
                        "run onboard apply --vendor {vendor} --external-id ID with the ID the \
                         vendor gives you"
                    ),
                    None => "add an sts:ExternalId condition with the ID the vendor gives you"
                        .to_owned(),
                }),
            ),
            (_, ExternalId::Required | ExternalId::Unknown | ExternalId::NotApplicable) => {}
        }
    }
    if access.grants.administrator {
        push(
            Severity::Error,
            Code::ThirdPartyAdministrator,
            "a third party holds administrator-equivalent access: every action on every resource \
             (or all of IAM, with which it can grant itself the rest)"
                .to_owned(),
            Some("grant only the actions the vendor documents".to_owned()),
        );
    }
    let since = last_used.unwrap_or(created);
    let idle_days = (limits.now - since).div_euclid(DAY);
    if idle_days > i64::from(limits.stale_days) {
        let message = match last_used {
            Some(_) => format!(
                "not used for {idle_days} days (more than --stale-days {})",
                limits.stale_days
            ),
            None => format!(
                "never used in the {idle_days} days since it was created (more than \
                 --stale-days {})",
                limits.stale_days
            ),
        };
        let suggestion = match onboard_vendor {
            Some(vendor) => format!(
                "if {vendor} no longer needs it, remove it with onboard teardown --vendor {vendor}"
            ),
            None => format!(
                "if the party no longer needs it, delete the {}",
                access.kind
            ),
        };
        push(Severity::Warning, Code::Unused, message, Some(suggestion));
    }
    for key in access.access_keys.iter().filter(|k| k.active) {
        if key.age_days > i64::from(limits.key_max_age_days) {
            let suggestion = access
                .managed_by
                .vendor()
                .map(|vendor| format!("replace it with onboard rotate-key --vendor {vendor}"));
            push(
                Severity::Security,
                Code::OldAccessKey,
                format!(
                    "access key {} is {} days old (more than --key-max-age {})",
                    key.id, key.age_days, limits.key_max_age_days
                ),
                suggestion,
            );
        }
    }
    for difference in access.drift.iter().flatten() {
        let suggestion = onboard_vendor.map(|vendor| {
            format!("onboard plan --vendor {vendor} shows the repair, onboard apply makes it")
        });
        push(
            Severity::Warning,
            Code::Drift,
            format!("differs from the catalog: {difference}"),
            suggestion,
        );
    }
    for finding in lint {
        push(
            finding.severity,
            Code::Lint(finding.code),
            format!("{}: {}", finding.location(), finding.message),
            None,
        );
    }
    found
}
