//! What the worker writes while polling, as plain functions over a connection: applying pages
//! of observed resources (through the drift engine), closing a complete listing (deletions and
//! the baseline), the per (tenant, source) schedule with its leases, and sign-in bookkeeping.
//!
//! Interruption safety comes from three rules:
//! - each page is applied in one transaction, and a resource already applied evaluates to
//!   "nothing" when the page is applied again, so a re-run writes no duplicate history;
//! - deletions are decided only by [`finish_listing`], after the whole listing was read, from the
//!   set of ids the poll saw ([`PollRun::seen`]); a poll that stops early deletes nothing;
//! - the baseline (`poll_state.baseline_at`) is set in the same transaction as the first
//!   complete listing's deletions, so until then every page is stored without history.

mod apply;
mod retention;
mod schedule;
mod signin_state;

pub use apply::{
    apply_page, begin, finish_listing, settle_unknown_actors, ObservedResource, PageOutcome,
    PollRun,
};
pub use retention::purge_history;
pub use schedule::{
    apply_new_intervals, claim, ensure_poll_state, jobs, lease_expired_at, record_failure,
    record_success, renew_lease, reschedule, Claim, ClaimFilter, PollSource,
};
pub use signin_state::{advance_signin_watermark, purge_signins, signin_watermark};
