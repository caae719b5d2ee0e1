//! The fast path must not change results: `Callback::from_slice` (the flat scanner, falling back to
//! `serde_json`) and `Callback::from_slice_with_serde` (`serde_json` alone) agree on every line, errors
//! included, and so do a replay on one thread and on several, and a replay of the legs alone.
//!
//! The million-line check is `#[ignore]`d in debug builds' everyday runs; `.ci/run` runs it in release:
//! `cargo test --release --test fast_path -- --include-ignored`.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

#[path = "support/fixtures.rs"]
mod support;
use support::{FIXTURES, fixtures};

use callfold::{
    Callback, GenerateOptions, History, HistoryOptions, Leg, LogError, LogReader, Stop, generate,
};

fn agree(line: &[u8]) {
    assert_eq!(
        Callback::from_slice(line),
        Callback::from_slice_with_serde(line),
        "the paths disagree on {}",
        String::from_utf8_lossy(line)
    );
}

#[test]
fn both_paths_agree_on_every_documentation_example() {
    let files = fixtures(Path::new(FIXTURES));
    assert!(files.len() > 80, "fixtures missing: {}", files.len());
    for path in files {
        let text = fs::read(&path).unwrap();
        // As written (pretty-printed: several lines), and as one log line.
        agree(&text);
        let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
        agree(serde_json::to_string(&value).unwrap().as_bytes());
    }
}

/// Checks every generated line as it is written, so that a million lines need no memory.
#[derive(Default)]
struct CheckLines {
    partial: Vec<u8>,
    lines: u64,
}

impl Write for CheckLines {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.partial.extend_from_slice(buf);
        let mut start = 0;
        while let Some(end) = self.partial[start..].iter().position(|&b| b == b'\n') {
            agree(&self.partial[start..start + end]);
            self.lines += 1;
            start += end + 1;
        }
        self.partial.drain(..start);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn generated(calls: u64, faults: f64) -> u64 {
    let mut check = CheckLines::default();
    let options = GenerateOptions {
        calls,
        seed: 11,
        faults,
        ..GenerateOptions::default()
    };
    generate(&options, &mut check).unwrap();
    assert!(check.partial.is_empty());
    check.lines
}

#[test]
fn both_paths_agree_on_a_generated_log_with_faults() {
    // Perturbed deliveries (null and "" fields, offsets, redeliveries) and 10% faulty calls, malformed
    // lines among them.
    assert!(generated(3_000, 0.1) > 15_000);
}

#[test]
#[ignore = "a million lines: run in release, as .ci/run does"]
fn both_paths_agree_on_a_generated_log_of_a_million_callbacks() {
    assert!(generated(166_000, 0.0) >= 1_000_000);
}

/// Runs `replay` on `log`: what it gives, the bad lines it reported, and the reader's counts.
fn replayed<T>(
    log: &[u8],
    replay: impl FnOnce(
        &mut LogReader<&[u8]>,
        &mut dyn FnMut(&LogError) -> Result<(), ()>,
    ) -> Result<T, Stop<()>>,
) -> (T, Vec<String>, callfold::Counts) {
    let mut reader = LogReader::new(log);
    let mut bad = Vec::new();
    let folded = replay(&mut reader, &mut |error| {
        let source = std::error::Error::source(error).map(ToString::to_string);
        bad.push(format!("{error}: {}", source.unwrap_or_default()));
        Ok(())
    })
    .unwrap();
    (folded, bad, reader.counts())
}

/// Replays `log` on `threads` threads: each call, as JSON, the bad lines, and the reader's counts.
fn replay(log: &[u8], threads: usize) -> (Vec<String>, Vec<String>, callfold::Counts) {
    let (history, bad, counts) = replayed(log, |reader, report| {
        History::replay(reader, threads, report)
    });
    let calls: Vec<String> = history
        .calls(&HistoryOptions::default())
        .iter()
        .map(|call| serde_json::to_string(call).unwrap())
        .collect();
    (calls, bad, counts)
}

fn generated_log(calls: u64, seed: u64) -> Vec<u8> {
    let mut log = Vec::new();
    let options = GenerateOptions {
        calls,
        seed,
        faults: 0.1,
        ..GenerateOptions::default()
    };
    generate(&options, &mut log).unwrap();
    log
}

#[test]
fn a_replay_gives_the_same_history_on_any_number_of_threads() {
    let log = generated_log(4_000, 12);
    let one = replay(&log, 1);
    assert!(!one.1.is_empty(), "the faults include malformed lines");
    // The blocks are 1 MiB: this log spans several, and each thread folds its calls' lines of each.
    assert!(log.len() > 2 << 20);
    for threads in [2, 3, 8] {
        assert_eq!(replay(&log, threads), one, "{threads} threads");
    }
}

/// Threads fold the lines of the calls they own, found by a byte search for `"parentCallId":"` and
/// `"callId":"`. Writing those keys another way (here with spaces, which JSON allows) sends lines to
/// other threads, so a call's legs and even one leg's callbacks are folded apart and merged: the
/// history must not change.
#[test]
fn a_replay_does_not_depend_on_which_thread_folds_a_line() {
    let log = generated_log(4_000, 13);
    let one = replay(&log, 1);
    let mut moved = Vec::with_capacity(log.len() + log.len() / 8);
    for (n, line) in log.split_inclusive(|&b| b == b'\n').enumerate() {
        let line = String::from_utf8(line.to_vec()).unwrap();
        let line = match n % 3 {
            0 => line.replacen(r#""parentCallId":""#, r#""parentCallId" : ""#, 1),
            1 => line.replacen(r#""callId":""#, r#""callId": ""#, 1),
            _ => line,
        };
        moved.extend_from_slice(line.as_bytes());
    }
    assert_ne!(moved, log);
    // The same lines are bad, at other columns: compare their numbers.
    let lines_only = |(calls, bad, counts): (Vec<String>, Vec<String>, callfold::Counts)| {
        let bad: Vec<String> = bad
            .iter()
            .map(|b| b.split(':').next().unwrap_or_default().to_owned())
            .collect();
        (calls, bad, counts)
    };
    let one = lines_only(one);
    assert_eq!(
        lines_only(replay(&moved, 1)),
        one,
        "the same callbacks, written otherwise"
    );
    for threads in [2, 3] {
        assert_eq!(
            lines_only(replay(&moved, threads)),
            one,
            "{threads} threads"
        );
    }
}

#[test]
fn a_replay_gives_the_same_history_as_the_fold_of_every_line() {
    let log = generated_log(1_000, 14);
    let mut whole = History::new();
    let mut bad = Vec::new();
    for (n, line) in (1..).zip(log.split(|&b| b == b'\n')) {
        if !line.is_empty()
            && let Err(error) = whole.feed_line(n, line)
        {
            bad.push(format!("line {n}: {error}"));
        }
    }
    let calls: Vec<String> = whole
        .calls(&HistoryOptions::default())
        .iter()
        .map(|call| serde_json::to_string(call).unwrap())
        .collect();
    let (replayed, replayed_bad, _) = replay(&log, 2);
    assert!(!bad.is_empty(), "the faults include malformed lines");
    assert_eq!((replayed, replayed_bad), (calls, bad));
}

/// Replays only the legs of `log` on `threads` threads: each leg, as JSON, the bad lines, and the counts.
fn replay_legs(log: &[u8], threads: usize) -> (Vec<String>, Vec<String>, callfold::Counts) {
    let (legs, bad, counts) = replayed(log, |reader, report| Leg::replay(reader, threads, report));
    let legs = legs
        .iter()
        .map(|leg| serde_json::to_string(leg).unwrap())
        .collect();
    (legs, bad, counts)
}

#[test]
fn a_replay_of_the_legs_alone_gives_the_legs_of_the_history() {
    let log = generated_log(4_000, 15);
    let mut reader = LogReader::new(&log[..]);
    let history = History::replay(&mut reader, 1, |_| Ok::<(), ()>(())).unwrap();
    let mut legs: Vec<&Leg> = history.legs().collect();
    legs.sort_by(|a, b| a.call_id().cmp(b.call_id()));
    let legs: Vec<String> = legs
        .iter()
        .map(|leg| serde_json::to_string(leg).unwrap())
        .collect();
    assert!(legs.len() > 6_000, "{} legs", legs.len());
    let (_, bad, counts) = replay(&log, 1);
    assert!(!bad.is_empty(), "the faults include malformed lines");
    for threads in [1, 2, 3] {
        assert_eq!(
            replay_legs(&log, threads),
            (legs.clone(), bad.clone(), counts),
            "{threads} threads"
        );
    }
}

/// Checks the fast JSON writers against `serde_json` on every call and leg of a history.
fn writers_agree(history: &History) -> usize {
    let mut checked = 0;
    for call in history.calls(&HistoryOptions::default()) {
        let mut out = Vec::new();
        call.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&call).unwrap()
        );
        checked += 1;
    }
    for leg in history.legs() {
        let mut out = Vec::new();
        leg.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(leg).unwrap()
        );
    }
    checked
}

