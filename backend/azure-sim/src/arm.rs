//! Azure Resource Manager: subscriptions, Resource Graph and the activity log.
//!
//! ARM paths are case-insensitive, so every request under `/subscriptions` and `/providers` comes
//! to one dispatcher, which checks the bearer token (the caller's tenant is the token's), finds
//! the operation, then checks `api-version` against the operation's versions.

pub mod activity_log;
pub mod kql;
pub mod resource_graph;

use actix_web::http::header::{HeaderValue, ALLOW, WWW_AUTHENTICATE};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::auth::{authenticate, unauthorized, AuthFailure, Resource};
use crate::errors::arm_error;
use crate::state::SimState;

/// Microsoft.Resources subscriptions: 2020-01-01 and later.
pub const SUBSCRIPTION_API_VERSIONS: [&str; 3] = ["2022-12-01", "2021-01-01", "2020-01-01"];
/// Microsoft.ResourceGraph resources (before 2021-03-01 the default result format was table).
pub const RESOURCE_GRAPH_API_VERSIONS: [&str; 4] =
    ["2022-10-01", "2021-03-01", "2024-04-01", "2019-04-01"];
/// Microsoft.Insights activity log.
pub const ACTIVITY_LOG_API_VERSIONS: [&str; 1] = ["2015-04-01"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/subscriptions", web::route().to(dispatch))
        .route("/subscriptions/{tail:.*}", web::route().to(dispatch))
        .route("/providers/{tail:.*}", web::route().to(dispatch));
}

/// The operations the simulator serves.
enum Operation {
    ListSubscriptions,
    GetSubscription(String),
    ActivityLog(String),
    ResourceGraph,
}

impl Operation {
    fn of_path(path: &str) -> Option<(Operation, Method, &'static [&'static str])> {
        let lower = path.trim_end_matches('/').to_ascii_lowercase();
        let original: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let segments: Vec<&str> = lower.split('/').skip(1).collect();
        match segments.as_slice() {
            ["subscriptions"] => Some((
                Operation::ListSubscriptions,
                Method::GET,
                &SUBSCRIPTION_API_VERSIONS,
            )),
            ["subscriptions", _] => Some((
                Operation::GetSubscription(original[1].to_owned()),
                Method::GET,
                &SUBSCRIPTION_API_VERSIONS,
            )),
            ["subscriptions", _, "providers", "microsoft.insights", "eventtypes", "management", "values"] => {
                Some((
                    Operation::ActivityLog(original[1].to_owned()),
                    Method::GET,
                    &ACTIVITY_LOG_API_VERSIONS,
                ))
            }
            ["providers", "microsoft.resourcegraph", "resources"] => Some((
                Operation::ResourceGraph,
                Method::POST,
                &RESOURCE_GRAPH_API_VERSIONS,
            )),
            _ => None,
        }
    }
}

/// The query parameters, decoded, in order.
fn query_params(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn dispatch(req: HttpRequest, state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let tenant_id = match authenticate(&state, &req, Resource::Arm) {
        Ok(tenant_id) => tenant_id,
        Err(failure) => return refuse_token(&failure),
    };
    let Some((operation, method, versions)) = Operation::of_path(req.path()) else {
        return arm_error(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            &format!(
                "The resource type could not be found for the path '{}'. The simulator serves subscriptions, Microsoft.ResourceGraph/resources and the Microsoft.Insights activity log.",
                req.path()
            ),
        );
    };
    if req.method() != method {
        let mut response = arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            &format!(
                "The requested resource does not support http method '{}'.",
                req.method()
            ),
        );
        response.headers_mut().insert(
            ALLOW,
            HeaderValue::from_str(method.as_str()).expect("a method name"),
        );
        return response;
    }
    let params = query_params(&req);
    let api_version = match params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
    {
        None => {
            return arm_error(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        }
        Some((_, version)) if versions.contains(&version.as_str()) => version.clone(),
        Some((_, version)) => {
            return arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                &format!(
                    "The api-version '{version}' is invalid. The supported versions are '{}'.",
                    versions.join(",")
                ),
            )
        }
    };
    match operation {
        Operation::ListSubscriptions => list_subscriptions(&state, &tenant_id),
        Operation::GetSubscription(id) => match check_subscription(&state, &tenant_id, &id) {
            Err(response) => *response,
            Ok(subscription) => ok_json(subscription),
        },
        Operation::ActivityLog(id) => match check_subscription(&state, &tenant_id, &id) {
            Err(response) => *response,
            Ok(_) => activity_log::list(&req, &state, &id, &params),
        },
        Operation::ResourceGraph => {
            resource_graph::query(req, state, tenant_id, api_version, body).await
        }
    }
}

