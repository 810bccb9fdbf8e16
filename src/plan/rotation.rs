//! The key rotation plan: the new key first, then the old one deactivated and deleted, within
//! IAM's limit of two access keys per user.

use super::{Action, Plan};
use crate::error::{Error, Result};
use crate::state::AccessKeyInfo;

/// Steps that replace `user`'s access keys (oldest first) by one new key. With two keys already,
/// an inactive one is deleted first to make room; two active keys are refused.
pub fn plan_rotation(user: &str, keys: &[AccessKeyInfo]) -> Result<Plan> {
    let mut plan = Plan::default();
    let mut old: Vec<&AccessKeyInfo> = keys.iter().collect();
    let mut before_create = Vec::new();
    if old.len() >= 2 {
        let Some(index) = old.iter().position(|k| !k.active) else {
            let ids: Vec<&str> = old.iter().map(|k| k.id.as_str()).collect();
            return Err(Error::Usage(format!(
                "user {user} already has two active access keys ({}), IAM's limit: delete the one no longer in use \
                 (aws iam delete-access-key) and run rotate-key again",
                ids.join(", ")
            )));
        };
        let inactive = old.remove(index);
        let delete = Action::DeleteAccessKey {
            user: user.to_owned(),
            key_id: inactive.id.clone(),
        };
        before_create.push(plan.push(delete, vec![]));
    }
    let create = plan.push(
        Action::CreateAccessKey {
            user: user.to_owned(),
        },
        before_create,
    );
    for key in old {
        let after = if key.active {
            let deactivate = Action::DeactivateAccessKey {
                user: user.to_owned(),
                key_id: key.id.clone(),
            };
            plan.push(deactivate, vec![create])
        } else {
            create
        };
        let delete = Action::DeleteAccessKey {
            user: user.to_owned(),
            key_id: key.id.clone(),
        };
        plan.push(delete, vec![after]);
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::described;

    fn key(id: &str, active: bool) -> AccessKeyInfo {
        AccessKeyInfo {
            id: id.into(),
            active,
            created: 0,
        }
    }

    #[test]
    fn the_new_key_comes_first_then_the_old_is_deactivated_and_deleted() {
        let plan = plan_rotation("u", &[key("OLD", true)]).unwrap();
        assert_eq!(
            described(&plan),
            [
                ("create access key for user u".to_owned(), vec![]),
                ("deactivate access key OLD of user u".to_owned(), vec![0]),
                ("delete access key OLD of user u".to_owned(), vec![1]),
            ]
        );
    }

    #[test]
    fn with_two_keys_an_inactive_one_makes_room_and_two_active_ones_are_refused() {
        let plan = plan_rotation("u", &[key("A", true), key("B", false)]).unwrap();
        assert_eq!(
            described(&plan),
            [
                ("delete access key B of user u".to_owned(), vec![]),
                ("create access key for user u".to_owned(), vec![0]),
                ("deactivate access key A of user u".to_owned(), vec![1]),
                ("delete access key A of user u".to_owned(), vec![2]),
            ]
        );
        let err = plan_rotation("u", &[key("A", true), key("B", true)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("already has two active access keys (A, B)"),
            "{err}"
        );
        let plan = plan_rotation("u", &[]).unwrap();
        assert_eq!(
            described(&plan),
            [("create access key for user u".to_owned(), vec![])]
        );
    }
}
