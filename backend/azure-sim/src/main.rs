//! `azure-sim`: runs the simulated Microsoft cloud on loopback.

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use azure_sim::control::{load_scenario, Scenario};
use azure_sim::drift::{self, ChangeRequest};
use azure_sim::{serve, SimOptions, SimState, WorldConfig};
use clap::Parser;

/// A local simulator of the Microsoft identity platform, Graph and Azure Resource Manager.
///
/// Point a client at it by base URLs: the authority host, the Graph URL and the ARM URL are all
/// `http://127.0.0.1:PORT`. `GET /_sim/tenants` lists the simulated tenants and the app
/// credentials their token endpoint accepts; `GET /_sim` lists the control API.
#[derive(Parser)]
#[command(name = "azure-sim", version)]
struct Cli {
    /// Port to listen on; 0 picks a free one. The first line printed is `listening on URL`.
    #[arg(long, env = "AZURE_SIM_PORT", default_value_t = 8090)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "AZURE_SIM_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Seed of the generated world: the same seed gives the same tenants and resources.
    #[arg(long, env = "AZURE_SIM_SEED", default_value_t = 42)]
    seed: u64,
    /// Number of simulated tenants.
    #[arg(long, default_value_t = 2)]
    tenants: usize,
    /// ARM resources per tenant (up to 100 000).
    #[arg(long, default_value_t = 2500)]
    arm_resources: usize,
    /// Intune policies per tenant.
    #[arg(long, default_value_t = 300)]
    intune_policies: usize,
    /// Conditional access policies per tenant (at least 5).
    #[arg(long, default_value_t = 24)]
    ca_policies: usize,
    /// Sign-in events per minute and tenant (generated lazily).
    #[arg(long, default_value_t = 60)]
    signins_per_minute: u32,
    /// Seconds between random drift changes; 0 turns the drift timer off.
    #[arg(long, env = "AZURE_SIM_DRIFT_EVERY", default_value_t = 30)]
    drift_every: u64,
    /// Seconds before a change's audit record becomes visible.
    #[arg(long, default_value_t = 0)]
    audit_delay: u32,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3599)]
    token_lifetime: i64,
    /// The client id every simulated tenant accepts (the product's AZURE_CLIENT_ID); derived
    /// from the seed when absent.
    #[arg(long, env = "AZURE_SIM_CLIENT_ID")]
    client_id: Option<String>,
    /// The client secret that goes with it (the product's AZURE_CLIENT_SECRET).
    #[arg(long, env = "AZURE_SIM_CLIENT_SECRET")]
    client_secret: Option<String>,
    /// Make the authorize endpoint answer `consent_required` instead of consenting.
    #[arg(long)]
    no_auto_consent: bool,
    /// Enforce Graph's documented throttling limits (conditional access 1 request/s per tenant
    /// without Retry-After, sign-in and audit reports 5 per 10 s, Intune 1000 per 20 s).
    #[arg(long)]
    service_limits: bool,
    /// Drop sign-ins and directory audits older than 30 days (7 for tenants without P1/P2).
    #[arg(long)]
    log_retention: bool,
    /// The last N tenants have no Entra ID P1/P2 licence: their sign-in logs answer 403.
    #[arg(long, default_value_t = 0)]
    free_tenants: usize,
    /// A scenario file (JSON: {world?, faults?, changes?}) to load at start.
    #[arg(long)]
    scenario: Option<std::path::PathBuf>,
    /// HTTP worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    if cli.arm_resources > 100_000 {
        eprintln!("azure-sim: --arm-resources is at most 100000");
        return ExitCode::FAILURE;
    }
    let config = WorldConfig {
        seed: cli.seed,
        tenants: cli.tenants.max(1),
        arm_resources: cli.arm_resources,
        intune_policies: cli.intune_policies,
        ca_policies: cli.ca_policies.max(5),
        signins_per_minute: cli.signins_per_minute.max(1),
        audit_delay_seconds: cli.audit_delay,
        client_id: cli.client_id.clone(),
        client_secret: cli.client_secret.clone(),
        auto_consent: !cli.no_auto_consent,
        free_tenants: cli.free_tenants,
        ..WorldConfig::default()
    };
    let options = SimOptions {
        token_lifetime_seconds: cli.token_lifetime.max(60),
        service_limits: cli.service_limits,
        log_retention: cli.log_retention,
        ..SimOptions::default()
    };
    let state = SimState::new(config, options);
    if let Some(path) = &cli.scenario {
        let loaded = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice::<Scenario>(&bytes).map_err(|e| e.to_string()))
            .and_then(|scenario| load_scenario(&state, scenario));
        if let Err(message) = loaded {
            eprintln!("azure-sim: scenario {}: {message}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let listener = match TcpListener::bind((cli.host.as_str(), cli.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("azure-sim: cannot listen on {}:{}: {e}", cli.host, cli.port);
            return ExitCode::FAILURE;
        }
    };
    let system = actix_web::rt::System::new();
    let result = system.block_on(async move {
        let running = serve(listener, state, cli.workers)?;
        println!("listening on {}", running.base_url);
        if cli.drift_every > 0 {
            let state = running.state.clone();
            actix_web::rt::spawn(async move {
                let mut interval =
                    actix_web::rt::time::interval(Duration::from_secs(cli.drift_every));
                interval.tick().await;
                loop {
                    interval.tick().await;
                    let mut world = state.world.lock().unwrap();
                    if let Err(message) =
                        drift::apply(&mut world, &ChangeRequest::default(), chrono::Utc::now())
                    {
                        log::warn!("drift timer: {message}");
                    }
                }
            });
        }
        let handle = running.server.handle();
        actix_web::rt::spawn(async move {
            let _ = actix_web::rt::signal::ctrl_c().await;
            handle.stop(true).await;
        });
        running.server.await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("azure-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
