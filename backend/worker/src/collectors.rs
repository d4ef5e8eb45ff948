//! What each source lists, and how listed items map to stored configurations.

use serde_json::{json, Value};

use drift_core::polling::ObservedResource;

use crate::azure::{AzureClient, AzureError, Resource};

/// Resource Graph's page size maximum.
const RESOURCE_GRAPH_TOP: u32 = 1000;
/// The most subscriptions one Resource Graph request may name: a tenant with more is queried
/// in batches ("Batch requests for the query with a subset of subscriptions to stay under the
/// 1,000 subscription limit", learn.microsoft.com azure/governance/resource-graph/troubleshoot/general).
pub const RESOURCE_GRAPH_MAX_SUBSCRIPTIONS: usize = 1000;
/// The Resource Graph query of the ARM listing. No `order by`: `$skipToken` paging is stable
/// without one as long as `id` is in the rows (azure-facts: "project id for stable paging"), and
/// sorting makes the service order the whole result set again for every page.
pub const RESOURCE_GRAPH_QUERY: &str = "resources";

/// One listing of a source: a Graph collection, a single Graph entity, or Resource Graph.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    /// A Graph v1.0 collection and the type of items that carry no `@odata.type`.
    GraphCollection {
        path: &'static str,
        default_type: &'static str,
    },
    /// A single Graph v1.0 entity.
    GraphEntity {
        path: &'static str,
        default_type: &'static str,
    },
    /// A Graph **beta** collection whose items each carry a navigation property read with a
    /// request of its own (`{path}/{id}/{navigation}`), stored inside the item. Beta is
    /// optional: see [`Listing::optional`].
    GraphBetaWithNavigation {
        path: &'static str,
        navigation: &'static str,
        default_type: &'static str,
    },
    /// Every resource of every visible subscription.
    ResourceGraph,
}

impl Listing {
    /// The resource type of the listing's items when it is optional: a tenant where Graph
    /// beta answers 403 or 404 (not licensed, not consented, or beta withdrawn) still
    /// completes its poll with the v1.0 listings, and what this listing stored before is
    /// neither changed nor deleted (a missing listing is not a complete one, and never drift).
    pub fn optional(&self) -> Option<&'static str> {
        match self {
            Listing::GraphBetaWithNavigation { default_type, .. } => Some(default_type),
            _ => None,
        }
    }
}

pub const ENTRA: &[Listing] = &[
    Listing::GraphCollection {
        path: "identity/conditionalAccess/policies",
        default_type: "microsoft.graph.conditionalAccessPolicy",
    },
    Listing::GraphCollection {
        path: "identity/conditionalAccess/namedLocations",
        default_type: "microsoft.graph.namedLocation",
    },
    Listing::GraphEntity {
        path: "policies/authenticationMethodsPolicy",
        default_type: "microsoft.graph.authenticationMethodsPolicy",
    },
    Listing::GraphCollection {
        path: "roleManagement/directory/roleAssignments",
        default_type: "microsoft.graph.unifiedRoleAssignment",
    },
    Listing::GraphCollection {
        path: "applications",
        default_type: "microsoft.graph.application",
    },
    Listing::GraphCollection {
        path: "servicePrincipals",
        default_type: "microsoft.graph.servicePrincipal",
    },
];

pub const INTUNE: &[Listing] = &[
    Listing::GraphCollection {
        path: "deviceManagement/deviceConfigurations",
        default_type: "microsoft.graph.deviceConfiguration",
    },
    Listing::GraphCollection {
        path: "deviceManagement/deviceCompliancePolicies",
        default_type: "microsoft.graph.deviceCompliancePolicy",
    },
    // Settings-catalog policies exist in Graph beta only; their settings are a navigation
    // property (`GET /beta/deviceManagement/configurationPolicies/{id}/settings`).
    Listing::GraphBetaWithNavigation {
        path: "deviceManagement/configurationPolicies",
        navigation: "settings",
        default_type: "microsoft.graph.deviceManagementConfigurationPolicy",
    },
];

pub const ARM: &[Listing] = &[Listing::ResourceGraph];

/// Reads a listing page by page.
pub struct Pager<'a> {
    client: &'a AzureClient,
    tenant: &'a str,
    listing: Listing,
    state: PagerState,
}

