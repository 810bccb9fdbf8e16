//! What a catalog entry must hold beyond its shape, checked when it loads, before any AWS call:
//! no JSON object with a key twice (a parser keeps only the last one, so `"Effect": "Allow",
//! "Effect": "Deny"` would silently become Deny), and documents IAM would accept: a known
//! `Version`, statements with actions, managed policies with resources, trust policies with a
//! principal (never `NotPrincipal`) and only the actions a trust policy may allow.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::policy::statements;

/// The policy language versions IAM accepts.
const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];

/// The actions a trust policy may allow (compared without regard to case), besides
/// `sts:AssumeRoleWith*`.
const TRUST_ACTIONS: [&str; 3] = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"];
const TRUST_ACTION_PREFIX: &str = "sts:AssumeRoleWith";

/// Which kind of document an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    /// A customer managed policy's document.
    Policy,
    /// A role's trust policy.
    Trust,
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Document::Policy => "managed policy",
            Document::Trust => "trust policy",
        })
    }
}

/// Reads at most `cap` bytes of `path`, whatever kind of file it is: a regular file, a device
/// such as `/dev/zero` (refused once past the cap), a pipe or a FIFO (one with no writer reads
/// as empty instead of blocking). `what` names such files in the error ("catalog files").
pub(crate) fn read_capped_bytes(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>, String> {
    let file = open_without_blocking(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "it is more than {cap} bytes; onboard reads {what} of at most {cap} bytes"
        ));
    }
    Ok(bytes)
}

/// A catalog file's text, read as [`read_capped_bytes`] reads.
pub(crate) fn read_capped(path: &Path, cap: u64) -> Result<String, String> {
    let bytes = read_capped_bytes(path, cap, "catalog files")?;
    if bytes.is_empty() {
        return Err("it is empty: give a catalog entry (JSON, see catalog/schema.json)".into());
    }
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text: give a JSON file".into())
}

/// Opens for reading without waiting for a FIFO's writer, then reads blocking again.
#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags, fcntl_getfl, fcntl_setfl, open};
    let fd = open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    fcntl_setfl(&fd, fcntl_getfl(&fd)? - OFlags::NONBLOCK)?;
    Ok(std::fs::File::from(fd))
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Refuses JSON text in which an object has a key twice; the error names where.
pub(crate) fn unique_keys(text: &str) -> Result<(), String> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    Unique {
        path: String::new(),
    }
    .deserialize(&mut deserializer)
    .map_err(|e| e.to_string())
}

/// Walks a JSON value, refusing an object with a repeated key.
struct Unique {
    /// Where the value is, as `integrations.byoc.policies[0].document`.
    path: String,
}

impl Unique {
    fn child(&self, key: &str) -> Unique {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        Unique { path }
    }
}

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(Unique {
                path: format!("{}[{index}]", self.path),
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let at = if self.path.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", self.path)
                };
                return Err(de::Error::custom(format!(
                    "{at}key \"{key}\" appears twice in one object (a JSON parser keeps only the \
                     last one): keep one"
                )));
            }
            map.next_value_seed(self.child(&key))?;
        }
        Ok(())
    }
}

/// Why IAM would refuse `document` as a `kind`, if it would, naming the statement and the fix.
pub(crate) fn document_problem(kind: Document, document: &Value) -> Option<String> {
    if let Some(version) = document.get("Version")
        && !version.as_str().is_some_and(|v| VERSIONS.contains(&v))
    {
        return Some(format!(
            "Version {version} is not a policy language version IAM knows: use \"2012-10-17\""
        ));
    }
    let statements = statements(document);
    if statements.is_empty() {
        return Some("Statement is empty: IAM refuses a document without statements".into());
    }
    statements
        .iter()
        .enumerate()
        .find_map(|(index, statement)| {
            statement_problem(kind, statement).map(|p| format!("Statement {index}: {p}"))
        })
}

