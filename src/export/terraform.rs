//! The export as Terraform configuration (HCL) for the hashicorp/aws provider: variables for the
//! external ID and the vendor's parameters, the policy documents as `locals` (one key a line),
//! `aws_iam_*` resources that take them through `jsonencode(local.NAME)`, the role ARN as output. Built with hcl-rs's types, so quoting and the
//! escaping of IAM's own `${...}` variables (as `$${...}`) are hcl-rs's.

use std::collections::BTreeMap;

use hcl::expr::{FuncCall, TemplateExpr, Traversal, Variable};
use hcl::{Block, Body, Expression, Object, ObjectKey, Template};
use serde_json::Value;

use super::{Export, Input, Piece, UniqueNames, pieces, snake_case, tag_value};
use crate::state::Tag;

/// What the `managed-by` tag names: the Terraform state owns what it creates.
const MANAGER: &str = crate::state::MANAGED_BY_TERRAFORM;

/// Version constraint of the hashicorp/aws provider.
const PROVIDER_VERSION: &str = ">= 5.0";

/// The configuration of `export`, in `terraform fmt`'s canonical form.
pub(crate) fn configuration(export: &Export) -> String {
    let text = hcl::format::to_string(&body(export)).expect("a built body formats");
    super::terraform_fmt::align_attributes(&text)
}

