//! The migrations of both backends build the same schema, apply from empty and roll back.

use diesel::prelude::*;
use diesel::sql_types::Text;
use drift_core::db::{revert_all_migrations, run_migrations, Backend};
use drift_testing::TestDb;

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

const TABLES: [&str; 13] = [
    "api_tokens",
    "configuration_history",
    "configurations",
    "microsoft_handoffs",
    "microsoft_logins",
    "notification_deliveries",
    "poll_state",
    "refresh_tokens",
    "roles",
    "settings",
    "signing_logs",
    "tenants",
    "users",
];

/// Every (table, column) of the application's tables, as the database itself reports them.
fn columns(db: &TestDb) -> Vec<Column> {
    let mut conn = db.conn();
    let sql = match conn.backend() {
        Backend::Postgres => "SELECT table_name::text AS table_name, column_name::text AS column_name \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name NOT LIKE '\\_\\_diesel%'"
            .to_owned(),
        Backend::Sqlite => "SELECT m.name AS table_name, p.name AS column_name \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_\\_diesel%' ESCAPE '\\'"
            .to_owned(),
    };
    let mut found: Vec<Column> = diesel::sql_query(sql).load(&mut *conn).unwrap();
    found.sort();
    found
}

/// The columns the Diesel schema declares.
fn schema_columns() -> Vec<Column> {
    use diesel::Table;
    use drift_core::db::schema::*;
    let mut all = Vec::new();
    macro_rules! add {
        ($table:ident) => {
            for name in column_names::<$table::table>() {
                all.push(Column {
                    table_name: stringify!($table).to_owned(),
                    column_name: name.to_owned(),
                });
            }
        };
    }
    fn column_names<T: Table>() -> Vec<&'static str>
    where
        T::AllColumns: ColumnNames,
    {
        T::all_columns().names()
    }
    add!(tenants);
    add!(roles);
    add!(users);
    add!(settings);
    add!(configurations);
    add!(configuration_history);
    add!(signing_logs);
    add!(poll_state);
    add!(refresh_tokens);
    add!(api_tokens);
    add!(microsoft_logins);
    add!(microsoft_handoffs);
    add!(notification_deliveries);
    all.sort();
    all
}

/// Names of a tuple of columns.
trait ColumnNames {
    fn names(&self) -> Vec<&'static str>;
}

macro_rules! impl_column_names {
    ($($c:ident),+) => {
        impl<$($c: diesel::Column),+> ColumnNames for ($($c,)+) {
            fn names(&self) -> Vec<&'static str> {
                vec![$($c::NAME),+]
            }
        }
    };
}
impl_column_names!(A, B, C, D);
impl_column_names!(A, B, C, D, E);
impl_column_names!(A, B, C, D, E, F);
impl_column_names!(A, B, C, D, E, F, G);
impl_column_names!(A, B, C, D, E, F, G, H);
impl_column_names!(A, B, C, D, E, F, G, H, I, J);
impl_column_names!(A, B, C, D, E, F, G, H, I, J, K);
impl_column_names!(A, B, C, D, E, F, G, H, I, J, K, L);
impl_column_names!(A, B, C, D, E, F, G, H, I, J, K, L, M);
impl_column_names!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O);

#[test]
fn both_backends_have_exactly_the_columns_the_schema_declares() {
    let expected = schema_columns();
    for make_db in TestDb::each() {
        let db = make_db();
        assert_eq!(columns(&db), expected, "{:?}", db.url());
    }
}

/// How many migrations the backend's folder holds (each is a directory with up.sql), so that
/// migrations added on parallel branches merge without editing a constant here.
fn migrations_present(backend: Backend) -> usize {
    let folder = match backend {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(folder);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter(|entry| entry.as_ref().unwrap().path().join("up.sql").is_file())
        .count()
}

#[test]
fn migrations_roll_back_to_empty_and_apply_again() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        let present = migrations_present(conn.backend());
        let reverted = revert_all_migrations(&mut conn).unwrap();
        assert_eq!(reverted, present, "{:?}", db.url());
        drop(conn);
        let remaining: Vec<String> = columns(&db).into_iter().map(|c| c.table_name).collect();
        assert!(
            remaining.iter().all(|t| !TABLES.contains(&t.as_str())),
            "{:?}: {remaining:?}",
            db.url()
        );
        let mut conn = db.conn();
        run_migrations(&mut conn).unwrap();
        drop(conn);
        assert_eq!(columns(&db), schema_columns(), "{:?}", db.url());
        // Running them again is a no-op.
        run_migrations(&mut db.conn()).unwrap();
    }
}

