//! The three settings documents of a tenant, with their defaults and validation.
//!
//! Every document rejects unknown fields (a typo must not be silently ignored) and fills omitted
//! fields with defaults, so a client may send only what it changes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::types::{ChangeType, Severity, Source};

fn error(code: &'static str, message: String) -> ValidationError {
    let mut err = ValidationError::new(code);
    err.message = Some(message.into());
    err
}

// ---- notification_settings --------------------------------------------------------------------

/// Where and when drift is announced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, default)]
#[validate(schema(function = "validate_channel_names"))]
pub struct NotificationSettings {
    /// The channels notified of drift (at most 20, names unique).
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub channels: Vec<NotificationChannel>,
    /// Changes below this severity are not announced (a channel may raise it for itself).
    pub min_severity: Severity,
    #[validate(nested)]
    pub digest: DigestSettings,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            channels: Vec::new(),
            min_severity: Severity::High,
            digest: DigestSettings::default(),
        }
    }
}

fn validate_channel_names(settings: &NotificationSettings) -> Result<(), ValidationError> {
    let mut names: Vec<String> = settings
        .channels
        .iter()
        .map(|c| c.name.to_lowercase())
        .collect();
    names.sort();
    match names.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(error(
            "unique",
            format!("channel name {:?} is used twice", pair[0]),
        )),
        None => Ok(()),
    }
}

crate::types::text_enum! {
    /// The kind of a notification channel.
    pub enum ChannelKind {
        /// An HTTPS endpoint that receives a JSON POST per change or digest.
        Webhook => "webhook",
        /// A Microsoft Teams incoming webhook (Workflows) URL.
        Teams => "teams",
        /// A Slack incoming webhook URL.
        Slack => "slack",
        /// E-mail to the listed recipients.
        Email => "email",
    }
}

/// One notification channel. `url` is required for webhook, teams and slack; `recipients` for
/// email.
// Serialised through `ChannelView`, which masks secret URLs: responses never show them, and
// the settings module writes the real URL into the stored document itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, into = "ChannelView")]
#[validate(schema(function = "validate_channel_target"))]
pub struct NotificationChannel {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "SecOps Teams")]
    pub name: String,
    pub kind: ChannelKind,
    #[serde(default = "crate::settings::schema::enabled")]
    pub enabled: bool,
    /// The endpoint for webhook, teams and slack channels (https, or http to a loopback host).
    /// Anyone holding a Teams or Slack incoming-webhook URL, or a webhook URL with credentials
    /// (user info or a query string), can post to it, so responses show such a URL masked:
    /// scheme and host followed by `…`. A save that sends the masked value back, or omits the
    /// url, keeps the stored URL of the channel of the same name and kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 2048))]
    #[schema(max_length = 2048, example = "https://contoso.webhook.office.com/…")]
    pub url: Option<String>,
    /// Read-only: whether the channel has a url (which may be shown masked). Ignored on input.
    #[serde(default)]
    #[schema(read_only)]
    pub url_set: bool,
    /// The addresses of an email channel (1 to 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 50)]
    pub recipients: Vec<String>,
    /// Overrides the tenant's `min_severity` for this channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// The key of a webhook channel's `X-Drift-Signature` (HMAC-SHA256 of the body), 16 to 256
    /// characters; webhook channels only. Write-only: never returned, and a save that omits it
    /// keeps the secret of the webhook channel of the same name. Without a secret, webhook
    /// messages are sent unsigned.
    // Never serialised: `ChannelView` has no such field (the settings module stores it).
    #[serde(default)]
    #[validate(length(min = 16, max = 256))]
    #[schema(write_only, min_length = 16, max_length = 256)]
    pub secret: Option<String>,
    /// Read-only: whether a webhook channel has a signing secret (which is never shown), so a
    /// form can say so. Ignored on input.
    #[serde(default)]
    #[schema(read_only)]
    pub secret_set: bool,
}

/// What stands for the secret part of a URL in a masked one.
pub const MASK: &str = "…";

/// A URL reduced to its scheme and host followed by [`MASK`]
/// (`https://contoso.webhook.office.com/…`): enough to recognise the endpoint, not enough to
/// post to it.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}/{MASK}", parsed.scheme()),
            (Some(host), None) => format!("{}://{host}/{MASK}", parsed.scheme()),
            _ => MASK.to_owned(),
        },
        Err(_) => MASK.to_owned(),
    }
}

/// Whether a URL is a masked one ([`mask_url`]), which stands for the stored URL.
pub fn is_masked_url(url: &str) -> bool {
    url.contains(MASK)
}

