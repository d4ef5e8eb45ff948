//! Brute-force protection for sign-in: an account is locked for a while after several wrong
//! passwords in a row, and an address that fails too often in a window is slowed down. Both
//! answer 429 with `Retry-After`.
//!
//! The counters live in this process (one API process per SQLite database; behind a load
//! balancer each process counts for itself).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Wrong passwords in a row that lock an account.
    pub account_failures: u32,
    /// How long a locked account stays locked.
    pub account_lockout: Duration,
    /// Failed sign-ins from one address within `address_window` that block it.
    pub address_failures: u32,
    pub address_window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account_failures: 5,
            account_lockout: Duration::from_secs(15 * 60),
            address_failures: 20,
            address_window: Duration::from_secs(10 * 60),
        }
    }
}

#[derive(Debug, Default)]
struct Counter {
    failures: u32,
    since: Option<Instant>,
    blocked_until: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    policy: ThrottlePolicy,
    counters: Mutex<HashMap<String, Counter>>,
}

fn account_key(account: &str) -> String {
    format!("account:{}", drift_core::db::fold_text(account.trim()))
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

impl LoginThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// How long the caller must wait before trying, if they are blocked now.
    pub fn blocked_for(&self, account: &str, address: &str, now: Instant) -> Option<Duration> {
        let counters = self.counters.lock().unwrap();
        [account_key(account), address_key(address)]
            .iter()
            .filter_map(|key| counters.get(key)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Counts a wrong password for the account and the address.
    pub fn record_failure(&self, account: &str, address: &str, now: Instant) {
        let mut counters = self.counters.lock().unwrap();
        let policy = self.policy;
        let account_counter = counters.entry(account_key(account)).or_default();
        account_counter.failures += 1;
        if account_counter.failures >= policy.account_failures {
            account_counter.blocked_until = Some(now + policy.account_lockout);
            account_counter.failures = 0;
            log::warn!(target: "audit", "account {account:?} locked after repeated wrong passwords");
        }
        let address_counter = counters.entry(address_key(address)).or_default();
        if address_counter
            .since
            .is_none_or(|since| now.duration_since(since) > policy.address_window)
        {
            address_counter.since = Some(now);
            address_counter.failures = 0;
        }
        address_counter.failures += 1;
        if address_counter.failures >= policy.address_failures {
            address_counter.blocked_until = Some(now + policy.address_window);
            log::warn!(target: "audit", "sign-ins from {address} blocked after repeated failures");
        }
        // Forget counters nobody needs any more, so the map cannot grow without bound.
        if counters.len() > 10_000 {
            counters.retain(|_, c| c.blocked_until.is_some_and(|until| until > now));
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn record_success(&self, account: &str) {
        self.counters.lock().unwrap().remove(&account_key(account));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_after_its_limit_and_unlocks_after_the_lockout() {
        let throttle = LoginThrottle::new(ThrottlePolicy {
            account_failures: 3,
            ..ThrottlePolicy::default()
        });
        let start = Instant::now();
        for _ in 0..2 {
            throttle.record_failure("Adele", "10.0.0.1", start);
        }
        assert_eq!(throttle.blocked_for("adele", "10.0.0.1", start), None);
        throttle.record_failure("ADELE", "10.0.0.2", start);
        assert!(
            throttle.blocked_for("adele", "10.0.0.9", start).is_some(),
            "the account, from any address"
        );
        assert_eq!(throttle.blocked_for("megan", "10.0.0.9", start), None);
        let later = start + Duration::from_secs(15 * 60 + 1);
        assert_eq!(throttle.blocked_for("adele", "10.0.0.9", later), None);
    }

    #[test]
    fn an_address_is_blocked_after_many_failures_within_the_window() {
        let throttle = LoginThrottle::new(ThrottlePolicy {
            address_failures: 4,
            ..ThrottlePolicy::default()
        });
        let start = Instant::now();
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            throttle.record_failure(name, "10.0.0.1", start + Duration::from_secs(i as u64));
        }
        assert_eq!(throttle.blocked_for("d", "10.0.0.1", start), None);
        // Outside the window the count starts again.
        throttle.record_failure("d", "10.0.0.1", start + Duration::from_secs(11 * 60));
        assert_eq!(
            throttle.blocked_for("e", "10.0.0.1", start + Duration::from_secs(11 * 60)),
            None
        );
        for name in ["e", "f", "g"] {
            throttle.record_failure(name, "10.0.0.1", start + Duration::from_secs(11 * 60));
        }
        assert!(throttle
            .blocked_for("h", "10.0.0.1", start + Duration::from_secs(11 * 60))
            .is_some());
        assert_eq!(
            throttle.blocked_for("h", "10.0.0.2", start + Duration::from_secs(11 * 60)),
            None
        );
    }

    #[test]
    fn success_clears_the_account_count() {
        let throttle = LoginThrottle::new(ThrottlePolicy {
            account_failures: 2,
            ..ThrottlePolicy::default()
        });
        let now = Instant::now();
        throttle.record_failure("adele", "10.0.0.1", now);
        throttle.record_success("adele");
        throttle.record_failure("adele", "10.0.0.1", now);
        assert_eq!(throttle.blocked_for("adele", "10.0.0.1", now), None);
    }
}
