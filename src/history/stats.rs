//! The usual telecom figures over the legs of a history: outcomes, causes, ASR, ACD, ring and queue times.
//!
//! Percentiles are exact: every duration is kept and sorted, and the p-th percentile is the value of
//! nearest rank `ceil(p/100 × n)`. Durations are taken from legs whose times are in order only: a
//! negative duration comes with a timestamp-order violation, which is counted instead.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Attempt, Call, History, HistoryOptions, Placed};
use crate::fold::{Leg, Outcome, State};

/// What stats are grouped by.
///
/// ```
/// assert_eq!(callfold::GroupBy::TransferTo.as_str(), "transfer-to");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[non_exhaustive]
pub enum GroupBy {
    /// The leg's `transferTo`.
    TransferTo,
    /// The leg's cause, verbatim (`open` for a leg that has not ended, `none` for one ended without).
    Cause,
    /// The leg's `tag` (`none` without one).
    Tag,
    /// The hour (UTC) the leg was placed in, as `2026-11-23T14` (`none` for a leg with no time).
    Hour,
    /// The day (UTC) the leg was placed in, as `2026-11-23` (`none` for a leg with no time).
    Day,
    /// The call's `accountId` (`none` without one).
    Account,
    /// The call's `applicationId` (`none` without one).
    Application,
}

impl GroupBy {
    /// The name callfold uses for it.
    ///
    /// ```
    /// assert_eq!(callfold::GroupBy::Tag.as_str(), "tag");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::TransferTo => "transfer-to",
            GroupBy::Cause => "cause",
            GroupBy::Tag => "tag",
            GroupBy::Hour => "hour",
            GroupBy::Day => "day",
            GroupBy::Account => "account",
            GroupBy::Application => "application",
        }
    }

    /// The group of a leg of `call`, placed as `placed` says.
    fn key(self, call: &Call<'_>, placed: &Placed<'_>) -> String {
        let leg = placed.leg;
        let time = |format: &str| {
            placed_at(leg).map_or_else(|| "none".to_owned(), |t| t.format(format).to_string())
        };
        match self {
            GroupBy::TransferTo => leg.transfer_to().unwrap_or("none").to_owned(),
            GroupBy::Cause => leg.end_cause().to_string(),
            GroupBy::Tag => leg.tag().unwrap_or("none").to_owned(),
            GroupBy::Hour => time("%Y-%m-%dT%H"),
            GroupBy::Day => time("%Y-%m-%d"),
            GroupBy::Account => call.account_id.unwrap_or("none").to_owned(),
            GroupBy::Application => call.application_id.unwrap_or("none").to_owned(),
        }
    }
}

/// When a leg was placed: created (`enqueuedTime`), else started, else answered or ended.
fn placed_at(leg: &Leg) -> Option<DateTime<Utc>> {
    leg.enqueued_time()
        .or(leg.start_time())
        .or(leg.answer_time())
        .or(leg.end_time())
}

/// A distribution of durations, in milliseconds.
///
/// ```
/// let s = callfold::Summary::of(vec![4_000, 1_000, 3_000, 2_000]);
/// assert_eq!((s.count, s.p50_ms, s.p95_ms, s.max_ms), (4, Some(2_000), Some(4_000), Some(4_000)));
/// assert_eq!(s.mean_ms, Some(2_500.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// How many durations.
    pub count: usize,
    /// Their mean.
    pub mean_ms: Option<f64>,
    /// The median (nearest rank).
    pub p50_ms: Option<i64>,
    /// The 95th percentile (nearest rank).
    pub p95_ms: Option<i64>,
    /// The largest.
    pub max_ms: Option<i64>,
}

impl Summary {
    /// Summarises the durations (in any order).
    ///
    /// ```
    /// assert_eq!(callfold::Summary::of(Vec::new()).p50_ms, None);
    /// ```
    pub fn of(mut values: Vec<i64>) -> Summary {
        values.sort_unstable();
        let count = values.len();
        let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
        #[allow(clippy::cast_precision_loss)] // a mean is an approximation anyway
        let mean_ms = (count > 0).then(|| sum as f64 / count as f64);
        Summary {
            count,
            mean_ms,
            p50_ms: percentile(&values, 50),
            p95_ms: percentile(&values, 95),
            max_ms: values.last().copied(),
        }
    }
}