#[test]
fn the_fast_writers_write_what_serde_json_writes() {
    // Faulty calls give conflicts, violations, stale and open legs; the lines below give texts that need
    // escapes, and unknown causes.
    let mut log = generated_log(3_000, 15);
    for (i, text) in [
        "say \\\"hi\\\"",
        "tab\\there",
        "back\\\\slash",
        "\\u0001 ctl",
        "é 中文 😀",
        "",
    ]
    .iter()
    .enumerate()
    {
        writeln!(
            log,
            r#"{{"eventType":"transferDisconnect","callId":"c-esc-{i}","parentCallId":"c-a-esc","tag":"{text}","errorMessage":"{text}","transferTo":"{text}","cause":"{text}x","startTime":"2026-11-24T10:00:0{i}Z","endTime":"2026-11-24T10:00:59.123456Z"}}"#
        )
        .unwrap();
    }
    writeln!(log, r#"{{"eventType":"transferComplete","callId":"c-a-esc","cause":"\"odd\"","errorMessage":"a\nb"}}"#).unwrap();
    let mut reader = LogReader::new(log.as_slice());
    let history = History::replay(&mut reader, 1, |_| Ok::<(), ()>(())).unwrap();
    assert!(writers_agree(&history) > 3_000);

    // Each documentation example alone, and all of them in one history, where they disagree.
    let (mut all, mut calls) = (History::new(), 0);
    for path in fixtures(Path::new(FIXTURES)) {
        let text = fs::read(&path).unwrap();
        if let Ok(callback) = Callback::from_slice(&text) {
            let mut alone = History::new();
            alone.apply(&callback);
            calls += writers_agree(&alone);
            all.apply(&callback);
        }
    }
    assert!(calls > 40, "{calls} calls");
    assert!(writers_agree(&all) > 0);
}
