//! `StreamingHistory`: the same calls as the exact history whenever no callback is later than the
//! window, late callbacks reported, and memory that follows the calls in flight.

use callfold::strategy::leg_history;
use callfold::{Callback, History, HistoryOptions, StreamingHistory};
use chrono::TimeDelta;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Every call as a JSON line, sorted: what `history --format json` prints, in a comparable order.
fn exact(callbacks: &[Callback]) -> Vec<String> {
    let mut history = History::new();
    for cb in callbacks {
        history.apply(cb);
    }
    let mut lines: Vec<String> = history
        .calls(&HistoryOptions::default())
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    lines.sort();
    lines
}

/// The calls streamed (sorted), how many callbacks were late, and how many calls came out before the end.
fn streamed(callbacks: &[Callback], lateness: TimeDelta) -> (Vec<String>, usize, usize) {
    let mut stream = StreamingHistory::new(lateness, HistoryOptions::default());
    let mut lines = Vec::new();
    let mut late = 0;
    for cb in callbacks {
        if stream.apply(cb).is_err() {
            late += 1;
        }
        stream
            .emit_due(|call| {
                lines.push(serde_json::to_string(call).unwrap());
                Ok::<(), ()>(())
            })
            .unwrap();
    }
    let early = lines.len();
    stream
        .finish(|call| {
            lines.push(serde_json::to_string(call).unwrap());
            Ok::<(), ()>(())
        })
        .unwrap();
    lines.sort();
    (lines, late, early)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/streaming.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn streaming_equals_exact_when_nothing_is_later_than_the_window(
        legs in proptest::collection::vec(leg_history(), 1..40),
        joins in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0..2_000i64), 0..10),
    ) {
        // Some legs join another leg's call, moved in time to ring with it: calls of several legs.
        let mut legs = legs;
        for (from, to, ms) in &joins {
            let (from, to) = (from.index(legs.len()), to.index(legs.len()));
            let parent = legs[to].parent_call_id.clone();
            let shift = legs[to].start_time - legs[from].start_time + TimeDelta::milliseconds(*ms);
            let leg = &mut legs[from];
            leg.parent_call_id = parent.clone();
            leg.start_time += shift;
            for cb in &mut leg.callbacks {
                cb.parent_call_id = Some(parent.clone());
                for t in [&mut cb.event_time, &mut cb.enqueued_time, &mut cb.start_time, &mut cb.answer_time] {
                    *t = t.map(|t| t + shift);
                }
                if let callfold::Event::TransferDisconnect(ending) = &mut cb.event {
                    ending.end_time = ending.end_time.map(|t| t + shift);
                }
            }
        }
        let mut callbacks: Vec<Callback> = legs.into_iter().flat_map(|h| h.callbacks).collect();
        callbacks.sort_by_key(|cb| cb.event_time);
        // A generated call lasts at most a few hours; two days covers every callback of it.
        let (lines, late, early) = streamed(&callbacks, TimeDelta::days(2));
        prop_assert_eq!(late, 0);
        prop_assert_eq!(lines, exact(&callbacks));
        // And it did stream: every call that closed more than the window before the log's end came out
        // before the end.
        let mut history = History::new();
        for cb in &callbacks {
            history.apply(cb);
        }
        let end = history.latest_event_time().unwrap();
        let due = history
            .calls(&HistoryOptions::default())
            .iter()
            .filter(|call| call.legs().all(|leg| leg.state() == callfold::State::Ended))
            .filter(|call| call.legs().filter_map(callfold::Leg::last_known_time).max().unwrap() + TimeDelta::days(2) < end)
            .count();
        prop_assert_eq!(early, due);
    }
}

fn call(i: u32) -> [Callback; 2] {
    let start = chrono::DateTime::from_timestamp(1_800_000_000 + i64::from(i) * 600, 0).unwrap();
    let t = |s: i64| callfold::format_timestamp(&(start + TimeDelta::seconds(s)));
    let answer = format!(
        r#"{{"eventType":"transferAnswer","callId":"c-b{i}","parentCallId":"c-a{i}","eventTime":"{}",
            "startTime":"{}","answerTime":"{}"}}"#,
        t(5),
        t(0),
        t(5)
    );
    let hangup = format!(
        r#"{{"eventType":"transferDisconnect","callId":"c-b{i}","parentCallId":"c-a{i}","eventTime":"{}",
            "startTime":"{}","answerTime":"{}","endTime":"{}","cause":"hangup"}}"#,
        t(65),
        t(0),
        t(5),
        t(65)
    );
    [answer.parse().unwrap(), hangup.parse().unwrap()]
}

#[test]
fn memory_follows_the_calls_in_flight_not_the_log() {
    let mut stream = StreamingHistory::new(TimeDelta::minutes(1), HistoryOptions::default());
    let mut emitted = 0;
    let mut most_held = 0;
    for i in 0..2_000 {
        for cb in call(i) {
            stream.apply(&cb).unwrap();
            stream
                .emit_due(|_| {
                    emitted += 1;
                    Ok::<(), ()>(())
                })
                .unwrap();
            most_held = most_held.max(stream.history().legs().count());
        }
    }
    assert_eq!(
        emitted, 1_999,
        "all but the last call were emitted on the way"
    );
    assert!(most_held <= 2, "held at most {most_held} legs");
}

#[test]
fn a_redelivery_after_the_window_is_late_and_changes_nothing() {
    let mut stream = StreamingHistory::new(TimeDelta::minutes(1), HistoryOptions::default());
    let [answer, hangup] = call(0);
    stream.apply(&answer).unwrap();
    stream.apply(&hangup).unwrap();
    // The next call moves the log's time on; call 0 is emitted.
    for cb in call(1) {
        stream.apply(&cb).unwrap();
    }
    let mut emitted = Vec::new();
    stream
        .emit_due(|call| {
            emitted.push(call.call_id.unwrap().to_string());
            Ok::<(), ()>(())
        })
        .unwrap();
    assert_eq!(emitted, ["c-a0"]);
    let late = stream.apply(&hangup).unwrap_err();
    assert_eq!(late.call_id.as_str(), "c-a0");
    assert!(
        late.to_string()
            .starts_with("late for call c-a0: the call was emitted when the log's time reached ")
    );
    // Long after, when the call is no longer remembered, its own times still give it away.
    for cb in call(100) {
        stream.apply(&cb).unwrap();
    }
    stream.emit_due(|_| Ok::<(), ()>(())).unwrap();
    let late = stream.apply(&hangup).unwrap_err();
    assert_eq!(
        late.to_string(),
        format!(
            "late for call c-a0: its times end at {}, more than the lateness before the log's time {}",
            callfold::format_timestamp(&hangup.ending().unwrap().end_time.unwrap()),
            callfold::format_timestamp(&call(100)[1].event_time.unwrap())
        )
    );
}
