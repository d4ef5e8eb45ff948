//! Everything the engine knows about Azure without being told: which fields are volatile,
//! which arrays are sets, which strings ignore case, and how much a change matters by default.
//! Tenant settings add to these (ignore paths) or go before them (severity rules); they never
//! need to repeat them.
//!
//! Types and paths are patterns (see [`super::pattern`]). Graph resource types are the
//! `@odata.type` without `#` (`microsoft.graph.conditionalAccessPolicy`); ARM types are the
//! provider type as Resource Graph returns it (lower case, `microsoft.network/networksecuritygroups`).

use serde_json::Value;

use crate::types::{ChangeType, Severity, Source};

use super::pattern::type_matches;

/// Some paths of the resources of some source and type.
#[derive(Debug)]
pub struct PathRule {
    /// Only resources of this source; all when `None`.
    pub source: Option<Source>,
    /// A resource type pattern.
    pub resource_type: &'static str,
    /// Path patterns.
    pub paths: &'static [&'static str],
    /// Why, for the next reader.
    pub why: &'static str,
}

impl PathRule {
    pub fn applies_to(&self, source: Source, resource_type: &str) -> bool {
        self.source.is_none_or(|s| s == source) && type_matches(self.resource_type, resource_type)
    }
}

const ENTRA: Option<Source> = Some(Source::Entra);
const INTUNE: Option<Source> = Some(Source::Intune);
const ARM: Option<Source> = Some(Source::Arm);
const CA_POLICY: &str = "microsoft.graph.conditionalAccessPolicy";
const NAMED_LOCATION: &str = "microsoft.graph.*NamedLocation";
const AUTH_METHODS_POLICY: &str = "microsoft.graph.authenticationMethodsPolicy";

/// Fields that move without anyone changing the configuration. They are removed before hashing,
/// so that a change of theirs alone updates the stored data but writes no history.
///
/// Besides these paths, Graph instance and property annotations (`@odata.etag`,
/// `@odata.context`, `@microsoft.graph.tips`, `members@odata.nextLink`…) are removed at any
/// depth; `@odata.type` stays, because it names what the object is.
pub static VOLATILE: &[PathRule] = &[
    PathRule {
        source: None,
        resource_type: "*",
        paths: &[
            "/createdDateTime",
            "/modifiedDateTime",
            "/lastModifiedDateTime",
            "/etag",
        ],
        why: "timestamps and entity tags move on every save, and `createdDateTime` is not \
              configuration (a re-created resource is recorded as `created` anyway)",
    },
    PathRule {
        source: INTUNE,
        resource_type: "*",
        paths: &["/version"],
        why: "Intune counts saves in `version` (a save with no change counts too)",
    },
    PathRule {
        source: INTUNE,
        resource_type: "microsoft.graph.deviceManagementConfigurationPolicy",
        paths: &["/settingCount", "/isAssigned"],
        why: "settings-catalog policies: `settingCount` follows from `settings` (stored whole), \
              and `isAssigned` follows the assignments, not the policy (IntuneCD and CIPP drop \
              both)",
    },
    PathRule {
        source: ENTRA,
        resource_type: AUTH_METHODS_POLICY,
        paths: &["/policyVersion"],
        why: "moves with `lastModifiedDateTime`",
    },
    PathRule {
        source: ARM,
        resource_type: "*",
        paths: &[
            "/systemData",
            "/changedTime",
            "/createdTime",
            "/properties/provisioningState",
            // Sub-resources (security rules, subnets, IP configurations…) carry their own.
            "/properties/*/*/etag",
            "/properties/*/*/properties/provisioningState",
            "/properties/*/*/properties/*/*/etag",
            "/properties/*/*/properties/*/*/properties/provisioningState",
        ],
        why: "`systemData` and Resource Graph's change times record who and when, not what; \
              `provisioningState` passes through Updating/Succeeded whenever the platform \
              works on a resource (Resource Graph files those as `System` changes)",
    },
    PathRule {
        source: ARM,
        resource_type: "microsoft.compute/virtualmachines",
        paths: &["/properties/extended/instanceView"],
        why: "power state and agent status: a VM starting or stopping is not drift",
    },
    PathRule {
        source: ARM,
        resource_type: "microsoft.web/sites",
        paths: &[
            "/properties/lastModifiedTimeUtc",
            "/properties/usageState",
            "/properties/availabilityState",
        ],
        why: "runtime health and a timestamp",
    },
    PathRule {
        source: ARM,
        resource_type: "microsoft.storage/storageaccounts",
        paths: &[
            "/properties/statusOfPrimary",
            "/properties/statusOfSecondary",
        ],
        why: "region availability, not configuration",
    },
    PathRule {
        source: ARM,
        resource_type: "microsoft.sql/servers",
        paths: &["/properties/state"],
        why: "runtime state (`Ready`), not configuration",
    },
];