/// Whether a key holds nothing: absent, `null`, `""`, `[]` or `{}`.
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(map)) => map.is_empty(),
        Some(_) => false,
    }
}

fn statement_problem(kind: Document, statement: &Value) -> Option<String> {
    let Some(fields) = statement.as_object() else {
        return Some(format!("{statement} is not an object"));
    };
    let has = |key: &str| fields.contains_key(key);
    match (has("Action"), has("NotAction")) {
        (false, false) => {
            return Some("it has neither Action nor NotAction: list the actions".into());
        }
        (true, true) => return Some("it has both Action and NotAction: keep one".into()),
        _ => {}
    }
    for key in ["Action", "NotAction"] {
        if has(key) && is_empty(fields.get(key)) {
            return Some(format!("{key} is empty: list the actions"));
        }
    }
    match kind {
        Document::Policy => {
            if has("Principal") || has("NotPrincipal") {
                return Some(
                    "a managed policy names no Principal or NotPrincipal (IAM refuses it): \
                     remove it; who may use the policy is decided by what it is attached to"
                        .into(),
                );
            }
            match (has("Resource"), has("NotResource")) {
                (false, false) => {
                    return Some(
                        "it has no Resource: name the resources it applies to (\"*\" for all)"
                            .into(),
                    );
                }
                (true, true) => {
                    return Some("it has both Resource and NotResource: keep one".into());
                }
                _ => {}
            }
            for key in ["Resource", "NotResource"] {
                if has(key) && is_empty(fields.get(key)) {
                    return Some(format!("{key} is empty: name the resources it applies to"));
                }
            }
        }
        Document::Trust => {
            if has("NotPrincipal") {
                return Some(
                    "NotPrincipal: IAM refuses it in trust policies (and onboard could not say who \
                     may assume the role): name who may assume the role in Principal"
                        .into(),
                );
            }
            if is_empty(fields.get("Principal")) {
                return Some("it has no Principal: name who may assume the role".into());
            }
            if has("Resource") || has("NotResource") {
                return Some(
                    "a trust policy names no Resource (IAM refuses it): remove it; the resource \
                     is the role itself"
                        .into(),
                );
            }
            let actions = match fields.get("Action") {
                Some(Value::Array(items)) => items.clone(),
                Some(other) => vec![other.clone()],
                None => Vec::new(),
            };
            if let Some(bad) = actions.iter().find(|a| !is_trust_action(a)) {
                return Some(format!(
                    "action {bad} is not one a trust policy allows: use sts:AssumeRole (or \
                     sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity), sts:TagSession or \
                     sts:SetSourceIdentity"
                ));
            }
        }
    }
    None
}