enum PagerState {
    Start,
    Next(String),
    /// Resource Graph: the batches of subscriptions still to list (the first in hand) and the
    /// next `$skipToken` of the first.
    Skip(Vec<Vec<String>>, Option<String>),
    Done,
}

impl<'a> Pager<'a> {
    pub fn new(client: &'a AzureClient, tenant: &'a str, listing: Listing) -> Self {
        Self {
            client,
            tenant,
            listing,
            state: PagerState::Start,
        }
    }

    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<ObservedResource>>, AzureError> {
        let graph = &self.client.config().graph_url;
        let arm = &self.client.config().arm_url;
        match (
            self.listing,
            std::mem::replace(&mut self.state, PagerState::Done),
        ) {
            (_, PagerState::Done) => Ok(None),
            (Listing::GraphEntity { path, default_type }, _) => {
                let mut entity = self
                    .client
                    .get(
                        self.tenant,
                        Resource::Graph,
                        &format!("{graph}/v1.0/{path}"),
                    )
                    .await?;
                if let Some(object) = entity.as_object_mut() {
                    object.remove("@odata.context");
                }
                Ok(Some(graph_item(entity, default_type).into_iter().collect()))
            }
            (Listing::GraphCollection { path, default_type }, state) => {
                let url = match state {
                    PagerState::Next(url) => url,
                    _ => format!("{graph}/v1.0/{path}"),
                };
                let page = self.client.get(self.tenant, Resource::Graph, &url).await?;
                // Follow `@odata.nextLink` as it is; never rebuild it.
                if let Some(next) = page["@odata.nextLink"].as_str() {
                    self.state = PagerState::Next(next.to_owned());
                }
                Ok(Some(items(page, "value", |item| {
                    graph_item(item, default_type)
                })))
            }
            (
                Listing::GraphBetaWithNavigation {
                    path,
                    navigation,
                    default_type,
                },
                state,
            ) => {
                let url = match state {
                    PagerState::Next(url) => url,
                    _ => format!("{graph}/beta/{path}"),
                };
                let mut page = self.client.get(self.tenant, Resource::Graph, &url).await?;
                if let Some(next) = page["@odata.nextLink"].as_str() {
                    self.state = PagerState::Next(next.to_owned());
                }
                if let Some(items) = page["value"].as_array_mut() {
                    for item in items.iter_mut() {
                        let Some(id) = item["id"].as_str().map(str::to_owned) else {
                            continue;
                        };
                        let first = format!("{graph}/beta/{path}/{id}/{navigation}");
                        let values = self.collection(&first).await?;
                        item[navigation] = Value::Array(values);
                    }
                }
                Ok(Some(items(page, "value", |item| {
                    graph_item(item, default_type)
                })))
            }
            (Listing::ResourceGraph, state) => {
                let (mut batches, skip_token) = match state {
                    PagerState::Skip(batches, token) => (batches, token),
                    _ => (subscription_batches(self.subscriptions().await?), None),
                };
                if batches.is_empty() {
                    return Ok(Some(Vec::new()));
                }
                let mut options =
                    json!({"resultFormat": "objectArray", "$top": RESOURCE_GRAPH_TOP});
                if let Some(token) = &skip_token {
                    options["$skipToken"] = json!(token);
                }
                let body = json!({
                    "subscriptions": batches[0],
                    "query": RESOURCE_GRAPH_QUERY,
                    "options": options,
                });
                let url = format!(
                    "{arm}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
                );
                let page = self
                    .client
                    .post(self.tenant, Resource::Arm, &url, &body)
                    .await?;
                // A subscription belongs to one batch, so each resource is listed once.
                match page["$skipToken"].as_str() {
                    Some(token) => {
                        self.state = PagerState::Skip(batches, Some(token.to_owned()));
                    }
                    None if batches.len() > 1 => {
                        batches.remove(0);
                        self.state = PagerState::Skip(batches, None);
                    }
                    None => {}
                }
                Ok(Some(items(page, "data", arm_item)))
            }
        }
    }

    async fn subscriptions(&self) -> Result<Vec<String>, AzureError> {
        subscriptions(self.client, self.tenant).await
    }

