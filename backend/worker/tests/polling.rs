//! The real `drift-worker` binary against an in-process azure-sim, on both databases.

use std::net::TcpListener;
use std::process::{Command, Output};

use azure_sim::{serve, SimOptions, SimState, WorldConfig};
use diesel::prelude::*;
use drift_core::db::schema::{
    configuration_history as history, configurations, poll_state, signing_logs,
};
use drift_core::tenants::{self, TenantInput};
use drift_core::UtcTime;
use drift_testing::TestDb;
use serde_json::{json, Value};

const CLIENT_ID: &str = "5d7b1f2a-0c43-4a7e-9b1d-3f6e2a8c9d10";
const CLIENT_SECRET: &str = "worker-test-secret";

/// A simulator on its own thread and port, with a small world whose Graph pages hold two
/// items (so that every collection is paged).
struct Sim {
    base: String,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Sim {
    fn start() -> Sim {
        Sim::start_with(0)
    }

    /// With audit records that become visible `audit_delay_seconds` after their change.
    fn start_with(audit_delay_seconds: u32) -> Sim {
        let config = WorldConfig {
            audit_delay_seconds,
            seed: 7,
            tenants: 2,
            users_per_tenant: 5,
            ca_policies: 5,
            named_locations: 3,
            applications: 3,
            intune_policies: 5,
            settings_catalog_policies: 2,
            subscriptions: 2,
            arm_resources: 7,
            signins_per_minute: 2,
            signin_backfill_hours: 1,
            client_id: Some(CLIENT_ID.into()),
            client_secret: Some(CLIENT_SECRET.into()),
            ..WorldConfig::default()
        };
        let options = SimOptions {
            graph_default_page_size: 2,
            ..SimOptions::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let running = serve(listener, SimState::new(config, options), 1).unwrap();
                let _ = running.server.await;
            })
        });
        Sim {
            base,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            // No idle connections: the simulator closes them after its keep-alive, and a
            // reused one would fail at random.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    fn tenants(&self) -> Vec<String> {
        let tenants = self.call(reqwest::Method::GET, "/_sim/tenants", None);
        tenants
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tenant_id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Makes a change now; returns the change record.
    fn change(&self, body: Value) -> Value {
        self.call(reqwest::Method::POST, "/_sim/changes", Some(body))["change"].clone()
    }

    fn fault(&self, body: Value) {
        self.call(reqwest::Method::POST, "/_sim/faults", Some(body));
    }

    fn worker(&self, db: &TestDb, args: &[&str]) -> Output {
        self.command(db, args).output().unwrap()
    }

    fn command(&self, db: &TestDb, args: &[&str]) -> Command {
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

fn add_tenant(db: &TestDb, name: &str, azure_tenant_id: &str) -> i64 {
    let input = TenantInput {
        name: name.into(),
        azure_tenant_id: azure_tenant_id.into(),
    };
    tenants::create(&mut db.conn(), &input, UtcTime::now())
        .unwrap()
        .id
}

fn succeed(output: Output) {
    assert!(
        output.status.success(),
        "drift-worker failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
}

fn count_configurations(db: &TestDb, tenant: i64, source: &str) -> i64 {
    configurations::table
        .filter(configurations::tenant_id.eq(tenant))
        .filter(configurations::source.eq(source))
        .filter(configurations::deleted_at.is_null())
        .count()
        .get_result(&mut db.conn())
        .unwrap()
}

/// (change_type, resource_id, changed_by) of every history row of a tenant, oldest first.
fn history_rows(db: &TestDb, tenant: i64) -> Vec<(String, String, String)> {
    history::table
        .inner_join(configurations::table)
        .filter(history::tenant_id.eq(tenant))
        .order(history::id)
        .select((
            history::change_type,
            configurations::resource_id,
            history::changed_by,
        ))
        .load(&mut db.conn())
        .unwrap()
}

/// Everything stored for a tenant, to show that a run wrote nothing.
fn snapshot(db: &TestDb, tenant: i64) -> Vec<(String, String, UtcTime, Option<UtcTime>)> {
    configurations::table
        .filter(configurations::tenant_id.eq(tenant))
        .order(configurations::id)
        .select((
            configurations::resource_id,
            configurations::content_hash,
            configurations::last_updated,
            configurations::deleted_at,
        ))
        .load(&mut db.conn())
        .unwrap()
}

fn ca_policy(change: &str, resource_id: Option<&str>, tenant: &str) -> Value {
    let mut body = json!({
        "tenant_id": tenant,
        "target": {"kind": "graph", "collection": "conditional_access_policies"},
        "change": change,
    });
    if let Some(id) = resource_id {
        body["resource_id"] = json!(id);
    }
    body
}

#[test]
fn baseline_then_each_scripted_change_writes_exactly_one_history_row() {
    let sim = Sim::start();
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[0]);
        let tenant_arg = tenant.to_string();
        let once = ["--once", "--tenant", tenant_arg.as_str()];

        // First complete poll: everything stored, no history, baselines set.
        succeed(sim.worker(&db, &once));
        assert_eq!(
            count_configurations(&db, tenant, "entra"),
            5 + 3 + 1 + count_role_assignments(&db, tenant) + 3 + count_sps(&db, tenant)
        );
        // Device configurations and compliance policies (v1.0), settings catalog (beta).
        assert_eq!(count_configurations(&db, tenant, "intune"), 5 + 2);
        assert_eq!(count_configurations(&db, tenant, "arm"), 7);
        assert!(history_rows(&db, tenant).is_empty());
        let baselines: Vec<Option<UtcTime>> = poll_state::table
            .filter(poll_state::tenant_id.eq(tenant))
            .filter(poll_state::source.ne("signins"))
            .select(poll_state::baseline_at)
            .load(&mut db.conn())
            .unwrap();
        assert_eq!(baselines.len(), 3);
        assert!(baselines.iter().all(Option::is_some));

        // An unchanged re-poll writes nothing.
        let before = snapshot(&db, tenant);
        succeed(sim.worker(&db, &once));
        assert_eq!(snapshot(&db, tenant), before);
        assert!(history_rows(&db, tenant).is_empty());

        // A create, an update, a delete and a volatile-only change.
        let mut create = ca_policy("create", None, &azure[0]);
        create["actor"] = json!("alice@contoso.test");
        let created = sim.change(create);
        let created_id = created["resource_id"].as_str().unwrap().to_owned();
        let stored: Vec<String> = configurations::table
            .filter(configurations::tenant_id.eq(tenant))
            .filter(configurations::resource_type.eq("microsoft.graph.conditionalAccessPolicy"))
            .order(configurations::id)
            .select(configurations::resource_id)
            .load(&mut db.conn())
            .unwrap();
        let mut update = ca_policy("update", Some(&stored[0]), &azure[0]);
        update["actor"] = json!("Terraform");
        update["actor_is_app"] = json!(true);
        sim.change(update);
        let mut delete = ca_policy("delete", Some(&stored[1]), &azure[0]);
        delete["actor"] = json!("bob@contoso.test");
        sim.change(delete);
        sim.change(ca_policy("volatile", Some(&stored[2]), &azure[0]));
        succeed(sim.worker(&db, &once));
        let mut rows = history_rows(&db, tenant);
        rows.sort();
        let mut expected = vec![
            (
                "created".to_owned(),
                created_id.clone(),
                "alice@contoso.test".to_owned(),
            ),
            (
                "deleted".to_owned(),
                stored[1].clone(),
                "bob@contoso.test".to_owned(),
            ),
            (
                "updated".to_owned(),
                stored[0].clone(),
                "Terraform".to_owned(),
            ),
        ];
        expected.sort();
        assert_eq!(rows, expected);

        // Polling again changes nothing more.
        let before = snapshot(&db, tenant);
        succeed(sim.worker(&db, &once));
        assert_eq!(history_rows(&db, tenant).len(), 3);
        assert_eq!(snapshot(&db, tenant), before);
    }
}

fn count_role_assignments(db: &TestDb, tenant: i64) -> i64 {
    count_type(db, tenant, "microsoft.graph.unifiedRoleAssignment")
}

fn count_sps(db: &TestDb, tenant: i64) -> i64 {
    count_type(db, tenant, "microsoft.graph.servicePrincipal")
}

fn count_type(db: &TestDb, tenant: i64, resource_type: &str) -> i64 {
    configurations::table
        .filter(configurations::tenant_id.eq(tenant))
        .filter(configurations::resource_type.eq(resource_type))
        .count()
        .get_result(&mut db.conn())
        .unwrap()
}

#[test]
fn throttling_outages_broken_bodies_and_expired_tokens_lose_and_duplicate_nothing() {
    let sim = Sim::start();
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Fabrikam", &azure[1]);
        let tenant_arg = tenant.to_string();
        let once = ["--once", "--tenant", tenant_arg.as_str()];
        succeed(sim.worker(&db, &once));
        let baseline = snapshot(&db, tenant).len();

        let created = sim.change(ca_policy("create", None, &azure[1]));
        let arm = sim
            .change(json!({"tenant_id": azure[1], "target": {"kind": "arm"}, "change": "update"}));
        for fault in [
            json!({"endpoint": "/v1.0/identity/conditionalAccess", "fault": {"type": "throttle", "retry_after": 0.2}, "count": 2}),
            json!({"endpoint": "/v1.0/identity/conditionalAccess/namedLocations", "fault": {"type": "throttle"}, "count": 1}),
            json!({"endpoint": "/providers/Microsoft.ResourceGraph", "fault": {"type": "service_unavailable", "retry_after": 0.1}, "count": 2}),
            json!({"endpoint": "/v1.0/applications", "fault": {"type": "expired_token"}, "count": 1}),
            json!({"endpoint": "/v1.0/servicePrincipals", "fault": {"type": "truncate_body"}, "count": 1}),
            json!({"endpoint": "/v1.0/deviceManagement", "fault": {"type": "drop_connection"}, "count": 1}),
            json!({"endpoint": "/v1.0/roleManagement", "fault": {"type": "next_link_fails_once"}, "count": 1}),
            json!({"endpoint": "/v1.0/auditLogs/signIns", "fault": {"type": "gateway_timeout"}, "count": 1}),
        ] {
            sim.fault(fault);
        }
        succeed(sim.worker(&db, &once));
        let rows = history_rows(&db, tenant);
        // Each change is attributed to the actor the simulator recorded.
        let mut expected: Vec<(String, String, String)> = [&created, &arm]
            .iter()
            .map(|record| {
                let text = |field: &str| record[field].as_str().unwrap().to_owned();
                (text("change_type"), text("resource_id"), text("changed_by"))
            })
            .collect();
        let mut sorted = rows.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected);
        assert_eq!(snapshot(&db, tenant).len(), baseline + 1);
        let faults = sim.call(reqwest::Method::GET, "/_sim/faults", None);
        assert_eq!(faults, json!([]), "every fault fired");
    }
}

