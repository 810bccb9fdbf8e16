//! Who an account id belongs to: the vendors of the built-in catalog (the accounts their trust
//! policies name) and `--known-accounts FILE`, a YAML list in the format of the public
//! `known_aws_accounts` list:
//!
//! ```yaml
//! - name: Streamkap
//!   source: https://docs.streamkap.com/...
//!   accounts: ['300973880807']
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::catalog;
use crate::catalog::checks::read_capped_bytes;
use crate::error::{Error, Result, Usage};
use crate::policy::limits::is_account_id;
use crate::policy::{principal_account, trusted_aws_principals};

/// Largest `--known-accounts` file onboard reads.
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// Names of accounts, by account id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KnownAccounts(BTreeMap<String, String>);

/// One entry of the YAML list; other keys (`source`, `type`) are allowed and ignored.
#[derive(Debug, Deserialize)]
struct Entry {
    name: String,
    #[serde(default)]
    accounts: Vec<AccountId>,
}

/// An account id as YAML may write it: quoted, or a bare number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AccountId {
    Text(String),
    Number(u64),
}

impl KnownAccounts {
    /// The accounts the built-in catalog's trust policies name, by vendor display name.
    pub(crate) fn builtin() -> Self {
        let mut known = BTreeMap::new();
        for vendor in catalog::builtin_vendors() {
            let Ok(entry) = catalog::load_builtin(vendor) else {
                continue;
            };
            for integration in entry.integrations.values() {
                for role in &integration.roles {
                    for principal in trusted_aws_principals(&role.trust) {
                        if let Some(account) =
                            principal_account(&principal).filter(|a| is_account_id(a))
                        {
                            known
                                .entry(account.to_owned())
                                .or_insert_with(|| entry.display_name.clone());
                        }
                    }
                }
            }
        }
        KnownAccounts(known)
    }

    /// Adds the accounts of a `--known-accounts` file; its names win over the catalog's.
    pub(crate) fn load_file(&mut self, path: &Path) -> Result<()> {
        let shown = path.display();
        let usage = |problem: String| {
            Error::from(Usage::KnownAccountsFile {
                path: shown.to_string(),
                problem,
            })
        };
        let bytes = read_capped_bytes(path, MAX_FILE, "lists of known accounts").map_err(usage)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| usage("it is not UTF-8 text: give a YAML file".into()))?;
        self.add_yaml(&text).map_err(usage)
    }

    fn add_yaml(&mut self, text: &str) -> Result<(), String> {
        let entries: Vec<Entry> = yaml_serde::from_str(text).map_err(|e| {
            format!(
                "not a YAML list of `- name: ...` / `accounts: [...]` entries as in \
                 known_aws_accounts ({e})"
            )
        })?;
        for entry in entries {
            for id in entry.accounts {
                let id = match id {
                    AccountId::Text(text) => text,
                    AccountId::Number(n) => format!("{n:012}"),
                };
                if !is_account_id(&id) {
                    return Err(format!(
                        "'{id}' (of {}) is not an AWS account id: give 12 digits, quoted",
                        entry.name
                    ));
                }
                self.0.insert(id, entry.name.clone());
            }
        }
        Ok(())
    }

    /// Who `account` belongs to, if known.
    pub(crate) fn name(&self, account: &str) -> Option<&str> {
        self.0.get(account).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_vendor_account_is_known_by_its_display_name() {
        let known = KnownAccounts::builtin();
        for vendor in catalog::builtin_vendors() {
            let entry = catalog::load_builtin(vendor).unwrap();
            for role in entry.integrations.values().flat_map(|i| &i.roles) {
                for principal in trusted_aws_principals(&role.trust) {
                    if let Some(account) =
                        principal_account(&principal).filter(|a| is_account_id(a))
                    {
                        assert!(known.name(account).is_some(), "{vendor}: {account}");
                    }
                }
            }
        }
        assert_eq!(known.name("300973880807"), Some("Streamkap"));
    }

    #[test]
    fn a_known_aws_accounts_list_adds_names_and_wins() {
        let mut known = KnownAccounts::builtin();
        known
            .add_yaml(
                "- name: 'Datadog'\n  source:\n    - https://example.com\n  accounts:\n    - '464622532012'\n  type: aws\n\
                 - name: Renamed\n  accounts: ['300973880807', 111122223333]\n",
            )
            .unwrap();
        assert_eq!(known.name("464622532012"), Some("Datadog"));
        assert_eq!(known.name("300973880807"), Some("Renamed"));
        assert_eq!(known.name("111122223333"), Some("Renamed"));
        assert_eq!(known.name("999999999999"), None);
    }

    #[test]
    fn a_bad_list_names_the_bad_value() {
        let mut known = KnownAccounts::default();
        let err = known
            .add_yaml("- name: X\n  accounts: ['12345']\n")
            .unwrap_err();
        assert!(
            err.contains("'12345' (of X) is not an AWS account id"),
            "{err}"
        );
        let err = known.add_yaml("name: X\n").unwrap_err();
        assert!(err.contains("not a YAML list"), "{err}");
    }
}
