//! The drift script: creates, changes and deletes resources the way admins do, writing the
//! audit records that go with each change, and touches volatile fields the way Azure does on
//! its own (no audit record, no real change).

use chrono::{DateTime, Duration, Utc};
use rand::seq::IteratorRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::world::{
    arm_resource, ca_policy, guid, intune_policy, timestamp, AuditRecord, ChangeRecord, Collection,
    SimTenant, World,
};

/// What to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
    /// Only volatile fields (`modifiedDateTime`, `version`, `etag`…) move: not a real change.
    Volatile,
}

/// Where a change lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "collection")]
pub enum Target {
    Graph(Collection),
    /// The tenant's single authentication methods policy (update and volatile only).
    AuthenticationMethodsPolicy,
    Arm,
}

/// A change asked for through the control API or made by the timer. Absent fields are chosen
/// at random (from the world's own generator, so a seeded run repeats).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    pub tenant_id: Option<String>,
    pub target: Option<Target>,
    pub change: Option<ChangeKind>,
    pub resource_id: Option<String>,
    /// The UPN (or, with `actor_is_app`, the application name) recorded as the author.
    pub actor: Option<String>,
    #[serde(default)]
    pub actor_is_app: bool,
}

/// Who made a change.
#[derive(Debug, Clone)]
enum Actor {
    User { id: String, upn: String },
    App { id: String, name: String },
}

impl Actor {
    fn name(&self) -> &str {
        match self {
            Actor::User { upn, .. } => upn,
            Actor::App { name, .. } => name,
        }
    }

    fn initiated_by(&self) -> Value {
        match self {
            Actor::User { id, upn } => {
                json!({"app": null, "user": {"id": id, "displayName": null, "userPrincipalName": upn, "ipAddress": "203.0.113.10", "userType": "Member", "homeTenantId": null, "homeTenantName": null}})
            }
            Actor::App { id, name } => {
                json!({"user": null, "app": {"appId": id, "displayName": name, "servicePrincipalId": id, "servicePrincipalName": name}})
            }
        }
    }
}

fn pick_actor(tenant: &SimTenant, request: &ChangeRequest, rng: &mut impl Rng) -> Actor {
    if let Some(name) = &request.actor {
        if request.actor_is_app {
            return Actor::App {
                id: guid(rng),
                name: name.clone(),
            };
        }
        let id = tenant
            .users
            .iter()
            .find(|u| u.upn.eq_ignore_ascii_case(name))
            .map(|u| u.id.clone())
            .unwrap_or_else(|| guid(rng));
        return Actor::User {
            id,
            upn: name.clone(),
        };
    }
    if rng.gen_ratio(1, 5) {
        let name = [
            "Terraform Automation",
            "Intune Graph Sync",
            "Azure DevOps Pipeline",
        ][rng.gen_range(0..3)];
        Actor::App {
            id: guid(rng),
            name: name.to_owned(),
        }
    } else {
        let user = &tenant.users[rng.gen_range(0..tenant.users.len().min(10))];
        Actor::User {
            id: user.id.clone(),
            upn: user.upn.clone(),
        }
    }
}

