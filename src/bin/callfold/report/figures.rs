//! The report's figures, built call by call and then forgotten, so that a report of a log of millions
//! of callbacks holds counts and durations, never its calls: the totals and the top destinations are
//! `callfold stats`'s own (the same builder), and the buckets over time, the distributions and the
//! findings are added here.

use std::collections::{BTreeMap, HashMap};

use callfold::{Attempt, Call, Leg, Outcome, State, Stats, StatsBuilder, Summary};
use chrono::{DateTime, TimeDelta, Utc};

use crate::pictures::timeline;

/// An attempt's outcome, as the chart over time stacks them: answered when a leg won, open while a
/// leg rings, else the outcome most of its legs ended with (ties to the first in this list).
pub const ATTEMPT_OUTCOMES: [&str; 7] = [
    "answered",
    "busy",
    "no-answer",
    "rejected",
    "cancelled",
    "failed",
    "open",
];

/// What one bucket of time holds: the attempts placed in it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Bucket {
    /// Attempts by outcome, in the order of [`ATTEMPT_OUTCOMES`].
    pub attempts: [u64; 7],
    /// Attempts decided (answered, or every leg ended).
    pub decided: u64,
    /// Attempts a leg won.
    pub answered: u64,
    /// Ring times of the attempts' legs, in milliseconds.
    pub ring: Vec<i64>,
}

impl Bucket {
    /// Answered ÷ decided attempts.
    pub fn asr(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        (self.decided > 0).then(|| self.answered as f64 / self.decided as f64)
    }

    fn merge(&mut self, other: Bucket) {
        for (a, b) in self.attempts.iter_mut().zip(other.attempts) {
            *a += b;
        }
        self.decided += other.decided;
        self.answered += other.answered;
        self.ring.extend(other.ring);
    }
}

/// A violation, conflict or stale leg, with the call it links to.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `violation`, `conflict` or `stale`.
    pub kind: &'static str,
    /// The call (its A-leg's id; a leg with no parent is its own call).
    pub call: String,
    /// The leg, or the A-leg's id for a conflict between the A-leg's callbacks.
    pub leg: String,
    /// What it is, in words.
    pub text: String,
}

/// A call the report draws, with its findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    pub findings: Vec<Finding>,
    /// Its timeline, as HTML.
    pub timeline: String,
}

/// How many calls with findings the report lists and draws; the rest are counted.
pub const LINKED_CALLS: usize = 40;

/// The report's figures.
pub struct Figures {
    totals: StatsBuilder,
    destinations: HashMap<String, Destination>,
    /// Bucket width in seconds: an hour, or a custom width (serve's live page uses 5 minutes).
    width: i64,
    buckets: BTreeMap<i64, Bucket>,
    pub ring: Vec<i64>,
    pub talk: Vec<i64>,
    pub queue: Vec<i64>,
    /// The calls the report draws: those with findings, the first [`LINKED_CALLS`] of them (and the
    /// call `--call` names).
    pub drawn: Vec<Drawn>,
    /// Findings past [`LINKED_CALLS`] calls: counted, not listed.
    pub more_findings: u64,
    pub more_calls: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Whether calls with findings are listed and drawn.
    draw_calls: bool,
}

/// When a leg was placed: created (`enqueuedTime`), else started, else answered or ended; the time
/// `callfold stats --by hour` groups it by.
pub fn placed_at(leg: &Leg) -> Option<DateTime<Utc>> {
    leg.enqueued_time()
        .or(leg.start_time())
        .or(leg.answer_time())
        .or(leg.end_time())
}

impl Figures {
    /// Figures with buckets `width` wide (an hour for a report).
    pub fn new(width: TimeDelta) -> Figures {
        Figures {
            totals: StatsBuilder::new(None),
            destinations: HashMap::new(),
            width: width.num_seconds().max(1),
            buckets: BTreeMap::new(),
            ring: Vec::new(),
            talk: Vec::new(),
            queue: Vec::new(),
            drawn: Vec::new(),
            more_findings: 0,
            more_calls: 0,
            first: None,
            last: None,
            draw_calls: true,
        }
    }

    /// Figures alone: no findings listed and no call drawn.
    pub fn without_calls(mut self) -> Figures {
        self.draw_calls = false;
        self
    }

    /// Makes the buckets over time cover `from` to `to`, attempts or not.
    pub fn cover(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) {
        for t in [from, to] {
            self.buckets
                .entry(t.timestamp().div_euclid(self.width))
                .or_default();
        }
    }

