//! Configuration history: `/api/v1/tenants/{tenant_id}/history` (the tenant's drift feed),
//! `/history/summary` (its counts), `/api/v1/tenants/{tenant_id}/configurations/{id}/history`
//! (one resource's timeline) and `/configurations/{id}/diff` (two of its versions compared).

use actix_web::{get, web};
use drift_core::history::{
    self, DiffQuery, DriftSummary, HistoryEntry, HistoryFilter, HistorySortField, HistorySummary,
    SummaryWindow, VersionDiff, VersionRef,
};
use drift_core::pagination::{Page, Sort};

use crate::extract::{ListQuery, PageParams, PathId, StrictQuery, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{ListErrors, ReadErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The summary before `{id}`, which would otherwise take `summary` for an id.
    cfg.service(list_tenant_history)
        .service(get_history_summary)
        .service(get_history_entry)
        .service(list_configuration_history)
        .service(diff_configuration_versions);
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

/// Count the tenant's changes by severity, source, change type and day.
///
/// The window is `[since, until)`, by default the last 30 days, at most 366 days. Days are UTC
/// dates; every date the window touches is listed, with a count of 0 when nothing changed.
#[utoipa::path(
    tag = "history",
    security(("bearer" = ["history:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), SummaryWindow),
    responses((status = 200, description = "The counts", body = DriftSummary), ListErrors)
)]
#[get("/tenants/{tenant_id}/history/summary")]
async fn get_history_summary(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: StrictQuery<SummaryWindow>,
) -> ApiResult<web::Json<DriftSummary>> {
    let now = state.now();
    Ok(web::Json(
        state
            .db(move |conn| history::summary(conn, scope.tenant_id, &query.0, now))
            .await?,
    ))
}

/// Compare two versions of a configuration as an RFC 6902 JSON Patch.
///
/// A version is the state a history entry produced, or `current`; `to` defaults to `current`
/// and `from` to the version before `to`. The documents are compared as stored, volatile fields
/// included. Entries of another configuration are not found (404); naming one version twice,
/// or asking for the version before the current one when no change was recorded, is invalid
/// (422).
#[utoipa::path(
    tag = "history",
    security(("bearer" = ["history:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "Configuration id"), DiffQuery),
    responses((status = 200, description = "The two versions and the patch between them", body = VersionDiff), ListErrors)
)]
#[get("/tenants/{tenant_id}/configurations/{id}/diff")]
async fn diff_configuration_versions(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
    query: StrictQuery<DiffQuery>,
) -> ApiResult<web::Json<VersionDiff>> {
    let parse = |field: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(|r| VersionRef::parse(field, r))
            .transpose()
    };
    let from = parse("from", &query.0.from)?;
    let to = parse("to", &query.0.to)?;
    Ok(web::Json(
        state
            .db(move |conn| history::diff(conn, scope.tenant_id, id.0, from, to))
            .await?,
    ))
}
