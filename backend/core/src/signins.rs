//! Entra sign-in events (`SigningLog`): ingested by the worker, read by clients.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::signing_logs;
use crate::db::{fold, DbConnection};
use crate::error::{CoreError, CoreResult};
use crate::pagination::{sort_key_text, Page, PageRequest, Sort};
use crate::{keyset, sort_orders, Json, UtcTime};

/// One sign-in event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SigningLog {
    #[serde(flatten)]
    pub summary: SigningLogSummary,
    /// The whole event as Graph returned it.
    pub log_data: Json,
}

/// One sign-in event without its raw document, as lists return it.
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, Deserialize, ToSchema)]
pub struct SigningLogSummary {
    pub id: i64,
    pub tenant_id: i64,
    /// The sign-in event id from Entra.
    pub log_id: String,
    /// When the sign-in happened (`createdDateTime`).
    pub timestamp: UtcTime,
    /// The user principal name.
    pub actor: Option<String>,
    /// The application signed in to.
    pub action: Option<String>,
    /// The resource the token was for.
    pub resource: Option<String>,
    /// `success`, or `failure:<error code>`.
    #[schema(example = "failure:50126")]
    pub status: String,
    pub client_ip: Option<String>,
    pub ingested_at: UtcTime,
}

type SummaryColumns = (
    signing_logs::id,
    signing_logs::tenant_id,
    signing_logs::log_id,
    signing_logs::timestamp,
    signing_logs::actor,
    signing_logs::action,
    signing_logs::resource,
    signing_logs::status,
    signing_logs::client_ip,
    signing_logs::ingested_at,
);

const SUMMARY_COLUMNS: SummaryColumns = (
    signing_logs::id,
    signing_logs::tenant_id,
    signing_logs::log_id,
    signing_logs::timestamp,
    signing_logs::actor,
    signing_logs::action,
    signing_logs::resource,
    signing_logs::status,
    signing_logs::client_ip,
    signing_logs::ingested_at,
);

/// A sign-in event to store (the worker's write path).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = signing_logs)]
pub struct NewSigningLog {
    pub tenant_id: i64,
    pub log_id: String,
    pub timestamp: UtcTime,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub status: String,
    pub client_ip: Option<String>,
    pub log_data: Json,
    pub ingested_at: UtcTime,
}

/// Stores events, skipping those already stored (same tenant and `log_id`), so that
/// overlapping sign-in polls are harmless. Returns how many were new.
pub fn insert_batch(conn: &mut DbConnection, events: &[NewSigningLog]) -> CoreResult<usize> {
    if events.is_empty() {
        return Ok(0);
    }
    // Diesel's multi-backend has no ON CONFLICT; both backends accept the same statement.
    let inserted = match conn {
        DbConnection::Postgresql(pg) => diesel::insert_into(signing_logs::table)
            .values(events)
            .on_conflict((signing_logs::tenant_id, signing_logs::log_id))
            .do_nothing()
            .execute(pg)?,
        // One statement per row (SQLite's bound-parameter limit), in one transaction: outside
        // one each row was its own commit, and ingestion ran at about 1 500 events/s.
        DbConnection::Sqlite(sqlite) => sqlite.immediate_transaction(|sqlite| {
            let mut inserted = 0;
            for event in events {
                inserted += diesel::insert_into(signing_logs::table)
                    .values(event)
                    .on_conflict((signing_logs::tenant_id, signing_logs::log_id))
                    .do_nothing()
                    .execute(sqlite)?;
            }
            Ok::<_, diesel::result::Error>(inserted)
        })?,
    };
    Ok(inserted)
}

pub fn get(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<SigningLog> {
    let found: Option<(SigningLogSummary, Json)> = signing_logs::table
        .filter(signing_logs::tenant_id.eq(tenant_id))
        .filter(signing_logs::id.eq(id))
        .select((SUMMARY_COLUMNS, signing_logs::log_data))
        .first(conn)
        .optional()?;
    let (summary, log_data) = found.ok_or_else(|| CoreError::not_found("sign-in log", id))?;
    Ok(SigningLog { summary, log_data })
}

sort_orders! {
    SigningLogSortField { Timestamp => "timestamp", Id => "id" } default Timestamp true
}

/// Filters of the sign-in log list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SigningLogFilter {
    /// Only events at or after this instant.
    pub since: Option<UtcTime>,
    /// Only events before this instant.
    pub until: Option<UtcTime>,
    /// The user principal name (case-insensitive).
    pub actor: Option<String>,
    /// `success`, `failure` (any failure) or an exact status such as `failure:50126`.
    pub status: Option<String>,
    pub client_ip: Option<String>,
    /// The application name (case-insensitive).
    pub application: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    tenant_id: i64,
    filter: &SigningLogFilter,
    sort: Sort<SigningLogSortField>,
    page: &PageRequest,
) -> CoreResult<Page<SigningLogSummary>> {
    let limit = page.limit()?;
    if let (Some(since), Some(until)) = (filter.since, filter.until) {
        if since >= until {
            return Err(CoreError::invalid("since", "range", "must be before until"));
        }
    }
    let sort_text = sort_key_text(sort.field.field(), sort.descending);
    let mut query = signing_logs::table
        .filter(signing_logs::tenant_id.eq(tenant_id))
        .select(SUMMARY_COLUMNS)
        .into_boxed();
    if let Some(since) = filter.since {
        query = query.filter(signing_logs::timestamp.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(signing_logs::timestamp.lt(until));
    }
    if let Some(actor) = filter.actor.as_deref() {
        query = query.filter(fold(signing_logs::actor.assume_not_null()).eq(actor.to_lowercase()));
    }
    match filter.status.as_deref() {
        None => {}
        Some("failure") => query = query.filter(signing_logs::status.like("failure:%")),
        Some(status) if status == "success" || status.starts_with("failure:") => {
            query = query.filter(signing_logs::status.eq(status.to_owned()))
        }
        Some(_) => {
            return Err(CoreError::invalid(
                "status",
                "unknown_status",
                "must be success, failure or failure:<error code>",
            ))
        }
    }
    if let Some(ip) = filter.client_ip.as_deref() {
        query = query.filter(signing_logs::client_ip.eq(ip.to_owned()));
    }
    if let Some(application) = filter.application.as_deref() {
        query = query
            .filter(fold(signing_logs::action.assume_not_null()).eq(application.to_lowercase()));
    }
    let query = match sort.field {
        SigningLogSortField::Timestamp => keyset!(
            query,
            signing_logs::timestamp,
            signing_logs::id,
            sort.descending,
            page.after::<UtcTime>(&sort_text)?
        ),
        SigningLogSortField::Id => keyset!(
            query,
            signing_logs::id,
            signing_logs::id,
            sort.descending,
            page.after::<i64>(&sort_text)?
        ),
    };
    let rows: Vec<SigningLogSummary> = query.limit(limit + 1).load(conn)?;
    Ok(Page::from_rows(rows, limit, &sort_text, |s| {
        match sort.field {
            SigningLogSortField::Timestamp => (serde_json::json!(s.timestamp), s.id),
            SigningLogSortField::Id => (serde_json::json!(s.id), s.id),
        }
    }))
}
