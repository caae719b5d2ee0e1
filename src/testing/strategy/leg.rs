//! One transfer leg: its true history and the callbacks Bandwidth sends about it.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

use super::{call_id, phone_number, timestamp};
use crate::decode::{CallId, Callback, Cause, Direction, Ending, Event};
use crate::fold::{Outcome, State};

/// One transfer leg's true history, and the callbacks Bandwidth sent about it, in the order they were
/// sent.
///
/// ```
/// use callfold::strategy::leg_history;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let history = leg_history().new_tree(&mut TestRunner::default()).unwrap().current();
/// assert!(!history.callbacks.is_empty());
/// assert!(history.callbacks.iter().all(|cb| cb.call_id == history.call_id));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegHistory {
    /// The B-leg's `callId`.
    pub call_id: CallId,
    /// The A-leg that ran the `<Transfer>`.
    pub parent_call_id: CallId,
    /// When the leg entered the queue, if it was queued.
    pub enqueued_time: Option<DateTime<Utc>>,
    /// When the leg was placed.
    pub start_time: DateTime<Utc>,
    /// When the leg was answered, if it was.
    pub answer_time: Option<DateTime<Utc>>,
    /// When the leg ended, if it has.
    pub end_time: Option<DateTime<Utc>>,
    /// Why the leg ended, if it has.
    pub cause: Option<Cause>,
    /// The callbacks, in the order Bandwidth sent them.
    pub callbacks: Vec<Callback>,
}

impl LegHistory {
    /// The state callfold must derive from the callbacks.
    ///
    /// ```
    /// # use proptest::strategy::{Strategy, ValueTree};
    /// # let history = callfold::strategy::ended_leg().new_tree(&mut Default::default()).unwrap().current();
    /// assert_eq!(history.state(), callfold::State::Ended);
    /// ```
    pub fn state(&self) -> State {
        if self.end_time.is_some() {
            State::Ended
        } else if self.answer_time.is_some() {
            State::Answered
        } else {
            State::Ringing
        }
    }

    /// The outcome callfold must derive from the callbacks.
    ///
    /// ```
    /// # use proptest::strategy::{Strategy, ValueTree};
    /// # let history = callfold::strategy::unanswered_leg().new_tree(&mut Default::default()).unwrap().current();
    /// assert_ne!(history.outcome(), Some(callfold::Outcome::Answered));
    /// ```
    pub fn outcome(&self) -> Option<Outcome> {
        self.end_time?;
        Some(if self.answer_time.is_some() {
            Outcome::Answered
        } else {
            Outcome::of_unanswered(self.cause.as_ref())
        })
    }
}

/// Causes of a leg that was answered: mostly `hangup`, sometimes an error.
fn answered_cause() -> impl Strategy<Value = Cause> {
    prop_oneof![
        12 => Just(Cause::Hangup),
        1 => Just(Cause::CallbackError),
        1 => Just(Cause::InvalidBxml),
        1 => Just(Cause::ApplicationError),
        1 => Just(Cause::Error),
        1 => Just(Cause::Unknown),
        1 => Just(Cause::from("media-timeout")),
    ]
}

/// Causes of a leg that was never answered, `hangup` for the losers of simultaneous ringing included.
fn unanswered_cause() -> impl Strategy<Value = Cause> {
    prop_oneof![
        Just(Cause::Busy),
        Just(Cause::Timeout),
        Just(Cause::Rejected),
        Just(Cause::Cancel),
        Just(Cause::Hangup),
        Just(Cause::Error),
        Just(Cause::Unknown),
        Just(Cause::AccountLimit),
        Just(Cause::NodeCapacityExceeded),
        Just(Cause::from("some-new-cause")),
    ]
}

/// What is shared by every callback of one leg.
#[derive(Debug, Clone)]
pub(super) struct Setting {
    pub(super) call_id: CallId,
    pub(super) parent_call_id: CallId,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) transfer_to: String,
    pub(super) tag: Option<String>,
    pub(super) enqueued_time: Option<DateTime<Utc>>,
    pub(super) start_time: DateTime<Utc>,
}

fn setting() -> impl Strategy<Value = Setting> {
    (
        call_id(),
        call_id(),
        phone_number(),
        phone_number(),
        phone_number(),
        proptest::option::weighted(0.3, "[a-z]{1,8}( [a-zé]{1,6})?"),
        proptest::option::weighted(0.3, 1..120_000i64),
        timestamp(),
    )
        .prop_map(
            |(call_id, parent_call_id, from, to, transfer_to, tag, queued_ms, start_time)| {
                Setting {
                    call_id,
                    parent_call_id,
                    from,
                    to,
                    transfer_to,
                    tag,
                    enqueued_time: queued_ms.map(|ms| start_time - TimeDelta::milliseconds(ms)),
                    start_time,
                }
            },
        )
}

