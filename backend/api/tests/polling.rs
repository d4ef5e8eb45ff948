//! Polling status per tenant and source, and "poll now". The worker writes `poll_state`; here
//! rows are written directly to stand in for it.

mod common;

use chrono::{Duration, Utc};
use common::{Reply, TestApp};
use diesel::prelude::*;
use drift_core::db::schema::poll_state;
use drift_core::UtcTime;
use serde_json::{json, Value};

fn status_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/poll-status")
}

fn poll_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/poll")
}

/// `minutes` from now (negative: in the past).
fn from_now(minutes: i64) -> UtcTime {
    UtcTime::new(Utc::now() + Duration::minutes(minutes))
}

/// A `poll_state` row as the worker would leave it.
#[derive(Default)]
struct Row {
    next_run_at: Option<UtcTime>,
    lease_owner: Option<&'static str>,
    lease_expires_at: Option<UtcTime>,
    baseline_at: Option<UtcTime>,
    last_success_at: Option<UtcTime>,
    last_error: Option<&'static str>,
    last_error_at: Option<UtcTime>,
}

fn seed(app: &TestApp, tenant: i64, source: &str, row: Row) {
    let mut conn = app.db.conn();
    diesel::insert_into(poll_state::table)
        .values((
            poll_state::tenant_id.eq(tenant),
            poll_state::source.eq(source),
            poll_state::next_run_at.eq(row.next_run_at.unwrap_or_else(|| from_now(10))),
            poll_state::lease_owner.eq(row.lease_owner),
            poll_state::lease_expires_at.eq(row.lease_expires_at),
            poll_state::baseline_at.eq(row.baseline_at),
            poll_state::last_success_at.eq(row.last_success_at),
            poll_state::last_error.eq(row.last_error),
            poll_state::last_error_at.eq(row.last_error_at),
        ))
        .execute(&mut *conn)
        .expect("seed poll_state");
}

/// The stored next run of a pair, if the row exists.
fn next_run(app: &TestApp, tenant: i64, source: &str) -> Option<UtcTime> {
    let mut conn = app.db.conn();
    poll_state::table
        .filter(poll_state::tenant_id.eq(tenant))
        .filter(poll_state::source.eq(source))
        .select(poll_state::next_run_at)
        .first(&mut *conn)
        .optional()
        .unwrap()
}

fn source<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == name)
        .unwrap_or_else(|| panic!("{name} listed in {status}"))
}

