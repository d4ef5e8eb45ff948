//! No response gives a secret away: not a password or its hash, not a session's refresh token,
//! not the Microsoft tokens stored for a user, not the key that signs access tokens, not an API
//! token's secret or its hash, not a notification channel's webhook secret or secret URL (Teams,
//! Slack, a webhook URL with credentials). Every GET operation of the OpenAPI document is read as three
//! different callers and scanned, with the responses of the writes that set those secrets.

mod common;

use common::fixtures::{self, Fixtures};
use common::TestApp;
use diesel::prelude::*;
use drift_core::auth::secret_hash;
use drift_core::db::schema::users;
use serde_json::{json, Value};

const FIRST_PASSWORD: &str = "first-Passw0rd-of-adele";
const SECOND_PASSWORD: &str = "second-Passw0rd-of-adele";
/// What the Microsoft sign-in stores for a user, written here directly.
const MICROSOFT_ACCESS_TOKEN: &str = "marker-microsoft-access-token-4f1c";
const MICROSOFT_REFRESH_TOKEN: &str = "marker-microsoft-refresh-token-9b2e";
/// The secret parts of notification channels, set through the settings routes.
const TEAMS_URL_PATH: &str = "webhookb2/marker-teams-9f3a@contoso/IncomingWebhook/0d1e";
const SLACK_URL_PATH: &str = "services/T0MARK/B0SLACK/marker-slack-77c1";
const WEBHOOK_TOKEN: &str = "marker-webhook-token-5e2b";
const WEBHOOK_SECRET: &str = "marker-webhook-signing-secret-31d8";

