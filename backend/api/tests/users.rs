//! Users of a tenant: CRUD, secrets that never leave the server, validation, platform-wide
//! uniqueness, tenant isolation, and the list's filters, sort orders and pages.

mod common;

use common::{guid, Reply, TestApp};
use diesel::prelude::*;
use drift_core::db::schema::users as users_table;
use serde_json::{json, Value};

/// Keys that must never appear in any user document the API returns.
const SECRET_KEYS: [&str; 4] = ["password", "password_hash", "access_token", "refresh_token"];

fn users_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/users")
}

fn user_path(tenant: i64, id: i64) -> String {
    format!("/api/v1/tenants/{tenant}/users/{id}")
}

/// A valid body for a new user, e-mail derived from the username.
fn new_user(username: &str, role_id: i64) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@contoso.com"),
        "role_id": role_id,
    })
}

/// `base` with the members of `extra` set (a shallow merge, for building bodies).
fn with(base: Value, extra: Value) -> Value {
    let mut base = base;
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

/// Percent-encodes a query-string value.
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Fails if any object anywhere in `value` has one of the secret keys.
#[track_caller]
fn assert_no_secrets(value: &Value) {
    match value {
        Value::Object(map) => {
            for key in SECRET_KEYS {
                assert!(
                    !map.contains_key(key),
                    "the response exposes {key:?}: {value}"
                );
            }
            map.values().for_each(assert_no_secrets);
        }
        Value::Array(items) => items.iter().for_each(assert_no_secrets),
        _ => {}
    }
}

async fn create(app: &TestApp, tenant: i64, body: &Value) -> Value {
    app.post(&users_path(tenant), body).await.expect(201)
}

fn id_of(user: &Value) -> i64 {
    user["id"].as_i64().expect("a user has an id")
}

fn usernames(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

async fn list_usernames(app: &TestApp, tenant: i64, query: &str) -> Vec<String> {
    let page = app
        .get(&format!("{}?{query}", users_path(tenant)))
        .await
        .expect(200);
    usernames(page["items"].as_array().unwrap())
}

/// The stored password hash of a user, read straight from the database.
fn stored_hash(app: &TestApp, id: i64) -> Option<String> {
    let mut conn = app.db.conn();
    users_table::table
        .find(id)
        .select(users_table::password_hash)
        .first::<Option<String>>(&mut *conn)
        .expect("the user row exists")
}

/// Search is case-insensitive for names outside ASCII too (and finds them at all when typed
/// exactly as stored). Written out per backend rather than with `on_both_backends!` because
/// only the SQLite variant fails and must carry the `ignore`.
async fn search_is_case_insensitive_for_non_ascii_names(app: TestApp) {
    let tenant = app.tenant("Contoso", 1).await;
    let viewer = app.role_id("viewer").await;
    create(
        &app,
        tenant,
        &json!({"username": "elodie", "email": "elodie@contoso.com", "first_name": "Élodie", "last_name": "ÖZTÜRK", "role_id": viewer}),
    )
    .await;
    create(&app, tenant, &new_user("someone", viewer)).await;
    for text in ["Élodie", "élodie", "ÉLODIE", "ÖZTÜRK", "öztürk", "Öztürk"] {
        let query = format!("search={}", encode(text));
        assert_eq!(
            list_usernames(&app, tenant, &query).await,
            ["elodie"],
            "search={text}"
        );
    }
}

mod search_is_case_insensitive_for_non_ascii_names {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        let app = TestApp::spawn(common::TestDb::sqlite()).await;
        super::search_is_case_insensitive_for_non_ascii_names(app).await;
    }

    #[actix_web::test]
    async fn postgres() {
        let app = TestApp::spawn(common::TestDb::postgres()).await;
        super::search_is_case_insensitive_for_non_ascii_names(app).await;
    }
}

/// E-mail addresses are unique whatever their case, also when the case differs outside ASCII
/// (internationalised domain names are accepted). Per backend for the same reason as above.
async fn duplicate_email_differing_only_in_non_ascii_case_is_a_conflict(app: TestApp) {
    let contoso = app.tenant("Contoso", 1).await;
    let fabrikam = app.tenant("Fabrikam", 2).await;
    let viewer = app.role_id("viewer").await;
    let first = create(
        &app,
        contoso,
        &json!({"username": "elodie", "email": "elodie@CAFÉ.example", "role_id": viewer}),
    )
    .await;
    assert_eq!(first["email"], "elodie@CAFÉ.example");
    let body = json!({"username": "elodie2", "email": "elodie@café.example", "role_id": viewer});
    app.post(&users_path(fabrikam), &body)
        .await
        .expect_problem(409, "conflict");
    assert_eq!(
        app.get(&users_path(fabrikam)).await.expect(200)["items"],
        json!([])
    );
}

mod duplicate_email_differing_only_in_non_ascii_case_is_a_conflict {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        let app = TestApp::spawn(common::TestDb::sqlite()).await;
        super::duplicate_email_differing_only_in_non_ascii_case_is_a_conflict(app).await;
    }

    #[actix_web::test]
    async fn postgres() {
        let app = TestApp::spawn(common::TestDb::postgres()).await;
        super::duplicate_email_differing_only_in_non_ascii_case_is_a_conflict(app).await;
    }
}

