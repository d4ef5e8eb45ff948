//! `GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values`: the
//! subscription's activity log, newest first, with the strict `$filter` the service demands and
//! `nextLink` paging.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use crate::errors::arm_error;
use crate::faults::{FaultKind, Stage};
use crate::state::SimState;

const PAGE_SIZE: usize = 200;
const RETENTION_DAYS: i64 = 90;
const FILTER_HELP: &str = "The $filter is required and allows only: eventTimestamp ge '<ISO 8601>' and eventTimestamp le '<ISO 8601>', optionally followed by one of: and resourceUri eq '…', and resourceGroupName eq '…', and resourceProvider eq '…', and correlationId eq '…'.";

/// The parsed `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub narrowing: Option<(Narrowing, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narrowing {
    ResourceUri,
    ResourceGroupName,
    ResourceProvider,
    CorrelationId,
}

/// Parses the filter strictly: the time window (both ends, quoted) and at most one narrowing.
pub fn parse_filter(text: &str) -> Result<Filter, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let skip_spaces = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    let word = |i: &mut usize| -> String {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_alphabetic() {
            *i += 1;
        }
        chars[start..*i].iter().collect()
    };
    let (mut from, mut to, mut narrowing) = (None, None, None);
    loop {
        skip_spaces(&mut i);
        let field = word(&mut i);
        skip_spaces(&mut i);
        let op = word(&mut i).to_ascii_lowercase();
        skip_spaces(&mut i);
        if chars.get(i) != Some(&'\'') {
            return Err(format!(
                "expected a quoted value after '{field} {op}'. {FILTER_HELP}"
            ));
        }
        i += 1;
        let mut value = String::new();
        loop {
            match chars.get(i) {
                None => return Err(format!("an unterminated quoted value. {FILTER_HELP}")),
                Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                    value.push('\'');
                    i += 2;
                }
                Some('\'') => {
                    i += 1;
                    break;
                }
                Some(&c) => {
                    value.push(c);
                    i += 1;
                }
            }
        }
        let lower = field.to_ascii_lowercase();
        match (lower.as_str(), op.as_str()) {
            ("eventtimestamp", "ge" | "le") => {
                let at = crate::arm::kql::parse_datetime(&value)
                    .ok_or_else(|| format!("'{value}' is not an ISO 8601 timestamp."))?;
                let slot = if op == "ge" { &mut from } else { &mut to };
                if slot.replace(at).is_some() {
                    return Err(format!("eventTimestamp {op} is given twice. {FILTER_HELP}"));
                }
            }
            ("resourceuri" | "resourcegroupname" | "resourceprovider" | "correlationid", "eq") => {
                let kind = match lower.as_str() {
                    "resourceuri" => Narrowing::ResourceUri,
                    "resourcegroupname" => Narrowing::ResourceGroupName,
                    "resourceprovider" => Narrowing::ResourceProvider,
                    _ => Narrowing::CorrelationId,
                };
                if narrowing.replace((kind, value)).is_some() {
                    return Err(format!("only one of resourceUri, resourceGroupName, resourceProvider and correlationId may be given. {FILTER_HELP}"));
                }
            }
            _ => {
                return Err(format!(
                    "'{field} {op}' is not allowed in the filter. {FILTER_HELP}"
                ))
            }
        }
        skip_spaces(&mut i);
        if i >= chars.len() {
            break;
        }
        let joiner = word(&mut i);
        if !joiner.eq_ignore_ascii_case("and") || !chars.get(i).is_some_and(|c| c.is_whitespace()) {
            return Err(format!("clauses must be joined with 'and'. {FILTER_HELP}"));
        }
    }
    match (from, to) {
        (Some(from), Some(to)) => Ok(Filter {
            from,
            to,
            narrowing,
        }),
        _ => Err(format!(
            "both eventTimestamp ge and eventTimestamp le are required. {FILTER_HELP}"
        )),
    }
}

impl Filter {
    fn matches(&self, record_at: DateTime<Utc>, event: &Value) -> bool {
        if record_at < self.from || record_at > self.to {
            return false;
        }
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        match &self.narrowing {
            None => true,
            Some((Narrowing::ResourceUri, value)) => {
                text(&event["resourceId"]).eq_ignore_ascii_case(value)
            }
            Some((Narrowing::ResourceGroupName, value)) => {
                text(&event["resourceGroupName"]).eq_ignore_ascii_case(value)
            }
            Some((Narrowing::ResourceProvider, value)) => {
                text(&event["resourceProviderName"]["value"]).eq_ignore_ascii_case(value)
            }
            Some((Narrowing::CorrelationId, value)) => {
                text(&event["correlationId"]).eq_ignore_ascii_case(value)
            }
        }
    }
}

/// Where the next page starts: the last event served (time, id).
#[derive(serde::Serialize, serde::Deserialize)]
struct SkipToken {
    t: i64,
    e: String,
}

