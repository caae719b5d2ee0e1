//! proptest strategies for Bandwidth transfer traffic (feature `proptest`).
//!
//! Every history these strategies build is valid by construction: its timestamps are ordered, it has no
//! `answerTime` when the cause says the leg never answered, and its callbacks are the ones Bandwidth
//! sends for such a leg. Tests make near-misses by changing one fact of a valid history and asserting
//! which code callfold reports for it.
//!
//! Whole calls ([`call_plan`]) hold many values (ids, numbers, times) that shrink before the shape
//! does. Give the runner room (`max_shrink_iters: 100_000`) to reach the smallest counterexample:
//! callfold's own test finds, for a property false on calls with a second `<Transfer>`, exactly two
//! one-leg transfers.
//!
//! ```
//! use callfold::Leg;
//! use callfold::strategy::leg_history;
//! use proptest::prelude::*;
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::default();
//! runner.run(&leg_history(), |history| {
//!     let mut leg = Leg::new(history.call_id.clone());
//!     for callback in &history.callbacks {
//!         leg.apply(callback).unwrap();
//!     }
//!     prop_assert!(leg.violations().is_empty());
//!     prop_assert_eq!(leg.state(), history.state());
//!     Ok(())
//! }).unwrap();
//! ```

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

use crate::callback::{CallId, Callback, Cause, Direction, Ending, Event};
use crate::leg::{Outcome, State};

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

/// A Bandwidth-shaped call id: `c-`, 8 hex digits, then a UUID.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let id = callfold::strategy::call_id().new_tree(&mut Default::default()).unwrap().current();
/// assert_eq!(id.as_str().len(), 47);
/// assert!(id.as_str().starts_with("c-"));
/// ```
pub fn call_id() -> impl Strategy<Value = CallId> {
    (any::<u32>(), any::<u128>()).prop_map(|(head, uuid)| {
        let hex = format!("{uuid:032x}");
        let id = format!(
            "c-{head:08x}-{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        CallId::new(&id)
    })
}

/// An instant between 2019 and 2026, at millisecond precision mostly, sometimes micro- or nanosecond.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let t = callfold::strategy::timestamp().new_tree(&mut Default::default()).unwrap().current();
/// assert!(t.to_rfc3339().starts_with("20"));
/// ```
pub fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    const FROM: i64 = 1_546_300_800; // 2019-01-01
    const SPAN: i64 = 8 * 365 * 86_400;
    let fraction = prop_oneof![
        8 => (0..1_000u32).prop_map(|ms| ms * 1_000_000),
        1 => (0..1_000_000u32).prop_map(|us| us * 1_000),
        1 => 0..1_000_000_000u32,
    ];
    (0..SPAN, fraction)
        .prop_map(|(s, nanos)| DateTime::from_timestamp(FROM + s, nanos).unwrap_or_default())
}

