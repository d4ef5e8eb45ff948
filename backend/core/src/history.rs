//! Configuration history: every created, updated and deleted resource, with the states before
//! and after, the changed paths and who made the change. Read-only to clients.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{configuration_history as history, configurations};
use crate::db::{fold, DbConnection};
use crate::error::{CoreError, CoreResult};
use crate::pagination::{sort_key_text, Page, PageRequest, Sort};
use crate::types::{ChangeType, Severity, Source};
use crate::{keyset, sort_orders, Json, UtcTime};

/// One change of a configuration, with the states before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    #[serde(flatten)]
    pub summary: HistorySummary,
    /// The state before the change; null for `created`.
    pub previous_config: Option<Json>,
    /// The state after the change; null for `deleted`.
    pub new_config: Option<Json>,
}

/// One change of a configuration, as lists return it (without the two states).
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, Deserialize, ToSchema)]
pub struct HistorySummary {
    pub id: i64,
    pub configuration_id: i64,
    pub tenant_id: i64,
    pub changed_at: UtcTime,
    pub change_type: ChangeType,
    /// The UPN or application that made the change, from the audit trail; `unknown` when none
    /// was found.
    pub changed_by: String,
    /// JSON Pointers of the paths that changed.
    pub changed_paths: Json,
    pub severity: Option<Severity>,
    pub source: Source,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_name: String,
}

type SummaryColumns = (
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
);

const SUMMARY_COLUMNS: SummaryColumns = (
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
);

/// A change to record (the worker's write path).
#[derive(Debug, Clone)]
pub struct NewHistoryEntry {
    pub configuration_id: i64,
    pub previous_config: Option<Json>,
    pub new_config: Option<Json>,
    pub changed_at: UtcTime,
    pub change_type: ChangeType,
    pub changed_by: String,
    pub changed_paths: Vec<String>,
    pub severity: Option<Severity>,
}

/// Records a change of a configuration of the given tenant.
pub fn record(conn: &mut DbConnection, tenant_id: i64, entry: &NewHistoryEntry) -> CoreResult<i64> {
    let owner: Option<i64> = configurations::table
        .filter(configurations::id.eq(entry.configuration_id))
        .filter(configurations::tenant_id.eq(tenant_id))
        .select(configurations::id)
        .first(conn)
        .optional()?;
    if owner.is_none() {
        return Err(CoreError::not_found(
            "configuration",
            entry.configuration_id,
        ));
    }
    let paths = Json(serde_json::json!(entry.changed_paths));
    Ok(diesel::insert_into(history::table)
        .values((
            history::configuration_id.eq(entry.configuration_id),
            history::tenant_id.eq(tenant_id),
            history::previous_config.eq(&entry.previous_config),
            history::new_config.eq(&entry.new_config),
            history::changed_at.eq(entry.changed_at),
            history::change_type.eq(entry.change_type),
            history::changed_by.eq(&entry.changed_by),
            history::changed_paths.eq(paths),
            history::severity.eq(entry.severity),
        ))
        .returning(history::id)
        .get_result(conn)?)
}

pub fn get(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<HistoryEntry> {
    type Row = (HistorySummary, (Option<Json>, Option<Json>));
    let found: Option<Row> = history::table
        .inner_join(configurations::table)
        .filter(history::tenant_id.eq(tenant_id))
        .filter(history::id.eq(id))
        .select((
            SUMMARY_COLUMNS,
            (history::previous_config, history::new_config),
        ))
        .first(conn)
        .optional()?;
    let (summary, (previous_config, new_config)) =
        found.ok_or_else(|| CoreError::not_found("history entry", id))?;
    Ok(HistoryEntry {
        summary,
        previous_config,
        new_config,
    })
}

sort_orders! {
    HistorySortField { ChangedAt => "changed_at", Id => "id" } default ChangedAt true
}

/// Filters of the history lists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryFilter {
    pub change_type: Option<ChangeType>,
    pub source: Option<Source>,
    /// Exact resource type (case-insensitive).
    pub resource_type: Option<String>,
    /// Exact UPN or application name of who made the change (case-insensitive); `unknown` finds
    /// unattributed changes.
    pub changed_by: Option<String>,
    /// Only changes rated at least this severe.
    pub min_severity: Option<Severity>,
    /// Only changes at or after this instant.
    pub since: Option<UtcTime>,
    /// Only changes before this instant.
    pub until: Option<UtcTime>,
}

/// Changes of the tenant, newest first by default; of one configuration when given.
pub fn list(
    conn: &mut DbConnection,
    tenant_id: i64,
    configuration_id: Option<i64>,
    filter: &HistoryFilter,
    sort: Sort<HistorySortField>,
    page: &PageRequest,
) -> CoreResult<Page<HistorySummary>> {
    let limit = page.limit()?;
    if let (Some(since), Some(until)) = (filter.since, filter.until) {
        if since >= until {
            return Err(CoreError::invalid("since", "range", "must be before until"));
        }
    }
    let sort_text = sort_key_text(sort.field.field(), sort.descending);
    let mut query = history::table
        .inner_join(configurations::table)
        .filter(history::tenant_id.eq(tenant_id))
        .select(SUMMARY_COLUMNS)
        .into_boxed();
    if let Some(configuration_id) = configuration_id {
        query = query.filter(history::configuration_id.eq(configuration_id));
    }
    if let Some(change_type) = filter.change_type {
        query = query.filter(history::change_type.eq(change_type));
    }
    if let Some(source) = filter.source {
        query = query.filter(configurations::source.eq(source));
    }
    if let Some(resource_type) = filter.resource_type.as_deref() {
        query = query.filter(fold(configurations::resource_type).eq(resource_type.to_lowercase()));
    }
    if let Some(changed_by) = filter.changed_by.as_deref() {
        query = query.filter(fold(history::changed_by).eq(changed_by.to_lowercase()));
    }
    if let Some(min) = filter.min_severity {
        let at_least: Vec<&str> = Severity::ALL
            .iter()
            .filter(|s| **s >= min)
            .map(|s| s.as_str())
            .collect();
        query = query.filter(history::severity.eq_any(at_least));
    }
    if let Some(since) = filter.since {
        query = query.filter(history::changed_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(history::changed_at.lt(until));
    }
    let query = match sort.field {
        HistorySortField::ChangedAt => keyset!(
            query,
            history::changed_at,
            history::id,
            sort.descending,
            page.after::<UtcTime>(&sort_text)?
        ),
        HistorySortField::Id => keyset!(
            query,
            history::id,
            history::id,
            sort.descending,
            page.after::<i64>(&sort_text)?
        ),
    };
    let rows: Vec<HistorySummary> = query.limit(limit + 1).load(conn)?;
    Ok(Page::from_rows(rows, limit, &sort_text, |h| {
        match sort.field {
            HistorySortField::ChangedAt => (serde_json::json!(h.changed_at), h.id),
            HistorySortField::Id => (serde_json::json!(h.id), h.id),
        }
    }))
}
