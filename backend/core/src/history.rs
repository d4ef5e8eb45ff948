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
    // The configuration keeps its newest change for the configurations list (sorting and
    // showing drift without a history lookup per row); an older entry recorded late leaves it.
    diesel::update(
        configurations::table
            .filter(configurations::id.eq(entry.configuration_id))
            .filter(
                configurations::last_change_at
                    .is_null()
                    .or(configurations::last_change_at.le(entry.changed_at)),
            ),
    )
    .set((
        configurations::last_change_at.eq(Some(entry.changed_at)),
        configurations::last_change_type.eq(Some(entry.change_type)),
        configurations::last_change_severity.eq(entry.severity),
    ))
    .execute(conn)?;
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

/// The window of a drift summary: `[since, until)`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryWindow {
    /// Start of the window (inclusive); default 30 days before `until`.
    pub since: Option<UtcTime>,
    /// End of the window (exclusive); default now.
    pub until: Option<UtcTime>,
}

/// The longest window a summary covers, so that the zero-filled days stay a small list.
pub const SUMMARY_MAX_DAYS: i64 = 366;

/// How many changes of each severity; `unrated` counts changes without a severity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SeverityCounts {
    pub info: i64,
    pub low: i64,
    pub medium: i64,
    pub high: i64,
    pub critical: i64,
    pub unrated: i64,
}

/// How many changes came from each configuration source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceCounts {
    pub entra: i64,
    pub intune: i64,
    pub arm: i64,
}

/// How many changes of each kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangeTypeCounts {
    pub created: i64,
    pub updated: i64,
    pub deleted: i64,
}

/// How many changes happened on one UTC day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DayCount {
    #[schema(value_type = String, format = Date, example = "2026-11-28")]
    pub date: chrono::NaiveDate,
    pub count: i64,
}

/// Counts of a tenant's changes in a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "tenant_id": 7,
    "since": "2026-10-30T08:00:00.000000Z",
    "until": "2026-11-29T08:00:00.000000Z",
    "total": 5,
    "by_severity": {"info": 0, "low": 1, "medium": 2, "high": 1, "critical": 1, "unrated": 0},
    "by_source": {"entra": 3, "intune": 1, "arm": 1},
    "by_change_type": {"created": 1, "updated": 3, "deleted": 1},
    "by_day": [{"date": "2026-10-30", "count": 0}, {"date": "2026-10-31", "count": 2}]
}))]
pub struct DriftSummary {
    pub tenant_id: i64,
    pub since: UtcTime,
    pub until: UtcTime,
    pub total: i64,
    pub by_severity: SeverityCounts,
    pub by_source: SourceCounts,
    pub by_change_type: ChangeTypeCounts,
    /// Every UTC date the window touches, oldest first, including days without changes.
    pub by_day: Vec<DayCount>,
}