#[test]
fn once_exits_non_zero_with_one_line_per_failed_poll() {
    let sim = Sim::start();
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let known = add_tenant(&db, "Known", &azure[0]);
        let unknown = add_tenant(&db, "Unknown", "0b5c9c1e-7a1d-4f2e-8c3b-9d4e5f6a7b8c");
        // Everything is due: the known tenant succeeds, the unknown one fails four times.
        let output = sim.worker(&db, &["--once"]);
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("poll failed:"))
            .collect();
        assert_eq!(lines.len(), 4, "{stderr}");
        for (line, source) in lines.iter().zip(["arm", "entra", "intune", "signins"]) {
            assert!(
                line.starts_with(&format!(
                    "poll failed: tenant {unknown} (0b5c9c1e-7a1d-4f2e-8c3b-9d4e5f6a7b8c) {source}: invalid_tenant (90002)"
                )),
                "{line}"
            );
        }
        let errors: Vec<(i64, Option<String>, Option<UtcTime>)> = poll_state::table
            .select((
                poll_state::tenant_id,
                poll_state::last_error,
                poll_state::last_success_at,
            ))
            .load(&mut db.conn())
            .unwrap();
        assert_eq!(errors.len(), 8);
        for (tenant, error, success) in errors {
            if tenant == known {
                assert!(error.is_none() && success.is_some());
            } else {
                assert!(error.unwrap().starts_with("invalid_tenant (90002)"));
                assert!(success.is_none());
            }
        }
        // Only the known tenant: success.
        succeed(sim.worker(&db, &["--once", "--tenant", &azure[0]]));
        // An unregistered tenant is a usage error.
        let output = sim.worker(&db, &["--once", "--tenant", "999999"]);
        assert_eq!(output.status.code(), Some(2));
    }
}

