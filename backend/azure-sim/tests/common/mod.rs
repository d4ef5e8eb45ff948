//! What the simulator's integration tests share: starting it in-process, its tenants, and an
//! app token for one of them.
#![allow(dead_code)]

use std::net::TcpListener;

use actix_web::web::Data;
use azure_sim::{serve, SimOptions, SimState, WorldConfig};
use serde_json::Value;

pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// A simulator running on a free loopback port of the current actix runtime.
pub struct Launched {
    pub base: String,
    pub state: Data<SimState>,
    pub client: reqwest::Client,
}

pub fn launch(config: WorldConfig, options: SimOptions) -> Launched {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let running = serve(listener, SimState::new(config, options), 1).expect("the simulator starts");
    let launched = Launched {
        base: running.base_url.clone(),
        state: running.state.clone(),
        client: reqwest::Client::new(),
    };
    actix_web::rt::spawn(running.server);
    launched
}

/// `GET /_sim/tenants`.
pub async fn tenants(client: &reqwest::Client, base: &str) -> Vec<Value> {
    client
        .get(format!("{base}/_sim/tenants"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A client-credentials access token for `tenant` (an item of `/_sim/tenants`) and `scope`.
pub async fn app_token(
    client: &reqwest::Client,
    base: &str,
    tenant: &Value,
    scope: &str,
) -> String {
    let response: Value = client
        .post(format!(
            "{base}/{}/oauth2/v2.0/token",
            tenant["tenant_id"].as_str().unwrap()
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", tenant["client_id"].as_str().unwrap()),
            ("client_secret", tenant["client_secret"].as_str().unwrap()),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["access_token"].as_str().unwrap().to_owned()
}
