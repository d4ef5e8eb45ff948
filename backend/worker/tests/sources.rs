//! The real `drift-worker` binary against an in-process azure-sim, on both databases: what each
//! source lists and how a source the tenant cannot read is shown.

mod common;

use common::*;
use diesel::prelude::*;
use drift_core::db::schema::{configurations, poll_state};
use drift_core::UtcTime;
use drift_testing::TestDb;
use serde_json::{json, Value};

#[test]
fn a_tenant_with_more_subscriptions_than_one_query_takes_is_listed_in_batches_each_resource_once() {
    // 1 001 subscriptions: more than one Resource Graph request may name (1 000).
    let sim = Sim::start(
        azure_sim::WorldConfig {
            tenants: 1,
            subscriptions: 1001,
            arm_resources: 2500,
            ..small_world()
        },
        small_pages(),
    );
    let azure = sim.tenants();
    let arm: std::collections::BTreeSet<(String, String)> = sim
        .ground_truth(&azure[0])
        .into_iter()
        .filter(|(source, _)| source == "arm")
        .collect();
    assert_eq!(arm.len(), 2500);
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Many subscriptions", &azure[0]);
        let tenant_arg = tenant.to_string();
        let once = ["--once", "--tenant", &tenant_arg, "--source", "arm"];
        succeed(sim.worker(&db, &once));
        let stored: std::collections::BTreeSet<(String, String)> = stored(&db, tenant)
            .into_iter()
            .filter(|(source, _)| source == "arm")
            .collect();
        assert_eq!(stored, arm);
        // Listed exactly once: a second poll finds nothing new, changed or gone.
        succeed(sim.worker(&db, &once));
        assert!(history_rows(&db, tenant).is_empty());
        assert_eq!(count_configurations(&db, tenant, "arm"), 2500);
    }
}

#[test]
fn an_arm_change_is_attributed_to_its_caller() {
    let sim = Sim::start(small_world(), small_pages());
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[0]);
        let tenant_arg = tenant.to_string();
        let once = ["--once", "--tenant", &tenant_arg, "--source", "arm"];
        succeed(sim.worker(&db, &once));
        let updated = sim.change(json!({
            "tenant_id": azure[0],
            "target": {"kind": "arm"},
            "change": "update",
            "actor": "carol@contoso.test",
        }));
        let created = sim.change(json!({
            "tenant_id": azure[0],
            "target": {"kind": "arm"},
            "change": "create",
            "actor": "Terraform",
            "actor_is_app": true,
        }));
        succeed(sim.worker(&db, &once));
        let mut rows = history_rows(&db, tenant);
        rows.sort();
        let mut expected = vec![
            (
                "updated".to_owned(),
                updated["resource_id"].as_str().unwrap().to_lowercase(),
                "carol@contoso.test".to_owned(),
            ),
            (
                "created".to_owned(),
                created["resource_id"].as_str().unwrap().to_lowercase(),
                "Terraform".to_owned(),
            ),
        ];
        expected.sort();
        assert_eq!(rows, expected);
        // The configuration row carries its last change for the configurations table.
        let (at, kind): (Option<UtcTime>, Option<String>) = configurations::table
            .filter(configurations::tenant_id.eq(tenant))
            .filter(drift_core::db::fold(configurations::resource_id).eq(&expected[1].1))
            .select((
                configurations::last_change_at,
                configurations::last_change_type,
            ))
            .first(&mut db.conn())
            .unwrap();
        assert!(at.is_some());
        assert_eq!(kind.as_deref(), Some(expected[1].0.as_str()));
    }
}

#[test]
fn a_tenant_without_p1_or_p2_shows_why_it_has_no_signins_and_polls_everything_else() {
    // The second tenant has no Entra ID P1/P2 licence.
    let sim = Sim::start(
        azure_sim::WorldConfig {
            free_tenants: 1,
            ..small_world()
        },
        small_pages(),
    );
    let azure = sim.tenants();
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Fabrikam (free)", &azure[1]);
        let tenant_arg = tenant.to_string();
        let started = UtcTime::now();
        // Not a failed run: every source that can be read was.
        succeed(sim.worker(&db, &["--once", "--tenant", &tenant_arg]));
        let states: Vec<(String, Option<UtcTime>, Option<String>, UtcTime)> = poll_state::table
            .filter(poll_state::tenant_id.eq(tenant))
            .order(poll_state::source)
            .select((
                poll_state::source,
                poll_state::last_success_at,
                poll_state::last_error,
                poll_state::next_run_at,
            ))
            .load(&mut db.conn())
            .unwrap();
        assert_eq!(states.len(), 4);
        for (source, success, error, next) in states {
            if source == "signins" {
                assert_eq!(success, None);
                assert_eq!(
                    error.as_deref(),
                    Some("Sign-in logs need an Entra ID P1 or P2 licence (Graph: Authentication_RequestFromNonPremiumTenantOrB2CTenant)")
                );
                // Asked again in a day, not in minutes.
                assert!(next.get() >= started.get() + chrono::Duration::hours(23));
            } else {
                assert!(success.is_some(), "{source}");
                assert_eq!(error, None, "{source}");
            }
        }
        assert!(count_configurations(&db, tenant, "entra") > 0);
        assert!(count_configurations(&db, tenant, "arm") > 0);
    }
}

