//! The control API (`/_sim/…`, loopback callers only): inspect and reset the world, make
//! changes now, inject faults and read back the ground truth.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::drift::{self, ChangeRequest};
use crate::errors::control_error;
use crate::faults::FaultRule;
use crate::state::SimState;
use crate::world::{World, WorldConfig};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_sim")
            .route("", web::get().to(index))
            .route("/tenants", web::get().to(tenants))
            .route(
                "/tenants/{tenant_id}/revoke-tokens",
                web::post().to(revoke_tokens),
            )
            .route("/tenants/{tenant_id}/licence", web::post().to(set_licence))
            .route("/reset", web::post().to(reset))
            .route("/scenario", web::post().to(scenario))
            .route("/changes", web::post().to(change))
            .route("/changes/random", web::post().to(random_changes))
            .route("/ground-truth", web::get().to(ground_truth))
            .route("/faults", web::get().to(list_faults))
            .route("/faults", web::post().to(add_fault))
            .route("/faults", web::delete().to(clear_faults))
            .route("/faults/{id}", web::delete().to(remove_fault)),
    );
}

fn loopback_only(req: &HttpRequest) -> Result<(), Box<HttpResponse>> {
    match req.peer_addr() {
        Some(addr) if addr.ip().is_loopback() => Ok(()),
        None => Ok(()),
        _ => Err(Box::new(control_error(
            StatusCode::FORBIDDEN,
            "the control API answers loopback callers only",
        ))),
    }
}

macro_rules! guard {
    ($req:expr) => {
        if let Err(response) = loopback_only(&$req) {
            return *response;
        }
    };
}

async fn index(req: HttpRequest) -> HttpResponse {
    guard!(req);
    HttpResponse::Ok().json(json!({
        "endpoints": {
            "GET /_sim/tenants": "the simulated tenants with their app credentials",
            "POST /_sim/tenants/{tenant_id}/revoke-tokens": "refuse every token issued so far for the tenant",
            "POST /_sim/tenants/{tenant_id}/licence": "give or take the tenant's Entra ID P1/P2 licence: {premium: bool} (sign-in logs need it)",
            "POST /_sim/reset": "regenerate the world from a WorldConfig (all fields optional); clears faults and ground truth",
            "POST /_sim/scenario": "load a scenario: {world?: WorldConfig, faults?: [FaultRule], changes?: [ChangeRequest]}",
            "POST /_sim/changes": "apply one change now: {tenant_id?, target?: {kind: graph, collection} | {kind: authentication_methods_policy} | {kind: arm}, change?: create|update|delete|volatile, resource_id?, actor?, actor_is_app?}",
            "POST /_sim/changes/random?count=N": "apply N random changes now",
            "GET /_sim/ground-truth?since=RFC3339": "every change the simulator made",
            "GET|POST|DELETE /_sim/faults, DELETE /_sim/faults/{id}": "fault rules: {endpoint, fault: {type: throttle|service_unavailable|gateway_timeout|slow|drop_connection|truncate_body|expired_token|next_link_fails_once|page_cap|refuse (status, code, message?), …}, probability?, count?}"
        }
    }))
}

#[derive(Serialize)]
struct TenantView {
    tenant_id: String,
    name: String,
    domain: String,
    client_id: String,
    client_secret: String,
    users: Vec<String>,
    subscriptions: Vec<crate::world::SimSubscription>,
    conditional_access_policies: usize,
    arm_resources: usize,
    /// Whether the tenant has Entra ID P1/P2 (sign-in logs).
    premium: bool,
}

async fn tenants(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    guard!(req);
    let world = state.world.lock().unwrap();
    let views: Vec<TenantView> = world
        .tenants
        .iter()
        .map(|t| TenantView {
            tenant_id: t.tenant_id.clone(),
            name: t.name.clone(),
            domain: t.domain.clone(),
            client_id: t.client_id.clone(),
            client_secret: t.client_secret.clone(),
            users: t.users.iter().map(|u| u.upn.clone()).collect(),
            subscriptions: t.subscriptions.clone(),
            conditional_access_policies: t.collections
                [&crate::world::Collection::ConditionalAccessPolicies]
                .len(),
            arm_resources: t.arm_resources.len(),
            premium: t.premium,
        })
        .collect();
    HttpResponse::Ok().json(views)
}

async fn revoke_tokens(
    req: HttpRequest,
    state: web::Data<SimState>,
    path: web::Path<String>,
) -> HttpResponse {
    guard!(req);
    let mut world = state.world.lock().unwrap();
    match world.tenant_mut(&path) {
        Some(tenant) => {
            // Token times have whole seconds; tokens issued in this second are refused too.
            tenant.tokens_valid_after = Some(Utc::now() + chrono::Duration::seconds(1));
            HttpResponse::NoContent().finish()
        }
        None => control_error(StatusCode::NOT_FOUND, "no such tenant"),
    }
}

/// The body of `POST /_sim/tenants/{tenant_id}/licence`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Licence {
    premium: bool,
}

