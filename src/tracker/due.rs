//! Ids in the order of an instant by the caller's clock (when a leg ended, when a call was last heard
//! of), taken off when due.

use std::collections::{HashMap, VecDeque};
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
