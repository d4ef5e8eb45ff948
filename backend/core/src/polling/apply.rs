//! Applying observed resources to the stored state.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use crate::db::schema::{configurations, poll_state};
use crate::db::DbConnection;
use crate::drift::{evaluate, Evaluation, Observation, StoredState};
use crate::error::CoreResult;
use crate::history::{self, NewHistoryEntry};
use crate::settings::{self, DriftThresholds};
use crate::types::{ChangeType, Source};
use crate::{Json, UtcTime};

/// Who made changes, when no audit record names anyone.
const UNKNOWN_ACTOR: &str = "unknown";

/// A resource as a collector returns it.
#[derive(Debug, Clone)]
pub struct ObservedResource {
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    /// The resource as the service returned it.
    pub config_data: serde_json::Value,
}

/// One poll of one (tenant, source) in progress.
#[derive(Debug)]
pub struct PollRun {
    pub tenant_id: i64,
    pub source: Source,
    /// True until the first complete listing is stored: pages then write no history.
    pub baseline: bool,
    pub thresholds: DriftThresholds,
    /// Every resource id seen so far in this poll.
    pub seen: HashSet<String>,
    /// When this (tenant, source) last polled successfully: the audit window starts there.
    pub last_success_at: Option<UtcTime>,
    /// Who changed what in the audit window: resource id in lower case → when the newest
    /// audit record was written and its UPN or app name. Changes of resources not in it are
    /// recorded as made by `unknown`.
    pub actors: HashMap<String, (UtcTime, String)>,
    /// Resource types (lower case) whose listing the service would not give this poll (Graph
    /// beta answering 403 or 404 for settings-catalog policies): the listing of those types is
    /// not complete, so [`finish_listing`] deletes none of their stored resources.
    pub unlisted_types: HashSet<String>,
    /// Rows this poll inserted since PostgreSQL last refreshed the table's statistics.
    inserted_since_analyze: usize,
}

/// After this many new configurations PostgreSQL's statistics are refreshed (`ANALYZE`).
/// A new tenant's first poll inserts its whole estate into a table the planner still thinks
/// empty (`reltuples` -1 until autovacuum gets to it, up to a minute later): it then looked up
/// each page's ids by scanning every stored row of the tenant, which made a 100 000-resource
/// first poll and an immediate re-poll quadratic (re-poll 95.6 s; 5.3 s once analysed).
const ANALYZE_EVERY: usize = 10_000;

impl PollRun {
    fn actor(&self, resource_id: &str) -> String {
        self.actors
            .get(&resource_id.to_lowercase())
            .map(|(_, who)| who.clone())
            .unwrap_or_else(|| UNKNOWN_ACTOR.to_owned())
    }
}

/// What a page (or a listing's close) wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOutcome {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    /// Resources stored without history: the baseline and volatile-only changes.
    pub stored_only: usize,
    pub unchanged: usize,
}

impl PageOutcome {
    pub fn add(&mut self, other: PageOutcome) {
        self.created += other.created;
        self.updated += other.updated;
        self.deleted += other.deleted;
        self.stored_only += other.stored_only;
        self.unchanged += other.unchanged;
    }

    /// The history rows written.
    pub fn changes(&self) -> usize {
        self.created + self.updated + self.deleted
    }
}

/// Starts a poll: reads whether the baseline exists and the tenant's drift thresholds.
pub fn begin(conn: &mut DbConnection, tenant_id: i64, source: Source) -> CoreResult<PollRun> {
    let state: Option<(Option<UtcTime>, Option<UtcTime>)> = poll_state::table
        .filter(poll_state::tenant_id.eq(tenant_id))
        .filter(poll_state::source.eq(source.as_str()))
        .select((poll_state::baseline_at, poll_state::last_success_at))
        .first(conn)
        .optional()?;
    let (baseline_at, last_success_at) = state.unwrap_or((None, None));
    let thresholds = settings::current(conn, tenant_id)?.drift_thresholds;
    Ok(PollRun {
        tenant_id,
        source,
        baseline: baseline_at.is_none(),
        thresholds,
        seen: HashSet::new(),
        last_success_at,
        actors: HashMap::new(),
        unlisted_types: HashSet::new(),
        inserted_since_analyze: 0,
    })
}

type StoredRow = (i64, String, Json, String, Option<UtcTime>);

