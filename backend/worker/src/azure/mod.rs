//! The Azure client: client-credentials tokens per (tenant, resource), retries, paging.
//!
//! Wire rules it honours (see /work/shared/azure-facts.md): `@odata.nextLink` is followed as
//! is; Resource Graph pages by `$skipToken`; 429 and 503 wait for `Retry-After` (seconds,
//! possibly fractional) or back off when it is absent; other transient failures (connection
//! errors, timeouts, 5xx, bodies that do not parse) retry with capped exponential backoff and
//! jitter; a 401 refreshes the token once; errors keep the service's `code` and `message`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use tokio::sync::{Mutex, Semaphore};

use crate::config::AzureConfig;

/// Attempts per request before giving up.
const MAX_ATTEMPTS: u32 = 6;
/// The longest wait between attempts (a longer `Retry-After` is cut to it).
const MAX_DELAY: Duration = Duration::from_secs(30);
const BASE_DELAY: Duration = Duration::from_millis(200);

/// Which API a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    Graph,
    Arm,
}

/// Why a call failed, with what the service said.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AzureError {
    /// The service answered with an error: its HTTP status, `code` and `message`.
    #[error("{code}: {message} (HTTP {status})")]
    Service {
        status: u16,
        code: String,
        message: String,
    },
    /// Retries were used up on transient failures.
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted { attempts: u32, last: String },
}

struct CachedToken {
    value: String,
    refresh_after: tokio::time::Instant,
}

/// One client for every tenant; cheap to clone.
#[derive(Clone)]
pub struct AzureClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: AzureConfig,
    tokens: Mutex<HashMap<(String, Resource), CachedToken>>,
    /// Requests in flight across all tenants.
    in_flight: Semaphore,
}

enum Failure {
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    Unauthorized(AzureError),
    Fatal(AzureError),
}

impl AzureClient {
    pub fn new(config: AzureConfig, max_in_flight: usize) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .expect("the HTTP client builds");
        Self {
            inner: Arc::new(Inner {
                http,
                config,
                tokens: Mutex::new(HashMap::new()),
                in_flight: Semaphore::new(max_in_flight.max(1)),
            }),
        }
    }

    pub fn config(&self) -> &AzureConfig {
        &self.inner.config
    }

    /// `GET` a Graph or ARM URL (absolute) as the tenant's app.
    pub async fn get(
        &self,
        tenant: &str,
        resource: Resource,
        url: &str,
    ) -> Result<Value, AzureError> {
        self.call(tenant, resource, |http| http.get(url)).await
    }

    /// `POST` a JSON body to a Graph or ARM URL (absolute) as the tenant's app.
    pub async fn post(
        &self,
        tenant: &str,
        resource: Resource,
        url: &str,
        body: &Value,
    ) -> Result<Value, AzureError> {
        self.call(tenant, resource, |http| http.post(url).json(body))
            .await
    }

    async fn call(
        &self,
        tenant: &str,
        resource: Resource,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Value, AzureError> {
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = self.token(tenant, resource).await?;
            let request = build(&self.inner.http).bearer_auth(&token);
            match self.attempt(request).await {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Unauthorized(e)) => {
                    if refreshed {
                        return Err(e);
                    }
                    // The token expired early or was revoked: fetch a new one, once.
                    refreshed = true;
                    self.inner
                        .tokens
                        .lock()
                        .await
                        .remove(&(tenant.to_owned(), resource));
                    attempt -= 1;
                }
                Err(Failure::Retry { after, reason }) => {
                    if attempt >= MAX_ATTEMPTS {
                        return Err(AzureError::Exhausted {
                            attempts: attempt,
                            last: reason,
                        });
                    }
                    log::debug!("retrying after {reason}");
                    tokio::time::sleep(after.unwrap_or_else(|| backoff(attempt))).await;
                }
            }
        }
    }

    /// The tenant's token for a resource, from the cache while it has more than a few minutes
    /// left.
    async fn token(&self, tenant: &str, resource: Resource) -> Result<String, AzureError> {
        let key = (tenant.to_owned(), resource);
        let mut tokens = self.inner.tokens.lock().await;
        if let Some(cached) = tokens.get(&key) {
            if tokio::time::Instant::now() < cached.refresh_after {
                return Ok(cached.value.clone());
            }
        }
        let config = &self.inner.config;
        let (graph_scope, arm_scope) = config.cloud.scopes();
        let scope = match resource {
            Resource::Graph => graph_scope,
            Resource::Arm => arm_scope,
        };
        let url = format!("{}/{}/oauth2/v2.0/token", config.authority_host, tenant);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", config.client_id.as_str()),
            ("client_secret", config.client_secret.as_str()),
            ("scope", scope),
        ];
        let mut attempt = 0;
        let body = loop {
            attempt += 1;
            match self.attempt(self.inner.http.post(&url).form(&form)).await {
                Ok(body) => break body,
                Err(Failure::Fatal(e) | Failure::Unauthorized(e)) => return Err(e),
                Err(Failure::Retry { after, reason }) => {
                    if attempt >= MAX_ATTEMPTS {
                        return Err(AzureError::Exhausted {
                            attempts: attempt,
                            last: reason,
                        });
                    }
                    tokio::time::sleep(after.unwrap_or_else(|| backoff(attempt))).await;
                }
            }
        };
        let value = body["access_token"]
            .as_str()
            .ok_or_else(|| AzureError::Service {
                status: 200,
                code: "invalid_token_response".into(),
                message: "the token endpoint answered without access_token".into(),
            })?
            .to_owned();
        // v2 sends an integer, v1 a string: accept both.
        let expires_in = match &body["expires_in"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .unwrap_or(3599);
        let margin = (expires_in / 10).clamp(1, 300);
        tokens.insert(
            key,
            CachedToken {
                value: value.clone(),
                refresh_after: tokio::time::Instant::now()
                    + Duration::from_secs(expires_in.saturating_sub(margin)),
            },
        );
        Ok(value)
    }

    /// One HTTP exchange, classified.
    async fn attempt(&self, request: RequestBuilder) -> Result<Value, Failure> {
        let _permit = self.inner.in_flight.acquire().await.expect("never closed");
        let response = request.send().await.map_err(|e| Failure::Retry {
            after: None,
            reason: format!("request failed: {e}"),
        })?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        // A body cut short (dropped connection, truncated JSON) is transient.
        let bytes = response.bytes().await.map_err(|e| Failure::Retry {
            after: None,
            reason: format!("reading the response failed: {e}"),
        })?;
        let parsed = serde_json::from_slice::<Value>(&bytes);
        if status.is_success() {
            return parsed.map_err(|e| Failure::Retry {
                after: None,
                reason: format!("the response body is not JSON ({e})"),
            });
        }
        let error = service_error(status, parsed.ok().as_ref());
        match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                Err(Failure::Retry {
                    after: retry_after,
                    reason: error.to_string(),
                })
            }
            StatusCode::UNAUTHORIZED => Err(Failure::Unauthorized(error)),
            s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => Err(Failure::Retry {
                after: None,
                reason: error.to_string(),
            }),
            _ => Err(Failure::Fatal(error)),
        }
    }
}

