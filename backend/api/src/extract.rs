//! Request extractors that turn every kind of bad input into a problem document.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest};
use drift_core::pagination::PageRequest;
use drift_core::FieldError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::problem::{ApiError, ProblemKind};
use crate::state::AppState;

/// The largest request body accepted, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn content_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

fn is_json_type(media_type: &str) -> bool {
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

/// Reads the body up to the configured limit, refusing anything larger with 413.
async fn read_body(req: HttpRequest, mut payload: Payload) -> Result<Bytes, ApiError> {
    let limit = req
        .app_data::<BodyLimit>()
        .copied()
        .unwrap_or(BodyLimit(1 << 20))
        .0;
    let too_large = || {
        ApiError::Problem(
            ProblemKind::PayloadTooLarge,
            format!("the request body must not exceed {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // The app registers a `PayloadConfig` with the same limit, which `Bytes` enforces.
    Bytes::from_request(&req, &mut payload)
        .await
        .map_err(|err| {
            let status = err.as_response_error().status_code();
            if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad_request(format!("the request body could not be read: {err}"))
            }
        })
}

/// A JSON request body of type `T` (`application/json`).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_json_body(req, payload, "application/json").await?;
            drift_core::input::parse_json(&bytes)
                .map_err(ApiError::from)
                .map(JsonBody)
        })
    }
}

/// An optional JSON body of type `T` (`application/json`): an empty body or JSON `null` is
/// `None`; anything else is read exactly like [`JsonBody`].
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let media_type = content_type(&req);
            let bytes = read_body(req, payload).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJsonBody(None));
            }
            match media_type {
                Some(t) if is_json_type(&t) => {}
                other => {
                    return Err(ApiError::Problem(
                        ProblemKind::UnsupportedMediaType,
                        format!(
                            "the body must be application/json, not {}",
                            other.unwrap_or_else(|| "unspecified".into())
                        ),
                    ))
                }
            }
            let document = drift_core::input::parse_json_value(&bytes)?;
            if document.is_null() {
                return Ok(OptionalJsonBody(None));
            }
            drift_core::input::from_document(document)
                .map_err(ApiError::from)
                .map(|body| OptionalJsonBody(Some(body)))
        })
    }
}

/// A JSON Merge Patch (RFC 7396) body: `application/merge-patch+json` or `application/json`.
pub struct MergePatch(pub serde_json::Value);

impl FromRequest for MergePatch {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_json_body(req, payload, "application/merge-patch+json").await?;
            let patch = drift_core::input::parse_json_value(&bytes)?;
            if !patch.is_object() {
                return Err(ApiError::bad_request("a merge patch must be a JSON object"));
            }
            Ok(MergePatch(patch))
        })
    }
}

impl MergePatch {
    /// Applies the patch to the current writable representation and parses the result, so the
    /// patched document is checked exactly like a full replacement.
    pub fn apply_to<T>(&self, current: &T) -> Result<T, drift_core::CoreError>
    where
        T: serde::Serialize + DeserializeOwned,
    {
        drift_core::input::merge_patch(current, &self.0)
    }
}

/// The pagination parameters of every list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A list's query string: its filters `F`, the page and the sort order. Unknown parameters are
/// refused, so that a typo does not silently return everything.
pub struct ListQuery<F> {
    pub filter: F,
    pub page: PageRequest,
    pub sort: Option<String>,
}

#[derive(Deserialize)]
struct RawListParams {
    limit: Option<String>,
    cursor: Option<String>,
    sort: Option<String>,
}

impl<F: DeserializeOwned + IntoParams + 'static> FromRequest for ListQuery<F> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(parse_list_query(req.query_string()))
    }
}

fn parse_list_query<F: DeserializeOwned + IntoParams>(
    query: &str,
) -> Result<ListQuery<F>, ApiError> {
    refuse_unknown_parameters::<F>(query, &["limit", "cursor", "sort"])?;
    let filter: F = parse_query(query)?;
    let raw: RawListParams = parse_query(query)?;
    let limit = match raw.limit {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            ApiError::Fields(vec![FieldError::new(
                "limit",
                "type",
                "must be a whole number",
            )])
        })?),
    };
    Ok(ListQuery {
        filter,
        page: PageRequest {
            limit,
            cursor: raw.cursor,
        },
        sort: raw.sort,
    })
}

/// A query string of type `T` that refuses parameters `T` does not declare (and repeated
/// ones), like [`ListQuery`] but without pagination.
pub struct StrictQuery<T>(pub T);