/// Whether a trust policy may allow `action`: `sts:AssumeRole`, `sts:AssumeRoleWith*`,
/// `sts:TagSession` or `sts:SetSourceIdentity`, in any case.
fn is_trust_action(action: &Value) -> bool {
    let Some(action) = action.as_str() else {
        return false;
    };
    let lower = action.to_ascii_lowercase();
    TRUST_ACTIONS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(action))
        || (lower.starts_with(&TRUST_ACTION_PREFIX.to_ascii_lowercase())
            && lower.len() > TRUST_ACTION_PREFIX.len()
            && !lower.contains(['*', '?']))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_key_twice_in_any_object_is_refused_with_where() {
        assert_eq!(unique_keys(r#"{"a": [{"b": 1, "c": {"d": 2}}]}"#), Ok(()));
        let err = unique_keys(r#"{"a": [{"Effect": "Allow", "Effect": "Deny"}]}"#).unwrap_err();
        assert!(
            err.starts_with(
                "a[0]: key \"Effect\" appears twice in one object (a JSON parser keeps only the \
                 last one): keep one at line 1"
            ),
            "{err}"
        );
        assert!(
            unique_keys(r#"{"x": 1, "x": 2}"#)
                .unwrap_err()
                .starts_with("key \"x\" appears twice")
        );
    }

    #[allow(clippy::needless_pass_by_value, reason = "called with json! literals")]
    fn policy(statement: Value) -> Option<String> {
        document_problem(
            Document::Policy,
            &json!({"Version": "2012-10-17", "Statement": [statement]}),
        )
    }

    #[allow(clippy::needless_pass_by_value, reason = "called with json! literals")]
    fn trust(statement: Value) -> Option<String> {
        document_problem(
            Document::Trust,
            &json!({"Version": "2012-10-17", "Statement": statement}),
        )
    }

    #[test]
    fn documents_iam_would_refuse_are_named_with_the_fix() {
        let good = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"});
        assert_eq!(policy(good.clone()), None);
        let version = document_problem(
            Document::Policy,
            &json!({"Version": "2012-10-18", "Statement": [good]}),
        );
        assert_eq!(
            version.unwrap(),
            "Version \"2012-10-18\" is not a policy language version IAM knows: use \"2012-10-17\""
        );
        assert_eq!(
            document_problem(Document::Policy, &json!({"Statement": []})).unwrap(),
            "Statement is empty: IAM refuses a document without statements"
        );
        assert_eq!(
            policy(json!({"Effect": "Allow", "Action": [], "Resource": "*"})).unwrap(),
            "Statement 0: Action is empty: list the actions"
        );
        assert_eq!(
            policy(json!({"Effect": "Allow", "Action": "s3:GetObject"})).unwrap(),
            "Statement 0: it has no Resource: name the resources it applies to (\"*\" for all)"
        );
        assert!(
            policy(json!({"Effect": "Allow", "Resource": "*"}))
                .unwrap()
                .contains("neither Action nor NotAction")
        );
    }

    #[test]
    fn trust_policies_take_a_principal_and_only_the_actions_of_assuming_a_role() {
        let principal = json!({"AWS": "arn:aws:iam::111122223333:root"});
        for action in [
            "sts:AssumeRole",
            "STS:assumerole",
            "sts:TagSession",
            "sts:SetSourceIdentity",
            "sts:AssumeRoleWithWebIdentity",
            "sts:AssumeRoleWithSAML",
        ] {
            let statement = json!({"Effect": "Allow", "Principal": principal, "Action": action});
            assert_eq!(trust(statement), None, "{action}");
        }
        for action in ["s3:GetObject", "sts:*", "sts:AssumeRoleWith*", "*"] {
            let statement = json!({"Effect": "Allow", "Principal": principal, "Action": action});
            let problem = trust(statement).unwrap();
            assert!(
                problem.starts_with(&format!(
                    "Statement 0: action \"{action}\" is not one a trust policy allows"
                )),
                "{problem}"
            );
        }
        let not_principal =
            json!({"Effect": "Allow", "NotPrincipal": principal, "Action": "sts:AssumeRole"});
        assert!(
            trust(not_principal)
                .unwrap()
                .starts_with("Statement 0: NotPrincipal: IAM refuses it in trust policies")
        );
        let resource = json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole",
            "Resource": "*"});
        assert!(trust(resource).unwrap().contains("names no Resource"));
    }

    #[test]
    fn files_are_read_with_a_cap_whatever_their_kind() {
        let err = read_capped(Path::new("/dev/zero"), 1024).unwrap_err();
        assert_eq!(
            err,
            "it is more than 1024 bytes; onboard reads catalog files of at most 1024 bytes"
        );
        assert!(
            read_capped(Path::new("/dev/null"), 1024)
                .unwrap_err()
                .starts_with("it is empty")
        );
        // A FIFO nobody writes to reads as empty instead of blocking forever.
        let fifo = std::env::temp_dir().join(format!("onboard-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&fifo);
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        let err = read_capped(&fifo, 1024).unwrap_err();
        std::fs::remove_file(&fifo).unwrap();
        assert!(err.starts_with("it is empty"), "{err}");
    }
}
