//! The API's configuration, read from the environment once at start.

use drift_core::crypto::{self, KeyRing};
use drift_core::db::DatabaseUrl;

pub const DEFAULT_DATABASE_URL: &str = "data/drift.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";
/// Where `make frontend-build` puts the web app, relative to the repository root.
pub const DEFAULT_WEB_DIR: &str = "frontend/dist";

/// Microsoft sign-in: the product's multi-tenant Entra app registration and where its users
/// come back to.
#[derive(Clone)]
pub struct MicrosoftConfig {
    /// `AZURE_CLIENT_ID`: the application (client) id, a GUID.
    pub client_id: String,
    /// `AZURE_CLIENT_SECRET`: a client secret of the app registration.
    pub client_secret: String,
    /// `AZURE_AUTHORITY_HOST`: the identity platform (default `https://login.microsoftonline.com`;
    /// `https://login.microsoftonline.us`, `https://login.chinacloudapi.cn`, or the simulator).
    /// No trailing slash.
    pub authority_host: String,
    /// `DRIFT_PUBLIC_URL`: where browsers reach this product (default `http://127.0.0.1:8080`).
    /// The redirect URI registered on the app is `{DRIFT_PUBLIC_URL}/api/v1/auth/microsoft/callback`.
    /// No trailing slash.
    pub public_url: String,
}

impl MicrosoftConfig {
    /// The redirect URI Microsoft sends the browser back to.
    pub fn redirect_uri(&self) -> String {
        format!("{}/api/v1/auth/microsoft/callback", self.public_url)
    }
}

impl std::fmt::Debug for MicrosoftConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MicrosoftConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("authority_host", &self.authority_host)
            .field("public_url", &self.public_url)
            .finish()
    }
}

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
    /// `DRIFT_ENCRYPTION_KEY`: base64 of the 32-byte key that encrypts secrets at rest.
    encryption_key: Option<String>,
    /// `DRIFT_ENCRYPTION_OLD_KEYS`: comma-separated earlier keys, still accepted for decryption.
    encryption_old_keys: Vec<String>,
    /// Microsoft sign-in, when `AZURE_CLIENT_ID` is set.
    pub microsoft: Option<MicrosoftConfig>,
    /// `DRIFT_WEB_DIR`: the built web app (a directory holding `index.html`) served at `/`.
    /// Default `frontend/dist` under the working directory when it holds a build, else none
    /// (the API alone).
    pub web_dir: Option<std::path::PathBuf>,
}

