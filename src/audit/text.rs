//! The text report: one table of every way in, then the findings, then a summary line.

use std::fmt;

use crate::arn::Arn;

use super::model::{Access, Audit, Holder, HolderKind};

/// How many services the GRANTS column names before "+N".
const SHOWN_SERVICES: usize = 4;

/// How a holder reads in a table cell: `Streamkap (300973880807)`,
/// `111122223333:role/deployer`, `anyone (*)`.
pub(crate) fn holder_label(holder: &Holder) -> String {
    let short = match holder.kind {
        HolderKind::Everyone => "*".to_owned(),
        HolderKind::Vendor => "access key".to_owned(),
        HolderKind::Account => holder.account.clone().unwrap_or_default(),
        HolderKind::Role | HolderKind::User | HolderKind::Session => {
            let resource = Arn::parse(&holder.principal).map_or("", |arn| arn.resource());
            format!(
                "{}:{resource}",
                holder.account.as_deref().unwrap_or_default()
            )
        }
    };
    match &holder.known_as {
        Some(name) => format!("{name} ({short})"),
        None => short,
    }
}

/// The GRANTS cell: `ADMIN`, or services with their level letters.
pub(crate) fn grants_label(access: &Access) -> String {
    if access.grants.administrator {
        return "ADMIN".to_owned();
    }
    let services = &access.grants.services;
    if services.is_empty() {
        return "nothing".to_owned();
    }
    let mut shown: Vec<String> = services
        .iter()
        .take(SHOWN_SERVICES)
        .map(ToString::to_string)
        .collect();
    if services.len() > SHOWN_SERVICES {
        shown.push(format!("+{}", services.len() - SHOWN_SERVICES));
    }
    shown.join(" ")
}

/// The date part of an RFC 3339 time, or `never`.
pub(crate) fn date_label(time: Option<&str>) -> String {
    time.map_or("never".to_owned(), |t| t.chars().take(10).collect())
}

/// The table's rows, header first, each a list of cells.
fn rows(audit: &Audit) -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "ACCOUNT",
            "KIND",
            "NAME",
            "HELD BY",
            "MANAGED BY",
            "EXTERNAL ID",
            "GRANTS",
            "LAST USED",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for account in &audit.accounts {
        if let Some(error) = &account.error {
            rows.push(vec![
                account.account.clone(),
                "FAILED".to_owned(),
                error.clone(),
            ]);
            continue;
        }
        for access in &account.access {
            rows.push(vec![
                account.account.clone(),
                access.kind.to_string(),
                access.name.clone(),
                access
                    .holders
                    .iter()
                    .map(holder_label)
                    .collect::<Vec<_>>()
                    .join(", "),
                access.managed_by.to_string(),
                access.external_id.to_string(),
                grants_label(access),
                date_label(access.last_used.as_deref()),
            ]);
        }
    }
    rows
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = rows(self);
        let columns = rows[0].len();
        // A failed account's row has three cells, its error last: it does not widen the table.
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                rows.iter()
                    .filter(|r| r.len() == columns || c + 1 < r.len())
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or_default()
            })
            .collect();
        for row in &rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<width$}  ", width = widths[c]));
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        if rows.len() > 1 {
            writeln!(
                f,
                "GRANTS: service:levels (L list, R read, W write, P permissions management, T tagging)"
            )?;
        }
        if !self.findings.is_empty() {
            writeln!(f)?;
            for finding in &self.findings {
                writeln!(f, "{finding}")?;
            }
        }
        writeln!(f)?;
        let s = &self.summary;
        write!(
            f,
            "{} way(s) in across {} account(s){}: {} error(s), {} security finding(s), {} warning(s)",
            s.access,
            s.accounts,
            match s.failed_accounts {
                0 => String::new(),
                n => format!(" ({n} failed)"),
            },
            s.errors,
            s.security,
            s.warnings
        )
    }
}
