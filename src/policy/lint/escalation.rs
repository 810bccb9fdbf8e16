//! The known paths from a principal's permissions to administrator of the account, from public
//! research:
//!
//! - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation" (methods 1 to
//!   21), <https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>, and
//!   its part 2 (SageMaker),
//!   <https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation-part-2/>;
//! - Bishop Fox, IAM Vulnerable (`privesc1` to `privesc21` and the named service paths),
//!   <https://github.com/BishopFox/iam-vulnerable>, and "Well, That Escalated Quickly",
//!   <https://labs.bishopfox.com/tech-blog/privilege-escalation-in-aws>;
//! - pathfinding.cloud (Datadog's catalog of AWS IAM privilege escalation paths, including ECS
//!   and CodeBuild), <https://pathfinding.cloud/>.
//!
//! A path is present when one principal (a role or user of the desired state) holds every action
//! it needs through the policies onboard attaches, each on resources the policy does not name:
//! `"*"`, or an ARN with a wildcard (`role/kubernetes-*`: roles it may create itself, or others
//! of that name). Conditions are not read: the tag conditions vendor pages use (`Name` like
//! `*upsolver*`) are the holder's to satisfy. AWS managed policies are not read.

use serde_json::Value;

use super::actions::matching;
use crate::policy::statements;
use crate::state::Desired;

/// Who published a path, and under which name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Rhino Security Labs' method number.
    Rhino(u8),
    /// Bishop Fox IAM Vulnerable's path name.
    BishopFox(&'static str),
    /// pathfinding.cloud's path id.
    Pathfinding(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Rhino(n) => write!(f, "Rhino Security Labs method {n}"),
            Source::BishopFox(name) => write!(f, "Bishop Fox IAM Vulnerable {name}"),
            Source::Pathfinding(id) => write!(f, "pathfinding.cloud {id}"),
        }
    }
}

/// One known path to administrator: the actions it needs together, and what it does.
#[derive(Debug)]
pub(crate) struct EscalationPath {
    /// Every action the path needs, the first one the finding points at.
    pub actions: &'static [&'static str],
    /// What the holder does with them.
    pub how: &'static str,
    pub source: Source,
}

