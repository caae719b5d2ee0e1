//! A transfer leg: the facts its callbacks carried, and what follows from them.
//!
//! A [`Leg`] stores, for each fact (`startTime`, `cause`, ...), the set of distinct values the callbacks
//! gave. Folding a callback adds to those sets, and everything else (state, outcome, durations,
//! conflicts, violations) is computed from them. Adding to sets does not depend on the order of
//! additions, and adding a value twice changes nothing, so the fold is order-independent and idempotent
//! by construction; `docs/design.md` says more.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::callback::{CallId, Callback, Cause, Direction, Kind, View};
use crate::fact::{Code, Fact, PackedTime, Short, SmallSet};
use crate::invariant::{self, Violation};
use crate::json::{self, Object, Value};
use crate::time::{format_timestamp, stamp};

/// Where a leg is in its life. It only moves forward: enqueued → ringing → answered → ended.
///
/// ```
/// use callfold::State;
///
/// assert!(State::Ringing < State::Answered);
/// assert_eq!(State::Ended.as_str(), "ended");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Known, but no `startTime` yet: waiting in Bandwidth's outbound queue.
    Enqueued,
    /// Placed (`startTime` known) and not answered.
    Ringing,
    /// Answered (an `answerTime`, or a callback that only an answered leg gets) and not ended.
    Answered,
    /// A `transferDisconnect` was folded. Final.
    Ended,
}

impl State {
    /// The state as callfold prints it.
    ///
    /// ```
    /// assert_eq!(callfold::State::Enqueued.as_str(), "enqueued");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            State::Enqueued => "enqueued",
            State::Ringing => "ringing",
            State::Answered => "answered",
            State::Ended => "ended",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an ended leg turned out.
///
/// `answered` whenever the leg was answered, whatever the cause; otherwise it follows the cause, and
/// `hangup` without an answer means the leg lost a simultaneous-ringing race (`cancelled`).
///
/// ```
/// use callfold::{Cause, Outcome};
///
/// assert_eq!(Outcome::of_unanswered(Some(&Cause::Timeout)), Outcome::NoAnswer);
/// assert_eq!(Outcome::of_unanswered(Some(&Cause::Hangup)), Outcome::Cancelled);
/// assert_eq!(Outcome::of_unanswered(Some(&Cause::from("new-in-2027"))), Outcome::Failed);
/// assert_eq!(Outcome::NoAnswer.as_str(), "no-answer");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The leg was answered.
    Answered,
    /// `busy`.
    Busy,
    /// `timeout`: not answered within `callTimeout`.
    NoAnswer,
    /// `rejected`.
    Rejected,
    /// `cancel`, or `hangup` without an answer.
    Cancelled,
    /// Any other cause, an unknown one, or none.
    Failed,
}

impl Outcome {
    /// The outcome of a leg that ended without being answered, from its cause.
    ///
    /// ```
    /// use callfold::{Cause, Outcome};
    ///
    /// assert_eq!(Outcome::of_unanswered(Some(&Cause::Busy)), Outcome::Busy);
    /// assert_eq!(Outcome::of_unanswered(None), Outcome::Failed);
    /// ```
    pub fn of_unanswered(cause: Option<&Cause>) -> Outcome {
        match cause {
            Some(Cause::Busy) => Outcome::Busy,
            Some(Cause::Timeout) => Outcome::NoAnswer,
            Some(Cause::Rejected) => Outcome::Rejected,
            Some(Cause::Cancel | Cause::Hangup) => Outcome::Cancelled,
            Some(
                Cause::CallbackError
                | Cause::InvalidBxml
                | Cause::ApplicationError
                | Cause::AccountLimit
                | Cause::NodeCapacityExceeded
                | Cause::Error
                | Cause::Unknown
                | Cause::Other(_),
            )
            | None => Outcome::Failed,
        }
    }

