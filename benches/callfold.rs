//! Criterion benchmarks: decoding one callback of each kind, the fold, and history end to end on a
//! generated log, each beside the JSON-syntax floor (`serde_json` into `IgnoredAny`) over the same bytes,
//! so that ratios can be read off one run:
//!
//! ```text
//! cargo bench --bench callfold
//! ```
//!
//! `benches/ratios.rs` prints the issue's ratio table on a log of a million lines, end to end through
//! the binary.

// `criterion_group!` makes an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;

use callfold::{Callback, GenerateOptions, History, HistoryOptions, LogReader, generate};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde::de::IgnoredAny;

/// One line of each kind, as Bandwidth documents it (`transferComplete`, `initiate` and `disconnect`
/// are the A-leg's).
const KINDS: [(&str, &str); 5] = [
    (
        "transferAnswer",
        r#"{"eventType":"transferAnswer","eventTime":"2019-06-20T15:54:25.435Z","accountId":"55555555","applicationId":"7fc9698a-b04a-468b-9e8f-91238c0d0086","from":"+15551112222","to":"+15553334444","direction":"outbound","callId":"c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d","parentCallId":"c-2a913f94-7fa91773-a426-4118-b3e2-f0e1b3ee37a4","callUrl":"https://voice.bandwidth.com/api/v2/accounts/55555555/calls/c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d","enqueuedTime":"2019-06-20T15:54:22.100Z","startTime":"2019-06-20T15:54:22.234Z","answerTime":"2019-06-20T15:54:25.432Z","tag":"exampleTag","transferCallerId":"+15551115555","transferTo":"+15556667777"}"#,
    ),
    (
        "transferDisconnect",
        r#"{"eventType":"transferDisconnect","eventTime":"2019-12-27T19:19:27.988Z","accountId":"55555555","applicationId":"7fc9698a-b04a-468b-9e8f-91238c0d0086","from":"+15551112222","to":"+15553334444","direction":"outbound","callId":"c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d","parentCallId":"c-2a913f94-7fa91773-a426-4118-b3e2-f0e1b3ee37a4","callUrl":"https://voice.bandwidth.com/api/v2/accounts/55555555/calls/c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d","enqueuedTime":"2019-12-27T19:18:20.601Z","startTime":"2019-12-27T19:18:20.721Z","answerTime":"2019-12-27T19:18:23.320Z","endTime":"2019-12-27T19:19:27.987Z","tag":"exampleTag","transferCallerId":"+15551115555","transferTo":"+15556667777","cause":"hangup","errorMessage":null,"errorId":null}"#,
    ),
    (
        "transferComplete",
        r#"{"eventType":"transferComplete","eventTime":"2019-12-27T19:19:28.045Z","accountId":"55555555","applicationId":"7fc9698a-b04a-468b-9e8f-91238c0d0086","from":"+15553334444","to":"+15551112222","direction":"inbound","callId":"c-2a913f94-7fa91773-a426-4118-b3e2-f0e1b3ee37a4","callUrl":"https://voice.bandwidth.com/api/v2/accounts/55555555/calls/c-2a913f94-7fa91773-a426-4118-b3e2-f0e1b3ee37a4","enqueuedTime":"2019-12-27T19:18:20.601Z","startTime":"2019-12-27T19:18:20.721Z","answerTime":"2019-12-27T19:18:23.320Z","tag":"exampleTag","transferCallerId":"+15551115555","transferTo":"+15556667777","cause":"hangup","errorMessage":null,"errorId":null}"#,
    ),
    (
        "initiate",
        r#"{"eventType":"initiate","eventTime":"2019-12-27T19:18:20.721Z","accountId":"55555555","applicationId":"7fc9698a-b04a-468b-9e8f-91238c0d0086","from":"+15553334444","to":"+15551112222","direction":"inbound","callId":"c-2a913f94-7fa91773-a426-4118-b3e2-f0e1b3ee37a4","callUrl":"https://voice.bandwidth.com/api/v2/accounts/55555555/calls/c-2a913f94-7fa91773-a426-4118-b3e2-f0e1b3ee37a4","startTime":"2019-12-27T19:18:20.721Z","diversion":{"reason":"unavailable","privacy":"off"}}"#,
    ),
    (
        "disconnect",
        r#"{"eventType":"disconnect","eventTime":"2019-12-27T19:20:01.115Z","accountId":"55555555","applicationId":"7fc9698a-b04a-468b-9e8f-91238c0d0086","from":"+15553334444","to":"+15551112222","direction":"inbound","callId":"c-2a913f94-7fa91773-a426-4118-b3e2-f0e1b3ee37a4","callUrl":"https://voice.bandwidth.com/api/v2/accounts/55555555/calls/c-2a913f94-7fa91773-a426-4118-b3e2-f0e1b3ee37a4","startTime":"2019-12-27T19:18:20.721Z","answerTime":"2019-12-27T19:18:20.901Z","endTime":"2019-12-27T19:20:01.114Z","tag":"exampleTag","cause":"hangup","errorMessage":null,"errorId":null}"#,
    ),
];

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (kind, line) in KINDS {
        let line = line.as_bytes();
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(
            BenchmarkId::new("floor IgnoredAny", kind),
            line,
            |b, line| {
                b.iter(|| serde_json::from_slice::<IgnoredAny>(black_box(line)));
            },
        );
        group.bench_with_input(BenchmarkId::new("validate", kind), line, |b, line| {
            b.iter(|| Callback::validate(black_box(line)));
        });
        group.bench_with_input(BenchmarkId::new("from_slice", kind), line, |b, line| {
            b.iter(|| Callback::from_slice(black_box(line)));
        });
        group.bench_with_input(
            BenchmarkId::new("from_slice_with_serde", kind),
            line,
            |b, line| b.iter(|| Callback::from_slice_with_serde(black_box(line))),
        );
    }
    group.finish();
}

