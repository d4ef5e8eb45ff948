//! Roles: the seeded built-in roles, custom roles and their validation, and the rules that keep
//! built-in roles and roles in use from being changed or removed.

mod common;

use std::collections::BTreeSet;

use common::{Reply, TestApp};
use serde_json::{json, Value};

const SEEDED: [&str; 4] = ["superadmin", "admin", "operator", "viewer"];

fn role_path(id: i64) -> String {
    format!("/api/v1/roles/{id}")
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

fn permissions(role: &Value) -> Vec<String> {
    role["permissions"]
        .as_array()
        .expect("permissions is an array")
        .iter()
        .map(|p| p.as_str().expect("a permission is a string").to_owned())
        .collect()
}

fn permission_set(role: &Value) -> BTreeSet<String> {
    permissions(role).into_iter().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

async fn all_roles(app: &TestApp) -> Vec<Value> {
    app.collect_all("/api/v1/roles", 50).await
}

async fn seeded_role(app: &TestApp, name: &str) -> Value {
    app.get(&role_path(app.role_id(name).await))
        .await
        .expect(200)
}

async fn create_role(app: &TestApp, body: &Value) -> Value {
    app.post("/api/v1/roles", body).await.expect(201)
}

on_both_backends! {
    async fn the_four_seeded_roles_exist_and_are_built_in(app: TestApp) {
        let roles = all_roles(&app).await;
        let names: Vec<&str> = roles.iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["admin", "operator", "superadmin", "viewer"], "roles are listed by name");
        for role in &roles {
            assert_eq!(role["built_in"], true, "{role}");
            assert!(!role["description"].as_str().unwrap().is_empty(), "{role}");
            let list = permissions(role);
            assert!(!list.is_empty(), "{role}");
            assert_eq!(permission_set(role).len(), list.len(), "no permission is listed twice: {role}");
            assert_eq!(app.get(&role_path(id_of(role))).await.expect(200), *role);
        }

        let filtered = app.get("/api/v1/roles?name=ADMIN").await.expect(200);
        let names: Vec<&str> = filtered["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["admin", "superadmin"], "the name filter matches a part, in any case");
    }

    async fn superadmin_holds_every_permission_of_the_other_roles_and_the_platform_ones(app: TestApp) {
        let superadmin = permission_set(&seeded_role(&app, "superadmin").await);
        let mut others = BTreeSet::new();
        for name in SEEDED.iter().filter(|&&n| n != "superadmin") {
            let role = seeded_role(&app, name).await;
            let granted = permission_set(&role);
            assert!(granted.is_subset(&superadmin), "superadmin lacks {:?} of {name}", granted.difference(&superadmin).collect::<Vec<_>>());
            others.extend(granted);
        }
        for platform in ["tenants:manage", "roles:manage"] {
            assert!(superadmin.contains(platform), "superadmin has {platform}");
            assert!(!others.contains(platform), "only superadmin has {platform}");
        }
        let mut expected = others.clone();
        expected.extend(set(&["tenants:manage", "roles:manage"]));
        assert!(expected.is_subset(&superadmin));

        let admin = permission_set(&seeded_role(&app, "admin").await);
        let operator = permission_set(&seeded_role(&app, "operator").await);
        let viewer = permission_set(&seeded_role(&app, "viewer").await);
        assert!(viewer.is_subset(&operator) && operator.is_subset(&admin), "each seeded role includes the one below it");
        assert!(admin.contains("users:manage") && !operator.contains("users:manage"));
    }

    async fn custom_role_round_trip(app: TestApp) {
        let created = app
            .post(
                "/api/v1/roles",
                &json!({
                    "name": "auditor",
                    "description": "Reads the drift history",
                    "permissions": ["history:read", "signins:read", "history:read", "signins:read", "history:read"],
                }),
            )
            .await;
        assert_eq!(created.headers["location"], format!("/api/v1/roles/{}", created.body["id"]));
        let role = created.expect(201);
        assert_eq!(role["name"], "auditor");
        assert_eq!(role["description"], "Reads the drift history");
        assert_eq!(role["built_in"], false);
        assert!(role["created_at"].is_string());
        assert_eq!(permissions(&role).len(), 2, "permissions are de-duplicated: {role}");
        assert_eq!(permission_set(&role), set(&["history:read", "signins:read"]));
        let path = role_path(id_of(&role));
        assert_eq!(app.get(&path).await.expect(200), role);
        assert!(all_roles(&app).await.contains(&role));

        let patched = app.patch(&path, &json!({"description": "Audits changes"})).await.expect(200);
        assert_eq!(patched["description"], "Audits changes");
        assert_eq!(patched["name"], "auditor", "a merge patch keeps what it does not name");
        assert_eq!(permission_set(&patched), set(&["history:read", "signins:read"]));
        assert_eq!(patched["created_at"], role["created_at"]);

        let patched = app.patch(&path, &json!({"permissions": ["users:read", "users:read", "configurations:read"]})).await.expect(200);
        assert_eq!(permissions(&patched).len(), 2, "{patched}");
        assert_eq!(permission_set(&patched), set(&["users:read", "configurations:read"]));
        assert_eq!(patched["description"], "Audits changes");

        let replaced = app.put(&path, &json!({"name": "auditors"})).await.expect(200);
        assert_eq!(replaced["name"], "auditors");
        assert_eq!(replaced["description"], "", "a full replacement resets omitted fields");
        assert_eq!(replaced["permissions"], json!([]));
        assert_eq!(replaced["built_in"], false);
        assert_eq!(app.get(&path).await.expect(200), replaced);

        assert_eq!(app.delete(&path).await.expect(204), Value::Null);
        app.get(&path).await.expect_problem(404, "not-found");
        app.delete(&path).await.expect_problem(404, "not-found");
        app.put(&path, &json!({"name": "auditor"})).await.expect_problem(404, "not-found");
        app.patch(&path, &json!({"description": "x"})).await.expect_problem(404, "not-found");
        assert_eq!(all_roles(&app).await.len(), 4);
    }

    async fn unknown_permission_is_refused_naming_the_field(app: TestApp) {
        let problem = app
            .post("/api/v1/roles", &json!({"name": "auditor", "permissions": ["history:read", "history:write"]}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["permissions[1]"]);
        assert_eq!(problem["errors"][0]["code"], "unknown_value");
        assert!(problem["detail"].as_str().unwrap().contains("history:write"), "{problem}");
        let problem = app
            .post("/api/v1/roles", &json!({"name": "auditor", "permissions": "history:read"}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["permissions"]);
        assert_eq!(all_roles(&app).await.len(), 4, "nothing was created");

        let role = create_role(&app, &json!({"name": "auditor", "permissions": ["history:read"]})).await;
        let path = role_path(id_of(&role));
        let problem = app
            .patch(&path, &json!({"permissions": ["HISTORY:READ"]}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["permissions[0]"], "permission names are exact");
        let problem = app
            .put(&path, &json!({"name": "auditor", "permissions": ["everything"]}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["permissions[0]"]);
        assert_eq!(app.get(&path).await.expect(200), role);
    }

    async fn bad_role_names_are_refused_naming_name(app: TestApp) {
        let too_long = "a".repeat(65);
        for name in ["Auditor", "AUDITOR", "security auditor", " auditor", "auditor ", "", "1st-line", "-auditor", "audi.tor", too_long.as_str()] {
            let problem = app
                .post("/api/v1/roles", &json!({"name": name, "permissions": []}))
                .await
                .expect_problem(422, "validation-failed");
            let fields = Reply::error_fields(&problem);
            assert!(!fields.is_empty() && fields.iter().all(|f| f == "name"), "{name:?}: {problem}");
        }
        let problem = app.post("/api/v1/roles", &json!({"permissions": []})).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["name"]);
        assert_eq!(problem["errors"][0]["code"], "required");
        assert_eq!(all_roles(&app).await.len(), 4, "nothing was created");

        for good in ["a", "auditor", "tier-2_support", "l2"] {
            create_role(&app, &json!({"name": good})).await;
        }
        let role = create_role(&app, &json!({"name": "helpdesk"})).await;
        let path = role_path(id_of(&role));
        for name in ["Helpdesk", "help desk", ""] {
            let problem = app.patch(&path, &json!({"name": name})).await.expect_problem(422, "validation-failed");
            let fields = Reply::error_fields(&problem);
            assert!(!fields.is_empty() && fields.iter().all(|f| f == "name"), "{name:?}: {problem}");
            let problem = app.put(&path, &json!({"name": name})).await.expect_problem(422, "validation-failed");
            let fields = Reply::error_fields(&problem);
            assert!(!fields.is_empty() && fields.iter().all(|f| f == "name"), "{name:?}: {problem}");
        }
        assert_eq!(app.get(&path).await.expect(200), role);
    }

    async fn duplicate_role_name_is_a_conflict(app: TestApp) {
        create_role(&app, &json!({"name": "auditor"})).await;
        let problem = app
            .post("/api/v1/roles", &json!({"name": "auditor", "permissions": ["users:read"]}))
            .await
            .expect_problem(409, "conflict");
        assert!(problem["detail"].as_str().unwrap().contains("name"), "{problem}");
        for seeded in SEEDED {
            app.post("/api/v1/roles", &json!({"name": seeded})).await.expect_problem(409, "conflict");
        }
        assert_eq!(all_roles(&app).await.len(), 5);

        let helpdesk = create_role(&app, &json!({"name": "helpdesk"})).await;
        let path = role_path(id_of(&helpdesk));
        app.put(&path, &json!({"name": "auditor"})).await.expect_problem(409, "conflict");
        app.patch(&path, &json!({"name": "admin"})).await.expect_problem(409, "conflict");
        assert_eq!(app.get(&path).await.expect(200), helpdesk);
        assert_eq!(app.put(&path, &json!({"name": "helpdesk", "description": "same name"})).await.expect(200)["name"], "helpdesk");
    }

    async fn built_in_roles_cannot_be_changed_or_deleted(app: TestApp) {
        for name in SEEDED {
            let role = seeded_role(&app, name).await;
            let path = role_path(id_of(&role));
            let problem = app
                .put(&path, &json!({"name": name, "description": "changed", "permissions": ["tenants:read"]}))
                .await
                .expect_problem(409, "conflict");
            assert!(problem["detail"].as_str().unwrap().contains("built-in"), "{problem}");
            app.put(&path, &json!({"name": format!("{name}-renamed")})).await.expect_problem(409, "conflict");
            app.patch(&path, &json!({"description": "changed"})).await.expect_problem(409, "conflict");
            app.patch(&path, &json!({"permissions": ["tenants:manage", "roles:manage"]})).await.expect_problem(409, "conflict");
            app.delete(&path).await.expect_problem(409, "conflict");
            assert_eq!(app.get(&path).await.expect(200), role, "{name} is unchanged");
        }
    }

    async fn role_held_by_a_user_cannot_be_deleted_until_the_user_moves(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let role = create_role(&app, &json!({"name": "auditor", "permissions": ["history:read"]})).await;
        let role_id = id_of(&role);
        let user = app
            .post(
                &format!("/api/v1/tenants/{tenant}/users"),
                &json!({"username": "adele", "email": "adele@contoso.com", "role_id": role_id}),
            )
            .await
            .expect(201);
        assert_eq!(user["role"], "auditor");
        let user_path = format!("/api/v1/tenants/{tenant}/users/{}", id_of(&user));

        let problem = app.delete(&role_path(role_id)).await.expect_problem(409, "conflict");
        assert!(problem["detail"].as_str().unwrap().contains("1 user"), "{problem}");
        assert_eq!(app.get(&role_path(role_id)).await.expect(200), role);
        assert_eq!(app.get(&user_path).await.expect(200), user);

        let renamed = app.patch(&role_path(role_id), &json!({"name": "auditors"})).await.expect(200);
        assert_eq!(renamed["id"], role_id, "a role in use may still be changed");
        assert_eq!(app.get(&user_path).await.expect(200)["role"], "auditors", "users show the role's current name");

        let viewer = app.role_id("viewer").await;
        let moved = app.patch(&user_path, &json!({"role_id": viewer})).await.expect(200);
        assert_eq!(moved["role"], "viewer");
        assert_eq!(app.delete(&role_path(role_id)).await.expect(204), Value::Null);
        app.get(&role_path(role_id)).await.expect_problem(404, "not-found");
        assert_eq!(app.get(&user_path).await.expect(200), moved);
    }
}
