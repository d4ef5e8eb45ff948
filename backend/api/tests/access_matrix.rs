//! Who may call what: every operation of the OpenAPI document, tried as every kind of caller
//! (anonymous, each built-in role, another tenant's admin, an API token, four kinds of bad
//! token), with the exact answer each should get.
//!
//! The answers come from [`OPERATIONS`], a table written by hand, and from the permissions of
//! the built-in roles, also written out here. The document's own `security` declarations are
//! not read: the table is the specification they are checked against, so a wrong declaration
//! (or a wrongly seeded role) fails this test, and so does a documented operation that has no
//! row. Allowed requests must really succeed, so each row also says how to prepare a valid
//! attempt; whatever an attempt changes or deletes is made for that attempt alone, so the order
//! of the attempts does not matter.

mod common;

use std::collections::BTreeSet;

use common::fixtures::{self, Fixtures};
use common::{Reply, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// What an operation requires of its caller.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, with or without a token, even a bad one: the token is not looked at.
    Public,
    /// Any valid identity.
    SignedIn,
    /// A permission; the path names no tenant.
    Global(&'static str),
    /// A permission, inside the path's `{tenant_id}`. Callers of another tenant get 404 (as if
    /// it did not exist) unless their role spans tenants, before their permissions are looked at.
    InTenant(&'static str),
}
use Rule::{Global, InTenant, Public, SignedIn};

/// One operation and what it requires.
struct Operation {
    method: &'static str,
    /// The path template, spelt as in the document.
    path: &'static str,
    rule: Rule,
    /// The status of a successful call.
    success: u16,
    /// Makes one attempt's `{id}` and body.
    prepare: Prepare,
}

const fn op(
    method: &'static str,
    path: &'static str,
    rule: Rule,
    success: u16,
    prepare: Prepare,
) -> Operation {
    Operation {
        method,
        path,
        rule,
        success,
        prepare,
    }
}

/// Every operation of the API. A new route needs a row here (the first test says which), e.g.
/// `op("GET", "/api/v1/auth/microsoft/login", Public, 302, nothing)`; a new kind of `{id}` or
/// body needs a preparer below.
#[rustfmt::skip]
const OPERATIONS: &[Operation] = &[
    op("GET",    "/health",                                           Public, 200, nothing),
    op("GET",    "/ready",                                            Public, 200, nothing),
    op("POST",   "/api/v1/auth/login",                                Public, 200, credentials),
    op("POST",   "/api/v1/auth/refresh",                              Public, 200, fresh_refresh_token),
    op("POST",   "/api/v1/auth/logout",                               Public, 204, fresh_refresh_token),
    op("GET",    "/api/v1/auth/me",                                   SignedIn, 200, nothing),
    // Microsoft sign-in is not configured in this app: public, and 404 for everyone (the
    // login without its `tenant` query is refused before that).
    op("GET",    "/api/v1/auth/microsoft/login",                      Public, 422, nothing),
    op("GET",    "/api/v1/auth/microsoft/callback",                   Public, 404, nothing),
    op("POST",   "/api/v1/auth/microsoft/session",                    Public, 404, handoff),

    op("GET",    "/api/v1/tenants",                                   Global("tenants:read"), 200, nothing),
    op("POST",   "/api/v1/tenants",                                   Global("tenants:manage"), 201, new_tenant),
    op("GET",    "/api/v1/tenants/{tenant_id}",                       InTenant("tenants:read"), 200, nothing),
    op("PUT",    "/api/v1/tenants/{tenant_id}",                       InTenant("tenants:manage"), 200, same_tenant),
    op("PATCH",  "/api/v1/tenants/{tenant_id}",                       InTenant("tenants:manage"), 200, same_tenant),
    op("DELETE", "/api/v1/tenants/{tenant_id}",                       InTenant("tenants:manage"), 204, fresh_tenant_if_allowed),

    op("GET",    "/api/v1/roles",                                     Global("roles:read"), 200, nothing),
    op("POST",   "/api/v1/roles",                                     Global("roles:manage"), 201, new_role),
    op("GET",    "/api/v1/roles/{id}",                                Global("roles:read"), 200, built_in_role),
    op("PUT",    "/api/v1/roles/{id}",                                Global("roles:manage"), 200, fresh_role_replaced),
    op("PATCH",  "/api/v1/roles/{id}",                                Global("roles:manage"), 200, fresh_role_patched),
    op("DELETE", "/api/v1/roles/{id}",                                Global("roles:manage"), 204, fresh_role),

    op("GET",    "/api/v1/tenants/{tenant_id}/users",                 InTenant("users:read"), 200, nothing),
    op("POST",   "/api/v1/tenants/{tenant_id}/users",                 InTenant("users:manage"), 201, new_user),
    op("GET",    "/api/v1/tenants/{tenant_id}/users/{id}",            InTenant("users:read"), 200, existing_user),
    op("PUT",    "/api/v1/tenants/{tenant_id}/users/{id}",            InTenant("users:manage"), 200, fresh_user_replaced),
    op("PATCH",  "/api/v1/tenants/{tenant_id}/users/{id}",            InTenant("users:manage"), 200, fresh_user_patched),
    op("DELETE", "/api/v1/tenants/{tenant_id}/users/{id}",            InTenant("users:manage"), 204, fresh_user),

    op("GET",    "/api/v1/tenants/{tenant_id}/settings",              InTenant("settings:read"), 200, nothing),
    op("PUT",    "/api/v1/tenants/{tenant_id}/settings",              InTenant("settings:write"), 200, default_settings),
    op("PATCH",  "/api/v1/tenants/{tenant_id}/settings",              InTenant("settings:write"), 200, default_settings),
    op("GET",    "/api/v1/tenants/{tenant_id}/settings/history",      InTenant("settings:read"), 200, nothing),
    op("GET",    "/api/v1/tenants/{tenant_id}/settings/history/{id}", InTenant("settings:read"), 200, existing_settings_version),
    op("DELETE", "/api/v1/tenants/{tenant_id}/settings/history/{id}", InTenant("settings:write"), 204, fresh_settings_version),
    op("GET",    "/api/v1/tenants/{tenant_id}/notifications/deliveries", InTenant("settings:read"), 200, nothing),
    op("POST",   "/api/v1/tenants/{tenant_id}/notifications/test",    InTenant("settings:write"), 200, test_notification),

    op("GET",    "/api/v1/tenants/{tenant_id}/configurations",        InTenant("configurations:read"), 200, nothing),
    op("GET",    "/api/v1/tenants/{tenant_id}/configurations/{id}",   InTenant("configurations:read"), 200, existing_configuration),
    op("DELETE", "/api/v1/tenants/{tenant_id}/configurations/{id}",   InTenant("configurations:delete"), 204, fresh_configuration),
    op("GET",    "/api/v1/tenants/{tenant_id}/configurations/{id}/history", InTenant("history:read"), 200, existing_configuration),
    op("GET",    "/api/v1/tenants/{tenant_id}/history",               InTenant("history:read"), 200, nothing),
    op("GET",    "/api/v1/tenants/{tenant_id}/history/summary",       InTenant("history:read"), 200, nothing),
    op("GET",    "/api/v1/tenants/{tenant_id}/configurations/{id}/diff", InTenant("history:read"), 200, existing_configuration),
    op("GET",    "/api/v1/tenants/{tenant_id}/poll-status",           InTenant("configurations:read"), 200, nothing),
    op("POST",   "/api/v1/tenants/{tenant_id}/poll",                  InTenant("settings:write"), 202, nothing),
    op("GET",    "/api/v1/tenants/{tenant_id}/history/{id}",          InTenant("history:read"), 200, existing_history_entry),

    op("GET",    "/api/v1/tenants/{tenant_id}/signing-logs",          InTenant("signins:read"), 200, nothing),
    op("GET",    "/api/v1/tenants/{tenant_id}/signing-logs/{id}",     InTenant("signins:read"), 200, existing_signin),
    op("GET",    "/api/v1/tenants/{tenant_id}/signing-logs/summary",  InTenant("signins:read"), 200, nothing),

    op("GET",    "/api/v1/tenants/{tenant_id}/api-tokens",            InTenant("api_tokens:manage"), 200, nothing),
    op("POST",   "/api/v1/tenants/{tenant_id}/api-tokens",            InTenant("api_tokens:manage"), 201, new_api_token),
    op("GET",    "/api/v1/tenants/{tenant_id}/api-tokens/{id}",       InTenant("api_tokens:manage"), 200, existing_api_token),
    op("DELETE", "/api/v1/tenants/{tenant_id}/api-tokens/{id}",       InTenant("api_tokens:manage"), 204, fresh_api_token),
];

/// The permissions of the built-in roles (the `seed_roles` migrations), written out so that a
/// change to a seed shows here.
#[rustfmt::skip]
mod roles {
    pub const VIEWER: &[&str] = &[
        "tenants:read", "settings:read", "configurations:read", "history:read", "signins:read",
    ];
    pub const OPERATOR: &[&str] = &[
        "tenants:read", "settings:read", "configurations:read", "history:read", "signins:read",
        "roles:read", "users:read", "settings:write",
    ];
    pub const ADMIN: &[&str] = &[
        "tenants:read", "settings:read", "configurations:read", "history:read", "signins:read",
        "roles:read", "users:read", "settings:write",
        "users:manage", "configurations:delete", "api_tokens:manage",
    ];
    pub const SUPERADMIN: &[&str] = &[
        "tenants:read", "settings:read", "configurations:read", "history:read", "signins:read",
        "roles:read", "users:read", "settings:write",
        "users:manage", "configurations:delete", "api_tokens:manage",
        "tenants:manage", "roles:manage",
    ];
}

/// A valid identity: its tenant and its role's permissions.
#[derive(Debug, Clone, Copy)]
struct Valid {
    tenant: i64,
    permissions: &'static [&'static str],
}

impl Valid {
    fn has(&self, permission: &str) -> bool {
        self.permissions.contains(&permission)
    }

    fn spans_tenants(&self) -> bool {
        self.has("tenants:manage")
    }
}

/// Who sends a request, and the token they send.
struct Caller {
    name: &'static str,
    token: Option<String>,
    /// `None`: anonymous or a bad token, which the API must treat alike.
    valid: Option<Valid>,
}

/// How an attempt should end.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Success(u16),
    /// A problem document of this status and kind.
    Refused(u16, &'static str),
}

/// The answer `caller` should get from `operation` on a path in `tenant`, by the table.
fn expected(operation: &Operation, caller: &Caller, tenant: i64) -> Outcome {
    let success = Outcome::Success(operation.success);
    let permission = match (operation.rule, caller.valid) {
        (Public, _) => return success,
        (_, None) => return Outcome::Refused(401, "unauthorized"),
        (SignedIn, Some(_)) => return success,
        (Global(permission), Some(_)) => permission,
        (InTenant(permission), Some(valid)) => {
            if !valid.spans_tenants() && valid.tenant != tenant {
                return Outcome::Refused(404, "not-found");
            }
            permission
        }
    };
    if caller.valid.is_some_and(|valid| valid.has(permission)) {
        success
    } else {
        Outcome::Refused(403, "forbidden")
    }
}

// ---------------------------------------------------------------------------------------------
// Preparing attempts

/// The shared state attempts are prepared from.
struct World<'a> {
    app: &'a TestApp,
    a: Fixtures,
    b: Fixtures,
    viewer_role: i64,
    /// A user of tenant A with [`PASSWORD`], for the sign-in routes.
    login_user: i64,
}

