//! The error responses routes declare in the OpenAPI document, grouped by kind of route.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
use utoipa::IntoResponses;

use crate::problem::{ProblemKind, PROBLEM_CONTENT_TYPE};

/// One problem+json response of the given kind.
pub fn problem_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(PROBLEM_CONTENT_TYPE, content)
            .build(),
    )
}

fn problem_responses(kinds: &[(ProblemKind, &str)]) -> BTreeMap<String, RefOr<Response>> {
    kinds
        .iter()
        .map(|(kind, description)| {
            (
                kind.status().as_u16().to_string(),
                problem_response(description),
            )
        })
        .collect()
}

const BAD_REQUEST: (ProblemKind, &str) = (
    ProblemKind::BadRequest,
    "Malformed request: bad id, query string, JSON or cursor",
);
const NOT_FOUND: (ProblemKind, &str) = (ProblemKind::NotFound, "No such resource (or tenant)");
const CONFLICT: (ProblemKind, &str) = (
    ProblemKind::Conflict,
    "Conflicts with the current state, e.g. a duplicate",
);
const TOO_LARGE: (ProblemKind, &str) = (
    ProblemKind::PayloadTooLarge,
    "The request body exceeds the limit",
);
const MEDIA_TYPE: (ProblemKind, &str) = (ProblemKind::UnsupportedMediaType, "The body is not JSON");
const INVALID: (ProblemKind, &str) = (
    ProblemKind::ValidationFailed,
    "Invalid fields, each named in `errors`",
);
const UNAVAILABLE: (ProblemKind, &str) = (
    ProblemKind::ServiceUnavailable,
    "The database is unavailable",
);
const INTERNAL: (ProblemKind, &str) = (ProblemKind::Internal, "Unexpected server error");

/// Errors of a route that reads one resource.
pub struct ReadErrors;

impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&[BAD_REQUEST, NOT_FOUND, UNAVAILABLE, INTERNAL])
    }
}

/// Errors of a list route.
pub struct ListErrors;

impl IntoResponses for ListErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&[BAD_REQUEST, NOT_FOUND, INVALID, UNAVAILABLE, INTERNAL])
    }
}

/// Errors of a route that creates or changes a resource from a JSON body.
pub struct WriteErrors;

impl IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&[
            BAD_REQUEST,
            NOT_FOUND,
            CONFLICT,
            TOO_LARGE,
            MEDIA_TYPE,
            INVALID,
            UNAVAILABLE,
            INTERNAL,
        ])
    }
}

/// Errors of a delete route.
pub struct DeleteErrors;

impl IntoResponses for DeleteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&[BAD_REQUEST, NOT_FOUND, CONFLICT, UNAVAILABLE, INTERNAL])
    }
}

/// Errors of a route that triggers an action, named by its query or an optional JSON body.
pub struct ActionErrors;

impl IntoResponses for ActionErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        const REFUSED: (ProblemKind, &str) = (
            ProblemKind::Conflict,
            "The current state or settings do not allow this",
        );
        problem_responses(&[
            BAD_REQUEST,
            NOT_FOUND,
            REFUSED,
            TOO_LARGE,
            MEDIA_TYPE,
            INVALID,
            UNAVAILABLE,
            INTERNAL,
        ])
    }
}

/// Errors of a route that needs (or checks) credentials.
pub struct AuthErrors;

impl IntoResponses for AuthErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        const UNAUTHORIZED: (ProblemKind, &str) = (
            ProblemKind::Unauthorized,
            "Missing, wrong or expired credentials or tokens",
        );
        problem_responses(&[
            BAD_REQUEST,
            UNAUTHORIZED,
            MEDIA_TYPE,
            INVALID,
            UNAVAILABLE,
            INTERNAL,
        ])
    }
}

const MICROSOFT_NOT_FOUND: (ProblemKind, &str) = (
    ProblemKind::NotFound,
    "Microsoft sign-in is not configured on this server, or no such tenant",
);
const MICROSOFT_FAILED: (ProblemKind, &str) = (
    ProblemKind::BadGateway,
    "Microsoft's identity platform could not be reached or answered unexpectedly",
);

/// Errors of `GET /auth/microsoft/login`.
pub struct MicrosoftLoginErrors;

impl IntoResponses for MicrosoftLoginErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&[
            BAD_REQUEST,
            MICROSOFT_NOT_FOUND,
            INVALID,
            MICROSOFT_FAILED,
            UNAVAILABLE,
            INTERNAL,
        ])
    }
}

/// Errors of `GET /auth/microsoft/callback` as problem documents: a server without Microsoft
/// sign-in, and what every route may answer. Everything that can go wrong in the sign-in
/// itself is a redirect to the single-page app with the reason.
pub struct MicrosoftCallbackErrors;

impl IntoResponses for MicrosoftCallbackErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problem_responses(&[
            BAD_REQUEST,
            (
                ProblemKind::NotFound,
                "Microsoft sign-in is not configured on this server",
            ),
            INTERNAL,
        ])
    }
}

/// Errors of `POST /auth/microsoft/session`.
pub struct MicrosoftSessionErrors;

impl IntoResponses for MicrosoftSessionErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        const REFUSED: (ProblemKind, &str) = (
            ProblemKind::Unauthorized,
            "The hand-off code is unknown, expired or already used, or the user was deactivated",
        );
        problem_responses(&[
            BAD_REQUEST,
            REFUSED,
            MICROSOFT_NOT_FOUND,
            MEDIA_TYPE,
            INVALID,
            UNAVAILABLE,
            INTERNAL,
        ])
    }
}
