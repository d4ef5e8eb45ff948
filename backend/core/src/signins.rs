//! Entra sign-in events (`SigningLog`): ingested by the worker, read by clients.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::signing_logs;
use crate::db::{fold, fold_text, DbConnection};
use crate::error::{CoreError, CoreResult, FieldError};
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
    /// Where the sign-in came from (`location.countryOrRegion`, ISO 3166-1 alpha-2).
    #[schema(example = "CH")]
    pub country: Option<String>,
    /// The Entra error code (`status.errorCode`): 0 for a success.
    #[schema(example = 50126)]
    pub error_code: Option<i32>,
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
    signing_logs::country,
    signing_logs::error_code,
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
    signing_logs::country,
    signing_logs::error_code,
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
    /// `location.countryOrRegion` of the event.
    pub country: Option<String>,
    /// `status.errorCode` of the event.
    pub error_code: Option<i32>,
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
    /// The country or region, an ISO 3166-1 alpha-2 code (case-insensitive).
    #[param(example = "CH")]
    pub country: Option<String>,
    /// The Entra error code (`0` for successes).
    #[param(example = 50126)]
    pub error_code: Option<i32>,
}

/// Which statuses a `status` filter keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StatusRule {
    Success,
    AnyFailure,
    Exactly(String),
}

impl StatusRule {
    fn parse(status: Option<&str>) -> CoreResult<Option<StatusRule>> {
        match status {
            None => Ok(None),
            Some("success") => Ok(Some(StatusRule::Success)),
            Some("failure") => Ok(Some(StatusRule::AnyFailure)),
            Some(status) if status.starts_with("failure:") => {
                Ok(Some(StatusRule::Exactly(status.to_owned())))
            }
            Some(_) => Err(CoreError::invalid(
                "status",
                "unknown_status",
                "must be success, failure or failure:<error code>",
            )),
        }
    }
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
    match StatusRule::parse(filter.status.as_deref())? {
        None => {}
        // A range rather than LIKE 'failure:%': SQLite uses an index for LIKE only with
        // case-sensitive LIKE, and ';' is the character after ':'.
        Some(StatusRule::AnyFailure) => {
            query = query.filter(signing_logs::status.like("failure:%"))
        }
        Some(StatusRule::Success) => query = query.filter(signing_logs::status.eq("success")),
        Some(StatusRule::Exactly(status)) => query = query.filter(signing_logs::status.eq(status)),
    }
    if let Some(ip) = filter.client_ip.as_deref() {
        query = query.filter(signing_logs::client_ip.eq(ip.to_owned()));
    }
    if let Some(application) = filter.application.as_deref() {
        query = query
            .filter(fold(signing_logs::action.assume_not_null()).eq(application.to_lowercase()));
    }
    if let Some(country) = filter.country.as_deref() {
        query = query.filter(signing_logs::country.eq(country.to_uppercase()));
    }
    if let Some(code) = filter.error_code {
        query = query.filter(signing_logs::error_code.eq(code));
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

// ---- summary ----------------------------------------------------------------------------------

/// The width of the time buckets of a sign-in summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SummaryBucket {
    Hour,
    Day,
}

impl SummaryBucket {
    fn width(self) -> chrono::TimeDelta {
        match self {
            SummaryBucket::Hour => chrono::TimeDelta::hours(1),
            SummaryBucket::Day => chrono::TimeDelta::days(1),
        }
    }

