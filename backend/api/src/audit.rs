//! Audit lines: who did what, on the `audit` log target, so that operators can route them to
//! their own sink (`RUST_LOG=audit=info`). They name ids and outcomes, never secrets.

use drift_core::access::Principal;

/// Records an action a caller took.
pub fn action(caller: &Principal, what: std::fmt::Arguments<'_>) {
    log::info!(target: "audit", "{} (tenant {}): {what}", caller.describe(), caller.tenant_id);
}

/// Records an event without a signed-in caller (sign-in attempts).
pub fn event(what: std::fmt::Arguments<'_>) {
    log::info!(target: "audit", "{what}");
}
