//! Microsoft sign-in end to end: the API against the Azure simulator's identity platform, with
//! a browser played by a client that does not follow redirects.

mod common;

use std::net::TcpListener;

use azure_sim::{serve, SimOptions, SimState, WorldConfig};
use common::{MicrosoftApp, Reply, TestApp, TestDb};
use diesel::prelude::*;
use drift_core::crypto::{KeyRing, Purpose};
use drift_core::db::schema::users;
use serde_json::{json, Value};

/// Runs each test body once on SQLite and once on PostgreSQL, with a simulator of two tenants
/// (auto-consent on) and an API that signs users in there.
macro_rules! with_microsoft_on_both_backends {
    ($(async fn $name:ident($ctx:ident: Ctx) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[actix_web::test]
                async fn sqlite() {
                    let $ctx = Ctx::start(TestDb::sqlite(), true).await;
                    $body
                }

                #[actix_web::test]
                async fn postgres() {
                    let $ctx = Ctx::start(TestDb::postgres(), true).await;
                    $body
                }
            }
        )+
    };
}

/// The simulator, the API wired to it, and the two simulated tenants as tenants of the API.
struct Ctx {
    app: TestApp,
    sim: String,
    /// A browser that shows each redirect instead of following it.
    browser: reqwest::Client,
    /// `/_sim/tenants`.
    sim_tenants: Vec<Value>,
    /// The API's ids of the simulated tenants, in the same order.
    tenants: Vec<i64>,
}

