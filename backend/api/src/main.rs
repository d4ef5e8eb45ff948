//! `drift-api`: serves the REST API, or prints its OpenAPI document.

use std::process::ExitCode;

use actix_web::HttpServer;
use clap::{Parser, Subcommand};
use drift_api::config::ApiConfig;
use drift_api::{app, metrics, AppState, HttpOptions};
use drift_core::db::{connect_and_migrate, PoolOptions};

#[derive(Parser)]
#[command(name = "drift-api", version, about = "Azure Drift Detector REST API")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default). Configuration comes from the environment; see the README.
    Serve,
    /// Print the OpenAPI document to standard output.
    Openapi,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            let document = drift_api::openapi()
                .to_pretty_json()
                .expect("the OpenAPI document serialises");
            println!("{document}");
            ExitCode::SUCCESS
        }
        Command::Serve => match serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("drift-api: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

fn serve() -> Result<(), String> {
    let config = ApiConfig::from_env()?;
    log::debug!("configuration: {config:?}");
    log::info!("database: {}", config.database_url.redacted());
    let pool = connect_and_migrate(
        &config.database_url,
        &PoolOptions {
            max_size: config.pool_size,
            ..PoolOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let state = AppState::new(pool);
    let options = HttpOptions {
        max_body_bytes: config.max_body_bytes,
    };
    let metrics = metrics();
    let runtime = actix_web::rt::System::new();
    runtime.block_on(async move {
        let mut server = HttpServer::new(move || app(state.clone(), options, metrics.clone()))
            // SIGTERM and SIGINT stop accepting, then let running requests finish.
            .shutdown_timeout(30);
        if let Some(workers) = config.http_workers {
            server = server.workers(workers);
        }
        let server = server
            .bind(&config.bind)
            .map_err(|e| format!("cannot listen on {} (set DRIFT_BIND): {e}", config.bind))?;
        log::info!("listening on http://{}", config.bind);
        server.run().await.map_err(|e| e.to_string())
    })
}