/// Applies one change and returns what was done; `Ok(None)` for a volatile touch.
pub fn apply(
    world: &mut World,
    request: &ChangeRequest,
    now: DateTime<Utc>,
) -> Result<Option<ChangeRecord>, String> {
    let tenant_index = match &request.tenant_id {
        Some(id) => world
            .tenants
            .iter()
            .position(|t| t.tenant_id.eq_ignore_ascii_case(id))
            .ok_or_else(|| format!("no simulated tenant {id}"))?,
        None => {
            let count = world.tenants.len();
            world.rng().gen_range(0..count)
        }
    };
    let delay = Duration::seconds(world.config.audit_delay_seconds as i64);
    let mut rng = rand_chacha::ChaCha8Rng::from_rng(world.rng()).map_err(|e| e.to_string())?;
    let target = request.target.unwrap_or_else(|| {
        if rng.gen_ratio(1, 3) {
            Target::Arm
        } else if rng.gen_ratio(1, 20) {
            Target::AuthenticationMethodsPolicy
        } else {
            Target::Graph(
                [
                    Collection::ConditionalAccessPolicies,
                    Collection::NamedLocations,
                    Collection::DeviceConfigurations,
                    Collection::CompliancePolicies,
                    Collection::Applications,
                    Collection::ServicePrincipals,
                ][rng.gen_range(0..6)],
            )
        }
    });
    let change = request
        .change
        .unwrap_or_else(|| match rng.gen_range(0..10) {
            0 => ChangeKind::Create,
            1 => ChangeKind::Delete,
            2 | 3 => ChangeKind::Volatile,
            _ => ChangeKind::Update,
        });
    let tenant = &mut world.tenants[tenant_index];
    let actor = pick_actor(tenant, request, &mut rng);
    let record = match target {
        Target::Graph(collection) => graph_change(
            tenant,
            collection,
            change,
            request.resource_id.as_deref(),
            &actor,
            now,
            delay,
            &mut rng,
        )?,
        Target::AuthenticationMethodsPolicy => {
            authentication_methods_change(tenant, change, &actor, now, delay, &mut rng)?
        }
        Target::Arm => arm_change(
            tenant,
            change,
            request.resource_id.as_deref(),
            &actor,
            now,
            delay,
            &mut rng,
        )?,
    };
    if let Some(record) = &record {
        world.ground_truth.push(record.clone());
    }
    Ok(record)
}

use rand::SeedableRng;

fn choose_id(
    items: &std::collections::BTreeMap<String, Value>,
    wanted: Option<&str>,
    rng: &mut impl Rng,
) -> Result<String, String> {
    match wanted {
        Some(id) => items
            .keys()
            .find(|k| k.eq_ignore_ascii_case(id))
            .cloned()
            .ok_or_else(|| format!("no resource {id}")),
        None => items
            .keys()
            .choose(rng)
            .cloned()
            .ok_or_else(|| "the collection is empty".to_owned()),
    }
}

/// The volatile fields of a Graph entity move as they do on every save.
fn touch_volatile(entity: &mut Value, now: DateTime<Utc>) {
    let object = entity.as_object_mut().expect("entities are objects");
    for field in ["modifiedDateTime", "lastModifiedDateTime"] {
        if object.contains_key(field) {
            object.insert(field.into(), json!(timestamp(now)));
        }
    }
    if let Some(version) = object.get("version").and_then(Value::as_i64) {
        object.insert("version".into(), json!(version + 1));
    }
}

