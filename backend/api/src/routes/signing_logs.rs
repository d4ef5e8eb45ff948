//! `/api/v1/tenants/{tenant_id}/signing-logs`: Entra sign-in events, read-only.

use actix_web::{get, web};
use drift_core::pagination::{Page, Sort};
use drift_core::signins::{
    self, SigningLog, SigningLogFilter, SigningLogSortField, SigningLogStats, SigningLogSummary,
    SigningLogSummaryQuery,
};

use crate::extract::{ListQuery, PageParams, PathId, StrictQuery, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{ListErrors, ReadErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The summary before `{id}`, which would otherwise take `summary` for an id.
    cfg.service(list_signing_logs)
        .service(get_signing_log_summary)
        .service(get_signing_log);
}

/// List sign-in events, newest first by default (without their raw documents).
#[utoipa::path(
    tag = "signing-logs",
    security(("bearer" = ["signins:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), SigningLogFilter, SigningLogSortField, PageParams),
    responses((status = 200, description = "A page of sign-in events", body = Page<SigningLogSummary>), ListErrors)
)]
#[get("/tenants/{tenant_id}/signing-logs")]
async fn list_signing_logs(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: ListQuery<SigningLogFilter>,
) -> ApiResult<web::Json<Page<SigningLogSummary>>> {
    let sort = Sort::<SigningLogSortField>::parse_or_default(query.sort.as_deref())?;
    let page = state
        .db(move |conn| signins::list(conn, scope.tenant_id, &query.filter, sort, &query.page))
        .await?;
    Ok(web::Json(page))
}

/// Count the tenant's sign-ins for charts: totals, successes and failures over time, and the
/// most frequent error codes, countries and applications.
///
/// The window is `[since, until)`, by default the last 7 days. Buckets are UTC hours or days
/// (`bucket`; by default hours for windows of up to 2 days, else days); every bucket the window
/// touches is listed, with zeros when nothing happened. A window of more than 2000 buckets is
/// refused (422, field `bucket`). The filters are those of the list and combine the same way; each ranking
/// lists its 10 largest entries, and `other` counts the rest.
#[utoipa::path(
    tag = "signing-logs",
    security(("bearer" = ["signins:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), SigningLogSummaryQuery),
    responses((status = 200, description = "The counts", body = SigningLogStats), ListErrors)
)]
#[get("/tenants/{tenant_id}/signing-logs/summary")]
async fn get_signing_log_summary(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: StrictQuery<SigningLogSummaryQuery>,
) -> ApiResult<web::Json<SigningLogStats>> {
    let now = state.now();
    Ok(web::Json(
        state
            .db(move |conn| signins::summary(conn, scope.tenant_id, &query.0, now))
            .await?,
    ))
}

/// Get one sign-in event with the whole Graph document.
#[utoipa::path(
    tag = "signing-logs",
    security(("bearer" = ["signins:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "Sign-in log id")),
    responses((status = 200, description = "The sign-in event", body = SigningLog), ReadErrors)
)]
#[get("/tenants/{tenant_id}/signing-logs/{id}")]
async fn get_signing_log(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<web::Json<SigningLog>> {
    Ok(web::Json(
        state
            .db(move |conn| signins::get(conn, scope.tenant_id, id.0))
            .await?,
    ))
}
