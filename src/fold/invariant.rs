//! The checks that types cannot express: what real data must keep, reported as stable kebab-case codes.
//!
//! Every check is listed, with an example, in `docs/invariants.md`. A violation never stops the fold and
//! never drops the leg: it is reported next to it.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::decode::{Cause, Direction};
use crate::time::format_timestamp;

/// One broken invariant of a leg.
///
/// ```
/// use callfold::Leg;
///
/// let mut leg = Leg::new("c-b".parse()?);
/// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b",
///     "startTime":"2019-06-20T15:54:22.234Z","answerTime":"2019-06-20T15:54:20.000Z"}"#.parse()?)?;
/// let v = &leg.violations()[0];
/// assert_eq!(v.code(), "answered-before-start");
/// assert_eq!(v.to_string(), "answerTime 2019-06-20T15:54:20Z is before startTime 2019-06-20T15:54:22.234Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Violation {
    /// `enqueued-after-start`: the leg left the queue before it entered it.
    EnqueuedAfterStart {
        /// `enqueuedTime`.
        enqueued: DateTime<Utc>,
        /// `startTime`.
        start: DateTime<Utc>,
    },
    /// `enqueued-after-answer`: with no `startTime` to compare, the leg was answered before it was queued.
    EnqueuedAfterAnswer {
        /// `enqueuedTime`.
        enqueued: DateTime<Utc>,
        /// `answerTime`.
        answer: DateTime<Utc>,
    },
    /// `enqueued-after-end`: with no `startTime` to compare, the leg ended before it was queued.
    EnqueuedAfterEnd {
        /// `enqueuedTime`.
        enqueued: DateTime<Utc>,
        /// `endTime`.
        end: DateTime<Utc>,
    },
    /// `answered-before-start`.
    AnsweredBeforeStart {
        /// `answerTime`.
        answer: DateTime<Utc>,
        /// `startTime`.
        start: DateTime<Utc>,
    },
    /// `ended-before-answer`.
    EndedBeforeAnswer {
        /// `endTime`.
        end: DateTime<Utc>,
        /// `answerTime`.
        answer: DateTime<Utc>,
    },
    /// `ended-before-start`.
    EndedBeforeStart {
        /// `endTime`.
        end: DateTime<Utc>,
        /// `startTime`.
        start: DateTime<Utc>,
    },
    /// `answered-despite-cause`: the leg was answered, yet ended with a cause that means it never was
    /// (`busy`, `timeout`, `cancel`, `rejected`, `account-limit`, `node-capacity-exceeded`).
    AnsweredDespiteCause {
        /// The cause.
        cause: Cause,
        /// The `answerTime`, or `None` when only an answered-only callback (`transferAnswer`, `redirect`)
        /// proves the answer.
        answer: Option<DateTime<Utc>>,
    },
    /// `not-outbound`: a B-leg callback whose `direction` is not `outbound`.
    NotOutbound {
        /// The direction it gave.
        direction: Direction,
    },
}

impl Violation {
    /// The stable kebab-case code: part of the interface, for scripts and alerts.
    ///
    /// ```
    /// # let mut leg = callfold::Leg::new("c-b".parse()?);
    /// # leg.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","direction":"inbound"}"#.parse()?)?;
    /// assert_eq!(leg.violations()[0].code(), "not-outbound");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Violation::EnqueuedAfterStart { .. } => "enqueued-after-start",
            Violation::EnqueuedAfterAnswer { .. } => "enqueued-after-answer",
            Violation::EnqueuedAfterEnd { .. } => "enqueued-after-end",
            Violation::AnsweredBeforeStart { .. } => "answered-before-start",
            Violation::EndedBeforeAnswer { .. } => "ended-before-answer",
            Violation::EndedBeforeStart { .. } => "ended-before-start",
            Violation::AnsweredDespiteCause { .. } => "answered-despite-cause",
            Violation::NotOutbound { .. } => "not-outbound",
        }
    }
}

/// The detail that follows the code in `callfold check`.
impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = format_timestamp;
        match self {
            Violation::EnqueuedAfterStart { enqueued, start } => {
                write!(
                    f,
                    "enqueuedTime {} is after startTime {}",
                    t(enqueued),
                    t(start)
                )
            }
            Violation::EnqueuedAfterAnswer { enqueued, answer } => {
                write!(
                    f,
                    "enqueuedTime {} is after answerTime {}",
                    t(enqueued),
                    t(answer)
                )
            }
            Violation::EnqueuedAfterEnd { enqueued, end } => {
                write!(
                    f,
                    "enqueuedTime {} is after endTime {}",
                    t(enqueued),
                    t(end)
                )
            }
            Violation::AnsweredBeforeStart { answer, start } => {
                write!(
                    f,
                    "answerTime {} is before startTime {}",
                    t(answer),
                    t(start)
                )
            }
            Violation::EndedBeforeAnswer { end, answer } => {
                write!(f, "endTime {} is before answerTime {}", t(end), t(answer))
            }
            Violation::EndedBeforeStart { end, start } => {
                write!(f, "endTime {} is before startTime {}", t(end), t(start))
            }
            Violation::AnsweredDespiteCause {
                cause,
                answer: Some(answer),
            } => {
                write!(
                    f,
                    "answerTime {} is present but cause is {cause}",
                    t(answer)
                )
            }
            Violation::AnsweredDespiteCause {
                cause,
                answer: None,
            } => {
                write!(
                    f,
                    "the leg got an answered-only callback but cause is {cause}"
                )
            }
            Violation::NotOutbound { direction } => {
                write!(
                    f,
                    "direction is {:?}, expected \"outbound\" on a transfer leg",
                    direction.as_str()
                )
            }
        }
    }
}