/// A meaningful edit of an entity: returns the top-level properties that changed.
fn edit(collection: Collection, entity: &mut Value, rng: &mut impl Rng) -> Vec<String> {
    let object = entity.as_object_mut().expect("entities are objects");
    match collection {
        Collection::ConditionalAccessPolicies => {
            if rng.gen_bool(0.5) {
                let state = object["state"].as_str().unwrap_or("enabled");
                let next = if state == "enabled" {
                    "disabled"
                } else {
                    "enabled"
                };
                object.insert("state".into(), json!(next));
                vec!["state".into()]
            } else {
                let controls = &mut object["grantControls"]["builtInControls"];
                let next = if controls
                    .as_array()
                    .is_some_and(|c| c.iter().any(|v| v == "compliantDevice"))
                {
                    json!(["mfa"])
                } else {
                    json!(["mfa", "compliantDevice"])
                };
                *controls = next;
                vec!["grantControls".into()]
            }
        }
        Collection::NamedLocations => {
            if let Some(trusted) = object.get("isTrusted").and_then(Value::as_bool) {
                object.insert("isTrusted".into(), json!(!trusted));
                vec!["isTrusted".into()]
            } else {
                object.insert(
                    "includeUnknownCountriesAndRegions".into(),
                    json!(rng.gen_bool(0.5)),
                );
                object.insert(
                    "countriesAndRegions".into(),
                    json!(["US", "GB", (["DE", "FR", "SE"][rng.gen_range(0..3)])]),
                );
                vec![
                    "countriesAndRegions".into(),
                    "includeUnknownCountriesAndRegions".into(),
                ]
            }
        }
        Collection::RoleAssignments => {
            object.insert(
                "directoryScopeId".into(),
                json!(format!("/administrativeUnits/{}", guid(rng))),
            );
            vec!["directoryScopeId".into()]
        }
        Collection::Applications => {
            object.insert(
                "signInAudience".into(),
                json!(if object["signInAudience"] == "AzureADMyOrg" {
                    "AzureADMultipleOrgs"
                } else {
                    "AzureADMyOrg"
                }),
            );
            vec!["signInAudience".into()]
        }
        Collection::ServicePrincipals => {
            let required = object["appRoleAssignmentRequired"]
                .as_bool()
                .unwrap_or(false);
            object.insert("appRoleAssignmentRequired".into(), json!(!required));
            vec!["appRoleAssignmentRequired".into()]
        }
        Collection::SettingsCatalogPolicies => {
            // Flip one choice setting (`…_0` ↔ `…_1`).
            let settings = object
                .get_mut("settings")
                .and_then(Value::as_array_mut)
                .filter(|s| !s.is_empty());
            if let Some(settings) = settings {
                let n = rng.gen_range(0..settings.len());
                let value = &mut settings[n]["settingInstance"]["choiceSettingValue"]["value"];
                if let Some(text) = value.as_str() {
                    let flipped = match text.strip_suffix("_1") {
                        Some(stem) => format!("{stem}_0"),
                        None => format!("{}_1", text.trim_end_matches("_0")),
                    };
                    *value = json!(flipped);
                }
                vec!["settings".into()]
            } else {
                object.insert(
                    "description".into(),
                    json!(format!("Changed {}", rng.gen::<u16>())),
                );
                vec!["description".into()]
            }
        }
        Collection::DeviceConfigurations | Collection::CompliancePolicies => {
            let field = ["passwordMinimumLength", "passcodeMinimumLength"]
                .into_iter()
                .find(|f| object.contains_key(*f));
            match field {
                Some(field) => {
                    let current = object[field].as_i64().unwrap_or(6);
                    object.insert(
                        field.into(),
                        json!(if current >= 14 { 6 } else { current + 1 }),
                    );
                    vec![field.into()]
                }
                None => {
                    object.insert(
                        "description".into(),
                        json!(format!("Changed {}", rng.gen::<u16>())),
                    );
                    vec!["description".into()]
                }
            }
        }
    }
}

fn entity_type(collection: Collection, entity: &Value) -> String {
    entity["@odata.type"]
        .as_str()
        .map(|t| t.trim_start_matches('#').to_owned())
        .unwrap_or_else(|| collection.entity_type().to_owned())
}

