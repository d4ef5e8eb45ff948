//! What every handler of the simulator shares.

use std::collections::HashMap;
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
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            token_lifetime_seconds: 3599,
            graph_max_page_size: 999,
            graph_default_page_size: 100,
            arm_quota: None,
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
        }
    }
}