/// The configuration of `export` as an HCL body.
pub(crate) fn body(export: &Export) -> Body {
    let desired = &export.desired;
    let mut blocks: Vec<Block> = vec![
        Block::builder("terraform")
            .add_block(
                Block::builder("required_providers")
                    .add_attribute((
                        "aws",
                        object([
                            ("source", Expression::from("hashicorp/aws")),
                            ("version", Expression::from(PROVIDER_VERSION)),
                        ]),
                    ))
                    .build(),
            )
            .build(),
    ];

    let mut variables = BTreeMap::new();
    let mut names = UniqueNames::default();
    for parameter in &export.parameters {
        let wanted = match &parameter.input {
            Input::Param(name) => snake_case(name),
            _ => "external_id".to_owned(),
        };
        let name = names.take(&wanted, "_param");
        let var = traversal("var", &[&name]);
        let mut condition = call(
            "can",
            [call(
                "regex",
                [parameter.pattern.as_str().into(), var.clone()],
            )],
        );
        let mut bounds = Vec::new();
        if let Some(min) = parameter.min_length {
            condition = and(ge(call("length", [var.clone()]), min), condition);
            bounds.push(format!("at least {min}"));
        }
        if let Some(max) = parameter.max_length {
            condition = and(le(call("length", [var.clone()]), max), condition);
            bounds.push(format!("at most {max}"));
        }
        let mut message = format!("{name} must match {}", parameter.pattern);
        if !bounds.is_empty() {
            message.push_str(&format!(" and be {} characters long", bounds.join(" and ")));
        }
        message.push('.');
        let mut block = Block::builder("variable")
            .add_label(name.as_str())
            .add_attribute(("description", parameter.description.as_str()))
            .add_attribute(("type", Expression::Variable(Variable::unchecked("string"))));
        if let Some(default) = &parameter.default {
            block = block.add_attribute(("default", default.as_str()));
        }
        block = block.add_block(
            Block::builder("validation")
                .add_attribute(("condition", condition))
                .add_attribute(("error_message", message))
                .build(),
        );
        blocks.push(block.build());
        variables.insert(parameter.input.clone(), var);
    }
    let subst = Substitution { variables };

    blocks.push(data("aws_caller_identity"));
    blocks.push(data("aws_partition"));
    if export.uses(&Input::Region) {
        blocks.push(data("aws_region"));
    }
    let locals_at = blocks.len();
    let mut documents = Documents::default();

    let mut policy_refs: BTreeMap<&str, Expression> = BTreeMap::new();
    let mut policy_names = UniqueNames::default();
    for policy in &desired.policies {
        let local = policy_names.take(&snake_case(&policy.id), "_policy");
        let mut block = resource("aws_iam_policy", &local)
            .add_attribute(("name", policy.name.as_str()))
            .add_attribute(("path", policy.path.as_str()));
        if !policy.description.is_empty() {
            block = block.add_attribute(("description", policy.description.as_str()));
        }
        block = block
            .add_attribute((
                "policy",
                documents.encoded(&format!("{local}_policy"), subst.value(&policy.document)),
            ))
            .add_attribute(("tags", subst.tags(&policy.tags)));
        blocks.push(block.build());
        policy_refs.insert(&policy.arn, traversal("aws_iam_policy", &[&local, "arn"]));
    }
    let policy_arn = |arn: &str| match policy_refs.get(arn) {
        Some(reference) => reference.clone(),
        None => subst.string(arn),
    };

    let mut attachments = UniqueNames::default();
    let mut outputs = Vec::new();
    let mut role_names = UniqueNames::default();
    for (index, role) in desired.roles.iter().enumerate() {
        let local = role_names.take(&snake_case(&role.id), "_role");
        let mut block = resource("aws_iam_role", &local)
            .add_attribute(("name", role.name.as_str()))
            .add_attribute(("path", role.path.as_str()));
        if !role.description.is_empty() {
            block = block.add_attribute(("description", role.description.as_str()));
        }
        block = block
            .add_attribute((
                "assume_role_policy",
                documents.encoded(&format!("{local}_trust"), subst.value(&role.trust)),
            ))
            .add_attribute(("max_session_duration", i64::from(role.max_session_duration)));
        if let Some(boundary) = &role.permissions_boundary {
            block = block.add_attribute(("permissions_boundary", subst.string(boundary)));
        }
        blocks.push(
            block
                .add_attribute(("tags", subst.tags(&role.tags)))
                .build(),
        );
        let role_name = traversal("aws_iam_role", &[&local, "name"]);
        for policy in &role.inline_policies {
            let inline = attachments.take(&format!("{local}_{}", snake_case(&policy.name)), "");
            blocks.push(
                resource("aws_iam_role_policy", &inline)
                    .add_attribute(("name", policy.name.as_str()))
                    .add_attribute(("role", role_name.clone()))
                    .add_attribute((
                        "policy",
                        documents
                            .encoded(&format!("{inline}_policy"), subst.value(&policy.document)),
                    ))
                    .build(),
            );
        }
        for arn in &role.policy_arns {
            let attachment =
                attachments.take(&format!("{local}_{}", snake_case(last_segment(arn))), "");
            blocks.push(
                resource("aws_iam_role_policy_attachment", &attachment)
                    .add_attribute(("role", role_name.clone()))
                    .add_attribute(("policy_arn", policy_arn(arn)))
                    .build(),
            );
        }
        if role.instance_profile {
            blocks.push(
                resource("aws_iam_instance_profile", &local)
                    .add_attribute(("name", role.name.as_str()))
                    .add_attribute(("path", role.path.as_str()))
                    .add_attribute(("role", role_name.clone()))
                    .add_attribute(("tags", subst.tags(&role.tags)))
                    .build(),
            );
        }
        let output = if index == 0 {
            "role_arn".to_owned()
        } else {
            format!("{local}_arn")
        };
        outputs.push(
            Block::builder("output")
                .add_label(output)
                .add_attribute((
                    "description",
                    format!("ARN of role {} to hand to the vendor", role.name),
                ))
                .add_attribute(("value", traversal("aws_iam_role", &[&local, "arn"])))
                .build(),
        );
    }
    let mut user_names = UniqueNames::default();
    for user in &desired.users {
        let local = user_names.take(&snake_case(&user.id), "_user");
        blocks.push(
            resource("aws_iam_user", &local)
                .add_attribute(("name", user.name.as_str()))
                .add_attribute(("path", user.path.as_str()))
                .add_attribute(("tags", subst.tags(&user.tags)))
                .build(),
        );
        let user_name = traversal("aws_iam_user", &[&local, "name"]);
        for arn in &user.policy_arns {
            let attachment =
                attachments.take(&format!("{local}_{}", snake_case(last_segment(arn))), "");
            blocks.push(
                resource("aws_iam_user_policy_attachment", &attachment)
                    .add_attribute(("user", user_name.clone()))
                    .add_attribute(("policy_arn", policy_arn(arn)))
                    .build(),
            );
        }
        outputs.push(
            Block::builder("output")
                .add_label(format!("{local}_arn"))
                .add_attribute((
                    "description",
                    format!(
                        "ARN of user {}; create its access key with onboard rotate-key, not in Terraform state",
                        user.name
                    ),
                ))
                .add_attribute(("value", traversal("aws_iam_user", &[&local, "arn"])))
                .build(),
        );
    }
    if let Some(external_id) = subst.variables.get(&Input::ExternalId) {
        outputs.push(
            Block::builder("output")
                .add_label("external_id")
                .add_attribute((
                    "description",
                    "External ID in the trust policy, to hand to the vendor with the role ARN",
                ))
                .add_attribute(("value", external_id.clone()))
                .build(),
        );
    }
    blocks.extend(outputs);
    if !documents.locals.is_empty() {
        blocks.insert(locals_at, documents.block());
    }

    let mut builder = Body::builder();
    for block in blocks {
        builder = builder.add_block(block);
    }
    builder.build()
}

