//! Realistic, deterministic Bandwidth transfer traffic: the strategies of [`super::strategy`] driven by
//! a seeded `TestRunner`, merged in time order and perturbed the way Bandwidth perturbs deliveries.
//!
//! The log streams: calls start in order, and the events of the calls in flight wait in a heap until no
//! later call can come before them. Memory follows the calls in flight, not the length of the log.

use std::io::{self, Write};

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::Rng;
use proptest::strategy::{Just, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::courier::Courier;
use super::strategy::{Fault, call_plan_at};
use crate::decode::Callback;

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
    /// Calls that got each fault, in the order of [`Fault::ALL`].
    pub faults: [u64; Fault::ALL.len()],
}

impl GenerateSummary {
    /// How many calls got this fault.
    ///
    /// ```
    /// use callfold::strategy::Fault;
    ///
    /// let options = callfold::GenerateOptions { calls: 50, faults: 1.0, ..Default::default() };
    /// let summary = callfold::generate(&options, &mut std::io::sink())?;
    /// assert_eq!(Fault::ALL.iter().map(|f| summary.calls_with(*f)).sum::<u64>(), 50);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn calls_with(&self, fault: Fault) -> u64 {
        Fault::ALL
            .iter()
            .position(|f| *f == fault)
            .map_or(0, |at| self.faults[at])
    }
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
    let mut delivery = Courier::new(options.perturb, seed);
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
                let which = runner.rng().random_range(0..Fault::ALL.len());
                summary.faults[which] += 1;
                let fault = Fault::ALL[which];
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