    /// The outcome as callfold prints it.
    ///
    /// ```
    /// assert_eq!(callfold::Outcome::Cancelled.as_str(), "cancelled");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Busy => "busy",
            Outcome::NoAnswer => "no-answer",
            Outcome::Rejected => "rejected",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Two or more callbacks of one leg disagree on a fact. The leg keeps the smallest value (the earliest
/// time, the first text in byte order), so the choice does not depend on the order of arrival.
///
/// ```
/// use callfold::Leg;
///
/// let mut leg = Leg::new("c-b".parse()?);
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","endTime":"2019-12-27T19:19:28Z"}"#.parse()?)?;
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","endTime":"2019-12-27T19:19:27.987Z"}"#.parse()?)?;
/// let conflicts = leg.conflicts();
/// assert_eq!(conflicts[0].field(), "endTime");
/// assert_eq!(conflicts[0].kept(), "2019-12-27T19:19:27.987Z");
/// assert_eq!(
///     conflicts[0].to_string(),
///     r#"endTime: "2019-12-27T19:19:27.987Z" vs "2019-12-27T19:19:28Z" (kept "2019-12-27T19:19:27.987Z")"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Conflict {
    field: &'static str,
    values: Vec<String>,
}

impl Conflict {
    pub(crate) fn new(field: &'static str, values: Vec<String>) -> Conflict {
        Conflict { field, values }
    }