impl Setting {
    pub(super) fn callback(
        &self,
        event: Event,
        event_time: DateTime<Utc>,
        answer_time: Option<DateTime<Utc>>,
    ) -> Callback {
        Callback {
            event_time: Some(event_time),
            parent_call_id: Some(self.parent_call_id.clone()),
            account_id: Some("9900000".to_owned()),
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
            direction: Some(Direction::Outbound),
            call_url: Some(format!(
                "https://voice.bandwidth.com/api/v2/accounts/9900000/calls/{}",
                self.call_id
            )),
            tag: self.tag.clone(),
            transfer_caller_id: Some(self.from.clone()),
            transfer_to: Some(self.transfer_to.clone()),
            enqueued_time: self.enqueued_time,
            start_time: Some(self.start_time),
            answer_time,
            ..Callback::new(event, self.call_id.clone())
        }
    }

    pub(super) fn disconnect(
        &self,
        answer_time: Option<DateTime<Utc>>,
        end_time: DateTime<Utc>,
        cause: &Cause,
    ) -> Callback {
        let (error_message, error_id) = match cause {
            Cause::Busy => (
                Some("Callee is busy".to_owned()),
                Some("4642074b-7b58-478b-96e4-3a60955c6765".to_owned()),
            ),
            _ => (None, None),
        };
        let ending = Ending {
            end_time: Some(end_time),
            cause: Some(cause.clone()),
            error_message,
            error_id,
        };
        self.callback(
            Event::TransferDisconnect(ending),
            end_time + TimeDelta::milliseconds(16),
            answer_time,
        )
    }

    fn history(
        self,
        answer_time: Option<DateTime<Utc>>,
        end: Option<(DateTime<Utc>, Cause)>,
        callbacks: Vec<Callback>,
    ) -> LegHistory {
        let (end_time, cause) = end.map_or((None, None), |(t, c)| (Some(t), Some(c)));
        LegHistory {
            call_id: self.call_id,
            parent_call_id: self.parent_call_id,
            enqueued_time: self.enqueued_time,
            start_time: self.start_time,
            answer_time,
            end_time,
            cause,
            callbacks,
        }
    }
}

/// A leg that was answered, and has ended or is still up. Its callbacks: `transferAnswer` (unless the
/// app set no `transferAnswerUrl` and the leg has ended), maybe a `redirect`, and `transferDisconnect`
/// once it ended.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let history = callfold::strategy::answered_leg().new_tree(&mut Default::default()).unwrap().current();
/// assert!(history.answer_time.is_some());
/// ```
pub fn answered_leg() -> impl Strategy<Value = LegHistory> {
    answered(proptest::option::weighted(0.8, talk()))
}

/// Talk time in milliseconds and the cause that ended the talk.
fn talk() -> impl Strategy<Value = (i64, Cause)> {
    (0..3_600_000i64, answered_cause())
}

fn answered(
    talk: impl Strategy<Value = Option<(i64, Cause)>>,
) -> impl Strategy<Value = LegHistory> {
    (
        setting(),
        0..60_000i64,
        talk,
        any::<bool>(),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(setting, ring_ms, talk, with_answer_url, with_redirect)| {
            let answer_time = setting.start_time + TimeDelta::milliseconds(ring_ms);
            let mut callbacks = Vec::new();
            // An open leg is only known through a callback: it must have had one.
            if with_answer_url || talk.is_none() {
                callbacks.push(setting.callback(
                    Event::TransferAnswer,
                    answer_time + TimeDelta::milliseconds(3),
                    Some(answer_time),
                ));
            }
            if with_redirect {
                callbacks.push(setting.callback(
                    Event::Redirect,
                    answer_time + TimeDelta::seconds(1),
                    Some(answer_time),
                ));
            }
            let end = talk
                .map(|(talk_ms, cause)| (answer_time + TimeDelta::milliseconds(talk_ms), cause));
            if let Some((end_time, cause)) = &end {
                callbacks.push(setting.disconnect(Some(answer_time), *end_time, cause));
            }
            setting.history(Some(answer_time), end, callbacks)
        })
}

/// A leg that ended without being answered: busy, no answer, rejected, cancelled, lost the race
/// (`hangup`), or failed. Its one callback is `transferDisconnect`, without `answerTime`.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let history = callfold::strategy::unanswered_leg().new_tree(&mut Default::default()).unwrap().current();
/// assert_eq!(history.answer_time, None);
/// assert_eq!(history.callbacks.len(), 1);
/// ```
pub fn unanswered_leg() -> impl Strategy<Value = LegHistory> {
    (setting(), 0..300_000i64, unanswered_cause()).prop_map(|(setting, ring_ms, cause)| {
        let end_time = setting.start_time + TimeDelta::milliseconds(ring_ms);
        let callbacks = vec![setting.disconnect(None, end_time, &cause)];
        setting.history(None, Some((end_time, cause)), callbacks)
    })
}

/// A leg that has ended, answered or not.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let history = callfold::strategy::ended_leg().new_tree(&mut Default::default()).unwrap().current();
/// assert!(history.end_time.is_some());
/// ```
pub fn ended_leg() -> impl Strategy<Value = LegHistory> {
    prop_oneof![answered(talk().prop_map(Some)), unanswered_leg(),]
}

/// Any leg: answered (ended or still up) or ended unanswered.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let history = callfold::strategy::leg_history().new_tree(&mut Default::default()).unwrap().current();
/// assert!(history.state() >= callfold::State::Ringing);
/// ```
pub fn leg_history() -> impl Strategy<Value = LegHistory> {
    prop_oneof![answered_leg(), unanswered_leg()]
}
