//! Running one claimed job: a configuration source or the sign-in logs of one tenant.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{Duration, Utc};
use rand::Rng;
use serde_json::Value;

use drift_core::db::{DbConnection, DbPool};
use drift_core::polling::{self, Claim, PageOutcome, PollRun, PollSource};
use drift_core::settings::{self, PollingSettings};
use drift_core::signins::NewSigningLog;
use drift_core::{CoreError, Json, UtcTime};

use crate::attribution;
use crate::azure::{AzureClient, AzureError, Resource};
use crate::collectors::{self, Pager};

/// How far before the watermark each sign-in poll starts again: events arrive up to about
/// 30 minutes late.
const SIGNIN_OVERLAP: Duration = Duration::minutes(30);
/// What the first sign-in poll asks for: Entra keeps at most 30 days.
const SIGNIN_BACKFILL: Duration = Duration::days(30);
/// Graph's answer to a sign-in log request from a tenant without Entra ID P1/P2 (azure-facts,
/// "Sign-in logs"): a state of the tenant to show, not a failure to retry every few minutes.
const NO_PREMIUM_LICENCE: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";
/// How long an unlicensed tenant's sign-in job waits before asking again (a licence bought
/// meanwhile is noticed within a day, or at once with a poll-now request).
const UNLICENSED_RETRY: Duration = Duration::hours(24);

/// The `last_error` of an unlicensed tenant's sign-in job.
pub fn unlicensed_signins_message() -> String {
    format!("Sign-in logs need an Entra ID P1 or P2 licence (Graph: {NO_PREMIUM_LICENCE})")
}

/// Whether a sign-in poll failed because the tenant has no P1/P2 licence.
fn unlicensed(error: &PollError) -> bool {
    matches!(
        error,
        PollError::Azure(AzureError::Service { status: 403, code, .. }) if code == NO_PREMIUM_LICENCE
    )
}

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Azure(#[from] AzureError),
    #[error("database: {}", chain(.0))]
    Database(#[from] CoreError),
    #[error("the database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("interrupted: the worker is stopping")]
    Interrupted,
    #[error("the lease was lost to another worker")]
    LeaseLost,
}

/// An error with its sources, for the one-line reason.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// What a job did.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobReport {
    pub outcome: PageOutcome,
    pub signins: usize,
    pub skipped: bool,
    /// Sign-ins only: the tenant has no Entra ID P1/P2 licence, so there are none to read.
    /// Recorded as the job's `last_error` and retried after [`UNLICENSED_RETRY`].
    pub unlicensed: bool,
}

/// The shared pieces a job needs.
#[derive(Clone)]
pub struct Context {
    pub pool: DbPool,
    pub client: AzureClient,
    pub owner: String,
    pub stopping: Arc<AtomicBool>,
    /// How long a claim holds a job without being renewed (each page renews it).
    pub lease: Duration,
    /// SQLite has one writer: its database work is done one piece at a time (a deferred
    /// transaction that must upgrade to a write lock fails at once with "database is locked").
    pub serial: Option<Arc<std::sync::Mutex<()>>>,
    /// Sends the changes a poll recorded to the tenant's notification channels.
    pub notifier: Arc<drift_notify::Notifier>,
}

impl Context {
    /// How long a claim of pending notifications lasts: long enough for every channel's
    /// retries (a stuck worker's claim still expires and another worker sends them).
    pub fn notify_lease(&self) -> Duration {
        Duration::minutes(15)
    }

    async fn db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, PollError> + Send + 'static,
    ) -> Result<T, PollError> {
        self.run_db(work).await
    }

    /// Runs database work off the async threads (one piece at a time on SQLite).
    pub async fn run_db<T: Send + 'static, E: From<r2d2::Error> + Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let pool = self.pool.clone();
        let serial = self.serial.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = serial
                .as_ref()
                .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()));
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .expect("database work does not panic")
    }
}

