//! `/api/v1/tenants/{tenant_id}/api-tokens`: long-lived tokens for integrations.

use actix_web::{delete, get, post, web, HttpResponse};
use drift_core::api_tokens::{
    self, ApiToken, ApiTokenFilter, ApiTokenInput, ApiTokenSortField, CreatedApiToken,
};
use drift_core::pagination::{Page, Sort};

use crate::access::Caller;
use crate::extract::{JsonBody, ListQuery, PageParams, PathId, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{DeleteErrors, ListErrors, ReadErrors, WriteErrors};
use crate::routes::created;
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_api_tokens)
        .service(create_api_token)
        .service(get_api_token)
        .service(revoke_api_token);
}

/// List a tenant's API tokens (never their secrets), newest first.
#[utoipa::path(
    tag = "api-tokens",
    security(("bearer" = ["api_tokens:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ApiTokenFilter, ApiTokenSortField, PageParams),
    responses((status = 200, description = "A page of API tokens", body = Page<ApiToken>), ListErrors)
)]
#[get("/tenants/{tenant_id}/api-tokens")]
async fn list_api_tokens(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: ListQuery<ApiTokenFilter>,
) -> ApiResult<web::Json<Page<ApiToken>>> {
    let sort = Sort::<ApiTokenSortField>::parse_or_default(query.sort.as_deref())?;
    let page = state
        .db(move |conn| api_tokens::list(conn, scope.tenant_id, &query.filter, sort, &query.page))
        .await?;
    Ok(web::Json(page))
}

/// Create an API token. Its `secret` is in this response only; use it as
/// `Authorization: Bearer <secret>`. The token's role may not exceed the creator's own.
#[utoipa::path(
    tag = "api-tokens",
    security(("bearer" = ["api_tokens:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    request_body = ApiTokenInput,
    responses((status = 201, description = "Created; the secret is shown this once", body = CreatedApiToken), WriteErrors)
)]
#[post("/tenants/{tenant_id}/api-tokens")]
async fn create_api_token(
    state: web::Data<AppState>,
    caller: Caller,
    scope: TenantScope,
    body: JsonBody<ApiTokenInput>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let creator = caller.0;
    let created_token = state
        .db(move |conn| api_tokens::create(conn, scope.tenant_id, &creator, &body.0, now))
        .await?;
    let token = &created_token.token;
    Ok(created(
        format!(
            "/api/v1/tenants/{}/api-tokens/{}",
            scope.tenant_id, token.id
        ),
        &created_token,
    ))
}

/// Get an API token (not its secret).
#[utoipa::path(
    tag = "api-tokens",
    security(("bearer" = ["api_tokens:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "API token id")),
    responses((status = 200, description = "The API token", body = ApiToken), ReadErrors)
)]
#[get("/tenants/{tenant_id}/api-tokens/{id}")]
async fn get_api_token(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<web::Json<ApiToken>> {
    Ok(web::Json(
        state
            .db(move |conn| api_tokens::get(conn, scope.tenant_id, id.0))
            .await?,
    ))
}

/// Revoke an API token: it stops working at once and stays listed with `revoked_at`.
#[utoipa::path(
    tag = "api-tokens",
    security(("bearer" = ["api_tokens:manage"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "API token id")),
    responses((status = 204, description = "Revoked"), DeleteErrors)
)]
#[delete("/tenants/{tenant_id}/api-tokens/{id}")]
async fn revoke_api_token(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    state
        .db(move |conn| api_tokens::revoke(conn, scope.tenant_id, id.0, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
