//! Tenant settings. Each save inserts a new row: the newest row is in force and the older ones
//! are the history of settings changes.

pub mod schema;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::schema::settings;
use crate::db::DbConnection;
use crate::error::{CoreError, CoreResult};
use crate::pagination::{Page, PageRequest};
use crate::{keyset, Json, UtcTime};

pub use schema::{DriftThresholds, NotificationSettings, PollingSettings};

/// A tenant's settings: the version in force, or one from its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// The version's id; null when the tenant never saved settings and the defaults apply.
    pub id: Option<i64>,
    pub tenant_id: i64,
    pub notification_settings: NotificationSettings,
    pub polling_settings: PollingSettings,
    pub drift_thresholds: DriftThresholds,
    /// When this version was saved; null for the defaults.
    pub last_updated: Option<UtcTime>,
    /// Who saved this version (`user 5 (adele)`, `api token 3 (ci)`); null for the defaults
    /// and for versions saved before this was recorded.
    #[schema(example = "user 5 (adele)")]
    pub saved_by: Option<String>,
}

/// A complete settings document. Omitted sections and fields take their defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SettingsInput {
    #[validate(nested)]
    pub notification_settings: NotificationSettings,
    #[validate(nested)]
    pub polling_settings: PollingSettings,
    #[validate(nested)]
    pub drift_thresholds: DriftThresholds,
}

impl From<&Settings> for SettingsInput {
    fn from(s: &Settings) -> Self {
        Self {
            notification_settings: s.notification_settings.clone(),
            polling_settings: s.polling_settings.clone(),
            drift_thresholds: s.drift_thresholds.clone(),
        }
    }
}

type SettingsRow = (i64, i64, Json, Json, Json, UtcTime, Option<String>);

fn from_row(row: SettingsRow) -> CoreResult<Settings> {
    let (id, tenant_id, notification, polling, thresholds, last_updated, saved_by) = row;
    let corrupt = |what: &str, e: serde_json::Error| {
        CoreError::CorruptData(format!("settings {id} {what}: {e}"))
    };
    let mut notification_settings: NotificationSettings =
        serde_json::from_value(notification.0).map_err(|e| corrupt("notification_settings", e))?;
    mark_urls(&mut notification_settings);
    Ok(Settings {
        id: Some(id),
        tenant_id,
        notification_settings,
        polling_settings: serde_json::from_value(polling.0)
            .map_err(|e| corrupt("polling_settings", e))?,
        drift_thresholds: serde_json::from_value(thresholds.0)
            .map_err(|e| corrupt("drift_thresholds", e))?,
        last_updated: Some(last_updated),
        saved_by,
    })
}

fn to_json<T: Serialize>(value: &T) -> Json {
    Json(serde_json::to_value(value).expect("settings always serialise"))
}

/// The settings in force: the newest version, or the defaults.
pub fn current(conn: &mut DbConnection, tenant_id: i64) -> CoreResult<Settings> {
    let newest: Option<SettingsRow> = settings::table
        .filter(settings::tenant_id.eq(tenant_id))
        .order((settings::last_updated.desc(), settings::id.desc()))
        .first(conn)
        .optional()?;
    match newest {
        Some(row) => from_row(row),
        None => Ok(Settings {
            id: None,
            tenant_id,
            notification_settings: NotificationSettings::default(),
            polling_settings: PollingSettings::default(),
            drift_thresholds: DriftThresholds::default(),
            last_updated: None,
            saved_by: None,
        }),
    }
}

/// The stored form of the notification settings: their serialisation plus what responses
/// leave out or mask (channel secrets and secret URLs), which the stored document keeps whole.
fn notification_json(notification: &NotificationSettings) -> Json {
    let mut json = to_json(notification);
    if let Some(channels) = json.0.get_mut("channels").and_then(|c| c.as_array_mut()) {
        for (stored, channel) in channels.iter_mut().zip(&notification.channels) {
            let Some(object) = stored.as_object_mut() else {
                continue;
            };
            object.remove("url_set");
            if let Some(url) = &channel.url {
                object.insert("url".into(), url.clone().into());
            }
            if let Some(secret) = &channel.secret {
                object.insert("secret".into(), secret.clone().into());
            }
        }
    }
    json
}

/// Sets each channel's read-only `url_set` from its url.
fn mark_urls(notification: &mut NotificationSettings) {
    for channel in &mut notification.channels {
        channel.url_set = channel.url.is_some();
    }
}