#[test]
fn signins_are_ingested_idempotently_with_the_issue_mapping() {
    let sim = Sim::start();
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[0]);
        let tenant_arg = tenant.to_string();
        let args = [
            "--once",
            "--tenant",
            tenant_arg.as_str(),
            "--source",
            "signins",
        ];
        succeed(sim.worker(&db, &args));
        let first: Vec<(String, String)> = signing_logs::table
            .filter(signing_logs::tenant_id.eq(tenant))
            .select((signing_logs::log_id, signing_logs::status))
            .load(&mut db.conn())
            .unwrap();
        // An hour of backfill at two a minute.
        assert!(first.len() >= 100, "{}", first.len());
        assert!(first.iter().all(|(_, s)| s == "success"
            || s.strip_prefix("failure:")
                .is_some_and(|c| c.parse::<i64>().is_ok())));
        // The country and error code are columns, as the event has them.
        let dimensions: Vec<(String, Option<String>, Option<i32>, drift_core::Json)> =
            signing_logs::table
                .filter(signing_logs::tenant_id.eq(tenant))
                .select((
                    signing_logs::status,
                    signing_logs::country,
                    signing_logs::error_code,
                    signing_logs::log_data,
                ))
                .load(&mut db.conn())
                .unwrap();
        for (status, country, error_code, drift_core::Json(event)) in &dimensions {
            let code = event["status"]["errorCode"].as_i64().map(|c| c as i32);
            assert_eq!(*error_code, code, "{event}");
            assert_eq!(status == "success", code == Some(0), "{status}: {event}");
            let from = event["location"]["countryOrRegion"]
                .as_str()
                .filter(|c| !c.is_empty());
            assert_eq!(country.as_deref(), from, "{event}");
        }
        assert!(
            dimensions.iter().any(|d| d.1.is_some()),
            "the simulator names countries"
        );
        assert!(
            dimensions.iter().any(|d| d.2.is_some_and(|c| c != 0)),
            "and failures"
        );
        let watermark: Option<UtcTime> = poll_state::table
            .find((tenant, "signins"))
            .select(poll_state::signin_watermark)
            .first(&mut db.conn())
            .unwrap();
        assert!(watermark.is_some());

        succeed(sim.worker(&db, &args));
        let second: Vec<String> = signing_logs::table
            .filter(signing_logs::tenant_id.eq(tenant))
            .select(signing_logs::log_id)
            .load(&mut db.conn())
            .unwrap();
        let mut unique = second.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), second.len(), "no duplicates");
        assert!(
            first.iter().all(|(id, _)| second.contains(id)),
            "nothing lost"
        );
        // At most the events of the seconds between the runs are new.
        assert!(second.len() <= first.len() + 2);
    }
}

