//! Configurations: the current state of every polled resource. Clients read and delete them;
//! the worker writes them.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::configurations;
use crate::db::{fold, like_pattern, DbConnection};
use crate::error::{conflict_on_unique, CoreError, CoreResult};
use crate::pagination::{sort_key_text, Page, PageRequest, Sort};
use crate::types::{ChangeType, Severity, Source};
use crate::{keyset, sort_orders, Json, UtcTime};

/// A polled resource and its current state.
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, Deserialize, ToSchema)]
pub struct Configuration {
    pub id: i64,
    pub tenant_id: i64,
    pub source: Source,
    /// The Graph `@odata.type` (without `#`) or the ARM resource type.
    #[schema(example = "microsoft.graph.conditionalAccessPolicy")]
    pub resource_type: String,
    /// The Graph object id or the ARM resource id.
    pub resource_id: String,
    pub resource_name: String,
    /// The resource as the service returned it.
    pub config_data: Json,
    pub last_updated: UtcTime,
    /// Hash of the canonical form of `config_data` (volatile fields and ignored paths removed).
    pub content_hash: String,
    /// When the resource disappeared from a complete listing; null while it exists.
    pub deleted_at: Option<UtcTime>,
    /// When its newest recorded change happened; null while it has no history (it is as the
    /// baseline found it).
    pub last_change_at: Option<UtcTime>,
    /// What its newest recorded change was.
    pub last_change_type: Option<ChangeType>,
    /// How its newest recorded change was rated against the tenant's drift thresholds.
    pub last_change_severity: Option<Severity>,
}

/// A configuration without its document, as lists return it.
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, Deserialize, ToSchema)]
pub struct ConfigurationSummary {
    pub id: i64,
    pub tenant_id: i64,
    pub source: Source,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_name: String,
    pub last_updated: UtcTime,
    pub content_hash: String,
    pub deleted_at: Option<UtcTime>,
    /// When its newest recorded change happened; null while it has no history.
    pub last_change_at: Option<UtcTime>,
    pub last_change_type: Option<ChangeType>,
    pub last_change_severity: Option<Severity>,
}

type SummaryColumns = (
    configurations::id,
    configurations::tenant_id,
    configurations::source,
    configurations::resource_type,
    configurations::resource_id,
    configurations::resource_name,
    configurations::last_updated,
    configurations::content_hash,
    configurations::deleted_at,
    configurations::last_change_at,
    configurations::last_change_type,
    configurations::last_change_severity,
);

const SUMMARY_COLUMNS: SummaryColumns = (
    configurations::id,
    configurations::tenant_id,
    configurations::source,
    configurations::resource_type,
    configurations::resource_id,
    configurations::resource_name,
    configurations::last_updated,
    configurations::content_hash,
    configurations::deleted_at,
    configurations::last_change_at,
    configurations::last_change_type,
    configurations::last_change_severity,
);

/// A resource as observed by a poll, to be stored.
#[derive(Debug, Clone)]
pub struct ObservedConfiguration {
    pub tenant_id: i64,
    pub source: Source,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_name: String,
    pub config_data: Json,
    pub content_hash: String,
}

/// Stores a newly observed resource (the worker's write path).
pub fn insert(
    conn: &mut DbConnection,
    observed: &ObservedConfiguration,
    now: UtcTime,
) -> CoreResult<Configuration> {
    diesel::insert_into(configurations::table)
        .values((
            configurations::tenant_id.eq(observed.tenant_id),
            configurations::source.eq(observed.source),
            configurations::resource_type.eq(&observed.resource_type),
            configurations::resource_id.eq(&observed.resource_id),
            configurations::resource_name.eq(&observed.resource_name),
            configurations::config_data.eq(&observed.config_data),
            configurations::last_updated.eq(now),
            configurations::content_hash.eq(&observed.content_hash),
        ))
        .returning(configurations::all_columns)
        .get_result(conn)
        .map_err(|e| {
            conflict_on_unique(
                e,
                "this resource is already stored for the tenant and source",
            )
        })
}

pub fn get(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<Configuration> {
    configurations::table
        .filter(configurations::tenant_id.eq(tenant_id))
        .filter(configurations::id.eq(id))
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::not_found("configuration", id))
}

/// Deletes a stored configuration and its history. The next poll stores the resource again
/// (as part of a new baseline) if it still exists.
pub fn delete(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<()> {
    let target = configurations::table
        .filter(configurations::tenant_id.eq(tenant_id))
        .filter(configurations::id.eq(id));
    if diesel::delete(target).execute(conn)? == 0 {
        return Err(CoreError::not_found("configuration", id));
    }
    Ok(())
}

sort_orders! {
    ConfigurationSortField {
        ResourceName => "resource_name",
        ResourceType => "resource_type",
        LastUpdated => "last_updated",
        LastChangeAt => "last_change_at",
        Id => "id",
    } default ResourceName false
}

/// Which configurations to list by existence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfigurationState {
    /// Resources that currently exist (the default).
    #[default]
    Present,
    /// Resources that were deleted in Azure.
    Deleted,
    /// Both.
    All,
}

