//! The simulated world: tenants with realistic Entra, Intune and ARM resources generated from a
//! seed (same seed and epoch, same world), their audit trails, and the ground truth of every
//! change the drift script made.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How big the generated world is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorldConfig {
    pub seed: u64,
    pub tenants: usize,
    pub users_per_tenant: usize,
    pub ca_policies: usize,
    pub named_locations: usize,
    pub applications: usize,
    pub intune_policies: usize,
    /// Intune settings-catalog policies (Graph beta `deviceManagement/configurationPolicies`)
    /// per tenant, each with its settings.
    pub settings_catalog_policies: usize,
    pub subscriptions: usize,
    pub arm_resources: usize,
    /// Sign-in events per minute and tenant (generated lazily, never stored).
    pub signins_per_minute: u32,
    /// How far back sign-in events reach when the world starts, in hours.
    pub signin_backfill_hours: u32,
    /// The instant the world starts; now when absent. Fix it for reproducible worlds.
    pub epoch: Option<DateTime<Utc>>,
    /// The product's multi-tenant app registration, consented into every simulated tenant:
    /// the client id and secret the token endpoint accepts. Derived from the seed when absent.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Whether the authorize endpoint consents for the user without asking (otherwise it
    /// redirects with `consent_required`).
    pub auto_consent: bool,
    /// How long after a change its directory-audit / activity-log / resource-change record
    /// becomes visible, in seconds (Entra: typically minutes; 0 for fast demos and tests).
    pub audit_delay_seconds: u32,
    /// How many tenants have no Entra ID P1/P2 licence: the last `free_tenants` of the world.
    /// Their `auditLogs/signIns` answers 403 and their logs are kept 7 days instead of 30.
    pub free_tenants: usize,
}

impl Default for WorldConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            tenants: 2,
            users_per_tenant: 50,
            ca_policies: 24,
            named_locations: 12,
            applications: 40,
            intune_policies: 300,
            settings_catalog_policies: 6,
            subscriptions: 3,
            arm_resources: 2_500,
            signins_per_minute: 60,
            signin_backfill_hours: 48,
            epoch: None,
            client_id: None,
            client_secret: None,
            auto_consent: true,
            audit_delay_seconds: 0,
            free_tenants: 0,
        }
    }
}

/// The Graph collections the simulator serves, each a set of entities keyed by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    ConditionalAccessPolicies,
    NamedLocations,
    RoleAssignments,
    Applications,
    ServicePrincipals,
    DeviceConfigurations,
    CompliancePolicies,
    /// Intune settings-catalog policies: Graph **beta** only.
    SettingsCatalogPolicies,
}

impl Collection {
    pub const ALL: [Collection; 8] = [
        Collection::ConditionalAccessPolicies,
        Collection::NamedLocations,
        Collection::RoleAssignments,
        Collection::Applications,
        Collection::ServicePrincipals,
        Collection::DeviceConfigurations,
        Collection::CompliancePolicies,
        Collection::SettingsCatalogPolicies,
    ];

    /// Whether Graph serves it under `/beta` only (not under `/v1.0`).
    pub fn beta_only(self) -> bool {
        self == Collection::SettingsCatalogPolicies
    }

    /// The Graph path of the collection (below `/v1.0/`, or `/beta/` for [`Self::beta_only`]).
    pub fn path(self) -> &'static str {
        match self {
            Collection::ConditionalAccessPolicies => "identity/conditionalAccess/policies",
            Collection::NamedLocations => "identity/conditionalAccess/namedLocations",
            Collection::RoleAssignments => "roleManagement/directory/roleAssignments",
            Collection::Applications => "applications",
            Collection::ServicePrincipals => "servicePrincipals",
            Collection::DeviceConfigurations => "deviceManagement/deviceConfigurations",
            Collection::CompliancePolicies => "deviceManagement/deviceCompliancePolicies",
            Collection::SettingsCatalogPolicies => "deviceManagement/configurationPolicies",
        }
    }

    /// The source the product files it under.
    pub fn source(self) -> &'static str {
        match self {
            Collection::DeviceConfigurations
            | Collection::CompliancePolicies
            | Collection::SettingsCatalogPolicies => "intune",
            _ => "entra",
        }
    }

    /// The entity type Graph documents for the collection (used in `@odata.context`).
    pub fn entity_type(self) -> &'static str {
        match self {
            Collection::ConditionalAccessPolicies => "microsoft.graph.conditionalAccessPolicy",
            Collection::NamedLocations => "microsoft.graph.namedLocation",
            Collection::RoleAssignments => "microsoft.graph.unifiedRoleAssignment",
            Collection::Applications => "microsoft.graph.application",
            Collection::ServicePrincipals => "microsoft.graph.servicePrincipal",
            Collection::DeviceConfigurations => "microsoft.graph.deviceConfiguration",
            Collection::CompliancePolicies => "microsoft.graph.deviceCompliancePolicy",
            Collection::SettingsCatalogPolicies => {
                "microsoft.graph.deviceManagementConfigurationPolicy"
            }
        }
    }

    /// The `loggedByService` of the directory audit entries for its changes.
    pub fn audit_service(self) -> &'static str {
        match self {
            Collection::ConditionalAccessPolicies | Collection::NamedLocations => {
                "Conditional Access"
            }
            Collection::DeviceConfigurations
            | Collection::CompliancePolicies
            | Collection::SettingsCatalogPolicies => "Intune",
            _ => "Core Directory",
        }
    }

    pub fn audit_noun(self) -> &'static str {
        match self {
            Collection::ConditionalAccessPolicies => "conditional access policy",
            Collection::NamedLocations => "named location",
            Collection::RoleAssignments => "member to role",
            Collection::Applications => "application",
            Collection::ServicePrincipals => "service principal",
            Collection::DeviceConfigurations => "DeviceConfiguration",
            Collection::CompliancePolicies => "DeviceCompliancePolicy",
            Collection::SettingsCatalogPolicies => "DeviceManagementConfigurationPolicy",
        }
    }
}

