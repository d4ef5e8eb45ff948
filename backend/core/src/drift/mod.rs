//! The drift engine: plain functions the worker calls for every polled resource. No database,
//! no HTTP.
//!
//! For each resource the worker calls [`evaluate`], which:
//! 1. [`canonicalize`]s the observed document (sorted keys, volatile fields and the tenant's
//!    ignore paths removed, set-like arrays sorted) and takes its [`content_hash`];
//! 2. compares it with the stored hash, and [`classify`]s the result: nothing, store only
//!    (volatile-only), or a `created` / `updated` / `deleted` change;
//! 3. for a change, lists the [`changed_paths`] and rates it with [`severity`].
//!
//! The API uses [`json_patch`] to show the difference between two versions.
//! Everything built in (volatile fields, sets, case-insensitive fields, default severities) is
//! in [`builtin`]; the pattern syntax shared with tenant rules is in [`pattern`].

pub mod builtin;
mod canonical;
mod classify;
mod diff;
mod evaluate;
pub mod pattern;
mod severity;

pub use canonical::{canonicalize, content_hash};
pub use classify::{classify, Before, Decision, Sameness, Seen};
pub use diff::{changed_paths, json_patch};
pub use evaluate::{evaluate, Change, Evaluation, Observation, StoredState};
pub use severity::severity;