fn phone_number() -> impl Strategy<Value = String> {
    (2..10u8, 0..1_000_000_000u32).prop_map(|(area, rest)| format!("+1{area}{rest:09}"))
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
struct Setting {
    call_id: CallId,
    parent_call_id: CallId,
    from: String,
    to: String,
    transfer_to: String,
    tag: Option<String>,
    enqueued_time: Option<DateTime<Utc>>,
    start_time: DateTime<Utc>,
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
    fn callback(
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

    fn disconnect(
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

// ---- whole calls ------------------------------------------------------------------------------------------

/// How one leg of a `<Transfer>` turned out.
///
/// ```
/// use callfold::strategy::Fate;
///
/// assert!(Fate::Won { ring_ms: 5_000, talk_ms: 60_000 }.answered());
/// assert!(!Fate::LostRace.answered());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// It answered first, rang `ring_ms`, and talked `talk_ms`.
    Won {
        /// Start to answer.
        ring_ms: i64,
        /// Answer to end.
        talk_ms: i64,
    },
    /// Another leg answered first: it ends `hangup`, with no `answerTime`, when the winner answers.
    LostRace,
    /// It ended unanswered after `ring_ms` with this cause (busy, timeout, rejected, cancel, or a rare
    /// error).
    Failed {
        /// Start to end.
        ring_ms: i64,
        /// Why.
        cause: Cause,
    },
}

impl Fate {
    /// True for the leg that answered.
    ///
    /// ```
    /// assert!(!callfold::strategy::Fate::Failed { ring_ms: 1, cause: callfold::Cause::Busy }.answered());
    /// ```
    pub fn answered(&self) -> bool {
        matches!(self, Fate::Won { .. })
    }
}

/// One B-leg of a planned `<Transfer>`.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let plan = callfold::strategy::transfer_plan().new_tree(&mut Default::default()).unwrap().current();
/// assert!(plan.legs.iter().all(|leg| leg.transfer_to.starts_with('+')));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegPlan {
    /// The B-leg's id.
    pub call_id: CallId,
    /// The number it dials.
    pub transfer_to: String,
    /// Time in Bandwidth's outbound queue before it was placed, if it was queued.
    pub queued_ms: Option<i64>,
    /// How it turned out.
    pub fate: Fate,
}

/// One planned `<Transfer>`: 1 to 8 legs ringing together; at most one answers.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let plan = callfold::strategy::transfer_plan().new_tree(&mut Default::default()).unwrap().current();
/// assert!((1..=8).contains(&plan.legs.len()));
/// assert!(plan.legs.iter().filter(|leg| leg.fate.answered()).count() <= 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferPlan {
    /// The legs, in the order of the `<PhoneNumber>`s.
    pub legs: Vec<LegPlan>,
    /// After a connected transfer: whether the A-leg hung up first (no `transferComplete` then).
    pub caller_hangs_up: bool,
}

impl TransferPlan {
    /// True when a leg answered.
    ///
    /// ```
    /// # use proptest::strategy::{Strategy, ValueTree};
    /// let plan = callfold::strategy::transfer_plan().new_tree(&mut Default::default()).unwrap().current();
    /// assert_eq!(plan.connected(), plan.legs.iter().any(|leg| leg.fate.answered()));
    /// ```
    pub fn connected(&self) -> bool {
        self.legs.iter().any(|leg| leg.fate.answered())
    }
}

/// One planned call: an inbound A-leg, its `<Transfer>`s one after the other (a new one only after the
/// previous one failed), and its end.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let plan = callfold::strategy::call_plan().new_tree(&mut Default::default()).unwrap().current();
/// let callbacks = plan.callbacks();
/// assert_eq!(callbacks[0].event.name(), "initiate");
/// assert!(callbacks.windows(2).all(|w| w[0].event_time <= w[1].event_time));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPlan {
    /// The A-leg's id.
    pub call_id: CallId,
    /// The caller.
    pub from: String,
    /// The number called.
    pub to: String,
    /// When the call arrived.
    pub start_time: DateTime<Utc>,
    /// Time in the app's own IVR before the first transfer, and between transfers.
    pub pause_ms: i64,
    /// The transfers; only the last may connect.
    pub transfers: Vec<TransferPlan>,
    /// How long the A-leg stays after its last transfer before hanging up, when it is still up.
    pub linger_ms: i64,
}

fn ms(t: i64) -> TimeDelta {
    TimeDelta::milliseconds(t)
}