/// A simulated user of a tenant.
#[derive(Debug, Clone, Serialize)]
pub struct SimUser {
    pub id: String,
    #[serde(rename = "userPrincipalName")]
    pub upn: String,
    #[serde(rename = "displayName")]
    pub display_name: String,
}

/// An Azure subscription of a tenant.
#[derive(Debug, Clone, Serialize)]
pub struct SimSubscription {
    pub id: String,
    pub name: String,
}

/// One simulated organisation.
#[derive(Debug, Clone)]
pub struct SimTenant {
    pub tenant_id: String,
    pub name: String,
    pub domain: String,
    pub client_id: String,
    pub client_secret: String,
    pub users: Vec<SimUser>,
    pub collections: BTreeMap<Collection, BTreeMap<String, Value>>,
    pub authentication_methods_policy: Value,
    pub subscriptions: Vec<SimSubscription>,
    /// ARM resources keyed by their lower-cased id.
    pub arm_resources: BTreeMap<String, Value>,
    pub directory_audits: Vec<AuditRecord>,
    pub activity_log: Vec<AuditRecord>,
    pub resource_changes: Vec<AuditRecord>,
    pub signins: SignInStream,
    /// Tokens issued before this instant are refused (a revocation).
    pub tokens_valid_after: Option<DateTime<Utc>>,
    /// Whether the tenant has an Entra ID P1/P2 licence: sign-in logs need one.
    pub premium: bool,
}

/// How many days the sign-in and audit logs of a tenant reach back: 30 with Entra ID P1/P2,
/// 7 without.
pub fn log_retention_days(premium: bool) -> i64 {
    if premium {
        30
    } else {
        7
    }
}

/// An audit-trail record and the instant it becomes visible to API callers.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub visible_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub body: Value,
}

/// What the drift script really did: tests compare the product's records with this.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChangeRecord {
    pub tenant_id: String,
    pub source: String,
    pub resource_id: String,
    pub resource_type: String,
    pub change_type: String,
    pub changed_by: String,
    pub at: DateTime<Utc>,
    /// Top-level properties that changed (empty for creates and deletes).
    pub changed_properties: Vec<String>,
}

pub struct World {
    pub config: WorldConfig,
    pub epoch: DateTime<Utc>,
    pub tenants: Vec<SimTenant>,
    pub ground_truth: Vec<ChangeRecord>,
    rng: ChaCha8Rng,
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A GUID from the generator (version 4 layout), so that ids are reproducible.
pub fn guid(rng: &mut impl Rng) -> String {
    let b: [u8; 16] = rng.gen();
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-4{:01x}{:02x}-{:01x}{:01x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6] & 0x0f, b[7], 8 | (b[8] & 0x3), b[8] >> 4, b[9],
        b[10], b[11], b[12], b[13], b[14], b[15]
    )
}

const COMPANY_NAMES: [&str; 8] = [
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Woodgrove",
    "Litware",
    "Adatum",
    "Proseware",
];
const FIRST_NAMES: [&str; 12] = [
    "Adele", "Alex", "Diego", "Grady", "Isaiah", "Johanna", "Lee", "Lidia", "Lynne", "Megan",
    "Nestor", "Patti",
];
const LAST_NAMES: [&str; 10] = [
    "Vance",
    "Wilber",
    "Siciliani",
    "Archie",
    "Langer",
    "Lauper",
    "Gu",
    "Holgate",
    "Robbins",
    "Bowen",
];
const LOCATIONS: [&str; 6] = [
    "westeurope",
    "northeurope",
    "eastus",
    "eastus2",
    "uksouth",
    "swedencentral",
];
const COUNTRIES: [&str; 8] = ["US", "GB", "DE", "FR", "NL", "SE", "IN", "BR"];

