//! OData system query options as Graph reads them, and the opaque skip tokens of nextLinks.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The system query options of a request. Names are matched without regard to case
/// (`$skipToken` and `$skiptoken` are the same); custom options (no `$`) are ignored.
#[derive(Debug, Default)]
pub struct QueryOptions {
    pub top: Option<String>,
    pub skip_token: Option<String>,
    pub filter: Option<String>,
    pub count: Option<String>,
}

impl QueryOptions {
    pub fn parse(query_string: &str) -> Result<QueryOptions, String> {
        let mut options = QueryOptions::default();
        for (name, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
            if !name.starts_with('$') {
                continue;
            }
            let slot = match name.to_ascii_lowercase().as_str() {
                "$top" => &mut options.top,
                "$skiptoken" => &mut options.skip_token,
                "$filter" => &mut options.filter,
                "$count" => &mut options.count,
                // Supported by Graph; the simulator returns whole entities in its own order.
                "$select" | "$expand" | "$orderby" | "$format" => continue,
                "$skip" | "$search" => {
                    return Err(format!(
                        "Query option '{name}' is not supported by the simulator."
                    ))
                }
                _ => return Err(format!("Unrecognized query argument specified: '{name}'.")),
            };
            if slot.is_some() {
                return Err(format!(
                    "Query option '{name}' was specified more than once, but it must be specified at most once."
                ));
            }
            *slot = Some(value.into_owned());
        }
        Ok(options)
    }

    /// The page size asked for: absent gives `default`; above `max` is cut down to `max`;
    /// zero, negative or not a number is refused.
    pub fn page_size(&self, default: usize, max: usize) -> Result<usize, String> {
        let Some(raw) = self.top.as_deref() else {
            return Ok(default.min(max));
        };
        let trimmed = raw.trim();
        let invalid =
            || format!("Invalid $top value '{raw}': it must be an integer between 1 and {max}.");
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        match trimmed.parse::<u64>() {
            Ok(0) => Err(invalid()),
            Ok(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(max)),
            // More digits than fit: a (very) large positive number, cut down like any other.
            Err(_) if trimmed.trim_start_matches('0').is_empty() => Err(invalid()),
            Err(_) => Ok(max),
        }
    }

    /// Whether `$count=true` was asked for.
    pub fn wants_count(&self) -> Result<bool, String> {
        match self
            .count
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(format!(
                "Invalid $count value '{}': it must be true or false.",
                self.count.as_deref().unwrap_or_default()
            )),
        }
    }
}

/// Where the next page continues: the content of a skip token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", deny_unknown_fields)]
pub enum Cursor {
    /// A collection, after the entity with this id (keyset by id).
    #[serde(rename = "c")]
    Collection {
        /// The collection path.
        #[serde(rename = "p")]
        path: String,
        /// The last id returned.
        #[serde(rename = "a")]
        after: String,
    },
    /// Sign-ins: indices `lo..end` remain, newest (highest) first.
    #[serde(rename = "s")]
    SignIns {
        #[serde(rename = "e")]
        end: u64,
        #[serde(rename = "l")]
        lo: u64,
    },
    /// Directory audits: records ordered before (activity time in ns, index) remain, with the
    /// filter of the first request.
    #[serde(rename = "d")]
    DirectoryAudits {
        #[serde(rename = "t")]
        at_nanos: i64,
        #[serde(rename = "i")]
        index: usize,
        #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
    },
}

/// Longest skip token accepted.
const MAX_TOKEN_LENGTH: usize = 8 * 1024;

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("a cursor serializes"))
    }

    pub fn decode(token: &str) -> Result<Cursor, String> {
        let invalid =
            || "Invalid $skiptoken: it does not come from a nextLink of this endpoint.".to_owned();
        if token.len() > MAX_TOKEN_LENGTH {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim().trim_end_matches('='))
            .map_err(|_| invalid())?;
        serde_json::from_slice(&bytes).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        let with = |top: &str| QueryOptions {
            top: Some(top.into()),
            ..QueryOptions::default()
        };
        assert_eq!(QueryOptions::default().page_size(100, 999), Ok(100));
        assert_eq!(with("5").page_size(100, 999), Ok(5));
        assert_eq!(with("5000").page_size(100, 999), Ok(999));
        assert_eq!(with("99999999999999999999999").page_size(100, 999), Ok(999));
        for bad in ["0", "-1", "abc", "", "1.5", "00000000000000000000000000"] {
            assert!(with(bad).page_size(100, 999).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_are_case_insensitive_and_unique() {
        let options = QueryOptions::parse("$Top=3&$skipToken=abc&custom=1&$select=id").unwrap();
        assert_eq!(options.top.as_deref(), Some("3"));
        assert_eq!(options.skip_token.as_deref(), Some("abc"));
        assert!(QueryOptions::parse("$top=1&$TOP=2").is_err());
        assert!(QueryOptions::parse("$bogus=1").is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor::DirectoryAudits {
            at_nanos: 5,
            index: 2,
            filter: Some("loggedByService eq 'Intune'".into()),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        assert!(Cursor::decode("not a token").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{\"k\":\"x\"}")).is_err());
    }
}
