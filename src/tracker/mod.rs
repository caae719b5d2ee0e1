//! The live API for call-control apps: feed bodies as webhooks arrive, learn what changed.
//!
//! [`Tracker`] is what apps embed: the live form of a [`History`](crate::History), fed one body at a
//! time, with retention and a bound by the app's clock, stale legs swept by the same rule as history's,
//! and calls read as a history reads them. What it answers is in [`update`]; what it keeps in order of
//! time, in [`due`].

mod due;
mod update;

use std::hash::RandomState;

use chrono::{DateTime, TimeDelta, Utc};

pub use update::{LegUpdate, Swept, Update};

use crate::decode::{CallId, Callback, DecodeError, View};
use crate::fold::{Applied, IdMap, Leg, LegTable, State};
use crate::history::{
    ALeg, Call, History, HistoryOptions, NO_A_LEG, Stale, build_call, judge_stale, stale_at,
};
use due::{Deadlines, Due};

/// The legs and calls an app is running, fed one callback body at a time.
///
/// It keeps each transfer leg, and each call's A-leg facts (its `disconnect`, its `transferComplete`
/// reports) that a call's outcome and the staleness of its legs need. Everything it does by time
/// (retention, the bound, staleness) is by the clock the app passes to [`feed_at`](Tracker::feed_at)
/// (the system clock for [`feed`](Tracker::feed)): event times are approximate, may be missing, and
/// come from the network.
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
    calls: IdMap<Box<ALeg>, RandomState>,
    options: HistoryOptions,
    retention: Option<TimeDelta>,
    max_legs: Option<usize>,
    /// The held legs that ended, when they did: kept with a retention or a maximum.
    ends: Due,
    /// The calls, when each was last heard of: kept with a retention or a maximum.
    heard: Due,
    /// When each held leg becomes stale, soonest first, so that sweeping (at the bound, or when the
    /// app asks) judges only the legs that may be stale, not every leg.
    deadlines: Deadlines,
}

impl Default for Tracker {
    fn default() -> Tracker {
        Tracker::new()
    }
}

impl Tracker {
    /// A tracker that keeps every leg and call until it is dropped. Long-running apps set a retention
    /// and sweep stale legs.
    ///
    /// ```
    /// assert!(callfold::Tracker::new().is_empty());
    /// ```
    pub fn new() -> Tracker {
        Tracker {
            legs: LegTable::default(),
            calls: IdMap::default(),
            options: HistoryOptions::default(),
            retention: None,
            max_legs: None,
            ends: Due::default(),
            heard: Due::default(),
            deadlines: Deadlines::default(),
        }
    }

