//! `/api/v1/roles`: the named permission lists that users hold.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use drift_core::pagination::{Page, Sort};
use drift_core::roles::{self, Role, RoleFilter, RoleInput, RoleSortField};

use crate::extract::{JsonBody, ListQuery, MergePatch, PageParams, PathId};
use crate::problem::ApiResult;
use crate::responses::{DeleteErrors, ListErrors, ReadErrors, WriteErrors};
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_roles)
        .service(create_role)
        .service(get_role)
        .service(replace_role)
        .service(patch_role)
        .service(delete_role);
}

/// List roles (shared by all tenants).
#[utoipa::path(
    tag = "roles",
    security(("bearer" = ["roles:read"])),
    params(RoleFilter, RoleSortField, PageParams),
    responses((status = 200, description = "A page of roles", body = Page<Role>), ListErrors)
)]
#[get("/roles")]
async fn list_roles(
    state: web::Data<AppState>,
    query: ListQuery<RoleFilter>,
) -> ApiResult<web::Json<Page<Role>>> {
    let sort = Sort::<RoleSortField>::parse_or_default(query.sort.as_deref())?;
    let page = state
        .db(move |conn| roles::list(conn, &query.filter, sort, &query.page))
        .await?;
    Ok(web::Json(page))
}

/// Create a role.
#[utoipa::path(
    tag = "roles",
    security(("bearer" = ["roles:manage"])),
    request_body = RoleInput,
    responses((status = 201, description = "Created", body = Role), WriteErrors)
)]
#[post("/roles")]
async fn create_role(
    state: web::Data<AppState>,
    body: JsonBody<RoleInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let role = state
        .db(move |conn| roles::create(conn, &body.0, now))
        .await?;
    Ok(created(format!("/api/v1/roles/{}", role.id), &role))
}

/// Get a role.
#[utoipa::path(
    tag = "roles",
    security(("bearer" = ["roles:read"])),
    params(("id" = i64, Path, description = "Role id")),
    responses((status = 200, description = "The role", body = Role), ReadErrors)
)]
#[get("/roles/{id}")]
async fn get_role(state: web::Data<AppState>, id: PathId) -> ApiResult<web::Json<Role>> {
    Ok(web::Json(
        state.db(move |conn| roles::get(conn, id.0)).await?,
    ))
}

/// Replace a role's writable fields.
#[utoipa::path(
    tag = "roles",
    security(("bearer" = ["roles:manage"])),
    params(("id" = i64, Path, description = "Role id")),
    request_body = RoleInput,
    responses((status = 200, description = "The updated role", body = Role), WriteErrors)
)]
#[put("/roles/{id}")]
async fn replace_role(
    state: web::Data<AppState>,
    id: PathId,
    body: JsonBody<RoleInput>,
) -> ApiResult<web::Json<Role>> {
    Ok(web::Json(
        state
            .db(move |conn| roles::update(conn, id.0, &body.0))
            .await?,
    ))
}

/// Change some of a role's fields (JSON Merge Patch, RFC 7396).
#[utoipa::path(
    tag = "roles",
    security(("bearer" = ["roles:manage"])),
    params(("id" = i64, Path, description = "Role id")),
    request_body(content = RoleInput, content_type = "application/merge-patch+json",
        description = "Any subset of the writable fields"),
    responses((status = 200, description = "The updated role", body = Role), WriteErrors)
)]
#[patch("/roles/{id}")]
async fn patch_role(
    state: web::Data<AppState>,
    id: PathId,
    patch: MergePatch,
) -> ApiResult<web::Json<Role>> {
    let updated = state
        .db(move |conn| {
            let current = roles::get(conn, id.0)?;
            let input = patch.apply_to(&RoleInput::from(&current))?;
            roles::update(conn, id.0, &input)
        })
        .await?;
    Ok(web::Json(updated))
}

/// Delete a role that no user holds. Built-in roles cannot be deleted.
#[utoipa::path(
    tag = "roles",
    security(("bearer" = ["roles:manage"])),
    params(("id" = i64, Path, description = "Role id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/roles/{id}")]
async fn delete_role(state: web::Data<AppState>, id: PathId) -> ApiResult<HttpResponse> {
    state.db(move |conn| roles::delete(conn, id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