#[derive(QueryableByName)]
struct BucketRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    dimension: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    bucket: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The summary's one query: four `GROUP BY`s over the window, in one round trip. The window
/// uses the `(tenant_id, changed_at)` index. Only the UTC date differs between the backends:
/// PostgreSQL has `timestamptz`, SQLite ISO 8601 text that starts with the date.
fn summary_sql(conn: &DbConnection) -> String {
    let (p1, p2, p3, day) = match conn {
        DbConnection::Postgresql(_) => (
            "$1",
            "$2",
            "$3",
            "to_char(h.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        ),
        DbConnection::Sqlite(_) => ("?1", "?2", "?3", "substr(h.changed_at, 1, 10)"),
    };
    let range = format!("h.tenant_id = {p1} AND h.changed_at >= {p2} AND h.changed_at < {p3}");
    let window = format!("FROM configuration_history h WHERE {range}");
    // Only the source needs the configuration.
    let joined = format!(
        "FROM configuration_history h JOIN configurations c ON c.id = h.configuration_id \
         WHERE {range}"
    );
    format!(
        "SELECT 'severity' AS dimension, COALESCE(h.severity, 'unrated') AS bucket, COUNT(*) AS n \
         {window} GROUP BY h.severity \
         UNION ALL SELECT 'source', c.source, COUNT(*) {joined} GROUP BY c.source \
         UNION ALL SELECT 'change_type', h.change_type, COUNT(*) {window} GROUP BY h.change_type \
         UNION ALL SELECT 'day', {day}, COUNT(*) {window} GROUP BY {day}"
    )
}

/// Counts of the tenant's changes in `[since, until)` by severity, source, change type and UTC
/// day, computed by the database. The window defaults to the 30 days before `now`.
pub fn summary(
    conn: &mut DbConnection,
    tenant_id: i64,
    window: &SummaryWindow,
    now: UtcTime,
) -> CoreResult<DriftSummary> {
    use chrono::TimeDelta;
    let until = window.until.unwrap_or(now);
    let since = window
        .since
        .unwrap_or_else(|| UtcTime::new(until.get() - TimeDelta::days(30)));
    if since >= until {
        return Err(CoreError::invalid("since", "range", "must be before until"));
    }
    if until.get() - since.get() > TimeDelta::days(SUMMARY_MAX_DAYS) {
        return Err(CoreError::invalid(
            "since",
            "range",
            format!("the window must not exceed {SUMMARY_MAX_DAYS} days"),
        ));
    }
    let rows: Vec<BucketRow> = diesel::sql_query(summary_sql(conn))
        .bind::<diesel::sql_types::BigInt, _>(tenant_id)
        .bind::<crate::db::sql_types::UtcTimestamp, _>(since)
        .bind::<crate::db::sql_types::UtcTimestamp, _>(until)
        .load(conn)?;
    let mut summary = DriftSummary {
        tenant_id,
        since,
        until,
        total: 0,
        by_severity: SeverityCounts::default(),
        by_source: SourceCounts::default(),
        by_change_type: ChangeTypeCounts::default(),
        by_day: Vec::new(),
    };
    // The last instant in the window is a microsecond before `until`.
    let last_day = (until.get() - TimeDelta::microseconds(1)).date_naive();
    let mut day = since.get().date_naive();
    while day <= last_day {
        summary.by_day.push(DayCount {
            date: day,
            count: 0,
        });
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    let corrupt = |row: &BucketRow| {
        CoreError::CorruptData(format!("history {} {:?}", row.dimension, row.bucket))
    };
    for row in &rows {
        let slot = match (row.dimension.as_str(), row.bucket.as_str()) {
            ("severity", "unrated") => &mut summary.by_severity.unrated,
            ("severity", bucket) => match bucket.parse().map_err(|_| corrupt(row))? {
                Severity::Info => &mut summary.by_severity.info,
                Severity::Low => &mut summary.by_severity.low,
                Severity::Medium => &mut summary.by_severity.medium,
                Severity::High => &mut summary.by_severity.high,
                Severity::Critical => &mut summary.by_severity.critical,
            },
            ("source", bucket) => match bucket.parse().map_err(|_| corrupt(row))? {
                Source::Entra => &mut summary.by_source.entra,
                Source::Intune => &mut summary.by_source.intune,
                Source::Arm => &mut summary.by_source.arm,
            },
            ("change_type", bucket) => {
                summary.total += row.n;
                match bucket.parse().map_err(|_| corrupt(row))? {
                    ChangeType::Created => &mut summary.by_change_type.created,
                    ChangeType::Updated => &mut summary.by_change_type.updated,
                    ChangeType::Deleted => &mut summary.by_change_type.deleted,
                }
            }
            ("day", bucket) => {
                let date: chrono::NaiveDate = bucket.parse().map_err(|_| corrupt(row))?;
                let entry = summary
                    .by_day
                    .iter_mut()
                    .find(|d| d.date == date)
                    .ok_or_else(|| corrupt(row))?;
                &mut entry.count
            }
            _ => return Err(corrupt(row)),
        };
        *slot += row.n;
    }
    Ok(summary)
}

/// A version of a configuration named in a diff: `current` (the stored state) or a history
/// entry id (the state that change produced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRef {
    Current,
    Entry(i64),
}

impl VersionRef {
    /// Parses a query value, naming the parameter in the error.
    pub fn parse(field: &str, raw: &str) -> CoreResult<Self> {
        if raw == "current" {
            return Ok(VersionRef::Current);
        }
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => Ok(VersionRef::Entry(id)),
            _ => Err(CoreError::invalid(
                field,
                "version",
                "must be a history entry id of this configuration or `current`",
            )),
        }
    }
}

