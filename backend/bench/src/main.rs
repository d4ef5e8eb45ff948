//! `drift-bench`: API latency and throughput on a tenant with many configurations, on SQLite
//! and PostgreSQL, beside the cost of OFFSET pagination (what a typical CRUD API does) at the
//! same depth; the Azure simulator's page rate; and the drift engine's throughput on as many
//! simulated resources (`drift`); and the `drift-worker` binary polling a simulated tenant of as
//! many ARM resources (first poll, unchanged re-poll, sign-in ingestion: `worker`).
//!
//! Usage: `drift-bench [--configurations N] [--seconds S] [--concurrency C] [--backend sqlite|postgres|both] [--only api|sim|drift|worker|all]`

mod drift;
mod worker;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use drift_api::{app, metrics, AppState, HttpOptions};
use drift_core::configurations::{self, ObservedConfiguration};
use drift_core::db::schema::configurations as cfg;
use drift_core::history::{self, NewHistoryEntry};
use drift_core::tenants::{self, TenantInput};
use drift_core::types::{ChangeType, Severity, Source};
use drift_core::{Json, UtcTime};
use drift_testing::TestDb;

struct Options {
    configurations: usize,
    seconds: u64,
    concurrency: usize,
    backends: Vec<&'static str>,
    /// Which benchmarks: `api`, `sim`, `drift`, `worker` or `all`.
    only: String,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        configurations: 100_000,
        seconds: 5,
        concurrency: 16,
        backends: vec!["sqlite", "postgres"],
        only: "all".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--configurations" => {
                options.configurations = value()?
                    .parse()
                    .map_err(|_| "--configurations takes a number")?
            }
            "--seconds" => {
                options.seconds = value()?.parse().map_err(|_| "--seconds takes a number")?
            }
            "--concurrency" => {
                options.concurrency = value()?
                    .parse()
                    .map_err(|_| "--concurrency takes a number")?
            }
            "--backend" => {
                options.backends = match value()?.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    "both" => vec!["sqlite", "postgres"],
                    other => {
                        return Err(format!(
                            "--backend must be sqlite, postgres or both, not {other}"
                        ))
                    }
                }
            }
            "--only" => {
                options.only = value()?;
                if !["api", "sim", "drift", "worker", "all"].contains(&options.only.as_str()) {
                    return Err("--only must be api, sim, drift, worker or all".into());
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

/// A conditional-access-policy-sized document (about 1 KiB).
fn document(i: usize) -> serde_json::Value {
    serde_json::json!({
        "@odata.type": "#microsoft.graph.conditionalAccessPolicy",
        "id": format!("{i:08x}-0000-4000-8000-000000000000"),
        "displayName": format!("policy-{i}"),
        "state": if i.is_multiple_of(3) { "enabled" } else { "enabledForReportingButNotEnforced" },
        "conditions": {
            "users": {"includeUsers": ["All"], "excludeUsers": [format!("user-{}", i % 97)], "includeGroups": [], "excludeGroups": ["breakglass"]},
            "applications": {"includeApplications": ["All"], "excludeApplications": []},
            "clientAppTypes": ["browser", "mobileAppsAndDesktopClients"],
            "locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
            "platforms": null,
            "signInRiskLevels": ["high", "medium"]
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa", "compliantDevice"], "customAuthenticationFactors": []},
        "sessionControls": {"signInFrequency": {"value": 12, "type": "hours", "isEnabled": true}},
        "modifiedDateTime": "2026-11-01T08:00:00Z"
    })
}

fn seed(db: &TestDb, count: usize) -> Result<(i64, Vec<i64>, Duration), String> {
    let started = Instant::now();
    let mut conn = db.conn();
    let now = UtcTime::now();
    let tenant = tenants::create(
        &mut conn,
        &TenantInput {
            name: "Bench".into(),
            azure_tenant_id: "11111111-2222-4333-8444-555555555555".into(),
        },
        now,
    )
    .map_err(|e| e.to_string())?;
    let mut ids = Vec::with_capacity(count);
    for chunk_start in (0..count).step_by(5_000) {
        let chunk_end = (chunk_start + 5_000).min(count);
        let chunk: Vec<i64> = conn
            .transaction(|conn| {
                (chunk_start..chunk_end)
                    .map(|i| {
                        let source = [Source::Entra, Source::Intune, Source::Arm][i % 3];
                        let observed = ObservedConfiguration {
                            tenant_id: tenant.id,
                            source,
                            resource_type: format!("microsoft.graph.type{}", i % 40),
                            resource_id: format!("{i:08x}-0000-4000-8000-000000000000"),
                            resource_name: format!("policy-{i}"),
                            config_data: Json(document(i)),
                            content_hash: format!("{i:064x}"),
                        };
                        let stored = configurations::insert(conn, &observed, now)?;
                        if i.is_multiple_of(10) {
                            history::record(
                                conn,
                                tenant.id,
                                &NewHistoryEntry {
                                    configuration_id: stored.id,
                                    previous_config: Some(Json(document(i + 1))),
                                    new_config: Some(Json(document(i))),
                                    changed_at: now,
                                    change_type: ChangeType::Updated,
                                    changed_by: format!("admin{}@contoso.com", i % 7),
                                    changed_paths: vec!["/state".into()],
                                    severity: Some(Severity::ALL[i % 5]),
                                },
                            )?;
                        }
                        Ok(stored.id)
                    })
                    .collect::<Result<Vec<i64>, drift_core::CoreError>>()
            })
            .map_err(|e| e.to_string())?;
        ids.extend(chunk);
    }
    Ok((tenant.id, ids, started.elapsed()))
}

struct Measured {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }

    fn line(&self, name: &str) -> String {
        format!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.95).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.errors
        )
    }
}

