//! `onboard audit`: every way into an account that another party holds (roles a principal of
//! another account, or anyone, may assume; users with access keys onboard made for a vendor),
//! who holds and manages each, what it grants, when it was last used, and findings about it.
//!
//! The reads are [`crate::aws`]'s (one paged iam:GetAccountAuthorizationDetails, then a few
//! concurrent reads); everything after them is pure: [`holders`] asks the trust evaluator,
//! [`grants`] summarizes the policies, [`findings`] judges, and the renderers print.

pub(crate) mod findings;
pub(crate) mod grants;
pub(crate) mod holders;
pub(crate) mod known;
pub(crate) mod markdown;
pub(crate) mod model;
pub(crate) mod sarif;
pub(crate) mod text;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use futures_util::future::try_join_all;
use serde_json::Value;

use self::findings::{DAY, Finding, Limits};
use self::known::KnownAccounts;
use self::model::{
    Access, AccessKind, AccountAudit, Audit, ExternalId, Grants, Holder, HolderKind, KeyReport,
    Manager, PolicyKind, PolicyRef, Summary,
};
use crate::aws::{Aws, KeyUse, RoleDetails, UserDetails};
use crate::error::Result;
use crate::plan::name_of;
use crate::policy::lint::{self, Severity};
use crate::state::InlinePolicy;
use crate::state::{
    AccessKeyInfo, Desired, DesiredPolicy, ObservedRole, VENDOR_TAG, is_aws_managed,
    is_owned_or_exported,
};
use crate::verification::{Status, compare_role_with_catalog, compare_user_with_catalog};

/// What an audit needs besides AWS: the clock, the limits and the names of accounts.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub limits: Limits,
    pub known: KnownAccounts,
}

/// A time as RFC 3339, UTC, to the second.
pub(crate) fn rfc3339(secs: i64) -> String {
    DateTime::from_secs(secs)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

/// One account's ways in, and the findings about them.
#[derive(Debug, Clone)]
pub(crate) struct AccountResult {
    pub access: Vec<Access>,
    pub findings: Vec<Finding>,
}

/// A way in found in the account's details, before the second round of reads.
struct Candidate<'a> {
    kind: AccessKind,
    name: &'a str,
    arn: &'a str,
    tags: &'a crate::state::Tags,
    holders: Vec<Holder>,
    attached: &'a [String],
    inline: &'a [InlinePolicy],
    created: i64,
    last_used: Option<i64>,
    role: Option<&'a RoleDetails>,
    user: Option<&'a UserDetails>,
}

