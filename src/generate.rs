//! Realistic, deterministic Bandwidth transfer traffic: the strategies of [`crate::strategy`] driven by
//! a seeded `TestRunner`, merged in time order and perturbed the way Bandwidth perturbs deliveries.
//!
//! The log streams: calls start in order, and the events of the calls in flight wait in a heap until no
//! later call can come before them. Memory follows the calls in flight, not the length of the log.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::Rng;
use proptest::strategy::{Just, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value};

use crate::callback::Callback;
use crate::strategy::{Fault, call_plan_at};
use crate::time::format_timestamp;

/// What to generate.
///
/// ```
/// let options = callfold::GenerateOptions::default();
/// assert_eq!((options.calls, options.seed, options.faults), (100, 0, 0.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// How many calls.
    pub calls: u64,
    /// The seed: the same seed gives the same bytes.
    pub seed: u64,
    /// The share of calls (0 to 1) that get one [`Fault`], chosen evenly among them.
    pub faults: f64,
    /// When the first call arrives.
    pub start: DateTime<Utc>,
    /// Calls per second, on average (arrivals are a Poisson process).
    pub cps: f64,
    /// Perturb the deliveries: reorder within a window of 8 lines, redeliver 1% of callbacks, write
    /// absent fields as `null` or `""` and timestamps in other shapes on 10% of lines.
    pub perturb: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            calls: 100,
            seed: 0,
            faults: 0.0,
            start: DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(), // 2026-01-01T00:00:00Z
            cps: 10.0,
            perturb: true,
        }
    }
}

/// What a generated log holds.
///
/// ```
/// let mut out = Vec::new();
/// let summary = callfold::generate(&callfold::GenerateOptions { calls: 3, ..Default::default() }, &mut out)?;
/// assert_eq!(summary.calls, 3);
/// assert_eq!(summary.lines, out.iter().filter(|b| **b == b'\n').count() as u64);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Calls generated.
    pub calls: u64,
    /// Lines written.
    pub lines: u64,
    /// Calls that got a fault.
    pub faulty_calls: u64,
}

/// Writes a generated log, one callback body per line.
///
/// ```
/// use callfold::{GenerateOptions, generate};
///
/// let (mut a, mut b) = (Vec::new(), Vec::new());
/// generate(&GenerateOptions { calls: 20, seed: 7, ..Default::default() }, &mut a)?;
/// generate(&GenerateOptions { calls: 20, seed: 7, ..Default::default() }, &mut b)?;
/// assert_eq!(a, b); // deterministic
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// What writing to `out` returns.
pub fn generate(options: &GenerateOptions, out: &mut impl Write) -> io::Result<GenerateSummary> {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&options.seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    // Deliveries have a generator of their own, so that the calls are the same with or without them.
    seed[31] = 1;
    let mut delivery = Delivery::new(options.perturb, seed);
    let plans = call_plan_at(Just(DateTime::UNIX_EPOCH));
    let mut summary = GenerateSummary::default();
    let mut arrival = options.start;
    for _ in 0..options.calls {
        let mut plan = plans
            .new_tree(&mut runner)
            .map_err(|e| io::Error::other(format!("generating a call: {e}")))?
            .current();
        // Exponential inter-arrival times: a Poisson process at `cps`.
        let u: f64 = runner.rng().random_range(f64::EPSILON..1.0);
        #[allow(clippy::cast_possible_truncation)] // seconds between calls, far below i64 range
        let gap_ms = (-u.ln() / options.cps.max(1e-9) * 1_000.0) as i64;
        arrival += TimeDelta::milliseconds(gap_ms);
        plan.start_time = arrival;

        let callbacks = plan.callbacks();
        let lines: Vec<(Option<DateTime<Utc>>, String)> =
            if runner.rng().random_bool(options.faults.clamp(0.0, 1.0)) {
                summary.faulty_calls += 1;
                let fault = Fault::ALL[runner.rng().random_range(0..Fault::ALL.len())];
                let pick = runner.rng().random_range(0..usize::MAX);
                let last = callbacks.iter().filter_map(|cb| cb.event_time).max();
                let (lines, _) = fault.apply(&plan, callbacks, pick);
                // Each line goes out at its own eventTime; a malformed one at the call's last.
                lines
                    .into_iter()
                    .map(|line| {
                        (
                            line.parse::<Callback>()
                                .ok()
                                .and_then(|cb| cb.event_time)
                                .or(last),
                            line,
                        )
                    })
                    .collect()
            } else {
                callbacks
                    .iter()
                    .map(|cb| (cb.event_time, delivery.render(cb)))
                    .collect()
            };
        summary.lines += delivery.add(arrival, lines, out)?;
        summary.calls += 1;
    }
    summary.lines += delivery.finish(out)?;
    Ok(summary)
}

/// The network between Bandwidth and the app: calls' callbacks merged in time order, then (when
/// perturbing) reordered within a window, some redelivered, and some written in other shapes.
pub(crate) struct Delivery {
    pending: BinaryHeap<Reverse<(DateTime<Utc>, u64, String)>>,
    order: u64,
    window: Window,
    network: TestRng,
    perturb: bool,
}

impl Delivery {
    pub(crate) fn new(perturb: bool, seed: [u8; 32]) -> Delivery {
        Delivery {
            pending: BinaryHeap::new(),
            order: 0,
            window: Window::new(if perturb { 8 } else { 1 }),
            network: TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
            perturb,
        }
    }