/// A generated log: realistic mix, perturbed deliveries (null and "" fields, offsets, redeliveries).
fn log(calls: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let options = GenerateOptions {
        calls,
        seed: 5,
        ..GenerateOptions::default()
    };
    generate(&options, &mut out).expect("generating into memory cannot fail");
    out
}

fn lines(log: &[u8]) -> Vec<&[u8]> {
    log.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

fn fold(c: &mut Criterion) {
    let log = log(5_000);
    let lines = lines(&log);
    let callbacks: Vec<Callback> = lines
        .iter()
        .filter_map(|l| Callback::from_slice(l).ok())
        .collect();
    let mut group = c.benchmark_group("fold");
    group.sample_size(20);
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("floor IgnoredAny", |b| {
        b.iter(|| {
            for line in &lines {
                let _ = black_box(serde_json::from_slice::<IgnoredAny>(line));
            }
        });
    });
    group.bench_function("History::apply, decoded callbacks", |b| {
        b.iter(|| {
            let mut history = History::new();
            for cb in &callbacks {
                history.apply(cb);
            }
            history
        });
    });
    group.bench_function("History::feed_line, decode + fold", |b| {
        b.iter(|| {
            let mut history = History::new();
            for (n, line) in (1..).zip(&lines) {
                let _ = history.feed_line(n, line);
            }
            history
        });
    });
    group.finish();
}

fn history(c: &mut Criterion) {
    let log = log(20_000);
    let lines = lines(&log);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("history end to end");
    group.sample_size(10);
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("floor IgnoredAny", |b| {
        b.iter(|| {
            for line in LogLines(&log) {
                let _ = black_box(serde_json::from_slice::<IgnoredAny>(line));
            }
        });
    });
    for threads in [1, threads] {
        group.bench_function(BenchmarkId::new("replay + calls + JSON", threads), |b| {
            b.iter(|| {
                let mut reader = LogReader::new(log.as_slice());
                let history = History::replay(&mut reader, threads, |_| Ok::<(), ()>(()))
                    .expect("an in-memory log reads");
                let mut out = Vec::with_capacity(log.len());
                for call in history.calls(&HistoryOptions::default()) {
                    serde_json::to_writer(&mut out, &call).expect("writing to memory");
                    out.push(b'\n');
                }
                out.len()
            });
        });
    }
    group.finish();
}

/// The lines of a log, as the floor reads them.
struct LogLines<'a>(&'a [u8]);

impl<'a> Iterator for LogLines<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let end = self
            .0
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(self.0.len());
        let line = &self.0[..end];
        self.0 = self.0.get(end + 1..).unwrap_or_default();
        Some(line)
    }
}

criterion_group!(benches, decode, fold, history);
criterion_main!(benches);
