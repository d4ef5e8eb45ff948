//! The one decision at the heart of the worker: given what is stored and what a poll saw,
//! is this a creation, an update, a deletion, a volatile-only change, or nothing?

use crate::types::ChangeType;

/// What the store holds for a resource before the poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// Never stored.
    Nothing,
    /// Stored and not deleted.
    Live,
    /// Stored with `deleted_at` set.
    Deleted,
}

/// What the poll saw. Only a **complete** listing may report a resource `Missing`: a failed or
/// partial listing is never drift, so the caller must not classify its absences at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Missing,
    Present(Sameness),
}

/// How the observed resource compares with the stored one. Only meaningful when a live
/// resource is stored; ignored otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sameness {
    /// The very same data.
    Identical,
    /// Different data, same canonical form: only volatile or ignored fields moved (or the
    /// ignore rules changed since the stored hash was computed).
    SameCanonical,
    /// The canonical forms differ.
    Different,
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Write nothing.
    Nothing,
    /// Store the new data and hash; write no history.
    StoreOnly,
    /// Store the new state and record a change of this type.
    Record(ChangeType),
}

/// The decision table:
///
/// | before \ seen | missing | identical | same canonical | different |
/// |---|---|---|---|---|
/// | nothing | nothing | created | created | created |
/// | live | deleted | nothing | store only | updated |
/// | deleted | nothing | created | created | created |
///
/// A resource that returns after a deletion is `created` again, whatever it looks like.
pub fn classify(before: Before, seen: Seen) -> Decision {
    match (before, seen) {
        (Before::Nothing | Before::Deleted, Seen::Missing) => Decision::Nothing,
        (Before::Nothing | Before::Deleted, Seen::Present(_)) => {
            Decision::Record(ChangeType::Created)
        }
        (Before::Live, Seen::Missing) => Decision::Record(ChangeType::Deleted),
        (Before::Live, Seen::Present(Sameness::Identical)) => Decision::Nothing,
        (Before::Live, Seen::Present(Sameness::SameCanonical)) => Decision::StoreOnly,
        (Before::Live, Seen::Present(Sameness::Different)) => Decision::Record(ChangeType::Updated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Sameness::*;

    const PRESENT: [Sameness; 3] = [Identical, SameCanonical, Different];

    #[test]
    fn a_resource_seen_for_the_first_time_is_created() {
        for sameness in PRESENT {
            assert_eq!(
                classify(Before::Nothing, Seen::Present(sameness)),
                Decision::Record(ChangeType::Created)
            );
        }
    }

    #[test]
    fn a_resource_that_returns_after_deletion_is_created_again() {
        for sameness in PRESENT {
            assert_eq!(
                classify(Before::Deleted, Seen::Present(sameness)),
                Decision::Record(ChangeType::Created)
            );
        }
    }

    #[test]
    fn a_live_resource_missing_from_a_complete_listing_is_deleted() {
        assert_eq!(
            classify(Before::Live, Seen::Missing),
            Decision::Record(ChangeType::Deleted)
        );
    }

    #[test]
    fn absence_of_what_is_not_live_is_nothing() {
        assert_eq!(classify(Before::Nothing, Seen::Missing), Decision::Nothing);
        assert_eq!(classify(Before::Deleted, Seen::Missing), Decision::Nothing);
    }

    #[test]
    fn a_live_resource_is_compared() {
        let live = |s| classify(Before::Live, Seen::Present(s));
        assert_eq!(live(Identical), Decision::Nothing);
        assert_eq!(live(SameCanonical), Decision::StoreOnly);
        assert_eq!(live(Different), Decision::Record(ChangeType::Updated));
    }
}
