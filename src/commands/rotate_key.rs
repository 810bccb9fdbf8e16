//! `onboard rotate-key`: a new access key for a vendor's user, handed over (and recorded as
//! such) before the old one is deactivated and deleted. After a rotation stopped between the two,
//! the same command finishes it: the newest handed-over key stays, the others go.

use std::fmt;
use std::process::ExitCode;

use serde::Serialize;

use super::offline::STAND_IN_ACCOUNT;
use super::target::Target;
use crate::aws::{Aws, Waits};
use crate::cli::{GlobalArgs, OutputFormat, RotateKeyArgs};
use crate::error::{Error, Usage};
use crate::handoff::record::{KeyState, Reconciled, reconcile};
use crate::handoff::{Handoff, KeyReport, key_in_file, key_lines};
use crate::output::{emit, write_stdout};
use crate::pipeline::{self, KEY_POLL_SECONDS};
use crate::plan::{Plan, plan_retire, plan_rotation, push_key_cleanup};
use crate::state::{AccessKeyInfo, ObservedUser, VENDOR_TAG, is_owned_or_exported};

/// What `rotate-key` prints: the changes and the new key (its secret's file, or the secret
/// with `--show-secret`); after finishing an earlier rotation, the key that stays.
#[derive(Debug, Serialize)]
pub(crate) struct RotateOutput {
    pub(crate) user: String,
    pub(crate) access_keys: Vec<KeyReport>,
    /// The write calls made, in order.
    pub(crate) changes: Vec<String>,
    /// When the run finished an earlier rotation: the handed-over key it kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kept: Option<KeptKey>,
    /// How long the run waited for IAM to propagate.
    pub(crate) waits: Waits,
    /// Whether the new key was printed already, before the old one was touched (the text
    /// then leaves it out).
    #[serde(skip)]
    printed_key: bool,
}

/// The access key an earlier, unfinished rotation handed over, kept as the user's only key.
#[derive(Debug, Serialize)]
pub(crate) struct KeptKey {
    pub(crate) access_key_id: String,
    pub(crate) handed_over_at: String,
}

impl fmt::Display for RotateOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = self.changes.clone();
        if !self.printed_key {
            lines.extend(key_lines(&self.access_keys));
        }
        if let Some(kept) = &self.kept {
            lines.push(format!(
                "access key {} of user {} (handed over at {}) is the user's only key",
                kept.access_key_id, self.user, kept.handed_over_at
            ));
        }
        crate::output::lines(f, lines)
    }
}

/// Reads the user once no other run may still be handing one of its keys over.
async fn read_settled(aws: &Aws, name: &str) -> anyhow::Result<Option<(ObservedUser, Reconciled)>> {
    let grace = i64::try_from(aws.key_grace().as_secs()).unwrap_or(i64::MAX);
    loop {
        let Some(found) = aws.read_user(name).await? else {
            return Ok(None);
        };
        let now = pipeline::unix_now();
        let reconciled = reconcile(&found.tags, &found.access_keys, now, grace);
        let Some(until) = reconciled.wait_until else {
            return Ok(Some((found, reconciled)));
        };
        let pause = u64::try_from(until - now).unwrap_or(0).max(1);
        tracing::warn!(
            "another onboard run is creating an access key for user {name} (or was killed doing so): \
             waiting up to {pause} s for it to hand the key over, or for its key to count as never handed over"
        );
        // Read again every few seconds: the other run may finish well before the grace ends.
        tokio::time::sleep(std::time::Duration::from_secs(pause.min(KEY_POLL_SECONDS))).await;
    }
}