impl CallPlan {
    /// Every callback Bandwidth sends for the call, by `eventTime`: `initiate`, per transfer
    /// `transferAnswer` (winner), `transferDisconnect` (each leg) and `transferComplete` (when the A-leg is
    /// still up), and the A-leg's `disconnect`.
    ///
    /// ```
    /// # use proptest::strategy::{Strategy, ValueTree};
    /// let plan = callfold::strategy::call_plan().new_tree(&mut Default::default()).unwrap().current();
    /// let disconnects = plan.callbacks().iter().filter(|cb| cb.event.name() == "transferDisconnect").count();
    /// assert_eq!(disconnects, plan.transfers.iter().map(|t| t.legs.len()).sum::<usize>());
    /// ```
    pub fn callbacks(&self) -> Vec<Callback> {
        let mut out = Vec::new();
        let a_leg = |event: Event, at: DateTime<Utc>| Callback {
            event_time: Some(at),
            account_id: Some("9900000".to_owned()),
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
            direction: Some(Direction::Inbound),
            call_url: Some(format!(
                "https://voice.bandwidth.com/api/v2/accounts/9900000/calls/{}",
                self.call_id
            )),
            start_time: Some(self.start_time),
            ..Callback::new(event, self.call_id.clone())
        };
        out.push(a_leg(Event::Initiate, self.start_time + ms(70)));
        let mut now = self.start_time + ms(self.pause_ms);
        let mut caller_gone = None;
        for transfer in &self.transfers {
            let setting = |leg: &LegPlan| Setting {
                call_id: leg.call_id.clone(),
                parent_call_id: self.call_id.clone(),
                from: self.from.clone(),
                to: self.to.clone(),
                transfer_to: leg.transfer_to.clone(),
                tag: None,
                enqueued_time: leg.queued_ms.map(|_| now),
                start_time: now + ms(leg.queued_ms.unwrap_or(0)),
            };
            // The winner's answer cuts the others off.
            let won_at = transfer.legs.iter().find_map(|leg| match leg.fate {
                Fate::Won { ring_ms, .. } => Some(setting(leg).start_time + ms(ring_ms)),
                Fate::LostRace | Fate::Failed { .. } => None,
            });
            let mut last_end = now;
            let mut complete_cause = Cause::Hangup;
            for leg in &transfer.legs {
                let s = setting(leg);
                let (answer, end, cause) = match &leg.fate {
                    Fate::Won { ring_ms, talk_ms } => {
                        let answer = s.start_time + ms(*ring_ms);
                        out.push(s.callback(Event::TransferAnswer, answer + ms(3), Some(answer)));
                        (Some(answer), answer + ms(*talk_ms), Cause::Hangup)
                    }
                    Fate::LostRace => (
                        None,
                        won_at.unwrap_or(s.start_time).max(s.start_time),
                        Cause::Hangup,
                    ),
                    Fate::Failed { ring_ms, cause } => {
                        (None, s.start_time + ms(*ring_ms), cause.clone())
                    }
                };
                out.push(s.disconnect(answer, end, &cause));
                if end >= last_end {
                    last_end = end;
                    if !transfer.connected() {
                        complete_cause = cause;
                    }
                }
            }
            now = last_end;
            if transfer.connected() && transfer.caller_hangs_up {
                caller_gone = Some(last_end);
                break;
            }
            let complete = Callback {
                transfer_to: transfer.legs.last().map(|leg| leg.transfer_to.clone()),
                transfer_caller_id: Some(self.from.clone()),
                ..a_leg(
                    Event::TransferComplete(Ending {
                        cause: Some(complete_cause),
                        ..Ending::default()
                    }),
                    now + ms(50),
                )
            };
            out.push(complete);
            now += ms(50 + self.pause_ms);
        }
        let end = caller_gone.unwrap_or(now + ms(self.linger_ms));
        let ending = Ending {
            end_time: Some(end),
            cause: Some(Cause::Hangup),
            ..Ending::default()
        };
        out.push(a_leg(Event::Disconnect(ending), end + ms(20)));
        out.sort_by_key(|cb| cb.event_time);
        out
    }
}

impl CallPlan {
    /// Makes the last transfer connect (its first leg wins, the others lose the race), if none did.
    fn ensure_connected(&mut self) {
        if let Some(last) = self.transfers.last_mut().filter(|t| !t.connected()) {
            for (i, leg) in last.legs.iter_mut().enumerate() {
                leg.fate = if i == 0 {
                    Fate::Won {
                        ring_ms: 5_000,
                        talk_ms: 60_000,
                    }
                } else {
                    Fate::LostRace
                };
            }
        }
    }
}

/// Ring time of an answered leg: 2 to 25 s.
fn answer_ring_ms() -> impl Strategy<Value = i64> {
    2_000..25_000i64
}

/// Talk time: long-tailed (log-uniform from 5 s to about 2 h, median about 3 min).
fn talk_ms() -> impl Strategy<Value = i64> {
    (0.0..1.0f64).prop_map(|u| {
        #[allow(clippy::cast_possible_truncation)] // below 2^23
        let ms = (5_000.0 * (u * 7.3).exp()) as i64;
        ms
    })
}

