//! The notifier against real local receivers: an HTTP listener standing in for webhook, Teams
//! and Slack endpoints, and an SMTP sink; deliveries are checked in the delivery log of both
//! databases.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{HttpReceiver, Reply, SmtpSink};
use drift_core::notifications::{self, DeliveryStatus};
use drift_core::pagination::PageRequest;
use drift_core::settings::schema::{ChannelKind, NotificationChannel, NotificationSettings};
use drift_core::tenants::{self, TenantInput};
use drift_core::types::{ChangeType, Severity, Source};
use drift_core::UtcTime;
use drift_notify::{ChangeNotice, Notifier, RetryPolicy, SmtpSettings, TenantRef};
use drift_testing::TestDb;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "s3cret-signing-key-0123";

fn now() -> UtcTime {
    UtcTime::new("2026-11-29T08:00:00Z".parse().unwrap())
}

/// Retries fast enough for tests.
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
    }
}

fn notifier(smtp: Option<SmtpSettings>) -> Notifier {
    Notifier::new(drift_notify::http_client().unwrap(), smtp, Arc::new(now))
        .with_retry_policy(fast_retries())
}

fn tenant(db: &TestDb) -> TenantRef {
    let created = tenants::create(
        &mut db.conn(),
        &TenantInput {
            name: "Contoso".into(),
            azure_tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        },
        now(),
    )
    .unwrap();
    TenantRef {
        id: created.id,
        name: created.name,
    }
}

fn change(history_id: i64, severity: Severity) -> ChangeNotice {
    ChangeNotice {
        history_id,
        configuration_id: 100 + history_id,
        source: if history_id % 2 == 0 {
            Source::Entra
        } else {
            Source::Arm
        },
        resource_type: "microsoft.graph.conditionalAccessPolicy".into(),
        resource_name: format!("Policy {history_id}"),
        resource_id: format!("id-{history_id}"),
        change_type: ChangeType::Updated,
        severity,
        changed_by: "alice@contoso.com".into(),
        changed_at: UtcTime::new(now().get() - chrono::TimeDelta::minutes(history_id)),
        changed_paths: vec!["/state".into(), "/conditions/users".into()],
    }
}

fn channel(value: Value) -> NotificationChannel {
    serde_json::from_value(value).unwrap()
}

/// Settings with the given channels, `min_severity` high and digests from `threshold` changes.
fn settings(channels: Vec<NotificationChannel>, threshold: u32) -> NotificationSettings {
    serde_json::from_value(json!({
        "channels": serde_json::to_value(&channels).unwrap(),
        "min_severity": "high",
        "digest": {"enabled": true, "window_minutes": 15, "threshold": threshold}
    }))
    .map(|mut s: NotificationSettings| {
        // `secret` is write-only, so serialising dropped it: put the originals back.
        s.channels = channels;
        s
    })
    .unwrap()
}

fn hex_hmac(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_webhook_gets_a_signed_json_body_per_change() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let receiver = HttpReceiver::start(vec![]).await;
    let hook = channel(json!({
        "name": "SIEM", "kind": "webhook", "url": receiver.url("/hook"), "secret": SECRET
    }));
    let report = notifier(None)
        .notify(
            &db.pool(),
            &tenant,
            &settings(vec![hook], 10),
            &[change(1, Severity::Critical)],
        )
        .await;
    assert_eq!((report.delivered(), report.failed()), (1, 0));

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(request
        .header("user-agent")
        .unwrap()
        .starts_with("azure-drift-detector/"));
    let expected = format!("sha256={}", hex_hmac(SECRET, &request.body));
    assert_eq!(request.header("x-drift-signature"), Some(expected.as_str()));
    let body = request.json();
    assert_eq!(
        request.header("x-drift-delivery"),
        body["delivery_id"].as_str()
    );
    assert_eq!(
        request.header("x-drift-timestamp"),
        Some(now().get().timestamp().to_string().as_str())
    );
    assert_eq!(body["schema"], "drift.notification.v1");
    assert_eq!(body["kind"], "change");
    assert_eq!(body["sent_at"], "2026-11-29T08:00:00.000000Z");
    assert_eq!(body["tenant"], json!({"id": tenant.id, "name": "Contoso"}));
    assert_eq!(body["channel"], "SIEM");
    assert!(body.get("digest").is_none());
    assert_eq!(
        body["changes"],
        json!([{
            "history_id": 1,
            "configuration_id": 101,
            "source": "arm",
            "resource_type": "microsoft.graph.conditionalAccessPolicy",
            "resource_name": "Policy 1",
            "resource_id": "id-1",
            "change_type": "updated",
            "severity": "critical",
            "changed_by": "alice@contoso.com",
            "changed_at": "2026-11-29T07:59:00.000000Z",
            "changed_paths": ["/state", "/conditions/users"]
        }])
    );
}

