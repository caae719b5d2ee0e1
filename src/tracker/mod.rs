//! The live API for call-control apps: feed bodies as webhooks arrive, learn what changed.
//!
//! [`Tracker`] is what apps embed; the table of legs it keeps ([`table`]) and the tables found by id
//! ([`id_table`]) are shared with the offline folds.

mod id_table;
mod table;

use std::collections::{HashMap, VecDeque};
use std::hash::RandomState;

use chrono::{DateTime, TimeDelta, Utc};

pub(crate) use id_table::IdMap;
pub(crate) use table::LegTable;

use crate::decode::{CallId, Callback, DecodeError, View};
use crate::fold::{Applied, Conflict, Leg, State, Violation};

/// The legs of every transfer an app is running, fed one callback body at a time.
///
/// Its tables hash with std's `RandomState` (`SipHash` with random keys): call ids come from the
/// network, and a seeded hash keeps a flood of crafted ids from degrading them.
///
/// ```
/// use callfold::{State, Tracker, Update};
///
/// let mut tracker = Tracker::new();
/// let body = br#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a",
///                 "startTime":"2019-06-20T15:54:22.234Z","answerTime":"2019-06-20T15:54:25.432Z"}"#;
/// let Update::Leg(change) = tracker.feed(body)? else { unreachable!() };
/// assert_eq!(change.previous, None);
/// assert_eq!(change.state, State::Answered);
/// assert!(!change.duplicate && change.conflicts.is_empty() && change.violations.is_empty());
/// assert_eq!(tracker.legs_of("c-a").len(), 1);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tracker {
    legs: LegTable<RandomState, usize>,
    retention: Option<TimeDelta>,
    max_legs: Option<usize>,
    /// The held legs that ended, when they did by the caller's clock: kept with a retention or a
    /// maximum.
    ends: Ends,
}

/// What one callback did to the tracker.
///
/// ```
/// let mut tracker = callfold::Tracker::new();
/// let update = tracker.feed(br#"{"eventType":"transferComplete","callId":"c-a","cause":"hangup"}"#)?;
/// assert!(matches!(update, callfold::Update::NotALeg { .. }));
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Update {
    /// The callback folded into a transfer leg.
    Leg(LegUpdate),
    /// The callback would start a new leg, but the tracker holds its maximum of legs and none of them has
    /// ended (see [`Tracker::with_max_legs`]). Nothing was stored.
    Refused {
        /// The callback's `callId`.
        call_id: CallId,
        /// The maximum.
        max_legs: usize,
    },
    /// The callback is not about a transfer leg (`transferComplete`, `initiate`, an A-leg's `answer` or
    /// `disconnect`, ...). Nothing was stored.
    NotALeg {
        /// Its `eventType`.
        event_type: String,
        /// Its `callId`.
        call_id: CallId,
    },
}

/// What changed on one leg.
///
/// ```
/// let mut tracker = callfold::Tracker::new();
/// let body = br#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy"}"#;
/// tracker.feed(body)?;
/// let callfold::Update::Leg(change) = tracker.feed(body)? else { unreachable!() };
/// assert!(change.duplicate);
/// assert!(!change.state_changed());
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegUpdate {
    /// The leg's `callId`.
    pub call_id: CallId,
    /// The state before this callback; `None` when the callback created the leg.
    pub previous: Option<State>,
    /// The state now.
    pub state: State,
    /// The callback was a redelivery; nothing but the duplicate count changed.
    pub duplicate: bool,
    /// Conflicts this callback created or widened.
    pub conflicts: Vec<Conflict>,
    /// Violations this callback revealed.
    pub violations: Vec<Violation>,
}

impl LegUpdate {
    /// True when the callback created the leg or moved it to a new state.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// let callfold::Update::Leg(change) = tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-b"}"#)? else {
    ///     unreachable!()
    /// };
    /// assert!(change.state_changed());
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn state_changed(&self) -> bool {
        self.previous != Some(self.state)
    }
}

impl Default for Tracker {
    fn default() -> Tracker {
        Tracker::new()
    }
}

impl Tracker {
    /// A tracker that keeps every leg until it is dropped. Long-running apps set a retention.
    ///
    /// ```
    /// assert!(callfold::Tracker::new().is_empty());
    /// ```
    pub fn new() -> Tracker {
        Tracker {
            legs: LegTable::default(),
            retention: None,
            max_legs: None,
            ends: Ends::default(),
        }
    }

