//! What each kind of channel receives.
//!
//! One [`Message`] (a single change, a digest, or a test) is rendered per channel kind:
//!
//! * **webhook**: the JSON document [`WebhookBody`] (`schema: "drift.notification.v1"`).
//! * **teams**: a Teams message with one Adaptive Card 1.4 attachment, the shape the Teams
//!   Workflows "post to a channel when a webhook request is received" flow and the older
//!   incoming-webhook connector both accept
//!   (<https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using>).
//! * **slack**: Block Kit blocks plus `text`, which Slack shows in notifications and where
//!   blocks cannot be rendered (<https://api.slack.com/messaging/webhooks>).
//! * **email**: a subject and a plain-text body.

use std::collections::BTreeMap;

use drift_core::types::{ChangeType, Severity, Source};
use drift_core::UtcTime;
use serde::Serialize;
use serde_json::json;

use crate::{ChangeNotice, TenantRef};

/// The version tag of the webhook body; a breaking change of its shape gets a new one.
pub const WEBHOOK_SCHEMA: &str = "drift.notification.v1";

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// One change.
    Change,
    /// A summary of many changes.
    Digest,
    /// A sample change sent on request to check a channel.
    Test,
}

/// Counts of the changes a digest covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestSummary {
    /// All changes covered.
    pub total: usize,
    /// By severity, only the severities present.
    pub by_severity: BTreeMap<Severity, usize>,
    /// By source, only the sources present.
    pub by_source: BTreeMap<Source, usize>,
    /// By change type, only the types present.
    pub by_change_type: BTreeMap<ChangeType, usize>,
    /// How many of them `changes` lists (the most severe, newest first).
    pub shown: usize,
}

/// A message ready to render.
#[derive(Debug, Clone)]
pub(crate) struct Message<'a> {
    pub kind: MessageKind,
    pub delivery_id: String,
    pub sent_at: UtcTime,
    pub tenant: &'a TenantRef,
    pub channel: &'a str,
    /// The changes listed: the one change, or a digest's top changes.
    pub changes: Vec<&'a ChangeNotice>,
    pub digest: Option<DigestSummary>,
}

/// The JSON body a webhook channel receives (POST, `Content-Type: application/json`).
#[derive(Debug, Serialize)]
pub struct WebhookBody<'a> {
    /// Always [`WEBHOOK_SCHEMA`].
    pub schema: &'static str,
    /// Unique per message; also in the `X-Drift-Delivery` header. A receiver that has seen it
    /// before should ignore the message (replays, retries after a lost answer).
    pub delivery_id: &'a str,
    /// When the message was made; also in `X-Drift-Timestamp` (Unix seconds). A receiver should
    /// refuse messages older than a few minutes.
    pub sent_at: UtcTime,
    pub kind: MessageKind,
    pub tenant: &'a TenantRef,
    /// The channel's name in the tenant's settings.
    pub channel: &'a str,
    /// The change (one), or a digest's most severe changes, newest first.
    pub changes: &'a [&'a ChangeNotice],
    /// Present for digests only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<&'a DigestSummary>,
}

