//! Nobody gains more than their role: an admin cannot hand out, take or touch the superadmin
//! role; nobody deletes their own account or their own tenant; and a role change or a
//! deactivation takes effect on the very next request, with the token already issued.

mod common;

use common::fixtures;
use common::{Reply, TestApp};
use serde_json::{json, Value};

fn users_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/users")
}

fn user_path(tenant: i64, id: i64) -> String {
    format!("/api/v1/tenants/{tenant}/users/{id}")
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

/// A new user of `tenant` with `role` and a token for them; returns (user id, token).
fn member(app: &TestApp, tenant: i64, role: &str, username: &str) -> (i64, String) {
    let token = app.token_for(tenant, role, username);
    (fixtures::subject_of(app, &token).0, token)
}

fn user_body(username: &str, role_id: i64) -> Value {
    json!({"username": username, "email": format!("{username}@contoso.com"), "role_id": role_id})
}

async fn me(app: &TestApp, token: &str) -> Reply {
    app.send(
        app.client
            .get(app.url("/api/v1/auth/me"))
            .bearer_auth(token),
    )
    .await
}

on_both_backends! {
    async fn an_admin_cannot_hand_out_a_role_above_their_own(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (_, admin) = member(&app, tenant, "admin", "admin.a");
        let (beyond, _) = fixtures::new_role(&app, &["history:read", "roles:manage"]);
        app.act_as(Some(admin));
        let superadmin = fixtures::role_id(&app, "superadmin");
        for (username, role) in [("would.be.super", superadmin), ("would.be.custom", beyond)] {
            let problem = app.post(&users_path(tenant), &user_body(username, role)).await.expect_problem(403, "forbidden");
            assert!(problem["detail"].as_str().unwrap().contains("cannot grant"), "{problem}");
        }
        // Nor by changing an existing user's role.
        let viewer = fixtures::role_id(&app, "viewer");
        let megan = app.post(&users_path(tenant), &user_body("megan", viewer)).await.expect(201);
        let megan = user_path(tenant, id_of(&megan));
        app.patch(&megan, &json!({"role_id": superadmin})).await.expect_problem(403, "forbidden");
        app.put(&megan, &user_body("megan", superadmin)).await.expect_problem(403, "forbidden");
        assert_eq!(app.get(&megan).await.expect(200)["role"], "viewer");
        // The admin's own role and everything below it are theirs to give.
        for (username, role) in [("new.admin", "admin"), ("new.operator", "operator"), ("new.viewer", "viewer")] {
            let user = app.post(&users_path(tenant), &user_body(username, fixtures::role_id(&app, role))).await.expect(201);
            assert_eq!(user["role"], role);
        }
        let page = app.get(&format!("{}?limit=500", users_path(tenant))).await.expect(200);
        let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert!(!names.iter().any(|n| n.starts_with("would.be")), "{names:?}");
    }

    async fn an_admin_cannot_change_or_delete_a_superadmin_of_their_tenant(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (boss, _) = member(&app, tenant, "superadmin", "boss");
        let (_, admin) = member(&app, tenant, "admin", "admin.a");
        let path = user_path(tenant, boss);
        let before = app.get(&path).await.expect(200);
        app.act_as(Some(admin));

        let superadmin = fixtures::role_id(&app, "superadmin");
        let viewer = fixtures::role_id(&app, "viewer");
        let password = json!({"password": "taken over by the admin"});
        app.patch(&path, &password).await.expect_problem(403, "forbidden");
        app.patch(&path, &json!({"active": false})).await.expect_problem(403, "forbidden");
        app.patch(&path, &json!({"role_id": viewer})).await.expect_problem(403, "forbidden");
        let mut replacement = user_body("boss", superadmin);
        replacement["password"] = json!("taken over by the admin");
        app.put(&path, &replacement).await.expect_problem(403, "forbidden");
        app.put(&path, &user_body("boss", viewer)).await.expect_problem(403, "forbidden");
        app.delete(&path).await.expect_problem(403, "forbidden");

        let after = app.get(&path).await.expect(200);
        assert_eq!(after, before, "the superadmin is untouched");
        assert_eq!((after["has_password"].as_bool(), after["role"].as_str()), (Some(false), Some("superadmin")));
    }

    async fn an_admin_cannot_raise_their_own_role(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (admin_id, admin) = member(&app, tenant, "admin", "admin.a");
        let path = user_path(tenant, admin_id);
        app.act_as(Some(admin.clone()));
        let superadmin = fixtures::role_id(&app, "superadmin");
        app.patch(&path, &json!({"role_id": superadmin})).await.expect_problem(403, "forbidden");
        app.put(&path, &user_body("admin.a", superadmin)).await.expect_problem(403, "forbidden");
        assert_eq!(app.get(&path).await.expect(200)["role"], "admin");
        let me = me(&app, &admin).await.expect(200);
        assert_eq!((me["role"].as_str(), me["spans_tenants"].as_bool()), (Some("admin"), Some(false)));
        // Changing their own harmless fields is fine.
        app.patch(&path, &json!({"first_name": "Adele"})).await.expect(200);
    }

    async fn an_admin_manages_operators_and_viewers(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (_, admin) = member(&app, tenant, "admin", "admin.a");
        app.act_as(Some(admin));
        let operator = fixtures::role_id(&app, "operator");
        let viewer = fixtures::role_id(&app, "viewer");
        let megan = app.post(&users_path(tenant), &user_body("megan", viewer)).await.expect(201);
        let lee = app.post(&users_path(tenant), &user_body("lee", operator)).await.expect(201);
        let (megan, lee) = (user_path(tenant, id_of(&megan)), user_path(tenant, id_of(&lee)));

        assert_eq!(app.patch(&megan, &json!({"role_id": operator})).await.expect(200)["role"], "operator");
        assert_eq!(app.put(&lee, &user_body("lee", viewer)).await.expect(200)["role"], "viewer");
        let reset = app.patch(&lee, &json!({"password": "a fresh passphrase"})).await.expect(200);
        assert_eq!(reset["has_password"], true);
        assert_eq!(app.patch(&lee, &json!({"active": false})).await.expect(200)["active"], false);
        app.delete(&megan).await.expect(204);
        app.delete(&lee).await.expect(204);
        app.get(&lee).await.expect_problem(404, "not-found");
    }

    async fn nobody_deletes_their_own_account(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (admin_id, admin) = member(&app, tenant, "admin", "admin.a");
        let (harness_superadmin, _) = fixtures::subject_of(&app, &app.superadmin_token);
        let own = [
            (user_path(tenant, admin_id), admin),
            (user_path(app.harness_tenant, harness_superadmin), app.superadmin_token.clone()),
        ];
        for (path, token) in own {
            app.act_as(Some(token.clone()));
            let problem = app.delete(&path).await.expect_problem(409, "conflict");
            assert!(problem["detail"].as_str().unwrap().contains("your own account"), "{problem}");
            app.get(&path).await.expect(200);
            me(&app, &token).await.expect(200);
        }
    }

    async fn a_superadmin_cannot_delete_their_own_tenant(app: TestApp) {
        let home = format!("/api/v1/tenants/{}", app.harness_tenant);
        app.delete(&home).await.expect_problem(409, "conflict");
        app.get(&home).await.expect(200);

        // The same for a superadmin who lives in a customer's tenant; other tenants they may delete.
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let (_, resident) = member(&app, contoso, "superadmin", "resident.superadmin");
        app.act_as(Some(resident.clone()));
        app.delete(&format!("/api/v1/tenants/{contoso}")).await.expect_problem(409, "conflict");
        app.delete(&format!("/api/v1/tenants/{fabrikam}")).await.expect(204);
        me(&app, &resident).await.expect(200);
    }

    async fn a_role_change_takes_effect_on_the_next_request_with_the_same_token(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (user, token) = member(&app, tenant, "viewer", "megan");
        let users = users_path(tenant);
        let with_token = |path: &str| app.client.get(app.url(path)).bearer_auth(&token);
        app.send(with_token(&users)).await.expect_problem(403, "forbidden");

        let admin = fixtures::role_id(&app, "admin");
        app.patch(&user_path(tenant, user), &json!({"role_id": admin})).await.expect(200);
        app.send(with_token(&users)).await.expect(200);
        assert_eq!(me(&app, &token).await.expect(200)["role"], "admin", "the token still says viewer");

        let viewer = fixtures::role_id(&app, "viewer");
        app.patch(&user_path(tenant, user), &json!({"role_id": viewer})).await.expect(200);
        app.send(with_token(&users)).await.expect_problem(403, "forbidden");

        // A change to the role itself counts as much as a change of role.
        let (auditor, _) = fixtures::new_role(&app, &["tenants:read"]);
        app.patch(&user_path(tenant, user), &json!({"role_id": auditor})).await.expect(200);
        let history = format!("/api/v1/tenants/{tenant}/history");
        app.send(with_token(&history)).await.expect_problem(403, "forbidden");
        app.patch(&format!("/api/v1/roles/{auditor}"), &json!({"permissions": ["tenants:read", "history:read"]}))
            .await
            .expect(200);
        app.send(with_token(&history)).await.expect(200);
    }

    async fn a_deactivated_users_token_stops_working(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let (user, token) = member(&app, tenant, "admin", "adele");
        me(&app, &token).await.expect(200);
        app.patch(&user_path(tenant, user), &json!({"active": false})).await.expect(200);
        let refused = me(&app, &token).await;
        assert!(refused.headers["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        refused.expect_problem(401, "unauthorized");
        let configurations = format!("/api/v1/tenants/{tenant}/configurations");
        app.send(app.client.get(app.url(&configurations)).bearer_auth(&token))
            .await
            .expect_problem(401, "unauthorized");
    }
}
