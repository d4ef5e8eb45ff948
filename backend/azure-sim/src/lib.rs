//! azure-sim: a local simulator of the Microsoft cloud APIs Azure Drift Detector calls — the
//! identity platform's token endpoint, Microsoft Graph v1.0 and Azure Resource Manager
//! (subscriptions, Resource Graph, the activity log) — speaking their wire protocol, with
//! scripted drift, fault injection and a control API (`/_sim/…`) for tests and demos.

pub mod auth;
pub mod control;
pub mod drift;
pub mod errors;
pub mod faults;
pub mod middleware;
pub mod state;
pub mod world;

pub mod arm;
pub mod graph;

use std::net::TcpListener;

use actix_web::{web, App, HttpServer};

pub use state::{SimOptions, SimState};
pub use world::WorldConfig;

/// Registers every route of the simulator.
pub fn configure(cfg: &mut web::ServiceConfig) {
    control::configure(cfg);
    graph::configure(cfg);
    arm::configure(cfg);
    cfg.route("/{tenant}/oauth2/v2.0/token", web::post().to(auth::token))
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            web::get().to(auth::authorize),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            web::get().to(auth::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", web::get().to(auth::jwks));
}

/// A running simulator: its base URL and shared state.
pub struct RunningSim {
    pub base_url: String,
    pub state: web::Data<SimState>,
    pub server: actix_web::dev::Server,
}

/// Builds the server on an already bound listener; run `server` on an actix runtime.
pub fn serve(
    listener: TcpListener,
    state: SimState,
    workers: usize,
) -> std::io::Result<RunningSim> {
    let address = listener.local_addr()?;
    let state = web::Data::new(state);
    let shared = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .app_data(web::FormConfig::default().limit(64 * 1024))
            .app_data(web::JsonConfig::default().limit(1 << 20))
            .wrap(middleware::Faults)
            .configure(configure)
    })
    .workers(workers)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(RunningSim {
        base_url: format!("http://{address}"),
        state,
        server,
    })
}
