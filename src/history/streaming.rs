//! Call history over logs too large to hold: a call is emitted once it is over, then forgotten. The
//! rules are on [`StreamingHistory`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::fmt;
use std::io::BufRead;

use chrono::{DateTime, TimeDelta, Utc};
use thiserror::Error;

use super::attempts::closed_at;
use super::{Call, CallKey, History, HistoryOptions};
use crate::decode::{CallId, Callback};
use crate::replay::{LogError, LogReader, Stop};
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
/// assert!(matches!(late.reason(), callfold::LateReason::Emitted { .. }));
/// assert_eq!(late.line(), None); // fed by hand; StreamingHistory::replay gives the line
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("late for call {call_id}: {reason}")]
pub struct Late {
    /// The call (the A-leg, or the leg itself when it names no parent).
    pub call_id: CallId,
    line: Option<u64>,
    reason: LateReason,
}

impl Late {
    /// The log line the callback was on, when it was read from a log ([`StreamingHistory::replay`]).
    ///
    /// ```
    /// use callfold::{LogReader, StreamingHistory};
    /// use chrono::TimeDelta;
    ///
    /// let log = [
    ///     r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","eventTime":"2026-11-23T14:00:00Z","endTime":"2026-11-23T14:00:00Z"}"#,
    ///     r#"{"eventType":"initiate","callId":"c-z","eventTime":"2026-11-23T15:00:00Z"}"#,
    ///     r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a"}"#,
    /// ]
    /// .join("\n");
    /// let mut late = Vec::new();
    /// StreamingHistory::new(TimeDelta::minutes(1), Default::default())
    ///     .replay(
    ///         &mut LogReader::new(log.as_bytes()),
    ///         |_| Ok::<(), ()>(()),
    ///         |l| Ok(late.push(l.line())),
    ///         |_| Ok(()),
    ///     )
    ///     .unwrap();
    /// assert_eq!(late, [Some(3)]);
    /// ```
    pub fn line(&self) -> Option<u64> {
        self.line
    }

    /// Why the callback is late.
    ///
    /// ```
    /// # use callfold::StreamingHistory;
    /// # let mut stream = StreamingHistory::new(chrono::TimeDelta::seconds(60), Default::default());
    /// # let end = r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"hangup",
    /// #     "eventTime":"2026-11-23T14:00:00Z","endTime":"2026-11-23T14:00:00Z"}"#;
    /// # stream.apply(&end.parse()?)?;
    /// # stream.apply(&r#"{"eventType":"initiate","callId":"c-z","eventTime":"2026-11-23T14:05:00Z"}"#.parse()?)?;
    /// # stream.emit_due(|_| Ok::<(), ()>(())).unwrap();
    /// let late = stream.apply(&end.parse()?).unwrap_err();
    /// let callfold::LateReason::Emitted { at } = late.reason() else { unreachable!() };
    /// assert_eq!(callfold::format_timestamp(at), "2026-11-23T14:05:00Z");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reason(&self) -> &LateReason {
        &self.reason
    }
}

/// Why a callback is [`Late`].
///
/// ```
/// use callfold::{LateReason, parse_timestamp};
///
/// let reason = LateReason::BeforeWindow {
///     last: parse_timestamp("2026-11-23T14:00:00Z")?,
///     now: parse_timestamp("2026-11-23T15:00:00Z")?,
/// };
/// assert_eq!(
///     reason.to_string(),
///     "its times end at 2026-11-23T14:00:00Z, more than the lateness before the log's time 2026-11-23T15:00:00Z"
/// );
/// # Ok::<(), callfold::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LateReason {
    /// Its call was already emitted, when the log's time reached `at`.
    Emitted {
        /// The log's time when the call was emitted.
        at: DateTime<Utc>,
    },
    /// Its call is not known, and its own times all end more than the lateness before the log's time.
    BeforeWindow {
        /// The latest of its own times.
        last: DateTime<Utc>,
        /// The log's time.
        now: DateTime<Utc>,
    },
}

