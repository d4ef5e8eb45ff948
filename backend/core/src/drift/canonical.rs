//! The canonical form of a resource, and its hash: two polls of an unchanged resource give the
//! same canonical document and hash, whatever order Azure returned keys and set-like arrays in
//! and however its volatile fields moved.

use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

use crate::settings::DriftThresholds;
use crate::types::Source;

use super::builtin::{PathRule, CASE_INSENSITIVE, SETS, VOLATILE};
use super::pattern::{self, type_matches};

/// The canonical form of a resource as the engine compares it:
///
/// 1. the built-in volatile fields ([`VOLATILE`]) and the tenant's ignore paths that apply to
///    the resource are removed (tenant rules match the source when they name one and the type
///    as a type pattern);
/// 2. on Graph sources (Entra, Intune), instance and property annotations other than
///    `@odata.type` are removed at any depth;
/// 3. strings ARM treats case-insensitively ([`CASE_INSENSITIVE`]) are lower-cased;
/// 4. numbers with an integral value are written as integers (`1.0` is `1`, `-0.0` is `0`);
/// 5. set-like arrays ([`SETS`]) are sorted by the canonical JSON text of their elements,
///    innermost first; other arrays keep their order;
/// 6. object keys are in ascending order of their UTF-8 bytes. (serde_json's `preserve_order`
///    feature is off in this workspace, so maps are sorted already; the check below keeps the
///    output sorted should it ever be switched on.)
///
/// Canonicalising a canonical document changes nothing, so stored data may be raw or canonical.
pub fn canonicalize(
    source: Source,
    resource_type: &str,
    document: &Value,
    thresholds: &DriftThresholds,
) -> Value {
    let applicable =
        |rules: &'static [PathRule]| rules.iter().filter(|r| r.applies_to(source, resource_type));
    let mut doc = document.clone();

    for rule in applicable(VOLATILE) {
        for path in rule.paths {
            pattern::remove(&mut doc, path);
        }
    }
    for rule in &thresholds.ignore_paths {
        let source_matches = rule.source.is_none_or(|s| s == source);
        let type_matches = rule
            .resource_type
            .as_deref()
            .is_none_or(|t| type_matches(t, resource_type));
        if source_matches && type_matches {
            pattern::remove(&mut doc, &rule.path);
        }
    }
    for rule in applicable(CASE_INSENSITIVE) {
        for path in rule.paths {
            pattern::for_each_mut(&mut doc, path, &mut |value| {
                if let Value::String(text) = value {
                    text.make_ascii_lowercase();
                }
            });
        }
    }

    normalise(&mut doc, matches!(source, Source::Entra | Source::Intune));

    let mut sets: Vec<&str> = applicable(SETS)
        .flat_map(|rule| rule.paths.iter().copied())
        .collect();
    // Inner sets first: an outer set is ordered by the text of its elements.
    sets.sort_by_key(|path| std::cmp::Reverse(path.matches('/').count()));
    for path in sets {
        pattern::for_each_mut(&mut doc, path, &mut |value| {
            if let Value::Array(items) = value {
                items.sort_by_cached_key(|item| item.to_string());
            }
        });
    }
    doc
}

/// SHA-256, in lower-case hex, of the JSON text of a canonical document (no whitespace, keys
/// in the order of the map, which is sorted for the output of [`canonicalize`]).
pub fn content_hash(canonical: &Value) -> String {
    let mut hasher = Sha256::new();
    serde_json::to_writer(HashWriter(&mut hasher), canonical)
        .expect("a JSON value always serialises");
    format!("{:x}", hasher.finalize())
}

/// Feeds serialised JSON straight into the hash, without building the text first.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether a key is an OData instance or property annotation that says nothing about the
/// configuration: `@odata.etag`, `@microsoft.graph.tips`, `members@odata.nextLink`. Type
/// annotations (`@odata.type`, `value@odata.type`) name what an object is, and stay.
fn is_annotation(key: &str) -> bool {
    let Some(at) = key.find('@') else {
        return false;
    };
    let term = &key[at + 1..];
    let annotation = at == 0 || term.starts_with("odata.") || term.starts_with("microsoft.");
    annotation && term != "odata.type"
}

/// Steps 2, 4 and 6 of [`canonicalize`], in one walk.
fn normalise(value: &mut Value, drop_annotations: bool) {
    match value {
        Value::Object(members) => {
            if drop_annotations {
                members.retain(|key, _| !is_annotation(key));
            }
            let sorted = members
                .keys()
                .zip(members.keys().skip(1))
                .all(|(a, b)| a < b);
            if !sorted {
                let mut entries: Vec<(String, Value)> =
                    std::mem::take(members).into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                *members = entries.into_iter().collect::<Map<String, Value>>();
            }
            for member in members.values_mut() {
                normalise(member, drop_annotations);
            }
        }
        Value::Array(items) => {
            for item in items {
                normalise(item, drop_annotations);
            }
        }
        Value::Number(number) => {
            if let Some(integral) = integral(number) {
                *number = integral;
            }
        }
        _ => {}
    }
}

