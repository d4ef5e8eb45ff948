//! One connection type for both databases, the pool, and the embedded migrations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self as diesel_r2d2, ManageConnection};
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// A connection to either backend. Queries are written once against this type.
///
/// The SQLite variant stays last: Diesel's derive tries the variants in order and SQLite accepts
/// any string as a path.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a `DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is a SQLite file path
    /// (an optional `sqlite://` or `file:` prefix is removed).
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(DbError::Config("DATABASE_URL is empty".into()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("file:"))
            .unwrap_or(raw);
        if path.contains("://") {
            return Err(DbError::Config(format!(
                "DATABASE_URL {raw:?} is neither postgres://… nor a SQLite file path"
            )));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    let _ = parsed.set_password(Some("***"));
                    parsed.to_string()
                }
                _ => url.clone(),
            },
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgresql(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// A transaction that writes. On SQLite it begins with `BEGIN IMMEDIATE`, taking the write
    /// lock first (waiting up to the busy timeout for another writer). A plain (deferred)
    /// transaction that reads and then writes fails at once with "database is locked" when
    /// another connection committed in between, because its snapshot is stale and SQLite does
    /// not wait in that case (https://sqlite.org/lang_transaction.html, "BEGIN IMMEDIATE"). The
    /// worker writes continuously, so without this the API's writes failed during polls.
    /// Inside a transaction already, this is a nested one (a savepoint).
    pub fn write_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let DbConnection::Sqlite(sqlite) = self else {
            return self.transaction(work);
        };
        let depth =
            AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?;
        if depth.is_some() {
            return self.transaction(work);
        }
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        let outcome = work(self);
        let DbConnection::Sqlite(sqlite) = self else {
            unreachable!("the connection's backend does not change")
        };
        match outcome {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(sqlite)?;
                Ok(value)
            }
            Err(error) => {
                // The work's error is the one worth reporting; a failed rollback leaves the
                // connection broken, and r2d2 discards broken connections.
                let _ = AnsiTransactionManager::rollback_transaction(sqlite);
                Err(error)
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Config(String),
    #[error("cannot connect to the database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: diesel::ConnectionError,
    },
    #[error("cannot prepare the database connection: {0}")]
    Setup(#[source] diesel::result::Error),
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the connection pool: {0}")]
    Pool(#[source] r2d2::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
}

/// Opens connections for the pool, choosing the backend from the URL itself so that a
/// PostgreSQL error (wrong password, unknown database) is reported as what it is.
#[derive(Debug, Clone)]
pub struct DbConnectionManager {
    url: DatabaseUrl,
}

/// How long a SQLite writer waits for another writer's lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

impl DbConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    fn open(&self) -> Result<DbConnection, DbError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url).map_err(|source| DbError::Connect {
                    url: self.url.redacted(),
                    source,
                })?;
                // Timestamps are bound and read as UTC; the session zone must agree.
                conn.batch_execute("SET TIME ZONE 'UTC'")
                    .map_err(DbError::Setup)?;
                Ok(DbConnection::Postgresql(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let path_text = path.to_string_lossy();
                let mut conn =
                    SqliteConnection::establish(&path_text).map_err(|source| DbError::Connect {
                        url: self.url.redacted(),
                        source,
                    })?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA foreign_keys = ON;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;"
                ))
                .map_err(DbError::Setup)?;
                // Nullable in and out: it also indexes nullable columns (sign-in actor, app).
                conn.register_sql_function::<(Nullable<Text>,), Nullable<Text>, _, _, _>(
                    "drift_fold",
                    true,
                    |(text,): (Option<String>,)| text.map(|t| super::fold_text(&t)),
                )
                .map_err(DbError::Setup)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for DbConnectionManager {
    type Connection = DbConnection;
    type Error = diesel_r2d2::Error;

    fn connect(&self) -> Result<DbConnection, diesel_r2d2::Error> {
        self.open().map_err(|err| match err {
            DbError::Connect { source, .. } => diesel_r2d2::Error::ConnectionError(source),
            DbError::Setup(source) => diesel_r2d2::Error::QueryError(source),
            other => diesel_r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                other.to_string(),
            )),
        })
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), diesel_r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel_r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type DbPool = r2d2::Pool<DbConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<DbConnectionManager>;

/// Pool settings; the defaults suit a single API process.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 10,
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// Connects (creating the SQLite file and its directory when needed), applies pending
/// migrations and returns a pool. The first connection is opened directly so that a failure
/// is reported with its real cause, at once.
pub fn connect_and_migrate(url: &DatabaseUrl, options: &PoolOptions) -> Result<DbPool, DbError> {
    if let DatabaseUrl::Sqlite(path) = url {
        ensure_parent_dir(path)?;
    }
    let manager = DbConnectionManager::new(url.clone());
    let mut first = manager.open()?;
    run_migrations(&mut first)?;
    drop(first);
    r2d2::Pool::builder()
        .max_size(options.max_size)
        .connection_timeout(options.connection_timeout)
        .build(manager)
        .map_err(DbError::Pool)
}

fn ensure_parent_dir(path: &Path) -> Result<(), DbError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|source| DbError::CreateDir {
                path: dir.display().to_string(),
                source,
            }),
        _ => Ok(()),
    }
}

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// An arbitrary constant that identifies this program's migration lock on PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x0d21_f7de_7ec7;

/// Applies every pending migration of the connection's backend. On PostgreSQL an advisory lock
/// keeps an API and a worker that start together from migrating at the same time.
pub fn run_migrations(conn: &mut DbConnection) -> Result<(), DbError> {
    match conn {
        DbConnection::Postgresql(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .map_err(DbError::Setup)?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|applied| applied.len());
            let unlock =
                pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
            let applied = result.map_err(|err| DbError::Migration(err.to_string()))?;
            unlock.map_err(DbError::Setup)?;
            log::info!("database migrations: {applied} applied (PostgreSQL)");
        }
        DbConnection::Sqlite(sqlite) => {
            let applied = sqlite
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|err| DbError::Migration(err.to_string()))?
                .len();
            log::info!("database migrations: {applied} applied (SQLite)");
        }
    }
    Ok(())
}

/// Reverts every applied migration (used by tests that prove the down migrations work).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<usize, DbError> {
    let reverted = match conn {
        DbConnection::Postgresql(pg) => pg.revert_all_migrations(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(sqlite) => sqlite.revert_all_migrations(SQLITE_MIGRATIONS),
    };
    reverted
        .map(|versions| versions.len())
        .map_err(|err| DbError::Migration(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_picks_the_backend_from_the_scheme() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("data/drift.db").unwrap(),
            DatabaseUrl::Sqlite("data/drift.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("  ").is_err());
    }

    #[test]
    fn redacted_url_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://drift:s3cret@db:5432/drift").unwrap();
        assert!(!url.redacted().contains("s3cret"));
    }
}
