//! `POST /providers/Microsoft.ResourceGraph/resources`: KQL over the caller's resources and
//! resource changes, paged with `$top`/`$skip`/`$skipToken`, with the per-tenant query quota.

use std::collections::HashSet;
use std::time::{Duration as StdDuration, Instant};

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

use super::kql::{self, Table};
use crate::errors::{throttled, unavailable, Service};
use crate::faults::{FaultKind, Stage};
use crate::state::SimState;

/// The documented example quota, reported in the headers when no quota is enforced.
const DOCUMENTED_QUOTA: (u32, u32) = (15, 5);
const DEFAULT_TOP: usize = 100;
const MAX_TOP: usize = 1000;
/// The most subscriptions one request may list ("The REST API for Azure Resource Graph accepts
/// a maximum number of subscriptions … stay under the 1,000 subscription limit",
/// learn.microsoft.com azure/governance/resource-graph/troubleshoot/general). The refusal's
/// detail code for an explicit list is not documented; it follows the documented shape of
/// `TooManySubscriptionsUnderScope` (the 18 000 limit of a tenant or management group scope).
pub const MAX_SUBSCRIPTIONS: usize = 1000;
/// How long resource changes stay queryable.
const CHANGE_RETENTION_DAYS: i64 = 14;

/// Resource Graph's errors: `BadRequest` whose message asks for the timestamp and correlation
/// id, and whose `details` say what was wrong.
pub fn bad_request(details: Vec<Value>) -> HttpResponse {
    let correlation = crate::world::guid(&mut rand::thread_rng());
    let now = Utc::now();
    // .NET's round-trip format: seven fractional digits.
    let timestamp = format!(
        "{}.{:07}Z",
        now.format("%Y-%m-%dT%H:%M:%S"),
        now.timestamp_subsec_nanos() / 100
    );
    HttpResponse::build(StatusCode::BAD_REQUEST)
        .insert_header(("x-ms-request-id", correlation.clone()))
        .insert_header(("x-ms-correlation-request-id", correlation.clone()))
        .json(json!({"error": {
            "code": "BadRequest",
            "message": format!(
                "Please provide below info when asking for support: timestamp = {timestamp}, correlationId = {correlation}."
            ),
            "details": details
        }}))
}

fn invalid_query(error: &kql::QueryError) -> HttpResponse {
    bad_request(vec![
        json!({"code": "InvalidQuery", "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."}),
        json!({"code": error.code, "message": error.message, "line": error.line, "characterPositionInLine": error.position, "token": error.token}),
    ])
}

fn bad_option(code: &str, message: &str) -> HttpResponse {
    bad_request(vec![json!({"code": code, "message": message})])
}

/// The quota headers, and whether the query may run.
struct Quota {
    remaining: u32,
    resets_after: StdDuration,
    refused: bool,
}

