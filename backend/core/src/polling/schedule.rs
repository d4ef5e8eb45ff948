//! The per (tenant, source) schedule in `poll_state`, and the leases through which workers
//! claim work.
//!
//! A job is claimable when no live lease holds it (`lease_expires_at` absent or past) and, for
//! scheduled work, its `next_run_at` has come. On PostgreSQL the candidate row is locked with
//! `FOR UPDATE SKIP LOCKED`, so concurrent workers pick different rows without waiting; on
//! SQLite (one worker) a conditional `UPDATE … WHERE` the lease is still free does the same.
//! A worker that dies leaves its lease to expire; the next claim takes the row over.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::{poll_state, tenants};
use crate::db::DbConnection;
use crate::error::CoreResult;
use crate::settings::schema::{PolledSource, PollingIntervals};
use crate::types::Source;
use crate::UtcTime;

/// What one poll job collects: a configuration source or the sign-in logs.
pub type PollSource = PolledSource;

impl PolledSource {
    pub const ALL: [PolledSource; 4] = [
        PolledSource::Entra,
        PolledSource::Intune,
        PolledSource::Arm,
        PolledSource::Signins,
    ];

    /// The `poll_state.source` text.
    pub fn as_str(self) -> &'static str {
        match self {
            PolledSource::Entra => "entra",
            PolledSource::Intune => "intune",
            PolledSource::Arm => "arm",
            PolledSource::Signins => "signins",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The configuration source it fills; `None` for sign-ins.
    pub fn configuration_source(self) -> Option<Source> {
        match self {
            PolledSource::Entra => Some(Source::Entra),
            PolledSource::Intune => Some(Source::Intune),
            PolledSource::Arm => Some(Source::Arm),
            PolledSource::Signins => None,
        }
    }
}

/// Creates the missing `poll_state` rows (every tenant × every source), due at once.
/// Returns how many were created.
pub fn ensure_poll_state(conn: &mut DbConnection, now: UtcTime) -> CoreResult<usize> {
    let tenant_ids: Vec<i64> = tenants::table.select(tenants::id).load(conn)?;
    let existing: Vec<(i64, String)> = poll_state::table
        .select((poll_state::tenant_id, poll_state::source))
        .load(conn)?;
    let mut created = 0;
    for tenant_id in tenant_ids {
        for source in PolledSource::ALL {
            if existing
                .iter()
                .any(|(t, s)| *t == tenant_id && s == source.as_str())
            {
                continue;
            }
            let row = (
                poll_state::tenant_id.eq(tenant_id),
                poll_state::source.eq(source.as_str()),
                poll_state::next_run_at.eq(now),
            );
            // Another worker may create the same row meanwhile: that is fine.
            created += match conn {
                DbConnection::Postgresql(pg) => diesel::insert_into(poll_state::table)
                    .values(row)
                    .on_conflict((poll_state::tenant_id, poll_state::source))
                    .do_nothing()
                    .execute(pg)?,
                DbConnection::Sqlite(sqlite) => diesel::insert_into(poll_state::table)
                    .values(row)
                    .on_conflict((poll_state::tenant_id, poll_state::source))
                    .do_nothing()
                    .execute(sqlite)?,
            };
        }
    }
    Ok(created)
}

/// After a tenant's polling intervals change, brings forward every job of the tenant whose
/// next run is further away than its new interval: shortening an interval from a day to five
/// minutes takes effect within five minutes, not after the day the old schedule waited for.
/// A job a worker holds is moved too; the worker keeps a next run that moved during its poll.
/// Returns how many jobs moved.
pub fn apply_new_intervals(
    conn: &mut DbConnection,
    tenant_id: i64,
    intervals: &PollingIntervals,
    now: UtcTime,
) -> CoreResult<usize> {
    let mut moved = 0;
    for source in PolledSource::ALL {
        let latest = UtcTime::new(now.get() + intervals.every(source));
        moved += diesel::update(
            poll_state::table
                .filter(poll_state::tenant_id.eq(tenant_id))
                .filter(poll_state::source.eq(source.as_str()))
                .filter(poll_state::next_run_at.gt(latest)),
        )
        .set(poll_state::next_run_at.eq(latest))
        .execute(conn)?;
    }
    Ok(moved)
}

/// Which jobs a claim may take.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClaimFilter {
    pub tenant_id: Option<i64>,
    pub source: Option<PollSource>,
    /// Only jobs whose `next_run_at` has come (scheduled work); otherwise any free job.
    pub due_only: bool,
    /// Skip jobs whose `next_run_at` is after this instant (so a `--once` run takes each job
    /// once: a job it finished is rescheduled past it).
    pub not_after: Option<UtcTime>,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub tenant_id: i64,
    pub azure_tenant_id: String,
    pub source: PollSource,
    /// The `next_run_at` the claim set (the lease's end, so that a dead worker's job comes due
    /// when its lease does). A `next_run_at` found earlier than this when the poll ends was
    /// moved by "poll now" meanwhile, and is kept.
    pub reserved_until: UtcTime,
}

