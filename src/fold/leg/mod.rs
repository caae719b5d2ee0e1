//! A transfer leg: the facts its callbacks carried, and what follows from them. The laws are on [`Leg`].

use std::fmt;

use chrono::{DateTime, Utc};
use thiserror::Error;

mod read;

use crate::decode::{CallId, Callback, Cause, Direction, Kind, View};
use crate::fold::compact::{CompactEnum, CompactText, CompactTime};
use crate::fold::delivery::{Deliveries, fingerprint};
use crate::fold::fact::Fact;

/// Why a callback could not be folded into a leg.
///
/// ```
/// use callfold::{FoldError, Leg};
///
/// let mut leg = Leg::new("c-b".parse()?);
/// let other = r#"{"eventType":"transferAnswer","callId":"c-x"}"#.parse()?;
/// assert_eq!(leg.apply(&other).unwrap_err().to_string(), "callback for leg c-x, not c-b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FoldError {
    /// The callback belongs to another leg.
    #[error("callback for leg {found}, not {expected}")]
    OtherLeg {
        /// This leg's id.
        expected: CallId,
        /// The callback's `callId`.
        found: CallId,
    },
    /// The callback is not about a transfer leg (see [`Callback::is_leg_event`]).
    #[error("{event_type} for {call_id} is not a transfer-leg callback")]
    NotALegEvent {
        /// The callback's `eventType`.
        event_type: String,
        /// The callback's `callId`.
        call_id: CallId,
    },
}

/// What folding one callback did.
///
/// ```
/// use callfold::{Applied, Leg};
///
/// let mut leg = Leg::new("c-b".parse()?);
/// let answer = r#"{"eventType":"transferAnswer","callId":"c-b","answerTime":"2019-06-20T15:54:25.432Z"}"#.parse()?;
/// assert_eq!(leg.apply(&answer)?, Applied::New);
/// assert_eq!(leg.apply(&answer)?, Applied::Duplicate);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The callback was new to this leg; its facts were added.
    New,
    /// The same callback was folded before (a redelivery); only the duplicate count changed.
    Duplicate,
}

