//! A short-lived cache of the callers the access middleware resolved, keyed by the SHA-256 of
//! their bearer token: without it every request reads the caller's user (or API token) and role
//! from the database, which costs more than many handlers themselves.
//!
//! An entry lives at most [`PrincipalCache::ttl`] (5 s by default), so a role, user or token
//! changed by another process (another API instance, the CLI) takes effect within seconds. In
//! this process every successful write through the API clears the cache at once, so a
//! revocation, deactivation or role change made here applies to the very next request. The
//! cache holds at most `capacity` entries; when full, expired entries are dropped, and if none
//! are, the whole cache (a flood of distinct tokens only costs the lookups it would without a
//! cache). Failed authentications are never cached. Access tokens are still verified (signature
//! and expiry) on every request; only the database lookup behind them is cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use drift_core::access::Principal;

pub struct PrincipalCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, (Instant, Principal)>>,
}

impl Default for PrincipalCache {
    fn default() -> Self {
        Self::new(Duration::from_secs(5), 10_000)
    }
}

impl PrincipalCache {
    /// A cache whose entries live `ttl` (zero disables it), holding at most `capacity`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The key of a token: its SHA-256, so the cache never holds a usable token.
    pub fn key(token: &str) -> String {
        drift_core::auth::secret_hash(token)
    }

    /// The principal cached for `key`, if it is younger than the ttl.
    pub fn get(&self, key: &str) -> Option<Principal> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((at, principal)) if at.elapsed() < self.ttl => Some(principal.clone()),
            _ => None,
        }
    }

    pub fn put(&self, key: String, principal: Principal) {
        if self.ttl.is_zero() || self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), principal));
    }

    /// Forgets every caller (after a write that may have changed who may do what).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drift_core::access::Subject;

    fn principal(id: i64) -> Principal {
        Principal {
            subject: Subject::User {
                id,
                username: format!("user{id}"),
            },
            tenant_id: 1,
            role_id: 1,
            role: "viewer".into(),
            permissions: Default::default(),
        }
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = PrincipalCache::new(Duration::from_millis(50), 10);
        cache.put("a".into(), principal(1));
        assert_eq!(cache.get("a"), Some(principal(1)));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn the_cache_stays_within_its_capacity() {
        let cache = PrincipalCache::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            cache.put(format!("k{i}"), principal(i));
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.get("k9"), Some(principal(9)));
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn a_zero_ttl_disables_it() {
        let cache = PrincipalCache::new(Duration::ZERO, 10);
        cache.put("a".into(), principal(1));
        assert_eq!(cache.get("a"), None);
    }
}
