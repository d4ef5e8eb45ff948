//! Draining the notification outbox (`drift_core::outbox`): claim a tenant's pending changes
//! with a lease, send each channel the qualifying changes it has not accepted yet, and mark a
//! change notified once every channel that should get it did. A channel that fails keeps its
//! changes pending for the next run, without resending them to the channels that accepted them.

use chrono::TimeDelta;
use drift_core::db::DbPool;
use drift_core::history::HistorySummary;
use drift_core::notifications::DeliveryStatus;
use drift_core::settings::schema::NotificationSettings;
use drift_core::types::Severity;
use drift_core::{outbox, CoreError, UtcTime};

use crate::{ChangeNotice, Notifier, TenantRef};

/// The most changes one run claims.
pub const BATCH: i64 = 500;
/// A change still pending after this long is given up (marked notified, with a warning): a
/// channel that has refused it for a day will not take it later, and the log says so.
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::hours(24);

/// What one drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Changes claimed.
    pub claimed: usize,
    /// Changes that left the outbox: every channel accepted them (or none should get them).
    pub notified: usize,
    /// Changes given back for a later run: a channel has not accepted them yet.
    pub pending: usize,
    /// Changes given up after [`GIVE_UP_AFTER`].
    pub given_up: usize,
}

impl From<HistorySummary> for ChangeNotice {
    fn from(c: HistorySummary) -> Self {
        ChangeNotice {
            history_id: c.id,
            configuration_id: c.configuration_id,
            source: c.source,
            resource_type: c.resource_type,
            resource_name: c.resource_name,
            resource_id: c.resource_id,
            change_type: c.change_type,
            severity: c.severity.unwrap_or(Severity::Info),
            changed_by: c.changed_by,
            changed_at: c.changed_at,
            changed_paths: serde_json::from_value(c.changed_paths.0).unwrap_or_default(),
        }
    }
}

async fn blocking<T: Send + 'static>(
    pool: &DbPool,
    work: impl FnOnce(&mut drift_core::db::DbConnection) -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CoreError> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(|e| CoreError::Internal(format!("outbox task: {e}")))?
}

/// Sends the tenant's pending changes (one batch of at most [`BATCH`]), claimed for `owner`
/// for `lease` (which must outlast the sending, retries included).
pub async fn drain(
    notifier: &Notifier,
    pool: &DbPool,
    tenant_id: i64,
    owner: &str,
    lease: TimeDelta,
) -> Result<DrainReport, CoreError> {
    let now = (notifier.clock)();
    let until = UtcTime::new(now.get() + lease);
    let claimant = owner.to_owned();
    let claimed = blocking(pool, move |conn| {
        let ids = outbox::claim(conn, tenant_id, &claimant, now, until, BATCH)?;
        if ids.is_empty() {
            return Ok(None);
        }
        let tenant = drift_core::tenants::get(conn, tenant_id)?;
        let settings = drift_core::settings::current(conn, tenant_id)?.notification_settings;
        let changes = outbox::changes(conn, tenant_id, &ids)?;
        let oldest = changes.iter().map(|c| c.changed_at).min().unwrap_or(now);
        // Deliveries are made after the change was recorded; an hour of slack covers clocks.
        let since = UtcTime::new(oldest.get() - TimeDelta::hours(1));
        let delivered = outbox::delivered(conn, tenant_id, since)?;
        Ok(Some((ids, tenant, settings, changes, delivered)))
    })
    .await?;
    let Some((ids, tenant, settings, changes, mut delivered)) = claimed else {
        return Ok(DrainReport::default());
    };
    let tenant = TenantRef {
        id: tenant.id,
        name: tenant.name,
    };
    let notices: Vec<ChangeNotice> = changes.into_iter().map(ChangeNotice::from).collect();
    let enabled: Vec<_> = settings.channels.iter().filter(|c| c.enabled).collect();
    for channel in &enabled {
        let min = channel.min_severity.unwrap_or(settings.min_severity);
        let todo: Vec<ChangeNotice> = notices
            .iter()
            .filter(|n| n.severity >= min)
            .filter(|n| !delivered.contains(&(channel.name.clone(), n.history_id)))
            .cloned()
            .collect();
        if todo.is_empty() {
            continue;
        }
        let one = NotificationSettings {
            channels: vec![(*channel).clone()],
            ..settings.clone()
        };
        let report = notifier.notify(pool, &tenant, &one, &todo).await;
        for outcome in report.outcomes {
            if outcome.status == DeliveryStatus::Delivered {
                for id in outcome.history_ids {
                    delivered.insert((channel.name.clone(), id));
                }
            }
        }
    }
    let mut done = Vec::new();
    let mut retry = Vec::new();
    let mut given_up = 0;
    for notice in &notices {
        let complete = enabled.iter().all(|channel| {
            notice.severity < channel.min_severity.unwrap_or(settings.min_severity)
                || delivered.contains(&(channel.name.clone(), notice.history_id))
        });
        if complete {
            done.push(notice.history_id);
        } else if now.get() - notice.changed_at.get() > GIVE_UP_AFTER {
            log::warn!(
                "tenant {tenant_id}: change {} given up: a channel refused it for {} hours",
                notice.history_id,
                GIVE_UP_AFTER.num_hours()
            );
            given_up += 1;
            done.push(notice.history_id);
        } else {
            retry.push(notice.history_id);
        }
    }
    let report = DrainReport {
        claimed: ids.len(),
        notified: done.len() - given_up,
        pending: retry.len(),
        given_up,
    };
    let owner = owner.to_owned();
    let finished = (notifier.clock)();
    blocking(pool, move |conn| {
        outbox::mark_notified(conn, &done, &owner, finished)?;
        outbox::release(conn, &retry, &owner)?;
        Ok(())
    })
    .await?;
    Ok(report)
}