/// Why a leg failed, and how long it rang: busy, no answer and rejected most often, rare errors.
fn failure() -> impl Strategy<Value = Fate> {
    let fail = |cause: Cause, ring: std::ops::Range<i64>| {
        ring.prop_map(move |ring_ms| Fate::Failed {
            ring_ms,
            cause: cause.clone(),
        })
    };
    prop_oneof![
        40 => fail(Cause::Busy, 300..3_000),
        35 => fail(Cause::Timeout, 15_000..60_000),
        18 => fail(Cause::Rejected, 1_000..12_000),
        4 => fail(Cause::Cancel, 1_000..20_000),
        1 => fail(Cause::Error, 100..5_000),
        1 => fail(Cause::Unknown, 100..5_000),
        1 => fail(Cause::AccountLimit, 0..100),
    ]
}

fn leg_plan(fate: impl Strategy<Value = Fate>) -> impl Strategy<Value = LegPlan> {
    (
        call_id(),
        phone_number(),
        proptest::option::weighted(0.2, 200..5_000i64),
        fate,
    )
        .prop_map(|(call_id, transfer_to, queued_ms, fate)| LegPlan {
            call_id,
            transfer_to,
            queued_ms,
            fate,
        })
}

/// One `<Transfer>`: 1 to 8 legs (usually one or two). About 70% connect: one leg wins, the others lose
/// the race. The rest fail on every leg.
///
/// ```
/// use callfold::strategy::{Fate, transfer_plan};
/// # use proptest::strategy::{Strategy, ValueTree};
///
/// let plan = transfer_plan().new_tree(&mut Default::default()).unwrap().current();
/// if plan.connected() {
///     assert!(plan.legs.iter().all(|leg| matches!(leg.fate, Fate::Won { .. } | Fate::LostRace)));
/// }
/// ```
pub fn transfer_plan() -> impl Strategy<Value = TransferPlan> {
    // Eight slots and a width, rather than a flat_map on the width: plain tuples shrink reliably (to one
    // unqueued leg), where a flat_map regenerates its inner values as the width shrinks.
    let width = prop_oneof![60 => Just(1usize), 25 => Just(2usize), 15 => 3..=8usize];
    let slot = (leg_plan(failure()), answer_ring_ms(), talk_ms());
    (
        width,
        proptest::bool::weighted(0.7),
        any::<prop::sample::Index>(),
        proptest::bool::weighted(0.3),
        proptest::collection::vec(slot, 8),
    )
        .prop_map(|(width, connected, winner, caller_hangs_up, slots)| {
            let winner = winner.index(width);
            let legs = slots
                .into_iter()
                .take(width)
                .enumerate()
                .map(|(i, (mut leg, ring_ms, talk_ms))| {
                    if connected {
                        leg.fate = if i == winner {
                            Fate::Won { ring_ms, talk_ms }
                        } else {
                            Fate::LostRace
                        };
                    }
                    leg
                })
                .collect();
            TransferPlan {
                legs,
                caller_hangs_up,
            }
        })
}

/// One call: an `initiate`, one to three `<Transfer>`s in sequence (a new one only after the previous one
/// failed), and the A-leg's `disconnect`.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let plan = callfold::strategy::call_plan().new_tree(&mut Default::default()).unwrap().current();
/// let (last, earlier) = plan.transfers.split_last().unwrap();
/// assert!(earlier.iter().all(|t| !t.connected()));
/// # let _ = last;
/// ```
pub fn call_plan() -> impl Strategy<Value = CallPlan> {
    call_plan_at(timestamp())
}

/// [`call_plan`] with the call's arrival drawn from `start`.
///
/// ```
/// use proptest::strategy::{Just, Strategy, ValueTree};
/// let t = callfold::parse_timestamp("2026-11-24T12:00:00Z")?;
/// let plan = callfold::strategy::call_plan_at(Just(t)).new_tree(&mut Default::default()).unwrap().current();
/// assert_eq!(plan.start_time, t);
/// # Ok::<(), callfold::TimestampError>(())
/// ```
pub fn call_plan_at(
    start: impl Strategy<Value = DateTime<Utc>>,
) -> impl Strategy<Value = CallPlan> {
    let transfers = prop_oneof![50 => Just(1usize), 35 => Just(2usize), 15 => Just(3usize)]
        .prop_flat_map(|n| proptest::collection::vec(transfer_plan(), n));
    (
        call_id(),
        phone_number(),
        phone_number(),
        start,
        1_000..20_000i64,
        transfers,
        1_000..60_000i64,
    )
        .prop_map(
            |(call_id, from, to, start_time, pause_ms, mut transfers, linger_ms)| {
                // A transfer that connected ends the sequence.
                if let Some(first_connected) = transfers.iter().position(TransferPlan::connected) {
                    transfers.truncate(first_connected + 1);
                }
                CallPlan {
                    call_id,
                    from,
                    to,
                    start_time,
                    pause_ms,
                    transfers,
                    linger_ms,
                }
            },
        )
}