async fn set_licence(
    req: HttpRequest,
    state: web::Data<SimState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    guard!(req);
    let licence: Licence = match serde_json::from_slice(&body) {
        Ok(licence) => licence,
        Err(e) => {
            return control_error(
                StatusCode::BAD_REQUEST,
                &format!("invalid licence, expected {{\"premium\": true|false}}: {e}"),
            )
        }
    };
    let mut world = state.world.lock().unwrap();
    match world.tenant_mut(&path) {
        Some(tenant) => {
            tenant.premium = licence.premium;
            HttpResponse::Ok()
                .json(json!({"tenant_id": tenant.tenant_id, "premium": tenant.premium}))
        }
        None => control_error(StatusCode::NOT_FOUND, "no such tenant"),
    }
}

fn parse_body<T: serde::de::DeserializeOwned + Default>(
    body: &web::Bytes,
) -> Result<T, Box<HttpResponse>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        Box::new(control_error(
            StatusCode::BAD_REQUEST,
            &format!("invalid JSON body: {e}"),
        ))
    })
}

async fn reset(req: HttpRequest, state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    guard!(req);
    let config: WorldConfig = match parse_body(&body) {
        Ok(config) => config,
        Err(response) => return *response,
    };
    let world = World::generate(config);
    let summary =
        json!({"seed": world.config.seed, "epoch": world.epoch, "tenants": world.tenants.len()});
    *state.world.lock().unwrap() = world;
    state.faults.clear();
    state.graph_limit_usage.lock().unwrap().clear();
    HttpResponse::Ok().json(summary)
}

/// A scenario file: a world, the faults to inject and changes to make at once.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    pub world: Option<WorldConfig>,
    pub faults: Vec<FaultRule>,
    pub changes: Vec<ChangeRequest>,
}

/// Applies a scenario to the state; returns the changes made.
pub fn load_scenario(
    state: &SimState,
    scenario: Scenario,
) -> Result<Vec<crate::world::ChangeRecord>, String> {
    for rule in &scenario.faults {
        rule.validate()?;
    }
    let mut world = state.world.lock().unwrap();
    if let Some(config) = scenario.world {
        *world = World::generate(config);
        state.faults.clear();
    }
    let mut records = Vec::new();
    for request in &scenario.changes {
        if let Some(record) = drift::apply(&mut world, request, Utc::now())? {
            records.push(record);
        }
    }
    drop(world);
    for rule in scenario.faults {
        state.faults.add(rule)?;
    }
    Ok(records)
}

async fn scenario(req: HttpRequest, state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    guard!(req);
    let scenario: Scenario = match parse_body(&body) {
        Ok(s) => s,
        Err(response) => return *response,
    };
    match load_scenario(&state, scenario) {
        Ok(records) => HttpResponse::Ok().json(json!({"changes": records})),
        Err(message) => control_error(StatusCode::BAD_REQUEST, &message),
    }
}

async fn change(req: HttpRequest, state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    guard!(req);
    let request: ChangeRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let mut world = state.world.lock().unwrap();
    match drift::apply(&mut world, &request, Utc::now()) {
        Ok(record) => HttpResponse::Ok().json(json!({"change": record})),
        Err(message) => control_error(StatusCode::BAD_REQUEST, &message),
    }
}

#[derive(Deserialize)]
struct CountQuery {
    count: Option<usize>,
}

async fn random_changes(
    req: HttpRequest,
    state: web::Data<SimState>,
    query: web::Query<CountQuery>,
) -> HttpResponse {
    guard!(req);
    let count = query.count.unwrap_or(1).min(10_000);
    let mut world = state.world.lock().unwrap();
    let mut records = Vec::new();
    for _ in 0..count {
        match drift::apply(&mut world, &ChangeRequest::default(), Utc::now()) {
            Ok(Some(record)) => records.push(record),
            Ok(None) => {}
            Err(message) => return control_error(StatusCode::BAD_REQUEST, &message),
        }
    }
    HttpResponse::Ok().json(json!({"changes": records}))
}

#[derive(Deserialize)]
struct SinceQuery {
    since: Option<DateTime<Utc>>,
}

async fn ground_truth(
    req: HttpRequest,
    state: web::Data<SimState>,
    query: web::Query<SinceQuery>,
) -> HttpResponse {
    guard!(req);
    let world = state.world.lock().unwrap();
    let records: Vec<_> = world
        .ground_truth
        .iter()
        .filter(|r| query.since.is_none_or(|since| r.at >= since))
        .collect();
    HttpResponse::Ok().json(records)
}

async fn list_faults(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    guard!(req);
    HttpResponse::Ok().json(state.faults.list())
}

async fn add_fault(req: HttpRequest, state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    guard!(req);
    let rule: FaultRule = match serde_json::from_slice(&body) {
        Ok(rule) => rule,
        Err(e) => {
            return control_error(StatusCode::BAD_REQUEST, &format!("invalid fault rule: {e}"))
        }
    };
    match state.faults.add(rule) {
        Ok(rule) => HttpResponse::Created().json(rule),
        Err(message) => control_error(StatusCode::BAD_REQUEST, &message),
    }
}

async fn clear_faults(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    guard!(req);
    state.faults.clear();
    HttpResponse::NoContent().finish()
}

async fn remove_fault(
    req: HttpRequest,
    state: web::Data<SimState>,
    path: web::Path<u64>,
) -> HttpResponse {
    guard!(req);
    if state.faults.remove(path.into_inner()) {
        HttpResponse::NoContent().finish()
    } else {
        control_error(StatusCode::NOT_FOUND, "no such fault rule")
    }
}