/// Audits the account `aws` acts in.
pub(crate) async fn audit_account(
    aws: &Aws,
    settings: &Settings,
) -> Result<(String, AccountResult)> {
    let (caller, details) = tokio::join!(aws.caller(), aws.account_details());
    let (caller, details) = (caller?, details?);
    let account = caller.account.clone();
    let partition = caller.partition.clone();

    let mut candidates: Vec<Candidate<'_>> = details
        .roles
        .iter()
        .filter_map(|role| {
            let holders = holders::holders(&role.trust, &account, &partition, &settings.known);
            (!holders.is_empty()).then_some(Candidate {
                kind: AccessKind::Role,
                name: &role.name,
                arn: &role.arn,
                tags: &role.tags,
                holders,
                attached: &role.attached,
                inline: &role.inline,
                created: role.created,
                last_used: role.last_used.as_ref().map(|u| u.at),
                role: Some(role),
                user: None,
            })
        })
        .collect();
    let vendor_users: Vec<&UserDetails> = details
        .users
        .iter()
        .filter(|u| is_owned_or_exported(&u.tags) && u.tags.contains_key(VENDOR_TAG))
        .collect();

    // Second round, all at once: the keys of the vendors' users, the documents of AWS managed
    // policies attached to what is listed, and the catalog comparison of onboard's roles.
    let aws_managed: BTreeSet<String> = candidates
        .iter()
        .flat_map(|c| c.attached.iter())
        .chain(vendor_users.iter().flat_map(|u| u.attached.iter()))
        .filter(|arn| !details.policies.contains_key(*arn))
        .cloned()
        .collect();
    let keys = try_join_all(vendor_users.iter().map(|u| aws.key_uses(&u.name)));
    let documents = aws.policy_documents(aws_managed.into_iter().collect());
    let role_drift = try_join_all(candidates.iter().map(|c| {
        let observed = c
            .role
            .filter(|_| matches!(holders::manager(c.tags), Manager::Onboard { .. }))
            .map(observed_role);
        let (account, partition) = (&account, &partition);
        async move {
            match observed {
                Some(role) => Ok(Some(
                    compare_role_with_catalog(aws, &role, account, partition).await?,
                )),
                None => Ok::<_, crate::error::Error>(None),
            }
        }
    }));
    let (keys, documents, role_drift) = tokio::join!(keys, documents, role_drift);
    let (keys, mut documents, role_drift) = (keys?, documents?, role_drift?);
    documents.extend(details.policies.clone());

    let mut drift: Vec<Option<Vec<String>>> = role_drift.into_iter().map(failed).collect();
    let mut user_keys: BTreeMap<&str, Vec<KeyUse>> = BTreeMap::new();
    let mut user_drift_reads = Vec::new();
    for (user, keys) in vendor_users.iter().zip(keys) {
        if !keys.iter().any(|k| k.key.active) {
            continue;
        }
        let vendor = user.tags.get(VENDOR_TAG).cloned().unwrap_or_default();
        let holder = Holder {
            principal: vendor.clone(),
            kind: HolderKind::Vendor,
            account: None,
            known_as: Some(vendor),
            external_id: ExternalId::NotApplicable,
        };
        let last_used = keys
            .iter()
            .filter_map(|k| k.last_used.as_ref())
            .map(|u| u.at)
            .max();
        if matches!(holders::manager(&user.tags), Manager::Onboard { .. }) {
            user_drift_reads.push((
                candidates.len(),
                user.observed(keys.iter().map(|k| k.key.clone()).collect()),
            ));
        }
        candidates.push(Candidate {
            kind: AccessKind::User,
            name: &user.name,
            arn: &user.arn,
            tags: &user.tags,
            holders: vec![holder],
            attached: &user.attached,
            inline: &user.inline,
            created: user.created,
            last_used,
            role: None,
            user: Some(user),
        });
        user_keys.insert(&user.name, keys);
        drift.push(None);
    }
    let user_drift = try_join_all(
        user_drift_reads
            .iter()
            .map(|(_, user)| compare_user_with_catalog(aws, user, &account, &partition)),
    )
    .await?;
    for ((index, _), checks) in user_drift_reads.iter().zip(user_drift) {
        drift[*index] = failed(Some(checks));
    }

    let mut linted = BTreeMap::new();
    let mut access = Vec::new();
    let mut found = Vec::new();
    for (candidate, drift) in candidates.into_iter().zip(drift) {
        let keys = user_keys
            .remove(candidate.name)
            .filter(|_| candidate.user.is_some());
        let (entry, lint) = build(&candidate, &documents, &mut linted, keys, drift, settings);
        found.extend(findings::findings(
            &account,
            &entry,
            candidate.created,
            candidate.last_used,
            lint,
            settings.limits,
        ));
        access.push(entry);
    }
    access.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok((
        account,
        AccountResult {
            access,
            findings: found,
        },
    ))
}

/// The failed checks of a catalog comparison, as `check: detail`.
fn failed(checks: Option<Vec<crate::verification::Check>>) -> Option<Vec<String>> {
    checks.map(|checks| {
        checks
            .into_iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect()
    })
}

fn observed_role(role: &RoleDetails) -> ObservedRole {
    ObservedRole {
        name: role.name.clone(),
        arn: role.arn.clone(),
        tags: role.tags.clone(),
        trust: role.trust.clone(),
        attached: role.attached.clone(),
        inline_policies: role
            .inline
            .iter()
            .map(|p| (p.name.clone(), p.document.clone()))
            .collect(),
        instance_profiles: role.instance_profiles.clone(),
        // GetAccountAuthorizationDetails does not return it, and the catalog comparison does
        // not look at it.
        max_session_duration: 0,
        permissions_boundary: role.permissions_boundary.clone(),
    }
}

/// The report entry of a way in, and lint's findings on its live policies (cached by managed
/// policy ARN in `linted`).
fn build(
    candidate: &Candidate<'_>,
    documents: &BTreeMap<String, Value>,
    linted: &mut BTreeMap<String, Vec<lint::Finding>>,
    keys: Option<Vec<KeyUse>>,
    drift: Option<Vec<String>>,
    settings: &Settings,
) -> (Access, Vec<lint::Finding>) {
    let mut policies = Vec::new();
    let mut held: Vec<&Value> = Vec::new();
    let mut lint_findings = Vec::new();
    for arn in candidate.attached {
        let aws_managed = is_aws_managed(arn);
        policies.push(PolicyRef {
            kind: if aws_managed {
                PolicyKind::AwsManaged
            } else {
                PolicyKind::CustomerManaged
            },
            name: name_of(arn).to_owned(),
            arn: Some(arn.clone()),
        });
        let Some(document) = documents.get(arn) else {
            continue;
        };
        held.push(document);
        let findings = linted
            .entry(arn.clone())
            .or_insert_with(|| lint_document(name_of(arn), arn, document, aws_managed));
        lint_findings.extend(findings.iter().cloned());
    }
    for policy in candidate.inline {
        policies.push(PolicyRef {
            kind: PolicyKind::Inline,
            name: policy.name.clone(),
            arn: None,
        });
        held.push(&policy.document);
        lint_findings.extend(lint_document(
            &policy.name,
            &format!("{}/inline/{}", candidate.arn, policy.name),
            &policy.document,
            false,
        ));
    }
    // IAM lists attachments in the order they were made, which concurrent attaches leave open.
    policies.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    let now = settings.limits.now;
    let access_keys = keys
        .unwrap_or_default()
        .into_iter()
        .map(|KeyUse { key, last_used }| {
            let AccessKeyInfo {
                id,
                active,
                created,
            } = key;
            KeyReport {
                id,
                active,
                created: rfc3339(created),
                age_days: (now - created).div_euclid(DAY),
                last_used: last_used.as_ref().map(|u| rfc3339(u.at)),
                last_service: last_used.and_then(|u| u.service),
            }
        })
        .collect();
    let external_id = role_external_id(&candidate.holders, candidate.kind);
    let access = Access {
        kind: candidate.kind,
        name: candidate.name.to_owned(),
        arn: candidate.arn.to_owned(),
        holders: candidate.holders.clone(),
        managed_by: holders::manager(candidate.tags),
        external_id,
        grants: Grants {
            services: grants::services(held.iter().copied()),
            administrator: grants::administrator(candidate.attached, held.iter().copied()),
            policies,
        },
        last_used: candidate.last_used.map(rfc3339),
        created: rfc3339(candidate.created),
        access_keys,
        drift,
    };
    (access, lint_findings)
}