// ---- faults -----------------------------------------------------------------------------------------------

/// A fault to put into a call on purpose.
///
/// ```
/// assert_eq!(callfold::strategy::Fault::ALL.len(), 7);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// A leg's times out of order (`answered-before-start`, or `ended-before-start` without an answer).
    TimeOrder,
    /// An answered leg whose cause says it never was (`answered-despite-cause`).
    AnsweredDespiteCause,
    /// A redelivered `transferDisconnect` with another `endTime` (a conflict on `endTime`).
    ConflictingRedelivery,
    /// A line cut short: not JSON (the line is rejected).
    MalformedLine,
    /// A cause no list names (kept verbatim; an unanswered leg's outcome is `failed`).
    UnknownCause,
    /// A B-leg callback of an event type no list names (read, and no leg changes state for it).
    UnknownEventType,
    /// The winner's `transferDisconnect` never arrives (the leg is stale once the log moves on).
    DroppedDisconnect,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 7] = [
        Fault::TimeOrder,
        Fault::AnsweredDespiteCause,
        Fault::ConflictingRedelivery,
        Fault::MalformedLine,
        Fault::UnknownCause,
        Fault::UnknownEventType,
        Fault::DroppedDisconnect,
    ];
}

/// What callfold must report for a fault.
///
/// ```
/// use callfold::strategy::Report;
///
/// let report = Report::Violation { leg: "c-b".parse()?, code: "answered-before-start" };
/// assert!(matches!(report, Report::Violation { code: "answered-before-start", .. }));
/// # Ok::<(), callfold::EmptyCallId>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The leg has this violation code.
    Violation {
        /// The leg.
        leg: CallId,
        /// The code.
        code: &'static str,
    },
    /// The leg has a conflict on this field.
    Conflict {
        /// The leg.
        leg: CallId,
        /// The field.
        field: &'static str,
    },
    /// The line at this index of [`FaultyCall::lines`] is rejected.
    RejectedLine {
        /// 0-based index in the call's lines.
        index: usize,
    },
    /// The leg keeps this unknown cause verbatim and has this outcome.
    UnknownCause {
        /// The leg.
        leg: CallId,
        /// The cause.
        cause: String,
        /// Its outcome.
        outcome: Outcome,
    },
    /// The line is read as a callback of this unknown event type, and no violation or conflict follows.
    Accepted {
        /// The event type.
        event_type: String,
    },
    /// The leg has not ended; it is stale once the log's time passes `after`.
    Stale {
        /// The leg.
        leg: CallId,
        /// Its last known time plus the default staleness (330 s).
        after: DateTime<Utc>,
    },
}

/// A call with one fault in it, as JSON lines, and the report callfold must give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultyCall {
    /// The call as planned, before the fault.
    pub plan: CallPlan,
    /// The fault.
    pub fault: Fault,
    /// The call's callbacks, one JSON body per line, the fault included.
    pub lines: Vec<String>,
    /// What callfold must say about it.
    pub report: Report,
}

/// A call with the given fault.
///
/// ```
/// use callfold::strategy::{Fault, Report, faulty_call};
/// use callfold::{History, LogReader};
/// # use proptest::strategy::{Strategy, ValueTree};
///
/// let faulty = faulty_call(Fault::ConflictingRedelivery).new_tree(&mut Default::default()).unwrap().current();
/// let mut history = History::new();
/// for line in &faulty.lines {
///     history.apply(&line.parse()?);
/// }
/// let Report::Conflict { leg, field } = &faulty.report else { unreachable!() };
/// let leg = history.legs().find(|l| l.call_id() == leg).unwrap();
/// assert_eq!(leg.conflicts()[0].field(), *field);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
pub fn faulty_call(fault: Fault) -> impl Strategy<Value = FaultyCall> {
    (call_plan(), any::<prop::sample::Index>()).prop_map(move |(mut plan, pick)| {
        if fault == Fault::DroppedDisconnect {
            // The dropped leg must be known by another callback: the winner's transferAnswer.
            plan.ensure_connected();
        }
        let (lines, report) = fault.apply(&plan, plan.callbacks(), pick.index(usize::MAX));
        FaultyCall {
            plan,
            fault,
            lines,
            report,
        }
    })
}

