//! Trust policy evaluation: may a principal, with or without an external ID, assume a role under
//! its trust policy? IAM's rules for the parts onboard writes and reads: explicit `Deny` wins, an
//! `Allow` is needed; AWS principals (`*`, account root or bare account id, role, user,
//! assumed-role session) and service principals; `Action`/`NotAction` with wildcards;
//! `StringEquals`, `StringLike`, `StringNotEquals`, `StringNotLike` (and their `IfExists` forms)
//! on `sts:ExternalId`. Anything else makes the answer [`Decision::Unknown`], never a guess.
//!
//! moto does not evaluate trust policies (its sts:AssumeRole succeeds for anyone), and AWS
//! answers only for the caller, so verify asks this evaluator about the vendor's principals.

use std::fmt;

use serde_json::{Map, Value};

use super::limits::is_account_id;
use super::wildcard::Wildcard;
use super::{has_external_id_condition, statements};
use crate::arn::Arn;

/// The one action a request asks for.
const ASSUME_ROLE: &str = "sts:AssumeRole";
/// The one condition key the evaluator models.
const EXTERNAL_ID_KEY: &str = "sts:ExternalId";

/// Who asks to assume the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    Aws(AwsPrincipal),
    /// A service principal such as `ec2.amazonaws.com`.
    Service(String),
}

/// An AWS principal, parsed from its ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsPrincipal {
    pub arn: String,
    pub partition: String,
    pub account: String,
    pub kind: AwsKind,
}