/// Whether a channel's URL lets its holder post: Teams and Slack incoming webhooks always; a
/// generic webhook when the URL carries user info or a query string (tokens usually travel
/// there). Unparseable URLs are treated as secret.
pub fn url_is_secret(kind: ChannelKind, url: &str) -> bool {
    match kind {
        ChannelKind::Teams | ChannelKind::Slack => true,
        ChannelKind::Webhook | ChannelKind::Email => match url::Url::parse(url) {
            Ok(parsed) => {
                !parsed.username().is_empty()
                    || parsed.password().is_some()
                    || parsed.query().is_some()
            }
            Err(_) => true,
        },
    }
}

/// What a channel looks like in a response: `url` masked when it is a secret, `url_set`
/// filled in, and no `secret`.
#[derive(Serialize)]
struct ChannelView {
    name: String,
    kind: ChannelKind,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    url_set: bool,
    secret_set: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    recipients: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_severity: Option<Severity>,
}

impl From<NotificationChannel> for ChannelView {
    fn from(channel: NotificationChannel) -> Self {
        let kind = channel.kind;
        Self {
            url_set: channel.url.is_some(),
            secret_set: channel.secret.is_some(),
            url: channel.url.map(|url| {
                if url_is_secret(kind, &url) {
                    mask_url(&url)
                } else {
                    url
                }
            }),
            name: channel.name,
            kind,
            enabled: channel.enabled,
            recipients: channel.recipients,
            min_severity: channel.min_severity,
        }
    }
}

pub(crate) fn enabled() -> bool {
    true
}

fn validate_channel_target(channel: &NotificationChannel) -> Result<(), ValidationError> {
    match channel.kind {
        ChannelKind::Email => {
            if channel.secret.is_some() {
                return Err(error(
                    "secret_not_allowed",
                    "only webhook channels have a signing secret".into(),
                ));
            }
            if channel.url.is_some() {
                return Err(error(
                    "url_not_allowed",
                    "an email channel has recipients, not a url".into(),
                ));
            }
            if channel.recipients.is_empty() || channel.recipients.len() > 50 {
                return Err(error(
                    "recipients",
                    "an email channel needs 1 to 50 recipients".into(),
                ));
            }
            if let Some(bad) = channel
                .recipients
                .iter()
                .find(|r| !validator::ValidateEmail::validate_email(*r))
            {
                return Err(error("email", format!("{bad:?} is not an e-mail address")));
            }
            Ok(())
        }
        ChannelKind::Webhook | ChannelKind::Teams | ChannelKind::Slack => {
            if channel.secret.is_some() && channel.kind != ChannelKind::Webhook {
                return Err(error(
                    "secret_not_allowed",
                    "only webhook channels have a signing secret".into(),
                ));
            }
            if !channel.recipients.is_empty() {
                return Err(error(
                    "recipients_not_allowed",
                    "only email channels have recipients".into(),
                ));
            }
            let Some(raw) = &channel.url else {
                return Err(error("url_required", "this channel needs a url".into()));
            };
            let url = url::Url::parse(raw)
                .map_err(|e| error("url", format!("url is not an absolute URL: {e}")))?;
            let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            match url.scheme() {
                "https" => Ok(()),
                "http" if loopback => Ok(()),
                _ => Err(error(
                    "url_scheme",
                    "url must use https (http only to a loopback host)".into(),
                )),
            }
        }
    }
}

/// Many changes at once are sent as one digest instead of one message each. Nothing is held
/// back to build a digest: each notification run sends what it has at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DigestSettings {
    pub enabled: bool,
    /// The sliding window, in minutes (1 to 1440), in which changes are counted against
    /// `threshold`: the changes a channel is about to be sent plus those already delivered to
    /// it within the last `window_minutes`. While a burst lasts, a channel keeps getting
    /// digests.
    #[validate(range(min = 1, max = 1440))]
    #[schema(minimum = 1, maximum = 1440)]
    pub window_minutes: u32,
    /// From how many changes (counted as for `window_minutes`) a channel gets one digest
    /// instead of one message per change (2 to 10000).
    #[validate(range(min = 2, max = 10000))]
    #[schema(minimum = 2, maximum = 10000)]
    pub threshold: u32,
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            window_minutes: 15,
            threshold: 10,
        }
    }
}

// ---- polling_settings -------------------------------------------------------------------------

/// How often each source is polled, and how long collected data is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PollingSettings {
    /// Polling of this tenant stops entirely when false.
    pub enabled: bool,
    #[validate(nested)]
    pub intervals: PollingIntervals,
    /// Sources that are not polled (their configurations and sign-ins are kept as they are).
    #[validate(custom(function = "validate_unique_sources"))]
    pub disabled_sources: Vec<PolledSource>,
    /// Random spread added to each interval so tenants do not poll in lock-step (0 to 50 %).
    #[validate(range(max = 50))]
    #[schema(minimum = 0, maximum = 50)]
    pub jitter_percent: u32,
    #[validate(nested)]
    pub retention: RetentionSettings,
}

