//! IAM policy documents: decoding what AWS returns, and comparing documents in a canonical form.

pub mod limits;
pub mod trust;

use serde_json::{Map, Value};

/// Keys whose value IAM treats as a set of strings, where `"x"` means the same as `["x"]`.
const SET_KEYS: &[&str] = &["Action", "NotAction", "Resource", "NotResource"];

/// Decodes a policy document as AWS returns it: URL-encoded (GetRole, GetPolicyVersion on AWS)
/// or plain JSON (GetPolicyVersion on some emulators).
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
/// a lone statement as a one-element list, statements sorted. Two documents IAM treats alike
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

/// Whether two documents are the same once canonical.
pub fn same_document(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

/// A document as pretty, canonical JSON: what plans and failed checks show.
pub fn pretty(document: &Value) -> String {
    serde_json::to_string_pretty(&canonical(document)).expect("JSON values serialize")
}

/// The AWS principals (ARNs or account ids) that `Allow` statements of a trust policy name.
pub fn trusted_aws_principals(trust: &Value) -> Vec<String> {
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
pub fn trusted_principal_names(trust: &Value) -> Vec<String> {
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
pub fn external_ids(trust: &Value) -> Vec<String> {
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
}
