//! The live API for call-control apps: feed bodies as webhooks arrive, learn what changed.

use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};

use chrono::{DateTime, TimeDelta, Utc};
use hashbrown::HashTable;

use crate::callback::{CallId, Callback, DecodeError, View};
use crate::fact::reserve_one;
use crate::id::IdMap;
use crate::invariant::Violation;
use crate::leg::{Applied, Conflict, Leg, State};

/// The legs of every transfer an app is running, fed one callback body at a time.
///
/// The maps use std's `RandomState` (`SipHash` with random keys): call ids come from the network, and a
/// seeded hash keeps a flood of crafted ids from degrading the maps.
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
///
/// `S` builds the maps' hasher. Keep the default: [`Tracker::new`] is the only public constructor, and
/// callfold's offline replay ([`History`](crate::History)) is what uses a faster, unkeyed one. `P` is
/// how the index holds a leg's place: also callfold's own choice.
#[derive(Debug, Clone)]
pub struct Tracker<S = RandomState, P = usize> {
    /// Every leg held, side by side: a leg is found through the index, and the parent index points
    /// straight at its legs. Kept in step with both indexes: every place they hold is in here.
    legs: Vec<Leg>,
    /// Where each leg is in `legs`, hashed by its `callId` with `hasher`: the id is held once, in the
    /// leg, and a place takes 8 bytes.
    index: HashTable<P>,
    hasher: S,
    /// The legs that named each `parentCallId`, as places in `legs`; kept only when `parent_index` is.
    children: IdMap<Vec<usize>, S>,
    parent_index: bool,
    retention: Option<TimeDelta>,
    max_legs: Option<usize>,
    /// Legs in the order they ended, with the time (the caller's clock) at which they did.
    ended: VecDeque<(DateTime<Utc>, CallId)>,
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
        Tracker::with_hasher()
    }
}

/// How a tracker's index holds a leg's place in its list: in a `usize`, or in four bytes for a fold
/// that sets its legs aside when it holds the most that fit ([`Leg::replay`]).
pub(crate) trait Place: Copy {
    /// The most legs a tracker with these places holds: past it, new legs are refused.
    const MOST: usize;
    /// The place `place`, which is below `MOST`.
    fn new(place: usize) -> Self;
    fn get(self) -> usize;
}

impl Place for usize {
    const MOST: usize = usize::MAX;
    fn new(place: usize) -> usize {
        place
    }
    fn get(self) -> usize {
        self
    }
}

impl Place for u32 {
    const MOST: usize = u32::MAX as usize;
    fn new(place: usize) -> u32 {
        // Below `MOST`, so it fits.
        place as u32
    }
    fn get(self) -> usize {
        self as usize
    }
}

