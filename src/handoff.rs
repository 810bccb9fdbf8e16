//! Handing over a new access key exactly once: to a file with mode 0600 (`--key-file`), or on
//! stdout when the user asked for it (`--show-secret`). The secret never reaches a log.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::aws::Aws;
use crate::error::{Error, Result, Usage};
use crate::plan::Action;
use crate::state::Tag;

pub(crate) mod record;

/// A secret access key. Its `Debug` never shows it; only [`NewAccessKey::secret`] does.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// An access key just created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewAccessKey {
    pub user: String,
    pub access_key_id: String,
    secret: Secret,
}

impl NewAccessKey {
    pub(crate) fn new(user: String, access_key_id: String, secret: String) -> Self {
        NewAccessKey {
            user,
            access_key_id,
            secret: Secret(secret),
        }
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret.0
    }
}

/// A key as `--output json` shows it: the secret only with `--show-secret`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct KeyReport {
    pub user: String,
    pub access_key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
}

/// What `--key-file` holds where each of many accounts needs its own key file.
pub(crate) const ACCOUNT_PLACEHOLDER: &str = "{account}";

/// `--key-file` of one of many accounts: [`ACCOUNT_PLACEHOLDER`] replaced by its id.
pub(crate) fn account_key_file(key_file: &Path, account: &str) -> PathBuf {
    PathBuf::from(
        key_file
            .to_string_lossy()
            .replace(ACCOUNT_PLACEHOLDER, account),
    )
}

/// Checks `--key-file` and `--show-secret` for apply in many accounts, before any AWS call:
/// every new key goes to a file of its account's own; `--show-secret` has no place in a table
/// of accounts. `user` is the vendor's user that gets a key, if any.
pub(crate) fn check_many(
    key_file: Option<&Path>,
    show_secret: bool,
    user: Option<&str>,
) -> Result<()> {
    if show_secret {
        return Err(Error::from(Usage::ShowSecretInManyAccounts {
            placeholder: ACCOUNT_PLACEHOLDER,
        }));
    }
    match (key_file, user) {
        (Some(path), _) if !path.to_string_lossy().contains(ACCOUNT_PLACEHOLDER) => {
            Err(Error::from(Usage::KeyFileWithoutPlaceholder {
                path: path.to_owned(),
                placeholder: ACCOUNT_PLACEHOLDER,
            }))
        }
        (None, Some(user)) => Err(Error::from(Usage::KeyFilesNeeded {
            user: user.to_owned(),
            placeholder: ACCOUNT_PLACEHOLDER,
        })),
        _ => Ok(()),
    }
}

/// Largest key file read back (to recognize a hand-over that was not recorded).
const MAX_KEY_FILE: u64 = 64 * 1024;

/// The user and access key id in an existing key file onboard wrote, if that is what `path`
/// holds (a regular file, not a link).
pub(crate) fn key_in_file(path: &Path) -> Option<(String, String)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_KEY_FILE {
        return None;
    }
    let key: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some((
        key["UserName"].as_str()?.to_owned(),
        key["AccessKeyId"].as_str()?.to_owned(),
    ))
}

/// Where new keys go, and the keys handed over so far.
#[derive(Debug)]
pub(crate) struct Handoff {
    target: Option<Target>,
    /// A `--key-file` that exists already and holds this (user, key id): the same command run
    /// again after a run that wrote the file but was stopped before recording the key.
    resuming: Option<(String, String)>,
    /// This run's id in the pending tag it writes before creating a key.
    run: String,
    delivered: Mutex<Vec<KeyReport>>,
    /// Keys bound for stdout: handed over when the command writes them (see
    /// [`Handoff::settle_stdout`]).
    for_stdout: Mutex<Vec<NewAccessKey>>,
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

/// Refuses a `--key-file` path where anything is, a dangling symbolic link included: onboard
/// writes key files only as new regular files.
fn check_new_file(path: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let found = if meta.file_type().is_symlink() {
        match std::fs::read_link(path) {
            Ok(to) => format!("a symbolic link to {} is there", to.display()),
            Err(_) => "a symbolic link is there".to_owned(),
        }
    } else {
        "the file exists".to_owned()
    };
    Err(Error::from(Usage::KeyFileTaken {
        path: path.to_owned(),
        found,
    }))
}

impl Handoff {
    /// From `--key-file` and `--show-secret`, checked before any write: nothing may be at the
    /// path yet (onboard never overwrites a file, nor follows a link) and its folder must exist.
    pub(crate) fn new(key_file: Option<&Path>, show_secret: bool) -> Result<Self> {
        let target = match (key_file, show_secret) {
            (Some(_), true) => {
                return Err(Error::from(Usage::ExclusiveFlags {
                    first: "--key-file",
                    second: "--show-secret",
                }));
            }
            (Some(path), false) => {
                check_new_file(path)?;
                let folder = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                if !folder.is_dir() {
                    return Err(Error::from(Usage::KeyFileFolderMissing {
                        path: path.to_owned(),
                        folder: folder.to_owned(),
                    }));
                }
                Some(Target::File(path.to_owned()))
            }
            (None, true) => Some(Target::Stdout),
            (None, false) => None,
        };
        let mut run = [0u8; 4];
        getrandom::getrandom(&mut run).map_err(|e| {
            Error::Io(std::io::Error::other(format!(
                "no secure random source for a run id: {e}"
            )))
        })?;
        Ok(Handoff {
            target,
            resuming: None,
            run: run.iter().map(|b| format!("{b:02x}")).collect(),
            delivered: Mutex::new(Vec::new()),
            for_stdout: Mutex::new(Vec::new()),
        })
    }