/// Sends GET requests for the given URLs (round robin) from `concurrency` tasks for `seconds`.
async fn load(
    client: &reqwest::Client,
    urls: Arc<Vec<String>>,
    concurrency: usize,
    seconds: u64,
) -> Measured {
    load_with(client, concurrency, seconds, move |client, n| {
        client.get(&urls[n % urls.len()])
    })
    .await
}

/// Sends the requests `request(client, n)` builds from `concurrency` tasks for `seconds`, and
/// measures the latency of each successful one.
async fn load_with<F>(
    client: &reqwest::Client,
    concurrency: usize,
    seconds: u64,
    request: F,
) -> Measured
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut n = worker;
            while Instant::now() < deadline {
                let builder = request(&client, n);
                n += concurrency;
                let sent = Instant::now();
                match builder.send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.expect("a load task");
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    Measured {
        requests: latencies.len(),
        errors,
        elapsed: started.elapsed(),
        latencies,
    }
}

/// Times fetching one page at `depth` with OFFSET, directly in the database.
fn offset_page_time(db: &TestDb, tenant_id: i64, depth: i64, repeats: usize) -> Duration {
    let mut conn = db.conn();
    let mut total = Duration::ZERO;
    for _ in 0..repeats {
        let started = Instant::now();
        let rows: Vec<i64> = cfg::table
            .filter(cfg::tenant_id.eq(tenant_id))
            .filter(cfg::deleted_at.is_null())
            .order((cfg::resource_name.asc(), cfg::id.asc()))
            .select(cfg::id)
            .offset(depth)
            .limit(50)
            .load(&mut *conn)
            .expect("offset query");
        assert_eq!(rows.len(), 50);
        total += started.elapsed();
    }
    total / repeats as u32
}

/// Creates a viewer in the tenant and signs an access token for them, valid for a day.
fn viewer_token(
    db: &TestDb,
    tenant: i64,
    keys: &drift_core::auth::JwtKeys,
) -> Result<String, String> {
    let mut conn = db.conn();
    let role = drift_core::roles::find_by_name(&mut conn, "viewer")
        .map_err(|e| e.to_string())?
        .ok_or("the viewer role is seeded")?;
    let input: drift_core::users::UserInput = serde_json::from_value(serde_json::json!({
        "username": "bench.viewer", "email": "bench.viewer@example.test", "role_id": role.id,
    }))
    .map_err(|e| e.to_string())?;
    let user = drift_core::users::create(&mut conn, tenant, &input, UtcTime::now())
        .map_err(|e| e.to_string())?;
    let now = UtcTime::now().get().timestamp();
    Ok(keys.issue(user.id, tenant, &role.name, now, 24 * 3600))
}

