//! A drift repair's new default policy version, made safe against a second run repairing the
//! same policy at the same time: both runs would add a version with the same document (one of
//! them left behind as an extra version), and with four versions already the second one meets
//! IAM's limit of five.

use aws_sdk_iam::error::ProvideErrorMetadata;
use serde_json::Value;

use super::Aws;
use super::errors::Doing;
use crate::error::Result;
use crate::plan::{Action, name_of};
use crate::policy::{decode_document, same_document};

impl Aws {
    /// Creates the new default version; `LimitExceeded` is done when the default version already
    /// holds the document (another run made it). Then removes the versions that hold the same
    /// document, are not the default and were not among the `known` versions the plan saw:
    /// another run's (or this run's, when the other run's became the default).
    pub(super) async fn create_default_version(
        &self,
        action: &Action,
        arn: &str,
        document: &Value,
        known: &[String],
    ) -> Result<()> {
        // Recorded before anything reads the policy again, so that a read showing the old
        // default is known to be stale.
        match self.create_policy_version(action, arn, document).await {
            Ok(Some(version)) => self.propagation.made_default(arn, &version),
            Ok(None) => {}
            Err(err) if err.aws_code() == Some("LimitExceeded") => {
                let done = self
                    .read_policy(arn)
                    .await?
                    .is_some_and(|p| same_document(&p.document, document));
                if !done {
                    return Err(err);
                }
                tracing::debug!("{}: {err}; another run made the version", action.doing());
            }
            Err(err) => return Err(err),
        }
        self.remove_duplicate_versions(arn, document, known).await
    }

    /// Deletes the non-default versions of the policy whose document is `document` and that
    /// are not among `known`.
    async fn remove_duplicate_versions(
        &self,
        arn: &str,
        document: &Value,
        known: &[String],
    ) -> Result<()> {
        let Some(found) = self.read_policy(arn).await? else {
            return Ok(());
        };
        let name = name_of(arn);
        for version in found.other_versions.iter().filter(|v| !known.contains(v)) {
            let read = self
                .iam
                .get_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send()
                .await;
            let text = match read {
                Ok(out) => out
                    .policy_version()
                    .and_then(|v| v.document())
                    .unwrap_or_default()
                    .to_owned(),
                Err(err) if err.code() == Some("NoSuchEntity") => continue,
                Err(err) => {
                    return Err(err)
                        .doing(|| format!("reading version {version} of policy {name}"));
                }
            };
            if !decode_document(&text).is_ok_and(|found| same_document(&found, document)) {
                continue;
            }
            tracing::info!(
                "deleting version {version} of policy {name}: another run wrote the same document"
            );
            match self
                .iam
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send()
                .await
            {
                Err(err) if err.code() != Some("NoSuchEntity") => {
                    return Err(err)
                        .doing(|| format!("deleting version {version} of policy {name}"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
