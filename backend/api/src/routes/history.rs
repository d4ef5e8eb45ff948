//! Configuration history: `/api/v1/tenants/{tenant_id}/history` (the tenant's drift feed) and
//! `/api/v1/tenants/{tenant_id}/configurations/{id}/history` (one resource's timeline).

use actix_web::{get, web};
use drift_core::history::{self, HistoryEntry, HistoryFilter, HistorySortField, HistorySummary};
use drift_core::pagination::{Page, Sort};

use crate::extract::{ListQuery, PageParams, PathId, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{ListErrors, ReadErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_tenant_history)
        .service(get_history_entry)
        .service(list_configuration_history);
}

/// List every change in the tenant, newest first by default.
#[utoipa::path(
    tag = "history",
    security(("bearer" = ["history:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), HistoryFilter, HistorySortField, PageParams),
    responses((status = 200, description = "A page of changes", body = Page<HistorySummary>), ListErrors)
)]
#[get("/tenants/{tenant_id}/history")]
async fn list_tenant_history(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: ListQuery<HistoryFilter>,
) -> ApiResult<web::Json<Page<HistorySummary>>> {
    let sort = Sort::<HistorySortField>::parse_or_default(query.sort.as_deref())?;
    let page = state
        .db(move |conn| {
            history::list(
                conn,
                scope.tenant_id,
                None,
                &query.filter,
                sort,
                &query.page,
            )
        })
        .await?;
    Ok(web::Json(page))
}

/// Get one change with the states before and after it.
#[utoipa::path(
    tag = "history",
    security(("bearer" = ["history:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "History entry id")),
    responses((status = 200, description = "The change", body = HistoryEntry), ReadErrors)
)]
#[get("/tenants/{tenant_id}/history/{id}")]
async fn get_history_entry(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<web::Json<HistoryEntry>> {
    Ok(web::Json(
        state
            .db(move |conn| history::get(conn, scope.tenant_id, id.0))
            .await?,
    ))
}

/// List the changes of one configuration, newest first by default.
#[utoipa::path(
    tag = "history",
    security(("bearer" = ["history:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "Configuration id"),
        HistoryFilter, HistorySortField, PageParams),
    responses((status = 200, description = "A page of changes", body = Page<HistorySummary>), ListErrors)
)]
#[get("/tenants/{tenant_id}/configurations/{id}/history")]
async fn list_configuration_history(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
    query: ListQuery<HistoryFilter>,
) -> ApiResult<web::Json<Page<HistorySummary>>> {
    let sort = Sort::<HistorySortField>::parse_or_default(query.sort.as_deref())?;
    let page = state
        .db(move |conn| {
            // A configuration of another tenant (or none) is 404, not an empty list.
            drift_core::configurations::get(conn, scope.tenant_id, id.0)?;
            history::list(
                conn,
                scope.tenant_id,
                Some(id.0),
                &query.filter,
                sort,
                &query.page,
            )
        })
        .await?;
    Ok(web::Json(page))
}
