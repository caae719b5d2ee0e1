//! Faults: one fact of a valid call changed, and what callfold must report for it.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

use super::call::{CallPlan, LegPlan, call_plan};
use super::ms;
use crate::decode::{CallId, Callback, Cause, Ending, Event};
use crate::fold::Outcome;

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
    /// The winner's `transferDisconnect` never arrives: the leg is stale once its call has ended for
    /// long enough, or, when the A-leg's `transferComplete` and `disconnect` are lost too (every other
    /// time), once it has talked for longer than the longest call.
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
        /// When the default rule makes it stale: an answered leg 330 s after its call ended (its
        /// `transferComplete` or its A-leg's `disconnect`), or 4 h after it answered without either; a
        /// leg that never answered 330 s after its last known time.
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
                let known = |cb: &&Callback| {
                    cb.call_id == target && !matches!(cb.event, Event::TransferDisconnect(_))
                };
                let last_known = callbacks
                    .iter()
                    .filter(known)
                    .filter_map(|cb| cb.answer_time.or(cb.start_time))
                    .max()
                    .unwrap_or_default();
                let answered = callbacks.iter().filter(known).find_map(|cb| cb.answer_time);
                if let Some(i) = disconnect_of(&callbacks, &target) {
                    callbacks.remove(i);
                }
                // Every other time, an answered leg's call also loses the A-leg's callbacks that tell
                // it ended, so that only the longest call can tell the leg is stale.
                if answered.is_some() && pick % 2 == 1 {
                    callbacks.retain(|cb| {
                        cb.call_id != plan.call_id
                            || !matches!(
                                cb.event,
                                Event::Disconnect(_) | Event::TransferComplete(_)
                            )
                    });
                }
                // The call's end, as the A-leg's callbacks tell it: its disconnect, or a
                // transferComplete after the leg answered.
                let call_ended = |answered: DateTime<Utc>| {
                    callbacks
                        .iter()
                        .filter(|cb| cb.call_id == plan.call_id)
                        .filter_map(|cb| match &cb.event {
                            Event::Disconnect(ending) => ending.end_time,
                            Event::TransferComplete(_) => cb.event_time.filter(|t| *t >= answered),
                            _ => None,
                        })
                        .min()
                };
                let after = match answered {
                    Some(answered) => call_ended(answered)
                        .map_or(answered + TimeDelta::hours(4), |ended| {
                            ended + TimeDelta::seconds(330)
                        }),
                    None => last_known + TimeDelta::seconds(330),
                };
                (lines(&callbacks), Report::Stale { leg: target, after })
            }
        }
    }
}
