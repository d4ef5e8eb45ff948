//! What every handler shares: the pool and the clock.

use std::sync::Arc;

use drift_core::db::{DbConnection, DbPool};
use drift_core::{CoreError, UtcTime};

use crate::problem::ApiError;

/// The source of the current time, replaceable in tests.
pub type Clock = Arc<dyn Fn() -> UtcTime + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub clock: Clock,
}

impl AppState {
    pub fn new(pool: DbPool) -> Self {
        Self {
            pool,
            clock: Arc::new(UtcTime::now),
        }
    }

    pub fn now(&self) -> UtcTime {
        (self.clock)()
    }

    /// Runs blocking database work on actix's thread pool with a pooled connection.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, CoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let result = actix_web::web::block(move || {
            let mut conn = pool.get().map_err(CoreError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|e| ApiError::Blocking(e.to_string()))?;
        Ok(result?)
    }
}