/// When a lease taken now ends.
pub fn lease_expired_at(now: UtcTime, lease: Duration) -> UtcTime {
    UtcTime::new(now.get() + lease)
}

/// A limit later than any schedule, that still sorts as text (SQLite) and fits PostgreSQL.
fn far_future() -> UtcTime {
    use chrono::TimeZone;
    UtcTime::new(chrono::Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap())
}

/// The candidate query, without boxing (PostgreSQL's locking clause cannot be boxed): the
/// optional filters become ranges that match everything when absent.
macro_rules! candidates {
    ($filter:expr, $now:expr $(, $lock:ident)*) => {{
        let filter: &ClaimFilter = $filter;
        let (low, high) = filter.tenant_id.map_or((i64::MIN, i64::MAX), |t| (t, t));
        let sources: Vec<&'static str> = match filter.source {
            Some(source) => vec![source.as_str()],
            None => PolledSource::ALL.iter().map(|s| s.as_str()).collect(),
        };
        let mut limit = filter.not_after.unwrap_or_else(far_future);
        if filter.due_only && $now < limit {
            limit = $now;
        }
        poll_state::table
            .select((poll_state::tenant_id, poll_state::source))
            .filter(
                poll_state::lease_expires_at
                    .is_null()
                    .or(poll_state::lease_expires_at.lt($now)),
            )
            .filter(poll_state::tenant_id.between(low, high))
            .filter(poll_state::source.eq_any(sources))
            .filter(poll_state::next_run_at.le(limit))
            .order((poll_state::next_run_at.asc(), poll_state::tenant_id.asc()))
            $(.$lock())*
    }};
}

/// Claims one free job for `owner` until `now + lease`, or returns `None` when none is free.
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    filter: &ClaimFilter,
    now: UtcTime,
    lease: Duration,
) -> CoreResult<Option<Claim>> {
    let expires = lease_expired_at(now, lease);
    let claimed: Option<(i64, String)> = match conn {
        DbConnection::Postgresql(pg) => pg.transaction(|pg| {
            let found: Option<(i64, String)> = candidates!(filter, now, for_update, skip_locked)
                .limit(1)
                .first(pg)
                .optional()?;
            if let Some((tenant_id, source)) = &found {
                diesel::update(poll_state::table.find((*tenant_id, source.as_str())))
                    .set((
                        poll_state::lease_owner.eq(owner),
                        poll_state::lease_expires_at.eq(expires),
                        poll_state::next_run_at.eq(expires),
                    ))
                    .execute(pg)?;
            }
            Ok::<_, diesel::result::Error>(found)
        })?,
        DbConnection::Sqlite(sqlite) => {
            let mut won = None;
            // A candidate taken by someone between the read and the update is skipped.
            let found: Vec<(i64, String)> = candidates!(filter, now).limit(8).load(sqlite)?;
            for (tenant_id, source) in found {
                let taken = diesel::update(
                    poll_state::table.find((tenant_id, source.as_str())).filter(
                        poll_state::lease_expires_at
                            .is_null()
                            .or(poll_state::lease_expires_at.lt(now)),
                    ),
                )
                .set((
                    poll_state::lease_owner.eq(owner),
                    poll_state::lease_expires_at.eq(expires),
                    poll_state::next_run_at.eq(expires),
                ))
                .execute(sqlite)?;
                if taken == 1 {
                    won = Some((tenant_id, source));
                    break;
                }
            }
            won
        }
    };
    let Some((tenant_id, source)) = claimed else {
        return Ok(None);
    };
    let azure_tenant_id: String = tenants::table
        .find(tenant_id)
        .select(tenants::azure_tenant_id)
        .first(conn)?;
    let source = PolledSource::parse(&source).ok_or_else(|| {
        crate::CoreError::CorruptData(format!("poll_state source {source:?} is unknown"))
    })?;
    Ok(Some(Claim {
        tenant_id,
        azure_tenant_id,
        source,
        reserved_until: expires,
    }))
}

