//! Webhook URLs carry their credentials (Teams, Slack and most webhook services put a token in
//! the path or query), so nothing the notifier logs or records shows more than scheme and host.

/// The URL reduced to `scheme://host[:port]`, or `(invalid url)`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
            (Some(host), None) => format!("{}://{host}", url.scheme()),
            (None, _) => format!("{}://", url.scheme()),
        },
        Err(_) => "(invalid url)".to_owned(),
    }
}

/// `text` with every occurrence of the full URL, and of its path and query, replaced by the
/// redacted form: a last line of defence for messages from libraries that quote URLs.
pub fn scrub(text: &str, raw_url: &str) -> String {
    let mut out = text.replace(raw_url, &redact_url(raw_url));
    if let Ok(url) = url::Url::parse(raw_url) {
        let path = url.path();
        if path.len() > 1 {
            out = out.replace(path, "/…");
        }
        if let Some(query) = url.query().filter(|q| !q.is_empty()) {
            out = out.replace(query, "…");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scheme_and_host_remain() {
        assert_eq!(
            redact_url("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/hook?token=abc"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(redact_url("not a url"), "(invalid url)");
    }

    #[test]
    fn scrubbing_removes_paths_and_queries() {
        let url = "https://contoso.webhook.office.com/webhookb2/secret-token?sig=abc";
        let text = format!(
            "error sending request for url ({url}): timed out; path /webhookb2/secret-token"
        );
        let clean = scrub(&text, url);
        assert!(!clean.contains("secret-token"), "{clean}");
        assert!(!clean.contains("sig=abc"), "{clean}");
        assert!(clean.contains("https://contoso.webhook.office.com"));
    }
}