/// The policy documents, as `locals` the resources pass through `jsonencode`: a function's
/// arguments are formatted on one line, a local's value over many, one statement key a line, as a
/// reviewer reads them.
#[derive(Default)]
struct Documents {
    locals: Vec<(String, Expression)>,
    names: UniqueNames,
}

impl Documents {
    /// `jsonencode(local.NAME)` for `document`, kept as the local `NAME` (`wanted`, made unique).
    fn encoded(&mut self, wanted: &str, document: Expression) -> Expression {
        let name = self.names.take(wanted, "_document");
        let reference = traversal("local", &[&name]);
        self.locals.push((name, document));
        call("jsonencode", [reference])
    }

    fn block(self) -> Block {
        let mut block = Block::builder("locals");
        for (name, document) in self.locals {
            block = block.add_attribute((name, document));
        }
        block.build()
    }
}

/// The name at the end of an ARN (`policy/path/NAME`).
fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn resource(kind: &str, name: &str) -> hcl::BlockBuilder {
    Block::builder("resource").add_label(kind).add_label(name)
}

fn data(kind: &str) -> Block {
    Block::builder("data")
        .add_label(kind)
        .add_label("current")
        .build()
}

/// `root.a.b`.
fn traversal(root: &str, attributes: &[&str]) -> Expression {
    let mut builder = Traversal::builder(Variable::unchecked(root));
    for attribute in attributes {
        builder = builder.attr(*attribute);
    }
    builder.build().into()
}

fn call<const N: usize>(name: &str, args: [Expression; N]) -> Expression {
    let mut builder = FuncCall::builder(name);
    for arg in args {
        builder = builder.arg(arg);
    }
    builder.build().into()
}

/// An object with identifier keys (`source = ...`), as Terraform's own blocks expect.
fn object<const N: usize>(entries: [(&str, Expression); N]) -> Expression {
    let object: Object<ObjectKey, Expression> = entries
        .into_iter()
        .map(|(k, v)| (ObjectKey::Identifier(hcl::Identifier::unchecked(k)), v))
        .collect();
    Expression::Object(object)
}

fn binary(left: Expression, operator: hcl::expr::BinaryOperator, right: Expression) -> Expression {
    hcl::expr::BinaryOp::new(left, operator, right).into()
}

fn and(left: Expression, right: Expression) -> Expression {
    binary(left, hcl::expr::BinaryOperator::And, right)
}

fn ge(left: Expression, right: usize) -> Expression {
    binary(
        left,
        hcl::expr::BinaryOperator::GreaterEq,
        Expression::from(right as u64),
    )
}

fn le(left: Expression, right: usize) -> Expression {
    binary(
        left,
        hcl::expr::BinaryOperator::LessEq,
        Expression::from(right as u64),
    )
}

/// Turns rendered strings into HCL expressions: inputs become references to variables and data
/// sources.
struct Substitution {
    variables: BTreeMap<Input, Expression>,
}

impl Substitution {
    fn reference(&self, input: &Input) -> Expression {
        match input {
            Input::AccountId => {
                traversal("data", &["aws_caller_identity", "current", "account_id"])
            }
            Input::Partition => traversal("data", &["aws_partition", "current", "partition"]),
            Input::Region => traversal("data", &["aws_region", "current", "name"]),
            other => self.variables[other].clone(),
        }
    }

