//! The web app served by the API: its files at `/`, `index.html` for the app's own routes, the
//! cache policy, and the server's paths kept apart.

mod common;

use common::{Reply, TestApp, TestDb};
use drift_api::HttpOptions;
use reqwest::Method;

const INDEX: &str = "<!doctype html><html><head><script type=\"module\" src=\"/assets/index-4f1c9b.js\"></script></head><body><div id=\"root\"></div></body></html>";
const SCRIPT: &str = "console.log('drift');";

/// A build as `vite build` lays it out, in a fresh directory.
struct Build(std::path::PathBuf);

impl Build {
    fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("drift-web-app-{}-{n}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), INDEX).unwrap();
        std::fs::write(dir.join("assets/index-4f1c9b.js"), SCRIPT).unwrap();
        std::fs::write(
            dir.join("favicon.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .unwrap();
        Self(dir)
    }
}

impl Drop for Build {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn with_web_app(db: TestDb, build: &Build) -> TestApp {
    let options = HttpOptions {
        web_dir: Some(build.0.clone()),
        ..Default::default()
    };
    let app = TestApp::spawn_with(db, options).await;
    // The web app is public: nothing here may depend on a token.
    app.act_as(None);
    app
}

fn header<'r>(reply: &'r Reply, name: &str) -> &'r str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[track_caller]
fn assert_index(reply: Reply) {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.content_type().starts_with("text/html"), "{reply:?}");
    assert_eq!(header(&reply, "cache-control"), "no-cache");
    // The strict content policy holds for the app's pages too.
    assert!(
        header(&reply, "content-security-policy").starts_with("default-src 'self'"),
        "{reply:?}"
    );
    assert_eq!(reply.body, INDEX);
}

fn backends() -> [TestDb; 2] {
    [TestDb::sqlite(), TestDb::postgres()]
}

#[actix_web::test]
async fn the_index_is_served_at_the_root() {
    for db in backends() {
        let build = Build::new();
        let app = with_web_app(db, &build).await;
        assert_index(app.get("/").await);
        assert_index(app.get("/index.html").await);
    }
}

#[actix_web::test]
async fn a_deep_link_into_the_app_gets_the_index() {
    for db in backends() {
        let build = Build::new();
        let app = with_web_app(db, &build).await;
        for path in [
            "/t/1/overview",
            "/t/1/configurations/42/diff?from=1&to=2",
            "/login",
            "/auth/microsoft/done",
        ] {
            assert_index(app.get(path).await);
        }
    }
}

#[actix_web::test]
async fn hashed_assets_are_cached_for_good_and_other_files_revalidated() {
    for db in backends() {
        let build = Build::new();
        let app = with_web_app(db, &build).await;
        let script = app.get("/assets/index-4f1c9b.js").await;
        assert_eq!(script.status, 200);
        assert!(script.content_type().contains("javascript"), "{script:?}");
        assert_eq!(
            header(&script, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(script.body, SCRIPT);
        let icon = app.get("/favicon.svg").await;
        assert_eq!(icon.status, 200);
        assert!(icon.content_type().starts_with("image/svg+xml"), "{icon:?}");
        assert_eq!(header(&icon, "cache-control"), "no-cache");
        // An asset of another build is missing, not the index in disguise.
        app.get("/assets/index-0000.js")
            .await
            .expect_problem(404, "not-found");
    }
}

#[actix_web::test]
async fn the_servers_own_paths_do_not_fall_back_to_the_app() {
    for db in backends() {
        let build = Build::new();
        let app = with_web_app(db, &build).await;
        app.get("/api/v1/nope")
            .await
            .expect_problem(404, "not-found");
        app.get("/api/nope").await.expect_problem(404, "not-found");
        app.get("/swagger-ui/nope.js")
            .await
            .expect_problem(404, "not-found");
        app.get("/api-docs/nope.json")
            .await
            .expect_problem(404, "not-found");
        assert_eq!(app.get("/health").await.expect(200)["status"], "ok");
        let docs = app.get("/api-docs/openapi.json").await.expect(200);
        assert!(docs["paths"].is_object());
        // Only GET and HEAD reach the app.
        let post = app
            .send(app.client.request(Method::POST, app.url("/t/1/overview")))
            .await;
        post.expect_problem(404, "not-found");
        let head = app
            .send(app.client.request(Method::HEAD, app.url("/t/1/overview")))
            .await;
        assert_eq!(head.status, 200);
    }
}

#[actix_web::test]
async fn without_a_web_app_the_root_is_not_found() {
    for db in backends() {
        let app = TestApp::spawn(db).await;
        app.act_as(None);
        app.get("/").await.expect_problem(404, "not-found");
        app.get("/t/1/overview")
            .await
            .expect_problem(404, "not-found");
    }
}
