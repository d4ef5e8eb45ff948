//! Several real `drift-worker` processes, and a worker killed mid-poll: the guarantees of the
//! leases and of page-at-a-time writes, seen from outside.

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::*;
use diesel::prelude::*;
use drift_core::db::schema::poll_state;
use drift_testing::TestDb;
use serde_json::json;

/// (job, start, end) of every poll a worker's debug log shows.
fn poll_intervals(log: &str) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
    let mut open: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let mut done = Vec::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix('[') else {
            continue;
        };
        let Some((stamp, _)) = rest.split_once(' ') else {
            continue;
        };
        let Ok(at) = stamp.parse::<DateTime<Utc>>() else {
            continue;
        };
        let Some((_, message)) = line.split_once("] ") else {
            continue;
        };
        if let Some((job, _)) = message.split_once(": poll started by ") {
            open.insert(job.to_owned(), at);
        } else if let Some((job, _)) = message.split_once(": poll ended by ") {
            if let Some(start) = open.remove(job) {
                done.push((job.to_owned(), start, at));
            }
        }
    }
    done
}

#[test]
fn two_workers_on_one_postgresql_database_never_poll_the_same_job_at_once() {
    if std::env::var("DRIFT_TEST_PG_URL").is_err() {
        eprintln!("skipped: DRIFT_TEST_PG_URL is not set (several workers need PostgreSQL)");
        return;
    }
    let sim = Sim::start(
        azure_sim::WorldConfig {
            tenants: 3,
            ..small_world()
        },
        small_pages(),
    );
    // Every request a little slow, so that polls last long enough to collide if they could.
    sim.fault(
        json!({"endpoint": "*", "fault": {"type": "slow", "delay_ms": 40}, "probability": 1.0}),
    );
    let db = TestDb::postgres();
    for (n, azure) in sim.tenants().iter().enumerate() {
        add_tenant(&db, &format!("Tenant {n}"), azure);
    }
    let dir = std::env::temp_dir();
    let logs: Vec<std::path::PathBuf> = (0..2)
        .map(|n| dir.join(format!("drift-worker-{}-{n}.log", std::process::id())))
        .collect();
    let mut children: Vec<std::process::Child> = logs
        .iter()
        .map(|log| {
            sim.command(&db, &["--concurrency", "3"])
                .env("RUST_LOG", "warn,drift_worker=debug")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(log).unwrap())
                .spawn()
                .unwrap()
        })
        .collect();
    // Keep every job due for a while: both workers compete for the same twelve jobs.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(12) {
        make_due(&db);
        std::thread::sleep(Duration::from_millis(300));
    }
    for child in &children {
        signal(child, "-TERM");
    }
    for child in &mut children {
        assert!(child.wait().unwrap().success());
    }
    let mut all = Vec::new();
    for (n, log) in logs.iter().enumerate() {
        let text = std::fs::read_to_string(log).unwrap();
        let _ = std::fs::remove_file(log);
        let intervals = poll_intervals(&text);
        assert!(!intervals.is_empty(), "worker {n} polled nothing:\n{text}");
        all.extend(intervals.into_iter().map(|(job, a, b)| (job, a, b, n)));
    }
    all.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut polls_per_job: BTreeMap<&str, usize> = BTreeMap::new();
    for pair in all.windows(2) {
        let ((job, _, end, w1), (next_job, next_start, _, w2)) = (&pair[0], &pair[1]);
        if job == next_job {
            assert!(
                end <= next_start,
                "{job}: worker {w1} polled until {end}, worker {w2} started at {next_start}"
            );
        }
    }
    for (job, ..) in &all {
        *polls_per_job.entry(job).or_default() += 1;
    }
    assert_eq!(polls_per_job.len(), 12, "{polls_per_job:?}");
    // Both workers did work on jobs the other also polled: they really competed.
    let shared = polls_per_job
        .keys()
        .filter(|job| {
            let by: std::collections::BTreeSet<usize> = all
                .iter()
                .filter(|(j, ..)| j == *job)
                .map(|(.., w)| *w)
                .collect();
            by.len() == 2
        })
        .count();
    assert!(shared > 0, "no job was polled by both workers");
}

#[test]
fn a_worker_killed_mid_poll_and_restarted_converges_to_the_simulators_truth() {
    let sim = Sim::start(
        azure_sim::WorldConfig {
            tenants: 1,
            arm_resources: 3000,
            subscriptions: 3,
            ..small_world()
        },
        small_pages(),
    );
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[0]);
        let tenant_arg = tenant.to_string();
        let once = ["--once", "--tenant", &tenant_arg, "--lease-seconds", "2"];
        succeed(sim.worker(&db, &once));
        assert_eq!(stored(&db, tenant), sim.ground_truth(&azure[0]));

        // Changes in every source, each to a different resource.
        let mut records = Vec::new();
        for (target, change) in [
            (json!({"kind": "arm"}), "create"),
            (json!({"kind": "arm"}), "update"),
            (json!({"kind": "arm"}), "update"),
            (json!({"kind": "arm"}), "delete"),
            (
                json!({"kind": "graph", "collection": "conditional_access_policies"}),
                "create",
            ),
            (
                json!({"kind": "graph", "collection": "device_configurations"}),
                "delete",
            ),
            (
                json!({"kind": "graph", "collection": "settings_catalog_policies"}),
                "update",
            ),
        ] {
            records.push(sim.change(json!({
                "tenant_id": azure[0], "target": target, "change": change,
                "actor": "frank@contoso.test",
            })));
        }
        // Slow pages (Resource Graph pages of 1 000 rows, Graph pages of two), then SIGKILL
        // in the middle of the polls.
        sim.fault(json!({"endpoint": "/providers/", "fault": {"type": "slow", "delay_ms": 400}, "probability": 1.0}));
        sim.fault(json!({"endpoint": "/v1.0/", "fault": {"type": "slow", "delay_ms": 150}, "probability": 1.0}));
        make_due(&db);
        let mut child = sim.command(&db, &["--lease-seconds", "2"]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(1800));
        signal(&child, "-KILL");
        child.wait().unwrap();
        let held: i64 = poll_state::table
            .filter(poll_state::lease_owner.is_not_null())
            .count()
            .get_result(&mut db.conn())
            .unwrap();
        assert!(held > 0, "the worker was killed while it held jobs");
        sim.clear_faults();

        // After the dead worker's leases expire, one run converges.
        std::thread::sleep(Duration::from_millis(2500));
        succeed(sim.worker(&db, &once));
        assert_eq!(stored(&db, tenant), sim.ground_truth(&azure[0]));
        let mut rows = history_rows(&db, tenant);
        rows.sort();
        let mut expected: Vec<_> = records.iter().map(expected_row).collect();
        expected.sort();
        assert_eq!(rows, expected, "one history row per change, none twice");

        // And stays converged.
        succeed(sim.worker(&db, &once));
        assert_eq!(history_rows(&db, tenant).len(), expected.len());
    }
}