impl Fault {
    /// Puts the fault into a call's callbacks and says what callfold must report; `pick` chooses among
    /// the places the fault could go.
    ///
    /// ```
    /// use callfold::strategy::{Fault, Report, call_plan};
    /// # use proptest::strategy::{Strategy, ValueTree};
    ///
    /// let plan = call_plan().new_tree(&mut Default::default()).unwrap().current();
    /// let (lines, report) = Fault::MalformedLine.apply(&plan, plan.callbacks(), 3);
    /// let Report::RejectedLine { index } = report else { unreachable!() };
    /// assert!(lines[index].parse::<callfold::Callback>().is_err());
    /// ```
    pub fn apply(
        self,
        plan: &CallPlan,
        mut callbacks: Vec<Callback>,
        pick: usize,
    ) -> (Vec<String>, Report) {
        let legs: Vec<&LegPlan> = plan.transfers.iter().flat_map(|t| &t.legs).collect();
        let winner = legs
            .iter()
            .find(|leg| leg.fate.answered())
            .map(|leg| leg.call_id.clone());
        let some_leg = legs
            .get(pick % legs.len().max(1))
            .map(|leg| leg.call_id.clone());
        let disconnect_of = |callbacks: &[Callback], id: &CallId| {
            callbacks.iter().position(|cb| {
                cb.call_id == *id && matches!(cb.event, Event::TransferDisconnect(_))
            })
        };
        let lines =
            |callbacks: &[Callback]| callbacks.iter().map(Callback::to_json).collect::<Vec<_>>();
        let Some(leg) = some_leg else {
            return (
                lines(&callbacks),
                Report::Accepted {
                    event_type: "none".into(),
                },
            );
        };
        match self {
            Fault::TimeOrder => {
                let target = winner.unwrap_or(leg);
                let mut report = Report::Violation {
                    leg: target.clone(),
                    code: "ended-before-start",
                };
                for cb in callbacks.iter_mut().filter(|cb| cb.call_id == target) {
                    let start = cb.start_time.unwrap_or_default();
                    if cb.answer_time.is_some() {
                        cb.answer_time = Some(start - ms(1_000));
                        report = Report::Violation {
                            leg: target.clone(),
                            code: "answered-before-start",
                        };
                    } else if let Event::TransferDisconnect(ending) = &mut cb.event {
                        ending.end_time = Some(start - ms(1_000));
                    }
                }
                (lines(&callbacks), report)
            }
            Fault::AnsweredDespiteCause => {
                if let Some(i) = disconnect_of(&callbacks, &leg) {
                    let cb = &mut callbacks[i];
                    let start = cb.start_time.unwrap_or_default();
                    cb.answer_time = cb.answer_time.or(Some(start));
                    if let Event::TransferDisconnect(ending) = &mut cb.event {
                        ending.cause = Some(Cause::Busy);
                        ending.end_time = ending.end_time.max(cb.answer_time);
                    }
                }
                (
                    lines(&callbacks),
                    Report::Violation {
                        leg,
                        code: "answered-despite-cause",
                    },
                )
            }
            Fault::ConflictingRedelivery => {
                if let Some(i) = disconnect_of(&callbacks, &leg) {
                    let mut again = callbacks[i].clone();
                    if let Event::TransferDisconnect(ending) = &mut again.event {
                        ending.end_time = ending.end_time.map(|t| t + ms(1_500));
                    }
                    again.event_time = again.event_time.map(|t| t + ms(2_000));
                    callbacks.push(again);
                }
                (
                    lines(&callbacks),
                    Report::Conflict {
                        leg,
                        field: "endTime",
                    },
                )
            }
            Fault::MalformedLine => {
                let index = pick % callbacks.len();
                let mut lines = lines(&callbacks);
                lines[index].pop();
                (lines, Report::RejectedLine { index })
            }
            Fault::UnknownCause => {
                let cause = "carrier-glitch".to_owned();
                let mut outcome = Outcome::Failed;
                if let Some(i) = disconnect_of(&callbacks, &leg) {
                    let cb = &mut callbacks[i];
                    if cb.answer_time.is_some() {
                        outcome = Outcome::Answered;
                    }
                    if let Event::TransferDisconnect(ending) = &mut cb.event {
                        ending.cause = Some(Cause::from(cause.as_str()));
                    }
                }
                (
                    lines(&callbacks),
                    Report::UnknownCause {
                        leg,
                        cause,
                        outcome,
                    },
                )
            }
            Fault::UnknownEventType => {
                let event_type = "transferRinging".to_owned();
                let base = callbacks.iter().find(|cb| cb.call_id == leg).cloned();
                if let Some(base) = base {
                    let odd = Callback {
                        event: Event::Other {
                            event_type: event_type.clone(),
                            ending: Ending::default(),
                        },
                        answer_time: None,
                        ..base
                    };
                    callbacks.push(odd);
                }
                (lines(&callbacks), Report::Accepted { event_type })
            }
            Fault::DroppedDisconnect => {
                // The winner, if any: it is known through its transferAnswer. A leg known only by its
                // transferDisconnect would vanish with it.
                let target = winner.unwrap_or(leg);
                let last_known = callbacks
                    .iter()
                    .filter(|cb| {
                        cb.call_id == target && !matches!(cb.event, Event::TransferDisconnect(_))
                    })
                    .filter_map(|cb| cb.answer_time.or(cb.start_time))
                    .max();
                if let Some(i) = disconnect_of(&callbacks, &target) {
                    callbacks.remove(i);
                }
                let after = last_known.unwrap_or_default() + TimeDelta::seconds(330);
                (lines(&callbacks), Report::Stale { leg: target, after })
            }
        }
    }
}