/// Arrays whose order means nothing: they are sorted (by the canonical JSON text of their
/// elements) before hashing and diffing. Every other array keeps its order. Duplicates are
/// kept: only the order is ignored.
pub static SETS: &[PathRule] = &[
    PathRule {
        source: ENTRA,
        resource_type: CA_POLICY,
        paths: &[
            "/conditions/users/includeUsers",
            "/conditions/users/excludeUsers",
            "/conditions/users/includeGroups",
            "/conditions/users/excludeGroups",
            "/conditions/users/includeRoles",
            "/conditions/users/excludeRoles",
            "/conditions/users/includeGuestsOrExternalUsers/externalTenants/members",
            "/conditions/users/excludeGuestsOrExternalUsers/externalTenants/members",
            "/conditions/applications/includeApplications",
            "/conditions/applications/excludeApplications",
            "/conditions/applications/includeUserActions",
            "/conditions/applications/includeAuthenticationContextClassReferences",
            "/conditions/clientApplications/includeServicePrincipals",
            "/conditions/clientApplications/excludeServicePrincipals",
            "/conditions/locations/includeLocations",
            "/conditions/locations/excludeLocations",
            "/conditions/platforms/includePlatforms",
            "/conditions/platforms/excludePlatforms",
            "/conditions/devices/includeDevices",
            "/conditions/devices/excludeDevices",
            "/conditions/clientAppTypes",
            "/conditions/userRiskLevels",
            "/conditions/signInRiskLevels",
            "/conditions/servicePrincipalRiskLevels",
            "/grantControls/builtInControls",
            "/grantControls/customAuthenticationFactors",
            "/grantControls/termsOfUse",
        ],
        why: "Graph documents these as collections of ids or enum values; the portal and the \
              API return them in any order",
    },
    PathRule {
        source: ENTRA,
        resource_type: NAMED_LOCATION,
        paths: &["/ipRanges", "/countriesAndRegions"],
        why: "a location is the union of its ranges or countries",
    },
    PathRule {
        source: ENTRA,
        resource_type: AUTH_METHODS_POLICY,
        paths: &[
            "/authenticationMethodConfigurations",
            "/authenticationMethodConfigurations/*/includeTargets",
            "/authenticationMethodConfigurations/*/excludeTargets",
            "/registrationEnforcement/authenticationMethodsRegistrationCampaign/includeTargets",
            "/registrationEnforcement/authenticationMethodsRegistrationCampaign/excludeTargets",
        ],
        why: "one configuration per method (each with its id) and target lists",
    },
    PathRule {
        source: ENTRA,
        resource_type: "microsoft.graph.application",
        paths: &[
            "/identifierUris",
            "/tags",
            "/web/redirectUris",
            "/spa/redirectUris",
            "/publicClient/redirectUris",
            "/requiredResourceAccess",
            "/requiredResourceAccess/*/resourceAccess",
            "/passwordCredentials",
            "/keyCredentials",
            "/appRoles",
            "/appRoles/*/allowedMemberTypes",
            "/api/oauth2PermissionScopes",
            "/api/preAuthorizedApplications",
            "/api/preAuthorizedApplications/*/delegatedPermissionIds",
            "/api/knownClientApplications",
        ],
        why: "URIs, permissions, credentials and roles are unordered collections",
    },
    PathRule {
        source: ENTRA,
        resource_type: "microsoft.graph.servicePrincipal",
        paths: &[
            "/tags",
            "/servicePrincipalNames",
            "/replyUrls",
            "/alternativeNames",
            "/notificationEmailAddresses",
            "/passwordCredentials",
            "/keyCredentials",
            "/appRoles",
            "/appRoles/*/allowedMemberTypes",
            "/oauth2PermissionScopes",
        ],
        why: "names, URLs, credentials and roles are unordered collections",
    },
    PathRule {
        source: INTUNE,
        resource_type: "*",
        paths: &["/roleScopeTagIds", "/assignments"],
        why: "scope tags and assignments (when expanded) are unordered",
    },
    PathRule {
        source: ARM,
        resource_type: "*",
        paths: &["/zones"],
        why: "availability zones are a set",
    },
    PathRule {
        source: ARM,
        resource_type: "microsoft.network/networksecuritygroups",
        paths: &[
            "/properties/securityRules",
            "/properties/defaultSecurityRules",
            "/properties/securityRules/*/properties/sourceAddressPrefixes",
            "/properties/securityRules/*/properties/destinationAddressPrefixes",
            "/properties/securityRules/*/properties/sourcePortRanges",
            "/properties/securityRules/*/properties/destinationPortRanges",
        ],
        why:
            "rules are evaluated by priority, not by position; their prefix and port lists are sets",
    },
    PathRule {
        source: ARM,
        resource_type: "microsoft.keyvault/vaults",
        paths: &[
            "/properties/accessPolicies",
            "/properties/accessPolicies/*/permissions/keys",
            "/properties/accessPolicies/*/permissions/secrets",
            "/properties/accessPolicies/*/permissions/certificates",
            "/properties/accessPolicies/*/permissions/storage",
            "/properties/networkAcls/ipRules",
            "/properties/networkAcls/virtualNetworkRules",
        ],
        why: "access policies and their permissions, and firewall rules, are sets",
    },
    PathRule {
        source: ARM,
        resource_type: "microsoft.storage/storageaccounts",
        paths: &[
            "/properties/networkAcls/ipRules",
            "/properties/networkAcls/virtualNetworkRules",
        ],
        why: "firewall rules are a set",
    },
];

