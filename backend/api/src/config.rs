//! The API's configuration, read from the environment once at start.

use drift_core::db::DatabaseUrl;

pub const DEFAULT_DATABASE_URL: &str = "data/drift.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// `DATABASE_URL`: `postgres://…` or a SQLite path (default `data/drift.db`).
    pub database_url: DatabaseUrl,
    /// `DRIFT_BIND`: the address to listen on (default `127.0.0.1:8080`).
    pub bind: String,
    /// `DRIFT_DB_POOL_SIZE`: database connections (default 10).
    pub pool_size: u32,
    /// `DRIFT_MAX_BODY_BYTES`: the largest request body (default 1 MiB).
    pub max_body_bytes: usize,
    /// `DRIFT_HTTP_WORKERS`: actix worker threads (default: one per CPU).
    pub http_workers: Option<usize>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number<T>(name: &str, min: T, max: T) -> Result<Option<T>, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match var(name) {
        None => Ok(None),
        Some(raw) => match raw.trim().parse::<T>() {
            Ok(n) if n >= min && n <= max => Ok(Some(n)),
            _ => Err(format!(
                "{name} must be a whole number from {min} to {max}, not {raw:?}"
            )),
        },
    }
}

impl ApiConfig {
    pub fn from_env() -> Result<Self, String> {
        let database_url =
            DatabaseUrl::parse(&var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()))
                .map_err(|e| format!("DATABASE_URL: {e}"))?;
        let bind = var("DRIFT_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
        if !bind.contains(':') {
            return Err(format!(
                "DRIFT_BIND must be host:port, such as 127.0.0.1:8080, not {bind:?}"
            ));
        }
        Ok(Self {
            database_url,
            bind,
            pool_size: number("DRIFT_DB_POOL_SIZE", 1, 1000)?.unwrap_or(10),
            max_body_bytes: number("DRIFT_MAX_BODY_BYTES", 1024, 64 << 20)?.unwrap_or(1 << 20),
            http_workers: number("DRIFT_HTTP_WORKERS", 1, 1024)?,
        })
    }
}
