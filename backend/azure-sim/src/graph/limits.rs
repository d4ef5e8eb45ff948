//! Graph's documented throttling limits, enforced when `SimOptions::service_limits` is on:
//!
//! - conditional access policies and named locations: 1 request per second per tenant, all
//!   apps together, answered 429 **without** `Retry-After` (clients back off on their own);
//! - sign-in and audit reports (`auditLogs/signIns`, `auditLogs/directoryAudits`): 5 requests
//!   per 10 seconds per tenant, and 122 per 10 seconds across tenants (the simulator has one
//!   app), 429 with `Retry-After` in seconds;
//! - Intune (`deviceManagement/*`): 1 000 requests per 20 seconds per tenant, 429 with
//!   `Retry-After`.
//!
//! Windows slide: a request is admitted when fewer than the limit were admitted in the window
//! before it; refused requests do not count.

use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::Utc;
use serde_json::json;

use super::Route;
use crate::state::SimState;
use crate::world::Collection;

/// A documented limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limit {
    /// Names the usage bucket.
    name: &'static str,
    requests: usize,
    window: Duration,
    /// Whether the 429 says when to retry.
    retry_after: bool,
}

const CONDITIONAL_ACCESS: Limit = Limit {
    name: "conditional-access",
    requests: 1,
    window: Duration::from_secs(1),
    retry_after: false,
};

const AUDIT_REPORTS: Limit = Limit {
    name: "audit-reports",
    requests: 5,
    window: Duration::from_secs(10),
    retry_after: true,
};

/// The reports limit of one app across all tenants.
const AUDIT_REPORTS_ACROSS_TENANTS: Limit = Limit {
    name: "audit-reports-all-tenants",
    requests: 122,
    window: Duration::from_secs(10),
    retry_after: true,
};

const INTUNE: Limit = Limit {
    name: "intune",
    requests: 1000,
    window: Duration::from_secs(20),
    retry_after: true,
};

/// The limits a request to `route` counts against, with the key of each usage bucket.
fn limits_of(route: &Route, tenant_id: &str) -> Vec<(Limit, String)> {
    let tenant = tenant_id.to_ascii_lowercase();
    let per_tenant = |limit: Limit| (limit, format!("{}/{tenant}", limit.name));
    match route {
        Route::Collection(collection)
        | Route::Entity(collection, _)
        | Route::EntitySettings(collection, _) => match collection {
            Collection::ConditionalAccessPolicies | Collection::NamedLocations => {
                vec![per_tenant(CONDITIONAL_ACCESS)]
            }
            Collection::DeviceConfigurations
            | Collection::CompliancePolicies
            | Collection::SettingsCatalogPolicies => {
                vec![per_tenant(INTUNE)]
            }
            Collection::RoleAssignments
            | Collection::Applications
            | Collection::ServicePrincipals => Vec::new(),
        },
        Route::SignIns | Route::DirectoryAudits | Route::DirectoryAudit(_) => vec![
            per_tenant(AUDIT_REPORTS),
            (
                AUDIT_REPORTS_ACROSS_TENANTS,
                AUDIT_REPORTS_ACROSS_TENANTS.name.to_owned(),
            ),
        ],
        Route::AuthenticationMethodsPolicy => Vec::new(),
    }
}

/// Admits the request (`None`) or answers the 429 of the limit it exceeds.
pub(super) fn check(state: &SimState, tenant_id: &str, route: &Route) -> Option<HttpResponse> {
    if !state.options.service_limits {
        return None;
    }
    let limits = limits_of(route, tenant_id);
    if limits.is_empty() {
        return None;
    }
    let now = Instant::now();
    let mut usage = state.graph_limit_usage.lock().unwrap();
    // Refused when any limit is full; then nothing is counted.
    let mut refusal: Option<(Limit, Duration)> = None;
    for (limit, key) in &limits {
        let admitted = usage.entry(key.clone()).or_default();
        while admitted
            .front()
            .is_some_and(|&at| now.duration_since(at) >= limit.window)
        {
            admitted.pop_front();
        }
        if admitted.len() >= limit.requests {
            // Free again when the oldest admitted request leaves the window.
            let oldest = admitted[admitted.len() - limit.requests];
            let wait = limit.window.saturating_sub(now.duration_since(oldest));
            if refusal.is_none_or(|(_, longest)| wait > longest) {
                refusal = Some((*limit, wait));
            }
        }
    }
    if let Some((limit, wait)) = refusal {
        return Some(too_many_requests(
            limit
                .retry_after
                .then(|| {
                    // Whole seconds, rounded up, at least 1.
                    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
                })
                .map(|seconds| seconds.max(1)),
        ));
    }
    for (_, key) in limits {
        usage.entry(key).or_default().push_back(now);
    }
    None
}

/// Graph's 429: `TooManyRequests` with `innerError.code` "429", and `Retry-After` in seconds
/// when the service sends one.
fn too_many_requests(retry_after: Option<u64>) -> HttpResponse {
    let request_id = crate::world::guid(&mut rand::thread_rng());
    let mut response = HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
        .insert_header(("request-id", request_id.clone()))
        .insert_header(("client-request-id", request_id.clone()))
        .json(json!({
            "error": {
                "code": "TooManyRequests",
                "message": "Too many requests. The request was throttled by the service; retry later.",
                "innerError": {
                    "code": "429",
                    "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    "request-id": request_id,
                    "client-request-id": request_id
                }
            }
        }));
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(
            RETRY_AFTER,
            HeaderValue::from_str(&seconds.to_string()).expect("a number is a header value"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_count_against_their_documented_limits() {
        let names = |route: Route| -> Vec<&'static str> {
            limits_of(&route, "T")
                .into_iter()
                .map(|(limit, _)| limit.name)
                .collect()
        };
        assert_eq!(
            names(Route::Collection(Collection::NamedLocations)),
            ["conditional-access"]
        );
        assert_eq!(
            names(Route::Entity(
                Collection::ConditionalAccessPolicies,
                "x".into()
            )),
            ["conditional-access"]
        );
        assert_eq!(
            names(Route::Collection(Collection::CompliancePolicies)),
            ["intune"]
        );
        assert_eq!(
            names(Route::SignIns),
            ["audit-reports", "audit-reports-all-tenants"]
        );
        assert_eq!(
            names(Route::DirectoryAudit("x".into())),
            ["audit-reports", "audit-reports-all-tenants"]
        );
        assert!(names(Route::Collection(Collection::Applications)).is_empty());
        assert_eq!(
            limits_of(&Route::SignIns, "AbC")[0].1,
            limits_of(&Route::SignIns, "abc")[0].1
        );
    }
}