/// Strings ARM treats case-insensitively, which different ARM and Resource Graph paths spell
/// differently (`resourceGroups/RG-App` and `rg-app`): compared in lower case.
pub static CASE_INSENSITIVE: &[PathRule] = &[PathRule {
    source: ARM,
    resource_type: "*",
    paths: &["/id", "/type", "/resourceGroup", "/location"],
    why: "ARM ids, types, group names and regions ignore case",
}];

/// A default rating of changes.
#[derive(Debug)]
pub struct SeverityDefault {
    pub source: Option<Source>,
    /// Resource type patterns; the row applies to any of them.
    pub resource_types: &'static [&'static str],
    /// The change types it rates; all when empty.
    pub change_types: &'static [ChangeType],
    /// Path patterns: the row applies when anything at or below one of them differs between
    /// the old and the new state (as tenant rules' `path_prefix`); any change when empty.
    pub paths: &'static [&'static str],
    /// A further condition on the old and new canonical states.
    pub when: Option<fn(&Value, &Value) -> bool>,
    pub severity: Severity,
    pub why: &'static str,
}

/// A conditional access policy that enforced and now does not (off or report-only).
fn stops_enforcing(old: &Value, new: &Value) -> bool {
    old["state"] == "enabled"
        && matches!(
            new["state"].as_str(),
            Some("disabled" | "enabledForReportingButNotEnforced")
        )
}

