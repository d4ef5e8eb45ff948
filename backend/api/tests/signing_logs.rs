//! Entra sign-in events: idempotent ingestion by the worker's write function, and the read-only
//! API that lists, filters, pages and shows them per tenant.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Reply, TestApp};
use drift_core::signins::NewSigningLog;
use drift_core::{Json, UtcTime};
use serde_json::{json, Value};

/// A fixed instant `minutes` after the test epoch (with a microsecond part, so that every
/// instant is written with six fractional digits).
fn at(minutes: i64) -> UtcTime {
    let epoch: DateTime<Utc> = "2026-03-01T08:00:00.654321Z".parse().unwrap();
    UtcTime::new(epoch + Duration::minutes(minutes))
}

fn ts(minutes: i64) -> String {
    at(minutes).to_string()
}

fn logs_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/signing-logs")
}

/// A sign-in event as Graph would describe it.
struct Event<'a> {
    log_id: &'a str,
    minutes: i64,
    actor: Option<&'a str>,
    application: Option<&'a str>,
    status: &'a str,
    client_ip: Option<&'a str>,
    country: Option<&'a str>,
}

impl Event<'_> {
    /// The error code the status stands for (0 for a success).
    fn error_code(&self) -> i32 {
        self.status
            .strip_prefix("failure:")
            .map_or(0, |code| code.parse().unwrap())
    }

    fn log_data(&self) -> Value {
        json!({
            "id": self.log_id,
            "createdDateTime": ts(self.minutes),
            "userPrincipalName": self.actor,
            "appDisplayName": self.application,
            "ipAddress": self.client_ip,
            "status": {"errorCode": self.error_code(), "failureReason": null},
            "location": {"city": "Zürich", "countryOrRegion": self.country, "geoCoordinates": {"latitude": 47.3769, "longitude": 8.5417}},
            "conditionalAccessPolicies": [{"id": "ca-1", "result": "success"}],
        })
    }

    fn new_log(&self, tenant: i64) -> NewSigningLog {
        NewSigningLog {
            tenant_id: tenant,
            log_id: self.log_id.into(),
            timestamp: at(self.minutes),
            actor: self.actor.map(str::to_owned),
            action: self.application.map(str::to_owned),
            resource: Some("Microsoft Graph".into()),
            status: self.status.into(),
            client_ip: self.client_ip.map(str::to_owned),
            log_data: Json(self.log_data()),
            ingested_at: at(1000),
            country: self.country.map(str::to_owned),
            error_code: Some(self.error_code()),
        }
    }
}

fn event(log_id: &str, minutes: i64) -> Event<'_> {
    Event {
        log_id,
        minutes,
        actor: Some("adele@contoso.com"),
        application: Some("Azure Portal"),
        status: "success",
        client_ip: Some("192.0.2.10"),
        country: Some("CH"),
    }
}

fn insert(app: &TestApp, logs: &[NewSigningLog]) -> usize {
    let mut conn = app.db.conn();
    drift_core::signins::insert_batch(&mut conn, logs).expect("insert sign-in events")
}

fn log_ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["log_id"].as_str().expect("a log_id").to_owned())
        .collect()
}

async fn listed(app: &TestApp, path: &str) -> Vec<String> {
    let page = app.get(path).await.expect(200);
    assert!(page.get("next_cursor").is_none(), "one page: {page}");
    log_ids(&page["items"])
}

