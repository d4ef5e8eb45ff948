//! Microsoft Graph v1.0 (and beta, for Intune settings-catalog policies): the configuration collections (conditional access, named locations,
//! role assignments, applications, service principals, Intune configurations and compliance
//! policies) with their entities, the authentication methods policy, and the sign-in and
//! directory-audit logs.
//!
//! With `SimOptions::service_limits` on, requests count against Graph's documented throttling
//! limits (see `limits`); sign-ins need an Entra ID P1/P2 tenant, and with
//! `SimOptions::log_retention` on the logs reach back 30 days (7 without P1/P2).
//!
//! Every request needs a Graph bearer token; the tenant is the token's. Paths are matched
//! without regard to case, as Graph does. Collections page by keyset on the entity id through
//! an opaque `$skiptoken` in a full-URL `@odata.nextLink`, so that entities created or deleted
//! between pages never make another one appear twice or go missing.

mod filter;
mod limits;
mod logs;
mod query;

use std::ops::Bound;

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use crate::auth::{authenticate, base_url, unauthorized, Resource};
use crate::errors::graph_error;
use crate::faults::{FaultKind, Stage};
use crate::state::SimState;
use crate::world::Collection;

use query::{Cursor, QueryOptions};

/// The service root that `@odata.context` URLs name, whatever host the simulator listens on.
pub const METADATA: &str = "https://graph.microsoft.com/v1.0/$metadata";
/// The beta service root, for what only beta serves.
pub const BETA_METADATA: &str = "https://graph.microsoft.com/beta/$metadata";

/// The service root of a context: beta for the collections only beta serves.
fn metadata_of(context: &str) -> &'static str {
    let beta = Collection::ALL
        .iter()
        .any(|c| c.beta_only() && context.starts_with(c.path()));
    if beta {
        BETA_METADATA
    } else {
        METADATA
    }
}

const AUTHENTICATION_METHODS_POLICY: &str = "policies/authenticationMethodsPolicy";
const SIGN_INS: &str = "auditLogs/signIns";
const DIRECTORY_AUDITS: &str = "auditLogs/directoryAudits";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1.0/{tail:.*}", web::route().to(dispatch))
        .route("/beta/{tail:.*}", web::route().to(dispatch));
}

/// What a path names.
#[derive(Debug, Clone, PartialEq)]
enum Route {
    Collection(Collection),
    Entity(Collection, String),
    /// `configurationPolicies/{id}/settings` (beta).
    EntitySettings(Collection, String),
    AuthenticationMethodsPolicy,
    SignIns,
    DirectoryAudits,
    DirectoryAudit(String),
}

/// Resolves the path below `/v1.0/` (or `/beta/`, which also serves what only beta has),
/// without regard to case; the error names the first segment Graph would not find.
fn resolve(tail: &str, beta: bool) -> Result<Route, String> {
    let segments: Vec<String> = tail
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let matches_path = |path: &str| {
        let parts: Vec<&str> = path.split('/').collect();
        lower.len() >= parts.len()
            && parts
                .iter()
                .zip(&lower)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    };
    let served = |c: &Collection| beta || !c.beta_only();
    for collection in Collection::ALL.into_iter().filter(served) {
        let path = collection.path();
        let depth = path.split('/').count();
        if matches_path(path) {
            return match &segments[depth..] {
                [] => Ok(Route::Collection(collection)),
                [id] if !id.is_empty() => Ok(Route::Entity(collection, id.clone())),
                [id, settings]
                    if collection == Collection::SettingsCatalogPolicies
                        && !id.is_empty()
                        && settings.eq_ignore_ascii_case("settings") =>
                {
                    Ok(Route::EntitySettings(collection, id.clone()))
                }
                [_, next, ..] => Err(next.clone()),
                [empty] => Err(empty.clone()),
            };
        }
    }
    for (path, route) in [
        (
            AUTHENTICATION_METHODS_POLICY,
            Route::AuthenticationMethodsPolicy,
        ),
        (SIGN_INS, Route::SignIns),
        (DIRECTORY_AUDITS, Route::DirectoryAudits),
    ] {
        let depth = path.split('/').count();
        if matches_path(path) {
            return match (&route, &segments[depth..]) {
                (_, []) => Ok(route),
                (Route::DirectoryAudits, [id]) if !id.is_empty() => {
                    Ok(Route::DirectoryAudit(id.clone()))
                }
                (Route::DirectoryAudits, [_, next, ..]) => Err(next.clone()),
                _ => Err(segments[depth].clone()),
            };
        }
    }
    // The first segment that names nothing the simulator serves.
    let known: Vec<&str> = Collection::ALL
        .iter()
        .filter(|c| served(c))
        .map(|c| c.path())
        .chain([AUTHENTICATION_METHODS_POLICY, SIGN_INS, DIRECTORY_AUDITS])
        .collect();
    let unknown = (0..segments.len())
        .find(|&n| {
            !known.iter().any(|path| {
                let parts: Vec<&str> = path.split('/').collect();
                parts.len() > n
                    && parts[..=n]
                        .iter()
                        .zip(&lower)
                        .all(|(a, b)| a.eq_ignore_ascii_case(b))
            })
        })
        .unwrap_or(segments.len().saturating_sub(1));
    Err(segments.get(unknown).cloned().unwrap_or_default())
}

