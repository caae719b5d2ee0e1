//! Call history: the legs of each original call, grouped into `<Transfer>` attempts, with the A-leg's own
//! facts and the call's outcome.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Serialize, Serializer};

use crate::callback::{CallId, Callback, Cause, DecodeError, Kind, View};
use crate::fact::{Fact, Short, insert_sorted};
use crate::hash::FastState;
use crate::id::IdMap;
use crate::json::{self, Object, Value};
use crate::leg::{Conflict, Leg, State};
use crate::time::{Stamp, format_timestamp, stamp};
use crate::tracker::Tracker;

/// Settings of the history projection.
///
/// ```
/// let options = callfold::HistoryOptions::default();
/// assert_eq!(options.attempt_window, chrono::TimeDelta::seconds(2));
/// assert_eq!(options.stale_after, chrono::TimeDelta::seconds(330));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryOptions {
    /// Legs of one call created within this window of the first leg of an attempt (and before all its
    /// legs ended) ring together: one `<Transfer>`. Default 2 s.
    pub attempt_window: TimeDelta,
    /// The instant staleness is judged at; `None` means the latest `eventTime` in what was folded.
    pub as_of: Option<DateTime<Utc>>,
    /// A leg that has not ended, and whose last known time lies more than this before `as_of`, is stale:
    /// its `transferDisconnect` is missing. Default 330 s: the longest `callTimeout` (300 s) plus 30 s.
    pub stale_after: TimeDelta,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            attempt_window: TimeDelta::seconds(2),
            as_of: None,
            stale_after: TimeDelta::seconds(330),
        }
    }
}

/// What a `transferComplete` said: the A-leg's report on one `<Transfer>`.
///
/// ```
/// let mut history = callfold::History::new();
/// history.apply(&r#"{"eventType":"transferComplete","callId":"c-a","cause":"busy","transferTo":"+15551230000"}"#.parse()?);
/// let calls = history.calls(&Default::default());
/// assert_eq!(calls[0].transfer_completes[0].cause.as_ref().map(|c| c.as_str()), Some("busy"));
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransferComplete {
    /// `eventTime`, first so that reports sort by time.
    pub event_time: Option<DateTime<Utc>>,
    /// `cause`: the described leg's end reason.
    pub cause: Option<Cause>,
    /// `transferTo` of the described leg.
    pub transfer_to: Option<String>,
    /// `transferCallerId` of the described leg.
    pub transfer_caller_id: Option<String>,
    /// `errorMessage` (the rate-limit text, for `account-limit`).
    pub error_message: Option<String>,
}

/// Which call a callback belongs to: the A-leg's, or, for a leg that names no parent, its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum CallKey {
    Call(CallId),
    Orphan(CallId),
}

impl CallKey {
    pub(crate) fn of(callback: &Callback) -> CallKey {
        match (&callback.parent_call_id, callback.is_leg_event()) {
            (Some(parent), true) => CallKey::Call(parent.clone()),
            (None, true) => CallKey::Orphan(callback.call_id.clone()),
            (_, false) => CallKey::Call(callback.call_id.clone()),
        }
    }

    pub(crate) fn id(&self) -> &CallId {
        match self {
            CallKey::Call(id) | CallKey::Orphan(id) => id,
        }
    }
}

/// The A-leg's own facts, folded like a leg's: sets of values, whatever the order.
#[derive(Debug, Clone, Default)]
struct ALeg {
    from: Fact<Short>,
    to: Fact<Short>,
    start_time: Fact<DateTime<Utc>>,
    answer_time: Fact<DateTime<Utc>>,
    end_time: Fact<DateTime<Utc>>,
    cause: Fact<Cause>,
    /// Distinct `transferComplete` reports, sorted.
    completes: Vec<TransferComplete>,
}

impl ALeg {
    fn merge(&mut self, other: ALeg) {
        self.from.merge(&other.from);
        self.to.merge(&other.to);
        self.start_time.merge(&other.start_time);
        self.answer_time.merge(&other.answer_time);
        self.end_time.merge(&other.end_time);
        self.cause.merge(&other.cause);
        for report in other.completes {
            insert_sorted(&mut self.completes, report);
        }
    }
}

/// The facts of an A-leg no callback spoke of.
static NO_A_LEG: ALeg = ALeg {
    from: Fact::Unknown,
    to: Fact::Unknown,
    start_time: Fact::Unknown,
    answer_time: Fact::Unknown,
    end_time: Fact::Unknown,
    cause: Fact::Unknown,
    completes: Vec::new(),
};

