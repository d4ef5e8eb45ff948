//! The worker's write path (`drift_core::polling`) on both databases: baseline, changes,
//! interrupted polls, deletions only after complete listings, and leases.

use chrono::Duration;
use diesel::prelude::*;
use drift_core::db::schema::{configuration_history as history, configurations};
use drift_core::polling::{self, ClaimFilter, ObservedResource, PollSource};
use drift_core::tenants::{self, TenantInput};
use drift_core::types::Source;
use drift_core::UtcTime;
use drift_testing::TestDb;
use serde_json::json;

const CA: &str = "microsoft.graph.conditionalAccessPolicy";

fn tenant(db: &TestDb, azure: &str) -> i64 {
    let input = TenantInput {
        name: format!("T {azure}"),
        azure_tenant_id: azure.into(),
    };
    tenants::create(&mut db.conn(), &input, UtcTime::now())
        .unwrap()
        .id
}

fn policy(id: &str, state: &str, modified: &str) -> ObservedResource {
    ObservedResource {
        resource_id: id.into(),
        resource_type: CA.into(),
        resource_name: format!("Policy {id}"),
        config_data: json!({"id": id, "displayName": format!("Policy {id}"), "state": state, "modifiedDateTime": modified}),
    }
}

fn history_rows(db: &TestDb, tenant: i64) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = history::table
        .inner_join(configurations::table)
        .filter(history::tenant_id.eq(tenant))
        .select((history::change_type, configurations::resource_id))
        .load(&mut db.conn())
        .unwrap();
    rows.sort();
    rows
}

/// A whole poll: every page applied, then the listing closed.
fn full_poll(db: &TestDb, tenant: i64, pages: &[Vec<ObservedResource>]) {
    let mut conn = db.conn();
    let mut run = polling::begin(&mut conn, tenant, Source::Entra).unwrap();
    for page in pages {
        polling::apply_page(&mut conn, &mut run, page, UtcTime::now()).unwrap();
    }
    polling::finish_listing(&mut conn, &mut run, UtcTime::now()).unwrap();
}

#[test]
fn an_interrupted_poll_run_again_writes_exactly_the_history_of_a_clean_run() {
    for make in TestDb::each() {
        let db = make();
        let t = tenant(&db, "11111111-1111-4111-8111-111111111111");
        polling::ensure_poll_state(&mut db.conn(), UtcTime::now()).unwrap();
        // The baseline: stored, no history.
        full_poll(
            &db,
            t,
            &[vec![
                policy("a", "enabled", "1"),
                policy("b", "enabled", "1"),
            ]],
        );
        assert!(history_rows(&db, t).is_empty());

        // `a` changes, `b` is gone, `c` is new. A first attempt stops after one page: the
        // partial listing deletes nothing.
        let changed = vec![policy("a", "disabled", "2"), policy("c", "enabled", "2")];
        {
            let mut conn = db.conn();
            let mut run = polling::begin(&mut conn, t, Source::Entra).unwrap();
            polling::apply_page(&mut conn, &mut run, &changed, UtcTime::now()).unwrap();
        }
        assert_eq!(
            history_rows(&db, t),
            vec![
                ("created".into(), "c".into()),
                ("updated".into(), "a".into())
            ]
        );
        // The re-run applies the same page again (no duplicates) and completes.
        full_poll(&db, t, &[changed.clone(), vec![]]);
        assert_eq!(
            history_rows(&db, t),
            vec![
                ("created".into(), "c".into()),
                ("deleted".into(), "b".into()),
                ("updated".into(), "a".into()),
            ]
        );
        // A volatile-only change and an unchanged poll write no history; `b` coming back is
        // a creation.
        full_poll(
            &db,
            t,
            &[vec![
                policy("a", "disabled", "3"),
                policy("c", "enabled", "2"),
                policy("b", "enabled", "1"),
            ]],
        );
        let rows = history_rows(&db, t);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0], ("created".into(), "b".into()));
    }
}

