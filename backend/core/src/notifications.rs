//! The notification delivery log: one row per message sent (or given up on) to a channel.
//!
//! The notifier (crate `drift-notify`) writes it; the API lists it. Rows never hold secrets:
//! no channel URL, no SMTP credentials, and errors with URLs reduced to scheme and host (the
//! notifier redacts before it records).

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::notification_deliveries as deliveries;
use crate::db::DbConnection;
use crate::error::{CoreError, CoreResult};
use crate::pagination::{Page, PageRequest};
use crate::settings::schema::{
    is_masked_url, ChannelKind, NotificationChannel, NotificationSettings,
};
use crate::types::text_enum;
use crate::{keyset, Json, UtcTime};
use validator::Validate;

text_enum! {
    /// How a delivery ended.
    pub enum DeliveryStatus {
        /// The receiver accepted the message.
        Delivered => "delivered",
        /// Every attempt failed, or the receiver refused the message for good.
        Failed => "failed",
    }
}

/// A delivery to record.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub tenant_id: i64,
    pub channel_name: &'a str,
    pub channel_kind: ChannelKind,
    /// The `configuration_history` ids the message announced (empty for a test message).
    pub history_ids: &'a [i64],
    pub digest: bool,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The last failure, already free of secrets.
    pub last_error: Option<String>,
    /// The HTTP status of the last response (webhook, Teams, Slack) or the SMTP reply code.
    pub response_status: Option<i32>,
    pub created_at: UtcTime,
    pub delivered_at: Option<UtcTime>,
}

/// One recorded delivery.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub tenant_id: i64,
    pub channel_name: String,
    pub channel_kind: ChannelKind,
    /// The `configuration_history` ids announced (empty for a test message).
    pub history_ids: Vec<i64>,
    /// Whether this was a digest of many changes rather than a message about one.
    pub digest: bool,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub response_status: Option<i32>,
    pub created_at: UtcTime,
    pub delivered_at: Option<UtcTime>,
}

type DeliveryRow = (
    i64,
    i64,
    String,
    ChannelKind,
    Json,
    bool,
    DeliveryStatus,
    i32,
    Option<String>,
    Option<i32>,
    UtcTime,
    Option<UtcTime>,
);

fn from_row(row: DeliveryRow) -> CoreResult<Delivery> {
    let (
        id,
        tenant_id,
        channel_name,
        channel_kind,
        ids,
        digest,
        status,
        attempts,
        last_error,
        response_status,
        created_at,
        delivered_at,
    ) = row;
    let corrupt = |what: &str, e: String| {
        CoreError::CorruptData(format!("notification delivery {id} {what}: {e}"))
    };
    Ok(Delivery {
        id,
        tenant_id,
        channel_name,
        channel_kind,
        history_ids: serde_json::from_value(ids.0)
            .map_err(|e| corrupt("history_ids", e.to_string()))?,
        digest,
        status,
        attempts,
        last_error,
        response_status,
        created_at,
        delivered_at,
    })
}

/// Records a delivery and returns its id.
pub fn record(conn: &mut DbConnection, delivery: &NewDelivery<'_>) -> CoreResult<i64> {
    Ok(diesel::insert_into(deliveries::table)
        .values((
            deliveries::tenant_id.eq(delivery.tenant_id),
            deliveries::channel_name.eq(delivery.channel_name),
            deliveries::channel_kind.eq(delivery.channel_kind),
            deliveries::history_ids.eq(Json(serde_json::json!(delivery.history_ids))),
            deliveries::digest.eq(delivery.digest),
            deliveries::status.eq(delivery.status),
            deliveries::attempts.eq(delivery.attempts),
            deliveries::last_error.eq(&delivery.last_error),
            deliveries::response_status.eq(delivery.response_status),
            deliveries::created_at.eq(delivery.created_at),
            deliveries::delivered_at.eq(delivery.delivered_at),
        ))
        .returning(deliveries::id)
        .get_result(conn)?)
}

/// Filters of the delivery log.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    /// Only deliveries to the channel of this name (exactly as configured).
    #[param(example = "SecOps Teams")]
    pub channel: Option<String>,
    /// Only deliveries that ended so.
    pub status: Option<DeliveryStatus>,
    /// Only deliveries made at or after this instant.
    pub since: Option<UtcTime>,
}

/// The tenant's deliveries, newest first.
pub fn list(
    conn: &mut DbConnection,
    tenant_id: i64,
    page: &PageRequest,
) -> CoreResult<Page<Delivery>> {
    list_filtered(conn, tenant_id, &DeliveryFilter::default(), page)
}