#[test]
fn the_built_in_roles_are_seeded() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        for name in ["superadmin", "admin", "operator", "viewer"] {
            let role = drift_core::roles::find_by_name(&mut conn, name)
                .unwrap()
                .unwrap_or_else(|| panic!("{name}"));
            assert!(role.built_in);
            assert!(!role.permissions.is_empty());
        }
        let superadmin = drift_core::roles::find_by_name(&mut conn, "superadmin")
            .unwrap()
            .unwrap();
        assert_eq!(
            superadmin.permissions,
            drift_core::permissions::Permission::ALL.to_vec()
        );
    }
}

#[test]
fn sqlite_enforces_foreign_keys_and_uses_wal() {
    let db = TestDb::sqlite();
    let mut conn = db.conn();
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(mode.journal_mode, "wal");
    let orphan = diesel::sql_query(
        "INSERT INTO settings (tenant_id, notification_settings, polling_settings, drift_thresholds, last_updated) \
         VALUES (999, '{}', '{}', '{}', '2026-01-01T00:00:00.000000Z')",
    )
    .execute(&mut *conn);
    assert!(
        orphan.is_err(),
        "a settings row for a missing tenant must be refused"
    );
}

/// Reverts the newest migrations until none at or after `version` (digits of the folder name,
/// such as `20261129000007`) is applied.
fn revert_down_to_before(conn: &mut drift_core::db::DbConnection, version: &str) {
    use diesel_migrations::MigrationHarness;
    use drift_core::db::connection::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
    use drift_core::db::DbConnection;
    let digits = |v: String| v.chars().filter(char::is_ascii_digit).collect::<String>();
    loop {
        let newest = match conn {
            DbConnection::Postgresql(pg) => pg.applied_migrations().unwrap(),
            DbConnection::Sqlite(sqlite) => sqlite.applied_migrations().unwrap(),
        }
        .into_iter()
        .map(|v| digits(v.to_string()))
        .max()
        .unwrap();
        if newest.as_str() < version {
            return;
        }
        match conn {
            DbConnection::Postgresql(pg) => pg.revert_last_migration(POSTGRES_MIGRATIONS),
            DbConnection::Sqlite(sqlite) => sqlite.revert_last_migration(SQLITE_MIGRATIONS),
        }
        .unwrap();
    }
}

#[derive(QueryableByName, Debug, PartialEq)]
struct SigninDimensions {
    #[diesel(sql_type = Text)]
    log_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    country: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    error_code: Option<i32>,
}

#[test]
fn the_signin_dimensions_are_read_from_the_events_stored_before_them() {
    let events = [
        (
            "ok",
            r#"{"id": "ok", "status": {"errorCode": 0}, "location": {"countryOrRegion": "CH"}}"#,
        ),
        (
            "failed",
            r#"{"id": "failed", "status": {"errorCode": 50126}, "location": {"countryOrRegion": "US"}}"#,
        ),
        (
            "blank",
            r#"{"id": "blank", "status": {"errorCode": 50053}, "location": {"countryOrRegion": ""}}"#,
        ),
        (
            "odd",
            r#"{"id": "odd", "status": {"errorCode": "x"}, "location": null}"#,
        ),
        ("bare", r#"{"id": "bare"}"#),
    ];
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        revert_down_to_before(&mut conn, "20261129000007");
        diesel::sql_query("INSERT INTO tenants (name, azure_tenant_id, created_at) VALUES ('Contoso', '00000000-0000-4000-8000-000000000001', '2026-11-29T08:00:00.000000Z')")
            .execute(&mut *conn)
            .unwrap();
        let json = match conn.backend() {
            Backend::Postgres => "CAST(? AS jsonb)",
            Backend::Sqlite => "?",
        };
        for (log_id, document) in events {
            // The document is spliced in as a literal: the statement differs per backend anyway.
            let literal = format!("'{}'", document.replace('\'', "''"));
            let sql = format!(
                "INSERT INTO signing_logs (tenant_id, log_id, \"timestamp\", status, log_data, ingested_at) \
                 SELECT id, '{log_id}', '2026-11-29T08:00:00.000000Z', 'success', {}, '2026-11-29T08:00:00.000000Z' FROM tenants",
                json.replace('?', &literal)
            );
            diesel::sql_query(sql).execute(&mut *conn).unwrap();
        }
        run_migrations(&mut conn).unwrap();
        let mut found: Vec<SigninDimensions> =
            diesel::sql_query("SELECT log_id, country, error_code FROM signing_logs")
                .load(&mut *conn)
                .unwrap();
        found.sort_by(|a, b| a.log_id.cmp(&b.log_id));
        let row = |log_id: &str, country: Option<&str>, error_code: Option<i32>| SigninDimensions {
            log_id: log_id.into(),
            country: country.map(str::to_owned),
            error_code,
        };
        assert_eq!(
            found,
            [
                row("bare", None, None),
                row("blank", None, Some(50053)),
                row("failed", Some("US"), Some(50126)),
                row("odd", None, None),
                row("ok", Some("CH"), Some(0)),
            ],
            "{:?}",
            db.url()
        );
    }
}
