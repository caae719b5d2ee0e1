//! The embedded API: what a call-control app sees as bodies arrive.

use callfold::{State, Tracker, Update, parse_timestamp};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

fn at(text: &str) -> DateTime<Utc> {
    parse_timestamp(text).unwrap()
}

fn leg_update(update: Update) -> callfold::LegUpdate {
    match update {
        Update::Leg(change) => change,
        other => panic!("expected a leg update, got {other:?}"),
    }
}

const ANSWER: &str = r#"{"eventType":"transferAnswer","callId":"c-b1","parentCallId":"c-a","direction":"outbound",
    "startTime":"2026-11-23T14:00:02Z","answerTime":"2026-11-23T14:00:07Z"}"#;
const HANGUP: &str = r#"{"eventType":"transferDisconnect","callId":"c-b1","parentCallId":"c-a","direction":"outbound",
    "startTime":"2026-11-23T14:00:02Z","answerTime":"2026-11-23T14:00:07Z","endTime":"2026-11-23T14:01:00Z","cause":"hangup"}"#;
const LOSER: &str = r#"{"eventType":"transferDisconnect","callId":"c-b2","parentCallId":"c-a","direction":"outbound",
    "startTime":"2026-11-23T14:00:02Z","endTime":"2026-11-23T14:00:07Z","cause":"hangup"}"#;

#[test]
fn each_update_says_what_changed() {
    let now = at("2026-11-23T14:00:08Z");
    let mut tracker = Tracker::new();

    let change = leg_update(tracker.feed_at(ANSWER.as_bytes(), now).unwrap());
    assert_eq!(
        (change.previous, change.state, change.duplicate),
        (None, State::Answered, false)
    );
    assert!(change.state_changed());

    let change = leg_update(tracker.feed_at(ANSWER.as_bytes(), now).unwrap());
    assert_eq!(
        (change.previous, change.state, change.duplicate),
        (Some(State::Answered), State::Answered, true)
    );
    assert!(!change.state_changed());

    let change = leg_update(tracker.feed_at(HANGUP.as_bytes(), now).unwrap());
    assert_eq!(
        (change.previous, change.state),
        (Some(State::Answered), State::Ended)
    );
    assert!(change.conflicts.is_empty() && change.violations.is_empty());
}

#[test]
fn a_conflict_is_told_when_it_appears_and_when_it_widens_only() {
    let now = at("2026-11-23T14:02:00Z");
    let mut tracker = Tracker::new();
    tracker.feed_at(HANGUP.as_bytes(), now).unwrap();
    let later = HANGUP.replace("14:01:00Z", "14:01:01Z");
    let change = leg_update(tracker.feed_at(later.as_bytes(), now).unwrap());
    assert_eq!(change.conflicts.len(), 1);
    assert_eq!(
        change.conflicts[0].to_string(),
        r#"endTime: "2026-11-23T14:01:00Z" vs "2026-11-23T14:01:01Z" (kept "2026-11-23T14:01:00Z")"#
    );
    // Nothing new: not told again.
    let change = leg_update(tracker.feed_at(ANSWER.as_bytes(), now).unwrap());
    assert!(change.conflicts.is_empty());
    // A third value widens the conflict: told again, with all three.
    let third = HANGUP.replace("14:01:00Z", "14:01:02Z");
    let change = leg_update(tracker.feed_at(third.as_bytes(), now).unwrap());
    assert_eq!(change.conflicts[0].values().len(), 3);
}

#[test]
fn a_violation_is_told_by_the_callback_that_reveals_it() {
    let now = at("2026-11-23T14:02:00Z");
    let mut tracker = Tracker::new();
    let busy = r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy","endTime":"2026-11-23T14:00:09Z"}"#;
    let change = leg_update(tracker.feed_at(busy.as_bytes(), now).unwrap());
    assert!(change.violations.is_empty());
    let answer =
        r#"{"eventType":"transferAnswer","callId":"c-b","answerTime":"2026-11-23T14:00:05Z"}"#;
    let change = leg_update(tracker.feed_at(answer.as_bytes(), now).unwrap());
    let codes: Vec<_> = change
        .violations
        .iter()
        .map(callfold::Violation::code)
        .collect();
    assert_eq!(codes, ["answered-despite-cause"]);
    assert_eq!(
        change.state,
        State::Ended,
        "a late answer only fills in facts"
    );
}

