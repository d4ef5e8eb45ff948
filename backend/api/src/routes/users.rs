//! `/api/v1/tenants/{tenant_id}/users`: the people who use the product for a tenant.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use drift_core::pagination::{Page, Sort};
use drift_core::users::{self, User, UserFilter, UserInput, UserSortField};

use drift_core::access;

use crate::access::Caller;
use crate::extract::{JsonBody, ListQuery, MergePatch, PageParams, PathId, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{DeleteErrors, ListErrors, ReadErrors, WriteErrors};
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(replace_user)
        .service(patch_user)
        .service(delete_user);
}

/// List a tenant's users.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["users:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), UserFilter, UserSortField, PageParams),
    responses((status = 200, description = "A page of users", body = Page<User>), ListErrors)
)]
#[get("/tenants/{tenant_id}/users")]
async fn list_users(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: ListQuery<UserFilter>,
) -> ApiResult<web::Json<Page<User>>> {
    let sort = Sort::<UserSortField>::parse_or_default(query.sort.as_deref())?;
    let page = state
        .db(move |conn| users::list(conn, scope.tenant_id, &query.filter, sort, &query.page))
        .await?;
    Ok(web::Json(page))
}

/// Create a user in a tenant.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["users:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    request_body = UserInput,
    responses((status = 201, description = "Created", body = User), WriteErrors)
)]
#[post("/tenants/{tenant_id}/users")]
async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    scope: TenantScope,
    body: JsonBody<UserInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let principal = caller.0;
    let user = state
        .db(move |conn| access::create_user(conn, &principal, scope.tenant_id, &body.0, now))
        .await?;
    Ok(created(
        format!("/api/v1/tenants/{}/users/{}", scope.tenant_id, user.id),
        &user,
    ))
}

/// Get a user.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["users:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "User id")),
    responses((status = 200, description = "The user", body = User), ReadErrors)
)]
#[get("/tenants/{tenant_id}/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<web::Json<User>> {
    Ok(web::Json(
        state
            .db(move |conn| users::get(conn, scope.tenant_id, id.0))
            .await?,
    ))
}

/// Replace a user's writable fields. An omitted `password` keeps the current one.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["users:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "User id")),
    request_body = UserInput,
    responses((status = 200, description = "The updated user", body = User), WriteErrors)
)]
#[put("/tenants/{tenant_id}/users/{id}")]
async fn replace_user(
    state: web::Data<AppState>,
    caller: Caller,
    scope: TenantScope,
    id: PathId,
    body: JsonBody<UserInput>,
) -> ApiResult<web::Json<User>> {
    let principal = caller.0;
    let updated = state
        .db(move |conn| {
            access::change_user(conn, &principal, scope.tenant_id, id.0, |_| {
                Ok(body.0.clone())
            })
        })
        .await?;
    Ok(web::Json(updated))
}

/// Change some of a user's fields (JSON Merge Patch, RFC 7396).
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["users:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "User id")),
    request_body(content = UserInput, content_type = "application/merge-patch+json",
        description = "Any subset of the writable fields"),
    responses((status = 200, description = "The updated user", body = User), WriteErrors)
)]
#[patch("/tenants/{tenant_id}/users/{id}")]
async fn patch_user(
    state: web::Data<AppState>,
    caller: Caller,
    scope: TenantScope,
    id: PathId,
    patch: MergePatch,
) -> ApiResult<web::Json<User>> {
    let principal = caller.0;
    let updated = state
        .db(move |conn| {
            access::change_user(conn, &principal, scope.tenant_id, id.0, |current| {
                patch.apply_to(&UserInput::from(current))
            })
        })
        .await?;
    Ok(web::Json(updated))
}

/// Delete a user.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["users:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "User id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/tenants/{tenant_id}/users/{id}")]
async fn delete_user(
    state: web::Data<AppState>,
    caller: Caller,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<HttpResponse> {
    let principal = caller.0;
    state
        .db(move |conn| access::delete_user(conn, &principal, scope.tenant_id, id.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