fn percent_decode(segment: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn dispatch(state: web::Data<SimState>, req: HttpRequest) -> HttpResponse {
    let tenant_id = match authenticate(&state, &req, Resource::Graph) {
        Ok(tenant_id) => tenant_id,
        Err(failure) => return unauthorized(Resource::Graph, &failure),
    };
    let mut response = handle(&state, &req, &tenant_id);
    // Graph echoes the caller's client-request-id.
    if let Some(id) = req.headers().get("client-request-id") {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("client-request-id"),
            id.clone(),
        );
    }
    response
}

fn handle(state: &SimState, req: &HttpRequest, tenant_id: &str) -> HttpResponse {
    if req.method() != Method::GET {
        return graph_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        );
    }
    let beta = req.path()[..6].eq_ignore_ascii_case("/beta/");
    let prefix = if beta { "/beta/".len() } else { "/v1.0/".len() };
    let tail = req.path().get(prefix..).unwrap_or_default();
    let route = match resolve(tail, beta) {
        Ok(route) => route,
        Err(segment) => {
            return bad_request(&format!("Resource not found for the segment '{segment}'."))
                .into_response()
        }
    };
    if let Some(throttled) = limits::check(state, tenant_id, &route) {
        return throttled;
    }
    let options = match QueryOptions::parse(req.query_string()) {
        Ok(options) => options,
        Err(message) => return bad_request(&message).into_response(),
    };
    let result = match route {
        Route::Collection(collection) => {
            list_collection(state, req, tenant_id, collection, &options)
        }
        Route::Entity(collection, id) => get_entity(state, tenant_id, collection, &id),
        Route::EntitySettings(collection, id) => entity_settings(state, tenant_id, collection, &id),
        Route::AuthenticationMethodsPolicy => authentication_methods_policy(state, tenant_id),
        Route::SignIns => logs::list_sign_ins(state, req, tenant_id, &options),
        Route::DirectoryAudits => logs::list_directory_audits(state, req, tenant_id, &options),
        Route::DirectoryAudit(id) => logs::get_directory_audit(state, tenant_id, &id),
    };
    result.unwrap_or_else(Refusal::into_response)
}

type Handled = Result<HttpResponse, Refusal>;

/// A Graph error a handler answers with (turned into the Graph error body at the end).
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }

    fn into_response(self) -> HttpResponse {
        graph_error(self.status, self.code, &self.message)
    }
}

fn bad_request(message: &str) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The world changed under the token (a reset): the tenant is gone.
fn tenant_gone() -> Refusal {
    Refusal::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "The token's tenant does not exist.",
    )
}