/// Legs and A-legs folded from a log, ready to be read as calls.
///
/// ```
/// use callfold::{CallOutcome, History};
///
/// let mut history = History::new();
/// for line in [
///     r#"{"eventType":"transferDisconnect","callId":"c-b1","parentCallId":"c-a","cause":"busy",
///         "startTime":"2026-11-23T14:00:01Z","endTime":"2026-11-23T14:00:02Z"}"#,
///     r#"{"eventType":"transferDisconnect","callId":"c-b2","parentCallId":"c-a","cause":"hangup",
///         "startTime":"2026-11-23T14:00:10Z","answerTime":"2026-11-23T14:00:14Z","endTime":"2026-11-23T14:01:00Z"}"#,
/// ] {
///     history.apply(&line.parse()?);
/// }
/// let calls = history.calls(&Default::default());
/// assert_eq!(calls.len(), 1);
/// assert_eq!(calls[0].attempts.len(), 2); // 9 s apart: two <Transfer>s, one after the other
/// assert_eq!(calls[0].outcome, CallOutcome::Connected);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
///
/// Its maps use an unkeyed fast hasher: it is made for replaying the user's own logs. A service that folds
/// callbacks straight from the network keys its maps with [`Tracker`](crate::Tracker).
#[derive(Debug, Clone)]
pub struct History {
    tracker: Tracker<FastState>,
    /// Boxed: the table then holds pointers, and growing it (which holds the old and new tables at once)
    /// or merging into it moves 24-byte entries instead of 160-byte ones.
    a_legs: IdMap<Box<ALeg>, FastState>,
    latest_event_time: Option<DateTime<Utc>>,
}

impl Default for History {
    fn default() -> History {
        History::new()
    }
}

/// One original call: its transfer legs grouped into attempts, and what the A-leg's callbacks said.
///
/// ```
/// let mut history = callfold::History::new();
/// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a","from":"+15551112222"}"#.parse()?);
/// let call = &history.calls(&Default::default())[0];
/// assert_eq!(call.call_id.map(|id| id.as_str()), Some("c-a"));
/// assert_eq!(call.from, Some("+15551112222"));
/// assert_eq!(call.legs().count(), 1);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Call<'a> {
    /// The A-leg's `callId`; `None` for a leg whose callbacks named no parent (2019 payloads), which
    /// makes a call of its own.
    pub call_id: Option<&'a CallId>,
    /// The original call's `from`.
    pub from: Option<&'a str>,
    /// The original call's `to`.
    pub to: Option<&'a str>,
    /// The A-leg's `startTime` (from `initiate` and its other callbacks).
    pub start_time: Option<DateTime<Utc>>,
    /// The A-leg's `answerTime`.
    pub answer_time: Option<DateTime<Utc>>,
    /// The A-leg's `endTime` (from its `disconnect`).
    pub end_time: Option<DateTime<Utc>>,
    /// The A-leg's `disconnect` cause.
    pub cause: Option<&'a Cause>,
    /// Every `transferComplete` the A-leg got, by `eventTime`.
    pub transfer_completes: &'a [TransferComplete],
    /// The attempts, in time order.
    pub attempts: Vec<Attempt<'a>>,
    /// Connected, not connected, or open.
    pub outcome: CallOutcome,
    /// Disagreements between the A-leg's callbacks.
    pub conflicts: Vec<Conflict>,
}

impl<'a> Call<'a> {
    /// Every leg of the call, attempt by attempt.
    ///
    /// ```
    /// let history = callfold::History::new();
    /// assert!(history.calls(&Default::default()).is_empty());
    /// ```
    pub fn legs(&self) -> impl Iterator<Item = &'a Leg> + '_ {
        self.attempts
            .iter()
            .flat_map(|a| a.legs.iter().map(|p| p.leg))
    }

