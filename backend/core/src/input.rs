//! Parsing of client documents: JSON whose errors name the failing field, and JSON Merge Patch.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{CoreError, CoreResult, FieldError};

/// Parses a JSON object of type `T`: malformed JSON is [`CoreError::Malformed`]; a document of
/// the wrong shape is [`CoreError::Invalid`] naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> CoreResult<T> {
    from_document(parse_json_value(bytes)?)
}

/// Parses any JSON document, checking only its syntax. The whole body is read first, so a
/// syntax error anywhere is reported as such, never as a missing field.
pub fn parse_json_value(bytes: &[u8]) -> CoreResult<serde_json::Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CoreError::Malformed(
            "the request body is empty; a JSON document is required".into(),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| CoreError::Malformed(format!("the request body is not valid JSON: {e}")))
}

/// Turns a JSON object into `T`, naming the failing field for type errors and unknown fields.
/// Only objects are accepted: serde would otherwise read a struct from an array by position.
pub fn from_document<T: DeserializeOwned>(document: serde_json::Value) -> CoreResult<T> {
    if !document.is_object() {
        return Err(CoreError::invalid(
            "",
            "type",
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(document).map_err(json_error)
}

fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> CoreError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let message = inner.to_string();
            // serde_json appends " at line L column C", which means nothing in a form.
            let message = message.split(" at line ").next().unwrap_or(&message);
            let message = without_value(message);
            let code = if message.starts_with("unknown field") {
                "unknown_field"
            } else if message.starts_with("missing field") {
                "required"
            } else if message.starts_with("unknown variant") {
                "unknown_value"
            } else {
                "type"
            };
            let field = match (code, path.as_str()) {
                ("required", ".") => missing_field_name(&message).unwrap_or_default(),
                ("required", prefix) => match missing_field_name(&message) {
                    Some(name) => format!("{prefix}.{name}"),
                    None => prefix.to_owned(),
                },
                (_, ".") => String::new(),
                (_, path) => path.to_owned(),
            };
            CoreError::Invalid(vec![FieldError::new(field, code, message)])
        }
        _ => CoreError::Malformed(format!("the request body is not valid JSON: {inner}")),
    }
}

/// serde names the offending value in type errors (`invalid type: string "x", expected i64`).
/// That value may be a secret (a password sent as a number), and problem details are shown to
/// the client and may be logged, so only its kind is kept: `invalid type: integer, expected a
/// string`.
fn without_value(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        let Some(at) = rest.rfind(", expected ") else {
            continue;
        };
        let (unexpected, expected) = rest.split_at(at);
        let kind = unexpected
            .split_once(" `")
            .or_else(|| unexpected.split_once(" \""))
            .map_or(unexpected, |(kind, _)| kind);
        return format!("{prefix}{kind}{expected}");
    }
    message.to_owned()
}

fn missing_field_name(message: &str) -> Option<String> {
    message.split('`').nth(1).map(str::to_owned)
}

/// Applies a JSON Merge Patch (RFC 7396) to the writable representation of a resource and
/// parses the result, so that a patched document is checked exactly like a full replacement.
pub fn merge_patch<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: &serde_json::Value,
) -> CoreResult<T> {
    let mut document =
        serde_json::to_value(current).map_err(|e| CoreError::Internal(e.to_string()))?;
    json_patch::merge(&mut document, patch);
    from_document(document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn json_type_errors_name_the_field() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            minutes: u32,
        }
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Outer {
            items: Vec<Inner>,
        }
        let Err(CoreError::Invalid(fields)) =
            parse_json::<Outer>(br#"{"items":[{"minutes":"ten"}]}"#)
        else {
            panic!("expected field errors")
        };
        assert_eq!(fields[0].field, "items[0].minutes");
        let Err(CoreError::Invalid(fields)) = parse_json::<Outer>(br#"{"itmes":[]}"#) else {
            panic!()
        };
        assert_eq!(fields[0].code, "unknown_field");
        let Err(CoreError::Invalid(fields)) = parse_json::<Outer>(br#"{"items":[{}]}"#) else {
            panic!()
        };
        assert_eq!(
            (fields[0].field.as_str(), fields[0].code.as_str()),
            ("items[0].minutes", "required")
        );
        assert!(matches!(
            parse_json::<Outer>(b"{\"items\":"),
            Err(CoreError::Malformed(_))
        ));
    }

    #[test]
    fn type_errors_name_the_kind_of_value_not_the_value() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Login {
            password: String,
            attempts: u32,
        }
        for (body, kind) in [
            (r#"{"password": 918273645501, "attempts": 1}"#, "integer"),
            (r#"{"password": -91827.5, "attempts": 1}"#, "floating point"),
            (r#"{"password": true, "attempts": 1}"#, "boolean"),
            (
                r#"{"password": "x", "attempts": "hunter2, expected"}"#,
                "string",
            ),
        ] {
            let Err(CoreError::Invalid(fields)) = parse_json::<Login>(body.as_bytes()) else {
                panic!("{body}: expected field errors")
            };
            let message = &fields[0].message;
            assert!(
                message.starts_with(&format!("invalid type: {kind}, expected ")),
                "{message}"
            );
            for value in ["918273645501", "91827", "true", "hunter2"] {
                assert!(!message.contains(value), "{message}");
            }
        }
        let Err(CoreError::Invalid(fields)) =
            parse_json::<Login>(br#"{"password": null, "attempts": 1}"#)
        else {
            panic!()
        };
        assert_eq!(fields[0].message, "invalid type: null, expected a string");
    }

    #[test]
    fn a_merge_patch_changes_only_what_it_names() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            a: u32,
            b: Option<String>,
        }
        let current = Doc {
            a: 1,
            b: Some("x".into()),
        };
        let patched: Doc = merge_patch(&current, &serde_json::json!({"b": null})).unwrap();
        assert_eq!(patched, Doc { a: 1, b: None });
        assert!(matches!(
            merge_patch(&current, &serde_json::json!({"c": 1})),
            Err(CoreError::Invalid(_))
        ));
    }
}