/// The versions to compare.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older side: a history entry id (the state that change produced) or `current`.
    /// Default: the version before `to`.
    #[param(example = "41")]
    pub from: Option<String>,
    /// The newer side: a history entry id or `current` (the default).
    #[param(example = "current")]
    pub to: Option<String>,
}

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DiffVersion {
    /// The history entry that produced this state. Null for the current stored state, and for
    /// the state before the first recorded change (the baseline, or nothing before `created`).
    pub history_id: Option<i64>,
    /// True for the configuration's current stored state.
    pub current: bool,
    /// When this state was recorded (the change's `changed_at`, or the configuration's
    /// `last_updated` for the current state); null for the state before the first change.
    pub at: Option<UtcTime>,
    /// The document as the service returned it; null when the resource did not exist (before
    /// `created`, after `deleted`).
    pub document: Option<Json>,
}

/// The operations of an RFC 6902 JSON Patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PatchOperation {
    pub op: PatchOp,
    /// A JSON Pointer (RFC 6901).
    #[schema(example = "/state")]
    pub path: String,
    /// The new value (`add`, `replace`, `test`); may be JSON null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Json>,
    /// The source pointer (`move`, `copy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// The difference between two versions of a configuration.
///
/// The patch is computed between the raw stored documents, as the service returned them, not
/// between the drift engine's canonical forms: the user sees every field that differs,
/// including volatile ones the engine ignores when deciding whether something drifted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "configuration_id": 12,
    "from": {"history_id": 40, "current": false, "at": "2026-11-28T09:00:00.000000Z", "document": {"state": "enabled"}},
    "to": {"history_id": null, "current": true, "at": "2026-11-29T07:00:00.000000Z", "document": {"state": "disabled"}},
    "patch": [{"op": "replace", "path": "/state", "value": "disabled"}],
    "changed_paths": ["/state"]
}))]
pub struct VersionDiff {
    pub configuration_id: i64,
    pub from: DiffVersion,
    pub to: DiffVersion,
    /// RFC 6902 operations that turn `from.document` into `to.document` when applied in order
    /// (a missing document counts as JSON null).
    pub patch: Vec<PatchOperation>,
    /// JSON Pointers of the smallest parts that differ, sorted.
    pub changed_paths: Vec<String>,
}

type EntryRow = (i64, UtcTime, Option<Json>, Option<Json>);

fn entry(
    conn: &mut DbConnection,
    tenant_id: i64,
    configuration_id: i64,
    id: i64,
) -> CoreResult<EntryRow> {
    history::table
        .filter(history::tenant_id.eq(tenant_id))
        .filter(history::configuration_id.eq(configuration_id))
        .filter(history::id.eq(id))
        .select((
            history::id,
            history::changed_at,
            history::previous_config,
            history::new_config,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::not_found("history entry", id))
}

/// The entry of a configuration before `(changed_at, id)`, or the newest when none is given.
fn entry_before(
    conn: &mut DbConnection,
    configuration_id: i64,
    before: Option<(UtcTime, i64)>,
) -> CoreResult<Option<EntryRow>> {
    let mut query = history::table
        .filter(history::configuration_id.eq(configuration_id))
        .select((
            history::id,
            history::changed_at,
            history::previous_config,
            history::new_config,
        ))
        .order((history::changed_at.desc(), history::id.desc()))
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            history::changed_at
                .lt(at)
                .or(history::changed_at.eq(at).and(history::id.lt(id))),
        );
    }
    Ok(query.first(conn).optional()?)
}

