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

type SettingsRow = (i64, i64, Json, Json, Json, UtcTime);

fn from_row(row: SettingsRow) -> CoreResult<Settings> {
    let (id, tenant_id, notification, polling, thresholds, last_updated) = row;
    let corrupt = |what: &str, e: serde_json::Error| {
        CoreError::CorruptData(format!("settings {id} {what}: {e}"))
    };
    Ok(Settings {
        id: Some(id),
        tenant_id,
        notification_settings: serde_json::from_value(notification.0)
            .map_err(|e| corrupt("notification_settings", e))?,
        polling_settings: serde_json::from_value(polling.0)
            .map_err(|e| corrupt("polling_settings", e))?,
        drift_thresholds: serde_json::from_value(thresholds.0)
            .map_err(|e| corrupt("drift_thresholds", e))?,
        last_updated: Some(last_updated),
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
        }),
    }
}

/// The stored form of the notification settings: their serialisation plus the write-only
/// channel secrets, which responses leave out.
fn notification_json(notification: &NotificationSettings) -> Json {
    let mut json = to_json(notification);
    if let Some(channels) = json.0.get_mut("channels").and_then(|c| c.as_array_mut()) {
        for (stored, channel) in channels.iter_mut().zip(&notification.channels) {
            if let (Some(secret), Some(object)) = (&channel.secret, stored.as_object_mut()) {
                object.insert("secret".into(), secret.clone().into());
            }
        }
    }
    json
}

/// Gives webhook channels saved without a secret the secret of the webhook channel of the same
/// name (case-insensitive) in `previous`: the secret is write-only, so clients never see it and
/// cannot send it back.
fn keep_secrets(notification: &mut NotificationSettings, previous: &NotificationSettings) {
    for channel in &mut notification.channels {
        if channel.secret.is_some() || channel.kind != schema::ChannelKind::Webhook {
            continue;
        }
        channel.secret = previous
            .channels
            .iter()
            .find(|old| {
                old.kind == schema::ChannelKind::Webhook
                    && old.name.to_lowercase() == channel.name.to_lowercase()
            })
            .and_then(|old| old.secret.clone());
    }
}

/// Validates and saves a new version, which is then in force. Webhook channels saved without
/// a secret keep the one of the same-named channel in force.
pub fn save(
    conn: &mut DbConnection,
    tenant_id: i64,
    input: &SettingsInput,
    now: UtcTime,
) -> CoreResult<Settings> {
    input.validate()?;
    let mut notification = input.notification_settings.clone();
    if notification.channels.iter().any(|c| c.secret.is_none()) {
        let previous = current(conn, tenant_id)?;
        keep_secrets(&mut notification, &previous.notification_settings);
    }
    let row: SettingsRow = diesel::insert_into(settings::table)
        .values((
            settings::tenant_id.eq(tenant_id),
            settings::notification_settings.eq(notification_json(&notification)),
            settings::polling_settings.eq(to_json(&input.polling_settings)),
            settings::drift_thresholds.eq(to_json(&input.drift_thresholds)),
            settings::last_updated.eq(now),
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
