//! The notification outbox: each recorded change reaches each channel once, across failing
//! receivers, crashed workers and concurrent workers, on both databases.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use common::{HttpReceiver, Reply};
use drift_core::configurations::ObservedConfiguration;
use drift_core::history::NewHistoryEntry;
use drift_core::notifications::{self, DeliveryStatus};
use drift_core::pagination::PageRequest;
use drift_core::settings::SettingsInput;
use drift_core::tenants::{self, TenantInput};
use drift_core::types::{ChangeType, Severity, Source};
use drift_core::{outbox, Json, UtcTime};
use drift_notify::outbox::{drain, DrainReport};
use drift_notify::{Notifier, RetryPolicy};
use drift_testing::TestDb;
use serde_json::json;

fn now() -> UtcTime {
    UtcTime::new("2026-11-29T08:00:00Z".parse().unwrap())
}

fn notifier() -> Notifier {
    Notifier::new(drift_notify::http_client().unwrap(), None, Arc::new(now)).with_retry_policy(
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        },
    )
}

const LEASE: TimeDelta = TimeDelta::minutes(5);

/// A tenant whose settings hold `channels` (high severity and up, digests from 50 changes).
fn tenant_with(db: &TestDb, channels: serde_json::Value) -> i64 {
    let mut conn = db.conn();
    let tenant = tenants::create(
        &mut conn,
        &TenantInput {
            name: "Contoso".into(),
            azure_tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        },
        now(),
    )
    .unwrap()
    .id;
    let input: SettingsInput = serde_json::from_value(json!({"notification_settings": {
        "channels": channels, "min_severity": "high",
        "digest": {"enabled": true, "window_minutes": 15, "threshold": 50}
    }}))
    .unwrap();
    drift_core::settings::save(&mut conn, tenant, &input, now()).unwrap();
    tenant
}

/// Records `n` changes of the given severity, as a poll would; returns their ids.
fn record_changes(db: &TestDb, tenant: i64, severity: Severity, n: usize) -> Vec<i64> {
    let mut conn = db.conn();
    (0..n)
        .map(|i| {
            let resource_id = format!("policy-{severity:?}-{i}");
            let configuration = drift_core::configurations::insert(
                &mut conn,
                &ObservedConfiguration {
                    tenant_id: tenant,
                    source: Source::Entra,
                    resource_type: "microsoft.graph.conditionalAccessPolicy".into(),
                    resource_id: resource_id.clone(),
                    resource_name: format!("Policy {i}"),
                    config_data: Json(json!({"id": resource_id})),
                    content_hash: format!("hash-{resource_id}"),
                },
                now(),
            )
            .unwrap()
            .id;
            let entry = NewHistoryEntry {
                configuration_id: configuration,
                previous_config: None,
                new_config: Some(Json(json!({"id": resource_id}))),
                changed_at: now(),
                change_type: ChangeType::Created,
                changed_by: "adele@contoso.com".into(),
                changed_paths: vec![],
                severity: Some(severity),
            };
            drift_core::history::record(&mut conn, tenant, &entry).unwrap()
        })
        .collect()
}