// ---- logs -------------------------------------------------------------------------------------------------

/// A log of many calls, as Bandwidth delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// The calls, in order of arrival.
    pub plans: Vec<CallPlan>,
    /// Their callbacks, one JSON body per line: interleaved in time, reordered within a window of 8
    /// lines, 1% redelivered, and on one line in ten, absent fields written as `null` or `""` and
    /// timestamps with an offset or 6 fraction digits.
    pub lines: Vec<String>,
}

/// A log of `calls` calls arriving up to 30 s apart, delivered the way Bandwidth delivers: the same
/// model and delivery as `callfold generate`.
///
/// ```
/// use callfold::{History, HistoryOptions};
/// use callfold::strategy::log;
/// use proptest::prelude::*;
/// use proptest::test_runner::TestRunner;
///
/// TestRunner::default().run(&log(1..10), |log| {
///     let mut history = History::new();
///     for line in &log.lines {
///         history.apply(&line.parse().unwrap());
///     }
///     // Reordering and redelivery change nothing: one record per planned call.
///     prop_assert_eq!(history.calls(&HistoryOptions::default()).len(), log.plans.len());
///     Ok(())
/// }).unwrap();
/// ```
pub fn log(calls: impl Into<proptest::collection::SizeRange>) -> impl Strategy<Value = Log> {
    let call = (call_plan_at(Just(DateTime::UNIX_EPOCH)), 0..30_000i64);
    (
        proptest::collection::vec(call, calls),
        timestamp(),
        any::<[u8; 32]>(),
    )
        .prop_map(|(calls, start, seed)| {
            let mut delivery = crate::generate::Delivery::new(true, seed);
            let mut out = Vec::new();
            let mut arrival = start;
            let mut plans = Vec::with_capacity(calls.len());
            for (mut plan, gap_ms) in calls {
                arrival += ms(gap_ms);
                plan.start_time = arrival;
                let lines = plan
                    .callbacks()
                    .iter()
                    .map(|cb| (cb.event_time, delivery.render(cb)))
                    .collect();
                // Writing to a Vec cannot fail.
                let _ = delivery.add(arrival, lines, &mut out);
                plans.push(plan);
            }
            let _ = delivery.finish(&mut out);
            let lines = String::from_utf8_lossy(&out)
                .lines()
                .map(str::to_owned)
                .collect();
            Log { plans, lines }
        })
}
