//! One call per resource per poll: what the worker should write.

use serde_json::Value;

use crate::settings::DriftThresholds;
use crate::types::{ChangeType, Severity, Source};

use super::canonical::{canonicalize, content_hash};
use super::classify::{classify, Before, Decision, Sameness, Seen};
use super::diff::changed_paths;
use super::severity::severity;

/// A resource as stored before the poll.
#[derive(Debug, Clone, Copy)]
pub struct StoredState<'a> {
    pub content_hash: &'a str,
    /// The stored `config_data`: raw as polled, or canonical (canonicalising is idempotent, so
    /// either gives the same result).
    pub config_data: &'a Value,
    /// Whether `deleted_at` is set.
    pub deleted: bool,
}

/// A resource of one poll: what is stored and what was seen.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    pub source: Source,
    /// The Graph `@odata.type` (a leading `#` is ignored) or the ARM resource type.
    pub resource_type: &'a str,
    pub stored: Option<StoredState<'a>>,
    /// The resource as the poll returned it; `None` when a **complete** listing did not
    /// contain it. (Absences from a failed or partial listing must not be evaluated at all.)
    pub observed: Option<&'a Value>,
}

/// What to write for one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluation {
    /// Nothing changed.
    Nothing,
    /// Only volatile or ignored fields moved (or the ignore rules changed): store the observed
    /// data and this hash, and write no history.
    StoreOnly { content_hash: String },
    /// A change: store the new state and record it in the history.
    Record(Change),
}

/// A change to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub change_type: ChangeType,
    /// JSON Pointers into the canonical documents (set-like arrays sorted) of the smallest
    /// subtrees that changed; `[""]` (the whole document) for `created` and `deleted`.
    pub changed_paths: Vec<String>,
    pub severity: Severity,
    /// The hash of the new canonical state; `None` for `deleted` (keep the stored one).
    pub content_hash: Option<String>,
}

