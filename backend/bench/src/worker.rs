//! `--only worker`: the real `drift-worker` binary (release, next to `drift-bench`) against an
//! in-process Azure simulator with one tenant of N ARM resources: the first poll (everything
//! stored), an unchanged re-poll (nothing written), and sign-in ingestion, each with its wall
//! time and the worker's peak resident memory.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use azure_sim::{serve, SimOptions, SimState, WorldConfig};
use diesel::prelude::*;
use drift_core::db::schema::{configurations, signing_logs};
use drift_core::tenants::{self, TenantInput};
use drift_core::UtcTime;
use drift_testing::TestDb;

const CLIENT_ID: &str = "0b7e1d2c-5a4f-4e3b-9c8d-7f6a5b4c3d2e";
const CLIENT_SECRET: &str = "bench-secret";
/// Sign-in events of the ingestion run: 2 000 a minute over the last hour.
const SIGNINS_PER_MINUTE: u32 = 2_000;
const SIGNIN_HOURS: u32 = 1;

fn worker_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.with_file_name("drift-worker");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build it first (cargo build --release -p drift-worker)",
            path.display()
        ))
    }
}

/// One run of the worker: wall time and peak RSS (VmHWM, sampled until it exits).
fn run(
    binary: &PathBuf,
    db: &TestDb,
    base: &str,
    args: &[&str],
) -> Result<(Duration, u64), String> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", db.url_string())
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        .env("AZURE_AUTHORITY_HOST", base)
        .env("DRIFT_GRAPH_URL", base)
        .env("DRIFT_ARM_URL", base)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !status.success() {
        return Err(format!("drift-worker {args:?} exited with {status}"));
    }
    Ok((started.elapsed(), peak_kib))
}

fn line(step: &str, count: i64, unit: &str, (elapsed, kib): (Duration, u64)) -> String {
    format!(
        "| {step} | {count} {unit} | {:.1} | {:.0} {unit}/s | {:.0} |",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        kib as f64 / 1024.0
    )
}

pub fn bench_worker(resources: usize, backends: &[&'static str]) -> Result<(), String> {
    let binary = worker_binary()?;
    let config = WorldConfig {
        tenants: 1,
        arm_resources: resources.min(100_000),
        signins_per_minute: SIGNINS_PER_MINUTE,
        signin_backfill_hours: SIGNIN_HOURS,
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        ..WorldConfig::default()
    };
    let state = SimState::new(config, SimOptions::default());
    let azure_tenant = state.world.lock().unwrap().tenants[0].tenant_id.clone();
    let running = serve(
        TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?,
        state,
        2,
    )
    .map_err(|e| e.to_string())?;
    let base = running.base_url.clone();
    let server = running.server;
    std::thread::spawn(move || actix_web::rt::System::new().block_on(server));

    println!(
        "\n## Worker: the drift-worker binary against the simulator, one tenant of {} ARM resources\n",
        resources.min(100_000)
    );
    println!("| backend / step | items | wall s | rate | peak RSS MiB |");
    println!("|---|---|---|---|---|");
    for backend in backends {
        let db = match *backend {
            "postgres" => TestDb::postgres(),
            _ => TestDb::sqlite(),
        };
        let tenant = tenants::create(
            &mut db.conn(),
            &TenantInput {
                name: "Bench".into(),
                azure_tenant_id: azure_tenant.clone(),
            },
            UtcTime::now(),
        )
        .map_err(|e| e.to_string())?
        .id;
        let tenant_arg = tenant.to_string();
        let arm = ["--once", "--tenant", &tenant_arg, "--source", "arm"];
        let first = run(&binary, &db, &base, &arm)?;
        let stored: i64 = configurations::table
            .filter(configurations::tenant_id.eq(tenant))
            .count()
            .get_result(&mut db.conn())
            .map_err(|e| e.to_string())?;
        println!(
            "{}",
            line(
                &format!("{backend}: ARM first poll (all stored)"),
                stored,
                "resources",
                first
            )
        );
        let again = run(&binary, &db, &base, &arm)?;
        println!(
            "{}",
            line(
                &format!("{backend}: ARM re-poll, unchanged (nothing written)"),
                stored,
                "resources",
                again
            )
        );
        let signins = ["--once", "--tenant", &tenant_arg, "--source", "signins"];
        let ingest = run(&binary, &db, &base, &signins)?;
        let events: i64 = signing_logs::table
            .filter(signing_logs::tenant_id.eq(tenant))
            .count()
            .get_result(&mut db.conn())
            .map_err(|e| e.to_string())?;
        println!(
            "{}",
            line(
                &format!("{backend}: sign-in ingestion (first sync)"),
                events,
                "events",
                ingest
            )
        );
    }
    Ok(())
}
