//! Microsoft Graph v1.0 of the simulator, over HTTP: paging (also while entities come and go),
//! page caps, `$top` limits, sign-in windows and late arrivals, directory-audit filters, the
//! error shapes, and determinism.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration as StdDuration;

use actix_web::web::Data;
use azure_sim::world::{Collection, MAX_SIGNIN_DELAY_SECONDS};
use azure_sim::{SimOptions, SimState, WorldConfig};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use common::{ARM_SCOPE, GRAPH_SCOPE};
const METADATA: &str = "https://graph.microsoft.com/v1.0/$metadata#";

struct Sim {
    base: String,
    client: reqwest::Client,
    state: Data<SimState>,
    tenant_id: String,
    token: String,
    upns: Vec<String>,
}

fn small_world() -> WorldConfig {
    WorldConfig {
        seed: 7,
        tenants: 2,
        users_per_tenant: 12,
        ca_policies: 9,
        named_locations: 7,
        applications: 11,
        intune_policies: 40,
        subscriptions: 1,
        arm_resources: 3,
        signins_per_minute: 60,
        signin_backfill_hours: 3,
        epoch: None,
        audit_delay_seconds: 0,
        ..WorldConfig::default()
    }
}

async fn start(config: WorldConfig) -> Sim {
    let common::Launched {
        base,
        state,
        client,
    } = common::launch(config, SimOptions::default());
    let tenants = common::tenants(&client, &base).await;
    let tenant = &tenants[0];
    let tenant_id = tenant["tenant_id"].as_str().unwrap().to_owned();
    let upns = tenant["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_owned())
        .collect();
    let mut sim = Sim {
        base,
        client,
        state,
        tenant_id,
        token: String::new(),
        upns,
    };
    sim.token = sim.token_for(GRAPH_SCOPE).await;
    sim
}

impl Sim {
    async fn token_for(&self, scope: &str) -> String {
        let tenants = common::tenants(&self.client, &self.base).await;
        common::app_token(&self.client, &self.base, &tenants[0], scope).await
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}/v1.0/{path_and_query}", self.base)
    }

    /// GET a full URL with the Graph token.
    async fn get_url(&self, url: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.json().await.unwrap();
        (status, body)
    }

    async fn get(&self, path_and_query: &str) -> (StatusCode, Value) {
        self.get_url(&self.url(path_and_query)).await
    }

    async fn ok(&self, path_and_query: &str) -> Value {
        let (status, body) = self.get(path_and_query).await;
        assert_eq!(status, StatusCode::OK, "{path_and_query}: {body}");
        body
    }

    /// Every page from the first URL on, following nextLinks as given.
    async fn pages(&self, first: &str) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut url = Some(self.url(first));
        while let Some(next) = url {
            let (status, page) = self.get_url(&next).await;
            assert_eq!(status, StatusCode::OK, "{next}: {page}");
            url = page["@odata.nextLink"].as_str().map(str::to_owned);
            pages.push(page);
            assert!(pages.len() < 10_000, "paging does not end");
        }
        pages
    }

    async fn all(&self, first: &str) -> Vec<Value> {
        self.pages(first)
            .await
            .into_iter()
            .flat_map(|page| page["value"].as_array().unwrap().clone())
            .collect()
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/_sim/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    async fn change(&self, body: Value) -> Value {
        let mut body = body;
        body["tenant_id"] = json!(self.tenant_id);
        self.control("changes", body).await["change"].clone()
    }

    fn ids_in_world(&self, collection: Collection) -> BTreeSet<String> {
        let world = self.state.world.lock().unwrap();
        world.tenant(&self.tenant_id).unwrap().collections[&collection]
            .keys()
            .cloned()
            .collect()
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_unique(ids: &[String]) -> BTreeSet<String> {
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "an item came twice");
    set
}

fn assert_graph_error(status: StatusCode, body: &Value, want_status: StatusCode, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    let inner = &body["error"]["innerError"];
    assert!(inner["request-id"].is_string(), "{body}");
    let date = inner["date"].as_str().unwrap();
    assert!(!date.ends_with('Z') && !date.contains('.'), "{date}");
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// The instant the API shows for a time: cut to milliseconds.
fn shown(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap()
}

#[actix_web::test]
async fn every_collection_pages_to_each_item_exactly_once() {
    let sim = start(small_world()).await;
    // The v1.0 collections (settings-catalog policies are beta: see their own test).
    for collection in Collection::ALL.into_iter().filter(|c| !c.beta_only()) {
        let path = collection.path();
        let expected = sim.ids_in_world(collection);
        assert!(!expected.is_empty(), "{path} is empty");
        for top in [1, 4, 999] {
            let pages = sim.pages(&format!("{path}?$top={top}")).await;
            let mut seen = Vec::new();
            for (n, page) in pages.iter().enumerate() {
                assert_eq!(page["@odata.context"], format!("{METADATA}{path}"));
                let items = page["value"].as_array().unwrap();
                assert!(items.len() <= top, "{path}: page of {}", items.len());
                if let Some(link) = page["@odata.nextLink"].as_str() {
                    assert_eq!(items.len(), top, "{path}: short page before the last");
                    let prefix = format!("{}/v1.0/{path}?$top={top}&$skiptoken=", sim.base);
                    assert!(link.starts_with(&prefix), "{link}");
                } else {
                    assert_eq!(n, pages.len() - 1);
                }
                assert!(page.get("@odata.count").is_none());
                seen.extend(ids(items));
            }
            assert_eq!(assert_unique(&seen), expected, "{path} with $top={top}");
        }
        // The default page size (100) holds these small collections in one page.
        let page = sim.ok(path).await;
        assert!(page.get("@odata.nextLink").is_none());
        let items = page["value"].as_array().unwrap();
        assert_eq!(items.len(), expected.len());
        // Entities keep their own @odata.type (conditional access policies have none).
        for item in items {
            match collection {
                Collection::ConditionalAccessPolicies | Collection::RoleAssignments => {
                    assert!(item.get("@odata.type").is_none(), "{item}")
                }
                Collection::NamedLocations
                | Collection::DeviceConfigurations
                | Collection::CompliancePolicies => {
                    assert!(item["@odata.type"]
                        .as_str()
                        .unwrap()
                        .starts_with("#microsoft.graph."))
                }
                _ => {}
            }
        }
        // One entity by id: the same object, with the entity context.
        let first = &items[0];
        let id = first["id"].as_str().unwrap();
        let mut entity = sim.ok(&format!("{path}/{id}")).await;
        assert_eq!(
            entity["@odata.context"],
            format!("{METADATA}{path}/$entity")
        );
        entity.as_object_mut().unwrap().remove("@odata.context");
        assert_eq!(&entity, first);
    }
    // Paths are matched without regard to case, as Graph does.
    let page = sim.ok("Identity/ConditionalAccess/Policies?$top=2").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn each_tenant_sees_only_its_own_entities() {
    let sim = start(small_world()).await;
    let mine = assert_unique(&ids(&sim.all("applications?$top=5").await));
    let world = sim.state.world.lock().unwrap();
    let other = &world.tenants[1];
    assert_ne!(other.tenant_id, sim.tenant_id);
    assert!(other.collections[&Collection::Applications]
        .keys()
        .all(|id| !mine.contains(id)));
}

#[actix_web::test]
async fn paging_stays_exact_while_entities_come_and_go() {
    let sim = start(small_world()).await;
    let path = Collection::DeviceConfigurations.path();
    let target = json!({"kind": "graph", "collection": "device_configurations"});
    let initial = sim.ids_in_world(Collection::DeviceConfigurations);
    assert!(initial.len() > 20);
    let mut deleted = BTreeSet::new();
    let mut created = BTreeSet::new();
    let mut seen: Vec<String> = Vec::new();
    let mut url = Some(sim.url(&format!("{path}?$top=3")));
    let mut delete_seen = false;
    while let Some(next) = url {
        let (status, page) = sim.get_url(&next).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(ids(page["value"].as_array().unwrap()));
        url = page["@odata.nextLink"].as_str().map(str::to_owned);
        delete_seen = !delete_seen;
        // Between pages: a new entity, and a deletion, alternately of one already returned
        // and of one not returned yet.
        let record = sim
            .change(json!({"target": target, "change": "create"}))
            .await;
        created.insert(record["resource_id"].as_str().unwrap().to_owned());
        let seen_set: BTreeSet<&String> = seen.iter().collect();
        let victim = sim
            .ids_in_world(Collection::DeviceConfigurations)
            .into_iter()
            .filter(|id| initial.contains(id) && !deleted.contains(id))
            .find(|id| seen_set.contains(id) == delete_seen);
        if let Some(victim) = victim {
            sim.change(json!({"target": target, "change": "delete", "resource_id": victim}))
                .await;
            deleted.insert(victim);
        }
    }
    let seen = assert_unique(&seen);
    assert!(!deleted.is_empty() && !created.is_empty());
    for id in initial.difference(&deleted) {
        assert!(seen.contains(id), "{id} existed throughout and was missed");
    }
    for id in &seen {
        assert!(
            initial.contains(id) || created.contains(id),
            "{id} never existed"
        );
    }
}

#[actix_web::test]
async fn top_above_the_maximum_is_cut_down() {
    let sim = start(WorldConfig {
        intune_policies: 1600,
        ..small_world()
    })
    .await;
    let path = Collection::DeviceConfigurations.path();
    let total = sim.ids_in_world(Collection::DeviceConfigurations).len();
    assert!(total > 999, "{total}");
    let pages = sim.pages(&format!("{path}?$top=5000")).await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0]["value"].as_array().unwrap().len(), 999);
    assert!(pages[0]["@odata.nextLink"]
        .as_str()
        .unwrap()
        .contains("$top=999&"));
    assert_eq!(pages[1]["value"].as_array().unwrap().len(), total - 999);
    // No $top: the default page of 100.
    let page = sim.ok(path).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 100);

    // Sign-ins: default and maximum 1000.
    let page = sim.ok("auditLogs/signIns").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 1000);
    let page = sim.ok("auditLogs/signIns?$top=5000").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 1000);
    assert!(page["@odata.nextLink"]
        .as_str()
        .unwrap()
        .contains("$top=1000&"));
}