impl Quota {
    fn take(state: &SimState, tenant_id: &str) -> Quota {
        let Some((limit, window_seconds)) = state.options.arm_quota else {
            return Quota {
                remaining: DOCUMENTED_QUOTA.0,
                resets_after: StdDuration::from_secs(DOCUMENTED_QUOTA.1 as u64),
                refused: false,
            };
        };
        let window = StdDuration::from_secs(window_seconds.max(1) as u64);
        let now = Instant::now();
        let mut usage = state.arm_quota_usage.lock().unwrap();
        let entry = usage.entry(tenant_id.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        let resets_after = window.saturating_sub(now.duration_since(entry.0));
        if entry.1 >= limit {
            return Quota {
                remaining: 0,
                resets_after,
                refused: true,
            };
        }
        entry.1 += 1;
        Quota {
            remaining: limit - entry.1,
            resets_after,
            refused: false,
        }
    }

    fn resets_after_seconds(&self) -> u64 {
        let whole = self.resets_after.as_secs();
        if self.resets_after.subsec_nanos() > 0 {
            whole + 1
        } else {
            whole
        }
    }

    fn apply(&self, mut response: HttpResponse) -> HttpResponse {
        let seconds = self.resets_after_seconds();
        let headers = response.headers_mut();
        headers.insert(
            HeaderName::from_static("x-ms-user-quota-remaining"),
            HeaderValue::from_str(&self.remaining.to_string()).expect("a number"),
        );
        headers.insert(
            HeaderName::from_static("x-ms-user-quota-resets-after"),
            HeaderValue::from_str(&format!(
                "{:02}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            ))
            .expect("a time"),
        );
        response
    }
}

/// Where the next page starts, as the `$skipToken` carries it.
#[derive(serde::Serialize, serde::Deserialize)]
struct SkipToken {
    /// The query's fingerprint.
    q: String,
    /// The page size in force.
    n: usize,
    /// The sort key and lower-cased id of the last row served.
    k: Vec<Value>,
    i: String,
}

impl SkipToken {
    fn encode(&self) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(serde_json::to_vec(self).expect("a token serializes"))
    }

    fn decode(text: &str) -> Option<SkipToken> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

pub async fn query(
    req: HttpRequest,
    state: web::Data<SimState>,
    tenant_id: String,
    api_version: String,
    body: web::Bytes,
) -> HttpResponse {
    let quota = Quota::take(&state, &tenant_id);
    if quota.refused {
        let seconds = quota.resets_after_seconds().max(1);
        return quota.apply(throttled(Service::Arm, Some(seconds as f64)));
    }
    quota.apply(run(&req, &state, &tenant_id, &api_version, &body))
}

fn run(
    req: &HttpRequest,
    state: &SimState,
    tenant_id: &str,
    api_version: &str,
    body: &[u8],
) -> HttpResponse {
    let request: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Value::Object(object),
        _ => {
            return bad_option(
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized.",
            )
        }
    };
    let Some(text) = request.get("query").and_then(Value::as_str) else {
        return bad_option("InvalidRequestContent", "The 'query' property is required.");
    };
    if let Some(listed) = request.get("subscriptions").and_then(Value::as_array) {
        if listed.len() > MAX_SUBSCRIPTIONS {
            return bad_option(
                "TooManySubscriptions",
                &format!(
                    "The number of subscriptions in the request ({}) has exceeded the allowed limit {MAX_SUBSCRIPTIONS}. Please split the subscriptions into batches.",
                    listed.len()
                ),
            );
        }
    }
    let empty = json!({});
    let options = match request.get("options") {
        None | Some(Value::Null) => &empty,
        Some(options @ Value::Object(_)) => options,
        Some(_) => {
            return bad_option(
                "InvalidRequestContent",
                "The 'options' property must be an object.",
            )
        }
    };
    let top = match options.get("$top") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64() {
            Some(n) if (1..=MAX_TOP as u64).contains(&n) => Some(n as usize),
            _ => {
                return bad_option(
                    "InvalidParameter",
                    &format!(
                    "The option '$top' is {value}: it must be an integer between 1 and {MAX_TOP}."
                ),
                )
            }
        },
    };
    let skip = match options.get("$skip") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64() {
            Some(n) => Some(n as usize),
            None => {
                return bad_option(
                    "InvalidParameter",
                    &format!("The option '$skip' is {value}: it must be a non-negative integer."),
                )
            }
        },
    };
    let skip_token = match options.get("$skipToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) if !token.is_empty() => Some(token.as_str()),
        Some(_) => {
            return bad_option(
                "InvalidParameter",
                "The option '$skipToken' must be a string.",
            )
        }
    };
    let table_format = match options.get("resultFormat").and_then(Value::as_str) {
        None => api_version < "2021-03-01",
        Some(format) if format.eq_ignore_ascii_case("table") => true,
        Some(format) if format.eq_ignore_ascii_case("objectArray") => false,
        Some(format) => {
            return bad_option(
                "InvalidParameter",
                &format!("The result format '{format}' is not valid: use table or objectArray."),
            )
        }
    };
    if skip_token.is_some() {
        // A continuation: the skip token is in the body, where the middleware cannot see it.
        if let Some(FaultKind::NextLinkFailsOnce) = state.faults.take(
            req.path(),
            Stage::Request {
                follows_next_link: true,
            },
        ) {
            return unavailable(Service::Arm, None);
        }
    }
    let now = Utc::now();
    let query = match kql::parse(text, now) {
        Ok(query) => query,
        Err(error) => return invalid_query(&error),
    };
    let token = match skip_token.map(SkipToken::decode) {
        None => None,
        Some(Some(token)) if token.q == query.fingerprint => Some(token),
        Some(_) => {
            return bad_option(
                "InvalidSkipToken",
                "The $skipToken is not valid for this query: pass the token with the same query and scopes it came with.",
            )
        }
    };

    // The page size asked for (a skip token carries it on); a page cap fault cuts this page only.
    let requested = top
        .or(token.as_ref().map(|t| t.n))
        .unwrap_or(DEFAULT_TOP)
        .max(1);
    let mut page_size = requested;
    if let Some(FaultKind::PageCap { max }) = state.faults.take(req.path(), Stage::Paging) {
        page_size = page_size.min(max.max(1));
    }