    /// Adds one call; draws its timeline when it has findings (while fewer than [`LINKED_CALLS`]
    /// are drawn), or when `draw` says so.
    pub fn add(&mut self, call: &Call<'_>, draw: bool) {
        self.totals.add(call);
        for attempt in &call.attempts {
            self.add_attempt(attempt);
            self.add_destinations(attempt);
        }
        for leg in call.legs() {
            for (values, ms) in [
                (&mut self.ring, leg.ring_ms()),
                (&mut self.talk, leg.talk_ms()),
                (&mut self.queue, leg.queue_ms()),
            ] {
                values.extend(ms.filter(|ms| *ms >= 0));
            }
        }
        if self.draw_calls {
            self.add_findings(call, draw);
        }
    }

    /// Adds the figures of calls counted elsewhere (on another thread), as if they came after this
    /// one's: the same figures as adding every call here, in that order.
    pub fn merge(&mut self, other: Figures) {
        self.totals.merge(other.totals);
        for (to, d) in other.destinations {
            self.destinations.entry(to).or_default().merge(&d);
        }
        for (key, bucket) in other.buckets {
            self.buckets.entry(key).or_default().merge(bucket);
        }
        self.ring.extend(other.ring);
        self.talk.extend(other.talk);
        self.queue.extend(other.queue);
        for drawn in other.drawn {
            self.keep(drawn);
        }
        self.more_findings += other.more_findings;
        self.more_calls += other.more_calls;
        self.first = [self.first, other.first].into_iter().flatten().min();
        self.last = [self.last, other.last].into_iter().flatten().max();
    }

    /// Keeps a drawn call while fewer than [`LINKED_CALLS`] are; counts its findings otherwise.
    fn keep(&mut self, drawn: Drawn) {
        if self.drawn.len() < LINKED_CALLS || drawn.findings.is_empty() {
            self.drawn.push(drawn);
        } else {
            self.more_findings += drawn.findings.len() as u64;
            self.more_calls += 1;
        }
    }

    fn add_attempt(&mut self, attempt: &Attempt<'_>) {
        let Some(at) = attempt.legs.iter().find_map(|p| placed_at(p.leg)) else {
            return; // no time: counted in the totals, not over time
        };
        self.first = Some(self.first.map_or(at, |t| t.min(at)));
        self.last = Some(self.last.map_or(at, |t| t.max(at)));
        let bucket = self
            .buckets
            .entry(at.timestamp().div_euclid(self.width))
            .or_default();
        let over = attempt.legs.iter().all(|p| p.leg.state() == State::Ended);
        let outcome = if attempt.winner.is_some() {
            0
        } else if !over {
            6
        } else {
            let mut counts = [0u32; 7];
            for p in &attempt.legs {
                counts[outcome_index(p.leg.outcome())] += 1;
            }
            // The most common; max_by_key keeps the last of equals, so look from the end.
            (0..7).rev().max_by_key(|&i| counts[i]).unwrap_or(5)
        };
        bucket.attempts[outcome] += 1;
        bucket.answered += u64::from(attempt.winner.is_some());
        bucket.decided += u64::from(attempt.winner.is_some() || over);
        bucket.ring.extend(
            attempt
                .legs
                .iter()
                .filter_map(|p| p.leg.ring_ms())
                .filter(|ms| *ms >= 0),
        );
    }

    /// An attempt counts for each destination it rang, as `callfold stats --by transfer-to` counts:
    /// answered there when the winner was a leg to it, decided when that or when its legs to it all
    /// ended.
    fn add_destinations(&mut self, attempt: &Attempt<'_>) {
        let mut seen: Vec<&str> = Vec::new();
        for placed in &attempt.legs {
            let leg = placed.leg;
            let to = leg.transfer_to().unwrap_or("none");
            let d = match self.destinations.get_mut(to) {
                Some(d) => d,
                None => self.destinations.entry(to.to_owned()).or_default(),
            };
            d.legs += 1;
            if let Some(ring) = leg.ring_ms().filter(|ms| *ms >= 0) {
                d.ring.add(ring);
            }
            if let Some(talk) = leg.talk_ms().filter(|ms| *ms >= 0) {
                d.talk.add(talk);
            }
            if seen.contains(&to) {
                continue;
            }
            seen.push(to);
            let here = || {
                attempt
                    .legs
                    .iter()
                    .filter(move |p| p.leg.transfer_to().unwrap_or("none") == to)
            };
            let won = here().any(|p| attempt.winner == Some(p.leg.call_id()));
            let over = here().all(|p| p.leg.state() == State::Ended);
            d.attempts += 1;
            d.answered += u64::from(won);
            d.decided += u64::from(won || over);
        }
    }