    /// A string expression (hcl-rs escapes `${` and `%{` in it), the reference when the string
    /// is one input, else a template interpolating the inputs.
    fn string(&self, text: &str) -> Expression {
        let pieces = pieces(text);
        match pieces.as_slice() {
            [Piece::Input(input)] => self.reference(input),
            [] | [Piece::Text(_)] => Expression::String(text.to_owned()),
            _ => {
                let mut template = Template::new();
                for piece in &pieces {
                    template = match piece {
                        Piece::Text(text) => template.add_literal(quoted_literal(text)),
                        Piece::Input(input) => template.add_interpolation(self.reference(input)),
                    };
                }
                let raw = hcl::format::to_string(&template).expect("a built template formats");
                Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(raw)))
            }
        }
    }

    fn value(&self, value: &Value) -> Expression {
        match value {
            Value::Null => Expression::Null,
            Value::Bool(b) => Expression::Bool(*b),
            Value::Number(n) => Expression::Number(match n.as_i64() {
                Some(i) => i.into(),
                None => hcl::Number::from_f64(n.as_f64().expect("JSON numbers are finite"))
                    .expect("finite"),
            }),
            Value::String(s) => self.string(s),
            Value::Array(items) => Expression::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Expression::Object(
                map.iter()
                    .map(|(k, v)| {
                        (
                            ObjectKey::Expression(Expression::String(k.clone())),
                            self.value(v),
                        )
                    })
                    .collect(),
            ),
        }
    }

    fn tags(&self, tags: &[Tag]) -> Expression {
        Expression::Object(
            tags.iter()
                .map(|t| {
                    (
                        ObjectKey::Expression(Expression::String(t.key.clone())),
                        self.string(tag_value(t, MANAGER)),
                    )
                })
                .collect(),
        )
    }
}

