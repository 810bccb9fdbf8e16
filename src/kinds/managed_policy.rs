//! Customer managed policies: read with their default version's document and other versions;
//! created, tagged, repaired with a new default version (safe against a second run repairing the
//! same policy at the same time), and on teardown deleted with their versions once nothing
//! teardown leaves holds them.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::error::ProvideErrorMetadata;
use serde_json::Value;

use super::{Emptied, Entity, Kind, Step, check_ownership, iam_tags, list, missing_tags, tags_of};
use crate::aws::{Aws, Doing, decode, is_code, missing, no_retry};
use crate::error::Result;
use crate::handoff::NewAccessKey;
use crate::plan::{Action, Documents, Kept, KeptReason, Plan, Present, Verb, name_of};
use crate::policy::{decode_document, same_document};
use crate::state::{DesiredPolicy, Observed, ObservedPolicy, RESOURCE_TAG, Tag, Tags, is_owned};
use crate::verification::written::{Written, merge, tag_map};

/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// Makes a new default version of a policy (its drift repaired).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreatePolicyVersion {
    pub(crate) policy_arn: String,
    pub(crate) document: Value,
    /// The versions the plan saw: another version with the same document that is not among
    /// them was made by a run repairing the policy at the same time.
    pub(crate) known_versions: Vec<String>,
}

/// Adds tags to a policy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TagPolicy {
    pub(crate) policy_arn: String,
    pub(crate) tags: Vec<Tag>,
}

/// Deletes a version of a policy that is not its default.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeletePolicyVersion {
    pub(crate) policy_arn: String,
    pub(crate) version_id: String,
}

/// Deletes a policy (once it has no other version and nothing holds it).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeletePolicy {
    pub(crate) policy_arn: String,
}

fn policy(arn: &str) -> Entity {
    Entity::Policy(arn.to_owned())
}

/// The customer managed policies one `ListPolicies` page showed under a path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Listing {
    path_prefix: String,
    /// Policy ARN → its default version.
    defaults: BTreeMap<String, String>,
}

/// What a [`Listing`] says of one policy.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Listed<'a> {
    /// Shown, with this default version.
    Present(&'a str),
    /// Under the listed path, not shown.
    Absent,
    /// Not under the listed path.
    NotCovered,
}

impl Listing {
    fn find(&self, arn: &str) -> Listed<'_> {
        if let Some(default) = self.defaults.get(arn) {
            return Listed::Present(default);
        }
        match arn.split_once(":policy").map(|(_, path)| path) {
            Some(path) if path.starts_with(&self.path_prefix) => Listed::Absent,
            _ => Listed::NotCovered,
        }
    }
}

/// The longest path every policy of `policies` is under (their paths end in `/`): the prefix
/// one listing of them takes.
pub(crate) fn common_path(policies: &[DesiredPolicy]) -> String {
    let mut paths = policies.iter().map(|p| p.path.as_str());
    let Some(first) = paths.next() else {
        return "/".to_owned();
    };
    let common = paths.fold(first, |common, path| {
        let same = common
            .char_indices()
            .zip(path.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8());
        &common[..same]
    });
    // Back to the last `/`: a prefix cuts at a path element.
    let cut = common.rfind('/').map_or(0, |i| i + 1);
    if cut == 0 {
        "/".to_owned()
    } else {
        common[..cut].to_owned()
    }
}

impl Step for DesiredPolicy {
    fn record(&self, written: &mut Written) {
        written.set_policy(
            &self.arn,
            Some(ObservedPolicy {
                arn: self.arn.clone(),
                tags: tag_map(&self.tags),
                default_version_id: "v1".to_owned(),
                document: self.document.clone(),
                other_versions: Vec::new(),
            }),
        );
    }
    fn words(&self) -> (Verb, String) {
        (Verb::Create, format!("policy {}", self.name))
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((policy(&self.arn), true))
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        Some((None, &self.document, format!("policy {}", self.name)))
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .create_policy()
            .policy_name(&self.name)
            .path(&self.path)
            .description(&self.description)
            .policy_document(self.document.to_string())
            .set_tags(Some(iam_tags(&self.tags)))
            .send()
            .await
            .doing(|| self.doing());
        // Adoptable: onboard's own, from the same catalog item, with the same document.
        aws.created(self, sent, || async {
            Ok(aws.read_policy(&self.arn).await?.is_some_and(|found| {
                is_owned(&found.tags)
                    && found.tags.get(RESOURCE_TAG) == Some(&self.id)
                    && same_document(&found.document, &self.document)
            }))
        })
        .await
    }
}