/// Every job due now, as if its interval had passed.
fn make_due(db: &TestDb) {
    diesel::update(poll_state::table)
        .set(poll_state::next_run_at.eq(UtcTime::now()))
        .execute(&mut db.conn())
        .unwrap();
}

fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_worker_killed_mid_poll_converges_and_sigterm_stops_cleanly() {
    let sim = Sim::start();
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[0]);
        let tenant_arg = tenant.to_string();
        let once = [
            "--once",
            "--tenant",
            tenant_arg.as_str(),
            "--lease-seconds",
            "2",
        ];
        succeed(sim.worker(&db, &once));

        // Three changes, then a continuous worker slowed down on every Graph page, killed
        // with SIGKILL in the middle of its polls.
        let created = sim.change(ca_policy("create", None, &azure[0]));
        let updated = sim.change(ca_policy("update", None, &azure[0]));
        let deleted = sim.change(ca_policy("delete", None, &azure[0]));
        sim.fault(json!({"endpoint": "/v1.0/", "fault": {"type": "slow", "delay_ms": 300}, "probability": 1.0}));
        make_due(&db);
        let mut child = sim.command(&db, &["--lease-seconds", "2"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        signal(&child, "-KILL");
        child.wait().unwrap();
        let held: i64 = poll_state::table
            .filter(poll_state::lease_owner.is_not_null())
            .count()
            .get_result(&mut db.conn())
            .unwrap();
        assert!(held > 0, "the worker was killed while it held jobs");
        sim.call(reqwest::Method::DELETE, "/_sim/faults", None);

        // Once the dead worker's leases expire, a new run takes the jobs over and the history
        // holds each change exactly once.
        std::thread::sleep(std::time::Duration::from_millis(2500));
        succeed(sim.worker(&db, &once));
        let mut rows = history_rows(&db, tenant);
        rows.sort();
        let mut expected: Vec<(String, String, String)> = [&created, &updated, &deleted]
            .iter()
            .map(|record| {
                let text = |field: &str| record[field].as_str().unwrap().to_owned();
                (text("change_type"), text("resource_id"), text("changed_by"))
            })
            .collect();
        expected.sort();
        assert_eq!(rows, expected);

        // SIGTERM: the continuous worker finishes what it holds and exits 0.
        make_due(&db);
        let mut child = sim.command(&db, &[]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1000));
        signal(&child, "-TERM");
        let started = std::time::Instant::now();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(history_rows(&db, tenant).len(), 3);
    }
}

