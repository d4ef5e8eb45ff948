mod common;

use common::{guid, Reply};
use serde_json::json;

on_both_backends! {
    async fn tenant_crud_round_trip(app: TestApp) {
        let created = app
            .post("/api/v1/tenants", &json!({"name": "Contoso", "azure_tenant_id": "72F988BF-86F1-41AF-91AB-2D7CD011DB47"}))
            .await;
        assert_eq!(created.headers["location"], format!("/api/v1/tenants/{}", created.body["id"]));
        let tenant = created.expect(201);
        assert_eq!(tenant["azure_tenant_id"], "72f988bf-86f1-41af-91ab-2d7cd011db47", "GUIDs are stored in lower case");
        let path = format!("/api/v1/tenants/{}", tenant["id"]);
        assert_eq!(app.get(&path).await.expect(200), tenant);

        let replaced = app.put(&path, &json!({"name": "Contoso Ltd", "azure_tenant_id": guid(7)})).await.expect(200);
        assert_eq!(replaced["name"], "Contoso Ltd");
        assert_eq!(replaced["azure_tenant_id"], guid(7));
        assert_eq!(replaced["created_at"], tenant["created_at"]);

        let patched = app.patch(&path, &json!({"name": "Contoso Group"})).await.expect(200);
        assert_eq!(patched["name"], "Contoso Group");
        assert_eq!(patched["azure_tenant_id"], guid(7), "a merge patch keeps what it does not name");

        let listed = app.get("/api/v1/tenants").await.expect(200);
        let harness = app.get(&format!("/api/v1/tenants/{}", app.harness_tenant)).await.expect(200);
        assert_eq!(listed["items"], json!([patched, harness]), "sorted by name");

        assert_eq!(app.delete(&path).await.expect(204), serde_json::Value::Null);
        app.get(&path).await.expect_problem(404, "not-found");
        app.delete(&path).await.expect_problem(404, "not-found");
    }

    async fn duplicate_azure_tenant_id_is_a_conflict_whatever_its_case(app: TestApp) {
        app.tenant("Contoso", 1).await;
        let upper = guid(1).to_uppercase();
        let body = app
            .post("/api/v1/tenants", &json!({"name": "Again", "azure_tenant_id": upper}))
            .await
            .expect_problem(409, "conflict");
        assert!(body["detail"].as_str().unwrap().contains("azure_tenant_id"));

        let other = app.tenant("Fabrikam", 2).await;
        app.put(&format!("/api/v1/tenants/{other}"), &json!({"name": "Fabrikam", "azure_tenant_id": guid(1)}))
            .await
            .expect_problem(409, "conflict");
        app.patch(&format!("/api/v1/tenants/{other}"), &json!({"azure_tenant_id": guid(1)}))
            .await
            .expect_problem(409, "conflict");
    }

    async fn invalid_tenant_fields_are_named(app: TestApp) {
        let body = app
            .post("/api/v1/tenants", &json!({"name": "", "azure_tenant_id": "contoso.onmicrosoft.com"}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&body), ["azure_tenant_id", "name"]);

        let body = app.post("/api/v1/tenants", &json!({"name": "x"})).await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&body), ["azure_tenant_id"]);
        assert_eq!(body["errors"][0]["code"], "required");

        let id = app.tenant("Contoso", 3).await;
        let body = app
            .patch(&format!("/api/v1/tenants/{id}"), &json!({"nmae": "typo"}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(body["errors"][0]["code"], "unknown_field");
        let body = app
            .patch(&format!("/api/v1/tenants/{id}"), &json!({"name": null}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&body), ["name"], "removing a required field is refused");
    }
}
