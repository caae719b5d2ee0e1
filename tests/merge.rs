//! `History::merge` is associative, commutative and idempotent, and folding the lines of a log in parts,
//! then merging, gives the history of the whole log: what multi-threaded replay (and folding one log on
//! many machines) rests on.

use callfold::strategy::{Log, log};
use callfold::{History, HistoryOptions};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/merge.txt",
        ))),
        ..ProptestConfig::default()
    }
}

/// Everything a history says: its calls and legs as callfold prints them, and its latest eventTime.
fn snapshot(history: &History) -> (Vec<String>, Vec<String>, Option<String>) {
    let calls = history
        .calls(&HistoryOptions::default())
        .iter()
        .map(|call| serde_json::to_string(call).unwrap())
        .collect();
    let mut legs: Vec<String> = history
        .legs()
        .map(|leg| serde_json::to_string(leg).unwrap())
        .collect();
    legs.sort();
    (
        calls,
        legs,
        history.latest_event_time().map(|t| t.to_rfc3339()),
    )
}

/// Folds the lines `pick` chooses, each as its own line number (1-based).
fn fold(log: &Log, pick: impl Fn(usize) -> bool) -> History {
    let mut history = History::new();
    for (i, line) in log.lines.iter().enumerate() {
        if pick(i) {
            history.feed_line(i as u64 + 1, line.as_bytes()).unwrap();
        }
    }
    history
}

fn merged(mut a: History, b: History) -> History {
    a.merge(b);
    a
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn merging_parts_gives_the_whole_in_any_grouping(
        log in log(1..6),
        parts in proptest::collection::vec(0..3u8, 64),
    ) {
        let part = |i: usize| parts[i % parts.len()];
        let whole = snapshot(&fold(&log, |_| true));
        let [a, b, c] = [0, 1, 2].map(|p| fold(&log, |i| part(i) == p));

        let ab_c = merged(merged(a.clone(), b.clone()), c.clone());
        let a_bc = merged(a.clone(), merged(b.clone(), c.clone()));
        let c_ba = merged(c.clone(), merged(b.clone(), a.clone()));
        prop_assert_eq!(&snapshot(&ab_c), &whole);
        prop_assert_eq!(&snapshot(&a_bc), &whole);
        prop_assert_eq!(&snapshot(&c_ba), &whole);
        // Commutative on the parts themselves, not only on the way to the whole.
        prop_assert_eq!(snapshot(&merged(a.clone(), b.clone())), snapshot(&merged(b.clone(), a.clone())));
    }

    #[test]
    fn merging_is_idempotent_and_overlaps_count_once(
        log in log(1..6),
        parts in proptest::collection::vec(0..3u8, 64),
    ) {
        let part = |i: usize| parts[i % parts.len()];
        let whole = fold(&log, |_| true);
        let expected = snapshot(&whole);
        prop_assert_eq!(snapshot(&merged(whole.clone(), whole.clone())), expected.clone());
        // Two overlapping parts: part 0 or 1, and part 1 or 2. The lines of part 1 are in both.
        let a = fold(&log, |i| part(i) != 2);
        let b = fold(&log, |i| part(i) != 0);
        prop_assert_eq!(snapshot(&merged(a, b)), expected);
    }
}

#[test]
fn redeliveries_on_different_lines_count_even_across_parts() {
    let body =
        br#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"busy"}"#;
    let mut a = History::new();
    let mut b = History::new();
    a.feed_line(1, body).unwrap();
    b.feed_line(7, body).unwrap();
    b.feed_line(9, body).unwrap();
    a.merge(b);
    let leg = a.legs().next().unwrap();
    assert_eq!((leg.events(), leg.duplicates()), (1, 2));
}
