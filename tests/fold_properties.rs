//! Property tests of the fold: valid histories keep every invariant, order and redelivery change
//! nothing, and each single-fact mutation is reported with the right code.

use callfold::strategy::{LegHistory, answered_leg, ended_leg, leg_history, unanswered_leg};
use callfold::{Callback, Cause, Event, Leg, Outcome, State, Tracker, Update};
use chrono::TimeDelta;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/fold_properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

fn fold<'a>(callbacks: impl IntoIterator<Item = &'a Callback>) -> Leg {
    let mut callbacks = callbacks.into_iter().peekable();
    let id = callbacks
        .peek()
        .map(|cb| cb.call_id.clone())
        .expect("a history has callbacks");
    let mut leg = Leg::new(id);
    for callback in callbacks {
        leg.apply(callback)
            .expect("every callback of a history belongs to its leg");
    }
    leg
}

fn codes(leg: &Leg) -> Vec<&'static str> {
    leg.violations()
        .iter()
        .map(callfold::Violation::code)
        .collect()
}

/// A history with its callbacks in another order.
fn shuffled(
    strategy: impl Strategy<Value = LegHistory>,
) -> impl Strategy<Value = (LegHistory, Vec<Callback>)> {
    strategy.prop_flat_map(|h| {
        let callbacks = Just(h.callbacks.clone()).prop_shuffle();
        (Just(h), callbacks)
    })
}

/// A valid history plus one redelivery that changed one fact: what a confused or hostile sender does.
fn disagreeing() -> impl Strategy<Value = LegHistory> {
    (
        leg_history(),
        any::<prop::sample::Index>(),
        0..7usize,
        1..100_000i64,
    )
        .prop_map(|(mut h, pick, fact, ms)| {
            let mut copy = h.callbacks[pick.index(h.callbacks.len())].clone();
            let shift = |t: Option<chrono::DateTime<chrono::Utc>>| {
                Some(t.unwrap_or(h.start_time) + TimeDelta::milliseconds(ms))
            };
            match fact {
                0 => copy.start_time = shift(copy.start_time),
                1 => copy.answer_time = shift(copy.answer_time),
                2 => copy.enqueued_time = shift(copy.enqueued_time),
                3 => copy.transfer_to = Some(format!("+1555{ms:07}")),
                4 => copy.parent_call_id = Some(format!("c-other-{ms}").parse().unwrap()),
                5 => copy.direction = Some(callfold::Direction::Inbound),
                _ => match &mut copy.event {
                    Event::TransferDisconnect(ending) => {
                        ending.end_time = shift(ending.end_time);
                        ending.cause = Some(Cause::from(format!("cause-{ms}").as_str()));
                        copy.tag = Some(format!("tag-{ms}"));
                    }
                    _ => copy.tag = Some(format!("tag-{ms}")),
                },
            }
            h.callbacks.push(copy);
            h
        })
}

/// Any history, valid or with one disagreeing redelivery.
fn any_history() -> impl Strategy<Value = LegHistory> {
    prop_oneof![leg_history(), disagreeing()]
}

