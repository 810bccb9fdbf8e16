//! IAM policy documents: decoding what AWS returns, and comparing documents in a canonical form.

pub(crate) mod limits;
pub(crate) mod lint;
pub(crate) mod managed;
pub(crate) mod trust;
pub(crate) mod wildcard;

use crate::arn::Arn;
use serde_json::{Map, Value};

/// Keys whose value IAM treats as a set of strings, where `"x"` means the same as `["x"]`.
const SET_KEYS: &[&str] = &["Action", "NotAction", "Resource", "NotResource"];

/// Decodes a policy document as AWS returns it: URL-encoded (GetRole, GetPolicyVersion on AWS)
/// or plain JSON (GetPolicyVersion on some emulators).
///
/// # Errors
///
/// When the text is neither: the message says what is wrong with it.
pub fn decode_document(text: &str) -> Result<Value, String> {
    let text = text.trim();
    let decoded;
    let json = if text.starts_with('{') {
        text
    } else {
        decoded = percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map_err(|e| format!("policy document is not valid URL-encoded UTF-8: {e}"))?;
        &decoded
    };
    serde_json::from_str(json).map_err(|e| format!("policy document is not valid JSON: {e}"))
}

/// The document in canonical form: keys sorted, set-valued fields as sorted, de-duplicated lists,
/// a lone statement as a one-element list, statements sorted, an empty `Sid` left out. Two documents IAM treats alike
/// (for the parts onboard writes) have equal canonical forms.
pub fn canonical(document: &Value) -> Value {
    let Value::Object(map) = document else {
        return document.clone();
    };
    let mut out = Map::new();
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        let value = &map[key];
        if key == "Sid" && value == "" {
            continue;
        }
        let value = match key.as_str() {
            "Statement" => {
                let mut statements: Vec<Value> = as_list(value).iter().map(canonical).collect();
                statements.sort_by_cached_key(Value::to_string);
                Value::Array(statements)
            }
            k if SET_KEYS.contains(&k) => string_set(value),
            "Principal" | "NotPrincipal" => map_of_sets(value),
            "Condition" => match value {
                Value::Object(operators) => sorted_object(operators, map_of_sets),
                other => other.clone(),
            },
            _ => canonical(value),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// Leaves out every statement's empty `Sid`: IAM reads `"Sid": ""` as no Sid at all.
pub(crate) fn drop_empty_sids(document: &mut Value) {
    match document.get_mut("Statement") {
        Some(Value::Array(statements)) => {
            for statement in statements {
                drop_empty_sid(statement);
            }
        }
        Some(statement) => drop_empty_sid(statement),
        None => {}
    }
}

fn drop_empty_sid(statement: &mut Value) {
    if let Value::Object(map) = statement
        && map.get("Sid").is_some_and(|sid| sid == "")
    {
        map.remove("Sid");
    }
}

/// Whether two documents are the same once canonical.
pub(crate) fn same_document(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

/// A document as pretty, canonical JSON: what plans and failed checks show.
pub(crate) fn pretty(document: &Value) -> String {
    serde_json::to_string_pretty(&canonical(document)).expect("JSON values serialize")
}

/// The AWS principals (ARNs or account ids) that `Allow` statements of a trust policy name.
pub(crate) fn trusted_aws_principals(trust: &Value) -> Vec<String> {
    let mut principals = Vec::new();
    for statement in as_list(&trust["Statement"]) {
        if statement["Effect"] != "Allow" {
            continue;
        }
        match &statement["Principal"] {
            Value::String(s) => principals.push(s.clone()),
            principal => {
                for p in as_list(&principal["AWS"]) {
                    if let Some(s) = p.as_str() {
                        principals.push(s.to_owned());
                    }
                }
            }
        }
    }
    principals
}

/// Every principal `Allow` statements of a trust policy name: AWS principals and services
/// (`ec2.amazonaws.com`), for people to read.
pub(crate) fn trusted_principal_names(trust: &Value) -> Vec<String> {
    let mut names = trusted_aws_principals(trust);
    for statement in as_list(&trust["Statement"]) {
        if statement["Effect"] == "Allow" {
            names.extend(
                as_list(&statement["Principal"]["Service"])
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_owned)),
            );
        }
    }
    names
}

/// The `sts:ExternalId` values that `StringEquals` conditions of a trust policy require.
pub(crate) fn external_ids(trust: &Value) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for statement in as_list(&trust["Statement"]) {
        for id in as_list(&statement["Condition"]["StringEquals"]["sts:ExternalId"]) {
            if let Some(id) = id
                .as_str()
                .filter(|id| !ids.iter().any(|known| known == id))
            {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

/// The account an AWS principal belongs to: an account id, or the account of an IAM or STS ARN.
pub(crate) fn principal_account(principal: &str) -> Option<&str> {
    if limits::is_account_id(principal) {
        return Some(principal);
    }
    let arn = Arn::parse(principal).ok()?;
    (matches!(arn.service(), "iam" | "sts") && arn.region().is_empty() && !arn.account().is_empty())
        .then(|| arn.account())
}

/// Whether a statement has an `sts:ExternalId` condition, under any operator.
pub(crate) fn has_external_id_condition(statement: &Value) -> bool {
    statement["Condition"].as_object().is_some_and(|operators| {
        operators.values().any(|keys| {
            keys.as_object()
                .is_some_and(|k| k.keys().any(|k| k.eq_ignore_ascii_case("sts:ExternalId")))
        })
    })
}

/// Whether an `Allow` statement of a trust policy names an AWS principal of an account other
/// than `account` (the role's own) and has no `sts:ExternalId` condition: the confused-deputy
/// case, where the third party can be tricked into using the role for someone else.
pub(crate) fn trusts_third_party_without_external_id(statement: &Value, account: &str) -> bool {
    statement["Effect"] == "Allow"
        && !has_external_id_condition(statement)
        && as_list(&statement["Principal"]["AWS"])
            .iter()
            .filter_map(Value::as_str)
            .filter_map(principal_account)
            .any(|a| a != account)
}

/// Adds `{"StringEquals": {"sts:ExternalId": id}}` to every statement of a trust policy that
/// lets another account than `account` assume the role without an external ID.
pub(crate) fn require_external_id(trust: &mut Value, id: &str, account: &str) {
    let statements: Vec<&mut Value> = match &mut trust["Statement"] {
        Value::Array(items) => items.iter_mut().collect(),
        statement @ Value::Object(_) => vec![statement],
        _ => Vec::new(),
    };
    for statement in statements {
        if !trusts_third_party_without_external_id(statement, account) {
            continue;
        }
        let Some(map) = statement.as_object_mut() else {
            continue;
        };
        let condition = map
            .entry("Condition")
            .or_insert_with(|| Value::Object(Map::new()));
        if !condition.is_object() {
            *condition = Value::Object(Map::new());
        }
        let equals = &mut condition["StringEquals"];
        if !equals.is_object() {
            *equals = Value::Object(Map::new());
        }
        equals["sts:ExternalId"] = Value::String(id.to_owned());
    }
}

/// The statements of a document as a list: a lone statement object is a one-element list.
pub(crate) fn statements(document: &Value) -> Vec<Value> {
    as_list(&document["Statement"])
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn string_set(value: &Value) -> Value {
    let mut items = as_list(value);
    items.sort_by_cached_key(Value::to_string);
    items.dedup();
    Value::Array(items)
}

fn map_of_sets(value: &Value) -> Value {
    match value {
        Value::Object(map) => sorted_object(map, string_set),
        other => other.clone(),
    }
}

fn sorted_object(map: &Map<String, Value>, f: fn(&Value) -> Value) -> Value {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    Value::Object(keys.into_iter().map(|k| (k.clone(), f(&map[k]))).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_empty_sid_is_no_sid() {
        let with = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "Named", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]});
        let mut without = with.clone();
        drop_empty_sids(&mut without);
        assert_eq!(without["Statement"][0].get("Sid"), None);
        assert_eq!(without["Statement"][1]["Sid"], "Named");
        assert!(same_document(&with, &without));
        // A Sid that says something is part of the document.
        let mut renamed = with.clone();
        renamed["Statement"][1]["Sid"] = json!("Other");
        assert!(!same_document(&with, &renamed));
    }

    #[test]
    fn single_string_equals_one_element_list_and_key_order_is_ignored() {
        let a = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}});
        let b = json!({"Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::1:root"]}}], "Version": "2012-10-17"});
        assert!(same_document(&a, &b));
    }

    #[test]
    fn action_order_and_duplicates_do_not_matter_but_content_does() {
        let a = json!({"Statement": [{"Effect": "Allow", "Action": ["s3:B", "s3:A"], "Resource": "*"}]});
        let b = json!({"Statement": [{"Effect": "Allow", "Action": ["s3:A", "s3:B", "s3:A"], "Resource": ["*"]}]});
        let c = json!({"Statement": [{"Effect": "Allow", "Action": ["s3:A"], "Resource": "*"}]});
        assert!(same_document(&a, &b));
        assert!(!same_document(&a, &c));
    }

    #[test]
    fn condition_values_and_statement_order_are_canonical() {
        let a = json!({"Statement": [
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]});
        let b = json!({"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": ["x"]}}},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]});
        assert!(same_document(&a, &b));
        let c = json!({"Statement": [b["Statement"][0].clone()]});
        assert!(!same_document(&a, &c));
    }

    #[test]
    fn decodes_url_encoded_and_plain_documents() {
        let plain =
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*"}]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGet%2A%22%7D%5D%7D";
        assert_eq!(
            decode_document(plain).unwrap(),
            decode_document(encoded).unwrap()
        );
        // A '+' is a literal plus in IAM's encoding, not a space as in form encoding.
        let plus = decode_document("%7B%22Sid%22%3A%22a%2Bb+c%22%7D").unwrap();
        assert_eq!(plus["Sid"], "a+b+c");
        assert!(decode_document("%7Bnot json").is_err());
    }

    #[test]
    fn external_ids_come_from_string_equals_conditions() {
        let trust = json!({"Statement": [
            {"Effect": "Allow", "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}},
            {"Effect": "Allow", "Condition": {"StringEquals": {"sts:ExternalId": ["abc"]}}},
            {"Effect": "Allow"}]});
        assert_eq!(external_ids(&trust), ["abc"]);
    }

    #[test]
    fn trusted_principals_come_from_allow_statements_only() {
        let trust = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "2"]}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::3:root"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(trusted_aws_principals(&trust), ["arn:aws:iam::1:root", "2"]);
    }

    #[test]
    fn principal_accounts_come_from_account_ids_and_iam_or_sts_arns() {
        let cases = [
            ("111122223333", Some("111122223333")),
            ("arn:aws:iam::111122223333:root", Some("111122223333")),
            (
                "arn:aws-cn:sts::111122223333:assumed-role/r/s",
                Some("111122223333"),
            ),
            ("arn:aws:iam::${AccountId}:role/x", Some("${AccountId}")),
            ("*", None),
            ("123", None),
            ("arn:aws:s3:::bucket", None),
        ];
        for (principal, account) in cases {
            assert_eq!(principal_account(principal), account, "{principal}");
        }
    }

    #[test]
    fn external_id_is_required_of_other_accounts_only() {
        let mut trust = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::300973880807:root"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::300973880807:root"}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "old"}}},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::300973880807:root"}, "Action": "sts:AssumeRole",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]});
        require_external_id(&mut trust, "new", "111122223333");
        let with =
            |i: usize| trust["Statement"][i]["Condition"]["StringEquals"]["sts:ExternalId"].clone();
        assert_eq!(with(0), "new");
        assert_eq!(
            with(1),
            Value::Null,
            "the role's own account is no third party"
        );
        assert_eq!(
            trust["Statement"][2].get("Condition"),
            None,
            "services are no third party"
        );
        assert_eq!(with(3), "old", "an existing condition is kept");
        assert_eq!(with(4), "new");
        assert_eq!(
            trust["Statement"][4]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
            "true"
        );

        let mut lone =
            json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "222233334444"}}});
        require_external_id(&mut lone, "x1", "111122223333");
        assert_eq!(
            lone["Statement"]["Condition"]["StringEquals"]["sts:ExternalId"],
            "x1"
        );
    }
}
