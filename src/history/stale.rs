//! Stale legs: legs whose `transferDisconnect` is missing, decided on evidence. One rule, which
//! `history`, `stats`, `check` and the live tracker all use.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::{ALeg, History, HistoryOptions};
use crate::fold::{Leg, State};
use crate::time::{format_duration, format_timestamp};

/// A leg that has not ended, and whose `transferDisconnect` callfold takes to be missing, with why.
///
/// The rule, judged at an instant (`--as-of`, or the app's clock for the live tracker):
/// - a leg that never answered (enqueued or ringing) is stale once nothing was heard of it for longer
///   than `stale_after` (330 s by default): Bandwidth ends ringing after `callTimeout`, at most 300 s;
/// - an answered leg may talk for hours, so it is stale only on evidence: its call ended (an A-leg
///   `disconnect`, or a `transferComplete` after the leg answered) more than `stale_after` ago, or it
///   has been answered for longer than `max_call` (4 h by default: an assumption about how long calls
///   last, which users can change).
///
/// ```
/// use callfold::{History, HistoryOptions, StaleReason, parse_timestamp};
///
/// let mut history = History::new();
/// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a",
///     "answerTime":"2026-11-23T14:00:00Z"}"#.parse()?);
/// let at = |t| -> Result<_, callfold::TimestampError> {
///     Ok(HistoryOptions { as_of: Some(parse_timestamp(t)?), ..Default::default() })
/// };
/// // Talking for an hour is not evidence of anything.
/// let leg = history.legs().next().unwrap();
/// assert_eq!(history.stale(leg, &at("2026-11-23T15:00:00Z")?), None);
/// // The call's A-leg hung up at 14:10, and this leg's transferDisconnect never came.
/// history.apply(&r#"{"eventType":"disconnect","callId":"c-a","endTime":"2026-11-23T14:10:00Z"}"#.parse()?);
/// let leg = history.legs().next().unwrap();
/// let stale = history.stale(leg, &at("2026-11-23T15:00:00Z")?).unwrap();
/// assert!(matches!(stale.reason, StaleReason::CallEnded { .. }));
/// assert_eq!(
///     stale.to_string(),
///     "answered and not ended: the call ended at 2026-11-23T14:10:00Z (its A-leg's disconnect), \
///      50m00s before 2026-11-23T15:00:00Z, and this leg's transferDisconnect never came"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stale {
    /// Where the leg stopped.
    pub state: State,
    /// Which rule fired, and on what.
    pub reason: StaleReason,
    /// The instant it was judged at.
    #[serde(serialize_with = "crate::time::serialize_time")]
    pub as_of: DateTime<Utc>,
}

/// Which rule made a leg [`Stale`].
///
/// ```
/// use callfold::StaleReason;
///
/// let reason = StaleReason::TooLong {
///     answered_at: callfold::parse_timestamp("2026-11-23T08:00:00Z")?,
///     max_call: chrono::TimeDelta::hours(4),
/// };
/// assert_eq!(reason.code(), "too-long");
/// # Ok::<(), callfold::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(
    tag = "rule",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum StaleReason {
    /// The leg never answered and was not heard of for longer than `stale_after`.
    Unanswered {
        /// The latest of its times.
        #[serde(serialize_with = "crate::time::serialize_time")]
        last_heard: DateTime<Utc>,
    },
    /// The leg answered, its call ended, and its `transferDisconnect` did not come within `stale_after`.
    CallEnded {
        /// When the call ended, by the earliest evidence.
        #[serde(serialize_with = "crate::time::serialize_time")]
        ended_at: DateTime<Utc>,
        /// What showed it.
        by: CallEnd,
    },
    /// The leg has been answered for longer than `max_call`.
    TooLong {
        /// When it answered (or, without an `answerTime`, the latest of its times).
        #[serde(serialize_with = "crate::time::serialize_time")]
        answered_at: DateTime<Utc>,
        /// The longest call assumed.
        #[serde(serialize_with = "crate::time::serialize_duration")]
        max_call: TimeDelta,
    },
}

/// What showed that a call ended.
///
/// ```
/// assert_eq!(callfold::CallEnd::Disconnect.as_str(), "its A-leg's disconnect");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallEnd {
    /// The A-leg's `disconnect`.
    Disconnect,
    /// A `transferComplete` after the leg answered: its `<Transfer>` is over.
    TransferComplete,
}

impl CallEnd {
    /// The evidence, in words.
    ///
    /// ```
    /// assert_eq!(callfold::CallEnd::TransferComplete.as_str(), "a transferComplete");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CallEnd::Disconnect => "its A-leg's disconnect",
            CallEnd::TransferComplete => "a transferComplete",
        }
    }
}

