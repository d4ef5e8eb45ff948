//! Every class of bad input gets a clear 4xx problem document, never a 500.

mod common;

use common::{Reply, TestApp};
use drift_api::HttpOptions;
use reqwest::Method;
use serde_json::json;

on_both_backends! {
    async fn malformed_json_is_a_bad_request(app: TestApp) {
        for body in ["{\"name\":", "not json", "{\"name\": \"a\"} trailing", "[1,2"] {
            let problem = app
                .raw(Method::POST, "/api/v1/tenants", "application/json", body)
                .await
                .expect_problem(400, "bad-request");
            assert!(problem["detail"].as_str().unwrap().contains("JSON"), "{body}: {problem}");
        }
        app.raw(Method::POST, "/api/v1/tenants", "application/json", "")
            .await
            .expect_problem(400, "bad-request");
    }

    async fn wrong_types_and_unknown_fields_name_the_field(app: TestApp) {
        let problem = app
            .post("/api/v1/tenants", &json!({"name": ["Contoso"], "azure_tenant_id": "x"}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["name"]);
        assert_eq!(problem["errors"][0]["code"], "type");

        let problem = app
            .post("/api/v1/tenants", &json!({"name": "Contoso", "azure_tenant_id": common::guid(1), "owner": "x"}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["owner"]);
        assert_eq!(problem["errors"][0]["code"], "unknown_field");

        let problem = app.post("/api/v1/tenants", &json!(["not", "an", "object"])).await.expect_problem(422, "validation-failed");
        assert_eq!(problem["errors"][0]["code"], "type");
    }

    async fn bodies_that_are_not_json_are_unsupported(app: TestApp) {
        app.raw(Method::POST, "/api/v1/tenants", "text/plain", "{}")
            .await
            .expect_problem(415, "unsupported-media-type");
        app.send(app.client.post(app.url("/api/v1/tenants")).body("{}"))
            .await
            .expect_problem(415, "unsupported-media-type");
        let id = app.tenant("Contoso", 1).await;
        app.raw(Method::PATCH, &format!("/api/v1/tenants/{id}"), "application/xml", "<a/>")
            .await
            .expect_problem(415, "unsupported-media-type");
    }

    async fn a_merge_patch_must_be_an_object(app: TestApp) {
        let id = app.tenant("Contoso", 1).await;
        for body in ["[]", "\"name\"", "null"] {
            app.raw(Method::PATCH, &format!("/api/v1/tenants/{id}"), "application/merge-patch+json", body)
                .await
                .expect_problem(400, "bad-request");
        }
    }

    async fn bad_ids_are_bad_requests(app: TestApp) {
        for path in ["/api/v1/tenants/abc", "/api/v1/tenants/0", "/api/v1/tenants/-4", "/api/v1/tenants/99999999999999999999", "/api/v1/tenants/1.5"] {
            let problem = app.get(path).await.expect_problem(400, "bad-request");
            assert!(problem["detail"].as_str().unwrap().contains("positive whole number"), "{path}");
        }
        let id = app.tenant("Contoso", 1).await;
        app.get(&format!("/api/v1/tenants/{id}/users/x")).await.expect_problem(400, "bad-request");
        app.get("/api/v1/tenants/x/users").await.expect_problem(400, "bad-request");
    }

    async fn unknown_routes_and_methods_are_problems(app: TestApp) {
        let problem = app.get("/api/v1/nothing-here").await.expect_problem(404, "not-found");
        assert!(problem["detail"].as_str().unwrap().contains("/api/v1/nothing-here"));
        app.get("/").await.expect_problem(404, "not-found");
        let reply = app.delete("/api/v1/tenants").await;
        assert_eq!(reply.headers["allow"], "GET, POST");
        reply.expect_problem(405, "method-not-allowed");
        let reply = app.post("/api/v1/tenants/1", &json!({})).await;
        let allow = reply.headers["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("GET") && allow.contains("PUT") && allow.contains("PATCH") && allow.contains("DELETE"), "{allow}");
        reply.expect_problem(405, "method-not-allowed");
        let reply = app.send(app.client.request(Method::OPTIONS, app.url("/api/v1/tenants"))).await;
        reply.expect_problem(405, "method-not-allowed");
    }

    async fn a_missing_tenant_is_not_found_on_every_nested_route(app: TestApp) {
        for path in [
            "/api/v1/tenants/4242/users",
            "/api/v1/tenants/4242/settings",
            "/api/v1/tenants/4242/settings/history",
            "/api/v1/tenants/4242/configurations",
            "/api/v1/tenants/4242/history",
            "/api/v1/tenants/4242/signing-logs",
        ] {
            let problem = app.get(path).await.expect_problem(404, "not-found");
            assert!(problem["detail"].as_str().unwrap().contains("tenant 4242"), "{path}");
        }
    }

    async fn query_strings_are_checked(app: TestApp) {
        let problem = app.get("/api/v1/tenants?nmae=x").await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["nmae"]);
        assert_eq!(problem["errors"][0]["code"], "unknown_parameter");
        let problem = app.get("/api/v1/tenants?limit=ten").await.expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["limit"]);
        let problem = app.get("/api/v1/tenants?limit=1&limit=2").await.expect_problem(400, "bad-request");
        assert!(problem["detail"].as_str().unwrap().contains("limit"));
        let id = app.tenant("Contoso", 1).await;
        let problem = app
            .get(&format!("/api/v1/tenants/{id}/history?since=yesterday"))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["since"]);
        let problem = app
            .get(&format!("/api/v1/tenants/{id}/configurations?source=azure"))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["source"]);
        app.get("/api/v1/tenants?azure_tenant_id=nope").await.expect_problem(422, "validation-failed");
    }
}

#[actix_web::test]
async fn oversized_bodies_are_refused_with_413() {
    for db in [common::TestDb::sqlite(), common::TestDb::postgres()] {
        let app = TestApp::spawn_with(
            db,
            HttpOptions {
                max_body_bytes: 4096,
                ..Default::default()
            },
        )
        .await;
        let big = format!(
            "{{\"name\": \"{}\", \"azure_tenant_id\": \"{}\"}}",
            "a".repeat(5000),
            common::guid(1)
        );
        let problem = app
            .raw(
                Method::POST,
                "/api/v1/tenants",
                "application/json",
                big.clone(),
            )
            .await
            .expect_problem(413, "payload-too-large");
        assert!(problem["detail"].as_str().unwrap().contains("4096"));
        // Without a Content-Length (chunked), the limit still holds.
        let stream = futures_util_stream(big);
        app.send(
            app.client
                .post(app.url("/api/v1/tenants"))
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(stream)),
        )
        .await
        .expect_problem(413, "payload-too-large");
        app.get("/api/v1/tenants").await.expect(200);
    }
}

fn futures_util_stream(
    text: String,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    struct Chunks(Vec<Vec<u8>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(if self.0.is_empty() {
                None
            } else {
                Some(Ok(self.0.remove(0)))
            })
        }
    }
    Chunks(text.into_bytes().chunks(1000).map(|c| c.to_vec()).collect())
}