    /// The start of the bucket that holds `at`.
    fn floor(self, at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        use chrono::DurationRound;
        // Hours and days divide the Unix epoch evenly, so rounding down is exact.
        at.duration_trunc(self.width()).unwrap_or(at)
    }
}

/// The most buckets a summary answers with (2000 hours is about 83 days).
pub const SUMMARY_MAX_BUCKETS: i64 = 2000;
/// How many entries each ranking lists before the rest is counted as `other`.
pub const SUMMARY_TOP: usize = 10;

/// The window, bucket width and filters of a sign-in summary.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SigningLogSummaryQuery {
    /// Start of the window (inclusive); default 7 days before `until`.
    pub since: Option<UtcTime>,
    /// End of the window (exclusive); default now.
    pub until: Option<UtcTime>,
    /// The width of the `over_time` buckets; default `hour` for windows of up to 2 days,
    /// else `day`. A window may span at most 2000 buckets.
    pub bucket: Option<SummaryBucket>,
    /// The user principal name (case-insensitive).
    pub actor: Option<String>,
    /// The application name (case-insensitive).
    pub application: Option<String>,
    /// `success`, `failure` (any failure) or an exact status such as `failure:50126`.
    pub status: Option<String>,
    pub client_ip: Option<String>,
    /// The country or region, an ISO 3166-1 alpha-2 code (case-insensitive).
    pub country: Option<String>,
}

/// The sign-ins of one time bucket `[start, start + bucket)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SigningLogBucket {
    pub start: UtcTime,
    pub successes: i64,
    pub failures: i64,
}

/// A count of failed sign-ins with one error code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorCodeCount {
    #[schema(example = 50126)]
    pub error_code: i32,
    pub count: i64,
}

/// The error codes of the most failed sign-ins, and how many failures are not among them
/// (other codes, or none recorded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorCodeRanking {
    pub top: Vec<ErrorCodeCount>,
    pub other: i64,
}

/// A count of sign-ins from one country or region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CountryCount {
    #[schema(example = "CH")]
    pub country: String,
    pub count: i64,
}

/// The countries of the most sign-ins, and how many sign-ins are not among them (other
/// countries, or none recorded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CountryRanking {
    pub top: Vec<CountryCount>,
    pub other: i64,
}

/// A count of sign-ins to one application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApplicationCount {
    #[schema(example = "Azure Portal")]
    pub application: String,
    pub count: i64,
}

/// The applications of the most sign-ins (as Entra names them), and how many sign-ins are not
/// among them (other applications, or none recorded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApplicationRanking {
    pub top: Vec<ApplicationCount>,
    pub other: i64,
}

/// Counts of a tenant's sign-ins in a window, for charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SigningLogStats {
    pub tenant_id: i64,
    pub since: UtcTime,
    pub until: UtcTime,
    pub bucket: SummaryBucket,
    pub total: i64,
    pub successes: i64,
    pub failures: i64,
    /// Every bucket the window touches, oldest first, including empty ones.
    pub over_time: Vec<SigningLogBucket>,
    /// Failed sign-ins by error code, the 10 most frequent first.
    pub failures_by_error_code: ErrorCodeRanking,
    /// Sign-ins by country or region, the 10 most frequent first.
    pub by_country: CountryRanking,
    /// Sign-ins by application, the 10 most frequent first.
    pub by_application: ApplicationRanking,
}

#[derive(QueryableByName)]
struct StatsRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    dimension: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    bucket: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    failures: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A value bound to the summary query.
enum Bind {
    Id(i64),
    Time(UtcTime),
    Text(String),
}

/// The `WHERE` clause of the summary and its values, with the placeholders of the backend.
struct Conditions {
    postgres: bool,
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Conditions {
    fn push(&mut self, template: &str, bind: Bind) {
        self.binds.push(bind);
        let n = self.binds.len();
        let placeholder = if self.postgres {
            format!("${n}")
        } else {
            format!("?{n}")
        };
        self.clauses.push(template.replace('?', &placeholder));
    }

    fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }
}