impl World {
    pub fn generate(config: WorldConfig) -> Self {
        let epoch = config.epoch.unwrap_or_else(Utc::now);
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let app = (
            config.client_id.clone().unwrap_or_else(|| guid(&mut rng)),
            config
                .client_secret
                .clone()
                .unwrap_or_else(|| format!("sim~{}", guid(&mut rng).replace('-', ""))),
        );
        let tenants = (0..config.tenants)
            .map(|index| {
                let mut tenant_rng = ChaCha8Rng::seed_from_u64(
                    config.seed ^ (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                );
                generate_tenant(&config, index, epoch, &app, &mut tenant_rng)
            })
            .collect();
        World {
            config,
            epoch,
            tenants,
            ground_truth: Vec::new(),
            rng,
        }
    }

    pub fn tenant(&self, tenant_id: &str) -> Option<&SimTenant> {
        self.tenants.iter().find(|t| {
            t.tenant_id.eq_ignore_ascii_case(tenant_id) || t.domain.eq_ignore_ascii_case(tenant_id)
        })
    }

    pub fn tenant_mut(&mut self, tenant_id: &str) -> Option<&mut SimTenant> {
        self.tenants.iter_mut().find(|t| {
            t.tenant_id.eq_ignore_ascii_case(tenant_id) || t.domain.eq_ignore_ascii_case(tenant_id)
        })
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }
}

fn generate_tenant(
    config: &WorldConfig,
    index: usize,
    epoch: DateTime<Utc>,
    app: &(String, String),
    rng: &mut ChaCha8Rng,
) -> SimTenant {
    let company = COMPANY_NAMES[index % COMPANY_NAMES.len()];
    let name = if index < COMPANY_NAMES.len() {
        company.to_owned()
    } else {
        format!("{company} {index}")
    };
    let domain = format!(
        "{}{}.onmicrosoft.com",
        company.to_lowercase(),
        if index < COMPANY_NAMES.len() {
            String::new()
        } else {
            index.to_string()
        }
    );
    let tenant_id = guid(rng);
    let (client_id, client_secret) = app.clone();
    let users: Vec<SimUser> = (0..config.users_per_tenant.max(1))
        .map(|i| {
            let first = FIRST_NAMES[i % FIRST_NAMES.len()];
            let last = LAST_NAMES[(i / FIRST_NAMES.len() + i) % LAST_NAMES.len()];
            let suffix = if i < FIRST_NAMES.len() {
                String::new()
            } else {
                i.to_string()
            };
            SimUser {
                id: guid(rng),
                upn: format!(
                    "{}.{}{}@{}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    suffix,
                    domain
                ),
                display_name: format!("{first} {last}"),
            }
        })
        .collect();
    let past = |rng: &mut ChaCha8Rng, max_days: i64| {
        epoch - Duration::minutes(rng.gen_range(60..max_days * 24 * 60))
    };

    let mut collections: BTreeMap<Collection, BTreeMap<String, Value>> = BTreeMap::new();
    let mut named_location_ids = Vec::new();
    let mut named_locations = BTreeMap::new();
    for i in 0..config.named_locations {
        let id = guid(rng);
        let created = past(rng, 700);
        let location = if i.is_multiple_of(2) {
            json!({
                "@odata.type": "#microsoft.graph.ipNamedLocation",
                "id": id, "displayName": format!("Office network {}", i / 2 + 1),
                "createdDateTime": timestamp(created), "modifiedDateTime": timestamp(created + Duration::days(3)),
                "isTrusted": i.is_multiple_of(4),
                "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": format!("203.0.{}.0/24", 100 + i)}]
            })
        } else {
            let countries: Vec<&str> = COUNTRIES.choose_multiple(rng, 3).copied().collect();
            json!({
                "@odata.type": "#microsoft.graph.countryNamedLocation",
                "id": id, "displayName": format!("Allowed countries {}", i / 2 + 1),
                "createdDateTime": timestamp(created), "modifiedDateTime": timestamp(created + Duration::days(1)),
                "countriesAndRegions": countries, "includeUnknownCountriesAndRegions": false,
                "countryLookupMethod": "clientIpAddress"
            })
        };
        named_location_ids.push(id.clone());
        named_locations.insert(id, location);
    }
    collections.insert(Collection::NamedLocations, named_locations);

    let mut policies = BTreeMap::new();
    for i in 0..config.ca_policies.max(5) {
        let policy = ca_policy(rng, i, epoch, &users, &named_location_ids);
        policies.insert(policy["id"].as_str().unwrap().to_owned(), policy);
    }
    collections.insert(Collection::ConditionalAccessPolicies, policies);

    let role_definitions = [
        "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
        "194ae4cb-b126-40b2-bd5b-6091b380977d", // Security Administrator
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451", // Global Reader
        "3a2c62db-5318-420d-8d74-23affee5d9d5", // Intune Administrator
        "fe930be7-5e62-47db-91af-98c3a49a38b1", // User Administrator
    ];
    let mut assignments = BTreeMap::new();
    for (i, user) in users.iter().enumerate().take(users.len().min(15)) {
        let id = guid(rng);
        assignments.insert(
            id.clone(),
            json!({
                "id": id, "principalId": user.id, "directoryScopeId": "/",
                "roleDefinitionId": role_definitions[i % role_definitions.len()]
            }),
        );
    }
    collections.insert(Collection::RoleAssignments, assignments);

    let mut applications = BTreeMap::new();
    let mut service_principals = BTreeMap::new();
    for i in 0..config.applications {
        let id = guid(rng);
        let app_id = guid(rng);
        let created = past(rng, 900);
        let display_name = format!(
            "{} {}",
            ([
                "HR Portal",
                "Payroll Sync",
                "Backup Agent",
                "CRM Connector",
                "Build Pipeline"
            ][i % 5]),
            i + 1
        );
        applications.insert(id.clone(), json!({
            "id": id, "appId": app_id, "displayName": display_name, "createdDateTime": timestamp(created),
            "signInAudience": if i.is_multiple_of(7) { "AzureADMultipleOrgs" } else { "AzureADMyOrg" },
            "publisherDomain": domain, "tags": [], "identifierUris": [format!("api://{app_id}")],
            "web": {"redirectUris": [format!("https://app{i}.{domain}/signin-oidc")], "implicitGrantSettings": {"enableIdTokenIssuance": false, "enableAccessTokenIssuance": false}},
            "requiredResourceAccess": [{"resourceAppId": "00000003-0000-0000-c000-000000000000", "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}]}],
            "passwordCredentials": [], "keyCredentials": []
        }));
        let sp_id = guid(rng);
        service_principals.insert(sp_id.clone(), json!({
            "id": sp_id, "appId": app_id, "displayName": display_name, "accountEnabled": true,
            "servicePrincipalType": "Application", "appRoleAssignmentRequired": i.is_multiple_of(3),
            "appOwnerOrganizationId": tenant_id, "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
            "servicePrincipalNames": [app_id]
        }));
    }
    collections.insert(Collection::Applications, applications);
    collections.insert(Collection::ServicePrincipals, service_principals);

    let mut configurations = BTreeMap::new();
    let mut compliance = BTreeMap::new();
    for i in 0..config.intune_policies {
        let (id, policy) = intune_policy(rng, i, epoch);
        if i % 3 == 2 {
            compliance.insert(id, policy);
        } else {
            configurations.insert(id, policy);
        }
    }
    collections.insert(Collection::DeviceConfigurations, configurations);
    collections.insert(Collection::CompliancePolicies, compliance);
    // From a generator of its own, so that adding these policies left the rest of a seeded
    // world as it was.
    let mut catalog_rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5e77_1265 ^ index as u64);
    let catalog: BTreeMap<String, Value> = (0..config.settings_catalog_policies)
        .map(|i| settings_catalog_policy(&mut catalog_rng, i, epoch))
        .collect();
    collections.insert(Collection::SettingsCatalogPolicies, catalog);

    let subscriptions: Vec<SimSubscription> = (0..config.subscriptions.max(1))
        .map(|i| SimSubscription {
            id: guid(rng),
            name: (["Production", "Development", "Shared Services", "Sandbox"][i % 4]).to_owned(),
        })
        .collect();
    let mut arm_resources = BTreeMap::new();
    for i in 0..config.arm_resources {
        let resource = arm_resource(rng, i, &tenant_id, &subscriptions);
        arm_resources.insert(resource["id"].as_str().unwrap().to_lowercase(), resource);
    }

    SimTenant {
        authentication_methods_policy: authentication_methods_policy(epoch),
        signins: SignInStream {
            seed: rng.gen(),
            start: epoch - Duration::hours(config.signin_backfill_hours as i64),
            per_minute: config.signins_per_minute,
        },
        tenant_id,
        name,
        domain,
        client_id,
        client_secret,
        users,
        collections,
        subscriptions,
        arm_resources,
        directory_audits: Vec::new(),
        activity_log: Vec::new(),
        resource_changes: Vec::new(),
        tokens_valid_after: None,
        premium: index < config.tenants.saturating_sub(config.free_tenants),
    }
}