/// A Graph JSON response.
fn json_response(body: &Value) -> HttpResponse {
    let request_id = crate::world::guid(&mut rand::thread_rng());
    HttpResponse::Ok()
        .content_type(
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        )
        .insert_header(("request-id", request_id.clone()))
        .insert_header(("client-request-id", request_id))
        .body(serde_json::to_string(body).expect("JSON values serialize"))
}

/// A page of a collection.
fn page_response(
    context: &str,
    items: Vec<Value>,
    next_link: Option<String>,
    count: Option<usize>,
) -> HttpResponse {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(format!("{}#{context}", metadata_of(context))),
    );
    if let Some(count) = count {
        body.insert("@odata.count".into(), Value::from(count));
    }
    if let Some(link) = next_link {
        body.insert("@odata.nextLink".into(), Value::String(link));
    }
    if context == DIRECTORY_AUDITS {
        // Graph adds instance annotations of its own that clients must ignore.
        body.insert(
            "@microsoft.graph.tips".into(),
            Value::String("Ask for fewer properties with $select, e.g. auditLogs/directoryAudits?$select=id,activityDateTime".into()),
        );
    }
    body.insert("value".into(), Value::Array(items));
    json_response(&Value::Object(body))
}

/// One entity, with the `@odata.context` of a single entity.
fn entity_response(context: &str, entity: &Value) -> HttpResponse {
    let mut body = entity.as_object().cloned().unwrap_or_default();
    body.insert(
        "@odata.context".into(),
        Value::String(format!("{}#{context}/$entity", metadata_of(context))),
    );
    json_response(&Value::Object(body))
}

/// The nextLink of a page: the same path on the caller's base URL, with the page size and the
/// skip token.
fn next_link(req: &HttpRequest, top: usize, cursor: &Cursor) -> String {
    format!(
        "{}{}?$top={top}&$skiptoken={}",
        base_url(req),
        req.path(),
        cursor.encode()
    )
}

/// The page size after an injected page cap, if one fires for this request.
fn capped(state: &SimState, req: &HttpRequest, page: usize) -> usize {
    match state.faults.take(req.path(), Stage::Paging) {
        Some(FaultKind::PageCap { max }) => page.min(max.max(1)),
        _ => page,
    }
}

fn list_collection(
    state: &SimState,
    req: &HttpRequest,
    tenant_id: &str,
    collection: Collection,
    options: &QueryOptions,
) -> Handled {
    let top = options
        .page_size(
            state.options.graph_default_page_size,
            state.options.graph_max_page_size.max(1),
        )
        .map_err(|m| bad_request(&m))?;
    let wants_count = options.wants_count().map_err(|m| bad_request(&m))?;
    if options.filter.is_some() {
        return Err(bad_request(&format!(
            "Invalid filter clause: the simulator does not support $filter on {}.",
            collection.path()
        )));
    }
    let after = match options.skip_token.as_deref() {
        None => None,
        Some(token) => match Cursor::decode(token).map_err(|m| bad_request(&m))? {
            Cursor::Collection { path, after } if path == collection.path() => Some(after),
            _ => {
                return Err(bad_request(
                    "Invalid $skiptoken: it does not come from a nextLink of this endpoint.",
                ))
            }
        },
    };
    let page = capped(state, req, top);
    let world = state.world.lock().unwrap();
    let tenant = world.tenant(tenant_id).ok_or_else(tenant_gone)?;
    let empty = Default::default();
    let items = tenant.collections.get(&collection).unwrap_or(&empty);
    let lower = match &after {
        Some(id) => Bound::Excluded(id.as_str()),
        None => Bound::Unbounded,
    };
    let mut chosen: Vec<(&String, &Value)> = items
        .range::<str, _>((lower, Bound::Unbounded))
        .take(page + 1)
        .collect();
    let more = chosen.len() > page;
    chosen.truncate(page);
    let next = match (more, chosen.last()) {
        (true, Some((id, _))) => Some(next_link(
            req,
            top,
            &Cursor::Collection {
                path: collection.path().to_owned(),
                after: (*id).clone(),
            },
        )),
        _ => None,
    };
    let count = (wants_count && after.is_none()).then_some(items.len());
    let values = chosen.into_iter().map(|(_, v)| listed(v)).collect();
    drop(world);
    Ok(page_response(collection.path(), values, next, count))
}