impl<'a> World<'a> {
    async fn build(app: &'a TestApp) -> World<'a> {
        let a = app.tenant("Tenant A", 1).await;
        let b = app.tenant("Tenant B", 2).await;
        let viewer_role = fixtures::role_id(app, "viewer");
        let login_user = fixtures::new_user(app, a, "viewer", LOGIN_NAME);
        fixtures::set_cheap_password(app, login_user, PASSWORD);
        World {
            app,
            a: fixtures::seed(app, a, "a"),
            b: fixtures::seed(app, b, "b"),
            viewer_role,
            login_user,
        }
    }
}

const LOGIN_NAME: &str = "matrix.login";
const PASSWORD: &str = "correct horse battery staple";

/// Where one attempt goes.
struct Target<'a> {
    /// The fixtures of the tenant the path names (tenant A's for paths without a tenant).
    fixtures: &'a Fixtures,
    /// Whether the table expects the caller to get through.
    allowed: bool,
}

/// One attempt's path parameters and body.
#[derive(Default)]
struct Attempt {
    /// Another `{tenant_id}` than the target's (see [`fresh_tenant_if_allowed`]).
    tenant: Option<i64>,
    id: Option<i64>,
    body: Option<Value>,
}

type Prepare = fn(&World, &Target) -> Attempt;

