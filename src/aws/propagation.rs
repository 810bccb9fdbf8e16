//! IAM is eventually consistent: a change is visible to some requests before others. This is the
//! one place that decides which answers mean "not propagated yet" and how long to wait for them.
//!
//! What a run knows is recorded here as it happens ([`Propagation::exists`],
//! [`Propagation::deleted`], [`Propagation::made_default`]): entities it created, read, listed or
//! was told exist (`EntityAlreadyExists`), entities it deleted, and policy versions it made the
//! default. An answer that contradicts what the run knows is not the truth yet:
//!
//! - `NoSuchEntity` naming an entity the run knows exists, from a read or from a write that uses
//!   it (attach, add to instance profile, tag, create access key or policy version, update trust);
//! - a read that shows an older default policy version than the one the run set;
//! - `MalformedPolicyDocument: Invalid principal` from `CreateRole`/`UpdateAssumeRolePolicy`
//!   (the principal was created moments ago; the Terraform AWS provider retries it too);
//! - `AccessDenied` from `sts:AssumeRole` when the trust evaluator says the caller is trusted
//!   (decided in `verification::assume`, waited for here).
//!
//! Everything else is final: `NoSuchEntity` for something the run never saw (a permissions
//! boundary or AWS managed policy that does not exist), and every `AccessDenied` on a write.
//!
//! All waits of a run share one deadline (`--propagation-timeout`, default 120 s, the Terraform
//! provider's figure). Between attempts the wait is a jittered backoff that starts at about
//! 0.2 s and is capped at 0.5 s, so a wait lasts about as long as the propagation itself.
//! Throttling and 5xx answers are not handled here: the SDK's standard retry does that.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::errors::{cause_chain, is_invalid_principal};
use crate::error::{Error, Result};
pub(crate) use crate::kinds::Entity;
use crate::plan::Action;
use crate::progress;

/// First pause between attempts; doubles up to [`MAX_PAUSE`], each pause drawn between half and
/// all of that. The cap is what a wait overshoots the propagation by, a quarter of a second on
/// average: one request every half second per waiting step is far below IAM's rate limits.
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_millis(500);

/// The default for `--propagation-timeout`: the Terraform AWS provider's `propagationTimeout`.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_mins(2);

/// Why an attempt is made again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotYet {
    /// `NoSuchEntity` for an entity the run knows exists.
    Missing(Entity),
    /// A read shows an older default version than the one the run set.
    StaleVersion(Entity),
    /// A trust policy's principal is not known to IAM yet.
    InvalidPrincipal,
    /// `sts:AssumeRole` denied although the trust policy lets the caller in.
    NotAssumable(String),
    /// A delete refused because something still uses the entity (`DeleteConflict`).
    StillInUse,
}

impl fmt::Display for NotYet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotYet::Missing(entity) => write!(f, "{entity}"),
            NotYet::StaleVersion(entity) => write!(f, "the new default version of {entity}"),
            NotYet::InvalidPrincipal => f.write_str("the trust policy's principal"),
            NotYet::NotAssumable(role) => write!(f, "role {role} to be assumable"),
            NotYet::StillInUse => f.write_str("the removals so far"),
        }
    }
}

/// What an attempt came to: done (well or not), or not propagated yet, with the answer that says
/// so (returned if the deadline passes first).
pub(crate) enum Attempt<T> {
    Done(Result<T>),
    NotYet(NotYet, Error),
}

/// How much a run waited for propagation: the `waits` object of `--output json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub(crate) struct Waits {
    /// Separate waits (one per thing waited for, however many attempts it took).
    pub count: u32,
    /// Seconds spent waiting, all waits added up (waits in parallel each count).
    pub seconds: f64,
}

#[derive(Debug, Default)]
struct Known {
    exists: HashSet<Entity>,
    deleted: HashSet<Entity>,
    /// Policy ARN → the version this run made the default.
    defaults: HashMap<String, String>,
}

/// A run's knowledge of what exists, its one deadline, and its waits.
#[derive(Debug)]
pub(crate) struct Propagation {
    deadline: Instant,
    timeout: Duration,
    known: Mutex<Known>,
    waits: Mutex<Waits>,
    /// xorshift64* state for the jitter; seeded by the caller so that tests are repeatable.
    jitter: Mutex<u64>,
}

impl Propagation {
    /// Waits end `timeout` after now.
    pub(crate) fn new(timeout: Duration, seed: u64) -> Self {
        Propagation {
            deadline: Instant::now() + timeout,
            timeout,
            known: Mutex::default(),
            waits: Mutex::default(),
            jitter: Mutex::new(seed | 1),
        }
    }