    /// The field, as Bandwidth spells it.
    ///
    /// ```
    /// # let mut leg = callfold::Leg::new("c".parse()?);
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"busy"}"#.parse()?)?;
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"hangup"}"#.parse()?)?;
    /// assert_eq!(leg.conflicts()[0].field(), "cause");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// Every distinct value seen, smallest first, as callfold prints them.
    ///
    /// ```
    /// # let mut leg = callfold::Leg::new("c".parse()?);
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"busy"}"#.parse()?)?;
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"hangup"}"#.parse()?)?;
    /// assert_eq!(leg.conflicts()[0].values(), ["busy", "hangup"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The value the leg kept: the smallest.
    ///
    /// ```
    /// # let mut leg = callfold::Leg::new("c".parse()?);
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"busy"}"#.parse()?)?;
    /// # leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"hangup"}"#.parse()?)?;
    /// assert_eq!(leg.conflicts()[0].kept(), "busy");
    /// assert_eq!(leg.cause().map(|c| c.as_str()), Some("busy"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kept(&self) -> &str {
        self.values.first().map_or("", String::as_str)
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.field)?;
        for (i, value) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(" vs ")?;
            }
            write!(f, "{value:?}")?;
        }
        write!(f, " (kept {:?})", self.kept())
    }
}

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
    transfer_to: Fact<Short>,
    transfer_caller_id: Fact<Short>,
    /// What few legs hold, made when the first of it arrives (see [`Rare`]).
    rare: Option<Box<Rare>>,
    /// `enqueuedTime`, `startTime`, `answerTime` and `endTime` ([`ENQUEUED`] ...), each in eight bytes;
    /// other sets than one time in 1678–2261 are in `overflow.times`.
    times: [PackedTime; 4],
    /// In one byte; a value no list names, or two values, are in `overflow.directions`.
    direction: Code,
    /// In one byte; a value no list names, or two values, are in `overflow.causes`.
    cause: Code,
    /// A callback that only an answered leg gets (`transferAnswer`, `redirect`) was folded.
    answer_callback: bool,
    /// A `transferDisconnect` was folded.
    disconnected: bool,
    /// Every delivery folded, as (fingerprint of the callback, delivery id), sorted and distinct. A delivery
    /// id is the line number when a log is replayed, so that folds of different lines merge exactly; a
    /// callback folded without one gets `u64::MAX - k` for the k-th delivery of its fingerprint, so that
    /// the same deliveries give the same set in any order. See [`Leg::merge`].
    seen: SmallSet<(u64, u64)>,
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
    tags_before_end: Fact<Short>,
    /// The tag on `transferDisconnect`: the tag in force at the end, one value unless redeliveries disagree.
    tag_at_end: Fact<Short>,
    error_message: Fact<Short>,
    error_id: Fact<Short>,
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
            .field("seen", &self.seen)
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
            times: [PackedTime::NONE; 4],
            direction: Code::NONE,
            cause: Code::NONE,
            answer_callback: false,
            disconnected: false,
            seen: SmallSet::new(),
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
    /// (see `seen`).
    pub(crate) fn apply_view(&mut self, v: &View<'_>, delivery: Option<u64>) -> Applied {
        let fingerprint = v.fingerprint();
        let seen = self.seen.as_slice();
        let first = seen.partition_point(|&(f, _)| f < fingerprint);
        let known = seen[first..]
            .iter()
            .take_while(|&&(f, _)| f == fingerprint)
            .count();
        let id = delivery.unwrap_or(u64::MAX - known as u64);
        self.seen.insert((fingerprint, id));
        if known > 0 {
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
                self.note(|n| &mut n.tag_at_end, v.tag);
                self.observe_time(END, v.end_time.as_ref());
                self.cause
                    .observe_text(v.cause, || &mut overflow_mut(&mut self.rare).causes);
                self.note(|n| &mut n.error_message, v.error_message);
                self.note(|n| &mut n.error_id, v.error_id);
            }
            Kind::TransferAnswer | Kind::Redirect => {
                self.answer_callback = true;
                self.note(|n| &mut n.tags_before_end, v.tag);
            }
            // Other B-leg callbacks contribute their ids and times only: an unknown event type may mean
            // anything, and only transferDisconnect ends a transfer leg.
            Kind::Initiate
            | Kind::Answer
            | Kind::Disconnect
            | Kind::Other
            // Not a leg event; the callers refuse it.
            | Kind::TransferComplete => self.note(|n| &mut n.tags_before_end, v.tag),
        }
        Applied::New
    }

    /// Adds a text to one of the [`Rare`] facts, making them if it is the first.
    fn note(&mut self, fact: impl FnOnce(&mut Rare) -> &mut Fact<Short>, value: Option<&str>) {
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
    fn time(&self, which: usize) -> Option<DateTime<Utc>> {
        self.times[which].get(&self.overflow().times[which])
    }

    fn rare(&self) -> &Rare {
        self.rare.as_deref().unwrap_or(&Rare::NONE)
    }

    fn overflow(&self) -> &Overflow {
        self.rare().overflow.as_deref().unwrap_or(&Overflow::NONE)
    }

    /// The leg's `callId`.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.call_id().as_str(), "c-b");
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn call_id(&self) -> &CallId {
        &self.call_id
    }

    /// The A-leg that ran the `<Transfer>`, if a callback named it.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a"}"#.parse()?)?;
    /// assert_eq!(leg.parent_call_id().map(|id| id.as_str()), Some("c-a"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parent_call_id(&self) -> Option<&CallId> {
        self.parent_call_id.get()
    }

    /// Every distinct `parentCallId` the leg's callbacks named: one in good data.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert!(leg.parent_call_ids().is_empty());
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn parent_call_ids(&self) -> &[CallId] {
        self.parent_call_id.values()
    }

    /// Where the leg is: ended once a `transferDisconnect` was folded; otherwise answered if it was
    /// answered, ringing if it has a `startTime`, enqueued if not.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"redirect","callId":"c-b","parentCallId":"c-a","startTime":"2019-06-20T15:54:22.234Z"}"#.parse()?)?;
    /// assert_eq!(leg.state(), callfold::State::Answered); // a redirect only reaches an answered B-leg
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> State {
        if self.disconnected {
            State::Ended
        } else if self.was_answered() {
            State::Answered
        } else if self.times[START].is_known() {
            State::Ringing
        } else {
            State::Enqueued
        }
    }

    /// True when an `answerTime` is known or a callback that only answered legs get (`transferAnswer`,
    /// `redirect`) was folded. Historical `transferAnswer` payloads carry no `answerTime`, so the
    /// callback itself is the evidence.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b"}"#.parse()?)?;
    /// assert!(leg.was_answered());
    /// assert_eq!(leg.answer_time(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn was_answered(&self) -> bool {
        self.answer_callback || self.times[ANSWER].is_known()
    }

    /// How the leg turned out, once it has ended.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.outcome(), None);
    /// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"hangup"}"#.parse()?)?;
    /// assert_eq!(leg.outcome(), Some(callfold::Outcome::Cancelled)); // hangup, never answered: lost the race
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn outcome(&self) -> Option<Outcome> {
        if !self.disconnected {
            None
        } else if self.was_answered() {
            Some(Outcome::Answered)
        } else {
            Some(Outcome::of_unanswered(self.cause()))
        }
    }

    /// The `cause` of the `transferDisconnect`, verbatim.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"brand-new"}"#.parse()?)?;
    /// assert_eq!(leg.cause().map(|c| c.as_str()), Some("brand-new"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cause(&self) -> Option<&Cause> {
        self.cause.get(&self.overflow().causes)
    }

    /// `enqueuedTime`: when the leg entered Bandwidth's outbound queue.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","enqueuedTime":"2019-12-27T19:18:10.390Z"}"#.parse()?)?;
    /// assert_eq!(leg.enqueued_time().map(|t| t.to_rfc3339()), Some("2019-12-27T19:18:10.390+00:00".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enqueued_time(&self) -> Option<DateTime<Utc>> {
        self.time(ENQUEUED)
    }

    /// `startTime`: when the leg was placed.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.start_time(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn start_time(&self) -> Option<DateTime<Utc>> {
        self.time(START)
    }

    /// `answerTime`: when the leg was answered.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.answer_time(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn answer_time(&self) -> Option<DateTime<Utc>> {
        self.time(ANSWER)
    }

    /// `endTime`: when the leg ended.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.end_time(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn end_time(&self) -> Option<DateTime<Utc>> {
        self.time(END)
    }

    /// The latest of the leg's times: what staleness is judged from.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.last_known_time(), None);
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b",
    ///     "startTime":"2026-11-23T14:00:02Z","answerTime":"2026-11-23T14:00:07Z"}"#.parse()?)?;
    /// assert_eq!(leg.last_known_time(), leg.answer_time());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn last_known_time(&self) -> Option<DateTime<Utc>> {
        [
            self.enqueued_time(),
            self.start_time(),
            self.answer_time(),
            self.end_time(),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// `direction`, as the leg's callbacks gave it (always `outbound` in good data).
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.direction(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn direction(&self) -> Option<&Direction> {
        self.direction.get(&self.overflow().directions)
    }

    /// Every distinct `direction` the leg's callbacks gave.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert!(leg.directions().is_empty());
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn directions(&self) -> &[Direction] {
        self.direction.values(&self.overflow().directions)
    }

    /// `transferTo`: the number or SIP URI this leg dialled.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","transferTo":"+15556667777"}"#.parse()?)?;
    /// assert_eq!(leg.transfer_to(), Some("+15556667777"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn transfer_to(&self) -> Option<&str> {
        self.transfer_to.get().map(Short::as_str)
    }

    /// `transferCallerId`: the caller id shown on this leg.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.transfer_caller_id(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn transfer_caller_id(&self) -> Option<&str> {
        self.transfer_caller_id.get().map(Short::as_str)
    }

    /// The leg's `tag`: the one in force at the end (from `transferDisconnect`) when known, else the
    /// smallest seen before. `<Tag>` may change a tag while the leg runs, so differing tags before the end
    /// are not a conflict.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","tag":"first"}"#.parse()?)?;
    /// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","tag":"second"}"#.parse()?)?;
    /// assert_eq!(leg.tag(), Some("second"));
    /// assert!(leg.conflicts().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tag(&self) -> Option<&str> {
        let notes = self.rare();
        notes
            .tag_at_end
            .get()
            .or(notes.tags_before_end.get())
            .map(Short::as_str)
    }

    /// `errorMessage` of the `transferDisconnect`.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.error_message(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn error_message(&self) -> Option<&str> {
        self.rare().error_message.get().map(Short::as_str)
    }

    /// `errorId` of the `transferDisconnect`.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.error_id(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn error_id(&self) -> Option<&str> {
        self.rare().error_id.get().map(Short::as_str)
    }

    /// Time in the queue: `startTime − enqueuedTime`, in milliseconds.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b",
    ///     "enqueuedTime":"2019-12-27T19:18:10.390Z","startTime":"2019-12-27T19:18:20.721Z"}"#.parse()?)?;
    /// assert_eq!(leg.queue_ms(), Some(10_331));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn queue_ms(&self) -> Option<i64> {
        millis(self.enqueued_time(), self.start_time())
    }

    /// Ringing time: `answerTime − startTime` for an answered leg, `endTime − startTime` for one that
    /// ended unanswered, in milliseconds.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy",
    ///     "startTime":"2019-12-27T19:23:38.685Z","endTime":"2019-12-27T19:23:39.465Z"}"#.parse()?)?;
    /// assert_eq!(leg.ring_ms(), Some(780));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ring_ms(&self) -> Option<i64> {
        if self.was_answered() {
            millis(self.start_time(), self.answer_time())
        } else if self.disconnected {
            millis(self.start_time(), self.end_time())
        } else {
            None
        }
    }

    /// Talk time: `endTime − answerTime` for an answered leg that ended, in milliseconds.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.talk_ms(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn talk_ms(&self) -> Option<i64> {
        if self.disconnected {
            millis(self.answer_time(), self.end_time())
        } else {
            None
        }
    }

    /// How many distinct callbacks were folded (redeliveries not counted).
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// let cb = r#"{"eventType":"transferAnswer","callId":"c-b"}"#.parse()?;
    /// leg.apply(&cb)?;
    /// leg.apply(&cb)?;
    /// assert_eq!((leg.events(), leg.duplicates()), (1, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn events(&self) -> u32 {
        let seen = self.seen.as_slice();
        let distinct = seen
            .iter()
            .zip(seen.iter().skip(1))
            .filter(|(a, b)| a.0 != b.0)
            .count()
            + usize::from(!seen.is_empty());
        u32::try_from(distinct).unwrap_or(u32::MAX)
    }

    /// How many folded callbacks were redeliveries of one folded before. Two callbacks are the same when
    /// every field callfold reads is equal, `eventTime` aside (a retry may be stamped anew).
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","eventTime":"2019-06-20T15:57:22.477Z"}"#.parse()?)?;
    /// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","eventTime":"2019-06-20T15:57:23.001Z","tag":null}"#.parse()?)?;
    /// assert_eq!(leg.duplicates(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn duplicates(&self) -> u32 {
        u32::try_from(self.seen.as_slice().len())
            .unwrap_or(u32::MAX)
            .saturating_sub(self.events())
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
        self.seen.union(&other.seen);
        Ok(())
    }

    /// The facts on which the leg's callbacks disagree, in a fixed field order.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert!(leg.conflicts().is_empty());
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn conflicts(&self) -> Vec<Conflict> {
        let time = |t: &DateTime<Utc>| format_timestamp(t);
        let (rare, overflow) = (self.rare(), self.overflow());
        let times: [Option<Conflict>; 4] =
            std::array::from_fn(|which| overflow.times[which].conflict(TIME_FIELDS[which], time));
        let [enqueued, start, answer, end] = times;
        [
            self.parent_call_id
                .conflict("parentCallId", ToString::to_string),
            self.direction.conflict(&overflow.directions, "direction"),
            self.transfer_to.conflict("transferTo", ToString::to_string),
            self.transfer_caller_id
                .conflict("transferCallerId", ToString::to_string),
            rare.tag_at_end.conflict("tag", ToString::to_string),
            enqueued,
            start,
            answer,
            end,
            self.cause.conflict(&overflow.causes, "cause"),
            rare.error_message
                .conflict("errorMessage", ToString::to_string),
            rare.error_id.conflict("errorId", ToString::to_string),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The invariants the leg breaks, in a fixed order; see `docs/invariants.md`.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy",
    ///     "startTime":"2019-12-27T19:23:38.685Z","answerTime":"2019-12-27T19:23:39.000Z",
    ///     "endTime":"2019-12-27T19:23:39.465Z"}"#.parse()?)?;
    /// let codes: Vec<_> = leg.violations().iter().map(|v| v.code()).collect();
    /// assert_eq!(codes, ["answered-despite-cause"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn violations(&self) -> Vec<Violation> {
        invariant::check(self)
    }
}

