//! Call history over logs too large to hold: a call is emitted once it is over, then forgotten.
//!
//! A call whose legs have all ended is emitted once the log's event time (the latest `eventTime` read)
//! has moved `lateness` past its last end. Its legs and A-leg facts are then dropped, so memory follows
//! the calls in flight, not the length of the log. A callback that comes after its call was emitted is
//! **late**: it is returned as [`Late`], never folded. As long as no callback is later than the window,
//! the calls emitted are exactly those `History::calls` gives.
//!
//! Emitted calls are remembered (by id) for `lateness + stale_after` of log time, so that their late
//! callbacks are recognised; memory for that follows the call rate, not the log. After that, a callback
//! whose own times all lie more than `lateness` before the log's time is still reported as late; one
//! with fresh times (an A-leg's `disconnect` long after its transfer) starts a new record.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};
use thiserror::Error;

use crate::callback::{CallId, Callback};
use crate::history::{Call, CallKey, History, HistoryOptions, closed_at};
use crate::time::format_timestamp;

/// A callback that came after its call's window: reported, not folded.
///
/// ```
/// use callfold::StreamingHistory;
/// use chrono::TimeDelta;
///
/// let mut stream = StreamingHistory::new(TimeDelta::seconds(60), Default::default());
/// let end = r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"hangup",
///     "eventTime":"2026-11-23T14:00:00Z","endTime":"2026-11-23T14:00:00Z"}"#;
/// stream.apply(&end.parse()?)?;
/// stream.apply(&r#"{"eventType":"initiate","callId":"c-z","eventTime":"2026-11-23T14:05:00Z"}"#.parse()?)?;
/// let mut emitted = Vec::new();
/// stream.emit_due(|call| { emitted.push(call.call_id.unwrap().to_string()); Ok::<(), ()>(()) }).unwrap();
/// assert_eq!(emitted, ["c-a"]);
/// // The redelivery comes after the call was emitted.
/// let late = stream.apply(&end.parse()?).unwrap_err();
/// assert_eq!(late.to_string(), "late for call c-a: the call was emitted when the log's time reached 2026-11-23T14:05:00Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("late for call {call_id}: {reason}")]
pub struct Late {
    /// The call (the A-leg, or the leg itself when it names no parent).
    pub call_id: CallId,
    reason: LateReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
enum LateReason {
    #[error("the call was emitted when the log's time reached {}", format_timestamp(.0))]
    Emitted(DateTime<Utc>),
    #[error("its times end at {}, more than the lateness before the log's time {}", format_timestamp(.0), format_timestamp(.1))]
    BeforeWindow(DateTime<Utc>, DateTime<Utc>),
}

/// A [`History`] that emits calls as they end and forgets them.
///
/// ```
/// use callfold::StreamingHistory;
///
/// let stream = StreamingHistory::new(chrono::TimeDelta::minutes(5), Default::default());
/// let mut ids = Vec::new();
/// stream.finish(|call| { ids.push(call.call_id.cloned()); Ok::<(), ()>(()) }).unwrap();
/// assert!(ids.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct StreamingHistory {
    history: History,
    options: HistoryOptions,
    lateness: TimeDelta,
    /// Calls whose legs have all ended, by their last end; re-checked when due.
    closing: BinaryHeap<Reverse<(DateTime<Utc>, CallKey)>>,
    /// A-legs without legs, by their end; forgotten (or emitted, with a `transferComplete`) when due.
    without_legs: BinaryHeap<Reverse<(DateTime<Utc>, CallKey)>>,
    /// Calls emitted in the last `lateness + stale_after` of event time, so that their late callbacks are
    /// recognised: a leg that was still ringing when its call closed can end up to a ring time later.
    emitted: HashSet<CallKey>,
    emitted_at: VecDeque<(DateTime<Utc>, CallKey)>,
}

impl StreamingHistory {
    /// A streaming history with the given lateness and history options.
    ///
    /// ```
    /// let stream = callfold::StreamingHistory::new(chrono::TimeDelta::seconds(30), Default::default());
    /// assert_eq!(stream.history().legs().count(), 0);
    /// ```
    pub fn new(lateness: TimeDelta, options: HistoryOptions) -> StreamingHistory {
        StreamingHistory {
            history: History::new(),
            options,
            lateness,
            closing: BinaryHeap::new(),
            without_legs: BinaryHeap::new(),
            emitted: HashSet::new(),
            emitted_at: VecDeque::new(),
        }
    }

