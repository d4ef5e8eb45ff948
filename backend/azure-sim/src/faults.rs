//! Fault injection: rules that make matching requests fail the ways the real services do.

use std::sync::Mutex;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A misbehaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// 429 with the service's throttling body; `Retry-After` in seconds when given (it may be
    /// fractional, and some services send none).
    Throttle {
        #[serde(default)]
        retry_after: Option<f64>,
    },
    /// 503, with `Retry-After` when given.
    ServiceUnavailable {
        #[serde(default)]
        retry_after: Option<f64>,
    },
    /// 504.
    GatewayTimeout,
    /// The response is delayed.
    Slow { delay_ms: u64 },
    /// The connection is dropped after half of the body.
    DropConnection,
    /// 200 with the body cut in half: syntactically broken JSON.
    TruncateBody,
    /// 401 as if the bearer token had expired.
    ExpiredToken,
    /// A request that follows a nextLink / `$skipToken` fails (503) once per rule use.
    NextLinkFailsOnce,
    /// Pages are cut to at most `max` items, whatever `$top` asks for.
    PageCap { max: usize },
    /// The service's own error body with this status and code: e.g. 403 `Forbidden` for an
    /// API the app may not call in that tenant, 404 for one that does not exist there.
    Refuse {
        status: u16,
        code: String,
        #[serde(default)]
        message: Option<String>,
    },
}

/// When a rule fires: on each matching request with a probability, or on the next `count`
/// matching requests (both: the next `count` that the dice pick).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    #[serde(default)]
    pub id: u64,
    /// A path prefix such as `/v1.0/auditLogs/signIns`, `/providers/Microsoft.ResourceGraph`,
    /// `/{tenant}/oauth2` is written `/oauth2`-insensitive: any path containing the text matches;
    /// `*` matches everything.
    pub endpoint: String,
    pub fault: FaultKind,
    #[serde(default)]
    pub probability: Option<f64>,
    #[serde(default)]
    pub count: Option<u32>,
}

impl FaultRule {
    pub fn validate(&self) -> Result<(), String> {
        if self.endpoint.is_empty() {
            return Err("endpoint must be a path fragment or *".into());
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err("probability must be between 0 and 1".into());
            }
        }
        if self.probability.is_none() && self.count.is_none() {
            return Err("give probability, count or both".into());
        }
        if let FaultKind::PageCap { max: 0 } = self.fault {
            return Err("page_cap max must be at least 1".into());
        }
        if let FaultKind::Refuse { status, code, .. } = &self.fault {
            if !(400..=599).contains(status) || code.is_empty() {
                return Err("refuse needs an error status (400-599) and a code".into());
            }
        }
        Ok(())
    }

    fn matches(&self, path: &str) -> bool {
        self.endpoint == "*"
            || path
                .to_ascii_lowercase()
                .contains(&self.endpoint.to_ascii_lowercase())
    }
}

/// What kind of request asks, so that a rule fires only where it means something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Before the handler: throttle, unavailable, timeout, slow, expired token.
    Request { follows_next_link: bool },
    /// While paging: page caps.
    Paging,
    /// After the handler: dropped connections and truncated bodies.
    Response,
}

fn applies(kind: &FaultKind, stage: Stage) -> bool {
    match (kind, stage) {
        (FaultKind::PageCap { .. }, Stage::Paging) => true,
        (FaultKind::DropConnection | FaultKind::TruncateBody, Stage::Response) => true,
        (FaultKind::NextLinkFailsOnce, Stage::Request { follows_next_link }) => follows_next_link,
        (
            FaultKind::Throttle { .. }
            | FaultKind::ServiceUnavailable { .. }
            | FaultKind::GatewayTimeout
            | FaultKind::Slow { .. }
            | FaultKind::ExpiredToken
            | FaultKind::Refuse { .. },
            Stage::Request { .. },
        ) => true,
        _ => false,
    }
}

pub struct Faults {
    inner: Mutex<FaultState>,
}

struct FaultState {
    rules: Vec<FaultRule>,
    next_id: u64,
    rng: ChaCha8Rng,
}