#[actix_web::test]
async fn a_page_cap_fault_caps_pages() {
    let sim = start(small_world()).await;
    let expected = sim.ids_in_world(Collection::Applications);
    let response = sim
        .client
        .post(format!("{}/_sim/faults", sim.base))
        .json(&json!({"endpoint": "/v1.0/applications", "fault": {"type": "page_cap", "max": 2}, "probability": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let pages = sim.pages("applications?$top=10").await;
    assert_eq!(pages.len(), expected.len().div_ceil(2));
    let mut seen = Vec::new();
    for page in &pages {
        let items = page["value"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(ids(items));
    }
    assert_eq!(assert_unique(&seen), expected);
    // Other endpoints are not capped.
    let page = sim.ok("servicePrincipals?$top=10").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 10);

    // Without the rule, $top is honoured again; a counted rule caps only that many pages.
    sim.client
        .delete(format!("{}/_sim/faults", sim.base))
        .send()
        .await
        .unwrap();
    let page = sim.ok("applications?$top=10").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 10);
    sim.control(
        "faults",
        json!({"endpoint": "/v1.0/auditLogs/signIns", "fault": {"type": "page_cap", "max": 7}, "count": 1}),
    )
    .await;
    let pages = sim.ok("auditLogs/signIns?$top=50").await;
    assert_eq!(pages["value"].as_array().unwrap().len(), 7);
    let next = pages["@odata.nextLink"].as_str().unwrap().to_owned();
    let (_, second) = sim.get_url(&next).await;
    assert_eq!(second["value"].as_array().unwrap().len(), 50);
}

#[actix_web::test]
async fn sign_in_windows_are_exact_newest_first_and_never_in_the_future() {
    let sim = start(small_world()).await;
    let (stream, users) = {
        let world = sim.state.world.lock().unwrap();
        let tenant = world.tenant(&sim.tenant_id).unwrap();
        (tenant.signins.clone(), tenant.users.clone())
    };
    let now = Utc::now();
    let from = DateTime::from_timestamp(now.timestamp() - 7200, 0).unwrap();
    let to = from + Duration::minutes(30);
    // What the window holds, computed from the stream itself: every index whose shown time is
    // inside, newest first.
    let last = stream.last_index_at(to + Duration::seconds(2)).unwrap();
    let expected: Vec<String> = (0..=last)
        .rev()
        .filter(|&i| {
            let t = shown(stream.created_at(i));
            t >= from && t <= to
        })
        .map(|i| stream.event(i, &users)["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        (1800..=1801).contains(&expected.len()),
        "{}",
        expected.len()
    );
    let filter = format!(
        "createdDateTime ge {} and createdDateTime le {}",
        rfc3339(from),
        rfc3339(to)
    );
    let pages = sim
        .pages(&format!("auditLogs/signIns?$top=700&$filter={filter}"))
        .await;
    assert_eq!(pages.len(), expected.len().div_ceil(700));
    let items: Vec<Value> = pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .collect();
    assert_eq!(ids(&items), expected);
    let times: Vec<DateTime<Utc>> = items
        .iter()
        .map(|i| parse_time(&i["createdDateTime"]))
        .collect();
    assert!(times.windows(2).all(|w| w[0] > w[1]), "not newest first");
    assert!(times.iter().all(|t| *t >= from && *t <= to));
    assert_eq!(
        pages[0]["@odata.context"],
        format!("{METADATA}auditLogs/signIns")
    );
    // Wire names the product reads.
    let first = &items[0];
    assert!(first["status"]["errorCode"].is_i64());
    assert!(first["location"]["countryOrRegion"].is_string());
    assert!(first["appliedConditionalAccessPolicies"].is_array());

    // Exclusive bounds and equality on exact event times.
    let edge_from = times[times.len() - 1];
    let edge_to = times[0];
    let exclusive = sim
        .all(&format!(
            "auditLogs/signIns?$filter=createdDateTime gt {} and createdDateTime lt {}",
            rfc3339(edge_from),
            rfc3339(edge_to)
        ))
        .await;
    assert_eq!(ids(&exclusive), expected[1..expected.len() - 1].to_vec());
    let one = sim
        .ok(&format!(
            "auditLogs/signIns?$filter=createdDateTime eq {}",
            rfc3339(times[5])
        ))
        .await;
    assert_eq!(
        ids(one["value"].as_array().unwrap()),
        vec![expected[5].clone()]
    );
    // $count on the first page only.
    let counted = sim
        .ok(&format!(
            "auditLogs/signIns?$top=100&$count=true&$filter={filter}"
        ))
        .await;
    assert_eq!(counted["@odata.count"], expected.len());
    let (_, second) = sim
        .get_url(counted["@odata.nextLink"].as_str().unwrap())
        .await;
    assert!(second.get("@odata.count").is_none());

    // Unfiltered: newest first, nothing created after the request, nothing not yet visible.
    let before = Utc::now();
    let page = sim.ok("auditLogs/signIns?$top=200").await;
    let after = Utc::now();
    let items = page["value"].as_array().unwrap();
    assert_eq!(items.len(), 200);
    let times: Vec<DateTime<Utc>> = items
        .iter()
        .map(|i| parse_time(&i["createdDateTime"]))
        .collect();
    assert!(times.windows(2).all(|w| w[0] > w[1]));
    assert!(times[0] <= after, "an event from the future");
    assert!(times[0] >= before - Duration::seconds(MAX_SIGNIN_DELAY_SECONDS + 60));
    let returned: BTreeSet<String> = ids(items).into_iter().collect();
    let newest = stream.last_index_at(after).unwrap();
    for i in (0..=newest).rev().take(400) {
        let id = stream.event(i, &users)["id"].as_str().unwrap().to_owned();
        if returned.contains(&id) {
            assert!(
                stream.visible_at(i) <= after,
                "event {i} returned before it is visible"
            );
        } else if stream.created_at(i) >= times[times.len() - 1] {
            assert!(stream.visible_at(i) > before, "visible event {i} left out");
        }
    }
}

#[actix_web::test]
async fn a_late_sign_in_appears_in_a_later_query() {
    let sim = start(WorldConfig {
        signins_per_minute: 600,
        signin_backfill_hours: 1,
        ..small_world()
    })
    .await;
    let (stream, users) = {
        let world = sim.state.world.lock().unwrap();
        let tenant = world.tenant(&sim.tenant_id).unwrap();
        (tenant.signins.clone(), tenant.users.clone())
    };
    // A late arrival: it happened over a minute ago and is still not visible, for a moment.
    let now = Utc::now();
    let newest = stream.last_index_at(now - Duration::seconds(60)).unwrap();
    let late = (newest.saturating_sub(6000)..=newest)
        .filter(|&i| stream.visible_at(i) > now + Duration::seconds(2))
        .min_by_key(|&i| stream.visible_at(i))
        .expect("some event is in flight");
    let visible_at = stream.visible_at(late);
    assert!(visible_at - now < Duration::seconds(30), "{visible_at}");
    let created = shown(stream.created_at(late));
    let window = format!(
        "auditLogs/signIns?$filter=createdDateTime ge {} and createdDateTime le {}",
        rfc3339(created - Duration::seconds(1)),
        rfc3339(created + Duration::seconds(1))
    );
    let id = stream.event(late, &users)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let early = ids(&sim.all(&window).await);
    assert!(
        Utc::now() < visible_at,
        "the query took too long to prove anything"
    );
    assert!(!early.contains(&id), "returned before it arrived");
    assert!(!early.is_empty(), "its neighbours are visible");
    let wait = (visible_at - Utc::now()).to_std().unwrap_or_default();
    actix_web::rt::time::sleep(wait + StdDuration::from_millis(200)).await;
    let later = ids(&sim.all(&window).await);
    assert!(later.contains(&id), "a late arrival never showed up");
    assert_eq!(later.len(), early.len() + 1);
}

#[actix_web::test]
async fn directory_audits_find_the_change_by_actor_and_time() {
    let sim = start(small_world()).await;
    let since = shown(Utc::now()) - Duration::seconds(1);
    let upn = sim.upns[0].clone();
    let ca = sim
        .change(json!({"target": {"kind": "graph", "collection": "conditional_access_policies"}, "change": "update", "actor": upn}))
        .await;
    let ca_id = ca["resource_id"].as_str().unwrap().to_owned();
    let intune = sim
        .change(json!({"target": {"kind": "graph", "collection": "device_configurations"}, "change": "update", "actor": "Terraform Automation", "actor_is_app": true}))
        .await;
    let intune_id = intune["resource_id"].as_str().unwrap().to_owned();

    let by_user = sim
        .all(&format!(
            "auditLogs/directoryAudits?$filter=initiatedBy/user/userPrincipalName eq '{upn}' and activityDateTime ge {}",
            rfc3339(since)
        ))
        .await;
    // A conditional-access edit writes two events by the same actor.
    assert_eq!(by_user.len(), 2, "{by_user:?}");
    let activities: BTreeSet<&str> = by_user
        .iter()
        .map(|a| a["activityDisplayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        activities,
        BTreeSet::from(["Update conditional access policy", "Update policy"])
    );
    for audit in &by_user {
        assert_eq!(audit["targetResources"][0]["id"], ca_id.as_str());
        assert_eq!(
            audit["initiatedBy"]["user"]["userPrincipalName"],
            upn.as_str()
        );
    }
    let by_target = sim
        .all(&format!(
            "auditLogs/directoryAudits?$filter=targetResources/any(t: t/id eq '{ca_id}')"
        ))
        .await;
    assert_eq!(ids(&by_target).len(), 2);
    let by_service = sim
        .all("auditLogs/directoryAudits?$filter=loggedByService eq 'Conditional Access' and activityDisplayName eq 'Update conditional access policy'")
        .await;
    assert_eq!(by_service.len(), 1);
    let by_app = sim
        .all("auditLogs/directoryAudits?$filter=initiatedBy/app/displayName eq 'Terraform Automation'")
        .await;
    assert_eq!(by_app.len(), 1);
    assert_eq!(by_app[0]["targetResources"][0]["id"], intune_id.as_str());
    assert_eq!(by_app[0]["loggedByService"], "Intune");
    let future = sim
        .all(&format!(
            "auditLogs/directoryAudits?$filter=activityDateTime gt {}",
            rfc3339(Utc::now() + Duration::minutes(5))
        ))
        .await;
    assert!(future.is_empty());

    // One audit by id.
    let id = by_app[0]["id"].as_str().unwrap();
    let one = sim.ok(&format!("auditLogs/directoryAudits/{id}")).await;
    assert_eq!(one["id"], id);
    let (status, body) = sim.get("auditLogs/directoryAudits/Directory_missing").await;
    assert_graph_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
    );

    // Paging: every record once, newest first, with the filter kept in the token.
    for _ in 0..6 {
        sim.change(json!({"target": {"kind": "graph", "collection": "applications"}, "change": "update", "actor": upn}))
            .await;
    }
    let total = sim
        .state
        .world
        .lock()
        .unwrap()
        .tenant(&sim.tenant_id)
        .unwrap()
        .directory_audits
        .len();
    let pages = sim
        .pages("auditLogs/directoryAudits?$top=2&$count=true")
        .await;
    assert_eq!(pages[0]["@odata.count"], total);
    // Graph's own annotations come along; clients must ignore them.
    assert!(pages[0]["@microsoft.graph.tips"].is_string());
    assert!(pages[1..].iter().all(|p| p.get("@odata.count").is_none()));
    let all: Vec<Value> = pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .collect();
    assert_eq!(assert_unique(&ids(&all)).len(), total);
    let times: Vec<DateTime<Utc>> = all
        .iter()
        .map(|a| parse_time(&a["activityDateTime"]))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "not newest first");
    let filtered = sim
        .pages(&format!(
            "auditLogs/directoryAudits?$top=2&$filter=initiatedBy/user/userPrincipalName eq '{upn}'"
        ))
        .await;
    let filtered: Vec<Value> = filtered
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .collect();
    assert_eq!(filtered.len(), 2 + 6);
}

#[actix_web::test]
async fn audit_records_appear_after_their_delay() {
    let sim = start(WorldConfig {
        audit_delay_seconds: 2,
        ..small_world()
    })
    .await;
    let record = sim
        .change(json!({"target": {"kind": "graph", "collection": "named_locations"}, "change": "update"}))
        .await;
    let id = record["resource_id"].as_str().unwrap().to_owned();
    let query = format!("auditLogs/directoryAudits?$filter=targetResources/any(t: t/id eq '{id}')");
    assert!(sim.all(&query).await.is_empty(), "visible before its delay");
    actix_web::rt::time::sleep(StdDuration::from_millis(2300)).await;
    assert_eq!(sim.all(&query).await.len(), 1);
}

#[actix_web::test]
async fn refused_tokens_get_the_graph_401() {
    let sim = start(small_world()).await;
    let url = sim.url("identity/conditionalAccess/policies");
    let arm_token = sim.token_for(ARM_SCOPE).await;
    let requests = [
        sim.client.get(&url),
        sim.client.get(&url).bearer_auth(arm_token),
        sim.client.get(&url).bearer_auth("garbage.token.here"),
        sim.client
            .get(&url)
            .header("authorization", "Basic dXNlcjpwYXNz"),
        sim.client
            .get(sim.url("auditLogs/signIns"))
            .bearer_auth("x"),
        sim.client.get(sim.url("no/such/path")),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        let status = response.status();
        assert!(response.headers().contains_key("www-authenticate"));
        let body: Value = response.json().await.unwrap();
        assert_graph_error(
            status,
            &body,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
        );
    }
}

#[actix_web::test]
async fn unknown_entities_and_paths() {
    let sim = start(small_world()).await;
    let missing = "00000000-0000-4000-8000-000000000000";
    for path in [
        "identity/conditionalAccess/policies",
        "identity/conditionalAccess/namedLocations",
        "roleManagement/directory/roleAssignments",
        "applications",
        "servicePrincipals",
    ] {
        let (status, body) = sim.get(&format!("{path}/{missing}")).await;
        assert_graph_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
        );
    }
    for path in [
        "deviceManagement/deviceConfigurations",
        "deviceManagement/deviceCompliancePolicies",
    ] {
        let (status, body) = sim.get(&format!("{path}/{missing}")).await;
        assert_graph_error(status, &body, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
    let (status, body) = sim.get("users").await;
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'users'"));

    let policy = sim.ok("policies/authenticationMethodsPolicy").await;
    assert_eq!(
        policy["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#policies/authenticationMethodsPolicy/$entity"
    );
    assert_eq!(policy["id"], "authenticationMethodsPolicy");
    assert!(policy.get("value").is_none());

    let response = sim
        .client
        .post(sim.url("applications"))
        .bearer_auth(&sim.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn invalid_query_options_are_400() {
    let sim = start(small_world()).await;
    let applications_token = {
        let page = sim.ok("applications?$top=2").await;
        let link = page["@odata.nextLink"].as_str().unwrap().to_owned();
        link.split("$skiptoken=").nth(1).unwrap().to_owned()
    };
    let bad = [
        "applications?$top=0".to_owned(),
        "applications?$top=-1".to_owned(),
        "applications?$top=abc".to_owned(),
        "applications?$top=".to_owned(),
        "applications?$top=1&$top=2".to_owned(),
        "applications?$count=maybe".to_owned(),
        "applications?$skiptoken=garbage!".to_owned(),
        "applications?$skiptoken=eyJrIjoiYyJ9".to_owned(),
        format!("servicePrincipals?$skiptoken={applications_token}"),
        format!("auditLogs/signIns?$skiptoken={applications_token}"),
        "applications?$bogus=1".to_owned(),
        "auditLogs/signIns?$top=0".to_owned(),
        "auditLogs/signIns?$top=x".to_owned(),
        "auditLogs/signIns?$skiptoken=%%%".to_owned(),
        "auditLogs/signIns?$filter=userId eq 'x'".to_owned(),
        "auditLogs/signIns?$filter=createdDateTime ge 2024-01-01".to_owned(),
        "auditLogs/signIns?$filter=createdDateTime ge '2024-01-01T00:00:00Z'".to_owned(),
        "auditLogs/signIns?$filter=createdDateTime ge 2024-01-01T00:00:00Z or createdDateTime le 2024-01-02T00:00:00Z".to_owned(),
        "auditLogs/signIns?$filter=createdDateTime".to_owned(),
        "auditLogs/signIns?$filter=(createdDateTime ge 2024-01-01T00:00:00Z".to_owned(),
        "auditLogs/directoryAudits?$filter=bogus eq 'x'".to_owned(),
        "auditLogs/directoryAudits?$filter=activityDateTime ge yesterday".to_owned(),
        "auditLogs/directoryAudits?$skiptoken=abc".to_owned(),
        "auditLogs/directoryAudits?$top=-5".to_owned(),
    ];
    for path in &bad {
        let (status, body) = sim.get(path).await;
        assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "BadRequest");
    }
    // What Graph supports and the simulator may ignore is accepted.
    sim.ok("applications?$select=id,displayName&$orderby=displayName&$expand=owners")
        .await;
    sim.ok("auditLogs/signIns?$filter=CREATEDDATETIME GE 2024-01-01T00:00:00Z AND (createdDateTime le 2030-01-01T00:00:00.1234567%2B02:00)")
        .await;
}

#[actix_web::test]
async fn count_comes_on_the_first_page_only() {
    let sim = start(small_world()).await;
    let pages = sim.pages("applications?$top=3&$count=true").await;
    assert_eq!(pages[0]["@odata.count"], 11);
    assert!(!pages[0]["@odata.nextLink"]
        .as_str()
        .unwrap()
        .contains("count"));
    assert!(pages[1..].iter().all(|p| p.get("@odata.count").is_none()));
}

/// Fetches the first pages of a few endpoints with a fixed Host header, so that nextLinks are
/// the same whatever port the simulator listens on.
async fn pages_as_bytes(sim: &Sim) -> Vec<(String, Vec<u8>)> {
    const HOST: &str = "graph.sim.test";
    let mut paths: Vec<String> = Collection::ALL
        .iter()
        .filter(|c| !c.beta_only())
        .map(|c| format!("{}?$top=4", c.path()))
        .collect();
    paths.push("policies/authenticationMethodsPolicy".into());
    paths.push("auditLogs/signIns?$top=25&$filter=createdDateTime ge 2024-05-31T21:00:00Z and createdDateTime lt 2024-05-31T23:00:00Z".into());
    let mut out = Vec::new();
    for path in paths {
        let mut url = Some(sim.url(&path));
        for _ in 0..3 {
            let Some(current) = url.take() else { break };
            let response = sim
                .client
                .get(&current)
                .bearer_auth(&sim.token)
                .header("host", HOST)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let bytes = response.bytes().await.unwrap().to_vec();
            let page: Value = serde_json::from_slice(&bytes).unwrap();
            url = page["@odata.nextLink"].as_str().map(|link| {
                assert!(link.starts_with(&format!("http://{HOST}/")), "{link}");
                link.replacen(&format!("http://{HOST}"), &sim.base, 1)
            });
            out.push((current.replacen(&sim.base, "", 1), bytes));
        }
    }
    out
}

#[actix_web::test]
async fn the_same_seed_gives_byte_identical_pages() {
    let fixed = WorldConfig {
        epoch: Some("2024-06-01T00:00:00Z".parse().unwrap()),
        ..small_world()
    };
    let one = start(fixed.clone()).await;
    let two = start(fixed.clone()).await;
    let other = start(WorldConfig { seed: 8, ..fixed }).await;
    let a = pages_as_bytes(&one).await;
    let b = pages_as_bytes(&two).await;
    let c = pages_as_bytes(&other).await;
    assert!(a.len() > 10);
    assert_eq!(a.len(), b.len());
    for ((path_a, bytes_a), (path_b, bytes_b)) in a.iter().zip(&b) {
        assert_eq!(path_a, path_b);
        assert!(
            bytes_a == bytes_b,
            "{path_a} differs between two sims of one seed"
        );
    }
    assert_ne!(
        a.iter().map(|(_, bytes)| bytes).collect::<Vec<_>>(),
        c.iter().map(|(_, bytes)| bytes).collect::<Vec<_>>()
    );
}

#[actix_web::test]
async fn millions_of_sign_ins_are_served_lazily() {
    // Over four years at 600 a minute: more than a billion events, none of them stored.
    let sim = start(WorldConfig {
        epoch: Some("2021-01-01T00:00:00Z".parse().unwrap()),
        signins_per_minute: 600,
        signin_backfill_hours: 48,
        ..small_world()
    })
    .await;
    let started = std::time::Instant::now();
    let page = sim.ok("auditLogs/signIns?$count=true").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 1000);
    assert!(page["@odata.count"].as_u64().unwrap() > 1_000_000_000);
    let (_, second) = sim.get_url(page["@odata.nextLink"].as_str().unwrap()).await;
    assert_eq!(second["value"].as_array().unwrap().len(), 1000);
    // The oldest events, by a window at the start of the stream.
    let oldest = sim
        .all("auditLogs/signIns?$filter=createdDateTime le 2020-12-30T00:00:10Z")
        .await;
    assert_eq!(oldest.len(), 101);
    assert_eq!(
        oldest.last().unwrap()["createdDateTime"],
        "2020-12-30T00:00:00.000Z"
    );
    assert!(
        started.elapsed() < StdDuration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let mut per_user: BTreeMap<String, usize> = BTreeMap::new();
    for event in &oldest {
        *per_user
            .entry(event["userPrincipalName"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(per_user.len() > 1);
}

#[actix_web::test]
async fn settings_catalog_policies_are_beta_only_with_settings_as_a_navigation() {
    let sim = start(small_world()).await;
    let path = Collection::SettingsCatalogPolicies.path();
    // v1.0 does not know them.
    let (status, body) = sim.get(path).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'configurationPolicies'."
    );
    // Beta lists them without their settings, each page under the beta service root.
    let beta = |rest: &str| format!("{}/beta/{rest}", sim.base);
    let mut listed = Vec::new();
    let mut url = Some(beta(&format!("{path}?$top=2")));
    while let Some(next) = url.take() {
        let (status, page) = sim.get_url(&next).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(
            page["@odata.context"],
            format!("https://graph.microsoft.com/beta/$metadata#{path}")
        );
        url = page["@odata.nextLink"].as_str().map(str::to_owned);
        listed.extend(page["value"].as_array().unwrap().clone());
    }
    assert_eq!(
        assert_unique(&ids(&listed)),
        sim.ids_in_world(Collection::SettingsCatalogPolicies)
    );
    for policy in &listed {
        assert!(policy.get("settings").is_none(), "{policy}");
        assert!(policy["name"].is_string());
        let id = policy["id"].as_str().unwrap();
        let (status, settings) = sim.get_url(&beta(&format!("{path}/{id}/settings"))).await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        let values = settings["value"].as_array().unwrap();
        assert_eq!(
            values.len() as u64,
            policy["settingCount"].as_u64().unwrap()
        );
        assert!(values
            .iter()
            .all(|s| s["settingInstance"]["settingDefinitionId"].is_string()));
    }
    // An unknown policy is Intune's 404.
    let (status, body) = sim.get_url(&beta(&format!("{path}/nope/settings"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "ResourceNotFound");
}
