//! The pure heart of onboard: desired and observed state in, a list of steps with dependency
//! edges out. `apply` and `teardown` both execute a [`Plan`]; nothing here speaks to AWS. Each
//! step is a struct of its kind's module ([`crate::kinds`]); [`Action`] wraps them, and the one
//! match over it ([`dispatch!`]) sends every question about a step to its struct.

mod apply;
mod rotation;
mod teardown;
mod words;

use serde::Serialize;
use serde_json::Value;

pub(crate) use apply::{ApplyOptions, plan_apply};
pub(crate) use rotation::{plan_retire, plan_rotation, push_key_cleanup};
pub(crate) use teardown::{Inventory, plan_teardown};
pub(crate) use words::{Drift, KeptReason, Verb};

use crate::arn::Arn;
pub(crate) use crate::kinds::access_key::{CreateAccessKey, DeactivateAccessKey, DeleteAccessKey};
pub(crate) use crate::kinds::inline_policy::{DeleteRolePolicy, DeleteUserPolicy, PutRolePolicy};
pub(crate) use crate::kinds::instance_profile::{
    AddRoleToInstanceProfile, CreateInstanceProfile, DeleteInstanceProfile, OwnedInstanceProfile,
    RemoveRoleFromInstanceProfile, TagInstanceProfile,
};
pub(crate) use crate::kinds::managed_policy::{
    CreatePolicyVersion, DeletePolicy, DeletePolicyVersion, OwnedPolicy, TagPolicy,
};
pub(crate) use crate::kinds::role::{
    AttachRolePolicy, DeleteRole, DetachRolePolicy, OwnedRole, PutRolePermissionsBoundary, TagRole,
    UpdateAssumeRolePolicy, UpdateRole,
};
pub(crate) use crate::kinds::user::{
    AttachUserPolicy, DeleteUser, DetachUserPolicy, TagUser, UntagUser,
};
use crate::kinds::{Entity, Kind, Step as _};
use crate::state::{DesiredPolicy, DesiredRole, DesiredUser, Observed};

/// One write call. Each variant wraps the struct of its kind's module that says what it does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    CreatePolicy(DesiredPolicy),
    CreatePolicyVersion(CreatePolicyVersion),
    TagPolicy(TagPolicy),
    DeletePolicyVersion(DeletePolicyVersion),
    DeletePolicy(DeletePolicy),
    CreateRole(DesiredRole),
    UpdateAssumeRolePolicy(UpdateAssumeRolePolicy),
    UpdateRole(UpdateRole),
    PutRolePermissionsBoundary(PutRolePermissionsBoundary),
    TagRole(TagRole),
    AttachRolePolicy(AttachRolePolicy),
    DetachRolePolicy(DetachRolePolicy),
    DeleteRole(DeleteRole),
    PutRolePolicy(PutRolePolicy),
    DeleteRolePolicy(DeleteRolePolicy),
    DeleteUserPolicy(DeleteUserPolicy),
    CreateInstanceProfile(CreateInstanceProfile),
    TagInstanceProfile(TagInstanceProfile),
    AddRoleToInstanceProfile(AddRoleToInstanceProfile),
    RemoveRoleFromInstanceProfile(RemoveRoleFromInstanceProfile),
    DeleteInstanceProfile(DeleteInstanceProfile),
    CreateUser(DesiredUser),
    TagUser(TagUser),
    UntagUser(UntagUser),
    AttachUserPolicy(AttachUserPolicy),
    DetachUserPolicy(DetachUserPolicy),
    DeleteUser(DeleteUser),
    CreateAccessKey(CreateAccessKey),
    DeactivateAccessKey(DeactivateAccessKey),
    DeleteAccessKey(DeleteAccessKey),
}

/// The one match over steps: binds `$step` to the struct `$action` wraps and evaluates `$body`
/// (a call of [`crate::kinds::Step`]) for it. A new variant is a compile error here until its
/// struct is listed.
macro_rules! dispatch {
    ($action:expr, $step:ident => $body:expr) => {
        match $action {
            $crate::plan::Action::CreatePolicy($step) => $body,
            $crate::plan::Action::CreatePolicyVersion($step) => $body,
            $crate::plan::Action::TagPolicy($step) => $body,
            $crate::plan::Action::DeletePolicyVersion($step) => $body,
            $crate::plan::Action::DeletePolicy($step) => $body,
            $crate::plan::Action::CreateRole($step) => $body,
            $crate::plan::Action::UpdateAssumeRolePolicy($step) => $body,
            $crate::plan::Action::UpdateRole($step) => $body,
            $crate::plan::Action::PutRolePermissionsBoundary($step) => $body,
            $crate::plan::Action::TagRole($step) => $body,
            $crate::plan::Action::AttachRolePolicy($step) => $body,
            $crate::plan::Action::DetachRolePolicy($step) => $body,
            $crate::plan::Action::DeleteRole($step) => $body,
            $crate::plan::Action::PutRolePolicy($step) => $body,
            $crate::plan::Action::DeleteRolePolicy($step) => $body,
            $crate::plan::Action::DeleteUserPolicy($step) => $body,
            $crate::plan::Action::CreateInstanceProfile($step) => $body,
            $crate::plan::Action::TagInstanceProfile($step) => $body,
            $crate::plan::Action::AddRoleToInstanceProfile($step) => $body,
            $crate::plan::Action::RemoveRoleFromInstanceProfile($step) => $body,
            $crate::plan::Action::DeleteInstanceProfile($step) => $body,
            $crate::plan::Action::CreateUser($step) => $body,
            $crate::plan::Action::TagUser($step) => $body,
            $crate::plan::Action::UntagUser($step) => $body,
            $crate::plan::Action::AttachUserPolicy($step) => $body,
            $crate::plan::Action::DetachUserPolicy($step) => $body,
            $crate::plan::Action::DeleteUser($step) => $body,
            $crate::plan::Action::CreateAccessKey($step) => $body,
            $crate::plan::Action::DeactivateAccessKey($step) => $body,
            $crate::plan::Action::DeleteAccessKey($step) => $body,
        }
    };
}
pub(crate) use dispatch;