/// Literal text for a quoted template: backslashes, quotes and control characters escaped
/// (hcl-rs escapes the template markers `${` and `%{`).
fn quoted_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
    use serde_json::{Value, json};

    use super::*;
    use crate::export::tests::{applied, every_integration, export_of};

    /// A role's inline policies become aws_iam_role_policy resources of the role.
    #[test]
    fn inline_policies_are_role_policy_resources() {
        let mut export = export_of("streamkap", &["s3"], &[], None);
        let document = export.desired.policies[0].document.clone();
        export.desired.roles[0].inline_policies = vec![crate::state::InlinePolicy {
            name: "Inline".into(),
            document,
        }];
        let text = configuration(&export);
        assert!(
            text.contains("resource \"aws_iam_role_policy\" \"streamkap_connector_access_inline\""),
            "{text}"
        );
        let role = ["role", "=", "aws_iam_role.streamkap_connector_access.name"];
        assert!(
            text.lines()
                .any(|line| line.split_whitespace().eq(role.iter().copied())),
            "{text}"
        );
    }
    use crate::policy::same_document;
    use crate::state::Desired;

    const ACCOUNT: &str = "123456789012";

    fn jsonencode(args: FuncArgs) -> Result<hcl::Value, String> {
        let value = args.into_values().remove(0);
        serde_json::to_string(&value)
            .map(hcl::Value::String)
            .map_err(|e| e.to_string())
    }

    /// What the configuration creates, read back from the parsed HCL and evaluated with
    /// `variables` and the account's data sources, as Terraform would.
    #[derive(Debug, Default, PartialEq)]
    struct Created {
        /// Policy name -> document.
        policies: BTreeMap<String, Value>,
        /// Role name -> (trust, attached ARNs sorted, instance profile).
        roles: BTreeMap<String, (Value, Vec<String>, bool)>,
        /// User name -> attached ARNs sorted.
        users: BTreeMap<String, Vec<String>>,
        /// Resource name -> tags.
        tags: BTreeMap<String, Value>,
    }

    #[allow(clippy::needless_pass_by_value, reason = "called with json! literals")]
    fn created(text: &str, variables: Value) -> Created {
        let body = hcl::parse(text).expect("the configuration parses");
        let mut ctx = Context::new();
        ctx.declare_func(
            "jsonencode",
            FuncDef::builder().param(ParamType::Any).build(jsonencode),
        );
        ctx.declare_var("var", hcl::to_value(&variables).unwrap());
        ctx.declare_var(
            "data",
            hcl::to_value(json!({
                "aws_caller_identity": {"current": {"account_id": ACCOUNT}},
                "aws_partition": {"current": {"partition": "aws"}},
                "aws_region": {"current": {"name": "us-east-1"}},
            }))
            .unwrap(),
        );
        // The locals: they use variables and data sources only.
        let mut locals = serde_json::Map::new();
        for block in body.blocks().filter(|b| b.identifier() == "locals") {
            for attribute in block.body().attributes() {
                let value = attribute.expr().evaluate(&ctx).unwrap();
                locals.insert(
                    attribute.key().to_owned(),
                    serde_json::to_value(value).unwrap(),
                );
            }
        }
        ctx.declare_var("local", hcl::to_value(&locals).unwrap());
        let resources: Vec<&Block> = body
            .blocks()
            .filter(|b| b.identifier() == "resource")
            .collect();
        let attribute = |block: &Block, key: &str, ctx: &Context| -> Value {
            let attribute = block
                .body()
                .attributes()
                .find(|a| a.key() == key)
                .unwrap_or_else(|| panic!("{key} in {block:?}"));
            serde_json::to_value(attribute.expr().evaluate(ctx).unwrap()).unwrap()
        };
        let string = |block: &Block, key: &str, ctx: &Context| -> String {
            attribute(block, key, ctx).as_str().unwrap().to_owned()
        };
        let label = |block: &Block, i: usize| block.labels()[i].as_str().to_owned();

        // Resources' own attributes first, so that references to them evaluate.
        let mut refs: BTreeMap<&str, BTreeMap<String, Value>> = BTreeMap::new();
        let mut out = Created::default();
        for block in &resources {
            let (kind, local) = (label(block, 0), label(block, 1));
            let (arn_kind, name) = match kind.as_str() {
                "aws_iam_policy" => ("policy", string(block, "name", &ctx)),
                "aws_iam_role" => ("role", string(block, "name", &ctx)),
                "aws_iam_user" => ("user", string(block, "name", &ctx)),
                _ => continue,
            };
            let path = string(block, "path", &ctx);
            let arn = format!("arn:aws:iam::{ACCOUNT}:{arn_kind}{path}{name}");
            let kind_key: &str = match arn_kind {
                "policy" => "aws_iam_policy",
                "role" => "aws_iam_role",
                _ => "aws_iam_user",
            };
            refs.entry(kind_key)
                .or_default()
                .insert(local, json!({"name": name, "arn": arn}));
            out.tags
                .insert(format!("{arn_kind} {name}"), attribute(block, "tags", &ctx));
            match arn_kind {
                "policy" => {
                    let document = string(block, "policy", &ctx);
                    out.policies
                        .insert(name, serde_json::from_str(&document).unwrap());
                }
                "role" => {
                    let trust = string(block, "assume_role_policy", &ctx);
                    out.roles
                        .insert(name, (serde_json::from_str(&trust).unwrap(), vec![], false));
                }
                _ => {
                    out.users.insert(name, vec![]);
                }
            }
        }
        for (kind, resources) in &refs {
            ctx.declare_var(*kind, hcl::to_value(resources).unwrap());
        }
        for block in &resources {
            match label(block, 0).as_str() {
                "aws_iam_role_policy_attachment" => {
                    let role = string(block, "role", &ctx);
                    out.roles
                        .get_mut(&role)
                        .unwrap()
                        .1
                        .push(string(block, "policy_arn", &ctx));
                }
                "aws_iam_user_policy_attachment" => {
                    let user = string(block, "user", &ctx);
                    out.users
                        .get_mut(&user)
                        .unwrap()
                        .push(string(block, "policy_arn", &ctx));
                }
                "aws_iam_instance_profile" => {
                    let role = string(block, "role", &ctx);
                    assert_eq!(string(block, "name", &ctx), role);
                    out.roles.get_mut(&role).unwrap().2 = true;
                }
                _ => {}
            }
        }
        for (_, arns, _) in out.roles.values_mut() {
            arns.sort();
        }
        for arns in out.users.values_mut() {
            arns.sort();
        }
        out
    }

    /// What apply creates for the same integrations, in the same shape.
    fn expected(desired: &Desired) -> Created {
        let mut out = Created::default();
        let tags = |tags: &[Tag]| -> Value {
            tags.iter()
                .map(|t| (t.key.clone(), json!(tag_value(t, MANAGER))))
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        for policy in &desired.policies {
            out.policies
                .insert(policy.name.clone(), policy.document.clone());
            out.tags
                .insert(format!("policy {}", policy.name), tags(&policy.tags));
        }
        for role in &desired.roles {
            let mut arns = role.policy_arns.clone();
            arns.sort();
            out.roles.insert(
                role.name.clone(),
                (role.trust.clone(), arns, role.instance_profile),
            );
            out.tags
                .insert(format!("role {}", role.name), tags(&role.tags));
        }
        for user in &desired.users {
            let mut arns = user.policy_arns.clone();
            arns.sort();
            out.users.insert(user.name.clone(), arns);
            out.tags
                .insert(format!("user {}", user.name), tags(&user.tags));
        }
        out
    }

    /// Vendor, integrations, parameter values, the same values as Terraform variables.
    type Case = (
        &'static str,
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
        Value,
    );

    /// The configuration parses back, and evaluated with the deployer's values it creates
    /// exactly the policies, trust, attachments and tags apply creates with the same values.
    #[test]
    fn the_configuration_evaluates_to_what_apply_creates() {
        let cases: [Case; 4] = [
            (
                "streamkap",
                &["s3", "glue"],
                &[
                    ("bucket", "b-1"),
                    ("database", "db"),
                    ("region", "us-east-1"),
                ],
                json!({"external_id": "xid", "bucket": "b-1", "database": "db", "region": "us-east-1"}),
            ),
            (
                "upsolver",
                &[],
                &[("org-id", "org42"), ("region", "eu-west-1")],
                json!({"external_id": "xid", "org_id": "org42", "region": "eu-west-1"}),
            ),
            ("kubermatic", &[], &[], json!({})),
            ("streamkap", &[], &[], json!({})),
        ];
        for (vendor, integrations, params, variables) in cases {
            // The parameters are left to the variables, not given as defaults.
            let export = export_of(vendor, integrations, &[], None);
            let text = configuration(&export);
            let got = created(&text, variables);
            let want = expected(&applied(vendor, integrations, params, "xid", ACCOUNT));
            assert_eq!(got.tags, want.tags, "{vendor}");
            assert_eq!(got.users, want.users, "{vendor}");
            assert_eq!(
                got.policies.keys().collect::<Vec<_>>(),
                want.policies.keys().collect::<Vec<_>>()
            );
            for (name, document) in &want.policies {
                assert!(
                    same_document(&got.policies[name], document),
                    "{vendor} policy {name}"
                );
            }
            assert_eq!(got.roles.len(), want.roles.len(), "{vendor}");
            for (name, (trust, arns, profile)) in &want.roles {
                let (got_trust, got_arns, got_profile) = &got.roles[name];
                assert!(same_document(got_trust, trust), "{vendor} trust of {name}");
                assert_eq!(
                    (got_arns, got_profile),
                    (arns, profile),
                    "{vendor} role {name}"
                );
            }
        }
    }

    /// IAM's own variables survive as literal text (`$${...}` in HCL).
    #[test]
    fn iam_variables_are_escaped() {
        let subst = Substitution {
            variables: BTreeMap::new(),
        };
        let text = format!(
            "arn:{}:s3:::b/${{aws:username}}/*",
            Input::Partition.marker()
        );
        let expr = subst.string(&text);
        let printed = hcl::format::to_string(&expr).unwrap();
        assert_eq!(
            printed,
            "\"arn:${data.aws_partition.current.partition}:s3:::b/$${aws:username}/*\""
        );
        let plain = hcl::format::to_string(&subst.string("%{x} ${aws:userid}")).unwrap();
        assert_eq!(plain, "\"%%{x} $${aws:userid}\"");
    }

    /// The configuration of every built-in integration of every vendor, as `onboard export`
    /// writes it (in `terraform fmt` form: tests/export.rs runs `terraform fmt -check` on them).
    #[test]
    fn every_integration_exports_as_snapshotted() {
        for (vendor, integration) in every_integration() {
            let export = export_of(vendor, &[&integration], &[], None);
            insta::assert_snapshot!(format!("{vendor}_{integration}"), configuration(&export));
        }
    }
}