#[test]
fn a_leg_callback_and_others() {
    let mut tracker = Tracker::new();
    let complete = r#"{"eventType":"transferComplete","callId":"c-a","cause":"hangup"}"#;
    assert!(matches!(
        tracker.feed(complete.as_bytes()).unwrap(),
        Update::Call { .. }
    ));
    let initiate = r#"{"eventType":"initiate","callId":"c-a","direction":"inbound"}"#;
    assert!(matches!(
        tracker.feed(initiate.as_bytes()).unwrap(),
        Update::Call { .. }
    ));
    let gather = r#"{"eventType":"gather","callId":"c-b","parentCallId":"c-a","startTime":"2026-11-23T14:00:02Z"}"#;
    let change = leg_update(tracker.feed(gather.as_bytes()).unwrap());
    assert_eq!(
        change.state,
        State::Ringing,
        "an unknown B-leg event gives its times, not an answer"
    );
    assert!(tracker.feed(b"{").is_err());
    assert_eq!(tracker.len(), 1);
}

#[test]
fn legs_are_found_by_call_id_and_by_parent() {
    let mut tracker = Tracker::new();
    for body in [LOSER, ANSWER, HANGUP] {
        tracker.feed(body.as_bytes()).unwrap();
    }
    assert_eq!(tracker.leg("c-b1").unwrap().state(), State::Ended);
    let ids: Vec<_> = tracker
        .legs_of("c-a")
        .iter()
        .map(|l| l.call_id().as_str())
        .collect();
    assert_eq!(ids, ["c-b1", "c-b2"]);
    assert!(tracker.legs_of("c-unknown").is_empty());
    assert_eq!(tracker.legs().count(), 2);
}

#[test]
fn ended_legs_are_evicted_after_the_retention_and_open_ones_never() {
    let t0 = at("2026-11-23T14:00:00Z");
    let mut tracker = Tracker::new().with_retention(TimeDelta::minutes(5));
    tracker.feed_at(ANSWER.as_bytes(), t0).unwrap(); // c-b1 open
    tracker.feed_at(LOSER.as_bytes(), t0).unwrap(); // c-b2 ended at t0
    tracker
        .feed_at(HANGUP.as_bytes(), t0 + TimeDelta::minutes(2))
        .unwrap(); // c-b1 ended at t0+2

    assert_eq!(tracker.evict(t0 + TimeDelta::seconds(299)), 0);
    assert_eq!(tracker.evict(t0 + TimeDelta::minutes(5)), 1);
    assert!(tracker.leg("c-b2").is_none());
    assert_eq!(tracker.legs_of("c-a").len(), 1);
    // Feeding evicts too.
    let other = r#"{"eventType":"transferAnswer","callId":"c-x","parentCallId":"c-y"}"#;
    tracker
        .feed_at(other.as_bytes(), t0 + TimeDelta::minutes(7))
        .unwrap();
    assert!(tracker.leg("c-b1").is_none());
    assert!(tracker.legs_of("c-a").is_empty());
    // c-x never ended: it stays, however late.
    assert_eq!(tracker.evict(t0 + TimeDelta::days(365)), 0);
    assert!(tracker.leg("c-x").is_some());
}

#[test]
fn a_leg_started_anew_after_eviction_keeps_its_own_retention() {
    let t0 = at("2026-11-23T14:00:00Z");
    let mut tracker = Tracker::new().with_retention(TimeDelta::minutes(5));
    tracker.feed_at(LOSER.as_bytes(), t0).unwrap();
    assert_eq!(tracker.evict(t0 + TimeDelta::minutes(5)), 1);
    // A late redelivery starts the leg again; it ends at t0+6.
    tracker
        .feed_at(LOSER.as_bytes(), t0 + TimeDelta::minutes(6))
        .unwrap();
    assert_eq!(tracker.evict(t0 + TimeDelta::minutes(10)), 0);
    assert_eq!(tracker.evict(t0 + TimeDelta::minutes(11)), 1);
}