#[test]
fn a_listing_that_fails_part_way_deletes_nothing_until_a_complete_one() {
    let sim = Sim::start();
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[0]);
        let tenant_arg = tenant.to_string();
        let once = [
            "--once",
            "--tenant",
            tenant_arg.as_str(),
            "--source",
            "entra",
        ];
        succeed(sim.worker(&db, &once));
        let deleted = sim.change(ca_policy("delete", None, &azure[0]));
        // Conditional access policies list fine; named locations, the next listing, stay
        // throttled past every retry.
        sim.fault(json!({
            "endpoint": "/v1.0/identity/conditionalAccess/namedLocations",
            "fault": {"type": "throttle", "retry_after": 0.05},
            "count": 6
        }));
        let output = sim.worker(&db, &once);
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("poll failed: tenant {tenant} ({}) entra: gave up after 6 attempts: TooManyRequests", azure[0])),
            "{stderr}"
        );
        assert!(history_rows(&db, tenant).is_empty());
        let last_error: Option<String> = poll_state::table
            .find((tenant, "entra"))
            .select(poll_state::last_error)
            .first(&mut db.conn())
            .unwrap();
        assert!(last_error.unwrap().contains("TooManyRequests"));

        succeed(sim.worker(&db, &once));
        let rows = history_rows(&db, tenant);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, "deleted");
        assert_eq!(rows[0].1, deleted["resource_id"].as_str().unwrap());
    }
}

#[test]
fn a_change_whose_audit_record_arrives_late_is_attributed_on_a_later_poll() {
    let sim = Sim::start_with(3);
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[0]);
        let tenant_arg = tenant.to_string();
        let once = [
            "--once",
            "--tenant",
            tenant_arg.as_str(),
            "--source",
            "entra",
        ];
        succeed(sim.worker(&db, &once));
        let mut create = ca_policy("create", None, &azure[0]);
        create["actor"] = json!("late@contoso.test");
        let created = sim.change(create);
        let id = created["resource_id"].as_str().unwrap().to_owned();
        succeed(sim.worker(&db, &once));
        assert_eq!(
            history_rows(&db, tenant),
            vec![("created".to_owned(), id.clone(), "unknown".to_owned())]
        );
        std::thread::sleep(std::time::Duration::from_millis(3500));
        succeed(sim.worker(&db, &once));
        assert_eq!(
            history_rows(&db, tenant),
            vec![("created".to_owned(), id, "late@contoso.test".to_owned())]
        );
    }
}

