//! callfold folds Bandwidth Voice callbacks into the state of each transfer leg.
//!
//! A `<Transfer>` creates one B-leg per `<PhoneNumber>`. Bandwidth tells about each with `transferAnswer`
//! and `transferDisconnect` callbacks (and `transferComplete` on the original call), delivered late, twice,
//! out of order or not at all. callfold decodes those bodies ([`Callback`]), folds them into per-leg
//! facts ([`Leg`]) in an order-independent and idempotent way, derives each leg's [`State`] and
//! [`Outcome`], and reports what real data must not do: [`Conflict`]s between callbacks and
//! [`Violation`]s of the invariants.
//!
//! # A map of the crate
//! The crate is a pipeline, one folder per stage; a stage names only the stages above it in this list.
//! - `time`: Bandwidth's timestamps, read ([`parse_timestamp`]) and written ([`format_timestamp`],
//!   [`format_duration`]).
//! - `decode`: bodies into [`Callback`]s ([`Event`], [`Ending`], the open sets [`Cause`] and
//!   [`Direction`], [`CallId`]), with [`DecodeError`]; the field table, the flat scanner and the serde
//!   reader.
//! - `fold`: the laws of the fold: [`Leg`], its [`State`], [`Outcome`] and [`EndCause`], its
//!   [`Conflict`]s and [`Violation`]s; the compact facts, the deliveries, and the table of legs every
//!   fold keeps.
//! - `replay`: reading logs ([`LogReader`], [`Counts`], [`LogError`]), picking callbacks ([`Filter`])
//!   and folding them on many threads ([`Leg::replay`], [`Stop`]).
//! - `history`: calls from legs: [`History`], [`Call`], [`Attempt`], [`Placed`], [`CallOutcome`],
//!   [`Stale`] legs and why ([`StaleReason`]), [`StreamingHistory`] for large logs, [`Stats`].
//! - `tracker`: the live API, a history fed one body at a time: [`Tracker`] ([`Update`], [`LegUpdate`],
//!   [`Swept`]).
//! - `output`: the records callfold writes ([`Leg::write_json`], [`Call::write_json`], their
//!   `Serialize`), each defined once.
//! - `testing` (feature `proptest`): the [`strategy`] module and [`generate()`].
//!
//! `docs/design.md` says why it is built this way.
//!
//! # Example
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
//! # Crate features
//! - `cli` (default): the `callfold` binary and its dependencies. Library users turn it off with
//!   `default-features = false`.
//! - `proptest`: the `strategy` module, proptest strategies of realistic transfer traffic (legs,
//!   transfers, calls, faults) for users' own property tests, and [`generate()`], which writes whole logs.

mod decode;
mod fold;
mod history;
mod output;
mod replay;
mod store;
#[cfg(feature = "proptest")]
mod testing;
mod time;
mod tracker;

pub use decode::{
    CallId, Callback, Cause, DecodeError, Direction, EmptyCallId, Ending, Event, Position,
};
pub use fold::{Applied, Conflict, EndCause, FoldError, Leg, Outcome, State, Violation};
pub use history::{
    Attempt, Call, CallEnd, CallOutcome, GroupBy, History, HistoryOptions, Late, LateReason,
    Placed, PlacedBy, Stale, StaleReason, Stats, StatsBuilder, StreamingHistory, Summary,
    TransferComplete,
};
pub use replay::{Counts, DEFAULT_MAX_LINE, Filter, LogError, LogReader, Stop};
pub use store::{
    AppendError, Bodies, Commit, EventLog, Fsync, OpenError, Rejects, Segments, StoreOptions, Torn,
};
#[cfg(feature = "proptest")]
pub use testing::{GenerateOptions, GenerateSummary, generate, strategy};
pub use time::{TimestampError, format_duration, format_timestamp, parse_timestamp};
pub use tracker::{LegUpdate, Swept, Tracker, Update};

/// The time types callfold's API takes and gives ([`DateTime<Utc>`](chrono::DateTime),
/// [`TimeDelta`](chrono::TimeDelta)), re-exported so that a program needs no version of its own.
///
/// ```
/// use callfold::chrono::TimeDelta;
///
/// let tracker = callfold::Tracker::new().with_retention(TimeDelta::minutes(10));
/// # let _ = tracker;
/// ```
pub use chrono;

// The README and the docs are tested: their examples must keep running.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/invariants.md")]
struct InvariantsDoctests;