fn with_id(id: i64) -> Attempt {
    Attempt {
        id: Some(id),
        ..Attempt::default()
    }
}

fn with_body(body: Value) -> Attempt {
    Attempt {
        body: Some(body),
        ..Attempt::default()
    }
}

fn nothing(_: &World, _: &Target) -> Attempt {
    Attempt::default()
}

fn credentials(_: &World, _: &Target) -> Attempt {
    with_body(json!({"username": LOGIN_NAME, "password": PASSWORD}))
}

fn handoff(_: &World, _: &Target) -> Attempt {
    with_body(json!({"handoff": "not-a-real-handoff-code"}))
}

fn fresh_refresh_token(world: &World, _: &Target) -> Attempt {
    let token = fixtures::new_refresh_token(world.app, world.login_user);
    with_body(json!({"refresh_token": token}))
}

fn new_tenant(_: &World, _: &Target) -> Attempt {
    let n = 700_000 + fixtures::unique() as u32;
    with_body(json!({"name": format!("New {n}"), "azure_tenant_id": common::guid(n)}))
}

fn same_tenant(_: &World, target: &Target) -> Attempt {
    let f = target.fixtures;
    with_body(json!({"name": f.tenant_name, "azure_tenant_id": f.azure_tenant_id}))
}

/// Deleting the path's tenant would take the callers and fixtures with it. A caller allowed to
/// delete it spans tenants, so every tenant is alike to them: they delete a new one instead.
fn fresh_tenant_if_allowed(world: &World, target: &Target) -> Attempt {
    Attempt {
        tenant: target
            .allowed
            .then(|| fixtures::new_tenant(world.app, "Doomed").0),
        ..Attempt::default()
    }
}

