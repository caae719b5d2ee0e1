//! `/metrics`: Prometheus text from the Prometheus project's Rust client.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use callfold::{Commit, State};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::Shared;

type Labels = Vec<(&'static str, String)>;

pub struct Metrics {
    registry: Registry,
    callbacks: Family<Labels, Counter>,
    commit_bodies: Histogram,
    commit_seconds: Histogram,
    fsyncs: Counter,
    legs: Family<Labels, Gauge>,
    log_bytes: Gauge,
    log_next_position: Gauge,
    refused: Gauge,
    unreadable: Gauge,
}

/// The result label of a callback.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Stored,
    Invalid,
    Unauthorized,
    TooLarge,
    Unavailable,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::Invalid => "invalid",
            Outcome::Unauthorized => "unauthorized",
            Outcome::TooLarge => "too_large",
            Outcome::Unavailable => "unavailable",
        }
    }
}

/// Event types named as such in the labels; any other is `other`, so a sender cannot grow the metrics
/// without bound.
const EVENT_TYPES: [&str; 8] = [
    "transferAnswer",
    "transferDisconnect",
    "transferComplete",
    "initiate",
    "answer",
    "disconnect",
    "redirect",
    "unknown",
];

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("callfold");
        let callbacks = Family::<Labels, Counter>::default();
        registry.register(
            "callbacks",
            "Callbacks received, by eventType and result (stored, invalid, unauthorized, too_large, unavailable)",
            callbacks.clone(),
        );
        let commit_bodies = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        registry.register(
            "commit_bodies",
            "Bodies written by one commit of the event log (group commit shares one fdatasync)",
            commit_bodies.clone(),
        );
        let commit_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "commit_seconds",
            "Time to write and sync one commit of the event log",
            commit_seconds.clone(),
        );
        let fsyncs = Counter::default();
        registry.register("fsyncs", "fdatasync calls on the event log", fsyncs.clone());
        let legs = Family::<Labels, Gauge>::default();
        registry.register("legs", "Legs held in memory, by state", legs.clone());
        let log_bytes = Gauge::default();
        registry.register(
            "log_bytes",
            "Bytes in the event log's segments",
            log_bytes.clone(),
        );
        let log_next_position = Gauge::default();
        registry.register(
            "log_next_position",
            "The position the next body of the log gets (a local log's line, a stream's sequence)",
            log_next_position.clone(),
        );
        let refused = Gauge::default();
        registry.register(
            "refused",
            "Logged callbacks the projection could not hold (at --max-legs)",
            refused.clone(),
        );
        let unreadable = Gauge::default();
        registry.register(
            "unreadable",
            "Logged bodies the projection could not read as callbacks",
            unreadable.clone(),
        );
        Metrics {
            registry,
            callbacks,
            commit_bodies,
            commit_seconds,
            fsyncs,
            legs,
            log_bytes,
            log_next_position,
            refused,
            unreadable,
        }
    }

    /// Counts a callback by its event type and result.
    pub fn callback(&self, event_type: &str, outcome: Outcome) {
        let event_type = if EVENT_TYPES.contains(&event_type) {
            event_type
        } else {
            "other"
        };
        self.callbacks
            .get_or_create(&vec![
                ("event_type", event_type.to_owned()),
                ("result", outcome.label().to_owned()),
            ])
            .inc();
    }

    /// What the event log calls after each commit.
    pub fn commit_observer(&self) -> impl Fn(Commit) + Send + Sync + 'static {
        let bodies = self.commit_bodies.clone();
        let seconds = self.commit_seconds.clone();
        let fsyncs = self.fsyncs.clone();
        move |commit| {
            // Batches are far below 2^52 bodies.
            #[allow(clippy::cast_precision_loss)]
            bodies.observe(commit.bodies as f64);
            seconds.observe(commit.seconds);
            if commit.synced {
                fsyncs.inc();
            }
        }
    }

    /// The text of `/metrics`, with the gauges read now.
    pub fn render(&self, shared: &Arc<Shared>) -> String {
        let mut counts = [0i64; 4];
        for leg in shared.projection.read().legs() {
            counts[state_index(leg.state())] += 1;
        }
        for (state, count) in ["enqueued", "ringing", "answered", "ended"]
            .into_iter()
            .zip(counts)
        {
            self.legs
                .get_or_create(&vec![("state", state.to_owned())])
                .set(count);
        }
        if let Some(bytes) = shared.log.bytes() {
            self.log_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
        self.log_next_position
            .set(i64::try_from(shared.projection.next_position()).unwrap_or(i64::MAX));
        let projection = &shared.projection;
        self.refused
            .set(i64::try_from(projection.refused.load(Ordering::Relaxed)).unwrap_or(i64::MAX));
        self.unreadable
            .set(i64::try_from(projection.unreadable.load(Ordering::Relaxed)).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

fn state_index(state: State) -> usize {
    match state {
        State::Enqueued => 0,
        State::Ringing => 1,
        State::Answered => 2,
        State::Ended => 3,
    }
}
