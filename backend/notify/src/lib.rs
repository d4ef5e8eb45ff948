//! Announces configuration drift to a tenant's notification channels: generic webhooks
//! (signed JSON), Microsoft Teams and Slack incoming webhooks, and e-mail over SMTP; with
//! severity filtering, digests, retries and a delivery log.
//!
//! The worker drains the notification outbox ([`outbox::drain`]) after each poll and when it
//! starts: every recorded change is announced once to each channel that should get it, even
//! across crashes and failing receivers. [`Notifier::notify`] sends a given list of changes; the
//! API calls [`Notifier::send_test`] to check one channel.
//!
//! # What is sent when
//!
//! * A channel gets the changes at or above its `min_severity`, or the settings' `min_severity`
//!   when the channel has none. Disabled channels get nothing.
//! * **Digest.** When digests are enabled and a channel's qualifying changes in this call, plus
//!   the changes already delivered to it within the last `digest.window_minutes`, number at
//!   least `digest.threshold`, the channel gets one digest (counts by severity, source and
//!   change type, and the [`Notifier::with_digest_top`] most severe changes) instead of one
//!   message per change. So the window is a sliding window in which the threshold is counted:
//!   a burst spread over several polls switches to digests as well, and stays there while the
//!   burst lasts. Nothing is held back: every call sends what it has at once.
//! * Each message is retried on transient failures (see [`RetryPolicy`]) and recorded in the
//!   delivery log (`drift_core::notifications`), which never holds URLs or credentials.
//!
//! # Webhook signature
//!
//! A webhook message is a POST of the JSON [`payload::WebhookBody`] with the headers
//! `X-Drift-Delivery` (the body's `delivery_id`), `X-Drift-Timestamp` (Unix seconds of the
//! body's `sent_at`) and, when the channel has a `secret`,
//! `X-Drift-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`.
//! Since the id and time are inside the signed body, a receiver that checks the signature,
//! refuses old `sent_at` values and remembers recent delivery ids is safe from replays.

pub mod email;
pub mod outbox;
pub mod payload;
pub mod redact;
pub mod retry;

use std::sync::Arc;
use std::time::Duration;

use drift_core::db::DbPool;
use drift_core::notifications::{self, DeliveryStatus, NewDelivery};
use drift_core::settings::schema::{ChannelKind, NotificationChannel, NotificationSettings};
use drift_core::types::{ChangeType, Severity, Source};
use drift_core::UtcTime;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub use email::{SmtpConfigError, SmtpSettings};
pub use payload::{DigestSummary, MessageKind, WebhookBody, WEBHOOK_SCHEMA};
pub use retry::RetryPolicy;

use payload::Message;
use redact::{redact_url, scrub};
use retry::{with_retries, Attempt, Finished};

/// The tenant whose changes are announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRef {
    pub id: i64,
    pub name: String,
}

/// One recorded change to announce: what the worker wrote to `configuration_history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeNotice {
    pub history_id: i64,
    pub configuration_id: i64,
    pub source: Source,
    pub resource_type: String,
    pub resource_name: String,
    pub resource_id: String,
    pub change_type: ChangeType,
    pub severity: Severity,
    /// The UPN or application that made the change; `unknown` when none was found.
    pub changed_by: String,
    pub changed_at: UtcTime,
    /// JSON Pointers of the changed paths.
    pub changed_paths: Vec<String>,
}

/// The current time; a field so that tests can fix it.
pub type Clock = Arc<dyn Fn() -> UtcTime + Send + Sync>;

/// How one message to one channel ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub channel: String,
    pub kind: ChannelKind,
    pub digest: bool,
    /// The history ids the message announced (empty for a test message).
    pub history_ids: Vec<i64>,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// The last HTTP status, or SMTP reply code.
    pub response_status: Option<i32>,
    /// The last failure, free of secrets.
    pub error: Option<String>,
    /// The delivery log row; `None` if it could not be written (the failure is logged).
    pub delivery_id: Option<i64>,
}

