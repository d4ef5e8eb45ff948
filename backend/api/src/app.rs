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
#[derive(Debug, Clone, Copy)]
pub struct HttpOptions {
    /// The largest accepted request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
        }
    }
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
    app.app_data(web::Data::new(routes))
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api))
        .wrap(actix_web::middleware::from_fn(crate::access::enforce))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
        .wrap(
            Logger::new(r#"%a "%r" %s %b %Dms"#)
                .exclude("/health")
                .exclude("/metrics"),
        )
        .wrap(metrics)
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
