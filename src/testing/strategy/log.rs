//! Logs: many calls, delivered the way Bandwidth delivers them.

use chrono::DateTime;
use proptest::prelude::*;

use super::call::{CallPlan, call_plan_at};
use super::{ms, timestamp};
use crate::testing::courier::Courier;

/// A log of many calls, as Bandwidth delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// The calls, in order of arrival.
    pub plans: Vec<CallPlan>,
    /// Their callbacks, one JSON body per line: interleaved in time, reordered within a window of 8
    /// lines, 1% redelivered, and on one line in ten, absent fields written as `null` or `""` and
    /// timestamps with an offset or 6 fraction digits.
    pub lines: Vec<String>,
}

/// A log of `calls` calls arriving up to 30 s apart, delivered the way Bandwidth delivers: the same
/// model and delivery as `callfold generate`.
///
/// ```
/// use callfold::{History, HistoryOptions};
/// use callfold::strategy::log;
/// use proptest::prelude::*;
/// use proptest::test_runner::TestRunner;
///
/// TestRunner::default().run(&log(1..10), |log| {
///     let mut history = History::new();
///     for line in &log.lines {
///         history.apply(&line.parse().unwrap());
///     }
///     // Reordering and redelivery change nothing: one record per planned call.
///     prop_assert_eq!(history.calls(&HistoryOptions::default()).len(), log.plans.len());
///     Ok(())
/// }).unwrap();
/// ```
pub fn log(calls: impl Into<proptest::collection::SizeRange>) -> impl Strategy<Value = Log> {
    let call = (call_plan_at(Just(DateTime::UNIX_EPOCH)), 0..30_000i64);
    (
        proptest::collection::vec(call, calls),
        timestamp(),
        any::<[u8; 32]>(),
    )
        .prop_map(|(calls, start, seed)| {
            let mut delivery = Courier::new(true, seed);
            let mut out = Vec::new();
            let mut arrival = start;
            let mut plans = Vec::with_capacity(calls.len());
            for (mut plan, gap_ms) in calls {
                arrival += ms(gap_ms);
                plan.start_time = arrival;
                let lines = plan
                    .callbacks()
                    .iter()
                    .map(|cb| (cb.event_time, delivery.render(cb)))
                    .collect();
                // Writing to a Vec cannot fail.
                let _ = delivery.add(arrival, lines, &mut out);
                plans.push(plan);
            }
            let _ = delivery.finish(&mut out);
            let lines = String::from_utf8_lossy(&out)
                .lines()
                .map(str::to_owned)
                .collect();
            Log { plans, lines }
        })
}