/// A tenant's sign-ins with varied actors, applications, statuses and addresses, recorded in
/// log_id order at the given minutes.
fn seed_varied(app: &TestApp, tenant: i64) {
    let events = [
        Event {
            log_id: "e1",
            minutes: 0,
            actor: Some("Adele@Contoso.com"),
            application: Some("Azure Portal"),
            status: "success",
            client_ip: Some("192.0.2.10"),
            country: Some("CH"),
        },
        Event {
            log_id: "e2",
            minutes: 1,
            actor: Some("megan@contoso.com"),
            application: Some("Microsoft Teams"),
            status: "failure:50126",
            client_ip: Some("198.51.100.7"),
            country: Some("US"),
        },
        Event {
            log_id: "e3",
            minutes: 2,
            actor: Some("adele@contoso.com"),
            application: Some("azure portal"),
            status: "failure:50053",
            client_ip: Some("2001:db8::1"),
            country: Some("DE"),
        },
        Event {
            log_id: "e4",
            minutes: 3,
            actor: Some("ZOË@contoso.com"),
            application: Some("Office 365 Exchange Online"),
            status: "success",
            client_ip: Some("192.0.2.10"),
            country: Some("CH"),
        },
        Event {
            log_id: "e5",
            minutes: 4,
            actor: Some("svc-backup@contoso.com"),
            application: Some("Backup Agent"),
            status: "failure:50126",
            client_ip: None,
            country: None,
        },
        Event {
            log_id: "e6",
            minutes: 5,
            actor: Some("megan@contoso.com"),
            application: Some("AZURE PORTAL"),
            status: "success",
            client_ip: Some("198.51.100.7"),
            country: Some("US"),
        },
    ];
    let logs: Vec<NewSigningLog> = events.iter().map(|e| e.new_log(tenant)).collect();
    assert_eq!(insert(app, &logs), 6);
}