impl Step for CreatePolicyVersion {
    fn record(&self, written: &mut Written) {
        // The new default version's id is IAM's to choose: read it back.
        written.forget("policy", &self.policy_arn);
    }
    fn words(&self) -> (Verb, String) {
        let object = format!(
            "policy {} with a new default version",
            name_of(&self.policy_arn)
        );
        (Verb::Update, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![policy(&self.policy_arn)]
    }
    /// The version it makes is recorded by [`CreatePolicyVersion::run`].
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, observed: &'a Observed) -> Option<Documents<'a>> {
        let name = format!("policy {}", name_of(&self.policy_arn));
        let found = observed
            .policies
            .get(&self.policy_arn)
            .and_then(Option::as_ref);
        let before = found.map(|f| {
            let label = format!("{name} default version {} in AWS", f.default_version_id);
            (&f.document, label)
        });
        Some((before, &self.document, name))
    }
    /// Creates the new default version; `LimitExceeded` is done when the default version
    /// already holds the document (another run made it). Then removes the versions that hold the
    /// same document, are not the default and were not among the versions the plan saw: another
    /// run's (or this run's, when the other run's became the default).
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let arn = &self.policy_arn;
        // Recorded before anything reads the policy again, so that a read showing the old
        // default is known to be stale.
        match self.create_version(aws).await {
            Ok(Some(version)) => aws.propagation().made_default(arn, &version),
            Ok(None) => {}
            Err(err) if err.aws_code() == Some("LimitExceeded") => {
                let done = aws
                    .read_policy(arn)
                    .await?
                    .is_some_and(|p| same_document(&p.document, &self.document));
                if !done {
                    return Err(err);
                }
                tracing::debug!("{}: {err}; another run made the version", self.doing());
            }
            Err(err) => return Err(err),
        }
        self.remove_duplicate_versions(aws).await?;
        Ok(None)
    }
}

impl CreatePolicyVersion {
    /// CreatePolicyVersion is not idempotent (a blind retry adds a second version): after a
    /// transient failure onboard reads the policy, and is done when its default version already
    /// holds the document. The new default version's id comes back when IAM said it.
    async fn create_version(&self, aws: &Aws) -> Result<Option<String>> {
        let (arn, document) = (&self.policy_arn, &self.document);
        let send = || async {
            aws.iam()
                .create_policy_version()
                .policy_arn(arn)
                .policy_document(document.to_string())
                .set_as_default(true)
                .customize()
                .config_override(no_retry())
                .send()
                .await
                .map(|out| out.policy_version.and_then(|v| v.version_id))
        };
        let settle = || async {
            let found = aws.read_policy(arn).await?;
            Ok(found
                .filter(|p| same_document(&p.document, document))
                .map(|p| Some(p.default_version_id)))
        };
        aws.send_unretried(&self.doing(), send, settle).await
    }

