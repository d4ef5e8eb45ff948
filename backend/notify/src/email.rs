//! E-mail over SMTP, configured from the environment.
//!
//! * `DRIFT_SMTP_URL`: the server, with credentials and TLS mode, as lettre reads it:
//!   `smtps://user:pass@smtp.example.com:465` (TLS from the first byte, port 465 by default),
//!   `smtp://user:pass@smtp.example.com:587?tls=required` (STARTTLS, required),
//!   `smtp://…?tls=opportunistic` (STARTTLS when offered), or `smtp://host:25` (plain; only
//!   without credentials, or to a loopback host). Percent-encode special characters of the user
//!   name and password. E-mail channels are skipped (and recorded as failed) when it is unset.
//! * `DRIFT_SMTP_FROM`: the sender, `Drift Detector <drift@contoso.com>` or a bare address.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::redact::redact_url;
use crate::retry::{Attempt, RetryPolicy};

/// A wrong SMTP configuration; the message names the variable to fix and never the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SmtpConfigError(String);

/// Where e-mail goes out. `Debug` shows the server without credentials.
#[derive(Clone)]
pub struct SmtpSettings {
    url: String,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("server", &self.server())
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl SmtpSettings {
    /// Checks an SMTP URL and sender address (see the module documentation for the forms).
    pub fn new(url: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let parsed = url::Url::parse(url).map_err(|e| {
            SmtpConfigError(format!(
                "DRIFT_SMTP_URL is not a URL ({e}); expected smtps://user:pass@host:465"
            ))
        })?;
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let encrypted = match (parsed.scheme(), tls.as_deref()) {
            ("smtps", None) => true,
            ("smtp", Some("required")) => true,
            ("smtp", Some("opportunistic")) | ("smtp", None) => false,
            _ => {
                return Err(SmtpConfigError(
                    "DRIFT_SMTP_URL must be smtps://…, smtp://…?tls=required, smtp://…?tls=opportunistic or smtp://…".into(),
                ))
            }
        };
        let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if parsed.password().is_some() && !encrypted && !loopback {
            return Err(SmtpConfigError(
                "DRIFT_SMTP_URL has credentials but no required TLS: use smtps:// or ?tls=required so the password is not sent in clear".into(),
            ));
        }
        if parsed.host_str().is_none() {
            return Err(SmtpConfigError("DRIFT_SMTP_URL names no host".into()));
        }
        let from = from.parse::<Mailbox>().map_err(|e| {
            SmtpConfigError(format!(
                "DRIFT_SMTP_FROM {from:?} is not an address ({e}); expected \"Drift Detector <drift@contoso.com>\""
            ))
        })?;
        Ok(Self {
            url: url.to_owned(),
            from,
        })
    }

    /// Reads `DRIFT_SMTP_URL` and `DRIFT_SMTP_FROM`; `None` when no URL is set.
    pub fn from_env() -> Result<Option<Self>, SmtpConfigError> {
        let Ok(url) = std::env::var("DRIFT_SMTP_URL") else {
            return Ok(None);
        };
        let from = std::env::var("DRIFT_SMTP_FROM").map_err(|_| {
            SmtpConfigError(
                "DRIFT_SMTP_URL is set but DRIFT_SMTP_FROM is not: set the sender address".into(),
            )
        })?;
        Self::new(&url, &from).map(Some)
    }

    /// The server as `scheme://host[:port]`, for logs.
    pub fn server(&self) -> String {
        redact_url(&self.url)
    }

    pub(crate) fn transport(
        &self,
        policy: &RetryPolicy,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpConfigError> {
        Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url)
            .map_err(|e| SmtpConfigError(format!("DRIFT_SMTP_URL: {e}")))?
            .timeout(Some(policy.timeout))
            .build())
    }
}

/// An e-mail ready to send.
pub(crate) struct Mail<'a> {
    pub recipients: &'a [String],
    pub subject: String,
    pub body: String,
    pub delivery_id: &'a str,
}

/// One attempt to send `mail`.
pub(crate) async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    settings: &SmtpSettings,
    mail: &Mail<'_>,
) -> Attempt {
    let mut builder = Message::builder()
        .from(settings.from.clone())
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@drift-detector>", mail.delivery_id)))
        .header(ContentType::TEXT_PLAIN);
    for recipient in mail.recipients {
        match recipient.parse::<Mailbox>() {
            Ok(mailbox) => builder = builder.to(mailbox),
            Err(e) => {
                return Attempt::Permanent {
                    status: None,
                    error: format!("recipient {recipient:?} is not an address: {e}"),
                }
            }
        }
    }
    let message = match builder.body(mail.body.clone()) {
        Ok(message) => message,
        Err(e) => {
            return Attempt::Permanent {
                status: None,
                error: format!("the e-mail could not be built: {e}"),
            }
        }
    };
    let server = settings.server();
    match transport.send(message).await {
        Ok(response) => Attempt::Delivered {
            status: code(response.code()),
        },
        Err(e) => {
            let status = e.status().and_then(code);
            let error = format!("SMTP {server}: {e}");
            if e.is_permanent() {
                Attempt::Permanent { status, error }
            } else {
                Attempt::Transient {
                    status,
                    error,
                    retry_after: None,
                }
            }
        }
    }
}

fn code(code: lettre::transport::smtp::response::Code) -> Option<i32> {
    code.to_string().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_tls_except_on_loopback() {
        let from = "Drift <drift@contoso.com>";
        assert!(SmtpSettings::new("smtps://u:p@smtp.contoso.com", from).is_ok());
        assert!(SmtpSettings::new("smtp://u:p@smtp.contoso.com:587?tls=required", from).is_ok());
        assert!(SmtpSettings::new("smtp://u:p@smtp.contoso.com:25", from).is_err());
        assert!(SmtpSettings::new("smtp://u:p@127.0.0.1:2525", from).is_ok());
        assert!(SmtpSettings::new("http://smtp.contoso.com", from).is_err());
        assert!(SmtpSettings::new("smtps://smtp.contoso.com", "not an address").is_err());
    }

    #[test]
    fn debug_output_hides_the_credentials() {
        let settings = SmtpSettings::new(
            "smtps://user:hunter2@smtp.contoso.com:465",
            "drift@contoso.com",
        )
        .unwrap();
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("user"),
            "{shown}"
        );
        assert!(shown.contains("smtps://smtp.contoso.com:465"));
    }
}