/// Completes channels from the channel of the same name (case-insensitive) and kind in
/// `previous`: a webhook saved without a secret keeps the saved secret, and a channel saved
/// without a url, or with the masked form responses show, keeps the saved URL. Both are
/// write-only, so clients cannot send them back. A masked URL with nothing saved behind it is
/// refused.
fn keep_secrets(
    notification: &mut NotificationSettings,
    previous: &NotificationSettings,
) -> CoreResult<()> {
    for (index, channel) in notification.channels.iter_mut().enumerate() {
        let same = previous.channels.iter().find(|old| {
            old.kind == channel.kind && old.name.to_lowercase() == channel.name.to_lowercase()
        });
        if channel.secret.is_none() && channel.kind == schema::ChannelKind::Webhook {
            channel.secret = same.and_then(|old| old.secret.clone());
        }
        let masked = channel.url.as_deref().is_some_and(schema::is_masked_url);
        if channel.url.is_none() || masked {
            match same.and_then(|old| old.url.clone()) {
                Some(url) => channel.url = Some(url),
                None if masked => {
                    return Err(CoreError::invalid(
                        format!("notification_settings.channels[{index}].url"),
                        "masked",
                        "a masked url stands only for the stored url of the channel of the same \
                         name and kind; send the whole url",
                    ))
                }
                None => {}
            }
        }
    }
    Ok(())
}

/// Validates and saves a new version, which is then in force. Channels saved without their
/// write-only parts (a webhook secret; a url, or its masked form) keep those of the same-named
/// channel in force.
pub fn save(
    conn: &mut DbConnection,
    tenant_id: i64,
    input: &SettingsInput,
    now: UtcTime,
) -> CoreResult<Settings> {
    save_by(conn, tenant_id, input, now, None)
}

/// [`save`], recording who saved the version (for the settings history).
pub fn save_by(
    conn: &mut DbConnection,
    tenant_id: i64,
    input: &SettingsInput,
    now: UtcTime,
    saved_by: Option<&str>,
) -> CoreResult<Settings> {
    let mut input = input.clone();
    let notification = &mut input.notification_settings;
    if notification
        .channels
        .iter()
        .any(|c| c.secret.is_none() || c.url.as_deref().is_none_or(schema::is_masked_url))
    {
        let previous = current(conn, tenant_id)?;
        keep_secrets(notification, &previous.notification_settings)?;
    }
    mark_urls(notification);
    input.validate()?;
    let row: SettingsRow = diesel::insert_into(settings::table)
        .values((
            settings::tenant_id.eq(tenant_id),
            settings::notification_settings.eq(notification_json(&input.notification_settings)),
            settings::polling_settings.eq(to_json(&input.polling_settings)),
            settings::drift_thresholds.eq(to_json(&input.drift_thresholds)),
            settings::last_updated.eq(now),
            settings::saved_by.eq(saved_by),
        ))
        .returning(settings::all_columns)
        .get_result(conn)?;
    crate::polling::apply_new_intervals(conn, tenant_id, &input.polling_settings.intervals, now)?;
    from_row(row)
}

pub fn get_version(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<Settings> {
    let row: SettingsRow = settings::table
        .filter(settings::tenant_id.eq(tenant_id))
        .filter(settings::id.eq(id))
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::not_found("settings version", id))?;
    from_row(row)
}

/// Deletes one version; deleting the newest puts the one before it back in force.
pub fn delete_version(conn: &mut DbConnection, tenant_id: i64, id: i64) -> CoreResult<()> {
    let deleted = diesel::delete(
        settings::table
            .filter(settings::tenant_id.eq(tenant_id))
            .filter(settings::id.eq(id)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(CoreError::not_found("settings version", id));
    }
    Ok(())
}

/// The tenant's settings versions, newest first.
pub fn history(
    conn: &mut DbConnection,
    tenant_id: i64,
    page: &PageRequest,
) -> CoreResult<Page<Settings>> {
    const SORT: &str = "-last_updated";
    let limit = page.limit()?;
    let query = settings::table
        .filter(settings::tenant_id.eq(tenant_id))
        .into_boxed();
    let query = keyset!(
        query,
        settings::last_updated,
        settings::id,
        true,
        page.after::<UtcTime>(SORT)?
    );
    let rows: Vec<SettingsRow> = query.limit(limit + 1).load(conn)?;
    let versions = rows
        .into_iter()
        .map(from_row)
        .collect::<CoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(versions, limit, SORT, |s| {
        (serde_json::json!(s.last_updated), s.id.unwrap_or_default())
    }))
}
