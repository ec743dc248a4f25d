//! The write-ahead intent: what a write is about to do to R2, recorded (and synced to disk) before
//! the first R2 mutation, and replaced by its audit record once R2 confirmed it.
//!
//! A runtime that dies between R2's confirmation and the audit insert would otherwise leave a
//! write in the bucket that the audit trail never names, and the next write's `etag_before` would
//! not be the trail's last `etag_after`. At most one intent exists (writes are serialized), and
//! the next queue turn settles a leftover one by looking at R2: this module decides, from what R2
//! shows now, whether the interrupted write was applied and what to record.
//!
//! The decision relies on the object being this user's single writer (every change to the
//! namespace goes through the queue). A put that rewrote identical bytes keeps R2's content etag,
//! so it is indistinguishable from one that never ran and is recorded as not applied: the object's
//! content is the same either way.

use super::audit::Operation;

/// An interrupted write, as stored in `r2_intent`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub op: Operation,
    /// User keys: `[key]` for put, the existing keys for delete, `[source, destination]` for
    /// copy and move.
    pub keys: Vec<String>,
    /// The destination's etag before (put, copy, move), or the single deleted key's.
    pub etag_before: Option<String>,
}

/// What R2 shows now for an intent's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Put, copy, move: the destination's etag now (`None`: absent) and, for move, whether the
    /// source still exists.
    Destination {
        etag: Option<String>,
        source_exists: bool,
    },
    /// Delete: for each of the intent's keys in order, whether it still exists.
    Remaining(Vec<bool>),
}

/// The audit record an interrupted write leaves, when it was applied (in whole or part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settled {
    pub op: Operation,
    pub keys: Vec<String>,
    pub etag_before: Option<String>,
    pub etag_after: Option<String>,
}

/// Which keys R2 must be asked about, in order: the destination of a put or copy; a move's
/// source and destination; every key of a delete.
pub fn keys_to_check(intent: &Intent) -> Vec<&str> {
    match intent.op {
        Operation::Delete | Operation::Move => intent.keys.iter().map(String::as_str).collect(),
        Operation::Put | Operation::Copy => {
            intent.keys.last().map(String::as_str).into_iter().collect()
        }
    }
}

