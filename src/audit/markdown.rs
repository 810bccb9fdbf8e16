//! The report as Markdown, for a reviewer to attach to an approval or offboarding ticket: a
//! summary, a Mermaid diagram of who trusts whom, a table per account, and the findings.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::{Access, Audit, ExternalId};
use super::text::{date_label, holder_label};

/// A table cell: pipes escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A Mermaid label: double quotes are not allowed inside one.
fn label(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn grants(access: &Access) -> String {
    let mut text = access
        .grants
        .services
        .iter()
        .map(|s| {
            let levels: Vec<String> = s.levels.iter().map(ToString::to_string).collect();
            let service = if s.service == "*" {
                "all services"
            } else {
                &s.service
            };
            format!("{service} ({})", levels.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    if access.grants.administrator {
        text = format!("**administrator** {text}");
    }
    if text.is_empty() {
        text = "nothing".to_owned();
    }
    text
}

/// The Mermaid flowchart: each holder points at the roles and users it can use, inside its
/// account's box; the arrow says whether an external ID is needed.
fn diagram(audit: &Audit, out: &mut String) {
    out.push_str("```mermaid\nflowchart LR\n");
    let mut holders: BTreeMap<String, String> = BTreeMap::new();
    let mut edges = Vec::new();
    for (a, account) in audit.accounts.iter().enumerate().filter(|(_, a)| a.ok) {
        let _ = writeln!(
            out,
            "  subgraph account{a}[\"account {}\"]",
            account.account
        );
        for (i, access) in account.access.iter().enumerate() {
            let node = format!("a{a}r{i}");
            let _ = writeln!(
                out,
                "    {node}[\"{} {}\"]",
                access.kind,
                label(&access.name)
            );
            for holder in &access.holders {
                let name = holder_label(holder);
                let next = holders.len();
                let id = holders.entry(name).or_insert_with(|| format!("h{next}"));
                let arrow = match holder.external_id {
                    ExternalId::Required => "external ID",
                    ExternalId::NotRequired => "no external ID",
                    ExternalId::Unknown => "conditions",
                    ExternalId::NotApplicable => "access key",
                };
                edges.push(format!("  {id} -->|{arrow}| {node}"));
            }
        }
        out.push_str("  end\n");
    }
    let mut nodes: Vec<(&String, &String)> = holders.iter().collect();
    nodes.sort_by_key(|(_, id)| id[1..].parse::<usize>().unwrap_or_default());
    for (name, id) in nodes {
        let _ = writeln!(out, "  {id}([\"{}\"])", label(name));
    }
    for edge in edges {
        out.push_str(&edge);
        out.push('\n');
    }
    out.push_str("```\n");
}

/// The whole report.
pub(crate) fn render(audit: &Audit) -> String {
    let mut out = String::from("# Third-party access audit\n\n");
    let s = &audit.summary;
    let _ = writeln!(
        out,
        "Generated {} by onboard {}. Unused means not used for more than {} days; access keys \
         older than {} days are flagged.\n",
        audit.generated_at,
        env!("CARGO_PKG_VERSION"),
        audit.stale_days,
        audit.key_max_age_days
    );
    let _ = writeln!(
        out,
        "**{} way(s) in across {} account(s){}: {} error(s), {} security finding(s), {} \
         warning(s).**\n",
        s.access,
        s.accounts,
        match s.failed_accounts {
            0 => String::new(),
            n => format!(" ({n} could not be read)"),
        },
        s.errors,
        s.security,
        s.warnings
    );
    out.push_str("## Who can get in\n\n");
    diagram(audit, &mut out);
    for account in &audit.accounts {
        let _ = writeln!(out, "\n## Account {}\n", account.account);
        if let Some(error) = &account.error {
            let _ = writeln!(out, "Could not be audited: {}", cell(error));
            continue;
        }
        if account.access.is_empty() {
            out.push_str("No other party can get in.\n");
            continue;
        }
        out.push_str(
            "| Kind | Name | Held by | Managed by | External ID | Grants | Policies | Last used |\n\
             |---|---|---|---|---|---|---|---|\n",
        );
        for access in &account.access {
            let holders: Vec<String> = access.holders.iter().map(holder_label).collect();
            let policies: Vec<String> = access
                .grants
                .policies
                .iter()
                .map(|p| format!("{} ({})", p.name, p.kind))
                .collect();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} | {} | {} |",
                access.kind,
                cell(&access.name),
                cell(&holders.join(", ")),
                cell(&access.managed_by.to_string()),
                access.external_id,
                cell(&grants(access)),
                cell(&policies.join(", ")),
                date_label(access.last_used.as_deref())
            );
        }
    }
    out.push_str("\n## Findings\n\n");
    if audit.findings.is_empty() {
        out.push_str("None.\n");
        return out;
    }
    out.push_str(
        "| Severity | Account | Resource | Finding | What to do |\n|---|---|---|---|---|\n",
    );
    for finding in &audit.findings {
        let _ = writeln!(
            out,
            "| {} | {} | {} `{}` | **{}**: {} | {} |",
            finding.severity,
            finding.account,
            finding.kind,
            cell(&finding.name),
            finding.code,
            cell(&finding.message),
            cell(finding.suggestion.as_deref().unwrap_or(""))
        );
    }
    out
}
