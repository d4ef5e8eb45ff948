//! `/health` and `/ready` for orchestrators. (`/metrics` is served by the metrics middleware.)

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health).service(ready);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok`, or `unavailable` with a reason.
    #[schema(example = "ok")]
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "Alive", body = HealthStatus))
)]
#[get("/health")]
async fn health() -> web::Json<HealthStatus> {
    web::Json(HealthStatus {
        status: "ok".into(),
        reason: None,
    })
}

/// Readiness: the database answers a query.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Ready", body = HealthStatus),
        (status = 503, description = "The database is unreachable", body = HealthStatus)
    )
)]
#[get("/ready")]
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.db(drift_core::db::ping).await {
        Ok(()) => HttpResponse::Ok().json(HealthStatus {
            status: "ok".into(),
            reason: None,
        }),
        Err(err) => {
            log::warn!("readiness check failed: {err}");
            HttpResponse::ServiceUnavailable().json(HealthStatus {
                status: "unavailable".into(),
                reason: Some("the database is unreachable".into()),
            })
        }
    }
}