impl Leg {
    /// Appends the leg's JSON object, a line of `callfold legs` without its newline, to `out`: the same
    /// bytes as serializing the leg with `serde_json`, written faster.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy","endTime":"2026-11-24T10:00:00Z"}"#.parse()?)?;
    /// let mut out = Vec::new();
    /// leg.write_json(&mut out);
    /// assert_eq!(out, serde_json::to_vec(&leg)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut leg = Object::new(out);
        self.write_fields(&mut leg);
        leg.end();
    }

    /// Writes the leg's keys and values into an object, as its `Serialize` does.
    pub(crate) fn write_fields(&self, leg: &mut Object<'_>) {
        leg.field("callId", &self.call_id);
        leg.field("parentCallId", &self.parent_call_id());
        leg.field("state", self.state().as_str());
        leg.field("outcome", &self.outcome().map(Outcome::as_str));
        leg.field("cause", &self.cause().map(Cause::as_str));
        leg.field("enqueuedTime", &stamp(self.enqueued_time()));
        leg.field("startTime", &stamp(self.start_time()));
        leg.field("answerTime", &stamp(self.answer_time()));
        leg.field("endTime", &stamp(self.end_time()));
        leg.field("queueMs", &self.queue_ms());
        leg.field("ringMs", &self.ring_ms());
        leg.field("talkMs", &self.talk_ms());
        leg.field("events", &self.events());
        leg.field("duplicates", &self.duplicates());
        json::array(leg.key("conflicts"), self.conflicts(), |out, c| {
            c.to_string().write(out);
        });
        json::array(leg.key("violations"), self.violations(), |out, v| {
            v.code().write(out);
        });
    }
}