    /// Appends the call's JSON object, a line of `callfold history` without its newline, to `out`: the
    /// same bytes as serializing the call with `serde_json`, written faster.
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a","tag":"say \"hi\""}"#.parse()?);
    /// let call = &history.calls(&Default::default())[0];
    /// let mut out = Vec::new();
    /// call.write_json(&mut out);
    /// assert_eq!(out, serde_json::to_vec(call)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut call = Object::new(out);
        call.field("callId", &self.call_id);
        call.field("from", &self.from);
        call.field("to", &self.to);
        call.field("startTime", &stamp(self.start_time));
        call.field("answerTime", &stamp(self.answer_time));
        call.field("endTime", &stamp(self.end_time));
        call.field("cause", &self.cause.map(Cause::as_str));
        call.field("outcome", self.outcome.as_str());
        call.field("causes", &self.causes());
        json::array(
            call.key("transferCompletes"),
            self.transfer_completes,
            |out, c| {
                let mut report = Object::new(out);
                report.field("eventTime", &stamp(c.event_time));
                report.field("cause", &c.cause.as_ref().map(Cause::as_str));
                report.field("transferTo", &c.transfer_to);
                report.field("transferCallerId", &c.transfer_caller_id);
                report.field("errorMessage", &c.error_message);
                report.end();
            },
        );
        json::array(call.key("attempts"), &self.attempts, |out, a| {
            let mut attempt = Object::new(out);
            attempt.field("attempt", &a.number);
            json::array(attempt.key("legs"), &a.legs, |out, p| {
                p.leg.call_id().write(out);
            });
            attempt.field("winner", &a.winner);
            attempt.field("why", &a.why);
            attempt.end();
        });
        let legs = self
            .attempts
            .iter()
            .flat_map(|a| a.legs.iter().map(move |p| (a.number, p)));
        json::array(call.key("legs"), legs, |out, (number, p)| {
            let mut leg = Object::new(out);
            p.leg.write_fields(&mut leg);
            leg.field("attempt", &number);
            leg.field("placedBy", &p.placed_by);
            leg.field("stale", &p.stale);
            leg.field("transferTo", &p.leg.transfer_to());
            leg.field("transferCallerId", &p.leg.transfer_caller_id());
            leg.field("tag", &p.leg.tag());
            leg.field("errorMessage", &p.leg.error_message());
            leg.end();
        });
        json::array(call.key("conflicts"), &self.conflicts, |out, c| {
            c.to_string().write(out);
        });
        call.end();
    }

    /// The causes of a call that did not connect, each once, sorted; none for one that did or is open.
    fn causes(&self) -> Vec<&str> {
        match self.outcome {
            CallOutcome::NotConnected => {
                let mut causes: Vec<&str> = self
                    .attempts
                    .iter()
                    .flat_map(|a| &a.why)
                    .map(String::as_str)
                    .collect();
                causes.sort_unstable();
                causes.dedup();
                causes
            }
            CallOutcome::Connected | CallOutcome::Open => Vec::new(),
        }
    }
}

/// How a call turned out.
///
/// ```
/// use callfold::CallOutcome;
///
/// assert_eq!(CallOutcome::Connected.as_str(), "connected");
/// assert_eq!(CallOutcome::NotConnected.as_str(), "not-connected");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallOutcome {
    /// Some leg was answered (it may still be talking).
    Connected,
    /// No leg was answered and some leg has not ended.
    Open,
    /// Every leg ended unanswered; the attempts say why.
    NotConnected,
}

impl CallOutcome {
    /// The outcome as callfold prints it.
    ///
    /// ```
    /// assert_eq!(callfold::CallOutcome::Open.as_str(), "open");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Connected => "connected",
            CallOutcome::Open => "open",
            CallOutcome::NotConnected => "not-connected",
        }
    }
}

/// One `<Transfer>`: the legs that rang together.
///
/// ```
/// let mut history = callfold::History::new();
/// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"timeout",
///     "startTime":"2026-11-23T14:00:01Z","endTime":"2026-11-23T14:00:31Z"}"#.parse()?);
/// let calls = history.calls(&Default::default());
/// let attempt = &calls[0].attempts[0];
/// assert_eq!(attempt.number, 1);
/// assert_eq!(attempt.winner, None);
/// assert_eq!(attempt.why, ["timeout"]);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt<'a> {
    /// 1-based, in time order.
    pub number: usize,
    /// The legs, by the time they were placed.
    pub legs: Vec<Placed<'a>>,
    /// The leg that answered (the earliest answer, if several did).
    pub winner: Option<&'a CallId>,
    /// When no leg won: the distinct causes of its legs, verbatim and sorted (`open` for a leg that has
    /// not ended, `none` for an ended leg without a cause). Empty when a leg won.
    pub why: Vec<String>,
}

/// A leg in an attempt, and which of its times placed it there.
///
/// ```
/// let mut history = callfold::History::new();
/// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a","answerTime":"2026-11-23T14:00:05Z"}"#.parse()?);
/// let calls = history.calls(&Default::default());
/// assert_eq!(calls[0].attempts[0].legs[0].placed_by, Some("answerTime")); // no startTime: placed by another time
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Placed<'a> {
    /// The leg.
    pub leg: &'a Leg,
    /// `None` when placed by its `startTime`; otherwise the field that placed it: `enqueuedTime` for a
    /// queued leg (the time it was created), `answerTime` or `endTime` for a leg without the others, or
    /// `"nothing"` for a leg with no time at all.
    pub placed_by: Option<&'static str>,
    /// The leg has not ended and nothing was heard of it for longer than the stale setting.
    pub stale: bool,
}

impl History {
    /// An empty history.
    ///
    /// ```
    /// assert_eq!(callfold::History::new().latest_event_time(), None);
    /// ```
    pub fn new() -> History {
        History {
            tracker: Tracker::with_hasher(),
            a_legs: IdMap::default(),
            latest_event_time: None,
        }
    }

    /// Folds one callback: into its leg, or into its A-leg's facts.
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// history.apply(&r#"{"eventType":"initiate","callId":"c-a","eventTime":"2026-11-23T14:00:00Z"}"#.parse()?);
    /// assert!(history.latest_event_time().is_some());
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn apply(&mut self, callback: &Callback) {
        self.apply_view(&View::of(callback), None);
    }