pub(crate) async fn run(args: RotateKeyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let target = Target::resolve(&args.target)?;
    let desired = target.render(&target.context(STAND_IN_ACCOUNT, "aws", "us-east-1"))?;
    let Some(user) = desired.users.iter().find(|u| u.access_key) else {
        return Err(Error::from(Usage::NoKeyToRotate {
            vendor: desired.vendor.clone(),
            integration: desired.integration.clone(),
        })
        .into());
    };
    let name = user.name.clone();
    // The same command again, after a rotation that wrote its key file and was stopped before
    // it removed the old key: finish it.
    let finishing = args
        .key
        .key_file
        .as_deref()
        .and_then(key_in_file)
        .filter(|(user, _)| *user == name)
        .map(|(_, id)| id);
    let handoff = if finishing.is_some() {
        Handoff::new(None, false)?
    } else {
        let handoff = Handoff::new(args.key.key_file.as_deref(), args.key.show_secret)?;
        handoff.require(&name)?;
        handoff
    };

    let aws = Aws::connect(global).await;
    let Some((found, reconciled)) = read_settled(&aws, &name).await? else {
        anyhow::bail!("user {name} does not exist: run onboard apply first");
    };
    if !is_owned_or_exported(&found.tags) || found.tags.get(VENDOR_TAG) != Some(&desired.vendor) {
        return Err(Error::NotOwned {
            kind: crate::kinds::Kind::User,
            name: name.clone(),
        }
        .into());
    }
    let mut changes = Vec::new();

    // Keys onboard created and never handed over go first, with the record's stale tags.
    let cleanup = cleanup_plan(&name, &reconciled);
    changes.extend(
        pipeline::execute_plan(&aws, &cleanup, &handoff)
            .await
            .into_result()?,
    );
    let keys: Vec<(AccessKeyInfo, KeyState)> = reconciled
        .keys
        .iter()
        .filter(|(k, _)| !reconciled.delete.contains(&k.id))
        .cloned()
        .collect();

    // A rotation that handed its key over and stopped: the newest handed-over key stays.
    let handed = reconciled.handed_over();
    let kept = match &finishing {
        // Only the newest handed-over key, with older keys left to remove, is a rotation to
        // finish; any other existing file is refused as ever.
        Some(id) => {
            let newest = handed.last().is_some_and(|(k, _)| &k.id == id);
            if !newest || keys.len() < 2 {
                Handoff::new(args.key.key_file.as_deref(), args.key.show_secret)?;
            }
            Some(id.clone())
        }
        None if handed.len() >= 2 => handed.last().map(|(k, _)| k.id.clone()),
        None => None,
    };
    if let Some(kept) = kept {
        let at = handed
            .iter()
            .find(|(k, _)| k.id == kept)
            .map_or("", |(_, at)| at);
        tracing::warn!(
            "finishing an earlier rotation: access key {kept} of user {name} was handed over at {at}; \
             the others go"
        );
        let old: Vec<&AccessKeyInfo> = keys
            .iter()
            .map(|(k, _)| k)
            .filter(|k| k.id != kept)
            .collect();
        let retire = plan_retire(&name, &old);
        changes.extend(
            pipeline::execute_plan(&aws, &retire, &handoff)
                .await
                .into_result()?,
        );
        let output = RotateOutput {
            user: name,
            access_keys: Vec::new(),
            changes,
            kept: Some(KeptKey {
                access_key_id: kept,
                handed_over_at: at.to_owned(),
            }),
            waits: aws.waits(),
            printed_key: false,
        };
        emit(global.output, &output)?;
        return Ok(ExitCode::SUCCESS);
    }

    let rotation = plan_rotation(&name, &keys)?;
    if let Err(err) = pipeline::execute_plan(&aws, &rotation.create, &handoff)
        .await
        .into_result()
    {
        return Err(pipeline::announce_keys(&aws, &handoff, global.output, err.into()).await);
    }
    changes.push(format!("created access key for user {name}"));
    let mut access_keys = handoff.delivered();
    access_keys.extend(handoff.for_stdout());
    // The new key reaches stdout (when it goes there) before any old key is touched.
    let head = RotateOutput {
        user: name.clone(),
        access_keys: access_keys.clone(),
        changes: Vec::new(),
        kept: None,
        waits: Waits::default(),
        printed_key: false,
    };
    let prefix = json_prefix(&head);
    let streamed = !handoff.for_stdout().is_empty();
    if streamed {
        let written = match global.output {
            // Only audit writes SARIF and Markdown; `run` refuses them for every other command.
            OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Markdown => {
                write_stdout(prefix.as_bytes())
            }
            OutputFormat::Text => {
                write_stdout(format!("{}\n", key_lines(&access_keys).join("\n")).as_bytes())
            }
        };
        handoff.settle_stdout(&aws, written).await?;
    }
    let new_key = access_keys
        .first()
        .map(|k| k.access_key_id.clone())
        .unwrap_or_default();

    let retired = pipeline::execute_plan(&aws, &rotation.retire, &handoff).await;
    changes.extend(retired.changes.iter().cloned());
    let output = RotateOutput {
        user: name.clone(),
        access_keys,
        changes,
        kept: None,
        waits: aws.waits(),
        printed_key: streamed,
    };
    match (global.output, streamed) {
        (OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Markdown, true) => {
            let full = serde_json::to_string_pretty(&output).expect("output serializes");
            let rest = full.strip_prefix(&prefix).unwrap_or(&full);
            write_stdout(format!("{rest}\n").as_bytes())?;
        }
        (OutputFormat::Text, true) | (_, false) => emit(global.output, &output)?,
    }
    if let Some(err) = retired.failure {
        let at = where_key_went(&output.access_keys);
        return Err(anyhow::Error::from(err).context(format!(
            "the new access key {new_key} of user {name} was handed over{at}, but the old key \
             could not be removed: run the same command again to finish (it keeps {new_key} and \
             removes the others)"
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a key handed over went, for messages.
fn where_key_went(keys: &[KeyReport]) -> String {
    match keys.first().and_then(|k| k.key_file.as_ref()) {
        Some(path) => format!(" (written to {})", path.display()),
        None => " (printed on stdout)".to_owned(),
    }
}

/// The pretty JSON of `head` up to where `changes` begins, so that the new key is written
/// (and so handed over) before the old ones are removed, and the whole is still one object.
fn json_prefix(head: &RotateOutput) -> String {
    let text = serde_json::to_string_pretty(head).expect("output serializes");
    match text.find(",\n  \"changes\"") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Deletes the keys onboard created and never handed over, and removes stale record tags.
fn cleanup_plan(user: &str, reconciled: &Reconciled) -> Plan {
    let mut plan = Plan::default();
    push_key_cleanup(&mut plan, user, reconciled);
    plan
}
