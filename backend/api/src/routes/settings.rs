//! `/api/v1/tenants/{tenant_id}/settings`: the settings in force and their history.
//!
//! Settings are versioned: PUT and PATCH save a new version, which is then in force; the older
//! versions stay readable as the history of settings changes.

use actix_web::{delete, get, patch, put, web, HttpResponse};
use drift_core::pagination::Page;
use drift_core::settings::{self, Settings, SettingsInput};

use crate::access::Caller;
use crate::extract::{JsonBody, ListQuery, MergePatch, PageParams, PathId, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{DeleteErrors, ListErrors, ReadErrors, WriteErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_settings)
        .service(replace_settings)
        .service(patch_settings)
        .service(list_settings_history)
        .service(get_settings_version)
        .service(delete_settings_version);
}

/// No filters: the settings history is listed newest first.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct NoFilter {}

/// Get the settings in force (the defaults, with a null id, if none were ever saved).
#[utoipa::path(
    tag = "settings",
    security(("bearer" = ["settings:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    responses((status = 200, description = "The settings in force", body = Settings), ReadErrors)
)]
#[get("/tenants/{tenant_id}/settings")]
async fn get_settings(
    state: web::Data<AppState>,
    scope: TenantScope,
) -> ApiResult<web::Json<Settings>> {
    Ok(web::Json(
        state
            .db(move |conn| settings::current(conn, scope.tenant_id))
            .await?,
    ))
}

/// Save a complete settings document as a new version. Omitted sections and fields take their
/// defaults.
#[utoipa::path(
    tag = "settings",
    security(("bearer" = ["settings:write"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    request_body = SettingsInput,
    responses((status = 200, description = "The new version, now in force", body = Settings), WriteErrors)
)]
#[put("/tenants/{tenant_id}/settings")]
async fn replace_settings(
    state: web::Data<AppState>,
    scope: TenantScope,
    caller: Caller,
    body: JsonBody<SettingsInput>,
) -> ApiResult<web::Json<Settings>> {
    let now = state.now();
    let saved_by = caller.0.describe();
    Ok(web::Json(
        state
            .db(move |conn| settings::save_by(conn, scope.tenant_id, &body.0, now, Some(&saved_by)))
            .await?,
    ))
}

/// Change part of the settings in force (JSON Merge Patch, RFC 7396), saving a new version.
#[utoipa::path(
    tag = "settings",
    security(("bearer" = ["settings:write"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    request_body(content = SettingsInput, content_type = "application/merge-patch+json",
        description = "Any subset of the settings document; arrays are replaced whole"),
    responses((status = 200, description = "The new version, now in force", body = Settings), WriteErrors)
)]
#[patch("/tenants/{tenant_id}/settings")]
async fn patch_settings(
    state: web::Data<AppState>,
    scope: TenantScope,
    caller: Caller,
    patch: MergePatch,
) -> ApiResult<web::Json<Settings>> {
    let now = state.now();
    let saved_by = caller.0.describe();
    let saved = state
        .db(move |conn| {
            let current = settings::current(conn, scope.tenant_id)?;
            let input = patch.apply_to(&SettingsInput::from(&current))?;
            settings::save_by(conn, scope.tenant_id, &input, now, Some(&saved_by))
        })
        .await?;
    Ok(web::Json(saved))
}

/// List the saved settings versions, newest first.
#[utoipa::path(
    tag = "settings",
    security(("bearer" = ["settings:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), PageParams),
    responses((status = 200, description = "A page of settings versions", body = Page<Settings>), ListErrors)
)]
#[get("/tenants/{tenant_id}/settings/history")]
async fn list_settings_history(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: ListQuery<NoFilter>,
) -> ApiResult<web::Json<Page<Settings>>> {
    if query.sort.is_some() {
        return Err(drift_core::CoreError::invalid(
            "sort",
            "unknown_sort",
            "the settings history is always newest first",
        )
        .into());
    }
    Ok(web::Json(
        state
            .db(move |conn| settings::history(conn, scope.tenant_id, &query.page))
            .await?,
    ))
}

/// Get one settings version.
#[utoipa::path(
    tag = "settings",
    security(("bearer" = ["settings:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "Settings version id")),
    responses((status = 200, description = "The version", body = Settings), ReadErrors)
)]
#[get("/tenants/{tenant_id}/settings/history/{id}")]
async fn get_settings_version(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<web::Json<Settings>> {
    Ok(web::Json(
        state
            .db(move |conn| settings::get_version(conn, scope.tenant_id, id.0))
            .await?,
    ))
}

/// Delete one settings version; deleting the newest puts the previous one back in force.
#[utoipa::path(
    tag = "settings",
    security(("bearer" = ["settings:write"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), ("id" = i64, Path, description = "Settings version id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/tenants/{tenant_id}/settings/history/{id}")]
async fn delete_settings_version(
    state: web::Data<AppState>,
    scope: TenantScope,
    id: PathId,
) -> ApiResult<HttpResponse> {
    state
        .db(move |conn| settings::delete_version(conn, scope.tenant_id, id.0))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
