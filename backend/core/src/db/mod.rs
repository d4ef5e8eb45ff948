//! Database access: the connection type for both backends, the pool, migrations and schema.

pub mod connection;
pub mod schema;
pub mod sql_types;

pub use connection::{
    connect_and_migrate, revert_all_migrations, run_migrations, Backend, DatabaseUrl, DbConnection,
    DbError, DbPool, PoolOptions, PooledConnection,
};

diesel::define_sql_function! {
    /// Unicode case folding for case-insensitive filters and uniqueness, the same on both
    /// backends: SQLite's own `lower()` folds ASCII only, so SQLite connections register
    /// `drift_fold` as Rust's `str::to_lowercase`; PostgreSQL defines it (migration) as `lower()`.
    #[sql_name = "drift_fold"]
    fn fold(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The Rust side of [`fold`]: what values are compared with.
pub fn fold_text(text: &str) -> String {
    text.to_lowercase()
}

diesel::define_sql_function! {
    /// SQL `coalesce()` of a nullable text and a fallback.
    #[sql_name = "coalesce"]
    fn coalesce_text(value: diesel::sql_types::Nullable<diesel::sql_types::Text>, fallback: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A `LIKE` pattern that matches `needle` anywhere, case-folded, with `%` and `_` taken
/// literally (escaped with `\`).
pub fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in fold_text(needle).chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Checks that the database answers a query.
pub fn ping(conn: &mut DbConnection) -> Result<(), crate::CoreError> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SELECT 1")?;
    Ok(())
}
