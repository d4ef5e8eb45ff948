//! `/api/v1/tenants/{tenant_id}/signing-logs`: Entra sign-in events, read-only.

use actix_web::{get, web};
use drift_core::pagination::{Page, Sort};
use drift_core::signins::{
    self, SigningLog, SigningLogFilter, SigningLogSortField, SigningLogSummary,
};

use crate::extract::{ListQuery, PageParams, PathId, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{ListErrors, ReadErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_signing_logs).service(get_signing_log);
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
