//! API tokens: a tenant's long-lived bearer credentials for integrations. The secret is shown
//! once; the token acts with its role's permissions in its own tenant only; it records when it
//! was last used; it stops working when revoked or expired; nobody makes one above their role.

mod common;

use common::fixtures;
use common::{Reply, TestApp};
use diesel::prelude::*;
use drift_core::db::schema::api_tokens;
use drift_core::UtcTime;
use serde_json::{json, Value};

fn tokens_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/api-tokens")
}

/// A GET sent with `token` as its bearer, whoever the app acts as otherwise.
async fn get_with(app: &TestApp, token: &str, path: &str) -> Reply {
    app.send(app.client.get(app.url(path)).bearer_auth(token))
        .await
}

async fn put_with(app: &TestApp, token: &str, path: &str, body: &Value) -> Reply {
    app.send(app.client.put(app.url(path)).bearer_auth(token).json(body))
        .await
}

/// Creates a token as the app's current caller; returns the 201 body.
async fn create(app: &TestApp, tenant: i64, role: &str, expires_in_days: Option<u32>) -> Value {
    let body = json!({
        "name": format!("{role} integration"),
        "role_id": fixtures::role_id(app, role),
        "expires_in_days": expires_in_days,
    });
    app.post(&tokens_path(tenant), &body).await.expect(201)
}

