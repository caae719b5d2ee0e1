//! The call records a history gives: a call, its attempts, its legs as placed in them.

use chrono::{DateTime, Utc};

use super::stale::Stale;
use crate::decode::{CallId, Callback, Cause};
use crate::fold::{Conflict, EndCause, Leg};

/// What a `transferComplete` said: the A-leg's report on one `<Transfer>`.
///
/// ```
/// let mut history = callfold::History::new();
/// history.apply(&r#"{"eventType":"transferComplete","callId":"c-a","cause":"busy","transferTo":"+15551230000"}"#.parse()?);
/// let calls = history.calls(&Default::default());
/// assert_eq!(calls[0].transfer_completes[0].cause.as_ref().map(|c| c.as_str()), Some("busy"));
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransferComplete {
    /// `eventTime`, first so that reports sort by time.
    pub event_time: Option<DateTime<Utc>>,
    /// `cause`: the described leg's end reason.
    pub cause: Option<Cause>,
    /// `transferTo` of the described leg.
    pub transfer_to: Option<String>,
    /// `transferCallerId` of the described leg.
    pub transfer_caller_id: Option<String>,
    /// `errorMessage` (the rate-limit text, for `account-limit`).
    pub error_message: Option<String>,
}

/// Which call a callback belongs to: the A-leg's, or, for a leg that names no parent, its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum CallKey {
    Call(CallId),
    Orphan(CallId),
}

impl CallKey {
    pub(crate) fn of(callback: &Callback) -> CallKey {
        match (&callback.parent_call_id, callback.is_leg_event()) {
            (Some(parent), true) => CallKey::Call(parent.clone()),
            (None, true) => CallKey::Orphan(callback.call_id.clone()),
            (_, false) => CallKey::Call(callback.call_id.clone()),
        }
    }

    pub(crate) fn id(&self) -> &CallId {
        match self {
            CallKey::Call(id) | CallKey::Orphan(id) => id,
        }
    }
}

/// One original call: its transfer legs grouped into attempts, and what the A-leg's callbacks said.
///
/// ```
/// let mut history = callfold::History::new();
/// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a","from":"+15551112222"}"#.parse()?);
/// let call = &history.calls(&Default::default())[0];
/// assert_eq!(call.call_id.map(|id| id.as_str()), Some("c-a"));
/// assert_eq!(call.from, Some("+15551112222"));
/// assert_eq!(call.legs().count(), 1);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Call<'a> {
    /// The A-leg's `callId`; `None` for a leg whose callbacks named no parent (2019 payloads), which
    /// makes a call of its own.
    pub call_id: Option<&'a CallId>,
    /// The original call's `from`.
    pub from: Option<&'a str>,
    /// The original call's `to`.
    pub to: Option<&'a str>,
    /// The `accountId` the call's callbacks gave.
    pub account_id: Option<&'a str>,
    /// The `applicationId` the call's callbacks gave.
    pub application_id: Option<&'a str>,
    /// The A-leg's `startTime` (from `initiate` and its other callbacks).
    pub start_time: Option<DateTime<Utc>>,
    /// The A-leg's `answerTime`.
    pub answer_time: Option<DateTime<Utc>>,
    /// The A-leg's `endTime` (from its `disconnect`).
    pub end_time: Option<DateTime<Utc>>,
    /// The A-leg's `disconnect` cause.
    pub cause: Option<&'a Cause>,
    /// Every `transferComplete` the A-leg got, by `eventTime`.
    pub transfer_completes: &'a [TransferComplete],
    /// The attempts, in time order.
    pub attempts: Vec<Attempt<'a>>,
    /// Connected, not connected, or open.
    pub outcome: CallOutcome,
    /// Disagreements between the A-leg's callbacks.
    pub conflicts: Vec<Conflict>,
}

impl<'a> Call<'a> {
    /// Every leg of the call, attempt by attempt.
    ///
    /// ```
    /// let history = callfold::History::new();
    /// assert!(history.calls(&Default::default()).is_empty());
    /// ```
    pub fn legs(&self) -> impl Iterator<Item = &'a Leg> + '_ {
        self.attempts
            .iter()
            .flat_map(|a| a.legs.iter().map(|p| p.leg))
    }

    /// Why a call that did not connect failed: the causes of its attempts, each once, sorted; none for a
    /// call that connected or is open.
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"busy"}"#.parse()?);
    /// let calls = history.calls(&Default::default());
    /// assert_eq!(calls[0].causes(), [callfold::EndCause::Cause(&callfold::Cause::Busy)]);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn causes(&self) -> Vec<EndCause<'a>> {
        match self.outcome {
            CallOutcome::NotConnected => {
                let mut causes: Vec<EndCause<'a>> = self
                    .attempts
                    .iter()
                    .flat_map(|a| a.why.iter().copied())
                    .collect();
                causes.sort_unstable();
                causes.dedup();
                causes
            }
            CallOutcome::Connected | CallOutcome::Open => Vec::new(),
        }
    }
}