/// Named secrets that must not appear.
struct Secrets(Vec<(&'static str, String)>);

impl Secrets {
    /// Fails naming the secret and the response when `body` holds any secret but the `allowed`.
    #[track_caller]
    fn assert_absent(&self, response: &str, body: &Value, allowed: &[&str]) {
        let text = body.to_string();
        for (name, secret) in &self.0 {
            if !allowed.contains(name) {
                assert!(
                    !text.contains(secret.as_str()),
                    "{response} shows {name}: {text}"
                );
            }
        }
    }
}

/// The fixture a GET path's `{id}` names, by the collection it follows.
fn id_for(template: &str, f: &Fixtures, user: i64, api_token: i64, role: i64) -> Option<i64> {
    let segments: Vec<&str> = template.split('/').collect();
    let at = segments.iter().position(|s| *s == "{id}")?;
    let id = match (segments[at.checked_sub(2)?], segments[at - 1]) {
        (_, "users") => user,
        (_, "roles") => role,
        (_, "configurations") => f.configuration,
        ("settings", "history") => f.settings_version,
        (_, "history") => f.history_entry,
        (_, "signing-logs") => f.signin,
        (_, "api-tokens") => api_token,
        _ => return None,
    };
    Some(id)
}

/// The path of every GET operation of the document, in `tenant`, naming the given rows.
fn every_get(tenant: i64, ids: impl Fn(&str) -> Option<i64>) -> Vec<String> {
    let document = serde_json::to_value(drift_api::openapi()).unwrap();
    let mut paths = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        // The Microsoft sign-in redirects hold no stored data (tests/microsoft.rs checks that
        // the Microsoft tokens never appear in a response).
        if item.get("get").is_none() || template.starts_with("/api/v1/auth/microsoft/") {
            continue;
        }
        let mut path = template.replace("{tenant_id}", &tenant.to_string());
        if path.contains("{id}") {
            let id = ids(template).unwrap_or_else(|| {
                panic!("GET {template}: say in id_for which row its {{id}} names")
            });
            path = path.replace("{id}", &id.to_string());
        }
        assert!(
            !path.contains('{'),
            "GET {template}: a path parameter this test does not fill"
        );
        paths.push(path);
    }
    paths
}

async fn login(app: &TestApp, username: &str, password: &Value) -> common::Reply {
    app.post(
        "/api/v1/auth/login",
        &json!({"username": username, "password": password}),
    )
    .await
}

on_both_backends! {
    async fn no_response_shows_a_secret(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let f = fixtures::seed(&app, tenant, "contoso");
        let admin = fixtures::role_id(&app, "admin");
        let users_path = format!("/api/v1/tenants/{tenant}/users");
        let mut writes = Vec::new();

        // A user whose password is set, then changed, through the API.
        let body = json!({"username": "adele.vance", "email": "adele@contoso.com", "role_id": admin, "password": FIRST_PASSWORD});
        let created = app.post(&users_path, &body).await.expect(201);
        let user = created["id"].as_i64().unwrap();
        let user_path = format!("{users_path}/{user}");
        writes.push(("POST /users", created));
        writes.push(("PATCH /users/{id}", app.patch(&user_path, &json!({"password": SECOND_PASSWORD})).await.expect(200)));
        let replacement = json!({"username": "adele.vance", "email": "adele@contoso.com", "role_id": admin, "first_name": "Adele"});
        writes.push(("PUT /users/{id}", app.put(&user_path, &replacement).await.expect(200)));

        // Notification channels with secret URLs and a signing secret, saved by PUT and again
        // by PATCH (so the settings history holds two versions with them).
        let settings_path = format!("/api/v1/tenants/{tenant}/settings");
        let channels = json!({"notification_settings": {"channels": [
            {"name": "Teams", "kind": "teams", "url": format!("https://contoso.webhook.office.com/{TEAMS_URL_PATH}")},
            {"name": "Slack", "kind": "slack", "url": format!("https://hooks.slack.com/{SLACK_URL_PATH}")},
            {"name": "SIEM", "kind": "webhook", "url": format!("https://siem.contoso.com/hook?token={WEBHOOK_TOKEN}"), "secret": WEBHOOK_SECRET},
        ]}});
        writes.push(("PUT /settings", app.put(&settings_path, &channels).await.expect(200)));
        writes.push(("PATCH /settings", app.patch(&settings_path, &json!({"polling_settings": {"jitter_percent": 20}})).await.expect(200)));
        let stored = drift_core::settings::current(&mut app.db.conn(), tenant).unwrap();
        let stored_urls: Vec<&str> = stored.notification_settings.channels.iter().filter_map(|c| c.url.as_deref()).collect();
        assert!(stored_urls.iter().any(|u| u.contains(WEBHOOK_TOKEN)), "the PATCH kept the stored URLs: {stored_urls:?}");
        assert_eq!(stored.notification_settings.channels[2].secret.as_deref(), Some(WEBHOOK_SECRET));

        // The Microsoft tokens a sign-in with Microsoft would have stored.
        diesel::update(users::table.find(user))
            .set((
                users::access_token.eq(Some(MICROSOFT_ACCESS_TOKEN)),
                users::refresh_token.eq(Some(MICROSOFT_REFRESH_TOKEN)),
            ))
            .execute(&mut *app.db.conn())
            .unwrap();

        // A session, refreshed once, and an API token.
        let session = login(&app, "adele.vance", &json!(SECOND_PASSWORD)).await.expect(200);
        let refresh = json!({"refresh_token": session["refresh_token"]});
        let renewed = app.post("/api/v1/auth/refresh", &refresh).await.expect(200);
        let token = app
            .post(&format!("/api/v1/tenants/{tenant}/api-tokens"), &json!({"name": "SIEM", "role_id": admin}))
            .await
            .expect(201);
        let api_secret = token["secret"].as_str().unwrap().to_owned();
        let stored_hash: String = users::table.find(user).select(users::password_hash.assume_not_null()).first(&mut *app.db.conn()).unwrap();

        let refresh_tokens = [session["refresh_token"].as_str().unwrap(), renewed["refresh_token"].as_str().unwrap()];
        let secrets = Secrets(vec![
            ("an argon2 hash", "$argon2".into()),
            ("the stored password hash", stored_hash),
            ("the first password", FIRST_PASSWORD.into()),
            ("the second password", SECOND_PASSWORD.into()),
            ("a refresh token", refresh_tokens[0].into()),
            ("a refresh token", refresh_tokens[1].into()),
            ("a refresh token's hash", secret_hash(refresh_tokens[0])),
            ("a refresh token's hash", secret_hash(refresh_tokens[1])),
            ("the Microsoft access token", MICROSOFT_ACCESS_TOKEN.into()),
            ("the Microsoft refresh token", MICROSOFT_REFRESH_TOKEN.into()),
            ("the JWT signing key", app.jwt_secret.clone()),
            ("the API token", api_secret.clone()),
            ("the API token's hash", secret_hash(&api_secret)),
            ("a Teams webhook URL", TEAMS_URL_PATH.into()),
            ("a Slack webhook URL", SLACK_URL_PATH.into()),
            ("a webhook URL's token", WEBHOOK_TOKEN.into()),
            ("a webhook signing secret", WEBHOOK_SECRET.into()),
        ]);

        // The sign-in responses carry their own session, and the API token's creation its
        // secret (this once); nothing else.
        secrets.assert_absent("POST /auth/login", &session, &["a refresh token"]);
        secrets.assert_absent("POST /auth/refresh", &renewed, &["a refresh token"]);
        secrets.assert_absent("POST /api-tokens", &token, &["the API token"]);
        for (response, body) in &writes {
            secrets.assert_absent(response, body, &[]);
        }

        let ids = |template: &str| id_for(template, &f, user, token["id"].as_i64().unwrap(), admin);
        let paths = every_get(tenant, ids);
        assert!(paths.len() >= 20, "{paths:?}");
        let callers = [
            ("the platform superadmin", app.superadmin_token.clone()),
            ("the user", renewed["access_token"].as_str().unwrap().to_owned()),
            ("the API token", api_secret.clone()),
        ];
        for (who, bearer) in &callers {
            for path in &paths {
                let reply = app.send(app.client.get(app.url(path)).bearer_auth(bearer)).await;
                let body = reply.expect(200);
                secrets.assert_absent(&format!("GET {path} as {who}"), &body, &[]);
            }
        }
        let me = app.send(app.client.get(app.url("/api/v1/auth/me")).bearer_auth(&callers[1].1)).await.expect(200);
        assert_eq!(me["user"]["id"], user, "the user's own view was among those scanned");
    }

    async fn refused_sign_ins_do_not_echo_the_password(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = fixtures::role_id(&app, "viewer");
        let users_path = format!("/api/v1/tenants/{tenant}/users");
        let body = json!({"username": "adele.vance", "email": "adele@contoso.com", "role_id": viewer, "password": FIRST_PASSWORD});
        app.post(&users_path, &body).await.expect(201);

        let guess = "Guessed-Passw0rd-7731";
        let too_long = "Too-Long-Passw0rd-".repeat(10);
        let login_path = "/api/v1/auth/login";
        let attempts = [
            ("a wrong password", login(&app, "adele.vance", &json!(guess)).await, 401, guess.to_owned()),
            ("an unknown user", login(&app, "nobody.at.all", &json!(guess)).await, 401, guess.to_owned()),
            ("a password too long", login(&app, "adele.vance", &json!(too_long)).await, 422, too_long.clone()),
            ("a password that is a number", login(&app, "adele.vance", &json!(918_273_645_501_u64)).await, 422, "918273645501".to_owned()),
            (
                "an unknown field",
                app.post(login_path, &json!({"username": "adele.vance", "password": guess, "otp": 1})).await,
                422,
                guess.to_owned(),
            ),
            (
                "malformed JSON",
                app.raw(reqwest::Method::POST, login_path, "application/json", format!(r#"{{"username":"adele.vance","password":"{guess}"#)).await,
                400,
                guess.to_owned(),
            ),
            (
                "a made-up refresh token",
                app.post("/api/v1/auth/refresh", &json!({"refresh_token": guess})).await,
                401,
                guess.to_owned(),
            ),
            (
                "a new password that is too short",
                app.post(&users_path, &json!({"username": "megan", "email": "megan@contoso.com", "role_id": viewer, "password": "Short-7731"})).await,
                422,
                "Short-7731".to_owned(),
            ),
            (
                "a new password holding the username",
                app.post(&users_path, &json!({"username": "megan", "email": "megan@contoso.com", "role_id": viewer, "password": "megan-Passw0rd-7731"})).await,
                422,
                "megan-Passw0rd-7731".to_owned(),
            ),
        ];
        for (what, reply, status, password) in attempts {
            assert_eq!(reply.status.as_u16(), status, "{what}: {}", reply.body);
            assert_eq!(reply.content_type(), "application/problem+json", "{what}");
            let text = reply.body.to_string();
            assert!(!text.contains(&password), "{what}: the problem echoes the password: {text}");
            assert!(!text.contains(FIRST_PASSWORD) && !text.contains("$argon2"), "{what}: {text}");
        }
    }
}