on_both_backends! {
    async fn insert_batch_stores_each_log_id_once_per_tenant(app: TestApp) {
        let a = app.tenant("Contoso", 1).await;
        let b = app.tenant("Fabrikam", 2).await;
        let first = [event("e1", 0).new_log(a), event("e2", 1).new_log(a)];
        assert_eq!(insert(&app, &first), 2);
        assert_eq!(insert(&app, &first), 0, "the same events again are skipped");
        assert_eq!(insert(&app, &[]), 0);

        // An overlapping poll: one old event, one new.
        assert_eq!(insert(&app, &[event("e2", 1).new_log(a), event("e3", 2).new_log(a)]), 1);

        // A stored event is kept as first stored, even if it comes back different.
        let mut changed = event("e1", 0);
        changed.status = "failure:50126";
        assert_eq!(insert(&app, &[changed.new_log(a)]), 0);

        // The same log_id in another tenant is another event.
        assert_eq!(insert(&app, &[event("e1", 0).new_log(b)]), 1);

        assert_eq!(listed(&app, &logs_path(a)).await, ["e3", "e2", "e1"]);
        assert_eq!(listed(&app, &logs_path(b)).await, ["e1"]);
        let page = app.get(&format!("{}?status=success", logs_path(a))).await.expect(200);
        assert_eq!(log_ids(&page["items"]), ["e3", "e2", "e1"], "e1 kept its first status");
    }

    async fn insert_batch_stores_a_log_id_repeated_within_one_batch_once(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let batch = [event("e1", 0).new_log(tenant), event("e2", 1).new_log(tenant), event("e1", 0).new_log(tenant)];
        assert_eq!(insert(&app, &batch), 2);
        assert_eq!(listed(&app, &logs_path(tenant)).await, ["e2", "e1"]);
    }

    async fn lists_summaries_newest_first_and_gets_one_with_its_document(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let older = Event { log_id: "3f1c2b9e-older", minutes: 0, actor: Some("adele@contoso.com"), application: Some("Azure Portal"), status: "success", client_ip: Some("192.0.2.10"), country: Some("CH") };
        let newer = Event {
            log_id: "8a7d6c5b-newer",
            minutes: 30,
            actor: Some("megan@contoso.com"),
            application: Some("Microsoft Teams"),
            status: "failure:50126",
            client_ip: None,
            country: Some("CH"),
        };
        assert_eq!(insert(&app, &[older.new_log(tenant), newer.new_log(tenant)]), 2);

        let page = app.get(&logs_path(tenant)).await.expect(200);
        let items = page["items"].as_array().unwrap();
        assert_eq!(log_ids(&page["items"]), ["8a7d6c5b-newer", "3f1c2b9e-older"]);
        assert!(page.get("next_cursor").is_none());
        let older_id = items[1]["id"].as_i64().unwrap();
        let newer_id = items[0]["id"].as_i64().unwrap();
        assert_eq!(
            items[1],
            json!({
                "id": older_id,
                "tenant_id": tenant,
                "log_id": "3f1c2b9e-older",
                "timestamp": ts(0),
                "actor": "adele@contoso.com",
                "action": "Azure Portal",
                "resource": "Microsoft Graph",
                "status": "success",
                "client_ip": "192.0.2.10",
                "ingested_at": ts(1000),
                "country": "CH",
                "error_code": 0,
            }),
            "a summary has no log_data"
        );
        assert_eq!(items[0]["client_ip"], Value::Null);

        let mut full = items[1].clone();
        full["log_data"] = older.log_data();
        assert_eq!(app.get(&format!("{}/{older_id}", logs_path(tenant))).await.expect(200), full);
        let got = app.get(&format!("{}/{newer_id}", logs_path(tenant))).await.expect(200);
        assert_eq!(got["log_data"], newer.log_data());
        assert_eq!(got["log_data"]["location"]["city"], "Zürich");

        app.get(&format!("{}/999999", logs_path(tenant))).await.expect_problem(404, "not-found");
        app.get(&format!("{}/0", logs_path(tenant))).await.expect_problem(400, "bad-request");
        app.get("/api/v1/tenants/999999/signing-logs").await.expect_problem(404, "not-found");
    }

    async fn since_is_inclusive_and_until_exclusive(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        seed_varied(&app, tenant);
        let path = logs_path(tenant);
        assert_eq!(listed(&app, &format!("{path}?since={}", ts(3))).await, ["e6", "e5", "e4"]);
        assert_eq!(listed(&app, &format!("{path}?until={}", ts(2))).await, ["e2", "e1"]);
        assert_eq!(listed(&app, &format!("{path}?since={}&until={}", ts(1), ts(4))).await, ["e4", "e3", "e2"]);
        assert_eq!(listed(&app, &format!("{path}?since=2026-03-01T08:02:00Z&until=2026-03-01T08:03:00Z")).await, ["e3"]);
        assert_eq!(
            listed(&app, &format!("{path}?since=2026-03-01T10%3A02%3A00%2B02%3A00&until=2026-03-01T08%3A03%3A00Z")).await,
            ["e3"],
            "an offset is honoured"
        );
        for (since, until) in [(ts(2), ts(2)), (ts(3), ts(2))] {
            let problem = app
                .get(&format!("{path}?since={since}&until={until}"))
                .await
                .expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["since"]);
        }
        let problem = app.get(&format!("{path}?since=last-week")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["since"]);
    }

    async fn filters_by_actor_status_address_and_application(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        seed_varied(&app, tenant);
        let path = logs_path(tenant);
        let q = |query: &str| format!("{path}?{query}");

        assert_eq!(listed(&app, &q("actor=ADELE@contoso.COM")).await, ["e3", "e1"], "any case");
        assert_eq!(listed(&app, &q("actor=megan@contoso.com")).await, ["e6", "e2"]);
        assert_eq!(listed(&app, &q("actor=zo%C3%AB@contoso.com")).await, ["e4"], "non-ASCII letters are folded too");
        assert_eq!(listed(&app, &q("actor=adele")).await, Vec::<String>::new(), "the actor is matched exactly");

        assert_eq!(listed(&app, &q("status=success")).await, ["e6", "e4", "e1"]);
        assert_eq!(listed(&app, &q("status=failure")).await, ["e5", "e3", "e2"], "any failure");
        assert_eq!(listed(&app, &q("status=failure:50126")).await, ["e5", "e2"]);
        assert_eq!(listed(&app, &q("status=failure%3A50053")).await, ["e3"]);
        assert_eq!(listed(&app, &q("status=failure:7")).await, Vec::<String>::new());
        for bad in ["failed", "successful", "error:50126"] {
            let problem = app.get(&q(&format!("status={bad}"))).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["status"], "status={bad}");
            assert_eq!(problem["errors"][0]["code"], "unknown_status");
        }

        assert_eq!(listed(&app, &q("client_ip=192.0.2.10")).await, ["e4", "e1"]);
        assert_eq!(listed(&app, &q("client_ip=2001%3Adb8%3A%3A1")).await, ["e3"]);
        assert_eq!(listed(&app, &q("client_ip=192.0.2.1")).await, Vec::<String>::new(), "the address is matched exactly");

        assert_eq!(listed(&app, &q("application=azure%20PORTAL")).await, ["e6", "e3", "e1"], "any case");
        assert_eq!(listed(&app, &q("application=Microsoft%20Teams")).await, ["e2"]);
        assert_eq!(listed(&app, &q("application=Azure")).await, Vec::<String>::new(), "the application is matched exactly");

        assert_eq!(listed(&app, &q("actor=megan@contoso.com&status=failure")).await, ["e2"], "filters combine");
        assert_eq!(listed(&app, &q(&format!("application=azure%20portal&since={}", ts(1)))).await, ["e6", "e3"]);

        let problem = app.get(&q("user=adele@contoso.com")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["user"]);
        assert_eq!(problem["errors"][0]["code"], "unknown_parameter");
        let problem = app.get(&q("sort=actor")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["sort"]);
    }

    async fn pages_through_many_events_once_each_with_ties_broken_by_id(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        // 25 events, stored one by one in a shuffled order, five sharing each minute.
        let minutes_of = |n: usize| (n as i64 * 7 % 25) / 5;
        let order: Vec<usize> = (0..25).map(|k| (k * 11) % 25).collect();
        let mut stored: Vec<(i64, usize, String)> = Vec::new();
        for (position, n) in order.iter().enumerate() {
            let log_id = format!("ev-{n:02}");
            assert_eq!(insert(&app, &[event(&log_id, minutes_of(*n)).new_log(tenant)]), 1);
            stored.push((minutes_of(*n), position, log_id));
        }
        // Newest first; among equal timestamps the later-stored (higher id) first.
        let mut expected = stored.clone();
        expected.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
        let expected: Vec<String> = expected.into_iter().map(|(_, _, id)| id).collect();

        let path = logs_path(tenant);
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut sizes = Vec::new();
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}?limit=10&cursor={c}"),
                None => format!("{path}?limit=10"),
            };
            let page = app.get(&url).await.expect(200);
            let ids = log_ids(&page["items"]);
            sizes.push(ids.len());
            seen.extend(ids);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(sizes, [10, 10, 5]);
        assert_eq!(seen, expected);

        // The numeric ids agree: timestamps descending, then ids descending.
        let all = app.collect_all(&path, 7).await;
        let keys: Vec<(String, i64)> = all
            .iter()
            .map(|e| (e["timestamp"].as_str().unwrap().to_owned(), e["id"].as_i64().unwrap()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(keys, sorted);
        assert_eq!(log_ids(&json!(all)), expected);

        let mut oldest_first = expected.clone();
        oldest_first.reverse();
        assert_eq!(log_ids(&json!(app.collect_all(&format!("{path}?sort=timestamp"), 4).await)), oldest_first);
        assert_eq!(
            log_ids(&json!(app.collect_all(&format!("{path}?status=success&since={}", ts(2)), 3).await)),
            expected.iter().filter(|id| {
                let n: usize = id[3..].parse().unwrap();
                minutes_of(n) >= 2
            }).cloned().collect::<Vec<_>>(),
            "filters hold on every page"
        );

        let cursor = app.get(&format!("{path}?limit=10")).await.expect(200)["next_cursor"].as_str().unwrap().to_owned();
        app.get(&format!("{path}?sort=timestamp&cursor={cursor}")).await.expect_problem(400, "invalid-cursor");
        app.get(&format!("{path}?cursor=AAAA")).await.expect_problem(400, "invalid-cursor");
        for limit in [0, 501] {
            let problem = app.get(&format!("{path}?limit={limit}")).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["limit"]);
        }
    }

    async fn sign_ins_of_one_tenant_are_invisible_to_another(app: TestApp) {
        let a = app.tenant("Contoso", 1).await;
        let b = app.tenant("Fabrikam", 2).await;
        // The same event ids exist in both tenants.
        assert_eq!(insert(&app, &[event("shared-1", 0).new_log(a), event("shared-2", 1).new_log(a), event("only-a", 2).new_log(a)]), 3);
        assert_eq!(insert(&app, &[event("shared-1", 0).new_log(b), event("shared-2", 1).new_log(b)]), 2);

        let a_items = app.get(&logs_path(a)).await.expect(200)["items"].clone();
        let b_items = app.get(&logs_path(b)).await.expect(200)["items"].clone();
        assert_eq!(log_ids(&a_items), ["only-a", "shared-2", "shared-1"]);
        assert_eq!(log_ids(&b_items), ["shared-2", "shared-1"]);
        for item in b_items.as_array().unwrap() {
            assert_eq!(item["tenant_id"], b);
        }
        for item in a_items.as_array().unwrap() {
            let id = item["id"].as_i64().unwrap();
            app.get(&format!("{}/{id}", logs_path(b))).await.expect_problem(404, "not-found");
            assert_eq!(app.get(&format!("{}/{id}", logs_path(a))).await.expect(200)["tenant_id"], a);
        }
        assert_eq!(listed(&app, &format!("{}?actor=adele@contoso.com&status=success", logs_path(b))).await, ["shared-2", "shared-1"]);
        assert_eq!(listed(&app, &format!("{}?since={}", logs_path(b), ts(2))).await, Vec::<String>::new());
    }
}

