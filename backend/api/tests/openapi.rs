//! The committed OpenAPI document is the one the code generates.

use std::path::PathBuf;

#[test]
fn committed_openapi_document_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    let generated = drift_api::openapi().to_pretty_json().unwrap();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is out of date: run `make openapi` and commit the result"
    );
}

#[test]
fn every_operation_documents_its_errors_as_problems() {
    let document = serde_json::to_value(drift_api::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(
        paths.len() >= 15,
        "expected the whole API, found {} paths",
        paths.len()
    );
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            if !path.starts_with("/api/v1") {
                continue;
            }
            let responses = operation["responses"].as_object().unwrap();
            // Routes with an id in the path can also miss.
            let expected: &[&str] = if path.contains('{') {
                &["400", "404", "500"]
            } else {
                &["400", "500"]
            };
            for status in expected.iter().copied() {
                let content = &responses
                    .get(status)
                    .unwrap_or_else(|| panic!("{method} {path} does not document {status}"))
                    ["content"];
                assert!(
                    content.get("application/problem+json").is_some(),
                    "{method} {path} {status} is not problem+json"
                );
            }
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
            assert!(
                operation["summary"].is_string(),
                "{method} {path} has no summary"
            );
        }
    }
}

/// Generated clients (openapi-typescript for the web app) refuse a document with a `$ref` to a
/// schema that is not in `components`; utoipa does not collect schemas used only by parameters.
#[test]
fn every_schema_reference_resolves() {
    let document = serde_json::to_value(drift_api::openapi()).unwrap();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let mut dangling = Vec::new();
    collect_dangling(&document, schemas, &mut dangling);
    dangling.sort();
    dangling.dedup();
    assert!(
        dangling.is_empty(),
        "references to undeclared schemas: {dangling:?}"
    );
}

fn collect_dangling(
    value: &serde_json::Value,
    schemas: &serde_json::Map<String, serde_json::Value>,
    dangling: &mut Vec<String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(|r| r.as_str()) {
                let name = target.trim_start_matches("#/components/schemas/");
                if !schemas.contains_key(name) {
                    dangling.push(target.to_owned());
                }
            }
            map.values()
                .for_each(|v| collect_dangling(v, schemas, dangling));
        }
        serde_json::Value::Array(items) => items
            .iter()
            .for_each(|v| collect_dangling(v, schemas, dangling)),
        _ => {}
    }
}

/// A path parameter that is not in the path template makes generated clients demand a value
/// they cannot send (this happened to `sort`).
#[test]
fn path_parameters_are_in_the_path() {
    let document = serde_json::to_value(drift_api::openapi()).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().unwrap();
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: path parameter `{name}` is not in the path"
                    );
                }
            }
        }
    }
}