pub fn ca_policy(
    rng: &mut impl Rng,
    i: usize,
    epoch: DateTime<Utc>,
    users: &[SimUser],
    locations: &[String],
) -> Value {
    let names = [
        "Require MFA for admins",
        "Block legacy authentication",
        "Require compliant device",
        "Require MFA for Azure management",
        "Block access from untrusted countries",
        "Sign-in risk policy",
        "Require app protection",
    ];
    let created = epoch - Duration::days(rng.gen_range(30..800));
    let state = [
        "enabled",
        "enabled",
        "disabled",
        "enabledForReportingButNotEnforced",
    ][rng.gen_range(0..4)];
    let excluded: Vec<&str> = users
        .choose_multiple(rng, 2)
        .map(|u| u.id.as_str())
        .collect();
    let include_locations = ["All"];
    let exclude_locations: Vec<&str> = locations.iter().take(2).map(String::as_str).collect();
    json!({
        "id": guid(rng),
        "templateId": null,
        "displayName": format!("CA{:03} - {}", i + 1, names[i % names.len()]),
        "createdDateTime": timestamp(created),
        "modifiedDateTime": if i.is_multiple_of(5) { Value::Null } else { json!(timestamp(created + Duration::days(rng.gen_range(1..30)))) },
        "state": state,
        "sessionControls": if i.is_multiple_of(3) { json!({"signInFrequency": {"value": 12, "type": "hours", "authenticationType": "primaryAndSecondaryAuthentication", "frequencyInterval": "timeBased", "isEnabled": true}, "persistentBrowser": null, "cloudAppSecurity": null, "applicationEnforcedRestrictions": null, "disableResilienceDefaults": null}) } else { Value::Null },
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": if i % 6 == 5 { json!(["high", "medium"]) } else { json!([]) },
            "clientAppTypes": if i % 7 == 1 { json!(["exchangeActiveSync", "other"]) } else { json!(["all"]) },
            "servicePrincipalRiskLevels": [],
            "platforms": null,
            "devices": null,
            "locations": {"includeLocations": include_locations, "excludeLocations": exclude_locations},
            "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": [], "includeAuthenticationContextClassReferences": []},
            "users": {"includeUsers": ["All"], "excludeUsers": excluded, "includeGroups": [], "excludeGroups": [], "includeRoles": [], "excludeRoles": [], "includeGuestsOrExternalUsers": null, "excludeGuestsOrExternalUsers": null}
        },
        "grantControls": {"operator": "OR", "builtInControls": if i % 7 == 1 { json!(["block"]) } else { json!(["mfa"]) }, "customAuthenticationFactors": [], "termsOfUse": [], "authenticationStrength": null}
    })
}