/// The value of nearest rank `ceil(p/100 × n)` in sorted values.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The figures for one set of legs.
///
/// ```
/// use callfold::{History, Stats};
///
/// let mut history = History::new();
/// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b1","parentCallId":"c-a","cause":"hangup",
///     "startTime":"2026-11-23T14:00:01Z","answerTime":"2026-11-23T14:00:05Z","endTime":"2026-11-23T14:01:05Z"}"#.parse()?);
/// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b2","parentCallId":"c-a","cause":"hangup",
///     "startTime":"2026-11-23T14:00:01Z","endTime":"2026-11-23T14:00:05Z"}"#.parse()?);
/// let stats = Stats::of(&history, &Default::default());
/// assert_eq!((stats.legs, stats.ended, stats.answered), (2, 2, 1));
/// // One <Transfer>, answered: ASR 100%; one of its two legs answered.
/// assert_eq!((stats.attempts, stats.answered_attempts, stats.asr), (1, 1, Some(1.0)));
/// assert_eq!(stats.leg_answer_rate, Some(0.5));
/// assert_eq!(stats.talk.mean_ms, Some(60_000.0));
/// assert_eq!(stats.connected_calls, 1);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Legs in total.
    pub legs: u64,
    /// Ended legs by outcome.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Legs that have not ended (stale ones included).
    pub open: u64,
    /// Legs by cause, verbatim; `open` for legs that have not ended, `none` for ended legs without one.
    pub causes: BTreeMap<String, u64>,
    /// Legs that ended.
    pub ended: u64,
    /// Ended legs that were answered.
    pub answered: u64,
    /// Attempts (`<Transfer>`s) with a leg here.
    pub attempts: u64,
    /// Of those, attempts decided: a leg here won, or all of its legs here ended.
    pub decided_attempts: u64,
    /// Of those, attempts a leg here won.
    pub answered_attempts: u64,
    /// Answer-seizure ratio per attempt: answered ÷ decided attempts. The losers of simultaneous
    /// ringing do not count against it: one `<Transfer>` that reached someone is one seizure answered.
    pub asr: Option<f64>,
    /// Answered ÷ ended legs: how often a leg was answered, losers of simultaneous ringing included.
    pub leg_answer_rate: Option<f64>,
    /// Calls with a leg here.
    pub calls: u64,
    /// Of those, calls in which one of these legs was answered.
    pub connected_calls: u64,
    /// connected calls ÷ calls.
    pub connected_ratio: Option<f64>,
    /// Talk time of answered legs that ended (ACD is its mean).
    pub talk: Summary,
    /// Ring time: start to answer, or start to end for unanswered legs.
    pub ring: Summary,
    /// Queue time of queued legs.
    pub queue: Summary,
    /// Open legs whose `transferDisconnect` is missing (see [`History::stale`]).
    pub stale: u64,
    /// Legs with at least one violation.
    pub with_violations: u64,
    /// Legs with at least one conflict.
    pub with_conflicts: u64,
}

impl Stats {
    /// The `n` groups with the most legs, the biggest first (equal volumes keep their order), from
    /// [`StatsBuilder::finish`]'s groups.
    ///
    /// ```
    /// use callfold::{GroupBy, History, Stats, StatsBuilder};
    ///
    /// let mut history = History::new();
    /// for (leg, to) in [("c-b1", "+1555"), ("c-b2", "+1666"), ("c-b3", "+1666")] {
    ///     let body = format!(r#"{{"eventType":"transferDisconnect","callId":"{leg}","parentCallId":"c-{leg}","transferTo":"{to}"}}"#);
    ///     history.apply(&body.parse()?);
    /// }
    /// let mut builder = StatsBuilder::new(Some(GroupBy::TransferTo));
    /// for call in history.calls(&Default::default()) {
    ///     builder.add(&call);
    /// }
    /// let top = Stats::top(builder.finish(), 1);
    /// assert_eq!((top.len(), top[0].0.as_str(), top[0].1.legs), (1, "+1666", 2));
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn top(mut groups: Vec<(String, Stats)>, n: usize) -> Vec<(String, Stats)> {
        // Stable: equal volumes keep the order of their keys.
        groups.sort_by_key(|(_, stats)| std::cmp::Reverse(stats.legs));
        groups.truncate(n);
        groups
    }

    /// The figures over every leg of the history.
    ///
    /// ```
    /// let stats = callfold::Stats::of(&callfold::History::new(), &Default::default());
    /// assert_eq!((stats.legs, stats.asr), (0, None));
    /// ```
    pub fn of(history: &History, options: &HistoryOptions) -> Stats {
        // Without grouping, there is always exactly one (unnamed) group.
        build(history, options, None)
            .pop()
            .map_or_else(|| Accumulator::default().finish(), |(_, stats)| stats)
    }