#[allow(clippy::too_many_arguments)]
fn graph_change(
    tenant: &mut SimTenant,
    collection: Collection,
    change: ChangeKind,
    wanted: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
    delay: Duration,
    rng: &mut impl Rng,
) -> Result<Option<ChangeRecord>, String> {
    let users = tenant.users.clone();
    let locations: Vec<String> = tenant.collections[&Collection::NamedLocations]
        .keys()
        .cloned()
        .collect();
    let items = tenant
        .collections
        .get_mut(&collection)
        .expect("every collection exists");
    let (id, before, after, properties, verb) = match change {
        ChangeKind::Volatile => {
            let id = choose_id(items, wanted, rng)?;
            touch_volatile(items.get_mut(&id).unwrap(), now);
            return Ok(None);
        }
        ChangeKind::Update => {
            let id = choose_id(items, wanted, rng)?;
            let entity = items.get_mut(&id).unwrap();
            let before = entity.clone();
            let properties = edit(collection, entity, rng);
            touch_volatile(entity, now);
            (id, Some(before), Some(entity.clone()), properties, "Update")
        }
        ChangeKind::Delete => {
            let id = choose_id(items, wanted, rng)?;
            let before = items.remove(&id);
            (id, before, None, Vec::new(), "Delete")
        }
        ChangeKind::Create => {
            let n = items.len() + rng.gen_range(1000..9000);
            let mut entity = match collection {
                Collection::ConditionalAccessPolicies => ca_policy(rng, n, now, &users, &locations),
                Collection::SettingsCatalogPolicies => {
                    crate::world::settings_catalog_policy(rng, n, now).1
                }
                Collection::DeviceConfigurations | Collection::CompliancePolicies => {
                    intune_policy(
                        rng,
                        if collection == Collection::CompliancePolicies {
                            2
                        } else {
                            n * 6
                        },
                        now,
                    )
                    .1
                }
                _ => {
                    let template = items
                        .values()
                        .next()
                        .cloned()
                        .ok_or("the collection is empty")?;
                    let mut copy = template;
                    copy["displayName"] = json!(format!("New {} {n}", collection.audit_noun()));
                    copy
                }
            };
            let id = guid(rng);
            entity["id"] = json!(id);
            if entity.get("createdDateTime").is_some() {
                entity["createdDateTime"] = json!(timestamp(now));
            }
            touch_volatile(&mut entity, now);
            items.insert(id.clone(), entity.clone());
            (id, None, Some(entity), Vec::new(), "Add")
        }
    };
    let shown = after
        .as_ref()
        .or(before.as_ref())
        .cloned()
        .unwrap_or(Value::Null);
    let display_name = shown["displayName"].as_str().unwrap_or(&id).to_owned();
    let as_string = |v: &Option<Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let mut audit = |service: &str, activity: String, old: String, new: String| {
        let body = json!({
            "id": format!("Directory_{}", guid(rng)),
            "category": "Policy",
            "correlationId": guid(rng),
            "result": "success",
            "resultReason": "",
            "activityDisplayName": activity,
            "activityDateTime": crate::world::timestamp_ms(now),
            "loggedByService": service,
            "operationType": verb,
            "initiatedBy": actor.initiated_by(),
            "targetResources": [{
                "id": id, "displayName": display_name, "type": "Policy", "userPrincipalName": null, "groupId": null,
                "modifiedProperties": [{"displayName": if collection == Collection::ConditionalAccessPolicies { "ConditionalAccessPolicy".to_owned() } else { collection.entity_type().trim_start_matches("microsoft.graph.").to_owned() }, "oldValue": old, "newValue": new}]
            }],
            "additionalDetails": []
        });
        tenant.directory_audits.push(AuditRecord {
            visible_at: now + delay,
            at: now,
            body,
        });
    };
    audit(
        collection.audit_service(),
        format!("{verb} {}", collection.audit_noun()),
        as_string(&before),
        as_string(&after),
    );
    if collection == Collection::ConditionalAccessPolicies {
        // One conditional-access edit writes a second event, "… policy" from Core Directory.
        audit(
            "Core Directory",
            format!("{verb} policy"),
            String::new(),
            String::new(),
        );
    }
    Ok(Some(ChangeRecord {
        tenant_id: tenant.tenant_id.clone(),
        source: collection.source().to_owned(),
        resource_type: entity_type(collection, &shown),
        resource_id: id,
        change_type: match change {
            ChangeKind::Create => "created",
            ChangeKind::Delete => "deleted",
            _ => "updated",
        }
        .to_owned(),
        changed_by: actor.name().to_owned(),
        at: now,
        changed_properties: properties,
    }))
}