impl Faults {
    pub fn new(seed: u64) -> Self {
        Self {
            inner: Mutex::new(FaultState {
                rules: Vec::new(),
                next_id: 1,
                rng: ChaCha8Rng::seed_from_u64(seed),
            }),
        }
    }

    pub fn add(&self, mut rule: FaultRule) -> Result<FaultRule, String> {
        rule.validate()?;
        let mut state = self.inner.lock().unwrap();
        rule.id = state.next_id;
        state.next_id += 1;
        state.rules.push(rule.clone());
        Ok(rule)
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.inner.lock().unwrap().rules.clone()
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut state = self.inner.lock().unwrap();
        let before = state.rules.len();
        state.rules.retain(|r| r.id != id);
        state.rules.len() != before
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap().rules.clear();
    }

    /// The fault that fires for this request at this stage, if any. A rule with a count is used
    /// up as it fires.
    pub fn take(&self, path: &str, stage: Stage) -> Option<FaultKind> {
        let mut state = self.inner.lock().unwrap();
        let FaultState { rules, rng, .. } = &mut *state;
        let mut fired = None;
        for rule in rules.iter_mut() {
            if !rule.matches(path) || !applies(&rule.fault, stage) {
                continue;
            }
            if let Some(p) = rule.probability {
                if !rng.gen_bool(p) {
                    continue;
                }
            }
            if let Some(count) = rule.count.as_mut() {
                *count -= 1;
            }
            fired = Some(rule.fault.clone());
            break;
        }
        rules.retain(|r| r.count != Some(0));
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_rule_fires_exactly_that_many_times() {
        let faults = Faults::new(1);
        faults
            .add(FaultRule {
                id: 0,
                endpoint: "/v1.0/auditLogs".into(),
                fault: FaultKind::GatewayTimeout,
                probability: None,
                count: Some(2),
            })
            .unwrap();
        let stage = Stage::Request {
            follows_next_link: false,
        };
        assert_eq!(faults.take("/v1.0/applications", stage), None);
        assert_eq!(
            faults.take("/v1.0/auditLogs/signIns", stage),
            Some(FaultKind::GatewayTimeout)
        );
        assert_eq!(
            faults.take("/v1.0/auditLogs/directoryAudits", stage),
            Some(FaultKind::GatewayTimeout)
        );
        assert_eq!(faults.take("/v1.0/auditLogs/signIns", stage), None);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn probabilities_are_seeded() {
        let fire = |seed| {
            let faults = Faults::new(seed);
            faults
                .add(FaultRule {
                    id: 0,
                    endpoint: "*".into(),
                    fault: FaultKind::GatewayTimeout,
                    probability: Some(0.3),
                    count: None,
                })
                .unwrap();
            (0..200)
                .map(|_| {
                    faults
                        .take(
                            "/x",
                            Stage::Request {
                                follows_next_link: false,
                            },
                        )
                        .is_some()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(fire(7), fire(7));
        let hits = fire(7).iter().filter(|h| **h).count();
        assert!((30..90).contains(&hits), "{hits}");
    }

    #[test]
    fn next_link_faults_only_hit_follow_up_pages() {
        let faults = Faults::new(1);
        faults
            .add(FaultRule {
                id: 0,
                endpoint: "*".into(),
                fault: FaultKind::NextLinkFailsOnce,
                probability: None,
                count: Some(1),
            })
            .unwrap();
        assert_eq!(
            faults.take(
                "/v1.0/applications",
                Stage::Request {
                    follows_next_link: false
                }
            ),
            None
        );
        assert_eq!(
            faults.take(
                "/v1.0/applications",
                Stage::Request {
                    follows_next_link: true
                }
            ),
            Some(FaultKind::NextLinkFailsOnce)
        );
        assert_eq!(
            faults.take(
                "/v1.0/applications",
                Stage::Request {
                    follows_next_link: true
                }
            ),
            None
        );
    }

    #[test]
    fn bad_rules_are_refused() {
        let faults = Faults::new(1);
        let rule = |probability, count| FaultRule {
            id: 0,
            endpoint: "*".into(),
            fault: FaultKind::GatewayTimeout,
            probability,
            count,
        };
        assert!(faults.add(rule(Some(1.5), None)).is_err());
        assert!(faults.add(rule(None, None)).is_err());
    }
}
