//! `drift-worker`: polls Azure for every (tenant, source), records drift and ingests sign-ins.
//!
//! - `drift-worker` runs continuously: it claims due jobs through leases in the database and
//!   runs a few at a time; SIGTERM (or Ctrl-C) finishes the page in hand and exits.
//! - `drift-worker --once [--tenant ID] [--source S]` polls what is due (or, with a tenant or
//!   source named, those jobs whatever their schedule) once, then exits: 0 when every poll
//!   succeeded, otherwise 1 with one line per failure on standard error.

mod attribution;
mod azure;
mod collectors;
mod config;
mod poll;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use drift_core::db::{connect_and_migrate, Backend, DatabaseUrl, PoolOptions};
use drift_core::polling::{self, ClaimFilter, PollSource};
use drift_core::types::AzureTenantId;
use drift_core::{tenants, UtcTime};

use crate::azure::AzureClient;
use crate::config::AzureConfig;
use crate::poll::{run_job, Context};

const DEFAULT_DATABASE_URL: &str = "data/drift.db";

#[derive(Parser, Debug)]
#[command(
    name = "drift-worker",
    version,
    about = "Polls Azure, detects drift, ingests sign-ins"
)]
struct Cli {
    /// Poll once and exit (0 when every poll succeeded).
    #[arg(long)]
    once: bool,
    /// Only this tenant: its id or its Entra tenant id.
    #[arg(long, requires = "once")]
    tenant: Option<String>,
    /// Only this source.
    #[arg(long, requires = "once", value_parser = parse_source)]
    source: Option<PollSource>,
    /// Jobs polled at the same time.
    #[arg(long, env = "DRIFT_WORKER_CONCURRENCY", default_value_t = 4)]
    concurrency: usize,
    /// Seconds a claimed job stays leased without renewal (each page renews it); a crashed
    /// worker's jobs are taken over after this.
    #[arg(long, env = "DRIFT_WORKER_LEASE_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=3600))]
    lease_seconds: u32,
}