impl<'a> Message<'a> {
    /// Builds a digest of `all` that lists the `top` most severe, newest first.
    pub fn digest(
        delivery_id: String,
        sent_at: UtcTime,
        tenant: &'a TenantRef,
        channel: &'a str,
        all: &[&'a ChangeNotice],
        top: usize,
    ) -> Self {
        let mut summary = DigestSummary {
            total: all.len(),
            by_severity: BTreeMap::new(),
            by_source: BTreeMap::new(),
            by_change_type: BTreeMap::new(),
            shown: 0,
        };
        for change in all {
            *summary.by_severity.entry(change.severity).or_default() += 1;
            *summary.by_source.entry(change.source).or_default() += 1;
            *summary
                .by_change_type
                .entry(change.change_type)
                .or_default() += 1;
        }
        let mut ranked = all.to_vec();
        ranked.sort_by(|a, b| {
            (b.severity, b.changed_at, b.history_id).cmp(&(a.severity, a.changed_at, a.history_id))
        });
        ranked.truncate(top);
        summary.shown = ranked.len();
        Message {
            kind: MessageKind::Digest,
            delivery_id,
            sent_at,
            tenant,
            channel,
            changes: ranked,
            digest: Some(summary),
        }
    }

    pub fn webhook_body(&self) -> Vec<u8> {
        let body = WebhookBody {
            schema: WEBHOOK_SCHEMA,
            delivery_id: &self.delivery_id,
            sent_at: self.sent_at,
            kind: self.kind,
            tenant: self.tenant,
            channel: self.channel,
            changes: &self.changes,
            digest: self.digest.as_ref(),
        };
        serde_json::to_vec(&body).expect("webhook bodies always serialise")
    }

    /// One line that says what happened: the subject of an e-mail, the title of a card.
    pub fn title(&self) -> String {
        let test = if self.kind == MessageKind::Test {
            "[test] "
        } else {
            ""
        };
        match (&self.digest, self.changes.first()) {
            (Some(digest), _) => format!(
                "{test}{} configuration changes in {} ({})",
                digest.total,
                self.tenant.name,
                severity_counts(digest)
            ),
            (None, Some(change)) => format!(
                "{test}{}: {} {} \"{}\" in {}",
                capitalised(change.severity),
                change.resource_type,
                change.change_type,
                display_name(change),
                self.tenant.name
            ),
            (None, None) => format!("{test}No changes in {}", self.tenant.name),
        }
    }

    pub fn teams_body(&self) -> Vec<u8> {
        let mut body = vec![json!({
            "type": "TextBlock",
            "text": self.title(),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": true
        })];
        if let Some(digest) = &self.digest {
            body.push(json!({
                "type": "FactSet",
                "facts": summary_facts(digest)
                    .into_iter()
                    .map(|(title, value)| json!({"title": title, "value": value}))
                    .collect::<Vec<_>>()
            }));
            body.push(json!({
                "type": "TextBlock",
                "text": format!("The {} most severe changes:", digest.shown),
                "wrap": true,
                "spacing": "Medium"
            }));
            for change in &self.changes {
                body.push(json!({
                    "type": "TextBlock",
                    "text": format!("- {}", one_line(change)),
                    "wrap": true,
                    "spacing": "None"
                }));
            }
        } else if let Some(change) = self.changes.first() {
            body.push(json!({
                "type": "FactSet",
                "facts": change_facts(change)
                    .into_iter()
                    .map(|(title, value)| json!({"title": title, "value": value}))
                    .collect::<Vec<_>>()
            }));
        }
        let message = json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "msteams": {"width": "Full"},
                    "body": body
                }
            }]
        });
        serde_json::to_vec(&message).expect("cards always serialise")
    }

    pub fn slack_body(&self) -> Vec<u8> {
        // Slack limits: header text 150 characters, section text 3000.
        let mut blocks = vec![json!({
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(&self.title(), 150), "emoji": false}
        })];
        let details = if let Some(digest) = &self.digest {
            let mut text = summary_facts(digest)
                .into_iter()
                .map(|(title, value)| {
                    format!("*{}:* {}", slack_escape(&title), slack_escape(&value))
                })
                .collect::<Vec<_>>()
                .join("\n");
            text.push_str(&format!("\n\n*The {} most severe changes:*", digest.shown));
            for change in &self.changes {
                text.push_str(&format!("\n• {}", slack_escape(&one_line(change))));
            }
            text
        } else if let Some(change) = self.changes.first() {
            change_facts(change)
                .into_iter()
                .map(|(title, value)| {
                    format!("*{}:* {}", slack_escape(&title), slack_escape(&value))
                })
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            String::new()
        };
        if !details.is_empty() {
            blocks.push(json!({
                "type": "section",
                "text": {"type": "mrkdwn", "text": truncate(&details, 3000)}
            }));
        }
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": slack_escape(&format!(
                "Azure Drift Detector · tenant {} · delivery {}", self.tenant.name, self.delivery_id
            ))}]
        }));
        let message = json!({"text": self.title(), "blocks": blocks});
        serde_json::to_vec(&message).expect("Slack messages always serialise")
    }

    /// The plain-text body of an e-mail.
    pub fn email_text(&self) -> String {
        let mut text = format!("{}\n\n", self.title());
        if let Some(digest) = &self.digest {
            for (title, value) in summary_facts(digest) {
                text.push_str(&format!("{title}: {value}\n"));
            }
            text.push_str(&format!("\nThe {} most severe changes:\n", digest.shown));
            for change in &self.changes {
                text.push_str(&format!("- {}\n", one_line(change)));
            }
        } else if let Some(change) = self.changes.first() {
            for (title, value) in change_facts(change) {
                text.push_str(&format!("{title}: {value}\n"));
            }
        }
        text.push_str(&format!(
            "\n-- \nAzure Drift Detector, tenant {} (id {}), delivery {}\n",
            self.tenant.name, self.tenant.id, self.delivery_id
        ));
        text
    }
}

fn capitalised(severity: Severity) -> String {
    let text = severity.as_str();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn display_name(change: &ChangeNotice) -> &str {
    if change.resource_name.is_empty() {
        &change.resource_id
    } else {
        &change.resource_name
    }
}

fn one_line(change: &ChangeNotice) -> String {
    format!(
        "[{}] {} {} \"{}\" ({}) by {} at {}",
        change.severity,
        change.resource_type,
        change.change_type,
        display_name(change),
        change.source,
        change.changed_by,
        change.changed_at.get().format("%Y-%m-%d %H:%M UTC"),
    )
}

fn change_facts(change: &ChangeNotice) -> Vec<(String, String)> {
    let mut paths = change
        .changed_paths
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>();
    if change.changed_paths.len() > 10 {
        paths.push(format!("and {} more", change.changed_paths.len() - 10));
    }
    vec![
        ("Severity".into(), change.severity.to_string()),
        ("Change".into(), change.change_type.to_string()),
        ("Source".into(), change.source.to_string()),
        ("Resource type".into(), change.resource_type.clone()),
        ("Resource".into(), display_name(change).to_owned()),
        ("Resource id".into(), change.resource_id.clone()),
        ("Changed by".into(), change.changed_by.clone()),
        (
            "Changed at".into(),
            change
                .changed_at
                .get()
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        ),
        (
            "Changed paths".into(),
            if paths.is_empty() {
                "(whole resource)".into()
            } else {
                paths.join(", ")
            },
        ),
    ]
}

fn counts<K: std::fmt::Display>(map: &BTreeMap<K, usize>, descending: bool) -> String {
    let mut parts: Vec<String> = map.iter().map(|(k, n)| format!("{n} {k}")).collect();
    if descending {
        parts.reverse();
    }
    parts.join(", ")
}

fn severity_counts(digest: &DigestSummary) -> String {
    counts(&digest.by_severity, true)
}

fn summary_facts(digest: &DigestSummary) -> Vec<(String, String)> {
    vec![
        ("Changes".into(), digest.total.to_string()),
        ("By severity".into(), severity_counts(digest)),
        ("By source".into(), counts(&digest.by_source, false)),
        ("By change".into(), counts(&digest.by_change_type, false)),
    ]
}

/// Slack's mrkdwn control characters, escaped as Slack asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max_chars - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_text_is_escaped_and_truncated() {
        assert_eq!(slack_escape("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
