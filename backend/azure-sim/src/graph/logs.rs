//! `auditLogs/signIns` and `auditLogs/directoryAudits`.
//!
//! Sign-ins are generated on demand from their index in the tenant's `SignInStream` (event `i`
//! happens at `start + i * interval`), never materialised: a filter on `createdDateTime` becomes
//! a range of indices by binary search, and a page walks down from the top of the range,
//! skipping events not yet visible (late arrivals, at most `MAX_SIGNIN_DELAY_SECONDS` old). The
//! skip token holds the rest of the range, so a request costs O(page size + late window).
//!
//! Sign-ins need an Entra ID P1/P2 tenant (403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`
//! otherwise); directory audits are served to every tenant. With `SimOptions::log_retention`
//! on, both reach back 30 days with P1/P2 and 7 without.

use std::cmp::Reverse;

use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::filter::{self, Clause, CmpOp, TextOp};
use super::query::{Cursor, QueryOptions};
use super::{
    bad_request, capped, entity_response, next_link, page_response, tenant_gone, Handled, Refusal,
};
use super::{DIRECTORY_AUDITS, SIGN_INS};
use crate::state::SimState;
use crate::world::{log_retention_days, SignInStream, MAX_SIGNIN_DELAY_SECONDS};

/// Default and largest page of `auditLogs/signIns`.
pub const SIGN_IN_PAGE_SIZE: usize = 1000;

fn invalid_filter(why: &str) -> Refusal {
    bad_request(&format!("Invalid filter clause: {why}"))
}