    /// Takes over what a [`History`] folded: its legs and its calls, merged into the ones held, as a
    /// tracker fed the same callbacks would hold them. A history replays a log on every core, so this
    /// is how a service rebuilds its tracker from its log at start-up.
    ///
    /// With a retention, an ended leg taken over counts as ended at its `endTime` (or at `now` when it
    /// has none, or one after `now`: a clock cannot be trusted past the present), so that the legs a
    /// running tracker would have evicted are evicted here too. With a maximum, the legs past it go,
    /// those that ended first first; the legs that have not ended all stay. Meant for a tracker fed
    /// nothing yet, or only older callbacks: the ends it holds must not be later than those taken over.
    ///
    /// ```
    /// use callfold::{History, LogReader, Tracker};
    /// use chrono::TimeDelta;
    ///
    /// let log = br#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a","answerTime":"2026-11-23T14:00:05Z"}
    /// {"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"hangup","endTime":"2026-11-23T14:01:00Z"}
    /// "#;
    /// let history = || History::replay(&mut LogReader::new(&log[..]), 2, |_| Ok::<(), ()>(())).unwrap();
    /// let mut tracker = Tracker::new();
    /// tracker.absorb(history(), chrono::Utc::now());
    /// assert_eq!(tracker.leg("c-b").unwrap().state(), callfold::State::Ended);
    /// assert_eq!(tracker.legs_of("c-a").len(), 1);
    ///
    /// // A day's retention: a leg that ended in November is gone by December.
    /// let mut tracker = Tracker::new().with_retention(TimeDelta::days(1));
    /// tracker.absorb(history(), callfold::parse_timestamp("2026-12-02T00:00:00Z")?);
    /// assert!(tracker.leg("c-b").is_none());
    /// # Ok::<(), callfold::TimestampError>(())
    /// ```
    pub fn absorb(&mut self, history: History, now: DateTime<Utc>) {
        let (legs, calls) = history.into_parts();
        // Legs whose retention ran out before `now` are left behind, not taken over and evicted.
        let retention = self.retention;
        let expired = |leg: &Leg| {
            leg.state() == State::Ended
                && retention.is_some_and(|retention| {
                    leg.end_time()
                        .filter(|t| *t <= now)
                        .and_then(|t| t.checked_add_signed(retention))
                        .is_some_and(|expiry| expiry <= now)
                })
        };
        let legs = legs.rehash_keeping::<RandomState>(|leg| !expired(leg));
        if self.legs.is_empty() {
            self.legs = legs;
        } else {
            self.legs.merge(legs);
        }
        self.calls.reserve(calls.len());
        for (id, a) in calls {
            self.calls.insert_or_merge(id, a, |mine, a| mine.merge(*a));
        }
        if self.keeps_time() {
            let mut ended: Vec<(DateTime<Utc>, CallId)> = self
                .legs
                .legs()
                .filter(|leg| leg.state() == State::Ended)
                .map(|leg| {
                    let at = leg.end_time().filter(|t| *t <= now).unwrap_or(now);
                    (at, leg.call_id().clone())
                })
                .collect();
            // The queue of ends is in order of time.
            ended.sort_unstable();
            self.ends.reserve(ended.len());
            for (at, id) in ended {
                self.ends.push(at, id);
            }
            self.heard.reserve(self.calls.len());
            let ids: Vec<CallId> = self.calls.iter().map(|(id, _)| id.clone()).collect();
            for id in ids {
                self.heard.push(now, id);
            }
            self.evict(now);
            while self.legs.len() > self.most() {
                let Some((_, first)) = self.ends.pop_first(|_| true) else {
                    break;
                };
                self.remove(first.as_str());
            }
        }
        self.rebuild_deadlines();
    }

    /// Evicts ended legs `retention` after they ended, and calls `retention` after they were last heard
    /// of once none of their legs is held. Choose it longer than Bandwidth's redeliveries and late
    /// callbacks: a callback for an evicted leg starts a new one.
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

    /// Bounds the legs held, and the calls (at twice as many). When a new leg would pass the bound,
    /// room is made: the leg that ended first goes, or else the [stale](Tracker::stale) legs are
    /// [swept](Tracker::sweep) (and reported in [`LegUpdate::swept`]). When no leg has ended and none
    /// is stale, the new leg is refused ([`Update::Refused`]), so that a flood of made-up call ids
    /// cannot push out the calls in progress. A new call takes the place of the call heard of longest
    /// ago that no held leg names (at most half of them are named).
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

    /// Sets how calls are read and legs judged stale: the attempt window, `stale_after` and `max_call`
    /// of a history ([`HistoryOptions`]); its `as_of` is not used, as the tracker judges by the app's
    /// clock.
    ///
    /// ```
    /// use callfold::{HistoryOptions, Tracker};
    ///
    /// let options = HistoryOptions { max_call: chrono::TimeDelta::hours(2), ..Default::default() };
    /// let tracker = Tracker::new().with_options(options);
    /// assert_eq!(tracker.options().max_call, chrono::TimeDelta::hours(2));
    /// ```
    #[must_use]
    pub fn with_options(mut self, options: HistoryOptions) -> Self {
        self.options = options;
        // The legs already held become stale at other instants under the new options.
        self.rebuild_deadlines();
        self
    }

    /// How calls are read and legs judged stale (see [`with_options`](Tracker::with_options)).
    ///
    /// ```
    /// assert_eq!(callfold::Tracker::new().options().stale_after, chrono::TimeDelta::seconds(330));
    /// ```
    pub fn options(&self) -> &HistoryOptions {
        &self.options
    }

    /// Decodes a body and folds it, with the system clock as "now".
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

    /// Decodes a body and folds it, with `now` as the app's clock.
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

    /// Folds a decoded callback, with the system clock as "now".
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