fn arm_change(
    tenant: &mut SimTenant,
    change: ChangeKind,
    wanted: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
    delay: Duration,
    rng: &mut impl Rng,
) -> Result<Option<ChangeRecord>, String> {
    let tenant_id = tenant.tenant_id.clone();
    let (key, before, after, changes) = match change {
        ChangeKind::Volatile => {
            // ARM's own background work: the platform re-provisions the resource. Its state ends
            // where it was, but Resource Graph's change history records a `System` change of
            // `properties.provisioningState` (which a drift tool must not report as drift).
            let key = choose_id(&tenant.arm_resources, wanted, rng)?;
            let resource = &tenant.arm_resources[&key];
            let resource_id = resource["id"].as_str().unwrap_or(&key).to_owned();
            let subscription = resource["subscriptionId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let group = resource["resourceGroup"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase();
            let resource_type = resource["type"].as_str().unwrap_or_default().to_owned();
            let change_id = guid(rng);
            let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            tenant.resource_changes.push(AuditRecord {
                visible_at: now + delay,
                at: now,
                body: json!({
                    "id": format!("{resource_id}/providers/Microsoft.Resources/changes/{change_id}"),
                    "name": change_id, "type": "microsoft.resources/changes", "tenantId": tenant_id,
                    "kind": "", "location": "", "resourceGroup": group, "subscriptionId": subscription,
                    "managedBy": "", "sku": null, "plan": null,
                    "properties": {
                        "targetResourceId": resource_id,
                        "targetResourceType": resource_type,
                        "changeType": "Update",
                        "changeAttributes": {
                            "changedBy": "Unspecified", "changedByType": "Other", "clientType": "Unspecified",
                            "operation": "Unspecified", "timestamp": stamp, "correlationId": guid(rng),
                            "changesCount": 1, "previousResourceSnapshotId": guid(rng), "newResourceSnapshotId": guid(rng)
                        },
                        "changes": {"properties.provisioningState": {"previousValue": "Updating", "newValue": "Succeeded", "changeCategory": "System", "propertyChangeType": "Update"}}
                    },
                    "tags": null, "identity": null, "zones": null, "extendedLocation": null
                }),
            });
            return Ok(None);
        }
        ChangeKind::Update => {
            let key = choose_id(&tenant.arm_resources, wanted, rng)?;
            let resource = tenant.arm_resources.get_mut(&key).unwrap();
            let before = resource.clone();
            let old_env = resource["tags"]["environment"].clone();
            let new_env = if old_env == "prod" { "dev" } else { "prod" };
            resource["tags"]["environment"] = json!(new_env);
            let changes = json!({"tags.environment": {"previousValue": old_env.as_str().unwrap_or("null"), "newValue": new_env, "changeCategory": "User", "propertyChangeType": "Update"}});
            (key, Some(before), Some(resource.clone()), changes)
        }
        ChangeKind::Delete => {
            let key = choose_id(&tenant.arm_resources, wanted, rng)?;
            let before = tenant.arm_resources.remove(&key);
            (key, before, None, json!({}))
        }
        ChangeKind::Create => {
            let n = tenant.arm_resources.len() + rng.gen_range(10_000..90_000);
            let resource = arm_resource(rng, n, &tenant_id, &tenant.subscriptions);
            let key = resource["id"].as_str().unwrap().to_lowercase();
            tenant.arm_resources.insert(key.clone(), resource.clone());
            (key, None, Some(resource), json!({}))
        }
    };
    let shown = after.clone().or(before.clone()).unwrap_or(Value::Null);
    let resource_id = shown["id"].as_str().unwrap_or(&key).to_owned();
    let provider_type = resource_id
        .split("/providers/")
        .nth(1)
        .map(|rest| {
            let parts: Vec<&str> = rest.split('/').collect();
            format!("{}/{}", parts[0], parts.get(1).unwrap_or(&""))
        })
        .unwrap_or_default();
    let operation = if change == ChangeKind::Delete {
        format!("{provider_type}/delete")
    } else {
        format!("{provider_type}/write")
    };
    let correlation = guid(rng);
    let subscription = shown["subscriptionId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let group = shown["resourceGroup"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    tenant.activity_log.push(AuditRecord {
        visible_at: now + delay,
        at: now,
        body: json!({
            "authorization": {"action": operation, "scope": resource_id},
            "caller": actor.name(),
            "channels": "Operation",
            "claims": {},
            "correlationId": correlation,
            "description": "",
            "eventDataId": guid(rng),
            "eventName": {"value": "EndRequest", "localizedValue": "End request"},
            "category": {"value": "Administrative", "localizedValue": "Administrative"},
            "eventTimestamp": stamp,
            "id": format!("{resource_id}/events/{}/ticks/{}", guid(rng), now.timestamp_micros() * 10),
            "level": "Informational",
            "operationId": guid(rng),
            "operationName": {"value": operation, "localizedValue": operation},
            "resourceGroupName": group,
            "resourceProviderName": {"value": provider_type.split('/').next().unwrap_or_default(), "localizedValue": provider_type.split('/').next().unwrap_or_default()},
            "resourceType": {"value": provider_type, "localizedValue": provider_type},
            "resourceId": resource_id,
            "status": {"value": "Succeeded", "localizedValue": "Succeeded"},
            "subStatus": {"value": "OK", "localizedValue": "OK (HTTP Status Code: 200)"},
            "submissionTimestamp": stamp,
            "subscriptionId": subscription,
            "tenantId": tenant_id
        }),
    });
    let change_id = guid(rng);
    tenant.resource_changes.push(AuditRecord {
        visible_at: now + delay,
        at: now,
        body: json!({
            "id": format!("{resource_id}/providers/Microsoft.Resources/changes/{change_id}"),
            "name": change_id,
            "type": "microsoft.resources/changes",
            "tenantId": tenant_id,
            "kind": "",
            "location": "",
            "resourceGroup": group.to_lowercase(),
            "subscriptionId": subscription,
            "managedBy": "",
            "sku": null,
            "plan": null,
            "properties": {
                "targetResourceId": resource_id,
                "targetResourceType": provider_type.to_lowercase(),
                "changeType": match change { ChangeKind::Create => "Create", ChangeKind::Delete => "Delete", _ => "Update" },
                "changeAttributes": {
                    "changedBy": actor.name(),
                    "changedByType": match actor { Actor::User { .. } => "User", Actor::App { .. } => "AppId" },
                    "clientType": "Azure Portal",
                    "operation": operation,
                    "timestamp": stamp,
                    "correlationId": correlation,
                    "changesCount": changes.as_object().map(|c| c.len()).unwrap_or(0),
                    "previousResourceSnapshotId": guid(rng),
                    "newResourceSnapshotId": guid(rng)
                },
                "changes": changes
            },
            "tags": null, "identity": null, "zones": null, "extendedLocation": null
        }),
    });
    Ok(Some(ChangeRecord {
        tenant_id,
        source: "arm".into(),
        resource_type: provider_type.to_lowercase(),
        resource_id,
        change_type: match change {
            ChangeKind::Create => "created",
            ChangeKind::Delete => "deleted",
            _ => "updated",
        }
        .into(),
        changed_by: actor.name().to_owned(),
        at: now,
        changed_properties: if change == ChangeKind::Update {
            vec!["tags".into()]
        } else {
            Vec::new()
        },
    }))
}