    /// As [`Handoff::new`], but an existing `--key-file` that holds a key onboard wrote is let
    /// through, to be checked against the user's keys by [`Handoff::resume`].
    pub(crate) fn new_or_resuming(key_file: Option<&Path>, show_secret: bool) -> Result<Self> {
        let found = key_file.filter(|_| !show_secret).and_then(key_in_file);
        let Some(found) = found else {
            return Handoff::new(key_file, show_secret);
        };
        let mut handoff = Handoff::new(None, false)?;
        handoff.target = key_file.map(|p| Target::File(p.to_owned()));
        handoff.resuming = Some(found);
        Ok(handoff)
    }

    /// For a `--key-file` that exists: when it holds a key of `user` that exists in AWS but
    /// was never recorded (its run wrote the file, synced, and was stopped), records it as
    /// handed over, since it was; returns whether it did. Any other existing file is refused,
    /// as [`Handoff::new`] refuses it.
    pub(crate) async fn resume(
        &self,
        aws: &Aws,
        user: Option<&crate::state::ObservedUser>,
    ) -> Result<bool> {
        let Some((file_user, id)) = &self.resuming else {
            return Ok(false);
        };
        let Some(Target::File(path)) = &self.target else {
            return Ok(false);
        };
        let unrecorded = user.is_some_and(|u| {
            &u.name == file_user
                && u.access_keys.iter().any(|k| &k.id == id)
                && !u.tags.contains_key(&record::record_tag(id))
        });
        if !unrecorded {
            check_new_file(path)?;
            return Ok(false);
        }
        tracing::warn!(
            "{} holds access key {id} of user {file_user}, written by a run that was stopped before \
             recording it: recording it as handed over",
            path.display()
        );
        aws.execute(&Action::TagUser(crate::plan::TagUser {
            user: file_user.clone(),
            tags: vec![Tag::new(
                record::record_tag(id),
                record::iso_time(unix_now()),
            )],
        }))
        .await?;
        self.delivered
            .lock()
            .expect("not poisoned")
            .push(KeyReport {
                user: file_user.clone(),
                access_key_id: id.clone(),
                key_file: Some(path.clone()),
                secret_access_key: None,
            });
        Ok(true)
    }

    /// Refuses, before any write, a plan that would create a key nobody receives.
    pub(crate) fn require(&self, user: &str) -> Result<()> {
        if self.target.is_none() {
            return Err(Error::from(Usage::KeyNotHandedOver {
                user: user.to_owned(),
            }));
        }
        Ok(())
    }

    /// Creates an access key for `user` and hands it over, so that it ends either handed over
    /// and recorded, or deleted (see [`record`]): a pending tag first, the key, a check that no
    /// other run created one meanwhile (the older key wins; the other run deletes its own), then
    /// the 0600 file, synced, and the record. A key for stdout waits for
    /// [`Handoff::settle_stdout`].
    pub(crate) async fn create_and_deliver(&self, aws: &Aws, user: &str) -> Result<()> {
        let before = aws.access_key_ids(user).await?;
        let (pending, value) = record::pending_tag(&self.run, unix_now(), &before);
        aws.execute(&Action::TagUser(crate::plan::TagUser {
            user: user.to_owned(),
            tags: vec![Tag::new(pending.clone(), value)],
        }))
        .await?;
        let key = aws
            .execute(&Action::CreateAccessKey(crate::plan::CreateAccessKey {
                user: user.to_owned(),
            }))
            .await?
            .expect("CreateAccessKey answers a key");
        // Another run creating a key at the same time: the older key wins, in both runs.
        let now_there = aws.access_keys(user).await?;
        let rival = now_there
            .iter()
            .filter(|k| !before.contains(&k.id))
            .min_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        if let Some(rival) = rival.filter(|k| k.id != key.access_key_id) {
            let why = Error::KeyRace {
                user: user.to_owned(),
                mine: key.access_key_id.clone(),
                other: rival.id.clone(),
            };
            return Err(self.discard(aws, &key, &pending, why).await);
        }
        match &self.target {
            Some(Target::File(path)) => {
                if let Err(err) = write_key_file(path, &key) {
                    return Err(self.discard(aws, &key, &pending, err).await);
                }
                if let Err(err) = self.record(aws, &key, &pending).await {
                    let _ = std::fs::remove_file(path);
                    return Err(self.discard(aws, &key, &pending, err).await);
                }
                tracing::info!(
                    "wrote access key {} to {}",
                    key.access_key_id,
                    path.display()
                );
                self.delivered
                    .lock()
                    .expect("not poisoned")
                    .push(KeyReport {
                        user: key.user.clone(),
                        access_key_id: key.access_key_id.clone(),
                        key_file: Some(path.clone()),
                        secret_access_key: None,
                    });
            }
            Some(Target::Stdout) => self.for_stdout.lock().expect("not poisoned").push(key),
            None => unreachable!("Handoff::require runs before any key is created"),
        }
        Ok(())
    }