/// The built-in severities: after the tenant's rules, the first row that matches rates the
/// change; when none does, the tenant's `default_severity` applies.
///
/// | source | resource types | change | condition | severity |
/// |---|---|---|---|---|
/// | entra | conditional access policy | deleted | | critical |
/// | entra | conditional access policy | updated | `state` from `enabled` to `disabled` or report-only | critical |
/// | entra | conditional access policy | any | | high |
/// | entra | authentication methods policy (and its method configurations) | any | | high |
/// | entra | directory role assignments | any | | high |
/// | entra | named locations | updated | `/isTrusted` | high |
/// | entra | named locations | any | | medium |
/// | entra | applications, service principals | updated | credentials, API permissions, redirect URIs, app roles | high |
/// | intune | any | any | | medium |
/// | arm | network security groups, firewalls, key vaults, `microsoft.authorization/*` | any | | high |
/// | arm | any | updated | public network access, network ACLs, blob public access | high |
/// | arm | any | any | | low |
/// | any | any | created | | low |
pub static SEVERITY: &[SeverityDefault] = &[
    SeverityDefault {
        source: ENTRA,
        resource_types: &[CA_POLICY],
        change_types: &[ChangeType::Deleted],
        paths: &[],
        when: None,
        severity: Severity::Critical,
        why: "a deleted conditional access policy stops protecting sign-ins at once",
    },
    SeverityDefault {
        source: ENTRA,
        resource_types: &[CA_POLICY],
        change_types: &[ChangeType::Updated],
        paths: &[],
        when: Some(stops_enforcing),
        severity: Severity::Critical,
        why: "switching a policy off (or to report-only) is as good as deleting it",
    },
    SeverityDefault {
        source: ENTRA,
        resource_types: &[CA_POLICY],
        change_types: &[],
        paths: &[],
        when: None,
        severity: Severity::High,
        why: "conditional access decides who signs in",
    },
    SeverityDefault {
        source: ENTRA,
        resource_types: &[
            AUTH_METHODS_POLICY,
            "microsoft.graph.*AuthenticationMethodConfiguration",
        ],
        change_types: &[],
        paths: &[],
        when: None,
        severity: Severity::High,
        why: "which authentication methods are allowed decides how strong sign-ins are",
    },
    SeverityDefault {
        source: ENTRA,
        resource_types: &["microsoft.graph.unifiedRoleAssignment*"],
        change_types: &[],
        paths: &[],
        when: None,
        severity: Severity::High,
        why: "directory roles are administrative power",
    },
    SeverityDefault {
        source: ENTRA,
        resource_types: &[NAMED_LOCATION],
        change_types: &[ChangeType::Updated],
        paths: &["/isTrusted"],
        when: None,
        severity: Severity::High,
        why: "a trusted location can exempt sign-ins from MFA",
    },
    SeverityDefault {
        source: ENTRA,
        resource_types: &[NAMED_LOCATION],
        change_types: &[],
        paths: &[],
        when: None,
        severity: Severity::Medium,
        why: "locations feed conditional access conditions",
    },
    SeverityDefault {
        source: ENTRA,
        resource_types: &[
            "microsoft.graph.application",
            "microsoft.graph.servicePrincipal",
        ],
        change_types: &[ChangeType::Updated],
        paths: &[
            "/passwordCredentials",
            "/keyCredentials",
            "/requiredResourceAccess",
            "/web/redirectUris",
            "/spa/redirectUris",
            "/publicClient/redirectUris",
            "/replyUrls",
            "/appRoles",
        ],
        when: None,
        severity: Severity::High,
        why: "a new secret, permission or redirect URI is how applications are taken over",
    },
    SeverityDefault {
        source: INTUNE,
        resource_types: &["*"],
        change_types: &[],
        paths: &[],
        when: None,
        severity: Severity::Medium,
        why: "device configuration and compliance policies",
    },
    SeverityDefault {
        source: ARM,
        resource_types: &[
            "microsoft.network/networksecuritygroups",
            "microsoft.network/networksecuritygroups/securityrules",
            "microsoft.network/azurefirewalls",
            "microsoft.network/firewallpolicies",
            "microsoft.keyvault/vaults",
            "microsoft.authorization/*",
        ],
        change_types: &[],
        paths: &[],
        when: None,
        severity: Severity::High,
        why: "network exposure, secrets and access control",
    },
    SeverityDefault {
        source: ARM,
        resource_types: &["*"],
        change_types: &[ChangeType::Updated],
        paths: &[
            "/properties/publicNetworkAccess",
            "/properties/networkAcls",
            "/properties/allowBlobPublicAccess",
        ],
        when: None,
        severity: Severity::High,
        why: "opening a resource to the internet",
    },
    SeverityDefault {
        source: ARM,
        resource_types: &["*"],
        change_types: &[],
        paths: &[],
        when: None,
        severity: Severity::Low,
        why: "other Azure resources",
    },
    SeverityDefault {
        source: None,
        resource_types: &["*"],
        change_types: &[ChangeType::Created],
        paths: &[],
        when: None,
        severity: Severity::Low,
        why: "anything new is worth a line",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_path_is_a_pointer() {
        let all = VOLATILE
            .iter()
            .chain(SETS)
            .chain(CASE_INSENSITIVE)
            .flat_map(|rule| rule.paths.iter())
            .chain(SEVERITY.iter().flat_map(|row| row.paths.iter()));
        for path in all {
            assert!(path.starts_with('/'), "{path}");
            assert!(!path.contains('~'), "{path}");
        }
    }

    #[test]
    fn stopping_enforcement_means_leaving_enabled() {
        let state = |s: &str| serde_json::json!({ "state": s });
        assert!(stops_enforcing(&state("enabled"), &state("disabled")));
        assert!(stops_enforcing(
            &state("enabled"),
            &state("enabledForReportingButNotEnforced")
        ));
        assert!(!stops_enforcing(&state("disabled"), &state("enabled")));
        assert!(!stops_enforcing(
            &state("disabled"),
            &state("enabledForReportingButNotEnforced")
        ));
    }
}