    /// Folds a decoded callback, with `now` as the app's clock.
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
        let view = View::of(callback);
        let id = &callback.call_id;
        let max_legs = self.most();
        let refused = || Update::Refused {
            call_id: id.clone(),
            max_legs,
        };
        if !view.is_leg_event() {
            if !self.make_room_for_call(view.call_id, now) {
                return refused();
            }
            self.observe_call(view.call_id, &view, now);
            // What the A-leg said may tell its legs' staleness (its disconnect, a transferComplete).
            let legs: Vec<CallId> = self
                .legs
                .children_of(view.call_id)
                .map(|leg| leg.call_id().clone())
                .collect();
            for leg in legs {
                self.note_stale_at(leg.as_str());
            }
            return Update::Call {
                call_id: id.clone(),
                event_type: callback.event.name().to_owned(),
            };
        }
        let Some(swept) = self.make_room_for_leg(id.as_str(), now) else {
            return refused();
        };
        // The leg comes first: at the bound, its call's facts (from, to) are kept only if there is
        // room for them.
        if let Some(parent) = view.parent_call_id
            && self.make_room_for_call(parent, now)
        {
            self.observe_call(parent, &view, now);
        }
        let before = self
            .leg(id.as_str())
            .map(|leg| (leg.conflicts(), leg.violations()));
        let Some(folded) = self.legs.apply(&view, None) else {
            return refused();
        };
        let Some(leg) = self.legs.at(folded.place) else {
            return refused();
        };
        let ended = leg.state() == State::Ended && folded.previous != Some(State::Ended);
        if ended && self.keeps_time() {
            self.ends.push(now, leg.call_id().clone());
        }
        self.note_stale_at(id.as_str());
        let Some(leg) = self.legs.at(folded.place) else {
            return refused();
        };
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
            swept,
        })
    }

    /// Folds what a callback says of its call, and notes when the call was last heard of.
    fn observe_call(&mut self, call: &str, view: &View<'_>, now: DateTime<Utc>) {
        let keeps_time = self.keeps_time();
        let a = self.calls.get_or_insert_with(call, Box::default);
        a.observe(view);
        if keeps_time && let Some(id) = self.calls.get_key_value(call).map(|(id, _)| id.clone()) {
            self.heard.push(now, id);
        }
    }

    /// Notes when the leg becomes stale, as it may have changed.
    fn note_stale_at(&mut self, id: &str) {
        let Some(leg) = self.legs.leg(id) else { return };
        let call = leg
            .parent_call_id()
            .and_then(|parent| self.calls.get(parent));
        if let Some(at) = stale_at(leg, call.map(|a| &**a), &self.options) {
            self.deadlines.push(at, leg.call_id().clone());
            if self.deadlines.is_bloated(self.legs.len()) {
                self.rebuild_deadlines();
            }
        }
    }

    /// Makes the deadlines anew from the legs held: one entry each.
    fn rebuild_deadlines(&mut self) {
        let entries: Vec<(DateTime<Utc>, CallId)> = self
            .legs
            .legs()
            // An ended leg is never stale: no call to look up.
            .filter(|leg| leg.state() != State::Ended)
            .filter_map(|leg| {
                let call = leg
                    .parent_call_id()
                    .and_then(|parent| self.calls.get(parent));
                let at = stale_at(leg, call.map(|a| &**a), &self.options)?;
                Some((at, leg.call_id().clone()))
            })
            .collect();
        self.deadlines.rebuild(entries);
    }

    /// Whether the tracker keeps the instants retention and the bound need.
    fn keeps_time(&self) -> bool {
        self.retention.is_some() || self.max_legs.is_some()
    }

    /// The most legs the tracker holds: the maximum set, or no bound.
    fn most(&self) -> usize {
        self.max_legs.unwrap_or(usize::MAX)
    }

    /// The most calls the tracker holds: twice the legs, so that at most half of them are named by a
    /// held leg, and room for a call is found among the others in a step or two.
    fn most_calls(&self) -> usize {
        self.max_legs
            .map_or(usize::MAX, |most| most.saturating_mul(2))
    }

    /// Room for a leg with this id: it is held, or the tracker is under its maximum, or room was made
    /// from the leg that ended first, or else from stale legs (given back, swept). `None` when no room
    /// can be made.
    fn make_room_for_leg(&mut self, id: &str, now: DateTime<Utc>) -> Option<Vec<Swept>> {
        if self.legs.len() < self.most() || self.legs.place(id).is_some() {
            return Some(Vec::new());
        }
        if let Some((_, first)) = self.ends.pop_first(|_| true) {
            self.remove(first.as_str());
            return Some(Vec::new());
        }
        if self.deadlines.soonest().is_none_or(|next| now <= next) {
            return None;
        }
        let swept = self.sweep(now);
        (!swept.is_empty()).then_some(swept)
    }

    /// True when a call with this id is held or can be: under the maximum, or after forgetting the call
    /// heard of longest ago that no held leg names.
    fn make_room_for_call(&mut self, id: &str, now: DateTime<Utc>) -> bool {
        if self.calls.len() < self.most_calls() || self.calls.contains_key(id) {
            return true;
        }
        let mut named = Vec::new();
        let mut room = false;
        while let Some((_, call)) = self.heard.pop_first(|_| true) {
            if self.legs.children_of(call.as_str()).next().is_some() {
                named.push(call);
            } else {
                self.calls.remove(&call);
                room = true;
                break;
            }
        }
        // A call still named by a leg is judged again later, as `evict` does: queued at `now`, it is
        // not looked at again until the calls before it have been, so each is passed over once a
        // round rather than at every new call.
        for call in named {
            self.heard.push(now, call);
        }
        room
    }

    /// Evicts the legs that ended at least the retention before `now`, and the calls last heard of at
    /// least the retention before `now` that no held leg names; says how many legs. Feeding calls it;
    /// an app may also call it on a timer. Without a retention, it does nothing.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// assert_eq!(tracker.evict(chrono::Utc::now()), 0);
    /// ```
    pub fn evict(&mut self, now: DateTime<Utc>) -> usize {
        let Some(retention) = self.retention else {
            return 0;
        };
        let expired = |at: DateTime<Utc>| {
            at.checked_add_signed(retention)
                .is_none_or(|expiry| expiry <= now)
        };
        let mut evicted = 0;
        while let Some((_, id)) = self.ends.pop_first(expired) {
            evicted += usize::from(self.remove(id.as_str()).is_some());
        }
        let mut named = Vec::new();
        while let Some((_, call)) = self.heard.pop_first(expired) {
            if self.legs.children_of(call.as_str()).next().is_some() {
                named.push(call);
            } else {
                self.calls.remove(&call);
            }
        }
        // A call with legs held is judged again a retention later.
        for call in named {
            self.heard.push(now, call);
        }
        evicted
    }

    /// The legs that are [stale](Stale) at `now` by the app's clock, with why, sorted by `callId`: legs
    /// whose `transferDisconnect` is taken to be missing.
    ///
    /// ```
    /// use callfold::{Tracker, parse_timestamp};
    /// use chrono::TimeDelta;
    ///
    /// let t0 = parse_timestamp("2026-11-23T14:00:00Z")?;
    /// let mut tracker = Tracker::new();
    /// tracker.feed_at(br#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a",
    ///     "answerTime":"2026-11-23T14:00:00Z"}"#, t0)?;
    /// assert!(tracker.stale(t0 + TimeDelta::hours(1)).is_empty()); // still talking, as far as anyone knows
    /// tracker.feed_at(br#"{"eventType":"disconnect","callId":"c-a","endTime":"2026-11-23T14:05:00Z"}"#, t0)?;
    /// let stale = tracker.stale(t0 + TimeDelta::hours(1));
    /// assert_eq!(stale[0].1.reason.code(), "call-ended");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stale(&self, now: DateTime<Utc>) -> Vec<(&Leg, Stale)> {
        let mut stale: Vec<(&Leg, Stale)> = self
            .legs
            .legs()
            .filter_map(|leg| Some((leg, self.judge(leg, now)?)))
            .collect();
        stale.sort_by(|a, b| a.0.call_id().cmp(b.0.call_id()));
        stale
    }

    /// Whether a held leg is stale at `now`, and why.
    fn judge(&self, leg: &Leg, now: DateTime<Utc>) -> Option<Stale> {
        let call = leg.parent_call_id().and_then(|id| self.calls.get(id));
        judge_stale(leg, call.map(|a| &**a), &self.options, now)
    }

    /// Drops every leg that is [stale](Tracker::stale) at `now`, and gives each back with why, so
    /// that the app can act on it (log it, ask Bandwidth for the call's state, alert).
    ///
    /// ```
    /// use callfold::{Tracker, parse_timestamp};
    ///
    /// let t0 = parse_timestamp("2026-11-23T14:00:00Z")?;
    /// let mut tracker = Tracker::new();
    /// tracker.feed_at(br#"{"eventType":"transferRinging","callId":"c-b","parentCallId":"c-a",
    ///     "startTime":"2026-11-23T14:00:00Z"}"#, t0)?;
    /// assert!(tracker.sweep(t0).is_empty());
    /// assert_eq!(tracker.sweep(t0 + chrono::TimeDelta::minutes(6)).len(), 1);
    /// assert!(tracker.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sweep(&mut self, now: DateTime<Utc>) -> Vec<Swept> {
        // Only the legs whose deadline has passed can be stale: each is judged again (its deadline
        // may have moved since), and the others are not looked at.
        let mut swept = Vec::new();
        while let Some((_, id)) = self.deadlines.pop_before(now) {
            let Some(stale) = self.leg(&id).and_then(|leg| self.judge(leg, now)) else {
                continue;
            };
            if let Some(leg) = self.remove(id.as_str()) {
                swept.push(Swept { leg, stale });
            }
        }
        swept.sort_by(|a, b| a.leg.call_id().cmp(b.leg.call_id()));
        swept
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

    /// The leg with this `callId`, given as text or as a [`CallId`].
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-b"}"#)?;
    /// let id: callfold::CallId = "c-b".parse()?;
    /// assert!(tracker.leg(&id).is_some() && tracker.leg("c-b").is_some());
    /// assert!(tracker.leg("c-x").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn leg(&self, call_id: &(impl AsRef<str> + ?Sized)) -> Option<&Leg> {
        self.legs.leg(call_id.as_ref())
    }

    /// The call with this `callId` (the A-leg) as a history reads it, with its legs' staleness judged
    /// at `now`: its attempts, outcome and the A-leg's facts. `None` when the tracker holds no leg of
    /// it and no `transferComplete`.
    ///
    /// ```
    /// use callfold::{CallOutcome, Tracker, parse_timestamp};
    ///
    /// let now = parse_timestamp("2026-11-23T14:02:00Z")?;
    /// let mut tracker = Tracker::new();
    /// tracker.feed_at(br#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"busy",
    ///     "startTime":"2026-11-23T14:00:00Z","endTime":"2026-11-23T14:00:02Z"}"#, now)?;
    /// tracker.feed_at(br#"{"eventType":"transferComplete","callId":"c-a","cause":"busy"}"#, now)?;
    /// let call = tracker.call("c-a", now).unwrap();
    /// assert_eq!(call.outcome, CallOutcome::NotConnected);
    /// assert_eq!(call.transfer_completes.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call(
        &self,
        call_id: &(impl AsRef<str> + ?Sized),
        now: DateTime<Utc>,
    ) -> Option<Call<'_>> {
        let call_id = call_id.as_ref();
        let (id, a) = match self.calls.get_key_value(call_id) {
            Some((id, a)) => (id, &**a),
            None => (self.legs.parent_id(call_id)?, &NO_A_LEG),
        };
        let legs: Vec<&Leg> = self
            .legs
            .children_of(call_id)
            .filter(|leg| leg.parent_call_id() == Some(id))
            .collect();
        (!legs.is_empty() || !a.completes().is_empty())
            .then(|| build_call(Some(id), a, legs, &self.options, Some(now)))
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
    pub fn legs_of(&self, parent_call_id: &(impl AsRef<str> + ?Sized)) -> Vec<&Leg> {
        let mut legs: Vec<&Leg> = self.legs.children_of(parent_call_id.as_ref()).collect();
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

    /// How many calls the tracker holds facts of (from their A-leg's callbacks and their legs').
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// tracker.feed(br#"{"eventType":"initiate","callId":"c-a"}"#)?;
    /// assert_eq!((tracker.len(), tracker.calls()), (0, 1));
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn calls(&self) -> usize {
        self.calls.len()
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
