//! `/api/v1/tenants/{tenant_id}/notifications`: the delivery log of notifications, and test
//! messages to a channel.

use std::time::Instant;

use actix_web::{get, post, web};
use drift_core::notifications::{
    self, Delivery, DeliveryFilter, DeliveryStatus, TestNotificationRequest,
};
use drift_core::pagination::Page;
use drift_core::settings::schema::ChannelKind;
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::{JsonBody, ListQuery, PageParams, TenantScope};
use crate::problem::ApiResult;
use crate::responses::{ActionErrors, ListErrors};
use crate::state::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_deliveries).service(send_test_notification);
}

/// List the notifications sent to the tenant's channels (and those given up on), newest first.
///
/// The log holds no channel URLs or credentials; errors name the receiver by scheme and host.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = ["settings:read"])),
    params(("tenant_id" = i64, Path, description = "Tenant id"), DeliveryFilter, PageParams),
    responses((status = 200, description = "A page of deliveries", body = Page<Delivery>), ListErrors)
)]
#[get("/tenants/{tenant_id}/notifications/deliveries")]
async fn list_deliveries(
    state: web::Data<AppState>,
    scope: TenantScope,
    query: ListQuery<DeliveryFilter>,
) -> ApiResult<web::Json<Page<Delivery>>> {
    if query.sort.is_some() {
        return Err(drift_core::CoreError::invalid(
            "sort",
            "unknown_sort",
            "the delivery log is always newest first",
        )
        .into());
    }
    Ok(web::Json(
        state
            .db(move |conn| {
                notifications::list_filtered(conn, scope.tenant_id, &query.filter, &query.page)
            })
            .await?,
    ))
}

/// How a test notification ended. A receiver that refuses or cannot be reached is an answer
/// here (`delivered: false`), not an error of this API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestNotificationResult {
    /// The channel's name, as saved or as defined.
    pub channel: String,
    pub kind: ChannelKind,
    /// Whether the receiver accepted the message.
    pub delivered: bool,
    /// The receiver's HTTP status (webhook, Teams, Slack) or SMTP reply code (e-mail), if it
    /// answered.
    #[schema(example = 200)]
    pub response_status: Option<i32>,
    /// Why the message was not delivered, free of secrets.
    pub error: Option<String>,
    /// How long sending took, in milliseconds.
    pub duration_ms: u64,
    /// The entry in the delivery log.
    pub delivery_id: Option<i64>,
}

/// Send a test notification to a saved channel, or to a channel definition before it is saved.
///
/// The message is a sample change marked as a test, sent whatever the channel's `enabled` and
/// `min_severity`, once (no retries), and recorded in the delivery log. An unknown channel name
/// is 404; an invalid definition 422.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = ["settings:write"])),
    params(("tenant_id" = i64, Path, description = "Tenant id")),
    request_body = TestNotificationRequest,
    responses((status = 200, description = "What the receiver answered", body = TestNotificationResult), ActionErrors)
)]
#[post("/tenants/{tenant_id}/notifications/test")]
async fn send_test_notification(
    state: web::Data<AppState>,
    scope: TenantScope,
    body: JsonBody<TestNotificationRequest>,
) -> ApiResult<web::Json<TestNotificationResult>> {
    let (tenant, channel) = state
        .db(move |conn| {
            let tenant = drift_core::tenants::get(conn, scope.tenant_id)?;
            let settings = drift_core::settings::current(conn, scope.tenant_id)?;
            let channel = notifications::test_channel(&settings.notification_settings, &body.0)?;
            Ok((tenant, channel))
        })
        .await?;
    let tenant = drift_notify::TenantRef {
        id: tenant.id,
        name: tenant.name,
    };
    let started = Instant::now();
    let outcome = state
        .notifier
        .send_test(&state.pool, &tenant, &channel)
        .await;
    Ok(web::Json(TestNotificationResult {
        channel: outcome.channel,
        kind: outcome.kind,
        delivered: outcome.status == DeliveryStatus::Delivered,
        response_status: outcome.response_status,
        error: outcome.error,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        delivery_id: outcome.delivery_id,
    }))
}