    /// Decodes one callback body and folds it, without building a [`Callback`]: the fast way to replay a
    /// log. The result is the same as [`apply`](History::apply) on the decoded callback.
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// history.feed(br#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a"}"#)?;
    /// assert_eq!(history.legs().count(), 1);
    /// let err = history.feed(br#"{"eventType":"transferAnswer"}"#).unwrap_err();
    /// assert_eq!(err.to_string(), "missing callId");
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    ///
    /// # Errors
    /// [`DecodeError`] when the body is not a callback; nothing is folded then.
    pub fn feed(&mut self, body: &[u8]) -> Result<(), DecodeError> {
        let fields = crate::callback::Fields::parse(body)?;
        self.apply_view(&fields.view()?, None);
        Ok(())
    }

    /// [`feed`](History::feed) for line `line` of a log. The line number tells a redelivery from the
    /// same line folded twice, so that histories folded from different lines of one log (by threads, or
    /// by machines) [`merge`](History::merge) into exactly the history of the whole log.
    ///
    /// ```
    /// use callfold::History;
    ///
    /// let body = br#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a"}"#;
    /// let (mut a, mut b) = (History::new(), History::new());
    /// a.feed_line(1, body)?;
    /// b.feed_line(2, body)?; // a redelivery, on another line
    /// a.merge(b);
    /// assert_eq!(a.legs().next().unwrap().duplicates(), 1);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    ///
    /// # Errors
    /// [`DecodeError`] when the body is not a callback; nothing is folded then.
    pub fn feed_line(&mut self, line: u64, body: &[u8]) -> Result<(), DecodeError> {
        let fields = crate::callback::Fields::parse(body)?;
        self.apply_view(&fields.view()?, Some(line));
        Ok(())
    }

    /// Adds everything `other` folded: the union of their legs' facts and deliveries, of their A-legs'
    /// facts, and the later of their latest `eventTime`s. Merging is associative, commutative and
    /// idempotent, so a log can be folded in parts, on many threads or machines, and the parts merged in
    /// any grouping: with [`feed_line`](History::feed_line) the result is the history of the whole log.
    ///
    /// ```
    /// use callfold::History;
    ///
    /// let lines = [
    ///     &br#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a","answerTime":"2026-11-23T14:00:03Z"}"#[..],
    ///     br#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"hangup","endTime":"2026-11-23T14:01:00Z"}"#,
    /// ];
    /// let mut whole = History::new();
    /// let (mut first, mut second) = (History::new(), History::new());
    /// for (n, line) in (1..).zip(lines) {
    ///     whole.feed_line(n, line)?;
    /// }
    /// first.feed_line(1, lines[0])?;
    /// second.feed_line(2, lines[1])?;
    /// first.merge(second);
    /// let options = Default::default();
    /// assert_eq!(first.calls(&options), whole.calls(&options));
    /// first.merge(whole.clone());
    /// assert_eq!(first.calls(&options), whole.calls(&options)); // idempotent
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn merge(&mut self, other: History) {
        self.tracker.merge(other.tracker);
        self.a_legs.reserve(other.a_legs.len());
        for (id, a) in other.a_legs {
            self.a_legs.insert_or_merge(id, a, |mine, a| mine.merge(*a));
        }
        self.latest_event_time = self.latest_event_time.max(other.latest_event_time);
    }

    /// How many legs and A-legs the history holds: what merging it into another moves.
    pub(crate) fn held(&self) -> usize {
        self.tracker.len() + self.a_legs.len()
    }

    fn apply_view(&mut self, v: &View<'_>, delivery: Option<u64>) {
        if let Some(t) = v.event_time {
            self.latest_event_time = Some(self.latest_event_time.map_or(t, |latest| latest.max(t)));
        }
        let leg_event = v.is_leg_event();
        // A leg's callback tells its A-leg's from and to; the A-leg's own callbacks tell more.
        let a_leg_id = if leg_event {
            self.tracker.fold_view(v, delivery);
            match v.parent_call_id {
                Some(parent) => parent,
                None => return,
            }
        } else {
            v.call_id
        };
        let a = self.a_legs.get_or_insert_with(a_leg_id, Box::default);
        a.from.observe_text(v.from);
        a.to.observe_text(v.to);
        if leg_event {
            return;
        }
        match v.kind {
            Kind::TransferComplete => {
                // Its times describe an unclear leg (spec §2.3): only the report is kept.
                let report = TransferComplete {
                    event_time: v.event_time,
                    cause: v.cause.map(Cause::from),
                    transfer_to: v.transfer_to.map(str::to_owned),
                    transfer_caller_id: v.transfer_caller_id.map(str::to_owned),
                    error_message: v.error_message.map(str::to_owned),
                };
                insert_sorted(&mut a.completes, report);
            }
            Kind::Disconnect => {
                a.start_time.observe(v.start_time.as_ref());
                a.answer_time.observe(v.answer_time.as_ref());
                a.end_time.observe(v.end_time.as_ref());
                a.cause.observe_text(v.cause);
            }
            Kind::Initiate | Kind::Answer | Kind::Redirect | Kind::Other => {
                a.start_time.observe(v.start_time.as_ref());
                a.answer_time.observe(v.answer_time.as_ref());
            }
            // Leg events: their facts went to the leg, their from/to to the A-leg above.
            Kind::TransferAnswer | Kind::TransferDisconnect => {}
        }
    }