/// The `callfold legs` JSON line.
impl Serialize for Leg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(16))?;
        map.serialize_entry("callId", &self.call_id)?;
        map.serialize_entry("parentCallId", &self.parent_call_id())?;
        map.serialize_entry("state", &self.state())?;
        map.serialize_entry("outcome", &self.outcome())?;
        map.serialize_entry("cause", &self.cause())?;
        map.serialize_entry("enqueuedTime", &stamp(self.enqueued_time()))?;
        map.serialize_entry("startTime", &stamp(self.start_time()))?;
        map.serialize_entry("answerTime", &stamp(self.answer_time()))?;
        map.serialize_entry("endTime", &stamp(self.end_time()))?;
        map.serialize_entry("queueMs", &self.queue_ms())?;
        map.serialize_entry("ringMs", &self.ring_ms())?;
        map.serialize_entry("talkMs", &self.talk_ms())?;
        map.serialize_entry("events", &self.events())?;
        map.serialize_entry("duplicates", &self.duplicates())?;
        let conflicts: Vec<String> = self.conflicts().iter().map(ToString::to_string).collect();
        map.serialize_entry("conflicts", &conflicts)?;
        let violations: Vec<&str> = self.violations().iter().map(Violation::code).collect();
        map.serialize_entry("violations", &violations)?;
        map.end()
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

fn millis(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    Some(to?.signed_duration_since(from?).num_milliseconds())
}

#[cfg(test)]
mod tests {
    use super::*;

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