on_both_backends! {
    async fn user_crud_round_trip(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let admin = app.role_id("admin").await;
        let viewer = app.role_id("viewer").await;

        let created = app
            .post(
                &users_path(tenant),
                &json!({
                    "username": "adele.vance",
                    "email": "adele.vance@contoso.com",
                    "first_name": "Adele",
                    "last_name": "Vance",
                    "role_id": admin,
                    "password": "correct horse battery staple",
                }),
            )
            .await;
        assert_eq!(
            created.headers["location"],
            format!("/api/v1/tenants/{tenant}/users/{}", created.body["id"])
        );
        let user = created.expect(201);
        assert_eq!(user["tenant_id"], tenant);
        assert_eq!(user["role_id"], admin);
        assert_eq!(user["role"], "admin");
        assert_eq!(user["username"], "adele.vance");
        assert_eq!(user["email"], "adele.vance@contoso.com");
        assert_eq!(user["first_name"], "Adele");
        assert_eq!(user["last_name"], "Vance");
        assert_eq!(user["microsoft_id"], Value::Null);
        assert_eq!(user["has_password"], true);
        assert_eq!(user["active"], true, "users are active unless told otherwise");
        assert_eq!(user["last_login"], Value::Null);
        assert_eq!(user["token_expiry"], Value::Null);
        assert!(user["created_at"].is_string());
        let id = id_of(&user);
        let path = user_path(tenant, id);

        assert_eq!(app.get(&path).await.expect(200), user);
        assert_eq!(app.get(&users_path(tenant)).await.expect(200)["items"], json!([user]));

        let replaced = app
            .put(&path, &json!({"username": "adele", "email": "adele@contoso.com", "role_id": viewer}))
            .await
            .expect(200);
        assert_eq!(replaced["id"], id);
        assert_eq!(replaced["username"], "adele");
        assert_eq!(replaced["email"], "adele@contoso.com");
        assert_eq!(replaced["role_id"], viewer);
        assert_eq!(replaced["role"], "viewer");
        assert_eq!(replaced["first_name"], Value::Null, "a full replacement clears omitted optional fields");
        assert_eq!(replaced["last_name"], Value::Null);
        assert_eq!(replaced["has_password"], true, "an omitted password is kept");
        assert_eq!(replaced["created_at"], user["created_at"]);

        let patched = app
            .patch(&path, &json!({"first_name": "Adele", "microsoft_id": guid(42).to_uppercase()}))
            .await
            .expect(200);
        assert_eq!(patched["first_name"], "Adele");
        assert_eq!(patched["microsoft_id"], guid(42), "Microsoft ids are stored in lower case");
        assert_eq!(patched["username"], "adele", "a merge patch keeps what it does not name");
        assert_eq!(patched["role_id"], viewer);
        assert_eq!(patched["has_password"], true);
        let patched = app.patch(&path, &json!({"first_name": null})).await.expect(200);
        assert_eq!(patched["first_name"], Value::Null, "null removes an optional field");
        assert_eq!(patched["microsoft_id"], guid(42));
        assert_eq!(app.get(&path).await.expect(200), patched);

        assert_eq!(app.delete(&path).await.expect(204), Value::Null);
        app.get(&path).await.expect_problem(404, "not-found");
        app.delete(&path).await.expect_problem(404, "not-found");
        app.put(&path, &new_user("adele", viewer)).await.expect_problem(404, "not-found");
        app.patch(&path, &json!({"first_name": "x"})).await.expect_problem(404, "not-found");
        assert_eq!(app.get(&users_path(tenant)).await.expect(200)["items"], json!([]));
    }

    async fn responses_never_expose_passwords_or_tokens(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let admin = app.role_id("admin").await;
        let body = with(new_user("adele", admin), json!({"password": "correct horse battery staple", "microsoft_id": guid(5)}));
        let created = create(&app, tenant, &body).await;
        assert_no_secrets(&created);
        let path = user_path(tenant, id_of(&created));

        assert_no_secrets(&app.get(&path).await.expect(200));
        let listed = app.get(&users_path(tenant)).await.expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        assert_no_secrets(&listed);
        let replaced = app
            .put(&path, &with(new_user("adele", admin), json!({"password": "another long passphrase"})))
            .await
            .expect(200);
        assert_no_secrets(&replaced);
        assert_no_secrets(&app.put(&path, &new_user("adele", admin)).await.expect(200));
        assert_no_secrets(&app.patch(&path, &json!({"password": "a third long passphrase"})).await.expect(200));
        assert_no_secrets(&app.patch(&path, &json!({"last_name": "Vance"})).await.expect(200));

        let hash = stored_hash(&app, id_of(&created)).expect("a password hash is stored");
        assert!(hash.starts_with("$argon2id$"), "passwords are stored as argon2id hashes: {hash}");
        assert!(!hash.contains("passphrase"), "the password is not stored in clear");
    }

    async fn has_password_says_whether_a_password_was_set(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let without = create(&app, tenant, &new_user("megan", viewer)).await;
        assert_eq!(without["has_password"], false);
        assert_eq!(stored_hash(&app, id_of(&without)), None);
        let with_password = create(&app, tenant, &with(new_user("adele", viewer), json!({"password": "correct horse battery"}))).await;
        assert_eq!(with_password["has_password"], true);

        let path = user_path(tenant, id_of(&without));
        assert_eq!(app.put(&path, &new_user("megan", viewer)).await.expect(200)["has_password"], false);
        let patched = app.patch(&path, &json!({"password": "now she has one too"})).await.expect(200);
        assert_eq!(patched["has_password"], true);
        assert_eq!(app.get(&path).await.expect(200)["has_password"], true);
        let listed = app.get(&format!("{}?sort=username", users_path(tenant))).await.expect(200);
        assert_eq!(listed["items"][0]["has_password"], true);
        assert_eq!(listed["items"][1]["has_password"], true);
    }

    async fn replacing_a_user_without_a_password_keeps_the_existing_one(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let operator = app.role_id("operator").await;
        let user = create(&app, tenant, &with(new_user("adele", viewer), json!({"password": "correct horse battery"}))).await;
        let id = id_of(&user);
        let path = user_path(tenant, id);
        let original = stored_hash(&app, id).expect("a password hash is stored");

        let replaced = app
            .put(&path, &with(new_user("adele", operator), json!({"first_name": "Adele"})))
            .await
            .expect(200);
        assert_eq!(replaced["has_password"], true);
        assert_eq!(replaced["role"], "operator");
        assert_eq!(stored_hash(&app, id).as_deref(), Some(original.as_str()), "PUT without a password keeps the hash");
        app.patch(&path, &json!({"last_name": "Vance"})).await.expect(200);
        assert_eq!(stored_hash(&app, id).as_deref(), Some(original.as_str()), "PATCH without a password keeps the hash");

        let replaced = app
            .put(&path, &with(new_user("adele", operator), json!({"password": "a brand new passphrase"})))
            .await
            .expect(200);
        assert_eq!(replaced["has_password"], true);
        assert_ne!(stored_hash(&app, id).as_deref(), Some(original.as_str()), "PUT with a password changes it");
    }

    async fn password_shorter_than_twelve_characters_is_refused(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let body = with(new_user("adele", viewer), json!({"password": "elevenchars"}));
        let problem = app.post(&users_path(tenant), &body).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["password"]);
        assert_eq!(problem["errors"][0]["code"], "length");
        let too_long = "x".repeat(129);
        let problem = app
            .post(&users_path(tenant), &with(new_user("adele", viewer), json!({"password": too_long})))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["password"]);
        assert_eq!(app.get(&users_path(tenant)).await.expect(200)["items"], json!([]), "nothing was created");

        let user = create(&app, tenant, &with(new_user("adele", viewer), json!({"password": "twelve chars"}))).await;
        assert_eq!(user["has_password"], true, "twelve characters are enough");
        let path = user_path(tenant, id_of(&user));
        let problem = app
            .put(&path, &with(new_user("adele", viewer), json!({"password": "short"})))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["password"]);
        let problem = app.patch(&path, &json!({"password": "short"})).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["password"]);
    }

    async fn password_containing_the_username_is_refused(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let body = with(new_user("adele", viewer), json!({"password": "my-ADELE-passphrase-2026"}));
        let problem = app.post(&users_path(tenant), &body).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["password"]);
        assert_eq!(problem["errors"][0]["code"], "contains_username");
        assert_eq!(app.get(&users_path(tenant)).await.expect(200)["items"], json!([]));

        let user = create(&app, tenant, &new_user("adele", viewer)).await;
        let path = user_path(tenant, id_of(&user));
        let problem = app
            .patch(&path, &json!({"password": "xxadelexx-passphrase"}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["password"]);
        let problem = app
            .put(&path, &with(new_user("megan", viewer), json!({"password": "Megan and a passphrase"})))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["password"], "the new username is the one checked");
        assert_eq!(app.get(&path).await.expect(200), user, "a refused change changes nothing");
    }

    async fn unknown_role_is_refused_naming_role_id(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let problem = app
            .post(&users_path(tenant), &new_user("adele", 987_654))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["role_id"]);
        assert_eq!(problem["errors"][0]["code"], "unknown_role");
        assert_eq!(app.get(&users_path(tenant)).await.expect(200)["items"], json!([]));

        let user = create(&app, tenant, &new_user("adele", viewer)).await;
        let path = user_path(tenant, id_of(&user));
        let problem = app.put(&path, &new_user("adele", 987_654)).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["role_id"]);
        let problem = app.patch(&path, &json!({"role_id": 987_654})).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["role_id"]);
        assert_eq!(app.get(&path).await.expect(200), user);
    }

    async fn invalid_email_is_refused_naming_email(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        for email in ["not-an-email", "adele@", "@contoso.com", ""] {
            let body = with(new_user("adele", viewer), json!({"email": email}));
            let problem = app.post(&users_path(tenant), &body).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["email"], "{email:?}");
        }
        let user = create(&app, tenant, &new_user("adele", viewer)).await;
        let path = user_path(tenant, id_of(&user));
        let problem = app.patch(&path, &json!({"email": "adele at contoso"})).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["email"]);
        assert_eq!(app.get(&path).await.expect(200)["email"], "adele@contoso.com");
    }

    async fn invalid_username_and_microsoft_id_are_named(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        for username in ["ab", "adele vance", "adele/vance"] {
            let body = json!({"username": username, "email": "adele@contoso.com", "role_id": viewer});
            let problem = app.post(&users_path(tenant), &body).await.expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["username"], "{username:?}");
        }
        let body = with(new_user("adele", viewer), json!({"microsoft_id": "adele@contoso.com"}));
        let problem = app.post(&users_path(tenant), &body).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["microsoft_id"]);
        let problem = app
            .post(&users_path(tenant), &json!({"username": "adele", "email": "adele@contoso.com"}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["role_id"]);
        assert_eq!(problem["errors"][0]["code"], "required");
    }

    async fn duplicate_username_or_email_in_any_tenant_is_a_conflict_whatever_its_case(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let viewer = app.role_id("viewer").await;
        create(&app, contoso, &json!({"username": "adele.vance", "email": "adele@contoso.com", "role_id": viewer})).await;

        for tenant in [contoso, fabrikam] {
            let problem = app
                .post(&users_path(tenant), &json!({"username": "ADELE.Vance", "email": "other@contoso.com", "role_id": viewer}))
                .await
                .expect_problem(409, "conflict");
            assert!(problem["detail"].as_str().unwrap().contains("username"), "{problem}");
            let problem = app
                .post(&users_path(tenant), &json!({"username": "someone", "email": "Adele@CONTOSO.com", "role_id": viewer}))
                .await
                .expect_problem(409, "conflict");
            assert!(problem["detail"].as_str().unwrap().contains("e-mail"), "{problem}");
        }
        assert_eq!(app.get(&users_path(fabrikam)).await.expect(200)["items"], json!([]));
        assert_eq!(app.get(&users_path(contoso)).await.expect(200)["items"].as_array().unwrap().len(), 1);

        let megan = create(&app, fabrikam, &json!({"username": "megan", "email": "megan@fabrikam.com", "role_id": viewer})).await;
        let path = user_path(fabrikam, id_of(&megan));
        app.put(&path, &json!({"username": "Adele.Vance", "email": "megan@fabrikam.com", "role_id": viewer}))
            .await
            .expect_problem(409, "conflict");
        app.patch(&path, &json!({"email": "ADELE@contoso.com"})).await.expect_problem(409, "conflict");
        app.patch(&path, &json!({"username": "adele.VANCE"})).await.expect_problem(409, "conflict");
        assert_eq!(app.get(&path).await.expect(200), megan, "a refused change changes nothing");

        let renamed = app.patch(&path, &json!({"username": "Megan"})).await.expect(200);
        assert_eq!(renamed["username"], "Megan", "a user may change the case of their own name");
    }

    async fn duplicate_microsoft_id_is_a_conflict(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let viewer = app.role_id("viewer").await;
        create(&app, contoso, &with(new_user("adele", viewer), json!({"microsoft_id": guid(9)}))).await;

        let problem = app
            .post(&users_path(fabrikam), &with(new_user("megan", viewer), json!({"microsoft_id": guid(9).to_uppercase()})))
            .await
            .expect_problem(409, "conflict");
        assert!(problem["detail"].as_str().unwrap().contains("Microsoft"), "{problem}");

        let first = create(&app, fabrikam, &new_user("megan", viewer)).await;
        let second = create(&app, fabrikam, &new_user("lee", viewer)).await;
        assert_eq!(first["microsoft_id"], Value::Null);
        assert_eq!(second["microsoft_id"], Value::Null, "any number of users may have no Microsoft account");
        let path = user_path(fabrikam, id_of(&second));
        app.patch(&path, &json!({"microsoft_id": guid(9)})).await.expect_problem(409, "conflict");
        app.put(&path, &with(new_user("lee", viewer), json!({"microsoft_id": guid(9)})))
            .await
            .expect_problem(409, "conflict");
        assert_eq!(app.get(&path).await.expect(200)["microsoft_id"], Value::Null);
    }

    async fn user_of_another_tenant_is_not_found(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let viewer = app.role_id("viewer").await;
        let admin = app.role_id("admin").await;
        let adele = create(&app, contoso, &with(new_user("adele", viewer), json!({"first_name": "Adele"}))).await;
        let id = id_of(&adele);
        let wrong = user_path(fabrikam, id);

        app.get(&wrong).await.expect_problem(404, "not-found");
        app.put(&wrong, &with(new_user("hijacked", admin), json!({"password": "a long enough passphrase"})))
            .await
            .expect_problem(404, "not-found");
        app.patch(&wrong, &json!({"role_id": admin, "active": false})).await.expect_problem(404, "not-found");
        app.delete(&wrong).await.expect_problem(404, "not-found");
        assert_eq!(app.get(&users_path(fabrikam)).await.expect(200)["items"], json!([]));

        assert_eq!(app.get(&user_path(contoso, id)).await.expect(200), adele, "user A is untouched");
        assert_eq!(stored_hash(&app, id), None, "no password was set through the other tenant");
    }

    async fn users_of_a_missing_tenant_are_not_found(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let user = create(&app, tenant, &new_user("adele", viewer)).await;
        let id = id_of(&user);
        let missing = 4242;
        let problem = app.get(&users_path(missing)).await.expect_problem(404, "not-found");
        assert!(problem["detail"].as_str().unwrap().contains("tenant 4242"), "{problem}");
        let problem = app.post(&users_path(missing), &new_user("megan", viewer)).await.expect_problem(404, "not-found");
        assert!(problem["detail"].as_str().unwrap().contains("tenant 4242"), "{problem}");
        app.get(&user_path(missing, id)).await.expect_problem(404, "not-found");
        app.put(&user_path(missing, id), &new_user("adele", viewer)).await.expect_problem(404, "not-found");
        app.patch(&user_path(missing, id), &json!({"first_name": "x"})).await.expect_problem(404, "not-found");
        app.delete(&user_path(missing, id)).await.expect_problem(404, "not-found");
        assert_eq!(app.get(&user_path(tenant, id)).await.expect(200), user);
        assert_eq!(list_usernames(&app, tenant, "").await, ["adele"], "megan was not created anywhere");
    }

    async fn search_matches_username_email_and_names_case_insensitively(app: TestApp) {
        let contoso = app.tenant("Contoso", 1).await;
        let fabrikam = app.tenant("Fabrikam", 2).await;
        let viewer = app.role_id("viewer").await;
        // Each user can be found through one field only, stored in mixed case.
        create(&app, contoso, &json!({"username": "Zed.Quinn", "email": "zq@contoso.com", "role_id": viewer})).await;
        create(&app, contoso, &json!({"username": "rora", "email": "Rita.Ora@Contoso.COM", "role_id": viewer})).await;
        create(&app, contoso, &json!({"username": "user3", "email": "user3@contoso.com", "first_name": "Adele", "role_id": viewer})).await;
        create(&app, contoso, &json!({"username": "user4", "email": "user4@contoso.com", "last_name": "Vance", "role_id": viewer})).await;
        create(&app, contoso, &json!({"username": "mbowen", "email": "megan.bowen@fabrikam.com", "first_name": "Megan", "last_name": "Bowen", "role_id": viewer})).await;
        create(&app, fabrikam, &json!({"username": "vance.other", "email": "adele.other@fabrikam.com", "role_id": viewer})).await;

        let search = |text: &str| format!("search={}", encode(text));
        let found = |mut names: Vec<String>| {
            names.sort();
            names
        };
        assert_eq!(list_usernames(&app, contoso, &search("zed.QUINN")).await, ["Zed.Quinn"], "by username");
        assert_eq!(list_usernames(&app, contoso, &search("RITA.ora@contoso.com")).await, ["rora"], "by e-mail");
        assert_eq!(list_usernames(&app, contoso, &search("aDeLe")).await, ["user3"], "by first name");
        assert_eq!(list_usernames(&app, contoso, &search("VANCE")).await, ["user4"], "by last name");
        assert_eq!(list_usernames(&app, contoso, &search("fabrikam.COM")).await, ["mbowen"]);
        assert_eq!(list_usernames(&app, contoso, &search("owe")).await, ["mbowen"], "a part of a word");
        assert_eq!(
            found(list_usernames(&app, contoso, &search("CONTOSO")).await),
            ["Zed.Quinn", "rora", "user3", "user4"]
        );
        assert_eq!(list_usernames(&app, contoso, &search("zzz")).await, Vec::<String>::new());
        assert_eq!(
            found(list_usernames(&app, contoso, &search("")).await),
            ["Zed.Quinn", "mbowen", "rora", "user3", "user4"],
            "an empty search matches everyone"
        );
        assert_eq!(list_usernames(&app, fabrikam, &search("adele")).await, ["vance.other"], "search stays inside the tenant");
        assert_eq!(list_usernames(&app, fabrikam, &search("quinn")).await, Vec::<String>::new());
    }

    async fn search_takes_percent_and_underscore_literally(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        create(&app, tenant, &json!({"username": "a_b", "email": "ab1@contoso.com", "role_id": viewer})).await;
        create(&app, tenant, &json!({"username": "axb", "email": "ab2@contoso.com", "role_id": viewer})).await;
        create(&app, tenant, &json!({"username": "carol", "email": "carol@contoso.com", "first_name": "100% sure", "role_id": viewer})).await;
        create(&app, tenant, &json!({"username": "dave", "email": "dave@contoso.com", "first_name": "1000 sure", "role_id": viewer})).await;
        create(&app, tenant, &json!({"username": "erin", "email": "erin@contoso.com", "last_name": "back\\slash", "role_id": viewer})).await;

        let search = |text: &str| format!("search={}&sort=username", encode(text));
        assert_eq!(list_usernames(&app, tenant, &search("a_b")).await, ["a_b"], "_ is not a wildcard");
        assert_eq!(list_usernames(&app, tenant, &search("_")).await, ["a_b"]);
        assert_eq!(list_usernames(&app, tenant, &search("%")).await, ["carol"], "% is not a wildcard");
        assert_eq!(list_usernames(&app, tenant, &search("100%")).await, ["carol"]);
        assert_eq!(list_usernames(&app, tenant, &search("100")).await, ["carol", "dave"]);
        assert_eq!(list_usernames(&app, tenant, &search("\\")).await, ["erin"], "a backslash is literal too");
        assert_eq!(list_usernames(&app, tenant, &search("%_%")).await, Vec::<String>::new());
    }

    async fn list_filters_by_role_and_active(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let other = app.tenant("Fabrikam", 2).await;
        let viewer = app.role_id("viewer").await;
        let admin = app.role_id("admin").await;
        create(&app, tenant, &new_user("amy", admin)).await;
        create(&app, tenant, &with(new_user("ben", admin), json!({"active": false}))).await;
        create(&app, tenant, &new_user("cat", viewer)).await;
        create(&app, tenant, &with(new_user("dan", viewer), json!({"active": false}))).await;
        create(&app, other, &new_user("eve", admin)).await;

        assert_eq!(list_usernames(&app, tenant, &format!("role_id={admin}")).await, ["amy", "ben"]);
        assert_eq!(list_usernames(&app, tenant, &format!("role_id={viewer}")).await, ["cat", "dan"]);
        assert_eq!(list_usernames(&app, tenant, "active=true").await, ["amy", "cat"]);
        assert_eq!(list_usernames(&app, tenant, "active=false").await, ["ben", "dan"]);
        assert_eq!(list_usernames(&app, tenant, &format!("role_id={admin}&active=false")).await, ["ben"]);
        assert_eq!(list_usernames(&app, tenant, &format!("role_id={viewer}&active=true&search=CA")).await, ["cat"]);
        let operator = app.role_id("operator").await;
        assert_eq!(list_usernames(&app, tenant, &format!("role_id={operator}")).await, Vec::<String>::new());
        assert_eq!(list_usernames(&app, other, &format!("role_id={admin}")).await, ["eve"]);

        let problem = app.get(&format!("{}?active=maybe", users_path(tenant))).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["active"]);
        let problem = app.get(&format!("{}?role=admin", users_path(tenant))).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["role"]);
    }

    async fn users_sort_by_username_either_way_and_by_creation(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let created_order = ["delta", "alpha", "echo", "charlie", "bravo"];
        for name in created_order {
            create(&app, tenant, &new_user(name, viewer)).await;
        }
        let mut ascending: Vec<String> = created_order.iter().map(|s| s.to_string()).collect();
        ascending.sort();
        let descending: Vec<String> = ascending.iter().rev().cloned().collect();
        let by_creation: Vec<String> = created_order.iter().map(|s| s.to_string()).collect();
        let by_creation_desc: Vec<String> = by_creation.iter().rev().cloned().collect();

        assert_eq!(list_usernames(&app, tenant, "").await, ascending, "the default order is by username");
        assert_eq!(list_usernames(&app, tenant, "sort=username").await, ascending);
        assert_eq!(list_usernames(&app, tenant, "sort=-username").await, descending);
        assert_eq!(list_usernames(&app, tenant, "sort=created_at").await, by_creation);
        assert_eq!(list_usernames(&app, tenant, "sort=-created_at").await, by_creation_desc);

        let problem = app.get(&format!("{}?sort=email", users_path(tenant))).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["sort"]);
    }

    async fn pages_yield_each_user_exactly_once_in_order(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let other = app.tenant("Fabrikam", 2).await;
        let viewer = app.role_id("viewer").await;
        let created_order = ["golf", "alpha", "foxtrot", "charlie", "hotel", "bravo", "echo", "delta"];
        for (i, name) in created_order.iter().enumerate() {
            let active = i % 3 != 0;
            create(&app, tenant, &with(new_user(name, viewer), json!({"active": active}))).await;
        }
        create(&app, other, &new_user("india", viewer)).await;

        let by_creation: Vec<String> = created_order.iter().map(|s| s.to_string()).collect();
        let mut ascending = by_creation.clone();
        ascending.sort();
        let reversed = |v: &[String]| v.iter().rev().cloned().collect::<Vec<_>>();
        let path = users_path(tenant);
        for limit in [1, 2, 3, 8, 50] {
            for (sort, expected) in [
                ("username", ascending.clone()),
                ("-username", reversed(&ascending)),
                ("created_at", by_creation.clone()),
                ("-created_at", reversed(&by_creation)),
            ] {
                let items = app.collect_all(&format!("{path}?sort={sort}"), limit).await;
                assert_eq!(usernames(&items), expected, "sort={sort} limit={limit}");
                let mut ids: Vec<i64> = items.iter().map(id_of).collect();
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len(), created_order.len(), "sort={sort} limit={limit}: every user exactly once");
            }
        }

        let active: Vec<String> = ascending
            .iter()
            .filter(|name| {
                let i = created_order.iter().position(|n| n == name).unwrap();
                i % 3 != 0
            })
            .cloned()
            .collect();
        let items = app.collect_all(&format!("{path}?active=true&sort=username"), 2).await;
        assert_eq!(usernames(&items), active, "filters hold on every page");

        let whole = app.get(&format!("{path}?limit=8")).await.expect(200);
        assert_eq!(whole["items"].as_array().unwrap().len(), 8);
        assert!(whole.get("next_cursor").is_none(), "a page that holds the rest has no next cursor: {whole}");

        let first = app.get(&format!("{path}?limit=2&sort=username")).await.expect(200);
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        app.get(&format!("{path}?limit=2&sort=created_at&cursor={cursor}"))
            .await
            .expect_problem(400, "invalid-cursor");
        let problem = app.get(&format!("{path}?limit=0")).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["limit"]);
    }

    async fn pages_break_ties_between_equal_creation_times_by_id(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let earlier = drift_core::UtcTime::now();
        let later = drift_core::UtcTime::new(earlier.get() + chrono::TimeDelta::seconds(1));
        // Created later first, so that id order and time order differ; five share one instant.
        let mut at_later = Vec::new();
        let mut at_earlier = Vec::new();
        {
            let mut conn = app.db.conn();
            for (name, at) in [("kilo", later), ("lima", later), ("echo", earlier), ("alpha", earlier), ("delta", earlier), ("charlie", earlier), ("bravo", earlier)] {
                let input: drift_core::users::UserInput = serde_json::from_value(new_user(name, viewer)).unwrap();
                let user = drift_core::users::create(&mut conn, tenant, &input, at).expect("create a user");
                if at == later { at_later.push(user.id) } else { at_earlier.push(user.id) }
            }
        }
        let ascending: Vec<i64> = at_earlier.iter().chain(&at_later).copied().collect();
        let descending: Vec<i64> = at_later.iter().rev().chain(at_earlier.iter().rev()).copied().collect();
        for limit in [1, 2, 3, 4] {
            let items = app.collect_all(&format!("{}?sort=created_at", users_path(tenant)), limit).await;
            assert_eq!(items.iter().map(id_of).collect::<Vec<_>>(), ascending, "sort=created_at limit={limit}");
            let items = app.collect_all(&format!("{}?sort=-created_at", users_path(tenant)), limit).await;
            assert_eq!(items.iter().map(id_of).collect::<Vec<_>>(), descending, "sort=-created_at limit={limit}");
        }
    }

    async fn inactive_users_round_trip(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let viewer = app.role_id("viewer").await;
        let user = create(&app, tenant, &with(new_user("adele", viewer), json!({"active": false}))).await;
        assert_eq!(user["active"], false);
        let path = user_path(tenant, id_of(&user));
        assert_eq!(app.get(&path).await.expect(200)["active"], false);
        assert_eq!(app.get(&users_path(tenant)).await.expect(200)["items"][0]["active"], false);
        assert_eq!(app.patch(&path, &json!({"first_name": "Adele"})).await.expect(200)["active"], false, "a patch keeps it");
        assert_eq!(
            app.put(&path, &with(new_user("adele", viewer), json!({"active": false}))).await.expect(200)["active"],
            false
        );
        assert_eq!(app.patch(&path, &json!({"active": true})).await.expect(200)["active"], true);
        assert_eq!(app.patch(&path, &json!({"active": false})).await.expect(200)["active"], false);
        assert_eq!(app.get(&path).await.expect(200)["active"], false);
        let problem = app.patch(&path, &json!({"active": "no"})).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["active"]);
    }
}
