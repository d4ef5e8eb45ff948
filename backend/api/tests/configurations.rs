//! Configurations (the current state of every polled resource) and their history, as the API
//! lists, filters, sorts, pages, shows and deletes them. The worker writes them; here the core
//! write functions stand in for it.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Reply, TestApp};
use diesel::prelude::*;
use drift_core::configurations::ObservedConfiguration;
use drift_core::db::schema;
use drift_core::history::NewHistoryEntry;
use drift_core::types::{ChangeType, Severity, Source};
use drift_core::{Json, UtcTime};
use serde_json::{json, Value};

/// A fixed instant `minutes` after the test epoch. The epoch has a microsecond part so that
/// every instant is written with six fractional digits.
fn at(minutes: i64) -> UtcTime {
    let epoch: DateTime<Utc> = "2026-03-01T10:00:00.123456Z".parse().unwrap();
    UtcTime::new(epoch + Duration::minutes(minutes))
}

/// The API form of [`at`].
fn ts(minutes: i64) -> String {
    at(minutes).to_string()
}

fn configurations_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/configurations")
}

fn history_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/history")
}

/// A resource to store.
struct Resource<'a> {
    source: Source,
    resource_type: &'a str,
    resource_id: &'a str,
    name: &'a str,
    minutes: i64,
}

fn document(resource: &Resource) -> Value {
    json!({
        "id": resource.resource_id,
        "displayName": resource.name,
        "state": "enabled",
        "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": []}, "clientAppTypes": null},
        "weight": 1.5,
        "count": 3,
        "note": "Zoë’s policy — ünïcode",
    })
}

fn store(app: &TestApp, tenant: i64, resource: &Resource) -> i64 {
    let mut conn = app.db.conn();
    let observed = ObservedConfiguration {
        tenant_id: tenant,
        source: resource.source,
        resource_type: resource.resource_type.into(),
        resource_id: resource.resource_id.into(),
        resource_name: resource.name.into(),
        config_data: Json(document(resource)),
        content_hash: format!("hash-{}", resource.resource_id),
    };
    drift_core::configurations::insert(&mut conn, &observed, at(resource.minutes))
        .expect("store a configuration")
        .id
}

fn mark_deleted(app: &TestApp, id: i64, minutes: i64) {
    use schema::configurations::dsl;
    let mut conn = app.db.conn();
    let updated = diesel::update(dsl::configurations.find(id))
        .set(dsl::deleted_at.eq(Some(at(minutes))))
        .execute(&mut *conn)
        .expect("mark a configuration deleted");
    assert_eq!(updated, 1);
}

const CA_POLICY: &str = "microsoft.graph.conditionalAccessPolicy";
const STORAGE: &str = "Microsoft.Storage/storageAccounts";
const DEVICE_CONFIG: &str = "microsoft.graph.windows10GeneralConfiguration";

/// Five resources of a tenant, stored out of name order. Returns their ids in this order:
/// Charlie (entra), Alpha (arm), Echo (intune), Bravo (arm), Delta (entra).
fn seed_five(app: &TestApp, tenant: i64) -> [i64; 5] {
    let resources = [
        Resource { source: Source::Entra, resource_type: CA_POLICY, resource_id: "ca-0003", name: "Charlie MFA for admins", minutes: 30 },
        Resource { source: Source::Arm, resource_type: STORAGE, resource_id: "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/alpha", name: "Alpha storage", minutes: 10 },
        Resource { source: Source::Intune, resource_type: DEVICE_CONFIG, resource_id: "dc-0005", name: "Echo device baseline", minutes: 50 },
        Resource { source: Source::Arm, resource_type: "microsoft.storage/STORAGEACCOUNTS", resource_id: "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/bravo", name: "Bravo storage", minutes: 20 },
        Resource { source: Source::Entra, resource_type: CA_POLICY, resource_id: "ca-0004", name: "Delta block legacy auth", minutes: 40 },
    ];
    let ids: Vec<i64> = resources.iter().map(|r| store(app, tenant, r)).collect();
    ids.try_into().unwrap()
}

fn ids(page_items: &Value) -> Vec<i64> {
    page_items
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_i64().expect("an id"))
        .collect()
}

async fn list_ids(app: &TestApp, path: &str) -> Vec<i64> {
    let page = app.get(path).await.expect(200);
    assert!(page.get("next_cursor").is_none(), "one page: {page}");
    ids(&page["items"])
}

