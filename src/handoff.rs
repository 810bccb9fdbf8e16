//! Handing over a new access key exactly once: to a file with mode 0600 (`--key-file`), or on
//! stdout when the user asked for it (`--show-secret`). The secret never reaches a log.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{Error, Result};

/// A secret access key. Its `Debug` never shows it; only [`NewAccessKey::secret`] does.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// An access key just created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessKey {
    pub user: String,
    pub access_key_id: String,
    secret: Secret,
}

impl NewAccessKey {
    pub fn new(user: String, access_key_id: String, secret: String) -> Self {
        NewAccessKey {
            user,
            access_key_id,
            secret: Secret(secret),
        }
    }

    pub fn secret(&self) -> &str {
        &self.secret.0
    }
}

/// A key as `--output json` shows it: the secret only with `--show-secret`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyReport {
    pub user: String,
    pub access_key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
}

/// What `--key-file` holds where each of many accounts needs its own key file.
pub const ACCOUNT_PLACEHOLDER: &str = "{account}";

/// `--key-file` of one of many accounts: [`ACCOUNT_PLACEHOLDER`] replaced by its id.
pub fn account_key_file(key_file: &Path, account: &str) -> PathBuf {
    PathBuf::from(
        key_file
            .to_string_lossy()
            .replace(ACCOUNT_PLACEHOLDER, account),
    )
}

/// Checks `--key-file` and `--show-secret` for apply in many accounts, before any AWS call:
/// every new key goes to a file of its account's own; `--show-secret` has no place in a table
/// of accounts. `user` is the vendor's user that gets a key, if any.
pub fn check_many(key_file: Option<&Path>, show_secret: bool, user: Option<&str>) -> Result<()> {
    if show_secret {
        return Err(Error::Usage(format!(
            "--show-secret: with --accounts or --organization keys go to files, one per account: \
             pass --key-file 'keys/{ACCOUNT_PLACEHOLDER}.json' instead"
        )));
    }
    match (key_file, user) {
        (Some(path), _) if !path.to_string_lossy().contains(ACCOUNT_PLACEHOLDER) => {
            Err(Error::Usage(format!(
                "--key-file {}: with --accounts or --organization each account's key needs a file \
                 of its own: put {ACCOUNT_PLACEHOLDER} in the path, such as keys/{ACCOUNT_PLACEHOLDER}.json",
                path.display()
            )))
        }
        (None, Some(user)) => Err(Error::Usage(format!(
            "user {user} gets an access key in each account, shown only once: pass --key-file \
             'keys/{ACCOUNT_PLACEHOLDER}.json' (one file per account, written with mode 0600)"
        ))),
        _ => Ok(()),
    }
}

/// Where new keys go.
#[derive(Debug)]
pub struct Handoff {
    target: Option<Target>,
    delivered: Mutex<Vec<KeyReport>>,
}

#[derive(Debug)]
enum Target {
    File(PathBuf),
    Stdout,
}

/// The key file's contents, shaped like `aws iam create-access-key`'s answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyFile<'a> {
    user_name: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
}

impl Handoff {
    /// From `--key-file` and `--show-secret`, checked before any write: the file must not exist
    /// yet (onboard never overwrites one) and its folder must.
    pub fn new(key_file: Option<&Path>, show_secret: bool) -> Result<Self> {
        let target = match (key_file, show_secret) {
            (Some(_), true) => {
                return Err(Error::Usage(
                    "--key-file and --show-secret exclude each other: pick one".into(),
                ));
            }
            (Some(path), false) => {
                if path.exists() {
                    return Err(Error::Usage(format!(
                        "--key-file {}: the file exists; onboard never overwrites a key file: name a new file",
                        path.display()
                    )));
                }
                let folder = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                if !folder.is_dir() {
                    return Err(Error::Usage(format!(
                        "--key-file {}: folder {} does not exist",
                        path.display(),
                        folder.display()
                    )));
                }
                Some(Target::File(path.to_owned()))
            }
            (None, true) => Some(Target::Stdout),
            (None, false) => None,
        };
        Ok(Handoff {
            target,
            delivered: Mutex::new(Vec::new()),
        })
    }