/// Decides what the worker writes for one resource (see [`classify`] for the table).
///
/// The work is proportional to what changed: the same JSON as stored is settled by one deep
/// comparison, with nothing canonicalised; other data is canonicalised and hashed, and the
/// stored document is canonicalised again only when the hashes differ. (So a stored hash
/// computed under older ignore rules stays until the data next changes; it is then replaced,
/// and history written only if the canonical forms under the current rules differ.)
pub fn evaluate(observation: &Observation<'_>, thresholds: &DriftThresholds) -> Evaluation {
    let Observation {
        source,
        resource_type,
        stored,
        observed,
    } = *observation;
    let canonical = |doc: &Value| canonicalize(source, resource_type, doc, thresholds);
    let before = match stored {
        None => Before::Nothing,
        Some(s) if s.deleted => Before::Deleted,
        Some(_) => Before::Live,
    };
    let live = stored.filter(|s| !s.deleted);

    // Canonical forms (and the new hash), computed only when needed.
    let mut new: Option<(Value, String)> = None;
    let mut old: Option<Value> = None;
    let seen = match (observed, live) {
        (None, _) => Seen::Missing,
        (Some(observed), Some(live)) if observed == live.config_data => {
            Seen::Present(Sameness::Identical)
        }
        (Some(observed), live) => {
            let canonical_new = canonical(observed);
            let hash = content_hash(&canonical_new);
            let sameness = match live {
                None => Sameness::Different,
                Some(live) if hash == live.content_hash => Sameness::SameCanonical,
                Some(live) => {
                    let stored_canonical = old.insert(canonical(live.config_data));
                    if *stored_canonical == canonical_new {
                        Sameness::SameCanonical
                    } else {
                        Sameness::Different
                    }
                }
            };
            new = Some((canonical_new, hash));
            Seen::Present(sameness)
        }
    };

    let change_type = match classify(before, seen) {
        Decision::Nothing => return Evaluation::Nothing,
        Decision::StoreOnly => {
            let (_, content_hash) = new.expect("only a present resource is stored");
            return Evaluation::StoreOnly { content_hash };
        }
        Decision::Record(change_type) => change_type,
    };
    let old = match change_type {
        ChangeType::Created => Value::Null,
        _ => old.unwrap_or_else(|| {
            canonical(stored.expect("only a stored resource changes").config_data)
        }),
    };
    let (new, content_hash) = match new {
        Some((doc, hash)) => (doc, Some(hash)),
        None => (Value::Null, None),
    };
    Evaluation::Record(Change {
        change_type,
        changed_paths: changed_paths(&old, &new),
        severity: severity(source, resource_type, change_type, &old, &new, thresholds),
        content_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::schema::IgnoreRule;
    use serde_json::json;

    const CA: &str = "microsoft.graph.conditionalAccessPolicy";

    fn policy(state: &str, modified: &str, exclude: &[&str]) -> Value {
        json!({
            "id": "p1", "displayName": "Require MFA", "state": state,
            "modifiedDateTime": modified,
            "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": exclude}},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}
        })
    }

    fn hash(doc: &Value, thresholds: &DriftThresholds) -> String {
        content_hash(&canonicalize(Source::Entra, CA, doc, thresholds))
    }

    fn run(
        stored: Option<(&Value, bool)>,
        observed: Option<&Value>,
        thresholds: &DriftThresholds,
    ) -> Evaluation {
        let stored_hash = stored.map(|(doc, _)| hash(doc, &DriftThresholds::default()));
        evaluate(
            &Observation {
                source: Source::Entra,
                resource_type: CA,
                stored: stored.map(|(doc, deleted)| StoredState {
                    content_hash: stored_hash.as_deref().unwrap(),
                    config_data: doc,
                    deleted,
                }),
                observed,
            },
            thresholds,
        )
    }

    fn defaults() -> DriftThresholds {
        DriftThresholds::default()
    }

    #[test]
    fn an_unchanged_resource_writes_nothing() {
        let doc = policy("enabled", "2024-01-01T00:00:00Z", &["a", "b"]);
        assert_eq!(
            run(Some((&doc, false)), Some(&doc), &defaults()),
            Evaluation::Nothing
        );
    }

    #[test]
    fn volatile_only_change_writes_no_history() {
        let stored = policy("enabled", "2024-01-01T00:00:00Z", &["a", "b"]);
        let observed = policy("enabled", "2024-03-01T00:00:00Z", &["b", "a"]);
        assert_eq!(
            run(Some((&stored, false)), Some(&observed), &defaults()),
            Evaluation::StoreOnly {
                content_hash: hash(&stored, &defaults())
            }
        );
    }

    #[test]
    fn a_real_change_is_recorded_with_paths_and_severity() {
        let stored = policy("enabled", "2024-01-01T00:00:00Z", &["a"]);
        let observed = policy("disabled", "2024-03-01T00:00:00Z", &["a", "b"]);
        assert_eq!(
            run(Some((&stored, false)), Some(&observed), &defaults()),
            Evaluation::Record(Change {
                change_type: ChangeType::Updated,
                changed_paths: vec!["/conditions/users/excludeUsers/1".into(), "/state".into()],
                severity: Severity::Critical,
                content_hash: Some(hash(&observed, &defaults())),
            })
        );
    }

    #[test]
    fn new_missing_and_returning_resources() {
        let doc = policy("enabled", "2024-01-01T00:00:00Z", &[]);
        let created = Evaluation::Record(Change {
            change_type: ChangeType::Created,
            changed_paths: vec!["".into()],
            severity: Severity::High,
            content_hash: Some(hash(&doc, &defaults())),
        });
        assert_eq!(run(None, Some(&doc), &defaults()), created);
        assert_eq!(run(Some((&doc, true)), Some(&doc), &defaults()), created);
        assert_eq!(
            run(Some((&doc, false)), None, &defaults()),
            Evaluation::Record(Change {
                change_type: ChangeType::Deleted,
                changed_paths: vec!["".into()],
                severity: Severity::Critical,
                content_hash: None,
            })
        );
        assert_eq!(
            run(Some((&doc, true)), None, &defaults()),
            Evaluation::Nothing
        );
        assert_eq!(run(None, None, &defaults()), Evaluation::Nothing);
    }

    #[test]
    fn a_new_ignore_rule_writes_no_history() {
        let doc = policy("enabled", "2024-01-01T00:00:00Z", &["a"]);
        let thresholds = DriftThresholds {
            ignore_paths: vec![IgnoreRule {
                source: None,
                resource_type: None,
                path: "/displayName".into(),
                reason: None,
            }],
            ..DriftThresholds::default()
        };
        // The stored hash was computed before the rule existed. The same data is no change,
        // and the hash is left as it is.
        assert_eq!(
            run(Some((&doc, false)), Some(&doc), &thresholds),
            Evaluation::Nothing
        );
        // When the ignored field moves, the hash is brought up to date without history.
        let mut renamed = doc.clone();
        renamed["displayName"] = json!("Renamed");
        assert_eq!(
            run(Some((&doc, false)), Some(&renamed), &thresholds),
            Evaluation::StoreOnly {
                content_hash: hash(&doc, &thresholds)
            }
        );
        // A real change is still measured against the stored data under the current rules.
        let mut disabled = renamed.clone();
        disabled["state"] = json!("disabled");
        let Evaluation::Record(change) = run(Some((&doc, false)), Some(&disabled), &thresholds)
        else {
            panic!("a change")
        };
        assert_eq!(change.changed_paths, ["/state"]);
    }

    #[test]
    fn stored_data_may_be_canonical() {
        let raw = policy("enabled", "2024-01-01T00:00:00Z", &["b", "a"]);
        let canonical = canonicalize(Source::Entra, CA, &raw, &defaults());
        let changed = policy("enabled", "2024-01-01T00:00:00Z", &["b"]);
        let evaluation = evaluate(
            &Observation {
                source: Source::Entra,
                resource_type: CA,
                stored: Some(StoredState {
                    content_hash: &content_hash(&canonical),
                    config_data: &canonical,
                    deleted: false,
                }),
                observed: Some(&changed),
            },
            &defaults(),
        );
        let Evaluation::Record(change) = evaluation else {
            panic!("{evaluation:?}")
        };
        assert_eq!(change.changed_paths, ["/conditions/users/excludeUsers/0"]);
        assert_eq!(change.severity, Severity::High);
    }
}
