use serde_json::json;

use super::*;
use crate::catalog::{RenderContext, load_builtin, render};
use crate::error::Error;
use crate::kinds::Kind;
use crate::kinds::managed_policy::Holder;
use crate::state::{
    Desired, Observed, ObservedPolicy, ObservedRole, ObservedUser, RESOURCE_TAG, Tag, Tags,
    VENDOR_TAG,
};

fn desired() -> Desired {
    let catalog = load_builtin("streamkap").unwrap();
    let selected = catalog.select(&[], false).unwrap();
    let ctx = RenderContext::new("123456789012", "aws", "us-east-1");
    render(&catalog, &selected, &ctx).unwrap()
}

fn tags(list: &[Tag]) -> Tags {
    list.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// What AWS would hold after a complete apply of `desired`.
fn applied(desired: &Desired) -> Observed {
    let mut observed = Observed::default();
    for p in &desired.policies {
        let policy = ObservedPolicy {
            arn: p.arn.clone(),
            tags: tags(&p.tags),
            default_version_id: "v1".into(),
            document: p.document.clone(),
            other_versions: vec![],
        };
        observed.policies.insert(p.arn.clone(), Some(policy));
    }
    for r in &desired.roles {
        let role = ObservedRole {
            name: r.name.clone(),
            arn: r.arn.clone(),
            tags: tags(&r.tags),
            trust: r.trust.clone(),
            attached: r.policy_arns.clone(),
            instance_profiles: vec![],
            max_session_duration: r.max_session_duration,
            permissions_boundary: r.permissions_boundary.clone(),
            inline_policies: r
                .inline_policies
                .iter()
                .map(|p| (p.name.clone(), p.document.clone()))
                .collect(),
        };
        observed.roles.insert(r.name.clone(), Some(role));
    }
    observed
}

#[test]
fn from_nothing_creates_everything_and_attaches_after_both_creates() {
    let plan = plan_apply(&desired(), &Observed::default(), ApplyOptions::default()).unwrap();
    assert_eq!(
        described(&plan),
        [
            ("create policy StreamkapProvisionAccess".to_owned(), vec![]),
            (
                "create policy StreamkapDeprovisionAccess".to_owned(),
                vec![]
            ),
            ("create role StreamkapInstallAccess".to_owned(), vec![]),
            (
                "attach policy StreamkapProvisionAccess to role StreamkapInstallAccess".to_owned(),
                vec![2, 0]
            ),
            (
                "attach policy StreamkapDeprovisionAccess to role StreamkapInstallAccess"
                    .to_owned(),
                vec![2, 1]
            ),
        ]
    );
    assert!(plan.present.is_empty() && plan.drift.is_empty());
}

#[test]
fn a_complete_install_plans_nothing() {
    let desired = desired();
    let plan = plan_apply(&desired, &applied(&desired), ApplyOptions::default()).unwrap();
    assert!(plan.steps.is_empty());
    assert_eq!(plan.present.len(), 3);
    assert!(plan.drift.is_empty());
}

#[test]
fn a_missing_attachment_is_attached_without_waiting_for_anything() {
    let desired = desired();
    let mut observed = applied(&desired);
    let role = observed
        .roles
        .values_mut()
        .next()
        .unwrap()
        .as_mut()
        .unwrap();
    role.attached.remove(1);
    let plan = plan_apply(&desired, &observed, ApplyOptions::default()).unwrap();
    assert_eq!(
        described(&plan),
        [(
            "attach policy StreamkapDeprovisionAccess to role StreamkapInstallAccess".to_owned(),
            vec![]
        )]
    );
}

#[test]
fn resources_without_onboards_tags_or_of_another_vendor_are_refused() {
    let desired = desired();
    let mut observed = applied(&desired);
    observed
        .roles
        .values_mut()
        .next()
        .unwrap()
        .as_mut()
        .unwrap()
        .tags
        .clear();
    let err = plan_apply(&desired, &observed, ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotOwned {
                kind: crate::kinds::Kind::Role,
                ..
            }
        ),
        "{err}"
    );

    let mut observed = applied(&desired);
    let policy = observed
        .policies
        .values_mut()
        .next()
        .unwrap()
        .as_mut()
        .unwrap();
    policy.tags.insert(VENDOR_TAG.into(), "other".into());
    let err = plan_apply(&desired, &observed, ApplyOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("was created by onboard for vendor other, not streamkap"),
        "{err}"
    );
}