/// One transfer B-leg, keyed by its `callId`, with everything its callbacks said.
///
/// # The laws of the fold
/// A leg stores, for each fact (`startTime`, `cause`, `tag`, ...), the **set** of distinct values its
/// callbacks gave, and the set of deliveries that brought them. Folding a callback ([`apply`]) only adds
/// to those sets; everything a user reads (the [`state`], [`outcome`], durations, [`conflicts`] and
/// [`violations`]) is computed from them. So:
/// - **order does not matter**: any order of the same callbacks gives the same leg;
/// - **redeliveries change nothing but the count**: a callback equal to one folded before on every
///   field but `eventTime` is a [duplicate](Leg::duplicates);
/// - **legs merge**: two legs folded from parts of the callbacks [merge](Leg::merge) into the leg of all
///   of them, in any grouping;
/// - **the state only moves forward** (enqueued → ringing → answered → ended): `ended` is final, and a
///   `transferAnswer` after the `transferDisconnect` only fills in facts;
/// - **disagreement is kept, not resolved by arrival**: two values of one fact are a [`Conflict`](crate::Conflict), and
///   the leg keeps the smallest (the earliest time, the first text in byte order).
///
/// [`apply`]: Leg::apply
/// [`state`]: Leg::state
/// [`outcome`]: Leg::outcome
/// [`conflicts`]: Leg::conflicts
/// [`violations`]: Leg::violations
///
/// ```
/// use callfold::{Leg, State};
///
/// let answer = r#"{"eventType":"transferAnswer","callId":"c-b","answerTime":"2019-12-27T19:18:23.320Z"}"#.parse()?;
/// let end = r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"hangup","endTime":"2019-12-27T19:19:27.987Z"}"#.parse()?;
/// let (mut a, mut b) = (Leg::new("c-b".parse()?), Leg::new("c-b".parse()?));
/// for cb in [&answer, &end, &answer] {
///     a.apply(cb)?;
/// }
/// for cb in [&end, &answer] {
///     b.apply(cb)?;
/// }
/// assert_eq!((a.state(), a.events(), a.duplicates()), (State::Ended, 2, 1));
/// assert_eq!((b.state(), b.events(), b.duplicates()), (State::Ended, 2, 0));
/// assert_eq!(a.talk_ms(), b.talk_ms());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`Leg::replay`] folds a whole log's legs (on many threads; it lives with the replay, in
/// `src/replay/legs.rs`).
///
/// # Example
/// ```
/// use callfold::{Leg, Outcome, State};
///
/// let mut leg = Leg::new("c-b".parse()?);
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","direction":"outbound",
///     "startTime":"2019-12-27T19:18:20.721Z","answerTime":"2019-12-27T19:18:23.320Z",
///     "endTime":"2019-12-27T19:19:27.987Z","cause":"hangup"}"#.parse()?)?;
/// assert_eq!(leg.state(), State::Ended);
/// assert_eq!(leg.outcome(), Some(Outcome::Answered));
/// assert_eq!(leg.ring_ms(), Some(2_599));
/// assert_eq!(leg.talk_ms(), Some(64_667));
/// assert!(leg.violations().is_empty() && leg.conflicts().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Leg {
    call_id: CallId,
    parent_call_id: Fact<CallId>,
    transfer_to: Fact<CompactText>,
    transfer_caller_id: Fact<CompactText>,
    /// What few legs hold, made when the first of it arrives (see [`Rare`]).
    rare: Option<Box<Rare>>,
    /// `enqueuedTime`, `startTime`, `answerTime` and `endTime` ([`ENQUEUED`] ...), each in eight bytes;
    /// other sets than one time in 1678–2261 are in `overflow.times`.
    times: [CompactTime; 4],
    /// In one byte; a value no list names, or two values, are in `overflow.directions`.
    direction: CompactEnum,
    /// In one byte; a value no list names, or two values, are in `overflow.causes`.
    cause: CompactEnum,
    /// A callback that only an answered leg gets (`transferAnswer`, `redirect`) was folded.
    answer_callback: bool,
    /// A `transferDisconnect` was folded.
    disconnected: bool,
    /// Every delivery folded (see [`Delivery`](super::delivery::Delivery) and [`Leg::merge`]).
    deliveries: Deliveries,
}

/// Indexes into [`Leg`]'s `times`, and the fields they come from.
const ENQUEUED: usize = 0;
const START: usize = 1;
const ANSWER: usize = 2;
const END: usize = 3;
const TIME_FIELDS: [&str; 4] = ["enqueuedTime", "startTime", "answerTime", "endTime"];

/// The facts of a leg that most of its callbacks leave out: tags and error details, and the
/// [`Overflow`] of its one-byte and eight-byte facts. A leg holds them behind one pointer, made when the
/// first of them arrives, so that a leg without them is smaller by all of it. Never empty: a leg without
/// any has none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Rare {
    /// Tags seen before the end. `<Tag>` may change a leg's tag while it runs, so these may differ.
    tags_before_end: Fact<CompactText>,
    /// The tag on `transferDisconnect`: the tag in force at the end, one value unless redeliveries disagree.
    tag_at_end: Fact<CompactText>,
    error_message: Fact<CompactText>,
    error_id: Fact<CompactText>,
    /// Behind a pointer of its own: rarer still, and the legs with tags or errors need not carry it.
    overflow: Option<Box<Overflow>>,
}

impl Rare {
    const NONE: Rare = Rare {
        tags_before_end: Fact::Unknown,
        tag_at_end: Fact::Unknown,
        error_message: Fact::Unknown,
        error_id: Fact::Unknown,
        overflow: None,
    };
}

/// What the one-byte and eight-byte facts of a leg do not hold: a cause or direction no list names, a
/// time outside 1678–2261, two values or more (a conflict). Never empty, as [`Rare`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Overflow {
    times: [Fact<DateTime<Utc>>; 4],
    directions: Fact<Direction>,
    causes: Fact<Cause>,
}