#[expect(
    private_bounds,
    reason = "places are callfold's own choice: Tracker::new, the one public constructor, gives usize"
)]
impl<S: BuildHasher + Default, P: Place> Tracker<S, P> {
    /// A tracker whose maps hash with `S`.
    pub(crate) fn with_hasher() -> Tracker<S, P> {
        Tracker {
            legs: Vec::new(),
            index: HashTable::new(),
            hasher: S::default(),
            children: IdMap::default(),
            parent_index: true,
            retention: None,
            max_legs: None,
            ended: VecDeque::new(),
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
        let (previous, duplicate, leg) = self.fold_leg(&View::of(callback), Some(now), None);
        let (conflicts_before, violations_before) = before.unwrap_or_default();
        Update::Leg(LegUpdate {
            call_id: id.clone(),
            previous,
            state: leg.state(),
            duplicate,
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

    /// Folds a callback without working out what changed, for batch folds over logs; says whether it
    /// was a leg callback it took (a tracker at its [maximum](Tracker::with_max_legs) refuses new legs
    /// when none has ended). Nothing is evicted for retention, and the legs it ends count as ended at the
    /// Unix epoch: mix it with retention only knowingly.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// assert!(tracker.fold(&r#"{"eventType":"transferAnswer","callId":"c-b"}"#.parse()?));
    /// assert!(!tracker.fold(&r#"{"eventType":"initiate","callId":"c-a"}"#.parse()?));
    /// assert_eq!(tracker.len(), 1);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn fold(&mut self, callback: &Callback) -> bool {
        self.fold_view(&View::of(callback), None)
    }

    /// [`fold`](Tracker::fold) for a callback decoded without being owned, as delivery `delivery` (see
    /// [`Leg::merge`]).
    pub(crate) fn fold_view(&mut self, view: &View<'_>, delivery: Option<u64>) -> bool {
        if view.is_leg_event() && self.make_room_for(view.call_id) {
            self.fold_leg(view, None, delivery);
            true
        } else {
            false
        }
    }

    /// A tracker whose maps hash with `S` and that keeps no parent index: for folds that only want the
    /// legs ([`Leg::replay`]). [`legs_of`](Tracker::legs_of) finds no leg in it.
    pub(crate) fn without_parent_index() -> Tracker<S, P> {
        Tracker {
            parent_index: false,
            ..Tracker::with_hasher()
        }
    }

    /// The place in `legs` of the leg with this id.
    fn place(&self, call_id: &str) -> Option<usize> {
        let hash = hash_id(&self.hasher, call_id.as_bytes());
        self.index
            .find(hash, is_at(&self.legs, call_id))
            .map(|place| place.get())
    }

    /// Adds a leg to `legs` and the index, and gives its place; there must be no leg with its id, and
    /// room for one more (see [`most_legs`](Tracker::most_legs)).
    fn push(&mut self, hash: u64, leg: Leg) -> usize {
        if self.index.len() == self.index.capacity() {
            self.grow_index(self.legs.len() + 1);
        }
        let place = self.legs.len();
        self.legs.push(leg);
        self.index
            .insert_unique(hash, P::new(place), rehash(&self.legs, &self.hasher));
        place
    }

    /// Makes room in the index for `legs` legs by filing every leg anew in a bigger table, in
    /// the order they are held. Growing in place would read the legs in the order of the index, each
    /// read a cache miss; read in order, they stream.
    fn grow_index(&mut self, legs: usize) {
        if legs <= self.index.capacity() {
            return;
        }
        // A table's room is a power of two buckets, less an eighth: the next one up is twice as big.
        self.index = HashTable::new();
        self.index.reserve(legs, |_| 0);
        for (place, leg) in self.legs.iter().enumerate() {
            let hash = hash_id(&self.hasher, leg.call_id().as_bytes());
            self.index
                .insert_unique(hash, P::new(place), rehash(&self.legs, &self.hasher));
        }
    }

    /// The most legs the tracker holds: the maximum set, or the most its index can place.
    fn most_legs(&self) -> usize {
        self.max_legs.map_or(P::MOST, |max| max.min(P::MOST))
    }

    /// The index's own copy of a `parentCallId`, if a held leg named it.
    pub(crate) fn parent_id(&self, parent_call_id: &str) -> Option<&CallId> {
        self.children
            .get_key_value(parent_call_id)
            .map(|(id, _)| id)
    }

    /// True when a leg with this id is held or can be: under the maximum, or after evicting the leg that
    /// ended first.
    fn make_room_for(&mut self, id: &str) -> bool {
        if self.legs.len() < self.most_legs() || self.place(id).is_some() {
            return true;
        }
        while let Some((_, ended)) = self.ended.pop_front() {
            if self.remove(ended.as_str()).is_some() {
                return true;
            }
        }
        false
    }

    /// Folds a leg callback into its leg (made if new) and keeps the indexes. Gives the leg's previous
    /// state (`None` if new), whether the callback was a redelivery, and the leg. `now` dates a leg that
    /// ends, for retention.
    fn fold_leg(
        &mut self,
        v: &View<'_>,
        now: Option<DateTime<Utc>>,
        delivery: Option<u64>,
    ) -> (Option<State>, bool, &Leg) {
        // One lookup for a known leg, and one hash for a new one.
        let hash = hash_id(&self.hasher, v.call_id.as_bytes());
        let (place, known) = match self.index.find(hash, is_at(&self.legs, v.call_id)) {
            Some(place) => (place.get(), true),
            None => (self.push(hash, Leg::new(CallId::new(v.call_id))), false),
        };
        let leg = &mut self.legs[place];
        let previous = known.then(|| leg.state());
        let parents_before = leg.parent_call_ids().len();
        let applied = leg.apply_view(v, delivery);
        let duplicate = applied == Applied::Duplicate;
        let ended = leg.state() == State::Ended && previous != Some(State::Ended);
        if ended && (self.retention.is_some() || self.max_legs.is_some()) {
            self.ended
                .push_back((now.unwrap_or(DateTime::UNIX_EPOCH), leg.call_id().clone()));
        }
        // The parent index changes only when the leg learns a parent it did not know; it takes the leg's
        // copy of the id.
        if self.parent_index
            && leg.parent_call_ids().len() > parents_before
            && let Some(parent) = v.parent_call_id
            && let Some(parent) = leg
                .parent_call_ids()
                .iter()
                .find(|id| id.as_str() == parent)
        {
            let parent = parent.clone();
            self.add_child(&parent, place);
        }
        (previous, duplicate, &self.legs[place])
    }

    /// Records the leg at `place` under `parent` in the parent index, once.
    fn add_child(&mut self, parent: &CallId, place: usize) {
        push_child(self.children.get_or_insert_with(parent, Vec::new), place);
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
        while let Some((ended_at, _)) = self.ended.front() {
            if ended_at
                .checked_add_signed(retention)
                .is_some_and(|expiry| expiry > now)
            {
                break;
            }
            let Some((_, id)) = self.ended.pop_front() else {
                break;
            };
            if self.remove(id.as_str()).is_some() {
                evicted += 1;
            }
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
        let hash = hash_id(&self.hasher, call_id.as_bytes());
        let (place, _) = self
            .index
            .find_entry(hash, is_at(&self.legs, call_id))
            .ok()?
            .remove();
        let place = place.get();
        let leg = self.legs.swap_remove(place);
        for parent in leg.parent_call_ids() {
            if let Some(children) = self.children.get_mut(parent) {
                children.retain(|&child| child != place);
                if children.is_empty() {
                    self.children.remove(parent);
                }
            }
        }
        // The last leg moved into the hole: the indexes follow it.
        let last = self.legs.len();
        if let Some(moved) = self.legs.get(place) {
            let hash = hash_id(&self.hasher, moved.call_id().as_bytes());
            if let Some(at) = self.index.find_mut(hash, |at| at.get() == last) {
                *at = P::new(place);
            }
            for parent in moved.parent_call_ids() {
                for child in self.children.get_mut(parent).into_iter().flatten() {
                    if *child == last {
                        *child = place;
                    }
                }
            }
        }
        Some(leg)
    }

    /// The leg with this `callId`.
    ///
    /// ```
    /// assert!(callfold::Tracker::new().leg("c-b").is_none());
    /// ```
    pub fn leg(&self, call_id: &str) -> Option<&Leg> {
        self.legs.get(self.place(call_id)?)
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
        let mut legs: Vec<&Leg> = self.children_of(parent_call_id).collect();
        legs.sort_by(|a, b| a.call_id().cmp(b.call_id()));
        legs
    }

    /// Every `parentCallId` some held leg named, in no particular order.
    pub(crate) fn parents(&self) -> impl Iterator<Item = &CallId> {
        self.children.keys()
    }

    /// The held legs that named this `parentCallId`, in no particular order.
    pub(crate) fn children_of(&self, parent_call_id: &str) -> impl Iterator<Item = &Leg> {
        self.children
            .get(parent_call_id)
            .into_iter()
            .flatten()
            .filter_map(|&place| self.legs.get(place))
    }

    /// Every leg, in no particular order.
    ///
    /// ```
    /// assert_eq!(callfold::Tracker::new().legs().count(), 0);
    /// ```
    pub fn legs(&self) -> impl Iterator<Item = &Leg> {
        self.legs.iter()
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
        let mut legs = self.legs;
        // Ids are distinct, so an unstable sort gives the one order, without a buffer of half the legs.
        legs.sort_unstable_by(|a, b| a.call_id().cmp(b.call_id()));
        legs
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

impl<S: BuildHasher + Default> Tracker<S> {
    /// Adds the legs of `other`: merged into the leg of the same id, or taken as they are. Retention and
    /// the maximum are not applied (this is for replays, which use neither).
    pub(crate) fn merge(&mut self, other: Tracker<S>) {
        // `other`'s index goes first: its legs are looked up here, by id.
        let (mut legs, children) = (other.legs, other.children);
        drop(other.index);
        // A replay's workers fold separate calls, so most legs and parents are new here: room for them
        // all at once, not by doubling.
        self.legs.reserve(legs.len());
        self.grow_index(self.legs.len() + legs.len());
        self.children.reserve(children.len());
        // Where each of `other`'s legs is now, for its parent index (none without one). The legs are taken
        // from the end, and the list they leave gives its memory back as it shortens, a sixty-fourth at a
        // time, so that the two lists never both hold every leg.
        let mut moved = vec![0; if children.is_empty() { 0 } else { legs.len() }];
        let give_back = (legs.len() / 64).max(4096);
        while let Some(leg) = legs.pop() {
            let id = leg.call_id().as_str();
            let hash = hash_id(&self.hasher, id.as_bytes());
            let place = match self.index.find(hash, is_at(&self.legs, id)).copied() {
                Some(place) => {
                    if let Some(mine) = self.legs.get_mut(place) {
                        // Same id, so it cannot fail.
                        let _ = mine.merge(&leg);
                    }
                    place
                }
                None => self.push(hash, leg),
            };
            if let Some(at) = moved.get_mut(legs.len()) {
                *at = place;
            }
            if legs.len() % give_back == 0 {
                legs.shrink_to_fit();
            }
        }
        for (parent, mut children) in children {
            for child in &mut children {
                *child = moved[*child];
            }
            self.children
                .insert_or_merge(parent, children, |mine, children| {
                    for child in children {
                        push_child(mine, child);
                    }
                });
        }
    }
}

/// Adds `child` to a parent's legs unless it is there.
fn push_child(children: &mut Vec<usize>, child: usize) {
    if !children.contains(&child) {
        reserve_one(children);
        children.push(child);
    }
}

/// Whether the place an index holds is that of the leg with this id.
fn is_at<'a, P: Place>(legs: &'a [Leg], call_id: &'a str) -> impl Fn(&P) -> bool + 'a {
    move |place| {
        legs.get(place.get())
            .is_some_and(|leg| leg.call_id() == call_id)
    }
}

/// The hash of the leg at a place the index holds, for when the index grows.
fn rehash<'a, S: BuildHasher, P: Place>(legs: &'a [Leg], hasher: &'a S) -> impl Fn(&P) -> u64 + 'a {
    move |place| {
        legs.get(place.get())
            .map_or(0, |leg| hash_id(hasher, leg.call_id().as_bytes()))
    }
}

/// The hash the index files a leg under: of its id as bytes, so that an id held in place is not checked
/// for UTF-8 again each time it is hashed.
fn hash_id<S: BuildHasher>(hasher: &S, id: &[u8]) -> u64 {
    hasher.hash_one(id)
}
