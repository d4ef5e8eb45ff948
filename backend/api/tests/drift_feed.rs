//! The drift summary (counts of a tenant's changes) and the diff between two versions of a
//! configuration. The worker writes configurations and history; the core write functions stand
//! in for it.

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

fn instant(text: &str) -> UtcTime {
    UtcTime::new(text.parse::<DateTime<Utc>>().unwrap())
}

fn store(app: &TestApp, tenant: i64, source: Source, name: &str, data: Value) -> i64 {
    let mut conn = app.db.conn();
    let observed = ObservedConfiguration {
        tenant_id: tenant,
        source,
        resource_type: "microsoft.graph.conditionalAccessPolicy".into(),
        resource_id: format!("id-{name}"),
        resource_name: name.into(),
        config_data: Json(data),
        content_hash: format!("hash-{name}"),
    };
    drift_core::configurations::insert(&mut conn, &observed, UtcTime::now())
        .expect("store a configuration")
        .id
}

fn record(
    app: &TestApp,
    tenant: i64,
    configuration: i64,
    at: UtcTime,
    change_type: ChangeType,
    severity: Option<Severity>,
    (before, after): (Option<Value>, Option<Value>),
) -> i64 {
    let entry = NewHistoryEntry {
        configuration_id: configuration,
        previous_config: before.map(Json),
        new_config: after.map(Json),
        changed_at: at,
        change_type,
        changed_by: "admin@contoso.test".into(),
        changed_paths: vec![],
        severity,
    };
    let mut conn = app.db.conn();
    drift_core::history::record(&mut conn, tenant, &entry).expect("record a change")
}

/// A change whose documents do not matter.
fn change(
    app: &TestApp,
    tenant: i64,
    configuration: i64,
    at: UtcTime,
    change_type: ChangeType,
    severity: Option<Severity>,
) -> i64 {
    let docs = match change_type {
        ChangeType::Created => (None, Some(json!({}))),
        ChangeType::Updated => (Some(json!({})), Some(json!({"x": 1}))),
        ChangeType::Deleted => (Some(json!({})), None),
    };
    record(app, tenant, configuration, at, change_type, severity, docs)
}

fn summary_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/history/summary")
}