/// Counts of the tenant's sign-ins in `[since, until)` matching the filters: totals, every time
/// bucket (empty ones included), and the top error codes, countries and applications. The
/// database does the counting (one round trip of four `GROUP BY`s over the window, which the
/// `(tenant_id, timestamp, status, error_code, country, action)` index covers); only the
/// buckets without sign-ins are filled in here.
pub fn summary(
    conn: &mut DbConnection,
    tenant_id: i64,
    query: &SigningLogSummaryQuery,
    now: UtcTime,
) -> CoreResult<SigningLogStats> {
    use chrono::TimeDelta;
    let until = query.until.unwrap_or(now);
    let since = query
        .since
        .unwrap_or_else(|| UtcTime::new(until.get() - TimeDelta::days(7)));
    if since >= until {
        return Err(CoreError::invalid("since", "range", "must be before until"));
    }
    let bucket = query
        .bucket
        .unwrap_or(if until.get() - since.get() <= TimeDelta::days(2) {
            SummaryBucket::Hour
        } else {
            SummaryBucket::Day
        });
    let first = bucket.floor(since.get());
    // The last instant in the window is a microsecond before `until`.
    let last = bucket.floor(until.get() - TimeDelta::microseconds(1));
    let buckets = (last - first).num_seconds() / bucket.width().num_seconds() + 1;
    if buckets > SUMMARY_MAX_BUCKETS {
        // A field error like every other out-of-range query value (422), named by the field.
        return Err(CoreError::Invalid(vec![FieldError::new(
            "bucket",
            "range",
            format!(
                "the window holds {buckets} {} buckets, more than {SUMMARY_MAX_BUCKETS}; \
                 choose a wider bucket or a shorter window",
                match bucket {
                    SummaryBucket::Hour => "hourly",
                    SummaryBucket::Day => "daily",
                }
            ),
        )]));
    }
    let status = StatusRule::parse(query.status.as_deref())?;

    let postgres = matches!(conn, DbConnection::Postgresql(_));
    let mut conditions = Conditions {
        postgres,
        clauses: Vec::new(),
        binds: Vec::new(),
    };
    conditions.push("tenant_id = ?", Bind::Id(tenant_id));
    conditions.push("\"timestamp\" >= ?", Bind::Time(since));
    conditions.push("\"timestamp\" < ?", Bind::Time(until));
    if let Some(actor) = &query.actor {
        conditions.push("drift_fold(actor) = ?", Bind::Text(fold_text(actor)));
    }
    if let Some(application) = &query.application {
        conditions.push("drift_fold(action) = ?", Bind::Text(fold_text(application)));
    }
    match status {
        None => {}
        Some(StatusRule::Success) => conditions.push("status = ?", Bind::Text("success".into())),
        Some(StatusRule::AnyFailure) => {
            // As in the list: a range the (tenant_id, status) index serves.
            conditions.push("status LIKE ?", Bind::Text("failure:%".into()));
        }
        Some(StatusRule::Exactly(status)) => conditions.push("status = ?", Bind::Text(status)),
    }
    if let Some(ip) = &query.client_ip {
        conditions.push("client_ip = ?", Bind::Text(ip.clone()));
    }
    if let Some(country) = &query.country {
        conditions.push("country = ?", Bind::Text(country.to_uppercase()));
    }

    // Bucket keys are text: the UTC date, or the date and hour (`2026-11-29T08`). SQLite keeps
    // timestamps as ISO 8601 text, so a key is a prefix of it.
    let key = match (postgres, bucket) {
        (true, SummaryBucket::Hour) => {
            "to_char(\"timestamp\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')"
        }
        (true, SummaryBucket::Day) => "to_char(\"timestamp\" AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        (false, SummaryBucket::Hour) => "substr(\"timestamp\", 1, 13)",
        (false, SummaryBucket::Day) => "substr(\"timestamp\", 1, 10)",
    };
    let window = format!("FROM signing_logs WHERE {}", conditions.sql());
    let top = |dimension: &str, column: &str, label: &str, extra: &str| {
        format!(
            "SELECT * FROM (SELECT '{dimension}' AS dimension, {label} AS bucket, \
             0 AS failures, COUNT(*) AS n {window} AND {column} IS NOT NULL{extra} \
             GROUP BY {column} ORDER BY COUNT(*) DESC, {column} LIMIT {SUMMARY_TOP}) AS {dimension}"
        )
    };
    let sql = [
        format!(
            "SELECT 'time' AS dimension, {key} AS bucket, \
             COALESCE(SUM(CASE WHEN status = 'success' THEN 0 ELSE 1 END), 0) AS failures, \
             COUNT(*) AS n {window} GROUP BY {key}"
        ),
        top(
            "error_code",
            "error_code",
            "CAST(error_code AS TEXT)",
            " AND status <> 'success'",
        ),
        top("country", "country", "country", ""),
        top("application", "action", "action", ""),
    ]
    .join(" UNION ALL ");

    let mut statement = diesel::sql_query(sql).into_boxed::<crate::db::connection::MultiBackend>();
    for bind in conditions.binds {
        statement = match bind {
            Bind::Id(id) => statement.bind::<diesel::sql_types::BigInt, _>(id),
            Bind::Time(at) => statement.bind::<crate::db::sql_types::UtcTimestamp, _>(at),
            Bind::Text(text) => statement.bind::<diesel::sql_types::Text, _>(text),
        };
    }
    let rows: Vec<StatsRow> = statement.load(conn)?;

    let mut stats = SigningLogStats {
        tenant_id,
        since,
        until,
        bucket,
        total: 0,
        successes: 0,
        failures: 0,
        over_time: (0..buckets)
            .map(|i| SigningLogBucket {
                start: UtcTime::new(first + bucket.width() * i as i32),
                successes: 0,
                failures: 0,
            })
            .collect(),
        failures_by_error_code: ErrorCodeRanking::default(),
        by_country: CountryRanking::default(),
        by_application: ApplicationRanking::default(),
    };
    let corrupt = |row: &StatsRow| {
        CoreError::CorruptData(format!("sign-in {} {:?}", row.dimension, row.bucket))
    };
    for row in &rows {
        let label = row.bucket.clone().ok_or_else(|| corrupt(row))?;
        match row.dimension.as_str() {
            "time" => {
                let start = parse_bucket_key(&label, bucket).ok_or_else(|| corrupt(row))?;
                let index = (start - first).num_seconds() / bucket.width().num_seconds();
                let slot = usize::try_from(index)
                    .ok()
                    .and_then(|i| stats.over_time.get_mut(i))
                    .ok_or_else(|| corrupt(row))?;
                slot.failures += row.failures;
                slot.successes += row.n - row.failures;
                stats.total += row.n;
                stats.failures += row.failures;
            }
            "error_code" => stats.failures_by_error_code.top.push(ErrorCodeCount {
                error_code: label.parse().map_err(|_| corrupt(row))?,
                count: row.n,
            }),
            "country" => stats.by_country.top.push(CountryCount {
                country: label,
                count: row.n,
            }),
            "application" => stats.by_application.top.push(ApplicationCount {
                application: label,
                count: row.n,
            }),
            _ => return Err(corrupt(row)),
        }
    }
    stats.successes = stats.total - stats.failures;
    // UNION ALL keeps no order across its parts: sort each ranking again.
    let order = |a: &i64, b: &i64| b.cmp(a);
    stats
        .failures_by_error_code
        .top
        .sort_by(|a, b| order(&a.count, &b.count).then(a.error_code.cmp(&b.error_code)));
    stats
        .by_country
        .top
        .sort_by(|a, b| order(&a.count, &b.count).then(a.country.cmp(&b.country)));
    stats
        .by_application
        .top
        .sort_by(|a, b| order(&a.count, &b.count).then(a.application.cmp(&b.application)));
    stats.failures_by_error_code.other = stats.failures
        - stats
            .failures_by_error_code
            .top
            .iter()
            .map(|c| c.count)
            .sum::<i64>();
    stats.by_country.other =
        stats.total - stats.by_country.top.iter().map(|c| c.count).sum::<i64>();
    stats.by_application.other = stats.total
        - stats
            .by_application
            .top
            .iter()
            .map(|c| c.count)
            .sum::<i64>();
    Ok(stats)
}

/// The start of the bucket a key (`2026-11-29` or `2026-11-29T08`) names.
fn parse_bucket_key(key: &str, bucket: SummaryBucket) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = match bucket {
        SummaryBucket::Day => format!("{key}T00:00:00"),
        SummaryBucket::Hour => format!("{key}:00:00"),
    };
    chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|naive| naive.and_utc())
}