fn built_in_role(world: &World, _: &Target) -> Attempt {
    with_id(world.viewer_role)
}

fn new_role(_: &World, _: &Target) -> Attempt {
    let name = format!("matrix-{}", fixtures::unique());
    with_body(json!({"name": name, "permissions": ["history:read"]}))
}

fn fresh_role(world: &World, _: &Target) -> Attempt {
    with_id(fixtures::new_role(world.app, &["history:read"]).0)
}

fn fresh_role_replaced(world: &World, _: &Target) -> Attempt {
    let (id, name) = fixtures::new_role(world.app, &["history:read"]);
    Attempt {
        id: Some(id),
        body: Some(
            json!({"name": name, "description": "Replaced", "permissions": ["signins:read"]}),
        ),
        ..Attempt::default()
    }
}

fn fresh_role_patched(world: &World, target: &Target) -> Attempt {
    Attempt {
        body: Some(json!({"description": "Patched"})),
        ..fresh_role(world, target)
    }
}

fn new_user(world: &World, _: &Target) -> Attempt {
    let name = format!("new.{}", fixtures::unique());
    with_body(json!({
        "username": name,
        "email": format!("{name}@example.test"),
        "role_id": world.viewer_role,
    }))
}

fn existing_user(_: &World, target: &Target) -> Attempt {
    with_id(target.fixtures.user)
}

fn fresh_user(world: &World, target: &Target) -> Attempt {
    fresh_user_named(world, target, &format!("fresh.{}", fixtures::unique()))
}

fn fresh_user_named(world: &World, target: &Target, name: &str) -> Attempt {
    with_id(fixtures::new_user(
        world.app,
        target.fixtures.tenant,
        "viewer",
        name,
    ))
}

fn fresh_user_replaced(world: &World, target: &Target) -> Attempt {
    let name = format!("fresh.{}", fixtures::unique());
    Attempt {
        body: Some(json!({
            "username": name,
            "email": format!("{name}@example.test"),
            "role_id": world.viewer_role,
            "first_name": "Replaced",
        })),
        ..fresh_user_named(world, target, &name)
    }
}

fn fresh_user_patched(world: &World, target: &Target) -> Attempt {
    Attempt {
        body: Some(json!({"first_name": "Patched"})),
        ..fresh_user(world, target)
    }
}

fn default_settings(_: &World, _: &Target) -> Attempt {
    with_body(json!({}))
}

/// A test message to a channel defined in the request (a closed loopback port: the receiver's
/// failure is the answer, still 200).
fn test_notification(_: &World, _: &Target) -> Attempt {
    with_body(
        json!({"definition": {"name": "Matrix", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}}),
    )
}

fn existing_settings_version(_: &World, target: &Target) -> Attempt {
    with_id(target.fixtures.settings_version)
}

