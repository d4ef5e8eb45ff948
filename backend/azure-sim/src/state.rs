//! What every handler of the simulator shares.

use std::sync::Mutex;

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
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            token_lifetime_seconds: 3599,
            graph_max_page_size: 999,
            graph_default_page_size: 100,
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
        }
    }
}