impl fmt::Display for LateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LateReason::Emitted { at } => write!(
                f,
                "the call was emitted when the log's time reached {}",
                format_timestamp(at)
            ),
            LateReason::BeforeWindow { last, now } => write!(
                f,
                "its times end at {}, more than the lateness before the log's time {}",
                format_timestamp(last),
                format_timestamp(now)
            ),
        }
    }
}

/// A [`History`] that emits calls as they end and forgets them, for logs too large to hold.
///
/// # Lateness
/// A call whose legs have all ended is emitted once the log's time (the latest `eventTime` read) has
/// moved `lateness` past its last end. Its legs and A-leg facts are then dropped, so memory follows the
/// calls in flight, not the length of the log. A callback that comes after its call was emitted is
/// **late**: it is returned as [`Late`], never folded. As long as no callback is later than the window,
/// the calls emitted are exactly those [`History::calls`] gives.
///
/// Emitted calls are remembered (by id) for `lateness + stale_after` of log time, so that their late
/// callbacks are recognised; memory for that follows the call rate, not the log. After that, a callback
/// whose own times all lie more than `lateness` before the log's time is still reported as late; one
/// with fresh times (an A-leg's `disconnect` long after its transfer) starts a new record.
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
            line: None,
            reason,
        };
        if self.emitted.contains(&key) {
            let at = self
                .emitted_at
                .iter()
                .find(|(_, k)| *k == key)
                .map_or(DateTime::UNIX_EPOCH, |(t, _)| *t);
            return Err(late(LateReason::Emitted { at }));
        }
        if let (Some(now), Some(last)) = (self.history.latest_event_time(), latest_time(callback))
            && !self.history.knows(&key)
            && last + self.lateness < now
        {
            return Err(late(LateReason::BeforeWindow { last, now }));
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

    /// Reads a whole log line by line, folding each callback and emitting each call as its window passes
    /// (see [Lateness](StreamingHistory#lateness)), then the calls still held, as [`finish`] does. Each
    /// line that is not a callback goes to `report`, each late callback (with its line) to `late`, in the
    /// order of the log; the reader's counts and rejects sink are kept as by iterating it.
    ///
    /// ```
    /// use callfold::{LogReader, StreamingHistory};
    ///
    /// let log = b"{\"eventType\":\"transferAnswer\",\"callId\":\"c-b\",\"parentCallId\":\"c-a\"}\n{oops}\n";
    /// let mut reader = LogReader::new(&log[..]);
    /// let (mut bad, mut ids) = (Vec::new(), Vec::new());
    /// StreamingHistory::new(chrono::TimeDelta::minutes(5), Default::default())
    ///     .replay(
    ///         &mut reader,
    ///         |error| Ok::<(), ()>(bad.push(error.line())),
    ///         |_| Ok(()),
    ///         |call| Ok(ids.push(call.call_id.map(ToString::to_string))),
    ///     )
    ///     .unwrap();
    /// assert_eq!((bad, ids), (vec![2], vec![Some("c-a".to_owned())]));
    /// assert_eq!(reader.counts().rejected, 1);
    /// ```
    ///
    /// [`finish`]: StreamingHistory::finish
    ///
    /// # Errors
    /// [`Stop::Log`] when reading fails or a rejected line cannot be written; [`Stop::Report`] with the
    /// first error a callback returns.
    pub fn replay<R: BufRead, E>(
        mut self,
        log: &mut LogReader<R>,
        mut report: impl FnMut(&LogError) -> Result<(), E>,
        mut late: impl FnMut(&Late) -> Result<(), E>,
        mut emit: impl FnMut(&Call<'_>) -> Result<(), E>,
    ) -> Result<(), Stop<E>> {
        for item in log.by_ref() {
            match item {
                Ok((line, callback)) => {
                    if let Err(error) = self.apply(&callback) {
                        late(&Late {
                            line: Some(line),
                            ..error
                        })
                        .map_err(Stop::Report)?;
                    }
                    self.emit_due(&mut emit).map_err(Stop::Report)?;
                }
                Err(error @ (LogError::Line { .. } | LogError::TooLong { .. })) => {
                    report(&error).map_err(Stop::Report)?;
                }
                Err(error) => return Err(Stop::Log(error)),
            }
        }
        self.finish(emit).map_err(Stop::Report)
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
