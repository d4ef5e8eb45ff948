//! Who made a change: the directory audit log (Entra, Intune) or Resource Graph's
//! `resourcechanges` (ARM), fetched once per poll for the window since the last successful
//! poll and indexed by resource id.
//!
//! Records can trail a change by minutes; a change whose record has not arrived yet is
//! recorded as made by `unknown`, and later polls within [`LATE_RECORDS`] fill it in.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use drift_core::types::Source;
use drift_core::UtcTime;

use crate::azure::{AzureClient, AzureError, Resource};

/// How far before the last successful poll the window starts (audit records trail changes).
const SLACK: Duration = Duration::minutes(30);
/// How long a change stays `unknown`-but-pending: Entra audit data typically arrives within
/// 5-15 minutes, Resource Graph changes within 5.
pub const LATE_RECORDS: Duration = Duration::minutes(30);
/// The window of a poll that never succeeded before.
const FIRST_WINDOW: Duration = Duration::days(1);

/// Resource id (lower case) → (when, who), keeping the newest record per resource.
pub type Actors = HashMap<String, (UtcTime, String)>;

fn keep_newest(
    index: &mut HashMap<String, (DateTime<Utc>, String)>,
    id: &str,
    at: DateTime<Utc>,
    who: String,
) {
    let key = id.to_lowercase();
    match index.get(&key) {
        Some((seen, _)) if *seen >= at => {}
        _ => {
            index.insert(key, (at, who));
        }
    }
}

/// The actors of the changes in the window, for a configuration source.
pub async fn actors(
    client: &AzureClient,
    tenant: &str,
    source: Source,
    since: Option<DateTime<Utc>>,
    subscriptions: impl std::future::Future<Output = Result<Vec<String>, AzureError>>,
) -> Result<Actors, AzureError> {
    let since = since.map_or_else(|| Utc::now() - FIRST_WINDOW, |s| s - SLACK);
    let mut index = HashMap::new();
    match source {
        Source::Entra | Source::Intune => {
            directory_audits(client, tenant, since, &mut index).await?
        }
        Source::Arm => {
            resource_changes(client, tenant, since, subscriptions.await?, &mut index).await?
        }
    }
    Ok(index
        .into_iter()
        .map(|(id, (at, who))| (id, (UtcTime::new(at), who)))
        .collect())
}

async fn directory_audits(
    client: &AzureClient,
    tenant: &str,
    since: DateTime<Utc>,
    index: &mut HashMap<String, (DateTime<Utc>, String)>,
) -> Result<(), AzureError> {
    let mut url = url::Url::parse(&format!(
        "{}/v1.0/auditLogs/directoryAudits",
        client.config().graph_url
    ))
    .expect("a valid Graph URL");
    url.query_pairs_mut().append_pair(
        "$filter",
        &format!("activityDateTime ge {}", since.format("%Y-%m-%dT%H:%M:%SZ")),
    );
    let mut next = Some(url.to_string());
    while let Some(page_url) = next.take() {
        let page = client.get(tenant, Resource::Graph, &page_url).await?;
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        for record in page["value"].as_array().into_iter().flatten() {
            let Some(at) = record["activityDateTime"]
                .as_str()
                .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            else {
                continue;
            };
            let Some(who) = audit_actor(record) else {
                continue;
            };
            for target in record["targetResources"].as_array().into_iter().flatten() {
                if let Some(id) = target["id"].as_str() {
                    keep_newest(index, id, at, who.to_owned());
                }
            }
        }
    }
    Ok(())
}

async fn resource_changes(
    client: &AzureClient,
    tenant: &str,
    since: DateTime<Utc>,
    subscriptions: Vec<String>,
    index: &mut HashMap<String, (DateTime<Utc>, String)>,
) -> Result<(), AzureError> {
    if subscriptions.is_empty() {
        return Ok(());
    }
    let url = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01",
        client.config().arm_url
    );
    let query = format!(
        "resourcechanges | where todatetime(properties.changeAttributes.timestamp) >= datetime({}) | order by id asc",
        since.format("%Y-%m-%dT%H:%M:%SZ")
    );
    // Each batch of subscriptions is its own query with its own `$skipToken` chain.
    for batch in crate::collectors::subscription_batches(subscriptions) {
        let mut skip_token: Option<String> = None;
        loop {
            let mut options = json!({"resultFormat": "objectArray", "$top": 1000});
            if let Some(token) = &skip_token {
                options["$skipToken"] = json!(token);
            }
            let body = json!({"subscriptions": batch, "query": query, "options": options});
            let page = client.post(tenant, Resource::Arm, &url, &body).await?;
            for record in page["data"].as_array().into_iter().flatten() {
                index_resource_change(record, index);
            }
            match page["$skipToken"].as_str() {
                Some(token) => skip_token = Some(token.to_owned()),
                None => break,
            }
        }
    }
    Ok(())
}

/// Indexes one `resourcechanges` row by its target resource, unless only the platform changed
/// it or it names nobody.
fn index_resource_change(record: &Value, index: &mut HashMap<String, (DateTime<Utc>, String)>) {
    let properties = &record["properties"];
    let attributes = &properties["changeAttributes"];
    // Platform (`System`) changes such as provisioningState are nobody's edit. Creates and
    // deletes list no property changes at all: those are someone's.
    let by_user = properties["changes"].as_object().is_none_or(|changes| {
        changes.is_empty() || changes.values().any(|c| c["changeCategory"] != "System")
    });
    let who = attributes["changedBy"].as_str().unwrap_or_default();
    let at = attributes["timestamp"]
        .as_str()
        .and_then(|t| t.parse::<DateTime<Utc>>().ok());
    let id = properties["targetResourceId"].as_str();
    if let (true, false, Some(at), Some(id)) =
        (by_user, who.is_empty() || who == "Unspecified", at, id)
    {
        keep_newest(index, id, at, who.to_owned());
    }
}

/// The actor of a directory audit: `initiatedBy.user.userPrincipalName`, else
/// `initiatedBy.app.displayName`.
fn audit_actor(record: &Value) -> Option<&str> {
    record["initiatedBy"]["user"]["userPrincipalName"]
        .as_str()
        .or_else(|| record["initiatedBy"]["app"]["displayName"].as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_names_the_user_else_the_app() {
        let user =
            json!({"initiatedBy": {"user": {"userPrincipalName": "a@contoso.com"}, "app": null}});
        let app = json!({"initiatedBy": {"user": null, "app": {"displayName": "Terraform"}}});
        assert_eq!(audit_actor(&user), Some("a@contoso.com"));
        assert_eq!(audit_actor(&app), Some("Terraform"));
    }

    #[test]
    fn the_newest_record_wins() {
        let mut index = HashMap::new();
        let early: DateTime<Utc> = "2024-01-01T00:00:00Z".parse().unwrap();
        let late: DateTime<Utc> = "2024-01-01T00:05:00Z".parse().unwrap();
        keep_newest(&mut index, "ID", late, "b".into());
        keep_newest(&mut index, "id", early, "a".into());
        assert_eq!(index["id"].1, "b");
    }
}