pub fn intune_policy(rng: &mut impl Rng, i: usize, epoch: DateTime<Utc>) -> (String, Value) {
    let id = guid(rng);
    let created = epoch - Duration::days(rng.gen_range(10..600));
    let modified = created + Duration::hours(rng.gen_range(1..2000));
    let modified = modified.min(epoch);
    let version = rng.gen_range(1..12);
    let policy = match i % 6 {
        0 => {
            json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "id": id, "displayName": format!("Windows - Device restrictions {i}"), "description": "", "createdDateTime": timestamp(created), "lastModifiedDateTime": timestamp(modified), "version": version,
            "passwordRequired": true, "passwordMinimumLength": 8 + (i % 6), "passwordBlockSimple": true, "defenderRequireRealTimeMonitoring": true, "defenderScanType": "full", "cameraBlocked": i.is_multiple_of(4), "bluetoothBlocked": false, "storageBlockRemovableStorage": i.is_multiple_of(5)})
        }
        1 => {
            json!({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "id": id, "displayName": format!("iOS - General {i}"), "description": "", "createdDateTime": timestamp(created), "lastModifiedDateTime": timestamp(modified), "version": version,
            "passcodeRequired": true, "passcodeMinimumLength": 6, "passcodeBlockSimple": true, "cameraBlocked": false, "iCloudBlockBackup": i.is_multiple_of(2)})
        }
        2 => {
            json!({"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "id": id, "displayName": format!("Windows compliance {i}"), "description": "", "createdDateTime": timestamp(created), "lastModifiedDateTime": timestamp(modified), "version": version,
            "passwordRequired": true, "passwordMinimumLength": 8, "bitLockerEnabled": true, "secureBootEnabled": true, "osMinimumVersion": "10.0.19045", "defenderEnabled": true})
        }
        3 => {
            json!({"@odata.type": "#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration", "id": id, "displayName": format!("Android work profile {i}"), "description": "", "createdDateTime": timestamp(created), "lastModifiedDateTime": timestamp(modified), "version": version,
            "passwordMinimumLength": 6, "workProfileBlockScreenCapture": true, "workProfileDataSharingType": "preventAny"})
        }
        4 => {
            json!({"@odata.type": "#microsoft.graph.macOSGeneralDeviceConfiguration", "id": id, "displayName": format!("macOS - General {i}"), "description": "", "createdDateTime": timestamp(created), "lastModifiedDateTime": timestamp(modified), "version": version,
            "passwordRequired": true, "passwordMinimumLength": 10, "passwordBlockSimple": true})
        }
        _ => {
            json!({"@odata.type": "#microsoft.graph.iosCompliancePolicy", "id": id, "displayName": format!("iOS compliance {i}"), "description": "", "createdDateTime": timestamp(created), "lastModifiedDateTime": timestamp(modified), "version": version,
            "passcodeRequired": true, "passcodeMinimumLength": 6, "securityBlockJailbrokenDevices": true, "osMinimumVersion": "17.0"})
        }
    };
    (id, policy)
}

