//! The export as a CloudFormation template (JSON): parameters for the external ID and the
//! vendor's parameters, `AWS::IAM::*` resources, the role ARNs as outputs. Nothing in it names
//! an account, so one template serves a StackSet across an organization; it names its IAM
//! resources, so it deploys with `CAPABILITY_NAMED_IAM`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Export, Input, Piece, UniqueNames, camel_case, pieces, tag_value};
use crate::state::{Desired, Tag};

/// What the `managed-by` tag names: the stack owns what it creates.
const MANAGER: &str = crate::state::MANAGED_BY_CLOUDFORMATION;

/// The template of `export`.
pub(crate) fn template(export: &Export) -> Value {
    let desired = &export.desired;
    let mut names = UniqueNames::default();
    let mut refs: BTreeMap<Input, String> = BTreeMap::new();
    let mut parameters = Map::new();
    for parameter in &export.parameters {
        let wanted = match &parameter.input {
            Input::Param(name) => camel_case(name),
            _ => "ExternalId".to_owned(),
        };
        let logical = names.take(&wanted, "Parameter");
        let mut spec = json!({
            "Type": "String",
            "Description": parameter.description,
            "AllowedPattern": parameter.pattern,
        });
        if let Some(min) = parameter.min_length {
            spec["MinLength"] = json!(min);
        }
        if let Some(max) = parameter.max_length {
            spec["MaxLength"] = json!(max);
        }
        if let Some(default) = &parameter.default {
            spec["Default"] = json!(default);
        }
        parameters.insert(logical.clone(), spec);
        refs.insert(parameter.input.clone(), logical);
    }
    let subst = Substitution { refs };

    let mut resources = Map::new();
    // Onboard's policies by ARN, as references to their resources.
    let mut policy_refs: BTreeMap<&str, String> = BTreeMap::new();
    for policy in &desired.policies {
        let logical = names.take(&camel_case(&policy.id), "Policy");
        let mut properties = json!({
            "ManagedPolicyName": policy.name,
            "Path": policy.path,
            "PolicyDocument": subst.value(&policy.document),
        });
        if !policy.description.is_empty() {
            properties["Description"] = json!(policy.description);
        }
        resources.insert(
            logical.clone(),
            json!({"Type": "AWS::IAM::ManagedPolicy", "Properties": properties}),
        );
        policy_refs.insert(&policy.arn, logical);
    }
    let policy_arns = |arns: &[String]| -> Value {
        arns.iter()
            .map(|arn| match policy_refs.get(arn.as_str()) {
                Some(logical) => json!({"Ref": logical}),
                None => subst.string(arn),
            })
            .collect()
    };

    let mut outputs = Map::new();
    for (index, role) in desired.roles.iter().enumerate() {
        let logical = names.take(&camel_case(&role.id), "Role");
        let mut properties = json!({
            "RoleName": role.name,
            "Path": role.path,
            "AssumeRolePolicyDocument": subst.value(&role.trust),
            "MaxSessionDuration": role.max_session_duration,
            "ManagedPolicyArns": policy_arns(&role.policy_arns),
            "Tags": subst.tags(&role.tags),
        });
        if !role.description.is_empty() {
            properties["Description"] = json!(role.description);
        }
        if let Some(boundary) = &role.permissions_boundary {
            properties["PermissionsBoundary"] = subst.string(boundary);
        }
        if !role.inline_policies.is_empty() {
            properties["Policies"] = Value::Array(
                role.inline_policies
                    .iter()
                    .map(|p| json!({"PolicyName": p.name, "PolicyDocument": subst.value(&p.document)}))
                    .collect(),
            );
        }
        resources.insert(
            logical.clone(),
            json!({"Type": "AWS::IAM::Role", "Properties": properties}),
        );
        if role.instance_profile {
            let profile = names.take(&format!("{logical}InstanceProfile"), "");
            resources.insert(
                profile,
                json!({
                    "Type": "AWS::IAM::InstanceProfile",
                    "Properties": {
                        "InstanceProfileName": role.name,
                        "Path": role.path,
                        "Roles": [{"Ref": logical}],
                    }
                }),
            );
        }
        let output = if index == 0 {
            "RoleArn".to_owned()
        } else {
            format!("{logical}Arn")
        };
        outputs.insert(
            output,
            json!({
                "Description": format!("ARN of role {} to hand to the vendor", role.name),
                "Value": {"Fn::GetAtt": [logical, "Arn"]},
            }),
        );
    }
    for user in &desired.users {
        let logical = names.take(&camel_case(&user.id), "User");
        resources.insert(
            logical.clone(),
            json!({
                "Type": "AWS::IAM::User",
                "Properties": {
                    "UserName": user.name,
                    "Path": user.path,
                    "ManagedPolicyArns": policy_arns(&user.policy_arns),
                    "Tags": subst.tags(&user.tags),
                }
            }),
        );
        outputs.insert(
            format!("{logical}Arn"),
            json!({
                "Description": format!(
                    "ARN of user {}; create its access key with onboard rotate-key, never in a template",
                    user.name
                ),
                "Value": {"Fn::GetAtt": [logical, "Arn"]},
            }),
        );
    }
    if let Some(external_id) = subst.refs.get(&Input::ExternalId) {
        outputs.insert(
            "ExternalId".to_owned(),
            json!({
                "Description": "External ID in the trust policy, to hand to the vendor with the role ARN",
                "Value": {"Ref": external_id},
            }),
        );
    }

    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description(desired),
    });
    if !parameters.is_empty() {
        template["Parameters"] = Value::Object(parameters);
    }
    template["Resources"] = Value::Object(resources);
    template["Outputs"] = Value::Object(outputs);
    template
}

