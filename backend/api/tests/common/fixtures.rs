//! Rows a tenant's routes can point at, written through the core functions (the worker's own
//! writes, or an administrator's) so that tests can seed many of them quickly and without the
//! API: a user, a settings version, a configuration with history, a sign-in event, an API
//! token, and fresh ones of each for attempts that change or delete them.

use diesel::prelude::*;
use drift_core::access::Principal;
use drift_core::configurations::ObservedConfiguration;
use drift_core::db::schema;
use drift_core::history::NewHistoryEntry;
use drift_core::signins::NewSigningLog;
use drift_core::types::{ChangeType, Severity, Source};
use drift_core::{Json, UtcTime};
use serde_json::json;

use super::TestApp;

/// One of each kind of row a tenant owns, for the `{id}` of its routes.
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub tenant: i64,
    pub tenant_name: String,
    pub azure_tenant_id: String,
    pub user: i64,
    pub settings_version: i64,
    /// A configuration with two history entries.
    pub configuration: i64,
    pub history_entry: i64,
    pub signin: i64,
    pub api_token: i64,
}

/// A number that no other call of this process has had, for unique names.
pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The user id and tenant an access token was signed for.
pub fn subject_of(app: &TestApp, token: &str) -> (i64, i64) {
    let keys = drift_core::auth::JwtKeys::from_secret(app.jwt_secret.as_bytes()).unwrap();
    let claims = keys.verify(token).expect("a token signed by the harness");
    (claims.sub.parse().unwrap(), claims.tid)
}

/// The harness's platform superadmin, as the core functions take a caller.
pub fn harness_superadmin(app: &TestApp) -> Principal {
    let (user, tenant) = subject_of(app, &app.superadmin_token);
    drift_core::access::user_principal(&mut app.db.conn(), tenant, user)
        .expect("the harness superadmin exists")
}

pub fn role_id(app: &TestApp, name: &str) -> i64 {
    drift_core::roles::find_by_name(&mut app.db.conn(), name)
        .unwrap()
        .unwrap_or_else(|| panic!("role {name} exists"))
        .id
}

/// A new tenant; returns its id and Entra tenant id.
pub fn new_tenant(app: &TestApp, name: &str) -> (i64, String) {
    let input = drift_core::tenants::TenantInput {
        name: name.into(),
        azure_tenant_id: super::guid(500_000 + unique() as u32),
    };
    let tenant = drift_core::tenants::create(&mut app.db.conn(), &input, UtcTime::now())
        .expect("create a tenant");
    (tenant.id, tenant.azure_tenant_id)
}

/// A new password-less user of `role` in `tenant`.
pub fn new_user(app: &TestApp, tenant: i64, role: &str, username: &str) -> i64 {
    let input: drift_core::users::UserInput = serde_json::from_value(json!({
        "username": username,
        "email": format!("{username}@example.test"),
        "role_id": role_id(app, role),
    }))
    .unwrap();
    drift_core::users::create(&mut app.db.conn(), tenant, &input, UtcTime::now())
        .expect("create a user")
        .id
}

pub fn new_settings_version(app: &TestApp, tenant: i64) -> i64 {
    let input = drift_core::settings::SettingsInput::default();
    drift_core::settings::save(&mut app.db.conn(), tenant, &input, UtcTime::now())
        .expect("save settings")
        .id
        .expect("a saved version has an id")
}

/// A new configuration with a creation and an update in its history; returns the
/// configuration and the update's history id.
pub fn new_configuration(app: &TestApp, tenant: i64) -> (i64, i64) {
    let mut conn = app.db.conn();
    let resource_id = format!("policy-{}", unique());
    let now = UtcTime::now();
    let observed = ObservedConfiguration {
        tenant_id: tenant,
        source: Source::Entra,
        resource_type: "microsoft.graph.conditionalAccessPolicy".into(),
        resource_id: resource_id.clone(),
        resource_name: format!("Policy {resource_id}"),
        config_data: Json(json!({"id": resource_id, "state": "disabled"})),
        content_hash: format!("hash-{resource_id}"),
    };
    let configuration = drift_core::configurations::insert(&mut conn, &observed, now)
        .expect("insert a configuration")
        .id;
    let mut entry = NewHistoryEntry {
        configuration_id: configuration,
        previous_config: None,
        new_config: Some(Json(json!({"id": resource_id, "state": "enabled"}))),
        changed_at: now,
        change_type: ChangeType::Created,
        changed_by: "adele@example.com".into(),
        changed_paths: vec![],
        severity: Some(Severity::Info),
    };
    drift_core::history::record(&mut conn, tenant, &entry).expect("record a creation");
    entry.previous_config = entry.new_config.take();
    entry.new_config = Some(Json(json!({"id": resource_id, "state": "disabled"})));
    entry.change_type = ChangeType::Updated;
    entry.changed_paths = vec!["state".into()];
    entry.severity = Some(Severity::High);
    let update = drift_core::history::record(&mut conn, tenant, &entry).expect("record an update");
    (configuration, update)
}