    fn add_findings(&mut self, call: &Call<'_>, draw: bool) {
        let bad = |leg: &Leg| !leg.violations().is_empty() || !leg.conflicts().is_empty();
        let any = !call.conflicts.is_empty()
            || call
                .attempts
                .iter()
                .flat_map(|a| &a.legs)
                .any(|p| p.stale.is_some() || bad(p.leg));
        if !any && !draw {
            return;
        }
        if any && self.drawn.len() >= LINKED_CALLS {
            // Counted, not listed: no need to describe them.
            let n = call.conflicts.len()
                + call
                    .attempts
                    .iter()
                    .flat_map(|a| &a.legs)
                    .map(|p| {
                        p.leg.violations().len()
                            + p.leg.conflicts().len()
                            + usize::from(p.stale.is_some())
                    })
                    .sum::<usize>();
            self.more_findings += n as u64;
            self.more_calls += 1;
            return;
        }
        let id = call.call_id.map_or_else(
            || {
                call.legs()
                    .next()
                    .map_or_else(String::new, |l| l.call_id().to_string())
            },
            ToString::to_string,
        );
        let mut found = Vec::new();
        for conflict in &call.conflicts {
            found.push(Finding {
                kind: "conflict",
                call: id.clone(),
                leg: id.clone(),
                text: format!(
                    "the A-leg's callbacks disagree on {}: {}",
                    conflict.field(),
                    conflict.values().join(" / ")
                ),
            });
        }
        for attempt in &call.attempts {
            for placed in &attempt.legs {
                let leg = placed.leg;
                let leg_id = leg.call_id().to_string();
                for v in leg.violations() {
                    found.push(Finding {
                        kind: "violation",
                        call: id.clone(),
                        leg: leg_id.clone(),
                        text: format!("{}: {v}", v.code()),
                    });
                }
                for c in leg.conflicts() {
                    found.push(Finding {
                        kind: "conflict",
                        call: id.clone(),
                        leg: leg_id.clone(),
                        text: format!("{}: {}", c.field(), c.values().join(" / ")),
                    });
                }
                if let Some(stale) = &placed.stale {
                    found.push(Finding {
                        kind: "stale",
                        call: id.clone(),
                        leg: leg_id.clone(),
                        text: format!(
                            "its transferDisconnect is missing ({})",
                            stale.reason.code()
                        ),
                    });
                }
            }
        }
        self.keep(Drawn {
            findings: found,
            timeline: timeline::figure(call),
        });
    }
}

/// A sum and a count, for a mean.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Mean {
    sum: i64,
    count: u64,
}

impl Mean {
    fn merge(&mut self, other: Mean) {
        self.sum = self.sum.saturating_add(other.sum);
        self.count += other.count;
    }

    fn add(&mut self, ms: i64) {
        self.sum = self.sum.saturating_add(ms);
        self.count += 1;
    }

    /// The mean, in milliseconds.
    #[allow(clippy::cast_possible_truncation)] // a mean of i64 values fits an i64
    pub fn ms(self) -> Option<i64> {
        (self.count > 0).then(|| (self.sum as f64 / self.count as f64).round() as i64)
    }
}

/// One destination's figures: counts and means only, since a log may hold a destination per leg.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Destination {
    pub legs: u64,
    pub attempts: u64,
    pub decided: u64,
    pub answered: u64,
    pub ring: Mean,
    pub talk: Mean,
}

impl Destination {
    fn merge(&mut self, other: &Destination) {
        self.legs += other.legs;
        self.attempts += other.attempts;
        self.decided += other.decided;
        self.answered += other.answered;
        self.ring.merge(other.ring);
        self.talk.merge(other.talk);
    }

    /// Answered ÷ decided attempts.
    pub fn asr(&self) -> Option<f64> {
        (self.decided > 0).then(|| self.answered as f64 / self.decided as f64)
    }
}

/// The width of the buckets over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Hour,
    Day,
    /// Any other width, in seconds (serve's live page).
    Seconds(i64),
}

