//! What the worker is doing for a tenant, per polled source, as clients see it; and "poll now".
//!
//! The worker owns `poll_state` (one row per tenant and source, created when it first schedules
//! the pair). This module only reads those rows and, to poll now, moves `next_run_at` to the
//! present, creating the row when the worker has not yet scheduled the pair.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::poll_state;
use crate::db::DbConnection;
use crate::error::{CoreError, CoreResult};
use crate::settings::schema::PolledSource;
use crate::settings::{self, PollingSettings};
use crate::UtcTime;

/// Every source the worker polls, in the order status lists them.
pub const SOURCES: [PolledSource; 4] = [
    PolledSource::Entra,
    PolledSource::Intune,
    PolledSource::Arm,
    PolledSource::Signins,
];

/// The text `poll_state.source` holds for a source (its serde name).
fn source_text(source: PolledSource) -> &'static str {
    match source {
        PolledSource::Entra => "entra",
        PolledSource::Intune => "intune",
        PolledSource::Arm => "arm",
        PolledSource::Signins => "signins",
    }
}

/// What the worker is doing with one source of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PollState {
    /// A worker holds a live lease on the pair: a poll is under way.
    Running,
    /// The tenant's polling settings switch this source (or all polling) off.
    Disabled,
    /// The next run time has come (or the pair was never scheduled); the worker takes it at its
    /// next pass.
    Due,
    /// Waiting for `next_run_at`.
    Idle,
}

/// The polling status of one source of a tenant. Times are null when the event never happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceStatus {
    pub source: PolledSource,
    pub state: PollState,
    /// When the last poll completed successfully.
    pub last_success_at: Option<UtcTime>,
    /// The message of the last failed poll; it stays after a later success, so compare
    /// `last_error_at` with `last_success_at` to know whether the source is failing now.
    #[schema(example = "Graph answered 403: Authorization_RequestDenied")]
    pub last_error: Option<String>,
    pub last_error_at: Option<UtcTime>,
    /// When the worker polls next; null when it never scheduled the pair.
    pub next_run_at: Option<UtcTime>,
    /// When the first complete poll stored the baseline (changes are recorded after it).
    pub baseline_at: Option<UtcTime>,
}

/// The polling status of every source of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "tenant_id": 7,
    "polling_enabled": true,
    "sources": [
        {"source": "entra", "state": "running", "last_success_at": "2026-11-29T08:00:02.000000Z",
         "last_error": null, "last_error_at": null, "next_run_at": "2026-11-29T08:15:00.000000Z",
         "baseline_at": "2026-11-20T09:00:05.000000Z"},
        {"source": "intune", "state": "idle", "last_success_at": "2026-11-29T08:01:10.000000Z",
         "last_error": "Graph answered 503", "last_error_at": "2026-11-29T07:46:00.000000Z",
         "next_run_at": "2026-11-29T08:16:10.000000Z", "baseline_at": "2026-11-20T09:00:09.000000Z"},
        {"source": "arm", "state": "due", "last_success_at": null, "last_error": null,
         "last_error_at": null, "next_run_at": null, "baseline_at": null},
        {"source": "signins", "state": "disabled", "last_success_at": null, "last_error": null,
         "last_error_at": null, "next_run_at": null, "baseline_at": null}
    ]
}))]
pub struct PollStatus {
    pub tenant_id: i64,
    /// False when the tenant's settings stop all polling.
    pub polling_enabled: bool,
    /// Always the four sources, in the order entra, intune, arm, signins.
    pub sources: Vec<SourceStatus>,
}

type PollRow = (
    String,
    UtcTime,
    Option<String>,
    Option<UtcTime>,
    Option<UtcTime>,
    Option<UtcTime>,
    Option<String>,
    Option<UtcTime>,
);