fn fresh_settings_version(world: &World, target: &Target) -> Attempt {
    with_id(fixtures::new_settings_version(
        world.app,
        target.fixtures.tenant,
    ))
}

fn existing_configuration(_: &World, target: &Target) -> Attempt {
    with_id(target.fixtures.configuration)
}

fn fresh_configuration(world: &World, target: &Target) -> Attempt {
    with_id(fixtures::new_configuration(world.app, target.fixtures.tenant).0)
}

fn existing_history_entry(_: &World, target: &Target) -> Attempt {
    with_id(target.fixtures.history_entry)
}

fn existing_signin(_: &World, target: &Target) -> Attempt {
    with_id(target.fixtures.signin)
}

fn new_api_token(world: &World, _: &Target) -> Attempt {
    with_body(json!({"name": "matrix", "role_id": world.viewer_role}))
}

fn existing_api_token(_: &World, target: &Target) -> Attempt {
    with_id(target.fixtures.api_token)
}

fn fresh_api_token(world: &World, target: &Target) -> Attempt {
    with_id(fixtures::new_api_token(world.app, target.fixtures.tenant, "viewer").0)
}

// ---------------------------------------------------------------------------------------------
// Callers

/// Everyone who knocks: valid identities first, then the ones the API must not recognise.
async fn callers(world: &World<'_>) -> Vec<Caller> {
    let app = world.app;
    let (a, b) = (world.a.tenant, world.b.tenant);
    let valid = |tenant, permissions| {
        Some(Valid {
            tenant,
            permissions,
        })
    };
    let viewer_a = app.token_for(a, "viewer", "viewer.a");
    let admin_a = app.token_for(a, "admin", "admin.a");
    let api_token_a = {
        let body =
            json!({"name": "matrix operator", "role_id": fixtures::role_id(app, "operator")});
        let path = format!("/api/v1/tenants/{a}/api-tokens");
        let request = app
            .client
            .post(app.url(&path))
            .bearer_auth(&admin_a)
            .json(&body);
        let created = app.send(request).await.expect(201);
        created["secret"].as_str().unwrap().to_owned()
    };
    let [tampered, expired, wrong_audience, unsigned] = bad_tokens(app, &viewer_a);
    let operator_a = app.token_for(a, "operator", "operator.a");
    let admin_b = app.token_for(b, "admin", "admin.b");
    let superadmin = app.superadmin_token.clone();
    let everywhere = app.harness_tenant;
    vec![
        caller("viewer A", Some(viewer_a), valid(a, roles::VIEWER)),
        caller("operator A", Some(operator_a), valid(a, roles::OPERATOR)),
        caller("admin A", Some(admin_a), valid(a, roles::ADMIN)),
        caller("admin B", Some(admin_b), valid(b, roles::ADMIN)),
        caller(
            "platform superadmin",
            Some(superadmin),
            valid(everywhere, roles::SUPERADMIN),
        ),
        caller(
            "API token A (operator)",
            Some(api_token_a),
            valid(a, roles::OPERATOR),
        ),
        caller("anonymous", None, None),
        caller("tampered token", Some(tampered), None),
        caller("expired token", Some(expired), None),
        caller("token for another audience", Some(wrong_audience), None),
        caller("unsigned token (alg none)", Some(unsigned), None),
    ]
}

fn caller(name: &'static str, token: Option<String>, valid: Option<Valid>) -> Caller {
    Caller { name, token, valid }
}

/// Four tokens about the user of the valid `viewer` token that must count for nothing: its
/// payload raised to superadmin of the harness tenant with the signature kept; one signed with
/// the server's key that expired; one signed with it for another audience; and one with
/// `alg: none` and no signature.
fn bad_tokens(app: &TestApp, viewer: &str) -> [String; 4] {
    use base64::Engine;
    use drift_core::auth::{AccessClaims, JwtKeys};
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = viewer.split('.').collect();
    let mut claims: AccessClaims =
        serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();

    let mut raised = claims.clone();
    raised.role = "superadmin".into();
    raised.tid = app.harness_tenant;
    let raised = engine.encode(serde_json::to_vec(&raised).unwrap());
    let tampered = format!("{}.{raised}.{}", parts[0], parts[2]);

    let keys = JwtKeys::from_secret(app.jwt_secret.as_bytes()).unwrap();
    let user: i64 = claims.sub.parse().unwrap();
    let an_hour_ago = chrono::Utc::now().timestamp() - 3600;
    let expired = keys.issue(user, claims.tid, &claims.role, an_hour_ago, 900);

    claims.aud = "someone-else".into();
    let wrong_audience = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(app.jwt_secret.as_bytes()),
    )
    .unwrap();

    let none = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none}.{}.", parts[1]);
    [tampered, expired, wrong_audience, unsigned]
}