impl Default for PollingSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            intervals: PollingIntervals::default(),
            disabled_sources: Vec::new(),
            jitter_percent: 10,
            retention: RetentionSettings::default(),
        }
    }
}

/// What the worker polls: the three configuration sources and the sign-in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolledSource {
    Entra,
    Intune,
    Arm,
    Signins,
}

fn validate_unique_sources(sources: &[PolledSource]) -> Result<(), ValidationError> {
    let mut sorted = sources.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() == sources.len() {
        Ok(())
    } else {
        Err(error("unique", "a source is listed twice".into()))
    }
}

/// Minutes between polls, per source. (To stop polling a source, list it in
/// `disabled_sources`: a JSON Merge Patch cannot set a field to null.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PollingIntervals {
    /// Entra ID (1 to 1440 minutes).
    #[validate(range(min = 1, max = 1440))]
    #[schema(minimum = 1, maximum = 1440)]
    pub entra: u32,
    /// Intune (1 to 1440 minutes).
    #[validate(range(min = 1, max = 1440))]
    #[schema(minimum = 1, maximum = 1440)]
    pub intune: u32,
    /// Azure Resource Manager (1 to 1440 minutes).
    #[validate(range(min = 1, max = 1440))]
    #[schema(minimum = 1, maximum = 1440)]
    pub arm: u32,
    /// Entra sign-in logs (1 to 60 minutes).
    #[validate(range(min = 1, max = 60))]
    #[schema(minimum = 1, maximum = 60)]
    pub signins: u32,
}

impl PollingIntervals {
    /// How often the source is polled.
    pub fn every(&self, source: PolledSource) -> chrono::Duration {
        let minutes = match source {
            PolledSource::Entra => self.entra,
            PolledSource::Intune => self.intune,
            PolledSource::Arm => self.arm,
            PolledSource::Signins => self.signins,
        };
        chrono::Duration::minutes(i64::from(minutes))
    }
}

impl Default for PollingIntervals {
    fn default() -> Self {
        Self {
            entra: 15,
            intune: 30,
            arm: 60,
            signins: 5,
        }
    }
}

/// How long collected data is kept, in days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Sign-in log retention (1 to 3650 days).
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub signin_days: u32,
    /// Configuration history retention (1 to 3650 days).
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub history_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            signin_days: 90,
            history_days: 365,
        }
    }
}

// ---- drift_thresholds -------------------------------------------------------------------------

/// What counts as drift and how much it matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DriftThresholds {
    /// Paths whose changes are not drift (at most 500).
    #[validate(length(max = 500), nested)]
    #[schema(max_items = 500)]
    pub ignore_paths: Vec<IgnoreRule>,
    /// Rules that rate a change, tried in order: the first that matches wins; when none does,
    /// the built-in defaults apply (at most 500).
    #[validate(length(max = 500), nested)]
    #[schema(max_items = 500)]
    pub severity_rules: Vec<SeverityRule>,
    /// The severity of a change that neither a rule nor a built-in default rates.
    pub default_severity: Severity,
}

impl Default for DriftThresholds {
    fn default() -> Self {
        Self {
            ignore_paths: Vec::new(),
            severity_rules: Vec::new(),
            default_severity: Severity::Medium,
        }
    }
}

/// Ignore changes at a path of matching resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// Only resources of this source; all sources when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Only resources of this type; all types when absent. Case-insensitive, a leading `#` is
    /// ignored, and `*` matches any run of characters (`microsoft.graph.*NamedLocation`,
    /// `microsoft.network/*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "microsoft.graph.conditionalAccessPolicy")]
    pub resource_type: Option<String>,
    /// A JSON Pointer (RFC 6901) into the resource; the rule covers everything below the path.
    /// A segment `*` matches any one object member or every array element; other segments
    /// name object members only, never array positions (set-like arrays are sorted, so
    /// positions are not identities): write `/list/*/field`, not `/list/0/field`.
    #[validate(length(min = 1, max = 500), custom(function = "validate_pointer"))]
    #[schema(example = "/properties/provisioningState")]
    pub path: String,
    /// Why the path is ignored, for the next admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 500))]
    pub reason: Option<String>,
}

/// Rate matching changes with a severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityRule {
    /// Only changes of resources of this source; all sources when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Only changes of resources of this type (same syntax as in ignore rules); all types when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 200))]
    pub resource_type: Option<String>,
    /// The rule matches when anything at or below this path differs between the old and the
    /// new state, including the subtree appearing, disappearing or being replaced whole (so a
    /// created or deleted resource matches every path it has). Same syntax as ignore paths;
    /// any change when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 500), custom(function = "validate_pointer"))]
    #[schema(example = "/conditions/users")]
    pub path_prefix: Option<String>,
    /// Only changes of this type; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    pub severity: Severity,
}