/// An instant as the API shows it: cut to milliseconds.
fn shown(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

/// The first index in `0..limit` for which `before` is false (`before` true then false).
fn partition(limit: u64, before: impl Fn(u64) -> bool) -> u64 {
    let (mut lo, mut hi) = (0u64, limit);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The index range `lo..end` a sign-in filter selects among events `0..limit`.
fn sign_in_range(
    stream: &SignInStream,
    limit: u64,
    filter: Option<&str>,
) -> Result<(u64, u64), String> {
    let (mut lo, mut end) = (0, limit);
    let Some(filter) = filter else {
        return Ok((lo, end));
    };
    let time = |i: u64| shown(stream.created_at(i));
    for clause in filter::parse(filter)? {
        let Clause::Time { property, op, at } = clause else {
            return Err("only createdDateTime can be filtered on, compared with an unquoted date (createdDateTime ge 2024-01-01T00:00:00Z).".into());
        };
        if !property.eq_ignore_ascii_case("createdDateTime") {
            return Err(format!("filtering on '{property}' is not supported by the simulator; filter on createdDateTime."));
        }
        if matches!(op, CmpOp::Ge | CmpOp::Eq) {
            lo = lo.max(partition(limit, |i| time(i) < at));
        }
        if op == CmpOp::Gt {
            lo = lo.max(partition(limit, |i| time(i) <= at));
        }
        if matches!(op, CmpOp::Le | CmpOp::Eq) {
            end = end.min(partition(limit, |i| time(i) <= at));
        }
        if op == CmpOp::Lt {
            end = end.min(partition(limit, |i| time(i) < at));
        }
    }
    Ok((lo, end.max(lo)))
}

/// The exclusive end of the next page below `end`: one past the highest visible index in
/// `lo..end`, if any. Only the last `MAX_SIGNIN_DELAY_SECONDS` can hold invisible events.
fn next_visible_end(stream: &SignInStream, lo: u64, end: u64, now: DateTime<Utc>) -> Option<u64> {
    let settled = now - Duration::seconds(MAX_SIGNIN_DELAY_SECONDS);
    let mut i = end;
    while i > lo {
        i -= 1;
        if stream.created_at(i) <= settled || stream.visible_at(i) <= now {
            return Some(i + 1);
        }
    }
    None
}

/// How many events of `lo..end` are visible now.
fn visible_count(stream: &SignInStream, lo: u64, end: u64, now: DateTime<Utc>) -> u64 {
    if lo >= end {
        return 0;
    }
    let settled = now - Duration::seconds(MAX_SIGNIN_DELAY_SECONDS);
    let settled_end = partition(end, |i| stream.created_at(i) <= settled).max(lo);
    settled_end - lo
        + (settled_end..end)
            .filter(|&i| stream.visible_at(i) <= now)
            .count() as u64
}

/// The 403 of a tenant without Entra ID P1/P2 asking for sign-ins.
fn not_premium() -> Refusal {
    Refusal::new(
        StatusCode::FORBIDDEN,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        "Tenant does not have a SKU required for this feature. Sign-in logs need a Microsoft Entra ID P1 or P2 licence.",
    )
}

/// The oldest instant the tenant's logs still hold, when retention is on.
fn retained_from(state: &SimState, premium: bool, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    state
        .options
        .log_retention
        .then(|| now - Duration::days(log_retention_days(premium)))
}

pub fn list_sign_ins(
    state: &SimState,
    req: &HttpRequest,
    tenant_id: &str,
    options: &QueryOptions,
) -> Handled {
    // The licence first: a free tenant gets its 403 whatever it asks.
    {
        let world = state.world.lock().unwrap();
        let tenant = world.tenant(tenant_id).ok_or_else(tenant_gone)?;
        if !tenant.premium {
            return Err(not_premium());
        }
    }
    let top = options
        .page_size(SIGN_IN_PAGE_SIZE, SIGN_IN_PAGE_SIZE)
        .map_err(|m| bad_request(&m))?;
    let wants_count = options.wants_count().map_err(|m| bad_request(&m))?;
    let cursor = match options.skip_token.as_deref() {
        None => None,
        Some(token) => match Cursor::decode(token).map_err(|m| bad_request(&m))? {
            Cursor::SignIns { end, lo } => Some((lo, end)),
            _ => {
                return Err(bad_request(
                    "Invalid $skiptoken: it does not come from a nextLink of this endpoint.",
                ))
            }
        },
    };
    let now = Utc::now();
    let (stream, users, premium) = {
        let world = state.world.lock().unwrap();
        let tenant = world.tenant(tenant_id).ok_or_else(tenant_gone)?;
        (tenant.signins.clone(), tenant.users.clone(), tenant.premium)
    };
    // Events 0..limit have happened; none after now is ever returned.
    let limit = stream.last_index_at(now).map_or(0, |i| i + 1);
    let (lo, end) = match cursor {
        Some((lo, end)) => (lo, end.min(limit)),
        None => sign_in_range(&stream, limit, options.filter.as_deref())
            .map_err(|why| invalid_filter(&why))?,
    };
    // Older events are gone, also from the range of a skip token as time passes.
    let retained =
        retained_from(state, premium, now).map_or(0, |from| stream.first_index_from(from));
    let lo = lo.max(retained);
    let end = end.max(lo);
    let page = capped(state, req, top);
    let mut items = Vec::with_capacity(page.min(SIGN_IN_PAGE_SIZE));
    let mut i = end;
    while i > lo && items.len() < page {
        i -= 1;
        if stream.visible_at(i) <= now {
            items.push(stream.event(i, &users));
        }
    }
    let next = next_visible_end(&stream, lo, i, now)
        .map(|end| next_link(req, top, &Cursor::SignIns { end, lo }));
    let count =
        (wants_count && cursor.is_none()).then(|| visible_count(&stream, lo, end, now) as usize);
    Ok(page_response(SIGN_INS, items, next, count))
}

/// A directory-audit `$filter`, checked against what the endpoint documents.
fn audit_clauses(filter: Option<&str>) -> Result<Vec<Clause>, String> {
    let Some(filter) = filter else {
        return Ok(Vec::new());
    };
    let clauses = filter::parse(filter)?;
    for clause in &clauses {
        match clause {
            Clause::Time { property, .. } if property.eq_ignore_ascii_case("activityDateTime") => {}
            Clause::Time { property, .. } => {
                return Err(format!(
                    "'{property}' cannot be compared with a date; only activityDateTime can."
                ))
            }
            Clause::Text { property, .. } if property.eq_ignore_ascii_case("activityDateTime") => {
                return Err("activityDateTime is compared with an unquoted date (activityDateTime ge 2024-01-01T00:00:00Z).".into())
            }
            Clause::Text { property, .. } => {
                if text_property(property).is_none() {
                    return Err(format!("filtering on '{property}' is not supported."));
                }
            }
            Clause::Any {
                collection,
                property,
                ..
            } => {
                if !collection.eq_ignore_ascii_case("targetResources")
                    || target_property(property).is_none()
                {
                    return Err(format!(
                        "'{collection}/any' on '{property}' is not supported; use targetResources/any(t: t/id eq '…')."
                    ));
                }
            }
        }
    }
    Ok(clauses)
}

/// The JSON pointer of a filterable string property of a directory audit.
fn text_property(property: &str) -> Option<&'static str> {
    const PROPERTIES: [(&str, &str); 13] = [
        ("activityDisplayName", "/activityDisplayName"),
        ("loggedByService", "/loggedByService"),
        ("category", "/category"),
        ("correlationId", "/correlationId"),
        ("id", "/id"),
        ("result", "/result"),
        ("operationType", "/operationType"),
        ("initiatedBy/user/id", "/initiatedBy/user/id"),
        (
            "initiatedBy/user/displayName",
            "/initiatedBy/user/displayName",
        ),
        (
            "initiatedBy/user/userPrincipalName",
            "/initiatedBy/user/userPrincipalName",
        ),
        ("initiatedBy/app/appId", "/initiatedBy/app/appId"),
        (
            "initiatedBy/app/displayName",
            "/initiatedBy/app/displayName",
        ),
        (
            "initiatedBy/app/servicePrincipalId",
            "/initiatedBy/app/servicePrincipalId",
        ),
    ];
    PROPERTIES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(property))
        .map(|(_, pointer)| *pointer)
}