fn catalog_documents(db: &TestDb, tenant: i64) -> Vec<Value> {
    let docs: Vec<drift_core::Json> = configurations::table
        .filter(configurations::tenant_id.eq(tenant))
        .filter(
            configurations::resource_type.eq("microsoft.graph.deviceManagementConfigurationPolicy"),
        )
        .filter(configurations::deleted_at.is_null())
        .select(configurations::config_data)
        .load(&mut db.conn())
        .unwrap();
    docs.into_iter().map(|d| d.0).collect()
}

#[test]
fn settings_catalog_policies_come_from_beta_with_their_settings_and_survive_a_beta_refusal() {
    let sim = Sim::start(small_world(), small_pages());
    let azure = sim.tenants();
    let catalog = |change: &str, actor: &str| {
        json!({
            "tenant_id": azure[0],
            "target": {"kind": "graph", "collection": "settings_catalog_policies"},
            "change": change,
            "actor": actor,
        })
    };
    for make in TestDb::each() {
        let db = make();
        let tenant = add_tenant(&db, "Contoso", &azure[0]);
        let tenant_arg = tenant.to_string();
        let once = ["--once", "--tenant", &tenant_arg, "--source", "intune"];
        succeed(sim.worker(&db, &once));
        let intune = |all: std::collections::BTreeSet<(String, String)>| {
            all.into_iter()
                .filter(|(s, _)| s == "intune")
                .collect::<Vec<_>>()
        };
        assert_eq!(
            intune(stored(&db, tenant)),
            intune(sim.ground_truth(&azure[0]))
        );
        let documents = catalog_documents(&db, tenant);
        // The world as this backend's run finds it (the previous run deleted one).
        let in_world = sim.state.world.lock().unwrap().tenants[0].collections
            [&azure_sim::world::Collection::SettingsCatalogPolicies]
            .len();
        assert!(in_world >= 2);
        assert_eq!(documents.len(), in_world);
        for document in &documents {
            let settings = document["settings"].as_array().unwrap();
            assert_eq!(
                settings.len() as u64,
                document["settingCount"].as_u64().unwrap()
            );
        }

        // A setting flipped in the catalog is an update, attributed from the directory audit.
        let updated = sim.change(catalog("update", "dana@contoso.test"));
        succeed(sim.worker(&db, &once));
        assert_eq!(history_rows(&db, tenant), vec![expected_row(&updated)]);

        // Beta refuses (403): the poll completes with v1.0, records the v1.0 change, and
        // neither deletes nor changes the catalog policies it cannot see.
        let gone = sim.change(catalog("delete", "dana@contoso.test"));
        let v1 = sim.change(json!({
            "tenant_id": azure[0],
            "target": {"kind": "graph", "collection": "device_configurations"},
            "change": "update",
            "actor": "erin@contoso.test",
        }));
        sim.fault(json!({
            "endpoint": "/beta/",
            "fault": {"type": "refuse", "status": 403, "code": "Forbidden",
                      "message": "Application is not authorized to perform this operation."},
            "probability": 1.0
        }));
        succeed(sim.worker(&db, &once));
        assert_eq!(
            history_rows(&db, tenant),
            vec![expected_row(&updated), expected_row(&v1)]
        );
        assert_eq!(catalog_documents(&db, tenant).len(), in_world);

        // Beta back: the deletion is seen by the first complete listing.
        sim.clear_faults();
        succeed(sim.worker(&db, &once));
        assert_eq!(
            history_rows(&db, tenant),
            vec![
                expected_row(&updated),
                expected_row(&v1),
                expected_row(&gone)
            ]
        );
        assert_eq!(catalog_documents(&db, tenant).len(), in_world - 1);
    }
}