impl Overflow {
    const NONE: Overflow = Overflow {
        times: [Fact::Unknown, Fact::Unknown, Fact::Unknown, Fact::Unknown],
        directions: Fact::Unknown,
        causes: Fact::Unknown,
    };
}

/// The leg's facts, as its accessors give them.
#[expect(
    clippy::missing_fields_in_debug,
    reason = "the one-byte and eight-byte facts are shown as the values they stand for"
)]
impl fmt::Debug for Leg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leg")
            .field("call_id", &self.call_id)
            .field("parent_call_ids", &self.parent_call_ids())
            .field("directions", &self.directions())
            .field("transfer_to", &self.transfer_to.values())
            .field("transfer_caller_id", &self.transfer_caller_id.values())
            .field("rare", &self.rare)
            .field("enqueued_times", &self.times_of(ENQUEUED))
            .field("start_times", &self.times_of(START))
            .field("answer_times", &self.times_of(ANSWER))
            .field("end_times", &self.times_of(END))
            .field("causes", &self.cause.values(&self.overflow().causes))
            .field("answer_callback", &self.answer_callback)
            .field("disconnected", &self.disconnected)
            .field("deliveries", &self.deliveries)
            .finish()
    }
}

impl Leg {
    /// A leg nothing is known of yet.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.state(), callfold::State::Enqueued);
    /// assert_eq!(leg.events(), 0);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn new(call_id: CallId) -> Leg {
        Leg {
            call_id,
            parent_call_id: Fact::Unknown,
            transfer_to: Fact::Unknown,
            transfer_caller_id: Fact::Unknown,
            rare: None,
            times: [CompactTime::NONE; 4],
            direction: CompactEnum::NONE,
            cause: CompactEnum::NONE,
            answer_callback: false,
            disconnected: false,
            deliveries: Deliveries::new(),
        }
    }

    /// Folds one callback into the leg.
    ///
    /// ```
    /// use callfold::{Leg, State};
    ///
    /// let mut leg = Leg::new("c-b".parse()?);
    /// // A late transferAnswer after the transferDisconnect only fills in facts: ended is final.
    /// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"hangup"}"#.parse()?)?;
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","answerTime":"2019-06-20T15:54:25.432Z"}"#.parse()?)?;
    /// assert_eq!(leg.state(), State::Ended);
    /// assert!(leg.answer_time().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`FoldError`] when the callback belongs to another leg or is not about a transfer leg; the leg is
    /// unchanged then.
    pub fn apply(&mut self, callback: &Callback) -> Result<Applied, FoldError> {
        if !callback.is_leg_event() {
            return Err(FoldError::NotALegEvent {
                event_type: callback.event.name().to_owned(),
                call_id: callback.call_id.clone(),
            });
        }
        if callback.call_id != self.call_id {
            return Err(FoldError::OtherLeg {
                expected: self.call_id.clone(),
                found: callback.call_id.clone(),
            });
        }
        Ok(self.apply_view(&View::of(callback), None))
    }

    /// Folds a decoded callback that is about this leg (checked by the caller), as delivery `delivery`
    /// (see [`Delivery`](super::delivery::Delivery)).
    pub(crate) fn apply_view(&mut self, v: &View<'_>, delivery: Option<u64>) -> Applied {
        if !self.deliveries.add(fingerprint(v), delivery) {
            return Applied::Duplicate;
        }
        self.parent_call_id
            .observe_by(v.parent_call_id, CallId::cmp_text, CallId::new);
        self.direction
            .observe_text(v.direction, || &mut overflow_mut(&mut self.rare).directions);
        self.transfer_to.observe_text(v.transfer_to);
        self.transfer_caller_id.observe_text(v.transfer_caller_id);
        self.observe_time(ENQUEUED, v.enqueued_time.as_ref());
        self.observe_time(START, v.start_time.as_ref());
        self.observe_time(ANSWER, v.answer_time.as_ref());
        match v.kind {
            Kind::TransferDisconnect => {
                self.disconnected = true;
                self.observe_rare(|rare| &mut rare.tag_at_end, v.tag);
                self.observe_time(END, v.end_time.as_ref());
                self.cause
                    .observe_text(v.cause, || &mut overflow_mut(&mut self.rare).causes);
                self.observe_rare(|rare| &mut rare.error_message, v.error_message);
                self.observe_rare(|rare| &mut rare.error_id, v.error_id);
            }
            Kind::TransferAnswer | Kind::Redirect => {
                self.answer_callback = true;
                self.observe_rare(|rare| &mut rare.tags_before_end, v.tag);
            }
            // Other B-leg callbacks contribute their ids and times only: an unknown event type may mean
            // anything, and only transferDisconnect ends a transfer leg.
            Kind::Initiate
            | Kind::Answer
            | Kind::Disconnect
            | Kind::Other
            // Not a leg event; the callers refuse it.
            | Kind::TransferComplete => self.observe_rare(|rare| &mut rare.tags_before_end, v.tag),
        }
        Applied::New
    }

    /// Adds a text to one of the [`Rare`] facts, making them if it is the first.
    fn observe_rare(
        &mut self,
        fact: impl FnOnce(&mut Rare) -> &mut Fact<CompactText>,
        value: Option<&str>,
    ) {
        if value.is_some() {
            fact(rare_mut(&mut self.rare)).observe_text(value);
        }
    }

    /// Adds a time to `times[which]`.
    fn observe_time(&mut self, which: usize, time: Option<&DateTime<Utc>>) {
        self.times[which].observe(time, || &mut overflow_mut(&mut self.rare).times[which]);
    }

    /// Every time of `times[which]`, earliest first.
    fn times_of(&self, which: usize) -> Vec<DateTime<Utc>> {
        self.times[which].values(&self.overflow().times[which])
    }

    /// The time kept for `times[which]`.
    #[inline]
    fn time(&self, which: usize) -> Option<DateTime<Utc>> {
        self.times[which].get(&self.overflow().times[which])
    }

    #[inline]
    fn rare(&self) -> &Rare {
        self.rare.as_deref().unwrap_or(&Rare::NONE)
    }

    #[inline]
    fn overflow(&self) -> &Overflow {
        self.rare().overflow.as_deref().unwrap_or(&Overflow::NONE)
    }

    /// Adds what `other` knows of the same leg: the union of their facts and of their deliveries. Merging
    /// is associative, commutative and idempotent, so legs folded from parts of a log, in any grouping,
    /// merge into the leg folded from the whole log. Deliveries are told apart by their line numbers when
    /// folded from a log ([`History::feed_line`](crate::History::feed_line)); folded without one, the k-th
    /// delivery of a callback on one side is taken to be the k-th on the other.
    ///
    /// ```
    /// use callfold::Leg;
    ///
    /// let answer = r#"{"eventType":"transferAnswer","callId":"c-b","answerTime":"2019-06-20T15:54:25.432Z"}"#.parse()?;
    /// let end = r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"hangup"}"#.parse()?;
    /// let (mut a, mut b, mut whole) = (Leg::new("c-b".parse()?), Leg::new("c-b".parse()?), Leg::new("c-b".parse()?));
    /// a.apply(&answer)?;
    /// b.apply(&end)?;
    /// whole.apply(&answer)?;
    /// whole.apply(&end)?;
    /// a.merge(&b)?;
    /// assert_eq!(a, whole);
    /// a.merge(&whole)?;
    /// assert_eq!(a, whole); // idempotent
    /// assert!(a.merge(&Leg::new("c-x".parse()?)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`FoldError::OtherLeg`] when `other` is another leg; `self` is unchanged then.
    pub fn merge(&mut self, other: &Leg) -> Result<(), FoldError> {
        if other.call_id != self.call_id {
            return Err(FoldError::OtherLeg {
                expected: self.call_id.clone(),
                found: other.call_id.clone(),
            });
        }
        self.parent_call_id.merge(&other.parent_call_id);
        self.transfer_to.merge(&other.transfer_to);
        self.transfer_caller_id.merge(&other.transfer_caller_id);
        let (theirs, their_overflow) = (other.rare(), other.overflow());
        if other.rare.is_some() {
            let mine = rare_mut(&mut self.rare);
            mine.tags_before_end.merge(&theirs.tags_before_end);
            mine.tag_at_end.merge(&theirs.tag_at_end);
            mine.error_message.merge(&theirs.error_message);
            mine.error_id.merge(&theirs.error_id);
        }
        for which in [ENQUEUED, START, ANSWER, END] {
            for time in other.times_of(which) {
                self.observe_time(which, Some(&time));
            }
        }
        for direction in other.direction.values(&their_overflow.directions) {
            self.direction.observe_text(Some(direction.as_str()), || {
                &mut overflow_mut(&mut self.rare).directions
            });
        }
        for cause in other.cause.values(&their_overflow.causes) {
            self.cause.observe_text(Some(cause.as_str()), || {
                &mut overflow_mut(&mut self.rare).causes
            });
        }
        self.answer_callback |= other.answer_callback;
        self.disconnected |= other.disconnected;
        self.deliveries.union(&other.deliveries);
        Ok(())
    }
}