/// The paths, in the order of Rhino's methods, then the service paths Bishop Fox and
/// pathfinding.cloud added.
pub(crate) const PATHS: &[EscalationPath] = &[
    EscalationPath {
        actions: &["iam:CreatePolicyVersion"],
        how: "writes a new default version of a policy it holds that allows everything",
        source: Source::Rhino(1),
    },
    EscalationPath {
        actions: &["iam:SetDefaultPolicyVersion"],
        how: "makes an older, broader version of a policy the default",
        source: Source::Rhino(2),
    },
    EscalationPath {
        actions: &["iam:PassRole", "ec2:RunInstances"],
        how: "runs an instance with a more privileged role and uses its credentials",
        source: Source::Rhino(3),
    },
    EscalationPath {
        actions: &["iam:CreateAccessKey"],
        how: "creates an access key for a more privileged user",
        source: Source::Rhino(4),
    },
    EscalationPath {
        actions: &["iam:CreateLoginProfile"],
        how: "sets a console password for a more privileged user",
        source: Source::Rhino(5),
    },
    EscalationPath {
        actions: &["iam:UpdateLoginProfile"],
        how: "changes a more privileged user's console password",
        source: Source::Rhino(6),
    },
    EscalationPath {
        actions: &["iam:AttachUserPolicy"],
        how: "attaches AdministratorAccess to a user",
        source: Source::Rhino(7),
    },
    EscalationPath {
        actions: &["iam:AttachGroupPolicy"],
        how: "attaches AdministratorAccess to a group",
        source: Source::Rhino(8),
    },
    EscalationPath {
        actions: &["iam:AttachRolePolicy"],
        how: "attaches AdministratorAccess to a role",
        source: Source::Rhino(9),
    },
    EscalationPath {
        actions: &["iam:PutUserPolicy"],
        how: "writes an inline policy allowing everything into a user",
        source: Source::Rhino(10),
    },
    EscalationPath {
        actions: &["iam:PutGroupPolicy"],
        how: "writes an inline policy allowing everything into a group",
        source: Source::Rhino(11),
    },
    EscalationPath {
        actions: &["iam:PutRolePolicy"],
        how: "writes an inline policy allowing everything into a role",
        source: Source::Rhino(12),
    },
    EscalationPath {
        actions: &["iam:AddUserToGroup"],
        how: "adds a user to a more privileged group",
        source: Source::Rhino(13),
    },
    EscalationPath {
        actions: &["iam:UpdateAssumeRolePolicy"],
        how: "rewrites a more privileged role's trust policy to let itself assume it",
        source: Source::Rhino(14),
    },
    EscalationPath {
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
        how: "creates and invokes a Lambda function with a more privileged role",
        source: Source::Rhino(15),
    },
    EscalationPath {
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
        how: "creates a Lambda function with a more privileged role and triggers it from a stream",
        source: Source::Rhino(16),
    },
    EscalationPath {
        actions: &["lambda:UpdateFunctionCode"],
        how: "replaces the code of a function that runs with a more privileged role",
        source: Source::Rhino(17),
    },
    EscalationPath {
        actions: &["iam:PassRole", "glue:CreateDevEndpoint"],
        how: "creates a Glue development endpoint with a more privileged role and logs in to it",
        source: Source::Rhino(18),
    },
    EscalationPath {
        actions: &["glue:UpdateDevEndpoint"],
        how: "adds its SSH key to a Glue development endpoint that has a more privileged role",
        source: Source::Rhino(19),
    },
    EscalationPath {
        actions: &["iam:PassRole", "cloudformation:CreateStack"],
        how: "creates a stack that a more privileged role deploys",
        source: Source::Rhino(20),
    },
    EscalationPath {
        actions: &[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
        how: "runs a data pipeline with a more privileged role",
        source: Source::Rhino(21),
    },
    EscalationPath {
        actions: &[
            "iam:PassRole",
            "sagemaker:CreateNotebookInstance",
            "sagemaker:CreatePresignedNotebookInstanceUrl",
        ],
        how: "opens a SageMaker notebook that runs with a more privileged role",
        source: Source::BishopFox("SageMaker-CreateNotebookPassRole"),
    },
    EscalationPath {
        actions: &["iam:PassRole", "sagemaker:CreateTrainingJob"],
        how: "runs a SageMaker training job with a more privileged role",
        source: Source::BishopFox("SageMaker-CreateTrainingJobPassRole"),
    },
    EscalationPath {
        actions: &["iam:PassRole", "sagemaker:CreateProcessingJob"],
        how: "runs a SageMaker processing job with a more privileged role",
        source: Source::BishopFox("SageMaker-CreateProcessingJobPassRole"),
    },
    EscalationPath {
        actions: &["sagemaker:CreatePresignedNotebookInstanceUrl"],
        how: "opens an existing notebook that runs with a more privileged role",
        source: Source::BishopFox("SageMakerCreatePresignedNotebookURL"),
    },
    EscalationPath {
        actions: &[
            "iam:PassRole",
            "codebuild:CreateProject",
            "codebuild:StartBuild",
        ],
        how: "runs a build with a more privileged role",
        source: Source::BishopFox("CodeBuild-CreateProjectPassRole"),
    },
    EscalationPath {
        actions: &["cloudformation:UpdateStack"],
        how: "updates a stack that a more privileged role deploys",
        source: Source::BishopFox("CloudFormation-UpdateStack"),
    },
    EscalationPath {
        actions: &["ssm:SendCommand"],
        how: "runs commands on an instance that has a more privileged role",
        source: Source::BishopFox("SSM-SendCommand"),
    },
    EscalationPath {
        actions: &["ssm:StartSession"],
        how: "opens a shell on an instance that has a more privileged role",
        source: Source::BishopFox("SSM-StartSession"),
    },
    EscalationPath {
        actions: &["ec2-instance-connect:SendSSHPublicKey"],
        how: "logs in to an instance that has a more privileged role",
        source: Source::BishopFox("EC2InstanceConnect-SendSSHPublicKey"),
    },
    EscalationPath {
        actions: &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
        how: "runs an ECS task with a more privileged role",
        source: Source::Pathfinding("ecs-002"),
    },
];

/// A path one principal holds: the path, and the policy and statement granting its first
/// action.
#[derive(Debug)]
pub(crate) struct Held<'a> {
    pub path: &'static EscalationPath,
    /// Role or user name.
    pub principal: &'a str,
    /// Name of the policy (`NAME (inline in role R)` for an inline one) and index of the
    /// statement granting the path's first action.
    pub policy: String,
    pub statement: usize,
}