fn load_stored(
    conn: &mut DbConnection,
    run: &PollRun,
    ids: &[&str],
) -> CoreResult<HashMap<String, StoredRow>> {
    let mut found = HashMap::with_capacity(ids.len());
    // Bounded IN lists: SQLite limits bound parameters.
    for chunk in ids.chunks(500) {
        let rows: Vec<StoredRow> = configurations::table
            .filter(configurations::tenant_id.eq(run.tenant_id))
            .filter(configurations::source.eq(run.source))
            .filter(configurations::resource_id.eq_any(chunk))
            .select((
                configurations::id,
                configurations::resource_id,
                configurations::config_data,
                configurations::content_hash,
                configurations::deleted_at,
            ))
            .load(conn)?;
        for row in rows {
            found.insert(row.1.clone(), row);
        }
    }
    Ok(found)
}

/// Applies one page of a listing in one transaction: evaluates every resource against its
/// stored state and writes configurations and history. Applying the same page twice writes
/// nothing the second time.
pub fn apply_page(
    conn: &mut DbConnection,
    run: &mut PollRun,
    page: &[ObservedResource],
    now: UtcTime,
) -> CoreResult<PageOutcome> {
    let (outcome, inserted) = conn.write_transaction(|conn| apply_page_in(conn, run, page, now))?;
    for resource in page {
        run.seen.insert(resource.resource_id.clone());
    }
    run.inserted_since_analyze += inserted;
    if run.inserted_since_analyze >= ANALYZE_EVERY {
        if let DbConnection::Postgresql(pg) = conn {
            diesel::sql_query("ANALYZE configurations").execute(pg)?;
        }
        run.inserted_since_analyze = 0;
    }
    Ok(outcome)
}

/// Returns what the page wrote and how many configurations it inserted.
fn apply_page_in(
    conn: &mut DbConnection,
    run: &PollRun,
    page: &[ObservedResource],
    now: UtcTime,
) -> CoreResult<(PageOutcome, usize)> {
    let mut inserted = 0;
    let ids: Vec<&str> = page.iter().map(|r| r.resource_id.as_str()).collect();
    let stored = load_stored(conn, run, &ids)?;
    let mut outcome = PageOutcome::default();
    // A listing can repeat an item across pages; apply each id once per page.
    let mut in_page = HashSet::new();
    for resource in page {
        if !in_page.insert(resource.resource_id.as_str()) {
            continue;
        }
        let row = stored.get(&resource.resource_id);
        let evaluation = evaluate(
            &Observation {
                source: run.source,
                resource_type: &resource.resource_type,
                stored: row.map(|(_, _, data, hash, deleted_at)| StoredState {
                    content_hash: hash,
                    config_data: &data.0,
                    deleted: deleted_at.is_some(),
                }),
                observed: Some(&resource.config_data),
            },
            &run.thresholds,
        );
        let (hash, change) = match evaluation {
            Evaluation::Nothing => {
                outcome.unchanged += 1;
                continue;
            }
            Evaluation::StoreOnly { content_hash } => (content_hash, None),
            Evaluation::Record(change) => (
                change
                    .content_hash
                    .clone()
                    .expect("a present resource has a hash"),
                Some(change),
            ),
        };
        let id = match row {
            Some((id, ..)) => {
                diesel::update(configurations::table.find(*id))
                    .set((
                        configurations::resource_type.eq(&resource.resource_type),
                        configurations::resource_name.eq(&resource.resource_name),
                        configurations::config_data.eq(Json(resource.config_data.clone())),
                        configurations::content_hash.eq(&hash),
                        configurations::last_updated.eq(now),
                        configurations::deleted_at.eq(None::<UtcTime>),
                    ))
                    .execute(conn)?;
                *id
            }
            None => {
                inserted += 1;
                diesel::insert_into(configurations::table)
                    .values((
                        configurations::tenant_id.eq(run.tenant_id),
                        configurations::source.eq(run.source),
                        configurations::resource_type.eq(&resource.resource_type),
                        configurations::resource_id.eq(&resource.resource_id),
                        configurations::resource_name.eq(&resource.resource_name),
                        configurations::config_data.eq(Json(resource.config_data.clone())),
                        configurations::last_updated.eq(now),
                        configurations::content_hash.eq(&hash),
                    ))
                    .returning(configurations::id)
                    .get_result(conn)?
            }
        };
        match change {
            Some(change) if !run.baseline => {
                let previous = match change.change_type {
                    ChangeType::Created => None,
                    _ => row.map(|(_, _, data, ..)| data.clone()),
                };
                match change.change_type {
                    ChangeType::Created => outcome.created += 1,
                    _ => outcome.updated += 1,
                }
                history::record(
                    conn,
                    run.tenant_id,
                    &NewHistoryEntry {
                        configuration_id: id,
                        previous_config: previous,
                        new_config: Some(Json(resource.config_data.clone())),
                        changed_at: now,
                        change_type: change.change_type,
                        changed_by: run.actor(&resource.resource_id),
                        changed_paths: change.changed_paths,
                        severity: Some(change.severity),
                    },
                )?;
            }
            _ => outcome.stored_only += 1,
        }
    }
    Ok((outcome, inserted))
}