async fn get_entry(app: &TestApp, tenant: i64, id: i64) -> Reply {
    app.get(&format!("{}/{id}", history_path(tenant))).await
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// A change to record.
struct Change {
    configuration: i64,
    minutes: i64,
    change_type: ChangeType,
    changed_by: &'static str,
    severity: Option<Severity>,
}

fn record(app: &TestApp, tenant: i64, change: &Change) -> i64 {
    let before = json!({"state": "enabled", "minute": change.minutes});
    let after = json!({"state": "disabled", "minute": change.minutes});
    let (previous_config, new_config) = match change.change_type {
        ChangeType::Created => (None, Some(Json(after))),
        ChangeType::Updated => (Some(Json(before)), Some(Json(after))),
        ChangeType::Deleted => (Some(Json(before)), None),
    };
    let entry = NewHistoryEntry {
        configuration_id: change.configuration,
        previous_config,
        new_config,
        changed_at: at(change.minutes),
        change_type: change.change_type,
        changed_by: change.changed_by.into(),
        changed_paths: match change.change_type {
            ChangeType::Updated => vec!["/state".into()],
            _ => vec![],
        },
        severity: change.severity,
    };
    let mut conn = app.db.conn();
    drift_core::history::record(&mut conn, tenant, &entry).expect("record a change")
}

/// A tenant's drift feed: three configurations and six changes. Returns the configuration ids
/// [ca (entra), storage (arm), device (intune)] and the change ids h[0]..h[5] in recording
/// order, which is also `changed_at` order except that h[3] and h[4] share an instant.
fn seed_history(app: &TestApp, tenant: i64) -> ([i64; 3], [i64; 6]) {
    let ca = store(
        app,
        tenant,
        &Resource {
            source: Source::Entra,
            resource_type: CA_POLICY,
            resource_id: "ca-1",
            name: "Require MFA",
            minutes: 0,
        },
    );
    let storage = store(
        app,
        tenant,
        &Resource {
            source: Source::Arm,
            resource_type: STORAGE,
            resource_id: "/subscriptions/s1/storageAccounts/st1",
            name: "st1",
            minutes: 1,
        },
    );
    let device = store(
        app,
        tenant,
        &Resource {
            source: Source::Intune,
            resource_type: DEVICE_CONFIG,
            resource_id: "dc-1",
            name: "Baseline",
            minutes: 3,
        },
    );
    let changes = [
        Change {
            configuration: ca,
            minutes: 0,
            change_type: ChangeType::Created,
            changed_by: "Adele.Vance@contoso.com",
            severity: Some(Severity::Info),
        },
        Change {
            configuration: storage,
            minutes: 1,
            change_type: ChangeType::Created,
            changed_by: "unknown",
            severity: Some(Severity::Low),
        },
        Change {
            configuration: ca,
            minutes: 2,
            change_type: ChangeType::Updated,
            changed_by: "megan@contoso.com",
            severity: Some(Severity::High),
        },
        Change {
            configuration: storage,
            minutes: 3,
            change_type: ChangeType::Updated,
            changed_by: "unknown",
            severity: Some(Severity::Critical),
        },
        Change {
            configuration: device,
            minutes: 3,
            change_type: ChangeType::Created,
            changed_by: "adele.vance@contoso.com",
            severity: Some(Severity::Medium),
        },
        Change {
            configuration: ca,
            minutes: 5,
            change_type: ChangeType::Deleted,
            changed_by: "Terraform Cloud",
            severity: None,
        },
    ];
    let history: Vec<i64> = changes.iter().map(|c| record(app, tenant, c)).collect();
    ([ca, storage, device], history.try_into().unwrap())
}

on_both_backends! {
    async fn lists_summaries_and_gets_the_stored_document(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let alpha = Resource { source: Source::Arm, resource_type: STORAGE, resource_id: "/subscriptions/s1/storageAccounts/alpha", name: "Alpha storage", minutes: 10 };
        let bravo = Resource { source: Source::Entra, resource_type: CA_POLICY, resource_id: "ca-0002", name: "Bravo policy", minutes: 20 };
        let bravo_id = store(&app, tenant, &bravo);
        let alpha_id = store(&app, tenant, &alpha);

        let summary = |id: i64, r: &Resource| {
            json!({
                "id": id,
                "tenant_id": tenant,
                "source": r.source.as_str(),
                "resource_type": r.resource_type,
                "resource_id": r.resource_id,
                "resource_name": r.name,
                "last_updated": ts(r.minutes),
                "content_hash": format!("hash-{}", r.resource_id),
                "deleted_at": null,
                "last_change_at": null,
                "last_change_type": null,
                "last_change_severity": null,
            })
        };
        let page = app.get(&configurations_path(tenant)).await.expect(200);
        assert_eq!(
            page,
            json!({"items": [summary(alpha_id, &alpha), summary(bravo_id, &bravo)]}),
            "summaries sorted by name, without config_data"
        );

        let mut full = summary(bravo_id, &bravo);
        full["config_data"] = document(&bravo);
        let got = app.get(&format!("{}/{bravo_id}", configurations_path(tenant))).await.expect(200);
        assert_eq!(got, full);
        assert_eq!(got["config_data"]["note"], "Zoë’s policy — ünïcode");
        assert_eq!(got["config_data"]["conditions"]["clientAppTypes"], Value::Null);

        app.get(&format!("{}/999999", configurations_path(tenant))).await.expect_problem(404, "not-found");
        app.get(&format!("{}/abc", configurations_path(tenant))).await.expect_problem(400, "bad-request");
        app.get("/api/v1/tenants/999999/configurations").await.expect_problem(404, "not-found");
    }

    async fn filters_by_source_type_and_search(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let [charlie, alpha, echo, bravo, delta] = seed_five(&app, tenant);
        let path = configurations_path(tenant);

        assert_eq!(list_ids(&app, &format!("{path}?source=entra")).await, [charlie, delta]);
        assert_eq!(list_ids(&app, &format!("{path}?source=arm")).await, [alpha, bravo]);
        assert_eq!(list_ids(&app, &format!("{path}?source=intune")).await, [echo]);

        assert_eq!(
            list_ids(&app, &format!("{path}?resource_type=MICROSOFT.STORAGE/storageaccounts")).await,
            [alpha, bravo],
            "the type matches whatever its case"
        );
        assert_eq!(list_ids(&app, &format!("{path}?resource_type=microsoft.graph.conditionalaccesspolicy")).await, [charlie, delta]);
        assert_eq!(list_ids(&app, &format!("{path}?resource_type=microsoft.graph")).await, Vec::<i64>::new(), "the type is matched exactly");

        assert_eq!(list_ids(&app, &format!("{path}?search=STORAGE")).await, [alpha, bravo], "search in names, any case");
        assert_eq!(list_ids(&app, &format!("{path}?search=CA-000")).await, [charlie, delta], "search in resource ids, any case");
        assert_eq!(list_ids(&app, &format!("{path}?search=accounts/bravo")).await, [bravo]);
        assert_eq!(list_ids(&app, &format!("{path}?search=legacy")).await, [delta]);
        assert_eq!(list_ids(&app, &format!("{path}?search=%25")).await, Vec::<i64>::new(), "% is taken literally");
        assert_eq!(list_ids(&app, &format!("{path}?search=_")).await, Vec::<i64>::new(), "_ is taken literally");
        assert_eq!(list_ids(&app, &format!("{path}?search=")).await, [alpha, bravo, charlie, delta, echo], "an empty search is no filter");

        assert_eq!(list_ids(&app, &format!("{path}?source=arm&search=alpha")).await, [alpha], "filters combine");
        assert_eq!(list_ids(&app, &format!("{path}?source=entra&resource_type={STORAGE}")).await, Vec::<i64>::new());
    }

    async fn search_takes_wildcards_literally(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let percent = store(&app, tenant, &Resource { source: Source::Entra, resource_type: CA_POLICY, resource_id: "p1", name: "100% of admins", minutes: 0 });
        let underscore = store(&app, tenant, &Resource { source: Source::Entra, resource_type: CA_POLICY, resource_id: "p2", name: "block_legacy", minutes: 0 });
        store(&app, tenant, &Resource { source: Source::Entra, resource_type: CA_POLICY, resource_id: "p3", name: "block legacy", minutes: 0 });
        let path = configurations_path(tenant);
        assert_eq!(list_ids(&app, &format!("{path}?search=%25")).await, [percent]);
        assert_eq!(list_ids(&app, &format!("{path}?search=k_l")).await, [underscore]);
    }

    async fn case_insensitive_filters_fold_non_ascii_letters(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let id = store(&app, tenant, &Resource { source: Source::Entra, resource_type: "Microsoft.Graph.Ÿpsilon", resource_id: "ÅSA-1", name: "Ärzte ÜBERSICHT", minutes: 0 });
        let path = configurations_path(tenant);
        assert_eq!(list_ids(&app, &format!("{path}?search=%C3%A4rzte%20%C3%BCbersicht")).await, [id], "search=ärzte übersicht");
        assert_eq!(list_ids(&app, &format!("{path}?search=%C3%A5sa")).await, [id], "search=åsa");
        assert_eq!(list_ids(&app, &format!("{path}?resource_type=microsoft.graph.%C3%BFpsilon")).await, [id], "resource_type=…ÿpsilon");
    }

    async fn state_chooses_present_deleted_or_all(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let [charlie, alpha, echo, bravo, delta] = seed_five(&app, tenant);
        mark_deleted(&app, bravo, 60);
        mark_deleted(&app, echo, 61);
        let path = configurations_path(tenant);

        assert_eq!(list_ids(&app, &path).await, [alpha, charlie, delta], "present by default");
        assert_eq!(list_ids(&app, &format!("{path}?state=present")).await, [alpha, charlie, delta]);
        assert_eq!(list_ids(&app, &format!("{path}?state=deleted")).await, [bravo, echo]);
        assert_eq!(list_ids(&app, &format!("{path}?state=all")).await, [alpha, bravo, charlie, delta, echo]);
        assert_eq!(list_ids(&app, &format!("{path}?state=deleted&source=arm")).await, [bravo]);

        let listed = app.get(&format!("{path}?state=deleted")).await.expect(200);
        assert_eq!(listed["items"][0]["deleted_at"], ts(60));
        let got = app.get(&format!("{path}/{echo}")).await.expect(200);
        assert_eq!(got["deleted_at"], ts(61), "a deleted resource can still be read");

        let problem = app.get(&format!("{path}?state=gone")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["state"]);
    }

    async fn updated_since_is_inclusive(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let [charlie, _alpha, echo, _bravo, delta] = seed_five(&app, tenant);
        let path = configurations_path(tenant);
        assert_eq!(list_ids(&app, &format!("{path}?updated_since={}", ts(30))).await, [charlie, delta, echo]);
        assert_eq!(list_ids(&app, &format!("{path}?updated_since={}", ts(50))).await, [echo]);
        assert_eq!(list_ids(&app, &format!("{path}?updated_since={}", ts(51))).await, Vec::<i64>::new());
        // Another spelling of the same instant.
        assert_eq!(
            list_ids(&app, &format!("{path}?updated_since=2026-03-01T11%3A30%3A00.123456%2B01%3A00")).await,
            [charlie, delta, echo],
            "11:30+01:00 is 10:30Z"
        );
        let problem = app.get(&format!("{path}?updated_since=yesterday")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["updated_since"]);
    }

    async fn sorts_by_each_field_in_both_directions(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let [charlie, alpha, echo, bravo, delta] = seed_five(&app, tenant);
        let path = configurations_path(tenant);

        assert_eq!(list_ids(&app, &path).await, [alpha, bravo, charlie, delta, echo], "by name by default");
        assert_eq!(list_ids(&app, &format!("{path}?sort=resource_name")).await, [alpha, bravo, charlie, delta, echo]);
        assert_eq!(list_ids(&app, &format!("{path}?sort=-resource_name")).await, [echo, delta, charlie, bravo, alpha]);
        assert_eq!(
            list_ids(&app, &format!("{path}?sort=resource_type&source=entra")).await,
            [charlie, delta],
            "equal types are ordered by id"
        );
        assert_eq!(list_ids(&app, &format!("{path}?sort=-resource_type&source=entra")).await, [delta, charlie]);
        assert_eq!(list_ids(&app, &format!("{path}?sort=last_updated")).await, [alpha, bravo, charlie, delta, echo]);
        assert_eq!(list_ids(&app, &format!("{path}?sort=-last_updated")).await, [echo, delta, charlie, bravo, alpha]);
        assert_eq!(list_ids(&app, &format!("{path}?sort=-id")).await, [delta, bravo, echo, alpha, charlie]);
        assert_eq!(list_ids(&app, &format!("{path}?sort=id")).await, [charlie, alpha, echo, bravo, delta]);

        let problem = app.get(&format!("{path}?sort=name")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["sort"]);
    }

    async fn sort_by_type_pages_through_ties_in_id_order(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let mut stored = Vec::new();
        for (n, rtype) in ["b.type", "a.type", "b.type", "a.type", "b.type", "c.type", "a.type"].into_iter().enumerate() {
            let resource_id = format!("r{n}");
            let id = store(&app, tenant, &Resource { source: Source::Arm, resource_type: rtype, resource_id: &resource_id, name: "same name", minutes: 0 });
            stored.push((rtype, id));
        }
        let mut expected = stored.clone();
        expected.sort();
        let expected: Vec<i64> = expected.into_iter().map(|(_, id)| id).collect();
        let path = format!("{}?sort=resource_type", configurations_path(tenant));
        assert_eq!(ids(&json!(app.collect_all(&path, 2).await)), expected);
        let mut descending = stored.clone();
        descending.sort();
        descending.reverse();
        let descending: Vec<i64> = descending.into_iter().map(|(_, id)| id).collect();
        let path = format!("{}?sort=-resource_type", configurations_path(tenant));
        assert_eq!(ids(&json!(app.collect_all(&path, 3).await)), descending);
        // Equal names: the id alone orders them, through every page.
        let by_name: Vec<i64> = { let mut all: Vec<i64> = stored.iter().map(|(_, id)| *id).collect(); all.sort(); all };
        assert_eq!(ids(&json!(app.collect_all(&configurations_path(tenant), 2).await)), by_name);
    }

    async fn pages_end_exactly_at_the_last_item(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let [charlie, alpha, echo, bravo, delta] = seed_five(&app, tenant);

        // Four present resources, two per page: the second page is the last.
        mark_deleted(&app, echo, 60);
        let path = configurations_path(tenant);
        let first = app.get(&format!("{path}?limit=2")).await.expect(200);
        assert_eq!(ids(&first["items"]), [alpha, bravo]);
        let cursor = first["next_cursor"].as_str().expect("a second page");
        let second = app.get(&format!("{path}?limit=2&cursor={cursor}")).await.expect(200);
        assert_eq!(ids(&second["items"]), [charlie, delta]);
        assert!(second.get("next_cursor").is_none(), "no cursor after the last item: {second}");

        let all = app.get(&format!("{path}?limit=4")).await.expect(200);
        assert_eq!(ids(&all["items"]), [alpha, bravo, charlie, delta]);
        assert!(all.get("next_cursor").is_none(), "{all}");

        assert_eq!(ids(&json!(app.collect_all(&format!("{path}?sort=-last_updated"), 3).await)), [delta, charlie, bravo, alpha]);
    }

    async fn an_empty_list_has_no_cursor(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        assert_eq!(app.get(&configurations_path(tenant)).await.expect(200), json!({"items": []}));
        seed_five(&app, tenant);
        assert_eq!(
            app.get(&format!("{}?search=nothing-like-this&limit=1", configurations_path(tenant))).await.expect(200),
            json!({"items": []})
        );
    }

    async fn bad_cursors_limits_and_parameters_are_refused(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        seed_five(&app, tenant);
        let path = configurations_path(tenant);

        for garbage in ["garbage", "eyJzIjoxfQ", "!!!"] {
            app.get(&format!("{path}?cursor={garbage}")).await.expect_problem(400, "invalid-cursor");
        }
        let page = app.get(&format!("{path}?limit=2")).await.expect(200);
        let cursor = page["next_cursor"].as_str().unwrap();
        for sort in ["-resource_name", "last_updated", "resource_type", "id"] {
            app.get(&format!("{path}?limit=2&sort={sort}&cursor={cursor}"))
                .await
                .expect_problem(400, "invalid-cursor");
        }
        // The same cursor with its own sort, spelled out, still works.
        app.get(&format!("{path}?limit=2&sort=resource_name&cursor={cursor}")).await.expect(200);

        for limit in ["0", "501", "-1"] {
            let problem = app.get(&format!("{path}?limit={limit}")).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["limit"], "limit={limit}");
        }
        let problem = app.get(&format!("{path}?limit=ten")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["limit"]);
        assert_eq!(app.get(&format!("{path}?limit=500")).await.expect(200)["items"].as_array().unwrap().len(), 5);

        let problem = app.get(&format!("{path}?sourec=entra")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["sourec"]);
        assert_eq!(problem["errors"][0]["code"], "unknown_parameter");

        let problem = app.get(&format!("{path}?source=foo")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["source"]);
        let problem = app.get(&format!("{path}?source=Entra")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["source"], "sources are lower case");
    }

    async fn deleting_a_configuration_takes_its_history(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let ([ca, storage, device], h) = seed_history(&app, tenant);
        let path = configurations_path(tenant);

        assert_eq!(app.delete(&format!("{path}/{ca}")).await.expect(204), Value::Null);
        app.get(&format!("{path}/{ca}")).await.expect_problem(404, "not-found");
        app.get(&format!("{path}/{ca}/history")).await.expect_problem(404, "not-found");
        app.delete(&format!("{path}/{ca}")).await.expect_problem(404, "not-found");
        for entry in [h[0], h[2], h[5]] {
            app.get(&format!("{}/{entry}", history_path(tenant))).await.expect_problem(404, "not-found");
        }
        assert_eq!(list_ids(&app, &history_path(tenant)).await, [h[4], h[3], h[1]], "the other changes stay");
        assert_eq!(list_ids(&app, &format!("{path}?state=all")).await, [device, storage]);
    }

    async fn a_configuration_of_one_tenant_is_not_found_through_another(app: TestApp) {
        let a = app.tenant("Contoso", 1).await;
        let b = app.tenant("Fabrikam", 2).await;
        let ([ca, _, _], _) = seed_history(&app, a);

        app.get(&format!("{}/{ca}", configurations_path(b))).await.expect_problem(404, "not-found");
        app.delete(&format!("{}/{ca}", configurations_path(b))).await.expect_problem(404, "not-found");
        app.get(&format!("{}/{ca}/history", configurations_path(b))).await.expect_problem(404, "not-found");
        assert_eq!(app.get(&configurations_path(b)).await.expect(200), json!({"items": []}));

        app.get(&format!("{}/{ca}", configurations_path(a))).await.expect(200);
        assert_eq!(list_ids(&app, &format!("{}/{ca}/history", configurations_path(a))).await.len(), 3);
    }

    async fn history_is_newest_first_and_sorts_oldest_first_on_request(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (_, h) = seed_history(&app, tenant);
        let path = history_path(tenant);

        let newest_first = [h[5], h[4], h[3], h[2], h[1], h[0]];
        let oldest_first = [h[0], h[1], h[2], h[3], h[4], h[5]];
        assert_eq!(list_ids(&app, &path).await, newest_first, "ties on changed_at by id");
        assert_eq!(list_ids(&app, &format!("{path}?sort=-changed_at")).await, newest_first);
        assert_eq!(list_ids(&app, &format!("{path}?sort=changed_at")).await, oldest_first);
        assert_eq!(list_ids(&app, &format!("{path}?sort=id")).await, oldest_first);
        assert_eq!(list_ids(&app, &format!("{path}?sort=-id")).await, newest_first);

        for limit in [1, 2, 4] {
            assert_eq!(ids(&json!(app.collect_all(&path, limit).await)), newest_first, "limit {limit}");
            assert_eq!(ids(&json!(app.collect_all(&format!("{path}?sort=changed_at"), limit).await)), oldest_first, "limit {limit}");
        }
        let page = app.get(&format!("{path}?limit=3")).await.expect(200);
        let cursor = page["next_cursor"].as_str().unwrap();
        app.get(&format!("{path}?sort=changed_at&cursor={cursor}")).await.expect_problem(400, "invalid-cursor");
        app.get(&format!("{path}?cursor=nope")).await.expect_problem(400, "invalid-cursor");
        let problem = app.get(&format!("{path}?sort=severity")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["sort"]);
    }

    async fn configuration_history_lists_only_that_configuration(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let ([ca, storage, device], h) = seed_history(&app, tenant);
        let path = |id: i64| format!("{}/{id}/history", configurations_path(tenant));

        assert_eq!(list_ids(&app, &path(ca)).await, [h[5], h[2], h[0]]);
        assert_eq!(list_ids(&app, &format!("{}?sort=changed_at", path(ca))).await, [h[0], h[2], h[5]]);
        assert_eq!(list_ids(&app, &path(storage)).await, [h[3], h[1]]);
        assert_eq!(list_ids(&app, &path(device)).await, [h[4]]);
        assert_eq!(list_ids(&app, &format!("{}?change_type=updated", path(ca))).await, [h[2]]);
        assert_eq!(ids(&json!(app.collect_all(&path(ca), 1).await)), [h[5], h[2], h[0]]);
        app.get(&path(999999)).await.expect_problem(404, "not-found");
        let problem = app.get(&format!("{}?bogus=1", path(ca))).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["bogus"]);
    }

    async fn history_filters_each_narrow_the_feed(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (_, h) = seed_history(&app, tenant);
        let path = history_path(tenant);
        let q = |query: &str| format!("{path}?{query}");

        assert_eq!(list_ids(&app, &q("change_type=created")).await, [h[4], h[1], h[0]]);
        assert_eq!(list_ids(&app, &q("change_type=updated")).await, [h[3], h[2]]);
        assert_eq!(list_ids(&app, &q("change_type=deleted")).await, [h[5]]);
        assert_eq!(list_ids(&app, &q("source=arm")).await, [h[3], h[1]]);
        assert_eq!(list_ids(&app, &q("source=intune")).await, [h[4]]);
        assert_eq!(list_ids(&app, &q("resource_type=MICROSOFT.GRAPH.CONDITIONALACCESSPOLICY")).await, [h[5], h[2], h[0]]);
        assert_eq!(list_ids(&app, &q("resource_type=microsoft.storage/storageaccounts")).await, [h[3], h[1]]);

        assert_eq!(list_ids(&app, &q("changed_by=ADELE.VANCE@CONTOSO.COM")).await, [h[4], h[0]], "any case");
        assert_eq!(list_ids(&app, &q("changed_by=megan@contoso.com")).await, [h[2]]);
        assert_eq!(list_ids(&app, &q("changed_by=megan")).await, Vec::<i64>::new(), "changed_by is matched exactly");
        assert_eq!(list_ids(&app, &q("changed_by=unknown")).await, [h[3], h[1]], "unattributed changes");
        assert_eq!(list_ids(&app, &q("changed_by=terraform%20cloud")).await, [h[5]]);

        assert_eq!(list_ids(&app, &q("min_severity=high")).await, [h[3], h[2]], "high and critical only");
        assert_eq!(list_ids(&app, &q("min_severity=critical")).await, [h[3]]);
        assert_eq!(list_ids(&app, &q("min_severity=medium")).await, [h[4], h[3], h[2]]);
        assert_eq!(list_ids(&app, &q("min_severity=info")).await, [h[4], h[3], h[2], h[1], h[0]], "unrated changes are below every severity");

        assert_eq!(list_ids(&app, &q("change_type=updated&source=arm&min_severity=critical")).await, [h[3]]);
        assert_eq!(list_ids(&app, &q("change_type=created&changed_by=unknown&sort=changed_at")).await, [h[1]]);

        for (query, field) in [
            ("change_type=modified", "change_type"),
            ("source=graph", "source"),
            ("min_severity=urgent", "min_severity"),
            ("since=yesterday", "since"),
            ("until=2026-13-01T00:00:00Z", "until"),
            ("changedby=x", "changedby"),
        ] {
            let problem = app.get(&q(query)).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), [field], "{query}");
        }
    }

    async fn since_is_inclusive_and_until_exclusive(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (_, h) = seed_history(&app, tenant);
        let path = history_path(tenant);

        assert_eq!(list_ids(&app, &format!("{path}?since={}", ts(2))).await, [h[5], h[4], h[3], h[2]]);
        assert_eq!(list_ids(&app, &format!("{path}?since={}", ts(3))).await, [h[5], h[4], h[3]]);
        assert_eq!(list_ids(&app, &format!("{path}?until={}", ts(3))).await, [h[2], h[1], h[0]]);
        assert_eq!(list_ids(&app, &format!("{path}?since={}&until={}", ts(1), ts(3))).await, [h[2], h[1]]);
        assert_eq!(list_ids(&app, &format!("{path}?since={}&until={}", ts(3), ts(4))).await, [h[4], h[3]]);
        assert_eq!(
            list_ids(&app, &format!("{path}?since=2026-03-01T10:03:00Z&until=2026-03-01T10:04:00Z")).await,
            [h[4], h[3]],
            "whole seconds work too"
        );
        assert_eq!(
            list_ids(&app, &format!("{path}?since=2026-03-01T11%3A03%3A00%2B01%3A00&until=2026-03-01T10%3A04%3A00Z")).await,
            [h[4], h[3]],
            "an offset is honoured"
        );
        for (since, until) in [(ts(3), ts(3)), (ts(4), ts(3))] {
            let problem = app
                .get(&format!("{path}?since={since}&until={until}"))
                .await
                .expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["since"]);
        }
    }

    async fn history_summaries_carry_their_configuration_and_no_documents(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let ([_, storage, _], h) = seed_history(&app, tenant);
        let page = app.get(&format!("{}?change_type=updated&source=arm", history_path(tenant))).await.expect(200);
        assert_eq!(
            page["items"],
            json!([{
                "id": h[3],
                "configuration_id": storage,
                "tenant_id": tenant,
                "changed_at": ts(3),
                "change_type": "updated",
                "changed_by": "unknown",
                "changed_paths": ["/state"],
                "severity": "critical",
                "source": "arm",
                "resource_type": STORAGE,
                "resource_id": "/subscriptions/s1/storageAccounts/st1",
                "resource_name": "st1",
            }])
        );
        let feed = app.get(&history_path(tenant)).await.expect(200);
        for item in feed["items"].as_array().unwrap() {
            assert!(item.get("previous_config").is_none() && item.get("new_config").is_none(), "{item}");
        }
        assert_eq!(feed["items"][0]["severity"], Value::Null, "an unrated change has a null severity");
    }

    async fn a_history_entry_has_the_states_before_and_after(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let ([ca, _, _], h) = seed_history(&app, tenant);

        let created = get_entry(&app, tenant, h[0]).await.expect(200);
        assert_eq!(
            created,
            json!({
                "id": h[0],
                "configuration_id": ca,
                "tenant_id": tenant,
                "changed_at": ts(0),
                "change_type": "created",
                "changed_by": "Adele.Vance@contoso.com",
                "changed_paths": [],
                "severity": "info",
                "source": "entra",
                "resource_type": CA_POLICY,
                "resource_id": "ca-1",
                "resource_name": "Require MFA",
                "previous_config": null,
                "new_config": {"state": "disabled", "minute": 0},
            })
        );
        let updated = get_entry(&app, tenant, h[2]).await.expect(200);
        assert_eq!(updated["previous_config"], json!({"state": "enabled", "minute": 2}));
        assert_eq!(updated["new_config"], json!({"state": "disabled", "minute": 2}));
        let deleted = get_entry(&app, tenant, h[5]).await.expect(200);
        assert_eq!(deleted["previous_config"], json!({"state": "enabled", "minute": 5}));
        assert_eq!(deleted["new_config"], Value::Null);
        assert!(deleted.as_object().unwrap().contains_key("new_config"));
        assert_eq!(keys(&deleted), keys(&created));

        get_entry(&app, tenant, 999999).await.expect_problem(404, "not-found");
    }

    async fn history_of_one_tenant_is_not_found_through_another(app: TestApp) {
        let a = app.tenant("Contoso", 1).await;
        let b = app.tenant("Fabrikam", 2).await;
        let (_, h) = seed_history(&app, a);
        let ([b_ca, _, _], b_h) = seed_history(&app, b);

        for id in h {
            app.get(&format!("{}/{id}", history_path(b))).await.expect_problem(404, "not-found");
        }
        assert_eq!(list_ids(&app, &history_path(b)).await, [b_h[5], b_h[4], b_h[3], b_h[2], b_h[1], b_h[0]]);
        assert_eq!(list_ids(&app, &history_path(a)).await, [h[5], h[4], h[3], h[2], h[1], h[0]]);
        assert_eq!(list_ids(&app, &format!("{}/{b_ca}/history", configurations_path(b))).await, [b_h[5], b_h[2], b_h[0]]);
        app.get(&format!("{}/{b_ca}/history", configurations_path(a))).await.expect_problem(404, "not-found");
        app.get(&format!("{}/{}", history_path(a), b_h[0])).await.expect_problem(404, "not-found");
    }

    async fn sorts_and_filters_by_last_change_with_never_changed_resources_last(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        // ca: last changed at 5 (deleted, unrated); storage and device both at 3.
        let ([ca, storage, device], _) = seed_history(&app, tenant);
        let quiet = |id: &'static str| Resource { source: Source::Entra, resource_type: CA_POLICY, resource_id: id, name: id, minutes: 9 };
        let n1 = store(&app, tenant, &quiet("never-1"));
        let n2 = store(&app, tenant, &quiet("never-2"));
        let path = configurations_path(tenant);

        let summary = app.get(&format!("{path}?sort=id")).await.expect(200);
        let by_id: std::collections::HashMap<i64, &Value> = summary["items"].as_array().unwrap().iter().map(|c| (c["id"].as_i64().unwrap(), c)).collect();
        assert_eq!(by_id[&ca]["last_change_at"], json!(ts(5)));
        assert_eq!(by_id[&ca]["last_change_type"], "deleted");
        assert_eq!(by_id[&ca]["last_change_severity"], Value::Null);
        assert_eq!(by_id[&storage]["last_change_type"], "updated");
        assert_eq!(by_id[&storage]["last_change_severity"], "critical");
        assert_eq!(by_id[&device]["last_change_at"], json!(ts(3)));
        assert_eq!(by_id[&n1]["last_change_at"], Value::Null);
        let full = app.get(&format!("{path}/{storage}")).await.expect(200);
        assert_eq!(full["last_change_at"], json!(ts(3)));

        // Oldest change first, ties by id; resources never changed come last either way.
        let ascending = [storage, device, ca, n1, n2];
        let descending = [ca, device, storage, n2, n1];
        assert_eq!(list_ids(&app, &format!("{path}?sort=last_change_at")).await, ascending);
        assert_eq!(list_ids(&app, &format!("{path}?sort=-last_change_at")).await, descending);
        // Every page size walks the same order through the cursors, across the nulls too.
        for (sort, expected) in [("last_change_at", ascending), ("-last_change_at", descending)] {
            for limit in 1..=4 {
                let mut seen = Vec::new();
                let mut cursor: Option<String> = None;
                loop {
                    let mut url = format!("{path}?sort={sort}&limit={limit}");
                    if let Some(c) = &cursor {
                        url.push_str(&format!("&cursor={c}"));
                    }
                    let page = app.get(&url).await.expect(200);
                    seen.extend(ids(&page["items"]));
                    match page["next_cursor"].as_str() {
                        Some(next) => cursor = Some(next.to_owned()),
                        None => break,
                    }
                }
                assert_eq!(seen, expected, "sort={sort} limit={limit}");
            }
        }

        // changed_since: the newest change at or after the instant; never-changed never match.
        assert_eq!(list_ids(&app, &format!("{path}?sort=id&changed_since={}", ts(3))).await, [ca, storage, device]);
        assert_eq!(list_ids(&app, &format!("{path}?sort=id&changed_since={}", ts(4))).await, [ca]);
        assert_eq!(list_ids(&app, &format!("{path}?sort=id&changed_since={}", ts(6))).await, Vec::<i64>::new());
        let problem = app.get(&format!("{path}?changed_since=yesterday")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["changed_since"]);

        // An older change recorded late leaves the newest in place.
        record(&app, tenant, &Change { configuration: ca, minutes: 1, change_type: ChangeType::Updated, changed_by: "late", severity: Some(Severity::Low) });
        let got = app.get(&format!("{path}/{ca}")).await.expect(200);
        assert_eq!(got["last_change_type"], "deleted");
    }
}
