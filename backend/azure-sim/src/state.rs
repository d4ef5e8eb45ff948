//! What every handler of the simulator shares.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use crate::auth::SigningKeys;
use crate::faults::Faults;
use crate::world::{World, WorldConfig};

/// Behaviour of the simulated services that is not part of the world's data.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Lifetime of issued access tokens (real ones: 60 to 90 minutes).
    pub token_lifetime_seconds: i64,
    /// The largest Graph page (`$top` above it is cut down).
    pub graph_max_page_size: usize,
    /// The Graph page size when `$top` is absent.
    pub graph_default_page_size: usize,
    /// Resource Graph's per-tenant query quota as `(queries, window_seconds)`; the documented
    /// example is `(15, 5)`. `None` (the default) never throttles; the quota headers are sent
    /// either way.
    pub arm_quota: Option<(u32, u32)>,
    /// Graph's documented throttling limits: conditional access policies and named locations
    /// 1 request a second per tenant (429 without `Retry-After`), sign-in and audit reports
    /// 5 requests per 10 seconds per tenant (and 122 across tenants), Intune 1 000 requests per
    /// 20 seconds per tenant (429 with `Retry-After`). Off by default, so that tests and demos
    /// are not throttled unless they ask to be.
    pub service_limits: bool,
    /// Log retention: sign-ins and directory audits older than 30 days (Entra ID P1/P2) or
    /// 7 days (free tenants) are gone. Off by default, so that worlds with an old fixed epoch
    /// keep their whole history.
    pub log_retention: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            token_lifetime_seconds: 3599,
            graph_max_page_size: 999,
            graph_default_page_size: 100,
            arm_quota: None,
            service_limits: false,
            log_retention: false,
        }
    }
}

pub struct SimState {
    pub world: Mutex<World>,
    /// Authorization codes and refresh tokens of the Microsoft sign-in flow.
    pub sessions: Mutex<crate::auth::Sessions>,
    pub faults: Faults,
    pub keys: SigningKeys,
    pub options: SimOptions,
    /// Resource Graph queries per tenant in the current quota window: (window start, count).
    pub arm_quota_usage: Mutex<HashMap<String, (Instant, u32)>>,
    /// Graph requests admitted under each service limit (see `SimOptions::service_limits`),
    /// keyed by limit and tenant: the instants of the requests inside the sliding window.
    pub graph_limit_usage: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SimState {
    pub fn new(config: WorldConfig, options: SimOptions) -> Self {
        let seed = config.seed;
        Self {
            world: Mutex::new(World::generate(config)),
            sessions: Mutex::new(crate::auth::Sessions::default()),
            faults: Faults::new(seed),
            keys: SigningKeys::load(),
            options,
            arm_quota_usage: Mutex::new(HashMap::new()),
            graph_limit_usage: Mutex::new(HashMap::new()),
        }
    }
}
