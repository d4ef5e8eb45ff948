//! `/api/v1/auth`: local sign-in, session refresh, sign-out and the signed-in user.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use drift_core::access::Identity;
use drift_core::auth::{sessions, Session};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::access::Caller;
use crate::audit;
use crate::extract::JsonBody;
use crate::problem::{ApiError, ApiResult};
use crate::responses::{AuthErrors, ReadErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(me);
}

/// Credentials for a local sign-in.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The username or the e-mail address (case-insensitive).
    #[validate(length(min = 1, max = 254))]
    #[schema(example = "adele.vance")]
    pub username: String,
    #[validate(length(min = 1, max = 128))]
    #[schema(format = Password)]
    pub password: String,
}

/// A refresh token to exchange or revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Sign in with a username (or e-mail) and password.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = Session),
        (status = 429, description = "Too many failed sign-ins for this account or address; see Retry-After",
            body = crate::problem::Problem, content_type = "application/problem+json"),
        AuthErrors
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> ApiResult<web::Json<Session>> {
    body.0.validate().map_err(drift_core::CoreError::from)?;
    let address = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let started = std::time::Instant::now();
    if let Some(wait) = state
        .auth
        .throttle
        .blocked_for(&body.0.username, &address, started)
    {
        audit::event(format_args!(
            "throttled sign-in for {:?} from {address}",
            body.0.username
        ));
        return Err(ApiError::Throttled {
            retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64,
        });
    }
    let now = state.now();
    let auth = state.auth.clone();
    let username = body.0.username.clone();
    let result = state
        .db(move |conn| {
            sessions::login(
                conn,
                &auth.keys,
                &auth.policy,
                &body.0.username,
                &body.0.password,
                now,
            )
        })
        .await;
    match &result {
        Ok((user, _)) => {
            state.auth.throttle.record_success(&username);
            audit::event(format_args!(
                "sign-in of user {} (tenant {}) from {address}",
                user.id, user.tenant_id
            ));
        }
        Err(err) => {
            let wrong_password = matches!(
                err,
                ApiError::Core(drift_core::CoreError::Auth(
                    drift_core::auth::AuthError::InvalidCredentials
                ))
            );
            if wrong_password {
                state
                    .auth
                    .throttle
                    // The lock runs from when the failure is known, not from when the
                    // request arrived: password hashing may take a while on a busy machine.
                    .record_failure(&username, &address, std::time::Instant::now());
            }
            audit::event(format_args!(
                "refused sign-in for {username:?} from {address}: {err}"
            ));
        }
    }
    Ok(web::Json(result?.1))
}

/// Exchange a refresh token for a new access token and refresh token. Each refresh token works
/// once; presenting one again ends the whole session.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses((status = 200, description = "A new pair", body = Session), AuthErrors)
)]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> ApiResult<web::Json<Session>> {
    let now = state.now();
    let auth = state.auth.clone();
    let (_, session) = state
        .db(move |conn| {
            sessions::refresh(conn, &auth.keys, &auth.policy, &body.0.refresh_token, now)
        })
        .await?;
    Ok(web::Json(session))
}

/// Sign out: the session of this refresh token ends (access tokens already issued expire on
/// their own, within minutes).
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"), AuthErrors)
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    state
        .db(move |conn| sessions::logout(conn, &body.0.refresh_token, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the caller is: the user (or API token), their tenant, role and permissions.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Identity), ReadErrors)
)]
#[get("/auth/me")]
async fn me(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<Identity>> {
    let identity = state
        .db(move |conn| drift_core::access::identity(conn, &caller.0))
        .await?;
    Ok(web::Json(identity))
}
