//! How much a change matters: the tenant's severity rules first (in their order, the first that
//! matches wins), then the built-in defaults ([`SEVERITY`]), then the tenant's
//! `default_severity`.

use serde_json::Value;

use crate::settings::schema::SeverityRule;
use crate::settings::DriftThresholds;
use crate::types::{ChangeType, Severity, Source};

use super::builtin::{SeverityDefault, SEVERITY};
use super::pattern::{select, type_matches};

/// Rates a change of a resource. `old` and `new` are the canonical states before and after;
/// `Value::Null` stands for the side that does not exist (`old` of a created resource, `new`
/// of a deleted one).
///
/// A rule with a path matches when anything at or below the path differs between `old` and
/// `new`: a change inside the subtree, or the subtree appearing, disappearing or being
/// replaced whole (`sessionControls` going from null to an object matches
/// `/sessionControls/signInFrequency` when the new object has that member). A created or
/// deleted resource therefore matches every path it has.
pub fn severity(
    source: Source,
    resource_type: &str,
    change_type: ChangeType,
    old: &Value,
    new: &Value,
    thresholds: &DriftThresholds,
) -> Severity {
    let change = Change {
        source,
        resource_type,
        change_type,
        old,
        new,
    };
    thresholds
        .severity_rules
        .iter()
        .find(|rule| change.matches_rule(rule))
        .map(|rule| rule.severity)
        .or_else(|| {
            SEVERITY
                .iter()
                .find(|row| change.matches_default(row))
                .map(|row| row.severity)
        })
        .unwrap_or(thresholds.default_severity)
}

struct Change<'a> {
    source: Source,
    resource_type: &'a str,
    change_type: ChangeType,
    old: &'a Value,
    new: &'a Value,
}