    /// The latest `eventTime` folded: the default "as of" for staleness.
    ///
    /// ```
    /// assert_eq!(callfold::History::new().latest_event_time(), None);
    /// ```
    pub fn latest_event_time(&self) -> Option<DateTime<Utc>> {
        self.latest_event_time
    }

    /// Every leg, in no particular order.
    ///
    /// ```
    /// assert_eq!(callfold::History::new().legs().count(), 0);
    /// ```
    pub fn legs(&self) -> impl Iterator<Item = &Leg> {
        self.tracker.legs()
    }

    /// True when the leg has not ended and nothing was heard of it for longer than `stale_after` before
    /// `as_of` (or the latest `eventTime`). A leg with no time at all cannot be judged and is not stale.
    ///
    /// ```
    /// use callfold::{History, HistoryOptions};
    ///
    /// let mut history = History::new();
    /// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a",
    ///     "answerTime":"2026-11-23T14:00:00Z"}"#.parse()?);
    /// let leg = history.legs().next().unwrap();
    /// let as_of = callfold::parse_timestamp("2026-11-23T14:06:00Z")?;
    /// assert!(history.is_stale(leg, &HistoryOptions { as_of: Some(as_of), ..Default::default() }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_stale(&self, leg: &Leg, options: &HistoryOptions) -> bool {
        let as_of = options.as_of.or(self.latest_event_time);
        match (leg.state(), leg.last_known_time(), as_of) {
            (State::Ended, _, _) | (_, None, _) | (_, _, None) => false,
            (_, Some(last), Some(as_of)) => as_of.signed_duration_since(last) > options.stale_after,
        }
    }

    /// The calls, sorted by the A-leg's `callId` (legs without a parent last, by their own id). Only
    /// calls with transfer activity (a leg or a `transferComplete`) are listed.
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// history.apply(&r#"{"eventType":"initiate","callId":"c-no-transfer"}"#.parse()?);
    /// assert!(history.calls(&Default::default()).is_empty());
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn calls(&self, options: &HistoryOptions) -> Vec<Call<'_>> {
        self.entries()
            .iter()
            .filter_map(|entry| self.build(entry, options))
            .collect()
    }

    /// The calls of [`calls`](History::calls), built on `threads` threads in chunks, each chunk turned into
    /// a `T` by `map` on the thread that built it; `each` gets the results in order, on the calling thread.
    /// This is how the CLI writes a history: building and formatting the calls is most of the work, and
    /// it parallelizes; writing stays in order. While `each` is busy, the threads stop once two chunks
    /// per thread are waiting, so a slow writer holds the work back instead of piling results up.
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// for leg in ["c-b1", "c-b2", "c-b3"] {
    ///     let parent = format!("c-a{}", &leg[3..]);
    ///     history.apply(&format!(r#"{{"eventType":"transferAnswer","callId":"{leg}","parentCallId":"{parent}"}}"#).parse()?);
    /// }
    /// let mut ids = Vec::new();
    /// history.map_calls(
    ///     &Default::default(),
    ///     2,
    ///     |calls| calls.iter().map(|call| call.call_id.unwrap().to_string()).collect::<Vec<_>>(),
    ///     |chunk| {
    ///         ids.extend(chunk);
    ///         Ok::<(), std::io::Error>(())
    ///     },
    /// )?;
    /// assert_eq!(ids, ["c-a1", "c-a2", "c-a3"]); // the order of `calls`
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The first error `each` returns; the calls after it are not built.
    pub fn map_calls<T: Send, E>(
        &self,
        options: &HistoryOptions,
        threads: usize,
        map: impl Fn(&[Call<'_>]) -> T + Sync,
        each: impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        let entries = self.entries();
        crate::parallel::map_chunks(&entries, CHUNK_CALLS, threads, each, |chunk| {
            self.touch(chunk);
            let calls: Vec<Call<'_>> = chunk
                .iter()
                .filter_map(|entry| self.build(entry, options))
                .collect();
            map(&calls)
        })
    }

    /// Every call that may have transfer activity, in the order calls are listed: A-legs by id, then legs
    /// that named no parent, by their own id.
    fn entries(&self) -> Vec<Entry<'_>> {
        let mut entries: Vec<Entry<'_>> = self
            .a_legs
            .iter()
            .map(|(id, a)| Entry::Call(id, a))
            .collect();
        // A parent named only by legs (after a merge or a removal its A-leg may hold no entry).
        entries.extend(
            self.tracker
                .parents()
                .filter(|id| !self.a_legs.contains_key(*id))
                .map(|id| Entry::Call(id, &NO_A_LEG)),
        );
        entries.extend(
            self.tracker
                .legs()
                .filter(|leg| leg.parent_call_id().is_none())
                .map(Entry::Orphan),
        );
        entries.sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        entries
    }

    /// Reads the first thing building each call of `chunk` needs: its A-leg and each of its legs. Calls
    /// are listed by id, so their legs lie anywhere in memory, and building one call is too long for the
    /// processor to start on the next call's cache misses meanwhile; here every read is independent of the
    /// last, so the misses overlap. About a tenth of the time of building and writing the calls.
    fn touch(&self, chunk: &[Entry<'_>]) {
        let mut read = 0;
        for entry in chunk {
            if let Entry::Call(id, a) = entry {
                read ^= a.completes.len();
                for leg in self.tracker.children_of(id.as_str()) {
                    read ^= leg.state() as usize;
                }
            }
        }
        std::hint::black_box(read);
    }

    /// The call of an entry, if it has transfer activity: a leg that keeps it as parent, or a
    /// `transferComplete`.
    fn build<'a>(&'a self, entry: &Entry<'a>, options: &HistoryOptions) -> Option<Call<'a>> {
        match *entry {
            Entry::Call(id, a) => {
                let legs = self.kept_children(id);
                (!legs.is_empty() || !a.completes.is_empty())
                    .then(|| self.call(Some(id), a, legs, options))
            }
            Entry::Orphan(leg) => Some(self.call(None, &NO_A_LEG, vec![leg], options)),
        }
    }

    /// The legs whose kept `parentCallId` is `parent`, in no particular order (attempts sort them).
    fn kept_children(&self, parent: &CallId) -> Vec<&Leg> {
        self.tracker
            .children_of(parent.as_str())
            .filter(|leg| leg.parent_call_id() == Some(parent))
            .collect()
    }

    /// The legs that belong to a call: those whose kept `parentCallId` is it, or the one orphan leg.
    pub(crate) fn legs_of_call(&self, key: &CallKey) -> Vec<&Leg> {
        match key {
            CallKey::Call(parent) => self.kept_children(parent),
            CallKey::Orphan(id) => self.orphan(id).into_iter().collect(),
        }
    }

    /// The leg with this id, if its callbacks named no parent: a call of its own.
    fn orphan(&self, id: &CallId) -> Option<&Leg> {
        self.tracker
            .leg(id.as_str())
            .filter(|leg| leg.parent_call_id().is_none())
    }

    /// One call, if it has transfer activity.
    pub(crate) fn call_of(&self, key: &CallKey, options: &HistoryOptions) -> Option<Call<'_>> {
        let entry = match key {
            // The id is borrowed from what the history holds: the A-leg's entry, or the parent index.
            CallKey::Call(parent) => match self.a_legs.get_key_value(parent) {
                Some((id, a)) => Entry::Call(id, a),
                None => Entry::Call(self.tracker.parent_id(parent.as_str())?, &NO_A_LEG),
            },
            CallKey::Orphan(id) => Entry::Orphan(self.orphan(id)?),
        };
        self.build(&entry, options)
    }

    /// When every leg of the call has ended: the latest time of its legs. `None` while a leg is open, for a
    /// call without legs, or when no leg has a time.
    pub(crate) fn closed_at(&self, key: &CallKey) -> Option<DateTime<Utc>> {
        closed_at(&self.legs_of_call(key))
    }

    /// Whether the call has transfer activity: a leg, or a `transferComplete`.
    pub(crate) fn has_call(&self, key: &CallKey) -> bool {
        !self.legs_of_call(key).is_empty()
            || matches!(key, CallKey::Call(id) if self.a_legs.get(id).is_some_and(|a| !a.completes.is_empty()))
    }

    /// Whether anything at all is held for the call, A-leg facts without transfers included.
    pub(crate) fn knows(&self, key: &CallKey) -> bool {
        !self.legs_of_call(key).is_empty()
            || matches!(key, CallKey::Call(id) if self.a_legs.contains_key(id))
    }

    /// Forgets a call: its legs and its A-leg's facts.
    pub(crate) fn remove_call(&mut self, key: &CallKey) {
        let ids: Vec<CallId> = self
            .legs_of_call(key)
            .iter()
            .map(|leg| leg.call_id().clone())
            .collect();
        for id in ids {
            self.tracker.remove(id.as_str());
        }
        if let CallKey::Call(parent) = key {
            self.a_legs.remove(parent);
        }
    }

    fn call<'a>(
        &'a self,
        call_id: Option<&'a CallId>,
        a: &'a ALeg,
        legs: Vec<&'a Leg>,
        options: &HistoryOptions,
    ) -> Call<'a> {
        let attempts = attempts(legs, options.attempt_window, |leg| {
            self.is_stale(leg, options)
        });
        let answered = attempts.iter().any(|attempt| attempt.winner.is_some());
        let open = attempts
            .iter()
            .flat_map(|a| &a.legs)
            .any(|p| p.leg.state() != State::Ended);
        let outcome = match (answered, open) {
            (true, _) => CallOutcome::Connected,
            (false, true) => CallOutcome::Open,
            (false, false) => CallOutcome::NotConnected,
        };
        let time = |t: &DateTime<Utc>| format_timestamp(t);
        let conflicts = [
            a.from.conflict("from", ToString::to_string),
            a.to.conflict("to", ToString::to_string),
            a.start_time.conflict("startTime", time),
            a.answer_time.conflict("answerTime", time),
            a.end_time.conflict("endTime", time),
            a.cause.conflict("cause", ToString::to_string),
        ]
        .into_iter()
        .flatten()
        .collect();
        Call {
            call_id,
            from: a.from.get().map(Short::as_str),
            to: a.to.get().map(Short::as_str),
            start_time: a.start_time.get().copied(),
            answer_time: a.answer_time.get().copied(),
            end_time: a.end_time.get().copied(),
            cause: a.cause.get(),
            transfer_completes: &a.completes,
            attempts,
            outcome,
            conflicts,
        }
    }
}

