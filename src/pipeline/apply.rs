//! The execute and verify stages of apply, run together: `sts:AssumeRole` on each role starts as
//! soon as the steps that create it or write its trust policy are done (at once for a role whose
//! trust the plan leaves alone), beside the attachments and everything else still running; the
//! catalog comparison then uses what this run read and wrote ([`Written`]) and reads back only
//! what a write left unknown.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use anyhow::Context;
use futures_util::future::{join_all, try_join_all};
use tokio::sync::watch;

use super::execute::execute_plan_then;
use super::prepare::{EarlyAssume, Prepared};
use crate::aws::Waits;
use crate::handoff::{Handoff, KeyReport};
use crate::plan::{Action, Plan};
use crate::state::Desired;
use crate::verification::{
    Assume, AssumeSettings, Expected, Known, Verification, Written, assume_checks, verify_role,
    verify_user,
};

/// What apply did in one account, for the command's output.
pub(crate) struct Applied {
    pub(crate) desired: Desired,
    pub(crate) plan: Plan,
    /// The write calls made, in the order they completed.
    pub(crate) changes: Vec<String>,
    pub(crate) access_keys: Vec<KeyReport>,
    /// Empty with `--no-verify`.
    pub(crate) verifications: Vec<Verification>,
    /// Whether the external ID was generated in this run.
    pub(crate) generated: bool,
    pub(crate) waits: Waits,
}

/// The role whose trust policy `action` writes (creating the role writes it too).
fn writes_trust_of(action: &Action) -> Option<&str> {
    if let Action::CreateRole(role) = action {
        return Some(&role.name);
    }
    if let Action::UpdateAssumeRolePolicy(crate::plan::UpdateAssumeRolePolicy { role, .. }) = action
    {
        return Some(role);
    }
    None
}

/// Executes the plan and, unless `verify` is `None` (`--no-verify`), verifies every role and user.
pub(crate) async fn apply(
    prepared: Prepared,
    verify: Option<&AssumeSettings>,
    handoff: &Handoff,
) -> anyhow::Result<Applied> {
    let Prepared {
        aws,
        caller,
        desired,
        observed,
        plan,
        generated,
        early,
    } = prepared;
    if plan.creates_access_key() {
        let user = desired
            .users
            .iter()
            .find(|u| u.access_key)
            .map_or("", |u| &u.name);
        handoff.require(user)?;
    }
    let written = Written::after(&observed, &plan);
    let settings = verify.map(|s| AssumeSettings {
        external_id: desired.external_id.clone(),
        ..s.clone()
    });

    // Each role is ready for sts:AssumeRole once no step writing its trust policy is left.
    let mut pending: BTreeMap<&str, usize> = BTreeMap::new();
    for step in &plan.steps {
        if let Some(role) = writes_trust_of(&step.action) {
            *pending.entry(role).or_default() += 1;
        }
    }
    let ready: BTreeSet<String> = desired
        .roles
        .iter()
        .filter(|r| !pending.contains_key(r.name.as_str()))
        .map(|r| r.name.clone())
        .collect();
    let (changes, access_keys, verifications) = {
        // An sts:AssumeRole made beside the reads serves a role that existed and keeps its trust.
        let mut early: BTreeMap<String, EarlyAssume> =
            early.into_iter().map(|e| (e.arn.clone(), e)).collect();
        let early: Vec<Option<EarlyAssume>> = desired
            .roles
            .iter()
            .map(|role| {
                let existed = matches!(observed.roles.get(&role.name), Some(Some(_)));
                let first = early.remove(&role.arn);
                first.filter(|_| existed && ready.contains(&role.name))
            })
            .collect();
        let (ready_tx, ready_rx) = watch::channel(ready);
        let pending = Mutex::new(pending);
        let done = move |action: &Action| {
            let Some(role) = writes_trust_of(action) else {
                return;
            };
            let mut pending = pending.lock().expect("not poisoned");
            if let Some(left) = pending.get_mut(role) {
                *left -= 1;
                if *left == 0 {
                    ready_tx.send_modify(|ready| {
                        ready.insert(role.to_owned());
                    });
                }
            }
        };
        let execution = execute_plan_then(&aws, &plan, handoff, &done);
        let (aws_ref, caller_ref, written_ref) = (&aws, &caller, &written);
        let assumes = join_all(desired.roles.iter().zip(early).map(|(role, early)| {
            let mut ready = ready_rx.clone();
            let settings = settings.as_ref();
            async move {
                let settings = settings?;
                // Every role is ready once the execution succeeds; a failed execution drops
                // this future (below).
                ready.wait_for(|r| r.contains(&role.name)).await.ok()?;
                // A role that must be read back first is assumed after the execution.
                let Known::Is(Some(found)) = written_ref.role(&role.name) else {
                    return None;
                };
                let first = match early {
                    Some(early) => {
                        early
                            .answer(&role.arn, settings.external_id.as_deref())
                            .await
                    }
                    None => None,
                };
                Some(assume_checks(aws_ref, found, caller_ref, settings, first).await)
            }
        }));
        drop(ready_rx);

        // A failed execution ends the run at once: the assume attempts still running are dropped.
        let mut execution = std::pin::pin!(execution);
        let mut assumes = std::pin::pin!(assumes);
        let mut early = None;
        let executed = loop {
            tokio::select! {
                executed = &mut execution => break executed,
                results = &mut assumes, if early.is_none() => early = Some(results),
            }
        };
        let changes = executed
            .into_result()
            .with_context(|| format!("applying {} {}", desired.vendor, desired.integration))?;
        let mut access_keys = handoff.delivered();
        access_keys.extend(handoff.for_stdout());

        let mut verifications = Vec::new();
        if let Some(settings) = &settings {
            let early = match early {
                Some(results) => results,
                None => assumes.await,
            };
            let expected = Expected::Applied(&desired, &written);
            let handing_over: Vec<String> = handoff
                .for_stdout()
                .into_iter()
                .map(|k| k.access_key_id)
                .collect();
            let (expected, handing_over) = (&expected, &handing_over);
            let roles = try_join_all(desired.roles.iter().zip(early).map(|(role, early)| {
                let assume = match early {
                    Some((checks, assumed_arn)) => Assume::Done(checks, assumed_arn),
                    None => Assume::Now(settings),
                };
                verify_role(aws_ref, &role.name, &role.arn, caller_ref, expected, assume)
            }));
            let users =
                try_join_all(desired.users.iter().map(|user| {
                    verify_user(aws_ref, &user.name, &user.arn, expected, handing_over)
                }));
            let (roles, users) = tokio::try_join!(roles, users)?;
            verifications.extend(roles.into_iter().chain(users));
        }
        (changes, access_keys, verifications)
    };
    Ok(Applied {
        waits: aws.waits(),
        desired,
        plan,
        changes,
        access_keys,
        verifications,
        generated,
    })
}