/// What an AWS principal ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AwsKind {
    /// `arn:aws:iam::ACCOUNT:root`: the account.
    Root,
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    Role { name: String },
    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    User,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`: a session of role `role`.
    Session { role: String },
}

impl AwsPrincipal {
    /// Parses an account root, role, user or assumed-role session ARN; `None` for anything else
    /// (wildcards, unique ids, other services).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let arn = Arn::parse(text).ok()?;
        if !arn.region().is_empty() || !is_account_id(arn.account()) || text.contains(['*', '?']) {
            return None;
        }
        let named = !arn.resource_id().is_empty() && !arn.name().is_empty();
        let kind = match (arn.service(), arn.resource_type()) {
            ("iam", "root") if arn.resource() == "root" => AwsKind::Root,
            ("iam", "role") if named => AwsKind::Role {
                name: arn.name().to_owned(),
            },
            ("iam", "user") if named => AwsKind::User,
            // `assumed-role/ROLE/SESSION`: the path is the role, one segment.
            ("sts", "assumed-role") => {
                let role = arn.path().trim_matches('/');
                if role.is_empty() || role.contains('/') || arn.name().is_empty() {
                    return None;
                }
                AwsKind::Session {
                    role: role.to_owned(),
                }
            }
            _ => return None,
        };
        Some(AwsPrincipal {
            arn: text.to_owned(),
            partition: arn.partition().to_owned(),
            account: arn.account().to_owned(),
            kind,
        })
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Aws(p) => f.write_str(&p.arn),
            Principal::Service(s) => f.write_str(s),
        }
    }
}

/// An sts:AssumeRole request: who asks, and the external ID they pass, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub principal: Principal,
    pub external_id: Option<String>,
}

/// A statement of a trust policy: its position (from 1) and `Sid`, for people to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatementRef {
    pub index: usize,
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "statement {}", self.index)?;
        match &self.sid {
            Some(sid) => write!(f, " (Sid {sid})"),
            None => Ok(()),
        }
    }
}

/// The trust policy's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The statement allows the principal by name (or everyone, `*`).
    Allowed(StatementRef),
    /// The statement trusts the principal's account (root ARN or bare account id): any principal
    /// of that account may assume the role if the account's own IAM policies allow it.
    AllowedIfAccountPermits {
        statement: StatementRef,
        account: String,
    },
    /// A `Deny` statement applies: it wins over any `Allow`.
    DeniedExplicitly(StatementRef),
    /// No statement allows the request (implicit deny).
    NotAllowed,
    /// The answer depends on something the evaluator does not model.
    Unknown {
        statement: Option<StatementRef>,
        reason: String,
    },
}

impl Decision {
    /// `Some(true)` when allowed (by name or through the account), `Some(false)` when denied
    /// explicitly or not allowed, `None` when unknown.
    pub(crate) fn allows(&self) -> Option<bool> {
        match self {
            Decision::Allowed(_) | Decision::AllowedIfAccountPermits { .. } => Some(true),
            Decision::DeniedExplicitly(_) | Decision::NotAllowed => Some(false),
            Decision::Unknown { .. } => None,
        }
    }
}

/// How far a statement's principal reaches the request's principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    /// Through the principal's account (root ARN or bare account id).
    Account,
    /// By name, or as everyone.
    Named,
}

/// A three-valued answer: `Err` holds why the evaluator cannot tell.
type Tri<T> = Result<T, String>;

/// Whether `trust` lets `request` assume the role.
pub(crate) fn evaluate(trust: &Value, request: &Request) -> Decision {
    let unknown =
        |statement: Option<StatementRef>, reason: String| Decision::Unknown { statement, reason };
    let Value::Object(document) = trust else {
        return unknown(None, "the trust policy is not a JSON object".into());
    };
    if let Some(key) = document
        .keys()
        .find(|k| !["Version", "Id", "Statement"].contains(&k.as_str()))
    {
        return unknown(None, format!("the trust policy has a top-level {key}"));
    }
    let statements = match &document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![*item],
        _ => return unknown(None, "the trust policy has no Statement list".into()),
    };
    let mut denied = None;
    let mut deny_unknown = None;
    let mut allowed: Option<(Reach, StatementRef)> = None;
    let mut allow_unknown = None;
    for (i, statement) in statements.into_iter().enumerate() {
        let Value::Object(statement) = statement else {
            let at = StatementRef {
                index: i + 1,
                sid: None,
            };
            return unknown(Some(at), "the statement is not a JSON object".into());
        };
        let at = StatementRef {
            index: i + 1,
            sid: statement
                .get("Sid")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        };
        let deny = match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow") => false,
            Some("Deny") => true,
            _ => return unknown(Some(at), "its Effect is neither Allow nor Deny".into()),
        };
        match (deny, applies(statement, request)) {
            (true, Ok(Some(_))) => {
                denied.get_or_insert(at);
            }
            (true, Err(why)) => {
                deny_unknown.get_or_insert((at, why));
            }
            (false, Ok(Some(reach))) => {
                if allowed.as_ref().is_none_or(|(best, _)| reach > *best) {
                    allowed = Some((reach, at));
                }
            }
            (false, Err(why)) => {
                allow_unknown.get_or_insert((at, why));
            }
            (_, Ok(None)) => {}
        }
    }
    if let Some(at) = denied {
        return Decision::DeniedExplicitly(at);
    }
    match (allowed, deny_unknown, allow_unknown) {
        (Some(_), Some((at, why)), _) | (None, _, Some((at, why))) => unknown(Some(at), why),
        (Some((Reach::Named, at)), None, _) => Decision::Allowed(at),
        (Some((Reach::Account, at)), None, _) => Decision::AllowedIfAccountPermits {
            statement: at,
            account: match &request.principal {
                Principal::Aws(p) => p.account.clone(),
                Principal::Service(s) => s.clone(),
            },
        },
        (None, _, None) => Decision::NotAllowed,
    }
}

/// Whether a statement applies to the request, and how far its principal reaches.
fn applies(statement: &Map<String, Value>, request: &Request) -> Tri<Option<Reach>> {
    const KNOWN: &[&str] = &[
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Condition",
    ];
    if let Some(key) = statement.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("the statement has a {key} element"));
    }
    let principal = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (_, Some(_)) => {
            Err("NotPrincipal, which IAM does not accept in a role trust policy".into())
        }
        (Some(principal), None) => principal_reach(principal, &request.principal),
        (None, None) => Err("the statement has no Principal".into()),
    };
    let action = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), None) => any_action(actions),
        (None, Some(actions)) => any_action(actions).map(|matched| !matched),
        _ => Err("the statement needs exactly one of Action and NotAction".into()),
    };
    let condition = match statement.get("Condition") {
        Some(condition) => conditions_hold(condition, request.external_id.as_deref()),
        None => Ok(true),
    };
    // Three-valued AND: a definite "no" anywhere decides, whatever else is unknown.
    if matches!(principal, Ok(None)) || action == Ok(false) || condition == Ok(false) {
        return Ok(None);
    }
    action?;
    condition?;
    principal
}

/// The strings of a value that is a string or a list of strings.
fn strings<'a>(value: &'a Value, what: &str) -> Tri<Vec<&'a str>> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .map(|v| {
            v.as_str()
                .ok_or_else(|| format!("{what} holds {v}, not a string"))
        })
        .collect()
}

fn any_action(actions: &Value) -> Tri<bool> {
    let patterns = strings(actions, "Action")?;
    Ok(patterns
        .iter()
        .any(|p| Wildcard::action(p).matches(ASSUME_ROLE)))
}

/// How far a `Principal` element reaches `who`: three-valued OR over its entries, the
/// widest reach winning.
fn principal_reach(principal: &Value, who: &Principal) -> Tri<Option<Reach>> {
    let entries = match principal {
        Value::String(s) if s == "*" => return Ok(Some(Reach::Named)),
        Value::Object(map) => map,
        other => return Err(format!("Principal {other} is neither \"*\" nor an object")),
    };
    let mut best = None;
    let mut unsure = None;
    for (kind, values) in entries {
        for entry in strings(values, "Principal")? {
            let reach = match kind.as_str() {
                "AWS" => aws_entry_reach(entry, who),
                "Service" => {
                    Ok((*who == Principal::Service(entry.to_owned())).then_some(Reach::Named))
                }
                // Web identity and SAML providers, and S3 canonical users, never name an AWS or
                // service principal.
                "Federated" | "CanonicalUser" => Ok(None),
                other => Err(format!("a Principal of type {other}")),
            };
            match reach {
                Ok(reach) => best = best.max(reach),
                Err(why) => {
                    unsure.get_or_insert(why);
                }
            }
        }
    }
    match (best, unsure) {
        (Some(reach), _) => Ok(Some(reach)),
        (None, Some(why)) => Err(why),
        (None, None) => Ok(None),
    }
}

/// How far one `{"AWS": ...}` entry reaches `who`.
fn aws_entry_reach(entry: &str, who: &Principal) -> Tri<Option<Reach>> {
    if entry == "*" {
        return Ok(Some(Reach::Named));
    }
    let Principal::Aws(who) = who else {
        return Ok(None);
    };
    let through_account = |account: &str| {
        (account == who.account).then_some(match who.kind {
            AwsKind::Root => Reach::Named,
            _ => Reach::Account,
        })
    };
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(through_account(entry));
    }
    let Some(named) = AwsPrincipal::parse(entry) else {
        return Err(format!(
            "the AWS principal '{entry}' is not an account id, root, role, user or assumed-role ARN"
        ));
    };
    if named.partition != who.partition || named.account != who.account {
        return Ok(None);
    }
    Ok(match (&named.kind, &who.kind) {
        (AwsKind::Root, _) => through_account(&named.account),
        // A role trusts as itself, and its sessions carry its name without the path.
        (AwsKind::Role { name }, AwsKind::Session { role }) => {
            (name == role).then_some(Reach::Named)
        }
        _ => (named.arn == who.arn).then_some(Reach::Named),
    })
}

/// Whether a `Condition` block holds: three-valued AND over its operators and keys.
fn conditions_hold(condition: &Value, external_id: Option<&str>) -> Tri<bool> {
    let Value::Object(operators) = condition else {
        return Err(format!("Condition {condition} is not an object"));
    };
    let mut unsure = None;
    for (operator, block) in operators {
        let result = operator_holds(operator, block, external_id);
        match result {
            Ok(false) => return Ok(false),
            Ok(true) => {}
            Err(why) => {
                unsure.get_or_insert(why);
            }
        }
    }
    unsure.map_or(Ok(true), Err)
}

fn operator_holds(operator: &str, block: &Value, external_id: Option<&str>) -> Tri<bool> {
    let (base, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let (like, negated) = match base {
        "StringEquals" => (false, false),
        "StringNotEquals" => (false, true),
        "StringLike" => (true, false),
        "StringNotLike" => (true, true),
        _ => return Err(format!("the condition operator {operator}")),
    };
    let Value::Object(keys) = block else {
        return Err(format!("{operator} holds {block}, not an object"));
    };
    let mut unsure = None;
    for (key, values) in keys {
        let result = key_holds(key, values, external_id, like, negated, if_exists);
        match result {
            Ok(false) => return Ok(false),
            Ok(true) => {}
            Err(why) => {
                unsure.get_or_insert(format!("{operator} {why}"));
            }
        }
    }
    unsure.map_or(Ok(true), Err)
}

fn key_holds(
    key: &str,
    values: &Value,
    external_id: Option<&str>,
    like: bool,
    negated: bool,
    if_exists: bool,
) -> Tri<bool> {
    if !key.eq_ignore_ascii_case(EXTERNAL_ID_KEY) {
        return Err(format!("on the condition key {key}"));
    }
    let items: Vec<&Value> = match values {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let values = items
        .into_iter()
        .map(|v| match v {
            Value::String(s) if s.contains("${") => {
                Err(format!("on {key} with the policy variable in '{s}'"))
            }
            Value::String(s) => Ok(s.clone()),
            Value::Bool(_) | Value::Number(_) => Ok(v.to_string()),
            other => Err(format!("on {key} with the value {other}")),
        })
        .collect::<Tri<Vec<String>>>()?;
    let Some(id) = external_id else {
        // A missing key fails the positive operators and satisfies the negated ones.
        return Ok(negated || if_exists);
    };
    let any = values.iter().any(|v| {
        if like {
            Wildcard::exact_case(v).matches(id)
        } else {
            v == id
        }
    });
    Ok(any != negated)
}

/// Whether any statement of a trust policy has a condition on `sts:ExternalId`.
pub(crate) fn conditions_on_external_id(trust: &Value) -> bool {
    statements(trust).iter().any(has_external_id_condition)
}

#[cfg(test)]
mod tests;