/// The difference between two versions of a configuration (see [`VersionDiff`]). `to` defaults
/// to the current state and `from` to the version before `to`. Ids of another configuration or
/// tenant are not found; naming one version twice, or asking for the version before the current
/// state of a configuration without recorded changes, is invalid.
pub fn diff(
    conn: &mut DbConnection,
    tenant_id: i64,
    configuration_id: i64,
    from: Option<VersionRef>,
    to: Option<VersionRef>,
) -> CoreResult<VersionDiff> {
    let configuration = crate::configurations::get(conn, tenant_id, configuration_id)?;
    if from.is_some() && from == to.or(Some(VersionRef::Current)) {
        return Err(CoreError::invalid(
            "from",
            "same_version",
            "from and to name the same version",
        ));
    }
    let current = DiffVersion {
        history_id: None,
        current: true,
        at: Some(configuration.last_updated),
        document: configuration
            .deleted_at
            .is_none()
            .then(|| configuration.config_data.clone()),
    };
    let version_of = |conn: &mut DbConnection, reference: VersionRef| -> CoreResult<_> {
        Ok(match reference {
            VersionRef::Current => (current.clone(), None),
            VersionRef::Entry(id) => {
                let row = entry(conn, tenant_id, configuration_id, id)?;
                let version = DiffVersion {
                    history_id: Some(row.0),
                    current: false,
                    at: Some(row.1),
                    document: row.3.clone(),
                };
                (version, Some(row))
            }
        })
    };
    let (to_version, to_entry) = version_of(conn, to.unwrap_or(VersionRef::Current))?;
    let from_version = match from {
        Some(reference) => version_of(conn, reference)?.0,
        None => {
            // The version before `to` is the state its change started from; for the current
            // state, the state the newest change started from.
            let change = match to_entry {
                Some(row) => row,
                None => entry_before(conn, configuration_id, None)?.ok_or_else(|| {
                    CoreError::invalid(
                        "from",
                        "no_earlier_version",
                        "the configuration has no recorded change, so no earlier version",
                    )
                })?,
            };
            let earlier = entry_before(conn, configuration_id, Some((change.1, change.0)))?;
            DiffVersion {
                history_id: earlier.as_ref().map(|e| e.0),
                current: false,
                at: earlier.as_ref().map(|e| e.1),
                document: change.2,
            }
        }
    };
    let old = from_version
        .document
        .as_deref()
        .cloned()
        .unwrap_or_default();
    let new = to_version.document.as_deref().cloned().unwrap_or_default();
    let patch = crate::drift::json_patch(&old, &new)
        .0
        .iter()
        .map(patch_operation)
        .collect::<CoreResult<Vec<_>>>()?;
    Ok(VersionDiff {
        configuration_id,
        changed_paths: crate::drift::changed_paths(&old, &new),
        from: from_version,
        to: to_version,
        patch,
    })
}

fn patch_operation(op: &json_patch::PatchOperation) -> CoreResult<PatchOperation> {
    let value = serde_json::to_value(op).map_err(|e| CoreError::Internal(e.to_string()))?;
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let kind = value
        .get("op")
        .cloned()
        .and_then(|o| serde_json::from_value(o).ok())
        .ok_or_else(|| CoreError::Internal(format!("unexpected patch operation {value}")))?;
    Ok(PatchOperation {
        op: kind,
        path: text("path").unwrap_or_default(),
        value: value.get("value").cloned().map(Json),
        from: text("from"),
    })
}