fn rows(conn: &mut DbConnection, tenant_id: i64) -> CoreResult<Vec<PollRow>> {
    Ok(poll_state::table
        .filter(poll_state::tenant_id.eq(tenant_id))
        .select((
            poll_state::source,
            poll_state::next_run_at,
            poll_state::lease_owner,
            poll_state::lease_expires_at,
            poll_state::baseline_at,
            poll_state::last_success_at,
            poll_state::last_error,
            poll_state::last_error_at,
        ))
        .load(conn)?)
}

fn source_enabled(polling: &PollingSettings, source: PolledSource) -> bool {
    polling.enabled && !polling.disabled_sources.contains(&source)
}

/// The status of the tenant's four sources at `now`, under its settings in force.
pub fn status(conn: &mut DbConnection, tenant_id: i64, now: UtcTime) -> CoreResult<PollStatus> {
    let polling = settings::current(conn, tenant_id)?.polling_settings;
    let rows = rows(conn, tenant_id)?;
    let sources = SOURCES
        .iter()
        .map(|&source| {
            let row = rows.iter().find(|r| r.0 == source_text(source));
            let lease_live = row.is_some_and(|r| r.2.is_some() && r.3.is_some_and(|at| at > now));
            // A running poll is reported as running even when the settings have just disabled
            // the source: the worker finishes the poll it holds.
            let state = if lease_live {
                PollState::Running
            } else if !source_enabled(&polling, source) {
                PollState::Disabled
            } else if row.is_none_or(|r| r.1 <= now) {
                PollState::Due
            } else {
                PollState::Idle
            };
            SourceStatus {
                source,
                state,
                last_success_at: row.and_then(|r| r.5),
                last_error: row.and_then(|r| r.6.clone()),
                last_error_at: row.and_then(|r| r.7),
                next_run_at: row.map(|r| r.1),
                baseline_at: row.and_then(|r| r.4),
            }
        })
        .collect();
    Ok(PollStatus {
        tenant_id,
        polling_enabled: polling.enabled,
        sources,
    })
}

/// Asks the worker to poll now: `next_run_at` becomes `now` for the source given, or for every
/// enabled source. A pair already due keeps its earlier time; a pair never scheduled is
/// created. A poll under way is not interrupted (the worker schedules its next run when it
/// finishes). Asking for a disabled source, or for any source while polling is off, is a
/// conflict with the settings. Returns the resulting status.
pub fn request_poll(
    conn: &mut DbConnection,
    tenant_id: i64,
    source: Option<PolledSource>,
    now: UtcTime,
) -> CoreResult<PollStatus> {
    conn.write_transaction(|conn| {
        let polling = settings::current(conn, tenant_id)?.polling_settings;
        if !polling.enabled {
            return Err(CoreError::Conflict(
                "polling is disabled in this tenant's settings".into(),
            ));
        }
        let targets: Vec<PolledSource> = match source {
            Some(source) if !source_enabled(&polling, source) => {
                return Err(CoreError::Conflict(format!(
                    "polling of {} is disabled in this tenant's settings",
                    source_text(source)
                )));
            }
            Some(source) => vec![source],
            None => SOURCES
                .into_iter()
                .filter(|s| source_enabled(&polling, *s))
                .collect(),
        };
        for target in targets {
            schedule_now(conn, tenant_id, source_text(target), now)?;
        }
        status(conn, tenant_id, now)
    })
}

/// Moves a pair's next run to `now` unless it is earlier already, creating the row if needed.
fn schedule_now(
    conn: &mut DbConnection,
    tenant_id: i64,
    source: &str,
    now: UtcTime,
) -> CoreResult<()> {
    diesel::update(
        poll_state::table
            .filter(poll_state::tenant_id.eq(tenant_id))
            .filter(poll_state::source.eq(source))
            .filter(poll_state::next_run_at.gt(now)),
    )
    .set(poll_state::next_run_at.eq(now))
    .execute(conn)?;
    let row = (
        poll_state::tenant_id.eq(tenant_id),
        poll_state::source.eq(source),
        poll_state::next_run_at.eq(now),
    );
    // Diesel's multi-backend has no ON CONFLICT; both backends accept the same statement. A
    // row the worker created in the meantime wins.
    match conn {
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
    Ok(())
}
