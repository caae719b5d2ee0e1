//! What a leg's facts say: the accessors, and everything derived from the facts (state, outcome,
//! durations, counts, conflicts, violations). Nothing here is stored.

use chrono::{DateTime, Utc};

use super::{ANSWER, END, ENQUEUED, Leg, START, TIME_FIELDS, millis};
use crate::decode::{CallId, Cause, Direction};
use crate::fold::compact::CompactText;
use crate::fold::conflict::Conflict;
use crate::fold::invariant::{self, Facts, Violation};
use crate::fold::state::{EndCause, Outcome, State};
use crate::time::format_timestamp;

impl Leg {
    /// The leg's `callId`.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.call_id().as_str(), "c-b");
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
    pub fn outcome(&self) -> Option<Outcome> {
        if !self.disconnected {
            None
        } else if self.was_answered() {
            Some(Outcome::Answered)
        } else {
            Some(Outcome::of_unanswered(self.cause()))
        }
    }

    /// Why the leg ended: its cause, `none`, or `open` while it has not ended.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.end_cause(), callfold::EndCause::Open);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    #[inline]
    pub fn end_cause(&self) -> EndCause<'_> {
        match (self.disconnected, self.cause()) {
            (true, Some(cause)) => EndCause::Cause(cause),
            (true, None) => EndCause::NoCause,
            (false, _) => EndCause::Open,
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
    pub fn transfer_to(&self) -> Option<&str> {
        self.transfer_to.get().map(CompactText::as_str)
    }

    /// `transferCallerId`: the caller id shown on this leg.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.transfer_caller_id(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    #[inline]
    pub fn transfer_caller_id(&self) -> Option<&str> {
        self.transfer_caller_id.get().map(CompactText::as_str)
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
    #[inline]
    pub fn tag(&self) -> Option<&str> {
        let rare = self.rare();
        rare.tag_at_end
            .get()
            .or(rare.tags_before_end.get())
            .map(CompactText::as_str)
    }

    /// `errorMessage` of the `transferDisconnect`.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.error_message(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    #[inline]
    pub fn error_message(&self) -> Option<&str> {
        self.rare().error_message.get().map(CompactText::as_str)
    }

    /// `errorId` of the `transferDisconnect`.
    ///
    /// ```
    /// let leg = callfold::Leg::new("c-b".parse()?);
    /// assert_eq!(leg.error_id(), None);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    #[inline]
    pub fn error_id(&self) -> Option<&str> {
        self.rare().error_id.get().map(CompactText::as_str)
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
    #[inline]
    pub fn events(&self) -> u32 {
        u32::try_from(self.deliveries.callbacks()).unwrap_or(u32::MAX)
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
    #[inline]
    pub fn duplicates(&self) -> u32 {
        u32::try_from(self.deliveries.len())
            .unwrap_or(u32::MAX)
            .saturating_sub(self.events())
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
        invariant::check(&Facts {
            enqueued: self.enqueued_time(),
            start: self.start_time(),
            answer: self.answer_time(),
            end: self.end_time(),
            cause: self.cause(),
            answered: self.was_answered(),
            directions: self.directions(),
        })
    }
}
