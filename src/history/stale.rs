//! Stale legs: legs whose `transferDisconnect` is missing. One rule, which `history`, `stats` and `check`
//! all use through [`History::stale`].

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use super::{History, HistoryOptions};
use crate::fold::{Leg, State};
use crate::time::{format_duration, format_timestamp};

/// A leg that has not ended and was not heard of for longer than the stale setting before the instant
/// it is judged at: its `transferDisconnect` is missing.
///
/// ```
/// use callfold::{History, HistoryOptions, parse_timestamp};
///
/// let mut history = History::new();
/// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a",
///     "answerTime":"2026-11-23T14:00:00Z"}"#.parse()?);
/// let leg = history.legs().next().unwrap();
/// let options = HistoryOptions { as_of: Some(parse_timestamp("2026-11-23T14:06:00Z")?), ..Default::default() };
/// let stale = history.stale(leg, &options).unwrap();
/// assert_eq!(
///     stale.to_string(),
///     "answered and not ended, last heard of at 2026-11-23T14:00:00Z, 6m00s before 2026-11-23T14:06:00Z: \
///      its transferDisconnect is missing"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    /// Where the leg stopped.
    pub state: State,
    /// The latest of its times.
    pub last_heard: DateTime<Utc>,
    /// The instant it was judged at.
    pub as_of: DateTime<Utc>,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} and not ended, last heard of at {}, {} before {}: its transferDisconnect is missing",
            self.state,
            format_timestamp(&self.last_heard),
            format_duration(self.as_of.signed_duration_since(self.last_heard)),
            format_timestamp(&self.as_of),
        )
    }
}

impl History {
    /// Whether the leg is [`Stale`], judged at [`as_of`](History::as_of) with `options.stale_after`. A
    /// leg with no time at all cannot be judged and is not stale, nor is any leg when nothing gives an
    /// instant to judge at.
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
        judge(leg, self.as_of(options), options.stale_after)
    }
}

/// The rule: not ended, and its last known time more than `stale_after` before `as_of`.
pub(crate) fn judge(
    leg: &Leg,
    as_of: Option<DateTime<Utc>>,
    stale_after: TimeDelta,
) -> Option<Stale> {
    let (as_of, last_heard) = (as_of?, leg.last_known_time()?);
    let state = leg.state();
    (state != State::Ended && as_of.signed_duration_since(last_heard) > stale_after).then_some(
        Stale {
            state,
            last_heard,
            as_of,
        },
    )
}
