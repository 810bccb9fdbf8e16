//! Executing one plan step: its kind's write call ([`crate::kinds`]), converged as
//! [`super::converge`] says, and waited for while IAM has not propagated what it needs.

use super::Aws;
use super::errors::refusal;
use super::propagation::{Attempt, NotYet};
use crate::error::{Error, Result};
use crate::handoff::NewAccessKey;
use crate::kinds::{Entity, Step as _};
use crate::plan::{Action, dispatch};

impl Aws {
    /// Makes the write call `action` stands for, converging as [`super::converge`] says; a new
    /// access key comes back (and only there) for the caller to hand over.
    pub(crate) async fn execute(&self, action: &Action) -> Result<Option<NewAccessKey>> {
        let result = self
            .propagation
            .until(|| async {
                let result = dispatch!(action, step => step.run(self).await);
                let Err(err) = result else {
                    return Attempt::Done(result);
                };
                match self.not_yet(action, &err).await {
                    Ok(Some(reason)) => Attempt::NotYet(reason, err),
                    Ok(None) => Attempt::Done(Err(err)),
                    Err(read) => Attempt::Done(Err(read)),
                }
            })
            .await;
        match result {
            Ok(key) => {
                if let Some((entity, created)) = action.outcome() {
                    if created {
                        self.propagation.exists(entity);
                    } else {
                        self.propagation.deleted(entity);
                    }
                }
                tracing::info!("{}", action.done());
                Ok(key)
            }
            Err(err) => Err(refusal(action, err)),
        }
    }

    /// Whether `err`, the answer to `action`, means IAM has not propagated yet. A `NoSuchEntity`
    /// that may be about a policy the run knows nothing of (an AWS managed policy, a boundary)
    /// is final when that policy does not exist.
    async fn not_yet(&self, action: &Action, err: &Error) -> Result<Option<NotYet>> {
        let Some(reason) = self.propagation.judge(action, err) else {
            return Ok(None);
        };
        if let NotYet::Missing(_) = reason {
            for dependency in action.depends_on() {
                if let Entity::Policy(arn) = &dependency
                    && self.propagation.judge_missing(&dependency).is_none()
                {
                    if !self.policy_exists(arn).await? {
                        return Ok(None);
                    }
                    self.propagation.exists(dependency);
                }
            }
        }
        Ok(Some(reason))
    }
}