#[test]
fn without_retention_nothing_is_evicted() {
    let mut tracker = Tracker::new();
    tracker
        .feed_at(LOSER.as_bytes(), at("2000-01-01T00:00:00Z"))
        .unwrap();
    assert_eq!(tracker.evict(at("9999-01-01T00:00:00Z")), 0);
    assert_eq!(tracker.len(), 1);
}

#[test]
fn a_flood_of_a_million_distinct_legs_stays_within_the_bound() {
    let max = 10_000;
    let mut tracker = Tracker::new()
        .with_max_legs(max)
        .with_retention(TimeDelta::minutes(5));
    let now = at("2026-11-23T14:00:00Z");
    let (mut refused, mut taken) = (0, 0);
    for i in 0..1_000_000u32 {
        // Open legs only: nothing may be evicted, so all beyond the bound are refused.
        let mut callback = callfold::Callback::new(
            callfold::Event::TransferAnswer,
            format!("c-flood-{i}").parse().unwrap(),
        );
        callback.parent_call_id = Some(format!("c-parent-{}", i % 1_000).parse().unwrap());
        match tracker.apply_at(&callback, now) {
            Update::Refused { max_legs, .. } => {
                assert_eq!(max_legs, max);
                refused += 1;
            }
            Update::Leg(_) => taken += 1,
            other => panic!("{other:?}"),
        }
        assert!(tracker.len() <= max);
    }
    assert_eq!((taken, refused), (max, 1_000_000 - max));
    // The first legs are still there, untouched by the flood.
    assert!(tracker.leg("c-flood-0").is_some());
    assert_eq!(tracker.legs_of("c-parent-0").len(), max / 1_000);
}

#[test]
fn at_the_bound_the_leg_that_ended_first_makes_room() {
    let mut tracker = Tracker::new().with_max_legs(3);
    let now = at("2026-11-23T14:00:00Z");
    for i in 0..10 {
        let ended = format!(
            r#"{{"eventType":"transferDisconnect","callId":"c-{i}","parentCallId":"c-a","cause":"hangup"}}"#
        );
        assert!(matches!(
            tracker.feed_at(ended.as_bytes(), now).unwrap(),
            Update::Leg(_)
        ));
        assert!(tracker.len() <= 3);
    }
    let ids: Vec<_> = tracker
        .legs_of("c-a")
        .iter()
        .map(|l| l.call_id().to_string())
        .collect();
    assert_eq!(ids, ["c-7", "c-8", "c-9"]);
}

/// The bodies of leg `i`: one naming parent `first`, and, when `second` is set, one naming that parent
/// too (a leg whose callbacks disagree about their parent is indexed under both).
fn leg_bodies(i: usize, first: u8, second: Option<u8>) -> Vec<String> {
    std::iter::once(first)
        .chain(second)
        .map(|parent| {
            format!(
                r#"{{"eventType":"transferAnswer","callId":"c-{i}","parentCallId":"c-a{parent}"}}"#
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "proptest-regressions/tracker.txt",
        ))),
        ..ProptestConfig::default()
    })]

    /// Removing legs, in any order, leaves the tracker as if their callbacks had never come: every other
    /// leg is found by its id and under each parent it named, as it was.
    #[test]
    fn removing_legs_leaves_the_others_as_they_were(
        (legs, order) in prop::collection::vec((0..4u8, prop::option::of(0..4u8)), 1..40)
            .prop_flat_map(|legs| {
                let order = Just((0..legs.len()).collect::<Vec<_>>()).prop_shuffle();
                (Just(legs), order)
            }),
        kept in 0..40usize,
    ) {
        let now = at("2026-11-23T14:00:00Z");
        let feed = |tracker: &mut Tracker, i: usize| {
            let (first, second) = legs[i];
            for body in leg_bodies(i, first, second) {
                tracker.feed_at(body.as_bytes(), now).unwrap();
            }
        };
        let mut tracker = Tracker::new();
        for i in 0..legs.len() {
            feed(&mut tracker, i);
        }
        let kept = kept.min(legs.len());
        for &i in &order[kept..] {
            let id = format!("c-{i}");
            prop_assert!(tracker.remove(&id).is_some());
            prop_assert!(tracker.remove(&id).is_none());
        }
        let mut expected = Tracker::new();
        for &i in &order[..kept] {
            feed(&mut expected, i);
        }
        prop_assert_eq!(tracker.len(), kept);
        for i in 0..legs.len() {
            let id = format!("c-{i}");
            prop_assert_eq!(tracker.leg(&id), expected.leg(&id));
        }
        for parent in 0..4 {
            let parent = format!("c-a{parent}");
            prop_assert_eq!(tracker.legs_of(&parent), expected.legs_of(&parent));
        }
    }
}