    /// Every item of a Graph collection, following `@odata.nextLink`.
    async fn collection(&self, first: &str) -> Result<Vec<Value>, AzureError> {
        let mut values = Vec::new();
        let mut next = Some(first.to_owned());
        while let Some(url) = next.take() {
            let mut page = self.client.get(self.tenant, Resource::Graph, &url).await?;
            next = page["@odata.nextLink"].as_str().map(str::to_owned);
            if let Some(Value::Array(items)) = page.get_mut("value").map(Value::take) {
                values.extend(items);
            }
        }
        Ok(values)
    }
}

/// The subscriptions in batches of at most [`RESOURCE_GRAPH_MAX_SUBSCRIPTIONS`], each id once.
pub fn subscription_batches(mut subscriptions: Vec<String>) -> Vec<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    subscriptions.retain(|id| seen.insert(id.to_lowercase()));
    subscriptions
        .chunks(RESOURCE_GRAPH_MAX_SUBSCRIPTIONS)
        .map(<[String]>::to_vec)
        .collect()
}

/// Every subscription the app can see in the tenant.
pub async fn subscriptions(client: &AzureClient, tenant: &str) -> Result<Vec<String>, AzureError> {
    {
        let arm = &client.config().arm_url;
        let mut url = format!("{arm}/subscriptions?api-version=2022-12-01");
        let mut ids = Vec::new();
        loop {
            let page = client.get(tenant, Resource::Arm, &url).await?;
            for subscription in page["value"].as_array().into_iter().flatten() {
                if let Some(id) = subscription["subscriptionId"].as_str() {
                    ids.push(id.to_owned());
                }
            }
            match page["nextLink"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return Ok(ids),
            }
        }
    }
}

fn items(
    mut page: Value,
    field: &str,
    map: impl Fn(Value) -> Option<ObservedResource>,
) -> Vec<ObservedResource> {
    match page.get_mut(field).map(Value::take) {
        Some(Value::Array(items)) => items.into_iter().filter_map(map).collect(),
        _ => Vec::new(),
    }
}

/// A Graph entity: id, `@odata.type` without `#` (else the collection's type), `displayName`.
pub fn graph_item(item: Value, default_type: &str) -> Option<ObservedResource> {
    let resource_id = item["id"].as_str()?.to_owned();
    let resource_type = item["@odata.type"]
        .as_str()
        .map(|t| t.trim_start_matches('#').to_owned())
        .unwrap_or_else(|| default_type.to_owned());
    let resource_name = item["displayName"]
        .as_str()
        .or_else(|| item["name"].as_str())
        .unwrap_or(&resource_id)
        .to_owned();
    Some(ObservedResource {
        resource_id,
        resource_type,
        resource_name,
        config_data: item,
    })
}

/// An ARM resource: its id, `type` and `name`.
pub fn arm_item(item: Value) -> Option<ObservedResource> {
    let resource_id = item["id"].as_str()?.to_owned();
    Some(ObservedResource {
        resource_type: item["type"].as_str().unwrap_or_default().to_owned(),
        resource_name: item["name"].as_str().unwrap_or(&resource_id).to_owned(),
        resource_id,
        config_data: item,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_batched_by_the_request_limit_each_once() {
        let ids: Vec<String> = (0..2001).map(|i| format!("sub-{i}")).collect();
        let mut with_repeat = ids.clone();
        with_repeat.push("SUB-7".into());
        let batches = subscription_batches(with_repeat);
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [1000, 1000, 1]
        );
        assert_eq!(batches.concat(), ids);
        assert!(subscription_batches(Vec::new()).is_empty());
    }

    #[test]
    fn graph_items_take_their_own_type_else_the_collections() {
        let named = graph_item(
            json!({"id": "1", "@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "HQ"}),
            "microsoft.graph.namedLocation",
        )
        .unwrap();
        assert_eq!(named.resource_type, "microsoft.graph.ipNamedLocation");
        assert_eq!(named.resource_name, "HQ");
        let policy = graph_item(
            json!({"id": "2"}),
            "microsoft.graph.conditionalAccessPolicy",
        )
        .unwrap();
        assert_eq!(
            policy.resource_type,
            "microsoft.graph.conditionalAccessPolicy"
        );
        assert_eq!(policy.resource_name, "2");
        assert!(graph_item(json!({"displayName": "no id"}), "t").is_none());
    }
}
