//! The notification delivery log: one row per message sent (or given up on) to a channel.
//!
//! The notifier (crate `drift-notify`) writes it; the API lists it. Rows never hold secrets:
//! no channel URL, no SMTP credentials, and errors with URLs reduced to scheme and host (the
//! notifier redacts before it records).

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::notification_deliveries as deliveries;
use crate::db::DbConnection;
use crate::error::{CoreError, CoreResult};
use crate::pagination::{Page, PageRequest};
use crate::settings::schema::ChannelKind;
use crate::types::text_enum;
use crate::{keyset, Json, UtcTime};

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

/// The tenant's deliveries, newest first.
pub fn list(
    conn: &mut DbConnection,
    tenant_id: i64,
    page: &PageRequest,
) -> CoreResult<Page<Delivery>> {
    const SORT: &str = "-created_at";
    let limit = page.limit()?;
    let query = deliveries::table
        .filter(deliveries::tenant_id.eq(tenant_id))
        .into_boxed();
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