    /// One callback as a line, perhaps in another shape.
    pub(crate) fn render(&mut self, callback: &Callback) -> String {
        render(callback, self.perturb, &mut self.network)
    }

    /// Takes the lines of a call that arrived at `arrival`, and writes what is due: calls come in order
    /// of arrival, so no later call has a line before `arrival`. Returns how many lines were written.
    pub(crate) fn add(
        &mut self,
        arrival: DateTime<Utc>,
        lines: Vec<(Option<DateTime<Utc>>, String)>,
        out: &mut impl Write,
    ) -> io::Result<u64> {
        for (at, line) in lines {
            self.order += 1;
            self.pending
                .push(Reverse((at.unwrap_or(arrival), self.order, line)));
        }
        let mut written = 0;
        while self
            .pending
            .peek()
            .is_some_and(|Reverse((t, _, _))| *t <= arrival)
        {
            if let Some(Reverse((_, _, line))) = self.pending.pop() {
                written += self
                    .window
                    .push(line, self.perturb, &mut self.network, out)?;
            }
        }
        Ok(written)
    }

    /// Writes everything still held.
    pub(crate) fn finish(mut self, out: &mut impl Write) -> io::Result<u64> {
        let mut written = 0;
        while let Some(Reverse((_, _, line))) = self.pending.pop() {
            written += self
                .window
                .push(line, self.perturb, &mut self.network, out)?;
        }
        Ok(written + self.window.flush(out)?)
    }
}

/// Reorders lines within a bounded window and redelivers some, as the network does.
struct Window {
    size: usize,
    lines: Vec<String>,
}

impl Window {
    fn new(size: usize) -> Window {
        Window {
            size,
            lines: Vec::with_capacity(size + 2),
        }
    }

    /// Takes a line; writes one when the window is full. Returns how many lines were written.
    fn push(
        &mut self,
        line: String,
        perturb: bool,
        rng: &mut TestRng,
        out: &mut impl Write,
    ) -> io::Result<u64> {
        if perturb && rng.random_bool(0.01) {
            self.lines.push(line.clone());
        }
        self.lines.push(line);
        let mut written = 0;
        while self.lines.len() >= self.size {
            let i = if perturb {
                rng.random_range(0..self.lines.len())
            } else {
                0
            };
            let line = self.lines.swap_remove(i);
            writeln!(out, "{line}")?;
            written += 1;
        }
        Ok(written)
    }

    fn flush(&mut self, out: &mut impl Write) -> io::Result<u64> {
        let written = self.lines.len() as u64;
        for line in self.lines.drain(..) {
            writeln!(out, "{line}")?;
        }
        Ok(written)
    }
}

/// One callback as a JSON line; with `perturb`, one line in ten writes absent fields as `null` (or `""`
/// for the plain strings) and its timestamps with an offset or other fraction digits.
fn render(callback: &Callback, perturb: bool, rng: &mut TestRng) -> String {
    if !perturb || !rng.random_bool(0.1) {
        return callback.to_json();
    }
    let Ok(Value::Object(mut body)) = serde_json::to_value(callback) else {
        return callback.to_json();
    };
    for field in ["tag", "errorMessage", "errorId"] {
        if !body.contains_key(field) && rng.random_bool(0.5) {
            let empty = if rng.random_bool(0.5) {
                Value::Null
            } else {
                Value::from("")
            };
            body.insert(field.to_owned(), empty);
        }
    }
    for field in ["enqueuedTime", "answerTime", "parentCallId"] {
        if !body.contains_key(field) && rng.random_bool(0.5) {
            body.insert(field.to_owned(), Value::Null);
        }
    }
    let shape = rng.random_range(0..3);
    for field in [
        "eventTime",
        "enqueuedTime",
        "startTime",
        "answerTime",
        "endTime",
    ] {
        reshape(&mut body, field, shape);
    }
    Value::Object(body).to_string()
}

/// Writes a timestamp again, the same instant in another shape: 6 (or 9) fraction digits, or `+00:00`
/// for `Z`, or in `-05:00`.
fn reshape(body: &mut Map<String, Value>, field: &str, shape: u8) {
    let Some(t) = body
        .get(field)
        .and_then(Value::as_str)
        .and_then(|s| crate::parse_timestamp(s).ok())
    else {
        return;
    };
    let text = match shape {
        0 if t.timestamp_subsec_nanos() % 1_000 == 0 => {
            t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
        }
        0 => t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        1 => format_timestamp(&t).replace('Z', "+00:00"),
        _ => (t - TimeDelta::hours(5))
            .format("%Y-%m-%dT%H:%M:%S%.f-05:00")
            .to_string(),
    };
    body.insert(field.to_owned(), Value::from(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshaped_timestamps_keep_the_instant_to_the_nanosecond() {
        for text in [
            "2021-02-26T05:46:07.135155Z",
            "2021-02-26T05:46:07.135155001Z",
            "2021-02-26T05:46:07Z",
        ] {
            let t = crate::parse_timestamp(text).unwrap();
            for shape in 0..3 {
                let mut body = Map::new();
                body.insert("eventTime".into(), Value::from(text));
                reshape(&mut body, "eventTime", shape);
                let again = crate::parse_timestamp(body["eventTime"].as_str().unwrap()).unwrap();
                assert_eq!(again, t, "shape {shape}: {}", body["eventTime"]);
            }
        }
    }
}