    /// Evicts ended legs `retention` after they ended (by the clock the app passes to
    /// [`feed_at`](Tracker::feed_at), or the system clock for [`feed`](Tracker::feed)). Choose it longer
    /// than Bandwidth's redeliveries and late callbacks: a callback for an evicted leg starts a new one.
    ///
    /// ```
    /// use callfold::{Tracker, parse_timestamp};
    /// use chrono::TimeDelta;
    ///
    /// let mut tracker = Tracker::new().with_retention(TimeDelta::minutes(10));
    /// let t0 = parse_timestamp("2026-11-24T12:00:00Z")?;
    /// tracker.feed_at(br#"{"eventType":"transferDisconnect","callId":"c-b","cause":"hangup"}"#, t0)?;
    /// assert_eq!(tracker.evict(t0 + TimeDelta::minutes(9)), 0);
    /// assert_eq!(tracker.evict(t0 + TimeDelta::minutes(10)), 1);
    /// assert!(tracker.leg("c-b").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_retention(mut self, retention: TimeDelta) -> Self {
        self.retention = Some(retention);
        self
    }

    /// Bounds the legs held. When a new leg would pass the bound, the leg that ended first is evicted to
    /// make room; when none has ended, the new leg is refused ([`Update::Refused`]) so that a flood of
    /// made-up call ids cannot push out the calls in progress.
    ///
    /// ```
    /// use callfold::{Tracker, Update};
    ///
    /// let mut tracker = Tracker::new().with_max_legs(1);
    /// tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-1"}"#)?;
    /// let refused = tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-2"}"#)?;
    /// assert!(matches!(refused, Update::Refused { max_legs: 1, .. }));
    /// // Once c-1 has ended, it makes room.
    /// tracker.feed(br#"{"eventType":"transferDisconnect","callId":"c-1","cause":"hangup"}"#)?;
    /// assert!(matches!(tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-2"}"#)?, Update::Leg(_)));
    /// assert!(tracker.leg("c-1").is_none());
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    #[must_use]
    pub fn with_max_legs(mut self, max_legs: usize) -> Self {
        self.max_legs = Some(max_legs);
        self
    }

    /// Decodes a body and folds it, with the system clock as "now" for retention.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// assert!(tracker.feed(b"not json").is_err());
    /// assert!(tracker.is_empty());
    /// ```
    ///
    /// # Errors
    /// [`DecodeError`] when the body is not a callback; the tracker is unchanged then.
    pub fn feed(&mut self, body: &[u8]) -> Result<Update, DecodeError> {
        self.feed_at(body, Utc::now())
    }

    /// Decodes a body and folds it, with `now` as the time for retention.
    ///
    /// ```
    /// let now = callfold::parse_timestamp("2026-11-24T12:00:00Z")?;
    /// let mut tracker = callfold::Tracker::new();
    /// tracker.feed_at(br#"{"eventType":"transferAnswer","callId":"c-b"}"#, now)?;
    /// assert_eq!(tracker.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`DecodeError`] when the body is not a callback; the tracker is unchanged then.
    pub fn feed_at(&mut self, body: &[u8], now: DateTime<Utc>) -> Result<Update, DecodeError> {
        let callback = Callback::from_slice(body)?;
        Ok(self.apply_at(&callback, now))
    }

    /// Folds a decoded callback, with the system clock as "now" for retention.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// tracker.apply(&r#"{"eventType":"transferAnswer","callId":"c-b"}"#.parse()?);
    /// assert_eq!(tracker.leg("c-b").unwrap().state(), callfold::State::Answered);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn apply(&mut self, callback: &Callback) -> Update {
        self.apply_at(callback, Utc::now())
    }

    /// Folds a decoded callback, with `now` as the time for retention.
    ///
    /// ```
    /// let now = callfold::parse_timestamp("2026-11-24T12:00:00Z")?;
    /// let mut tracker = callfold::Tracker::new();
    /// tracker.apply_at(&r#"{"eventType":"transferAnswer","callId":"c-b"}"#.parse()?, now);
    /// assert_eq!(tracker.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_at(&mut self, callback: &Callback, now: DateTime<Utc>) -> Update {
        self.evict(now);
        if !callback.is_leg_event() {
            return Update::NotALeg {
                event_type: callback.event.name().to_owned(),
                call_id: callback.call_id.clone(),
            };
        }
        let id = &callback.call_id;
        if !self.make_room_for(id.as_str()) {
            return Update::Refused {
                call_id: id.clone(),
                max_legs: self.most_legs(),
            };
        }
        let before = self
            .leg(id.as_str())
            .map(|leg| (leg.conflicts(), leg.violations()));
        let refused = Update::Refused {
            call_id: id.clone(),
            max_legs: self.most_legs(),
        };
        let Some(folded) = self.legs.apply(&View::of(callback), None) else {
            return refused;
        };
        let Some(leg) = self.legs.at(folded.place) else {
            return refused;
        };
        let ended = leg.state() == State::Ended && folded.previous != Some(State::Ended);
        if ended && (self.retention.is_some() || self.max_legs.is_some()) {
            self.ends.push(now, leg.call_id().clone());
        }
        let (conflicts_before, violations_before) = before.unwrap_or_default();
        Update::Leg(LegUpdate {
            call_id: id.clone(),
            previous: folded.previous,
            state: leg.state(),
            duplicate: folded.applied == Applied::Duplicate,
            conflicts: leg
                .conflicts()
                .into_iter()
                .filter(|c| !conflicts_before.contains(c))
                .collect(),
            violations: leg
                .violations()
                .into_iter()
                .filter(|v| !violations_before.contains(v))
                .collect(),
        })
    }

    /// The most legs the tracker holds: the maximum set, or no bound.
    fn most_legs(&self) -> usize {
        self.max_legs.unwrap_or(usize::MAX)
    }

    /// True when a leg with this id is held or can be: under the maximum, or after evicting the leg that
    /// ended first.
    fn make_room_for(&mut self, id: &str) -> bool {
        if self.legs.len() < self.most_legs() || self.legs.place(id).is_some() {
            return true;
        }
        match self.ends.pop_first(|_| true) {
            Some(first) => self.remove(first.as_str()).is_some(),
            None => false,
        }
    }

    /// Evicts the legs that ended at least the retention before `now`, and says how many. Feeding calls
    /// it; an app may also call it on a timer. Without a retention, it does nothing.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// assert_eq!(tracker.evict(chrono::Utc::now()), 0);
    /// ```
    pub fn evict(&mut self, now: DateTime<Utc>) -> usize {
        let Some(retention) = self.retention else {
            return 0;
        };
        let mut evicted = 0;
        let expired = |ended_at: DateTime<Utc>| {
            ended_at
                .checked_add_signed(retention)
                .is_none_or(|expiry| expiry <= now)
        };
        while let Some(id) = self.ends.pop_first(expired) {
            evicted += usize::from(self.remove(id.as_str()).is_some());
        }
        evicted
    }

    /// Removes a leg (and its place in the parent index), returning it.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a"}"#)?;
    /// assert!(tracker.remove("c-b").is_some());
    /// assert!(tracker.legs_of("c-a").is_empty());
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn remove(&mut self, call_id: &str) -> Option<Leg> {
        self.ends.forget(call_id);
        self.legs.remove(call_id)
    }

    /// The leg with this `callId`.
    ///
    /// ```
    /// assert!(callfold::Tracker::new().leg("c-b").is_none());
    /// ```
    pub fn leg(&self, call_id: &str) -> Option<&Leg> {
        self.legs.leg(call_id)
    }

    /// The legs whose callbacks named this `parentCallId`, by `callId`.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// for body in [
    ///     br#"{"eventType":"transferDisconnect","callId":"c-2","parentCallId":"c-a","cause":"hangup"}"#.as_slice(),
    ///     br#"{"eventType":"transferAnswer","callId":"c-1","parentCallId":"c-a"}"#.as_slice(),
    /// ] {
    ///     tracker.feed(body)?;
    /// }
    /// let ids: Vec<_> = tracker.legs_of("c-a").iter().map(|leg| leg.call_id().as_str()).collect();
    /// assert_eq!(ids, ["c-1", "c-2"]);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn legs_of(&self, parent_call_id: &str) -> Vec<&Leg> {
        let mut legs: Vec<&Leg> = self.legs.children_of(parent_call_id).collect();
        legs.sort_by(|a, b| a.call_id().cmp(b.call_id()));
        legs
    }

    /// Every leg, in no particular order.
    ///
    /// ```
    /// assert_eq!(callfold::Tracker::new().legs().count(), 0);
    /// ```
    pub fn legs(&self) -> impl Iterator<Item = &Leg> {
        self.legs.legs()
    }

    /// Every leg, sorted by `callId`: the same list whatever order the callbacks came in.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-2"}"#)?;
    /// tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-1"}"#)?;
    /// let ids: Vec<_> = tracker.into_sorted_legs().into_iter().map(|leg| leg.call_id().to_string()).collect();
    /// assert_eq!(ids, ["c-1", "c-2"]);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn into_sorted_legs(self) -> Vec<Leg> {
        self.legs.into_sorted_legs()
    }

    /// How many legs the tracker holds.
    ///
    /// ```
    /// assert_eq!(callfold::Tracker::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.legs.len()
    }

    /// True when the tracker holds no leg.
    ///
    /// ```
    /// assert!(callfold::Tracker::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.legs.is_empty()
    }
}

/// The held legs that ended, in the order they did, each with the instant it did by the caller's clock.
/// A leg removed and made again (a callback after its eviction) ends anew: only its latest end counts,
/// so that an old end never evicts a leg still in progress.
#[derive(Debug, Clone, Default)]
struct Ends {
    order: VecDeque<(DateTime<Utc>, CallId)>,
    latest: HashMap<CallId, DateTime<Utc>, RandomState>,
}

impl Ends {
    fn push(&mut self, at: DateTime<Utc>, id: CallId) {
        self.latest.insert(id.clone(), at);
        self.order.push_back((at, id));
    }

    /// Forgets the end of a leg that is no longer held.
    fn forget(&mut self, id: &str) {
        self.latest.remove(id);
    }

    /// Takes off the held leg that ended first, if `due` says its end is due.
    fn pop_first(&mut self, due: impl Fn(DateTime<Utc>) -> bool) -> Option<CallId> {
        while let Some(&(at, _)) = self.order.front() {
            if !due(at) {
                return None;
            }
            let (at, id) = self.order.pop_front()?;
            if self.latest.get(id.as_str()) == Some(&at) {
                self.latest.remove(id.as_str());
                return Some(id);
            }
        }
        None
    }
}
