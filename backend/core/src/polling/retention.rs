//! The configuration history's retention: changes older than the tenant's `history_days` are
//! removed after each poll of their source.

use diesel::prelude::*;

use crate::db::schema::configuration_history;
use crate::db::DbConnection;
use crate::error::CoreResult;
use crate::types::Source;
use crate::UtcTime;

/// Deletes the tenant's history entries of `source` recorded before `before`. The resources'
/// current state and their last-change columns stay; the timeline starts later. Returns how
/// many entries went.
pub fn purge_history(
    conn: &mut DbConnection,
    tenant_id: i64,
    source: Source,
    before: UtcTime,
) -> CoreResult<usize> {
    use crate::db::schema::configurations;
    let of_source = configurations::table
        .filter(configurations::tenant_id.eq(tenant_id))
        .filter(configurations::source.eq(source.as_str()))
        .select(configurations::id);
    Ok(diesel::delete(
        configuration_history::table
            .filter(configuration_history::tenant_id.eq(tenant_id))
            .filter(configuration_history::changed_at.lt(before))
            .filter(configuration_history::configuration_id.eq_any(of_source)),
    )
    .execute(conn)?)
}
