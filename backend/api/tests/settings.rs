//! Tenant settings: the documented defaults, versioned saves by PUT and PATCH, the history of
//! versions, and validation that names each nested field exactly.

mod common;

use common::{Reply, TestApp};
use serde_json::{json, Value};

fn settings_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/settings")
}

fn history_path(tenant: i64) -> String {
    format!("/api/v1/tenants/{tenant}/settings/history")
}

fn version_path(tenant: i64, id: &Value) -> String {
    format!("/api/v1/tenants/{tenant}/settings/history/{id}")
}

/// The three documents as documented when nothing was saved.
fn default_documents() -> Value {
    json!({
        "notification_settings": {
            "channels": [],
            "min_severity": "high",
            "digest": {"enabled": true, "window_minutes": 15, "threshold": 10},
        },
        "polling_settings": {
            "enabled": true,
            "intervals": {"entra": 15, "intune": 30, "arm": 60, "signins": 5},
            "disabled_sources": [],
            "jitter_percent": 10,
            "retention": {"signin_days": 90, "history_days": 365},
        },
        "drift_thresholds": {
            "ignore_paths": [],
            "severity_rules": [],
            "default_severity": "medium",
        },
    })
}

/// The settings in force when nothing was saved.
fn defaults(tenant: i64) -> Value {
    let mut body = default_documents();
    body["id"] = Value::Null;
    body["tenant_id"] = json!(tenant);
    body["last_updated"] = Value::Null;
    body["saved_by"] = Value::Null;
    body
}

/// The three documents of a settings response.
fn documents(settings: &Value) -> Value {
    json!({
        "notification_settings": settings["notification_settings"],
        "polling_settings": settings["polling_settings"],
        "drift_thresholds": settings["drift_thresholds"],
    })
}

/// A complete document in canonical form (what the API returns for it), using every kind of
/// channel and rule.
fn full_document() -> Value {
    json!({
        "notification_settings": {
            "channels": [
                {
                    "name": "SecOps Teams",
                    "kind": "teams",
                    "enabled": true,
                    "url": "https://contoso.webhook.office.com/webhookb2/abc",
                    "min_severity": "critical",
                },
                {
                    "name": "Slack #drift",
                    "kind": "slack",
                    "enabled": false,
                    "url": "https://hooks.slack.com/services/T000/B000/XXXX",
                },
                {
                    "name": "SIEM",
                    "kind": "webhook",
                    "enabled": true,
                    "url": "http://127.0.0.1:9000/hook",
                    "min_severity": "low",
                },
                {
                    "name": "Admins by mail",
                    "kind": "email",
                    "enabled": true,
                    "recipients": ["secops@contoso.com", "adele.vance@contoso.com"],
                },
            ],
            "min_severity": "medium",
            "digest": {"enabled": false, "window_minutes": 60, "threshold": 25},
        },
        "polling_settings": {
            "enabled": false,
            "intervals": {"entra": 5, "intune": 30, "arm": 1440, "signins": 60},
            "disabled_sources": ["intune"],
            "jitter_percent": 50,
            "retention": {"signin_days": 30, "history_days": 3650},
        },
        "drift_thresholds": {
            "ignore_paths": [
                {
                    "source": "arm",
                    "resource_type": "Microsoft.Storage/storageAccounts",
                    "path": "/properties/provisioningState",
                    "reason": "changes on every deployment",
                },
                {"path": "/tags/*"},
                {"source": "entra", "path": "/a~1b/c~0d"},
            ],
            "severity_rules": [
                {
                    "source": "entra",
                    "resource_type": "microsoft.graph.conditionalAccessPolicy",
                    "path_prefix": "/conditions/users",
                    "change_type": "updated",
                    "severity": "critical",
                },
                {"change_type": "deleted", "severity": "high"},
                {"severity": "low"},
            ],
            "default_severity": "info",
        },
    })
}