/// The [`Rare`] facts of a leg, made if it has none.
fn rare_mut(rare: &mut Option<Box<Rare>>) -> &mut Rare {
    rare.get_or_insert_default()
}

/// The [`Overflow`] of a leg, made (with its [`Rare`] facts) if it has none.
fn overflow_mut(rare: &mut Option<Box<Rare>>) -> &mut Overflow {
    rare_mut(rare).overflow.get_or_insert_default()
}

#[inline]
fn millis(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    Some(to?.signed_duration_since(from?).num_milliseconds())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::Conflict;

    #[test]
    fn a_leg_is_small_and_folds_odd_values_the_same_in_parts_and_whole() {
        // The compact facts are what keep a leg this small (it was 240 bytes before them, with 16-byte
        // shared ids); 96 bytes of it are its id and its parent's, held in place.
        assert!(size_of::<Leg>() <= 216, "{}", size_of::<Leg>());
        let bodies = [
            r#"{"eventType":"transferAnswer","callId":"c-b","direction":"sideways","startTime":"1500-01-01T00:00:00Z"}"#,
            r#"{"eventType":"transferDisconnect","callId":"c-b","direction":"outbound","cause":"some-new-cause","startTime":"2019-06-20T15:54:22.234Z","endTime":"9999-12-31T23:59:59.999999999Z"}"#,
            r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy","endTime":"2019-06-20T15:55:00Z","tag":"t"}"#,
        ];
        let callbacks: Vec<Callback> = bodies.iter().map(|b| b.parse().unwrap()).collect();
        let mut whole = Leg::new("c-b".parse().unwrap());
        for callback in &callbacks {
            whole.apply(callback).unwrap();
        }
        let fields: Vec<_> = whole.conflicts().iter().map(Conflict::field).collect();
        assert_eq!(fields, ["direction", "startTime", "endTime", "cause"]);
        assert_eq!(whole.start_time(), callbacks[0].start_time);
        for split in 0..=callbacks.len() {
            let (mut first, mut second) = (
                Leg::new(whole.call_id.clone()),
                Leg::new(whole.call_id.clone()),
            );
            for callback in callbacks[..split].iter().rev() {
                first.apply(callback).unwrap();
            }
            for callback in &callbacks[split..] {
                second.apply(callback).unwrap();
            }
            let mut forward = first.clone();
            forward.merge(&second).unwrap();
            second.merge(&first).unwrap();
            assert_eq!(forward, whole, "split at {split}");
            assert_eq!(second, whole, "split at {split}, merged the other way");
        }
    }
}