/// The settings of the settings-catalog policies the simulator generates: (setting definition,
/// choice value prefix).
const CATALOG_SETTINGS: [&str; 4] = [
    "device_vendor_msft_policy_config_defender_allowrealtimemonitoring",
    "device_vendor_msft_policy_config_defender_allowcloudprotection",
    "device_vendor_msft_policy_config_browser_allowpasswordmanager",
    "device_vendor_msft_policy_config_experience_allowcortana",
];

/// One choice setting of a settings-catalog policy, as
/// `GET /beta/deviceManagement/configurationPolicies/{id}/settings` lists it.
pub fn catalog_setting(index: usize, definition: &str, on: bool) -> Value {
    json!({
        "id": index.to_string(),
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": definition,
            "settingInstanceTemplateReference": null,
            "choiceSettingValue": {
                "settingValueTemplateReference": null,
                "value": format!("{definition}_{}", u8::from(on)),
                "children": []
            }
        }
    })
}

/// An Intune settings-catalog policy (Graph beta `deviceManagementConfigurationPolicy`). Its
/// settings are kept under `settings`, which the simulator serves only through the policy's
/// `settings` navigation (lists leave it out, as Graph does without `$expand`).
pub fn settings_catalog_policy(
    rng: &mut impl Rng,
    i: usize,
    epoch: DateTime<Utc>,
) -> (String, Value) {
    let id = guid(rng);
    let created = epoch - Duration::days(rng.gen_range(10..400));
    let modified = (created + Duration::hours(rng.gen_range(1..2000))).min(epoch);
    let count = 1 + i % CATALOG_SETTINGS.len();
    let settings: Vec<Value> = CATALOG_SETTINGS[..count]
        .iter()
        .enumerate()
        .map(|(n, definition)| catalog_setting(n, definition, rng.gen_bool(0.5)))
        .collect();
    let policy = json!({
        "id": id,
        "name": format!("Settings catalog - Windows baseline {i}"),
        "description": "",
        "platforms": "windows10",
        "technologies": "mdm",
        "createdDateTime": timestamp(created),
        "lastModifiedDateTime": timestamp(modified),
        "settingCount": count,
        "creationSource": null,
        "roleScopeTagIds": ["0"],
        "isAssigned": false,
        "templateReference": {"templateId": "", "templateFamily": "none", "templateDisplayName": null, "templateDisplayVersion": null},
        "settings": settings
    });
    (id, policy)
}

pub fn arm_resource(
    rng: &mut impl Rng,
    i: usize,
    tenant_id: &str,
    subscriptions: &[SimSubscription],
) -> Value {
    let subscription = &subscriptions[i % subscriptions.len()];
    let group = format!(
        "rg-{}-{:02}",
        (["app", "data", "net", "shared", "ops"][i % 5]),
        i % 17
    );
    let location = LOCATIONS[rng.gen_range(0..LOCATIONS.len())];
    let (provider_type, name, kind, sku, properties) = match i % 6 {
        0 => (
            "Microsoft.Storage/storageAccounts",
            format!("st{:010x}", rng.gen::<u64>() & 0xff_ffff_ffff),
            json!("StorageV2"),
            json!({"name": "Standard_LRS", "tier": "Standard"}),
            json!({"provisioningState": "Succeeded", "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": i.is_multiple_of(9), "supportsHttpsTrafficOnly": true, "encryption": {"keySource": "Microsoft.Storage", "services": {"blob": {"enabled": true}}}, "networkAcls": {"defaultAction": if i.is_multiple_of(4) { "Allow" } else { "Deny" }, "bypass": "AzureServices"}}),
        ),
        1 => (
            "Microsoft.Network/networkSecurityGroups",
            format!("nsg-{i}"),
            Value::Null,
            Value::Null,
            json!({"provisioningState": "Succeeded", "securityRules": [{"name": "allow-https", "properties": {"protocol": "Tcp", "access": "Allow", "direction": "Inbound", "priority": 100, "destinationPortRange": "443", "sourceAddressPrefix": "*"}}]}),
        ),
        2 => (
            "Microsoft.KeyVault/vaults",
            format!("kv-{i}"),
            Value::Null,
            Value::Null,
            json!({"provisioningState": "Succeeded", "tenantId": tenant_id, "enableSoftDelete": true, "softDeleteRetentionInDays": 90, "enablePurgeProtection": i.is_multiple_of(2), "enableRbacAuthorization": true, "publicNetworkAccess": "Disabled", "sku": {"family": "A", "name": "standard"}}),
        ),
        3 => (
            "Microsoft.Compute/virtualMachines",
            format!("vm-{i}"),
            Value::Null,
            Value::Null,
            json!({"provisioningState": "Succeeded", "vmId": guid(rng), "hardwareProfile": {"vmSize": (["Standard_B2s", "Standard_D2s_v5", "Standard_D4s_v5"][i % 3])}, "osProfile": {"computerName": format!("vm-{i}"), "adminUsername": "azureuser"}, "storageProfile": {"osDisk": {"osType": "Linux", "diskSizeGB": 64}}}),
        ),
        4 => (
            "Microsoft.Web/sites",
            format!("app-{i}"),
            json!("app,linux"),
            Value::Null,
            json!({"provisioningState": "Succeeded", "state": "Running", "httpsOnly": !i.is_multiple_of(3), "siteConfig": {"minTlsVersion": "1.2", "ftpsState": "Disabled"}, "defaultHostName": format!("app-{i}.azurewebsites.net")}),
        ),
        _ => (
            "Microsoft.Sql/servers",
            format!("sql-{i}"),
            json!("v12.0"),
            Value::Null,
            json!({"provisioningState": "Succeeded", "version": "12.0", "minimalTlsVersion": "1.2", "publicNetworkAccess": if i.is_multiple_of(2) { "Enabled" } else { "Disabled" }, "administratorLogin": "sqladmin"}),
        ),
    };
    let id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{}/{}",
        subscription.id, group, provider_type, name
    );
    json!({
        "id": id, "name": name, "type": provider_type.to_lowercase(), "tenantId": tenant_id, "kind": kind,
        "location": location, "resourceGroup": group, "subscriptionId": subscription.id, "managedBy": "",
        "sku": sku, "plan": null, "properties": properties,
        "tags": {"environment": (["prod", "dev", "test"][i % 3]), "costCenter": format!("cc-{}", 100 + i % 8)},
        "identity": null, "zones": null, "extendedLocation": null
    })
}

