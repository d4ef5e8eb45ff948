//! `drift-api`: serves the REST API, or prints its OpenAPI document.

use std::process::ExitCode;

use actix_web::HttpServer;
use clap::{Parser, Subcommand};
use drift_api::config::ApiConfig;
use drift_api::oidc::MicrosoftSignIn;
use drift_api::state::AuthSettings;
use drift_api::{app, metrics, AppState, HttpOptions};
use drift_core::auth::JwtKeys;
use drift_core::db::{connect_and_migrate, PoolOptions};

#[derive(Parser)]
#[command(name = "drift-api", version, about = "Azure Drift Detector REST API")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default). Configuration comes from the environment; see the README.
    Serve,
    /// Print the OpenAPI document to standard output.
    Openapi,
    /// Create a platform superadmin (and its tenant if needed). Idempotent. The password comes
    /// from DRIFT_ADMIN_PASSWORD, or the first line of standard input when that is unset.
    CreateAdmin {
        /// The tenant's display name (used when the tenant is created).
        #[arg(long)]
        tenant_name: String,
        /// The tenant's Entra tenant id (a GUID).
        #[arg(long)]
        azure_tenant_id: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            let document = drift_api::openapi()
                .to_pretty_json()
                .expect("the OpenAPI document serialises");
            println!("{document}");
            ExitCode::SUCCESS
        }
        Command::CreateAdmin {
            tenant_name,
            azure_tenant_id,
            username,
            email,
        } => match create_admin(&tenant_name, &azure_tenant_id, &username, &email) {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("drift-api create-admin: {message}");
                ExitCode::FAILURE
            }
        },
        Command::Serve => match serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("drift-api: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

fn serve() -> Result<(), String> {
    let config = ApiConfig::from_env()?;
    log::debug!("configuration: {config:?}");
    log::info!("database: {}", config.database_url.redacted());
    let pool = connect_and_migrate(
        &config.database_url,
        &PoolOptions {
            max_size: config.pool_size,
            ..PoolOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let auth = AuthSettings {
        keys: JwtKeys::from_secret(&config.jwt_secret()?)?,
        policy: config.session_policy(),
        throttle: drift_api::throttle::LoginThrottle::new(Default::default()),
        key_ring: config.key_ring()?,
        microsoft: config
            .microsoft
            .clone()
            .map(MicrosoftSignIn::new)
            .transpose()?,
    };
    match &auth.microsoft {
        Some(microsoft) => log::info!(
            "Microsoft sign-in: {} (redirect URI {})",
            microsoft.config().authority_host,
            microsoft.config().redirect_uri()
        ),
        None => {
            log::info!("Microsoft sign-in is off (set AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)")
        }
    }
    // E-mail channels can be tested when the worker's SMTP settings are given to the API too.
    let smtp = drift_notify::SmtpSettings::from_env().map_err(|e| e.to_string())?;
    let state =
        AppState::with_auth(pool, auth).with_notifier(drift_api::state::test_notifier(smtp));
    let options = HttpOptions {
        max_body_bytes: config.max_body_bytes,
        cors_origins: config.cors_origins.clone().into(),
        web_dir: config.web_dir.clone(),
    };
    match &options.web_dir {
        Some(dir) => log::info!("web app: {} at /", dir.display()),
        None => log::info!(
            "no web app: build it with `make frontend-build` or set DRIFT_WEB_DIR; serving the API alone"
        ),
    }
    let metrics = metrics();
    let runtime = actix_web::rt::System::new();
    runtime.block_on(async move {
        let mut server =
            HttpServer::new(move || app(state.clone(), options.clone(), metrics.clone()))
                // SIGTERM and SIGINT stop accepting, then let running requests finish.
                .shutdown_timeout(30);
        if let Some(workers) = config.http_workers {
            server = server.workers(workers);
        }
        let server = server
            .bind(&config.bind)
            .map_err(|e| format!("cannot listen on {} (set DRIFT_BIND): {e}", config.bind))?;
        log::info!("listening on http://{}", config.bind);
        server.run().await.map_err(|e| e.to_string())
    })
}

fn create_admin(
    tenant_name: &str,
    azure_tenant_id: &str,
    username: &str,
    email: &str,
) -> Result<String, String> {
    use drift_core::{roles, tenants, types::AzureTenantId, users, UtcTime};
    let config = ApiConfig::from_env()?;
    let password = match std::env::var("DRIFT_ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if password.is_empty() {
        return Err("no password: set DRIFT_ADMIN_PASSWORD or pass it on standard input".into());
    }
    let pool = connect_and_migrate(&config.database_url, &PoolOptions::default())
        .map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let describe = |e: drift_core::CoreError| match e {
        drift_core::CoreError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    let azure_id =
        AzureTenantId::parse(azure_tenant_id).map_err(|m| format!("--azure-tenant-id {m}"))?;
    let now = UtcTime::now();
    let tenant = match tenants::find_by_azure_id(&mut conn, &azure_id).map_err(describe)? {
        Some(tenant) => tenant,
        None => tenants::create(
            &mut conn,
            &tenants::TenantInput {
                name: tenant_name.to_owned(),
                azure_tenant_id: azure_id.as_str().to_owned(),
            },
            now,
        )
        .map_err(describe)?,
    };
    if let Some(existing) = users::find_by_username(&mut conn, username).map_err(describe)? {
        return Ok(format!(
            "user {} already exists (tenant {}, role {}); nothing changed",
            existing.username, existing.tenant_id, existing.role
        ));
    }
    let superadmin = roles::find_by_name(&mut conn, "superadmin")
        .map_err(describe)?
        .ok_or("the superadmin role is missing from the database")?;
    let input = users::UserInput {
        username: username.to_owned(),
        email: email.to_owned(),
        first_name: None,
        last_name: None,
        role_id: superadmin.id,
        active: true,
        microsoft_id: None,
        password: Some(password),
    };
    let user = users::create(&mut conn, tenant.id, &input, now).map_err(describe)?;
    log::info!(
        target: "audit",
        "create-admin: superadmin {} created in tenant {}",
        user.id,
        tenant.id
    );
    Ok(format!(
        "created superadmin {} in tenant {} ({})",
        user.username, tenant.name, tenant.id
    ))
}
