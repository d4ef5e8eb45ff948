//! Test support for the binary-level tests: an in-process azure-sim whose world the tests can
//! read (the ground truth), and the real `drift-worker` binary pointed at it.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::process::{Command, Output};

use actix_web::web::Data;
use azure_sim::{serve, SimOptions, SimState, WorldConfig};
use diesel::prelude::*;
use drift_core::db::schema::{configuration_history as history, configurations};
use drift_core::tenants::{self, TenantInput};
use drift_core::UtcTime;
use drift_testing::TestDb;
use serde_json::Value;

pub const CLIENT_ID: &str = "5d7b1f2a-0c43-4a7e-9b1d-3f6e2a8c9d10";
pub const CLIENT_SECRET: &str = "worker-test-secret";

/// A small world: every Graph collection paged (two items a page), a few ARM resources.
pub fn small_world() -> WorldConfig {
    WorldConfig {
        seed: 11,
        tenants: 2,
        users_per_tenant: 5,
        ca_policies: 5,
        named_locations: 3,
        applications: 3,
        intune_policies: 5,
        settings_catalog_policies: 3,
        subscriptions: 2,
        arm_resources: 7,
        signins_per_minute: 2,
        signin_backfill_hours: 1,
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        ..WorldConfig::default()
    }
}

pub fn small_pages() -> SimOptions {
    SimOptions {
        graph_default_page_size: 2,
        ..SimOptions::default()
    }
}

pub struct Sim {
    pub base: String,
    pub state: Data<SimState>,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Sim {
    pub fn start(config: WorldConfig, options: SimOptions) -> Sim {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let running = serve(listener, SimState::new(config, options), 2).unwrap();
                send.send(running.state.clone()).unwrap();
                let _ = running.server.await;
            })
        });
        Sim {
            base,
            state: receive.recv().unwrap(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            // No idle connections: the simulator closes them after its keep-alive.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        }
    }

    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.rt.block_on(async {
            let mut request = self.http.request(method, format!("{}{path}", self.base));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            response.json().await.unwrap_or(Value::Null)
        })
    }

    pub fn tenants(&self) -> Vec<String> {
        let world = self.state.world.lock().unwrap();
        world.tenants.iter().map(|t| t.tenant_id.clone()).collect()
    }

    /// Makes a change now; returns the change record.
    pub fn change(&self, body: Value) -> Value {
        self.call(reqwest::Method::POST, "/_sim/changes", Some(body))["change"].clone()
    }

    pub fn fault(&self, body: Value) {
        self.call(reqwest::Method::POST, "/_sim/faults", Some(body));
    }

    pub fn clear_faults(&self) {
        self.call(reqwest::Method::DELETE, "/_sim/faults", None);
    }

    /// What exists in the simulated tenant now: (source, lower-cased resource id).
    pub fn ground_truth(&self, tenant_id: &str) -> BTreeSet<(String, String)> {
        let world = self.state.world.lock().unwrap();
        let tenant = world.tenant(tenant_id).unwrap();
        let mut truth = BTreeSet::new();
        for (collection, items) in &tenant.collections {
            for id in items.keys() {
                truth.insert((collection.source().to_owned(), id.to_lowercase()));
            }
        }
        if let Some(id) = tenant.authentication_methods_policy["id"].as_str() {
            truth.insert(("entra".to_owned(), id.to_lowercase()));
        }
        for resource in tenant.arm_resources.values() {
            let id = resource["id"].as_str().unwrap().to_lowercase();
            truth.insert(("arm".to_owned(), id));
        }
        truth
    }

    pub fn worker(&self, db: &TestDb, args: &[&str]) -> Output {
        self.command(db, args).output().unwrap()
    }

    pub fn command(&self, db: &TestDb, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_drift-worker"));
        command
            .args(args)
            .env("DATABASE_URL", db.url_string())
            .env("AZURE_CLIENT_ID", CLIENT_ID)
            .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
            .env("AZURE_AUTHORITY_HOST", &self.base)
            .env("DRIFT_GRAPH_URL", &self.base)
            .env("DRIFT_ARM_URL", &self.base)
            .env("RUST_LOG", "warn");
        command
    }
}

pub fn add_tenant(db: &TestDb, name: &str, azure_tenant_id: &str) -> i64 {
    let input = TenantInput {
        name: name.into(),
        azure_tenant_id: azure_tenant_id.into(),
    };
    tenants::create(&mut db.conn(), &input, UtcTime::now())
        .unwrap()
        .id
}

pub fn succeed(output: Output) {
    assert!(
        output.status.success(),
        "drift-worker failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
}

pub fn count_configurations(db: &TestDb, tenant: i64, source: &str) -> i64 {
    configurations::table
        .filter(configurations::tenant_id.eq(tenant))
        .filter(configurations::source.eq(source))
        .filter(configurations::deleted_at.is_null())
        .count()
        .get_result(&mut db.conn())
        .unwrap()
}

/// What is stored as existing: (source, lower-cased resource id).
pub fn stored(db: &TestDb, tenant: i64) -> BTreeSet<(String, String)> {
    let rows: Vec<(String, String)> = configurations::table
        .filter(configurations::tenant_id.eq(tenant))
        .filter(configurations::deleted_at.is_null())
        .select((configurations::source, configurations::resource_id))
        .load(&mut db.conn())
        .unwrap();
    rows.into_iter()
        .map(|(source, id)| (source, id.to_lowercase()))
        .collect()
}

/// (change_type, lower-cased resource_id, changed_by) of every history row, oldest first.
pub fn history_rows(db: &TestDb, tenant: i64) -> Vec<(String, String, String)> {
    let rows: Vec<(String, String, String)> = history::table
        .inner_join(configurations::table)
        .filter(history::tenant_id.eq(tenant))
        .order(history::id)
        .select((
            history::change_type,
            configurations::resource_id,
            history::changed_by,
        ))
        .load(&mut db.conn())
        .unwrap();
    rows.into_iter()
        .map(|(t, id, by)| (t, id.to_lowercase(), by))
        .collect()
}

/// The (change_type, lower-cased resource_id, changed_by) a change record of the simulator
/// stands for.
pub fn expected_row(record: &Value) -> (String, String, String) {
    let text = |field: &str| record[field].as_str().unwrap().to_owned();
    (
        text("change_type"),
        text("resource_id").to_lowercase(),
        text("changed_by"),
    )
}

pub fn make_due(db: &TestDb) {
    use drift_core::db::schema::poll_state;
    diesel::update(poll_state::table)
        .set(poll_state::next_run_at.eq(UtcTime::now()))
        .execute(&mut db.conn())
        .unwrap();
}

pub fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
