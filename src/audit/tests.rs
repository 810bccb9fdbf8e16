//! The report over accounts: ordering, counts, `--fail-on`, and how a failed account shows.

use super::findings::Code;
use super::model::{ExternalId, Grants, Holder, HolderKind};
use super::*;

const NOW: i64 = 1_800_000_000;

fn settings() -> Settings {
    Settings {
        limits: Limits {
            now: NOW,
            stale_days: 90,
            key_max_age_days: 90,
        },
        known: KnownAccounts::default(),
    }
}

fn access(name: &str, external_id: ExternalId) -> Access {
    Access {
        kind: AccessKind::Role,
        name: name.to_owned(),
        arn: format!("arn:aws:iam::123456789012:role/{name}"),
        holders: vec![Holder {
            principal: "arn:aws:iam::111122223333:root".to_owned(),
            kind: HolderKind::Account,
            account: Some("111122223333".to_owned()),
            known_as: Some("Acme | Co".to_owned()),
            external_id,
        }],
        managed_by: Manager::Unknown,
        external_id,
        grants: Grants {
            policies: Vec::new(),
            services: Vec::new(),
            administrator: false,
        },
        last_used: None,
        created: rfc3339(NOW - 10 * DAY),
        access_keys: Vec::new(),
        drift: None,
    }
}

fn result(accesses: Vec<Access>, limits: Limits) -> AccountResult {
    let findings = accesses
        .iter()
        .flat_map(|a| findings::findings("123456789012", a, NOW - 200 * DAY, None, vec![], limits))
        .collect();
    AccountResult {
        access: accesses,
        findings,
    }
}

#[test]
fn findings_are_most_severe_first_and_fail_on_counts_at_or_above() {
    let settings = settings();
    let results = vec![
        (
            "123456789012".to_owned(),
            Ok(result(
                vec![
                    access("WithId", ExternalId::Required),
                    access("WithoutId", ExternalId::NotRequired),
                ],
                settings.limits,
            )),
        ),
        ("222222222222".to_owned(), Err("AccessDenied".to_owned())),
    ];
    let audit = Audit::new(&settings, results);
    let codes: Vec<(Severity, Code, &str)> = audit
        .findings
        .iter()
        .map(|f| (f.severity, f.code, f.name.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            (Severity::Security, Code::NoExternalId, "WithoutId"),
            (Severity::Warning, Code::Unused, "WithId"),
            (Severity::Warning, Code::Unused, "WithoutId"),
        ]
    );
    assert_eq!(audit.fails_at(Severity::Error), 0);
    assert_eq!(audit.fails_at(Severity::Security), 1);
    assert_eq!(audit.fails_at(Severity::Warning), 3);
    assert_eq!(
        (
            audit.summary.accounts,
            audit.summary.failed_accounts,
            audit.summary.access
        ),
        (2, 1, 2)
    );
    assert_eq!(audit.generated_at, "2027-01-15T08:00:00Z");

    let text = audit.to_string();
    let failed = text
        .lines()
        .find(|l| l.starts_with("222222222222"))
        .unwrap();
    assert_eq!(failed, "222222222222  FAILED  AccessDenied");
    assert!(text.ends_with("(1 failed): 0 error(s), 1 security finding(s), 2 warning(s)"));

    let report = markdown::render(&audit);
    assert!(
        report.contains("Could not be audited: AccessDenied"),
        "{report}"
    );
    assert!(
        report.contains("| Acme \\| Co (111122223333) |"),
        "{report}"
    );
    assert!(
        report.contains("  h0([\"Acme | Co (111122223333)\"])"),
        "{report}"
    );
    assert!(report.contains("  h0 -->|external ID| a0r0"), "{report}");
    assert!(report.contains("  h0 -->|no external ID| a0r1"), "{report}");
}