/// A role needs an external ID when every holder needs one; it does not when any holder gets
/// in without one.
fn role_external_id(holders: &[Holder], kind: AccessKind) -> ExternalId {
    match kind {
        AccessKind::User => ExternalId::NotApplicable,
        AccessKind::Role => {
            let each = |wanted| holders.iter().any(|h| h.external_id == wanted);
            if each(ExternalId::NotRequired) {
                ExternalId::NotRequired
            } else if each(ExternalId::Unknown) {
                ExternalId::Unknown
            } else {
                ExternalId::Required
            }
        }
    }
}

/// The report's order of findings: most severe first, then by account, resource, code, message.
fn finding_order(f: &Finding) -> (Severity, &str, AccessKind, &str, &str, &str) {
    (
        f.severity,
        &f.account,
        f.kind,
        &f.name,
        f.code.id(),
        &f.message,
    )
}

/// lint's checks that an administrator-equivalent document fails by definition: the
/// `third-party-administrator` finding says it once.
const IMPLIED_BY_ADMINISTRATOR: &[&str] = &["write-on-any-resource", "pass-role-any-resource"];

/// lint's findings on one live policy document. AWS's own documents are valid by definition:
/// of theirs only the security findings count.
fn lint_document(name: &str, arn: &str, document: &Value, aws_managed: bool) -> Vec<lint::Finding> {
    let administrator = grants::administrator(&[], [document]);
    // Only the document matters to lint's policy checks; the rest stays empty.
    let desired = Desired {
        policies: vec![DesiredPolicy {
            id: name.to_owned(),
            name: name.to_owned(),
            path: "/".to_owned(),
            arn: arn.to_owned(),
            document: document.clone(),
            ..DesiredPolicy::default()
        }],
        ..Desired::default()
    };
    lint::lint(&desired)
        .into_iter()
        .filter(|f| !aws_managed || f.severity == Severity::Security)
        .filter(|f| !(administrator && IMPLIED_BY_ADMINISTRATOR.contains(&f.code)))
        .collect()
}

impl Audit {
    /// The report over every account, findings most severe first.
    pub(crate) fn new(
        settings: &Settings,
        results: Vec<(String, Result<AccountResult, String>)>,
    ) -> Self {
        let mut accounts = Vec::new();
        let mut findings = Vec::new();
        for (account, result) in results {
            match result {
                Ok(result) => {
                    findings.extend(result.findings);
                    accounts.push(AccountAudit {
                        account,
                        ok: true,
                        error: None,
                        access: result.access,
                    });
                }
                Err(error) => accounts.push(AccountAudit {
                    account,
                    ok: false,
                    error: Some(error),
                    access: Vec::new(),
                }),
            }
        }
        findings.sort_by(|a, b| finding_order(a).cmp(&finding_order(b)));
        let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
        let summary = Summary {
            accounts: accounts.len(),
            failed_accounts: accounts.iter().filter(|a| !a.ok).count(),
            access: accounts.iter().map(|a| a.access.len()).sum(),
            errors: count(Severity::Error),
            security: count(Severity::Security),
            warnings: count(Severity::Warning),
        };
        Audit {
            generated_at: rfc3339(settings.limits.now),
            stale_days: settings.limits.stale_days,
            key_max_age_days: settings.limits.key_max_age_days,
            accounts,
            findings,
            summary,
        }
    }

    /// How many findings are at `level` or more severe (`--fail-on`).
    pub(crate) fn fails_at(&self, level: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity <= level).count()
    }
}

#[cfg(test)]
mod tests;