/// The figures, ready to draw.
pub struct Report {
    pub totals: Stats,
    /// The ten destinations with the most legs (equal volumes by name).
    pub destinations: Vec<(String, Destination)>,
    /// Destinations in all.
    pub destination_count: usize,
    pub width: Width,
    /// Every bucket from the first to the last (gaps filled), by its start.
    pub buckets: Vec<(DateTime<Utc>, Bucket)>,
    pub ring: Vec<i64>,
    pub talk: Vec<i64>,
    pub queue: Vec<i64>,
    pub drawn: Vec<Drawn>,
    pub more_findings: u64,
    pub more_calls: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

/// Past this many hourly buckets, a report counts per day.
const MOST_HOURS: i64 = 72;
/// Past this many buckets even per day, gaps stay unfilled (a log whose times are far apart).
const MOST_BUCKETS: i64 = 400;

impl Figures {
    /// The figures; hours become days when the log spans more than three days.
    pub fn finish(self) -> Report {
        let mut width = if self.width == 3600 {
            Width::Hour
        } else {
            Width::Seconds(self.width)
        };
        let mut step = self.width;
        let mut buckets = self.buckets;
        let span = |b: &BTreeMap<i64, Bucket>| match (b.first_key_value(), b.last_key_value()) {
            (Some((first, _)), Some((last, _))) => last - first + 1,
            _ => 0,
        };
        if width == Width::Hour && span(&buckets) > MOST_HOURS {
            width = Width::Day;
            step = 86_400;
            let mut days: BTreeMap<i64, Bucket> = BTreeMap::new();
            for (hour, bucket) in buckets {
                days.entry(hour.div_euclid(24)).or_default().merge(bucket);
            }
            buckets = days;
        }
        if span(&buckets) <= MOST_BUCKETS
            && let (Some(&first), Some(&last)) = (buckets.keys().next(), buckets.keys().next_back())
        {
            for key in first..=last {
                buckets.entry(key).or_default();
            }
        }
        let buckets = buckets
            .into_iter()
            .filter_map(|(key, bucket)| {
                Some((DateTime::from_timestamp(key.checked_mul(step)?, 0)?, bucket))
            })
            .collect();
        let destination_count = self.destinations.len();
        let mut destinations: Vec<(String, Destination)> = self.destinations.into_iter().collect();
        destinations.sort_by(|a, b| b.1.legs.cmp(&a.1.legs).then_with(|| a.0.cmp(&b.0)));
        destinations.truncate(10);
        Report {
            totals: self.totals.finish().pop().map_or_else(
                || {
                    Stats::of(
                        &callfold::History::new(),
                        &callfold::HistoryOptions::default(),
                    )
                },
                |(_, stats)| stats,
            ),
            destinations,
            destination_count,
            width,
            buckets,
            ring: self.ring,
            talk: self.talk,
            queue: self.queue,
            drawn: self.drawn,
            more_findings: self.more_findings,
            more_calls: self.more_calls,
            first: self.first,
            last: self.last,
        }
    }
}

/// One bin of a histogram: `[from, to)` in milliseconds; the last bin has no end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bin {
    pub from_ms: i64,
    pub to_ms: Option<i64>,
    pub count: u64,
}

/// A histogram of durations in at most `most` bins of a round width (1, 2 or 5 × 10ⁿ ms) that covers
/// the values up to their 99th percentile; the last bin holds everything from its start on.
pub fn histogram(values: &[i64], most: u8) -> Vec<Bin> {
    if values.is_empty() || most == 0 {
        return Vec::new();
    }
    let mut sorted = values.to_vec();
    let rank = (sorted.len() * 99).div_ceil(100).max(1) - 1;
    let (_, p99, _) = sorted.select_nth_unstable(rank);
    let p99 = (*p99).max(1);
    let mut width = 1i64;
    'search: for scale in (0..15).map(|e| 10i64.pow(e)) {
        for m in [1, 2, 5] {
            width = m * scale;
            if p99 / width < i64::from(most) {
                break 'search;
            }
        }
    }
    let bins = usize::try_from((p99 / width + 1).min(i64::from(most))).unwrap_or(1);
    let mut counts = vec![0u64; bins];
    for &v in values {
        let i = usize::try_from(v.max(0) / width)
            .unwrap_or(usize::MAX)
            .min(bins - 1);
        counts[i] += 1;
    }
    (0i64..)
        .zip(counts)
        .map(|(i, count)| Bin {
            from_ms: i * width,
            to_ms: (i + 1 < i64::from(most).min(p99 / width + 1)).then(|| (i + 1) * width),
            count,
        })
        .collect()
}

