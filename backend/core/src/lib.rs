//! Azure Drift Detector's domain: types, the database layer and the repositories used by the
//! API and the worker. Nothing here knows about HTTP.

pub mod db;
pub mod error;
pub mod pagination;
pub mod permissions;
pub mod tenants;
pub mod types;

pub use db::sql_types::{Json, UtcTime};
pub use error::{CoreError, CoreResult, FieldError};