/// Closes a **complete** listing in one transaction: every live resource the poll did not see
/// is deleted (with history once the baseline exists), and the first complete listing becomes
/// the baseline. Never call it after a listing that failed part-way.
pub fn finish_listing(
    conn: &mut DbConnection,
    run: &mut PollRun,
    now: UtcTime,
) -> CoreResult<PageOutcome> {
    let outcome = conn.write_transaction(|conn| {
        // Ids first: only the documents of the missing resources are read.
        let live: Vec<(i64, String, String)> = configurations::table
            .filter(configurations::tenant_id.eq(run.tenant_id))
            .filter(configurations::source.eq(run.source))
            .filter(configurations::deleted_at.is_null())
            .select((
                configurations::id,
                configurations::resource_id,
                configurations::resource_type,
            ))
            .load(conn)?;
        let missing: Vec<(i64, String)> = live
            .into_iter()
            .filter(|(_, resource_id, resource_type)| {
                !run.seen.contains(resource_id)
                    && !run.unlisted_types.contains(&resource_type.to_lowercase())
            })
            .map(|(id, resource_id, _)| (id, resource_id))
            .collect();
        let mut outcome = PageOutcome::default();
        for (id, resource_id) in missing {
            let (resource_type, data): (String, Json) = configurations::table
                .find(id)
                .select((configurations::resource_type, configurations::config_data))
                .first(conn)?;
            let evaluation = evaluate(
                &Observation {
                    source: run.source,
                    resource_type: &resource_type,
                    stored: Some(StoredState {
                        content_hash: "",
                        config_data: &data.0,
                        deleted: false,
                    }),
                    observed: None,
                },
                &run.thresholds,
            );
            diesel::update(configurations::table.find(id))
                .set(configurations::deleted_at.eq(Some(now)))
                .execute(conn)?;
            match evaluation {
                Evaluation::Record(change) if !run.baseline => {
                    outcome.deleted += 1;
                    history::record(
                        conn,
                        run.tenant_id,
                        &NewHistoryEntry {
                            configuration_id: id,
                            previous_config: Some(data),
                            new_config: None,
                            changed_at: now,
                            change_type: ChangeType::Deleted,
                            changed_by: run.actor(&resource_id),
                            changed_paths: change.changed_paths,
                            severity: Some(change.severity),
                        },
                    )?;
                }
                _ => outcome.stored_only += 1,
            }
        }
        if run.baseline {
            diesel::update(
                poll_state::table
                    .filter(poll_state::tenant_id.eq(run.tenant_id))
                    .filter(poll_state::source.eq(run.source.as_str())),
            )
            .set(poll_state::baseline_at.eq(Some(now)))
            .execute(conn)?;
        }
        Ok::<_, crate::CoreError>(outcome)
    })?;
    run.baseline = false;
    Ok(outcome)
}

/// Fills `changed_by` of this poll's source's recent changes still recorded as `unknown` (their
/// audit record had not arrived when they were recorded) from the poll's audit index: a record
/// written no later than the change was observed, and no earlier than `window` before it.
/// Returns how many were settled.
pub fn settle_unknown_actors(
    conn: &mut DbConnection,
    run: &PollRun,
    window: chrono::Duration,
    now: UtcTime,
) -> CoreResult<usize> {
    use crate::db::schema::configuration_history as history_table;
    if run.actors.is_empty() {
        return Ok(0);
    }
    let since = UtcTime::new(now.get() - window);
    let pending: Vec<(i64, String, UtcTime)> = history_table::table
        .inner_join(configurations::table)
        .filter(history_table::tenant_id.eq(run.tenant_id))
        .filter(configurations::source.eq(run.source))
        .filter(history_table::changed_by.eq(UNKNOWN_ACTOR))
        .filter(history_table::changed_at.ge(since))
        .select((
            history_table::id,
            configurations::resource_id,
            history_table::changed_at,
        ))
        .load(conn)?;
    let mut settled = 0;
    for (id, resource_id, changed_at) in pending {
        let Some((at, who)) = run.actors.get(&resource_id.to_lowercase()) else {
            continue;
        };
        if *at > changed_at || at.get() < changed_at.get() - window {
            continue;
        }
        settled += diesel::update(history_table::table.find(id))
            .filter(history_table::changed_by.eq(UNKNOWN_ACTOR))
            .set(history_table::changed_by.eq(who))
            .execute(conn)?;
    }
    Ok(settled)
}
