//! What every handler shares: the pool and the clock.

use std::sync::Arc;

use drift_core::auth::{JwtKeys, SessionPolicy};
use drift_core::crypto::KeyRing;
use drift_core::db::{DbConnection, DbPool};
use drift_core::{CoreError, UtcTime};

use crate::oidc::MicrosoftSignIn;
use crate::problem::ApiError;

/// The source of the current time, replaceable in tests.
pub type Clock = Arc<dyn Fn() -> UtcTime + Send + Sync>;

/// How the API signs in users: its token signing key and token lifetimes, the keys that
/// encrypt secrets at rest, and Microsoft sign-in when it is configured.
pub struct AuthSettings {
    pub keys: JwtKeys,
    pub policy: SessionPolicy,
    /// Brute-force protection of `/auth/login`.
    pub throttle: crate::throttle::LoginThrottle,
    /// Encrypts the users' Microsoft tokens and the PKCE verifiers of sign-ins in progress.
    pub key_ring: KeyRing,
    /// Microsoft sign-in; `None` when `AZURE_CLIENT_ID` is not set.
    pub microsoft: Option<MicrosoftSignIn>,
}

impl AuthSettings {
    /// Settings with a random signing key and encryption key, valid for this process only
    /// (tests, benchmarks), without Microsoft sign-in.
    pub fn ephemeral() -> Self {
        let secret = drift_core::auth::random_secret(48);
        Self {
            keys: JwtKeys::from_secret(secret.as_bytes()).expect("48 random bytes are long enough"),
            policy: SessionPolicy::default(),
            throttle: Default::default(),
            key_ring: KeyRing::generate(),
            microsoft: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub clock: Clock,
    pub auth: Arc<AuthSettings>,
    /// Sends test notifications (`POST …/notifications/test`).
    pub notifier: Arc<drift_notify::Notifier>,
    /// The callers the access middleware resolved recently.
    pub principals: Arc<crate::principal_cache::PrincipalCache>,
}

/// A notifier for test messages: one attempt, so the answer shows what the receiver said at
/// once instead of after minutes of retries. E-mail channels need `smtp`.
pub fn test_notifier(smtp: Option<drift_notify::SmtpSettings>) -> drift_notify::Notifier {
    let http = drift_notify::http_client().expect("an HTTP client with the default TLS roots");
    drift_notify::Notifier::new(http, smtp, Arc::new(UtcTime::now)).with_retry_policy(
        drift_notify::RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        },
    )
}

impl AppState {
    /// State with an ephemeral signing key; see [`AppState::with_auth`].
    pub fn new(pool: DbPool) -> Self {
        Self::with_auth(pool, AuthSettings::ephemeral())
    }

    pub fn with_auth(pool: DbPool, auth: AuthSettings) -> Self {
        Self {
            pool,
            clock: Arc::new(UtcTime::now),
            auth: Arc::new(auth),
            notifier: Arc::new(test_notifier(None)),
            principals: Default::default(),
        }
    }

    /// The state with another notifier (the server's, with e-mail when it is configured).
    pub fn with_notifier(mut self, notifier: drift_notify::Notifier) -> Self {
        self.notifier = Arc::new(notifier);
        self
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
