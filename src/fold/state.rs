//! What a leg's facts say of it: where it is ([`State`]) and how it turned out ([`Outcome`]).

use std::fmt;

use serde::Serialize;

use crate::decode::Cause;

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

/// Why a leg ended, as call history and stats tell it: its `cause` verbatim, `none` for a leg that
/// ended without one, `open` for a leg that has not ended. Compared and ordered by that text, so that a
/// cause Bandwidth would spell `none` is the same reason as no cause.
///
/// ```
/// use callfold::{EndCause, Leg};
///
/// let mut leg = Leg::new("c-b".parse()?);
/// assert_eq!(leg.end_cause(), EndCause::Open);
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b"}"#.parse()?)?;
/// assert_eq!(leg.end_cause().as_str(), "none");
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy"}"#.parse()?)?;
/// assert_eq!(leg.end_cause().to_string(), "busy");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub enum EndCause<'a> {
    /// The leg ended with this cause.
    Cause(&'a Cause),
    /// The leg ended without a cause: `none`.
    NoCause,
    /// The leg has not ended: `open`.
    Open,
}

impl<'a> EndCause<'a> {
    /// The text callfold prints: the cause verbatim, `none` or `open`.
    ///
    /// ```
    /// assert_eq!(callfold::EndCause::Open.as_str(), "open");
    /// ```
    pub fn as_str(&self) -> &'a str {
        match *self {
            EndCause::Cause(cause) => cause.as_str(),
            EndCause::NoCause => "none",
            EndCause::Open => "open",
        }
    }
}

impl PartialEq for EndCause<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for EndCause<'_> {}

impl std::hash::Hash for EndCause<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Ord for EndCause<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for EndCause<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for EndCause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EndCause<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