#[tokio::test]
async fn channels_get_only_changes_at_or_above_their_severity_and_disabled_ones_nothing() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let receiver = HttpReceiver::start(vec![]).await;
    let channels = vec![
        channel(json!({"name": "default", "kind": "webhook", "url": receiver.url("/default")})),
        channel(
            json!({"name": "low", "kind": "webhook", "url": receiver.url("/low"),
                       "min_severity": "low"}),
        ),
        channel(
            json!({"name": "critical", "kind": "webhook", "url": receiver.url("/critical"),
                       "min_severity": "critical"}),
        ),
        channel(
            json!({"name": "off", "kind": "webhook", "url": receiver.url("/off"),
                       "enabled": false}),
        ),
    ];
    let changes = [
        change(1, Severity::Info),
        change(2, Severity::Low),
        change(3, Severity::Medium),
        change(4, Severity::High),
        change(5, Severity::Critical),
    ];
    let report = notifier(None)
        .notify(&db.pool(), &tenant, &settings(channels, 100), &changes)
        .await;
    assert_eq!(report.failed(), 0);
    let ids = |path: &str| -> Vec<i64> {
        receiver
            .requests_to(path)
            .iter()
            .map(|r| r.json()["changes"][0]["history_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids("/default"), [4, 5]);
    assert_eq!(ids("/low"), [2, 3, 4, 5]);
    assert_eq!(ids("/critical"), [5]);
    assert!(receiver.requests_to("/off").is_empty());
}

#[tokio::test]
async fn many_changes_in_one_poll_become_one_digest_per_channel() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let receiver = HttpReceiver::start(vec![]).await;
    let channels = vec![
        channel(json!({"name": "hook", "kind": "webhook", "url": receiver.url("/hook")})),
        channel(json!({"name": "teams", "kind": "teams", "url": receiver.url("/teams")})),
        channel(json!({"name": "slack", "kind": "slack", "url": receiver.url("/slack")})),
    ];
    let changes = [
        change(1, Severity::High),
        change(2, Severity::Critical),
        change(3, Severity::High),
        change(4, Severity::High),
        change(5, Severity::Medium), // below the threshold severity: not counted, not listed
    ];
    let report = notifier(None)
        .with_digest_top(2)
        .notify(&db.pool(), &tenant, &settings(channels, 4), &changes)
        .await;
    assert_eq!(report.outcomes.len(), 3);
    assert!(report
        .outcomes
        .iter()
        .all(|o| o.digest && o.history_ids == [1, 2, 3, 4]));

    let hook = receiver.requests_to("/hook");
    assert_eq!(hook.len(), 1);
    let body = hook[0].json();
    assert_eq!(body["kind"], "digest");
    assert_eq!(
        body["digest"],
        json!({
            "total": 4,
            "by_severity": {"high": 3, "critical": 1},
            "by_source": {"entra": 2, "arm": 2},
            "by_change_type": {"updated": 4},
            "shown": 2
        })
    );
    // The most severe first, then the newest (history 1 is a minute old, 3 three minutes).
    let listed: Vec<i64> = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["history_id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [2, 1]);

    let teams = receiver.requests_to("/teams");
    assert_eq!(teams.len(), 1);
    let card = teams[0].json();
    assert_eq!(card["type"], "message");
    let attachment = &card["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(attachment["content"]["type"], "AdaptiveCard");
    assert_eq!(attachment["content"]["version"], "1.4");
    let card_body = attachment["content"]["body"].as_array().unwrap();
    assert_eq!(
        card_body[0]["text"],
        "4 configuration changes in Contoso (1 critical, 3 high)"
    );
    assert_eq!(card_body[1]["type"], "FactSet");

    let slack = receiver.requests_to("/slack");
    assert_eq!(slack.len(), 1);
    let message = slack[0].json();
    assert_eq!(
        message["text"],
        "4 configuration changes in Contoso (1 critical, 3 high)"
    );
    assert_eq!(message["blocks"][0]["type"], "header");
    assert_eq!(message["blocks"][1]["type"], "section");
    assert_eq!(message["blocks"][1]["text"]["type"], "mrkdwn");
    assert!(message["blocks"][1]["text"]["text"]
        .as_str()
        .unwrap()
        .contains("Policy 2"));
}

#[tokio::test]
async fn changes_already_delivered_within_the_window_count_towards_the_digest() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let receiver = HttpReceiver::start(vec![]).await;
    let channels = vec![channel(
        json!({"name": "hook", "kind": "webhook", "url": receiver.url("/hook")}),
    )];
    let settings = settings(channels, 3);
    let notifier = notifier(None);
    let first = notifier
        .notify(
            &db.pool(),
            &tenant,
            &settings,
            &[change(1, Severity::High), change(2, Severity::High)],
        )
        .await;
    assert!(first.outcomes.iter().all(|o| !o.digest));
    assert_eq!(first.outcomes.len(), 2);
    let second = notifier
        .notify(&db.pool(), &tenant, &settings, &[change(3, Severity::High)])
        .await;
    assert_eq!(second.outcomes.len(), 1);
    assert!(second.outcomes[0].digest);
    assert_eq!(receiver.requests().last().unwrap().json()["kind"], "digest");

    // With digests off, every change goes out on its own.
    let mut off = settings.clone();
    off.digest.enabled = false;
    let third = notifier
        .notify(
            &db.pool(),
            &tenant,
            &off,
            &[
                change(4, Severity::High),
                change(5, Severity::High),
                change(6, Severity::High),
            ],
        )
        .await;
    assert_eq!(third.outcomes.len(), 3);
    assert!(third.outcomes.iter().all(|o| !o.digest));
}

#[tokio::test]
async fn teams_and_slack_get_their_own_shapes_for_one_change() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let receiver = HttpReceiver::start(vec![]).await;
    let channels = vec![
        channel(json!({"name": "teams", "kind": "teams", "url": receiver.url("/teams")})),
        channel(json!({"name": "slack", "kind": "slack", "url": receiver.url("/slack")})),
    ];
    let mut critical = change(7, Severity::Critical);
    critical.resource_name = "Block <legacy> & auth".into();
    notifier(None)
        .notify(&db.pool(), &tenant, &settings(channels, 10), &[critical])
        .await;

    let card = receiver.requests_to("/teams")[0].json();
    let content = &card["attachments"][0]["content"];
    assert_eq!(
        content["body"][0]["text"],
        "Critical: microsoft.graph.conditionalAccessPolicy updated \"Block <legacy> & auth\" in Contoso"
    );
    let facts = content["body"][1]["facts"].as_array().unwrap();
    assert!(facts.contains(&json!({"title": "Changed by", "value": "alice@contoso.com"})));
    assert!(
        facts.contains(&json!({"title": "Changed paths", "value": "/state, /conditions/users"}))
    );

    let slack = receiver.requests_to("/slack")[0].json();
    assert!(slack["text"].as_str().unwrap().starts_with("Critical: "));
    let section = slack["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        section.contains("Block &lt;legacy&gt; &amp; auth"),
        "{section}"
    );
    assert!(
        section.contains("*Changed by:* alice@contoso.com"),
        "{section}"
    );
}

#[tokio::test]
async fn a_503_is_retried_and_the_delivery_logged_on_both_backends() {
    for make_db in TestDb::each() {
        let db = make_db();
        let tenant = tenant(&db);
        let receiver = HttpReceiver::start(vec![Reply::status(503).body("busy")]).await;
        let hook =
            channel(json!({"name": "hook", "kind": "webhook", "url": receiver.url("/hook")}));
        let report = notifier(None)
            .notify(
                &db.pool(),
                &tenant,
                &settings(vec![hook], 10),
                &[change(9, Severity::High)],
            )
            .await;
        let outcome = &report.outcomes[0];
        assert_eq!(outcome.status, DeliveryStatus::Delivered, "{:?}", db.url());
        assert_eq!((outcome.attempts, outcome.response_status), (2, Some(200)));
        let requests = receiver.requests();
        assert_eq!(requests.len(), 2);
        // A retry is the same message: same delivery id, same body.
        assert_eq!(requests[0].body, requests[1].body);

        let page = notifications::list(&mut db.conn(), tenant.id, &PageRequest::default()).unwrap();
        assert_eq!(page.items.len(), 1);
        let row = &page.items[0];
        assert_eq!(Some(row.id), outcome.delivery_id);
        assert_eq!(row.channel_name, "hook");
        assert_eq!(row.channel_kind, ChannelKind::Webhook);
        assert_eq!(row.history_ids, [9]);
        assert!(!row.digest);
        assert_eq!(row.status, DeliveryStatus::Delivered);
        assert_eq!(row.attempts, 2);
        assert_eq!(row.response_status, Some(200));
        assert_eq!(row.last_error, None);
        assert_eq!(row.created_at, now());
        assert_eq!(row.delivered_at, Some(now()));
    }
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let receiver = HttpReceiver::start(vec![Reply::status(429).header("Retry-After", "1")]).await;
    let hook = channel(json!({"name": "hook", "kind": "slack", "url": receiver.url("/hook")}));
    let report = notifier(None)
        .notify(
            &db.pool(),
            &tenant,
            &settings(vec![hook], 10),
            &[change(1, Severity::High)],
        )
        .await;
    assert_eq!(report.outcomes[0].status, DeliveryStatus::Delivered);
    assert_eq!(report.outcomes[0].attempts, 2);
    let requests = receiver.requests();
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
}

#[tokio::test]
async fn a_retry_after_longer_than_the_notifier_waits_ends_the_attempts() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let receiver =
        HttpReceiver::start(vec![Reply::status(429).header("Retry-After", "3600")]).await;
    let hook = channel(json!({"name": "hook", "kind": "teams", "url": receiver.url("/hook")}));
    let report = notifier(None)
        .notify(
            &db.pool(),
            &tenant,
            &settings(vec![hook], 10),
            &[change(1, Severity::High)],
        )
        .await;
    let outcome = &report.outcomes[0];
    assert_eq!(
        (outcome.status, outcome.attempts),
        (DeliveryStatus::Failed, 1)
    );
    assert!(outcome
        .error
        .as_deref()
        .unwrap()
        .contains("Retry-After of 3600 s"));
}

