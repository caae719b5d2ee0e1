// The fuzz targets' bodies, shared by the fuzzers (fuzz/fuzz_targets/*.rs) and by the stable replay test
// (tests/fuzz_replay.rs), which runs every file of the committed corpus through them. Each panics on a
// broken property; an input that makes callfold itself panic is a crash either way.

use callfold::{Callback, Leg, LogReader, Tracker, Update};

/// Decoding one body: never panics; what decodes writes back to the same callback.
pub fn decode(data: &[u8]) {
    if let Ok(callback) = Callback::from_slice(data) {
        let again = Callback::from_slice(callback.to_json().as_bytes())
            .expect("callfold reads what it writes");
        assert_eq!(again, callback, "a round trip changed the callback");
    }
}

/// The line reader plus the fold: every line is accounted for, and the legs do not depend on the order
/// of the lines, nor on reading them twice.
pub fn read_and_fold(data: &[u8]) {
    let mut reader = LogReader::new(data);
    let callbacks: Vec<Callback> = reader
        .by_ref()
        .filter_map(Result::ok)
        .map(|(_, cb)| cb)
        .collect();
    let counts = reader.counts();
    assert_eq!(
        counts.lines,
        counts.callbacks + counts.rejected + counts.blank,
        "a line was lost"
    );
    assert_eq!(counts.callbacks as usize, callbacks.len());

    let fold = |order: &mut dyn Iterator<Item = &Callback>| {
        let mut tracker = Tracker::new();
        for callback in order {
            tracker.apply(callback);
        }
        tracker.into_sorted_legs()
    };
    let forward = fold(&mut callbacks.iter());
    let backward = fold(&mut callbacks.iter().rev());
    assert_eq!(forward, backward, "the fold depends on the order");
    let twice = fold(&mut callbacks.iter().chain(callbacks.iter()));
    assert_eq!(twice.len(), forward.len());
    for (a, b) in twice.iter().zip(&forward) {
        assert_eq!(
            (a.state(), a.events(), a.conflicts(), a.violations()),
            (b.state(), b.events(), b.conflicts(), b.violations())
        );
        assert_eq!(
            a.duplicates(),
            b.duplicates() + b.events() + b.duplicates(),
            "a redelivery changed more than the count"
        );
    }
    for leg in &forward {
        let _ = serde_json::to_string(leg).expect("a leg always serialises");
    }
    // The replay of the legs alone, on one thread and on two, reads the same lines into the same legs.
    let facts = |leg: &Leg| {
        let id = leg.call_id().clone();
        (
            id,
            leg.state(),
            leg.events(),
            leg.duplicates(),
            leg.conflicts(),
            leg.violations(),
        )
    };
    for threads in [1, 2] {
        let mut reader = LogReader::new(data);
        let replayed = Leg::replay(&mut reader, threads, |_| Ok::<(), ()>(()))
            .expect("a slice reads without error");
        assert_eq!(reader.counts(), counts, "{threads} threads");
        assert_eq!(
            replayed.iter().map(facts).collect::<Vec<_>>(),
            forward.iter().map(facts).collect::<Vec<_>>(),
            "{threads} threads"
        );
    }
}

/// The tracker fed a sequence of bodies (split at newlines): it never panics, every update is about the
/// leg the callback names, states never move back, and it agrees with a plain fold.
pub fn tracker(data: &[u8]) {
    let mut tracker = Tracker::new();
    let mut plain: Vec<Callback> = Vec::new();
    for body in data.split(|b| *b == b'\n') {
        let Ok(update) = tracker.feed(body) else {
            continue;
        };
        let Ok(callback) = Callback::from_slice(body) else {
            panic!("the tracker took a body that does not decode")
        };
        if let Update::Leg(change) = update {
            assert_eq!(change.call_id, callback.call_id);
            if let Some(previous) = change.previous {
                assert!(previous <= change.state, "a leg moved back");
            }
            plain.push(callback);
        }
    }
    for callback in &plain {
        let leg = tracker
            .leg(callback.call_id.as_str())
            .expect("the leg is tracked");
        let mut alone = Leg::new(callback.call_id.clone());
        for cb in plain.iter().filter(|cb| cb.call_id == callback.call_id) {
            alone.apply(cb).expect("a leg callback folds into its leg");
        }
        assert_eq!(leg, &alone, "the tracker and a plain fold disagree");
    }
}
