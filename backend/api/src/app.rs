//! The actix application, built the same way by `main` and by the tests.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, Logger};
use actix_web::{web, App};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::extract::BodyLimit;
use crate::openapi::ApiDoc;
use crate::problem::{Problem, ProblemKind, PROBLEM_CONTENT_TYPE};
use crate::routes;
use crate::routing::RouteTable;
use crate::state::AppState;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Origins (`https://drift.example.com`) whose browser pages may call the API. Empty: only
    /// pages served by the API itself (same origin).
    pub cors_origins: std::sync::Arc<[String]>,
    /// The built web app (a directory holding `index.html`) to serve at `/`; `None`: no web
    /// app, only the API.
    pub web_dir: Option<std::path::PathBuf>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            cors_origins: std::sync::Arc::new([]),
            web_dir: None,
        }
    }
}

/// Cross-origin access for the configured origins only; other origins get no CORS headers, so
/// browsers keep their pages out.
fn cors(origins: &[String]) -> actix_cors::Cors {
    use actix_web::http::Method;
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([
            header::LOCATION,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Headers every response carries. API responses may hold tokens and tenant data, so nothing
/// is cached unless a response says otherwise (the web app's files do); pages may not be
/// framed; browsers may not guess content types. The content policy allows the API's own
/// documents (Swagger UI and the web app, both served from this origin) and nothing else.
fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
}

/// Request counts and latencies by route pattern, method and status, served at `/metrics`.
/// Build it once per process and share it between actix's workers.
pub fn metrics() -> PrometheusMetrics {
    PrometheusMetricsBuilder::new("drift_api")
        .endpoint("/metrics")
        // Unmatched paths share one label so that scanners cannot blow up the label set.
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .expect("the metrics registry accepts its own metrics")
}

/// The OpenAPI document, generated from the same route list that serves requests.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::configure))
        .configure(routes::operations::configure)
        .split_for_parts();
    crate::access::document_security(&mut api);
    api
}

pub fn app(
    state: AppState,
    options: HttpOptions,
    metrics: PrometheusMetrics,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .app_data(BodyLimit(options.max_body_bytes))
        .app_data(web::PayloadConfig::new(options.max_body_bytes))
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::configure))
        .configure(routes::operations::configure)
        .split_for_parts();
    crate::access::document_security(&mut api);
    // Every operation must declare who may call it; one that does not stops the server here,
    // before it serves anything.
    let routes = RouteTable::from_openapi(&api).unwrap_or_else(|err| panic!("{err}"));
    let app = app
        .app_data(web::Data::new(routes))
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api));
    // Last: the web app answers what no route above does.
    let app = match &options.web_dir {
        Some(dir) => app.configure(crate::web_app::configure(dir)),
        None => app,
    };
    app.wrap(actix_web::middleware::from_fn(crate::access::enforce))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
        .wrap(cors(&options.cors_origins))
        .wrap(security_headers())
        .wrap(
            Logger::new(r#"%a "%{request}xi" %s %b %Dms"#)
                .custom_request_replace("request", request_line)
                .exclude("/health")
                .exclude("/metrics"),
        )
        .wrap(metrics)
}

/// The request line for the access log, as `%r` writes it, except that the authorization code
/// and state of a Microsoft sign-in callback are masked: credentials stay out of logs.
fn request_line(req: &ServiceRequest) -> String {
    let mut target = req.path().to_owned();
    let query = req.query_string();
    if !query.is_empty() {
        target.push('?');
        if req.path().ends_with("/auth/microsoft/callback") {
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name @ ("code" | "state"), _)) => format!("{name}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            target.push_str(&masked.join("&"));
        } else {
            target.push_str(query);
        }
    }
    format!("{} {} {:?}", req.method(), target, req.version())
}

/// Gives error responses without a JSON body (actix's own 404 and 405, say) the problem+json
/// shape, so clients see one error format everywhere. JSON bodies (problems, and `/ready`'s
/// status document) pass through.
fn problem_for_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v == PROBLEM_CONTENT_TYPE.as_bytes() || v.starts_with(b"application/json")
    });
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let mut status = res.status();
    let (req, _) = res.into_parts();
    let mut allowed = Vec::new();
    if status == actix_web::http::StatusCode::NOT_FOUND {
        if let Some(table) = req.app_data::<web::Data<RouteTable>>() {
            allowed = table.allowed(req.path());
            if !allowed.is_empty() && !allowed.contains(req.method()) {
                status = actix_web::http::StatusCode::METHOD_NOT_ALLOWED;
            }
        }
    }
    let kind = ProblemKind::from_status(status);
    let detail = match kind {
        ProblemKind::NotFound => Some(format!("no resource at {} {}", req.method(), req.path())),
        ProblemKind::MethodNotAllowed => {
            Some(format!("{} is not allowed on {}", req.method(), req.path()))
        }
        _ => None,
    };
    let mut problem = Problem::new(kind, detail);
    problem.status = status.as_u16();
    let mut response = problem.into_response();
    if kind == ProblemKind::MethodNotAllowed && !allowed.is_empty() {
        let list: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
        if let Ok(value) = header::HeaderValue::from_str(&list.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
    }
    let response = ServiceResponse::new(req, response);
    Ok(ErrorHandlerResponse::Response(
        response.map_into_right_body::<B>(),
    ))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::request_line;

    #[test]
    fn the_access_log_masks_the_code_and_state_of_microsoft_callbacks() {
        let callback = TestRequest::with_uri(
            "/api/v1/auth/microsoft/callback?code=the-code&state=the-state&session_state=s",
        )
        .to_srv_request();
        assert_eq!(
            request_line(&callback),
            "GET /api/v1/auth/microsoft/callback?code=***&state=***&session_state=s HTTP/1.1"
        );
        let other = TestRequest::with_uri("/api/v1/tenants/1/configurations?state=deleted")
            .to_srv_request();
        assert_eq!(
            request_line(&other),
            "GET /api/v1/tenants/1/configurations?state=deleted HTTP/1.1"
        );
        assert_eq!(
            request_line(&TestRequest::with_uri("/health").to_srv_request()),
            "GET /health HTTP/1.1"
        );
    }
}