/// How a call turned out.
///
/// ```
/// use callfold::CallOutcome;
///
/// assert_eq!(CallOutcome::Connected.as_str(), "connected");
/// assert_eq!(CallOutcome::NotConnected.as_str(), "not-connected");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallOutcome {
    /// Some leg was answered (it may still be talking).
    Connected,
    /// No leg was answered and some leg has not ended.
    Open,
    /// Every leg ended unanswered; the attempts say why.
    NotConnected,
}

impl CallOutcome {
    /// The outcome as callfold prints it.
    ///
    /// ```
    /// assert_eq!(callfold::CallOutcome::Open.as_str(), "open");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Connected => "connected",
            CallOutcome::Open => "open",
            CallOutcome::NotConnected => "not-connected",
        }
    }
}

/// One `<Transfer>`: the legs that rang together.
///
/// ```
/// let mut history = callfold::History::new();
/// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"timeout",
///     "startTime":"2026-11-23T14:00:01Z","endTime":"2026-11-23T14:00:31Z"}"#.parse()?);
/// let calls = history.calls(&Default::default());
/// let attempt = &calls[0].attempts[0];
/// assert_eq!(attempt.number, 1);
/// assert_eq!(attempt.winner, None);
/// assert_eq!(attempt.why, [callfold::EndCause::Cause(&callfold::Cause::Timeout)]);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt<'a> {
    /// 1-based, in time order.
    pub number: usize,
    /// The legs, by the time they were placed.
    pub legs: Vec<Placed<'a>>,
    /// The leg that answered (the earliest answer, if several did).
    pub winner: Option<&'a CallId>,
    /// When no leg won: why each of its legs ended, each reason once, sorted by its text. Empty when a
    /// leg won.
    pub why: Vec<EndCause<'a>>,
}

/// A leg in an attempt, and which of its times placed it there.
///
/// ```
/// let mut history = callfold::History::new();
/// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a","answerTime":"2026-11-23T14:00:05Z"}"#.parse()?);
/// let calls = history.calls(&Default::default());
/// // No startTime: placed by another time.
/// assert_eq!(calls[0].attempts[0].legs[0].placed_by, callfold::PlacedBy::AnswerTime);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Placed<'a> {
    /// The leg.
    pub leg: &'a Leg,
    /// Which of its times placed it.
    pub placed_by: PlacedBy,
    /// Whether its `transferDisconnect` is missing, and why callfold thinks so.
    pub stale: Option<Stale>,
}

/// Which of a leg's times placed it among its call's attempts: the time it was created, which is its
/// `enqueuedTime` when it was queued (the legs of one `<Transfer>` are queued together and dequeued one
/// by one), else its `startTime`; without either, its `answerTime` or `endTime`.
///
/// ```
/// use callfold::PlacedBy;
///
/// assert_eq!(PlacedBy::EnqueuedTime.as_str(), "enqueuedTime");
/// assert_eq!(PlacedBy::NoTime.as_str(), "nothing");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlacedBy {
    /// `startTime`: the usual case.
    StartTime,
    /// `enqueuedTime`: a leg that was queued.
    EnqueuedTime,
    /// `answerTime`: a leg known by neither of the above.
    AnswerTime,
    /// `endTime`: a leg known only by its end.
    EndTime,
    /// No time at all: such legs go last.
    NoTime,
}

impl PlacedBy {
    /// The field that placed the leg, as Bandwidth spells it; `nothing` for a leg with no time.
    ///
    /// ```
    /// assert_eq!(callfold::PlacedBy::StartTime.as_str(), "startTime");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            PlacedBy::StartTime => "startTime",
            PlacedBy::EnqueuedTime => "enqueuedTime",
            PlacedBy::AnswerTime => "answerTime",
            PlacedBy::EndTime => "endTime",
            PlacedBy::NoTime => "nothing",
        }
    }

    /// What a record shows: nothing for the usual case ([`StartTime`](PlacedBy::StartTime)), else
    /// [`as_str`](PlacedBy::as_str).
    ///
    /// ```
    /// use callfold::PlacedBy;
    ///
    /// assert_eq!(PlacedBy::StartTime.unusual(), None);
    /// assert_eq!(PlacedBy::EndTime.unusual(), Some("endTime"));
    /// ```
    pub fn unusual(self) -> Option<&'static str> {
        (self != PlacedBy::StartTime).then(|| self.as_str())
    }
}