fn authentication_methods_policy(epoch: DateTime<Utc>) -> Value {
    json!({
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "description": "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings",
        "lastModifiedDateTime": timestamp(epoch - Duration::days(12)),
        "policyVersion": "1.5",
        "policyMigrationState": "migrationComplete",
        "reconfirmationInDays": null,
        "registrationEnforcement": {"authenticationMethodsRegistrationCampaign": {"snoozeDurationInDays": 1, "enforceRegistrationAfterAllowedSnoozes": true, "state": "default", "excludeTargets": [], "includeTargets": [{"id": "all_users", "targetType": "group", "targetedAuthenticationMethod": "microsoftAuthenticator"}]}},
        "authenticationMethodConfigurations": [
            {"@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration", "id": "Fido2", "state": "enabled", "isSelfServiceRegistrationAllowed": true, "isAttestationEnforced": true, "excludeTargets": []},
            {"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration", "id": "MicrosoftAuthenticator", "state": "enabled", "isSoftwareOathEnabled": false, "excludeTargets": []},
            {"@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration", "id": "Sms", "state": "disabled", "excludeTargets": []},
            {"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration", "id": "TemporaryAccessPass", "state": "enabled", "defaultLifetimeInMinutes": 60, "isUsableOnce": true, "excludeTargets": []}
        ]
    })
}

/// Sign-in events of a tenant, generated on demand from their index: event `i` happens at
/// `start + i * interval`; about one in eight arrives late (visible up to ten minutes after it
/// happened), as Entra's do. About one in fifty is a repeat of the sign-in just before it
/// (retries, several conditional access policies): the same `id`, user and app, its own
/// `createdDateTime`, visible no earlier than the original. Clients must dedupe by `id`.
#[derive(Debug, Clone)]
pub struct SignInStream {
    pub seed: u64,
    pub start: DateTime<Utc>,
    pub per_minute: u32,
}

/// How late an event may become visible, at most.
pub const MAX_SIGNIN_DELAY_SECONDS: i64 = 600;

impl SignInStream {
    fn interval_ms(&self) -> i64 {
        (60_000 / self.per_minute.max(1) as i64).max(1)
    }

    pub fn created_at(&self, index: u64) -> DateTime<Utc> {
        self.start + Duration::milliseconds(index as i64 * self.interval_ms())
    }

    /// The highest index created at or before `at`, if any.
    pub fn last_index_at(&self, at: DateTime<Utc>) -> Option<u64> {
        let elapsed = (at - self.start).num_milliseconds();
        (elapsed >= 0).then(|| (elapsed / self.interval_ms()) as u64)
    }

    /// The lowest index created at or after `at`.
    pub fn first_index_from(&self, at: DateTime<Utc>) -> u64 {
        let elapsed = (at - self.start).num_milliseconds();
        if elapsed <= 0 {
            0
        } else {
            ((elapsed + self.interval_ms() - 1) / self.interval_ms()) as u64
        }
    }

    fn rng_for(&self, index: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed ^ index.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }

    /// Whether the event is drawn as a repeat candidate: 4 in 175, so that with the conditions
    /// of `is_repeat` about one event in 50 is a repeat. A hash of its own, so that the draws
    /// of every event stay what they were.
    fn repeat_candidate(&self, index: u64) -> bool {
        let mut x = (self.seed ^ 0x6a09_e667_f3bc_c908)
            .wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // splitmix64
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        x % 175 < 4
    }

