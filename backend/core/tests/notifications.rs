//! The delivery log and the write-only webhook secret, on both backends.

use diesel::prelude::*;
use drift_core::db::schema::settings as settings_table;
use drift_core::notifications::{self, DeliveryStatus, NewDelivery};
use drift_core::pagination::PageRequest;
use drift_core::settings::schema::ChannelKind;
use drift_core::settings::{self, SettingsInput};
use drift_core::tenants::{self, TenantInput};
use drift_core::{Json, UtcTime};
use drift_testing::TestDb;
use serde_json::json;

fn at(minute: u32) -> UtcTime {
    UtcTime::new(format!("2026-11-29T08:{minute:02}:00Z").parse().unwrap())
}

fn tenant(conn: &mut drift_core::db::DbConnection) -> i64 {
    let input = TenantInput {
        name: "Contoso".into(),
        azure_tenant_id: "00000000-0000-0000-0000-000000000001".into(),
    };
    tenants::create(conn, &input, at(0)).unwrap().id
}

fn delivery(tenant_id: i64, ids: &[i64], status: DeliveryStatus, minute: u32) -> NewDelivery<'_> {
    NewDelivery {
        tenant_id,
        channel_name: "hook",
        channel_kind: ChannelKind::Webhook,
        history_ids: ids,
        digest: ids.len() > 1,
        status,
        attempts: 1,
        last_error: None,
        response_status: Some(200),
        created_at: at(minute),
        delivered_at: Some(at(minute)),
    }
}

#[test]
fn deliveries_list_newest_first_count_in_a_window_and_go_with_their_tenant() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        let tenant_id = tenant(&mut conn);
        let ids = [[1_i64, 2, 3].as_slice(), &[4], &[5]];
        notifications::record(
            &mut conn,
            &delivery(tenant_id, ids[0], DeliveryStatus::Delivered, 1),
        )
        .unwrap();
        notifications::record(
            &mut conn,
            &delivery(tenant_id, ids[1], DeliveryStatus::Delivered, 5),
        )
        .unwrap();
        notifications::record(
            &mut conn,
            &delivery(tenant_id, ids[2], DeliveryStatus::Failed, 6),
        )
        .unwrap();

        let mut page = PageRequest {
            limit: Some(2),
            cursor: None,
        };
        let first = notifications::list(&mut conn, tenant_id, &page).unwrap();
        let history: Vec<Vec<i64>> = first.items.iter().map(|d| d.history_ids.clone()).collect();
        assert_eq!(history, [vec![5], vec![4]], "{:?}", db.url());
        page.cursor = first.next_cursor;
        let second = notifications::list(&mut conn, tenant_id, &page).unwrap();
        assert_eq!(second.items[0].history_ids, [1, 2, 3]);
        assert!(second.items[0].digest);
        assert!(second.next_cursor.is_none());

        // Failed deliveries and those before the window do not count.
        assert_eq!(
            notifications::changes_delivered_since(&mut conn, tenant_id, "hook", at(0)).unwrap(),
            4
        );
        assert_eq!(
            notifications::changes_delivered_since(&mut conn, tenant_id, "hook", at(2)).unwrap(),
            1
        );
        assert_eq!(
            notifications::changes_delivered_since(&mut conn, tenant_id, "other", at(0)).unwrap(),
            0
        );

        tenants::delete(&mut conn, tenant_id).unwrap();
        assert!(
            notifications::list(&mut conn, tenant_id, &PageRequest::default())
                .unwrap()
                .items
                .is_empty()
        );
    }
}

#[test]
fn a_webhook_secret_is_stored_never_shown_and_kept_when_a_save_omits_it() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        let tenant_id = tenant(&mut conn);
        let with_secret: SettingsInput = serde_json::from_value(json!({
            "notification_settings": {"channels": [
                {"name": "SIEM", "kind": "webhook", "url": "https://siem.contoso.com/hook",
                 "secret": "0123456789abcdef0123"}
            ]}
        }))
        .unwrap();
        let saved = settings::save(&mut conn, tenant_id, &with_secret, at(1)).unwrap();
        let shown = serde_json::to_value(&saved).unwrap();
        assert!(shown["notification_settings"]["channels"][0]
            .get("secret")
            .is_none());

        // A client sends back what it was shown (no secret), with a change elsewhere.
        let mut resent: SettingsInput =
            serde_json::from_value(serde_json::to_value(SettingsInput::from(&saved)).unwrap())
                .unwrap();
        resent.notification_settings.channels[0].name = "siem".into();
        resent.polling_settings.jitter_percent = 20;
        settings::save(&mut conn, tenant_id, &resent, at(2)).unwrap();
        let current = settings::current(&mut conn, tenant_id).unwrap();
        assert_eq!(
            current.notification_settings.channels[0].secret.as_deref(),
            Some("0123456789abcdef0123"),
            "{:?}",
            db.url()
        );
        let stored: Json = settings_table::table
            .filter(settings_table::id.eq(current.id.unwrap()))
            .select(settings_table::notification_settings)
            .first(&mut conn)
            .unwrap();
        assert_eq!(stored.0["channels"][0]["secret"], "0123456789abcdef0123");

        // A new secret replaces the old one.
        let mut rotated = SettingsInput::from(&current);
        rotated.notification_settings.channels[0].secret = Some("fedcba9876543210fedc".into());
        settings::save(&mut conn, tenant_id, &rotated, at(3)).unwrap();
        let current = settings::current(&mut conn, tenant_id).unwrap();
        assert_eq!(
            current.notification_settings.channels[0].secret.as_deref(),
            Some("fedcba9876543210fedc")
        );
    }
}
