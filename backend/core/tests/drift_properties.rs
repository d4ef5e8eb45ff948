//! Properties of the drift engine: what must hold for any document, not just the examples.

use drift_core::drift::{canonicalize, changed_paths, content_hash, json_patch};
use drift_core::settings::schema::IgnoreRule;
use drift_core::settings::DriftThresholds;
use drift_core::types::Source;
use proptest::prelude::*;
use serde_json::{json, Value};

const CA: &str = "microsoft.graph.conditionalAccessPolicy";

/// Keys that hit the built-in tables as well as awkward ones (`~`, `/`, `@`).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c~/@.]{0,3}",
        prop::sample::select(vec![
            "version",
            "modifiedDateTime",
            "@odata.etag",
            "@odata.type",
            "conditions",
            "users",
            "excludeUsers",
            "locations",
            "excludeLocations",
            "grantControls",
            "builtInControls",
            "requiredResourceAccess",
            "resourceAccess",
            "properties",
            "securityRules",
            "provisioningState",
            "id",
            "type",
        ])
        .prop_map(str::to_owned),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        (-5i64..5).prop_map(|i| Value::from(i as f64)),
        Just(Value::from(-0.0)),
        (-1e3f64..1e3).prop_map(Value::from),
        "[a-cA-C~/]{0,3}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), json_value(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn source() -> impl Strategy<Value = Source> {
    prop::sample::select(vec![Source::Entra, Source::Intune, Source::Arm])
}

fn resource_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        CA,
        "microsoft.graph.windows10GeneralConfiguration",
        "microsoft.graph.authenticationMethodsPolicy",
        "microsoft.network/networksecuritygroups",
        "microsoft.web/sites",
        "microsoft.graph.application",
    ])
}

fn thresholds() -> impl Strategy<Value = DriftThresholds> {
    let paths = prop::sample::subsequence(
        vec![
            "/a",
            "/b/*",
            "/*/c",
            "/conditions/users",
            "/~1/~0",
            "/properties/*/id",
        ],
        0..3,
    );
    paths.prop_map(|paths| DriftThresholds {
        ignore_paths: paths
            .into_iter()
            .map(|path| IgnoreRule {
                source: None,
                resource_type: None,
                path: path.into(),
                reason: None,
            })
            .collect(),
        ..DriftThresholds::default()
    })
}

