//! proptest strategies for Bandwidth transfer traffic (feature `proptest`).
//!
//! Every history these strategies build is valid by construction: its timestamps are ordered, it has no
//! `answerTime` when the cause says the leg never answered, and its callbacks are the ones Bandwidth
//! sends for such a leg. Tests make near-misses by changing one fact of a valid history and asserting
//! which code callfold reports for it.
//!
//! Whole calls ([`call_plan`]) hold many values (ids, numbers, times) that shrink before the shape
//! does. Give the runner room (`max_shrink_iters: 100_000`) to reach the smallest counterexample:
//! callfold's own test finds, for a property false on calls with a second `<Transfer>`, exactly two
//! one-leg transfers.
//!
//! ```
//! use callfold::Leg;
//! use callfold::strategy::leg_history;
//! use proptest::prelude::*;
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::default();
//! runner.run(&leg_history(), |history| {
//!     let mut leg = Leg::new(history.call_id.clone());
//!     for callback in &history.callbacks {
//!         leg.apply(callback).unwrap();
//!     }
//!     prop_assert!(leg.violations().is_empty());
//!     prop_assert_eq!(leg.state(), history.state());
//!     Ok(())
//! }).unwrap();
//! ```

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

use crate::decode::CallId;

mod call;
mod fault;
mod leg;
mod log;

pub use call::{CallPlan, Fate, LegPlan, TransferPlan, call_plan, call_plan_at, transfer_plan};
pub use fault::{Fault, FaultyCall, Report, faulty_call};
pub use leg::{LegHistory, answered_leg, ended_leg, leg_history, unanswered_leg};
pub use log::{Log, log};

/// A Bandwidth-shaped call id: `c-`, 8 hex digits, then a UUID.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let id = callfold::strategy::call_id().new_tree(&mut Default::default()).unwrap().current();
/// assert_eq!(id.as_str().len(), 47);
/// assert!(id.as_str().starts_with("c-"));
/// ```
pub fn call_id() -> impl Strategy<Value = CallId> {
    (any::<u32>(), any::<u128>()).prop_map(|(head, uuid)| {
        let hex = format!("{uuid:032x}");
        let id = format!(
            "c-{head:08x}-{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        CallId::new(&id)
    })
}

/// An instant between 2019 and 2026, at millisecond precision mostly, sometimes micro- or nanosecond.
///
/// ```
/// # use proptest::strategy::{Strategy, ValueTree};
/// let t = callfold::strategy::timestamp().new_tree(&mut Default::default()).unwrap().current();
/// assert!(t.to_rfc3339().starts_with("20"));
/// ```
pub fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    const FROM: i64 = 1_546_300_800; // 2019-01-01
    const SPAN: i64 = 8 * 365 * 86_400;
    let fraction = prop_oneof![
        8 => (0..1_000u32).prop_map(|ms| ms * 1_000_000),
        1 => (0..1_000_000u32).prop_map(|us| us * 1_000),
        1 => 0..1_000_000_000u32,
    ];
    (0..SPAN, fraction)
        .prop_map(|(s, nanos)| DateTime::from_timestamp(FROM + s, nanos).unwrap_or_default())
}

pub(super) fn phone_number() -> impl Strategy<Value = String> {
    (2..10u8, 0..1_000_000_000u32).prop_map(|(area, rest)| format!("+1{area}{rest:09}"))
}

/// `t` milliseconds.
pub(super) fn ms(t: i64) -> TimeDelta {
    TimeDelta::milliseconds(t)
}