    /// What is held now: the calls in flight.
    ///
    /// ```
    /// let stream = callfold::StreamingHistory::new(chrono::TimeDelta::seconds(30), Default::default());
    /// assert!(stream.history().latest_event_time().is_none());
    /// ```
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Folds a callback, unless it is late.
    ///
    /// ```
    /// let mut stream = callfold::StreamingHistory::new(chrono::TimeDelta::seconds(30), Default::default());
    /// stream.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a"}"#.parse()?)?;
    /// assert_eq!(stream.history().legs().count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Late`] when the callback's call was already emitted, or when its call is unknown and its own
    /// times all lie more than the lateness before the log's time.
    pub fn apply(&mut self, callback: &Callback) -> Result<(), Late> {
        let key = CallKey::of(callback);
        let late = |reason| Late {
            call_id: key.id().clone(),
            reason,
        };
        if self.emitted.contains(&key) {
            let at = self
                .emitted_at
                .iter()
                .find(|(_, k)| *k == key)
                .map_or(DateTime::UNIX_EPOCH, |(t, _)| *t);
            return Err(late(LateReason::Emitted(at)));
        }
        if let (Some(now), Some(last)) = (self.history.latest_event_time(), latest_time(callback))
            && !self.history.knows(&key)
            && last + self.lateness < now
        {
            return Err(late(LateReason::BeforeWindow(last, now)));
        }
        self.history.apply(callback);
        let legs = self.history.legs_of_call(&key);
        if let Some(closed) = closed_at(&legs) {
            self.closing.push(Reverse((closed, key)));
        } else if legs.is_empty()
            && let Some(ended) = callback
                .ending()
                .and_then(|e| e.end_time)
                .or(callback.event_time)
        {
            self.without_legs.push(Reverse((ended, key)));
        }
        Ok(())
    }

    /// Emits, in the order they closed, the calls whose window has passed, and forgets them.
    ///
    /// ```
    /// let mut stream = callfold::StreamingHistory::new(chrono::TimeDelta::seconds(30), Default::default());
    /// let mut count = 0;
    /// stream.emit_due(|_| { count += 1; Ok::<(), ()>(()) }).unwrap();
    /// assert_eq!(count, 0);
    /// ```
    ///
    /// # Errors
    /// Whatever `emit` returns; the call it failed on is kept.
    pub fn emit_due<E>(
        &mut self,
        mut emit: impl FnMut(&Call<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(now) = self.history.latest_event_time() else {
            return Ok(());
        };
        let lateness = self.lateness;
        let due = move |t: DateTime<Utc>| t + lateness < now;
        while let Some(Reverse((closed, _))) = self.closing.peek() {
            if !due(*closed) {
                break;
            }
            let Some(Reverse((closed, key))) = self.closing.pop() else {
                break;
            };
            // Still closed, and at that time: otherwise a newer entry stands for the call.
            if self.history.closed_at(&key) == Some(closed) {
                self.emit_and_forget(&key, now, &mut emit)?;
            }
        }
        while let Some(Reverse((ended, _))) = self.without_legs.peek() {
            if !due(*ended) {
                break;
            }
            let Some(Reverse((_, key))) = self.without_legs.pop() else {
                break;
            };
            if self.history.legs_of_call(&key).is_empty() && self.history.knows(&key) {
                // An A-leg with only transferComplete reports is a call; one without is not transfer history.
                if self.history.has_call(&key) {
                    self.emit_and_forget(&key, now, &mut emit)?;
                } else {
                    self.history.remove_call(&key);
                }
            }
        }
        let remembered = lateness + self.options.stale_after;
        while let Some((at, _)) = self.emitted_at.front() {
            if *at + remembered >= now {
                break;
            }
            if let Some((_, key)) = self.emitted_at.pop_front() {
                self.emitted.remove(&key);
            }
        }
        Ok(())
    }

    fn emit_and_forget<E>(
        &mut self,
        key: &CallKey,
        now: DateTime<Utc>,
        emit: &mut impl FnMut(&Call<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(call) = self.history.call_of(key, &self.options) {
            emit(&call)?;
        }
        self.history.remove_call(key);
        self.emitted.insert(key.clone());
        self.emitted_at.push_back((now, key.clone()));
        Ok(())
    }

    /// Emits every call still held, sorted as [`History::calls`] sorts them.
    ///
    /// ```
    /// let mut stream = callfold::StreamingHistory::new(chrono::TimeDelta::seconds(30), Default::default());
    /// stream.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a"}"#.parse()?)?;
    /// let mut outcomes = Vec::new();
    /// stream.finish(|call| { outcomes.push(call.outcome); Ok::<(), ()>(()) }).unwrap();
    /// assert_eq!(outcomes, [callfold::CallOutcome::Connected]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// Whatever `emit` returns.
    pub fn finish<E>(self, mut emit: impl FnMut(&Call<'_>) -> Result<(), E>) -> Result<(), E> {
        for call in self.history.calls(&self.options) {
            emit(&call)?;
        }
        Ok(())
    }
}

/// The latest of the times a callback carries: what tells whether it can still belong to an open call.
fn latest_time(callback: &Callback) -> Option<DateTime<Utc>> {
    let end = callback.ending().and_then(|e| e.end_time);
    [
        callback.enqueued_time,
        callback.start_time,
        callback.answer_time,
        end,
    ]
    .into_iter()
    .flatten()
    .max()
}