pub fn new_signin(app: &TestApp, tenant: i64) -> i64 {
    let mut conn = app.db.conn();
    let log_id = format!("event-{}", unique());
    let event = NewSigningLog {
        tenant_id: tenant,
        log_id: log_id.clone(),
        timestamp: UtcTime::now(),
        actor: Some("adele@example.com".into()),
        action: Some("Azure Portal".into()),
        resource: Some("Windows Azure Service Management API".into()),
        status: "success".into(),
        client_ip: Some("192.0.2.10".into()),
        log_data: Json(json!({"id": log_id})),
        ingested_at: UtcTime::now(),
        country: Some("CH".into()),
        error_code: Some(0),
    };
    drift_core::signins::insert_batch(&mut conn, &[event]).expect("insert a sign-in");
    use schema::signing_logs::dsl;
    dsl::signing_logs
        .filter(dsl::tenant_id.eq(tenant))
        .filter(dsl::log_id.eq(&log_id))
        .select(dsl::id)
        .first(&mut *conn)
        .expect("the sign-in just inserted")
}

/// A new API token of `role` in `tenant`, made by the harness superadmin; returns its id and
/// secret.
pub fn new_api_token(app: &TestApp, tenant: i64, role: &str) -> (i64, String) {
    let input = drift_core::api_tokens::ApiTokenInput {
        name: format!("fixture {}", unique()),
        role_id: role_id(app, role),
        expires_in_days: None,
    };
    let creator = harness_superadmin(app);
    let created = drift_core::api_tokens::create(
        &mut app.db.conn(),
        tenant,
        &creator,
        &input,
        UtcTime::now(),
    )
    .expect("create an API token");
    (created.token.id, created.secret)
}

/// A new custom role holding `permissions`.
pub fn new_role(app: &TestApp, permissions: &[&str]) -> (i64, String) {
    let input: drift_core::roles::RoleInput = serde_json::from_value(json!({
        "name": format!("custom-{}", unique()),
        "permissions": permissions,
    }))
    .unwrap();
    let role = drift_core::roles::create(&mut app.db.conn(), &input, UtcTime::now())
        .expect("create a role");
    (role.id, role.name)
}

/// A refresh token for `user`, as a sign-in would have issued it (a new session family), so
/// that tests can refresh or sign out without hashing a password each time.
pub fn new_refresh_token(app: &TestApp, user: i64) -> String {
    let token = drift_core::auth::random_secret(32);
    let now = UtcTime::now();
    diesel::insert_into(schema::refresh_tokens::table)
        .values((
            schema::refresh_tokens::user_id.eq(user),
            schema::refresh_tokens::family_id.eq(drift_core::auth::random_secret(16)),
            schema::refresh_tokens::token_hash.eq(drift_core::auth::secret_hash(&token)),
            schema::refresh_tokens::created_at.eq(now),
            schema::refresh_tokens::expires_at
                .eq(UtcTime::new(now.get() + chrono::Duration::hours(1))),
        ))
        .execute(&mut *app.db.conn())
        .expect("store a refresh token");
    token
}

/// Gives `tenant` one row of each kind.
pub fn seed(app: &TestApp, tenant: i64, prefix: &str) -> Fixtures {
    let row = drift_core::tenants::get(&mut app.db.conn(), tenant).expect("the tenant exists");
    let (configuration, history_entry) = new_configuration(app, tenant);
    Fixtures {
        tenant,
        tenant_name: row.name,
        azure_tenant_id: row.azure_tenant_id,
        user: new_user(app, tenant, "viewer", &format!("{prefix}.fixture")),
        settings_version: new_settings_version(app, tenant),
        configuration,
        history_entry,
        signin: new_signin(app, tenant),
        api_token: new_api_token(app, tenant, "viewer").0,
    }
}

/// Gives `user` the password `password`, hashed with the cheapest argon2id parameters. The
/// server verifies a password with the parameters stored in its hash, so tests that sign in
/// many times stay fast; the API itself always hashes with the real cost.
pub fn set_cheap_password(app: &TestApp, user: i64, password: &str) {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use argon2::{Algorithm, Argon2, Params, Version};
    let params = Params::new(Params::MIN_M_COST, 1, 1, None).unwrap();
    let salt = SaltString::from_b64("Y2hlYXBzYWx0Zm9ydGVzdHM").unwrap();
    let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string();
    diesel::update(schema::users::table.find(user))
        .set(schema::users::password_hash.eq(Some(hash)))
        .execute(&mut *app.db.conn())
        .expect("store the password hash");
}
