//! The record, kept in AWS as tags on the user, that tells a key onboard handed over from one it
//! created but never delivered, so that any later run, on any machine, can act on it:
//!
//! - `onboard:key-pending:RUN` = `UNIX_TIME ID ID`, written just before a run creates a key:
//!   the time, and the ids of the keys the user had then. A key that is not among them and not
//!   recorded as handed over was created by that run;
//! - `onboard:key:ID` = the time (`2026-12-01T23:00:00Z`) key `ID` was handed over, written
//!   right after the secret reached its 0600 file (synced) or stdout (flushed); the run's pending
//!   tag is removed with it.
//!
//! A key created by a run that did not record it (killed, interrupted, the file or stdout failed)
//! is not handed over; once its run's pending tag is older than the grace (the longest a hand-over
//! takes), any run deletes it. Keys made outside onboard (no pending tag was there before them)
//! are left alone.

use std::fmt;

use crate::state::{AccessKeyInfo, Tags};

/// Prefix of the tag recording a handed-over key: `onboard:key:ID`.
pub(crate) const RECORD_TAG_PREFIX: &str = "onboard:key:";
/// Prefix of the tag a run writes before creating a key: `onboard:key-pending:RUN`.
pub(crate) const PENDING_TAG_PREFIX: &str = "onboard:key-pending:";

/// The tag key recording `key_id` as handed over.
pub(crate) fn record_tag(key_id: &str) -> String {
    format!("{RECORD_TAG_PREFIX}{key_id}")
}

/// The pending tag of run `run`, and its value: `now` and the ids of the keys there before.
pub(crate) fn pending_tag(run: &str, now: i64, before: &[String]) -> (String, String) {
    let mut value = now.to_string();
    for id in before {
        value.push(' ');
        value.push_str(id);
    }
    (format!("{PENDING_TAG_PREFIX}{run}"), value)
}

/// A run's pending tag, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    tag: String,
    time: i64,
    before: Vec<String>,
}

fn pendings(tags: &Tags) -> Vec<Pending> {
    tags.iter()
        .filter(|(k, _)| k.starts_with(PENDING_TAG_PREFIX))
        .map(|(k, v)| {
            let mut words = v.split(' ');
            let time = words.next().and_then(|t| t.parse().ok()).unwrap_or(0);
            Pending {
                tag: k.clone(),
                time,
                before: words.map(str::to_owned).collect(),
            }
        })
        .collect()
}

/// What a key of the user is, by the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyState {
    /// Recorded as handed over, at this time.
    HandedOver(String),
    /// Created by onboard, never handed over, and its run is over: to be deleted.
    NotHandedOver,
    /// Created by a run that may still be handing it over, until this time.
    InFlight(i64),
    /// Made outside onboard (no run was creating a key before it): left alone.
    Foreign,
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyState::HandedOver(at) => write!(f, "handed over at {at}"),
            KeyState::NotHandedOver => f.write_str("never handed over"),
            KeyState::InFlight(_) => f.write_str("being handed over by another onboard run"),
            KeyState::Foreign => f.write_str("not created by onboard"),
        }
    }
}

/// What the record says about each key of a user, and what a run must do about it first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Reconciled {
    /// Each key, oldest first, with its state.
    pub keys: Vec<(AccessKeyInfo, KeyState)>,
    /// Keys created by onboard and never handed over: delete them.
    pub delete: Vec<String>,
    /// Tags to remove: pending tags of runs that are over, records of keys that are gone.
    pub untag: Vec<String>,
    /// When another run may still be handing a key over: wait until then and read again.
    pub wait_until: Option<i64>,
}

impl Reconciled {
    /// Whether the user holds a key it can use: handed over, or made outside onboard.
    pub(crate) fn has_usable_key(&self) -> bool {
        self.keys
            .iter()
            .any(|(_, s)| matches!(s, KeyState::HandedOver(_) | KeyState::Foreign))
    }

    /// The keys recorded as handed over, oldest hand-over first.
    pub(crate) fn handed_over(&self) -> Vec<(&AccessKeyInfo, &str)> {
        let mut keys: Vec<(&AccessKeyInfo, &str)> = self
            .keys
            .iter()
            .filter_map(|(k, s)| match s {
                KeyState::HandedOver(at) => Some((k, at.as_str())),
                KeyState::NotHandedOver | KeyState::InFlight(_) | KeyState::Foreign => None,
            })
            .collect();
        keys.sort_by(|a, b| (a.1, a.0.created).cmp(&(b.1, b.0.created)));
        keys
    }
}

