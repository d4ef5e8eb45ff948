//! Callers are resolved from a short-lived cache (`drift_api::principal_cache`): a change made
//! through this API applies to the very next request, and one made elsewhere (another API
//! process, the database) within seconds.

mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use diesel::prelude::*;
use drift_core::db::schema::{api_tokens, users};
use serde_json::json;

/// Sends `GET path` as `bearer` until it is refused with 401; returns how long that took.
async fn refused_within(app: &TestApp, path: &str, bearer: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let reply = app
            .send(app.client.get(app.url(path)).bearer_auth(bearer))
            .await;
        match reply.status.as_u16() {
            401 => return started.elapsed(),
            200 => assert!(started.elapsed() < limit, "still accepted after {limit:?}"),
            other => panic!("unexpected {other}: {}", reply.body),
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

on_both_backends! {
    async fn a_token_revoked_through_the_api_is_refused_at_once(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let created = app.post(&format!("/api/v1/tenants/{tenant}/api-tokens"), &json!({"name": "SIEM", "role_id": viewer})).await.expect(201);
        let secret = created["secret"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/tenants/{tenant}/configurations");
        // Used once, so that it is cached.
        app.send(app.client.get(app.url(&path)).bearer_auth(&secret)).await.expect(200);
        app.delete(&format!("/api/v1/tenants/{tenant}/api-tokens/{}", created["id"])).await.expect(204);
        app.send(app.client.get(app.url(&path)).bearer_auth(&secret)).await.expect_problem(401, "unauthorized");
    }

    async fn changes_made_elsewhere_apply_within_seconds(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let created = app.post(&format!("/api/v1/tenants/{tenant}/api-tokens"), &json!({"name": "SIEM", "role_id": viewer})).await.expect(201);
        let secret = created["secret"].as_str().unwrap().to_owned();
        let user_token = app.token_for(tenant, "viewer", "adele");
        let path = format!("/api/v1/tenants/{tenant}/configurations");
        for bearer in [&secret, &user_token] {
            app.send(app.client.get(app.url(&path)).bearer_auth(bearer)).await.expect(200);
        }
        // Another process revokes the token and deactivates the user, in the database.
        let now = drift_core::UtcTime::now();
        diesel::update(api_tokens::table.find(created["id"].as_i64().unwrap()))
            .set(api_tokens::revoked_at.eq(Some(now)))
            .execute(&mut *app.db.conn())
            .unwrap();
        diesel::update(users::table.filter(users::username.eq("adele")))
            .set(users::active.eq(false))
            .execute(&mut *app.db.conn())
            .unwrap();
        let limit = Duration::from_secs(7);
        refused_within(&app, &path, &secret, limit).await;
        refused_within(&app, &path, &user_token, limit).await;
    }
}
