//! The HTTP routes, one module per resource.

pub mod api_tokens;
pub mod auth;
pub mod configurations;
pub mod history;
pub mod microsoft;
pub mod notifications;
pub mod operations;
pub mod poll_status;
pub mod roles;
pub mod settings;
pub mod signing_logs;
pub mod tenants;
pub mod users;

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;

/// Registers every `/api/v1` route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    auth::configure(cfg);
    microsoft::configure(cfg);
    tenants::configure(cfg);
    users::configure(cfg);
    roles::configure(cfg);
    settings::configure(cfg);
    notifications::configure(cfg);
    configurations::configure(cfg);
    history::configure(cfg);
    poll_status::configure(cfg);
    signing_logs::configure(cfg);
    api_tokens::configure(cfg);
}

/// `201 Created` with the new resource and its location.
pub fn created<T: Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}
