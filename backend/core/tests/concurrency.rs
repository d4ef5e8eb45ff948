//! Writes of the API while the worker writes: on SQLite a transaction that reads and then
//! writes must wait for the other writer, not fail with "database is locked".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use drift_core::permissions::Permission;
use drift_core::roles::{self, RoleInput};
use drift_core::tenants::{self, TenantInput};
use drift_core::{CoreError, UtcTime};
use drift_testing::TestDb;

#[test]
fn read_then_write_transactions_wait_for_a_busy_writer() {
    for make in TestDb::each() {
        let db = make();
        let role = roles::create(
            &mut db.conn(),
            &RoleInput {
                name: "auditor".into(),
                description: "reads".into(),
                permissions: vec![Permission::HistoryRead],
            },
            UtcTime::now(),
        )
        .unwrap();

        // A stand-in for the worker: short write transactions back to back.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (pool, stop) = (db.pool(), stop.clone());
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let input = TenantInput {
                        name: format!("Busy {n}"),
                        azure_tenant_id: format!("00000000-0000-4000-8000-{n:012}"),
                    };
                    conn.write_transaction(|conn| tenants::create(conn, &input, UtcTime::now()))
                        .unwrap();
                }
                n
            })
        };

        // Role updates read the role, then write it: exactly the pattern that failed.
        let deadline = Instant::now() + Duration::from_millis(1500);
        let mut updates = 0;
        let mut conn = db.conn();
        while Instant::now() < deadline {
            updates += 1;
            let input = RoleInput {
                name: "auditor".into(),
                description: format!("update {updates}"),
                permissions: vec![Permission::HistoryRead],
            };
            match roles::update(&mut conn, role.id, &input) {
                Ok(_) => {}
                Err(CoreError::Database(e)) => panic!("update {updates} failed: {e}"),
                Err(other) => panic!("update {updates} failed: {other}"),
            }
        }
        stop.store(true, Ordering::Relaxed);
        let writes = writer.join().unwrap();
        assert!(
            writes > 10 && updates > 10,
            "both sides worked: {writes} writes, {updates} updates"
        );
    }
}