impl StaleReason {
    /// The rule's stable code: `unanswered`, `call-ended` or `too-long`.
    ///
    /// ```
    /// let reason = callfold::StaleReason::Unanswered { last_heard: chrono::DateTime::UNIX_EPOCH };
    /// assert_eq!(reason.code(), "unanswered");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            StaleReason::Unanswered { .. } => "unanswered",
            StaleReason::CallEnded { .. } => "call-ended",
            StaleReason::TooLong { .. } => "too-long",
        }
    }
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let since = |t: &DateTime<Utc>| format_duration(self.as_of.signed_duration_since(*t));
        let as_of = format_timestamp(&self.as_of);
        match &self.reason {
            StaleReason::Unanswered { last_heard } => write!(
                f,
                "{} and not ended, last heard of at {}, {} before {as_of}: its transferDisconnect is missing",
                self.state,
                format_timestamp(last_heard),
                since(last_heard),
            ),
            StaleReason::CallEnded { ended_at, by } => write!(
                f,
                "{} and not ended: the call ended at {} ({}), {} before {as_of}, and this leg's \
                 transferDisconnect never came",
                self.state,
                format_timestamp(ended_at),
                by.as_str(),
                since(ended_at),
            ),
            StaleReason::TooLong {
                answered_at,
                max_call,
            } => write!(
                f,
                "{} at {} and not ended, {} before {as_of}: longer than the longest call ({}), so its \
                 transferDisconnect is missing",
                self.state,
                format_timestamp(answered_at),
                since(answered_at),
                format_duration(*max_call),
            ),
        }
    }
}

impl History {
    /// Whether the leg is [`Stale`], judged at [`as_of`](History::as_of) with `options.stale_after`
    /// and `options.max_call`, on the evidence of its call. A leg with no time at all cannot be judged
    /// and is not stale, nor is any leg when nothing gives an instant to judge at.
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy",
    ///     "endTime":"2026-11-23T14:00:00Z"}"#.parse()?);
    /// let leg = history.legs().next().unwrap();
    /// assert_eq!(history.stale(leg, &Default::default()), None); // it ended
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn stale(&self, leg: &Leg, options: &HistoryOptions) -> Option<Stale> {
        let call = leg
            .parent_call_id()
            .and_then(|parent| self.a_leg(parent.as_str()));
        judge(leg, call, options, self.as_of(options)?)
    }
}

/// The rule (see [`Stale`]), on the leg, its call's A-leg facts if any are known, at `as_of`.
pub(crate) fn judge(
    leg: &Leg,
    call: Option<&ALeg>,
    options: &HistoryOptions,
    as_of: DateTime<Utc>,
) -> Option<Stale> {
    let state = leg.state();
    let last_heard = leg.last_known_time()?;
    let reason = match state {
        State::Ended => return None,
        State::Enqueued | State::Ringing => (as_of.signed_duration_since(last_heard)
            > options.stale_after)
            .then_some(StaleReason::Unanswered { last_heard })?,
        State::Answered => {
            let answered_at = leg.answer_time().unwrap_or(last_heard);
            let ended = call.and_then(|a| call_ended(a, answered_at));
            match ended {
                Some((ended_at, by))
                    if as_of.signed_duration_since(ended_at) > options.stale_after =>
                {
                    StaleReason::CallEnded { ended_at, by }
                }
                _ if as_of.signed_duration_since(answered_at) > options.max_call => {
                    StaleReason::TooLong {
                        answered_at,
                        max_call: options.max_call,
                    }
                }
                _ => return None,
            }
        }
    };
    Some(Stale {
        state,
        reason,
        as_of,
    })
}

/// The instant after which the leg is stale if nothing more arrives (see [`Stale`]): a leg is stale at
/// `as_of` exactly when `as_of` is later. `None` for a leg that ended or has no time.
pub(crate) fn stale_at(
    leg: &Leg,
    call: Option<&ALeg>,
    options: &HistoryOptions,
) -> Option<DateTime<Utc>> {
    let last_heard = leg.last_known_time()?;
    match leg.state() {
        State::Ended => None,
        State::Enqueued | State::Ringing => last_heard.checked_add_signed(options.stale_after),
        State::Answered => {
            let answered_at = leg.answer_time().unwrap_or(last_heard);
            let too_long = answered_at.checked_add_signed(options.max_call);
            let ended = call
                .and_then(|a| call_ended(a, answered_at))
                .and_then(|(t, _)| t.checked_add_signed(options.stale_after));
            match (too_long, ended) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
    }
}

/// When the call ended by the earliest evidence: its A-leg's `disconnect` (whenever it came: an A-leg
/// that hung up takes every leg down), or a `transferComplete` at or after the leg answered (the
/// leg's `<Transfer>` is over; an earlier one reported on another `<Transfer>`).
fn call_ended(a: &ALeg, answered_at: DateTime<Utc>) -> Option<(DateTime<Utc>, CallEnd)> {
    let disconnect = a.end_time.get().map(|t| (*t, CallEnd::Disconnect));
    let complete = a
        .completes
        .iter()
        .filter_map(|c| c.event_time)
        .filter(|t| *t >= answered_at)
        .min()
        .map(|t| (t, CallEnd::TransferComplete));
    match (disconnect, complete) {
        (Some(d), Some(c)) => Some(if c.0 < d.0 { c } else { d }),
        (d, c) => d.or(c),
    }
}

/// The default longest call, for [`HistoryOptions::max_call`]: 4 hours.
pub(crate) const MAX_CALL: TimeDelta = TimeDelta::hours(4);