/// An entity as lists and gets return it: a settings-catalog policy's settings are a
/// navigation property, served only by `…/{id}/settings`.
fn listed(entity: &Value) -> Value {
    let mut entity = entity.clone();
    if let Some(object) = entity.as_object_mut() {
        object.remove("settings");
    }
    entity
}

/// `GET /beta/deviceManagement/configurationPolicies/{id}/settings`: the policy's settings, one
/// page.
fn entity_settings(state: &SimState, tenant_id: &str, collection: Collection, id: &str) -> Handled {
    let world = state.world.lock().unwrap();
    let tenant = world.tenant(tenant_id).ok_or_else(tenant_gone)?;
    let found = tenant
        .collections
        .get(&collection)
        .and_then(|items| items.iter().find(|(k, _)| k.eq_ignore_ascii_case(id)))
        .map(|(_, v)| v);
    match found {
        Some(policy) => {
            let settings = policy["settings"].as_array().cloned().unwrap_or_default();
            let context = format!("{}('{id}')/settings", collection.path());
            Ok(page_response(&context, settings, None, None))
        }
        None => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "Resource not found: no {} with id '{id}'.",
                collection.entity_type()
            ),
        )),
    }
}

fn get_entity(state: &SimState, tenant_id: &str, collection: Collection, id: &str) -> Handled {
    let world = state.world.lock().unwrap();
    let tenant = world.tenant(tenant_id).ok_or_else(tenant_gone)?;
    let found = tenant.collections.get(&collection).and_then(|items| {
        items.get(id).or_else(|| {
            items.get(&id.to_ascii_lowercase()).or_else(|| {
                items
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(id))
                    .map(|(_, v)| v)
            })
        })
    });
    match found {
        Some(entity) => Ok(entity_response(collection.path(), &listed(entity))),
        None if collection.source() == "intune" => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("Resource not found: no {} with id '{id}'.", collection.entity_type()),
        )),
        None => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        )),
    }
}

fn authentication_methods_policy(state: &SimState, tenant_id: &str) -> Handled {
    let world = state.world.lock().unwrap();
    let tenant = world.tenant(tenant_id).ok_or_else(tenant_gone)?;
    Ok(entity_response(
        AUTHENTICATION_METHODS_POLICY,
        &tenant.authentication_methods_policy,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_without_regard_to_case() {
        assert_eq!(
            resolve("identity/conditionalAccess/policies", false),
            Ok(Route::Collection(Collection::ConditionalAccessPolicies))
        );
        assert_eq!(
            resolve("Identity/ConditionalAccess/NamedLocations/ABC/", false),
            Ok(Route::Entity(Collection::NamedLocations, "ABC".into()))
        );
        assert_eq!(resolve("auditLogs/signins", false), Ok(Route::SignIns));
        assert_eq!(
            resolve("auditLogs/directoryAudits/Directory_1", false),
            Ok(Route::DirectoryAudit("Directory_1".into()))
        );
        assert_eq!(
            resolve("policies/authenticationMethodsPolicy", false),
            Ok(Route::AuthenticationMethodsPolicy)
        );
        assert_eq!(resolve("users", false), Err("users".into()));
        assert_eq!(
            resolve("identity/conditionalAccess/bogus", false),
            Err("bogus".into())
        );
        assert_eq!(
            resolve("applications/x/owners", false),
            Err("owners".into())
        );
        assert_eq!(resolve("auditLogs/signIns/x", false), Err("x".into()));
        // Settings-catalog policies are beta only.
        assert_eq!(
            resolve("deviceManagement/configurationPolicies", false),
            Err("configurationPolicies".into())
        );
        assert_eq!(
            resolve("deviceManagement/configurationPolicies/P1/Settings", true),
            Ok(Route::EntitySettings(
                Collection::SettingsCatalogPolicies,
                "P1".into()
            ))
        );
    }
}