/// The integer a float with an integral value stands for (within the range where every integer
/// is exact); `None` for integers and fractions.
fn integral(number: &Number) -> Option<Number> {
    if !number.is_f64() {
        return None;
    }
    let float = number.as_f64()?;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if float.fract() != 0.0 || float.abs() > EXACT {
        return None;
    }
    Some(if float < 0.0 {
        Number::from(float as i64)
    } else {
        Number::from(float as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::schema::IgnoreRule;
    use serde_json::json;

    const CA: &str = "microsoft.graph.conditionalAccessPolicy";

    fn canon(source: Source, resource_type: &str, doc: &Value) -> Value {
        canonicalize(source, resource_type, doc, &DriftThresholds::default())
    }

    fn ignoring(rules: &[(Option<Source>, Option<&str>, &str)]) -> DriftThresholds {
        DriftThresholds {
            ignore_paths: rules
                .iter()
                .map(|(source, resource_type, path)| IgnoreRule {
                    source: *source,
                    resource_type: resource_type.map(str::to_owned),
                    path: (*path).to_owned(),
                    reason: None,
                })
                .collect(),
            ..DriftThresholds::default()
        }
    }

    #[test]
    fn volatile_graph_fields_are_removed() {
        let doc = json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#x",
            "@odata.etag": "W/\"1\"",
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            "id": "1", "version": 4,
            "createdDateTime": "2024-01-01T00:00:00Z",
            "lastModifiedDateTime": "2024-02-01T00:00:00Z",
            "passwordMinimumLength": 8
        });
        assert_eq!(
            canon(
                Source::Intune,
                "microsoft.graph.windows10GeneralConfiguration",
                &doc
            ),
            json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "id": "1", "passwordMinimumLength": 8})
        );
    }

    #[test]
    fn version_is_volatile_only_where_it_counts_saves() {
        let doc = json!({"properties": {"version": "12.0"}, "version": 3});
        // An ARM SQL server's `properties.version` is configuration; a top-level `version`
        // is left alone outside Intune.
        assert_eq!(canon(Source::Arm, "microsoft.sql/servers", &doc), doc);
    }

    #[test]
    fn annotations_go_at_any_depth_but_type_annotations_stay() {
        let doc = json!({
            "@microsoft.graph.tips": "…",
            "members@odata.nextLink": "https://…",
            "nested": {"@odata.id": "x", "@odata.type": "#t", "value@odata.type": "#c", "a": 1},
            "owner@contoso.com": "not an annotation"
        });
        assert_eq!(
            canon(Source::Entra, "microsoft.graph.application", &doc),
            json!({"nested": {"@odata.type": "#t", "value@odata.type": "#c", "a": 1}, "owner@contoso.com": "not an annotation"})
        );
    }

    #[test]
    fn arm_annotation_lookalikes_are_kept() {
        let doc = json!({"tags": {"@odata.etag": "a tag", "owner@odata.x": "another"}});
        assert_eq!(canon(Source::Arm, "microsoft.web/sites", &doc), doc);
    }

    #[test]
    fn arm_platform_state_is_removed() {
        let doc = json!({
            "id": "/subscriptions/S/resourceGroups/RG-Net/providers/Microsoft.Network/networkSecurityGroups/nsg-1",
            "type": "Microsoft.Network/networkSecurityGroups", "resourceGroup": "RG-Net", "location": "WestEurope",
            "etag": "W/\"abc\"", "systemData": {"createdBy": "x"},
            "properties": {"provisioningState": "Updating", "resourceGuid": "g",
                "securityRules": [{"name": "r", "etag": "W/\"1\"", "properties": {"provisioningState": "Succeeded", "priority": 100}}]}
        });
        assert_eq!(
            canon(Source::Arm, "microsoft.network/networksecuritygroups", &doc),
            json!({
                "id": "/subscriptions/s/resourcegroups/rg-net/providers/microsoft.network/networksecuritygroups/nsg-1",
                "type": "microsoft.network/networksecuritygroups", "resourceGroup": "rg-net", "location": "westeurope",
                "properties": {"resourceGuid": "g", "securityRules": [{"name": "r", "properties": {"priority": 100}}]}
            })
        );
    }

    #[test]
    fn set_like_arrays_ignore_order_and_others_keep_it() {
        let a = json!({
            "conditions": {"users": {"excludeUsers": ["b", "a", "c"]}, "clientAppTypes": ["other", "browser"]},
            "grantControls": {"builtInControls": ["mfa", "compliantDevice"]},
            "somethingOrdered": [3, 1, 2]
        });
        let b = json!({
            "conditions": {"users": {"excludeUsers": ["c", "b", "a"]}, "clientAppTypes": ["browser", "other"]},
            "grantControls": {"builtInControls": ["compliantDevice", "mfa"]},
            "somethingOrdered": [3, 1, 2]
        });
        let canonical = canon(Source::Entra, CA, &a);
        assert_eq!(canonical, canon(Source::Entra, CA, &b));
        assert_eq!(
            canonical["conditions"]["users"]["excludeUsers"],
            json!(["a", "b", "c"])
        );
        assert_eq!(canonical["somethingOrdered"], json!([3, 1, 2]));
        // The same paths on another type are ordered.
        assert_ne!(
            canon(Source::Entra, "microsoft.graph.application", &a),
            canon(Source::Entra, "microsoft.graph.application", &b)
        );
    }

    #[test]
    fn nested_sets_are_sorted_inside_out() {
        let a = json!({"requiredResourceAccess": [
            {"resourceAppId": "g", "resourceAccess": [{"id": "2"}, {"id": "1"}]},
            {"resourceAppId": "g", "resourceAccess": [{"id": "1"}, {"id": "3"}]}
        ]});
        let b = json!({"requiredResourceAccess": [
            {"resourceAppId": "g", "resourceAccess": [{"id": "3"}, {"id": "1"}]},
            {"resourceAppId": "g", "resourceAccess": [{"id": "1"}, {"id": "2"}]}
        ]});
        let app = "microsoft.graph.application";
        let canonical = canon(Source::Entra, app, &a);
        assert_eq!(canonical, canon(Source::Entra, app, &b));
        assert_eq!(
            canonical["requiredResourceAccess"][0]["resourceAccess"],
            json!([{"id": "1"}, {"id": "2"}])
        );
    }

    #[test]
    fn integral_numbers_are_integers() {
        let doc = json!({"a": 1.0, "b": -0.0, "c": 1.5, "d": -3.0, "e": 7});
        assert_eq!(
            canon(Source::Arm, "x", &doc).to_string(),
            r#"{"a":1,"b":0,"c":1.5,"d":-3,"e":7}"#
        );
    }

    #[test]
    fn tenant_ignore_paths_are_removed_where_they_apply() {
        let doc = json!({"conditions": {"users": {"excludeUsers": ["x"], "includeUsers": ["All"]}}, "displayName": "p"});
        let thresholds = ignoring(&[
            (
                Some(Source::Entra),
                Some("Microsoft.Graph.ConditionalAccessPolicy"),
                "/conditions/users/excludeUsers",
            ),
            (Some(Source::Arm), None, "/displayName"),
            (None, Some("microsoft.graph.application"), "/displayName"),
        ]);
        assert_eq!(
            canonicalize(Source::Entra, CA, &doc, &thresholds),
            json!({"conditions": {"users": {"includeUsers": ["All"]}}, "displayName": "p"})
        );
    }

    #[test]
    fn ignore_paths_take_stars_and_type_patterns() {
        let doc = json!({"tags": {"costCenter": "1", "env": "prod"}, "properties": {"rules": [{"n": 1, "hits": 4}, {"n": 2, "hits": 9}]}});
        let thresholds = ignoring(&[
            (
                None,
                Some("microsoft.network/*"),
                "/properties/rules/*/hits",
            ),
            (Some(Source::Arm), None, "/tags/*"),
        ]);
        assert_eq!(
            canonicalize(Source::Arm, "microsoft.network/whatever", &doc, &thresholds),
            json!({"tags": {}, "properties": {"rules": [{"n": 1}, {"n": 2}]}})
        );
    }

    #[test]
    fn canonicalising_twice_changes_nothing() {
        let doc = json!({"b": 1.0, "a": {"d": [2, 1], "c": null}, "conditions": {"locations": {"includeLocations": ["z", "a"]}}, "@odata.etag": "x"});
        let thresholds = ignoring(&[(None, None, "/a/c")]);
        let once = canonicalize(Source::Entra, CA, &doc, &thresholds);
        assert_eq!(canonicalize(Source::Entra, CA, &once, &thresholds), once);
    }

    #[test]
    fn the_hash_is_sha256_of_the_compact_text() {
        // echo -n '{"a":1,"b":[true,null]}' | sha256sum
        assert_eq!(
            content_hash(&json!({"b": [true, null], "a": 1})),
            "1cc69c7fa23616ca2ec3ee70d24390a6225c8832db8a4c814c7e0e7f942f8668"
        );
    }
}