    /// The figures per group, sorted by the group's key.
    ///
    /// ```
    /// use callfold::{GroupBy, History, Stats};
    ///
    /// let mut history = History::new();
    /// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"busy"}"#.parse()?);
    /// let groups = Stats::by(&history, &Default::default(), GroupBy::Cause);
    /// assert_eq!(groups[0].0, "busy");
    /// assert_eq!(groups[0].1.legs, 1);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn by(history: &History, options: &HistoryOptions, by: GroupBy) -> Vec<(String, Stats)> {
        build(history, options, Some(by))
    }
}

fn build(history: &History, options: &HistoryOptions, by: Option<GroupBy>) -> Vec<(String, Stats)> {
    let mut builder = StatsBuilder::new(by);
    for call in history.calls(options) {
        builder.add(&call);
    }
    builder.finish()
}

/// Figures built call by call, so that calls can be added as they are emitted and then forgotten.
///
/// ```
/// use callfold::{GroupBy, History, StatsBuilder};
///
/// let mut history = History::new();
/// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"busy"}"#.parse()?);
/// let mut builder = StatsBuilder::new(Some(GroupBy::Cause));
/// for call in history.calls(&Default::default()) {
///     builder.add(&call);
/// }
/// let groups = builder.finish();
/// assert_eq!((groups[0].0.as_str(), groups[0].1.legs), ("busy", 1));
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Default)]
pub struct StatsBuilder {
    by: Option<GroupBy>,
    groups: BTreeMap<String, Accumulator>,
}

impl StatsBuilder {
    /// Figures over every leg (`None`), or per group.
    ///
    /// ```
    /// assert!(callfold::StatsBuilder::new(None).finish()[0].0.is_empty());
    /// ```
    pub fn new(by: Option<GroupBy>) -> StatsBuilder {
        StatsBuilder {
            by,
            groups: BTreeMap::new(),
        }
    }

    /// Adds one call's legs.
    ///
    /// ```
    /// let mut builder = callfold::StatsBuilder::new(None);
    /// let history = callfold::History::new();
    /// for call in history.calls(&Default::default()) {
    ///     builder.add(&call);
    /// }
    /// assert_eq!(builder.finish()[0].1.calls, 0);
    /// ```
    pub fn add(&mut self, call: &Call<'_>) {
        // Each group's legs of the call, attempt by attempt.
        let mut in_call: HashMap<String, Vec<(&Attempt<'_>, Vec<&Placed<'_>>)>> = HashMap::new();
        for attempt in &call.attempts {
            let mut in_attempt: HashMap<String, Vec<&Placed<'_>>> = HashMap::new();
            for placed in &attempt.legs {
                let key = self.by.map_or_else(String::new, |by| by.key(call, placed));
                in_attempt.entry(key).or_default().push(placed);
            }
            for (key, legs) in in_attempt {
                in_call.entry(key).or_default().push((attempt, legs));
            }
        }
        for (key, attempts) in in_call {
            self.groups.entry(key).or_default().add_call(&attempts);
        }
    }

    /// Adds the figures of another builder of the same grouping, so that calls can be counted on
    /// several threads and the counts brought together: the result is the same as adding every call
    /// to one builder, in any order.
    ///
    /// ```
    /// use callfold::{History, StatsBuilder};
    ///
    /// let mut history = History::new();
    /// for leg in ["c-b1", "c-b2"] {
    ///     let body = format!(r#"{{"eventType":"transferDisconnect","callId":"{leg}","parentCallId":"p-{leg}","cause":"busy"}}"#);
    ///     history.apply(&body.parse()?);
    /// }
    /// let calls = history.calls(&Default::default());
    /// let (mut one, mut other) = (StatsBuilder::new(None), StatsBuilder::new(None));
    /// one.add(&calls[0]);
    /// other.add(&calls[1]);
    /// one.merge(other);
    /// assert_eq!(one.finish()[0].1.legs, 2);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn merge(&mut self, other: StatsBuilder) {
        for (key, acc) in other.groups {
            match self.groups.get_mut(&key) {
                Some(mine) => mine.merge(acc),
                None => {
                    self.groups.insert(key, acc);
                }
            }
        }
    }

    /// The figures: one unnamed group without grouping (even with no call), else one per key, sorted.
    ///
    /// ```
    /// assert_eq!(callfold::StatsBuilder::new(Some(callfold::GroupBy::Tag)).finish().len(), 0);
    /// ```
    pub fn finish(mut self) -> Vec<(String, Stats)> {
        if self.by.is_none() {
            self.groups.entry(String::new()).or_default();
        }
        self.groups
            .into_iter()
            .map(|(key, acc)| (key, acc.finish()))
            .collect()
    }
}