/// The tenant's deliveries that pass `filter`, newest first.
pub fn list_filtered(
    conn: &mut DbConnection,
    tenant_id: i64,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> CoreResult<Page<Delivery>> {
    const SORT: &str = "-created_at";
    let limit = page.limit()?;
    let mut query = deliveries::table
        .filter(deliveries::tenant_id.eq(tenant_id))
        .into_boxed();
    if let Some(channel) = &filter.channel {
        query = query.filter(deliveries::channel_name.eq(channel.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(deliveries::status.eq(status));
    }
    if let Some(since) = filter.since {
        query = query.filter(deliveries::created_at.ge(since));
    }
    let query = keyset!(
        query,
        deliveries::created_at,
        deliveries::id,
        true,
        page.after::<UtcTime>(SORT)?
    );
    let rows: Vec<DeliveryRow> = query.limit(limit + 1).load(conn)?;
    let items = rows
        .into_iter()
        .map(from_row)
        .collect::<CoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, limit, SORT, |d| {
        (serde_json::json!(d.created_at), d.id)
    }))
}

/// How many changes were delivered to the tenant's channel (by name, exactly as configured) at
/// or after `since`, singly or in digests. The notifier counts them against the digest threshold.
pub fn changes_delivered_since(
    conn: &mut DbConnection,
    tenant_id: i64,
    channel_name: &str,
    since: UtcTime,
) -> CoreResult<usize> {
    let lists: Vec<Json> = deliveries::table
        .filter(deliveries::tenant_id.eq(tenant_id))
        .filter(deliveries::channel_name.eq(channel_name))
        .filter(deliveries::status.eq(DeliveryStatus::Delivered))
        .filter(deliveries::created_at.ge(since))
        .select(deliveries::history_ids)
        .load(conn)?;
    Ok(lists
        .iter()
        .map(|ids| ids.0.as_array().map_or(0, Vec::len))
        .sum())
}

// ---- test messages ----------------------------------------------------------------------------

/// What to send a test notification to: a saved channel, or a definition not saved yet (so a
/// settings form can be tried before it is saved). Exactly one of the two.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "SecOps Teams"}))]
pub struct TestNotificationRequest {
    /// The name of a saved channel (case-insensitive).
    #[serde(default)]
    pub channel: Option<String>,
    /// A channel as the settings would hold it. A webhook `secret` it omits, and a `url` it
    /// omits or sends back masked (as settings responses show it), are taken from the saved
    /// channel of the same name and kind.
    #[serde(default)]
    pub definition: Option<NotificationChannel>,
}

/// The channel a test message goes to, from the request and the saved `settings` (with their
/// secrets): a saved channel by name (404 when there is none), or the definition completed
/// from the saved channel of the same name and then validated like a saved one (422).
pub fn test_channel(
    settings: &NotificationSettings,
    request: &TestNotificationRequest,
) -> CoreResult<NotificationChannel> {
    let saved = |name: &str| {
        settings
            .channels
            .iter()
            .find(|c| c.name.to_lowercase() == name.to_lowercase())
    };
    match (&request.channel, &request.definition) {
        (Some(name), None) => saved(name)
            .cloned()
            .ok_or_else(|| CoreError::not_found("notification channel", name)),
        (None, Some(definition)) => {
            let mut channel = definition.clone();
            let same = saved(&channel.name).filter(|c| c.kind == channel.kind);
            if channel.url.as_deref().is_none_or(is_masked_url) {
                match same.and_then(|c| c.url.clone()) {
                    Some(url) => channel.url = Some(url),
                    None if channel.url.is_some() => {
                        return Err(CoreError::invalid(
                            "definition.url",
                            "masked",
                            "a masked url stands only for the url of the saved channel of the \
                             same name and kind; send the whole url",
                        ))
                    }
                    None => {}
                }
            }
            if channel.secret.is_none() && channel.kind == ChannelKind::Webhook {
                channel.secret = same.and_then(|c| c.secret.clone());
            }
            channel
                .validate()
                .map_err(|errors| match CoreError::from(errors) {
                    CoreError::Invalid(fields) => CoreError::Invalid(
                        fields
                            .into_iter()
                            .map(|mut f| {
                                f.field = if f.field.is_empty() {
                                    "definition".into()
                                } else {
                                    format!("definition.{}", f.field)
                                };
                                f
                            })
                            .collect(),
                    ),
                    other => other,
                })?;
            Ok(channel)
        }
        _ => Err(CoreError::invalid(
            "channel",
            "one_of",
            "give either the name of a saved channel (channel) or a channel definition \
             (definition), not both",
        )),
    }
}
