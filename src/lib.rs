//! callfold folds Bandwidth Voice callbacks into the state of each transfer leg.
//!
//! A `<Transfer>` creates one B-leg per `<PhoneNumber>`. Bandwidth tells about each with `transferAnswer`
//! and `transferDisconnect` callbacks (and `transferComplete` on the original call), delivered late, twice,
//! out of order or not at all. callfold decodes those bodies ([`Callback`]), folds them into per-leg
//! facts ([`Leg`]) in an order-independent and idempotent way, derives each leg's [`State`] and
//! [`Outcome`], and reports what real data must not do: [`Conflict`]s between callbacks and
//! [`Violation`]s of the invariants.
//!
//! ```
//! use callfold::{Outcome, State, Tracker, Update};
//!
//! let mut tracker = Tracker::new();
//! // The loser of simultaneous ringing, then the winner: its disconnect before its answer.
//! for body in [
//!     r#"{"eventType":"transferDisconnect","callId":"c-b2","parentCallId":"c-a","direction":"outbound",
//!         "startTime":"2019-12-27T19:18:20.700Z","endTime":"2019-12-27T19:18:23.320Z","cause":"hangup"}"#,
//!     r#"{"eventType":"transferDisconnect","callId":"c-b1","parentCallId":"c-a","direction":"outbound",
//!         "startTime":"2019-12-27T19:18:20.721Z","answerTime":"2019-12-27T19:18:23.320Z",
//!         "endTime":"2019-12-27T19:19:27.987Z","cause":"hangup"}"#,
//!     r#"{"eventType":"transferAnswer","callId":"c-b1","parentCallId":"c-a","direction":"outbound",
//!         "startTime":"2019-12-27T19:18:20.721Z","answerTime":"2019-12-27T19:18:23.320Z"}"#,
//! ] {
//!     if let Update::Leg(change) = tracker.feed(body.as_bytes())? {
//!         assert!(change.conflicts.is_empty() && change.violations.is_empty());
//!     }
//! }
//! let legs = tracker.legs_of("c-a");
//! assert_eq!(legs[0].outcome(), Some(Outcome::Answered));
//! assert_eq!(legs[0].talk_ms(), Some(64_667));
//! assert_eq!(legs[1].outcome(), Some(Outcome::Cancelled));
//! assert!(legs.iter().all(|leg| leg.state() == State::Ended));
//! # Ok::<(), callfold::DecodeError>(())
//! ```
//!
//! # Modules, by concept
//! - decoding: [`Callback`], [`Event`], [`Cause`], [`Direction`], [`CallId`], [`DecodeError`];
//! - timestamps: [`parse_timestamp`], [`format_timestamp`];
//! - the fold: [`Leg`], [`State`], [`Outcome`], [`Conflict`];
//! - the invariants: [`Violation`];
//! - the live API: [`Tracker`], [`Update`], [`LegUpdate`];
//! - call history: [`History`], [`Call`], [`Attempt`], [`CallOutcome`]; over large logs:
//!   [`StreamingHistory`]; figures: [`Stats`], [`StatsBuilder`];
//! - logs: [`LogReader`], [`Counts`], [`LogError`].
//!
//! # Crate features
//! - `cli` (default): the `callfold` binary and its dependencies. Library users turn it off with
//!   `default-features = false`.
//! - `proptest`: the `strategy` module, proptest strategies of realistic transfer traffic (legs,
//!   transfers, calls, faults) for users' own property tests, and [`generate`], which writes whole logs.

mod callback;
mod fact;
#[cfg(feature = "proptest")]
mod generate;
mod hash;
mod history;
mod id;
mod inline;
mod invariant;
mod json;
mod leg;
mod log;
mod parallel;
mod replay;
mod scan;
mod stats;
#[cfg(feature = "proptest")]
pub mod strategy;
mod streaming;
mod time;
mod tracker;

pub use callback::{
    CallId, Callback, Cause, DecodeError, Direction, EmptyCallId, Ending, Event, Position,
};
#[cfg(feature = "proptest")]
pub use generate::{GenerateOptions, GenerateSummary, generate};
pub use history::{Attempt, Call, CallOutcome, History, HistoryOptions, Placed, TransferComplete};
pub use invariant::Violation;
pub use leg::{Applied, Conflict, FoldError, Leg, Outcome, State};
pub use log::{Counts, DEFAULT_MAX_LINE, LogError, LogReader};
pub use replay::Stop;
pub use stats::{GroupBy, Stats, StatsBuilder, Summary};
pub use streaming::{Late, StreamingHistory};
pub use time::{TimestampError, format_timestamp, parse_timestamp};
pub use tracker::{LegUpdate, Tracker, Update};

// The README and the docs are tested: their examples must keep running.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/invariants.md")]
struct InvariantsDoctests;