    // The rows of the page asked for, where it starts, and how many rows the query has.
    let (total, start, page) = {
        let world = state.world.lock().unwrap();
        let Some(tenant) = world.tenant(tenant_id) else {
            return crate::errors::arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            );
        };
        let scope = scope(&request, tenant);
        match query.table {
            Table::Resources if query.pages_lazily() => {
                // The stored map is ordered by lower-cased id, the order of an unsorted query:
                // count without copying, then build only the rows of the page. A scope of all
                // the tenant's subscriptions (what a full listing asks for) sees every record,
                // so no record needs looking at: counting a page's position stays cheap at
                // 100 000 resources instead of costing a scan of every record per page.
                let everything = tenant
                    .subscriptions
                    .iter()
                    .all(|s| scope.contains(&s.id.to_lowercase()));
                let visible = |record: &Value| everything || in_scope(&scope, record);
                let total = tenant
                    .arm_resources
                    .values()
                    .filter(|r| visible(r))
                    .take(query.limit().unwrap_or(usize::MAX))
                    .count();
                let (start, rest): (usize, Box<dyn Iterator<Item = &Value>>) = match (skip, &token)
                {
                    (Some(skip), _) => (
                        skip.min(total),
                        Box::new(
                            tenant
                                .arm_resources
                                .values()
                                .filter(|r| visible(r))
                                .skip(skip),
                        ),
                    ),
                    (None, Some(token)) => {
                        let before = tenant
                            .arm_resources
                            .range(..=token.i.clone())
                            .filter(|(_, r)| visible(r))
                            .count();
                        let after = tenant
                            .arm_resources
                            .range((
                                std::ops::Bound::Excluded(token.i.clone()),
                                std::ops::Bound::Unbounded,
                            ))
                            .map(|(_, r)| r)
                            .filter(|r| visible(r));
                        (before.min(total), Box::new(after))
                    }
                    (None, None) => (
                        0,
                        Box::new(tenant.arm_resources.values().filter(|r| visible(r))),
                    ),
                };
                let page: Vec<kql::Row> = rest
                    .take(page_size.min(total - start))
                    .map(|r| query.build_row(r))
                    .collect();
                (total, start, page)
            }
            _ => {
                let rows = match query.table {
                    Table::Resources => query.run(
                        tenant
                            .arm_resources
                            .values()
                            .filter(|r| in_scope(&scope, r)),
                    ),
                    Table::ResourceChanges => {
                        let oldest = now - Duration::days(CHANGE_RETENTION_DAYS);
                        query.run(
                            tenant
                                .resource_changes
                                .iter()
                                .filter(|record| record.visible_at <= now && record.at >= oldest)
                                .map(|record| &record.body)
                                .filter(|r| in_scope(&scope, r)),
                        )
                    }
                };
                let start = match (skip, &token) {
                    (Some(skip), _) => skip.min(rows.len()),
                    (None, Some(token)) => rows
                        .iter()
                        .position(|row| {
                            kql::compare_keys(
                                &query.sort_descending,
                                &row.sort_key,
                                &row.id_key,
                                &token.k,
                                &token.i,
                            ) == std::cmp::Ordering::Greater
                        })
                        .unwrap_or(rows.len()),
                    (None, None) => 0,
                };
                let end = (start + page_size).min(rows.len());
                let total = rows.len();
                let page: Vec<kql::Row> = rows.into_iter().skip(start).take(end - start).collect();
                (total, start, page)
            }
        }
    };
    let more = start + page.len() < total;
    let next = (more && !query.has_limit).then(|| {
        let last = &page[page.len() - 1];
        SkipToken {
            q: query.fingerprint.clone(),
            n: requested,
            k: last.sort_key.clone(),
            i: last.id_key.clone(),
        }
        .encode()
    });
    let data = if table_format {
        json!({
            "columns": query.columns.iter().map(|(name, kind)| json!({"name": name, "type": kind.name()})).collect::<Vec<_>>(),
            "rows": page.iter().map(|row| query.columns.iter().map(|(name, _)| row.values.get(name).cloned().unwrap_or(Value::Null)).collect::<Vec<_>>()).collect::<Vec<_>>()
        })
    } else {
        Value::Array(
            page.iter()
                .map(|row| Value::Object(row.values.clone()))
                .collect(),
        )
    };
    let mut body = json!({
        "totalRecords": total,
        "count": page.len(),
        "data": data,
        "facets": [],
        "resultTruncated": if more && next.is_none() { "true" } else { "false" },
    });
    if let Some(next) = next {
        body["$skipToken"] = json!(next);
    }
    super::ok_json(body)
}

/// The subscriptions a query covers: those listed that the caller can see (others contribute
/// nothing), those of the listed management groups (the tenant root group, named by the
/// tenant id, holds them all; the simulated tenants have no other groups), or, with neither
/// listed, all of the caller's.
fn scope(request: &Value, tenant: &crate::world::SimTenant) -> HashSet<String> {
    let own: HashSet<String> = tenant
        .subscriptions
        .iter()
        .map(|s| s.id.to_lowercase())
        .collect();
    let listed = |field: &str| -> Option<Vec<String>> {
        request.get(field).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| {
                    s.trim()
                        .trim_start_matches("/subscriptions/")
                        .to_lowercase()
                })
                .collect()
        })
    };
    let subscriptions = listed("subscriptions");
    let groups = listed("managementGroups");
    if subscriptions.is_none() && groups.is_none() {
        return own;
    }
    let mut scope: HashSet<String> = subscriptions
        .unwrap_or_default()
        .into_iter()
        .filter(|s| own.contains(s))
        .collect();
    if groups
        .unwrap_or_default()
        .iter()
        .any(|g| g.eq_ignore_ascii_case(&tenant.tenant_id))
    {
        scope.extend(own.iter().cloned());
    }
    scope
}

fn in_scope(scope: &HashSet<String>, record: &Value) -> bool {
    record["subscriptionId"].as_str().is_some_and(|s| {
        if scope.len() <= 8 {
            // A handful of subscriptions: comparing beats allocating a lower-cased copy.
            scope.iter().any(|id| id.eq_ignore_ascii_case(s))
        } else {
            scope.contains(&s.to_ascii_lowercase())
        }
    })
}
