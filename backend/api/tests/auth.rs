//! Local sign-in, rotating refresh tokens and the signed-in user.

mod common;

use common::TestApp;
use drift_core::auth::JwtKeys;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

/// Creates a tenant and a user with a password; returns (tenant id, user id).
async fn user(app: &TestApp, username: &str, role: &str, active: bool) -> (i64, i64) {
    let tenant = app
        .tenant(&format!("T-{username}"), username.len() as u32 + 100)
        .await;
    let role_id = app.role_id(role).await;
    let body = json!({"username": username, "email": format!("{username}@contoso.com"), "role_id": role_id, "password": PASSWORD, "active": active});
    let created = app
        .post(&format!("/api/v1/tenants/{tenant}/users"), &body)
        .await
        .expect(201);
    (tenant, created["id"].as_i64().unwrap())
}

async fn login(app: &TestApp, username: &str, password: &str) -> common::Reply {
    app.post(
        "/api/v1/auth/login",
        &json!({"username": username, "password": password}),
    )
    .await
}

async fn me(app: &TestApp, token: &str) -> common::Reply {
    app.send(
        app.client
            .get(app.url("/api/v1/auth/me"))
            .bearer_auth(token),
    )
    .await
}

on_both_backends! {
    async fn a_user_signs_in_by_username_or_email_and_sees_themselves(app: TestApp) {
        let (tenant, id) = user(&app, "adele.vance", "viewer", true).await;
        for name in ["adele.vance", "ADELE.VANCE", "Adele.Vance@Contoso.com"] {
            let session = login(&app, name, PASSWORD).await.expect(200);
            assert_eq!(session["token_type"], "Bearer");
            assert_eq!(session["expires_in"], 900);
            assert!(session["refresh_token"].as_str().unwrap().len() >= 40);
            let me = me(&app, session["access_token"].as_str().unwrap()).await.expect(200);
            assert_eq!((me["user"]["id"].as_i64(), me["tenant_id"].as_i64(), me["role"].as_str()), (Some(id), Some(tenant), Some("viewer")));
            assert_eq!(me["subject"], json!({"kind": "user", "id": id, "username": "adele.vance"}));
            assert_eq!(me["spans_tenants"], false);
            assert!(me["permissions"].as_array().unwrap().contains(&json!("configurations:read")));
            assert!(!me["permissions"].as_array().unwrap().contains(&json!("settings:write")));
            assert!(me["user"]["last_login"].is_string(), "last_login is recorded");
            assert!(me["user"].get("password_hash").is_none() && me["user"].get("access_token").is_none());
        }
    }

    async fn wrong_passwords_and_unknown_users_get_the_same_answer(app: TestApp) {
        user(&app, "adele.vance", "viewer", true).await;
        let reply = login(&app, "adele.vance", "not the password").await;
        assert!(reply.headers["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        let wrong = reply.expect_problem(401, "unauthorized");
        let unknown = login(&app, "nobody", PASSWORD).await.expect_problem(401, "unauthorized");
        assert_eq!(wrong["detail"], unknown["detail"]);
        assert_eq!(wrong["detail"], "the username or password is wrong");
    }

    async fn inactive_and_password_less_users_cannot_sign_in(app: TestApp) {
        user(&app, "disabled.user", "viewer", false).await;
        let problem = login(&app, "disabled.user", PASSWORD).await.expect_problem(401, "unauthorized");
        assert_eq!(problem["detail"], "the account is disabled");
        let tenant = app.tenant("Microsoft only", 9).await;
        let role_id = app.role_id("viewer").await;
        app.post(&format!("/api/v1/tenants/{tenant}/users"), &json!({"username": "ms.only", "email": "ms@contoso.com", "role_id": role_id}))
            .await
            .expect(201);
        login(&app, "ms.only", "").await.expect_problem(422, "validation-failed");
        login(&app, "ms.only", "anything at all").await.expect_problem(401, "unauthorized");
    }

    async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session(app: TestApp) {
        user(&app, "adele.vance", "admin", true).await;
        let first = login(&app, "adele.vance", PASSWORD).await.expect(200);
        let first_refresh = first["refresh_token"].as_str().unwrap().to_owned();
        let second = app.post("/api/v1/auth/refresh", &json!({"refresh_token": first_refresh})).await.expect(200);
        let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(second_refresh, first_refresh);
        me(&app, second["access_token"].as_str().unwrap()).await.expect(200);

        // The first token again: a replay. The whole session ends, the newer token included.
        app.post("/api/v1/auth/refresh", &json!({"refresh_token": first_refresh})).await.expect_problem(401, "unauthorized");
        app.post("/api/v1/auth/refresh", &json!({"refresh_token": second_refresh})).await.expect_problem(401, "unauthorized");

        // Another sign-in is a separate session.
        let other = login(&app, "adele.vance", PASSWORD).await.expect(200);
        app.post("/api/v1/auth/refresh", &json!({"refresh_token": other["refresh_token"]})).await.expect(200);
        app.post("/api/v1/auth/refresh", &json!({"refresh_token": "made-up"})).await.expect_problem(401, "unauthorized");
    }

    async fn sign_out_ends_the_session(app: TestApp) {
        user(&app, "adele.vance", "admin", true).await;
        let session = login(&app, "adele.vance", PASSWORD).await.expect(200);
        app.post("/api/v1/auth/logout", &json!({"refresh_token": session["refresh_token"]})).await.expect(204);
        app.post("/api/v1/auth/refresh", &json!({"refresh_token": session["refresh_token"]})).await.expect_problem(401, "unauthorized");
        app.post("/api/v1/auth/logout", &json!({"refresh_token": session["refresh_token"]})).await.expect(204);
    }

    async fn bad_access_tokens_are_refused(app: TestApp) {
        let (tenant, id) = user(&app, "adele.vance", "admin", true).await;
        app.act_as(None);
        app.get("/api/v1/auth/me").await.expect_problem(401, "unauthorized");
        app.act_as(Some(app.superadmin_token.clone()));
        for token in ["", "garbage", "a.b.c"] {
            me(&app, token).await.expect_problem(401, "unauthorized");
        }
        let now = chrono::Utc::now().timestamp();
        let ours = JwtKeys::from_secret(app.jwt_secret.as_bytes()).unwrap();
        me(&app, &ours.issue(id, tenant, "admin", now, 60)).await.expect(200);
        me(&app, &ours.issue(id, tenant, "admin", now - 120, 60)).await.expect_problem(401, "unauthorized");
        let theirs = JwtKeys::from_secret(&[9u8; 32]).unwrap();
        me(&app, &theirs.issue(id, tenant, "admin", now, 60)).await.expect_problem(401, "unauthorized");
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let valid = ours.issue(id, tenant, "admin", now, 60);
        let unsigned = format!("{}.{}.", engine.encode(r#"{"alg":"none","typ":"JWT"}"#), valid.split('.').nth(1).unwrap());
        me(&app, &unsigned).await.expect_problem(401, "unauthorized");
        // A token naming another tenant than the user's does not find the user.
        me(&app, &ours.issue(id, tenant + 1000, "admin", now, 60)).await.expect_problem(401, "unauthorized");
        // A deleted user's token stops working at once.
        app.delete(&format!("/api/v1/tenants/{tenant}/users/{id}")).await.expect(204);
        me(&app, &valid).await.expect_problem(401, "unauthorized");
    }

    async fn login_bodies_are_checked(app: TestApp) {
        let problem = app.post("/api/v1/auth/login", &json!({"user": "x", "password": "y"})).await.expect_problem(422, "validation-failed");
        assert_eq!(problem["errors"][0]["code"], "unknown_field");
        let body: Value = app.post("/api/v1/auth/refresh", &json!({})).await.expect_problem(422, "validation-failed");
        assert_eq!(body["errors"][0]["field"], "refresh_token");
    }
}

async fn spawn_with_throttle(
    db: common::TestDb,
    policy: drift_api::throttle::ThrottlePolicy,
) -> TestApp {
    common::THROTTLE.with(|p| p.set(policy));
    let app = TestApp::spawn(db).await;
    common::THROTTLE.with(|p| p.set(Default::default()));
    app
}

on_both_backends! {
    async fn an_account_locks_after_five_wrong_passwords(app: TestApp) {
        user(&app, "adele.vance", "viewer", true).await;
        user(&app, "megan.b", "viewer", true).await;
        for _ in 0..5 {
            login(&app, "adele.vance", "wrong password").await.expect_problem(401, "unauthorized");
        }
        let reply = login(&app, "Adele.Vance", PASSWORD).await;
        let retry_after: u64 = reply.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        reply.expect_problem(429, "too-many-requests");
        // Other accounts are not affected.
        login(&app, "megan.b", PASSWORD).await.expect(200);
    }
}

#[actix_web::test]
async fn a_lockout_expires() {
    for db in [common::TestDb::sqlite(), common::TestDb::postgres()] {
        let policy = drift_api::throttle::ThrottlePolicy {
            account_failures: 2,
            account_lockout: std::time::Duration::from_millis(3000),
            ..Default::default()
        };
        let app = spawn_with_throttle(db, policy).await;
        user(&app, "adele.vance", "viewer", true).await;
        for _ in 0..2 {
            login(&app, "adele.vance", "wrong password")
                .await
                .expect_problem(401, "unauthorized");
        }
        login(&app, "adele.vance", PASSWORD)
            .await
            .expect_problem(429, "too-many-requests");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(3100)).await;
        login(&app, "adele.vance", PASSWORD).await.expect(200);
    }
}

#[actix_web::test]
async fn an_address_that_fails_too_often_is_blocked_for_every_account() {
    let policy = drift_api::throttle::ThrottlePolicy {
        address_failures: 4,
        ..Default::default()
    };
    let app = spawn_with_throttle(common::TestDb::sqlite(), policy).await;
    user(&app, "adele.vance", "viewer", true).await;
    for name in ["guess1", "guess2", "guess3", "guess4"] {
        login(&app, name, "whatever")
            .await
            .expect_problem(401, "unauthorized");
    }
    login(&app, "adele.vance", PASSWORD)
        .await
        .expect_problem(429, "too-many-requests");
}
