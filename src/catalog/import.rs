//! `onboard catalog import`: a vendor's CloudFormation onboarding template (YAML with the
//! short-form tags `!Ref`, `!Sub`, `!GetAtt`, `!If`, ... or JSON) turned into a catalog entry.
//!
//! It carries managed policies, roles (trust, managed policy ARNs, session duration),
//! instance profiles, users and their access keys; `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::Join`
//! and `Fn::If` (when its condition can be decided without the deployer's values) among them.
//! `Parameters` become catalog parameters (kind `text`, with their defaults, allowed values
//! and descriptions); `AWS::AccountId`, `AWS::Partition` and `AWS::Region` become the caller's.
//! Whatever it cannot carry it lists by logical ID and reason ([`Skipped`]); nothing is dropped
//! silently.

mod yaml;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::{
    Integration, ParamKind, ParamSpec, PolicySpec, RoleSpec, Source, UserSpec, VendorCatalog,
};

/// Parses a template's text: JSON when it is JSON, else YAML with CloudFormation's tags.
pub(crate) fn parse_template(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => Ok(value),
        Err(_) => yaml::to_json(text),
    }
}

/// Something of the template the entry does not carry, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Skipped {
    /// The resource's, parameter's or section's logical ID.
    pub logical_id: String,
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.logical_id, self.reason)
    }
}

/// The entry and what it left out.
#[derive(Debug)]
pub(crate) struct Imported {
    pub catalog: VendorCatalog,
    pub skipped: Vec<Skipped>,
}

/// The IAM resource types onboard carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ManagedPolicy,
    Role,
    InstanceProfile,
    User,
    AccessKey,
}

impl Kind {
    fn of(resource_type: &str) -> Option<Kind> {
        match resource_type {
            "AWS::IAM::ManagedPolicy" => Some(Kind::ManagedPolicy),
            "AWS::IAM::Role" => Some(Kind::Role),
            "AWS::IAM::InstanceProfile" => Some(Kind::InstanceProfile),
            "AWS::IAM::User" => Some(Kind::User),
            "AWS::IAM::AccessKey" => Some(Kind::AccessKey),
            _ => None,
        }
    }
}

/// A carried resource's name, as `Ref` and `Fn::GetAtt` see it.
#[derive(Debug, Clone)]
struct Named {
    kind: Kind,
    name: String,
}

/// The template being read: its parameters, conditions and the names of what it creates.
struct Template<'a> {
    parameters: Vec<String>,
    conditions: &'a Map<String, Value>,
    resources: BTreeMap<String, Named>,
}

const ACCOUNT: &str = "${AccountId}";
const PARTITION: &str = "${Partition}";

