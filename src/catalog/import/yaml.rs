//! CloudFormation YAML to JSON: the short-form tags become the long form (`!Ref X` is
//! `{"Ref": "X"}`, `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` is
//! `{"Fn::Sub": "s"}`, `!Condition C` is `{"Condition": "C"}`, any other `!Name v` is
//! `{"Fn::Name": v}`), as CloudFormation itself reads them. yaml_serde (the YAML organization's
//! maintained fork of the deprecated serde_yaml) keeps the tags in `Value::Tagged`.

use serde_json::Value;
use yaml_serde::Value as Yaml;

/// The template as JSON, or why the YAML is not one.
pub(super) fn to_json(text: &str) -> Result<Value, String> {
    let yaml: Yaml =
        yaml_serde::from_str(text).map_err(|e| format!("neither JSON nor YAML: {e}"))?;
    convert(yaml)
}

fn convert(yaml: Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => serde_json::to_value(&n).map_err(|e| e.to_string())?,
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            Value::Array(items.into_iter().map(convert).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (key, value) in map {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    other => return Err(format!("a mapping key that is not a string: {other:?}")),
                };
                out.insert(key, convert(value)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = convert(tagged.value)?;
            let (key, value) = match (name, value) {
                ("Ref", v) => ("Ref".to_owned(), v),
                ("Condition", v) => ("Condition".to_owned(), v),
                ("GetAtt", Value::String(s)) => {
                    let (resource, attribute) = s
                        .split_once('.')
                        .ok_or_else(|| format!("!GetAtt {s}: use Resource.Attribute"))?;
                    (
                        "Fn::GetAtt".to_owned(),
                        Value::Array(vec![resource.into(), attribute.into()]),
                    )
                }
                (name, v) => (format!("Fn::{name}"), v),
            };
            Value::Object(serde_json::Map::from_iter([(key, value)]))
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_json;

    #[test]
    fn short_form_tags_become_the_long_form() {
        let text = "A: !Ref Bucket\nB: !GetAtt Role.Arn\nC: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}'\n\
                    D: !If [IsProd, x, !Ref AWS::NoValue]\nE: !Join ['', [a, !Ref B]]\nF: !Condition IsProd\n\
                    G: !Equals [!Ref Env, prod]\n";
        assert_eq!(
            to_json(text).unwrap(),
            json!({
                "A": {"Ref": "Bucket"},
                "B": {"Fn::GetAtt": ["Role", "Arn"]},
                "C": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}"},
                "D": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]},
                "E": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
                "F": {"Condition": "IsProd"},
                "G": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            })
        );
        assert!(
            to_json("a: [unclosed")
                .unwrap_err()
                .starts_with("neither JSON nor YAML")
        );
    }
}