/// Regression: a leg that ended, was removed and was made again by a later callback was evicted on
/// its old end's retention, while still in progress (found by the model test).
#[test]
fn an_old_end_does_not_evict_a_leg_made_again() {
    let t0 = at("2026-11-23T14:01:00Z");
    let mut tracker = Tracker::new().with_retention(TimeDelta::minutes(5));
    tracker.feed_at(HANGUP.as_bytes(), t0).unwrap();
    assert!(tracker.remove("c-b1").is_some());
    tracker
        .feed_at(ANSWER.as_bytes(), t0 + TimeDelta::minutes(1))
        .unwrap();
    assert_eq!(tracker.evict(t0 + TimeDelta::minutes(5)), 0);
    assert_eq!(
        tracker.leg("c-b1").map(callfold::Leg::state),
        Some(State::Answered)
    );
    // Once it ends again, its own end counts.
    tracker
        .feed_at(HANGUP.as_bytes(), t0 + TimeDelta::minutes(2))
        .unwrap();
    assert_eq!(tracker.evict(t0 + TimeDelta::minutes(6)), 0);
    assert_eq!(tracker.evict(t0 + TimeDelta::minutes(7)), 1);
    assert!(tracker.is_empty());
}

/// Lost disconnects (spec §7: `transferDisconnect` has no fallback URL) used to fill a bounded tracker
/// for good: at its bound it now sweeps the stale legs, says which, and takes the new one.
#[test]
fn lost_disconnects_never_make_the_tracker_refuse_for_good() {
    let t0 = at("2026-11-23T14:00:00Z");
    let mut tracker = Tracker::new().with_max_legs(2);
    // A leg still ringing whose end never came, and an answered leg whose call ended without it.
    let ringing = r#"{"eventType":"transferRinging","callId":"c-r","parentCallId":"c-a1","startTime":"2026-11-23T14:00:00Z"}"#;
    let answered = r#"{"eventType":"transferAnswer","callId":"c-t","parentCallId":"c-a2","startTime":"2026-11-23T14:00:00Z","answerTime":"2026-11-23T14:00:05Z"}"#;
    let call_ended = r#"{"eventType":"disconnect","callId":"c-a2","endTime":"2026-11-23T14:01:00Z","cause":"hangup"}"#;
    for body in [ringing, answered, call_ended] {
        tracker.feed_at(body.as_bytes(), t0).unwrap();
    }
    let next = |n: u32| {
        format!(r#"{{"eventType":"transferAnswer","callId":"c-new{n}","parentCallId":"c-a3"}}"#)
    };
    // Nothing is stale yet: the bound refuses.
    assert!(matches!(
        tracker
            .feed_at(next(1).as_bytes(), t0 + TimeDelta::minutes(1))
            .unwrap(),
        Update::Refused { max_legs: 2, .. }
    ));
    // 6 min on, both are stale: they are swept to make room, and the update says so.
    let change = leg_update(
        tracker
            .feed_at(next(1).as_bytes(), t0 + TimeDelta::minutes(7))
            .unwrap(),
    );
    let swept: Vec<(&str, &str)> = change
        .swept
        .iter()
        .map(|s| (s.leg.call_id().as_str(), s.stale.reason.code()))
        .collect();
    assert_eq!(swept, [("c-r", "unanswered"), ("c-t", "call-ended")]);
    assert_eq!(tracker.len(), 1);
    assert!(matches!(
        tracker
            .feed_at(next(2).as_bytes(), t0 + TimeDelta::minutes(7))
            .unwrap(),
        Update::Leg(_)
    ));
}

/// A day of traffic whose every `transferDisconnect` is lost, through a tracker bounded at 1,000 legs:
/// it refuses new legs only while all it holds are still within their time, sweeps them once they are
/// stale, and accounts for every leg it took. Ringing legs, and answered ones whose A-leg hung up.
#[test]
fn a_day_of_lost_disconnects_never_fills_a_bounded_tracker() {
    let max = 1_000;
    let t0 = at("2026-11-23T00:00:00Z");
    let mut tracker = Tracker::new()
        .with_max_legs(max)
        .with_retention(TimeDelta::minutes(10));
    let (mut taken, mut refused, mut swept, mut refused_in_a_row) = (0usize, 0usize, 0usize, 0);
    let mut longest_refusal = 0;
    // One call every 100 ms for a day's worth of 20,000 calls (33 min of traffic).
    for i in 0..20_000i64 {
        let now = t0 + TimeDelta::milliseconds(100 * i);
        let time = callfold::format_timestamp(&now);
        let body = if i % 2 == 0 {
            format!(
                r#"{{"eventType":"transferRinging","callId":"c-b{i}","parentCallId":"c-a{i}","startTime":"{time}"}}"#
            )
        } else {
            format!(
                r#"{{"eventType":"transferAnswer","callId":"c-b{i}","parentCallId":"c-a{i}","startTime":"{time}","answerTime":"{time}"}}"#
            )
        };
        match tracker.feed_at(body.as_bytes(), now).unwrap() {
            Update::Leg(change) => {
                taken += 1;
                swept += change.swept.len();
                assert!(change.swept.iter().all(|s| {
                    let code = s.stale.reason.code();
                    code == "unanswered" || code == "call-ended"
                }));
                refused_in_a_row = 0;
            }
            Update::Refused { .. } => {
                refused += 1;
                refused_in_a_row += 1;
                longest_refusal = longest_refusal.max(refused_in_a_row);
            }
            other => panic!("{other:?}"),
        }
        // The A-leg of an answered call hangs up 10 s after its answer; its leg's end never comes.
        if i % 2 == 1 {
            let end = callfold::format_timestamp(&(now + TimeDelta::seconds(10)));
            let hangup = format!(
                r#"{{"eventType":"disconnect","callId":"c-a{i}","endTime":"{end}","cause":"hangup"}}"#
            );
            tracker.feed_at(hangup.as_bytes(), now).unwrap();
        }
        assert!(tracker.len() <= max);
    }
    // Every leg taken is held or was swept, with a reason.
    assert_eq!(taken, tracker.len() + swept);
    // At the bound a leg is taken as one becomes stale (1,000 legs in about 335 s): some 5,000 of the
    // 20,000 in 2,000 s.
    assert!(swept > 4 * max, "swept {swept}");
    // A full tracker refuses while its legs are young (1,000 legs are 100 s of traffic; the first
    // becomes stale 340 s after it came), never for longer.
    assert!(refused > 0);
    assert!(
        longest_refusal <= 3_400,
        "refused {longest_refusal} in a row"
    );
}

/// Made-up legs that look stale the moment they come (a `startTime` long past) take each other's place
/// at the bound, never a live leg's; and each costs a step, not a look at every leg held (200,000 of
/// them against 10,000 legs would take minutes otherwise).
#[test]
fn a_flood_of_legs_already_stale_sweeps_only_itself() {
    let max = 10_000;
    let now = at("2026-11-23T14:00:00Z");
    let mut tracker = Tracker::new().with_max_legs(max);
    // Live legs in all places but one.
    for i in 0..max - 1 {
        let live = format!(
            r#"{{"eventType":"transferRinging","callId":"c-live{i}","parentCallId":"c-a{i}","startTime":"2026-11-23T13:59:00Z"}}"#
        );
        assert!(matches!(
            tracker.feed_at(live.as_bytes(), now).unwrap(),
            Update::Leg(_)
        ));
    }
    let mut swept = 0;
    for i in 0..200_000 {
        let forged = format!(
            r#"{{"eventType":"transferRinging","callId":"c-forged{i}","parentCallId":"c-x{i}","startTime":"2020-01-01T00:00:00Z"}}"#
        );
        let change = leg_update(tracker.feed_at(forged.as_bytes(), now).unwrap());
        assert!(
            change
                .swept
                .iter()
                .all(|s| s.leg.call_id().as_str().starts_with("c-forged"))
        );
        swept += change.swept.len();
    }
    assert_eq!(swept, 200_000 - 1);
    assert_eq!(tracker.len(), max);
    assert!(tracker.leg("c-live0").is_some() && tracker.leg("c-forged199999").is_some());
}

/// At the bound of calls (twice the legs), a new call takes the place of the call heard of longest
/// ago that no held leg names; a call a leg names is never the one to go.
#[test]
fn at_the_calls_bound_the_oldest_call_no_leg_names_makes_room() {
    let t0 = at("2026-11-23T14:00:00Z");
    let mut tracker = Tracker::new().with_max_legs(1);
    let complete = |call: &str| {
        format!(r#"{{"eventType":"transferComplete","callId":"{call}","cause":"busy"}}"#)
    };
    let leg = r#"{"eventType":"transferRinging","callId":"c-b1","parentCallId":"c-a1","startTime":"2026-11-23T14:00:00Z"}"#;
    tracker.feed_at(complete("c-x").as_bytes(), t0).unwrap();
    tracker
        .feed_at(leg.as_bytes(), t0 + TimeDelta::seconds(1))
        .unwrap();
    assert_eq!(tracker.calls(), 2);
    let mut now = t0 + TimeDelta::seconds(2);
    let mut gone = "c-x".to_owned();
    for call in ["c-y", "c-z", "c-w", "c-v"] {
        assert!(matches!(
            tracker.feed_at(complete(call).as_bytes(), now).unwrap(),
            Update::Call { .. }
        ));
        assert_eq!(tracker.calls(), 2, "{call}");
        assert!(
            tracker.call(&gone, now).is_none(),
            "{gone} should have made room for {call}"
        );
        assert!(tracker.call(call, now).is_some());
        assert!(tracker.call("c-a1", now).is_some(), "c-a1 is named by c-b1");
        gone = call.to_owned();
        now += TimeDelta::seconds(1);
    }
}

/// Every update serializes, to be logged or forwarded.
#[test]
fn updates_serialize_with_their_conflicts_violations_and_swept_legs() {
    let now = at("2026-11-23T14:00:08Z");
    let mut tracker = Tracker::new();
    tracker.feed_at(ANSWER.as_bytes(), now).unwrap();
    let busy = HANGUP.replace(r#""cause":"hangup""#, r#""cause":"busy""#);
    let update = tracker.feed_at(busy.as_bytes(), now).unwrap();
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        serde_json::json!({
            "kind": "leg",
            "callId": "c-b1",
            "previous": "answered",
            "state": "ended",
            "duplicate": false,
            "conflicts": [],
            "violations": [{
                "code": "answered-despite-cause",
                "detail": "answerTime 2026-11-23T14:00:07Z is present but cause is busy"
            }],
            "swept": []
        })
    );
}

proptest! {
    /// A tracker that takes over a history replayed on several threads holds what a tracker fed the
    /// same log one callback at a time holds: `callfold serve`'s start-up.
    #[test]
    fn absorbing_a_replayed_history_equals_feeding_the_log_without_limits(
        log in callfold::strategy::log(1..12),
        threads in 1usize..4,
        split_at in 0usize..40,
    ) {
        let now = at("2026-12-01T00:00:00Z");
        let lines: Vec<&[u8]> = log.lines.iter().map(String::as_bytes).collect();
        let split = split_at.min(lines.len());
        let mut fed = Tracker::new();
        for line in &lines {
            let _ = fed.feed_at(line, now);
        }
        let head: Vec<u8> = lines[..split].iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect();
        let history = callfold::History::replay(&mut callfold::LogReader::new(&head[..]), threads, |_| Ok::<(), ()>(()))
            .unwrap();
        let mut absorbed = Tracker::new();
        absorbed.absorb(history, now);
        for line in &lines[split..] {
            let _ = absorbed.feed_at(line, now);
        }
        // As every reader sees them (the ids of deliveries inside differ: lines against none).
        let legs = |t: &Tracker| {
            let mut legs: Vec<String> = t
                .legs()
                .map(|leg| {
                    let mut out = Vec::new();
                    leg.write_json(&mut out);
                    String::from_utf8(out).unwrap()
                })
                .collect();
            legs.sort();
            legs
        };
        prop_assert_eq!(legs(&absorbed), legs(&fed));
        for leg in fed.legs() {
            if let Some(parent) = leg.parent_call_id() {
                let a = fed.call(parent, now).map(|c| serde_json::to_string(&c).unwrap());
                let b = absorbed.call(parent, now).map(|c| serde_json::to_string(&c).unwrap());
                prop_assert_eq!(a, b);
            }
        }
        // After removals too, every leg left is found by its id, and none removed is.
        let ids: Vec<String> = fed.legs().map(|leg| leg.call_id().as_str().to_owned()).collect();
        for id in ids.iter().step_by(2) {
            prop_assert_eq!(absorbed.remove(id).is_some(), fed.remove(id).is_some());
        }
        prop_assert_eq!(legs(&absorbed), legs(&fed));
        for id in &ids {
            prop_assert_eq!(absorbed.leg(id).is_some(), fed.leg(id).is_some());
        }
        prop_assert_eq!(absorbed.len(), fed.len());
    }
}

#[test]
fn absorbed_legs_keep_their_retention_from_their_end_and_respect_the_bound() {
    let log = br#"{"eventType":"transferDisconnect","callId":"c-old","parentCallId":"c-a","cause":"busy","endTime":"2026-11-20T10:00:00Z"}
{"eventType":"transferDisconnect","callId":"c-new","parentCallId":"c-a","cause":"busy","endTime":"2026-12-01T23:00:00Z"}
{"eventType":"transferDisconnect","callId":"c-future","parentCallId":"c-a","cause":"busy","endTime":"2099-01-01T00:00:00Z"}
{"eventType":"transferAnswer","callId":"c-up","parentCallId":"c-a","answerTime":"2026-11-20T10:00:00Z"}
"#;
    let history = || {
        callfold::History::replay(&mut callfold::LogReader::new(&log[..]), 1, |_| {
            Ok::<(), ()>(())
        })
        .unwrap()
    };
    let now = at("2026-12-02T00:00:00Z");
    let mut tracker = Tracker::new().with_retention(TimeDelta::hours(24));
    tracker.absorb(history(), now);
    // Ended nine days ago: gone. Ended an hour ago: kept until its day is up. An end in the future
    // counts from now. A leg still up stays.
    assert!(tracker.leg("c-old").is_none());
    assert!(tracker.leg("c-new").is_some());
    assert!(tracker.leg("c-future").is_some());
    assert!(tracker.leg("c-up").is_some());
    assert_eq!(tracker.evict(at("2026-12-02T23:00:00Z")), 1);
    assert!(tracker.leg("c-new").is_none());
    assert_eq!(tracker.evict(now + TimeDelta::hours(24)), 1);
    assert!(tracker.leg("c-future").is_none());

    // At most two legs: the ones that ended first go first; the leg still up stays.
    let mut tracker = Tracker::new().with_max_legs(2);
    tracker.absorb(history(), now);
    let mut held: Vec<&str> = tracker.legs().map(|l| l.call_id().as_str()).collect();
    held.sort_unstable();
    assert_eq!(held, ["c-future", "c-up"]);
}
