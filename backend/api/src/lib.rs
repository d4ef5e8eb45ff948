//! The HTTP face of Azure Drift Detector: routes, problem documents and the OpenAPI document.

pub mod access;
pub mod app;
pub mod audit;
pub mod config;
pub mod extract;
pub mod oidc;
pub mod openapi;
pub mod principal_cache;
pub mod problem;
pub mod responses;
pub mod routes;
pub mod routing;
pub mod state;
pub mod throttle;
pub mod web_app;

pub use app::{app, metrics, openapi, HttpOptions};
pub use state::AppState;