    /// Deletes the non-default versions of the policy whose document is the step's and that
    /// are not among the versions the plan saw.
    async fn remove_duplicate_versions(&self, aws: &Aws) -> Result<()> {
        let arn = &self.policy_arn;
        let Some(found) = aws.read_policy(arn).await? else {
            return Ok(());
        };
        let name = name_of(arn);
        let others = found
            .other_versions
            .iter()
            .filter(|v| !self.known_versions.contains(v));
        for version in others {
            let read = aws
                .iam()
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
                Err(err) if is_code(&err, "NoSuchEntity") => continue,
                Err(err) => {
                    return Err(err)
                        .doing(|| format!("reading version {version} of policy {name}"));
                }
            };
            if !decode_document(&text).is_ok_and(|found| same_document(&found, &self.document)) {
                continue;
            }
            tracing::info!(
                "deleting version {version} of policy {name}: another run wrote the same document"
            );
            match aws
                .iam()
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send()
                .await
            {
                Err(err) if !is_code(&err, "NoSuchEntity") => {
                    return Err(err)
                        .doing(|| format!("deleting version {version} of policy {name}"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Step for TagPolicy {
    fn record(&self, written: &mut Written) {
        if let Some(policy) = written.policy_mut(&self.policy_arn) {
            merge(&mut policy.tags, &self.tags);
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!(
            "policy {} with {}",
            name_of(&self.policy_arn),
            list(&self.tags)
        );
        (Verb::Tag, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![policy(&self.policy_arn)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .tag_policy()
            .policy_arn(&self.policy_arn)
            .set_tags(Some(iam_tags(&self.tags)))
            .send()
            .await
            .doing(|| self.doing());
        Aws::changed(sent)
    }
}

impl Step for DeletePolicyVersion {
    fn record(&self, written: &mut Written) {
        if let Some(policy) = written.policy_mut(&self.policy_arn) {
            policy.other_versions.retain(|v| *v != self.version_id);
        }
    }
    fn words(&self) -> (Verb, String) {
        let object = format!(
            "version {} of policy {}",
            self.version_id,
            name_of(&self.policy_arn)
        );
        (Verb::Delete, object)
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![policy(&self.policy_arn)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        None
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .delete_policy_version()
            .policy_arn(&self.policy_arn)
            .version_id(&self.version_id)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(match aws.read_policy(&self.policy_arn).await? {
                Some(found) => {
                    found.default_version_id != self.version_id
                        && !found.other_versions.contains(&self.version_id)
                }
                None => true,
            })
        })
        .await
    }
}

impl Step for DeletePolicy {
    fn record(&self, written: &mut Written) {
        written.set_policy(&self.policy_arn, None);
    }
    fn words(&self) -> (Verb, String) {
        (
            Verb::Delete,
            format!("policy {}", name_of(&self.policy_arn)),
        )
    }
    fn depends_on(&self) -> Vec<Entity> {
        vec![policy(&self.policy_arn)]
    }
    fn outcome(&self) -> Option<(Entity, bool)> {
        Some((policy(&self.policy_arn), false))
    }
    fn writes_trust_policy(&self) -> bool {
        false
    }
    fn documents<'a>(&'a self, _: &'a Observed) -> Option<Documents<'a>> {
        None
    }
    async fn run(&self, aws: &Aws) -> Result<Option<NewAccessKey>> {
        let sent = aws
            .iam()
            .delete_policy()
            .policy_arn(&self.policy_arn)
            .send()
            .await
            .doing(|| self.doing());
        aws.removed(self, sent, || async {
            Ok(aws.read_policy(&self.policy_arn).await?.is_none())
        })
        .await
    }
}

/// Plans `desired`: created when missing (returns the step), else refused unless onboard's,
/// tagged, and its drift repaired with a new default version (a full policy first drops its
/// oldest other version).
pub(crate) fn plan(
    plan: &mut Plan,
    desired: &DesiredPolicy,
    found: Option<&ObservedPolicy>,
    vendor: &str,
) -> Result<Option<usize>> {
    let Some(found) = found else {
        return Ok(Some(
            plan.push(Action::CreatePolicy(desired.clone()), vec![]),
        ));
    };
    check_ownership(Kind::ManagedPolicy, &desired.name, &found.tags, vendor)?;
    plan.present.push(Present {
        kind: Kind::ManagedPolicy,
        name: desired.name.clone(),
        arn: desired.arn.clone(),
    });
    let tags = missing_tags(&desired.tags, &found.tags);
    if !tags.is_empty() {
        let tag = TagPolicy {
            policy_arn: desired.arn.clone(),
            tags,
        };
        plan.push(Action::TagPolicy(tag), vec![]);
    }
    if !same_document(&found.document, &desired.document) {
        let mut after = Vec::new();
        if found.other_versions.len() + 1 >= MAX_POLICY_VERSIONS
            && let Some(oldest) = found.other_versions.first()
        {
            let delete = DeletePolicyVersion {
                policy_arn: desired.arn.clone(),
                version_id: oldest.clone(),
            };
            after.push(plan.push(Action::DeletePolicyVersion(delete), vec![]));
        }
        let update = CreatePolicyVersion {
            policy_arn: desired.arn.clone(),
            document: desired.document.clone(),
            known_versions: std::iter::once(&found.default_version_id)
                .chain(&found.other_versions)
                .cloned()
                .collect(),
        };
        plan.push(Action::CreatePolicyVersion(update), after);
    }
    Ok(None)
}

/// Where a policy is attached, as ListEntitiesForPolicy reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pub(crate) kind: Kind,
    pub(crate) name: String,
}

/// An onboard-owned managed policy and what hangs off it, as teardown reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OwnedPolicy {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) tags: Tags,
    pub(crate) non_default_versions: Vec<String>,
    pub(crate) holders: Vec<Holder>,
}

/// Plans the deletion of `found` after its other versions and after the detaches teardown of
/// roles and users planned; a policy still held by something teardown does not remove is kept.
pub(crate) fn teardown(plan: &mut Plan, found: &OwnedPolicy, emptied: &Emptied<'_>) {
    let deleted: &BTreeSet<(Kind, &str)> = &emptied.deleted;
    let holder = found
        .holders
        .iter()
        .find(|h| !deleted.contains(&(h.kind, h.name.as_str())));
    if let Some(holder) = holder {
        plan.kept.push(Kept {
            kind: Kind::ManagedPolicy,
            name: found.name.clone(),
            reason: KeptReason::AttachedElsewhere {
                kind: holder.kind,
                name: holder.name.clone(),
            },
        });
        return;
    }
    let mut before: Vec<usize> = emptied
        .detached
        .iter()
        .filter(|(arn, _)| *arn == found.arn)
        .map(|(_, step)| *step)
        .collect();
    for version_id in &found.non_default_versions {
        let delete = DeletePolicyVersion {
            policy_arn: found.arn.clone(),
            version_id: version_id.clone(),
        };
        before.push(plan.push(Action::DeletePolicyVersion(delete), vec![]));
    }
    let delete = DeletePolicy {
        policy_arn: found.arn.clone(),
    };
    plan.push(Action::DeletePolicy(delete), before);
}

impl Aws {
    /// Whether a managed policy exists (one GetPolicy call).
    pub(crate) async fn policy_exists(&self, arn: &str) -> Result<bool> {
        match self.iam().get_policy().policy_arn(arn).send().await {
            Ok(_) => Ok(true),
            Err(err) if is_code(&err, "NoSuchEntity") => Ok(false),
            Err(err) => Err(err).doing(|| format!("reading policy {arn}")),
        }
    }

    /// A managed policy with its tags and default version's document; `None` if there is none.
    pub(crate) async fn read_policy(&self, arn: &str) -> Result<Option<ObservedPolicy>> {
        self.read_policy_from(arn, None).await
    }

    /// [`Aws::read_policy`], told what a listing of the account's policies showed: a policy it
    /// does not show is not read (unless this run knows it exists), and one it shows is read
    /// with its default version at once.
    pub(crate) async fn read_listed_policy(
        &self,
        arn: &str,
        listing: Option<&Listing>,
    ) -> Result<Option<ObservedPolicy>> {
        match listing.map(|listing| listing.find(arn)) {
            Some(Listed::Absent) if self.propagation().judge_missing(&policy(arn)).is_none() => {
                Ok(None)
            }
            Some(Listed::Present(default)) => self.read_policy_from(arn, Some(default)).await,
            Some(Listed::Absent | Listed::NotCovered) | None => self.read_policy(arn).await,
        }
    }

    async fn read_policy_from(
        &self,
        arn: &str,
        default: Option<&str>,
    ) -> Result<Option<ObservedPolicy>> {
        self.read_known(
            policy(arn),
            || Box::pin(self.read_policy_once(arn, default)),
            |found| {
                self.propagation()
                    .judge_default(arn, &found.default_version_id)
            },
        )
        .await
    }

    /// One read of a policy: GetPolicy, then its default version and version list; with the
    /// default version a listing showed (`listed`), all three at once, the version read again
    /// when GetPolicy names another default.
    async fn read_policy_once(
        &self,
        arn: &str,
        listed: Option<&str>,
    ) -> Result<Option<ObservedPolicy>> {
        let name = name_of(arn);
        let get_version = |version_id: String| async move {
            let version = self
                .iam()
                .get_policy_version()
                .policy_arn(arn)
                .version_id(&version_id)
                .send()
                .await
                .doing(|| format!("reading version {version_id} of policy {name}"));
            (version_id, version)
        };
        let read = async {
            match self.iam().get_policy().policy_arn(arn).send().await {
                Ok(out) => out
                    .policy
                    .map(Some)
                    .ok_or_else(|| missing(format!("reading policy {name}"))),
                Err(err) if is_code(&err, "NoSuchEntity") => Ok(None),
                Err(err) => Err(err).doing(|| format!("reading policy {name}")),
            }
        };
        let early = async {
            match listed {
                Some(version_id) => Some(get_version(version_id.to_owned()).await),
                None => None,
            }
        };
        let versions = async {
            match listed {
                Some(_) => Some(
                    self.iam()
                        .list_policy_versions()
                        .policy_arn(arn)
                        .send()
                        .await,
                ),
                None => None,
            }
        };
        let (found, early, versions) = tokio::join!(read, early, versions);
        let Some(found) = found? else {
            return Ok(None);
        };
        self.propagation().exists(policy(arn));
        let version_id = found.default_version_id().unwrap_or("v1").to_owned();
        let (version, versions) = match (early, versions) {
            (Some((read_id, version)), Some(versions)) if read_id == version_id => {
                (version, versions)
            }
            _ => {
                let versions = self.iam().list_policy_versions().policy_arn(arn).send();
                let (version, versions) = tokio::join!(get_version(version_id.clone()), versions);
                (version.1, versions)
            }
        };
        let version = version?;
        let versions = versions.doing(|| format!("listing versions of policy {name}"))?;
        let document = decode(
            || format!("decoding version {version_id} of policy {name}"),
            version.policy_version().and_then(|v| v.document()),
        )?;
        let mut others: Vec<_> = versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        others.sort_by_key(|v| {
            v.create_date()
                .map_or(0, aws_sdk_iam::primitives::DateTime::secs)
        });
        Ok(Some(ObservedPolicy {
            arn: arn.to_owned(),
            tags: tags_of(found.tags()),
            default_version_id: version_id,
            document,
            other_versions: others
                .iter()
                .filter_map(|v| v.version_id().map(str::to_owned))
                .collect(),
        }))
    }

    /// The account's customer managed policies under `path_prefix` (ARN and default version),
    /// from one `ListPolicies` page of up to 1,000 policies: it needs no account id, so it runs
    /// beside sts:GetCallerIdentity, and the policies it does not show need no read of their
    /// own. `None` when IAM has more than one page or refuses the listing (it needs
    /// `iam:ListPolicies`): then each policy is read by its ARN.
    pub(crate) async fn list_local_policies(&self, path_prefix: &str) -> Option<Listing> {
        let page = self
            .iam()
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .path_prefix(path_prefix)
            .max_items(1000)
            .send()
            .await;
        match page {
            Ok(page) if !page.is_truncated() => Some(Listing {
                path_prefix: path_prefix.to_owned(),
                defaults: page
                    .policies()
                    .iter()
                    .filter_map(|p| Some((p.arn()?.to_owned(), p.default_version_id()?.to_owned())))
                    .collect(),
            }),
            Ok(_) => {
                tracing::debug!("more than one page of policies: reading each policy by its ARN");
                None
            }
            Err(err) => {
                tracing::debug!(
                    "listing policies failed ({}): reading each policy by its ARN",
                    err.code().unwrap_or("no answer")
                );
                None
            }
        }
    }

    /// A policy's tags, for the inventory (waiting while IAM does not show a policy this run
    /// knows).
    pub(crate) async fn policy_tags(&self, arn: String) -> Result<(String, Tags)> {
        let tags = self.read_of_known(policy(&arn), || async {
            self.iam()
                .list_policy_tags()
                .policy_arn(&arn)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .doing(|| format!("listing tags of policy {}", name_of(&arn)))
        });
        let tags = tags_of(&tags.await?);
        Ok((arn, tags))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::Client;
    use aws_sdk_iam::operation::tag_policy::TagPolicyOutput;
    use aws_smithy_mocks::{Rule, mock};
    use serde_json::json;

    use super::*;
    use crate::error::Error;
    use crate::kinds::mocks::{
        self, already_exists, denied, failure, limit_exceeded, no_such_entity, owned_tags,
    };

    const ARN: &str = "arn:aws:iam::111122223333:policy/P";

    fn document() -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    }

    fn desired() -> DesiredPolicy {
        DesiredPolicy {
            id: "read".into(),
            name: "P".into(),
            path: "/".into(),
            arn: ARN.into(),
            description: "d".into(),
            document: document(),
            tags: owned_tags("read"),
        }
    }

    fn rules(groups: Vec<Vec<Rule>>) -> Vec<Rule> {
        groups.into_iter().flatten().collect()
    }

    #[tokio::test]
    async fn a_create_that_meets_its_own_policy_adopts_it_and_another_fails() {
        let create = || mock!(Client::create_policy).then_http_response(already_exists);
        let own = mocks::aws(&rules(vec![
            vec![create()],
            mocks::policy(ARN, &owned_tags("read"), "v1", &document(), &[]),
        ]));
        own.execute(&Action::CreatePolicy(desired())).await.unwrap();
        // Onboard's and of the same item, but with another document: not what the step makes.
        let other = json!({"Version": "2012-10-17", "Statement": []});
        let changed = mocks::aws(&rules(vec![
            vec![create()],
            mocks::policy(ARN, &owned_tags("read"), "v1", &other, &[]),
        ]));
        let err = changed
            .execute(&Action::CreatePolicy(desired()))
            .await
            .unwrap_err();
        assert_eq!(err.aws_code(), Some("EntityAlreadyExists"), "{err}");
    }

    fn listing(defaults: &[(&str, &str)], truncated: bool) -> Rule {
        let policies: Vec<_> = defaults
            .iter()
            .map(|(arn, default)| {
                aws_sdk_iam::types::Policy::builder()
                    .arn(*arn)
                    .default_version_id(*default)
                    .build()
            })
            .collect();
        mock!(Client::list_policies).then_output(move || {
            aws_sdk_iam::operation::list_policies::ListPoliciesOutput::builder()
                .set_policies(Some(policies.clone()))
                .is_truncated(truncated)
                .build()
        })
    }

    #[test]
    fn one_listing_covers_the_longest_common_path() {
        let with_path = |path: &str| DesiredPolicy {
            path: path.into(),
            ..desired()
        };
        let common =
            |paths: &[&str]| common_path(&paths.iter().map(|p| with_path(p)).collect::<Vec<_>>());
        assert_eq!(common(&[]), "/");
        assert_eq!(common(&["/"]), "/");
        assert_eq!(common(&["/vendor/a/", "/vendor/a/"]), "/vendor/a/");
        assert_eq!(common(&["/vendor/a/", "/vendor/ab/"]), "/vendor/");
        assert_eq!(common(&["/vendor/", "/other/"]), "/");
    }

    #[tokio::test]
    async fn a_policy_a_whole_listing_does_not_show_is_not_read() {
        let list = listing(&[("arn:aws:iam::111122223333:policy/Other", "v1")], false);
        let get = mock!(Client::get_policy).then_http_response(no_such_entity);
        let aws = mocks::aws(&[list, get.clone()]);
        let listing = aws.list_local_policies("/").await.unwrap();
        let found = aws.read_listed_policy(ARN, Some(&listing)).await.unwrap();
        assert_eq!(found, None);
        assert_eq!(get.num_calls(), 0);
        // A policy under another path than the listing's is read by its ARN.
        let elsewhere = "arn:aws:iam::111122223333:policy/elsewhere/P";
        let listing = Listing {
            path_prefix: "/vendor/".into(),
            ..listing
        };
        let found = aws.read_listed_policy(elsewhere, Some(&listing)).await;
        assert_eq!(found.unwrap(), None);
        assert_eq!(get.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_listing_with_more_pages_or_refused_leaves_each_policy_to_its_own_read() {
        let truncated = mocks::aws(&[listing(&[], true)]);
        assert_eq!(truncated.list_local_policies("/").await, None);
        let refused = mocks::aws(&[mock!(Client::list_policies).then_http_response(denied)]);
        assert_eq!(refused.list_local_policies("/").await, None);
        let get = mock!(Client::get_policy).then_http_response(no_such_entity);
        let aws = mocks::aws(std::slice::from_ref(&get));
        assert_eq!(aws.read_listed_policy(ARN, None).await.unwrap(), None);
        assert_eq!(get.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_listed_policy_is_read_with_its_listed_default_version_and_again_if_it_moved() {
        let list = listing(&[(ARN, "v1")], false);
        let rules = rules(vec![
            vec![list.clone()],
            mocks::policy(ARN, &owned_tags("read"), "v1", &document(), &[]),
        ]);
        let aws = mocks::aws(&rules);
        let listing = aws.list_local_policies("/").await.unwrap();
        let found = aws.read_listed_policy(ARN, Some(&listing)).await.unwrap();
        assert_eq!(found.unwrap().document, document());
        // The default moved to v2 after the listing: v2 is read.
        let rules = rules_moved();
        let aws = mocks::aws(&rules);
        let found = aws.read_listed_policy(ARN, Some(&listing)).await.unwrap();
        let found = found.unwrap();
        assert_eq!(found.default_version_id, "v2");
        assert_eq!(found.other_versions, vec!["v1".to_owned()]);
    }

    /// A policy whose default is v2, after a listing that showed v1.
    fn rules_moved() -> Vec<Rule> {
        let mut moved = mocks::policy(ARN, &owned_tags("read"), "v2", &document(), &["v1"]);
        let stale = mock!(Client::get_policy_version)
            .match_requests(|r| r.version_id() == Some("v1"))
            .then_http_response(no_such_entity);
        moved.insert(0, stale);
        moved
    }

    #[tokio::test]
    async fn deleting_a_policy_or_version_that_is_gone_is_done() {
        let delete = mock!(Client::delete_policy).then_http_response(no_such_entity);
        let aws = mocks::aws(&[delete]);
        let step = DeletePolicy {
            policy_arn: ARN.into(),
        };
        aws.execute(&Action::DeletePolicy(step)).await.unwrap();
        // A failed answer, and the version is no longer there: done; still there: the error.
        let step = Action::DeletePolicyVersion(DeletePolicyVersion {
            policy_arn: ARN.into(),
            version_id: "v1".into(),
        });
        let call = || mock!(Client::delete_policy_version).then_http_response(failure);
        let gone = mocks::aws(&rules(vec![
            vec![call()],
            mocks::policy(ARN, &owned_tags("read"), "v2", &document(), &[]),
        ]));
        gone.execute(&step).await.unwrap();
        let there = mocks::aws(&rules(vec![
            vec![call()],
            mocks::policy(ARN, &owned_tags("read"), "v2", &document(), &["v1"]),
        ]));
        assert!(there.execute(&step).await.is_err());
    }

    #[tokio::test]
    async fn a_new_version_another_run_made_already_is_done() {
        let step = Action::CreatePolicyVersion(CreatePolicyVersion {
            policy_arn: ARN.into(),
            document: document(),
            known_versions: vec!["v1".into(), "v2".into(), "v3".into(), "v4".into()],
        });
        let call = || mock!(Client::create_policy_version).then_http_response(limit_exceeded);
        // The default version holds the document (and no version beyond the known ones).
        let done = mocks::aws(&rules(vec![
            vec![call()],
            mocks::policy(
                ARN,
                &owned_tags("read"),
                "v5",
                &document(),
                &["v1", "v2", "v3", "v4"],
            ),
        ]));
        done.execute(&step).await.unwrap();
        let old = json!({"Version": "2012-10-17", "Statement": []});
        let full = mocks::aws(&rules(vec![
            vec![call()],
            mocks::policy(
                ARN,
                &owned_tags("read"),
                "v4",
                &old,
                &["v1", "v2", "v3", "v5"],
            ),
        ]));
        let err = full.execute(&step).await.unwrap_err();
        assert_eq!(err.aws_code(), Some("LimitExceeded"), "{err}");
    }

    #[tokio::test]
    async fn access_denied_is_refused() {
        let tag = mock!(Client::tag_policy).then_http_response(denied);
        let aws = mocks::aws(&[tag]);
        let step = Action::TagPolicy(TagPolicy {
            policy_arn: ARN.into(),
            tags: owned_tags("read"),
        });
        let err = aws.execute(&step).await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn tagging_waits_for_a_policy_the_run_created() {
        let tag = mock!(Client::tag_policy)
            .sequence()
            .http_response(no_such_entity)
            .output(|| TagPolicyOutput::builder().build())
            .build();
        let aws = mocks::aws(std::slice::from_ref(&tag));
        aws.propagation().exists(Entity::Policy(ARN.into()));
        let step = Action::TagPolicy(TagPolicy {
            policy_arn: ARN.into(),
            tags: owned_tags("read"),
        });
        aws.execute(&step).await.unwrap();
        assert_eq!(tag.num_calls(), 2);
        assert_eq!(aws.waits().count, 1);
    }
}
