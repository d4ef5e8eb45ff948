//! The notification routes: the delivery log, and test messages to a saved channel or to a
//! definition not saved yet, against a real local receiver, on both databases.

mod common;

use common::receiver::Receiver;
use common::{Reply, TestApp};
use serde_json::{json, Value};

const SECRET: &str = "saved-signing-secret-0123";

fn test_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/notifications/test")
}

fn deliveries_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/notifications/deliveries")
}

/// Saves settings with a signed webhook channel "SecOps Hook" to `receiver`'s `/saved`.
async fn save_hook(app: &TestApp, tenant: i64, receiver: &Receiver) {
    let settings = json!({"notification_settings": {"channels": [{
        "name": "SecOps Hook", "kind": "webhook", "url": receiver.url("/saved"), "secret": SECRET,
        "enabled": false
    }]}});
    app.put(&format!("/api/v1/tenants/{tenant}/settings"), &settings)
        .await
        .expect(200);
}

on_both_backends! {
    async fn a_test_to_a_saved_channel_is_delivered_signed_and_logged(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let receiver = Receiver::start(vec![]);
        save_hook(&app, tenant, &receiver).await;

        let result = app.post(&test_path(tenant), &json!({"channel": "secops hook"})).await.expect(200);
        assert_eq!(result["channel"], "SecOps Hook");
        assert_eq!(result["kind"], "webhook");
        assert_eq!(result["delivered"], true, "a disabled channel is tested all the same: {result}");
        assert_eq!(result["response_status"], 200);
        assert_eq!(result["error"], Value::Null);
        assert!(result["duration_ms"].as_u64().is_some());

        let received = receiver.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].path, "/saved");
        assert_eq!(received[0].json()["kind"], "test");
        assert_eq!(
            received[0].headers.get("x-drift-signature").map(String::as_str),
            Some(drift_notify::signature(SECRET, &received[0].body).as_str())
        );

        let log = app.get(&deliveries_path(tenant)).await.expect(200);
        let items = log["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], result["delivery_id"]);
        assert_eq!((&items[0]["channel_name"], &items[0]["status"], &items[0]["history_ids"]), (&json!("SecOps Hook"), &json!("delivered"), &json!([])));
        assert!(!log.to_string().contains(&receiver.base), "the log holds no URL: {log}");
    }

    async fn a_receiver_failure_is_an_answer_not_an_error(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let receiver = Receiver::start(vec![503, 503]);
        save_hook(&app, tenant, &receiver).await;

        let result = app.post(&test_path(tenant), &json!({"channel": "SecOps Hook"})).await.expect(200);
        assert_eq!((&result["delivered"], &result["response_status"]), (&json!(false), &json!(503)));
        let error = result["error"].as_str().unwrap();
        assert!(error.contains("503") && !error.contains("/saved"), "{error}");
        assert_eq!(receiver.received().len(), 1, "a test is sent once, without retries");

        // Nobody listens on a closed port: no status at all.
        let closed = json!({"definition": {"name": "Gone", "kind": "slack", "url": "http://127.0.0.1:9/hook"}});
        let result = app.post(&test_path(tenant), &closed).await.expect(200);
        assert_eq!((&result["delivered"], &result["response_status"]), (&json!(false), &Value::Null));

        let failed = app.get(&format!("{}?status=failed", deliveries_path(tenant))).await.expect(200);
        assert_eq!(failed["items"].as_array().unwrap().len(), 2);
    }

    async fn a_definition_is_tested_before_it_is_saved_with_the_saved_secret_and_url(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let receiver = Receiver::start(vec![]);
        save_hook(&app, tenant, &receiver).await;

        // A new URL, no secret: the saved channel's secret signs it.
        let edited = json!({"definition": {"name": "SecOps Hook", "kind": "webhook", "url": receiver.url("/edited")}});
        app.post(&test_path(tenant), &edited).await.expect(200);
        // The URL sent back masked, as settings show it: the saved URL is used.
        let masked = json!({"definition": {"name": "secops hook", "kind": "webhook", "url": format!("{}/…", receiver.base)}});
        assert_eq!(app.post(&test_path(tenant), &masked).await.expect(200)["delivered"], true);
        // A channel of another name has no saved secret to take: unsigned.
        let other = json!({"definition": {"name": "New Hook", "kind": "webhook", "url": receiver.url("/new")}});
        app.post(&test_path(tenant), &other).await.expect(200);

        let received = receiver.received();
        let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/edited", "/saved", "/new"]);
        for request in &received[..2] {
            assert_eq!(
                request.headers.get("x-drift-signature").map(String::as_str),
                Some(drift_notify::signature(SECRET, &request.body).as_str())
            );
        }
        assert!(!received[2].headers.contains_key("x-drift-signature"));
        let names: Vec<Value> = app.get(&deliveries_path(tenant)).await.expect(200)["items"]
            .as_array().unwrap().iter().map(|d| d["channel_name"].clone()).collect();
        assert_eq!(names, [json!("New Hook"), json!("secops hook"), json!("SecOps Hook")], "newest first");
    }

    async fn unknown_channels_and_invalid_definitions_are_refused(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let receiver = Receiver::start(vec![]);
        save_hook(&app, tenant, &receiver).await;
        let path = test_path(tenant);

        app.post(&path, &json!({"channel": "Nobody"})).await.expect_problem(404, "not-found");
        for body in [json!({}), json!({"channel": "SecOps Hook", "definition": {"name": "x", "kind": "slack", "url": "https://hooks.slack.com/x"}})] {
            let problem = app.post(&path, &body).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["channel"], "{body}");
        }
        let plain_http = json!({"definition": {"name": "Teams", "kind": "teams", "url": "http://contoso.webhook.office.com/x"}});
        let problem = app.post(&path, &plain_http).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["definition"]);
        let short_secret = json!({"definition": {"name": "Hook", "kind": "webhook", "url": receiver.url("/x"), "secret": "short"}});
        let problem = app.post(&path, &short_secret).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["definition.secret"]);
        let masked_new = json!({"definition": {"name": "Unsaved", "kind": "webhook", "url": "https://hooks.contoso.com/…"}});
        let problem = app.post(&path, &masked_new).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["definition.url"]);
        let problem = app.post(&path, &json!({"channel": "SecOps Hook", "extra": 1})).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["extra"]);
        assert!(receiver.received().is_empty(), "nothing was sent");
        assert_eq!(app.get(&deliveries_path(tenant)).await.expect(200)["items"], json!([]));
    }

    async fn the_delivery_log_filters_and_pages_newest_first(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let other_tenant = app.tenant("Fabrikam", 2).await;
        let receiver = Receiver::start(vec![500]);
        save_hook(&app, tenant, &receiver).await;
        let slack = json!({"definition": {"name": "Slack", "kind": "slack", "url": receiver.url("/slack")}});
        app.post(&test_path(tenant), &slack).await.expect(200); // 500: failed
        let before_second = drift_core::UtcTime::now();
        for _ in 0..3 {
            app.post(&test_path(tenant), &json!({"channel": "SecOps Hook"})).await.expect(200);
        }
        app.post(&test_path(tenant), &slack).await.expect(200);

        let all = app.collect_all(&deliveries_path(tenant), 2).await;
        assert_eq!(all.len(), 5);
        let ids: Vec<i64> = all.iter().map(|d| d["id"].as_i64().unwrap()).collect();
        let mut newest_first = ids.clone();
        newest_first.sort_by(|a, b| b.cmp(a));
        assert_eq!(ids, newest_first);

        let q = |query: &str| format!("{}?{query}", deliveries_path(tenant));
        let count = |page: &Value| page["items"].as_array().unwrap().len();
        assert_eq!(count(&app.get(&q("channel=SecOps%20Hook")).await.expect(200)), 3);
        assert_eq!(count(&app.get(&q("channel=Slack&status=delivered")).await.expect(200)), 1);
        assert_eq!(count(&app.get(&q("status=failed")).await.expect(200)), 1);
        assert_eq!(count(&app.get(&q(&format!("since={before_second}"))).await.expect(200)), 4);
        assert_eq!(count(&app.get(&deliveries_path(other_tenant)).await.expect(200)), 0);

        let problem = app.get(&q("status=lost")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["status"]);
        let problem = app.get(&q("sort=created_at")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["sort"]);
    }
}
