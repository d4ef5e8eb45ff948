//! Health, readiness, metrics, the API documents, and the binary's start-up and shutdown.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestApp;

on_both_backends! {
    async fn health_and_readiness_answer(app: TestApp) {
        assert_eq!(app.get("/health").await.expect(200), serde_json::json!({"status": "ok"}));
        assert_eq!(app.get("/ready").await.expect(200), serde_json::json!({"status": "ok"}));
    }

    async fn metrics_count_requests_by_route_pattern(app: TestApp) {
        let id = app.tenant("Contoso", 1).await;
        app.get(&format!("/api/v1/tenants/{id}")).await.expect(200);
        app.get("/api/v1/tenants/999").await.expect(404);
        app.get("/no/such/path/123").await.expect(404);
        let reply = app.get("/metrics").await;
        assert_eq!(reply.status, 200);
        let text = reply.body.as_str().unwrap().to_owned();
        assert!(
            text.contains(r#"drift_api_http_requests_total{endpoint="/api/v1/tenants/{tenant_id}",method="GET",status="200"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"endpoint="/api/v1/tenants/{tenant_id}",method="GET",status="404"} 1"#), "{text}");
        assert!(text.contains(r#"endpoint="UNMATCHED""#), "unmatched paths share one label: {text}");
        assert!(!text.contains("/no/such/path"), "{text}");
        assert!(text.contains("drift_api_http_requests_duration_seconds_bucket"), "{text}");
    }

    async fn the_openapi_document_and_swagger_ui_are_served(app: TestApp) {
        let document = app.get("/api-docs/openapi.json").await.expect(200);
        assert_eq!(document, serde_json::to_value(drift_api::openapi()).unwrap());
        let page = app.get("/swagger-ui/").await;
        assert_eq!(page.status, 200);
        assert!(page.body.as_str().unwrap().contains("swagger-ui"));
        let script = app.get("/swagger-ui/swagger-ui-bundle.js").await;
        assert_eq!(script.status, 200, "Swagger UI's assets are embedded, not fetched from a CDN");
    }
}

#[actix_web::test]
async fn readiness_fails_when_the_database_goes_away() {
    let db = common::TestDb::postgres();
    let url = db.url_string();
    let app = TestApp::spawn(db).await;
    app.get("/ready").await.expect(200);
    let (server, database) = url.rsplit_once('/').unwrap();
    let mut admin =
        <diesel::PgConnection as diesel::Connection>::establish(&format!("{server}/postgres"))
            .unwrap();
    diesel::connection::SimpleConnection::batch_execute(
        &mut admin,
        &format!("DROP DATABASE {database} WITH (FORCE)"),
    )
    .unwrap();
    let reply = app.get("/ready").await;
    assert_eq!(reply.status, 503, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "unavailable");
    let problem = app
        .get("/api/v1/tenants")
        .await
        .expect_problem(503, "service-unavailable");
    assert!(
        !problem["detail"].as_str().unwrap().contains("postgres://"),
        "no connection details leak"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn api_binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drift-api"));
    command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

#[test]
fn the_binary_creates_its_sqlite_database_serves_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("drift-bin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = free_port();
    let mut child = api_binary()
        .env("DATABASE_URL", dir.join("nested/drift.db"))
        .env("DRIFT_BIND", format!("127.0.0.1:{port}"))
        .spawn()
        .unwrap();
    let started = Instant::now();
    let ready = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            stream.write_all(b"GET /ready HTTP/1.0\r\n\r\n").unwrap();
            let mut reply = String::new();
            stream.read_to_string(&mut reply).unwrap();
            break reply;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the API did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ready.starts_with("HTTP/1.0 200"), "{ready}");
    assert!(dir.join("nested/drift.db").exists());
    // Without DRIFT_JWT_SECRET on SQLite, a signing key is generated once, readable by the owner only.
    let secret = dir.join("nested/jwt-secret");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&secret).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert!(std::fs::read_to_string(&secret).unwrap().len() >= 32);
    // So is the key that encrypts stored Microsoft tokens (base64 of 32 bytes).
    let key = dir.join("nested/encryption-key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    drift_core::crypto::decode_key(&std::fs::read_to_string(&key).unwrap()).unwrap();
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(30),
            "the API did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configuration_stops_start_up_with_a_message_naming_the_variable() {
    let cases = [
        (vec![("DRIFT_BIND", "8080")], "DRIFT_BIND"),
        (vec![("DRIFT_DB_POOL_SIZE", "0")], "DRIFT_DB_POOL_SIZE"),
        (vec![("DATABASE_URL", "mysql://db/drift")], "DATABASE_URL"),
        (
            vec![("DRIFT_ENCRYPTION_KEY", "c2hvcnQ=")],
            "DRIFT_ENCRYPTION_KEY must be base64 of exactly 32 bytes",
        ),
        (
            vec![("DRIFT_ENCRYPTION_OLD_KEYS", "AAAA,,")],
            "DRIFT_ENCRYPTION_OLD_KEYS: key 1",
        ),
        (
            vec![("AZURE_CLIENT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47")],
            "AZURE_CLIENT_SECRET is not set",
        ),
        (
            vec![("AZURE_CLIENT_ID", "drift-app")],
            "AZURE_CLIENT_ID must be the application (client) id",
        ),
        (
            vec![
                ("AZURE_CLIENT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
                ("AZURE_CLIENT_SECRET", "s3cret"),
                ("DRIFT_PUBLIC_URL", "drift.contoso.com"),
            ],
            "DRIFT_PUBLIC_URL must be an absolute http(s) URL",
        ),
        (
            vec![(
                "DATABASE_URL",
                "postgres://nobody:wrong@127.0.0.1:5432/drift_does_not_exist",
            )],
            "cannot connect to the database",
        ),
    ];
    for (env, expected) in cases {
        let started = Instant::now();
        let mut command = api_binary();
        command.env("DATABASE_URL", std::env::temp_dir().join("drift-unused.db"));
        for (name, value) in &env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{env:?}");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
        assert!(
            !stderr.contains("wrong"),
            "the password is not printed: {stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{env:?} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn postgres_refuses_to_start_without_a_jwt_secret() {
    let db = common::TestDb::postgres();
    let output = api_binary()
        .env("DATABASE_URL", db.url_string())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("DRIFT_JWT_SECRET is not set"), "{stderr}");
}

#[test]
fn postgres_refuses_to_start_without_an_encryption_key() {
    let db = common::TestDb::postgres();
    let output = api_binary()
        .env("DATABASE_URL", db.url_string())
        .env("DRIFT_JWT_SECRET", drift_core::auth::random_secret(48))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("DRIFT_ENCRYPTION_KEY is not set"),
        "{stderr}"
    );
    assert!(stderr.contains("openssl rand -base64 32"), "{stderr}");
}

#[test]
fn create_admin_creates_a_superadmin_once_and_they_can_sign_in() {
    for db in [common::TestDb::sqlite(), common::TestDb::postgres()] {
        let create = || {
            let mut command = api_binary();
            command
                .stdout(Stdio::piped())
                .env("DATABASE_URL", db.url_string())
                .env("DRIFT_ADMIN_PASSWORD", "a long enough admin password")
                .args([
                    "create-admin",
                    "--tenant-name",
                    "Contoso",
                    "--azure-tenant-id",
                    "72f988bf-86f1-41af-91ab-2d7cd011db47",
                ])
                .args(["--username", "root.admin", "--email", "root@contoso.com"]);
            command.output().unwrap()
        };
        let first = create();
        assert!(
            first.status.success(),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        assert!(String::from_utf8_lossy(&first.stdout).contains("created superadmin root.admin"));
        let second = create();
        assert!(second.status.success());
        assert!(
            String::from_utf8_lossy(&second.stdout).contains("already exists"),
            "idempotent"
        );

        let keys = drift_core::auth::JwtKeys::from_secret(&[1u8; 32]).unwrap();
        let policy = drift_core::auth::SessionPolicy::default();
        let (user, _) = drift_core::auth::sessions::login(
            &mut db.conn(),
            &keys,
            &policy,
            "root.admin",
            "a long enough admin password",
            drift_core::UtcTime::now(),
        )
        .unwrap();
        assert_eq!(user.role, "superadmin");

        // The password may come from standard input instead.
        let mut child = api_binary()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .env("DATABASE_URL", db.url_string())
            .args([
                "create-admin",
                "--tenant-name",
                "Fabrikam",
                "--azure-tenant-id",
                "11111111-2222-4333-8444-555555555555",
            ])
            .args([
                "--username",
                "second.admin",
                "--email",
                "second@fabrikam.com",
            ])
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"another long password\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        drift_core::auth::sessions::login(
            &mut db.conn(),
            &keys,
            &policy,
            "second.admin",
            "another long password",
            drift_core::UtcTime::now(),
        )
        .unwrap();

        let weak = api_binary()
            .env("DATABASE_URL", db.url_string())
            .env("DRIFT_ADMIN_PASSWORD", "short")
            .args([
                "create-admin",
                "--tenant-name",
                "X",
                "--azure-tenant-id",
                "22222222-2222-4333-8444-555555555555",
                "--username",
                "third",
                "--email",
                "t@x.com",
            ])
            .output()
            .unwrap();
        assert!(!weak.status.success());
        assert!(
            String::from_utf8_lossy(&weak.stderr).contains("password"),
            "{}",
            String::from_utf8_lossy(&weak.stderr)
        );
    }
}
