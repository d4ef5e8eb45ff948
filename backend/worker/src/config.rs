//! The worker's configuration, from the environment (names fixed by issue 5).

use std::fmt;

/// A Microsoft cloud: it sets the default base URLs and, always, the token scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Public,
    UsGov,
    China,
}

impl Cloud {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "public" => Ok(Cloud::Public),
            "usgov" => Ok(Cloud::UsGov),
            "china" => Ok(Cloud::China),
            other => Err(format!(
                "DRIFT_CLOUD is {other:?}: set it to public, usgov or china"
            )),
        }
    }

    /// (authority, Graph, ARM) defaults [graph-docs concepts/deployments.md].
    fn defaults(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Cloud::Public => (
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
                "https://management.azure.com",
            ),
            Cloud::UsGov => (
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
                "https://management.usgovcloudapi.net",
            ),
            Cloud::China => (
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://management.chinacloudapi.cn",
            ),
        }
    }

    /// The token scopes (Graph, ARM): the cloud's resource identifiers, never derived from the
    /// base URLs, which may point at a proxy or the simulator.
    pub fn scopes(self) -> (&'static str, &'static str) {
        match self {
            Cloud::Public => (
                "https://graph.microsoft.com/.default",
                "https://management.azure.com/.default",
            ),
            Cloud::UsGov => (
                "https://graph.microsoft.us/.default",
                "https://management.usgovcloudapi.net/.default",
            ),
            Cloud::China => (
                "https://microsoftgraph.chinacloudapi.cn/.default",
                "https://management.chinacloudapi.cn/.default",
            ),
        }
    }
}

/// Where and as whom the worker calls Azure.
#[derive(Clone)]
pub struct AzureConfig {
    pub cloud: Cloud,
    pub client_id: String,
    pub client_secret: String,
    pub authority_host: String,
    pub graph_url: String,
    pub arm_url: String,
}

impl fmt::Debug for AzureConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureConfig")
            .field("cloud", &self.cloud)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("authority_host", &self.authority_host)
            .field("graph_url", &self.graph_url)
            .field("arm_url", &self.arm_url)
            .finish()
    }
}

impl AzureConfig {
    /// Reads `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `DRIFT_CLOUD`, `AZURE_AUTHORITY_HOST`,
    /// `DRIFT_GRAPH_URL` and `DRIFT_ARM_URL`.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let cloud = Cloud::parse(&var("DRIFT_CLOUD").unwrap_or_default())?;
        let (authority, graph, arm) = cloud.defaults();
        let required = |name: &str| {
            var(name).ok_or_else(|| format!("{name} is not set: set the app registration's {name}"))
        };
        let url = |name: &str, default: &str| -> Result<String, String> {
            let value = var(name).unwrap_or_else(|| default.to_owned());
            url::Url::parse(&value).map_err(|e| format!("{name} is not a URL ({e}): {value:?}"))?;
            Ok(value.trim_end_matches('/').to_owned())
        };
        Ok(Self {
            cloud,
            client_id: required("AZURE_CLIENT_ID")?,
            client_secret: required("AZURE_CLIENT_SECRET")?,
            authority_host: url("AZURE_AUTHORITY_HOST", authority)?,
            graph_url: url("DRIFT_GRAPH_URL", graph)?,
            arm_url: url("DRIFT_ARM_URL", arm)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<AzureConfig, String> {
        AzureConfig::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn a_cloud_sets_defaults_and_scopes_while_urls_may_point_elsewhere() {
        let base = [("AZURE_CLIENT_ID", "app"), ("AZURE_CLIENT_SECRET", "s")];
        let public = config(&base).unwrap();
        assert_eq!(public.graph_url, "https://graph.microsoft.com");
        let mut usgov = base.to_vec();
        usgov.push(("DRIFT_CLOUD", "usgov"));
        usgov.push(("DRIFT_GRAPH_URL", "http://127.0.0.1:9/"));
        let usgov = config(&usgov).unwrap();
        assert_eq!(usgov.authority_host, "https://login.microsoftonline.us");
        assert_eq!(usgov.graph_url, "http://127.0.0.1:9");
        assert_eq!(
            usgov.cloud.scopes().0,
            "https://graph.microsoft.us/.default"
        );
        assert!(config(&[("AZURE_CLIENT_ID", "app")])
            .unwrap_err()
            .contains("AZURE_CLIENT_SECRET"));
        let mut bad = base.to_vec();
        bad.push(("DRIFT_CLOUD", "mars"));
        assert!(config(&bad).unwrap_err().contains("DRIFT_CLOUD"));
    }
}