    /// Refuses, before any write, a plan that would create a key nobody receives.
    pub fn require(&self, user: &str) -> Result<()> {
        if self.target.is_none() {
            return Err(Error::Usage(format!(
                "user {user} gets an access key, shown only once: pass --key-file PATH (written with mode 0600) \
                 or --show-secret"
            )));
        }
        Ok(())
    }

    /// Hands a new key over at once, so that a later failure cannot lose it.
    pub fn deliver(&self, key: &NewAccessKey) -> Result<()> {
        let mut report = KeyReport {
            user: key.user.clone(),
            access_key_id: key.access_key_id.clone(),
            key_file: None,
            secret_access_key: None,
        };
        match &self.target {
            Some(Target::File(path)) => {
                write_key_file(path, key)?;
                tracing::info!(
                    "wrote access key {} to {}",
                    key.access_key_id,
                    path.display()
                );
                report.key_file = Some(path.clone());
            }
            Some(Target::Stdout) => report.secret_access_key = Some(key.secret().to_owned()),
            None => unreachable!("Handoff::require runs before any key is created"),
        }
        self.delivered.lock().expect("not poisoned").push(report);
        Ok(())
    }

    /// What was handed over, for the command's output.
    pub fn delivered(&self) -> Vec<KeyReport> {
        self.delivered.lock().expect("not poisoned").clone()
    }
}

fn write_key_file(path: &Path, key: &NewAccessKey) -> Result<()> {
    let contents = KeyFile {
        user_name: &key.user,
        access_key_id: &key.access_key_id,
        secret_access_key: key.secret(),
    };
    let mut text = serde_json::to_string_pretty(&contents).expect("key file serializes");
    text.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let context = |e: std::io::Error| {
        std::io::Error::new(
            e.kind(),
            format!("writing key file {}: {e}", path.display()),
        )
    };
    let mut file = options.open(path).map_err(context)?;
    file.write_all(text.as_bytes()).map_err(context)?;
    Ok(())
}

/// Lines for the text output: the key id, and where the secret went.
pub fn key_lines(keys: &[KeyReport]) -> Vec<String> {
    keys.iter()
        .map(|k| match (&k.key_file, &k.secret_access_key) {
            (Some(path), _) => format!(
                "access key {} of user {}: secret written to {} (mode 0600)",
                k.access_key_id,
                k.user,
                path.display()
            ),
            (None, Some(secret)) => format!(
                "access key {} of user {}: secret access key {secret}",
                k.access_key_id, k.user
            ),
            (None, None) => format!("access key {} of user {}", k.access_key_id, k.user),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let key = NewAccessKey::new("u".into(), "AKIA1".into(), "s3cr3t".into());
        assert!(!format!("{key:?}").contains("s3cr3t"));
        assert_eq!(key.secret(), "s3cr3t");
    }

    #[test]
    fn a_key_file_is_written_once_with_mode_0600() {
        let dir = std::env::temp_dir().join(format!("onboard-handoff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key.json");
        let _ = std::fs::remove_file(&path);
        let handoff = Handoff::new(Some(&path), false).unwrap();
        let key = NewAccessKey::new("u".into(), "AKIA1".into(), "s3cr3t".into());
        handoff.deliver(&key).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let written: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(written["SecretAccessKey"], "s3cr3t");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let err = Handoff::new(Some(&path), false).unwrap_err().to_string();
        assert!(
            err.contains("the file exists; onboard never overwrites a key file"),
            "{err}"
        );
        assert!(Handoff::new(Some(&dir.join("missing/key.json")), false).is_err());
        assert!(Handoff::new(None, false).unwrap().require("u").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