/// Filters of the configuration list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigurationFilter {
    pub source: Option<Source>,
    /// Exact resource type (case-insensitive).
    pub resource_type: Option<String>,
    /// Text contained in the name or the resource id (case-insensitive).
    pub search: Option<String>,
    /// Present (default), deleted or all resources.
    pub state: Option<ConfigurationState>,
    /// Only resources whose stored state changed at or after this instant.
    pub updated_since: Option<UtcTime>,
    /// Only resources whose newest recorded change (`last_change_at`) is at or after this
    /// instant; resources without history never match.
    pub changed_since: Option<UtcTime>,
}

pub fn list(
    conn: &mut DbConnection,
    tenant_id: i64,
    filter: &ConfigurationFilter,
    sort: Sort<ConfigurationSortField>,
    page: &PageRequest,
) -> CoreResult<Page<ConfigurationSummary>> {
    let limit = page.limit()?;
    let sort_text = sort_key_text(sort.field.field(), sort.descending);
    let mut query = configurations::table
        .filter(configurations::tenant_id.eq(tenant_id))
        .select(SUMMARY_COLUMNS)
        .into_boxed();
    if let Some(source) = filter.source {
        query = query.filter(configurations::source.eq(source));
    }
    if let Some(resource_type) = filter.resource_type.as_deref() {
        query = query.filter(fold(configurations::resource_type).eq(resource_type.to_lowercase()));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = like_pattern(search);
        query = query.filter(
            fold(configurations::resource_name)
                .like(pattern.clone())
                .escape('\\')
                .or(fold(configurations::resource_id).like(pattern).escape('\\')),
        );
    }
    match filter.state.unwrap_or_default() {
        ConfigurationState::Present => query = query.filter(configurations::deleted_at.is_null()),
        ConfigurationState::Deleted => {
            query = query.filter(configurations::deleted_at.is_not_null())
        }
        ConfigurationState::All => {}
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(configurations::last_updated.ge(since));
    }
    if let Some(since) = filter.changed_since {
        query = query.filter(configurations::last_change_at.ge(since));
    }
    let query = match sort.field {
        ConfigurationSortField::ResourceName => keyset!(
            query,
            configurations::resource_name,
            configurations::id,
            sort.descending,
            page.after::<String>(&sort_text)?
        ),
        ConfigurationSortField::ResourceType => keyset!(
            query,
            configurations::resource_type,
            configurations::id,
            sort.descending,
            page.after::<String>(&sort_text)?
        ),
        ConfigurationSortField::LastUpdated => keyset!(
            query,
            configurations::last_updated,
            configurations::id,
            sort.descending,
            page.after::<UtcTime>(&sort_text)?
        ),
        ConfigurationSortField::LastChangeAt => {
            last_change_keyset(query, sort.descending, page.after(&sort_text)?)
        }
        ConfigurationSortField::Id => keyset!(
            query,
            configurations::id,
            configurations::id,
            sort.descending,
            page.after::<i64>(&sort_text)?
        ),
    };
    let rows: Vec<ConfigurationSummary> = query.limit(limit + 1).load(conn)?;
    Ok(Page::from_rows(rows, limit, &sort_text, |c| {
        match sort.field {
            ConfigurationSortField::ResourceName => (serde_json::json!(c.resource_name), c.id),
            ConfigurationSortField::ResourceType => (serde_json::json!(c.resource_type), c.id),
            ConfigurationSortField::LastUpdated => (serde_json::json!(c.last_updated), c.id),
            ConfigurationSortField::LastChangeAt => (serde_json::json!(c.last_change_at), c.id),
            ConfigurationSortField::Id => (serde_json::json!(c.id), c.id),
        }
    }))
}

type BoxedSummaries<'a, ST> =
    configurations::BoxedQuery<'a, crate::db::connection::MultiBackend, ST>;

/// Keyset order on the nullable `last_change_at`: resources never changed (null) come after the
/// changed ones in both directions, ordered by id among themselves. The two backends sort nulls
/// differently (PostgreSQL last when ascending, SQLite first), so the order is spelled out with
/// `last_change_at IS NULL` as the leading key rather than left to either.
fn last_change_keyset<ST: 'static>(
    query: BoxedSummaries<'_, ST>,
    descending: bool,
    after: Option<(Option<UtcTime>, i64)>,
) -> BoxedSummaries<'_, ST> {
    let column = configurations::last_change_at;
    let id = configurations::id;
    let query = if descending {
        query.order((column.is_null().asc(), column.desc(), id.desc()))
    } else {
        query.order((column.is_null().asc(), column.asc(), id.asc()))
    };
    match after {
        None => query,
        // The cursor is inside the null group: only nulls follow, by id.
        Some((None, last_id)) if descending => query.filter(column.is_null().and(id.lt(last_id))),
        Some((None, last_id)) => query.filter(column.is_null().and(id.gt(last_id))),
        Some((Some(key), last_id)) if descending => query.filter(
            column.is_null().or(column
                .is_not_null()
                .and(column.lt(key).or(column.eq(key).and(id.lt(last_id))))),
        ),
        Some((Some(key), last_id)) => query.filter(
            column.is_null().or(column
                .is_not_null()
                .and(column.gt(key).or(column.eq(key).and(id.gt(last_id))))),
        ),
    }
}