fn target_property(property: &str) -> Option<&'static str> {
    ["id", "displayName", "userPrincipalName"]
        .into_iter()
        .find(|name| name.eq_ignore_ascii_case(property))
}

fn audit_matches(clauses: &[Clause], at: DateTime<Utc>, body: &Value) -> bool {
    let text_holds = |value: Option<&Value>, op: TextOp, wanted: &str| {
        value
            .and_then(Value::as_str)
            .is_some_and(|value| op.holds(value, wanted))
    };
    clauses.iter().all(|clause| match clause {
        Clause::Time { op, at: bound, .. } => op.holds(&shown(at), bound),
        Clause::Text {
            property,
            op,
            value,
        } => text_property(property)
            .is_some_and(|pointer| text_holds(body.pointer(pointer), *op, value)),
        Clause::Any {
            property,
            op,
            value,
            ..
        } => {
            let Some(name) = target_property(property) else {
                return false;
            };
            body["targetResources"].as_array().is_some_and(|targets| {
                targets
                    .iter()
                    .any(|target| text_holds(target.get(name), *op, value))
            })
        }
    })
}

fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

pub fn list_directory_audits(
    state: &SimState,
    req: &HttpRequest,
    tenant_id: &str,
    options: &QueryOptions,
) -> Handled {
    let top = options
        .page_size(
            state.options.graph_default_page_size,
            state.options.graph_max_page_size.max(1),
        )
        .map_err(|m| bad_request(&m))?;
    let wants_count = options.wants_count().map_err(|m| bad_request(&m))?;
    let (filter, after) = match options.skip_token.as_deref() {
        None => (options.filter.clone(), None),
        Some(token) => match Cursor::decode(token).map_err(|m| bad_request(&m))? {
            Cursor::DirectoryAudits {
                at_nanos,
                index,
                filter,
            } => (filter, Some((at_nanos, index))),
            _ => {
                return Err(bad_request(
                    "Invalid $skiptoken: it does not come from a nextLink of this endpoint.",
                ))
            }
        },
    };
    let clauses = audit_clauses(filter.as_deref()).map_err(|why| invalid_filter(&why))?;
    let page = capped(state, req, top);
    let now = Utc::now();
    let world = state.world.lock().unwrap();
    let tenant = world.tenant(tenant_id).ok_or_else(tenant_gone)?;
    let retained = retained_from(state, tenant.premium, now);
    // Newest first by activity time, then by the order written; the key is the keyset.
    let mut keys: Vec<(i64, usize)> = tenant
        .directory_audits
        .iter()
        .enumerate()
        .filter(|(_, record)| {
            record.visible_at <= now
                && retained.is_none_or(|from| record.at >= from)
                && audit_matches(&clauses, record.at, &record.body)
        })
        .map(|(index, record)| (nanos(record.at), index))
        .collect();
    let count = (wants_count && after.is_none()).then_some(keys.len());
    if let Some(after) = after {
        keys.retain(|key| *key < after);
    }
    let more = keys.len() > page;
    if more {
        keys.select_nth_unstable_by_key(page, |key| Reverse(*key));
        keys.truncate(page);
    }
    keys.sort_unstable_by_key(|key| Reverse(*key));
    let items: Vec<Value> = keys
        .iter()
        .map(|&(_, index)| tenant.directory_audits[index].body.clone())
        .collect();
    drop(world);
    let next = match keys.last() {
        Some(&(at_nanos, index)) if more => Some(next_link(
            req,
            top,
            &Cursor::DirectoryAudits {
                at_nanos,
                index,
                filter,
            },
        )),
        _ => None,
    };
    Ok(page_response(DIRECTORY_AUDITS, items, next, count))
}