/// The next run: the interval plus up to `jitter_percent` of it.
fn next_run(settings: &PollingSettings, source: PollSource, now: UtcTime, failed: bool) -> UtcTime {
    let mut every = settings.intervals.every(source);
    if failed {
        every = every.min(Duration::minutes(5));
    }
    let jitter = f64::from(settings.jitter_percent) / 100.0;
    let spread = rand::thread_rng().gen_range(0.0..=jitter);
    let millis = every.num_milliseconds() as f64 * (1.0 + spread);
    UtcTime::new(now.get() + Duration::milliseconds(millis as i64))
}

/// Runs a claimed job to the end and records its outcome in `poll_state`.
pub async fn run_job(ctx: &Context, claim: &Claim) -> Result<JobReport, PollError> {
    let tenant_id = claim.tenant_id;
    // The start and end of the work done under the lease (tests check that no two workers
    // ever poll the same job at once from these lines).
    log::debug!(
        "tenant {tenant_id} {}: poll started by {}",
        claim.source.as_str(),
        ctx.owner
    );
    let polling = ctx
        .db(move |conn| Ok(settings::current(conn, tenant_id)?.polling_settings))
        .await?;
    let enabled = polling.enabled && !polling.disabled_sources.contains(&claim.source);
    let result = if enabled {
        match claim.source.configuration_source() {
            Some(_) => poll_configurations(ctx, claim).await,
            None => poll_signins(ctx, claim, &polling).await,
        }
    } else {
        Ok(JobReport {
            skipped: true,
            ..JobReport::default()
        })
    };
    log::debug!(
        "tenant {tenant_id} {}: poll ended by {}",
        claim.source.as_str(),
        ctx.owner
    );
    let now = UtcTime::now();
    let (claim2, owner) = (claim.clone(), ctx.owner.clone());
    if let Err(e) = &result {
        if claim.source == PollSource::Signins && unlicensed(e) {
            // Not a crash and not a transient failure: show it, wait long, keep the rest going.
            let next = UtcTime::new(now.get() + UNLICENSED_RETRY);
            let message = unlicensed_signins_message();
            ctx.db(move |conn| {
                Ok(polling::record_failure(
                    conn, &claim2, &owner, &message, now, next,
                )?)
            })
            .await?;
            log::warn!(
                "tenant {}: {}; next try in {} h",
                claim.tenant_id,
                unlicensed_signins_message(),
                UNLICENSED_RETRY.num_hours()
            );
            return Ok(JobReport {
                unlicensed: true,
                ..JobReport::default()
            });
        }
    }
    match &result {
        Ok(report) if report.skipped => {
            let next = next_run(&polling, claim.source, now, false);
            ctx.db(move |conn| Ok(polling::reschedule(conn, &claim2, &owner, next)?))
                .await?;
        }
        Ok(_) => {
            let next = next_run(&polling, claim.source, now, false);
            ctx.db(move |conn| Ok(polling::record_success(conn, &claim2, &owner, now, next)?))
                .await?;
        }
        Err(PollError::LeaseLost) => {}
        Err(e) => {
            // A stopping worker hands the job back at once; a failure waits a little.
            let next = if matches!(e, PollError::Interrupted) {
                now
            } else {
                next_run(&polling, claim.source, now, true)
            };
            let message = e.to_string();
            ctx.db(move |conn| {
                Ok(polling::record_failure(
                    conn, &claim2, &owner, &message, now, next,
                )?)
            })
            .await?;
        }
    }
    result
}

async fn renew(ctx: &Context, claim: &Claim) -> Result<(), PollError> {
    let (claim, owner, lease) = (claim.clone(), ctx.owner.clone(), ctx.lease);
    let held = ctx
        .db(move |conn| {
            Ok(polling::renew_lease(
                conn,
                &claim,
                &owner,
                UtcTime::now(),
                lease,
            )?)
        })
        .await?;
    if held {
        Ok(())
    } else {
        Err(PollError::LeaseLost)
    }
}