/// A document as responses show it: Teams and Slack URLs (secrets) masked to scheme and host,
/// every channel's read-only `url_set` and `secret_set`, and no secret.
fn shown(mut document: Value) -> Value {
    for channel in document["notification_settings"]["channels"]
        .as_array_mut()
        .unwrap()
    {
        let secret = channel.as_object_mut().unwrap().remove("secret");
        channel["secret_set"] = json!(secret.is_some_and(|s| !s.is_null()));
        let url = channel
            .get("url")
            .and_then(Value::as_str)
            .map(str::to_owned);
        channel["url_set"] = json!(url.is_some());
        if let (Some(url), true) = (
            url,
            ["teams", "slack"].contains(&channel["kind"].as_str().unwrap()),
        ) {
            let host = url.split('/').nth(2).unwrap();
            channel["url"] = json!(format!("https://{host}/…"));
        }
    }
    document
}

/// The URL of each stored channel, as the worker reads it.
fn stored_urls(app: &TestApp, tenant: i64) -> Vec<Option<String>> {
    drift_core::settings::current(&mut app.db.conn(), tenant)
        .unwrap()
        .notification_settings
        .channels
        .into_iter()
        .map(|c| c.url)
        .collect()
}

/// PUTs an invalid document over saved settings and returns the problem.
async fn refused_put_keeping(app: &TestApp, tenant: i64, body: Value) -> Value {
    let before = app.get(&settings_path(tenant)).await.expect(200);
    let problem = app
        .put(&settings_path(tenant), &body)
        .await
        .expect_problem(422, "validation-failed");
    assert_eq!(
        app.get(&settings_path(tenant)).await.expect(200),
        before,
        "nothing was saved"
    );
    problem
}

/// PUTs a document that is invalid and returns the problem, checking that nothing was saved.
async fn refused_put(app: &TestApp, tenant: i64, body: Value) -> Value {
    let problem = app
        .put(&settings_path(tenant), &body)
        .await
        .expect_problem(422, "validation-failed");
    assert_eq!(
        app.get(&settings_path(tenant)).await.expect(200),
        defaults(tenant),
        "an invalid document saves nothing"
    );
    problem
}

/// The (field, code) pairs of a validation problem.
fn field_codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

fn channel(name: &str, kind: &str, url: Option<&str>, recipients: &[&str]) -> Value {
    let mut channel = json!({"name": name, "kind": kind});
    if let Some(url) = url {
        channel["url"] = json!(url);
    }
    if !recipients.is_empty() {
        channel["recipients"] = json!(recipients);
    }
    channel
}

fn with_channels(channels: Vec<Value>) -> Value {
    json!({"notification_settings": {"channels": channels}})
}