#[tokio::test]
async fn a_400_is_permanent_and_the_logged_error_shows_no_url_token_on_both_backends() {
    for make_db in TestDb::each() {
        let db = make_db();
        let tenant = tenant(&db);
        let receiver = HttpReceiver::start(vec![Reply::status(400).body("invalid_payload")]).await;
        let url = receiver.url("/services/T000/B000/tok3nTOKEN?sig=qu3ry");
        let hook = channel(json!({"name": "slack", "kind": "slack", "url": url}));
        let report = notifier(None)
            .notify(
                &db.pool(),
                &tenant,
                &settings(vec![hook], 10),
                &[change(1, Severity::High)],
            )
            .await;
        let outcome = &report.outcomes[0];
        assert_eq!(outcome.status, DeliveryStatus::Failed);
        assert_eq!((outcome.attempts, outcome.response_status), (1, Some(400)));
        assert_eq!(receiver.requests().len(), 1, "a 400 is not retried");

        let row = notifications::list(&mut db.conn(), tenant.id, &PageRequest::default())
            .unwrap()
            .items
            .remove(0);
        assert_eq!(row.status, DeliveryStatus::Failed);
        assert_eq!(row.delivered_at, None);
        let error = row.last_error.unwrap();
        assert_eq!(
            error,
            format!(
                "{} answered 400 Bad Request: invalid_payload",
                receiver.base
            )
        );
    }
}

