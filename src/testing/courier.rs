//! The network between Bandwidth and the app, as the generator and the log strategy play it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{Map, Value};

use crate::decode::Callback;
use crate::time::format_timestamp;

/// The network between Bandwidth and the app: calls' callbacks merged in time order, then (when
/// perturbing) reordered within a window, some redelivered, and some written in other shapes.
pub(crate) struct Courier {
    pending: BinaryHeap<Reverse<(DateTime<Utc>, u64, String)>>,
    order: u64,
    window: Window,
    network: TestRng,
    perturb: bool,
}

impl Courier {
    pub(crate) fn new(perturb: bool, seed: [u8; 32]) -> Courier {
        Courier {
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
            let t = crate::time::parse_timestamp(text).unwrap();
            for shape in 0..3 {
                let mut body = Map::new();
                body.insert("eventTime".into(), Value::from(text));
                reshape(&mut body, "eventTime", shape);
                let again =
                    crate::time::parse_timestamp(body["eventTime"].as_str().unwrap()).unwrap();
                assert_eq!(again, t, "shape {shape}: {}", body["eventTime"]);
            }
        }
    }
}
