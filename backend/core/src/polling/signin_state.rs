//! Sign-in ingestion bookkeeping: the per-tenant watermark and the retention purge.

use diesel::prelude::*;

use crate::db::schema::{poll_state, signing_logs};
use crate::db::DbConnection;
use crate::error::CoreResult;
use crate::UtcTime;

use super::PollSource;

/// The newest `createdDateTime` ingested by a complete sign-in poll, if any.
pub fn signin_watermark(conn: &mut DbConnection, tenant_id: i64) -> CoreResult<Option<UtcTime>> {
    Ok(poll_state::table
        .find((tenant_id, PollSource::Signins.as_str()))
        .select(poll_state::signin_watermark)
        .first::<Option<UtcTime>>(conn)
        .optional()?
        .flatten())
}

/// Moves the watermark forward (never back) after a complete sign-in poll.
pub fn advance_signin_watermark(
    conn: &mut DbConnection,
    tenant_id: i64,
    newest: UtcTime,
) -> CoreResult<()> {
    diesel::update(
        poll_state::table
            .find((tenant_id, PollSource::Signins.as_str()))
            .filter(
                poll_state::signin_watermark
                    .is_null()
                    .or(poll_state::signin_watermark.lt(newest)),
            ),
    )
    .set(poll_state::signin_watermark.eq(Some(newest)))
    .execute(conn)?;
    Ok(())
}

/// Deletes a tenant's sign-in events older than `before`. Returns how many went.
pub fn purge_signins(
    conn: &mut DbConnection,
    tenant_id: i64,
    before: UtcTime,
) -> CoreResult<usize> {
    Ok(diesel::delete(
        signing_logs::table
            .filter(signing_logs::tenant_id.eq(tenant_id))
            .filter(signing_logs::timestamp.lt(before)),
    )
    .execute(conn)?)
}