/// Sets `answerTime` on every callback that carries it.
fn set_answer_time(history: &mut LegHistory, answer: chrono::DateTime<chrono::Utc>) {
    history.answer_time = Some(answer);
    for cb in &mut history.callbacks {
        cb.answer_time = Some(answer);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_histories_keep_every_invariant(history in leg_history()) {
        let leg = fold(&history.callbacks);
        prop_assert!(leg.violations().is_empty(), "{:?}", leg.violations());
        prop_assert!(leg.conflicts().is_empty(), "{:?}", leg.conflicts());
        prop_assert_eq!(leg.state(), history.state());
        prop_assert_eq!(leg.outcome(), history.outcome());
        prop_assert_eq!(leg.enqueued_time(), history.enqueued_time);
        prop_assert_eq!(leg.start_time(), Some(history.start_time));
        prop_assert_eq!(leg.answer_time(), history.answer_time);
        prop_assert_eq!(leg.end_time(), history.end_time);
        prop_assert_eq!(leg.cause(), history.cause.as_ref());
        prop_assert_eq!(leg.parent_call_id(), Some(&history.parent_call_id));
        prop_assert_eq!(leg.events() as usize, history.callbacks.len());
        prop_assert_eq!(leg.duplicates(), 0);
        // Durations are never negative on valid data, and follow their definitions.
        for ms in [leg.queue_ms(), leg.ring_ms(), leg.talk_ms()].into_iter().flatten() {
            prop_assert!(ms >= 0);
        }
        let ms = |a: Option<chrono::DateTime<chrono::Utc>>, b: Option<chrono::DateTime<chrono::Utc>>| {
            Some((b? - a?).num_milliseconds())
        };
        let ring_end = if history.answer_time.is_some() { history.answer_time } else { history.end_time };
        prop_assert_eq!(leg.ring_ms(), ms(Some(history.start_time), ring_end));
        prop_assert_eq!(leg.talk_ms(), ms(history.answer_time, history.end_time));
        prop_assert_eq!(leg.queue_ms(), ms(history.enqueued_time, Some(history.start_time)));
    }

    #[test]
    fn any_permutation_folds_to_the_same_leg((history, callbacks) in shuffled(any_history())) {
        let in_order = fold(&history.callbacks);
        let permuted = fold(&callbacks);
        prop_assert_eq!(serde_json::to_string(&permuted).unwrap(), serde_json::to_string(&in_order).unwrap());
        prop_assert_eq!(permuted, in_order);
    }

    #[test]
    fn redeliveries_change_nothing_but_the_duplicate_count(
        (history, picks, order) in leg_history().prop_flat_map(|h| {
            let n = h.callbacks.len();
            let picks = proptest::collection::vec((0..n, 0..5_000i64), 1..6);
            (Just(h), picks, any::<prop::sample::Index>())
        })
    ) {
        let once = fold(&history.callbacks);
        let mut delivered = history.callbacks.clone();
        for (i, later_ms) in &picks {
            // A retry may be stamped anew, and may render absent fields as null: neither makes it new.
            let mut again = history.callbacks[*i].clone();
            again.event_time = again.event_time.map(|t| t + TimeDelta::milliseconds(*later_ms));
            delivered.push(again.to_json().parse().unwrap());
        }
        let rotate = order.index(delivered.len());
        delivered.rotate_left(rotate);
        let twice = fold(&delivered);
        prop_assert_eq!(twice.duplicates() as usize, picks.len());
        prop_assert_eq!(twice.events(), once.events());
        prop_assert_eq!(twice.state(), once.state());
        prop_assert_eq!(twice.outcome(), once.outcome());
        prop_assert_eq!(twice.conflicts(), once.conflicts());
        prop_assert_eq!(twice.violations(), once.violations());
        let mut record: serde_json::Value = serde_json::to_value(&twice).unwrap();
        record["duplicates"] = 0.into();
        prop_assert_eq!(record, serde_json::to_value(&once).unwrap());
    }

    #[test]
    fn answer_before_start_is_reported(mut history in answered_leg(), early_ms in 1..60_000i64) {
        let answer = history.start_time - TimeDelta::milliseconds(early_ms);
        set_answer_time(&mut history, answer);
        let leg = fold(&history.callbacks);
        prop_assert_eq!(codes(&leg), ["answered-before-start"]);
        prop_assert!(leg.conflicts().is_empty());
        prop_assert_eq!(leg.ring_ms(), Some(-early_ms));
    }

    #[test]
    fn answer_time_on_a_busy_leg_is_reported(mut history in unanswered_leg(), permille in 0..=1_000i64) {
        let end = history.end_time.unwrap();
        let ring = (end - history.start_time).num_milliseconds();
        let answer = history.start_time + TimeDelta::milliseconds(ring * permille / 1_000);
        let Event::TransferDisconnect(ending) = &mut history.callbacks[0].event else { unreachable!() };
        ending.cause = Some(Cause::Busy);
        history.cause = Some(Cause::Busy);
        set_answer_time(&mut history, answer);
        let leg = fold(&history.callbacks);
        prop_assert_eq!(codes(&leg), ["answered-despite-cause"]);
        // The answer is a fact of the payload: the outcome says so, whatever the cause.
        prop_assert_eq!(leg.outcome(), Some(Outcome::Answered));
    }

    #[test]
    fn a_second_end_time_that_differs_is_a_conflict((history, later_ms, order) in (ended_leg(), 1..10_000i64, any::<prop::sample::Index>())) {
        let mut callbacks = history.callbacks.clone();
        let mut second = callbacks.last().unwrap().clone();
        let Event::TransferDisconnect(ending) = &mut second.event else { unreachable!() };
        let end = history.end_time.unwrap();
        ending.end_time = Some(end + TimeDelta::milliseconds(later_ms));
        callbacks.insert(order.index(callbacks.len() + 1), second);

        let leg = fold(&callbacks);
        let conflicts = leg.conflicts();
        prop_assert_eq!(conflicts.len(), 1);
        prop_assert_eq!(conflicts[0].field(), "endTime");
        prop_assert_eq!(conflicts[0].values().len(), 2);
        prop_assert_eq!(conflicts[0].kept(), callfold::format_timestamp(&end));
        prop_assert_eq!(leg.end_time(), Some(end));
        prop_assert!(leg.violations().is_empty());
        prop_assert_eq!(leg.duplicates(), 0);
        // The same conflict, whatever the order.
        callbacks.reverse();
        prop_assert_eq!(fold(&callbacks), leg);
    }

    #[test]
    fn the_tracker_never_moves_a_leg_backwards((history, callbacks) in shuffled(any_history())) {
        let mut tracker = Tracker::new();
        let (mut conflicts, mut violations) = (Vec::new(), Vec::new());
        for callback in &callbacks {
            let Update::Leg(change) = tracker.apply(callback) else { panic!("a leg callback") };
            if let Some(previous) = change.previous {
                prop_assert!(previous <= change.state, "{previous:?} -> {:?}", change.state);
            }
            conflicts.extend(change.conflicts);
            violations.extend(change.violations);
        }
        let leg = tracker.leg(history.call_id.as_str()).unwrap();
        prop_assert_eq!(leg, &fold(&history.callbacks));
        prop_assert!(tracker.legs_of(history.parent_call_id.as_str()).len() == 1);
        // The live API told about every conflict and violation the leg ends with.
        for conflict in leg.conflicts() {
            prop_assert!(conflicts.iter().any(|c| c.field() == conflict.field()), "{conflict} not reported");
        }
        for violation in leg.violations() {
            prop_assert!(violations.iter().any(|v| v.code() == violation.code()), "{violation} not reported");
        }
        if history.state() == State::Ended {
            prop_assert_eq!(leg.state(), State::Ended);
        }
    }

    #[test]
    fn callbacks_survive_a_json_round_trip(history in leg_history()) {
        for callback in &history.callbacks {
            prop_assert_eq!(&callback.to_json().parse::<Callback>().unwrap(), callback);
        }
    }
}
