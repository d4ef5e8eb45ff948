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
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::configure))
        .configure(routes::operations::configure)
        .split_for_parts();
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
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .app_data(BodyLimit(options.max_body_bytes))
        .app_data(web::PayloadConfig::new(options.max_body_bytes))
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::configure))
        .configure(routes::operations::configure)
        .split_for_parts();
    let routes = web::Data::new(RouteTable::from_openapi(&api));
    app.app_data(routes)
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
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