    /// Whether the event arrives late (up to ten minutes after it happened).
    fn is_late(&self, index: u64) -> bool {
        self.rng_for(index).gen_ratio(1, 8)
    }

    /// Whether event `index` repeats event `index - 1` (same `id`, user and app). A repeat
    /// never follows a repeat or a late arrival, so that the original is visible within
    /// seconds and the pair shows up together.
    pub fn is_repeat(&self, index: u64) -> bool {
        index > 0
            && self.repeat_candidate(index)
            && !self.repeat_candidate(index - 1)
            && !self.is_late(index - 1)
    }

    /// When an event that is not a repeat becomes visible in the API.
    fn own_visible_at(&self, index: u64) -> DateTime<Utc> {
        let mut rng = self.rng_for(index);
        let delay = if rng.gen_ratio(1, 8) {
            rng.gen_range(60..=MAX_SIGNIN_DELAY_SECONDS)
        } else {
            rng.gen_range(0..30)
        };
        self.created_at(index) + Duration::seconds(delay)
    }

    /// When the event becomes visible in the API: a repeat as soon as it happened and its
    /// original is visible.
    pub fn visible_at(&self, index: u64) -> DateTime<Utc> {
        if self.is_repeat(index) {
            self.own_visible_at(index - 1).max(self.created_at(index))
        } else {
            self.own_visible_at(index)
        }
    }

    /// The sign-in event with this index, as Graph returns it.
    pub fn event(&self, index: u64, users: &[SimUser]) -> Value {
        if self.is_repeat(index) {
            let mut event = self.own_event(index - 1, users);
            event["createdDateTime"] = Value::String(timestamp_ms(self.created_at(index)));
            return event;
        }
        self.own_event(index, users)
    }

    fn own_event(&self, index: u64, users: &[SimUser]) -> Value {
        let mut rng = self.rng_for(index);
        let _delay_draw: (bool, i64) = (rng.gen_ratio(1, 8), rng.gen_range(0..30));
        let user = &users[rng.gen_range(0..users.len())];
        let apps = [
            ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"),
            (
                "Office 365 Exchange Online",
                "00000002-0000-0ff1-ce00-000000000000",
            ),
            ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"),
            (
                "Microsoft Graph Explorer",
                "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
            ),
            ("SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"),
        ];
        let (app_name, app_id) = apps[rng.gen_range(0..apps.len())];
        let failures = [(50126, "Error validating credentials due to invalid username or password."), (50074, "Strong Authentication is required."), (53003, "Access has been blocked by Conditional Access policies."), (50053, "The account is locked, you've tried to sign in too many times with an incorrect user ID or password."), (50076, "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication.")];
        let failed = rng.gen_ratio(1, 6);
        let (code, reason) = if failed {
            failures[rng.gen_range(0..failures.len())]
        } else {
            (0, "")
        };
        let country = COUNTRIES[rng.gen_range(0..COUNTRIES.len())];
        let ip = format!(
            "{}.{}.{}.{}",
            [20, 40, 52, 81, 104][rng.gen_range(0..5)],
            rng.gen_range(0..255),
            rng.gen_range(0..255),
            rng.gen_range(1..255)
        );
        let ca_status = if code == 53003 {
            "failure"
        } else if rng.gen_ratio(1, 3) {
            "notApplied"
        } else {
            "success"
        };
        json!({
            "id": format!("{}", guid(&mut rng)),
            "createdDateTime": timestamp_ms(self.created_at(index)),
            "userDisplayName": user.display_name,
            "userPrincipalName": user.upn,
            "userId": user.id,
            "appId": app_id,
            "appDisplayName": app_name,
            "ipAddress": ip,
            "clientAppUsed": (["Browser", "Mobile Apps and Desktop clients"][rng.gen_range(0..2)]),
            "correlationId": guid(&mut rng),
            "conditionalAccessStatus": ca_status,
            "isInteractive": true,
            "riskDetail": "none",
            "riskLevelAggregated": "none",
            "riskLevelDuringSignIn": "none",
            "riskState": "none",
            "riskEventTypes_v2": [],
            "resourceDisplayName": app_name,
            "resourceId": app_id,
            "status": {"errorCode": code, "failureReason": if failed { reason } else { "Other." }, "additionalDetails": null},
            "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": (["Windows10", "MacOs", "Ios", "Android"][rng.gen_range(0..4)]), "browser": (["Edge 120.0.0", "Chrome 121.0.0", "Safari 17.2"][rng.gen_range(0..3)]), "isCompliant": rng.gen_bool(0.7), "isManaged": rng.gen_bool(0.7), "trustType": ""},
            "location": {"city": "", "state": "", "countryOrRegion": country, "geoCoordinates": {"altitude": null, "latitude": null, "longitude": null}},
            "appliedConditionalAccessPolicies": []
        })
    }
}

pub fn timestamp_ms(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
