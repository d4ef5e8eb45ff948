//! Microsoft Graph of the simulator, the parts that make a client's life hard: the documented
//! throttling limits (behind `SimOptions::service_limits`), the Entra ID P1/P2 licence that
//! sign-in logs need, log retention (behind `SimOptions::log_retention`) and sign-ins that
//! repeat an id.

mod common;

use std::collections::BTreeSet;
use std::time::Duration as StdDuration;

use actix_web::web::Data;
use azure_sim::world::AuditRecord;
use azure_sim::{SimOptions, SimState, WorldConfig};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{json, Value};

use common::GRAPH_SCOPE;
const CA_POLICIES: &str = "identity/conditionalAccess/policies";
const NAMED_LOCATIONS: &str = "identity/conditionalAccess/namedLocations";
const NOT_PREMIUM: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

struct Sim {
    base: String,
    client: reqwest::Client,
    state: Data<SimState>,
    tenants: Vec<Value>,
    /// A Graph token for each tenant, in the order of `GET /_sim/tenants`.
    tokens: Vec<String>,
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

fn limited() -> SimOptions {
    SimOptions {
        service_limits: true,
        ..SimOptions::default()
    }
}

async fn start(config: WorldConfig, options: SimOptions) -> Sim {
    let common::Launched {
        base,
        state,
        client,
    } = common::launch(config, options);
    let tenants = common::tenants(&client, &base).await;
    let mut tokens = Vec::new();
    for tenant in &tenants {
        tokens.push(common::app_token(&client, &base, tenant, GRAPH_SCOPE).await);
    }
    Sim {
        base,
        client,
        state,
        tenants,
        tokens,
    }
}

impl Sim {
    fn tenant_id(&self, tenant: usize) -> String {
        self.tenants[tenant]["tenant_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}/v1.0/{path_and_query}", self.base)
    }

    /// GET a full URL with the Graph token of a tenant: status, headers and body.
    async fn get_url(&self, tenant: usize, url: &str) -> (StatusCode, HeaderMap, Value) {
        let response = self
            .client
            .get(url)
            .bearer_auth(&self.tokens[tenant])
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap();
        (status, headers, body)
    }

    async fn get(&self, tenant: usize, path_and_query: &str) -> (StatusCode, HeaderMap, Value) {
        self.get_url(tenant, &self.url(path_and_query)).await
    }

    async fn ok(&self, tenant: usize, path_and_query: &str) -> Value {
        let (status, _, body) = self.get(tenant, path_and_query).await;
        assert_eq!(status, StatusCode::OK, "{path_and_query}: {body}");
        body
    }

    /// Every item from the first URL on, following nextLinks as given.
    async fn all(&self, tenant: usize, first: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut url = Some(self.url(first));
        let mut pages = 0;
        while let Some(next) = url {
            let (status, _, page) = self.get_url(tenant, &next).await;
            assert_eq!(status, StatusCode::OK, "{next}: {page}");
            url = page["@odata.nextLink"].as_str().map(str::to_owned);
            items.extend(page["value"].as_array().unwrap().iter().cloned());
            pages += 1;
            assert!(pages < 10_000, "paging does not end");
        }
        items
    }