impl<T: DeserializeOwned + IntoParams + 'static> FromRequest for StrictQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let query = req.query_string();
        std::future::ready(
            refuse_unknown_parameters::<T>(query, &[])
                .and_then(|()| parse_query(query))
                .map(StrictQuery),
        )
    }
}

/// Refuses a parameter that is neither one of `F`'s nor in `extra`, and a repeated one.
fn refuse_unknown_parameters<F: IntoParams>(query: &str, extra: &[&str]) -> Result<(), ApiError> {
    let allowed: Vec<String> = F::into_params(|| None)
        .into_iter()
        .map(|p| p.name)
        .chain(extra.iter().map(|e| String::from(*e)))
        .collect();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::bad_request(format!("the query string is malformed: {e}")))?;
    for (key, _) in &pairs {
        if !allowed.contains(key) {
            return Err(ApiError::Fields(vec![FieldError::new(
                key.clone(),
                "unknown_parameter",
                format!(
                    "unknown query parameter; expected one of {}",
                    allowed.join(", ")
                ),
            )]));
        }
        if pairs.iter().filter(|(k, _)| k == key).count() > 1 {
            return Err(ApiError::bad_request(format!(
                "the query parameter {key} is given more than once"
            )));
        }
    }
    Ok(())
}

/// A query string of type `T`; a parameter of the wrong type or a missing one is a validation
/// problem that names it. Parameters `T` does not know are ignored.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(QueryParams))
    }
}

/// Reads a body that must be JSON (any `application/…+json` type too), up to the size limit.
async fn read_json_body(
    req: HttpRequest,
    payload: Payload,
    expected: &str,
) -> Result<Bytes, ApiError> {
    match content_type(&req) {
        Some(t) if is_json_type(&t) => read_body(req, payload).await,
        other => Err(ApiError::Problem(
            ProblemKind::UnsupportedMediaType,
            format!(
                "the body must be {expected}, not {}",
                other.unwrap_or_else(|| "unspecified".into())
            ),
        )),
    }
}

/// Parses a query string, naming the parameter that failed.
pub(crate) fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let field = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = if field == "." { String::new() } else { field };
        ApiError::Fields(vec![FieldError::new(field, "type", message)])
    })
}

/// The tenant a request is about, from the `{tenant_id}` path segment.
///
/// Every tenant-owned route takes this extractor. The access middleware has already refused
/// callers outside the tenant; this checks again from the path as actix routed it (defence in
/// depth: the two can only disagree through a bug) and that the tenant exists. A tenant that
/// does not exist or that the caller may not see is the same 404.
#[derive(Debug, Clone, Copy)]
pub struct TenantScope {
    pub tenant_id: i64,
}

impl FromRequest for TenantScope {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("tenant_id").map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let principal = crate::access::principal_of(req);
        Box::pin(async move {
            let raw = raw.ok_or_else(|| ApiError::Blocking("route has no {tenant_id}".into()))?;
            let tenant_id = parse_id("tenant_id", &raw)?;
            if !principal?.may_enter(tenant_id) {
                return Err(drift_core::CoreError::not_found("tenant", tenant_id).into());
            }
            let state =
                state.ok_or_else(|| ApiError::Blocking("application state is missing".into()))?;
            state
                .db(move |conn| drift_core::tenants::get(conn, tenant_id))
                .await?;
            Ok(TenantScope { tenant_id })
        })
    }
}

/// Parses an id from the path: a positive whole number.
pub fn parse_id(name: &str, raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::Problem(
            ProblemKind::BadRequest,
            format!("{name} must be a positive whole number, not {raw:?}"),
        )),
    }
}

/// An id from the path segment `{id}`.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub i64);

impl FromRequest for PathId {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(match req.match_info().get("id") {
            Some(raw) => parse_id("id", raw).map(PathId),
            None => Err(ApiError::Blocking("route has no {id}".into())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drift_core::tenants::TenantFilter;

    #[test]
    fn unknown_query_parameters_are_refused() {
        assert!(parse_list_query::<TenantFilter>("name=x&limit=5").is_ok());
        assert!(matches!(
            parse_list_query::<TenantFilter>("nmae=x"),
            Err(ApiError::Fields(_))
        ));
        assert!(matches!(
            parse_list_query::<TenantFilter>("limit=ten"),
            Err(ApiError::Fields(_))
        ));
    }
}