/// The facts of a leg the invariants are about: plain values, so that the checks can be tested without
/// folding callbacks into a leg.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    pub(crate) enqueued: Option<DateTime<Utc>>,
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) answer: Option<DateTime<Utc>>,
    pub(crate) end: Option<DateTime<Utc>>,
    pub(crate) cause: Option<&'a Cause>,
    /// An `answerTime`, or a callback only an answered leg gets, was folded.
    pub(crate) answered: bool,
    /// Every `direction` the leg's callbacks gave.
    pub(crate) directions: &'a [Direction],
}

/// Every invariant the facts break, in the order of the codes above.
pub(crate) fn check(facts: &Facts<'_>) -> Vec<Violation> {
    let mut found = Vec::new();
    let Facts {
        enqueued,
        start,
        answer,
        end,
        cause,
        answered,
        directions,
    } = *facts;
    let before = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
        (Some(a), Some(b)) if b < a => Some((a, b)),
        _ => None,
    };

    if let Some((enqueued, start)) = before(enqueued, start) {
        found.push(Violation::EnqueuedAfterStart { enqueued, start });
    }
    // With a startTime, the checks against it already catch any enqueuedTime out of order.
    if start.is_none() {
        if let Some((enqueued, answer)) = before(enqueued, answer) {
            found.push(Violation::EnqueuedAfterAnswer { enqueued, answer });
        }
        if let Some((enqueued, end)) = before(enqueued, end) {
            found.push(Violation::EnqueuedAfterEnd { enqueued, end });
        }
    }
    if let Some((start, answer)) = before(start, answer) {
        found.push(Violation::AnsweredBeforeStart { answer, start });
    }
    if let Some((answer, end)) = before(answer, end) {
        found.push(Violation::EndedBeforeAnswer { end, answer });
    }
    if let Some((start, end)) = before(start, end) {
        found.push(Violation::EndedBeforeStart { end, start });
    }
    if let Some(cause) = cause.filter(|c| c.never_answered() && answered) {
        found.push(Violation::AnsweredDespiteCause {
            cause: cause.clone(),
            answer,
        });
    }
    for direction in directions {
        if *direction != Direction::Outbound {
            found.push(Violation::NotOutbound {
                direction: direction.clone(),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_timestamp;

    fn at(text: &str) -> DateTime<Utc> {
        parse_timestamp(text).unwrap()
    }

    fn codes(facts: &Facts<'_>) -> Vec<&'static str> {
        check(facts).iter().map(Violation::code).collect()
    }

    #[test]
    fn each_check_on_plain_facts() {
        let none: Vec<&str> = Vec::new();
        assert_eq!(codes(&Facts::default()), none);
        let ordered = Facts {
            enqueued: Some(at("2026-01-01T00:00:00Z")),
            start: Some(at("2026-01-01T00:00:01Z")),
            answer: Some(at("2026-01-01T00:00:05Z")),
            end: Some(at("2026-01-01T00:01:00Z")),
            cause: Some(&Cause::Hangup),
            answered: true,
            directions: &[Direction::Outbound],
        };
        assert_eq!(codes(&ordered), none);
        let late = Some(at("2026-01-01T01:00:00Z"));
        assert_eq!(
            codes(&Facts {
                enqueued: late,
                ..ordered
            }),
            ["enqueued-after-start"]
        );
        assert_eq!(
            codes(&Facts {
                enqueued: late,
                start: None,
                ..ordered
            }),
            ["enqueued-after-answer", "enqueued-after-end"]
        );
        assert_eq!(
            codes(&Facts {
                answer: late,
                ..ordered
            }),
            ["ended-before-answer"]
        );
        assert_eq!(
            codes(&Facts {
                start: late,
                ..ordered
            }),
            ["answered-before-start", "ended-before-start"]
        );
        assert_eq!(
            codes(&Facts {
                cause: Some(&Cause::Busy),
                ..ordered
            }),
            ["answered-despite-cause"]
        );
        assert_eq!(
            codes(&Facts {
                cause: Some(&Cause::Busy),
                answered: false,
                answer: None,
                ..ordered
            }),
            none
        );
        assert_eq!(
            codes(&Facts {
                directions: &[Direction::Inbound, Direction::Outbound],
                ..ordered
            }),
            ["not-outbound"]
        );
    }
}
