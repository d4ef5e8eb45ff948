//! `/api/v1/tenants`: the organisations watched.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use drift_core::pagination::{Page, Sort};
use drift_core::tenants::{self, Tenant, TenantFilter, TenantInput, TenantSortField};

use crate::extract::{JsonBody, ListQuery, MergePatch, PageParams, PathId};
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
    params(TenantFilter, TenantSortField, PageParams),
    responses((status = 200, description = "A page of tenants", body = Page<Tenant>), ListErrors)
)]
#[get("/tenants")]
async fn list_tenants(
    state: web::Data<AppState>,
    query: ListQuery<TenantFilter>,
) -> ApiResult<web::Json<Page<Tenant>>> {
    let sort = Sort::<TenantSortField>::parse_or_default(query.sort.as_deref())?;
    let page = state
        .db(move |conn| tenants::list(conn, &query.filter, sort, &query.page))
        .await?;
    Ok(web::Json(page))
}

/// Create a tenant.
#[utoipa::path(
    tag = "tenants",
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
    params(("id" = i64, Path, description = "Tenant id")),
    responses((status = 200, description = "The tenant", body = Tenant), ReadErrors)
)]
#[get("/tenants/{id}")]
async fn get_tenant(state: web::Data<AppState>, id: PathId) -> ApiResult<web::Json<Tenant>> {
    Ok(web::Json(
        state.db(move |conn| tenants::get(conn, id.0)).await?,
    ))
}

/// Replace a tenant's writable fields.
#[utoipa::path(
    tag = "tenants",
    params(("id" = i64, Path, description = "Tenant id")),
    request_body = TenantInput,
    responses((status = 200, description = "The updated tenant", body = Tenant), WriteErrors)
)]
#[put("/tenants/{id}")]
async fn replace_tenant(
    state: web::Data<AppState>,
    id: PathId,
    body: JsonBody<TenantInput>,
) -> ApiResult<web::Json<Tenant>> {
    Ok(web::Json(
        state
            .db(move |conn| tenants::update(conn, id.0, &body.0))
            .await?,
    ))
}

/// Change some of a tenant's fields (JSON Merge Patch, RFC 7396).
#[utoipa::path(
    tag = "tenants",
    params(("id" = i64, Path, description = "Tenant id")),
    request_body(content = TenantInput, content_type = "application/merge-patch+json",
        description = "Any subset of the writable fields"),
    responses((status = 200, description = "The updated tenant", body = Tenant), WriteErrors)
)]
#[patch("/tenants/{id}")]
async fn patch_tenant(
    state: web::Data<AppState>,
    id: PathId,
    patch: MergePatch,
) -> ApiResult<web::Json<Tenant>> {
    let updated = state
        .db(move |conn| {
            let current = tenants::get(conn, id.0)?;
            let input = patch.apply_to(&TenantInput::from(&current))?;
            tenants::update(conn, id.0, &input)
        })
        .await?;
    Ok(web::Json(updated))
}

/// Delete a tenant and everything it owns (users, settings, configurations, history, sign-ins).
#[utoipa::path(
    tag = "tenants",
    params(("id" = i64, Path, description = "Tenant id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/tenants/{id}")]
async fn delete_tenant(state: web::Data<AppState>, id: PathId) -> ApiResult<HttpResponse> {
    state.db(move |conn| tenants::delete(conn, id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
