//! Azure Drift Detector's domain: types, the database layer and the repositories used by the
//! API and the worker. Nothing here knows about HTTP.

pub mod db;
pub mod error;
pub mod pagination;

pub mod access;
pub mod api_tokens;
pub mod auth;
pub mod configurations;
pub mod crypto;
pub mod drift;
pub mod history;
pub mod input;
pub mod notifications;
pub mod outbox;
pub mod permissions;
pub mod poll_status;
pub mod polling;
pub mod roles;
pub mod settings;
pub mod signins;
pub mod tenants;
pub mod types;
pub mod users;

pub use db::sql_types::{Json, UtcTime};
pub use error::{CoreError, CoreResult, FieldError};