#[tokio::test]
async fn connection_errors_are_retried_and_reported_without_the_url_path() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    // A port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/webhookb2/s3cr3t-path-token");
    let hook = channel(json!({"name": "teams", "kind": "teams", "url": url}));
    let report = notifier(None)
        .notify(
            &db.pool(),
            &tenant,
            &settings(vec![hook], 10),
            &[change(1, Severity::High)],
        )
        .await;
    let outcome = &report.outcomes[0];
    assert_eq!(
        (outcome.status, outcome.attempts),
        (DeliveryStatus::Failed, 3)
    );
    let error = outcome.error.as_deref().unwrap();
    assert!(
        error.starts_with(&format!("http://127.0.0.1:{port}: ")),
        "{error}"
    );
    assert!(!error.contains("s3cr3t"), "{error}");
}

#[tokio::test]
async fn e_mail_goes_to_every_recipient_through_smtp() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let sink = SmtpSink::start().await;
    let smtp = SmtpSettings::new(&sink.url, "Drift Detector <drift@contoso.com>").unwrap();
    let mail = channel(json!({
        "name": "secops", "kind": "email",
        "recipients": ["secops@contoso.com", "ciso@contoso.com"]
    }));
    let report = notifier(Some(smtp))
        .notify(
            &db.pool(),
            &tenant,
            &settings(vec![mail], 10),
            &[change(3, Severity::High)],
        )
        .await;
    assert_eq!(
        report.outcomes[0].status,
        DeliveryStatus::Delivered,
        "{report:?}"
    );
    assert_eq!(report.outcomes[0].response_status, Some(250));

    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let sent = &mails[0];
    assert_eq!(sent.from, "drift@contoso.com");
    assert_eq!(sent.to, ["secops@contoso.com", "ciso@contoso.com"]);
    // Long header lines are folded (RFC 5322 section 2.2.3): unfold before looking.
    let data = sent.data.replace("\r\n ", " ");
    for expected in [
        "Subject: [Drift] High: microsoft.graph.conditionalAccessPolicy updated \"Policy 3\" in Contoso\r\n",
        "From: \"Drift Detector\" <drift@contoso.com>\r\n",
        "To: secops@contoso.com, ciso@contoso.com\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "\r\nSeverity: high\r\n",
        "\r\nChanged by: alice@contoso.com\r\n",
        "\r\nChanged paths: /state, /conditions/users\r\n",
    ] {
        assert!(data.contains(expected), "{expected:?} in\n{data}");
    }
}

