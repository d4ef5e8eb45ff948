//! The sign-in summary at the scale of a large tenant: a million events over 30 days, counted
//! by the database. Ignored by default (it takes a minute to fill the tables); run it with
//! `cargo test --release -p drift-core --test signin_summary_scale -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use drift_core::db::{Backend, DbConnection};
use drift_core::signins::{self, SigningLogSummaryQuery, SummaryBucket};
use drift_core::UtcTime;
use drift_testing::TestDb;

const EVENTS: i64 = 1_000_000;

fn fill(conn: &mut DbConnection, tenant: i64) {
    // Events every 2.592 s over the 30 days from 2026-11-01, one in six failing with one of 13
    // codes, from 26 * 7 countries, to 40 applications; the stored event is padded to the size
    // of a real one (about 2 KB), so that reading it would show.
    let sql = match conn.backend() {
        Backend::Postgres => format!(
            "INSERT INTO signing_logs (tenant_id, log_id, \"timestamp\", actor, action, resource, status, \
             client_ip, log_data, ingested_at, country, error_code) \
             SELECT {tenant}, 'e' || i, timestamptz '2026-11-01T00:00:00Z' + i * interval '2592 microseconds' * 1000, \
             'user' || (i % 500) || '@contoso.com', 'App ' || (i % 40), 'Microsoft Graph', \
             CASE WHEN i % 6 = 0 THEN 'failure:' || (50000 + i % 13) ELSE 'success' END, \
             '10.0.' || (i % 250) || '.1', jsonb_build_object('id', 'e' || i, 'padding', repeat('x', 2000)), \
             now(), chr(65 + (i % 26)::int) || chr(65 + (i % 7)::int), \
             CASE WHEN i % 6 = 0 THEN 50000 + (i % 13)::int ELSE 0 END \
             FROM generate_series(0, {last}) AS i",
            last = EVENTS - 1
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO signing_logs (tenant_id, log_id, \"timestamp\", actor, action, resource, status, \
             client_ip, log_data, ingested_at, country, error_code) \
             SELECT {tenant}, 'e' || i, strftime('%Y-%m-%dT%H:%M:%S', '2026-11-01', '+' || (i * 2592 / 1000) || ' seconds') || '.000000Z', \
             'user' || (i % 500) || '@contoso.com', 'App ' || (i % 40), 'Microsoft Graph', \
             CASE WHEN i % 6 = 0 THEN 'failure:' || (50000 + i % 13) ELSE 'success' END, \
             '10.0.' || (i % 250) || '.1', json_object('id', 'e' || i, 'padding', printf('%.2000c', 'x')), \
             '2026-11-29T00:00:00.000000Z', char(65 + i % 26) || char(65 + i % 7), \
             CASE WHEN i % 6 = 0 THEN 50000 + i % 13 ELSE 0 END FROM n; ANALYZE;",
            last = EVENTS - 1
        ),
    };
    conn.batch_execute(&sql).expect("fill signing_logs");
    if conn.backend() == Backend::Postgres {
        // Statistics, and the visibility map that index-only scans need (outside a transaction).
        conn.batch_execute("VACUUM ANALYZE signing_logs")
            .expect("vacuum signing_logs");
    }
}

fn timed(conn: &mut DbConnection, tenant: i64, query: &SigningLogSummaryQuery) -> (Duration, i64) {
    let now = UtcTime::new("2026-12-01T00:00:00Z".parse().unwrap());
    let mut best = Duration::MAX;
    let mut total = 0;
    for _ in 0..3 {
        let started = Instant::now();
        total = signins::summary(conn, tenant, query, now).unwrap().total;
        best = best.min(started.elapsed());
    }
    (best, total)
}

#[test]
#[ignore = "fills a million rows; run by hand"]
fn a_summary_of_a_million_sign_ins_takes_well_under_seconds() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        let tenant = drift_core::tenants::create(
            &mut conn,
            &drift_core::tenants::TenantInput {
                name: "Contoso".into(),
                azure_tenant_id: "00000000-0000-4000-8000-000000000001".into(),
            },
            UtcTime::now(),
        )
        .unwrap()
        .id;
        let started = Instant::now();
        fill(&mut conn, tenant);
        println!(
            "{:?}: filled {EVENTS} events in {:?}",
            conn.backend(),
            started.elapsed()
        );
        let cases = [
            ("7 days by day", SigningLogSummaryQuery::default()),
            (
                "30 days by hour",
                SigningLogSummaryQuery {
                    since: Some(UtcTime::new("2026-11-01T00:00:00Z".parse().unwrap())),
                    bucket: Some(SummaryBucket::Hour),
                    ..Default::default()
                },
            ),
            (
                "30 days, one country",
                SigningLogSummaryQuery {
                    since: Some(UtcTime::new("2026-11-01T00:00:00Z".parse().unwrap())),
                    country: Some("CA".into()),
                    ..Default::default()
                },
            ),
            (
                "30 days, failures",
                SigningLogSummaryQuery {
                    since: Some(UtcTime::new("2026-11-01T00:00:00Z".parse().unwrap())),
                    status: Some("failure".into()),
                    ..Default::default()
                },
            ),
        ];
        for (name, query) in cases {
            let (took, total) = timed(&mut conn, tenant, &query);
            println!(
                "{:?}: {name}: {total} events counted in {took:?}",
                conn.backend()
            );
            assert!(total > 0);
            assert!(took < Duration::from_secs(10), "{name}: {took:?}");
        }
    }
}