/// The authentication methods policy is one entity per tenant: it is updated (a method switched
/// on or off) or touched (its `lastModifiedDateTime` moves), never created or deleted.
fn authentication_methods_change(
    tenant: &mut SimTenant,
    change: ChangeKind,
    actor: &Actor,
    now: DateTime<Utc>,
    delay: Duration,
    rng: &mut impl Rng,
) -> Result<Option<ChangeRecord>, String> {
    let policy = &mut tenant.authentication_methods_policy;
    match change {
        ChangeKind::Create | ChangeKind::Delete => Err(
            "the authentication methods policy is a single entity: it can only be updated".into(),
        ),
        ChangeKind::Volatile => {
            policy["lastModifiedDateTime"] = json!(timestamp(now));
            Ok(None)
        }
        ChangeKind::Update => {
            let before = policy.clone();
            let methods = policy["authenticationMethodConfigurations"]
                .as_array_mut()
                .ok_or("malformed policy")?;
            let index = rng.gen_range(0..methods.len());
            let state = if methods[index]["state"] == "enabled" {
                "disabled"
            } else {
                "enabled"
            };
            methods[index]["state"] = json!(state);
            policy["lastModifiedDateTime"] = json!(timestamp(now));
            let after = policy.clone();
            tenant.directory_audits.push(AuditRecord {
                visible_at: now + delay,
                at: now,
                body: json!({
                    "id": format!("Directory_{}", guid(rng)),
                    "category": "Policy",
                    "correlationId": guid(rng),
                    "result": "success",
                    "resultReason": "",
                    "activityDisplayName": "Authentication Methods Policy Update",
                    "activityDateTime": crate::world::timestamp_ms(now),
                    "loggedByService": "Authentication Methods",
                    "operationType": "Update",
                    "initiatedBy": actor.initiated_by(),
                    "targetResources": [{
                        "id": "authenticationMethodsPolicy", "displayName": "Authentication Methods Policy", "type": "Policy",
                        "userPrincipalName": null, "groupId": null,
                        "modifiedProperties": [{"displayName": "AuthenticationMethodsPolicy", "oldValue": before.to_string(), "newValue": after.to_string()}]
                    }],
                    "additionalDetails": []
                }),
            });
            Ok(Some(ChangeRecord {
                tenant_id: tenant.tenant_id.clone(),
                source: "entra".into(),
                resource_id: "authenticationMethodsPolicy".into(),
                resource_type: "microsoft.graph.authenticationMethodsPolicy".into(),
                change_type: "updated".into(),
                changed_by: actor.name().to_owned(),
                at: now,
                changed_properties: vec!["authenticationMethodConfigurations".into()],
            }))
        }
    }
}
