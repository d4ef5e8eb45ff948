//! Test harness: the real API served over HTTP on a random loopback port, backed by a fresh
//! database of either backend, and a small client for it.
#![allow(dead_code)]

pub mod fixtures;
pub mod receiver;

use std::net::TcpListener;

use actix_web::HttpServer;
use drift_api::{app, metrics, AppState, HttpOptions};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Runs each test body once on SQLite and once on PostgreSQL, as `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[actix_web::test]
                async fn sqlite() {
                    let $app = $crate::common::TestApp::spawn($crate::common::TestDb::sqlite()).await;
                    $body
                }

                #[actix_web::test]
                async fn postgres() {
                    let $app = $crate::common::TestApp::spawn($crate::common::TestDb::postgres()).await;
                    $body
                }
            }
        )+
    };
}

pub use drift_testing::TestDb;

/// A response: status, headers and the body parsed as JSON (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts an RFC 7807 problem of the given status and kind (the last part of its `type`),
    /// and returns the document.
    #[track_caller]
    pub fn expect_problem(self, status: u16, kind: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(
            self.body["type"],
            format!("urn:azure-drift-detector:problem:{kind}"),
            "body: {}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string());
        self.body
    }

    /// The `field` names of a validation problem's `errors`.
    pub fn error_fields(body: &Value) -> Vec<String> {
        body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

thread_local! {
    /// The sign-in limits of the next app a test spawns on this thread.
    pub static THROTTLE: std::cell::Cell<drift_api::throttle::ThrottlePolicy> = std::cell::Cell::new(Default::default());
}

fn options_throttle() -> drift_api::throttle::ThrottlePolicy {
    THROTTLE.with(|policy| policy.get())
}

pub struct TestApp {
    pub db: TestDb,
    /// The key the server signs access tokens with, so tests can forge or expire tokens.
    pub jwt_secret: String,
    /// The key the server encrypts secrets at rest with, so tests can read them.
    pub encryption_key: [u8; 32],
    pub base: String,
    pub client: reqwest::Client,
    pub max_body_bytes: usize,
    /// The harness's own tenant, which holds the platform superadmin the tests act as.
    pub harness_tenant: i64,
    /// An access token of that superadmin.
    pub superadmin_token: String,
    /// The bearer token requests carry unless they set their own `Authorization`; `None`
    /// sends them anonymously. Starts as the superadmin's.
    acting_as: std::cell::RefCell<Option<String>>,
}

/// The Azure tenant id of the harness's own tenant.
pub const HARNESS_AZURE_TENANT: &str = "00000000-0000-4000-8000-999999999999";

/// The Entra app registration a test app signs users in with (at the simulator).
pub struct MicrosoftApp {
    pub authority_host: String,
    pub client_id: String,
    pub client_secret: String,
}

impl TestApp {
    pub async fn spawn(db: TestDb) -> Self {
        Self::spawn_with(db, HttpOptions::default()).await
    }

    pub async fn spawn_with(db: TestDb, options: HttpOptions) -> Self {
        Self::spawn_full(db, options, None).await
    }

    /// An app with Microsoft sign-in; its public URL is its own address.
    pub async fn spawn_with_microsoft(db: TestDb, microsoft: MicrosoftApp) -> Self {
        Self::spawn_full(db, HttpOptions::default(), Some(microsoft)).await
    }

    async fn spawn_full(db: TestDb, options: HttpOptions, microsoft: Option<MicrosoftApp>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        let jwt_secret = drift_core::auth::random_secret(48);
        let encryption_key = drift_core::crypto::generate_key();
        let microsoft = microsoft.map(|m| {
            drift_api::oidc::MicrosoftSignIn::new(drift_api::config::MicrosoftConfig {
                client_id: m.client_id,
                client_secret: m.client_secret,
                authority_host: m.authority_host,
                public_url: format!("http://127.0.0.1:{port}"),
            })
            .unwrap()
        });
        let auth = drift_api::state::AuthSettings {
            keys: drift_core::auth::JwtKeys::from_secret(jwt_secret.as_bytes()).unwrap(),
            policy: drift_core::auth::SessionPolicy::default(),
            throttle: drift_api::throttle::LoginThrottle::new(options_throttle()),
            key_ring: drift_core::crypto::KeyRing::new(&encryption_key, &[]),
            microsoft,
        };
        let state = AppState::with_auth(db.pool(), auth);
        let metrics = metrics();
        let server = HttpServer::new({
            let options = options.clone();
            move || app(state.clone(), options.clone(), metrics.clone())
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        actix_web::rt::spawn(server);
        let mut app = Self {
            db,
            jwt_secret,
            encryption_key,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            max_body_bytes: options.max_body_bytes,
            harness_tenant: 0,
            superadmin_token: String::new(),
            acting_as: Default::default(),
        };
        let harness_tenant = {
            let mut conn = app.db.conn();
            let input = drift_core::tenants::TenantInput {
                name: "Test harness".into(),
                azure_tenant_id: HARNESS_AZURE_TENANT.into(),
            };
            drift_core::tenants::create(&mut conn, &input, drift_core::UtcTime::now())
                .expect("create the harness tenant")
                .id
        };
        app.harness_tenant = harness_tenant;
        app.superadmin_token = app.token_for(harness_tenant, "superadmin", "harness-superadmin");
        app.act_as(Some(app.superadmin_token.clone()));
        app
    }

    /// Creates a user of `role` in `tenant_id` (no password) and returns an access token for
    /// them, signed as the server signs them.
    pub fn token_for(&self, tenant_id: i64, role: &str, username: &str) -> String {
        let mut conn = self.db.conn();
        let role = drift_core::roles::find_by_name(&mut conn, role)
            .unwrap()
            .unwrap_or_else(|| panic!("role {role} exists"));
        let input: drift_core::users::UserInput = serde_json::from_value(serde_json::json!({
            "username": username,
            "email": format!("{username}@example.test"),
            "role_id": role.id,
        }))
        .unwrap();
        let user =
            drift_core::users::create(&mut conn, tenant_id, &input, drift_core::UtcTime::now())
                .expect("create a test user");
        self.sign(user.id, tenant_id, &role.name)
    }

    /// An access token for a user id, signed with the server's key.
    pub fn sign(&self, user_id: i64, tenant_id: i64, role: &str) -> String {
        let keys = drift_core::auth::JwtKeys::from_secret(self.jwt_secret.as_bytes()).unwrap();
        keys.issue(
            user_id,
            tenant_id,
            role,
            chrono::Utc::now().timestamp(),
            900,
        )
    }

    /// Sets the bearer token that later requests carry (`None`: anonymous).
    pub fn act_as(&self, token: Option<String>) {
        *self.acting_as.borrow_mut() = token;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        // The request's own client (a test may use one that does not follow redirects).
        let (client, request) = request.build_split();
        let mut request = request.expect("a well-formed request");
        if let Some(token) = self.acting_as.borrow().as_deref() {
            if !request
                .headers()
                .contains_key(reqwest::header::AUTHORIZATION)
            {
                request.headers_mut().insert(
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {token}").parse().unwrap(),
                );
            }
        }
        let response = client.execute(request).await.expect("the API answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.client.delete(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.put(self.url(path)).json(body)).await
    }

    /// A JSON Merge Patch.
    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        let request = self
            .client
            .patch(self.url(path))
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
        self.send(request).await
    }

    /// A request with a raw body and content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let request = self
            .client
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        self.send(request).await
    }

    /// Creates a tenant with a GUID derived from `n`; returns its id.
    pub async fn tenant(&self, name: &str, n: u32) -> i64 {
        let body = serde_json::json!({"name": name, "azure_tenant_id": guid(n)});
        self.post("/api/v1/tenants", &body).await.expect(201)["id"]
            .as_i64()
            .unwrap()
    }

    /// The id of a seeded role.
    pub async fn role_id(&self, name: &str) -> i64 {
        let page = self
            .get(&format!("/api/v1/roles?name={name}"))
            .await
            .expect(200);
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("role {name} exists"))["id"]
            .as_i64()
            .unwrap()
    }

    /// Follows `next_cursor` from `path` (which may carry a query) and returns every item.
    pub async fn collect_all(&self, path: &str, limit: u32) -> Vec<Value> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{path}{separator}limit={limit}");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page = self.get(&url).await.expect(200);
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

/// A GUID derived from a number, for test tenants.
pub fn guid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}