/// `DRIFT_WEB_DIR` when set (it must hold a build), else the default build directory if it
/// holds one.
fn web_dir(raw: Option<String>) -> Result<Option<std::path::PathBuf>, String> {
    let holds_build = |dir: &std::path::Path| dir.join("index.html").is_file();
    match raw {
        Some(raw) => {
            let dir = std::path::PathBuf::from(raw.trim());
            if holds_build(&dir) {
                Ok(Some(dir))
            } else {
                Err(format!(
                    "DRIFT_WEB_DIR: {} holds no index.html; build the web app with `make frontend-build` \
                     (it writes {DEFAULT_WEB_DIR}) or unset DRIFT_WEB_DIR to serve the API alone",
                    dir.display()
                ))
            }
        }
        None => {
            let dir = std::path::PathBuf::from(DEFAULT_WEB_DIR);
            Ok(holds_build(&dir).then_some(dir))
        }
    }
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
                let secret = secret_file(
                    &beside(path, "jwt-secret"),
                    "DRIFT_JWT_SECRET",
                    || drift_core::auth::random_secret(48),
                    |s| s.len() >= drift_core::auth::jwt::MIN_SECRET_BYTES,
                    "a secret of at least 32 bytes",
                )?;
                Ok(secret.into_bytes())
            }
        }
    }

    /// The keys that encrypt secrets at rest (the users' Microsoft tokens): `DRIFT_ENCRYPTION_KEY`
    /// (current) and `DRIFT_ENCRYPTION_OLD_KEYS` (decryption only). Without
    /// `DRIFT_ENCRYPTION_KEY`, SQLite deployments generate a key once and keep it in a 0600
    /// file beside the database; PostgreSQL deployments (several API processes) must set it.
    pub fn key_ring(&self) -> Result<KeyRing, String> {
        let old = self
            .encryption_old_keys
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                crypto::decode_key(raw).map_err(|_| {
                    format!(
                        "DRIFT_ENCRYPTION_OLD_KEYS: key {} is not base64 of exactly 32 bytes",
                        i + 1
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let current = match (&self.encryption_key, &self.database_url) {
            (Some(raw), _) => crypto::decode_key(raw).map_err(|_| {
                "DRIFT_ENCRYPTION_KEY must be base64 of exactly 32 bytes; generate one with `openssl rand -base64 32`"
                    .to_owned()
            })?,
            (None, DatabaseUrl::Postgres(_)) => {
                return Err(
                    "DRIFT_ENCRYPTION_KEY is not set: with PostgreSQL every API process must share one key \
                     to encrypt and decrypt stored Microsoft tokens; set DRIFT_ENCRYPTION_KEY to base64 of \
                     32 random bytes (`openssl rand -base64 32`)"
                        .into(),
                )
            }
            (None, DatabaseUrl::Sqlite(path)) => {
                let text = secret_file(
                    &beside(path, "encryption-key"),
                    "DRIFT_ENCRYPTION_KEY",
                    || crypto::encode_key(&crypto::generate_key()),
                    |s| crypto::decode_key(s).is_ok(),
                    "base64 of exactly 32 bytes",
                )?;
                crypto::decode_key(&text).map_err(|e| e.to_string())?
            }
        };
        Ok(KeyRing::new(&current, &old))
    }

    pub fn session_policy(&self) -> drift_core::auth::SessionPolicy {
        drift_core::auth::SessionPolicy {
            access_ttl_seconds: self.access_ttl_seconds,
            refresh_ttl_seconds: self.refresh_ttl_seconds,
        }
    }
}

/// A file named `name` in the directory of the SQLite database `path`.
fn beside(path: &std::path::Path, name: &str) -> std::path::PathBuf {
    path.parent()
        .unwrap_or(std::path::Path::new("."))
        .join(name)
}

/// Reads the secret kept in `file`, creating it (mode 0600) with `generate()` first. `variable`
/// is the setting that replaces the file; `valid` checks what the file holds, which must be
/// `requirement`.
fn secret_file(
    file: &std::path::Path,
    variable: &str,
    generate: impl FnOnce() -> String,
    valid: impl Fn(&str) -> bool,
    requirement: &str,
) -> Result<String, String> {
    if let Ok(existing) = std::fs::read_to_string(file) {
        let existing = existing.trim().to_owned();
        if valid(&existing) {
            return Ok(existing);
        }
        return Err(format!(
            "{} does not hold {requirement}; delete it or set {variable}",
            file.display()
        ));
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let secret = generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options
        .open(file)
        .map_err(|e| format!("cannot create {} (or set {variable}): {e}", file.display()))?;
    std::io::Write::write_all(&mut handle, secret.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    log::warn!(
        "{variable} is not set: generated one and kept it in {} (mode 0600)",
        file.display()
    );
    Ok(secret)
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

/// An absolute http(s) URL from `name`, without a trailing slash.
fn base_url(name: &str, default: &str) -> Result<String, String> {
    let raw = var(name).unwrap_or_else(|| default.into());
    let trimmed = raw.trim().trim_end_matches('/');
    match openidconnect::url::Url::parse(trimmed) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.has_host()
                && url.query().is_none()
                && url.fragment().is_none() =>
        {
            Ok(trimmed.to_owned())
        }
        _ => Err(format!(
            "{name} must be an absolute http(s) URL without query, such as {default}, not {raw:?}"
        )),
    }
}

fn microsoft_from_env() -> Result<Option<MicrosoftConfig>, String> {
    let Some(client_id) = var("AZURE_CLIENT_ID") else {
        return Ok(None);
    };
    let client_id = drift_core::types::AzureTenantId::parse(&client_id)
        .map_err(|_| {
            format!("AZURE_CLIENT_ID must be the application (client) id of the Entra app registration, a GUID, not {client_id:?}")
        })?
        .into_string();
    let client_secret = var("AZURE_CLIENT_SECRET").ok_or(
        "AZURE_CLIENT_SECRET is not set: Microsoft sign-in (AZURE_CLIENT_ID is set) needs a client secret of the app registration",
    )?;
    Ok(Some(MicrosoftConfig {
        client_id,
        client_secret,
        authority_host: base_url("AZURE_AUTHORITY_HOST", DEFAULT_AUTHORITY_HOST)?,
        public_url: base_url("DRIFT_PUBLIC_URL", DEFAULT_PUBLIC_URL)?,
    }))
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
            encryption_key: var("DRIFT_ENCRYPTION_KEY"),
            encryption_old_keys: var("DRIFT_ENCRYPTION_OLD_KEYS")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            microsoft: microsoft_from_env()?,
            web_dir: web_dir(var("DRIFT_WEB_DIR"))?,
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
            .field(
                "encryption_key",
                &self.encryption_key.as_ref().map(|_| "***"),
            )
            .field("encryption_old_keys", &self.encryption_old_keys.len())
            .field("microsoft", &self.microsoft)
            .field("web_dir", &self.web_dir)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{cors_origins, web_dir};

    #[test]
    fn the_web_dir_must_hold_a_build() {
        let dir = std::env::temp_dir().join(format!("drift-web-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let raw = Some(dir.display().to_string());
        let err = web_dir(raw.clone()).unwrap_err();
        assert!(err.contains("holds no index.html"), "{err}");
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        assert_eq!(web_dir(raw).unwrap(), Some(dir.clone()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
