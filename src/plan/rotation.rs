//! The key rotation plan, in two parts so that the old key goes only after the new one is
//! handed over: first make room (IAM allows two keys) and create the new key; then deactivate
//! and delete the old ones and their records.

use super::{Action, Plan};
use crate::error::{Error, Result, Usage};
use crate::handoff::record::{KeyState, Reconciled, record_tag};
use crate::state::AccessKeyInfo;

/// The two parts of a rotation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rotation {
    /// An inactive key deleted to make room, then the new key.
    pub(crate) create: Plan,
    /// Run once the new key is handed over: each old key deactivated, then deleted.
    pub(crate) retire: Plan,
}

/// Replaces `user`'s access keys (oldest first, with what the record says of each) by one new
/// key. With two keys already, an inactive one is deleted first to make room; two active keys
/// are refused, naming each and whether it was handed over.
pub(crate) fn plan_rotation(user: &str, keys: &[(AccessKeyInfo, KeyState)]) -> Result<Rotation> {
    let mut create = Plan::default();
    let mut old: Vec<&AccessKeyInfo> = keys.iter().map(|(k, _)| k).collect();
    let mut before_create = Vec::new();
    if old.len() >= 2 {
        let Some(index) = old.iter().position(|k| !k.active) else {
            let named: Vec<String> = keys
                .iter()
                .map(|(k, state)| format!("{} ({state})", k.id))
                .collect();
            return Err(Error::from(Usage::TwoActiveKeys {
                user: user.to_owned(),
                keys: named,
            }));
        };
        let inactive = old.remove(index);
        let delete = Action::DeleteAccessKey(super::DeleteAccessKey {
            user: user.to_owned(),
            key_id: inactive.id.clone(),
        });
        before_create.push(create.push(delete, vec![]));
    }
    create.push(
        Action::CreateAccessKey(super::CreateAccessKey {
            user: user.to_owned(),
        }),
        before_create,
    );
    Ok(Rotation {
        create,
        retire: plan_retire(user, &old),
    })
}

/// Deactivates and deletes `old` keys of `user`, then removes their records.
pub(crate) fn plan_retire(user: &str, old: &[&AccessKeyInfo]) -> Plan {
    let mut retire = Plan::default();
    let mut deleted = Vec::new();
    for key in old {
        let after = if key.active {
            let deactivate = Action::DeactivateAccessKey(super::DeactivateAccessKey {
                user: user.to_owned(),
                key_id: key.id.clone(),
            });
            vec![retire.push(deactivate, vec![])]
        } else {
            vec![]
        };
        let delete = Action::DeleteAccessKey(super::DeleteAccessKey {
            user: user.to_owned(),
            key_id: key.id.clone(),
        });
        deleted.push(retire.push(delete, after));
    }
    if !old.is_empty() {
        let untag = Action::UntagUser(super::UntagUser {
            user: user.to_owned(),
            keys: old.iter().map(|k| record_tag(&k.id)).collect(),
        });
        retire.push(untag, deleted);
    }
    retire
}

/// Adds the steps that delete the keys onboard created and never handed over, and remove their
/// record's stale tags (after the deletions); returns the deletion steps, which a new key waits
/// for (IAM allows two keys).
pub(crate) fn push_key_cleanup(plan: &mut Plan, user: &str, reconciled: &Reconciled) -> Vec<usize> {
    let deleted: Vec<usize> = reconciled
        .delete
        .iter()
        .map(|id| {
            let delete = Action::DeleteAccessKey(super::DeleteAccessKey {
                user: user.to_owned(),
                key_id: id.clone(),
            });
            plan.push(delete, vec![])
        })
        .collect();
    let mut untag = reconciled.untag.clone();
    // The records of the keys deleted here go with them.
    untag.extend(reconciled.delete.iter().map(|id| record_tag(id)));
    untag.sort();
    untag.dedup();
    if !untag.is_empty() {
        let untag = Action::UntagUser(super::UntagUser {
            user: user.to_owned(),
            keys: untag,
        });
        plan.push(untag, deleted.clone());
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::described;

    fn key(id: &str, active: bool) -> (AccessKeyInfo, KeyState) {
        let info = AccessKeyInfo {
            id: id.into(),
            active,
            created: 0,
        };
        (info, KeyState::HandedOver("2026-12-01T23:00:00Z".into()))
    }

    #[test]
    fn the_new_key_comes_first_then_the_old_is_deactivated_and_deleted() {
        let rotation = plan_rotation("u", &[key("OLD", true)]).unwrap();
        assert_eq!(
            described(&rotation.create),
            [("create access key for user u".to_owned(), vec![])]
        );
        assert_eq!(
            described(&rotation.retire),
            [
                ("deactivate access key OLD of user u".to_owned(), vec![]),
                ("delete access key OLD of user u".to_owned(), vec![0]),
                ("untag user u: onboard:key:OLD".to_owned(), vec![1]),
            ]
        );
    }

    #[test]
    fn with_two_keys_an_inactive_one_makes_room_and_two_active_ones_are_refused() {
        let rotation = plan_rotation("u", &[key("A", true), key("B", false)]).unwrap();
        assert_eq!(
            described(&rotation.create),
            [
                ("delete access key B of user u".to_owned(), vec![]),
                ("create access key for user u".to_owned(), vec![0]),
            ]
        );
        assert_eq!(rotation.retire.steps.len(), 3);
        let (foreign, _) = key("B", true);
        let err = plan_rotation("u", &[key("A", true), (foreign, KeyState::Foreign)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "already has two active access keys (A (handed over at 2026-12-01T23:00:00Z), \
                 B (not created by onboard))"
            ),
            "{err}"
        );
        let rotation = plan_rotation("u", &[]).unwrap();
        assert_eq!(rotation.retire.steps.len(), 0);
    }
}
