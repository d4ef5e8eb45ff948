//! `/api/v1/tenants`: the organisations watched.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use drift_core::pagination::{Page, Sort};
use drift_core::tenants::{self, Tenant, TenantFilter, TenantInput, TenantSortField};

use crate::access::Caller;
use crate::extract::{JsonBody, ListQuery, MergePatch, PageParams, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{DeleteErrors, ListErrors, ReadErrors, WriteErrors};
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_tenants)
        .service(create_tenant)
        .service(get_tenant)
        .service(replace_tenant)
        .service(patch_tenant)
        .service(delete_tenant);
}

/// List tenants.
#[utoipa::path(
    tag = "tenants",
    security(("bearer" = ["tenants:read"])),
    params(TenantFilter, TenantSortField, PageParams),
    responses((status = 200, description = "A page of tenants", body = Page<Tenant>), ListErrors)
)]
#[get("/tenants")]
async fn list_tenants(
    state: web::Data<AppState>,
    caller: Caller,
    query: ListQuery<TenantFilter>,
) -> ApiResult<web::Json<Page<Tenant>>> {
    let sort = Sort::<TenantSortField>::parse_or_default(query.sort.as_deref())?;
    let only = caller.0.tenant_limit();
    let page = state
        .db(move |conn| tenants::list(conn, &query.filter, only, sort, &query.page))
        .await?;
    Ok(web::Json(page))
}

/// Create a tenant.
#[utoipa::path(
    tag = "tenants",
    security(("bearer" = ["tenants:manage"])),
    request_body = TenantInput,
    responses((status = 201, description = "Created", body = Tenant), WriteErrors)
)]
#[post("/tenants")]
async fn create_tenant(
    state: web::Data<AppState>,
    body: JsonBody<TenantInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let tenant = state
        .db(move |conn| tenants::create(conn, &body.0, now))
        .await?;
    Ok(created(format!("/api/v1/tenants/{}", tenant.id), &tenant))
}

/// Get a tenant.
#[utoipa::path(
    tag = "tenants",
    security(("bearer" = ["tenants:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    responses((status = 200, description = "The tenant", body = Tenant), ReadErrors)
)]
#[get("/tenants/{tenant_id}")]
async fn get_tenant(
    state: web::Data<AppState>,
    scope: TenantScope,
) -> ApiResult<web::Json<Tenant>> {
    Ok(web::Json(
        state
            .db(move |conn| tenants::get(conn, scope.tenant_id))
            .await?,
    ))
}

/// Replace a tenant's writable fields.
#[utoipa::path(
    tag = "tenants",
    security(("bearer" = ["tenants:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    request_body = TenantInput,
    responses((status = 200, description = "The updated tenant", body = Tenant), WriteErrors)
)]
#[put("/tenants/{tenant_id}")]
async fn replace_tenant(
    state: web::Data<AppState>,
    scope: TenantScope,
    body: JsonBody<TenantInput>,
) -> ApiResult<web::Json<Tenant>> {
    let updated = state
        .db(move |conn| tenants::update(conn, scope.tenant_id, &body.0))
        .await?;
    Ok(web::Json(updated))
}

/// Change some of a tenant's fields (JSON Merge Patch, RFC 7396).
#[utoipa::path(
    tag = "tenants",
    security(("bearer" = ["tenants:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    request_body(content = TenantInput, content_type = "application/merge-patch+json",
        description = "Any subset of the writable fields"),
    responses((status = 200, description = "The updated tenant", body = Tenant), WriteErrors)
)]
#[patch("/tenants/{tenant_id}")]
async fn patch_tenant(
    state: web::Data<AppState>,
    scope: TenantScope,
    patch: MergePatch,
) -> ApiResult<web::Json<Tenant>> {
    let id = scope.tenant_id;
    let updated = state
        .db(move |conn| {
            let current = tenants::get(conn, id)?;
            let input = patch.apply_to(&TenantInput::from(&current))?;
            tenants::update(conn, id, &input)
        })
        .await?;
    Ok(web::Json(updated))
}

/// Delete a tenant and everything it owns (users, settings, configurations, history, sign-ins).
#[utoipa::path(
    tag = "tenants",
    security(("bearer" = ["tenants:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/tenants/{tenant_id}")]
async fn delete_tenant(
    state: web::Data<AppState>,
    caller: Caller,
    scope: TenantScope,
) -> ApiResult<HttpResponse> {
    let id = scope.tenant_id;
    if id == caller.0.tenant_id {
        // It would delete the caller too, and with them possibly the last superadmin.
        return Err(drift_core::CoreError::Conflict(
            "you cannot delete the tenant your own account belongs to".into(),
        )
        .into());
    }
    state.db(move |conn| tenants::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