on_both_backends! {
    async fn a_sign_in_without_actor_or_application_is_stored_and_listed(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let anonymous = Event {
            log_id: "anonymous",
            minutes: 1,
            actor: None,
            application: None,
            status: "failure:50034",
            client_ip: None,
            country: Some("CH"),
        };
        assert_eq!(insert(&app, &[event("known", 0).new_log(tenant), anonymous.new_log(tenant)]), 2);

        let page = app.get(&logs_path(tenant)).await.expect(200);
        assert_eq!(log_ids(&page["items"]), ["anonymous", "known"]);
        let item = &page["items"][0];
        assert_eq!((&item["actor"], &item["action"], &item["client_ip"]), (&Value::Null, &Value::Null, &Value::Null));
        let id = item["id"].as_i64().unwrap();
        let got = app.get(&format!("{}/{id}", logs_path(tenant))).await.expect(200);
        assert_eq!(got["log_data"], anonymous.log_data());

        let path = logs_path(tenant);
        assert_eq!(listed(&app, &format!("{path}?actor=adele@contoso.com")).await, ["known"], "no actor matches no actor filter");
        assert_eq!(listed(&app, &format!("{path}?application=azure%20portal")).await, ["known"]);
        assert_eq!(listed(&app, &format!("{path}?status=failure")).await, ["anonymous"]);
        assert_eq!(listed(&app, &format!("{path}?client_ip=192.0.2.10")).await, ["known"]);
    }
}