fn parse_source(text: &str) -> Result<PollSource, String> {
    PollSource::parse(text).ok_or_else(|| "expected entra, intune, arm or signins".into())
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .init();
    let cli = Cli::parse();
    let raw = std::env::var("DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let url = match DatabaseUrl::parse(&raw) {
        Ok(url) => url,
        Err(e) => {
            eprintln!("drift-worker: DATABASE_URL: {e}");
            return ExitCode::from(2);
        }
    };
    let azure = match AzureConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("drift-worker: {e}");
            return ExitCode::from(2);
        }
    };
    log::debug!("configuration: {azure:?}");
    let notifier = match (
        drift_notify::http_client(),
        drift_notify::SmtpSettings::from_env(),
    ) {
        (Ok(http), Ok(smtp)) => {
            drift_notify::Notifier::new(http, smtp, Arc::new(drift_core::UtcTime::now))
        }
        (Err(e), _) => {
            eprintln!("drift-worker: cannot build the notification client: {e}");
            return ExitCode::from(2);
        }
        (_, Err(e)) => {
            eprintln!("drift-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let options = PoolOptions {
        max_size: (cli.concurrency as u32).clamp(2, 16),
        ..PoolOptions::default()
    };
    let pool = match connect_and_migrate(&url, &options) {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("drift-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let ctx = Context {
        pool,
        client: AzureClient::new(azure, 16),
        owner: format!("{}-{}", std::process::id(), rand::random::<u32>()),
        stopping: Arc::new(AtomicBool::new(false)),
        lease: chrono::Duration::seconds(i64::from(cli.lease_seconds)),
        serial: (matches!(url.backend(), Backend::Sqlite))
            .then(|| Arc::new(std::sync::Mutex::new(()))),
        notifier: Arc::new(notifier),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the async runtime starts");
    runtime.block_on(async move {
        let stopping = ctx.stopping.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            log::info!("stopping: finishing the pages in hand");
            stopping.store(true, Ordering::SeqCst);
        });
        // Changes a previous run recorded but could not announce (a crash, a failing channel).
        drain_outbox(&ctx).await;
        if cli.once {
            once(&ctx, &cli).await
        } else {
            continuous(&ctx, cli.concurrency.max(1)).await;
            ExitCode::SUCCESS
        }
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM can be handled");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// An error of the worker's own bookkeeping, as text.
struct Text(String);

impl From<r2d2::Error> for Text {
    fn from(e: r2d2::Error) -> Self {
        Text(e.to_string())
    }
}

async fn db<T: Send + 'static>(
    ctx: &Context,
    work: impl FnOnce(&mut drift_core::db::DbConnection) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    ctx.run_db(move |conn| work(conn).map_err(Text))
        .await
        .map_err(|Text(e)| e)
}

fn describe(claim: &polling::Claim) -> String {
    format!(
        "tenant {} ({}) {}",
        claim.tenant_id,
        claim.azure_tenant_id,
        claim.source.as_str()
    )
}

async fn once(ctx: &Context, cli: &Cli) -> ExitCode {
    let tenant = cli.tenant.clone();
    let tenant_id = match tenant {
        None => None,
        Some(text) => {
            let found = db(ctx, move |conn| match text.parse::<i64>() {
                Ok(id) => tenants::get(conn, id)
                    .map(|t| t.id)
                    .map_err(|e| format!("tenant {text}: {e}")),
                Err(_) => {
                    let azure_id =
                        AzureTenantId::parse(&text).map_err(|e| format!("tenant {text}: {e}"))?;
                    tenants::find_by_azure_id(conn, &azure_id)
                        .map_err(|e| format!("tenant {text}: {e}"))?
                        .map(|t| t.id)
                        .ok_or_else(|| format!("tenant {text} is not registered"))
                }
            })
            .await;
            match found {
                Ok(id) => Some(id),
                Err(e) => {
                    eprintln!("drift-worker: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let started = UtcTime::now();
    // Named jobs run whatever their schedule; otherwise only what is due.
    let filter = ClaimFilter {
        tenant_id,
        source: cli.source,
        due_only: tenant_id.is_none() && cli.source.is_none(),
        not_after: None,
    };
    let jobs = match db(ctx, move |conn| {
        polling::ensure_poll_state(conn, started).map_err(|e| e.to_string())?;
        polling::jobs(conn, &filter, started).map_err(|e| e.to_string())
    })
    .await
    {
        Ok(jobs) => jobs,
        Err(e) => {
            eprintln!("drift-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failures = Vec::new();
    let mut set = tokio::task::JoinSet::new();
    let limit = cli.concurrency.max(1);
    let mut pending = jobs.into_iter();
    loop {
        while set.len() < limit {
            let Some((tenant_id, source)) = pending.next() else {
                break;
            };
            let ctx = ctx.clone();
            set.spawn(async move {
                let filter = ClaimFilter {
                    tenant_id: Some(tenant_id),
                    source: Some(source),
                    due_only: false,
                    not_after: None,
                };
                let (owner, lease) = (ctx.owner.clone(), ctx.lease);
                let claimed = db(&ctx, move |conn| {
                    polling::claim(conn, &owner, &filter, UtcTime::now(), lease)
                        .map_err(|e| e.to_string())
                })
                .await;
                match claimed {
                    Ok(Some(claim)) => match run_job(&ctx, &claim).await {
                        Ok(report) => {
                            log::info!("{}: {:?}", describe(&claim), report);
                            if report.unlicensed {
                                // Not a failed poll, but worth saying where it is run by hand.
                                eprintln!(
                                    "note: {}: {}",
                                    describe(&claim),
                                    poll::unlicensed_signins_message()
                                );
                            }
                            None
                        }
                        Err(e) => Some(format!("{}: {e}", describe(&claim))),
                    },
                    Ok(None) => Some(format!(
                        "tenant {tenant_id} {}: held by another worker",
                        source.as_str()
                    )),
                    Err(e) => Some(format!("tenant {tenant_id} {}: {e}", source.as_str())),
                }
            });
        }
        match set.join_next().await {
            Some(result) => {
                if let Some(failure) = result.expect("a poll task does not panic") {
                    failures.push(failure);
                }
            }
            None => break,
        }
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        failures.sort();
        for failure in &failures {
            eprintln!("poll failed: {failure}");
        }
        ExitCode::FAILURE
    }
}

async fn continuous(ctx: &Context, concurrency: usize) {
    let mut set = tokio::task::JoinSet::new();
    let mut last_ensure = None::<tokio::time::Instant>;
    while !ctx.stopping.load(Ordering::SeqCst) {
        // New tenants get their jobs within a minute.
        if last_ensure.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
            let now = UtcTime::now();
            if let Err(e) = db(ctx, move |conn| {
                polling::ensure_poll_state(conn, now).map_err(|e| e.to_string())
            })
            .await
            {
                log::error!("creating poll state: {e}");
            }
            last_ensure = Some(tokio::time::Instant::now());
        }
        let mut claimed_any = false;
        while set.len() < concurrency {
            let (owner, lease) = (ctx.owner.clone(), ctx.lease);
            let claimed = db(ctx, move |conn| {
                let filter = ClaimFilter {
                    due_only: true,
                    ..ClaimFilter::default()
                };
                polling::claim(conn, &owner, &filter, UtcTime::now(), lease)
                    .map_err(|e| e.to_string())
            })
            .await;
            match claimed {
                Ok(Some(claim)) => {
                    claimed_any = true;
                    let ctx = ctx.clone();
                    set.spawn(async move {
                        match run_job(&ctx, &claim).await {
                            Ok(report) => log::info!("{}: {:?}", describe(&claim), report),
                            Err(e) => log::warn!("{}: {e}", describe(&claim)),
                        }
                    });
                }
                Ok(None) => break,
                Err(e) => {
                    log::error!("claiming work: {e}");
                    break;
                }
            }
        }
        if !claimed_any {
            tokio::select! {
                _ = set.join_next(), if !set.is_empty() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        } else if set.len() >= concurrency {
            set.join_next().await;
        }
    }
    while set.join_next().await.is_some() {}
    log::info!("stopped");
}

/// Sends the pending notifications of every tenant that has some.
async fn drain_outbox(ctx: &Context) {
    let tenants = ctx.run_db(drift_core::outbox::tenants_with_pending).await;
    match tenants {
        Ok(tenants) => {
            for tenant in tenants {
                poll::notify_pending(ctx, tenant).await;
            }
        }
        Err(e) => log::warn!("pending notifications not read: {e}"),
    }
}
