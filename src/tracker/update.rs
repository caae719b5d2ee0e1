//! What the tracker answers: what one callback changed, and the stale legs it dropped.

use serde::Serialize;

use crate::decode::CallId;
use crate::fold::{Conflict, Leg, State, Violation};
use crate::history::Stale;

/// What one callback did to the tracker. It serializes (to log or forward it) as an object tagged by
/// `kind`: `leg`, `call` or `refused`.
///
/// ```
/// let mut tracker = callfold::Tracker::new();
/// let update = tracker.feed(br#"{"eventType":"transferComplete","callId":"c-a","cause":"hangup"}"#)?;
/// assert!(matches!(update, callfold::Update::Call { .. }));
/// assert_eq!(
///     serde_json::to_string(&update).unwrap(),
///     r#"{"kind":"call","callId":"c-a","eventType":"transferComplete"}"#
/// );
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum Update {
    /// The callback folded into a transfer leg.
    Leg(LegUpdate),
    /// The callback is about an original call, its A-leg (`transferComplete`, `initiate`, `answer`,
    /// `disconnect`, ...): it was folded into the call's facts, which [`Tracker::call`](crate::Tracker::call)
    /// reads.
    Call {
        /// The call's `callId` (the A-leg).
        call_id: CallId,
        /// The callback's `eventType`.
        event_type: String,
    },
    /// The callback would start a new leg or call, but the tracker holds its maximum and could make
    /// no room: no leg or call has ended and none is stale (see [`Tracker::with_max_legs`](crate::Tracker::with_max_legs)).
    /// Nothing was stored.
    Refused {
        /// The callback's `callId`.
        call_id: CallId,
        /// The maximum.
        max_legs: usize,
    },
}

/// What changed on one leg.
///
/// ```
/// let mut tracker = callfold::Tracker::new();
/// let body = br#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy"}"#;
/// tracker.feed(body)?;
/// let callfold::Update::Leg(change) = tracker.feed(body)? else { unreachable!() };
/// assert!(change.duplicate);
/// assert!(!change.state_changed());
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegUpdate {
    /// The leg's `callId`.
    pub call_id: CallId,
    /// The state before this callback; `None` when the callback created the leg.
    pub previous: Option<State>,
    /// The state now.
    pub state: State,
    /// The callback was a redelivery; nothing but the duplicate count changed.
    pub duplicate: bool,
    /// Conflicts this callback created or widened.
    pub conflicts: Vec<Conflict>,
    /// Violations this callback revealed.
    pub violations: Vec<Violation>,
    /// Stale legs the tracker dropped to make room for this one, at its maximum.
    pub swept: Vec<Swept>,
}

impl LegUpdate {
    /// True when the callback created the leg or moved it to a new state.
    ///
    /// ```
    /// let mut tracker = callfold::Tracker::new();
    /// let callfold::Update::Leg(change) = tracker.feed(br#"{"eventType":"transferAnswer","callId":"c-b"}"#)? else {
    ///     unreachable!()
    /// };
    /// assert!(change.state_changed());
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn state_changed(&self) -> bool {
        self.previous != Some(self.state)
    }
}

/// A stale leg the tracker dropped ([`Tracker::sweep`](crate::Tracker::sweep), or to make room at its
/// maximum): the leg as it was, and why its `transferDisconnect` is taken to be missing.
///
/// ```
/// use callfold::{Tracker, parse_timestamp};
///
/// let t0 = parse_timestamp("2026-11-23T14:00:00Z")?;
/// let mut tracker = Tracker::new();
/// tracker.feed_at(br#"{"eventType":"transferRinging","callId":"c-b","parentCallId":"c-a",
///     "startTime":"2026-11-23T14:00:00Z"}"#, t0)?;
/// let swept = tracker.sweep(t0 + chrono::TimeDelta::minutes(6));
/// assert_eq!(swept[0].leg.call_id().as_str(), "c-b");
/// assert_eq!(swept[0].stale.reason.code(), "unanswered");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Swept {
    /// The leg, as it was when dropped.
    pub leg: Leg,
    /// Why it was stale.
    pub stale: Stale,
}