/// ARM's 401, with the `WWW-Authenticate` challenge ARM sends.
fn refuse_token(failure: &AuthFailure) -> HttpResponse {
    let mut response = unauthorized(Resource::Arm, failure);
    let error = match failure {
        AuthFailure::Missing => "",
        _ => ", error=\"invalid_token\"",
    };
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_str(&format!(
            "Bearer authorization_uri=\"https://login.microsoftonline.com/common\"{error}"
        ))
        .expect("a header value"),
    );
    response
}

/// A 200 with ARM's request-id headers.
pub fn ok_json(body: Value) -> HttpResponse {
    let request_id = crate::world::guid(&mut rand::thread_rng());
    HttpResponse::Ok()
        .insert_header(("x-ms-request-id", request_id.clone()))
        .insert_header(("x-ms-correlation-request-id", request_id))
        .insert_header(("x-ms-ratelimit-remaining-subscription-reads", "11999"))
        .insert_header(("x-ms-ratelimit-remaining-tenant-reads", "11999"))
        .json(body)
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
pub fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn subscription_body(subscription: &crate::world::SimSubscription, tenant_id: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{}", subscription.id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": subscription.id,
        "tenantId": tenant_id,
        "displayName": subscription.name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        }
    })
}

fn list_subscriptions(state: &SimState, tenant_id: &str) -> HttpResponse {
    let world = state.world.lock().unwrap();
    let value: Vec<Value> = world
        .tenant(tenant_id)
        .map(|tenant| {
            tenant
                .subscriptions
                .iter()
                .map(|s| subscription_body(s, &tenant.tenant_id))
                .collect()
        })
        .unwrap_or_default();
    let count = value.len();
    ok_json(json!({"value": value, "count": {"type": "Total", "value": count}}))
}

/// The caller's subscription, or ARM's refusal: 404 `SubscriptionNotFound` when no tenant has
/// it, 401 `InvalidAuthenticationTokenTenant` when it belongs to another tenant (ARM asks for a
/// token from the subscription's own tenant).
fn check_subscription(
    state: &SimState,
    tenant_id: &str,
    subscription_id: &str,
) -> Result<Value, Box<HttpResponse>> {
    let world = state.world.lock().unwrap();
    for tenant in &world.tenants {
        if let Some(subscription) = tenant
            .subscriptions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(subscription_id))
        {
            if tenant.tenant_id.eq_ignore_ascii_case(tenant_id) {
                return Ok(subscription_body(subscription, &tenant.tenant_id));
            }
            let owner = &tenant.tenant_id;
            let mut response = arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationTokenTenant",
                &format!(
                    "The access token is from the wrong issuer 'https://sts.windows.net/{tenant_id}/'. It must match the tenant 'https://sts.windows.net/{owner}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/{owner}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later."
                ),
            );
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_str(&format!(
                    "Bearer authorization_uri=\"https://login.windows.net/{owner}\", error=\"invalid_token\", error_description=\"The access token is from the wrong issuer.\""
                ))
                .expect("a header value"),
            );
            return Err(Box::new(response));
        }
    }
    Err(Box::new(arm_error(
        StatusCode::NOT_FOUND,
        "SubscriptionNotFound",
        &format!("The subscription '{subscription_id}' could not be found."),
    )))
}