/// Calls built per chunk by a thread of [`History::map_calls`]: enough that handing over is rare, few
/// enough that the threads share the work evenly.
const CHUNK_CALLS: usize = 512;

/// A call before it is built: an A-leg's id and facts, or a leg that named no parent.
enum Entry<'a> {
    Call(&'a CallId, &'a ALeg),
    Orphan(&'a Leg),
}

impl<'a> Entry<'a> {
    /// How calls are listed: by the A-leg's id, calls without one last, by their leg's id.
    fn sort_key(&self) -> (bool, &'a CallId) {
        match *self {
            Entry::Call(id, _) => (false, id),
            Entry::Orphan(leg) => (true, leg.call_id()),
        }
    }
}

/// When every one of a call's legs has ended: the latest time of its legs. `None` while a leg is open,
/// for no legs, or when no leg has a time.
pub(crate) fn closed_at(legs: &[&Leg]) -> Option<DateTime<Utc>> {
    if legs.is_empty() || legs.iter().any(|leg| leg.state() != State::Ended) {
        return None;
    }
    legs.iter().filter_map(|leg| leg.last_known_time()).max()
}

/// Groups one call's legs into attempts: a leg joins the current attempt when it was placed within
/// `window` of that attempt's first leg, and before every leg of the attempt had ended (a second
/// `<Transfer>` can only begin once the first is over).
fn attempts<'a>(
    legs: Vec<&'a Leg>,
    window: TimeDelta,
    stale: impl Fn(&Leg) -> bool,
) -> Vec<Attempt<'a>> {
    let mut placed: Vec<(Option<DateTime<Utc>>, Placed<'a>)> = legs
        .into_iter()
        .map(|leg| {
            let (at, placed_by) = placement(leg);
            (
                at,
                Placed {
                    leg,
                    placed_by,
                    stale: stale(leg),
                },
            )
        })
        .collect();
    // Legs with no time at all go last.
    placed.sort_by(|(a, x), (b, y)| {
        (a.is_none(), a, x.leg.call_id()).cmp(&(b.is_none(), b, y.leg.call_id()))
    });

    let mut groups: Vec<Group<'a>> = Vec::new();
    for (at, p) in placed {
        let end = if p.leg.state() == State::Ended {
            p.leg.end_time()
        } else {
            None
        };
        match groups.last_mut() {
            Some(group) if group.admits(at, window) => {
                group.over = group.over.zip(end).map(|(a, b)| a.max(b));
                group.legs.push(p);
            }
            _ => groups.push(Group {
                first: at,
                over: end,
                legs: vec![p],
            }),
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, Group { legs, .. })| {
            let winner = legs
                .iter()
                .filter(|p| p.leg.was_answered())
                .min_by_key(|p| {
                    (
                        p.leg.answer_time().is_none(),
                        p.leg.answer_time(),
                        p.leg.call_id(),
                    )
                })
                .map(|p| p.leg.call_id());
            let mut why: Vec<String> = if winner.is_some() {
                Vec::new()
            } else {
                legs.iter()
                    .map(|p| match (p.leg.state(), p.leg.cause()) {
                        (State::Ended, Some(cause)) => cause.to_string(),
                        (State::Ended, None) => "none".to_owned(),
                        _ => "open".to_owned(),
                    })
                    .collect()
            };
            why.sort();
            why.dedup();
            Attempt {
                number: i + 1,
                legs,
                winner,
                why,
            }
        })
        .collect()
}