/// A JSON Pointer that names something inside a resource: `/` followed by segments in which
/// `~` only appears as `~0` or `~1`. (The empty pointer, the whole resource, is refused.)
fn validate_pointer(pointer: &str) -> Result<(), ValidationError> {
    if !pointer.starts_with('/') {
        return Err(error(
            "json_pointer",
            "must be a JSON Pointer starting with /".into(),
        ));
    }
    let mut chars = pointer.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(error(
                "json_pointer",
                "~ must be written ~0, and / inside a segment ~1".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_empty_document_means_the_defaults() {
        let parsed: PollingSettings = serde_json::from_value(json!({})).unwrap();
        assert_eq!(parsed, PollingSettings::default());
        let parsed: DriftThresholds = serde_json::from_value(json!({})).unwrap();
        assert_eq!(parsed, DriftThresholds::default());
        assert!(NotificationSettings::default().validate().is_ok());
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_value::<PollingSettings>(json!({"intervalls": {}})).is_err());
        assert!(
            serde_json::from_value::<PollingIntervals>(json!({"entra": 5, "graph": 5})).is_err()
        );
    }

    #[test]
    fn channels_need_the_right_target() {
        let channel =
            |kind: ChannelKind, url: Option<&str>, recipients: &[&str]| NotificationChannel {
                name: "c".into(),
                kind,
                enabled: true,
                url: url.map(str::to_owned),
                url_set: false,
                secret_set: false,
                recipients: recipients.iter().map(|s| s.to_string()).collect(),
                min_severity: None,
                secret: None,
            };
        assert!(channel(
            ChannelKind::Teams,
            Some("https://contoso.webhook.office.com/x"),
            &[]
        )
        .validate()
        .is_ok());
        assert!(channel(
            ChannelKind::Webhook,
            Some("http://127.0.0.1:9000/hook"),
            &[]
        )
        .validate()
        .is_ok());
        assert!(
            channel(ChannelKind::Webhook, Some("http://example.com/hook"), &[])
                .validate()
                .is_err()
        );
        assert!(channel(ChannelKind::Slack, None, &[]).validate().is_err());
        assert!(channel(ChannelKind::Email, None, &["secops@contoso.com"])
            .validate()
            .is_ok());
        assert!(channel(ChannelKind::Email, None, &["not-an-address"])
            .validate()
            .is_err());
        assert!(channel(ChannelKind::Email, Some("https://x"), &["a@b.co"])
            .validate()
            .is_err());
    }

    #[test]
    fn only_webhook_channels_have_a_secret_and_it_is_never_serialised() {
        let mut channel: NotificationChannel = serde_json::from_value(json!({
            "name": "hook", "kind": "webhook", "url": "https://hooks.contoso.com/drift",
            "secret": "0123456789abcdef"
        }))
        .unwrap();
        assert!(channel.validate().is_ok());
        assert_eq!(channel.secret.as_deref(), Some("0123456789abcdef"));
        assert!(serde_json::to_value(&channel)
            .unwrap()
            .get("secret")
            .is_none());
        channel.secret = Some("short".into());
        assert!(channel.validate().is_err());
        channel.secret = Some("0123456789abcdef".into());
        channel.kind = ChannelKind::Slack;
        assert!(channel.validate().is_err());
    }

    #[test]
    fn duplicate_channel_names_are_refused() {
        let teams = NotificationChannel {
            name: "Ops".into(),
            kind: ChannelKind::Teams,
            enabled: true,
            url: Some("https://contoso.webhook.office.com/x".into()),
            url_set: false,
            secret_set: false,
            recipients: vec![],
            min_severity: None,
            secret: None,
        };
        let mut twice = teams.clone();
        twice.name = "ops".into();
        let settings = NotificationSettings {
            channels: vec![teams, twice],
            ..NotificationSettings::default()
        };
        assert!(settings.validate().is_err());
    }

    #[test]
    fn pointers_must_be_well_formed() {
        assert!(validate_pointer("/properties/tags/*").is_ok());
        assert!(validate_pointer("/a~1b/c~0d").is_ok());
        assert!(validate_pointer("properties").is_err());
        assert!(validate_pointer("/a~2").is_err());
    }

    #[test]
    fn intervals_are_bounded() {
        let mut settings = PollingSettings::default();
        settings.intervals.signins = 61;
        settings.intervals.arm = 0;
        let err = crate::CoreError::from(settings.validate().unwrap_err());
        let crate::CoreError::Invalid(fields) = err else {
            panic!()
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["intervals.arm", "intervals.signins"]);
    }
}