    /// The same deadline with nothing known: for another account's clients.
    pub(crate) fn for_another_account(&self) -> Self {
        let seed = self.next_random();
        Propagation {
            deadline: self.deadline,
            timeout: self.timeout,
            known: Mutex::default(),
            waits: Mutex::default(),
            jitter: Mutex::new(seed | 1),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The run created, read, listed or was told of `entity`.
    pub(crate) fn exists(&self, entity: Entity) {
        let mut known = self.known();
        known.deleted.remove(&entity);
        known.exists.insert(entity);
    }

    /// The run deleted `entity`.
    pub(crate) fn deleted(&self, entity: Entity) {
        let mut known = self.known();
        known.exists.remove(&entity);
        known.deleted.insert(entity);
    }

    /// Whether the run deleted `entity` (a listing that still shows it is stale).
    pub(crate) fn was_deleted(&self, entity: &Entity) -> bool {
        self.known().deleted.contains(entity)
    }

    /// The run made `version` the default version of policy `arn`.
    pub(crate) fn made_default(&self, arn: &str, version: &str) {
        self.known()
            .defaults
            .insert(arn.to_owned(), version.to_owned());
    }

    /// What a read that did not find `entity` means: not propagated yet when the run knows the
    /// entity exists, else that it does not exist.
    pub(crate) fn judge_missing(&self, entity: &Entity) -> Option<NotYet> {
        self.known()
            .exists
            .contains(entity)
            .then(|| NotYet::Missing(entity.clone()))
    }

    /// What a read of policy `arn` showing default version `seen` means: not propagated yet
    /// when the run made another version the default (versions only grow: v3 after v2).
    pub(crate) fn judge_default(&self, arn: &str, seen: &str) -> Option<NotYet> {
        let known = self.known();
        let made = known.defaults.get(arn)?;
        (version_number(seen) < version_number(made))
            .then(|| NotYet::StaleVersion(Entity::Policy(arn.to_owned())))
    }

    /// What an error answering `action` means: not propagated yet, or final (`None`).
    pub(crate) fn judge(&self, action: &Action, err: &Error) -> Option<NotYet> {
        match err.aws_code()? {
            "NoSuchEntity" if !action.is_removal() => {
                let known = self.known();
                action
                    .depends_on()
                    .into_iter()
                    .find(|e| known.exists.contains(e))
                    .map(NotYet::Missing)
            }
            "MalformedPolicyDocument"
                if action.writes_trust_policy() && is_invalid_principal(err) =>
            {
                Some(NotYet::InvalidPrincipal)
            }
            _ => None,
        }
    }

    /// Runs `attempt` until it is done, waiting between attempts while it is not propagated yet,
    /// up to the run's deadline; then the last answer is the error.
    pub(crate) async fn until<T, F, Fut>(&self, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let mut wait: Option<Wait> = None;
        loop {
            let (reason, err) = match attempt().await {
                Attempt::Done(result) => {
                    if let Some(wait) = wait {
                        self.ended(&wait);
                    }
                    return result;
                }
                Attempt::NotYet(reason, err) => (reason, err),
            };
            let wait = wait.get_or_insert_with(|| self.started(&reason, &err));
            let now = Instant::now();
            if now >= self.deadline {
                self.ended(wait);
                return Err(Error::NotPropagated {
                    what: reason.to_string(),
                    timeout: self.timeout.as_secs(),
                    source: Box::new(err),
                });
            }
            let pause = self.pause(wait.attempts).min(self.deadline - now);
            wait.attempts += 1;
            progress::waiting(&wait.label, Some(wait.since.elapsed()));
            tokio::time::sleep(pause).await;
        }
    }

    fn started(&self, reason: &NotYet, err: &Error) -> Wait {
        let label = format!("waiting for IAM to propagate {reason}");
        tracing::warn!("{label}: {}", cause_chain(err));
        let mut waits = self
            .waits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        waits.count += 1;
        Wait {
            label,
            since: Instant::now(),
            attempts: 0,
        }
    }

    fn ended(&self, wait: &Wait) {
        progress::waiting(&wait.label, None);
        let mut waits = self
            .waits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        waits.seconds += wait.since.elapsed().as_secs_f64();
    }

    /// The pause before attempt `attempt + 2`: between half and all of 0.2 s doubled `attempt`
    /// times, at most 0.5 s.
    fn pause(&self, attempt: u32) -> Duration {
        let base = FIRST_PAUSE
            .saturating_mul(1 << attempt.min(8))
            .min(MAX_PAUSE);
        // A fraction in [0.5, 1) from the top 53 bits of the draw.
        #[allow(clippy::cast_precision_loss)]
        let fraction = 0.5 + (self.next_random() >> 11) as f64 / (1u64 << 54) as f64;
        base.mul_f64(fraction)
    }

    fn next_random(&self) -> u64 {
        let mut state = self
            .jitter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// How much this run waited so far.
    pub(crate) fn waits(&self) -> Waits {
        let mut waits = *self
            .waits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        waits.seconds = (waits.seconds * 100.0).round() / 100.0;
        waits
    }
}

/// One wait in progress.
struct Wait {
    label: String,
    since: Instant,
    attempts: u32,
}

/// `v12` → 12; anything else → 0.
fn version_number(version: &str) -> u64 {
    version
        .strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn missing() -> Error {
        Error::aws("x", Some("NoSuchEntity"), "cannot be found".into())
    }

    fn attach() -> Action {
        Action::AttachRolePolicy(crate::plan::AttachRolePolicy {
            role: "R".into(),
            policy_arn: "arn:aws:iam::111122223333:policy/P".into(),
        })
    }

    #[test]
    fn no_such_entity_is_not_yet_only_for_an_entity_the_run_knows_exists() {
        let propagation = Propagation::new(DEFAULT_TIMEOUT, 1);
        assert_eq!(propagation.judge(&attach(), &missing()), None);
        propagation.exists(Entity::Role("R".into()));
        assert_eq!(
            propagation.judge(&attach(), &missing()),
            Some(NotYet::Missing(Entity::Role("R".into())))
        );
        // A removal that finds nothing is done, never waited for.
        let detach = Action::DetachRolePolicy(crate::plan::DetachRolePolicy {
            role: "R".into(),
            policy_arn: "arn:aws:iam::111122223333:policy/P".into(),
        });
        assert_eq!(propagation.judge(&detach, &missing()), None);
        // Refusals are final.
        let denied = Error::aws("x", Some("AccessDenied"), "no".into());
        assert_eq!(propagation.judge(&attach(), &denied), None);
        // What the run deleted is no longer expected.
        propagation.deleted(Entity::Role("R".into()));
        assert_eq!(propagation.judge(&attach(), &missing()), None);
        assert!(propagation.was_deleted(&Entity::Role("R".into())));
    }

    #[test]
    fn an_unknown_principal_is_not_yet_only_for_trust_policy_writes() {
        let propagation = Propagation::new(DEFAULT_TIMEOUT, 1);
        let invalid = Error::aws(
            "x",
            Some("MalformedPolicyDocument"),
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::1:user/u\"".into(),
        );
        let update = Action::UpdateAssumeRolePolicy(crate::plan::UpdateAssumeRolePolicy {
            role: "R".into(),
            document: serde_json::json!({}),
        });
        assert_eq!(
            propagation.judge(&update, &invalid),
            Some(NotYet::InvalidPrincipal)
        );
        assert_eq!(propagation.judge(&attach(), &invalid), None);
        let syntax = Error::aws("x", Some("MalformedPolicyDocument"), "Syntax errors".into());
        assert_eq!(propagation.judge(&update, &syntax), None);
    }

    #[test]
    fn an_older_default_version_than_the_runs_is_stale() {
        let propagation = Propagation::new(DEFAULT_TIMEOUT, 1);
        let arn = "arn:aws:iam::1:policy/P";
        assert_eq!(propagation.judge_default(arn, "v2"), None);
        propagation.made_default(arn, "v10");
        assert!(propagation.judge_default(arn, "v9").is_some());
        assert_eq!(propagation.judge_default(arn, "v10"), None);
        assert_eq!(propagation.judge_default(arn, "v11"), None);
    }

    #[test]
    fn pauses_start_small_and_stay_short() {
        let propagation = Propagation::new(DEFAULT_TIMEOUT, 42);
        for attempt in 0..20 {
            let base = FIRST_PAUSE
                .saturating_mul(1 << attempt.min(8))
                .min(MAX_PAUSE);
            let pause = propagation.pause(attempt);
            assert!(pause >= base / 2 && pause <= base, "{attempt}: {pause:?}");
        }
        assert!(propagation.pause(0) <= Duration::from_millis(200));
        assert!(propagation.pause(30) <= MAX_PAUSE);
    }

    #[tokio::test(start_paused = true)]
    async fn every_wait_of_a_run_shares_one_deadline() {
        let propagation = Propagation::new(Duration::from_secs(10), 3);
        let start = Instant::now();
        let attempts = AtomicU32::new(0);
        let not_yet = || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            Attempt::<()>::NotYet(NotYet::Missing(Entity::Role("R".into())), missing())
        };
        let first = propagation.until(not_yet).await.unwrap_err();
        assert!(matches!(first, Error::NotPropagated { .. }), "{first}");
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        // The deadline has passed: a second wait gives up after one attempt.
        let before = attempts.load(Ordering::SeqCst);
        propagation.until(not_yet).await.unwrap_err();
        assert_eq!(attempts.load(Ordering::SeqCst), before + 1);
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        let waits = propagation.waits();
        assert_eq!(waits.count, 2);
        assert!((waits.seconds - 10.0).abs() < 0.01, "{waits:?}");
    }

    #[test]
    fn every_step_that_uses_an_entity_names_it() {
        let role = |name: &str| Entity::Role(name.into());
        assert_eq!(
            attach().depends_on(),
            [
                role("R"),
                Entity::Policy("arn:aws:iam::111122223333:policy/P".into())
            ]
        );
        assert_eq!(
            Action::CreateAccessKey(crate::plan::CreateAccessKey { user: "U".into() }).depends_on(),
            [Entity::User("U".into())]
        );
        assert_eq!(
            Action::DeleteRole(crate::plan::DeleteRole { role: "R".into() }).outcome(),
            Some((role("R"), false))
        );
    }
}