/// Decides what an interrupted write did. `None`: nothing of it reached R2, record nothing.
pub fn settle(intent: &Intent, observed: &Observed) -> Option<Settled> {
    match (intent.op, observed) {
        (Operation::Delete, Observed::Remaining(still)) => {
            let gone: Vec<String> = intent
                .keys
                .iter()
                .zip(still.iter().chain(std::iter::repeat(&true)))
                .filter(|(_, exists)| !**exists)
                .map(|(k, _)| k.clone())
                .collect();
            if gone.is_empty() {
                return None;
            }
            let before = if gone.len() == 1 && intent.keys.len() == 1 {
                intent.etag_before.clone()
            } else {
                None
            };
            Some(Settled {
                op: Operation::Delete,
                keys: gone,
                etag_before: before,
                etag_after: None,
            })
        }
        (
            op,
            Observed::Destination {
                etag,
                source_exists,
            },
        ) if op != Operation::Delete => {
            // Applied iff the destination now holds an object other than the one before it. An
            // absent destination cannot be this write's doing.
            let after = etag.as_ref()?;
            if intent.etag_before.as_ref() == Some(after) {
                return None;
            }
            // A move whose source still exists stopped after its copy: record what happened.
            let op = if op == Operation::Move && *source_exists {
                Operation::Copy
            } else {
                op
            };
            Some(Settled {
                op,
                keys: intent.keys.clone(),
                etag_before: intent.etag_before.clone(),
                etag_after: Some(after.clone()),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    fn intent(op: Operation, keys: &[&str], before: Option<&str>) -> Intent {
        Intent {
            op,
            keys: keys.iter().map(|k| k.to_string()).collect(),
            etag_before: before.map(str::to_string),
        }
    }

    fn dest(etag: Option<&str>, source_exists: bool) -> Observed {
        Observed::Destination {
            etag: etag.map(str::to_string),
            source_exists,
        }
    }

    #[test]
    fn a_put_is_applied_when_the_etag_moved_on() {
        let i = intent(Operation::Put, &["a"], Some("e1"));
        let s = settle(&i, &dest(Some("e2"), false)).unwrap();
        assert_eq!(s.op, Operation::Put);
        assert_eq!(s.keys, vec!["a"]);
        assert_eq!(s.etag_before.as_deref(), Some("e1"));
        assert_eq!(s.etag_after.as_deref(), Some("e2"));
    }

    #[test]
    fn a_put_that_never_ran_records_nothing() {
        assert_eq!(
            settle(
                &intent(Operation::Put, &["a"], Some("e1")),
                &dest(Some("e1"), false)
            ),
            None
        );
        assert_eq!(
            settle(&intent(Operation::Put, &["a"], None), &dest(None, false)),
            None
        );
    }

    #[test]
    fn a_create_is_applied_when_the_key_now_exists() {
        let s = settle(
            &intent(Operation::Put, &["a"], None),
            &dest(Some("e9"), false),
        )
        .unwrap();
        assert_eq!(s.etag_before, None);
        assert_eq!(s.etag_after.as_deref(), Some("e9"));
    }

    #[test]
    fn a_missing_destination_is_never_the_writes_doing() {
        assert_eq!(
            settle(
                &intent(Operation::Put, &["a"], Some("e1")),
                &dest(None, false)
            ),
            None
        );
        assert_eq!(
            settle(
                &intent(Operation::Copy, &["s", "d"], Some("e1")),
                &dest(None, true)
            ),
            None
        );
    }

    #[test]
    fn a_move_that_stopped_after_its_copy_is_recorded_as_a_copy() {
        let i = intent(Operation::Move, &["s", "d"], None);
        assert_eq!(
            settle(&i, &dest(Some("e2"), true)).unwrap().op,
            Operation::Copy
        );
        assert_eq!(
            settle(&i, &dest(Some("e2"), false)).unwrap().op,
            Operation::Move
        );
        assert_eq!(settle(&i, &dest(None, true)), None);
    }

    #[test]
    fn a_delete_records_the_keys_that_are_gone() {
        let i = intent(Operation::Delete, &["a", "b", "c"], None);
        let s = settle(&i, &Observed::Remaining(vec![false, true, false])).unwrap();
        assert_eq!(s.keys, vec!["a", "c"]);
        assert_eq!(s.etag_before, None);
        assert_eq!(
            settle(&i, &Observed::Remaining(vec![true, true, true])),
            None
        );
    }

    #[test]
    fn a_single_delete_keeps_its_etag_before() {
        let i = intent(Operation::Delete, &["a"], Some("e1"));
        let s = settle(&i, &Observed::Remaining(vec![false])).unwrap();
        assert_eq!(s.etag_before.as_deref(), Some("e1"));
        assert_eq!(s.etag_after, None);
    }

    #[test]
    fn a_short_observation_counts_unobserved_keys_as_present() {
        let i = intent(Operation::Delete, &["a", "b"], None);
        let s = settle(&i, &Observed::Remaining(vec![false])).unwrap();
        assert_eq!(s.keys, vec!["a"]);
    }

    #[test]
    fn mismatched_observations_record_nothing() {
        assert_eq!(
            settle(
                &intent(Operation::Delete, &["a"], None),
                &dest(Some("e"), false)
            ),
            None
        );
        assert_eq!(
            settle(
                &intent(Operation::Put, &["a"], None),
                &Observed::Remaining(vec![false])
            ),
            None
        );
    }

    #[test]
    fn keys_to_check_follow_the_operation() {
        assert_eq!(
            keys_to_check(&intent(Operation::Put, &["a"], None)),
            vec!["a"]
        );
        assert_eq!(
            keys_to_check(&intent(Operation::Copy, &["s", "d"], None)),
            vec!["d"]
        );
        assert_eq!(
            keys_to_check(&intent(Operation::Move, &["s", "d"], None)),
            vec!["s", "d"]
        );
        assert_eq!(
            keys_to_check(&intent(Operation::Delete, &["a", "b"], None)),
            vec!["a", "b"]
        );
    }
}