// ---------------------------------------------------------------------------------------------
// Attempts

fn path_of(operation: &Operation, fixtures: &Fixtures, attempt: &Attempt) -> String {
    let mut path = operation.path.replace(
        "{tenant_id}",
        &attempt.tenant.unwrap_or(fixtures.tenant).to_string(),
    );
    if path.contains("{id}") {
        let id = attempt.id.unwrap_or_else(|| {
            panic!(
                "{} {}: its preparer gives no {{id}}",
                operation.method, operation.path
            )
        });
        path = path.replace("{id}", &id.to_string());
    }
    path
}

/// Sends one request as `token` (or none), without following redirects, so that a route that
/// redirects shows its own answer.
async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let content_type = if method == Method::PATCH {
        "application/merge-patch+json"
    } else {
        "application/json"
    };
    let mut request = client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", content_type)
            .body(body.to_string());
    }
    let response = request.send().await.expect("the API answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply {
        status,
        headers,
        body,
    }
}

/// Whether a reply is the expected one; what differs when it is not.
fn check(reply: &Reply, outcome: Outcome) -> Result<(), String> {
    let status = reply.status.as_u16();
    let (wanted, kind) = match outcome {
        Outcome::Success(wanted) => (wanted, None),
        Outcome::Refused(wanted, kind) => (wanted, Some(kind)),
    };
    if status != wanted {
        return Err(format!(
            "expected {wanted}, got {status}: {}",
            excerpt(&reply.body)
        ));
    }
    let Some(kind) = kind else { return Ok(()) };
    let problem_type = format!("urn:azure-drift-detector:problem:{kind}");
    if reply.content_type() != "application/problem+json" || reply.body["type"] != problem_type {
        return Err(format!(
            "expected a {kind} problem, got {}",
            excerpt(&reply.body)
        ));
    }
    let challenge = reply
        .headers
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok());
    if status == 401 && !challenge.is_some_and(|c| c.starts_with("Bearer")) {
        return Err(format!("401 without a Bearer challenge: {challenge:?}"));
    }
    Ok(())
}

/// The start of a body, for failure messages.
fn excerpt(body: &Value) -> String {
    let text = body.to_string();
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

// ---------------------------------------------------------------------------------------------
// Tests

/// `METHOD /path` of every operation in the document.
fn documented_operations() -> BTreeSet<String> {
    let document = serde_json::to_value(drift_api::openapi()).unwrap();
    let methods = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if methods.contains(&method.as_str()) {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    operations
}

#[test]
fn the_table_names_exactly_the_documented_operations() {
    let documented = documented_operations();
    let tabled: BTreeSet<String> = OPERATIONS
        .iter()
        .map(|o| format!("{} {}", o.method, o.path))
        .collect();
    assert_eq!(tabled.len(), OPERATIONS.len(), "an operation has two rows");
    let missing: Vec<&String> = documented.difference(&tabled).collect();
    let stale: Vec<&String> = tabled.difference(&documented).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "OPERATIONS (tests/access_matrix.rs) must name exactly the documented operations.\n\
         Documented, without a row: {missing:#?}\nRows for undocumented operations: {stale:#?}"
    );

    for operation in OPERATIONS {
        let in_path = operation.path.contains("{tenant_id}");
        let permission = match operation.rule {
            InTenant(p) => Some((p, true)),
            Global(p) => Some((p, false)),
            Public | SignedIn => None,
        };
        if let Some((permission, tenant_scoped)) = permission {
            assert!(
                permission
                    .parse::<drift_core::permissions::Permission>()
                    .is_ok(),
                "{} {}: no permission is called {permission}",
                operation.method,
                operation.path
            );
            assert_eq!(
                in_path, tenant_scoped,
                "{} {}: InTenant exactly when the path names a tenant",
                operation.method, operation.path
            );
        }
    }
    for permission in roles::SUPERADMIN {
        assert!(permission
            .parse::<drift_core::permissions::Permission>()
            .is_ok());
    }
}

/// Attempts, and the ones answered otherwise than expected.
struct Run<'w, 'a> {
    world: &'w World<'a>,
    client: reqwest::Client,
    attempts: usize,
    failures: Vec<String>,
}

impl<'w, 'a> Run<'w, 'a> {
    fn new(world: &'w World<'a>) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            world,
            client,
            attempts: 0,
            failures: Vec::new(),
        }
    }

    /// Tries `operation` as `caller` on a path in `path_tenant` naming rows of `row_tenant`.
    async fn attempt(
        &mut self,
        operation: &Operation,
        caller: &Caller,
        path_tenant: &Fixtures,
        row_tenant: &Fixtures,
        outcome: Outcome,
    ) {
        let target = Target {
            fixtures: row_tenant,
            allowed: matches!(outcome, Outcome::Success(_)),
        };
        let attempt = (operation.prepare)(self.world, &target);
        let path = path_of(operation, path_tenant, &attempt);
        let token = caller.token.as_deref();
        let body = attempt.body.as_ref();
        let reply = send(
            self.world.app,
            &self.client,
            operation.method,
            &path,
            token,
            body,
        )
        .await;
        self.attempts += 1;
        if let Err(why) = check(&reply, outcome) {
            let rows = &row_tenant.tenant_name;
            let (method, who) = (operation.method, caller.name);
            self.failures
                .push(format!("{method} {path} (rows of {rows}) as {who}: {why}"));
        }
    }

    #[track_caller]
    fn assert_all_as_expected(&self) {
        assert!(
            self.failures.is_empty(),
            "{} of {} attempts were answered otherwise than the table says:\n{}",
            self.failures.len(),
            self.attempts,
            self.failures.join("\n")
        );
    }
}

