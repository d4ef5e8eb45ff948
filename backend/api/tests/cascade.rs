//! What deleting something takes with it: a tenant takes everything it owns (and nothing of
//! another tenant's), a configuration takes its history, and a role that users hold is refused.

mod common;

use common::{Reply, TestApp};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use drift_core::configurations::ObservedConfiguration;
use drift_core::db::schema;
use drift_core::history::NewHistoryEntry;
use drift_core::signins::NewSigningLog;
use drift_core::types::{ChangeType, Severity, Source};
use drift_core::{CoreError, CoreResult, Json, UtcTime};
use serde_json::{json, Value};

/// The ids of what a tenant was given by [`seed`].
#[derive(Debug)]
struct Seeded {
    tenant: i64,
    users: Vec<i64>,
    settings: Vec<i64>,
    configurations: Vec<i64>,
    history: Vec<i64>,
    signins: Vec<i64>,
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

/// Gives a tenant two users and two settings versions through the API, and two
/// configurations, three history entries and two sign-in events through the core write
/// functions. Resource and log ids are the same in every tenant, as they may be in real life.
async fn seed(app: &TestApp, tenant: i64, prefix: &str) -> Seeded {
    let viewer = app.role_id("viewer").await;
    let mut users = Vec::new();
    for name in ["one", "two"] {
        let username = format!("{prefix}.{name}");
        let body = json!({
            "username": username,
            "email": format!("{username}@example.com"),
            "role_id": viewer,
            "password": "a long enough passphrase",
        });
        let user = app
            .post(&format!("/api/v1/tenants/{tenant}/users"), &body)
            .await
            .expect(201);
        users.push(id_of(&user));
    }
    let mut settings = Vec::new();
    for _ in 0..2 {
        let saved = app
            .put(&format!("/api/v1/tenants/{tenant}/settings"), &json!({}))
            .await
            .expect(200);
        settings.push(id_of(&saved));
    }

    let mut conn = app.db.conn();
    let now = UtcTime::now();
    let mut configurations = Vec::new();
    let mut history = Vec::new();
    for (n, resource_id) in ["policy-1", "policy-2"].into_iter().enumerate() {
        let observed = ObservedConfiguration {
            tenant_id: tenant,
            source: Source::Entra,
            resource_type: "microsoft.graph.conditionalAccessPolicy".into(),
            resource_id: resource_id.into(),
            resource_name: format!("{prefix} policy {n}"),
            config_data: Json(json!({"id": resource_id, "state": "enabled"})),
            content_hash: format!("hash-{n}"),
        };
        let configuration = drift_core::configurations::insert(&mut conn, &observed, now)
            .expect("insert a configuration");
        configurations.push(configuration.id);
        let created = NewHistoryEntry {
            configuration_id: configuration.id,
            previous_config: None,
            new_config: Some(Json(json!({"id": resource_id, "state": "enabled"}))),
            changed_at: now,
            change_type: ChangeType::Created,
            changed_by: "adele@example.com".into(),
            changed_paths: vec![],
            severity: Some(Severity::Info),
        };
        history.push(
            drift_core::history::record(&mut conn, tenant, &created).expect("record a change"),
        );
    }
    let updated = NewHistoryEntry {
        configuration_id: configurations[0],
        previous_config: Some(Json(json!({"id": "policy-1", "state": "enabled"}))),
        new_config: Some(Json(json!({"id": "policy-1", "state": "disabled"}))),
        changed_at: now,
        change_type: ChangeType::Updated,
        changed_by: "megan@example.com".into(),
        changed_paths: vec!["state".into()],
        severity: Some(Severity::High),
    };
    history
        .push(drift_core::history::record(&mut conn, tenant, &updated).expect("record a change"));

    let events: Vec<NewSigningLog> = ["event-1", "event-2"]
        .into_iter()
        .map(|log_id| NewSigningLog {
            tenant_id: tenant,
            log_id: log_id.into(),
            timestamp: now,
            actor: Some(format!("{prefix}@example.com")),
            action: Some("Azure Portal".into()),
            resource: Some("Windows Azure Service Management API".into()),
            status: "success".into(),
            client_ip: Some("192.0.2.10".into()),
            log_data: Json(json!({"id": log_id})),
            ingested_at: now,
            country: Some("CH".into()),
            error_code: Some(0),
        })
        .collect();
    assert_eq!(
        drift_core::signins::insert_batch(&mut conn, &events).expect("insert sign-ins"),
        2
    );
    let signins = {
        use schema::signing_logs::dsl;
        dsl::signing_logs
            .filter(dsl::tenant_id.eq(tenant))
            .order(dsl::id)
            .select(dsl::id)
            .load::<i64>(&mut *conn)
            .expect("read the sign-in ids")
    };
    assert_eq!(signins.len(), 2);

    Seeded {
        tenant,
        users,
        settings,
        configurations,
        history,
        signins,
    }
}

/// How many rows each tenant-owned table holds for `tenant`: users, settings, configurations,
/// configuration history, sign-in events.
fn row_counts(app: &TestApp, tenant: i64) -> [i64; 5] {
    let mut conn = app.db.conn();
    let conn = &mut *conn;
    let users = schema::users::table
        .filter(schema::users::tenant_id.eq(tenant))
        .count()
        .get_result(conn)
        .unwrap();
    let settings = schema::settings::table
        .filter(schema::settings::tenant_id.eq(tenant))
        .count()
        .get_result(conn)
        .unwrap();
    let configurations = schema::configurations::table
        .filter(schema::configurations::tenant_id.eq(tenant))
        .count()
        .get_result(conn)
        .unwrap();
    let history = schema::configuration_history::table
        .filter(schema::configuration_history::tenant_id.eq(tenant))
        .count()
        .get_result(conn)
        .unwrap();
    let signins = schema::signing_logs::table
        .filter(schema::signing_logs::tenant_id.eq(tenant))
        .count()
        .get_result(conn)
        .unwrap();
    [users, settings, configurations, history, signins]
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: CoreResult<T>, what: &str) {
    match result {
        Err(CoreError::NotFound { .. }) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

/// Every document the API shows of a tenant's data, to compare before and after.
async fn api_snapshot(app: &TestApp, seeded: &Seeded) -> Vec<Value> {
    let t = seeded.tenant;
    let mut paths = vec![
        format!("/api/v1/tenants/{t}"),
        format!("/api/v1/tenants/{t}/users"),
        format!("/api/v1/tenants/{t}/settings"),
        format!("/api/v1/tenants/{t}/settings/history"),
        format!("/api/v1/tenants/{t}/configurations"),
        format!("/api/v1/tenants/{t}/history"),
        format!("/api/v1/tenants/{t}/signing-logs"),
    ];
    paths.extend(
        seeded
            .users
            .iter()
            .map(|id| format!("/api/v1/tenants/{t}/users/{id}")),
    );
    paths.extend(
        seeded
            .settings
            .iter()
            .map(|id| format!("/api/v1/tenants/{t}/settings/history/{id}")),
    );
    for id in &seeded.configurations {
        paths.push(format!("/api/v1/tenants/{t}/configurations/{id}"));
        paths.push(format!("/api/v1/tenants/{t}/configurations/{id}/history"));
    }
    paths.extend(
        seeded
            .history
            .iter()
            .map(|id| format!("/api/v1/tenants/{t}/history/{id}")),
    );
    paths.extend(
        seeded
            .signins
            .iter()
            .map(|id| format!("/api/v1/tenants/{t}/signing-logs/{id}")),
    );
    let mut documents = Vec::new();
    for path in paths {
        documents.push(app.get(&path).await.expect(200));
    }
    documents
}

/// Runs `request` while `open` holds an uncommitted transaction, and commits that transaction
/// as soon as a session of the test database waits for a lock (the request is then blocked
/// behind it) or the request has finished. No sleeping: the wait is on PostgreSQL's own state.
async fn commit_when_blocked<F: std::future::Future<Output = common::Reply>>(
    app: &TestApp,
    mut open: drift_core::db::PooledConnection,
    request: F,
) -> common::Reply {
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let done = std::cell::Cell::new(false);
    let request = async {
        let reply = request.await;
        done.set(true);
        reply
    };
    let commit = async {
        let mut watcher = app.db.conn();
        while !done.get() {
            let waiting: Waiting = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .get_result(&mut *watcher)
            .expect("read pg_stat_activity");
            if waiting.n > 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        open.batch_execute("COMMIT").expect("commit");
    };
    let (reply, ()) = tokio::join!(request, commit);
    reply
}

/// A user added to a role while the role is being deleted: the delete must be refused as if
/// the user had been there first, not fail on the foreign key. Concurrent transactions only
/// interleave like this on PostgreSQL (SQLite runs one writer at a time), so there is no SQLite
/// variant.
mod deleting_a_role_while_a_user_is_given_it_is_a_conflict_not_a_server_error {
    use super::*;

    #[actix_web::test]
    async fn postgres() {
        let app = TestApp::spawn(common::TestDb::postgres()).await;
        let tenant = app.tenant("Contoso", 1).await;
        let role = app
            .post("/api/v1/roles", &json!({"name": "auditor"}))
            .await
            .expect(201);
        let role_id = id_of(&role);
        let mut open = app.db.conn();
        open.batch_execute(&format!(
            "BEGIN; INSERT INTO users (tenant_id, role_id, username, email) \
             VALUES ({tenant}, {role_id}, 'adele', 'adele@contoso.com')"
        ))
        .unwrap();
        let path = format!("/api/v1/roles/{role_id}");
        let reply = commit_when_blocked(&app, open, app.delete(&path)).await;
        reply.expect_problem(409, "conflict");
        assert_eq!(app.get(&path).await.expect(200), role);
        let users = app
            .get(&format!("/api/v1/tenants/{tenant}/users"))
            .await
            .expect(200);
        assert_eq!(users["items"][0]["role_id"], role_id);
    }
}

/// A user given a role that is being deleted: the answer must be the one for an unknown role,
/// not a foreign-key failure. PostgreSQL only, as above.
mod creating_a_user_with_a_role_being_deleted_is_refused_not_a_server_error {
    use super::*;

    #[actix_web::test]
    async fn postgres() {
        let app = TestApp::spawn(common::TestDb::postgres()).await;
        let tenant = app.tenant("Contoso", 1).await;
        let role = app
            .post("/api/v1/roles", &json!({"name": "auditor"}))
            .await
            .expect(201);
        let role_id = id_of(&role);
        let mut open = app.db.conn();
        open.batch_execute(&format!("BEGIN; DELETE FROM roles WHERE id = {role_id}"))
            .unwrap();
        let path = format!("/api/v1/tenants/{tenant}/users");
        let body = json!({"username": "adele", "email": "adele@contoso.com", "role_id": role_id});
        let reply = commit_when_blocked(&app, open, app.post(&path, &body)).await;
        let problem = reply.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["role_id"]);
        assert_eq!(app.get(&path).await.expect(200)["items"], json!([]));
    }
}

on_both_backends! {
    async fn deleting_a_tenant_removes_everything_it_owns_and_nothing_else(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let gone = seed(&app, contoso, "contoso").await;
        let kept = seed(&app, fabrikam, "fabrikam").await;
        assert_eq!(row_counts(&app, contoso), [2, 2, 2, 3, 2]);
        assert_eq!(row_counts(&app, fabrikam), [2, 2, 2, 3, 2]);
        let before = api_snapshot(&app, &kept).await;
        let page = app.get(&format!("/api/v1/tenants/{contoso}/history")).await.expect(200);
        assert_eq!(page["items"].as_array().unwrap().len(), 3, "the deleted tenant's data was visible before");

        assert_eq!(app.delete(&format!("/api/v1/tenants/{contoso}")).await.expect(204), Value::Null);
        app.get(&format!("/api/v1/tenants/{contoso}")).await.expect_problem(404, "not-found");

        // Nothing of the deleted tenant is left in the database.
        assert_eq!(row_counts(&app, contoso), [0, 0, 0, 0, 0]);
        {
            let mut conn = app.db.conn();
            for &id in &gone.users {
                assert_not_found(drift_core::users::get(&mut conn, contoso, id), "user");
            }
            for &id in &gone.settings {
                assert_not_found(drift_core::settings::get_version(&mut conn, contoso, id), "settings version");
            }
            for &id in &gone.configurations {
                assert_not_found(drift_core::configurations::get(&mut conn, contoso, id), "configuration");
                let orphans: i64 = schema::configuration_history::table
                    .filter(schema::configuration_history::configuration_id.eq(id))
                    .count()
                    .get_result(&mut *conn)
                    .unwrap();
                assert_eq!(orphans, 0, "no history is left for configuration {id}");
            }
            for &id in &gone.history {
                assert_not_found(drift_core::history::get(&mut conn, contoso, id), "history entry");
            }
            for &id in &gone.signins {
                assert_not_found(drift_core::signins::get(&mut conn, contoso, id), "sign-in event");
            }
        }

        // Nor through the API, under any path.
        let t = contoso;
        let mut paths = vec![
            format!("/api/v1/tenants/{t}/users"),
            format!("/api/v1/tenants/{t}/settings"),
            format!("/api/v1/tenants/{t}/settings/history"),
            format!("/api/v1/tenants/{t}/configurations"),
            format!("/api/v1/tenants/{t}/history"),
            format!("/api/v1/tenants/{t}/signing-logs"),
        ];
        paths.extend(gone.users.iter().map(|id| format!("/api/v1/tenants/{t}/users/{id}")));
        paths.extend(gone.settings.iter().map(|id| format!("/api/v1/tenants/{t}/settings/history/{id}")));
        paths.extend(gone.configurations.iter().map(|id| format!("/api/v1/tenants/{t}/configurations/{id}")));
        paths.extend(gone.history.iter().map(|id| format!("/api/v1/tenants/{t}/history/{id}")));
        paths.extend(gone.signins.iter().map(|id| format!("/api/v1/tenants/{t}/signing-logs/{id}")));
        for path in &paths {
            app.get(path).await.expect_problem(404, "not-found");
        }

        // The other tenant is untouched.
        assert_eq!(row_counts(&app, fabrikam), [2, 2, 2, 3, 2]);
        assert_eq!(api_snapshot(&app, &kept).await, before);
        let listed = app.get("/api/v1/tenants").await.expect(200);
        let ids: Vec<i64> = listed["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 2, "the kept tenant and the harness's own: {ids:?}");
        assert!(!ids.contains(&contoso));
        app.delete(&format!("/api/v1/tenants/{contoso}")).await.expect_problem(404, "not-found");
    }

    async fn deleting_a_tenant_frees_its_usernames_and_the_roles_its_users_held(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let role = app.post("/api/v1/roles", &json!({"name": "auditor", "permissions": ["history:read"]})).await.expect(201);
        let role_path = format!("/api/v1/roles/{}", id_of(&role));
        let body = json!({"username": "adele", "email": "adele@contoso.com", "role_id": id_of(&role), "microsoft_id": common::guid(77)});
        app.post(&format!("/api/v1/tenants/{contoso}/users"), &body).await.expect(201);
        app.post(&format!("/api/v1/tenants/{fabrikam}/users"), &body).await.expect_problem(409, "conflict");
        app.delete(&role_path).await.expect_problem(409, "conflict");

        app.delete(&format!("/api/v1/tenants/{contoso}")).await.expect(204);

        assert_eq!(app.delete(&role_path).await.expect(204), Value::Null, "no user holds the role any more");
        let viewer = app.role_id("viewer").await;
        let body = json!({"username": "adele", "email": "adele@contoso.com", "role_id": viewer, "microsoft_id": common::guid(77)});
        let user = app.post(&format!("/api/v1/tenants/{fabrikam}/users"), &body).await.expect(201);
        assert_eq!(user["tenant_id"], fabrikam, "the username, e-mail and Microsoft account are free again");
    }

    async fn deleting_a_role_that_a_user_holds_is_a_conflict_not_a_server_error(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let role = app.post("/api/v1/roles", &json!({"name": "auditor", "permissions": ["history:read"]})).await.expect(201);
        let role_id = id_of(&role);
        let role_path = format!("/api/v1/roles/{role_id}");
        let mut users = Vec::new();
        for (tenant, name) in [(contoso, "adele"), (fabrikam, "megan")] {
            let body = json!({"username": name, "email": format!("{name}@example.com"), "role_id": role_id});
            let user = app.post(&format!("/api/v1/tenants/{tenant}/users"), &body).await.expect(201);
            users.push((format!("/api/v1/tenants/{tenant}/users/{}", id_of(&user)), user));
        }

        let problem = app.delete(&role_path).await.expect_problem(409, "conflict");
        assert!(problem["detail"].as_str().unwrap().contains("2 user"), "{problem}");
        {
            let mut conn = app.db.conn();
            match drift_core::roles::delete(&mut conn, role_id) {
                Err(CoreError::Conflict(_)) => {}
                other => panic!("the repository refuses too, as a conflict: {other:?}"),
            }
        }
        assert_eq!(app.get(&role_path).await.expect(200), role);
        for (path, user) in &users {
            assert_eq!(app.get(path).await.expect(200), *user);
        }

        app.delete(&users[0].0).await.expect(204);
        let problem = app.delete(&role_path).await.expect_problem(409, "conflict");
        assert!(problem["detail"].as_str().unwrap().contains("1 user"), "{problem}");
        app.delete(&format!("/api/v1/tenants/{fabrikam}")).await.expect(204);
        assert_eq!(app.delete(&role_path).await.expect(204), Value::Null);
        app.get(&role_path).await.expect_problem(404, "not-found");

        let viewer = app.role_id("viewer").await;
        let body = json!({"username": "lee", "email": "lee@example.com", "role_id": viewer});
        app.post(&format!("/api/v1/tenants/{contoso}/users"), &body).await.expect(201);
        app.delete(&format!("/api/v1/roles/{viewer}")).await.expect_problem(409, "conflict");
    }

    async fn deleting_a_configuration_removes_its_history_only(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let seeded = seed(&app, contoso, "contoso").await;
        let other = seed(&app, fabrikam, "fabrikam").await;
        let other_before = api_snapshot(&app, &other).await;
        let [first, second] = [seeded.configurations[0], seeded.configurations[1]];
        let kept_history = app
            .get(&format!("/api/v1/tenants/{contoso}/configurations/{second}/history"))
            .await
            .expect(200);
        assert_eq!(kept_history["items"].as_array().unwrap().len(), 1);

        app.delete(&format!("/api/v1/tenants/{fabrikam}/configurations/{first}"))
            .await
            .expect_problem(404, "not-found");
        assert_eq!(
            app.delete(&format!("/api/v1/tenants/{contoso}/configurations/{first}")).await.expect(204),
            Value::Null
        );

        {
            let mut conn = app.db.conn();
            assert_not_found(drift_core::configurations::get(&mut conn, contoso, first), "configuration");
            // history[0] and history[2] belong to the first configuration, history[1] to the second.
            assert_not_found(drift_core::history::get(&mut conn, contoso, seeded.history[0]), "its creation");
            assert_not_found(drift_core::history::get(&mut conn, contoso, seeded.history[2]), "its update");
            let left = drift_core::history::get(&mut conn, contoso, seeded.history[1]).expect("the other history stays");
            assert_eq!(left.summary.configuration_id, second);
            drift_core::configurations::get(&mut conn, contoso, second).expect("the other configuration stays");
        }
        assert_eq!(row_counts(&app, contoso), [2, 2, 1, 1, 2]);
        let page = app.get(&format!("/api/v1/tenants/{contoso}/history")).await.expect(200);
        let ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(id_of).collect();
        assert_eq!(ids, [seeded.history[1]]);
        assert_eq!(
            app.get(&format!("/api/v1/tenants/{contoso}/configurations/{second}/history")).await.expect(200),
            kept_history
        );
        assert_eq!(row_counts(&app, fabrikam), [2, 2, 2, 3, 2]);
        assert_eq!(api_snapshot(&app, &other).await, other_before);
    }
}
