//! A fresh, migrated database for each test, on either backend, dropped when the test ends.
//!
//! PostgreSQL is reached through `DRIFT_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432`, the server's maintenance database is used to create and
//! drop the per-test databases). SQLite databases live in a temporary directory.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use drift_core::db::{connect_and_migrate, DatabaseUrl, DbPool, PoolOptions, PooledConnection};
use rand::Rng;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432";

/// A database that exists for one test.
pub struct TestDb {
    url: DatabaseUrl,
    pool: DbPool,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { server: String, database: String },
}

fn unique_suffix() -> String {
    let n: u64 = rand::thread_rng().gen();
    format!("{}_{n:016x}", std::process::id())
}

/// The server URL without a database path, from `DRIFT_TEST_PG_URL`.
pub fn postgres_server_url() -> String {
    std::env::var("DRIFT_TEST_PG_URL")
        .unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join("drift-tests");
        std::fs::create_dir_all(&dir).expect("create the temporary directory for test databases");
        let path = dir.join(format!("test_{}.db", unique_suffix()));
        let url = DatabaseUrl::Sqlite(path.clone());
        Self::open(url, Cleanup::Sqlite(path))
    }

    pub fn postgres() -> Self {
        let server = postgres_server_url();
        let database = format!("drift_test_{}", unique_suffix());
        let mut admin = PgConnection::establish(&format!("{server}/postgres")).unwrap_or_else(|e| {
            panic!("cannot reach PostgreSQL at {server} (set DRIFT_TEST_PG_URL or start the server): {e}")
        });
        admin
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .expect("create the test database");
        let url = DatabaseUrl::Postgres(format!("{server}/{database}"));
        Self::open(url, Cleanup::Postgres { server, database })
    }

    /// Both backends, for tests that loop over them.
    pub fn each() -> [fn() -> TestDb; 2] {
        [TestDb::sqlite, TestDb::postgres]
    }

    fn open(url: DatabaseUrl, cleanup: Cleanup) -> Self {
        let options = PoolOptions {
            max_size: 4,
            ..PoolOptions::default()
        };
        let pool = connect_and_migrate(&url, &options).expect("migrate the test database");
        Self { url, pool, cleanup }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The URL as `DATABASE_URL` would spell it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
        }
    }

    pub fn pool(&self) -> DbPool {
        self.pool.clone()
    }

    pub fn conn(&self) -> PooledConnection {
        self.pool.get().expect("a test database connection")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::Postgres { server, database } => {
                if let Ok(mut admin) = PgConnection::establish(&format!("{server}/postgres")) {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
                }
            }
        }
    }
}