/// The tenants whose rows an operation is tried on: tenant A's and tenant B's for tenant
/// routes, and just once (with tenant A's fixtures) for the others.
fn targets<'w>(operation: &Operation, world: &'w World) -> Vec<&'w Fixtures> {
    match operation.rule {
        InTenant(_) => vec![&world.a, &world.b],
        Public | SignedIn | Global(_) => vec![&world.a],
    }
}

/// Every tenant id in the database.
fn every_tenant(app: &TestApp) -> BTreeSet<i64> {
    use diesel::prelude::*;
    use drift_core::db::schema::tenants;
    tenants::table
        .select(tenants::id)
        .load::<i64>(&mut *app.db.conn())
        .unwrap()
        .into_iter()
        .collect()
}

on_both_backends! {
    async fn every_operation_answers_every_caller_as_the_table_says(app: TestApp) {
        let world = World::build(&app).await;
        let callers = callers(&world).await;
        let mut run = Run::new(&world);
        for operation in OPERATIONS {
            for fixtures in targets(operation, &world) {
                for caller in &callers {
                    // Bad tokens are refused before the path is read; tenant A's paths show it.
                    if caller.valid.is_none() && fixtures.tenant != world.a.tenant {
                        continue;
                    }
                    let outcome = expected(operation, caller, fixtures.tenant);
                    run.attempt(operation, caller, fixtures, fixtures, outcome).await;
                }
            }
        }

        // A row of tenant A named under tenant B is not found, even by those who may enter B.
        let names_a_row = |o: &&Operation| matches!(o.rule, InTenant(_)) && o.path.contains("{id}");
        let in_b = |c: &&Caller| ["admin B", "platform superadmin"].contains(&c.name);
        for operation in OPERATIONS.iter().filter(names_a_row) {
            for caller in callers.iter().filter(in_b) {
                let outcome = Outcome::Refused(404, "not-found");
                run.attempt(operation, caller, &world.b, &world.a, outcome).await;
            }
        }
        run.assert_all_as_expected();

        // The tenant list holds the caller's own tenant, or every tenant for those who span them.
        let every_tenant = every_tenant(&app);
        assert!(every_tenant.len() > 3, "the matrix created tenants: {every_tenant:?}");
        for caller in &callers {
            let Some(valid) = caller.valid else { continue };
            let token = caller.token.as_deref();
            let page = send(&app, &run.client, "GET", "/api/v1/tenants?limit=500", token, None).await.expect(200);
            let listed: BTreeSet<i64> = page["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
            let expected = if valid.spans_tenants() { every_tenant.clone() } else { BTreeSet::from([valid.tenant]) };
            assert_eq!(listed, expected, "GET /api/v1/tenants as {}", caller.name);
        }
    }
}