#[test]
fn drift_is_repaired_and_documents_equal_in_canonical_form_are_left() {
    let desired = desired();
    let mut observed = applied(&desired);
    // The same trust, written differently: a one-element list and reordered keys.
    let role = observed
        .roles
        .values_mut()
        .next()
        .unwrap()
        .as_mut()
        .unwrap();
    role.trust = json!({"Statement": [{"Action": ["sts:AssumeRole"], "Sid": "", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::300973880807:role/installer-delegation"]}}],
        "Version": "2012-10-17"});
    role.max_session_duration = 7200;
    role.tags.remove(RESOURCE_TAG);
    let arn = desired.policies[0].arn.clone();
    let policy = observed.policies.get_mut(&arn).unwrap().as_mut().unwrap();
    policy.document["Statement"][0]["Action"]
        .as_array_mut()
        .unwrap()
        .pop();
    policy.other_versions = vec!["v1".into(), "v2".into(), "v3".into(), "v4".into()];
    let plan = plan_apply(&desired, &observed, ApplyOptions::default()).unwrap();
    assert_eq!(
        described(&plan),
        [
            (
                "delete version v1 of policy StreamkapProvisionAccess".to_owned(),
                vec![]
            ),
            (
                "update policy StreamkapProvisionAccess with a new default version".to_owned(),
                vec![0]
            ),
            (
                "tag role StreamkapInstallAccess with onboard:resource=StreamkapInstallAccess"
                    .to_owned(),
                vec![]
            ),
            (
                "update maximum session duration of role StreamkapInstallAccess to 3600 seconds"
                    .to_owned(),
                vec![]
            ),
        ]
    );
    assert!(plan.drift.is_empty());
}

#[test]
fn extra_attachments_are_reported_or_detached_with_exclusive() {
    let desired = desired();
    let mut observed = applied(&desired);
    let extra = "arn:aws:iam::aws:policy/AdministratorAccess".to_owned();
    let role = observed
        .roles
        .values_mut()
        .next()
        .unwrap()
        .as_mut()
        .unwrap();
    role.attached.push(extra);
    let plan = plan_apply(&desired, &observed, ApplyOptions::default()).unwrap();
    assert!(plan.steps.is_empty());
    assert_eq!(
        plan.drift
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "role StreamkapInstallAccess has policy AdministratorAccess attached, which the catalog does not name: \
          left attached (--exclusive detaches it)"
        ]
    );
    let plan = plan_apply(
        &desired,
        &observed,
        ApplyOptions {
            exclusive: true,
            ..ApplyOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        described(&plan),
        [(
            "detach policy AdministratorAccess from role StreamkapInstallAccess".to_owned(),
            vec![]
        )]
    );
}

/// Inline policies: written after the role is created, rewritten when they differ, left when
/// equal; one the catalog does not name is drift, deleted with --exclusive.
#[test]
fn inline_policies_are_put_after_the_role_and_extra_ones_are_drift() {
    let mut desired = desired();
    let document = json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    desired.roles[0].inline_policies = vec![crate::state::InlinePolicy {
        name: "Inline".into(),
        document: document.clone(),
    }];
    let plan = plan_apply(&desired, &Observed::default(), ApplyOptions::default()).unwrap();
    let create = plan
        .steps
        .iter()
        .position(|s| matches!(s.action, Action::CreateRole(_)))
        .unwrap();
    let put = plan
        .steps
        .iter()
        .find(|s| matches!(s.action, Action::PutRolePolicy { .. }))
        .unwrap();
    assert_eq!(put.after, [create]);

    let mut observed = applied(&desired);
    assert!(
        plan_apply(&desired, &observed, ApplyOptions::default())
            .unwrap()
            .steps
            .is_empty()
    );
    let role = observed.roles.values_mut().flatten().next().unwrap();
    role.inline_policies
        .insert("Inline".into(), json!({"Statement": []}));
    role.inline_policies.insert("Theirs".into(), document);
    let plan = plan_apply(&desired, &observed, ApplyOptions::default()).unwrap();
    let kinds: Vec<String> = plan.steps.iter().map(|s| s.action.describe()).collect();
    assert_eq!(
        kinds,
        ["put inline policy Inline of role StreamkapInstallAccess"]
    );
    assert!(
        plan.drift[0].to_string().contains("inline policy Theirs"),
        "{:?}",
        plan.drift
    );
    let options = ApplyOptions {
        exclusive: true,
        ..ApplyOptions::default()
    };
    let plan = plan_apply(&desired, &observed, options).unwrap();
    assert!(plan.steps.iter().any(|s| matches!(
        &s.action,
        Action::DeleteRolePolicy(DeleteRolePolicy { policy_name, .. }) if policy_name == "Theirs"
    )));
}

fn owned(vendor: &str) -> Tags {
    tags(&crate::state::ownership_tags(
        vendor,
        "byoc",
        "x",
        &std::collections::BTreeMap::default(),
    ))
}

#[test]
fn teardown_orders_detaches_and_version_deletes_before_deletes() {
    let inventory = Inventory {
        roles: vec![OwnedRole {
            name: "R".into(),
            tags: owned("streamkap"),
            attached: vec![
                "arn:aws:iam::1:policy/P".into(),
                "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
            ],
            inline_policies: vec!["inline".into()],
            instance_profiles: vec![("R".into(), true)],
        }],
        policies: vec![OwnedPolicy {
            arn: "arn:aws:iam::1:policy/P".into(),
            name: "P".into(),
            tags: owned("streamkap"),
            non_default_versions: vec!["v1".into()],
            holders: vec![
                Holder {
                    kind: Kind::Role,
                    name: "R".into(),
                },
                Holder {
                    kind: Kind::User,
                    name: "U".into(),
                },
            ],
        }],
        instance_profiles: vec![OwnedInstanceProfile {
            name: "R".into(),
            tags: owned("streamkap"),
            roles: vec!["R".into()],
        }],
        users: vec![ObservedUser {
            name: "U".into(),
            arn: "arn:aws:iam::1:user/U".into(),
            tags: owned("streamkap"),
            attached: vec!["arn:aws:iam::1:policy/P".into()],
            inline_policies: vec![],
            groups: vec![],
            access_keys: vec![crate::state::AccessKeyInfo {
                id: "AKIA1".into(),
                active: true,
                created: 0,
            }],
        }],
        foreign: vec![],
    };
    let plan = plan_teardown(&inventory, None);
    assert_eq!(
        described(&plan),
        [
            ("detach policy P from role R".to_owned(), vec![]),
            (
                "detach policy ReadOnlyAccess from role R".to_owned(),
                vec![]
            ),
            ("delete inline policy inline of role R".to_owned(), vec![]),
            ("remove role R from instance profile R".to_owned(), vec![]),
            ("delete role R".to_owned(), vec![0, 1, 2, 3]),
            ("delete access key AKIA1 of user U".to_owned(), vec![]),
            ("detach policy P from user U".to_owned(), vec![]),
            ("delete user U".to_owned(), vec![5, 6]),
            ("delete instance profile R".to_owned(), vec![3]),
            ("delete version v1 of policy P".to_owned(), vec![]),
            ("delete policy P".to_owned(), vec![0, 6, 9]),
        ]
    );
    assert!(plan.kept.is_empty());

    // The detaches, started first, leave the rest waiting for the other steps only.
    let detaches = plan.detaches();
    assert_eq!(
        described(&detaches),
        [
            ("detach policy P from role R".to_owned(), vec![]),
            (
                "detach policy ReadOnlyAccess from role R".to_owned(),
                vec![]
            ),
            ("detach policy P from user U".to_owned(), vec![]),
        ]
    );
    assert_eq!(
        described(&plan.without(&detaches)),
        [
            ("delete inline policy inline of role R".to_owned(), vec![]),
            ("remove role R from instance profile R".to_owned(), vec![]),
            ("delete role R".to_owned(), vec![0, 1]),
            ("delete access key AKIA1 of user U".to_owned(), vec![]),
            ("delete user U".to_owned(), vec![3]),
            ("delete instance profile R".to_owned(), vec![1]),
            ("delete version v1 of policy P".to_owned(), vec![]),
            ("delete policy P".to_owned(), vec![6]),
        ]
    );
}

#[test]
fn teardown_keeps_what_hangs_on_resources_it_does_not_own_and_filters_by_vendor() {
    let inventory = Inventory {
        roles: vec![
            OwnedRole {
                name: "InForeignProfile".into(),
                tags: owned("streamkap"),
                attached: vec![],
                inline_policies: vec![],
                instance_profiles: vec![("theirs".into(), false)],
            },
            OwnedRole {
                name: "OtherVendor".into(),
                tags: owned("upsolver"),
                attached: vec![],
                inline_policies: vec![],
                instance_profiles: vec![],
            },
        ],
        policies: vec![OwnedPolicy {
            arn: "arn:aws:iam::1:policy/P".into(),
            name: "P".into(),
            tags: owned("streamkap"),
            non_default_versions: vec![],
            holders: vec![Holder {
                kind: Kind::User,
                name: "bob".into(),
            }],
        }],
        instance_profiles: vec![],
        users: vec![ObservedUser {
            name: "InGroup".into(),
            arn: "arn:aws:iam::1:user/InGroup".into(),
            tags: owned("streamkap"),
            attached: vec![],
            inline_policies: vec![],
            groups: vec!["admins".into()],
            access_keys: vec![],
        }],
        foreign: vec![],
    };
    let plan = plan_teardown(&inventory, Some("streamkap"));
    assert!(plan.steps.is_empty(), "{:?}", described(&plan));
    let kept: Vec<_> = plan
        .kept
        .iter()
        .map(|k| (k.kind, k.name.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            (Kind::Role, "InForeignProfile"),
            (Kind::User, "InGroup"),
            (Kind::ManagedPolicy, "P")
        ]
    );
    assert!(
        plan.kept[2]
            .reason
            .to_string()
            .contains("attached to user bob")
    );

    let plan = plan_teardown(&inventory, Some("upsolver"));
    assert_eq!(
        described(&plan),
        [("delete role OtherVendor".to_owned(), vec![])]
    );
}

#[test]
fn actions_read_as_plans_progress_and_results() {
    let action = Action::DeleteRole(DeleteRole { role: "R".into() });
    assert_eq!(action.describe(), "delete role R");
    assert_eq!(action.doing(), "deleting role R");
    assert_eq!(action.done(), "deleted role R");
    let action = Action::AttachRolePolicy(AttachRolePolicy {
        role: "R".into(),
        policy_arn: "arn:aws:iam::1:policy/a/P".into(),
    });
    assert_eq!(action.doing(), "attaching policy P to role R");
    assert_eq!(action.done(), "attached policy P to role R");
}