#[tokio::test]
async fn e_mail_channels_fail_without_an_attempt_when_smtp_is_not_configured() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let mail = channel(json!({"name": "secops", "kind": "email", "recipients": ["a@contoso.com"]}));
    let report = notifier(None)
        .notify(
            &db.pool(),
            &tenant,
            &settings(vec![mail], 10),
            &[change(3, Severity::High)],
        )
        .await;
    let outcome = &report.outcomes[0];
    assert_eq!(
        (outcome.status, outcome.attempts),
        (DeliveryStatus::Failed, 0)
    );
    assert!(outcome.error.as_deref().unwrap().contains("DRIFT_SMTP_URL"));
}

#[tokio::test]
async fn a_test_notification_reaches_one_channel_even_when_disabled() {
    let db = TestDb::sqlite();
    let tenant = tenant(&db);
    let receiver = HttpReceiver::start(vec![]).await;
    let hook = channel(json!({
        "name": "SIEM", "kind": "webhook", "url": receiver.url("/hook"),
        "enabled": false, "min_severity": "critical", "secret": SECRET
    }));
    let outcome = notifier(None).send_test(&db.pool(), &tenant, &hook).await;
    assert_eq!(outcome.status, DeliveryStatus::Delivered);
    assert!(outcome.history_ids.is_empty());
    let request = &receiver.requests()[0];
    let body = request.json();
    assert_eq!(body["kind"], "test");
    assert_eq!(body["changes"][0]["severity"], "high");
    let expected = format!("sha256={}", hex_hmac(SECRET, &request.body));
    assert_eq!(request.header("x-drift-signature"), Some(expected.as_str()));
    let row = notifications::list(&mut db.conn(), tenant.id, &PageRequest::default())
        .unwrap()
        .items
        .remove(0);
    assert!(row.history_ids.is_empty());
    assert_eq!(row.status, DeliveryStatus::Delivered);
}
