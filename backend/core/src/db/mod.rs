//! Database access: the connection type for both backends, the pool, migrations and schema.

pub mod connection;
pub mod schema;
pub mod sql_types;

pub use connection::{
    connect_and_migrate, revert_all_migrations, run_migrations, Backend, DatabaseUrl, DbConnection,
    DbError, DbPool, PoolOptions, PooledConnection,
};

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `coalesce()` of a nullable text and a fallback.
    #[sql_name = "coalesce"]
    fn coalesce_text(value: diesel::sql_types::Nullable<diesel::sql_types::Text>, fallback: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A `LIKE` pattern that matches `needle` anywhere, lower-cased, with `%` and `_` taken
/// literally (escaped with `\`).
pub fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
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