/// What one call of [`Notifier::notify`] did: one outcome per message, in channel order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub fn delivered(&self) -> usize {
        self.count(DeliveryStatus::Delivered)
    }

    pub fn failed(&self) -> usize {
        self.count(DeliveryStatus::Failed)
    }

    fn count(&self, status: DeliveryStatus) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }
}

/// Sends notifications. Cheap to share behind an `Arc`; holds no per-tenant state (the digest
/// window is counted from the delivery log).
pub struct Notifier {
    http: reqwest::Client,
    smtp: Option<SmtpSettings>,
    clock: Clock,
    retry: RetryPolicy,
    digest_top: usize,
}

/// The HTTP client the notifier should be given: no redirects (a webhook that redirects would
/// send the body, and with it the signature, to another address, and POST would become GET),
/// and a user agent that names the product. Per-attempt timeouts come from the [`RetryPolicy`].
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("azure-drift-detector/", env!("CARGO_PKG_VERSION")))
        .build()
}

impl Notifier {
    /// A notifier with the default [`RetryPolicy`] and digests listing the 10 most severe
    /// changes. `smtp` is `None` when e-mail is not configured: e-mail channels then fail (and
    /// are recorded as failed) without an attempt.
    pub fn new(http: reqwest::Client, smtp: Option<SmtpSettings>, clock: Clock) -> Self {
        Self {
            http,
            smtp,
            clock,
            retry: RetryPolicy::default(),
            digest_top: 10,
        }
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How many changes a digest lists (at least 1).
    pub fn with_digest_top(mut self, top: usize) -> Self {
        self.digest_top = top.max(1);
        self
    }

    /// Announces `changes` of `tenant` to every enabled channel of `settings` (see the crate
    /// documentation for the rules). Channels are served one after the other; a failing
    /// channel does not stop the others.
    pub async fn notify(
        &self,
        pool: &DbPool,
        tenant: &TenantRef,
        settings: &NotificationSettings,
        changes: &[ChangeNotice],
    ) -> Report {
        let mut report = Report::default();
        for channel in settings.channels.iter().filter(|c| c.enabled) {
            let min = channel.min_severity.unwrap_or(settings.min_severity);
            let qualifying: Vec<&ChangeNotice> =
                changes.iter().filter(|c| c.severity >= min).collect();
            if qualifying.is_empty() {
                continue;
            }
            let digest = settings.digest.enabled && {
                let window = chrono::TimeDelta::minutes(i64::from(settings.digest.window_minutes));
                let since = UtcTime::new((self.clock)().get() - window);
                let earlier = self
                    .delivered_since(pool, tenant.id, &channel.name, since)
                    .await;
                qualifying.len() + earlier >= settings.digest.threshold as usize
            };
            if digest {
                let ids = qualifying.iter().map(|c| c.history_id).collect();
                let message = Message::digest(
                    new_delivery_id(),
                    (self.clock)(),
                    tenant,
                    &channel.name,
                    &qualifying,
                    self.digest_top,
                );
                report
                    .outcomes
                    .push(self.deliver(pool, tenant, channel, &message, ids).await);
            } else {
                for change in qualifying {
                    let message = Message {
                        kind: MessageKind::Change,
                        delivery_id: new_delivery_id(),
                        sent_at: (self.clock)(),
                        tenant,
                        channel: &channel.name,
                        changes: vec![change],
                        digest: None,
                    };
                    report.outcomes.push(
                        self.deliver(pool, tenant, channel, &message, vec![change.history_id])
                            .await,
                    );
                }
            }
        }
        report
    }

    /// Sends one sample change (marked as a test) to `channel`, whatever its `enabled` and
    /// `min_severity`, and records the delivery (with no history ids).
    pub async fn send_test(
        &self,
        pool: &DbPool,
        tenant: &TenantRef,
        channel: &NotificationChannel,
    ) -> Outcome {
        let sample = sample_change((self.clock)());
        let message = Message {
            kind: MessageKind::Test,
            delivery_id: new_delivery_id(),
            sent_at: (self.clock)(),
            tenant,
            channel: &channel.name,
            changes: vec![&sample],
            digest: None,
        };
        self.deliver(pool, tenant, channel, &message, Vec::new())
            .await
    }

    async fn delivered_since(
        &self,
        pool: &DbPool,
        tenant_id: i64,
        channel: &str,
        since: UtcTime,
    ) -> usize {
        let pool = pool.clone();
        let channel = channel.to_owned();
        let counted = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            notifications::changes_delivered_since(&mut conn, tenant_id, &channel, since)
        })
        .await;
        match counted {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                log::warn!("cannot count recent notifications of tenant {tenant_id}: {e}");
                0
            }
            Err(e) => {
                log::warn!("cannot count recent notifications of tenant {tenant_id}: {e}");
                0
            }
        }
    }

    async fn deliver(
        &self,
        pool: &DbPool,
        tenant: &TenantRef,
        channel: &NotificationChannel,
        message: &Message<'_>,
        history_ids: Vec<i64>,
    ) -> Outcome {
        let created_at = message.sent_at;
        let finished = match channel.kind {
            ChannelKind::Webhook | ChannelKind::Teams | ChannelKind::Slack => {
                self.deliver_http(channel, message).await
            }
            ChannelKind::Email => self.deliver_email(channel, message).await,
        };
        let status = if finished.delivered {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Failed
        };
        let delivered_at = finished.delivered.then(|| (self.clock)());
        match &finished.error {
            Some(error) if !finished.delivered => log::warn!(
                "notification {} of tenant {} to channel {:?} ({}) failed after {} attempt(s): {error}",
                message.delivery_id, tenant.id, channel.name, channel.kind, finished.attempts
            ),
            _ => log::info!(
                "notification {} of tenant {} delivered to channel {:?} ({})",
                message.delivery_id,
                tenant.id,
                channel.name,
                channel.kind
            ),
        }
        let attempts = i32::try_from(finished.attempts).unwrap_or(i32::MAX);
        let record = {
            let pool = pool.clone();
            let tenant_id = tenant.id;
            let name = channel.name.clone();
            let kind = channel.kind;
            let ids = history_ids.clone();
            let digest = message.digest.is_some();
            let error = finished.error.clone();
            let response_status = finished.status;
            tokio::task::spawn_blocking(move || {
                let mut conn = pool.get()?;
                notifications::record(
                    &mut conn,
                    &NewDelivery {
                        tenant_id,
                        channel_name: &name,
                        channel_kind: kind,
                        history_ids: &ids,
                        digest,
                        status,
                        attempts,
                        last_error: error,
                        response_status,
                        created_at,
                        delivered_at,
                    },
                )
            })
            .await
        };
        let delivery_id = match record {
            Ok(Ok(id)) => Some(id),
            Ok(Err(e)) => {
                log::error!("cannot record notification {}: {e}", message.delivery_id);
                None
            }
            Err(e) => {
                log::error!("cannot record notification {}: {e}", message.delivery_id);
                None
            }
        };
        Outcome {
            channel: channel.name.clone(),
            kind: channel.kind,
            digest: message.digest.is_some(),
            history_ids,
            status,
            attempts: finished.attempts,
            response_status: finished.status,
            error: finished.error,
            delivery_id,
        }
    }

    async fn deliver_http(&self, channel: &NotificationChannel, message: &Message<'_>) -> Finished {
        let Some(url) = channel.url.as_deref() else {
            return not_attempted(format!("{} channel has no url", channel.kind));
        };
        let body = match channel.kind {
            ChannelKind::Teams => message.teams_body(),
            ChannelKind::Slack => message.slack_body(),
            _ => message.webhook_body(),
        };
        let mut headers = Vec::new();
        if channel.kind == ChannelKind::Webhook {
            headers.push(("X-Drift-Delivery", message.delivery_id.clone()));
            headers.push((
                "X-Drift-Timestamp",
                message.sent_at.get().timestamp().to_string(),
            ));
            if let Some(secret) = channel.secret.as_deref() {
                headers.push(("X-Drift-Signature", signature(secret, &body)));
            }
        }
        let (body, headers) = (&body, &headers);
        with_retries(&self.retry, || self.post(url, body, headers)).await
    }

    async fn post(&self, url: &str, body: &[u8], headers: &[(&'static str, String)]) -> Attempt {
        let target = redact_url(url);
        let mut request = self
            .http
            .post(url)
            .timeout(self.retry.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                // A request reqwest cannot build (a bad URL) fails the same way every time;
                // connection errors and timeouts may pass.
                let permanent = e.is_builder();
                let error = scrub(&format!("{target}: {}", describe(e.without_url())), url);
                return if permanent {
                    Attempt::Permanent {
                        status: None,
                        error,
                    }
                } else {
                    Attempt::Transient {
                        status: None,
                        error,
                        retry_after: None,
                    }
                };
            }
        };
        let status = response.status();
        let code = Some(i32::from(status.as_u16()));
        if status.is_success() {
            return Attempt::Delivered { status: code };
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, (self.clock)()));
        let text = response.text().await.unwrap_or_default();
        let excerpt: String = text.chars().take(200).collect();
        let error = scrub(
            &format!("{target} answered {status}: {}", excerpt.trim()),
            url,
        );
        if status.as_u16() == 429 || status.as_u16() == 408 || status.is_server_error() {
            Attempt::Transient {
                status: code,
                error,
                retry_after,
            }
        } else {
            Attempt::Permanent {
                status: code,
                error,
            }
        }
    }

    async fn deliver_email(
        &self,
        channel: &NotificationChannel,
        message: &Message<'_>,
    ) -> Finished {
        let Some(smtp) = &self.smtp else {
            return not_attempted(
                "e-mail is not configured (set DRIFT_SMTP_URL and DRIFT_SMTP_FROM)".into(),
            );
        };
        let transport = match smtp.transport(&self.retry) {
            Ok(transport) => transport,
            Err(e) => return not_attempted(e.to_string()),
        };
        let mail = email::Mail {
            recipients: &channel.recipients,
            subject: format!("[Drift] {}", message.title()),
            body: message.email_text(),
            delivery_id: &message.delivery_id,
        };
        let (transport, mail) = (&transport, &mail);
        with_retries(&self.retry, || email::send(transport, smtp, mail)).await
    }
}