fn bad_request(message: &str) -> HttpResponse {
    arm_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

pub fn list(
    req: &HttpRequest,
    state: &SimState,
    subscription_id: &str,
    params: &[(String, String)],
) -> HttpResponse {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let Some(filter_text) = param("$filter") else {
        return bad_request(&format!(
            "The $filter query parameter is missing. {FILTER_HELP}"
        ));
    };
    let filter = match parse_filter(filter_text) {
        Ok(filter) => filter,
        Err(why) => return bad_request(&format!("The $filter query parameter is invalid: {why}")),
    };
    let select: Option<Vec<String>> = param("$select").map(|s| {
        s.split(',')
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect()
    });
    let after = match param("$skipToken") {
        None => None,
        Some(text) => match base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<SkipToken>(&bytes).ok())
        {
            Some(token) => Some(token),
            None => return bad_request("The $skipToken query parameter is invalid."),
        },
    };
    let now = Utc::now();
    let oldest = now - Duration::days(RETENTION_DAYS);
    let mut events: Vec<(i64, String, Value)> = {
        let world = state.world.lock().unwrap();
        let Some(tenant) = world.tenants.iter().find(|t| {
            t.subscriptions
                .iter()
                .any(|s| s.id.eq_ignore_ascii_case(subscription_id))
        }) else {
            return arm_error(
                StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                &format!("The subscription '{subscription_id}' could not be found."),
            );
        };
        tenant
            .activity_log
            .iter()
            .filter(|record| record.visible_at <= now && record.at >= oldest)
            .filter(|record| {
                record.body["subscriptionId"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(subscription_id))
            })
            .filter(|record| filter.matches(record.at, &record.body))
            .map(|record| {
                (
                    record.at.timestamp_micros(),
                    record.body["eventDataId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    record.body.clone(),
                )
            })
            .collect()
    };
    // Newest first; the event id breaks ties so that paging has a total order.
    events.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    if let Some(token) = &after {
        events.retain(|(t, e, _)| (*t, e) < (token.t, &token.e));
    }
    let mut page_size = PAGE_SIZE;
    if let Some(FaultKind::PageCap { max }) = state.faults.take(req.path(), Stage::Paging) {
        page_size = page_size.min(max.max(1));
    }
    let more = events.len() > page_size;
    events.truncate(page_size);
    let next_link = more.then(|| {
        let (t, e, _) = events.last().expect("a full page");
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&SkipToken { t: *t, e: e.clone() }).expect("a token serializes"),
        );
        let mut link = format!(
            "{}/subscriptions/{}/providers/Microsoft.Insights/eventtypes/management/values?api-version={}&$filter={}",
            crate::auth::base_url(req),
            subscription_id,
            param("api-version").unwrap_or(super::ACTIVITY_LOG_API_VERSIONS[0]),
            super::encode_component(filter_text)
        );
        if let Some(select) = param("$select") {
            link.push_str(&format!("&$select={}", super::encode_component(select)));
        }
        link.push_str(&format!("&$skipToken={}", super::encode_component(&token)));
        link
    });
    let value: Vec<Value> = events
        .into_iter()
        .map(|(_, _, event)| match &select {
            None => event,
            Some(fields) => {
                let object = event.as_object().cloned().unwrap_or_default();
                Value::Object(
                    object
                        .into_iter()
                        .filter(|(k, _)| fields.iter().any(|f| f.eq_ignore_ascii_case(k)))
                        .collect::<Map<String, Value>>(),
                )
            }
        })
        .collect();
    let mut body = json!({ "value": value });
    if let Some(link) = next_link {
        body["nextLink"] = json!(link);
    }
    super::ok_json(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_patterns() {
        let filter = parse_filter("eventTimestamp ge '2014-07-16T04:36:37.6407898Z' and eventTimestamp le '2014-07-20T04:36:37.6407898Z'").unwrap();
        assert_eq!(filter.narrowing, None);
        assert!(filter.from < filter.to);
        let filter = parse_filter("eventTimestamp ge '2014-07-16T04:36:37Z'  and\neventTimestamp le '2014-07-20T04:36:37Z' and resourceGroupName eq 'rg-app-01'").unwrap();
        assert_eq!(
            filter.narrowing,
            Some((Narrowing::ResourceGroupName, "rg-app-01".into()))
        );
        for narrowing in ["resourceUri", "resourceProvider", "correlationId"] {
            assert!(parse_filter(&format!("eventTimestamp ge '2014-07-16T04:36:37Z' and eventTimestamp le '2014-07-20T04:36:37Z' and {narrowing} eq 'x'")).is_ok());
        }
    }

    #[test]
    fn refuses_everything_else() {
        for filter in [
            "",
            "eventTimestamp ge '2014-07-16T04:36:37Z'",
            "eventTimestamp ge 2014-07-16T04:36:37Z and eventTimestamp le 2014-07-20T04:36:37Z",
            "eventTimestamp gt '2014-07-16T04:36:37Z' and eventTimestamp le '2014-07-20T04:36:37Z'",
            "eventTimestamp ge '2014-07-16T04:36:37Z' or eventTimestamp le '2014-07-20T04:36:37Z'",
            "eventTimestamp ge 'yesterday' and eventTimestamp le '2014-07-20T04:36:37Z'",
            "eventTimestamp ge '2014-07-16T04:36:37Z' and eventTimestamp le '2014-07-20T04:36:37Z' and caller eq 'x'",
            "eventTimestamp ge '2014-07-16T04:36:37Z' and eventTimestamp le '2014-07-20T04:36:37Z' and resourceUri eq 'x' and correlationId eq 'y'",
            "eventTimestamp ge '2014-07-16T04:36:37Z' and eventTimestamp le '2014-07-20T04:36:37Z' and",
            "eventTimestamp ge '2014-07-16T04:36:37Z' and eventTimestamp le '2014-07-20T04:36:37Z' and resourceUri eq 'x",
        ] {
            assert!(parse_filter(filter).is_err(), "{filter}");
        }
    }
}
