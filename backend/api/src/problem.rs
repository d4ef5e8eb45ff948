//! RFC 7807 problem details: the one shape of every error this API returns.

use actix_web::body::BoxBody;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use drift_core::{CoreError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The stable kinds of problem, each with its own `type` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    BadRequest,
    InvalidCursor,
    ValidationFailed,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    TooManyRequests,
    PayloadTooLarge,
    UnsupportedMediaType,
    ServiceUnavailable,
    BadGateway,
    Internal,
}

impl ProblemKind {
    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::InvalidCursor => "invalid-cursor",
            ProblemKind::ValidationFailed => "validation-failed",
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Conflict => "conflict",
            ProblemKind::TooManyRequests => "too-many-requests",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::ServiceUnavailable => "service-unavailable",
            ProblemKind::BadGateway => "bad-gateway",
            ProblemKind::Internal => "internal-error",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::BadRequest | ProblemKind::InvalidCursor => StatusCode::BAD_REQUEST,
            ProblemKind::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemKind::BadGateway => StatusCode::BAD_GATEWAY,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "The request is malformed",
            ProblemKind::InvalidCursor => "The pagination cursor is not valid",
            ProblemKind::ValidationFailed => "Some fields are invalid",
            ProblemKind::Unauthorized => "Authentication is required",
            ProblemKind::Forbidden => "Your role does not allow this",
            ProblemKind::NotFound => "Not found",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::Conflict => "The request conflicts with the current state",
            ProblemKind::TooManyRequests => "Too many attempts",
            ProblemKind::PayloadTooLarge => "The request body is too large",
            ProblemKind::UnsupportedMediaType => "Unsupported media type",
            ProblemKind::ServiceUnavailable => "The service is temporarily unavailable",
            ProblemKind::BadGateway => "A service this API depends on failed",
            ProblemKind::Internal => "Internal server error",
        }
    }

    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => ProblemKind::Unauthorized,
            403 => ProblemKind::Forbidden,
            404 => ProblemKind::NotFound,
            405 => ProblemKind::MethodNotAllowed,
            409 => ProblemKind::Conflict,
            429 => ProblemKind::TooManyRequests,
            413 => ProblemKind::PayloadTooLarge,
            415 => ProblemKind::UnsupportedMediaType,
            422 => ProblemKind::ValidationFailed,
            502 => ProblemKind::BadGateway,
            503 => ProblemKind::ServiceUnavailable,
            400..=499 => ProblemKind::BadRequest,
            _ => ProblemKind::Internal,
        }
    }
}

/// An RFC 7807 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:azure-drift-detector:problem:validation-failed",
    "title": "Some fields are invalid",
    "status": 422,
    "detail": "azure_tenant_id: must be a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47",
    "errors": [{"field": "azure_tenant_id", "code": "guid", "message": "must be a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47"}]
}))]
pub struct Problem {
    /// A stable URI naming the kind of problem: `urn:azure-drift-detector:problem:<kind>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The failing fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(kind: ProblemKind, detail: impl Into<Option<String>>) -> Self {
        Self {
            problem_type: format!("urn:azure-drift-detector:problem:{}", kind.slug()),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE));
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"drift-api\""));
        }
        response.json(self)
    }
}

/// Every error a handler or extractor returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("{1}")]
    Problem(ProblemKind, String),
    #[error("invalid fields")]
    Fields(Vec<FieldError>),
    #[error("a blocking task failed: {0}")]
    Blocking(String),
    #[error("too many attempts; retry after {retry_after_seconds} s")]
    Throttled { retry_after_seconds: u64 },
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::Problem(ProblemKind::BadRequest, detail.into())
    }

    /// What a person may read about this error: the problem's detail, else its title. Errors
    /// of the server itself are logged here with their whole chain and shown only by title.
    pub fn public_message(&self) -> String {
        let problem = self.problem();
        if problem.status >= 500 {
            log::error!("request failed: {}", chain(self));
        }
        let text = problem.detail.unwrap_or(problem.title);
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => text,
        }
    }

    fn problem(&self) -> Problem {
        match self {
            ApiError::Core(err) => core_problem(err),
            ApiError::Problem(kind, detail) => Problem::new(*kind, detail.clone()),
            ApiError::Fields(fields) => validation_problem(fields.clone()),
            ApiError::Blocking(_) => Problem::new(ProblemKind::Internal, None),
            ApiError::Throttled {
                retry_after_seconds,
            } => Problem::new(
                ProblemKind::TooManyRequests,
                format!("too many failed sign-ins; try again in {retry_after_seconds} seconds"),
            ),
        }
    }
}

fn validation_problem(mut fields: Vec<FieldError>) -> Problem {
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    let detail = fields
        .iter()
        .map(|f| {
            if f.field.is_empty() {
                f.message.clone()
            } else {
                format!("{}: {}", f.field, f.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut problem = Problem::new(ProblemKind::ValidationFailed, detail);
    problem.errors = fields;
    problem
}

fn core_problem(err: &CoreError) -> Problem {
    match err {
        CoreError::NotFound { .. } => Problem::new(ProblemKind::NotFound, err.to_string()),
        CoreError::Conflict(message) => Problem::new(ProblemKind::Conflict, message.clone()),
        CoreError::Invalid(fields) => validation_problem(fields.clone()),
        CoreError::Malformed(message) => Problem::new(ProblemKind::BadRequest, message.clone()),
        CoreError::Auth(reason) => Problem::new(ProblemKind::Unauthorized, reason.to_string()),
        CoreError::Forbidden(message) => Problem::new(ProblemKind::Forbidden, message.clone()),
        CoreError::InvalidCursor(message) => {
            Problem::new(ProblemKind::InvalidCursor, message.clone())
        }
        CoreError::Unavailable(_) => Problem::new(
            ProblemKind::ServiceUnavailable,
            "the database is unavailable; try again shortly".to_owned(),
        ),
        CoreError::Database(_) | CoreError::CorruptData(_) | CoreError::Internal(_) => {
            Problem::new(ProblemKind::Internal, None)
        }
    }
}

/// The whole source chain of an error, for logs.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let problem = self.problem();
        if problem.status >= 500 {
            // The client sees nothing internal; the log keeps the whole chain.
            log::error!("request failed: {}", chain(self));
        }
        let mut response = problem.into_response();
        if let ApiError::Throttled {
            retry_after_seconds,
        } = self
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_str(&retry_after_seconds.to_string())
                    .expect("digits are a header value"),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