async fn bench_backend(name: &str, options: &Options) -> Result<(), String> {
    let db = match name {
        "sqlite" => TestDb::sqlite(),
        _ => TestDb::postgres(),
    };
    let (tenant, ids, seeding) = seed(&db, options.configurations)?;
    println!(
        "\n### {name}: {} configurations, {} history entries (seeded in {:.1} s)\n",
        ids.len(),
        ids.len().div_ceil(10),
        seeding.as_secs_f64()
    );

    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    // Requests carry a viewer's access token, as the SPA's do: the figures include the access
    // check (token verification and the caller's user and role read afresh).
    let secret = drift_core::auth::random_secret(48);
    let keys =
        drift_core::auth::JwtKeys::from_secret(secret.as_bytes()).map_err(|e| e.to_string())?;
    let token = viewer_token(&db, tenant, &keys)?;
    let mut auth = drift_api::state::AuthSettings::ephemeral();
    auth.keys = keys;
    let state = AppState::with_auth(db.pool(), auth);
    let metrics = metrics();
    let server = actix_web::HttpServer::new(move || {
        app(state.clone(), HttpOptions::default(), metrics.clone())
    })
    .workers(2)
    .disable_signals()
    .listen(listener)
    .map_err(|e| e.to_string())?
    .run();
    let handle = server.handle();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(server));

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}")
            .parse()
            .map_err(|_| "token header")?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(options.concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    let api = format!("{base}/api/v1/tenants/{tenant}");

    // A cursor 90 % of the way through the list, found by walking it.
    let depth = (ids.len() * 9 / 10) as i64;
    let mut cursor: Option<String> = None;
    let mut walked = 0;
    let walk_started = Instant::now();
    while walked < depth {
        let mut url = format!("{api}/configurations?limit={}", (depth - walked).min(500));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: serde_json::Value = client
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        walked += page["items"].as_array().map(|a| a.len()).unwrap_or(0) as i64;
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let walk = walk_started.elapsed();
    let deep_cursor = cursor.ok_or("the list ended early")?;

    let scenarios: Vec<(&str, Vec<String>)> = vec![
        (
            "list configurations, first page (50)",
            vec![format!("{api}/configurations")],
        ),
        (
            "list configurations, page at 90 % depth (keyset cursor)",
            vec![format!("{api}/configurations?cursor={deep_cursor}")],
        ),
        (
            "search configurations by name",
            (0..50)
                .map(|i| {
                    format!(
                        "{api}/configurations?search=policy-{}",
                        i * 1997 % ids.len()
                    )
                })
                .collect(),
        ),
        (
            "filter configurations by source and type",
            vec![format!(
                "{api}/configurations?source=arm&resource_type=microsoft.graph.type7"
            )],
        ),
        (
            "get one configuration with its document",
            ids.iter()
                .step_by(ids.len() / 100 + 1)
                .map(|id| format!("{api}/configurations/{id}"))
                .collect(),
        ),
        (
            "drift feed, first page (history)",
            vec![format!("{api}/history")],
        ),
        (
            "drift feed filtered by severity and author",
            vec![format!(
                "{api}/history?min_severity=high&changed_by=admin3@contoso.com"
            )],
        ),
    ];
    println!("| scenario | req/s | p50 ms | p95 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|");
    for (scenario, urls) in scenarios {
        let measured = load(
            &client,
            Arc::new(urls),
            options.concurrency,
            options.seconds,
        )
        .await;
        println!("{}", measured.line(scenario));
    }
    let deep = offset_page_time(&db, tenant, depth, 20);
    let shallow = offset_page_time(&db, tenant, 0, 20);
    println!(
        "\nWalking {walked} configurations by cursor (pages of 500): {:.2} s. \
Baseline, one page of 50 in the database alone: OFFSET 0 {:.2} ms, OFFSET {depth} {:.2} ms \
(OFFSET pagination, what a typical CRUD API does, costs this per page before any HTTP work; \
a keyset page costs the same at any depth).",
        walk.as_secs_f64(),
        shallow.as_secs_f64() * 1e3,
        deep.as_secs_f64() * 1e3
    );
    handle.stop(true).await;
    Ok(())
}

#[tokio::main]
async fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("drift-bench: {message}");
            std::process::exit(2);
        }
    };
    let runs = |name: &str| options.only == name || options.only == "all";
    if runs("api") || runs("sim") {
        println!(
            "## API benchmark: {} concurrent clients, {} s per scenario, {} CPUs",
            options.concurrency,
            options.seconds,
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        );
    }
    if runs("api") {
        for backend in options.backends.clone() {
            if let Err(message) = bench_backend(backend, &options).await {
                eprintln!("drift-bench: {backend}: {message}");
                std::process::exit(1);
            }
        }
    }
    if runs("sim") {
        if let Err(message) = bench_simulator(&options).await {
            eprintln!("drift-bench: simulator: {message}");
            std::process::exit(1);
        }
    }
    if runs("drift") {
        if let Err(message) = drift::bench_drift(options.configurations) {
            eprintln!("drift-bench: drift engine: {message}");
            std::process::exit(1);
        }
    }
    if runs("worker") {
        let (resources, backends) = (options.configurations, options.backends.clone());
        let result =
            tokio::task::spawn_blocking(move || worker::bench_worker(resources, &backends))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
        if let Err(message) = result {
            eprintln!("drift-bench: worker: {message}");
            std::process::exit(1);
        }
    }
}

