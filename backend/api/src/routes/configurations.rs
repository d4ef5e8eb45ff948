//! `/api/v1/tenants/{tenant_id}/configurations`: the current state of every polled resource.
//! The worker writes them; clients read them and may delete one (with its history).

use actix_web::{delete, get, web, HttpResponse};
use drift_core::configurations::{
    self, Configuration, ConfigurationFilter, ConfigurationSortField, ConfigurationSummary,
};
use drift_core::pagination::{Page, Sort};

use crate::extract::{ListQuery, PageParams, PathId, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{DeleteErrors, ListErrors, ReadErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_configurations)
        .service(get_configuration)
        .service(delete_configuration);
}

/// List a tenant's configurations (without their documents).
#[utoipa::path(
    tag = "configurations",
    security(("bearer" = ["configurations:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ConfigurationFilter, ConfigurationSortField, PageParams),
    responses((status = 200, description = "A page of configurations", body = Page<ConfigurationSummary>), ListErrors)
)]
#[get("/tenants/{tenant_id}/configurations")]
async fn list_configurations(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: ListQuery<ConfigurationFilter>,
) -> ApiResult<web::Json<Page<ConfigurationSummary>>> {
    let sort = Sort::<ConfigurationSortField>::parse_or_default(query.sort.as_deref())?;
    let page = state
        .db(move |conn| {
            configurations::list(conn, scope.tenant_id, &query.filter, sort, &query.page)
        })
        .await?;
    Ok(web::Json(page))
}

/// Get a configuration with its current document.
#[utoipa::path(
    tag = "configurations",
    security(("bearer" = ["configurations:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "Configuration id")),
    responses((status = 200, description = "The configuration", body = Configuration), ReadErrors)
)]
#[get("/tenants/{tenant_id}/configurations/{id}")]
async fn get_configuration(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<web::Json<Configuration>> {
    Ok(web::Json(
        state
            .db(move |conn| configurations::get(conn, scope.tenant_id, id.0))
            .await?,
    ))
}

/// Delete a stored configuration and its history. If the resource still exists in Azure, the
/// next poll stores it again.
#[utoipa::path(
    tag = "configurations",
    security(("bearer" = ["configurations:delete"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "Configuration id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/tenants/{tenant_id}/configurations/{id}")]
async fn delete_configuration(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<HttpResponse> {
    state
        .db(move |conn| configurations::delete(conn, scope.tenant_id, id.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