#[test]
fn leases_are_exclusive_until_they_expire() {
    for make in TestDb::each() {
        let db = make();
        let t = tenant(&db, "22222222-2222-4222-8222-222222222222");
        let mut conn = db.conn();
        let now = UtcTime::now();
        assert_eq!(polling::ensure_poll_state(&mut conn, now).unwrap(), 4);
        assert_eq!(polling::ensure_poll_state(&mut conn, now).unwrap(), 0);
        let only_entra = ClaimFilter {
            tenant_id: Some(t),
            source: Some(PollSource::Entra),
            due_only: true,
            not_after: None,
        };
        let lease = Duration::minutes(5);
        let a = polling::claim(&mut conn, "a", &only_entra, now, lease)
            .unwrap()
            .expect("a due job");
        assert_eq!(a.source, PollSource::Entra);
        assert!(polling::claim(&mut conn, "b", &only_entra, now, lease)
            .unwrap()
            .is_none());
        // After the lease expires another worker takes the job over; the first one's
        // outcome is then ignored.
        let later = UtcTime::new(now.get() + Duration::minutes(6));
        let b = polling::claim(&mut conn, "b", &only_entra, later, lease)
            .unwrap()
            .expect("an expired lease is taken over");
        let next = UtcTime::new(later.get() + Duration::minutes(15));
        polling::record_failure(&mut conn, &a, "a", "late", later, later).unwrap();
        polling::record_success(&mut conn, &b, "b", later, next).unwrap();
        // Rescheduled: not due now, free again.
        assert!(polling::claim(&mut conn, "c", &only_entra, later, lease)
            .unwrap()
            .is_none());
        let jobs = polling::jobs(&mut conn, &ClaimFilter::default(), later).unwrap();
        assert_eq!(jobs.len(), 4);
    }
}

/// The ARM source's `next_run_at` as the poll status shows it.
fn arm_next_run(
    conn: &mut drift_core::db::DbConnection,
    tenant: i64,
    at: UtcTime,
) -> serde_json::Value {
    let status = drift_core::poll_status::status(conn, tenant, at).unwrap();
    serde_json::to_value(&status).unwrap()["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "arm")
        .map(|s| s["next_run_at"].clone())
        .unwrap()
}

#[test]
fn a_poll_requested_while_one_runs_is_not_lost() {
    for make in TestDb::each() {
        let db = make();
        let t = tenant(&db, "33333333-3333-4333-8333-333333333333");
        let mut conn = db.conn();
        let now = UtcTime::now();
        polling::ensure_poll_state(&mut conn, now).unwrap();
        let only_arm = ClaimFilter {
            tenant_id: Some(t),
            source: Some(PollSource::Arm),
            due_only: true,
            not_after: None,
        };
        let claim = polling::claim(&mut conn, "w", &only_arm, now, Duration::minutes(5))
            .unwrap()
            .expect("a due job");
        // Someone presses "poll now" while the poll runs.
        let asked = UtcTime::new(now.get() + Duration::seconds(30));
        drift_core::poll_status::request_poll(&mut conn, t, Some(PollSource::Arm), asked).unwrap();
        let scheduled = UtcTime::new(now.get() + Duration::hours(1));
        polling::record_success(&mut conn, &claim, "w", asked, scheduled).unwrap();
        assert_eq!(
            arm_next_run(&mut conn, t, asked),
            serde_json::to_value(asked).unwrap()
        );

        // Without a request the finished poll schedules the next run as planned.
        let later = UtcTime::new(scheduled.get() + Duration::seconds(1));
        let claim = polling::claim(&mut conn, "w", &only_arm, later, Duration::minutes(5))
            .unwrap()
            .expect("due again");
        let next = UtcTime::new(later.get() + Duration::hours(1));
        polling::record_success(&mut conn, &claim, "w", later, next).unwrap();
        assert_eq!(
            arm_next_run(&mut conn, t, later),
            serde_json::to_value(next).unwrap()
        );
    }
}

#[test]
fn two_workers_on_postgres_never_claim_the_same_job() {
    let db = TestDb::postgres();
    for i in 0..5 {
        tenant(&db, &format!("3333333{i}-3333-4333-8333-333333333333"));
    }
    polling::ensure_poll_state(&mut db.conn(), UtcTime::now()).unwrap();
    let pool = db.pool();
    let workers: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|owner| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                let mut claimed = Vec::new();
                let filter = ClaimFilter {
                    due_only: true,
                    ..ClaimFilter::default()
                };
                while let Some(claim) = polling::claim(
                    &mut conn,
                    owner,
                    &filter,
                    UtcTime::now(),
                    Duration::minutes(5),
                )
                .unwrap()
                {
                    claimed.push((claim.tenant_id, claim.source));
                }
                claimed
            })
        })
        .collect();
    let mut all: Vec<_> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(all.len(), 20);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 20, "no job was claimed twice");
}