/// p50 and p95 of durations (nearest rank), as `callfold stats` computes them.
pub fn percentiles(values: &[i64]) -> (Option<i64>, Option<i64>) {
    let s = Summary::of(values.to_vec());
    (s.p50_ms, s.p95_ms)
}

fn outcome_index(outcome: Option<Outcome>) -> usize {
    match outcome {
        Some(Outcome::Answered) => 0,
        Some(Outcome::Busy) => 1,
        Some(Outcome::NoAnswer) => 2,
        Some(Outcome::Rejected) => 3,
        Some(Outcome::Cancelled) => 4,
        Some(Outcome::Failed) => 5,
        None => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callfold::{History, HistoryOptions};

    /// The report of a log, its calls added on one `Figures`, and again split in two and merged: both
    /// must agree.
    fn figures_of(log: &str) -> (Report, Vec<String>) {
        let mut history = History::new();
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            if let Ok(callback) = line.parse() {
                history.apply(&callback);
            }
        }
        let calls = history.calls(&HistoryOptions::default());
        let mut whole = Figures::new(TimeDelta::hours(1));
        for call in &calls {
            whole.add(call, false);
        }
        let (mut one, mut other) = (
            Figures::new(TimeDelta::hours(1)),
            Figures::new(TimeDelta::hours(1)),
        );
        let half = calls.len() / 2;
        for call in &calls[..half] {
            one.add(call, false);
        }
        for call in &calls[half..] {
            other.add(call, false);
        }
        one.merge(other);
        let (whole, merged) = (whole.finish(), one.finish());
        assert_eq!(whole.totals, merged.totals);
        assert_eq!(whole.buckets, merged.buckets);
        assert_eq!(whole.destinations, merged.destinations);
        assert_eq!(whole.drawn, merged.drawn);
        assert_eq!(
            (whole.more_calls, whole.more_findings),
            (merged.more_calls, merged.more_findings)
        );
        let linked = whole
            .drawn
            .iter()
            .filter_map(|d| d.findings.first().map(|f| f.call.clone()))
            .collect();
        (whole, linked)
    }

    /// The hand-made log, worked out by hand: four calls, five attempts, all placed between 14:00 and
    /// 14:02 on 2026-11-23, so one hourly bucket.
    #[test]
    fn the_hand_made_log_by_hand() {
        let (report, linked) = figures_of(include_str!("../../../../tests/data/hand-made.jsonl"));
        assert_eq!(report.width, Width::Hour);
        assert_eq!(report.buckets.len(), 1);
        let (from, bucket) = &report.buckets[0];
        assert_eq!(from.to_rfc3339(), "2026-11-23T14:00:00+00:00");
        // c-1e27: answered; c-36f6: busy, then answered; c-3926: one rejected and two no-answer legs
        // that rang together, so no-answer; c-52e6: answered (the other leg was cancelled).
        assert_eq!(bucket.attempts, [3, 1, 1, 0, 0, 0, 0]);
        assert_eq!((bucket.answered, bucket.decided), (3, 5));
        assert_eq!(bucket.asr(), Some(0.6));
        // Ring times: 7.420-2.100, 7.430-2.130, 4.2-1.0, 32.3-31.5, 30 s twice, 44.9-41.2, 49.8-36.0.
        let mut ring = bucket.ring.clone();
        ring.sort_unstable();
        assert_eq!(
            ring,
            [800, 3_200, 3_700, 5_300, 5_320, 13_800, 30_000, 30_000]
        );
        assert_eq!(percentiles(&ring), (Some(5_300), Some(30_000)));
        assert_eq!((report.talk.len(), report.queue.len()), (2, 1));
        // The totals are `callfold stats`'s: 8 legs, ASR 3/5.
        assert_eq!(
            (
                report.totals.legs,
                report.totals.attempts,
                report.totals.calls
            ),
            (8, 5, 4)
        );
        // Eight destinations of one leg each: the ten biggest are all eight, by name.
        assert_eq!(
            (report.destinations.len(), report.destination_count),
            (8, 8)
        );
        assert_eq!(report.destinations[0].0, "+15556667777");
        assert!(report.destinations.iter().all(|(_, d)| d.legs == 1));
        // +15556667777 is c-0c5c's leg: rang 7.420-2.100 s, talked 1:11.900-0:07.420, won its attempt.
        let d = &report.destinations[0].1;
        assert_eq!(
            (d.attempts, d.answered, d.decided, d.asr()),
            (1, 1, 1, Some(1.0))
        );
        assert_eq!((d.ring.ms(), d.talk.ms()), (Some(5_320), Some(64_480)));
        assert!(report.drawn.is_empty() && linked.is_empty());
    }

    /// The ring histogram of the hand-made log: the 99th percentile is 30 s, so 2 s bins, 16 of them.
    #[test]
    fn histogram_bins_by_hand() {
        let bins = histogram(
            &[800, 3_200, 3_700, 5_300, 5_320, 13_800, 30_000, 30_000],
            24,
        );
        assert_eq!(bins.len(), 16);
        let counts: Vec<(i64, u64)> = bins
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| (b.from_ms, b.count))
            .collect();
        assert_eq!(
            counts,
            [(0, 1), (2_000, 2), (4_000, 2), (12_000, 1), (30_000, 2)]
        );
        assert_eq!(bins[14].to_ms, Some(30_000));
        assert_eq!(
            bins[15].to_ms, None,
            "the last bin holds everything from its start on"
        );
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 8);
        assert!(histogram(&[], 24).is_empty());
        // An outlier past the 99th percentile goes in the last bin instead of stretching the axis.
        let mut values = vec![1_000; 200];
        values.push(86_400_000);
        let bins = histogram(&values, 24);
        let last = bins.last().map(|b| (b.from_ms, b.to_ms, b.count));
        assert_eq!((bins.len(), last), (21, Some((1_000, None, 201))));
    }

    #[test]
    fn findings_link_their_calls_and_past_forty_are_counted() {
        let (report, linked) = figures_of(include_str!("../../../../tests/data/faulty.jsonl"));
        let findings: Vec<&Finding> = report.drawn.iter().flat_map(|d| &d.findings).collect();
        let kinds: Vec<(&str, &str)> = findings.iter().map(|f| (f.kind, f.leg.as_str())).collect();
        assert_eq!(
            kinds,
            [
                ("violation", "c-1"),
                ("conflict", "c-1"),
                ("violation", "c-2"),
                ("conflict", "c-2"),
                ("violation", "c-3")
            ]
        );
        assert_eq!(linked, ["c-a", "c-b"]);
        assert!(report.drawn[0].timeline.contains(r#"id="call-c-a""#));

        let log: String = (0..45)
            .map(|i| {
                format!(
                    r#"{{"eventType":"transferDisconnect","callId":"c-{i:02}-b","parentCallId":"c-{i:02}","cause":"busy","startTime":"2026-11-23T14:00:00Z","answerTime":"2026-11-23T14:00:01Z","endTime":"2026-11-23T14:00:02Z"}}"#
                ) + "\n"
            })
            .collect();
        let (report, linked) = figures_of(&log);
        assert_eq!(linked.len(), LINKED_CALLS);
        assert_eq!(
            report.drawn.iter().map(|d| d.findings.len()).sum::<usize>(),
            LINKED_CALLS
        );
        assert_eq!((report.more_calls, report.more_findings), (5, 5));
    }

    #[test]
    fn past_three_days_the_buckets_are_days_with_the_gaps_filled() {
        let leg = |id: &str, day: u32| {
            format!(
                r#"{{"eventType":"transferDisconnect","callId":"{id}","parentCallId":"p-{id}","cause":"timeout","startTime":"2026-11-{day:02}T10:00:00Z","endTime":"2026-11-{day:02}T10:00:30Z"}}"#
            ) + "\n"
        };
        let (report, _) = figures_of(&(leg("c-1", 20) + &leg("c-2", 24)));
        assert_eq!(report.width, Width::Day);
        let days: Vec<String> = report
            .buckets
            .iter()
            .map(|(t, _)| t.format("%d").to_string())
            .collect();
        assert_eq!(days, ["20", "21", "22", "23", "24"]);
        assert_eq!(report.buckets[0].1.attempts[2], 1, "a timeout is no-answer");
        assert_eq!(report.buckets[2].1.asr(), None);
        // Two days apart: still hours, 49 of them.
        let (report, _) = figures_of(&(leg("c-1", 20) + &leg("c-2", 22)));
        assert_eq!((report.width, report.buckets.len()), (Width::Hour, 49));
    }
}