pub fn get_directory_audit(state: &SimState, tenant_id: &str, id: &str) -> Handled {
    let now = Utc::now();
    let world = state.world.lock().unwrap();
    let tenant = world.tenant(tenant_id).ok_or_else(tenant_gone)?;
    let retained = retained_from(state, tenant.premium, now);
    tenant
        .directory_audits
        .iter()
        .find(|record| {
            record.visible_at <= now
                && retained.is_none_or(|from| record.at >= from)
                && record.body["id"].as_str() == Some(id)
        })
        .map(|record| entity_response(DIRECTORY_AUDITS, &record.body))
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> SignInStream {
        SignInStream {
            seed: 7,
            // A start with a sub-millisecond part, as `Utc::now()` epochs have.
            start: DateTime::parse_from_rfc3339("2024-01-01T00:00:00.000400Z")
                .unwrap()
                .with_timezone(&Utc),
            per_minute: 60,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn filters_become_index_ranges() {
        let stream = stream();
        let limit = 10_000;
        // One event a second; shown times are 00:00:00.000, 00:00:01.000, …
        let range = |f: &str| sign_in_range(&stream, limit, Some(f)).unwrap();
        assert_eq!(
            range("createdDateTime ge 2024-01-01T00:00:10Z and createdDateTime le 2024-01-01T00:00:20Z"),
            (10, 21)
        );
        assert_eq!(
            range("createdDateTime gt 2024-01-01T00:00:10Z and createdDateTime lt 2024-01-01T00:00:20Z"),
            (11, 20)
        );
        assert_eq!(range("createdDateTime eq 2024-01-01T00:00:05Z"), (5, 6));
        assert_eq!(range("createdDateTime eq 2024-01-01T00:00:05.5Z"), (6, 6));
        assert_eq!(range("createdDateTime ge 2023-01-01T00:00:00Z"), (0, limit));
        assert_eq!(
            range("createdDateTime ge 2025-01-01T00:00:00Z"),
            (limit, limit)
        );
        assert_eq!(
            range("createdDateTime ge 2024-01-01T00:00:20Z and createdDateTime le 2024-01-01T00:00:10Z"),
            (20, 20)
        );
        assert!(sign_in_range(&stream, limit, Some("userId eq 'x'")).is_err());
        assert!(sign_in_range(
            &stream,
            limit,
            Some("status/errorCode ge 2024-01-01T00:00:00Z")
        )
        .is_err());
    }

    #[test]
    fn counts_and_visibility_agree() {
        let stream = stream();
        let now = at("2024-01-01T01:00:00Z");
        let limit = stream.last_index_at(now).unwrap() + 1;
        let visible = (0..limit).filter(|&i| stream.visible_at(i) <= now).count() as u64;
        assert!(visible < limit, "some recent events are still in flight");
        assert_eq!(visible_count(&stream, 0, limit, now), visible);
        assert_eq!(visible_count(&stream, 100, 3000, now), 2900);
        let top = next_visible_end(&stream, 0, limit, now).unwrap();
        assert!(stream.visible_at(top - 1) <= now);
        assert!((top..limit).all(|i| stream.visible_at(i) > now));
    }

    #[test]
    fn audit_filters_check_their_properties() {
        assert!(audit_clauses(Some("initiatedBy/user/userPrincipalName eq 'a@b.c' and activityDateTime ge 2024-01-01T00:00:00Z and targetResources/any(t: t/id eq 'x')")).is_ok());
        assert!(audit_clauses(Some(
            "loggedByService eq 'Intune' and activityDisplayName eq 'Add policy'"
        ))
        .is_ok());
        assert!(audit_clauses(Some("activityDateTime ge '2024-01-01T00:00:00Z'")).is_err());
        assert!(audit_clauses(Some("bogus eq 'x'")).is_err());
        assert!(audit_clauses(Some("loggedByService ge 2024-01-01T00:00:00Z")).is_err());
        assert!(audit_clauses(Some("targetResources/any(t: t/bogus eq 'x')")).is_err());
    }
}
