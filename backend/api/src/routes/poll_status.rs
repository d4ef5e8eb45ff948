//! `/api/v1/tenants/{tenant_id}/poll-status` and `/poll`: what the worker does for a tenant, per
//! source, and "poll now".

use actix_web::{get, post, web, HttpResponse};
use drift_core::poll_status::{self, PollStatus};
use drift_core::settings::schema::PolledSource;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::{OptionalJsonBody, StrictQuery, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{ActionErrors, ReadErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_poll_status).service(poll_now);
}

/// Which source to poll.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PollQuery {
    /// Poll only this source; default every source the settings enable.
    pub source: Option<PolledSource>,
}

/// What to poll, as a request body (the same as the query parameter).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollRequest {
    /// Poll only this source; default every source the settings enable.
    pub source: Option<PolledSource>,
}

/// Get the polling status of each source.
///
/// For entra, intune, arm and signins: whether a poll runs, is due, waits or is disabled, when
/// the last one succeeded or failed, when the next one runs and when the baseline was taken.
#[utoipa::path(
    tag = "polling",
    security(("bearer" = ["configurations:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    responses((status = 200, description = "The status of the four sources", body = PollStatus), ReadErrors)
)]
#[get("/tenants/{tenant_id}/poll-status")]
async fn get_poll_status(
    state: web::Data<AppState>,
    scope: TenantScope,
) -> ApiResult<web::Json<PollStatus>> {
    let now = state.now();
    Ok(web::Json(
        state
            .db(move |conn| poll_status::status(conn, scope.tenant_id, now))
            .await?,
    ))
}

/// Poll now.
///
/// The worker takes the source (or every source the settings enable) at its next pass instead
/// of waiting for the interval. A poll already under way is not restarted. Naming a disabled
/// source, or polling while the settings switch polling off, is a conflict (409). The source
/// may be named in the query or in an optional JSON body, not differently in both.
#[utoipa::path(
    tag = "polling",
    security(("bearer" = ["settings:write"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), PollQuery),
    request_body(content = Option<PollRequest>, description = "Optional; may name the source instead of the query"),
    responses(
        (status = 202, description = "Scheduled; the resulting status", body = PollStatus),
        ActionErrors
    )
)]
#[post("/tenants/{tenant_id}/poll")]
async fn poll_now(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: StrictQuery<PollQuery>,
    body: OptionalJsonBody<PollRequest>,
) -> ApiResult<HttpResponse> {
    let from_body = body.0.and_then(|b| b.source);
    let source = match (query.0.source, from_body) {
        (Some(a), Some(b)) if a != b => {
            return Err(drift_core::CoreError::invalid(
                "source",
                "conflict",
                "the query and the body name different sources",
            )
            .into())
        }
        (a, b) => a.or(b),
    };
    let now = state.now();
    let status = state
        .db(move |conn| poll_status::request_poll(conn, scope.tenant_id, source, now))
        .await?;
    Ok(HttpResponse::Accepted().json(status))
}