/// The job's row while `owner` holds its lease.
type OwnedRow<'a> = diesel::helper_types::Filter<
    diesel::helper_types::Find<poll_state::table, (i64, &'a str)>,
    diesel::helper_types::Eq<poll_state::lease_owner, &'a str>,
>;

fn owned<'a>(claim: &'a Claim, owner: &'a str) -> OwnedRow<'a> {
    poll_state::table
        .find((claim.tenant_id, claim.source.as_str()))
        .filter(poll_state::lease_owner.eq(owner))
}

/// The next run to store when a poll ends: `proposed`, unless someone asked for a poll while
/// this one ran (the row's `next_run_at` moved below what the claim reserved), whose earlier
/// time wins.
fn next_run(
    conn: &mut DbConnection,
    claim: &Claim,
    owner: &str,
    proposed: UtcTime,
) -> CoreResult<UtcTime> {
    let current: Option<UtcTime> = owned(claim, owner)
        .select(poll_state::next_run_at)
        .first(conn)
        .optional()?;
    Ok(match current {
        Some(asked) if asked < claim.reserved_until && asked < proposed => asked,
        _ => proposed,
    })
}

/// Extends a held lease (long polls call it between pages). False when the lease was lost.
pub fn renew_lease(
    conn: &mut DbConnection,
    claim: &Claim,
    owner: &str,
    now: UtcTime,
    lease: Duration,
) -> CoreResult<bool> {
    Ok(diesel::update(owned(claim, owner))
        .set(poll_state::lease_expires_at.eq(lease_expired_at(now, lease)))
        .execute(conn)?
        == 1)
}

/// Records a finished poll, schedules the next and releases the lease.
pub fn record_success(
    conn: &mut DbConnection,
    claim: &Claim,
    owner: &str,
    now: UtcTime,
    next_run_at: UtcTime,
) -> CoreResult<()> {
    let next_run_at = next_run(conn, claim, owner, next_run_at)?;
    diesel::update(owned(claim, owner))
        .set((
            poll_state::last_success_at.eq(Some(now)),
            poll_state::last_error.eq(None::<String>),
            poll_state::last_error_at.eq(None::<UtcTime>),
            poll_state::next_run_at.eq(next_run_at),
            poll_state::lease_owner.eq(None::<String>),
            poll_state::lease_expires_at.eq(None::<UtcTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed poll with the reason (the service's error code and message), schedules the
/// next try and releases the lease. `last_success_at` is kept.
pub fn record_failure(
    conn: &mut DbConnection,
    claim: &Claim,
    owner: &str,
    error: &str,
    now: UtcTime,
    next_run_at: UtcTime,
) -> CoreResult<()> {
    let next_run_at = next_run(conn, claim, owner, next_run_at)?;
    diesel::update(owned(claim, owner))
        .set((
            poll_state::last_error.eq(Some(error)),
            poll_state::last_error_at.eq(Some(now)),
            poll_state::next_run_at.eq(next_run_at),
            poll_state::lease_owner.eq(None::<String>),
            poll_state::lease_expires_at.eq(None::<UtcTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Puts a job back without polling it (its tenant or source is disabled): only the next run
/// moves, and the lease is released.
pub fn reschedule(
    conn: &mut DbConnection,
    claim: &Claim,
    owner: &str,
    next_run_at: UtcTime,
) -> CoreResult<()> {
    let next_run_at = next_run(conn, claim, owner, next_run_at)?;
    diesel::update(owned(claim, owner))
        .set((
            poll_state::next_run_at.eq(next_run_at),
            poll_state::lease_owner.eq(None::<String>),
            poll_state::lease_expires_at.eq(None::<UtcTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The jobs (tenant, source) that exist for a filter, soonest first, whatever their leases.
pub fn jobs(
    conn: &mut DbConnection,
    filter: &ClaimFilter,
    now: UtcTime,
) -> CoreResult<Vec<(i64, PollSource)>> {
    let (low, high) = filter.tenant_id.map_or((i64::MIN, i64::MAX), |t| (t, t));
    let mut limit = filter.not_after.unwrap_or_else(far_future);
    if filter.due_only && now < limit {
        limit = now;
    }
    let rows: Vec<(i64, String)> = poll_state::table
        .select((poll_state::tenant_id, poll_state::source))
        .filter(poll_state::tenant_id.between(low, high))
        .filter(poll_state::next_run_at.le(limit))
        .order((poll_state::next_run_at.asc(), poll_state::tenant_id.asc()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(t, s)| PolledSource::parse(&s).map(|s| (t, s)))
        .filter(|(_, s)| filter.source.is_none_or(|f| f == *s))
        .collect())
}