/// A delivery that could not even be tried (missing configuration).
fn not_attempted(error: String) -> Finished {
    Finished {
        delivered: false,
        attempts: 0,
        status: None,
        error: Some(error),
    }
}

/// An error and its sources, one after the other.
fn describe(error: reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 section 10.2.3).
fn parse_retry_after(value: &str, now: UtcTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now.get())
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// `sha256=` and the lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + digest.len() * 2);
    hex.push_str("sha256=");
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

fn new_delivery_id() -> String {
    format!("{:032x}", rand::thread_rng().gen::<u128>())
}

/// The change a test message shows.
pub fn sample_change(now: UtcTime) -> ChangeNotice {
    ChangeNotice {
        history_id: 0,
        configuration_id: 0,
        source: Source::Entra,
        resource_type: "microsoft.graph.conditionalAccessPolicy".into(),
        resource_name: "Sample: Require MFA for administrators".into(),
        resource_id: "00000000-0000-0000-0000-000000000000".into(),
        change_type: ChangeType::Updated,
        severity: Severity::High,
        changed_by: "Azure Drift Detector (test notification)".into(),
        changed_at: now,
        changed_paths: vec!["/state".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = UtcTime::new("2026-11-29T08:00:00Z".parse().unwrap());
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 29 Nov 2026 08:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
