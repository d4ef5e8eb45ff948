//! Access control: the one gate every request passes.
//!
//! Each operation declares in its `#[utoipa::path]` who may call it — `security(())` for
//! public routes, `security(("bearer" = []))` for any signed-in caller, `security(("bearer" =
//! ["settings:write"]))` for a permission. The OpenAPI document therefore states the rules, and
//! this middleware enforces exactly what it states, in this order:
//!
//! 1. no valid identity (missing, malformed, expired, tampered or revoked token) → 401;
//! 2. a `{tenant_id}` the caller may not enter → 404, as if it did not exist;
//! 3. a permission the caller's role lacks → 403.
//!
//! The caller is then handed to the handler (the [`Caller`] extractor); [`crate::extract::TenantScope`]
//! checks the tenant once more from the routed path. A path under `/api/` that matches no
//! documented operation is refused before it reaches any handler, so nothing is public by
//! omission. Paths outside `/api/` (`/health`, Swagger UI, the web app's files and client
//! routes, see [`crate::web_app`]) pass without a token: they hold no tenant data, and the web
//! app signs in through the API like any other client.

use std::future::{ready, Ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use drift_core::access::Principal;
use drift_core::auth::AuthError;
use drift_core::CoreError;

use crate::extract::parse_id;
use crate::principal_cache::PrincipalCache;
use crate::problem::ApiError;
use crate::routing::{Requirement, RouteTable};
use crate::state::AppState;

/// The middleware (see the module documentation).
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The path as actix routes it (percent-decoded the same way), not the raw request line.
    let path = req.match_info().as_str().to_owned();
    let matched = req
        .app_data::<web::Data<RouteTable>>()
        .and_then(|table| table.find(req.method(), &path));
    let Some(operation) = matched else {
        if path.trim_start_matches('/').starts_with("api/") {
            // No documented operation: answer the bare 404 that the error handler turns into
            // a 404 or 405 problem, without running any handler.
            let response = HttpResponse::NotFound().finish();
            return Ok(req.into_response(response).map_into_right_body());
        }
        return next.call(req).await.map(|r| r.map_into_left_body());
    };
    if operation.requirement == Requirement::Public {
        return next.call(req).await.map(|r| r.map_into_left_body());
    }
    let decision = async {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::Blocking("application state is missing".into()))?;
        let principal = authenticate(&state, bearer_token(req.request())).await?;
        if let Some(raw) = operation.param("tenant_id") {
            ensure_may_enter(&principal, raw)?;
        }
        if let Requirement::Permission(permission) = operation.requirement {
            if !principal.has(permission) {
                crate::audit::action(
                    &principal,
                    format_args!(
                        "refused {} {path}: lacks {}",
                        req.method(),
                        permission.as_str()
                    ),
                );
                return Err(ApiError::Core(CoreError::Forbidden(format!(
                    "this needs the {} permission, which the role {} does not grant",
                    permission.as_str(),
                    principal.role
                ))));
            }
        }
        Ok(principal)
    }
    .await;
    match decision {
        Ok(principal) => {
            let changes = !matches!(*req.method(), Method::GET | Method::HEAD);
            let method = req.method().clone();
            req.extensions_mut().insert(principal.clone());
            let response = next.call(req).await?;
            if changes && response.status().is_success() {
                // The write may have revoked a token, deactivated a user or changed a role:
                // the next request of every caller is checked against the database again.
                if let Some(state) = response.request().app_data::<web::Data<AppState>>() {
                    state.principals.clear();
                }
            }
            if changes {
                // Every change anyone makes through the API, with its outcome, in one place.
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                crate::audit::action(
                    &principal,
                    format_args!(
                        "{method} {path} -> {}{location}",
                        response.status().as_u16()
                    ),
                );
            }
            Ok(response.map_into_left_body())
        }
        Err(err) => Ok(req.error_response(err).map_into_right_body()),
    }
}

/// 404 unless the caller may enter the tenant named by the path. Anything that is not plainly
/// the caller's own tenant id is refused for callers bound to one tenant.
fn ensure_may_enter(principal: &Principal, raw: &str) -> Result<(), ApiError> {
    if principal.spans_tenants() {
        return Ok(());
    }
    match parse_id("tenant_id", raw) {
        Ok(tenant_id) if principal.may_enter(tenant_id) => Ok(()),
        _ => Err(ApiError::Core(CoreError::not_found("tenant", raw))),
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// The caller a token stands for: an API token (by its prefix) or one of our access tokens.
/// Recently resolved callers are taken from [`crate::principal_cache`]; access tokens are
/// verified (signature, expiry) every time all the same.
async fn authenticate(state: &AppState, token: Option<String>) -> Result<Principal, ApiError> {
    let invalid = || ApiError::Core(AuthError::InvalidAccessToken.into());
    let token = token.ok_or_else(invalid)?;
    let now = state.now();
    if token.starts_with(drift_core::api_tokens::TOKEN_PREFIX) {
        let key = PrincipalCache::key(&token);
        if let Some(principal) = state.principals.get(&key) {
            return Ok(principal);
        }
        let principal = state
            .db(move |conn| drift_core::api_tokens::authenticate(conn, &token, now))
            .await?;
        state.principals.put(key, principal.clone());
        return Ok(principal);
    }
    let claims = state
        .auth
        .keys
        .verify(&token)
        .map_err(|e| ApiError::Core(e.into()))?;
    let key = PrincipalCache::key(&token);
    if let Some(principal) = state.principals.get(&key) {
        return Ok(principal);
    }
    let user_id: i64 = claims.sub.parse().map_err(|_| invalid())?;
    let principal = state
        .db(move |conn| drift_core::access::user_principal(conn, claims.tid, user_id))
        .await?;
    state.principals.put(key, principal.clone());
    Ok(principal)
}

/// The authenticated caller of a request, as the access middleware found it.
pub struct Caller(pub Principal);

/// The principal the middleware attached; its absence means a handler that needs a caller was
/// declared public, which is a programming error, not the client's.
pub fn principal_of(req: &HttpRequest) -> Result<Principal, ApiError> {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| ApiError::Blocking(format!("{} {} has no caller", req.method(), req.path())))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(principal_of(req).map(Caller))
    }
}

/// Adds what the security declarations imply to the document: the 401 of every protected
/// operation, the 403 of each that needs a permission, and the permission in its description.
pub fn document_security(api: &mut utoipa::openapi::OpenApi) {
    use crate::responses::problem_response;
    for item in api.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let Some(requirement) = operation
                .security
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|s| {
                    s.as_array()?
                        .first()?
                        .get("bearer")?
                        .as_array()
                        .map(|scopes| scopes.first().and_then(|p| p.as_str()).map(str::to_owned))
                })
            else {
                continue;
            };
            let responses = &mut operation.responses.responses;
            responses.insert(
                "401".into(),
                problem_response("No valid access token or API token"),
            );
            if let Some(permission) = requirement {
                responses.insert(
                    "403".into(),
                    problem_response("The caller's role lacks the permission this needs"),
                );
                let note = format!("Requires the `{permission}` permission.");
                operation.description = Some(match operation.description.take() {
                    Some(text) if !text.is_empty() => format!("{text}\n\n{note}"),
                    _ => note,
                });
            }
        }
    }
}

fn operations_mut(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}