/// An attempt being gathered: its first leg's time, the latest end of its legs (`None` while one has
/// not ended), and its legs.
struct Group<'a> {
    first: Option<DateTime<Utc>>,
    over: Option<DateTime<Utc>>,
    legs: Vec<Placed<'a>>,
}

impl Group<'_> {
    /// A leg placed at `at` rings with this attempt: within the window of its first leg, and not after
    /// all its legs ended.
    fn admits(&self, at: Option<DateTime<Utc>>, window: TimeDelta) -> bool {
        match (self.first, at) {
            (Some(first), Some(t)) => {
                t.signed_duration_since(first) <= window && self.over.is_none_or(|o| t <= o)
            }
            _ => false,
        }
    }
}

/// The time that places a leg among its call's attempts, and which field gave it: when the leg was
/// created, which is its `enqueuedTime` when it was queued (the legs of one `<Transfer>` are queued
/// together and dequeued one by one), else its `startTime`; without either, its `answerTime` or `endTime`.
fn placement(leg: &Leg) -> (Option<DateTime<Utc>>, Option<&'static str>) {
    if let Some(t) = leg.enqueued_time() {
        (Some(t), Some("enqueuedTime"))
    } else if let Some(t) = leg.start_time() {
        (Some(t), None)
    } else if let Some(t) = leg.answer_time() {
        (Some(t), Some("answerTime"))
    } else if let Some(t) = leg.end_time() {
        (Some(t), Some("endTime"))
    } else {
        (None, Some("nothing"))
    }
}