#[derive(Default)]
struct Accumulator {
    legs: u64,
    outcomes: BTreeMap<Outcome, u64>,
    open: u64,
    causes: BTreeMap<String, u64>,
    calls: u64,
    connected_calls: u64,
    attempts: u64,
    decided_attempts: u64,
    answered_attempts: u64,
    talk: Vec<i64>,
    ring: Vec<i64>,
    queue: Vec<i64>,
    stale: u64,
    with_violations: u64,
    with_conflicts: u64,
}

impl Accumulator {
    /// Adds the legs of one call (all of them, or those of one group), attempt by attempt.
    fn add_call(&mut self, attempts: &[(&Attempt<'_>, Vec<&Placed<'_>>)]) {
        let mut connected = false;
        for (attempt, legs) in attempts {
            let won = legs.iter().any(|p| attempt.winner == Some(p.leg.call_id()));
            let over = legs.iter().all(|p| p.leg.state() == State::Ended);
            self.attempts += 1;
            self.answered_attempts += u64::from(won);
            self.decided_attempts += u64::from(won || over);
            for placed in legs {
                connected |= placed.leg.was_answered();
                self.add_leg(placed.leg, placed.stale.is_some());
            }
        }
        self.calls += 1;
        self.connected_calls += u64::from(connected);
    }

    fn add_leg(&mut self, leg: &Leg, stale: bool) {
        self.legs += 1;
        match leg.outcome() {
            Some(outcome) => *self.outcomes.entry(outcome).or_default() += 1,
            None => self.open += 1,
        }
        *self.causes.entry(leg.end_cause().to_string()).or_default() += 1;
        self.stale += u64::from(stale);
        self.with_violations += u64::from(!leg.violations().is_empty());
        self.with_conflicts += u64::from(!leg.conflicts().is_empty());
        for (values, ms) in [
            (&mut self.talk, leg.talk_ms()),
            (&mut self.ring, leg.ring_ms()),
            (&mut self.queue, leg.queue_ms()),
        ] {
            values.extend(ms.filter(|ms| *ms >= 0));
        }
    }

    fn merge(&mut self, other: Accumulator) {
        // Taken apart, so that a field added to the accumulator cannot be forgotten here.
        let Accumulator {
            legs,
            outcomes,
            open,
            causes,
            calls,
            connected_calls,
            attempts,
            decided_attempts,
            answered_attempts,
            talk,
            ring,
            queue,
            stale,
            with_violations,
            with_conflicts,
        } = other;
        for (outcome, n) in outcomes {
            *self.outcomes.entry(outcome).or_default() += n;
        }
        for (cause, n) in causes {
            *self.causes.entry(cause).or_default() += n;
        }
        self.legs += legs;
        self.open += open;
        self.calls += calls;
        self.connected_calls += connected_calls;
        self.attempts += attempts;
        self.decided_attempts += decided_attempts;
        self.answered_attempts += answered_attempts;
        self.talk.extend(talk);
        self.ring.extend(ring);
        self.queue.extend(queue);
        self.stale += stale;
        self.with_violations += with_violations;
        self.with_conflicts += with_conflicts;
    }

    fn finish(self) -> Stats {
        let ended: u64 = self.outcomes.values().sum();
        let answered = self.outcomes.get(&Outcome::Answered).copied().unwrap_or(0);
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        Stats {
            legs: self.legs,
            attempts: self.attempts,
            decided_attempts: self.decided_attempts,
            answered_attempts: self.answered_attempts,
            asr: ratio(self.answered_attempts, self.decided_attempts),
            leg_answer_rate: ratio(answered, ended),
            connected_ratio: ratio(self.connected_calls, self.calls),
            outcomes: self.outcomes,
            open: self.open,
            causes: self.causes,
            ended,
            answered,
            calls: self.calls,
            connected_calls: self.connected_calls,
            talk: Summary::of(self.talk),
            ring: Summary::of(self.ring),
            queue: Summary::of(self.queue),
            stale: self.stale,
            with_violations: self.with_violations,
            with_conflicts: self.with_conflicts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_by_hand() {
        let values: Vec<i64> = (1..=20).collect();
        assert_eq!(percentile(&values, 50), Some(10));
        assert_eq!(percentile(&values, 95), Some(19));
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[1, 2], 50), Some(1));
        assert_eq!(percentile(&[1, 2], 95), Some(2));
        assert_eq!(percentile(&[], 50), None);
    }
}
