//! HTTP hardening: security headers on every response, CORS only for configured origins.

mod common;

use common::TestApp;
use drift_api::HttpOptions;
use reqwest::Method;

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn(common::TestDb::sqlite()).await;
    for path in [
        "/health",
        "/api/v1/tenants",
        "/api/v1/nothing",
        "/swagger-ui/",
    ] {
        let reply = app.get(path).await;
        let header = |name: &str| {
            reply
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("cache-control"), "no-store", "{path}");
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
    }
}

#[actix_web::test]
async fn cross_origin_calls_are_allowed_only_from_configured_origins() {
    let options = HttpOptions {
        cors_origins: vec!["https://drift.example.com".to_owned()].into(),
        ..Default::default()
    };
    let app = TestApp::spawn_with(common::TestDb::sqlite(), options).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/tenants"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
    };
    let allowed = app.send(preflight("https://drift.example.com")).await;
    assert!(allowed.status.is_success(), "{allowed:?}");
    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "https://drift.example.com"
    );
    let refused = app.send(preflight("https://evil.example.net")).await;
    assert!(refused.headers.get("access-control-allow-origin").is_none());

    let from = |origin: &'static str| {
        app.client
            .get(app.url("/api/v1/tenants"))
            .header("origin", origin)
    };
    let reply = app.send(from("https://drift.example.com")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        "https://drift.example.com"
    );
    assert!(reply.headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("location"));
    let reply = app.send(from("https://evil.example.net")).await;
    assert!(reply.headers.get("access-control-allow-origin").is_none());

    // Without configured origins, no page of another origin may read anything.
    let same_origin_only = TestApp::spawn(common::TestDb::sqlite()).await;
    let reply = same_origin_only
        .send(
            same_origin_only
                .client
                .get(same_origin_only.url("/api/v1/tenants"))
                .header("origin", "https://drift.example.com"),
        )
        .await;
    assert!(reply.headers.get("access-control-allow-origin").is_none());
}