/// The `callfold history --format json` object: the call, its attempts, and its legs with the keys of
/// `callfold legs` plus `attempt`, `placedBy`, `stale`, `transferTo`, `transferCallerId`, `tag` and
/// `errorMessage`.
impl Serialize for Call<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let causes = self.causes();
        CallRecord {
            call_id: self.call_id,
            from: self.from,
            to: self.to,
            start_time: stamp(self.start_time),
            answer_time: stamp(self.answer_time),
            end_time: stamp(self.end_time),
            cause: self.cause.map(Cause::as_str),
            outcome: self.outcome.as_str(),
            causes,
            transfer_completes: self
                .transfer_completes
                .iter()
                .map(|c| CompleteRecord {
                    event_time: stamp(c.event_time),
                    cause: c.cause.as_ref().map(Cause::as_str),
                    transfer_to: c.transfer_to.as_deref(),
                    transfer_caller_id: c.transfer_caller_id.as_deref(),
                    error_message: c.error_message.as_deref(),
                })
                .collect(),
            attempts: self
                .attempts
                .iter()
                .map(|a| AttemptRecord {
                    attempt: a.number,
                    legs: a.legs.iter().map(|p| p.leg.call_id()).collect(),
                    winner: a.winner,
                    why: &a.why,
                })
                .collect(),
            legs: self
                .attempts
                .iter()
                .flat_map(|a| a.legs.iter().map(move |p| (a.number, p)))
                .map(|(attempt, p)| LegRecord {
                    leg: p.leg,
                    attempt,
                    placed_by: p.placed_by,
                    stale: p.stale,
                    transfer_to: p.leg.transfer_to(),
                    transfer_caller_id: p.leg.transfer_caller_id(),
                    tag: p.leg.tag(),
                    error_message: p.leg.error_message(),
                })
                .collect(),
            conflicts: self.conflicts.iter().map(ToString::to_string).collect(),
        }
        .serialize(s)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallRecord<'a> {
    call_id: Option<&'a CallId>,
    from: Option<&'a str>,
    to: Option<&'a str>,
    start_time: Option<Stamp>,
    answer_time: Option<Stamp>,
    end_time: Option<Stamp>,
    cause: Option<&'a str>,
    outcome: &'static str,
    causes: Vec<&'a str>,
    transfer_completes: Vec<CompleteRecord<'a>>,
    attempts: Vec<AttemptRecord<'a>>,
    legs: Vec<LegRecord<'a>>,
    conflicts: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompleteRecord<'a> {
    event_time: Option<Stamp>,
    cause: Option<&'a str>,
    transfer_to: Option<&'a str>,
    transfer_caller_id: Option<&'a str>,
    error_message: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttemptRecord<'a> {
    attempt: usize,
    legs: Vec<&'a CallId>,
    winner: Option<&'a CallId>,
    why: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegRecord<'a> {
    #[serde(flatten)]
    leg: &'a Leg,
    attempt: usize,
    placed_by: Option<&'static str>,
    stale: bool,
    transfer_to: Option<&'a str>,
    transfer_caller_id: Option<&'a str>,
    tag: Option<&'a str>,
    error_message: Option<&'a str>,
}