/// Every path each role and user of `desired` holds through the policies onboard creates.
pub(crate) fn held(desired: &Desired) -> Vec<Held<'_>> {
    let principals = desired
        .roles
        .iter()
        .map(|r| (r.name.as_str(), &r.policy_arns, &r.inline_policies[..]))
        .chain(
            desired
                .users
                .iter()
                .map(|u| (u.name.as_str(), &u.policy_arns, &[][..])),
        );
    let mut found = Vec::new();
    for (principal, arns, inline) in principals {
        // (policy name, document) of every policy the principal holds, inline ones included.
        let documents = desired
            .policies
            .iter()
            .filter(|p| arns.contains(&p.arn))
            .map(|p| (p.name.clone(), &p.document))
            .chain(inline.iter().map(|p| {
                (
                    format!("{} (inline in role {principal})", p.name),
                    &p.document,
                )
            }));
        // (policy name, statement index, statement) of every Allow the principal holds.
        let allows: Vec<(String, usize, Value)> = documents
            .flat_map(|(name, document)| {
                statements(document)
                    .into_iter()
                    .enumerate()
                    .filter(|(_, s)| s["Effect"] == "Allow")
                    .map(move |(i, s)| (name.clone(), i, s))
            })
            .collect();
        for path in PATHS {
            let granting: Vec<Option<(&str, usize)>> = path
                .actions
                .iter()
                .map(|action| {
                    allows
                        .iter()
                        .find(|(_, _, s)| grants_unnamed(s, action))
                        .map(|(policy, index, _)| (policy.as_str(), *index))
                })
                .collect();
            if let [Some((policy, statement)), ..] = granting[..]
                && granting.iter().all(Option::is_some)
            {
                found.push(Held {
                    path,
                    principal,
                    policy: policy.to_owned(),
                    statement,
                });
            }
        }
    }
    found
}

/// Whether an Allow statement grants `action` on resources it does not name.
fn grants_unnamed(statement: &Value, action: &str) -> bool {
    let covers = |key: &str| {
        list(&statement[key]).iter().any(|pattern| {
            if pattern.contains(['*', '?']) {
                matching(pattern).is_ok_and(|found| found.iter().any(|a| a.name == action))
            } else {
                pattern.eq_ignore_ascii_case(action)
            }
        })
    };
    let granted = match (&statement["Action"], &statement["NotAction"]) {
        (Value::Null, Value::Null) => false,
        (Value::Null, _) => !covers("NotAction"),
        _ => covers("Action"),
    };
    let unnamed = match (&statement["Resource"], &statement["NotResource"]) {
        (Value::Null, Value::Null) => false,
        (Value::Null, _) => true,
        _ => list(&statement["Resource"])
            .iter()
            .any(|r| r.contains('*') || r.contains('?')),
    };
    granted && unnamed
}

fn list(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}