/// A webhook receiver on loopback: answers 200 and keeps each request's body.
fn webhook_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0u8; length];
            if reader.read_exact(&mut body).is_ok() {
                if let Ok(value) = serde_json::from_slice(&body) {
                    kept.lock().unwrap().push(value);
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, bodies)
}

#[test]
fn recorded_changes_are_sent_to_the_tenants_channels() {
    let sim = Sim::start();
    let azure = sim.tenants();
    let (url, received) = webhook_receiver();
    for make in TestDb::each() {
        received.lock().unwrap().clear();
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[1]);
        let input: drift_core::settings::SettingsInput = serde_json::from_value(json!({
            "notification_settings": {
                "min_severity": "info",
                "channels": [{"name": "ops", "kind": "webhook", "url": url}]
            }
        }))
        .unwrap();
        drift_core::settings::save(&mut db.conn(), tenant, &input, UtcTime::now()).unwrap();
        let tenant_arg = tenant.to_string();
        let once = [
            "--once",
            "--tenant",
            tenant_arg.as_str(),
            "--source",
            "entra",
        ];
        succeed(sim.worker(&db, &once));
        assert!(
            received.lock().unwrap().is_empty(),
            "the baseline notifies nothing"
        );

        let mut create = ca_policy("create", None, &azure[1]);
        create["actor"] = json!("alice@contoso.test");
        let created = sim.change(create);
        succeed(sim.worker(&db, &once));
        let bodies = received.lock().unwrap().clone();
        assert_eq!(bodies.len(), 1, "{bodies:?}");
        let change = &bodies[0]["changes"][0];
        assert_eq!(change["resource_id"], created["resource_id"]);
        assert_eq!(change["change_type"], "created");
        assert_eq!(change["changed_by"], "alice@contoso.test");
        assert_eq!(bodies[0]["tenant"]["id"], tenant);
        let delivered: i64 = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM notification_deliveries WHERE tenant_id = {tenant} AND status = 'delivered'"
        ))
        .get_result::<Count>(&mut db.conn())
        .unwrap()
        .n;
        assert_eq!(delivered, 1);
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn changes_not_delivered_are_sent_by_the_next_worker_run_exactly_once() {
    let sim = Sim::start();
    let azure = sim.tenants();
    let (url, received) = webhook_receiver();
    for make in TestDb::each() {
        received.lock().unwrap().clear();
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[1]);
        let save_channel = |url: &str| {
            let input: drift_core::settings::SettingsInput = serde_json::from_value(json!({
                "notification_settings": {
                    "min_severity": "info",
                    "channels": [{"name": "ops", "kind": "webhook", "url": url}]
                }
            }))
            .unwrap();
            drift_core::settings::save(&mut db.conn(), tenant, &input, UtcTime::now()).unwrap();
        };
        // Nobody listens on the discard port: the receiver is down.
        save_channel("http://127.0.0.1:9/hook");
        let tenant_arg = tenant.to_string();
        let once = [
            "--once",
            "--tenant",
            tenant_arg.as_str(),
            "--source",
            "entra",
        ];
        succeed(sim.worker(&db, &once));
        let created = sim.change(ca_policy("create", None, &azure[1]));
        succeed(sim.worker(&db, &once));
        assert!(received.lock().unwrap().is_empty());

        // The receiver is back; the next run (which finds no new change) sends the pending one
        // when it starts, and the run after that sends nothing again.
        save_channel(&url);
        succeed(sim.worker(&db, &once));
        succeed(sim.worker(&db, &once));
        let bodies = received.lock().unwrap().clone();
        assert_eq!(bodies.len(), 1, "{bodies:?}");
        assert_eq!(
            bodies[0]["changes"][0]["resource_id"],
            created["resource_id"]
        );
        let pending = drift_core::outbox::tenants_with_pending(&mut db.conn()).unwrap();
        assert!(pending.is_empty(), "{pending:?}");
    }
}
