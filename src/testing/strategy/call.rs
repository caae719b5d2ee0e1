//! Whole calls: `<Transfer>`s of several legs, and the A-leg's own callbacks.

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::leg::Setting;
use super::{call_id, ms, phone_number, timestamp};
use crate::decode::{CallId, Callback, Cause, Direction, Ending, Event};

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
    pub(super) fn ensure_connected(&mut self) {
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
