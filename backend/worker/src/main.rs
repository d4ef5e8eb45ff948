//! `drift-worker`: polls Azure, detects drift, ingests sign-ins and notifies.
//!
//! For now it connects to the database, applies pending migrations and exits: the polling
//! itself is the drift-worker issue.

use std::process::ExitCode;

use drift_core::db::{connect_and_migrate, DatabaseUrl, PoolOptions};

const DEFAULT_DATABASE_URL: &str = "data/drift.db";

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let raw = std::env::var("DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let url = match DatabaseUrl::parse(&raw) {
        Ok(url) => url,
        Err(e) => {
            eprintln!("drift-worker: DATABASE_URL: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = PoolOptions {
        max_size: 2,
        ..PoolOptions::default()
    };
    match connect_and_migrate(&url, &options) {
        Ok(_pool) => {
            log::info!(
                "database {} is ready; polling is not implemented yet",
                url.redacted()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("drift-worker: {e}");
            ExitCode::FAILURE
        }
    }
}
