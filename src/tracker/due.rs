//! Ids in the order of an instant: by the caller's clock (when a leg ended, when a call was last heard
//! of), taken off when due; and by when each leg becomes stale, in any order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::RandomState;

use chrono::{DateTime, Utc};

use crate::decode::CallId;

/// Ids with an instant each, oldest first. An id pushed again moves to its new instant: only its
/// latest counts, so that an old instant never takes off an id that was removed and made again. The
/// instants pushed must not go back in time (the caller's clock), so that oldest first is the order
/// of pushing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Due {
    order: VecDeque<(DateTime<Utc>, CallId)>,
    latest: HashMap<CallId, DateTime<Utc>, RandomState>,
}

impl Due {
    pub(crate) fn push(&mut self, at: DateTime<Utc>, id: CallId) {
        // Already queued at this instant (a burst read at one clock reading, a replayed log): its entry
        // is in the queue, so nothing changes.
        if self.latest.get(id.as_str()) == Some(&at) {
            return;
        }
        self.latest.insert(id.clone(), at);
        self.order.push_back((at, id));
        // Entries an id left behind are skipped when they come up; when they are most of the queue,
        // the queue is made anew from the latest instants, so that it holds each id about once.
        if self.order.len() > 2 * self.latest.len() + 64 {
            let mut order: Vec<(DateTime<Utc>, CallId)> = self
                .latest
                .iter()
                .map(|(id, at)| (*at, id.clone()))
                .collect();
            order.sort_unstable();
            self.order = order.into();
        }
    }

    /// Makes room for `more` ids at once.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.latest.reserve(more);
        self.order.reserve(more);
    }

    /// Forgets an id that is no longer held.
    pub(crate) fn forget(&mut self, id: &str) {
        self.latest.remove(id);
    }

    /// Takes off the oldest id, if `due` says its instant is due.
    pub(crate) fn pop_first(
        &mut self,
        due: impl Fn(DateTime<Utc>) -> bool,
    ) -> Option<(DateTime<Utc>, CallId)> {
        while let Some(&(at, _)) = self.order.front() {
            if !due(at) {
                return None;
            }
            let (at, id) = self.order.pop_front()?;
            if self.latest.get(id.as_str()) == Some(&at) {
                self.latest.remove(id.as_str());
                return Some((at, id));
            }
        }
        None
    }
}

/// When each leg becomes stale, soonest first: an entry is pushed each time a leg's instant may have
/// changed, and old entries are left behind, so an entry is a hint to judge its leg again, not a fact.
/// Every leg that can become stale has an entry at its current instant, so the soonest entry is a
/// lower bound on when the next leg becomes stale.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deadlines {
    heap: BinaryHeap<Reverse<(DateTime<Utc>, CallId)>>,
}

impl Deadlines {
    pub(crate) fn push(&mut self, at: DateTime<Utc>, id: CallId) {
        self.heap.push(Reverse((at, id)));
    }

    /// The soonest instant, a lower bound on when the next leg becomes stale.
    pub(crate) fn soonest(&self) -> Option<DateTime<Utc>> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes off the soonest entry if it is before `now`.
    pub(crate) fn pop_before(&mut self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, CallId)> {
        if self.soonest()? < now {
            self.heap.pop().map(|Reverse(entry)| entry)
        } else {
            None
        }
    }

    /// Whether the entries left behind are most of the heap (more than twice `held`, the legs held):
    /// then it should be made anew.
    pub(crate) fn is_bloated(&self, held: usize) -> bool {
        self.heap.len() > 2 * held + 64
    }

    /// Starts again from these entries.
    pub(crate) fn rebuild(&mut self, entries: impl IntoIterator<Item = (DateTime<Utc>, CallId)>) {
        self.heap = entries.into_iter().map(Reverse).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_latest_instant_of_an_id_counts() {
        let t = |s| DateTime::from_timestamp(s, 0).unwrap();
        let id = |s: &str| s.parse::<CallId>().unwrap();
        let mut due = Due::default();
        due.push(t(1), id("c-1"));
        due.push(t(2), id("c-2"));
        due.push(t(3), id("c-1"));
        due.forget("c-2");
        assert_eq!(due.pop_first(|at| at <= t(2)), None);
        assert_eq!(due.pop_first(|_| true), Some((t(3), id("c-1"))));
        assert_eq!(due.pop_first(|_| true), None);
    }

    #[test]
    fn deadlines_come_off_soonest_first_and_only_before_now() {
        let t = |s| DateTime::from_timestamp(s, 0).unwrap();
        let id = |s: &str| s.parse::<CallId>().unwrap();
        let mut deadlines = Deadlines::default();
        deadlines.push(t(30), id("c-3"));
        deadlines.push(t(10), id("c-1"));
        deadlines.push(t(20), id("c-2"));
        assert_eq!(deadlines.soonest(), Some(t(10)));
        assert_eq!(deadlines.pop_before(t(10)), None);
        assert_eq!(deadlines.pop_before(t(25)), Some((t(10), id("c-1"))));
        assert_eq!(deadlines.pop_before(t(25)), Some((t(20), id("c-2"))));
        assert_eq!(deadlines.pop_before(t(25)), None);
        assert!(!deadlines.is_bloated(0));
        deadlines.rebuild([(t(5), id("c-5"))]);
        assert_eq!(deadlines.pop_before(t(99)), Some((t(5), id("c-5"))));
    }

    #[test]
    fn an_id_pushed_again_and_again_is_held_about_once() {
        let t = |s| DateTime::from_timestamp(s, 0).unwrap();
        let mut due = Due::default();
        for s in 0..10_000 {
            due.push(t(s), format!("c-{}", s % 3).parse().unwrap());
        }
        assert!(due.order.len() <= 2 * 3 + 64 + 1, "{}", due.order.len());
        let ids: Vec<String> = std::iter::from_fn(|| due.pop_first(|_| true))
            .map(|(_, id)| id.to_string())
            .collect();
        assert_eq!(ids, ["c-1", "c-2", "c-0"]);
    }
}