async fn poll_configurations(ctx: &Context, claim: &Claim) -> Result<JobReport, PollError> {
    let source = claim
        .source
        .configuration_source()
        .expect("a configuration source");
    let listings = match claim.source {
        PollSource::Entra => collectors::ENTRA,
        PollSource::Intune => collectors::INTUNE,
        _ => collectors::ARM,
    };
    let tenant_id = claim.tenant_id;
    let mut run: PollRun = ctx
        .db(move |conn| Ok(polling::begin(conn, tenant_id, source)?))
        .await?;
    if !run.baseline {
        // Attribution is best effort: without the audit trail changes are still recorded.
        let since = run.last_success_at.map(UtcTime::get);
        let tenant = claim.azure_tenant_id.as_str();
        match attribution::actors(
            &ctx.client,
            tenant,
            source,
            since,
            collectors::subscriptions(&ctx.client, tenant),
        )
        .await
        {
            Ok(actors) => run.actors = actors,
            Err(e) => log::warn!(
                "tenant {} {}: no attribution: {e}",
                claim.tenant_id,
                claim.source.as_str()
            ),
        }
    }
    let mut report = JobReport::default();
    for listing in listings {
        let mut pager = Pager::new(&ctx.client, &claim.azure_tenant_id, *listing);
        loop {
            let page = match pager.next_page().await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(AzureError::Service { status, code, .. })
                    if matches!(status, 403 | 404) && listing.optional().is_some() =>
                {
                    // Graph beta refused (no licence or consent for it, or not served there):
                    // the poll completes without it and keeps what it stored before.
                    let resource_type = listing.optional().unwrap_or_default();
                    log::warn!(
                        "tenant {} {}: {resource_type} not listed (Graph beta answered {status} {code}); kept as last seen",
                        claim.tenant_id,
                        claim.source.as_str()
                    );
                    run.unlisted_types.insert(resource_type.to_lowercase());
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            // SIGTERM: finish the page in hand, then stop (nothing half-done is recorded).
            let now = UtcTime::now();
            let (outcome, back) = ctx
                .db(move |conn| {
                    let outcome = polling::apply_page(conn, &mut run, &page, now)?;
                    Ok((outcome, run))
                })
                .await?;
            run = back;
            report.outcome.add(outcome);
            if ctx.stopping.load(Ordering::SeqCst) {
                return Err(PollError::Interrupted);
            }
            renew(ctx, claim).await?;
        }
    }
    let now = UtcTime::now();
    let outcome = ctx
        .db(move |conn| {
            let outcome = polling::finish_listing(conn, &mut run, now)?;
            polling::settle_unknown_actors(conn, &run, attribution::LATE_RECORDS, now)?;
            let keep_days = settings::current(conn, tenant_id)?
                .polling_settings
                .retention
                .history_days;
            let before = UtcTime::new(now.get() - Duration::days(i64::from(keep_days)));
            polling::purge_history(conn, tenant_id, source, before)?;
            Ok(outcome)
        })
        .await?;
    report.outcome.add(outcome);
    if report.outcome.created + report.outcome.updated + report.outcome.deleted > 0 {
        notify_pending(ctx, claim.tenant_id).await;
    }
    Ok(report)
}

/// Sends the tenant's pending changes (the notification outbox) to its channels. Best effort:
/// what a channel did not accept stays pending for the next run (after the next poll of the
/// tenant, or when a worker starts), and never fails the poll, whose changes are stored.
pub async fn notify_pending(ctx: &Context, tenant_id: i64) {
    use drift_notify::outbox::{drain, BATCH};
    loop {
        let lease = ctx.notify_lease();
        match drain(&ctx.notifier, &ctx.pool, tenant_id, &ctx.owner, lease).await {
            Ok(report) => {
                if report.claimed > 0 {
                    log::info!("tenant {tenant_id}: notifications: {report:?}");
                }
                // A full batch that all went out: more may be waiting. (Changes given back are
                // not retried at once: their channel just failed.)
                if report.claimed < BATCH as usize || report.pending > 0 {
                    return;
                }
            }
            Err(e) => {
                log::warn!("tenant {tenant_id}: changes not notified yet: {e}");
                return;
            }
        }
    }
}

/// Maps a Graph sign-in event to a stored row (field mapping from issue 5).
pub fn signin_row(tenant_id: i64, event: Value, ingested_at: UtcTime) -> Option<NewSigningLog> {
    let log_id = event["id"].as_str()?.to_owned();
    let timestamp: chrono::DateTime<Utc> = event["createdDateTime"].as_str()?.parse().ok()?;
    let text = |field: &str| event[field].as_str().map(str::to_owned);
    let error_code = event["status"]["errorCode"].as_i64();
    let status = match error_code {
        Some(0) | None => "success".to_owned(),
        Some(code) => format!("failure:{code}"),
    };
    let country = event["location"]["countryOrRegion"]
        .as_str()
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    Some(NewSigningLog {
        tenant_id,
        log_id,
        timestamp: UtcTime::new(timestamp),
        actor: text("userPrincipalName"),
        action: text("appDisplayName"),
        resource: text("resourceDisplayName"),
        status,
        client_ip: text("ipAddress"),
        country,
        error_code: error_code.and_then(|code| i32::try_from(code).ok()),
        log_data: Json(event),
        ingested_at,
    })
}

async fn poll_signins(
    ctx: &Context,
    claim: &Claim,
    polling: &PollingSettings,
) -> Result<JobReport, PollError> {
    let tenant_id = claim.tenant_id;
    let watermark = ctx
        .db(move |conn| Ok(polling::signin_watermark(conn, tenant_id)?))
        .await?;
    let start = match watermark {
        Some(mark) => mark.get() - SIGNIN_OVERLAP,
        None => Utc::now() - SIGNIN_BACKFILL,
    };
    let mut url = url::Url::parse(&format!(
        "{}/v1.0/auditLogs/signIns",
        ctx.client.config().graph_url
    ))
    .expect("a valid Graph URL");
    url.query_pairs_mut()
        .append_pair(
            "$filter",
            // Dates in `$filter` are unquoted.
            &format!("createdDateTime ge {}", start.format("%Y-%m-%dT%H:%M:%SZ")),
        )
        .append_pair("$top", "1000");
    let mut next = Some(url.to_string());
    let mut newest: Option<UtcTime> = None;
    let mut report = JobReport::default();
    while let Some(page_url) = next.take() {
        let page = ctx
            .client
            .get(&claim.azure_tenant_id, Resource::Graph, &page_url)
            .await?;
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        let now = UtcTime::now();
        let rows: Vec<NewSigningLog> = page["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|event| signin_row(tenant_id, event.clone(), now))
            .collect();
        if let Some(max) = rows.iter().map(|r| r.timestamp).max() {
            newest = Some(newest.map_or(max, |n| n.max(max)));
        }
        report.signins += ctx
            .db(move |conn| Ok(drift_core::signins::insert_batch(conn, &rows)?))
            .await?;
        if ctx.stopping.load(Ordering::SeqCst) {
            return Err(PollError::Interrupted);
        }
        renew(ctx, claim).await?;
    }
    // Pages come newest first, so the watermark moves only after the whole listing.
    let before =
        UtcTime::new(Utc::now() - Duration::days(i64::from(polling.retention.signin_days)));
    ctx.db(move |conn| {
        if let Some(newest) = newest {
            polling::advance_signin_watermark(conn, tenant_id, newest)?;
        }
        polling::purge_signins(conn, tenant_id, before)?;
        Ok(())
    })
    .await?;
    Ok(report)
}