fn days(summary: &Value) -> Vec<(String, i64)> {
    summary["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn diff_path(tenant: i64, configuration: i64, query: &str) -> String {
    format!("/api/v1/tenants/{tenant}/configurations/{configuration}/diff{query}")
}

/// A policy with three recorded changes (created, then two updates, the last also touching a
/// volatile field) and its current state. Returns the configuration and the three entry ids.
fn seed_versions(app: &TestApp, tenant: i64, name: &str) -> (i64, [i64; 3]) {
    let v1 = json!({"displayName": "MFA", "state": "enabled", "users": ["All"]});
    let v2 = json!({"displayName": "MFA", "state": "disabled", "users": ["All"]});
    let v3 = json!({"displayName": "MFA", "state": "disabled", "users": ["All", "guests"], "modifiedDateTime": "t3"});
    let current = json!({"displayName": "MFA for all", "state": "disabled", "users": ["All", "guests"], "modifiedDateTime": "t4"});
    let id = store(app, tenant, Source::Entra, name, current);
    let h1 = record(
        app,
        tenant,
        id,
        instant("2026-03-01T10:00:00Z"),
        ChangeType::Created,
        Some(Severity::Low),
        (None, Some(v1.clone())),
    );
    let h2 = record(
        app,
        tenant,
        id,
        instant("2026-03-02T10:00:00Z"),
        ChangeType::Updated,
        Some(Severity::High),
        (Some(v1), Some(v2.clone())),
    );
    let h3 = record(
        app,
        tenant,
        id,
        instant("2026-03-03T10:00:00Z"),
        ChangeType::Updated,
        Some(Severity::Medium),
        (Some(v2), Some(v3)),
    );
    (id, [h1, h2, h3])
}

on_both_backends! {
    async fn summary_counts_by_severity_source_change_type_and_zero_filled_day(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let other = app.tenant("Fabrikam", 2).await;
        let ca = store(&app, tenant, Source::Entra, "ca", json!({}));
        let st = store(&app, tenant, Source::Arm, "st", json!({}));
        let dc = store(&app, tenant, Source::Intune, "dc", json!({}));
        let elsewhere = store(&app, other, Source::Entra, "ca", json!({}));
        use ChangeType::*;
        use Severity::*;
        change(&app, tenant, ca, instant("2026-03-01T00:00:00Z"), Created, Some(Low));
        change(&app, tenant, ca, instant("2026-03-01T23:59:59.999999Z"), Updated, Some(Critical));
        change(&app, tenant, st, instant("2026-03-03T08:00:00Z"), Updated, None);
        change(&app, tenant, dc, instant("2026-03-03T09:00:00Z"), Deleted, Some(High));
        change(&app, tenant, st, instant("2026-03-03T10:00:00Z"), Updated, Some(High));
        // Outside the window, and another tenant's.
        change(&app, tenant, ca, instant("2026-02-28T23:59:59.999999Z"), Updated, Some(High));
        change(&app, tenant, ca, instant("2026-03-04T00:00:00Z"), Updated, Some(High));
        change(&app, other, elsewhere, instant("2026-03-02T12:00:00Z"), Updated, Some(High));

        let summary = app
            .get(&format!("{}?since=2026-03-01T00:00:00Z&until=2026-03-04T00:00:00Z", summary_path(tenant)))
            .await
            .expect(200);
        assert_eq!(summary["tenant_id"], tenant);
        assert_eq!(summary["since"], "2026-03-01T00:00:00.000000Z");
        assert_eq!(summary["until"], "2026-03-04T00:00:00.000000Z");
        assert_eq!(summary["total"], 5);
        assert_eq!(summary["by_severity"], json!({"info": 0, "low": 1, "medium": 0, "high": 2, "critical": 1, "unrated": 1}));
        assert_eq!(summary["by_source"], json!({"entra": 2, "intune": 1, "arm": 2}));
        assert_eq!(summary["by_change_type"], json!({"created": 1, "updated": 3, "deleted": 1}));
        assert_eq!(
            days(&summary),
            [("2026-03-01".into(), 2), ("2026-03-02".into(), 0), ("2026-03-03".into(), 3)]
        );

        // A window that starts and ends inside days lists the days it touches.
        let summary = app
            .get(&format!("{}?since=2026-03-01T12:00:00Z&until=2026-03-03T08:30:00Z", summary_path(tenant)))
            .await
            .expect(200);
        assert_eq!(summary["total"], 2);
        assert_eq!(
            days(&summary),
            [("2026-03-01".into(), 1), ("2026-03-02".into(), 0), ("2026-03-03".into(), 1)]
        );
        // Offsets other than Z are the same instants.
        let shifted = app
            .get(&format!("{}?since=2026-03-01T13%3A00%3A00%2B01%3A00&until=2026-03-03T08%3A30%3A00Z", summary_path(tenant)))
            .await
            .expect(200);
        assert_eq!(shifted, summary);
    }

    async fn summary_defaults_to_the_last_30_days(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let ca = store(&app, tenant, Source::Entra, "ca", json!({}));
        let now = Utc::now();
        for days_ago in [1, 29, 31] {
            change(&app, tenant, ca, UtcTime::new(now - Duration::days(days_ago)), ChangeType::Updated, Some(Severity::Medium));
        }
        let summary = app.get(&summary_path(tenant)).await.expect(200);
        assert_eq!(summary["total"], 2);
        assert_eq!(summary["by_severity"]["medium"], 2);
        let since: DateTime<Utc> = summary["since"].as_str().unwrap().parse().unwrap();
        let until: DateTime<Utc> = summary["until"].as_str().unwrap().parse().unwrap();
        assert_eq!(until - since, Duration::days(30));
        assert!((Utc::now() - until).num_seconds().abs() < 60);
        let listed = days(&summary);
        assert_eq!(listed.len(), 31, "30 days touch 31 dates unless they start at midnight");
        assert_eq!(listed.iter().map(|d| d.1).sum::<i64>(), 2);
        assert_eq!(listed.last().unwrap().0, until.date_naive().to_string());

        // `until` alone moves the window.
        let summary = app
            .get(&format!("{}?until={}", summary_path(tenant), UtcTime::new(now - Duration::days(20))))
            .await
            .expect(200);
        assert_eq!(summary["total"], 2, "29 and 31 days ago");
    }

    async fn an_empty_summary_is_all_zeros(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let summary = app
            .get(&format!("{}?since=2026-03-01T00:00:00Z&until=2026-03-02T00:00:00Z", summary_path(tenant)))
            .await
            .expect(200);
        assert_eq!(summary["total"], 0);
        assert_eq!(summary["by_source"], json!({"entra": 0, "intune": 0, "arm": 0}));
        assert_eq!(days(&summary), [("2026-03-01".into(), 0)]);
    }

    async fn summary_refuses_bad_windows_and_parameters(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let path = summary_path(tenant);
        for (query, field) in [
            ("since=2026-03-02T00:00:00Z&until=2026-03-02T00:00:00Z", "since"),
            ("since=2026-03-03T00:00:00Z&until=2026-03-02T00:00:00Z", "since"),
            ("since=2025-01-01T00:00:00Z&until=2026-03-02T00:00:00Z", "since"),
            ("since=yesterday", "since"),
            ("until=2026-13-01T00:00:00Z", "until"),
            ("source=entra", "source"),
            ("limit=5", "limit"),
        ] {
            let problem = app.get(&format!("{path}?{query}")).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), [field], "{query}");
        }
        app.get(&format!("{path}?since=2026-03-01T00:00:00Z&since=2026-03-01T00:00:00Z"))
            .await
            .expect_problem(400, "bad-request");
    }

    async fn summary_is_for_readers_of_the_tenant_only(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        app.act_as(Some(app.token_for(contoso, "viewer", "viewer")));
        app.get(&summary_path(contoso)).await.expect(200);
        app.get(&summary_path(fabrikam)).await.expect_problem(404, "not-found");
        app.act_as(None);
        app.get(&summary_path(contoso)).await.expect_problem(401, "unauthorized");
    }

    async fn diff_defaults_to_the_current_state_against_the_version_before_it(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (id, [_, h2, _]) = seed_versions(&app, tenant, "MFA");
        let diff = app.get(&diff_path(tenant, id, "")).await.expect(200);
        assert_eq!(diff["configuration_id"], id);
        assert_eq!(diff["to"]["current"], true);
        assert!(diff["to"]["history_id"].is_null());
        assert_eq!(diff["to"]["document"]["displayName"], "MFA for all");
        // The state the newest change (h3) started from, which h2 produced.
        assert_eq!(diff["from"]["history_id"], h2);
        assert_eq!(diff["from"]["current"], false);
        assert_eq!(diff["from"]["at"], "2026-03-02T10:00:00.000000Z");
        assert_eq!(diff["from"]["document"]["users"], json!(["All"]));
        assert_eq!(
            diff["patch"],
            json!([
                {"op": "replace", "path": "/displayName", "value": "MFA for all"},
                {"op": "add", "path": "/users/1", "value": "guests"},
                {"op": "add", "path": "/modifiedDateTime", "value": "t4"},
            ])
        );
        assert_eq!(diff["changed_paths"], json!(["/displayName", "/modifiedDateTime", "/users/1"]));
    }

    async fn diff_between_named_versions(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (id, [h1, h2, h3]) = seed_versions(&app, tenant, "MFA");

        let diff = app.get(&diff_path(tenant, id, &format!("?from={h1}&to={h3}"))).await.expect(200);
        assert_eq!(diff["from"]["history_id"], h1);
        assert_eq!(diff["to"]["history_id"], h3);
        assert_eq!(diff["to"]["at"], "2026-03-03T10:00:00.000000Z");
        assert_eq!(
            diff["patch"],
            json!([
                {"op": "replace", "path": "/state", "value": "disabled"},
                {"op": "add", "path": "/users/1", "value": "guests"},
                {"op": "add", "path": "/modifiedDateTime", "value": "t3"},
            ])
        );

        // `from` defaults to the version before `to`.
        let diff = app.get(&diff_path(tenant, id, &format!("?to={h2}"))).await.expect(200);
        assert_eq!(diff["from"]["history_id"], h1);
        assert_eq!(diff["patch"], json!([{"op": "replace", "path": "/state", "value": "disabled"}]));
        assert_eq!(diff["changed_paths"], json!(["/state"]));

        // Before `created` there was nothing: the whole document is replaced.
        let diff = app.get(&diff_path(tenant, id, &format!("?to={h1}"))).await.expect(200);
        assert!(diff["from"]["history_id"].is_null() && diff["from"]["at"].is_null());
        assert!(diff["from"]["document"].is_null());
        assert_eq!(diff["patch"][0]["op"], "replace");
        assert_eq!(diff["patch"][0]["path"], "");
        assert_eq!(diff["changed_paths"], json!([""]));

        // Backwards: what would undo the changes since h2.
        let diff = app.get(&diff_path(tenant, id, &format!("?from=current&to={h2}"))).await.expect(200);
        assert_eq!(diff["from"]["current"], true);
        assert_eq!(diff["changed_paths"], json!(["/displayName", "/modifiedDateTime", "/users/1"]));
        assert!(diff["patch"].as_array().unwrap().contains(&json!({"op": "remove", "path": "/users/1"})));
    }

    async fn a_deleted_configuration_has_no_current_document(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let v1 = json!({"state": "enabled"});
        let id = store(&app, tenant, Source::Intune, "gone", v1.clone());
        let deleted = record(&app, tenant, id, instant("2026-03-05T00:00:00Z"), ChangeType::Deleted, Some(Severity::High), (Some(v1.clone()), None));
        {
            use schema::configurations::dsl;
            let mut conn = app.db.conn();
            diesel::update(dsl::configurations.find(id))
                .set(dsl::deleted_at.eq(Some(instant("2026-03-05T00:00:00Z"))))
                .execute(&mut *conn)
                .unwrap();
        }
        let diff = app.get(&diff_path(tenant, id, "")).await.expect(200);
        assert!(diff["to"]["document"].is_null());
        assert_eq!(diff["from"]["document"], v1);
        assert_eq!(diff["patch"], json!([{"op": "replace", "path": "", "value": null}]));
        let named = app.get(&diff_path(tenant, id, &format!("?to={deleted}"))).await.expect(200);
        assert_eq!(named["patch"], diff["patch"]);
    }

    async fn diff_refuses_foreign_and_nonsensical_versions(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let other = app.tenant("Fabrikam", 2).await;
        let (id, [h1, _, _]) = seed_versions(&app, tenant, "MFA");
        let (_, [s1, _, _]) = seed_versions(&app, tenant, "sibling");
        let (foreign, [f1, _, _]) = seed_versions(&app, other, "MFA");
        let unchanged = store(&app, tenant, Source::Arm, "quiet", json!({"a": 1}));

        // Entries of another configuration, of another tenant, or none at all.
        for query in [format!("?from={s1}"), format!("?to={s1}"), format!("?from={f1}"), "?to=999999".into()] {
            app.get(&diff_path(tenant, id, &query)).await.expect_problem(404, "not-found");
        }
        app.get(&diff_path(tenant, foreign, "")).await.expect_problem(404, "not-found");
        app.get(&diff_path(other, id, "")).await.expect_problem(404, "not-found");

        for (query, field) in [
            (format!("?from={h1}&to={h1}"), "from"),
            ("?from=current".to_owned(), "from"),
            ("?from=current&to=current".to_owned(), "from"),
            ("?from=latest".to_owned(), "from"),
            ("?to=-3".to_owned(), "to"),
            ("?form=1".to_owned(), "form"),
        ] {
            let problem = app.get(&diff_path(tenant, id, &query)).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), [field], "{query}");
        }
        let problem = app.get(&diff_path(tenant, unchanged, "")).await.expect_problem(422, "validation-failed");
        assert_eq!(problem["errors"][0]["code"], "no_earlier_version");
        // Naming a version still needs it to be one of this configuration's.
        app.get(&diff_path(tenant, unchanged, &format!("?from={h1}")))
            .await
            .expect_problem(404, "not-found");
    }

    async fn diff_is_for_readers_of_the_tenant_only(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let (id, _) = seed_versions(&app, contoso, "MFA");
        app.act_as(Some(app.token_for(contoso, "viewer", "viewer")));
        app.get(&diff_path(contoso, id, "")).await.expect(200);
        app.act_as(Some(app.token_for(fabrikam, "admin", "fabrikam-admin")));
        app.get(&diff_path(contoso, id, "")).await.expect_problem(404, "not-found");
        app.get(&diff_path(fabrikam, id, "")).await.expect_problem(404, "not-found");
    }
}
