//! Azure Resource Manager as a client sees it: subscriptions, Resource Graph (paging, filters,
//! resource changes, quota) and the activity log.

mod common;

use std::collections::{BTreeSet, HashSet};

use actix_web::web::Data;
use azure_sim::drift::{self, ChangeKind, ChangeRequest, Target};
use azure_sim::{SimOptions, SimState, WorldConfig};
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

const GRAPH_PATH: &str = "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01";

struct Sim {
    base: String,
    client: reqwest::Client,
    state: Data<SimState>,
    tenants: Vec<Value>,
}

fn world(arm_resources: usize) -> WorldConfig {
    WorldConfig {
        tenants: 2,
        subscriptions: 3,
        arm_resources,
        users_per_tenant: 5,
        ca_policies: 5,
        named_locations: 2,
        applications: 2,
        intune_policies: 6,
        signins_per_minute: 1,
        signin_backfill_hours: 1,
        ..WorldConfig::default()
    }
}

async fn start(config: WorldConfig, options: SimOptions) -> Sim {
    let common::Launched {
        base,
        state,
        client,
    } = common::launch(config, options);
    let tenants = common::tenants(&client, &base).await;
    Sim {
        base,
        client,
        state,
        tenants,
    }
}

impl Sim {
    fn tenant_id(&self, index: usize) -> String {
        self.tenants[index]["tenant_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn subscriptions(&self, index: usize) -> Vec<String> {
        self.tenants[index]["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn token(&self, index: usize, scope: &str) -> String {
        common::app_token(&self.client, &self.base, &self.tenants[index], scope).await
    }

    async fn arm_token(&self, index: usize) -> String {
        self.token(index, "https://management.azure.com/.default")
            .await
    }

    async fn get(&self, token: &str, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path_and_query}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn graph(&self, token: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}{GRAPH_PATH}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn graph_ok(&self, token: &str, body: Value) -> Value {
        let response = self.graph(token, body).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Every row of a query, following `$skipToken`s, calling `between` before each follow-up.
    async fn graph_all(&self, token: &str, query: &str, top: usize) -> (Vec<Value>, Vec<Value>) {
        let mut rows = Vec::new();
        let mut pages = Vec::new();
        let mut skip_token: Option<String> = None;
        loop {
            let mut options = json!({"$top": top, "resultFormat": "objectArray"});
            if let Some(token) = &skip_token {
                options["$skipToken"] = json!(token);
            }
            let page = self
                .graph_ok(token, json!({"query": query, "options": options}))
                .await;
            rows.extend(page["data"].as_array().unwrap().iter().cloned());
            skip_token = page["$skipToken"].as_str().map(str::to_owned);
            pages.push(page);
            if skip_token.is_none() {
                return (rows, pages);
            }
        }
    }

    async fn change(&self, request: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/_sim/changes", self.base))
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["change"].clone()
    }

    async fn fault(&self, rule: Value) {
        let response = self
            .client
            .post(format!("{}/_sim/faults", self.base))
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|row| row["id"].as_str().unwrap().to_lowercase())
        .collect()
}

fn iso(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

async fn assert_arm_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    body
}

#[actix_web::test]
async fn subscriptions_are_those_of_the_tokens_tenant() {
    let sim = start(world(30), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    let response = sim
        .get(&token, "/subscriptions?api-version=2022-12-01")
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let listed: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, sim.subscriptions(0));
    assert_eq!(body["count"], json!({"type": "Total", "value": 3}));
    let first = &body["value"][0];
    assert_eq!(first["id"], format!("/subscriptions/{}", listed[0]));
    assert_eq!(first["tenantId"], sim.tenant_id(0));
    assert_eq!(first["state"], "Enabled");
    assert_eq!(first["authorizationSource"], "RoleBased");
    assert_eq!(first["managedByTenants"], json!([]));
    assert!(first["displayName"].is_string());
    assert!(first["subscriptionPolicies"]["quotaId"].is_string());

    let older = sim
        .get(&token, "/subscriptions?api-version=2020-01-01")
        .await;
    assert_eq!(older.status(), 200);
    assert_arm_error(
        sim.get(&token, "/subscriptions").await,
        400,
        "MissingApiVersionParameter",
    )
    .await;
    assert_arm_error(
        sim.get(&token, "/subscriptions?api-version=2016-06-01")
            .await,
        400,
        "InvalidApiVersionParameter",
    )
    .await;

    let own = &sim.subscriptions(0)[1];
    let one: Value = sim
        .get(
            &token,
            &format!("/subscriptions/{own}?api-version=2022-12-01"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["subscriptionId"], own.as_str());
    let foreign = &sim.subscriptions(1)[0];
    assert_arm_error(
        sim.get(
            &token,
            &format!("/subscriptions/{foreign}?api-version=2022-12-01"),
        )
        .await,
        401,
        "InvalidAuthenticationTokenTenant",
    )
    .await;
    assert_arm_error(
        sim.get(
            &token,
            "/subscriptions/00000000-1111-4222-8333-444444444444?api-version=2022-12-01",
        )
        .await,
        404,
        "SubscriptionNotFound",
    )
    .await;
}

#[actix_web::test]
async fn every_route_wants_an_arm_token() {
    let sim = start(world(30), SimOptions::default()).await;
    let graph_token = sim.token(0, "https://graph.microsoft.com/.default").await;
    let subscription = &sim.subscriptions(0)[0];
    let now = Utc::now();
    let filter = format!(
        "eventTimestamp ge '{}' and eventTimestamp le '{}'",
        iso(now - Duration::hours(1)),
        iso(now)
    );
    let activity = format!(
        "{}/subscriptions/{subscription}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&$filter={}",
        sim.base,
        urlencode(&filter)
    );
    for (label, authorization, code) in [
        ("no token", None, "AuthenticationFailed"),
        (
            "a Graph token",
            Some(format!("Bearer {graph_token}")),
            "InvalidAuthenticationTokenAudience",
        ),
        (
            "garbage",
            Some("Bearer not.a.token".to_owned()),
            "InvalidAuthenticationToken",
        ),
    ] {
        let requests = [
            sim.client
                .get(format!("{}/subscriptions?api-version=2022-12-01", sim.base)),
            sim.client
                .post(format!("{}{GRAPH_PATH}", sim.base))
                .json(&json!({"query": "resources"})),
            sim.client.get(&activity),
        ];
        for request in requests {
            let request = match &authorization {
                Some(value) => request.header("authorization", value),
                None => request,
            };
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{label}");
            assert!(response.headers().contains_key("www-authenticate"));
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], code, "{label}: {body}");
            assert!(body["error"]["message"].is_string());
            assert!(
                body["error"].get("innerError").is_none(),
                "ARM errors are not Graph's"
            );
        }
    }
}

#[actix_web::test]
async fn resource_graph_paging_reaches_every_resource_exactly_once() {
    let sim = start(world(2500), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    let (rows, pages) = sim.graph_all(&token, "resources", 1000).await;
    let counts: Vec<u64> = pages.iter().map(|p| p["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [1000, 1000, 500]);
    for page in &pages {
        assert_eq!(page["totalRecords"], 2500);
        assert_eq!(page["resultTruncated"], "false", "a string, not a boolean");
        assert_eq!(page["facets"], json!([]));
    }
    assert!(pages[0]["$skipToken"].is_string());
    assert!(pages[2].get("$skipToken").is_none());
    let all = ids(&rows);
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), 2500, "no resource twice");
    assert_eq!(sim.tenants[0]["arm_resources"], 2500);
    let own: HashSet<String> = sim.subscriptions(0).into_iter().collect();
    let seen: HashSet<String> = rows
        .iter()
        .map(|r| r["subscriptionId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, own, "every subscription of the tenant, no other");
    let row = &rows[0];
    for column in [
        "id",
        "name",
        "type",
        "tenantId",
        "kind",
        "location",
        "resourceGroup",
        "subscriptionId",
        "managedBy",
        "sku",
        "plan",
        "properties",
        "tags",
        "identity",
        "zones",
        "extendedLocation",
    ] {
        assert!(row.get(column).is_some(), "{column}");
    }
    assert_eq!(row["tenantId"], sim.tenant_id(0));
    assert!(row["kind"].is_string(), "string columns are never null");

    // Scoped to listed subscriptions: another tenant's and unknown ones contribute nothing.
    let first = &sim.subscriptions(0)[0];
    let scoped = sim
        .graph_ok(
            &token,
            json!({
                "query": "resources | project id, subscriptionId",
                "subscriptions": [first, sim.subscriptions(1)[0], "00000000-1111-4222-8333-444444444444"],
                "options": {"$top": 1000}
            }),
        )
        .await;
    let expected = rows
        .iter()
        .filter(|r| r["subscriptionId"] == first.as_str())
        .count();
    assert_eq!(scoped["totalRecords"], expected);
    assert!(scoped["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["subscriptionId"] == first.as_str()));
    // The tenant root management group covers every subscription.
    let root = sim
        .graph_ok(
            &token,
            json!({"query": "resources", "managementGroups": [sim.tenant_id(0)], "options": {"$top": 1}}),
        )
        .await;
    assert_eq!(root["totalRecords"], 2500);
    // Without `$top`, pages have 100 rows; a skip token carries the page size on.
    let default = sim.graph_ok(&token, json!({"query": "resources"})).await;
    assert_eq!(default["count"], 100);
    let next = sim
        .graph_ok(
            &token,
            json!({"query": "resources", "options": {"$skipToken": default["$skipToken"]}}),
        )
        .await;
    assert_eq!(next["count"], 100);
    assert!(
        ids(next["data"].as_array().unwrap())[0] > ids(default["data"].as_array().unwrap())[99]
    );
}

#[actix_web::test]
async fn resource_graph_paging_stays_exact_while_resources_change() {
    let sim = start(world(2500), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    let tenant_id = sim.tenant_id(0);
    let (before, _) = sim.graph_all(&token, "resources", 1000).await;
    let before = ids(&before);

    let query = "Resources | project id, name, type";
    let mut seen = Vec::new();
    let mut deleted = BTreeSet::new();
    let mut created = BTreeSet::new();
    let mut skip_token: Option<String> = None;
    let mut round = 0;
    loop {
        let mut options = json!({"$top": 1000});
        if let Some(token) = &skip_token {
            options["$skipToken"] = json!(token);
        }
        let page = sim
            .graph_ok(&token, json!({"query": query, "options": options}))
            .await;
        seen.extend(ids(page["data"].as_array().unwrap()));
        skip_token = page["$skipToken"].as_str().map(str::to_owned);
        if skip_token.is_none() {
            break;
        }
        // Between pages: delete resources already served and not yet served, create new ones
        // (which sort anywhere) and edit some.
        round += 1;
        let served: Vec<&String> = seen.iter().rev().take(3).collect();
        let unserved: Vec<&String> = before
            .iter()
            .filter(|id| !seen.contains(id) && !deleted.contains(*id))
            .rev()
            .take(3)
            .collect();
        for id in served
            .into_iter()
            .chain(unserved)
            .cloned()
            .collect::<Vec<_>>()
        {
            sim.change(json!({"tenant_id": tenant_id, "target": {"kind": "arm"}, "change": "delete", "resource_id": id}))
                .await;
            deleted.insert(id);
        }
        for _ in 0..4 {
            let change = sim
                .change(
                    json!({"tenant_id": tenant_id, "target": {"kind": "arm"}, "change": "create"}),
                )
                .await;
            created.insert(change["resource_id"].as_str().unwrap().to_lowercase());
        }
        for id in before.iter().skip(round * 7).take(2) {
            if !deleted.contains(id) {
                sim.change(json!({"tenant_id": tenant_id, "target": {"kind": "arm"}, "change": "update", "resource_id": id}))
                    .await;
            }
        }
    }
    assert_eq!(round, 2);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no resource served twice");
    for id in &before {
        if !deleted.contains(id) {
            assert!(
                unique.contains(id),
                "{id} existed throughout but was skipped"
            );
        }
    }
    for id in &seen {
        assert!(
            before.contains(id) || created.contains(id),
            "{id} came from nowhere"
        );
    }
}

#[actix_web::test]
async fn resource_graph_filters_projects_and_formats() {
    let sim = start(world(300), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    let (all, _) = sim.graph_all(&token, "resources", 1000).await;

    let storage = sim
        .graph_ok(
            &token,
            json!({"query": "Resources | where type =~ 'Microsoft.Storage/storageAccounts'", "options": {"$top": 1000}}),
        )
        .await;
    let expected = all
        .iter()
        .filter(|r| r["type"] == "microsoft.storage/storageaccounts")
        .count();
    assert!(expected > 0);
    assert_eq!(storage["totalRecords"], expected);
    assert!(storage["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["type"] == "microsoft.storage/storageaccounts"));

    let query = "resources\n| where type in~ ('microsoft.keyvault/vaults', 'Microsoft.Web/sites')\n| project id, name, type\n| order by id asc";
    let listed = sim
        .graph_ok(
            &token,
            json!({"query": query, "options": {"$top": 1000, "resultFormat": "objectArray"}}),
        )
        .await;
    let rows = listed["data"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        assert_eq!(row.as_object().unwrap().len(), 3, "{row}");
        assert!(row["type"] == "microsoft.keyvault/vaults" || row["type"] == "microsoft.web/sites");
    }
    let listed_ids: Vec<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = listed_ids.clone();
    sorted.sort();
    assert_eq!(listed_ids, sorted);

    let table = sim
        .graph_ok(
            &token,
            json!({"query": query, "options": {"$top": 5, "resultFormat": "table"}}),
        )
        .await;
    assert_eq!(
        table["data"]["columns"],
        json!([{"name": "id", "type": "string"}, {"name": "name", "type": "string"}, {"name": "type", "type": "string"}])
    );
    let table_rows = table["data"]["rows"].as_array().unwrap();
    assert_eq!(table_rows.len(), 5);
    assert_eq!(table_rows[0][0], listed_ids[0].as_str());
    assert_eq!(table["count"], 5);
    assert!(table["$skipToken"].is_string());

    // `limit` gives no skip token: what does not fit is cut, and said to be.
    let limited = sim
        .graph_ok(
            &token,
            json!({"query": "resources | limit 50", "options": {"$top": 10}}),
        )
        .await;
    assert_eq!(limited["count"], 10);
    assert_eq!(limited["resultTruncated"], "true");
    assert!(limited.get("$skipToken").is_none());
}

#[actix_web::test]
async fn resource_graph_refuses_bad_requests_in_its_own_words() {
    let sim = start(world(30), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    for top in [1001, 0] {
        let body = assert_arm_error(
            sim.graph(
                &token,
                json!({"query": "resources", "options": {"$top": top}}),
            )
            .await,
            400,
            "BadRequest",
        )
        .await;
        assert!(body["error"]["details"].as_array().unwrap().len() == 1);
    }
    for query in [
        "resources | summarize count() by type",
        "resources | where",
        "securityresources",
        "resources | where name == 'unterminated",
    ] {
        let body = assert_arm_error(
            sim.graph(&token, json!({"query": query})).await,
            400,
            "BadRequest",
        )
        .await;
        let details = body["error"]["details"].as_array().unwrap();
        assert_eq!(details[0]["code"], "InvalidQuery", "{query}: {body}");
        assert!(details[1]["code"].is_string());
        assert!(details[1]["message"].is_string());
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("correlationId"));
    }
    assert_arm_error(
        sim.graph(&token, json!({"options": {"$top": 5}})).await,
        400,
        "BadRequest",
    )
    .await;
    assert_arm_error(
        sim.client
            .post(format!(
                "{}/providers/Microsoft.ResourceGraph/resources",
                sim.base
            ))
            .bearer_auth(&token)
            .json(&json!({"query": "resources"}))
            .send()
            .await
            .unwrap(),
        400,
        "MissingApiVersionParameter",
    )
    .await;
    assert_arm_error(
        sim.client
            .post(format!(
                "{}/providers/Microsoft.ResourceGraph/resources?api-version=2018-09-01-preview",
                sim.base
            ))
            .bearer_auth(&token)
            .json(&json!({"query": "resources"}))
            .send()
            .await
            .unwrap(),
        400,
        "InvalidApiVersionParameter",
    )
    .await;
    // A skip token belongs to its query.
    let first = sim
        .graph_ok(
            &token,
            json!({"query": "resources", "options": {"$top": 5}}),
        )
        .await;
    assert_arm_error(
        sim.graph(
            &token,
            json!({"query": "resources | order by name asc", "options": {"$skipToken": first["$skipToken"]}}),
        )
        .await,
        400,
        "BadRequest",
    )
    .await;
    // The older API version also answers.
    let older = sim
        .client
        .post(format!(
            "{}/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01",
            sim.base
        ))
        .bearer_auth(&token)
        .json(&json!({"query": "resources", "options": {"$top": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(older.status(), 200);
}

#[actix_web::test]
async fn resource_changes_say_who_changed_what_and_when() {
    let sim = start(world(60), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    let actor = "megan.bowen@contoso.onmicrosoft.com";
    let change = sim
        .change(json!({"tenant_id": sim.tenant_id(0), "target": {"kind": "arm"}, "change": "update", "actor": actor}))
        .await;
    let resource_id = change["resource_id"].as_str().unwrap();

    let recent = sim
        .graph_ok(
            &token,
            json!({"query": "resourcechanges | where properties.changeAttributes.timestamp > ago(1d)", "options": {"$top": 1000}}),
        )
        .await;
    let rows = recent["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{recent}");
    let row = &rows[0];
    assert_eq!(row["type"], "microsoft.resources/changes");
    assert_eq!(row["properties"]["targetResourceId"], resource_id);
    assert_eq!(row["properties"]["changeType"], "Update");
    assert_eq!(row["properties"]["changeAttributes"]["changedBy"], actor);
    assert_eq!(
        row["properties"]["changes"]["tags.environment"]["changeCategory"],
        "User"
    );

    let now = Utc::now();
    let window = |from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>| {
        format!(
            "ResourceChanges\n| where todatetime(properties.changeAttributes.timestamp) between (datetime({}) .. datetime({}))",
            iso(from),
            iso(to)
        )
    };
    let inside = sim
        .graph_ok(
            &token,
            json!({"query": window(now - Duration::minutes(10), now + Duration::minutes(10))}),
        )
        .await;
    assert_eq!(inside["totalRecords"], 1);
    let before = sim
        .graph_ok(
            &token,
            json!({"query": window(now - Duration::days(2), now - Duration::days(1))}),
        )
        .await;
    assert_eq!(before["totalRecords"], 0);
    let since = sim
        .graph_ok(
            &token,
            json!({"query": format!("resourcechanges | where properties.changeAttributes.timestamp >= datetime({})", iso(now + Duration::hours(1)))}),
        )
        .await;
    assert_eq!(since["totalRecords"], 0);
    // The other tenant sees none of it.
    let other = sim.arm_token(1).await;
    let theirs = sim
        .graph_ok(&other, json!({"query": "resourcechanges"}))
        .await;
    assert_eq!(theirs["totalRecords"], 0);

    // Changes become visible only after the audit delay.
    let delayed = start(
        WorldConfig {
            audit_delay_seconds: 3600,
            ..world(30)
        },
        SimOptions::default(),
    )
    .await;
    let token = delayed.arm_token(0).await;
    delayed
        .change(json!({"tenant_id": delayed.tenant_id(0), "target": {"kind": "arm"}, "change": "update"}))
        .await;
    let hidden = delayed
        .graph_ok(&token, json!({"query": "resourcechanges"}))
        .await;
    assert_eq!(hidden["totalRecords"], 0);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Whether an activity-log event satisfies a narrowing clause with this value.
type Holds = fn(&Value, &str) -> bool;

fn activity_path(subscription: &str, filter: Option<&str>) -> String {
    let mut path = format!(
        "/subscriptions/{subscription}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01"
    );
    if let Some(filter) = filter {
        path.push_str(&format!("&$filter={}", urlencode(filter)));
    }
    path
}

fn window_filter(extra: &str) -> String {
    let now = Utc::now();
    format!(
        "eventTimestamp ge '{}' and eventTimestamp le '{}'{extra}",
        iso(now - Duration::hours(1)),
        iso(now + Duration::minutes(5))
    )
}

#[actix_web::test]
async fn the_activity_log_filter_is_strict() {
    let sim = start(world(60), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    let tenant_id = sim.tenant_id(0);
    let subscription = sim.subscriptions(0)[0].clone();
    let (resources, _) = sim
        .graph_all(
            &token,
            &format!("resources | where subscriptionId == '{subscription}'"),
            1000,
        )
        .await;
    let target = resources[0]["id"].as_str().unwrap().to_owned();
    let group = resources[0]["resourceGroup"].as_str().unwrap().to_owned();
    let actor = "alex.wilber@contoso.onmicrosoft.com";
    let update = sim
        .change(json!({"tenant_id": tenant_id, "target": {"kind": "arm"}, "change": "update", "resource_id": target, "actor": actor}))
        .await;
    let second = resources[1]["id"].as_str().unwrap().to_owned();
    sim.change(json!({"tenant_id": tenant_id, "target": {"kind": "arm"}, "change": "delete", "resource_id": second}))
        .await;
    // A change in another subscription stays out of this one's log.
    let elsewhere = sim
        .graph_ok(
            &token,
            json!({"query": format!("resources | where subscriptionId != '{subscription}' | take 1")}),
        )
        .await;
    sim.change(json!({"tenant_id": tenant_id, "target": {"kind": "arm"}, "change": "update", "resource_id": elsewhere["data"][0]["id"]}))
        .await;

    let response = sim
        .get(
            &token,
            &activity_path(&subscription, Some(&window_filter(""))),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let events = body["value"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{body}");
    assert!(body.get("nextLink").is_none());
    // Newest first: the delete, then the update.
    assert_eq!(events[0]["resourceId"], second.as_str());
    assert!(events[0]["operationName"]["value"]
        .as_str()
        .unwrap()
        .ends_with("/delete"));
    let event = &events[1];
    assert_eq!(event["resourceId"], target.as_str());
    assert_eq!(event["caller"], actor);
    assert_eq!(event["status"]["value"], "Succeeded");
    assert!(event["operationName"]["value"]
        .as_str()
        .unwrap()
        .ends_with("/write"));
    assert!(
        events[0]["eventTimestamp"].as_str().unwrap() >= event["eventTimestamp"].as_str().unwrap()
    );
    assert_eq!(update["changed_by"], actor);

    let provider = target
        .split("/providers/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let correlation = event["correlationId"].as_str().unwrap().to_owned();
    let narrowings: [(String, Holds, &str); 4] = [
        (
            format!(" and resourceUri eq '{target}'"),
            |e, v| e["resourceId"].as_str().unwrap().eq_ignore_ascii_case(v),
            &target,
        ),
        (
            format!(" and resourceGroupName eq '{group}'"),
            |e, v| {
                e["resourceGroupName"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(v)
            },
            &group,
        ),
        (
            format!(" and resourceProvider eq '{provider}'"),
            |e, v| {
                e["resourceProviderName"]["value"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(v)
            },
            &provider,
        ),
        (
            format!(" and correlationId eq '{correlation}'"),
            |e, v| e["correlationId"] == v,
            &correlation,
        ),
    ];
    for (extra, holds, value) in narrowings {
        let body: Value = sim
            .get(
                &token,
                &activity_path(&subscription, Some(&window_filter(&extra))),
            )
            .await
            .json()
            .await
            .unwrap();
        let found = body["value"].as_array().unwrap();
        assert!(found.iter().all(|e| holds(e, value)), "{extra}: {body}");
        assert!(
            found.iter().any(|e| e["resourceId"] == target.as_str()),
            "{extra}"
        );
    }
    let narrowed: Value = sim
        .get(
            &token,
            &activity_path(
                &subscription,
                Some(&window_filter(&format!(
                    " and correlationId eq '{correlation}'"
                ))),
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(narrowed["value"].as_array().unwrap().len(), 1);
    // A window in the past holds nothing.
    let now = Utc::now();
    let past = format!(
        "eventTimestamp ge '{}' and eventTimestamp le '{}'",
        iso(now - Duration::days(3)),
        iso(now - Duration::days(2))
    );
    let body: Value = sim
        .get(&token, &activity_path(&subscription, Some(&past)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["value"], json!([]));

    let start = iso(now - Duration::hours(1));
    for filter in [
        None,
        Some(format!(
            "eventTimestamp ge {start} and eventTimestamp le {start}"
        )),
        Some(format!("eventTimestamp ge '{start}'")),
        Some(format!(
            "eventTimestamp gt '{start}' and eventTimestamp le '{start}'"
        )),
        Some(format!("{} and caller eq '{actor}'", window_filter(""))),
        Some("createdDateTime ge 2024-01-01T00:00:00Z".to_owned()),
    ] {
        assert_arm_error(
            sim.get(&token, &activity_path(&subscription, filter.as_deref()))
                .await,
            400,
            "BadRequest",
        )
        .await;
    }
    assert_arm_error(
        sim.get(
            &token,
            &activity_path(&sim.subscriptions(1)[0], Some(&window_filter(""))),
        )
        .await,
        401,
        "InvalidAuthenticationTokenTenant",
    )
    .await;
    assert_arm_error(
        sim.get(
            &token,
            &activity_path(
                "00000000-1111-4222-8333-444444444444",
                Some(&window_filter("")),
            ),
        )
        .await,
        404,
        "SubscriptionNotFound",
    )
    .await;
    assert_arm_error(
        sim.get(
            &token,
            &format!(
                "/subscriptions/{subscription}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2017-03-01-preview&$filter={}",
                urlencode(&window_filter(""))
            ),
        )
        .await,
        400,
        "InvalidApiVersionParameter",
    )
    .await;
}

#[actix_web::test]
async fn the_activity_log_pages_with_next_links() {
    let sim = start(world(120), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    let tenant_id = sim.tenant_id(0);
    let subscription = sim.subscriptions(0)[0].clone();
    let (resources, _) = sim
        .graph_all(
            &token,
            &format!("resources | where subscriptionId =~ '{subscription}'"),
            1000,
        )
        .await;
    {
        let mut world = sim.state.world.lock().unwrap();
        for i in 0..450 {
            let request = ChangeRequest {
                tenant_id: Some(tenant_id.clone()),
                target: Some(Target::Arm),
                change: Some(ChangeKind::Update),
                resource_id: Some(
                    resources[i % resources.len()]["id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                ),
                ..ChangeRequest::default()
            };
            drift::apply(&mut world, &request, Utc::now()).unwrap();
        }
    }
    sim.fault(json!({"endpoint": "/eventtypes/management/values", "fault": {"type": "next_link_fails_once"}, "count": 1}))
        .await;
    let filter = window_filter("");
    let mut url = format!(
        "{}{}",
        sim.base,
        activity_path(&subscription, Some(&filter))
    );
    let mut sizes = Vec::new();
    let mut events = Vec::new();
    let mut failures = 0;
    loop {
        let response = sim
            .client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if response.status() == 503 {
            failures += 1;
            assert!(failures <= 1);
            continue;
        }
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        let page = body["value"].as_array().unwrap();
        sizes.push(page.len());
        events.extend(page.iter().cloned());
        match body["nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&sim.base), "{next}");
                assert!(next.contains("$skipToken="), "{next}");
                assert!(next.contains(&format!(
                    "$filter={}",
                    azure_sim::arm::encode_component(&filter)
                )));
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(
        failures, 1,
        "the next-link fault fired once, on a follow-up page"
    );
    assert_eq!(sizes, [200, 200, 50]);
    let unique: HashSet<&str> = events
        .iter()
        .map(|e| e["eventDataId"].as_str().unwrap())
        .collect();
    assert_eq!(unique.len(), 450);
    let stamps: Vec<&str> = events
        .iter()
        .map(|e| e["eventTimestamp"].as_str().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "newest first");
}

#[actix_web::test]
async fn the_resource_graph_quota_is_reported_and_enforced_when_on() {
    let sim = start(
        world(30),
        SimOptions {
            arm_quota: Some((15, 5)),
            ..SimOptions::default()
        },
    )
    .await;
    let token = sim.arm_token(0).await;
    let mut remaining = Vec::new();
    for _ in 0..15 {
        let response = sim
            .graph(
                &token,
                json!({"query": "resources", "options": {"$top": 1}}),
            )
            .await;
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        remaining.push(
            headers["x-ms-user-quota-remaining"]
                .to_str()
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
        let resets = headers["x-ms-user-quota-resets-after"].to_str().unwrap();
        assert!(
            resets.len() == 8 && resets.starts_with("00:00:0"),
            "{resets}"
        );
    }
    assert_eq!(remaining, (0..15).rev().collect::<Vec<u32>>());
    let throttled = sim.graph(&token, json!({"query": "resources"})).await;
    assert_eq!(throttled.status(), 429);
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry_after));
    assert_eq!(throttled.headers()["x-ms-user-quota-remaining"], "0");
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RateLimiting");
    // The quota is per tenant.
    let other = sim.arm_token(1).await;
    assert_eq!(
        sim.graph(&other, json!({"query": "resources"}))
            .await
            .status(),
        200
    );

    // Off by default: headers, never a 429.
    let relaxed = start(world(30), SimOptions::default()).await;
    let token = relaxed.arm_token(0).await;
    for _ in 0..25 {
        let response = relaxed
            .graph(
                &token,
                json!({"query": "resources", "options": {"$top": 1}}),
            )
            .await;
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("x-ms-user-quota-remaining"));
        assert!(response
            .headers()
            .contains_key("x-ms-user-quota-resets-after"));
    }
}

#[actix_web::test]
async fn resource_graph_faults_hit_follow_up_pages() {
    let sim = start(world(300), SimOptions::default()).await;
    let token = sim.arm_token(0).await;
    sim.fault(json!({"endpoint": "/providers/Microsoft.ResourceGraph", "fault": {"type": "next_link_fails_once"}, "count": 1}))
        .await;
    let first = sim
        .graph_ok(
            &token,
            json!({"query": "resources", "options": {"$top": 100}}),
        )
        .await;
    assert_eq!(first["count"], 100, "the first page is no follow-up");
    let follow =
        json!({"query": "resources", "options": {"$top": 100, "$skipToken": first["$skipToken"]}});
    let failed = sim.graph(&token, follow.clone()).await;
    assert_eq!(failed.status(), 503);
    let body: Value = failed.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ServiceUnavailable");
    let retried = sim.graph_ok(&token, follow).await;
    assert_eq!(retried["count"], 100);
    assert!(
        ids(retried["data"].as_array().unwrap())[0] > ids(first["data"].as_array().unwrap())[99]
    );

    // A page cap cuts one page; paging stays exact.
    sim.fault(json!({"endpoint": "/providers/Microsoft.ResourceGraph", "fault": {"type": "page_cap", "max": 7}, "count": 1}))
        .await;
    let (rows, pages) = sim.graph_all(&token, "resources", 1000).await;
    assert_eq!(pages[0]["count"], 7);
    assert!(pages[0]["$skipToken"].is_string());
    assert_eq!(pages[1]["count"], 293);
    assert_eq!(rows.len(), 300);
    assert_eq!(ids(&rows).into_iter().collect::<HashSet<_>>().len(), 300);
}

#[actix_web::test]
async fn resource_graph_takes_at_most_1000_subscriptions_per_request() {
    let sim = start(
        WorldConfig {
            tenants: 1,
            subscriptions: 1001,
            ..world(2002)
        },
        SimOptions::default(),
    )
    .await;
    let token = sim.arm_token(0).await;
    let all = sim.subscriptions(0);
    assert_eq!(all.len(), 1001);
    let body = assert_arm_error(
        sim.graph(&token, json!({"query": "resources", "subscriptions": all}))
            .await,
        400,
        "BadRequest",
    )
    .await;
    assert_eq!(body["error"]["details"][0]["code"], "TooManySubscriptions");
    // Two batches list every resource once between them.
    let mut seen = Vec::new();
    for batch in all.chunks(1000) {
        let mut skip_token: Option<String> = None;
        loop {
            let mut options = json!({"$top": 1000, "resultFormat": "objectArray"});
            if let Some(t) = &skip_token {
                options["$skipToken"] = json!(t);
            }
            let page = sim
                .graph_ok(
                    &token,
                    json!({"query": "resources", "subscriptions": batch, "options": options}),
                )
                .await;
            seen.extend(ids(page["data"].as_array().unwrap()));
            skip_token = page["$skipToken"].as_str().map(str::to_owned);
            if skip_token.is_none() {
                break;
            }
        }
    }
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
    assert_eq!(seen.len(), 2002);
}