on_both_backends! {
    async fn unsaved_settings_are_the_documented_defaults_with_a_null_id(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), defaults(tenant));
        assert_eq!(app.get(&history_path(tenant)).await.expect(200), json!({"items": []}));

        app.get("/api/v1/tenants/999999/settings").await.expect_problem(404, "not-found");
        app.put("/api/v1/tenants/999999/settings", &json!({})).await.expect_problem(404, "not-found");
    }

    async fn put_saves_a_version_that_get_then_returns(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let saved = app
            .put(&settings_path(tenant), &json!({"polling_settings": {"jitter_percent": 20}}))
            .await
            .expect(200);
        assert!(saved["id"].as_i64().is_some(), "a saved version has an id: {saved}");
        assert_eq!(saved["tenant_id"], tenant);
        assert!(saved["last_updated"].as_str().is_some_and(|t| t.ends_with('Z')), "{saved}");

        let mut expected = default_documents();
        expected["polling_settings"]["jitter_percent"] = json!(20);
        assert_eq!(documents(&saved), expected, "omitted fields take their defaults");

        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), saved);
        assert_eq!(app.get(&version_path(tenant, &saved["id"])).await.expect(200), saved);
        assert_eq!(app.get(&history_path(tenant)).await.expect(200), json!({"items": [saved]}));
    }

    async fn put_with_an_empty_document_saves_every_default(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let saved = app.put(&settings_path(tenant), &json!({})).await.expect(200);
        assert!(saved["id"].is_i64(), "{saved}");
        assert!(saved["last_updated"].is_string(), "{saved}");
        assert_eq!(documents(&saved), default_documents());
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), saved);
    }

    async fn a_full_document_round_trips_exactly(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let saved = app.put(&settings_path(tenant), &full_document()).await.expect(200);
        assert_eq!(documents(&saved), shown(full_document()));
        assert_eq!(documents(&app.get(&settings_path(tenant)).await.expect(200)), shown(full_document()));
        assert_eq!(
            documents(&app.get(&version_path(tenant, &saved["id"])).await.expect(200)),
            shown(full_document())
        );
        let listed = app.get(&history_path(tenant)).await.expect(200);
        assert_eq!(documents(&listed["items"][0]), shown(full_document()));
        let urls = stored_urls(&app, tenant);
        assert_eq!(urls[0].as_deref(), Some("https://contoso.webhook.office.com/webhookb2/abc"));

        // Saving what was read back (masked URLs and `url_set` included) changes nothing but the
        // version: the masked URLs stand for the stored ones.
        let again = app.put(&settings_path(tenant), &documents(&saved)).await.expect(200);
        assert_eq!(documents(&again), shown(full_document()));
        assert_ne!(again["id"], saved["id"]);
        assert_eq!(stored_urls(&app, tenant), urls);
    }

    async fn patch_changes_only_the_named_nested_field_and_saves_a_new_version(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let first = app.put(&settings_path(tenant), &full_document()).await.expect(200);

        let patched = app
            .patch(&settings_path(tenant), &json!({"polling_settings": {"intervals": {"arm": 120}}}))
            .await
            .expect(200);
        let mut expected = full_document();
        expected["polling_settings"]["intervals"]["arm"] = json!(120);
        assert_eq!(documents(&patched), shown(expected.clone()));
        assert_eq!(stored_urls(&app, tenant)[1].as_deref(), Some("https://hooks.slack.com/services/T000/B000/XXXX"));
        assert!(
            patched["id"].as_i64().unwrap() > first["id"].as_i64().unwrap(),
            "a patch saves a new version: {patched}"
        );
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), patched);
        assert_eq!(
            app.get(&version_path(tenant, &first["id"])).await.expect(200),
            first,
            "the previous version is unchanged"
        );
        let history = app.get(&history_path(tenant)).await.expect(200);
        assert_eq!(history["items"], json!([patched, first]));

        // Arrays are replaced whole.
        let replaced = app
            .patch(&settings_path(tenant), &json!({"drift_thresholds": {"ignore_paths": [{"path": "/etag"}]}}))
            .await
            .expect(200);
        expected["drift_thresholds"]["ignore_paths"] = json!([{"path": "/etag"}]);
        assert_eq!(documents(&replaced), shown(expected));

        // An invalid patch saves nothing.
        let problem = app
            .patch(&settings_path(tenant), &json!({"polling_settings": {"intervals": {"arm": 0}}}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(Reply::error_fields(&problem), ["polling_settings.intervals.arm"]);
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), replaced);
        assert_eq!(app.collect_all(&history_path(tenant), 50).await.len(), 3);
    }

    async fn patch_without_saved_settings_starts_from_the_defaults(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let patched = app
            .patch(&settings_path(tenant), &json!({"notification_settings": {"digest": {"threshold": 50}}}))
            .await
            .expect(200);
        let mut expected = default_documents();
        expected["notification_settings"]["digest"]["threshold"] = json!(50);
        assert_eq!(documents(&patched), expected);
        assert!(patched["id"].is_i64());
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), patched);
    }

    async fn disabled_sources_stop_polling_and_survive_other_patches(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let saved = app
            .patch(&settings_path(tenant), &json!({"polling_settings": {"disabled_sources": ["arm"]}}))
            .await
            .expect(200);
        assert_eq!(saved["polling_settings"]["disabled_sources"], json!(["arm"]));
        assert_eq!(saved["polling_settings"]["intervals"]["arm"], 60, "the interval is kept for when it comes back");

        // A patch of another field keeps the source switched off.
        let patched = app
            .patch(&settings_path(tenant), &json!({"polling_settings": {"jitter_percent": 5}}))
            .await
            .expect(200);
        assert_eq!(patched["polling_settings"]["disabled_sources"], json!(["arm"]));

        let problem = app
            .patch(&settings_path(tenant), &json!({"polling_settings": {"disabled_sources": ["arm", "arm"]}}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(field_codes(&problem), pairs(&[("polling_settings.disabled_sources", "unique")]));
        // In a merge patch, null removes a field, which puts its default back.
        let reset = app
            .patch(&settings_path(tenant), &json!({"polling_settings": {"intervals": {"arm": 5}}}))
            .await
            .expect(200);
        assert_eq!(reset["polling_settings"]["intervals"]["arm"], 5);
        let reset = app
            .patch(&settings_path(tenant), &json!({"polling_settings": {"intervals": {"arm": null}}}))
            .await
            .expect(200);
        assert_eq!(reset["polling_settings"]["intervals"]["arm"], 60);
        // A whole document cannot hold a null interval.
        let problem = app
            .put(&settings_path(tenant), &json!({"polling_settings": {"intervals": {"arm": null}}}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(field_codes(&problem), pairs(&[("polling_settings.intervals.arm", "type")]), "null is not an interval");
    }

    async fn settings_history_lists_versions_newest_first_through_cursors(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let mut saved = Vec::new();
        for jitter in 1..=5 {
            let version = app
                .put(&settings_path(tenant), &json!({"polling_settings": {"jitter_percent": jitter}}))
                .await
                .expect(200);
            saved.push(version);
        }
        let newest_first: Vec<Value> = saved.iter().rev().cloned().collect();

        let first = app.get(&format!("{}?limit=2", history_path(tenant))).await.expect(200);
        assert_eq!(first["items"], json!(newest_first[0..2]));
        let cursor = first["next_cursor"].as_str().expect("a second page").to_owned();
        let second = app
            .get(&format!("{}?limit=2&cursor={cursor}", history_path(tenant)))
            .await
            .expect(200);
        assert_eq!(second["items"], json!(newest_first[2..4]));
        let cursor = second["next_cursor"].as_str().expect("a third page").to_owned();
        let third = app
            .get(&format!("{}?limit=2&cursor={cursor}", history_path(tenant)))
            .await
            .expect(200);
        assert_eq!(third, json!({"items": [newest_first[4]]}), "the last page has no next_cursor");

        assert_eq!(app.collect_all(&history_path(tenant), 1).await, newest_first);
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), newest_first[0]);
        for version in &saved {
            assert_eq!(&app.get(&version_path(tenant, &version["id"])).await.expect(200), version);
        }
    }

    async fn settings_history_refuses_a_sort_and_bad_paging(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        app.put(&settings_path(tenant), &json!({})).await.expect(200);
        for query in ["sort=", "sort=-last_updated", "sort=id"] {
            let problem = app
                .get(&format!("{}?{query}", history_path(tenant)))
                .await
                .expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["sort"], "{query}");
        }
        for query in ["limit=0", "limit=501"] {
            let problem = app
                .get(&format!("{}?{query}", history_path(tenant)))
                .await
                .expect_problem(422, "validation-failed");
            assert_eq!(Reply::error_fields(&problem), ["limit"], "{query}");
        }
        let problem = app
            .get(&format!("{}?source=entra", history_path(tenant)))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(field_codes(&problem), pairs(&[("source", "unknown_parameter")]));
        app.get(&format!("{}?cursor=garbage", history_path(tenant)))
            .await
            .expect_problem(400, "invalid-cursor");
    }

    async fn deleting_the_newest_version_puts_the_previous_one_back_in_force(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let first = app
            .put(&settings_path(tenant), &json!({"polling_settings": {"jitter_percent": 1}}))
            .await
            .expect(200);
        let second = app
            .put(&settings_path(tenant), &json!({"polling_settings": {"jitter_percent": 2}}))
            .await
            .expect(200);
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), second);

        assert_eq!(app.delete(&version_path(tenant, &second["id"])).await.expect(204), Value::Null);
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), first);
        app.get(&version_path(tenant, &second["id"])).await.expect_problem(404, "not-found");
        app.delete(&version_path(tenant, &second["id"])).await.expect_problem(404, "not-found");
        assert_eq!(app.get(&history_path(tenant)).await.expect(200), json!({"items": [first]}));

        app.delete(&version_path(tenant, &first["id"])).await.expect(204);
        assert_eq!(
            app.get(&settings_path(tenant)).await.expect(200),
            defaults(tenant),
            "deleting the last version brings back the defaults"
        );
        assert_eq!(app.get(&history_path(tenant)).await.expect(200), json!({"items": []}));
    }

    async fn deleting_an_older_version_keeps_the_newest_in_force(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let first = app.put(&settings_path(tenant), &json!({})).await.expect(200);
        let second = app
            .put(&settings_path(tenant), &json!({"drift_thresholds": {"default_severity": "low"}}))
            .await
            .expect(200);
        app.delete(&version_path(tenant, &first["id"])).await.expect(204);
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), second);
        assert_eq!(app.get(&history_path(tenant)).await.expect(200), json!({"items": [second]}));
    }

    async fn a_version_of_one_tenant_is_not_found_through_another(app: TestApp) {
        let a = app.tenant("Contoso", 1).await;
        let b = app.tenant("Fabrikam", 2).await;
        let version = app.put(&settings_path(a), &full_document()).await.expect(200);

        app.get(&version_path(b, &version["id"])).await.expect_problem(404, "not-found");
        app.delete(&version_path(b, &version["id"])).await.expect_problem(404, "not-found");
        assert_eq!(app.get(&settings_path(b)).await.expect(200), defaults(b));
        assert_eq!(app.get(&history_path(b)).await.expect(200), json!({"items": []}));

        assert_eq!(app.get(&version_path(a, &version["id"])).await.expect(200), version);
        assert_eq!(app.get(&settings_path(a)).await.expect(200), version);
    }

    async fn out_of_range_polling_values_name_the_nested_field(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        for arm in [0, 1441] {
            let problem = refused_put(&app, tenant, json!({"polling_settings": {"intervals": {"arm": arm}}})).await;
            assert_eq!(field_codes(&problem), pairs(&[("polling_settings.intervals.arm", "range")]), "arm {arm}");
        }
        let problem = refused_put(&app, tenant, json!({"polling_settings": {"intervals": {"signins": 61}}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("polling_settings.intervals.signins", "range")]));
        let problem = refused_put(&app, tenant, json!({"polling_settings": {"jitter_percent": 51}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("polling_settings.jitter_percent", "range")]));

        let problem = refused_put(
            &app,
            tenant,
            json!({
                "polling_settings": {
                    "intervals": {"arm": 0, "signins": 61},
                    "jitter_percent": 51,
                    "retention": {"signin_days": 0},
                },
            }),
        )
        .await;
        assert_eq!(
            Reply::error_fields(&problem),
            [
                "polling_settings.intervals.arm",
                "polling_settings.intervals.signins",
                "polling_settings.jitter_percent",
                "polling_settings.retention.signin_days",
            ],
            "every failing field is named, in order"
        );

        // The bounds themselves are accepted.
        let saved = app
            .put(
                &settings_path(tenant),
                &json!({"polling_settings": {"intervals": {"arm": 1, "entra": 1440, "signins": 60}, "jitter_percent": 50}}),
            )
            .await
            .expect(200);
        assert_eq!(saved["polling_settings"]["intervals"], json!({"entra": 1440, "intune": 30, "arm": 1, "signins": 60}));
        assert_eq!(saved["polling_settings"]["jitter_percent"], 50);
    }

    async fn invalid_channels_name_the_channel(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let teams = channel("Teams", "teams", Some("https://contoso.webhook.office.com/x"), &[]);

        let many: Vec<Value> = (0..21)
            .map(|n| channel(&format!("Teams {n}"), "teams", Some("https://contoso.webhook.office.com/x"), &[]))
            .collect();
        let problem = refused_put(&app, tenant, with_channels(many.clone())).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels", "length")]));
        let saved = app.put(&settings_path(tenant), &with_channels(many[..20].to_vec())).await.expect(200);
        assert_eq!(saved["notification_settings"]["channels"].as_array().unwrap().len(), 20);
        app.delete(&version_path(tenant, &saved["id"])).await.expect(204);

        let problem = refused_put(&app, tenant, with_channels(vec![channel("SIEM", "webhook", None, &[])])).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0]", "url_required")]));

        let problem = refused_put(
            &app,
            tenant,
            with_channels(vec![teams.clone(), channel("Mail", "email", None, &["secops@contoso.com", "not-an-address"])]),
        )
        .await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[1]", "email")]));

        let problem = refused_put(&app, tenant, with_channels(vec![channel("Mail", "email", None, &[])])).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0]", "recipients")]));

        let problem = refused_put(
            &app,
            tenant,
            with_channels(vec![channel("Mail", "email", Some("https://contoso.com"), &["a@contoso.com"])]),
        )
        .await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0]", "url_not_allowed")]));

        let problem = refused_put(
            &app,
            tenant,
            with_channels(vec![channel("Slack", "slack", Some("https://hooks.slack.com/x"), &["a@contoso.com"])]),
        )
        .await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0]", "recipients_not_allowed")]));

        let problem = refused_put(&app, tenant, with_channels(vec![channel("", "teams", Some("https://contoso.com/x"), &[])])).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0].name", "length")]));

        let problem = refused_put(&app, tenant, with_channels(vec![channel("Teams", "pager", None, &[])])).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0].kind", "unknown_value")]));
    }

    async fn a_plain_http_webhook_is_only_accepted_to_a_loopback_host(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        for url in ["http://example.com/hook", "http://10.0.0.5/hook", "http://localhost.example.com/hook", "ftp://example.com/hook"] {
            let problem = refused_put(&app, tenant, with_channels(vec![channel("SIEM", "webhook", Some(url), &[])])).await;
            assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0]", "url_scheme")]), "{url}");
        }
        let problem = refused_put(&app, tenant, with_channels(vec![channel("SIEM", "webhook", Some("not a url"), &[])])).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0]", "url")]));

        for url in ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://[::1]:8080/hook", "https://example.com/hook"] {
            let saved = app
                .put(&settings_path(tenant), &with_channels(vec![channel("SIEM", "webhook", Some(url), &[])]))
                .await
                .expect(200);
            assert_eq!(saved["notification_settings"]["channels"][0]["url"], url);
        }
    }

    async fn duplicate_channel_names_are_refused_whatever_their_case(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let problem = refused_put(
            &app,
            tenant,
            with_channels(vec![
                channel("Ops", "teams", Some("https://contoso.webhook.office.com/x"), &[]),
                channel("Mail", "email", None, &["a@contoso.com"]),
                channel("ops", "slack", Some("https://hooks.slack.com/x"), &[]),
            ]),
        )
        .await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings", "unique")]));

        let problem = refused_put(
            &app,
            tenant,
            with_channels(vec![
                channel("Ops", "teams", Some("https://contoso.webhook.office.com/x"), &[]),
                channel("Ops", "teams", Some("https://contoso.webhook.office.com/x"), &[]),
            ]),
        )
        .await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings", "unique")]));
    }

    async fn invalid_drift_rules_name_the_rule_field(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let problem = refused_put(
            &app,
            tenant,
            json!({"drift_thresholds": {"ignore_paths": [{"path": "properties/provisioningState"}]}}),
        )
        .await;
        assert_eq!(field_codes(&problem), pairs(&[("drift_thresholds.ignore_paths[0].path", "json_pointer")]));

        let problem = refused_put(
            &app,
            tenant,
            json!({"drift_thresholds": {"ignore_paths": [{"path": "/ok"}, {"path": "/a~2"}]}}),
        )
        .await;
        assert_eq!(field_codes(&problem), pairs(&[("drift_thresholds.ignore_paths[1].path", "json_pointer")]));

        let problem = refused_put(
            &app,
            tenant,
            json!({"drift_thresholds": {"severity_rules": [{"path_prefix": "conditions", "severity": "high"}]}}),
        )
        .await;
        assert_eq!(field_codes(&problem), pairs(&[("drift_thresholds.severity_rules[0].path_prefix", "json_pointer")]));

        let problem = refused_put(&app, tenant, json!({"drift_thresholds": {"ignore_paths": [{"source": "arm"}]}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("drift_thresholds.ignore_paths[0].path", "required")]));

        let problem = refused_put(&app, tenant, json!({"drift_thresholds": {"severity_rules": [{"severity": "urgent"}]}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("drift_thresholds.severity_rules[0].severity", "unknown_value")]));
    }

    async fn a_value_of_the_wrong_type_names_the_field(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let problem = refused_put(&app, tenant, json!({"polling_settings": {"intervals": {"arm": "x"}}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("polling_settings.intervals.arm", "type")]));

        let problem = refused_put(&app, tenant, json!({"polling_settings": {"jitter_percent": -1}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("polling_settings.jitter_percent", "type")]));

        let problem = refused_put(&app, tenant, json!({"notification_settings": {"channels": {}}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels", "type")]));

        let problem = app
            .patch(&settings_path(tenant), &json!({"polling_settings": {"enabled": "yes"}}))
            .await
            .expect_problem(422, "validation-failed");
        assert_eq!(field_codes(&problem), pairs(&[("polling_settings.enabled", "type")]));
    }

    async fn unknown_fields_are_refused_at_every_level(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let cases = [
            (json!({"polling": {}}), "polling"),
            (json!({"polling_settings": {"intervalls": {}}}), "polling_settings.intervalls"),
            (json!({"polling_settings": {"intervals": {"graph": 5}}}), "polling_settings.intervals.graph"),
            (
                json!({"notification_settings": {"channels": [{"name": "x", "kind": "teams", "url": "https://x.com", "colour": "red"}]}}),
                "notification_settings.channels[0].colour",
            ),
            (
                json!({"drift_thresholds": {"ignore_paths": [{"path": "/x", "why": "typo of reason"}]}}),
                "drift_thresholds.ignore_paths[0].why",
            ),
        ];
        for (body, field) in cases {
            let problem = refused_put(&app, tenant, body.clone()).await;
            assert_eq!(field_codes(&problem), pairs(&[(field, "unknown_field")]), "{body}");

            let problem = app
                .patch(&settings_path(tenant), &body)
                .await
                .expect_problem(422, "validation-failed");
            assert_eq!(field_codes(&problem), pairs(&[(field, "unknown_field")]), "patch {body}");
        }
        assert_eq!(app.get(&settings_path(tenant)).await.expect(200), defaults(tenant));
    }
}

on_both_backends! {
    async fn out_of_range_digest_values_name_the_nested_field(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let problem = refused_put(&app, tenant, json!({"notification_settings": {"digest": {"window_minutes": 0}}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.digest.window_minutes", "range")]));
        let problem = refused_put(&app, tenant, json!({"notification_settings": {"digest": {"window_minutes": 1441}}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.digest.window_minutes", "range")]));
        let problem = refused_put(&app, tenant, json!({"notification_settings": {"digest": {"threshold": 1}}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.digest.threshold", "range")]));
        let problem = refused_put(&app, tenant, json!({"notification_settings": {"digest": {"threshold": 10001}}})).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.digest.threshold", "range")]));
    }

    async fn each_version_records_who_saved_it(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let defaults = app.get(&settings_path(tenant)).await.expect(200);
        assert_eq!(defaults["saved_by"], Value::Null, "nobody saved the defaults");
        app.put(&settings_path(tenant), &json!({})).await.expect(200);
        let saved = app.get(&settings_path(tenant)).await.expect(200);
        let by = saved["saved_by"].as_str().expect("saved_by");
        assert!(by.starts_with("user ") && by.contains('('), "{by}");
        let history = app.get(&format!("{}/history", settings_path(tenant))).await.expect(200);
        assert_eq!(history["items"][0]["saved_by"], by);
    }

    async fn responses_say_whether_a_webhook_has_a_secret_without_showing_it(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let signed = json!({"name": "Signed", "kind": "webhook", "url": "https://siem.contoso.com/a", "secret": "0123456789abcdef-secret"});
        let unsigned = json!({"name": "Unsigned", "kind": "webhook", "url": "https://siem.contoso.com/b"});
        app.put(&settings_path(tenant), &with_channels(vec![signed, unsigned])).await.expect(200);
        let shown = app.get(&settings_path(tenant)).await.expect(200);
        let channels = shown["notification_settings"]["channels"].clone();
        assert_eq!(channels[0]["secret_set"], true);
        assert_eq!(channels[1]["secret_set"], false);
        assert!(!shown.to_string().contains("0123456789abcdef-secret"));
        // Sending the channels back as shown keeps the secret, and still says so.
        app.put(&settings_path(tenant), &with_channels(channels.as_array().unwrap().clone())).await.expect(200);
        let again = app.get(&settings_path(tenant)).await.expect(200);
        assert_eq!(again["notification_settings"]["channels"][0]["secret_set"], true);
    }

    async fn secret_urls_are_write_only_and_kept_by_name_and_kind(app: TestApp) {
        let tenant = app.tenant("Contoso", 1).await;
        let teams_url = "https://contoso.webhook.office.com/webhookb2/secret-part";
        let token_url = "https://siem.contoso.com/hook?token=secret-token";
        let plain_url = "https://siem.contoso.com/hook";
        app.put(&settings_path(tenant), &with_channels(vec![
            channel("Teams", "teams", Some(teams_url), &[]),
            channel("SIEM", "webhook", Some(token_url), &[]),
            channel("Plain", "webhook", Some(plain_url), &[]),
        ])).await.expect(200);
        let shown = app.get(&settings_path(tenant)).await.expect(200);
        let channels = &shown["notification_settings"]["channels"];
        assert_eq!(channels[0]["url"], "https://contoso.webhook.office.com/…");
        assert_eq!(channels[1]["url"], "https://siem.contoso.com/…", "a query string may hold a token");
        assert_eq!(channels[2]["url"], plain_url, "a webhook URL without credentials is shown");
        assert!(channels.as_array().unwrap().iter().all(|c| c["url_set"] == true));

        // Omitting the url keeps it too (same name in another case, same kind).
        let omitted = json!({"name": "teams", "kind": "teams"});
        app.put(&settings_path(tenant), &with_channels(vec![omitted, channels[1].clone()])).await.expect(200);
        assert_eq!(stored_urls(&app, tenant), [Some(teams_url.to_owned()), Some(token_url.to_owned())]);

        // A masked URL under a new name, or for another kind, stands for nothing.
        let renamed = json!({"name": "Teams (new)", "kind": "teams", "url": "https://contoso.webhook.office.com/…"});
        let problem = refused_put_keeping(&app, tenant, with_channels(vec![renamed])).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0].url", "masked")]));
        let other_kind = json!({"name": "Teams", "kind": "slack", "url": "https://hooks.slack.com/…"});
        let problem = refused_put_keeping(&app, tenant, with_channels(vec![other_kind])).await;
        assert_eq!(field_codes(&problem), pairs(&[("notification_settings.channels[0].url", "masked")]));
    }
}