/// Reads the record on a user's `tags` against its `keys` at time `now`; a run's pending tag
/// younger than `grace` seconds may belong to a run still handing its key over.
pub(crate) fn reconcile(tags: &Tags, keys: &[AccessKeyInfo], now: i64, grace: i64) -> Reconciled {
    let pendings = pendings(tags);
    let mut reconciled = Reconciled::default();
    for pending in &pendings {
        if pending.time + grace > now {
            let until = pending.time + grace;
            reconciled.wait_until = Some(reconciled.wait_until.map_or(until, |w| w.max(until)));
        } else {
            reconciled.untag.push(pending.tag.clone());
        }
    }
    for key in keys {
        let state = if let Some(at) = tags.get(&record_tag(&key.id)) {
            KeyState::HandedOver(at.clone())
        } else {
            let creators: Vec<&Pending> = pendings
                .iter()
                .filter(|p| !p.before.contains(&key.id))
                .collect();
            match creators.iter().map(|p| p.time + grace).max() {
                None => KeyState::Foreign,
                Some(until) if until > now => KeyState::InFlight(until),
                Some(_) => KeyState::NotHandedOver,
            }
        };
        if state == KeyState::NotHandedOver {
            reconciled.delete.push(key.id.clone());
        }
        reconciled.keys.push((key.clone(), state));
    }
    // Records of keys that no longer exist.
    reconciled.untag.extend(
        tags.keys()
            .filter(|k| {
                k.strip_prefix(RECORD_TAG_PREFIX)
                    .is_some_and(|id| !keys.iter().any(|key| key.id == id))
            })
            .cloned(),
    );
    reconciled
}

/// `secs` since the epoch as ISO 8601 in UTC, as IAM writes times.
pub(crate) fn iso_time(secs: i64) -> String {
    aws_sdk_iam::primitives::DateTime::from_secs(secs)
        .fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, created: i64) -> AccessKeyInfo {
        AccessKeyInfo {
            id: id.into(),
            active: true,
            created,
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn keys_are_handed_over_not_handed_over_in_flight_or_foreign() {
        let keys = [key("OLD", 10), key("LOST", 200), key("HAND", 5)];
        let (pending, value) = pending_tag("run1", 100, &["OLD".into(), "HAND".into()]);
        assert_eq!(value, "100 OLD HAND");
        let record = record_tag("OLD");
        let found = tags(&[
            (&record, "2026-12-01T23:00:00Z"),
            (&pending, &value),
            ("onboard:key:GONE", "2026-11-01T00:00:00Z"),
        ]);
        // Long after the run: the key it created and never recorded is deleted.
        let done = reconcile(&found, &keys, 1000, 120);
        assert_eq!(
            done.keys.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
            [
                KeyState::HandedOver("2026-12-01T23:00:00Z".into()),
                KeyState::NotHandedOver,
                KeyState::Foreign,
            ]
        );
        assert_eq!(done.delete, ["LOST"]);
        assert_eq!(done.untag, [pending.clone(), "onboard:key:GONE".into()]);
        assert_eq!(done.wait_until, None);
        assert!(done.has_usable_key());
        assert_eq!(done.handed_over()[0].0.id, "OLD");

        // While its run may still be handing it over: wait, delete nothing.
        let early = reconcile(&found, &keys, 150, 120);
        assert_eq!(early.keys[1].1, KeyState::InFlight(220));
        assert_eq!(early.delete, Vec::<String>::new());
        assert_eq!(early.wait_until, Some(220));
        assert_eq!(early.untag, ["onboard:key:GONE"]);

        // Nothing pending, everything recorded: nothing to do.
        let clean = tags(&[(&record, "2026-12-01T23:00:00Z")]);
        let none = reconcile(&clean, &keys[..1], 1000, 120);
        assert_eq!(none.delete.len() + none.untag.len(), 0);
        assert_eq!(none.wait_until, None);
    }

    #[test]
    fn times_are_iso_8601_in_utc() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(1_764_630_000), "2025-12-01T23:00:00Z");
    }
}