/// The history ids each request to `path` announced.
fn announced(receiver: &HttpReceiver, path: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = receiver
        .requests_to(path)
        .iter()
        .flat_map(|r| {
            r.json()["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["history_id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    ids.sort_unstable();
    ids
}

fn hook(name: &str, receiver: &HttpReceiver, path: &str) -> serde_json::Value {
    json!({"name": name, "kind": "webhook", "url": receiver.url(path)})
}

#[tokio::test]
async fn a_failing_channel_gets_the_change_on_a_later_run_and_the_others_only_once() {
    for make_db in TestDb::each() {
        let db = make_db();
        // A accepts; B fails all three attempts of the first run, then accepts.
        let receiver = HttpReceiver::start(vec![
            Reply::status(200),
            Reply::status(503),
            Reply::status(503),
            Reply::status(503),
        ])
        .await;
        let tenant = tenant_with(
            &db,
            json!([hook("A", &receiver, "/a"), hook("B", &receiver, "/b")]),
        );
        let ids = record_changes(&db, tenant, Severity::High, 1);
        let notifier = notifier();

        let first = drain(&notifier, &db.pool(), tenant, "worker-1", LEASE)
            .await
            .unwrap();
        assert_eq!(
            first,
            DrainReport {
                claimed: 1,
                notified: 0,
                pending: 1,
                given_up: 0
            }
        );
        assert_eq!(
            (announced(&receiver, "/a"), receiver.requests_to("/b").len()),
            (ids.clone(), 3)
        );

        let second = drain(&notifier, &db.pool(), tenant, "worker-2", LEASE)
            .await
            .unwrap();
        assert_eq!(
            second,
            DrainReport {
                claimed: 1,
                notified: 1,
                pending: 0,
                given_up: 0
            }
        );
        assert_eq!(
            announced(&receiver, "/a"),
            ids,
            "A is not sent the change again"
        );
        assert_eq!(receiver.requests_to("/b").len(), 4);
        assert_eq!(
            receiver.requests_to("/b")[3].json()["changes"][0]["history_id"],
            ids[0]
        );

        let third = drain(&notifier, &db.pool(), tenant, "worker-1", LEASE)
            .await
            .unwrap();
        assert_eq!(third, DrainReport::default(), "nothing is pending any more");
        assert_eq!(receiver.requests().len(), 5);

        let log = notifications::list(&mut db.conn(), tenant, &PageRequest::default()).unwrap();
        let delivered: Vec<(String, Vec<i64>)> = log
            .items
            .iter()
            .filter(|d| d.status == DeliveryStatus::Delivered)
            .map(|d| (d.channel_name.clone(), d.history_ids.clone()))
            .collect();
        assert_eq!(
            delivered,
            [("B".to_owned(), ids.clone()), ("A".to_owned(), ids.clone())]
        );
    }
}

#[tokio::test]
async fn two_concurrent_drains_send_each_change_once() {
    for make_db in TestDb::each() {
        let db = make_db();
        let receiver = HttpReceiver::start(vec![]).await;
        let tenant = tenant_with(&db, json!([hook("SIEM", &receiver, "/siem")]));
        let ids = record_changes(&db, tenant, Severity::Critical, 6);
        let (n1, n2) = (notifier(), notifier());
        let (pool1, pool2) = (db.pool(), db.pool());
        let (a, b) = tokio::join!(
            drain(&n1, &pool1, tenant, "worker-1", LEASE),
            drain(&n2, &pool2, tenant, "worker-2", LEASE),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.claimed + b.claimed, 6, "{a:?} {b:?}");
        assert_eq!(a.notified + b.notified, 6);
        assert_eq!(
            announced(&receiver, "/siem"),
            ids,
            "each change once: {:?}",
            db.url()
        );
        let again = drain(&n1, &db.pool(), tenant, "worker-1", LEASE)
            .await
            .unwrap();
        assert_eq!(again.claimed, 0);
    }
}

#[tokio::test]
async fn a_crashed_workers_claim_is_taken_over_when_its_lease_ends() {
    for make_db in TestDb::each() {
        let db = make_db();
        let receiver = HttpReceiver::start(vec![]).await;
        let tenant = tenant_with(&db, json!([hook("SIEM", &receiver, "/siem")]));
        let ids = record_changes(&db, tenant, Severity::High, 2);
        let an_hour_ago = UtcTime::new(now().get() - TimeDelta::hours(1));
        let in_an_hour = UtcTime::new(now().get() + TimeDelta::hours(1));

        // A live claim of another worker is left alone.
        let held =
            outbox::claim(&mut db.conn(), tenant, "alive", an_hour_ago, in_an_hour, 1).unwrap();
        assert_eq!(held, ids[..1]);
        let run = drain(&notifier(), &db.pool(), tenant, "worker-1", LEASE)
            .await
            .unwrap();
        assert_eq!((run.claimed, run.notified), (1, 1));
        assert_eq!(announced(&receiver, "/siem"), ids[1..]);

        // Its lease ends (the worker crashed between claiming and sending): taken over.
        outbox::release(&mut db.conn(), &held, "alive").unwrap();
        let crashed = outbox::claim(
            &mut db.conn(),
            tenant,
            "crashed",
            an_hour_ago,
            an_hour_ago,
            10,
        )
        .unwrap();
        assert_eq!(crashed, ids[..1]);
        let run = drain(&notifier(), &db.pool(), tenant, "worker-1", LEASE)
            .await
            .unwrap();
        assert_eq!((run.claimed, run.notified), (1, 1));
        assert_eq!(announced(&receiver, "/siem"), ids);
    }
}

#[tokio::test]
async fn changes_no_channel_should_get_leave_the_outbox_unsent() {
    for make_db in TestDb::each() {
        let db = make_db();
        let receiver = HttpReceiver::start(vec![]).await;
        let mut disabled = hook("Off", &receiver, "/off");
        disabled["enabled"] = json!(false);
        let tenant = tenant_with(&db, json!([hook("SIEM", &receiver, "/siem"), disabled]));
        record_changes(&db, tenant, Severity::Low, 3);
        let run = drain(&notifier(), &db.pool(), tenant, "worker-1", LEASE)
            .await
            .unwrap();
        assert_eq!(
            run,
            DrainReport {
                claimed: 3,
                notified: 3,
                pending: 0,
                given_up: 0
            }
        );
        assert!(receiver.requests().is_empty());
        assert_eq!(
            outbox::tenants_with_pending(&mut db.conn()).unwrap(),
            Vec::<i64>::new()
        );
    }
}
