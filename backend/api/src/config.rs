//! The API's configuration, read from the environment once at start.

use drift_core::db::DatabaseUrl;

pub const DEFAULT_DATABASE_URL: &str = "data/drift.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone)]
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
    /// `DRIFT_JWT_SECRET`: the key that signs access tokens (at least 32 bytes).
    jwt_secret: Option<String>,
    /// `DRIFT_ACCESS_TOKEN_TTL`: access token lifetime in seconds (default 900).
    pub access_ttl_seconds: i64,
    /// `DRIFT_REFRESH_TOKEN_TTL`: refresh token lifetime in seconds (default 30 days).
    pub refresh_ttl_seconds: i64,
    /// `DRIFT_CORS_ORIGINS`: comma-separated origins whose pages may call the API from a
    /// browser (default none: same origin only).
    pub cors_origins: Vec<String>,
}

/// Parses `DRIFT_CORS_ORIGINS`: each entry a bare `scheme://host[:port]` origin.
fn cors_origins(raw: Option<String>) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for entry in raw.iter().flat_map(|r| r.split(',')).map(str::trim) {
        if entry.is_empty() {
            continue;
        }
        let bad = || {
            format!(
                "DRIFT_CORS_ORIGINS: {entry:?} is not an origin; write scheme://host[:port], e.g. https://drift.example.com"
            )
        };
        let url = url::Url::parse(entry).map_err(|_| bad())?;
        let bare = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.path() == "/"
            && !entry.ends_with('/')
            && url.query().is_none()
            && url.username().is_empty();
        if !bare {
            return Err(bad());
        }
        origins.push(entry.to_owned());
    }
    Ok(origins)
}

impl ApiConfig {
    /// The token signing key: `DRIFT_JWT_SECRET`, or on SQLite a key generated once and kept
    /// in a 0600 file beside the database. PostgreSQL deployments (several API processes) must
    /// set it.
    pub fn jwt_secret(&self) -> Result<Vec<u8>, String> {
        if let Some(secret) = &self.jwt_secret {
            if secret.len() < drift_core::auth::jwt::MIN_SECRET_BYTES {
                return Err("DRIFT_JWT_SECRET must be at least 32 bytes; generate one with `openssl rand -base64 48`".into());
            }
            return Ok(secret.as_bytes().to_vec());
        }
        match &self.database_url {
            DatabaseUrl::Postgres(_) => Err(
                "DRIFT_JWT_SECRET is not set: with PostgreSQL every API process must share one signing key; \
                 set DRIFT_JWT_SECRET to at least 32 random bytes (`openssl rand -base64 48`)"
                    .into(),
            ),
            DatabaseUrl::Sqlite(path) => {
                let file = path.parent().unwrap_or(std::path::Path::new(".")).join("jwt-secret");
                secret_file(&file)
            }
        }
    }

    pub fn session_policy(&self) -> drift_core::auth::SessionPolicy {
        drift_core::auth::SessionPolicy {
            access_ttl_seconds: self.access_ttl_seconds,
            refresh_ttl_seconds: self.refresh_ttl_seconds,
        }
    }
}

/// Reads the secret kept in `file`, creating it (mode 0600) with a random secret first.
fn secret_file(file: &std::path::Path) -> Result<Vec<u8>, String> {
    if let Ok(existing) = std::fs::read_to_string(file) {
        let existing = existing.trim().to_owned();
        if existing.len() >= drift_core::auth::jwt::MIN_SECRET_BYTES {
            return Ok(existing.into_bytes());
        }
        return Err(format!(
            "{} holds a secret shorter than 32 bytes; delete it or set DRIFT_JWT_SECRET",
            file.display()
        ));
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let secret = drift_core::auth::random_secret(48);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options.open(file).map_err(|e| {
        format!(
            "cannot create {} (or set DRIFT_JWT_SECRET): {e}",
            file.display()
        )
    })?;
    std::io::Write::write_all(&mut handle, secret.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    log::warn!(
        "DRIFT_JWT_SECRET is not set: generated a signing key and kept it in {} (mode 0600)",
        file.display()
    );
    Ok(secret.into_bytes())
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
            jwt_secret: var("DRIFT_JWT_SECRET"),
            access_ttl_seconds: number("DRIFT_ACCESS_TOKEN_TTL", 60, 24 * 3600)?.unwrap_or(900),
            cors_origins: cors_origins(var("DRIFT_CORS_ORIGINS"))?,
            refresh_ttl_seconds: number("DRIFT_REFRESH_TOKEN_TTL", 3600, 365 * 24 * 3600)?
                .unwrap_or(30 * 24 * 3600),
        })
    }
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("database_url", &self.database_url.redacted())
            .field("bind", &self.bind)
            .field("pool_size", &self.pool_size)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("http_workers", &self.http_workers)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("access_ttl_seconds", &self.access_ttl_seconds)
            .field("refresh_ttl_seconds", &self.refresh_ttl_seconds)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::cors_origins;

    #[test]
    fn cors_origins_must_be_bare_origins() {
        assert_eq!(cors_origins(None).unwrap(), Vec::<String>::new());
        assert_eq!(
            cors_origins(Some("https://a.example.com, http://127.0.0.1:5173".into())).unwrap(),
            ["https://a.example.com", "http://127.0.0.1:5173"]
        );
        for bad in [
            "*",
            "a.example.com",
            "https://a.example.com/",
            "https://a.example.com/app",
            "ftp://x",
        ] {
            assert!(cors_origins(Some(bad.into())).is_err(), "{bad}");
        }
    }
}