/// How many pages per second the Azure simulator serves: it must never be what limits a
/// benchmark of the product.
async fn bench_simulator(options: &Options) -> Result<(), String> {
    use azure_sim::{serve, SimOptions, SimState, WorldConfig};
    let config = WorldConfig {
        tenants: 1,
        arm_resources: 20_000,
        intune_policies: 1_000,
        signins_per_minute: 600,
        ..WorldConfig::default()
    };
    let running = serve(
        TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?,
        SimState::new(config, SimOptions::default()),
        2,
    )
    .map_err(|e| e.to_string())?;
    let base = running.base_url.clone();
    let handle = running.server.handle();
    let server = running.server;
    std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    let tenants: serde_json::Value = client
        .get(format!("{base}/_sim/tenants"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let tenant = &tenants[0];
    let token = |scope: &'static str| {
        let client = client.clone();
        let url = format!(
            "{base}/{}/oauth2/v2.0/token",
            tenant["tenant_id"].as_str().unwrap_or_default()
        );
        let form = [
            ("grant_type", "client_credentials".to_owned()),
            (
                "client_id",
                tenant["client_id"].as_str().unwrap_or_default().to_owned(),
            ),
            (
                "client_secret",
                tenant["client_secret"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            ("scope", scope.to_owned()),
        ];
        async move {
            let body: serde_json::Value = client
                .post(url)
                .form(&form)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            body["access_token"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| "no token".to_owned())
        }
    };
    let graph_token = token("https://graph.microsoft.com/.default").await?;
    let arm_token = token("https://management.azure.com/.default").await?;
    println!(
        "\n### Azure simulator: pages served per second ({} concurrent clients)\n",
        options.concurrency
    );
    println!("| page | pages/s | p50 ms | p95 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|");
    let graph = |path: &str| format!("{base}/v1.0/{path}");
    let scenarios = [
        (
            "Graph sign-ins, 1000 per page",
            graph("auditLogs/signIns?$top=1000"),
        ),
        (
            "Graph sign-ins, 100 per page",
            graph("auditLogs/signIns?$top=100"),
        ),
        (
            "Graph Intune device configurations, 999 per page",
            graph("deviceManagement/deviceConfigurations?$top=999"),
        ),
        (
            "Graph conditional access policies",
            graph("identity/conditionalAccess/policies"),
        ),
    ];
    for (name, url) in scenarios {
        let authorised = reqwest::Client::builder()
            .default_headers(
                [(
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {graph_token}").parse().unwrap(),
                )]
                .into_iter()
                .collect(),
            )
            .pool_max_idle_per_host(options.concurrency)
            .build()
            .map_err(|e| e.to_string())?;
        let measured = load(
            &authorised,
            Arc::new(vec![url]),
            options.concurrency,
            options.seconds,
        )
        .await;
        println!("{}", measured.line(name));
    }
    let url = format!("{base}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01");
    let query = serde_json::json!({"query": "resources", "options": {"$top": 1000, "resultFormat": "objectArray"}});
    let measured = load_with(
        &client,
        options.concurrency,
        options.seconds,
        move |client, _| client.post(&url).bearer_auth(&arm_token).json(&query),
    )
    .await;
    println!(
        "{}",
        measured.line("Resource Graph resources, 1000 per page")
    );
    handle.stop(true).await;
    Ok(())
}
