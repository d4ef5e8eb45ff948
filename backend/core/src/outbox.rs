//! The notification outbox: every change (`configuration_history` row) is pending until its
//! notifications went out. The worker claims a tenant's pending changes with a lease, sends them
//! (crate `drift-notify`), and marks them notified only once every channel that should get them
//! accepted them; a crash or a failing channel leaves them pending for the next run. Which
//! channel accepted which change is read from the delivery log, so a channel that already got a
//! change is not sent it again.
//!
//! Claims take `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers claim disjoint
//! rows; SQLite runs one writer at a time, so its conditional `UPDATE` is atomic already.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::schema::{configuration_history as history, configurations};
use crate::db::sql_types::UtcTimestamp;
use crate::db::DbConnection;
use crate::error::CoreResult;
use crate::history::HistorySummary;
use crate::notifications::DeliveryStatus;
use crate::{Json, UtcTime};

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Claims up to `limit` pending changes of the tenant, oldest first, for `owner` until
/// `lease_until`: those never claimed and those whose lease expired. Returns their ids.
pub fn claim(
    conn: &mut DbConnection,
    tenant_id: i64,
    owner: &str,
    now: UtcTime,
    lease_until: UtcTime,
    limit: i64,
) -> CoreResult<Vec<i64>> {
    let (placeholders, lock) = match conn {
        DbConnection::Postgresql(_) => (["$1", "$2", "$3", "$4", "$5"], " FOR UPDATE SKIP LOCKED"),
        DbConnection::Sqlite(_) => (["?1", "?2", "?3", "?4", "?5"], ""),
    };
    let [p_owner, p_until, p_tenant, p_now, p_limit] = placeholders;
    let sql = format!(
        "UPDATE configuration_history SET notify_lease_owner = {p_owner}, \
         notify_lease_expires_at = {p_until} WHERE id IN (SELECT id FROM configuration_history \
         WHERE tenant_id = {p_tenant} AND notified_at IS NULL AND \
         (notify_lease_expires_at IS NULL OR notify_lease_expires_at < {p_now}) \
         ORDER BY id LIMIT {p_limit}{lock}) RETURNING id"
    );
    let mut ids: Vec<i64> = diesel::sql_query(sql)
        .bind::<Text, _>(owner)
        .bind::<UtcTimestamp, _>(lease_until)
        .bind::<BigInt, _>(tenant_id)
        .bind::<UtcTimestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load::<Claimed>(conn)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// The claimed changes, as the notifier announces them.
pub fn changes(
    conn: &mut DbConnection,
    tenant_id: i64,
    ids: &[i64],
) -> CoreResult<Vec<HistorySummary>> {
    Ok(history::table
        .inner_join(configurations::table)
        .filter(history::tenant_id.eq(tenant_id))
        .filter(history::id.eq_any(ids))
        .order(history::id.asc())
        .select((
            history::id,
            history::configuration_id,
            history::tenant_id,
            history::changed_at,
            history::change_type,
            history::changed_by,
            history::changed_paths,
            history::severity,
            configurations::source,
            configurations::resource_type,
            configurations::resource_id,
            configurations::resource_name,
        ))
        .load(conn)?)
}

/// Which (channel name, change id) pairs the delivery log shows as delivered, among deliveries
/// made at or after `since`.
pub fn delivered(
    conn: &mut DbConnection,
    tenant_id: i64,
    since: UtcTime,
) -> CoreResult<HashSet<(String, i64)>> {
    use crate::db::schema::notification_deliveries as deliveries;
    let rows: Vec<(String, Json)> = deliveries::table
        .filter(deliveries::tenant_id.eq(tenant_id))
        .filter(deliveries::status.eq(DeliveryStatus::Delivered))
        .filter(deliveries::created_at.ge(since))
        .select((deliveries::channel_name, deliveries::history_ids))
        .load(conn)?;
    let mut pairs = HashSet::new();
    for (channel, ids) in rows {
        for id in ids
            .0
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_i64())
        {
            pairs.insert((channel.clone(), id));
        }
    }
    Ok(pairs)
}

/// Marks changes notified (they leave the outbox), if `owner` still holds them.
pub fn mark_notified(
    conn: &mut DbConnection,
    ids: &[i64],
    owner: &str,
    now: UtcTime,
) -> CoreResult<usize> {
    Ok(diesel::update(
        history::table
            .filter(history::id.eq_any(ids))
            .filter(history::notify_lease_owner.eq(owner)),
    )
    .set((
        history::notified_at.eq(Some(now)),
        history::notify_lease_owner.eq(None::<String>),
        history::notify_lease_expires_at.eq(None::<UtcTime>),
    ))
    .execute(conn)?)
}

/// Gives changes back to the outbox at once (a later run retries them).
pub fn release(conn: &mut DbConnection, ids: &[i64], owner: &str) -> CoreResult<usize> {
    Ok(diesel::update(
        history::table
            .filter(history::id.eq_any(ids))
            .filter(history::notify_lease_owner.eq(owner)),
    )
    .set((
        history::notify_lease_owner.eq(None::<String>),
        history::notify_lease_expires_at.eq(None::<UtcTime>),
    ))
    .execute(conn)?)
}

/// The tenants with pending changes (the worker drains them when it starts).
pub fn tenants_with_pending(conn: &mut DbConnection) -> CoreResult<Vec<i64>> {
    Ok(history::table
        .filter(history::notified_at.is_null())
        .select(history::tenant_id)
        .distinct()
        .load(conn)?)
}