fn secret_of(created: &Value) -> String {
    created["secret"].as_str().expect("a secret").to_owned()
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

/// A tenant and an admin of it, whom the app then acts as; returns (tenant, admin user id).
async fn tenant_with_admin(app: &TestApp, n: u32) -> (i64, i64) {
    let tenant = app.tenant(&format!("Tenant {n}"), n).await;
    let token = app.token_for(tenant, "admin", &format!("admin.{n}"));
    let (admin, _) = fixtures::subject_of(app, &token);
    app.act_as(Some(token));
    (tenant, admin)
}

on_both_backends! {
    async fn the_secret_is_shown_once_and_never_stored_or_listed(app: TestApp) {
        let (tenant, admin) = tenant_with_admin(&app, 1).await;
        let reply = app.post(&tokens_path(tenant), &json!({"name": "SIEM export", "role_id": fixtures::role_id(&app, "viewer")})).await;
        let location = reply.headers["location"].to_str().unwrap().to_owned();
        let created = reply.expect(201);
        let secret = secret_of(&created);
        let id = id_of(&created);
        assert!(secret.starts_with("adt_") && secret.len() > 40, "{secret}");
        assert_eq!(location, format!("{}/{id}", tokens_path(tenant)));
        assert_eq!(
            (created["tenant_id"].as_i64(), created["role"].as_str(), created["name"].as_str(), created["created_by"].as_i64()),
            (Some(tenant), Some("viewer"), Some("SIEM export"), Some(admin))
        );
        for field in ["expires_at", "last_used_at", "revoked_at"] {
            assert!(created[field].is_null(), "{field}: {created}");
        }

        let mut shown = created.clone();
        shown.as_object_mut().unwrap().remove("secret");
        assert_eq!(app.get(&location).await.expect(200), shown);
        let page = app.get(&tokens_path(tenant)).await.expect(200);
        assert_eq!(page["items"], json!([shown]));

        let hash = drift_core::auth::secret_hash(&secret);
        for body in [app.get(&location).await.expect(200), page] {
            let text = body.to_string();
            assert!(!text.contains(&secret) && !text.contains(&hash), "{text}");
            assert!(!text.contains("secret") && !text.contains("hash"), "no such field at all: {text}");
        }
        let stored: String = api_tokens::table
            .find(id)
            .select(api_tokens::token_hash)
            .first(&mut *app.db.conn())
            .unwrap();
        assert_eq!(stored, hash, "only the SHA-256 of the secret is stored");
    }

    async fn a_token_acts_with_its_role_and_only_in_its_tenant(app: TestApp) {
        let other = app.tenant("Other", 9).await;
        let (tenant, _) = tenant_with_admin(&app, 1).await;
        let viewer = create(&app, tenant, "viewer", None).await;
        let operator = create(&app, tenant, "operator", None).await;
        let (viewer_secret, operator_secret) = (secret_of(&viewer), secret_of(&operator));

        let configurations = format!("/api/v1/tenants/{tenant}/configurations");
        let settings = format!("/api/v1/tenants/{tenant}/settings");
        get_with(&app, &viewer_secret, &configurations).await.expect(200);
        put_with(&app, &viewer_secret, &settings, &json!({})).await.expect_problem(403, "forbidden");
        put_with(&app, &operator_secret, &settings, &json!({})).await.expect(200);
        get_with(&app, &viewer_secret, &format!("/api/v1/tenants/{tenant}/users")).await.expect_problem(403, "forbidden");
        get_with(&app, &operator_secret, &format!("/api/v1/tenants/{tenant}/users")).await.expect(200);
        get_with(&app, &operator_secret, &tokens_path(tenant)).await.expect_problem(403, "forbidden");

        // Another tenant does not exist for it, whatever its role allows.
        for secret in [&viewer_secret, &operator_secret] {
            get_with(&app, secret, &format!("/api/v1/tenants/{other}/configurations")).await.expect_problem(404, "not-found");
            get_with(&app, secret, &format!("/api/v1/tenants/{other}")).await.expect_problem(404, "not-found");
        }
        let listed = get_with(&app, &viewer_secret, "/api/v1/tenants").await.expect(200);
        assert_eq!(ids(&listed), [tenant]);

        let me = get_with(&app, &viewer_secret, "/api/v1/auth/me").await.expect(200);
        assert_eq!(me["subject"], json!({"kind": "api_token", "id": id_of(&viewer), "name": "viewer integration"}));
        assert_eq!((me["tenant_id"].as_i64(), me["role"].as_str()), (Some(tenant), Some("viewer")));
        assert!(me["user"].is_null() && me["spans_tenants"] == false, "{me}");
    }

    async fn a_use_is_recorded_as_last_used_at(app: TestApp) {
        let (tenant, _) = tenant_with_admin(&app, 1).await;
        let created = create(&app, tenant, "viewer", None).await;
        let path = format!("{}/{}", tokens_path(tenant), id_of(&created));
        assert!(app.get(&path).await.expect(200)["last_used_at"].is_null());
        let before = UtcTime::now();
        get_with(&app, &secret_of(&created), "/api/v1/auth/me").await.expect(200);
        let after = UtcTime::now();
        let shown = app.get(&path).await.expect(200);
        let used: UtcTime = serde_json::from_value(shown["last_used_at"].clone()).expect("a time");
        assert!(before <= used && used <= after, "{used:?} not within the request");
    }

    async fn a_revoked_token_is_refused_and_stays_listed(app: TestApp) {
        let (tenant, _) = tenant_with_admin(&app, 1).await;
        let kept = create(&app, tenant, "viewer", None).await;
        let revoked = create(&app, tenant, "viewer", None).await;
        let path = format!("{}/{}", tokens_path(tenant), id_of(&revoked));
        get_with(&app, &secret_of(&revoked), "/api/v1/auth/me").await.expect(200);

        assert_eq!(app.delete(&path).await.expect(204), Value::Null);
        let refused = get_with(&app, &secret_of(&revoked), "/api/v1/auth/me").await;
        assert!(refused.headers["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        refused.expect_problem(401, "unauthorized");
        get_with(&app, &secret_of(&kept), "/api/v1/auth/me").await.expect(200);

        let shown = app.get(&path).await.expect(200);
        assert!(shown["revoked_at"].is_string(), "{shown}");
        let all = app.get(&tokens_path(tenant)).await.expect(200);
        let mut listed = ids(&all);
        listed.sort();
        assert_eq!(listed, [id_of(&kept), id_of(&revoked)], "revoked tokens stay listed");
        let only_revoked = app.get(&format!("{}?revoked=true", tokens_path(tenant))).await.expect(200);
        assert_eq!(ids(&only_revoked), [id_of(&revoked)]);
        assert_eq!(only_revoked["items"][0], shown);
        let only_live = app.get(&format!("{}?revoked=false", tokens_path(tenant))).await.expect(200);
        assert_eq!(ids(&only_live), [id_of(&kept)]);
        assert!(only_live["items"][0]["revoked_at"].is_null());

        // Revoking again changes nothing, not even the time it was revoked.
        app.delete(&path).await.expect(204);
        assert_eq!(app.get(&path).await.expect(200), shown);
        app.delete(&format!("{}/999999", tokens_path(tenant))).await.expect_problem(404, "not-found");
    }

    async fn a_token_past_its_expiry_is_refused(app: TestApp) {
        let (tenant, _) = tenant_with_admin(&app, 1).await;
        let created = create(&app, tenant, "viewer", Some(30)).await;
        let created_at: UtcTime = serde_json::from_value(created["created_at"].clone()).unwrap();
        let expires_at: UtcTime = serde_json::from_value(created["expires_at"].clone()).unwrap();
        assert_eq!(expires_at.get() - created_at.get(), chrono::Duration::days(30));
        get_with(&app, &secret_of(&created), "/api/v1/auth/me").await.expect(200);

        // Thirty days later (the expiry moved back rather than the clock forward).
        let past = UtcTime::new(chrono::Utc::now() - chrono::Duration::seconds(1));
        diesel::update(api_tokens::table.find(id_of(&created)))
            .set(api_tokens::expires_at.eq(Some(past)))
            .execute(&mut *app.db.conn())
            .unwrap();
        // The caller was cached on its first use (for at most 5 s): the expiry, changed behind the
        // API's back, applies within seconds.
        let started = std::time::Instant::now();
        loop {
            let reply = get_with(&app, &secret_of(&created), "/api/v1/auth/me").await;
            if reply.status.as_u16() == 401 {
                reply.expect_problem(401, "unauthorized");
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(7), "still accepted: {}", reply.body);
            actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let never = create(&app, tenant, "viewer", None).await;
        assert!(never["expires_at"].is_null());
    }

    async fn nobody_makes_a_token_above_their_role_or_in_another_tenant(app: TestApp) {
        let other = app.tenant("Other", 9).await;
        let (tenant, _) = tenant_with_admin(&app, 1).await;
        let path = tokens_path(tenant);
        let body = |role: &str| json!({"name": "escalation", "role_id": fixtures::role_id(&app, role)});
        app.post(&path, &body("superadmin")).await.expect_problem(403, "forbidden");
        app.post(&tokens_path(other), &body("viewer")).await.expect_problem(404, "not-found");
        let admin_token = app.post(&path, &body("admin")).await.expect(201);
        // Nor through a token: an admin token cannot make a superadmin one either.
        let request = app.client.post(app.url(&path)).bearer_auth(secret_of(&admin_token)).json(&body("superadmin"));
        app.send(request).await.expect_problem(403, "forbidden");
        assert_eq!(ids(&app.get(&path).await.expect(200)), [id_of(&admin_token)]);
    }

    async fn token_input_is_validated(app: TestApp) {
        let (tenant, _) = tenant_with_admin(&app, 1).await;
        let path = tokens_path(tenant);
        let viewer = fixtures::role_id(&app, "viewer");
        let cases = [
            (json!({"name": "", "role_id": viewer}), "name"),
            (json!({"name": "ci", "role_id": 999_999}), "role_id"),
            (json!({"name": "ci", "role_id": viewer, "expires_in_days": 0}), "expires_in_days"),
            (json!({"name": "ci", "role_id": viewer, "expires_in_days": 3651}), "expires_in_days"),
            (json!({"name": "ci"}), "role_id"),
            (json!({"name": "ci", "role_id": viewer, "secret": "adt_mine"}), "secret"),
        ];
        for (body, field) in cases {
            let problem = app.post(&path, &body).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), [field], "{body}");
        }
        assert_eq!(app.get(&path).await.expect(200)["items"], json!([]));
    }
}