/// The JSON text of a value with every object's keys in reverse order.
fn reversed_text(value: &Value) -> String {
    match value {
        Value::Object(members) => {
            let inner: Vec<String> = members
                .iter()
                .rev()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), reversed_text(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(reversed_text).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

fn ids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[0-9a-f]{4}", 0..6)
}

/// A conditional access policy whose set-like lists are given.
fn policy(users: &[String], locations: &[String], controls: &[String]) -> Value {
    json!({
        "id": "p", "state": "enabled", "displayName": "CA001",
        "conditions": {
            "users": {"includeUsers": ["All"], "excludeUsers": users},
            "locations": {"includeLocations": ["All"], "excludeLocations": locations},
            "clientAppTypes": ["all"]
        },
        "grantControls": {"operator": "OR", "builtInControls": controls}
    })
}

fn hash(source: Source, resource_type: &str, doc: &Value, thresholds: &DriftThresholds) -> String {
    content_hash(&canonicalize(source, resource_type, doc, thresholds))
}

proptest! {
    /// Neither the order of keys nor the order of set-like arrays changes the hash.
    #[test]
    fn the_hash_ignores_key_order_and_set_order(
        (users, shuffled_users) in ids().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        (locations, shuffled_locations) in ids().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        (controls, shuffled_controls) in prop::sample::subsequence(vec!["mfa".to_owned(), "compliantDevice".into(), "domainJoinedDevice".into(), "block".into()], 0..4)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let original = policy(&users, &locations, &controls);
        let permuted: Value = serde_json::from_str(&reversed_text(&policy(&shuffled_users, &shuffled_locations, &shuffled_controls))).unwrap();
        let thresholds = DriftThresholds::default();
        prop_assert_eq!(hash(Source::Entra, CA, &original, &thresholds), hash(Source::Entra, CA, &permuted, &thresholds));
    }

    /// Canonicalising a canonical document changes nothing.
    #[test]
    fn canonicalisation_is_idempotent(doc in json_value(), source in source(), resource_type in resource_type(), thresholds in thresholds()) {
        let once = canonicalize(source, resource_type, &doc, &thresholds);
        let twice = canonicalize(source, resource_type, &once, &thresholds);
        prop_assert_eq!(&twice, &once);
        prop_assert_eq!(content_hash(&twice), content_hash(&once));
    }

    /// Two canonical documents have no changed paths exactly when their hashes are equal.
    #[test]
    fn no_changed_paths_exactly_when_the_hashes_are_equal(
        a in json_object(), b in json_object(), same in any::<bool>(),
        source in source(), resource_type in resource_type(), thresholds in thresholds(),
    ) {
        let b = if same { reversed_text(&a).parse::<Value>().unwrap() } else { b };
        let old = canonicalize(source, resource_type, &a, &thresholds);
        let new = canonicalize(source, resource_type, &b, &thresholds);
        let paths = changed_paths(&old, &new);
        prop_assert_eq!(paths.is_empty(), content_hash(&old) == content_hash(&new));
        for path in &paths {
            prop_assert!(old.pointer(path).is_some() || new.pointer(path).is_some(), "{} is in neither", path);
        }
        let mut sorted = paths.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(sorted, paths);
    }

    /// Applying json_patch(old, new) to old gives new, for any two documents.
    #[test]
    fn the_patch_turns_old_into_new(old in json_value(), new in json_value()) {
        let mut patched = old.clone();
        json_patch::patch(&mut patched, &json_patch(&old, &new)).unwrap();
        prop_assert_eq!(patched, new);
    }

    /// The same for documents that differ a little, as successive polls do.
    #[test]
    fn the_patch_turns_old_into_new_for_nearby_documents(
        base in prop::collection::vec(json_value(), 0..8),
        cut in 0usize..8, insert in prop::collection::vec(json_value(), 0..3),
    ) {
        let old = Value::Array(base.clone());
        let mut edited = base;
        let at = cut.min(edited.len());
        edited.splice(at..(at + 1).min(edited.len()), insert);
        let new = Value::Array(edited);
        let mut patched = old.clone();
        json_patch::patch(&mut patched, &json_patch(&old, &new)).unwrap();
        prop_assert_eq!(patched, new);
    }

    /// Moving only volatile fields never changes the hash.
    #[test]
    fn volatile_fields_never_change_the_hash(
        doc in json_object(), stamps in prop::collection::vec(json_value(), 6),
        source in prop::sample::select(vec![Source::Entra, Source::Intune]),
    ) {
        let resource_type = "microsoft.graph.windows10GeneralConfiguration";
        let mut touched = doc.clone();
        let object = touched.as_object_mut().unwrap();
        for (field, value) in ["modifiedDateTime", "lastModifiedDateTime", "createdDateTime", "@odata.etag", "@odata.context", "version"].iter().zip(stamps) {
            if *field != "version" || source == Source::Intune {
                object.insert((*field).to_owned(), value);
            }
        }
        let thresholds = DriftThresholds::default();
        prop_assert_eq!(hash(source, resource_type, &doc, &thresholds), hash(source, resource_type, &touched, &thresholds));
    }

    /// Nothing under an ignored path changes the hash: a member, or a member of every element.
    #[test]
    fn ignored_paths_never_change_the_hash(
        doc in json_object(), rules in prop::collection::vec(json_object(), 0..4),
        secret in json_value(), hits in prop::collection::vec(json_value(), 4),
        source in source(),
    ) {
        let thresholds = DriftThresholds {
            ignore_paths: ["/settings/secret", "/rules/*/hits"].iter().map(|path| IgnoreRule {
                source: Some(source),
                resource_type: Some("Microsoft.Example/*".into()),
                path: (*path).into(),
                reason: Some("moves by itself".into()),
            }).collect(),
            ..DriftThresholds::default()
        };
        let mut original = doc.clone();
        original["settings"] = json!({"kept": 1});
        original["rules"] = Value::Array(rules.clone());
        let mut touched = original.clone();
        touched["settings"]["secret"] = secret;
        for (rule, hit) in touched["rules"].as_array_mut().unwrap().iter_mut().zip(hits) {
            rule.as_object_mut().unwrap().insert("hits".into(), hit);
        }
        let resource_type = "microsoft.example/things";
        prop_assert_eq!(hash(source, resource_type, &original, &thresholds), hash(source, resource_type, &touched, &thresholds));
        // The rule applies only where it says.
        let other = Source::ALL.iter().copied().find(|s| *s != source).unwrap();
        prop_assert_ne!(hash(other, resource_type, &original, &thresholds), hash(other, resource_type, &touched, &thresholds));
    }
}
