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