/// Where a redirect points.
fn location(reply: &Reply) -> url::Url {
    let raw = reply.headers["location"].to_str().unwrap();
    url::Url::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Ctx {
    async fn start(db: TestDb, auto_consent: bool) -> Self {
        let config = WorldConfig {
            tenants: 2,
            users_per_tenant: 6,
            ca_policies: 5,
            named_locations: 2,
            applications: 2,
            intune_policies: 2,
            subscriptions: 1,
            arm_resources: 5,
            auto_consent,
            ..WorldConfig::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let running = serve(listener, SimState::new(config, SimOptions::default()), 1).unwrap();
        let sim = running.base_url.clone();
        actix_web::rt::spawn(running.server);
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let sim_tenants: Vec<Value> = browser
            .get(format!("{sim}/_sim/tenants"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let app = TestApp::spawn_with_microsoft(
            db,
            MicrosoftApp {
                authority_host: sim.clone(),
                client_id: sim_tenants[0]["client_id"].as_str().unwrap().to_owned(),
                client_secret: sim_tenants[0]["client_secret"].as_str().unwrap().to_owned(),
            },
        )
        .await;
        let mut tenants = Vec::new();
        for t in &sim_tenants {
            let body = json!({"name": t["name"], "azure_tenant_id": t["tenant_id"]});
            tenants.push(
                app.post("/api/v1/tenants", &body).await.expect(201)["id"]
                    .as_i64()
                    .unwrap(),
            );
        }
        Self {
            app,
            sim,
            browser,
            sim_tenants,
            tenants,
        }
    }

    /// The UPN of simulated user `n` of tenant `t`.
    fn upn(&self, t: usize, n: usize) -> String {
        self.sim_tenants[t]["users"][n].as_str().unwrap().to_owned()
    }

    fn azure_id(&self, t: usize) -> &str {
        self.sim_tenants[t]["tenant_id"].as_str().unwrap()
    }

    async fn visit(&self, url: &str) -> Reply {
        self.app.send(self.browser.get(url)).await
    }

    /// Our login route for tenant `t`: the redirect to Microsoft.
    async fn login(&self, t: usize, upn: &str) -> url::Url {
        let mut url = url::Url::parse(&self.app.url("/api/v1/auth/microsoft/login")).unwrap();
        url.query_pairs_mut()
            .append_pair("tenant", &self.tenants[t].to_string())
            .append_pair("login_hint", upn);
        let reply = self.visit(url.as_str()).await;
        assert_eq!(reply.status, 302, "{}", reply.body);
        location(&reply)
    }

    /// Microsoft's answer to an authorization request: the redirect to our callback.
    async fn authorize(&self, authorize_url: &url::Url) -> url::Url {
        let reply = self.visit(authorize_url.as_str()).await;
        assert_eq!(reply.status, 302, "{}", reply.body);
        let callback = location(&reply);
        assert!(
            callback
                .as_str()
                .starts_with(&self.app.url("/api/v1/auth/microsoft/callback")),
            "{callback}"
        );
        callback
    }

    /// Login and authorize: the callback URL the browser is sent to.
    async fn until_callback(&self, t: usize, upn: &str) -> url::Url {
        let authorize_url = self.login(t, upn).await;
        self.authorize(&authorize_url).await
    }

    /// A whole sign-in up to the hand-off code.
    async fn handoff(&self, t: usize, upn: &str) -> String {
        let callback = self.until_callback(t, upn).await;
        let reply = self.visit(callback.as_str()).await;
        handoff_of(&self.app, reply)
    }

    async fn exchange(&self, handoff: &str) -> Reply {
        self.app
            .post(
                "/api/v1/auth/microsoft/session",
                &json!({"handoff": handoff}),
            )
            .await
    }

    /// A whole sign-in: the session.
    async fn sign_in(&self, t: usize, upn: &str) -> Value {
        let handoff = self.handoff(t, upn).await;
        self.exchange(&handoff).await.expect(200)
    }

    /// The signed-in user, as `/auth/me` shows them.
    async fn me(&self, session: &Value) -> Value {
        let identity = self
            .app
            .send(
                self.app
                    .client
                    .get(self.app.url("/api/v1/auth/me"))
                    .bearer_auth(session["access_token"].as_str().unwrap()),
            )
            .await
            .expect(200);
        identity["user"].clone()
    }

    async fn users(&self, t: usize) -> Vec<Value> {
        self.app
            .get(&format!("/api/v1/tenants/{}/users", self.tenants[t]))
            .await
            .expect(200)["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// The stored `users.access_token` and `users.refresh_token` of a user.
    fn stored_tokens(&self, user_id: i64) -> (Option<String>, Option<String>) {
        users::table
            .find(user_id)
            .select((users::access_token, users::refresh_token))
            .first(&mut *self.app.db.conn())
            .unwrap()
    }
}

/// The hand-off code of the callback's redirect to the single-page app.
fn handoff_of(app: &TestApp, reply: Reply) -> String {
    assert_eq!(reply.status, 302, "{}", reply.body);
    let raw = reply.headers["location"].to_str().unwrap().to_owned();
    let prefix = app.url("/auth/microsoft/done#handoff=");
    assert!(raw.starts_with(&prefix), "{raw}");
    assert_eq!(reply.headers["cache-control"], "no-store");
    raw[prefix.len()..].to_owned()
}

/// The reason of a refused sign-in: the callback sends the browser back to the single-page app
/// with it in the fragment (`#error=<message>`), never a problem document a person would see
/// as raw JSON.
#[track_caller]
fn refusal_of(app: &TestApp, reply: Reply) -> String {
    assert_eq!(reply.status, 302, "{}", reply.body);
    let raw = reply.headers["location"].to_str().unwrap().to_owned();
    let prefix = app.url("/auth/microsoft/done#");
    assert!(raw.starts_with(&prefix), "{raw}");
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(reply.headers["referrer-policy"], "no-referrer");
    let fragment: Vec<(String, String)> =
        url::form_urlencoded::parse(&raw.as_bytes()[prefix.len()..])
            .into_owned()
            .collect();
    assert_eq!(fragment.len(), 1, "{raw}");
    let (name, message) = fragment.into_iter().next().unwrap();
    assert_eq!(name, "error", "{raw}");
    message
}

fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

with_microsoft_on_both_backends! {
    async fn the_login_redirects_to_the_tenants_authority_with_pkce(ctx: Ctx) {
        let upn = ctx.upn(0, 0);
        let authorize = ctx.login(0, &upn).await;
        assert_eq!(authorize.path(), format!("/{}/oauth2/v2.0/authorize", ctx.azure_id(0)));
        assert!(authorize.as_str().starts_with(&ctx.sim));
        assert_eq!(param(&authorize, "response_type").as_deref(), Some("code"));
        assert_eq!(param(&authorize, "scope").as_deref(), Some("openid profile email offline_access"));
        assert_eq!(param(&authorize, "code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(param(&authorize, "code_challenge").map(|c| c.len()), Some(43));
        assert_eq!(param(&authorize, "client_id").as_deref(), ctx.sim_tenants[0]["client_id"].as_str());
        assert_eq!(
            param(&authorize, "redirect_uri"),
            Some(ctx.app.url("/api/v1/auth/microsoft/callback"))
        );
        assert_eq!(param(&authorize, "login_hint"), Some(upn));
        assert!(param(&authorize, "state").is_some_and(|s| s.len() >= 16));
        assert!(param(&authorize, "nonce").is_some_and(|s| s.len() >= 16));
        // The tenant may be named by its Entra tenant id too.
        let by_guid = ctx.visit(&ctx.app.url(&format!("/api/v1/auth/microsoft/login?tenant={}", ctx.azure_id(1).to_uppercase()))).await;
        assert_eq!(by_guid.status, 302);
        assert_eq!(location(&by_guid).path(), format!("/{}/oauth2/v2.0/authorize", ctx.azure_id(1)));
    }

    async fn unknown_tenants_are_not_found(ctx: Ctx) {
        for tenant in ["999999", "5d1f9a2e-0c4b-4d7e-9f3a-123456789abc", "contoso"] {
            ctx.app
                .get(&format!("/api/v1/auth/microsoft/login?tenant={tenant}"))
                .await
                .expect_problem(404, "not-found");
        }
        let missing = ctx.app.get("/api/v1/auth/microsoft/login").await.expect_problem(422, "validation-failed");
        assert!(missing["detail"].as_str().unwrap().contains("tenant"), "{missing}");
    }

    async fn a_first_sign_in_provisions_a_viewer_with_encrypted_microsoft_tokens(ctx: Ctx) {
        let upn = ctx.upn(0, 1);
        let session = ctx.sign_in(0, &upn).await;
        assert_eq!(session["token_type"], "Bearer");
        assert!(session["refresh_token"].is_string());
        let me = ctx.me(&session).await;
        assert_eq!(me["tenant_id"], ctx.tenants[0]);
        assert_eq!(me["role"], "viewer");
        assert_eq!(me["username"], upn.as_str());
        assert_eq!(me["email"], upn.as_str());
        assert_eq!(me["has_password"], false);
        assert!(me["microsoft_id"].is_string());
        assert!(me["last_login"].is_string() && me["token_expiry"].is_string());
        let user_id = me["id"].as_i64().unwrap();

        // The columns hold ciphertext that decrypts to what the simulator issued.
        let (access, refresh) = ctx.stored_tokens(user_id);
        let (access, refresh) = (access.unwrap(), refresh.unwrap());
        assert!(access.starts_with("v1:") && refresh.starts_with("v1:"), "{access}");
        let ring = KeyRing::new(&ctx.app.encryption_key, &[]);
        let access_token = ring.decrypt(Purpose::USER_ACCESS_TOKEN, &access).unwrap();
        let refresh_token = ring.decrypt(Purpose::USER_REFRESH_TOKEN, &refresh).unwrap();
        let claims = jwt_claims(&access_token);
        assert_eq!(claims["tid"], ctx.azure_id(0));
        assert_eq!(claims["oid"], me["microsoft_id"]);
        assert_eq!(claims["upn"], upn.as_str());
        assert!(ring.decrypt(Purpose::USER_REFRESH_TOKEN, &access).is_err(), "bound to its column");
        let renewed = ctx
            .browser
            .post(format!("{}/{}/oauth2/v2.0/token", ctx.sim, ctx.azure_id(0)))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", ctx.sim_tenants[0]["client_id"].as_str().unwrap()),
                ("client_secret", ctx.sim_tenants[0]["client_secret"].as_str().unwrap()),
                ("refresh_token", refresh_token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(renewed.status(), 200, "the stored refresh token is the simulator's");

        // No API response carries them, in either form.
        let responses = [
            ctx.app.get(&format!("/api/v1/tenants/{}/users", ctx.tenants[0])).await.expect(200),
            ctx.app.get(&format!("/api/v1/tenants/{}/users/{user_id}", ctx.tenants[0])).await.expect(200),
            me,
            session,
        ];
        for body in responses {
            let text = body.to_string();
            for secret in [&access_token, &refresh_token, &access, &refresh] {
                assert!(!text.contains(secret.as_str()), "{text}");
            }
        }
        assert_eq!(ctx.users(0).await.len(), 1);
    }

    async fn a_local_user_with_the_same_email_is_linked(ctx: Ctx) {
        let upn = ctx.upn(0, 2);
        let role_id = ctx.app.role_id("operator").await;
        let local = ctx
            .app
            .post(
                &format!("/api/v1/tenants/{}/users", ctx.tenants[0]),
                &json!({"username": "local.operator", "email": upn.to_uppercase(), "role_id": role_id, "password": "a long enough password"}),
            )
            .await
            .expect(201);
        assert!(local["microsoft_id"].is_null());
        let me = ctx.me(&ctx.sign_in(0, &upn).await).await;
        assert_eq!(me["id"], local["id"]);
        assert_eq!(me["username"], "local.operator");
        assert_eq!(me["role"], "operator");
        assert_eq!(me["has_password"], true);
        assert!(me["microsoft_id"].is_string());
        assert_eq!(ctx.users(0).await.len(), 1);
    }

    async fn a_second_sign_in_finds_the_user_by_object_id(ctx: Ctx) {
        let upn = ctx.upn(1, 0);
        let first = ctx.me(&ctx.sign_in(1, &upn).await).await;
        // Another e-mail address now: only the object id can find the user.
        let path = format!("/api/v1/tenants/{}/users/{}", ctx.tenants[1], first["id"]);
        ctx.app.patch(&path, &json!({"email": "renamed@example.com"})).await.expect(200);
        let second = ctx.me(&ctx.sign_in(1, &upn).await).await;
        assert_eq!(second["id"], first["id"]);
        assert_eq!(second["email"], "renamed@example.com");
        assert_eq!(second["microsoft_id"], first["microsoft_id"]);
        assert_eq!(ctx.users(1).await.len(), 1);
        assert!(ctx.users(0).await.is_empty());
    }

    async fn an_unknown_or_missing_state_is_refused(ctx: Ctx) {
        let callback = ctx.until_callback(0, &ctx.upn(0, 0)).await;
        let mut forged = callback.clone();
        let code = param(&callback, "code").unwrap();
        forged.query_pairs_mut().clear().append_pair("code", &code).append_pair("state", "not-our-state");
        let message = refusal_of(&ctx.app, ctx.visit(forged.as_str()).await);
        assert_eq!(message, "This Microsoft sign-in is unknown, expired or already completed; start again");
        forged.query_pairs_mut().clear().append_pair("code", &code);
        let message = refusal_of(&ctx.app, ctx.visit(forged.as_str()).await);
        assert!(message.starts_with("The callback has no state parameter"), "{message}");
        assert!(ctx.users(0).await.is_empty());
    }

    async fn a_state_works_once(ctx: Ctx) {
        let callback = ctx.until_callback(0, &ctx.upn(0, 0)).await;
        let reply = ctx.visit(callback.as_str()).await;
        handoff_of(&ctx.app, reply);
        let message = refusal_of(&ctx.app, ctx.visit(callback.as_str()).await);
        assert!(message.contains("already completed"), "{message}");
    }

    async fn a_replayed_authorization_code_is_refused(ctx: Ctx) {
        let upn = ctx.upn(0, 3);
        let first = ctx.until_callback(0, &upn).await;
        let reply = ctx.visit(first.as_str()).await;
        handoff_of(&ctx.app, reply);
        // A fresh sign-in, completed with the spent code.
        let second = ctx.until_callback(0, &upn).await;
        let mut replay = second.clone();
        replay
            .query_pairs_mut()
            .clear()
            .append_pair("code", &param(&first, "code").unwrap())
            .append_pair("state", &param(&second, "state").unwrap());
        let detail = refusal_of(&ctx.app, ctx.visit(replay.as_str()).await);
        assert!(detail.contains("invalid_grant") && detail.contains("AADSTS54005"), "{detail}");
        assert!(!detail.contains("Trace ID"), "{detail}");
    }

    async fn a_code_from_another_tenant_is_refused(ctx: Ctx) {
        // The sign-in starts for tenant A; the browser is sent to tenant B's authority instead.
        let authorize_a = ctx.login(0, &ctx.upn(1, 0)).await;
        let mut authorize_b = authorize_a.clone();
        authorize_b.set_path(&format!("/{}/oauth2/v2.0/authorize", ctx.azure_id(1)));
        let callback = ctx.authorize(&authorize_b).await;
        assert!(param(&callback, "code").is_some());
        let detail = refusal_of(&ctx.app, ctx.visit(callback.as_str()).await);
        assert!(detail.contains("AADSTS700005"), "{detail}");
        assert!(ctx.users(0).await.is_empty() && ctx.users(1).await.is_empty());
    }

    async fn inactive_users_are_refused(ctx: Ctx) {
        let upn = ctx.upn(0, 4);
        let role_id = ctx.app.role_id("viewer").await;
        let users_path = format!("/api/v1/tenants/{}/users", ctx.tenants[0]);
        let disabled = ctx
            .app
            .post(&users_path, &json!({"username": "disabled.user", "email": upn, "role_id": role_id, "active": false}))
            .await
            .expect(201);
        let reply = ctx.visit(ctx.until_callback(0, &upn).await.as_str()).await;
        assert_eq!(refusal_of(&ctx.app, reply), "The account is disabled");
        let after = ctx.app.get(&format!("{users_path}/{}", disabled["id"])).await.expect(200);
        assert!(after["microsoft_id"].is_null(), "a refused sign-in links nothing");
        assert_eq!(ctx.stored_tokens(disabled["id"].as_i64().unwrap()), (None, None));

        // A linked user deactivated later is refused too, and so is their pending hand-off.
        let upn = ctx.upn(0, 5);
        let handoff = ctx.handoff(0, &upn).await;
        let user = ctx.users(0).await.into_iter().find(|u| u["email"] == upn.as_str()).unwrap();
        ctx.app.patch(&format!("{users_path}/{}", user["id"]), &json!({"active": false})).await.expect(200);
        ctx.exchange(&handoff).await.expect_problem(401, "unauthorized");
        let reply = ctx.visit(ctx.until_callback(0, &upn).await.as_str()).await;
        assert_eq!(refusal_of(&ctx.app, reply), "The account is disabled");
    }

    async fn a_handoff_code_works_once(ctx: Ctx) {
        let handoff = ctx.handoff(0, &ctx.upn(0, 0)).await;
        ctx.exchange(&handoff).await.expect(200);
        let problem = ctx.exchange(&handoff).await.expect_problem(401, "unauthorized");
        assert!(problem["detail"].as_str().unwrap().contains("hand-off"), "{problem}");
        ctx.exchange("made-up").await.expect_problem(401, "unauthorized");
        ctx.app
            .post("/api/v1/auth/microsoft/session", &json!({"code": handoff}))
            .await
            .expect_problem(422, "validation-failed");
    }
}

mod consent {
    use super::*;

    async fn consent_errors_from_microsoft_are_readable(db: TestDb) {
        let ctx = Ctx::start(db, false).await;
        let callback = ctx.until_callback(0, &ctx.upn(0, 0)).await;
        assert_eq!(
            param(&callback, "error").as_deref(),
            Some("consent_required")
        );
        let detail = refusal_of(&ctx.app, ctx.visit(callback.as_str()).await);
        assert!(detail.starts_with("Microsoft sign-in failed: consent_required: an administrator of the tenant must first grant this application consent"), "{detail}");
        assert!(detail.contains("AADSTS65001"), "{detail}");
        // The state was spent by the error.
        let again = refusal_of(&ctx.app, ctx.visit(callback.as_str()).await);
        assert!(again.contains("already completed"), "{again}");
        assert!(ctx.users(0).await.is_empty());
    }

    #[actix_web::test]
    async fn sqlite() {
        consent_errors_from_microsoft_are_readable(TestDb::sqlite()).await;
    }

    #[actix_web::test]
    async fn postgres() {
        consent_errors_from_microsoft_are_readable(TestDb::postgres()).await;
    }
}

on_both_backends! {
    async fn without_configuration_microsoft_sign_in_is_not_found(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        for reply in [
            app.get(&format!("/api/v1/auth/microsoft/login?tenant={tenant}")).await,
            app.get("/api/v1/auth/microsoft/callback?code=x&state=y").await,
            app.post("/api/v1/auth/microsoft/session", &json!({"handoff": "x"})).await,
        ] {
            let problem = reply.expect_problem(404, "not-found");
            assert_eq!(problem["detail"], "Microsoft sign-in is not configured on this server");
        }
    }
}
