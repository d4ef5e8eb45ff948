//! The error bodies of each service, exactly as their clients parse them.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::Utc;
use serde_json::json;

/// Which service's error format a path speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Identity,
    Graph,
    Arm,
    Control,
}

impl Service {
    pub fn of_path(path: &str) -> Service {
        let lower = path.to_ascii_lowercase();
        if lower.starts_with("/v1.0/") || lower.starts_with("/beta/") {
            Service::Graph
        } else if lower.starts_with("/subscriptions") || lower.starts_with("/providers/") {
            Service::Arm
        } else if lower.starts_with("/_sim") {
            Service::Control
        } else {
            Service::Identity
        }
    }
}

/// Graph: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`;
/// `date` has no zone and no fraction.
pub fn graph_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let request_id = crate::world::guid(&mut rand::thread_rng());
    HttpResponse::build(status)
        .insert_header(("request-id", request_id.clone()))
        .insert_header(("client-request-id", request_id.clone()))
        .json(json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    "request-id": request_id,
                    "client-request-id": request_id
                }
            }
        }))
}

/// Graph's 429: code `TooManyRequests`, with the status again as the inner error's code.
pub fn graph_throttled() -> HttpResponse {
    let request_id = crate::world::guid(&mut rand::thread_rng());
    HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
        .insert_header(("request-id", request_id.clone()))
        .insert_header(("client-request-id", request_id.clone()))
        .json(json!({
            "error": {
                "code": "TooManyRequests",
                "message": "Too many requests.",
                "innerError": {
                    "code": "429",
                    "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    "request-id": request_id,
                    "client-request-id": request_id
                }
            }
        }))
}

/// ARM: `{"error":{"code","message","details":[]}}`.
pub fn arm_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            "x-ms-request-id",
            crate::world::guid(&mut rand::thread_rng()),
        ))
        .json(json!({"error": {"code": code, "message": message, "details": []}}))
}

/// The identity platform: `error`, `error_description` (AADSTS code, trace and correlation ids,
/// timestamp), `error_codes`, `timestamp` (`YYYY-MM-DD HH:MM:SSZ`), `trace_id`,
/// `correlation_id`, `error_uri`.
pub fn identity_error(
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
) -> HttpResponse {
    let mut rng = rand::thread_rng();
    let trace_id = crate::world::guid(&mut rng);
    let correlation_id = crate::world::guid(&mut rng);
    let timestamp = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    HttpResponse::build(status).json(json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}")
    }))
}

/// The control API's errors: a plain JSON message.
pub fn control_error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"error": message}))
}

/// A throttling response in the service's own format.
pub fn throttled(service: Service, retry_after: Option<f64>) -> HttpResponse {
    let mut response = match service {
        Service::Arm => arm_error(StatusCode::TOO_MANY_REQUESTS, "RateLimiting", "Please provide below info when asking for support: timestampUtc and correlationId. The request was throttled."),
        _ => graph_throttled(),
    };
    if let Some(seconds) = retry_after {
        let text = if seconds.fract() == 0.0 {
            format!("{}", seconds as u64)
        } else {
            format!("{seconds}")
        };
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_str(&text)
                .expect("a number is a header value"),
        );
    }
    response
}

/// A 503 in the service's format.
pub fn unavailable(service: Service, retry_after: Option<f64>) -> HttpResponse {
    let mut response = match service {
        Service::Arm => arm_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is unavailable.",
        ),
        _ => graph_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry.",
        ),
    };
    if let Some(seconds) = retry_after {
        let text = if seconds.fract() == 0.0 {
            format!("{}", seconds as u64)
        } else {
            format!("{seconds}")
        };
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_str(&text)
                .expect("a number is a header value"),
        );
    }
    response
}

/// A 504 in the service's format.
pub fn gateway_timeout(service: Service) -> HttpResponse {
    match service {
        Service::Arm => arm_error(
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            "The gateway did not receive a response within the specified time period.",
        ),
        _ => graph_error(StatusCode::GATEWAY_TIMEOUT, "UnknownError", ""),
    }
}