/// Capped exponential backoff with jitter (between half and all of the step).
fn backoff(attempt: u32) -> Duration {
    let step = BASE_DELAY
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_DELAY);
    step.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

/// `Retry-After` in seconds, possibly fractional (`2.128`), capped.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds).min(MAX_DELAY))
}

/// The service's error code and message: Graph and ARM put them in `error.code` /
/// `error.message`, the identity platform in `error` / `error_description` / `error_codes`.
fn service_error(status: StatusCode, body: Option<&Value>) -> AzureError {
    let (code, message) = match body {
        Some(body) if body["error"].is_object() => (
            body["error"]["code"]
                .as_str()
                .unwrap_or("unknown")
                .to_owned(),
            body["error"]["message"].as_str().unwrap_or("").to_owned(),
        ),
        Some(body) if body["error"].is_string() => {
            let mut code = body["error"].as_str().unwrap_or_default().to_owned();
            if let Some(first) = body["error_codes"].get(0).and_then(Value::as_i64) {
                code = format!("{code} ({first})");
            }
            // The description goes on with trace and correlation ids on further lines.
            let description = body["error_description"].as_str().unwrap_or_default();
            let first = description.lines().next().unwrap_or("");
            let first = first.split(" Trace ID:").next().unwrap_or(first);
            (code, first.trim().to_owned())
        }
        _ => (
            format!("http_{}", status.as_u16()),
            status.canonical_reason().unwrap_or("").to_owned(),
        ),
    };
    AzureError::Service {
        status: status.as_u16(),
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_keep_the_services_code_and_message() {
        let graph = service_error(
            StatusCode::FORBIDDEN,
            Some(
                &json!({"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges."}}),
            ),
        );
        assert_eq!(
            graph.to_string(),
            "Authorization_RequestDenied: Insufficient privileges. (HTTP 403)"
        );
        let identity = service_error(
            StatusCode::BAD_REQUEST,
            Some(
                &json!({"error": "invalid_tenant", "error_codes": [90002], "error_description": "AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1"}),
            ),
        );
        assert_eq!(
            identity.to_string(),
            "invalid_tenant (90002): AADSTS90002: Tenant 'x' not found. (HTTP 400)"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) <= Duration::from_millis(400));
        assert!(backoff(30) <= MAX_DELAY);
        assert!(backoff(30) >= MAX_DELAY / 2);
    }
}