fn states(status: &Value) -> Vec<(String, String)> {
    status["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap().to_owned(),
                s["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn set_polling(app: &TestApp, tenant: i64, polling: Value) {
    app.patch(
        &format!("/api/v1/tenants/{tenant}/settings"),
        &json!({ "polling_settings": polling }),
    )
    .await
    .expect(200);
}

on_both_backends! {
    async fn a_tenant_never_polled_lists_four_due_sources_with_nulls(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let status = app.get(&status_path(tenant)).await.expect(200);
        assert_eq!(status["tenant_id"], tenant);
        assert_eq!(status["polling_enabled"], true);
        assert_eq!(
            states(&status),
            pairs(&[("entra", "due"), ("intune", "due"), ("arm", "due"), ("signins", "due")])
        );
        for s in status["sources"].as_array().unwrap() {
            for field in ["last_success_at", "last_error", "last_error_at", "next_run_at", "baseline_at"] {
                assert!(s[field].is_null(), "{field} of {s}");
            }
        }
    }

    async fn each_state_comes_from_the_lease_the_schedule_and_the_settings(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let success = from_now(-30);
        let failure = from_now(-20);
        let baseline = from_now(-600);
        let next = from_now(15);
        // A live lease: running, even though its run time has passed.
        seed(&app, tenant, "entra", Row {
            next_run_at: Some(from_now(-1)),
            lease_owner: Some("worker-1"),
            lease_expires_at: Some(from_now(5)),
            baseline_at: Some(baseline),
            last_success_at: Some(success),
            ..Row::default()
        });
        // Waiting for its next run, after a failure.
        seed(&app, tenant, "intune", Row {
            next_run_at: Some(next),
            last_error: Some("Graph answered 503"),
            last_error_at: Some(failure),
            ..Row::default()
        });
        // A lease that expired (a dead worker): due.
        seed(&app, tenant, "arm", Row {
            next_run_at: Some(from_now(-2)),
            lease_owner: Some("worker-gone"),
            lease_expires_at: Some(from_now(-1)),
            ..Row::default()
        });
        seed(&app, tenant, "signins", Row { next_run_at: Some(from_now(-3)), ..Row::default() });
        set_polling(&app, tenant, json!({"disabled_sources": ["signins", "entra"]})).await;

        let status = app.get(&status_path(tenant)).await.expect(200);
        assert_eq!(
            states(&status),
            pairs(&[("entra", "running"), ("intune", "idle"), ("arm", "due"), ("signins", "disabled")])
        );
        let entra = source(&status, "entra");
        assert_eq!(entra["last_success_at"], success.to_string());
        assert_eq!(entra["baseline_at"], baseline.to_string());
        assert!(entra["last_error"].is_null());
        let intune = source(&status, "intune");
        assert_eq!(intune["last_error"], "Graph answered 503");
        assert_eq!(intune["last_error_at"], failure.to_string());
        assert_eq!(intune["next_run_at"], next.to_string());
        assert!(intune["last_success_at"].is_null());

        set_polling(&app, tenant, json!({"enabled": false, "disabled_sources": []})).await;
        let status = app.get(&status_path(tenant)).await.expect(200);
        assert_eq!(status["polling_enabled"], false);
        assert_eq!(
            states(&status),
            pairs(&[("entra", "running"), ("intune", "disabled"), ("arm", "disabled"), ("signins", "disabled")])
        );
    }

    async fn poll_now_schedules_every_enabled_source(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let overdue = from_now(-60);
        seed(&app, tenant, "entra", Row { next_run_at: Some(overdue), ..Row::default() });
        seed(&app, tenant, "intune", Row {
            next_run_at: Some(from_now(30)),
            last_success_at: Some(from_now(-5)),
            ..Row::default()
        });
        set_polling(&app, tenant, json!({"disabled_sources": ["signins"]})).await;
        let before = UtcTime::now();

        let status = app.post(&poll_path(tenant), &Value::Null).await.expect(202);
        let after = UtcTime::now();
        assert_eq!(
            states(&status),
            pairs(&[("entra", "due"), ("intune", "due"), ("arm", "due"), ("signins", "disabled")])
        );
        assert_eq!(next_run(&app, tenant, "entra"), Some(overdue), "an earlier run time is kept");
        for scheduled in ["intune", "arm"] {
            let at = next_run(&app, tenant, scheduled).expect("a row");
            assert!(before <= at && at <= after, "{scheduled} runs now");
            assert_eq!(source(&status, scheduled)["next_run_at"], at.to_string());
        }
        assert_eq!(next_run(&app, tenant, "signins"), None, "a disabled source is not scheduled");
        assert!(source(&status, "intune")["last_success_at"].is_string(), "the rest of the row is kept");
    }

    async fn poll_now_can_name_one_source(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let later = from_now(30);
        seed(&app, tenant, "entra", Row { next_run_at: Some(later), ..Row::default() });
        seed(&app, tenant, "arm", Row { next_run_at: Some(later), ..Row::default() });

        let status = app.post(&format!("{}?source=arm", poll_path(tenant)), &Value::Null).await.expect(202);
        assert_eq!(source(&status, "arm")["state"], "due");
        assert_eq!(source(&status, "entra")["state"], "idle");
        assert_eq!(next_run(&app, tenant, "entra"), Some(later));
        assert!(next_run(&app, tenant, "arm").unwrap() < later);
        assert_eq!(next_run(&app, tenant, "intune"), None);

        // The same in a body.
        let status = app.post(&poll_path(tenant), &json!({"source": "entra"})).await.expect(202);
        assert_eq!(source(&status, "entra")["state"], "due");
        assert_eq!(next_run(&app, tenant, "intune"), None);
        app.post(&format!("{}?source=entra", poll_path(tenant)), &json!({"source": "entra"})).await.expect(202);

        // Sign-ins were never scheduled: the row is created.
        app.post(&format!("{}?source=signins", poll_path(tenant)), &Value::Null).await.expect(202);
        assert!(next_run(&app, tenant, "signins").is_some());
    }

    async fn poll_now_of_something_the_settings_disable_is_a_conflict(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        set_polling(&app, tenant, json!({"disabled_sources": ["intune"]})).await;
        app.post(&format!("{}?source=intune", poll_path(tenant)), &Value::Null)
            .await
            .expect_problem(409, "conflict");
        assert_eq!(next_run(&app, tenant, "intune"), None);

        set_polling(&app, tenant, json!({"enabled": false})).await;
        for path in [poll_path(tenant), format!("{}?source=entra", poll_path(tenant))] {
            app.post(&path, &Value::Null).await.expect_problem(409, "conflict");
        }
        assert_eq!(next_run(&app, tenant, "entra"), None);
    }

    async fn bad_sources_and_parameters_are_refused(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        for (query, field) in [("source=sharepoint", "source"), ("sauce=entra", "sauce"), ("source=ENTRA", "source")] {
            let problem = app
                .post(&format!("{}?{query}", poll_path(tenant)), &Value::Null)
                .await
                .expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), [field], "{query}");
        }
        app.post(&format!("{}?source=entra&source=arm", poll_path(tenant)), &Value::Null)
            .await
            .expect_problem(400, "bad-request");
        for (body, field) in [
            (json!({"source": "sharepoint"}), "source"),
            (json!({"sources": ["entra"]}), "sources"),
        ] {
            let problem = app.post(&poll_path(tenant), &body).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), [field], "{body}");
        }
        let problem = app
            .post(&format!("{}?source=arm", poll_path(tenant)), &json!({"source": "entra"}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["source"]);
        app.raw(reqwest::Method::POST, &poll_path(tenant), "application/json", "{")
            .await
            .expect_problem(400, "bad-request");
        app.raw(reqwest::Method::POST, &poll_path(tenant), "text/plain", "source=arm")
            .await
            .expect_problem(415, "unsupported-media-type");
        assert!(next_run(&app, tenant, "arm").is_none(), "nothing was scheduled by the refusals");
        // An empty body is no body: every source.
        app.raw(reqwest::Method::POST, &poll_path(tenant), "application/json", "")
            .await
            .expect(202);
        assert!(next_run(&app, tenant, "arm").is_some());
        app.get(&status_path(999_999)).await.expect_problem(404, "not-found");
        app.get("/api/v1/tenants/abc/poll-status").await.expect_problem(400, "bad-request");
    }

    async fn viewers_read_the_status_but_may_not_poll_and_other_tenants_see_nothing(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        seed(&app, contoso, "entra", Row { last_error: Some("contoso only"), ..Row::default() });

        app.act_as(Some(app.token_for(contoso, "viewer", "viewer")));
        let status = app.get(&status_path(contoso)).await.expect(200);
        assert_eq!(source(&status, "entra")["last_error"], "contoso only");
        app.post(&poll_path(contoso), &Value::Null).await.expect_problem(403, "forbidden");

        app.act_as(Some(app.token_for(contoso, "operator", "operator")));
        app.post(&poll_path(contoso), &Value::Null).await.expect(202);

        app.act_as(Some(app.token_for(fabrikam, "admin", "fabrikam-admin")));
        app.get(&status_path(contoso)).await.expect_problem(404, "not-found");
        app.post(&poll_path(contoso), &Value::Null).await.expect_problem(404, "not-found");
        let own = app.get(&status_path(fabrikam)).await.expect(200);
        assert!(source(&own, "entra")["last_error"].is_null());

        app.act_as(None);
        app.get(&status_path(contoso)).await.expect_problem(401, "unauthorized");
    }
}