impl Template<'_> {
    fn policy_arn(name: &str) -> String {
        format!("arn:{PARTITION}:iam::{ACCOUNT}:policy/{name}")
    }

    /// What `Ref` of `target` stands for.
    fn reference(&self, target: &str) -> Result<Value, String> {
        Ok(Value::String(match target {
            "AWS::AccountId" => ACCOUNT.to_owned(),
            "AWS::Partition" => PARTITION.to_owned(),
            "AWS::Region" => "${Region}".to_owned(),
            "AWS::NoValue" => return Ok(Value::Null),
            p if self.parameters.iter().any(|n| n == p) => format!("${{{p}}}"),
            r => match self.resources.get(r) {
                Some(Named {
                    kind: Kind::ManagedPolicy,
                    name,
                }) => Self::policy_arn(name),
                Some(Named { name, .. }) => name.clone(),
                None => {
                    return Err(format!(
                        "Ref {r}: neither a parameter nor an IAM resource onboard carries"
                    ));
                }
            },
        }))
    }

    /// What `Fn::GetAtt` of `target.attribute` stands for.
    fn attribute(&self, target: &str, attribute: &str) -> Result<String, String> {
        let Some(named) = self.resources.get(target) else {
            return Err(format!(
                "Fn::GetAtt {target}.{attribute}: not an IAM resource onboard carries"
            ));
        };
        let kind = match (named.kind, attribute) {
            (Kind::Role, "Arn") => "role",
            (Kind::User, "Arn") => "user",
            (Kind::InstanceProfile, "Arn") => "instance-profile",
            (Kind::ManagedPolicy, "PolicyArn") => "policy",
            _ => {
                return Err(format!(
                    "Fn::GetAtt {target}.{attribute}: onboard knows only a role's, user's or \
                     instance profile's Arn and a managed policy's PolicyArn"
                ));
            }
        };
        Ok(format!(
            "arn:{PARTITION}:iam::{ACCOUNT}:{kind}/{}",
            named.name
        ))
    }

    /// The value with every intrinsic function it uses resolved; `Null` stands for
    /// `AWS::NoValue` and is dropped from objects and lists.
    fn resolve(&self, value: &Value) -> Result<Value, String> {
        match value {
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().expect("one entry");
                match key.as_str() {
                    "Ref" => self.reference(arg.as_str().ok_or("Ref takes a name")?),
                    "Fn::GetAtt" => {
                        let (target, attribute) = match arg {
                            Value::String(s) => s
                                .split_once('.')
                                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                                .ok_or("Fn::GetAtt takes Resource.Attribute")?,
                            Value::Array(items) if items.len() == 2 => {
                                (self.string(&items[0])?, self.string(&items[1])?)
                            }
                            _ => return Err("Fn::GetAtt takes Resource.Attribute".into()),
                        };
                        Ok(Value::String(self.attribute(&target, &attribute)?))
                    }
                    "Fn::Sub" => self.sub(arg).map(Value::String),
                    "Fn::Join" => {
                        let items = arg.as_array().filter(|a| a.len() == 2);
                        let [delimiter, parts] = items.map(Vec::as_slice).unwrap_or_default()
                        else {
                            return Err("Fn::Join takes [delimiter, [values]]".into());
                        };
                        let delimiter = delimiter.as_str().ok_or("Fn::Join's delimiter")?;
                        let Value::Array(parts) = self.resolve(parts)? else {
                            return Err("Fn::Join takes a list of values".into());
                        };
                        let parts: Vec<String> = parts
                            .iter()
                            .map(|p| self.string(p))
                            .collect::<Result<_, _>>()?;
                        Ok(Value::String(parts.join(delimiter)))
                    }
                    "Fn::If" => {
                        let items = arg.as_array().filter(|a| a.len() == 3);
                        let [condition, yes, no] = items.map(Vec::as_slice).unwrap_or_default()
                        else {
                            return Err(
                                "Fn::If takes [condition, value if true, value if false]".into()
                            );
                        };
                        let name = condition.as_str().ok_or("Fn::If's condition")?;
                        if self.condition(name)? {
                            self.resolve(yes)
                        } else {
                            self.resolve(no)
                        }
                    }
                    "Fn::Transform" => Err("Fn::Transform: macros are not expanded".into()),
                    other if other.starts_with("Fn::") => {
                        Err(format!("{other}: onboard does not evaluate it"))
                    }
                    _ => self.resolve_object(map),
                }
            }
            Value::Object(map) => self.resolve_object(map),
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match self.resolve(item)? {
                        Value::Null => {}
                        v => out.push(v),
                    }
                }
                Ok(Value::Array(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn resolve_object(&self, map: &Map<String, Value>) -> Result<Value, String> {
        let mut out = Map::new();
        for (key, value) in map {
            match self.resolve(value)? {
                Value::Null => {}
                v => {
                    out.insert(key.clone(), v);
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// A value that must resolve to a string.
    fn string(&self, value: &Value) -> Result<String, String> {
        match self.resolve(value)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(format!("expected a string, found {other}")),
        }
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Attribute}`, `${AWS::...}` and `${!Literal}`.
    fn sub(&self, arg: &Value) -> Result<String, String> {
        let (text, variables) = match arg {
            Value::String(s) => (s.as_str(), Map::new()),
            Value::Array(items) if items.len() == 2 => (
                items[0].as_str().ok_or("Fn::Sub's string")?,
                items[1].as_object().cloned().ok_or("Fn::Sub's variables")?,
            ),
            _ => return Err("Fn::Sub takes a string or [string, {variables}]".into()),
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or("Fn::Sub: unclosed ${")?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = variables.get(name) {
                out.push_str(&self.string(value)?);
            } else if let Some((target, attribute)) = name.split_once('.') {
                out.push_str(&self.attribute(target, attribute)?);
            } else {
                out.push_str(&self.string(&serde_json::json!({ "Ref": name }))?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A named condition's value, when it does not depend on the deployer's values.
    fn condition(&self, name: &str) -> Result<bool, String> {
        let definition = self
            .conditions
            .get(name)
            .ok_or_else(|| format!("condition {name} is not defined"))?;
        self.decide(definition).ok_or_else(|| {
            format!("condition {name} depends on values only the deployer knows, so onboard cannot decide it")
        })
    }

    fn decide(&self, condition: &Value) -> Option<bool> {
        let (key, arg) = condition.as_object()?.iter().next()?;
        let items = arg.as_array();
        match key.as_str() {
            "Condition" => self.condition(arg.as_str()?).ok(),
            "Fn::Equals" => {
                let [a, b] = items?.as_slice() else {
                    return None;
                };
                let (a, b) = (self.string(a).ok()?, self.string(b).ok()?);
                // Placeholders are values the deployer or the account decides.
                (!a.contains("${") && !b.contains("${")).then_some(a == b)
            }
            "Fn::Not" => Some(!self.decide(items?.first()?)?),
            "Fn::And" => items?
                .iter()
                .try_fold(true, |all, c| Some(all && self.decide(c)?)),
            "Fn::Or" => items?
                .iter()
                .try_fold(false, |any, c| Some(any || self.decide(c)?)),
            _ => None,
        }
    }
}

/// The entry for `template`'s IAM resources, as integration `integration` of `vendor`.
pub(crate) fn import(
    template: &Value,
    vendor: &str,
    display_name: &str,
    integration: &str,
    source: Source,
) -> Result<Imported, String> {
    let object = template
        .as_object()
        .ok_or("the template is not a mapping of sections")?;
    let mut skipped: Vec<Skipped> = Vec::new();
    for (section, what) in [
        ("Transform", "macros are not expanded"),
        (
            "Outputs",
            "outputs are not carried: apply prints the role ARNs and external ID",
        ),
        (
            "Mappings",
            "mappings are not carried (Fn::FindInMap is not evaluated)",
        ),
        ("Rules", "rules are not checked"),
    ] {
        if object.contains_key(section) {
            push(&mut skipped, section, what.to_owned());
        }
    }
    let empty = Map::new();
    let Some(Value::Object(resources)) = object.get("Resources") else {
        return Err("the template has no Resources".into());
    };
    let conditions = object
        .get("Conditions")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    // Parameters.
    let mut parameters = Vec::new();
    let mut names = Vec::new();
    for (name, spec) in object
        .get("Parameters")
        .and_then(Value::as_object)
        .unwrap_or(&empty)
    {
        let kind = spec["Type"].as_str().unwrap_or("String");
        let list = kind.starts_with("List<") || kind == "CommaDelimitedList";
        let reserved = super::BUILTIN_PLACEHOLDERS.contains(&name.as_str());
        if list || reserved || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            let why = match (list, reserved) {
                (true, _) => format!("parameter type {kind}: onboard parameters are single values"),
                (_, true) => format!("parameter name {name} is one of onboard's own placeholders"),
                _ => format!("parameter name {name} is not alphanumeric"),
            };
            push(&mut skipped, name, why);
            continue;
        }
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        parameters.push(ParamSpec {
            name: name.clone(),
            description: spec["Description"].as_str().map_or_else(
                || format!("template parameter {name} ({kind})"),
                str::to_owned,
            ),
            kind: ParamKind::Text,
            default: spec.get("Default").and_then(text),
            optional: false,
            allowed_values: spec["AllowedValues"]
                .as_array()
                .map(|v| v.iter().filter_map(text).collect())
                .unwrap_or_default(),
        });
        names.push(name.clone());
    }

    // The names of what the template creates, for Ref and Fn::GetAtt.
    let mut known = BTreeMap::new();
    for (id, resource) in resources {
        let Some(kind) = resource["Type"].as_str().and_then(Kind::of) else {
            continue;
        };
        let name_key = match kind {
            Kind::ManagedPolicy => "ManagedPolicyName",
            Kind::Role => "RoleName",
            Kind::InstanceProfile => "InstanceProfileName",
            Kind::User => "UserName",
            Kind::AccessKey => "",
        };
        let name = resource["Properties"][name_key]
            .as_str()
            .map_or_else(|| id.clone(), str::to_owned);
        known.insert(id.clone(), Named { kind, name });
    }
    let template = Template {
        parameters: names,
        conditions,
        resources: known,
    };

    let mut policies: Vec<PolicySpec> = Vec::new();
    let mut roles: Vec<RoleSpec> = Vec::new();
    let mut users: Vec<UserSpec> = Vec::new();
    // (policy id, holder logical id) from a managed policy's Roles / Users.
    let mut attach_from_policy: Vec<(String, String)> = Vec::new();
    // Deferred: instance profiles and access keys name their role or user.
    let mut profiles: Vec<(&String, Value)> = Vec::new();
    let mut keys: Vec<(&String, Value)> = Vec::new();

    for (id, resource) in resources {
        let resource_type = resource["Type"].as_str().unwrap_or("(no Type)");
        let Some(kind) = Kind::of(resource_type) else {
            push(
                &mut skipped,
                id,
                format!(
                    "resource type {resource_type}: onboard carries only IAM managed policies, \
                     roles, instance profiles, users and access keys"
                ),
            );
            continue;
        };
        if let Some(condition) = resource["Condition"].as_str() {
            match template.condition(condition) {
                Ok(true) => {}
                Ok(false) => {
                    push(
                        &mut skipped,
                        id,
                        format!("left out: its condition {condition} is false"),
                    );
                    continue;
                }
                Err(why) => {
                    push(&mut skipped, id, why);
                    continue;
                }
            }
        }
        let properties = match template.resolve(&resource["Properties"]) {
            Ok(Value::Object(p)) => p,
            Ok(Value::Null) => Map::new(),
            Ok(other) => {
                push(
                    &mut skipped,
                    id,
                    format!("Properties is {other}, not a mapping"),
                );
                continue;
            }
            Err(why) => {
                push(&mut skipped, id, why);
                continue;
            }
        };
        let name = template.resources[id].name.clone();
        if name.contains("${") {
            push(
                &mut skipped,
                id,
                "its name depends on a parameter or the account: onboard names resources \
                 with --name-prefix and --name-suffix"
                    .into(),
            );
            continue;
        }
        let description = properties
            .get("Description")
            .and_then(Value::as_str)
            .map_or_else(|| format!("{id} from the template"), str::to_owned);
        let mut unsupported = |property: &str, why: &str| {
            if properties.contains_key(property) {
                push(&mut skipped, &format!("{id}.{property}"), why.to_owned());
            }
        };
        match kind {
            Kind::ManagedPolicy => {
                unsupported("Path", "onboard puts every resource under --path");
                unsupported("Groups", "onboard attaches policies to no group");
                let Some(document) = properties.get("PolicyDocument").cloned() else {
                    push(&mut skipped, id, "it has no PolicyDocument".into());
                    continue;
                };
                for holder in ["Roles", "Users"] {
                    for holder_name in list_of(properties.get(holder)) {
                        attach_from_policy.push((name.clone(), holder_name));
                    }
                }
                policies.push(PolicySpec {
                    id: name.clone(),
                    name,
                    description,
                    composed: false,
                    note: None,
                    document,
                    conditional: vec![],
                });
            }
            Kind::Role => {
                let Some(trust) = properties.get("AssumeRolePolicyDocument").cloned() else {
                    push(
                        &mut skipped,
                        id,
                        "it has no AssumeRolePolicyDocument".into(),
                    );
                    continue;
                };
                let (own, aws) = split_arns(
                    &list_of(properties.get("ManagedPolicyArns")),
                    &policies_by_arn(&template),
                    &mut |arn| {
                        push(
                            &mut skipped,
                            &format!("{id}.ManagedPolicyArns"),
                            format!(
                                "{arn}: neither a policy of the template nor an AWS managed policy"
                            ),
                        );
                    },
                );
                roles.push(RoleSpec {
                    id: name.clone(),
                    name,
                    description,
                    trust,
                    max_session_duration: properties
                        .get("MaxSessionDuration")
                        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                        .and_then(|v| i32::try_from(v).ok()),
                    policies: own,
                    aws_managed_policies: aws,
                    instance_profile: false,
                    external_id: None,
                    inline_policies: inline_policies(id, properties.get("Policies"), &mut skipped),
                    path: literal(id, "Path", properties.get("Path"), &mut skipped),
                    permissions_boundary: literal(
                        id,
                        "PermissionsBoundary",
                        properties.get("PermissionsBoundary"),
                        &mut skipped,
                    ),
                });
            }
            Kind::User => {
                unsupported("Path", "onboard puts every user under --path");
                unsupported(
                    "Policies",
                    "inline policies are not carried: make them managed policies of the entry",
                );
                unsupported("Groups", "onboard puts users in no group");
                unsupported(
                    "LoginProfile",
                    "onboard never gives a user a console password",
                );
                unsupported(
                    "PermissionsBoundary",
                    "pass --permissions-boundary ARN to apply instead",
                );
                let (own, aws) = split_arns(
                    &list_of(properties.get("ManagedPolicyArns")),
                    &policies_by_arn(&template),
                    &mut |arn| {
                        push(
                            &mut skipped,
                            &format!("{id}.ManagedPolicyArns"),
                            format!(
                                "{arn}: neither a policy of the template nor an AWS managed policy"
                            ),
                        );
                    },
                );
                users.push(UserSpec {
                    id: name.clone(),
                    name,
                    description,
                    policies: own,
                    aws_managed_policies: aws,
                    access_key: false,
                });
            }
            Kind::InstanceProfile => profiles.push((id, Value::Object(properties))),
            Kind::AccessKey => keys.push((id, Value::Object(properties))),
        }
    }
    for (policy_name, holder) in attach_from_policy {
        if let Some(role) = roles.iter_mut().find(|r| r.name == holder) {
            role.policies.push(policy_name);
        } else if let Some(user) = users.iter_mut().find(|u| u.name == holder) {
            user.policies.push(policy_name);
        } else {
            push(
                &mut skipped,
                &policy_name,
                format!("attached to {holder}, which the template does not create"),
            );
        }
    }
    for (id, properties) in profiles {
        let held = list_of(properties.get("Roles"));
        let name = &template.resources[id].name;
        match roles.iter_mut().find(|r| held.contains(&r.name)) {
            Some(role) if &role.name == name || properties.get("InstanceProfileName").is_none() => {
                role.instance_profile = true;
            }
            Some(role) => push(
                &mut skipped,
                id,
                format!(
                    "instance profile {name}: onboard names a role's instance profile after the \
                     role ({})",
                    role.name
                ),
            ),
            None => push(
                &mut skipped,
                id,
                "it holds no role the template creates".into(),
            ),
        }
    }
    for (id, properties) in keys {
        let user = properties.get("UserName").and_then(Value::as_str);
        match users.iter_mut().find(|u| Some(u.name.as_str()) == user) {
            Some(user) => user.access_key = true,
            None => push(
                &mut skipped,
                id,
                "its user is not one the template creates".into(),
            ),
        }
    }
    if roles.is_empty() && users.is_empty() {
        return Err(format!(
            "the template creates no IAM role or user onboard can carry{}",
            if skipped.is_empty() {
                String::new()
            } else {
                format!(
                    " (left out: {})",
                    skipped
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        ));
    }
    let note = (!skipped.is_empty()).then(|| {
        format!(
            "Imported from the template; not carried: {}",
            skipped
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    });
    let catalog = VendorCatalog {
        vendor: vendor.to_owned(),
        display_name: display_name.to_owned(),
        default_integration: integration.to_owned(),
        trust_principal_integration: None,
        integrations: BTreeMap::from([(
            integration.to_owned(),
            Integration {
                description: format!(
                    "{display_name}: the IAM resources of its CloudFormation template"
                ),
                source,
                parameters,
                policies,
                roles,
                users,
                dedicated_account: None,
                note,
            },
        )]),
    };
    Ok(Imported { catalog, skipped })
}

/// A string property carried as it is, when it depends on nothing but the account
/// (`${AccountId}`, `${Partition}`); otherwise reported.
fn literal(
    id: &str,
    property: &str,
    value: Option<&Value>,
    skipped: &mut Vec<Skipped>,
) -> Option<String> {
    let text = value?.as_str();
    let placeholders = text.map(|t| super::placeholders(&Value::String(t.to_owned())));
    match (text, placeholders) {
        (Some(text), Some(found)) if found.iter().all(|p| p == "AccountId" || p == "Partition") => {
            Some(text.to_owned())
        }
        _ => {
            push(
                skipped,
                &format!("{id}.{property}"),
                "it depends on a parameter: pass the value to apply with the matching flag".into(),
            );
            None
        }
    }
}

/// A role's `Policies` property: each `{PolicyName, PolicyDocument}` an inline policy.
fn inline_policies(
    id: &str,
    policies: Option<&Value>,
    skipped: &mut Vec<Skipped>,
) -> Vec<super::InlinePolicySpec> {
    let mut out = Vec::new();
    for (index, policy) in policies
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match (policy["PolicyName"].as_str(), policy.get("PolicyDocument")) {
            (Some(name), Some(document)) if !name.contains("${") => {
                out.push(super::InlinePolicySpec {
                    name: name.to_owned(),
                    document: document.clone(),
                });
            }
            _ => push(
                skipped,
                &format!("{id}.Policies[{index}]"),
                "an inline policy needs a literal PolicyName and a PolicyDocument".into(),
            ),
        }
    }
    out
}

fn push(skipped: &mut Vec<Skipped>, logical_id: &str, reason: String) {
    skipped.push(Skipped {
        logical_id: logical_id.to_owned(),
        reason,
    });
}

/// A property holding one string or a list of them.
fn list_of(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => vec![],
    }
}

/// The template's managed policies by the ARN `Ref` resolves them to, with their names.
fn policies_by_arn(template: &Template<'_>) -> BTreeMap<String, String> {
    template
        .resources
        .values()
        .filter(|n| n.kind == Kind::ManagedPolicy)
        .map(|n| (Template::policy_arn(&n.name), n.name.clone()))
        .collect()
}

/// Managed policy ARNs split into the template's own policies (by name) and AWS managed ones
/// (by name); any other is reported through `other`.
fn split_arns(
    arns: &[String],
    own: &BTreeMap<String, String>,
    other: &mut impl FnMut(&str),
) -> (Vec<String>, Vec<String>) {
    let (mut mine, mut aws) = (Vec::new(), Vec::new());
    for arn in arns {
        if let Some(name) = own.get(arn) {
            mine.push(name.clone());
        } else if let Some(name) = [
            format!("arn:{PARTITION}:iam::aws:policy/"),
            "arn:aws:iam::aws:policy/".to_owned(),
        ]
        .iter()
        .find_map(|prefix| arn.strip_prefix(prefix.as_str()))
        .filter(|name| !name.contains('/'))
        {
            aws.push(name.to_owned());
        } else {
            other(arn);
        }
    }
    (mine, aws)
}

#[cfg(test)]
mod tests;