#[test]
fn shortening_an_interval_brings_the_next_run_forward() {
    use drift_core::settings::{self, SettingsInput};
    for make in TestDb::each() {
        let db = make();
        let mut conn = db.conn();
        let t = tenant(&db, "55555555-5555-4555-8555-555555555555");
        let now = UtcTime::now();
        polling::ensure_poll_state(&mut conn, now).unwrap();
        // Every job ran and waits a day (the old interval).
        let in_a_day = UtcTime::new(now.get() + Duration::hours(24));
        diesel::update(drift_core::db::schema::poll_state::table)
            .set(drift_core::db::schema::poll_state::next_run_at.eq(in_a_day))
            .execute(&mut conn)
            .unwrap();

        let mut input = SettingsInput::from(&settings::current(&mut conn, t).unwrap());
        input.polling_settings.intervals.arm = 5;
        input.polling_settings.intervals.entra = 1440;
        settings::save(&mut conn, t, &input, now).unwrap();

        let arm = arm_next_run(&mut conn, t, now);
        let arm: UtcTime = serde_json::from_value(arm).unwrap();
        assert!(
            arm.get() <= now.get() + Duration::minutes(5),
            "ARM should run within its new 5-minute interval, runs at {arm:?}"
        );
        // A source whose interval did not shrink below the wait keeps its schedule.
        let status =
            serde_json::to_value(drift_core::poll_status::status(&mut conn, t, now).unwrap())
                .unwrap();
        let entra = status["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == "entra")
            .unwrap();
        let entra: UtcTime = serde_json::from_value(entra["next_run_at"].clone()).unwrap();
        assert_eq!(entra, in_a_day);
    }
}

#[test]
fn history_older_than_the_retention_goes_and_newer_history_stays() {
    use drift_core::db::schema::configuration_history::dsl as h;
    for make in TestDb::each() {
        let db = make();
        let t = tenant(&db, "66666666-6666-4666-8666-666666666666");
        polling::ensure_poll_state(&mut db.conn(), UtcTime::now()).unwrap();
        full_poll(
            &db,
            t,
            &[vec![
                policy("a", "enabled", "1"),
                policy("b", "enabled", "1"),
            ]],
        );
        full_poll(
            &db,
            t,
            &[vec![
                policy("a", "disabled", "2"),
                policy("b", "disabled", "2"),
            ]],
        );
        assert_eq!(history_rows(&db, t).len(), 2);
        // `a`'s change is 400 days old.
        let a_id: i64 = configurations::table
            .filter(configurations::resource_id.eq("a"))
            .select(configurations::id)
            .first(&mut db.conn())
            .unwrap();
        let long_ago = UtcTime::new(UtcTime::now().get() - Duration::days(400));
        diesel::update(h::configuration_history.filter(h::configuration_id.eq(a_id)))
            .set(h::changed_at.eq(long_ago))
            .execute(&mut db.conn())
            .unwrap();

        let cutoff = UtcTime::new(UtcTime::now().get() - Duration::days(365));
        // Another source's retention run leaves Entra's history alone.
        assert_eq!(
            polling::purge_history(&mut db.conn(), t, Source::Arm, cutoff).unwrap(),
            0
        );
        assert_eq!(
            polling::purge_history(&mut db.conn(), t, Source::Entra, cutoff).unwrap(),
            1
        );
        assert_eq!(history_rows(&db, t), vec![("updated".into(), "b".into())]);
    }
}