impl Change<'_> {
    fn matches_rule(&self, rule: &SeverityRule) -> bool {
        rule.source.is_none_or(|s| s == self.source)
            && rule
                .resource_type
                .as_deref()
                .is_none_or(|t| type_matches(t, self.resource_type))
            && rule.change_type.is_none_or(|c| c == self.change_type)
            && rule
                .path_prefix
                .as_deref()
                .is_none_or(|path| self.differs_under(path))
    }

    fn matches_default(&self, row: &SeverityDefault) -> bool {
        row.source.is_none_or(|s| s == self.source)
            && row
                .resource_types
                .iter()
                .any(|t| type_matches(t, self.resource_type))
            && (row.change_types.is_empty() || row.change_types.contains(&self.change_type))
            && (row.paths.is_empty() || row.paths.iter().any(|p| self.differs_under(p)))
            && row.when.is_none_or(|when| when(self.old, self.new))
    }

    /// Whether anything the path pattern reaches differs between the two states.
    fn differs_under(&self, path: &str) -> bool {
        select(self.old, path) != select(self.new, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CA: &str = "microsoft.graph.conditionalAccessPolicy";

    fn builtin(
        source: Source,
        resource_type: &str,
        change: ChangeType,
        old: &Value,
        new: &Value,
    ) -> Severity {
        severity(
            source,
            resource_type,
            change,
            old,
            new,
            &DriftThresholds::default(),
        )
    }

    fn rule(path_prefix: Option<&str>, severity: Severity) -> SeverityRule {
        SeverityRule {
            source: None,
            resource_type: None,
            path_prefix: path_prefix.map(str::to_owned),
            change_type: None,
            severity,
        }
    }

    #[test]
    fn conditional_access_defaults() {
        let policy = |state: &str| json!({"state": state, "displayName": "p"});
        let null = Value::Null;
        use ChangeType::*;
        assert_eq!(
            builtin(Source::Entra, CA, Deleted, &policy("enabled"), &null),
            Severity::Critical
        );
        assert_eq!(
            builtin(
                Source::Entra,
                CA,
                Updated,
                &policy("enabled"),
                &policy("disabled")
            ),
            Severity::Critical
        );
        assert_eq!(
            builtin(
                Source::Entra,
                CA,
                Updated,
                &policy("enabled"),
                &policy("enabledForReportingButNotEnforced")
            ),
            Severity::Critical
        );
        assert_eq!(
            builtin(
                Source::Entra,
                CA,
                Updated,
                &policy("disabled"),
                &policy("enabled")
            ),
            Severity::High
        );
        assert_eq!(
            builtin(Source::Entra, CA, Created, &null, &policy("enabled")),
            Severity::High
        );
    }

    #[test]
    fn identity_defaults() {
        use ChangeType::*;
        let null = Value::Null;
        let doc = json!({"id": "x"});
        assert_eq!(
            builtin(
                Source::Entra,
                "microsoft.graph.authenticationMethodsPolicy",
                Updated,
                &doc,
                &json!({"id": "y"})
            ),
            Severity::High
        );
        assert_eq!(
            builtin(
                Source::Entra,
                "microsoft.graph.unifiedRoleAssignment",
                Created,
                &null,
                &doc
            ),
            Severity::High
        );
        assert_eq!(
            builtin(
                Source::Entra,
                "microsoft.graph.unifiedRoleAssignment",
                Deleted,
                &doc,
                &null
            ),
            Severity::High
        );
        let location = |trusted: bool| json!({"isTrusted": trusted, "displayName": "HQ"});
        assert_eq!(
            builtin(
                Source::Entra,
                "microsoft.graph.ipNamedLocation",
                Updated,
                &location(false),
                &location(true)
            ),
            Severity::High
        );
        assert_eq!(
            builtin(
                Source::Entra,
                "microsoft.graph.countryNamedLocation",
                Updated,
                &json!({"countriesAndRegions": ["US"]}),
                &json!({"countriesAndRegions": ["GB", "US"]})
            ),
            Severity::Medium
        );
    }

    #[test]
    fn application_secrets_are_high_and_other_app_edits_take_the_default() {
        use ChangeType::*;
        let app = |creds: Value, audience: &str| json!({"passwordCredentials": creds, "signInAudience": audience});
        let app_type = "microsoft.graph.application";
        assert_eq!(
            builtin(
                Source::Entra,
                app_type,
                Updated,
                &app(json!([]), "AzureADMyOrg"),
                &app(json!([{"keyId": "k"}]), "AzureADMyOrg")
            ),
            Severity::High
        );
        let thresholds = DriftThresholds {
            default_severity: Severity::Info,
            ..DriftThresholds::default()
        };
        assert_eq!(
            severity(
                Source::Entra,
                app_type,
                Updated,
                &app(json!([]), "AzureADMyOrg"),
                &app(json!([]), "AzureADMultipleOrgs"),
                &thresholds
            ),
            Severity::Info
        );
        // Anything created is at least low, whatever the default.
        assert_eq!(
            severity(
                Source::Entra,
                app_type,
                Created,
                &Value::Null,
                &app(json!([]), "x"),
                &thresholds
            ),
            Severity::Low
        );
    }

    #[test]
    fn intune_and_arm_defaults() {
        use ChangeType::*;
        let (a, b) = (json!({"x": 1}), json!({"x": 2}));
        assert_eq!(
            builtin(
                Source::Intune,
                "microsoft.graph.windows10CompliancePolicy",
                Updated,
                &a,
                &b
            ),
            Severity::Medium
        );
        assert_eq!(
            builtin(
                Source::Arm,
                "microsoft.network/networksecuritygroups",
                Updated,
                &a,
                &b
            ),
            Severity::High
        );
        assert_eq!(
            builtin(
                Source::Arm,
                "microsoft.authorization/roleassignments",
                Created,
                &Value::Null,
                &a
            ),
            Severity::High
        );
        assert_eq!(
            builtin(
                Source::Arm,
                "microsoft.keyvault/vaults",
                Deleted,
                &a,
                &Value::Null
            ),
            Severity::High
        );
        assert_eq!(
            builtin(
                Source::Arm,
                "microsoft.compute/virtualmachines",
                Updated,
                &a,
                &b
            ),
            Severity::Low
        );
        let access = |v: &str| json!({"properties": {"publicNetworkAccess": v}});
        assert_eq!(
            builtin(
                Source::Arm,
                "microsoft.sql/servers",
                Updated,
                &access("Disabled"),
                &access("Enabled")
            ),
            Severity::High
        );
    }

    #[test]
    fn the_first_matching_tenant_rule_wins_over_everything() {
        let thresholds = DriftThresholds {
            severity_rules: vec![
                SeverityRule {
                    change_type: Some(ChangeType::Deleted),
                    ..rule(None, Severity::Info)
                },
                rule(Some("/conditions/users/excludeUsers"), Severity::Critical),
                rule(Some("/conditions"), Severity::Low),
            ],
            ..DriftThresholds::default()
        };
        let old = json!({"state": "enabled", "conditions": {"users": {"excludeUsers": []}, "clientAppTypes": ["all"]}});
        let mut excluded = old.clone();
        excluded["conditions"]["users"]["excludeUsers"] = json!(["u"]);
        let mut other = old.clone();
        other["conditions"]["clientAppTypes"] = json!(["browser"]);
        let rate = |change, old: &Value, new: &Value| {
            severity(Source::Entra, CA, change, old, new, &thresholds)
        };
        assert_eq!(
            rate(ChangeType::Updated, &old, &excluded),
            Severity::Critical
        );
        assert_eq!(rate(ChangeType::Updated, &old, &other), Severity::Low);
        assert_eq!(
            rate(ChangeType::Deleted, &old, &Value::Null),
            Severity::Info
        );
        // No tenant rule matches a change of the state alone: the built-in row does.
        let mut disabled = old.clone();
        disabled["state"] = json!("disabled");
        assert_eq!(
            rate(ChangeType::Updated, &old, &disabled),
            Severity::Critical
        );
    }

    #[test]
    fn tenant_rules_filter_by_source_type_and_change() {
        let thresholds = DriftThresholds {
            severity_rules: vec![SeverityRule {
                source: Some(Source::Arm),
                resource_type: Some("Microsoft.Storage/*".into()),
                path_prefix: Some("/tags/*".into()),
                change_type: Some(ChangeType::Updated),
                severity: Severity::Info,
            }],
            ..DriftThresholds::default()
        };
        let (a, b) = (
            json!({"tags": {"env": "prod"}}),
            json!({"tags": {"env": "dev"}}),
        );
        let rate = |source, resource_type: &str, change| {
            severity(source, resource_type, change, &a, &b, &thresholds)
        };
        assert_eq!(
            rate(
                Source::Arm,
                "microsoft.storage/storageaccounts",
                ChangeType::Updated
            ),
            Severity::Info
        );
        assert_eq!(
            rate(Source::Arm, "microsoft.web/sites", ChangeType::Updated),
            Severity::Low
        );
        assert_eq!(
            rate(Source::Intune, "microsoft.storage/x", ChangeType::Updated),
            Severity::Medium
        );
        assert_eq!(
            severity(
                Source::Arm,
                "microsoft.storage/storageaccounts",
                ChangeType::Updated,
                &a,
                &json!({"tags": {"env": "prod"}, "sku": 1}),
                &thresholds
            ),
            Severity::Low
        );
    }

    #[test]
    fn a_path_matches_a_subtree_replaced_whole_and_resources_that_appear() {
        let thresholds = DriftThresholds {
            severity_rules: vec![rule(
                Some("/sessionControls/signInFrequency"),
                Severity::Critical,
            )],
            ..DriftThresholds::default()
        };
        let old = json!({"sessionControls": null});
        let new = json!({"sessionControls": {"signInFrequency": {"value": 1}}});
        let rate = |change, old: &Value, new: &Value| {
            severity(
                Source::Entra,
                "microsoft.graph.x",
                change,
                old,
                new,
                &thresholds,
            )
        };
        assert_eq!(rate(ChangeType::Updated, &old, &new), Severity::Critical);
        assert_eq!(
            rate(ChangeType::Created, &Value::Null, &new),
            Severity::Critical
        );
        assert_eq!(rate(ChangeType::Created, &Value::Null, &old), Severity::Low);
        let other = json!({"sessionControls": {"persistentBrowser": {}}});
        assert_eq!(rate(ChangeType::Updated, &old, &other), Severity::Medium);
    }
}