/// A step's document for plan's diff: what it replaces (with its label; `None` for a new
/// resource), what it writes, and the label of the catalog's.
pub(crate) type Documents<'a> = (Option<(&'a Value, String)>, &'a Value, String);

impl Action {
    /// The verb and its object ("policy X").
    fn words(&self) -> (Verb, String) {
        dispatch!(self, step => step.words())
    }

    /// Whether the step takes something away (detach, remove, delete, untag): done once it is
    /// gone.
    pub(crate) fn is_removal(&self) -> bool {
        self.words().0.is_removal()
    }

    /// What the step leaves in place once it succeeded, for apply's verification.
    pub(crate) fn record(&self, written: &mut crate::verification::Written) {
        dispatch!(self, step => step.record(written));
    }

    /// The entities a step names that must exist for it to succeed (what a `NoSuchEntity`
    /// answer may be about).
    pub(crate) fn depends_on(&self) -> Vec<Entity> {
        dispatch!(self, step => step.depends_on())
    }

    /// The entity a step brings into being (`true`) or removes, for the record of what the run
    /// knows.
    pub(crate) fn outcome(&self) -> Option<(Entity, bool)> {
        dispatch!(self, step => step.outcome())
    }

    /// Whether the step makes a role or user without a permissions boundary.
    pub(crate) fn creates_without_boundary(&self) -> bool {
        dispatch!(self, step => step.creates_without_boundary())
    }

    /// Whether the step writes a trust policy.
    pub(crate) fn writes_trust_policy(&self) -> bool {
        dispatch!(self, step => step.writes_trust_policy())
    }

    /// The document the step writes and what it replaces, for plan's diff.
    pub(crate) fn documents<'a>(&'a self, observed: &'a Observed) -> Option<Documents<'a>> {
        dispatch!(self, step => step.documents(observed))
    }

    /// The kind of change, as plan counts it: create, update, put, attach, detach, tag or
    /// delete.
    pub(crate) fn change(&self) -> Verb {
        self.words().0.change()
    }

    /// What the step will do: "delete role StreamkapInstallAccess".
    pub(crate) fn describe(&self) -> String {
        let (verb, object) = self.words();
        format!("{verb} {object}")
    }

    /// What the step is doing, for errors: "creating role StreamkapInstallAccess".
    pub(crate) fn doing(&self) -> String {
        let (verb, object) = self.words();
        format!("{} {object}", verb.doing())
    }

    /// What the step did, for results: "created role StreamkapInstallAccess".
    pub(crate) fn done(&self) -> String {
        let (verb, object) = self.words();
        format!("{} {object}", verb.done())
    }
}

/// The last segment of an ARN: a policy's or role's name.
pub(crate) fn name_of(arn: &str) -> &str {
    Arn::parse(arn).map_or(arn, |arn| arn.name())
}

/// An action and the indices of the steps that must finish before it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub action: Action,
    /// Indices of earlier steps only, so a plan is always acyclic.
    pub after: Vec<usize>,
}

/// A resource onboard found and leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Kept {
    pub kind: Kind,
    pub name: String,
    pub reason: KeptReason,
}

/// A resource that is already there (drift, if any, is reported separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Present {
    pub kind: Kind,
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    pub present: Vec<Present>,
    pub kept: Vec<Kept>,
    /// Differences from the catalog that apply leaves as they are (attachments the catalog does
    /// not name, without --exclusive).
    pub drift: Vec<Drift>,
}

impl Plan {
    pub(crate) fn push(&mut self, action: Action, after: Vec<usize>) -> usize {
        debug_assert!(after.iter().all(|&i| i < self.steps.len()));
        self.steps.push(Step { action, after });
        self.steps.len() - 1
    }

    /// The plan's detaches (which depend on no other step): what may start before the rest is
    /// planned.
    pub(crate) fn detaches(&self) -> Plan {
        let mut detaches = Plan::default();
        for step in &self.steps {
            if step.action.words().0 == Verb::Detach {
                debug_assert!(step.after.is_empty(), "a detach waits for nothing");
                detaches.push(step.action.clone(), Vec::new());
            }
        }
        detaches
    }

    /// The plan without the steps of `done`: a step that waited for one of them waits for it no
    /// longer.
    pub(crate) fn without(self, done: &Plan) -> Plan {
        let is_done = |action: &Action| done.steps.iter().any(|d| d.action == *action);
        let mut index = Vec::with_capacity(self.steps.len());
        let mut rest = Plan {
            steps: Vec::new(),
            ..self
        };
        for step in self.steps {
            if is_done(&step.action) {
                index.push(None);
                continue;
            }
            let after = step.after.iter().filter_map(|&i| index[i]).collect();
            index.push(Some(rest.push(step.action, after)));
        }
        rest
    }

    /// Whether the plan creates an access key (whose secret must be handed over).
    pub(crate) fn creates_access_key(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.action, Action::CreateAccessKey(_)))
    }
}

/// Each step's description and edges, for tests to compare plans.
#[cfg(test)]
pub(crate) fn described(plan: &Plan) -> Vec<(String, Vec<usize>)> {
    plan.steps
        .iter()
        .map(|s| (s.action.describe(), s.after.clone()))
        .collect()
}

#[cfg(test)]
mod tests;