fn description(desired: &Desired) -> String {
    format!(
        "IAM resources for {} ({}), exported by onboard; deploy with CAPABILITY_NAMED_IAM",
        desired.vendor, desired.integration
    )
}

/// Turns rendered strings into CloudFormation values: inputs become `Ref`s and `Fn::Sub`
/// variables.
struct Substitution {
    /// Logical ids of the parameters.
    refs: BTreeMap<Input, String>,
}

impl Substitution {
    fn name(&self, input: &Input) -> String {
        match input {
            Input::AccountId => "AWS::AccountId".to_owned(),
            Input::Partition => "AWS::Partition".to_owned(),
            Input::Region => "AWS::Region".to_owned(),
            other => self.refs[other].clone(),
        }
    }

    /// A document with every string translated; keys are kept as they are (onboard renders no
    /// input into a key).
    fn value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => self.string(s),
            Value::Array(items) => items.iter().map(|v| self.value(v)).collect(),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A string as it is when it holds no input, `{"Ref": ...}` when it is one input, else
    /// `{"Fn::Sub": ...}` with IAM's own `${...}` variables escaped as `${!...}`.
    fn string(&self, text: &str) -> Value {
        let pieces = pieces(text);
        match pieces.as_slice() {
            [] => json!(""),
            [Piece::Text(text)] => json!(text),
            [Piece::Input(input)] => json!({"Ref": self.name(input)}),
            _ => {
                let sub: String = pieces
                    .iter()
                    .map(|piece| match piece {
                        Piece::Text(text) => text.replace("${", "${!"),
                        Piece::Input(input) => format!("${{{}}}", self.name(input)),
                    })
                    .collect();
                json!({"Fn::Sub": sub})
            }
        }
    }

    fn tags(&self, tags: &[Tag]) -> Value {
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": self.string(tag_value(t, MANAGER))}))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::{every_integration, export_of};

    /// A role's inline policies are written in its Policies property, documents substituted.
    #[test]
    fn inline_policies_are_the_roles_policies() {
        let mut export = export_of("streamkap", &["s3"], &[], None);
        let document = export.desired.policies[0].document.clone();
        export.desired.roles[0].inline_policies = vec![crate::state::InlinePolicy {
            name: "Inline".into(),
            document,
        }];
        let template = template(&export);
        let role = &template["Resources"]["StreamkapConnectorAccess"]["Properties"];
        assert_eq!(role["Policies"][0]["PolicyName"], "Inline");
        let text = role["Policies"][0]["PolicyDocument"].to_string();
        assert!(
            text.contains("Fn::Sub") && text.contains("${Bucket}"),
            "{text}"
        );
    }

    /// The template of every built-in integration of every vendor, as `onboard export` writes
    /// it: a changed name, document, tag or parameter shows up here in review.
    #[test]
    fn every_integration_exports_as_snapshotted() {
        for (vendor, integration) in every_integration() {
            let export = export_of(vendor, &[&integration], &[], None);
            insta::assert_json_snapshot!(format!("{vendor}_{integration}"), template(&export));
        }
    }

    #[test]
    fn inputs_become_refs_and_subs_and_iam_variables_are_escaped() {
        let subst = Substitution {
            refs: [(Input::Param("bucket".into()), "Bucket".to_owned())].into(),
        };
        let bucket = Input::Param("bucket".into()).marker();
        let text = format!(
            "arn:{}:s3:::{bucket}/${{aws:username}}/*",
            Input::Partition.marker()
        );
        assert_eq!(
            subst.string(&text),
            json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!aws:username}/*"})
        );
        assert_eq!(subst.string(&bucket), json!({"Ref": "Bucket"}));
        // Without an input, no Fn::Sub: the IAM variable stays as it is.
        assert_eq!(subst.string("${aws:username}"), json!("${aws:username}"));
    }

    #[test]
    fn given_values_become_defaults_and_names_no_account() {
        let export = export_of(
            "streamkap",
            &["s3"],
            &[("bucket", "my-bucket")],
            Some("xid-1"),
        );
        let template = template(&export);
        assert_eq!(template["Parameters"]["Bucket"]["Default"], "my-bucket");
        assert_eq!(template["Parameters"]["ExternalId"]["Default"], "xid-1");
        let text = template.to_string();
        assert!(!text.contains("000000000000"), "{text}");
        assert!(!text.contains('\u{E000}'), "a marker is left: {text}");
    }
}