    /// Records `key` as handed over and removes this run's pending tag.
    async fn record(&self, aws: &Aws, key: &NewAccessKey, pending: &str) -> Result<()> {
        let at = record::iso_time(unix_now());
        aws.execute(&Action::TagUser(crate::plan::TagUser {
            user: key.user.clone(),
            tags: vec![Tag::new(record::record_tag(&key.access_key_id), at)],
        }))
        .await?;
        aws.execute(&Action::UntagUser(crate::plan::UntagUser {
            user: key.user.clone(),
            keys: vec![pending.to_owned()],
        }))
        .await?;
        Ok(())
    }

    /// Deletes a key that was not handed over, and says why, and whether it is gone.
    async fn discard(&self, aws: &Aws, key: &NewAccessKey, pending: &str, why: Error) -> Error {
        let delete = Action::DeleteAccessKey(crate::plan::DeleteAccessKey {
            user: key.user.clone(),
            key_id: key.access_key_id.clone(),
        });
        let deleted = match aws.execute(&delete).await {
            Ok(_) => {
                let untag = Action::UntagUser(crate::plan::UntagUser {
                    user: key.user.clone(),
                    keys: vec![pending.to_owned()],
                });
                let _ = aws.execute(&untag).await;
                "so it was deleted".to_owned()
            }
            Err(err) => format!(
                "and deleting it failed too ({err}): the next onboard run for this vendor deletes it"
            ),
        };
        Error::NotHandedOver {
            user: key.user.clone(),
            key_id: key.access_key_id.clone(),
            deleted,
            why: why.to_string(),
        }
    }

    /// Keys waiting to be written to stdout, as the output shows them (with their secret).
    pub(crate) fn for_stdout(&self) -> Vec<KeyReport> {
        self.for_stdout
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|key| KeyReport {
                user: key.user.clone(),
                access_key_id: key.access_key_id.clone(),
                key_file: None,
                secret_access_key: Some(key.secret().to_owned()),
            })
            .collect()
    }

    /// After the command wrote (`written` is `Ok`) or failed to write its output holding the
    /// keys for stdout: records each as handed over, or deletes it and says so.
    pub(crate) async fn settle_stdout(&self, aws: &Aws, written: Result<()>) -> Result<()> {
        let keys = std::mem::take(&mut *self.for_stdout.lock().expect("not poisoned"));
        let pending = format!("{}{}", record::PENDING_TAG_PREFIX, self.run);
        let mut failure = written.err();
        for key in keys {
            let recorded = match failure.take() {
                Some(err) => Err(err),
                None => self.record(aws, &key, &pending).await,
            };
            match recorded {
                Ok(()) => self
                    .delivered
                    .lock()
                    .expect("not poisoned")
                    .push(KeyReport {
                        user: key.user.clone(),
                        access_key_id: key.access_key_id.clone(),
                        key_file: None,
                        secret_access_key: Some(key.secret().to_owned()),
                    }),
                Err(err) => failure = Some(self.discard(aws, &key, &pending, err).await),
            }
        }
        match failure {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// What was handed over, for the command's output.
    pub(crate) fn delivered(&self) -> Vec<KeyReport> {
        self.delivered.lock().expect("not poisoned").clone()
    }
}

/// Seconds since the epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Writes the key to a new file (never following a link, never replacing anything), mode 0600,
/// and syncs the file and its folder, so that a key counts as handed over only once it is on
/// disk. A file it created but could not fill is removed again.
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
    let failed = |error: std::io::Error| Error::KeyFile {
        path: path.to_owned(),
        error,
    };
    let mut file = options.open(path).map_err(failed)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            let folder = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            std::fs::File::open(folder)?.sync_all()
        });
    if let Err(error) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(failed(error));
    }
    Ok(())
}

/// Lines for the text output: the key id, and where the secret went.
pub(crate) fn key_lines(keys: &[KeyReport]) -> Vec<String> {
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
        Handoff::new(Some(&path), false).unwrap();
        let key = NewAccessKey::new("u".into(), "AKIA1".into(), "s3cr3t".into());
        write_key_file(&path, &key).unwrap();
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