fn summary_path(tenant: i64, query: &str) -> String {
    format!("/api/v1/tenants/{tenant}/signing-logs/summary?{query}")
}

/// The window of `seed_varied` and the hours around it: 06:00 to 12:00 on the test day.
const MORNING: &str = "since=2026-03-01T06:00:00Z&until=2026-03-01T12:00:00Z";

/// `over_time` as (start, successes, failures).
fn buckets(summary: &Value) -> Vec<(String, i64, i64)> {
    summary["over_time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["start"].as_str().unwrap().to_owned(),
                b["successes"].as_i64().unwrap(),
                b["failures"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn summary(app: &TestApp, tenant: i64, query: String) -> Value {
    app.get(&summary_path(tenant, &query)).await.expect(200)
}

fn hour(h: u32) -> String {
    format!("2026-03-01T{h:02}:00:00.000000Z")
}

on_both_backends! {
    async fn lists_filter_by_country_and_error_code(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        seed_varied(&app, tenant);
        let q = |query: &str| format!("{}?{query}", logs_path(tenant));
        assert_eq!(listed(&app, &q("country=US")).await, ["e6", "e2"]);
        assert_eq!(listed(&app, &q("country=ch")).await, ["e4", "e1"], "any case");
        assert_eq!(listed(&app, &q("error_code=50126")).await, ["e5", "e2"]);
        assert_eq!(listed(&app, &q("error_code=0")).await, ["e6", "e4", "e1"], "0 is a success");
        assert_eq!(listed(&app, &q("country=US&error_code=0")).await, ["e6"]);
        let problem = app.get(&q("error_code=invalid")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["error_code"]);

        let page = app.get(&q("country=DE")).await.expect(200);
        assert_eq!((&page["items"][0]["country"], &page["items"][0]["error_code"]), (&json!("DE"), &json!(50053)));
    }

    async fn the_summary_counts_every_hour_of_the_window_and_ranks_dimensions(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        seed_varied(&app, tenant);
        // Two more in the 10:00 hour, and one outside the window.
        let late = Event { log_id: "late", minutes: 125, actor: Some("adele@contoso.com"), application: Some("Azure Portal"), status: "failure:50126", client_ip: None, country: Some("CH") };
        let later = event("later", 150);
        let outside = event("outside", 60 * 5);
        assert_eq!(insert(&app, &[late.new_log(tenant), later.new_log(tenant), outside.new_log(tenant)]), 3);

        let summary = app.get(&summary_path(tenant, MORNING)).await.expect(200);
        assert_eq!(summary["bucket"], "hour", "a window of 6 hours is counted by the hour");
        assert_eq!(summary["since"], "2026-03-01T06:00:00.000000Z");
        assert_eq!(summary["until"], "2026-03-01T12:00:00.000000Z");
        assert_eq!((summary["total"].as_i64(), summary["successes"].as_i64(), summary["failures"].as_i64()), (Some(8), Some(4), Some(4)));
        assert_eq!(
            buckets(&summary),
            [(hour(6), 0, 0), (hour(7), 0, 0), (hour(8), 3, 3), (hour(9), 0, 0), (hour(10), 1, 1), (hour(11), 0, 0)]
        );
        assert_eq!(
            summary["failures_by_error_code"],
            json!({"top": [{"error_code": 50126, "count": 3}, {"error_code": 50053, "count": 1}], "other": 0})
        );
        assert_eq!(
            summary["by_country"],
            json!({"top": [{"country": "CH", "count": 4}, {"country": "US", "count": 2}, {"country": "DE", "count": 1}], "other": 1}),
            "the event without a country is counted as other"
        );
        assert_eq!(summary["by_application"]["top"][0], json!({"application": "Azure Portal", "count": 3}));
        let applications: i64 = summary["by_application"]["top"].as_array().unwrap().iter().map(|a| a["count"].as_i64().unwrap()).sum();
        assert_eq!(applications + summary["by_application"]["other"].as_i64().unwrap(), 8);

        // By day, the same events fall in one bucket.
        let daily = app.get(&summary_path(tenant, &format!("{MORNING}&bucket=day"))).await.expect(200);
        assert_eq!(buckets(&daily), [("2026-03-01T00:00:00.000000Z".to_owned(), 4, 4)]);
    }

    async fn the_summary_takes_the_filters_of_the_list(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        seed_varied(&app, tenant);
        let total = |summary: &Value| summary["total"].as_i64().unwrap();
        let get = |query: String| summary(&app, tenant, query);

        let failures = get(format!("{MORNING}&status=failure")).await;
        assert_eq!((total(&failures), failures["failures"].as_i64()), (3, Some(3)));
        assert_eq!(total(&get(format!("{MORNING}&status=failure:50053")).await), 1);
        assert_eq!(total(&get(format!("{MORNING}&status=success")).await), 3);
        let adele = get(format!("{MORNING}&actor=ADELE@contoso.com")).await;
        assert_eq!((total(&adele), adele["failures"].as_i64()), (2, Some(1)));
        assert_eq!(total(&get(format!("{MORNING}&application=azure%20portal")).await), 3);
        assert_eq!(total(&get(format!("{MORNING}&client_ip=198.51.100.7")).await), 2);
        let us = get(format!("{MORNING}&country=us")).await;
        assert_eq!(us["by_country"], json!({"top": [{"country": "US", "count": 2}], "other": 0}));
        let combined = get(format!("{MORNING}&country=US&status=failure")).await;
        assert_eq!(buckets(&combined)[2], (hour(8), 0, 1));

        let problem = app.get(&summary_path(tenant, &format!("{MORNING}&status=failed"))).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["status"]);
        let problem = app.get(&summary_path(tenant, &format!("{MORNING}&error=1"))).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["error"], "unknown parameters are refused");
        let problem = app.get(&summary_path(tenant, &format!("{MORNING}&bucket=week"))).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["bucket"]);
        let problem = app.get(&summary_path(tenant, "since=2026-03-01T06:00:00Z&until=2026-03-01T06:00:00Z")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["since"]);

        // Another tenant's summary does not count these.
        let other = app.tenant("Fabrikam", 2).await;
        assert_eq!(total(&app.get(&summary_path(other, MORNING)).await.expect(200)), 0);
    }

    async fn rankings_list_the_ten_largest_and_count_the_rest_as_other(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        // Country k (k = 1..=13) signs in k times; each country has its own application and
        // each failure its own error code.
        let mut logs = Vec::new();
        let names: Vec<(String, String)> = (1..=13).map(|k| (format!("C{k:02}"), format!("App {k:02}"))).collect();
        let mut n = 0;
        for (k, (country, application)) in names.iter().enumerate() {
            for _ in 0..=k {
                n += 1;
                let log_id = format!("r{n}");
                let status = format!("failure:{}", 50000 + k);
                let mut e = event(&log_id, n % 50);
                e.country = Some(country.as_str());
                e.application = Some(application.as_str());
                e.status = &status;
                logs.push(e.new_log(tenant));
            }
        }
        assert_eq!(insert(&app, &logs), 91);
        let summary = app.get(&summary_path(tenant, MORNING)).await.expect(200);
        assert_eq!(summary["total"], 91);
        let countries: Vec<(String, i64)> = summary["by_country"]["top"].as_array().unwrap().iter()
            .map(|c| (c["country"].as_str().unwrap().to_owned(), c["count"].as_i64().unwrap())).collect();
        let expected: Vec<(String, i64)> = (4..=13).rev().map(|k| (format!("C{k:02}"), k)).collect();
        assert_eq!(countries, expected);
        assert_eq!(summary["by_country"]["other"], 1 + 2 + 3);
        assert_eq!(summary["by_application"]["top"].as_array().unwrap().len(), 10);
        assert_eq!(summary["by_application"]["top"][0], json!({"application": "App 13", "count": 13}));
        assert_eq!(summary["by_application"]["other"], 6);
        assert_eq!(summary["failures_by_error_code"]["top"][9], json!({"error_code": 50003, "count": 4}));
        assert_eq!(summary["failures_by_error_code"]["other"], 6);
    }

    async fn the_summary_defaults_to_the_last_seven_days_by_day(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let now = chrono::Utc::now();
        let mut logs = Vec::new();
        for (log_id, hours_ago) in [("recent", 1), ("days-ago", 72), ("too-old", 24 * 8)] {
            let mut log = event(log_id, 0).new_log(tenant);
            log.timestamp = UtcTime::new(now - Duration::hours(hours_ago));
            logs.push(log);
        }
        insert(&app, &logs);
        let summary = app.get(&summary_path(tenant, "")).await.expect(200);
        assert_eq!(summary["bucket"], "day");
        assert_eq!(summary["total"], 2, "{summary}");
        let until: DateTime<Utc> = summary["until"].as_str().unwrap().parse().unwrap();
        let since: DateTime<Utc> = summary["since"].as_str().unwrap().parse().unwrap();
        assert_eq!(until - since, Duration::days(7));
        assert!((until - now).num_seconds().abs() < 60);
        // Seven days that do not start at midnight touch eight dates.
        let days = buckets(&summary);
        assert_eq!(days.len(), 8, "{days:?}");
        assert_eq!(days[0].0, format!("{}T00:00:00.000000Z", since.date_naive()));
        assert_eq!(days.iter().map(|d| d.1).sum::<i64>(), 2);

        // Up to two days are counted by the hour.
        let two_days = format!("since={}&until={}", ts(0), ts(48 * 60));
        let hourly = app.get(&summary_path(tenant, &two_days)).await.expect(200);
        assert_eq!(hourly["bucket"], "hour");
        assert_eq!(hourly["over_time"].as_array().unwrap().len(), 49, "the first and last hours are partial");
    }

    async fn a_window_of_more_than_2000_buckets_is_refused(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let window = |hours: i64, bucket: &str| {
            let until = UtcTime::new(start + Duration::hours(hours));
            format!("since={}&until={until}&bucket={bucket}", UtcTime::new(start))
        };
        let most = app.get(&summary_path(tenant, &window(2000, "hour"))).await.expect(200);
        assert_eq!(most["over_time"].as_array().unwrap().len(), 2000);
        let problem = app.get(&summary_path(tenant, &window(2001, "hour"))).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["bucket"]);
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("2001"), "{message}");
        // The same window by day is fine.
        let daily = app.get(&summary_path(tenant, &window(2001, "day"))).await.expect(200);
        assert_eq!(daily["over_time"].as_array().unwrap().len(), 84);
    }
}