    async fn post_control(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/_sim/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn set_premium(&self, tenant: usize, premium: bool) {
        let (status, body) = self
            .post_control(
                &format!("tenants/{}/licence", self.tenant_id(tenant)),
                json!({ "premium": premium }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["premium"], premium, "{body}");
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
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

fn assert_graph_error(status: StatusCode, body: &Value, want_status: StatusCode, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    let inner = &body["error"]["innerError"];
    assert!(inner["request-id"].is_string(), "{body}");
    let date = inner["date"].as_str().unwrap();
    assert!(!date.ends_with('Z') && !date.contains('.'), "{date}");
}

fn assert_throttled(status: StatusCode, body: &Value) {
    assert_graph_error(
        status,
        body,
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
    );
    assert_eq!(body["error"]["innerError"]["code"], "429", "{body}");
}

/// `Retry-After` in whole or fractional seconds.
fn retry_after(headers: &HeaderMap) -> Option<f64> {
    headers
        .get(RETRY_AFTER)
        .map(|value| value.to_str().unwrap().parse::<f64>().unwrap())
}

#[actix_web::test]
async fn conditional_access_is_one_request_a_second_per_tenant_without_retry_after() {
    let sim = start(small_world(), limited()).await;
    sim.ok(0, &format!("{CA_POLICIES}?$top=3")).await;
    // A second request within the second: 429, and no Retry-After to go by.
    let (status, headers, body) = sim.get(0, CA_POLICIES).await;
    assert_throttled(status, &body);
    assert!(retry_after(&headers).is_none(), "{headers:?}");
    // Named locations and single entities share the tenant's limit.
    let (status, headers, body) = sim.get(0, NAMED_LOCATIONS).await;
    assert_throttled(status, &body);
    assert!(headers.get(RETRY_AFTER).is_none());
    // The limit is the tenant's: the other tenant is not held back, nor are other collections.
    sim.ok(1, NAMED_LOCATIONS).await;
    sim.ok(0, "applications?$top=2").await;
    sim.ok(0, "deviceManagement/deviceConfigurations?$top=2")
        .await;
    // A client that backs off on its own for over a second gets through again.
    actix_web::rt::time::sleep(StdDuration::from_millis(1100)).await;
    let policies = sim.ok(0, CA_POLICIES).await;
    assert_eq!(policies["value"].as_array().unwrap().len(), 9);
    let (status, _, body) = sim.get(0, NAMED_LOCATIONS).await;
    assert_throttled(status, &body);
}

#[actix_web::test]
async fn audit_reports_are_five_requests_per_ten_seconds_with_retry_after() {
    let sim = start(small_world(), limited()).await;
    for n in 0..5 {
        // Sign-ins and directory audits share the reports limit.
        let path = if n == 2 {
            "auditLogs/directoryAudits?$top=1"
        } else {
            "auditLogs/signIns?$top=5"
        };
        let (status, headers, body) = sim.get(0, path).await;
        assert_eq!(status, StatusCode::OK, "request {}: {body}", n + 1);
        assert!(headers.get(RETRY_AFTER).is_none());
    }
    let (status, headers, body) = sim.get(0, "auditLogs/signIns?$top=5").await;
    assert_throttled(status, &body);
    let seconds = retry_after(&headers).expect("a Retry-After on the reports' 429");
    assert!(seconds > 0.0 && seconds <= 10.0, "Retry-After: {seconds}");
    assert_eq!(
        headers[RETRY_AFTER].to_str().unwrap(),
        format!("{}", seconds as u64),
        "whole seconds"
    );
    let (status, _, body) = sim.get(0, "auditLogs/directoryAudits").await;
    assert_throttled(status, &body);
    // The other tenant and the configuration endpoints are not held back.
    sim.ok(1, "auditLogs/signIns?$top=5").await;
    sim.ok(0, "deviceManagement/deviceCompliancePolicies?$top=1")
        .await;
    sim.ok(0, "policies/authenticationMethodsPolicy").await;
}

#[actix_web::test]
async fn intune_is_a_thousand_requests_per_twenty_seconds() {
    let sim = start(small_world(), limited()).await;
    let paths = [
        "deviceManagement/deviceConfigurations?$top=1",
        "deviceManagement/deviceCompliancePolicies?$top=1",
    ];
    let mut refused_at = None;
    for n in 0..1001 {
        let (status, headers, body) = sim.get(0, paths[n % 2]).await;
        if status != StatusCode::OK {
            assert_throttled(status, &body);
            let seconds = retry_after(&headers).expect("Intune's 429 has a Retry-After");
            assert!(seconds > 0.0 && seconds <= 20.0, "Retry-After: {seconds}");
            refused_at = Some(n);
            break;
        }
    }
    assert_eq!(refused_at, Some(1000), "the 1001st request is refused");
    sim.ok(1, paths[0]).await;
}

#[actix_web::test]
async fn nothing_is_throttled_with_the_service_limits_off() {
    let sim = start(small_world(), SimOptions::default()).await;
    for _ in 0..4 {
        sim.ok(0, CA_POLICIES).await;
        sim.ok(0, NAMED_LOCATIONS).await;
    }
    for _ in 0..12 {
        sim.ok(0, "auditLogs/signIns?$top=2").await;
        sim.ok(0, "auditLogs/directoryAudits?$top=2").await;
    }
}

#[actix_web::test]
async fn sign_ins_need_a_premium_tenant_and_audits_do_not() {
    let sim = start(
        WorldConfig {
            tenants: 3,
            free_tenants: 1,
            ..small_world()
        },
        SimOptions::default(),
    )
    .await;
    let premium: Vec<&Value> = sim.tenants.iter().map(|t| &t["premium"]).collect();
    assert_eq!(premium, [&json!(true), &json!(true), &json!(false)]);

    // The free tenant: a 403 with the documented code, whatever the query asks.
    for path in [
        "auditLogs/signIns",
        "auditLogs/signIns?$top=5&$filter=createdDateTime ge 2024-01-01T00:00:00Z",
        "auditLogs/signIns?$skiptoken=garbage",
    ] {
        let (status, _, body) = sim.get(2, path).await;
        assert_graph_error(status, &body, StatusCode::FORBIDDEN, NOT_PREMIUM);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("does not have a SKU"),
            "{body}"
        );
    }
    // Directory audits and the configuration are served to it.
    sim.ok(2, "auditLogs/directoryAudits").await;
    sim.ok(2, CA_POLICIES).await;
    assert_eq!(
        sim.ok(0, "auditLogs/signIns?$top=3").await["value"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Licences come and go.
    sim.set_premium(2, true).await;
    sim.ok(2, "auditLogs/signIns?$top=3").await;
    sim.set_premium(0, false).await;
    let (status, _, body) = sim.get(0, "auditLogs/signIns?$top=3").await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, NOT_PREMIUM);
    let listed: Vec<Value> = common::tenants(&sim.client, &sim.base)
        .await
        .iter()
        .map(|t| t["premium"].clone())
        .collect();
    assert_eq!(listed, [json!(false), json!(true), json!(true)]);

    // A nextLink taken while licensed stops working when the licence goes.
    let page = sim.ok(1, "auditLogs/signIns?$top=3").await;
    sim.set_premium(1, false).await;
    let (status, _, body) = sim
        .get_url(1, page["@odata.nextLink"].as_str().unwrap())
        .await;
    assert_graph_error(status, &body, StatusCode::FORBIDDEN, NOT_PREMIUM);

    // The control endpoint checks what it is given.
    let (status, _) = sim
        .post_control(
            "tenants/00000000-0000-0000-0000-000000000000/licence",
            json!({"premium": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let licence = format!("tenants/{}/licence", sim.tenant_id(0));
    for bad in [
        json!({}),
        json!({"premium": "yes"}),
        json!({"premium": true, "sku": "P2"}),
    ] {
        let (status, _) = sim.post_control(&licence, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// Writes directory-audit records of the past straight into a tenant's trail.
fn backdate_audits(sim: &Sim, tenant: usize, days_ago: &[i64]) -> Vec<String> {
    let tenant_id = sim.tenant_id(tenant);
    let now = Utc::now();
    let mut world = sim.state.world.lock().unwrap();
    let trail = &mut world.tenant_mut(&tenant_id).unwrap().directory_audits;
    days_ago
        .iter()
        .map(|&days| {
            let at = now - Duration::days(days);
            let id = format!("Backdated_{tenant}_{days}");
            trail.push(AuditRecord {
                visible_at: at,
                at,
                body: json!({
                    "id": id,
                    "category": "Policy",
                    "correlationId": "00000000-0000-4000-8000-000000000000",
                    "result": "success",
                    "resultReason": "",
                    "activityDisplayName": "Update conditional access policy",
                    "activityDateTime": rfc3339(at),
                    "loggedByService": "Conditional Access",
                    "operationType": "Update",
                    "initiatedBy": {"app": null, "user": {"id": "u", "displayName": "Backdater", "userPrincipalName": "backdater@example.test"}},
                    "targetResources": [],
                    "additionalDetails": []
                }),
            });
            id
        })
        .collect()
}

#[actix_web::test]
async fn logs_are_kept_thirty_days_with_premium_and_seven_without() {
    let world = WorldConfig {
        tenants: 2,
        free_tenants: 1,
        signins_per_minute: 1,
        signin_backfill_hours: 40 * 24,
        ..small_world()
    };
    let sim = start(
        world.clone(),
        SimOptions {
            log_retention: true,
            ..SimOptions::default()
        },
    )
    .await;
    let now = Utc::now();

    // Sign-ins: nothing older than 30 days, everything younger.
    let too_old = format!(
        "auditLogs/signIns?$filter=createdDateTime le {}",
        rfc3339(now - Duration::days(30) - Duration::minutes(1))
    );
    assert!(sim.all(0, &too_old).await.is_empty());
    let edge = sim
        .all(
            0,
            &format!(
                "auditLogs/signIns?$filter=createdDateTime le {}",
                rfc3339(now - Duration::days(30) + Duration::hours(1))
            ),
        )
        .await;
    assert!((58..=61).contains(&edge.len()), "{}", edge.len());
    let oldest = parse_time(&edge.last().unwrap()["createdDateTime"]);
    assert!(oldest >= now - Duration::days(30) - Duration::seconds(1));
    let counted = sim.ok(0, "auditLogs/signIns?$count=true&$top=1").await;
    let total = counted["@odata.count"].as_u64().unwrap();
    assert!(
        (30 * 24 * 60 - 60..=30 * 24 * 60 + 1).contains(&total),
        "{total}"
    );

    // Directory audits: 30 days for the premium tenant, 7 for the free one.
    for tenant in [0, 1] {
        backdate_audits(&sim, tenant, &[3, 10, 40]);
    }
    let backdated = |items: Vec<Value>| -> BTreeSet<String> {
        ids(&items)
            .into_iter()
            .filter(|id| id.starts_with("Backdated"))
            .collect()
    };
    assert_eq!(
        backdated(sim.all(0, "auditLogs/directoryAudits").await),
        BTreeSet::from(["Backdated_0_3".to_owned(), "Backdated_0_10".to_owned()])
    );
    assert_eq!(
        backdated(sim.all(1, "auditLogs/directoryAudits").await),
        BTreeSet::from(["Backdated_1_3".to_owned()])
    );
    let (status, _, body) = sim.get(1, "auditLogs/directoryAudits/Backdated_1_10").await;
    assert_graph_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
    );
    sim.ok(0, "auditLogs/directoryAudits/Backdated_0_10").await;
    let (status, _, _) = sim.get(0, "auditLogs/directoryAudits/Backdated_0_40").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A licence bought brings the 30 days back.
    sim.set_premium(1, true).await;
    assert_eq!(
        backdated(sim.all(1, "auditLogs/directoryAudits").await),
        BTreeSet::from(["Backdated_1_3".to_owned(), "Backdated_1_10".to_owned()])
    );

    // With retention off, the whole history stays.
    let unlimited = start(world, SimOptions::default()).await;
    assert!(!unlimited.all(0, &too_old).await.is_empty());
    backdate_audits(&unlimited, 1, &[10, 40]);
    assert_eq!(
        backdated(unlimited.all(1, "auditLogs/directoryAudits").await).len(),
        2
    );
}

#[actix_web::test]
async fn some_sign_ins_repeat_an_id_and_only_dedupe_by_id_counts_them_once() {
    let sim = start(small_world(), SimOptions::default()).await;
    let tenant_id = sim.tenant_id(0);
    let (stream, users) = {
        let world = sim.state.world.lock().unwrap();
        let tenant = world.tenant(&tenant_id).unwrap();
        (tenant.signins.clone(), tenant.users.clone())
    };
    // About one event in 50 repeats the one before.
    let newest = stream.last_index_at(Utc::now()).unwrap();
    let sample = newest.saturating_sub(100_000)..newest;
    let repeats = sample.clone().filter(|&i| stream.is_repeat(i)).count();
    let share = repeats as f64 / (sample.end - sample.start) as f64;
    assert!((1.0 / 60.0..=1.0 / 42.0).contains(&share), "{share}");

    // A settled window of 20 minutes, an hour ago: 1 200 events, every one visible.
    let from = DateTime::from_timestamp(Utc::now().timestamp() - 3600, 0).unwrap();
    let to = from + Duration::minutes(20);
    let window: Vec<u64> = (stream.first_index_from(from - Duration::seconds(1))
        ..=stream.last_index_at(to + Duration::seconds(1)).unwrap())
        .filter(|&i| {
            let t = shown(stream.created_at(i));
            t >= from && t <= to
        })
        .collect();
    assert!(window.len() >= 1000, "{}", window.len());
    let items = sim
        .all(
            0,
            &format!(
                "auditLogs/signIns?$top=999&$filter=createdDateTime ge {} and createdDateTime le {}",
                rfc3339(from),
                rfc3339(to)
            ),
        )
        .await;
    assert_eq!(items.len(), window.len(), "every event, repeats included");
    let expected: Vec<String> = window
        .iter()
        .rev()
        .map(|&i| stream.event(i, &users)["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids(&items), expected);

    // A repeat inside the window shares its id with the event before it (also inside).
    let repeats: Vec<u64> = window
        .iter()
        .copied()
        .filter(|&i| i > window[0] && stream.is_repeat(i))
        .collect();
    assert!(!repeats.is_empty(), "no repeated sign-in in the window");
    let distinct: BTreeSet<String> = ids(&items).into_iter().collect();
    assert!(distinct.len() < items.len(), "a client must dedupe by id");
    assert_eq!(distinct.len(), items.len() - repeats.len());

    // The repeat is the same sign-in: same id, user and app, a createdDateTime of its own.
    let by_time = |i: u64| {
        let created = rfc3339(shown(stream.created_at(i)));
        items
            .iter()
            .find(|item| item["createdDateTime"] == created.as_str())
            .unwrap_or_else(|| panic!("event {i} at {created} not returned"))
            .clone()
    };
    for &i in &repeats {
        let (repeat, original) = (by_time(i), by_time(i - 1));
        for field in [
            "id",
            "userId",
            "userPrincipalName",
            "appId",
            "appDisplayName",
        ] {
            assert_eq!(repeat[field], original[field], "{field} of event {i}");
        }
        assert!(parse_time(&repeat["createdDateTime"]) > parse_time(&original["createdDateTime"]));
        assert!(stream.visible_at(i) >= stream.visible_at(i - 1));
    }
}
