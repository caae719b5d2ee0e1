//! Call history: the legs of each original call, grouped into `<Transfer>` attempts, with the A-leg's own
//! facts and the call's outcome.
//!
//! [`History`] folds callbacks ([`fold`](History::apply)) into legs and A-legs, and builds the calls
//! from them ([`build`]: [`Call`], [`Attempt`] by [`attempts`]); [`stale`] judges the legs whose end is
//! missing; [`StreamingHistory`] emits calls as they end; [`Stats`] sums them up.

mod attempts;
mod build;
mod call;
mod parallel;
mod stale;
mod stats;
mod streaming;

use std::io::BufRead;

use chrono::{DateTime, TimeDelta, Utc};

pub(crate) use build::call as build_call;
pub(crate) use call::CallKey;
pub use call::{Attempt, Call, CallOutcome, Placed, PlacedBy, TransferComplete};
pub use stale::{CallEnd, Stale, StaleReason};
pub(crate) use stale::{judge as judge_stale, stale_at};
pub use stats::{GroupBy, Stats, StatsBuilder, Summary};
pub use streaming::{Late, LateReason, StreamingHistory};

use crate::decode::{Callback, Cause, DecodeError, Fields, Kind, View};
use crate::fold::hash::FastState;
use crate::fold::{CompactText, Fact, IdMap, Leg, LegTable, insert_sorted};
use crate::replay::{self, LogError, LogReader, Stop, Target};

/// Settings of the history projection.
///
/// ```
/// let options = callfold::HistoryOptions::default();
/// assert_eq!(options.attempt_window, chrono::TimeDelta::seconds(2));
/// assert_eq!(options.stale_after, chrono::TimeDelta::seconds(330));
/// assert_eq!(options.max_call, chrono::TimeDelta::hours(4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryOptions {
    /// Legs of one call created within this window of the first leg of an attempt (and before all its
    /// legs ended) ring together: one `<Transfer>`. Default 2 s.
    pub attempt_window: TimeDelta,
    /// The instant staleness is judged at; `None` means the latest time known in what was folded (see
    /// [`History::latest_time`]).
    pub as_of: Option<DateTime<Utc>>,
    /// How long a leg's `transferDisconnect` may lag: a leg that never answered and was not heard of
    /// for longer than this before `as_of`, or an answered leg whose call ended longer than this before
    /// `as_of`, is [stale](Stale). Default 330 s: the longest `callTimeout` (300 s) plus 30 s.
    pub stale_after: TimeDelta,
    /// The longest call assumed: an answered leg talking for longer than this is [stale](Stale) even
    /// without evidence that its call ended. Default 4 h.
    pub max_call: TimeDelta,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            attempt_window: TimeDelta::seconds(2),
            as_of: None,
            stale_after: TimeDelta::seconds(330),
            max_call: stale::MAX_CALL,
        }
    }
}

/// The A-leg's own facts, folded like a leg's: sets of values, whatever the order.
#[derive(Debug, Clone, Default)]
pub(crate) struct ALeg {
    from: Fact<CompactText>,
    to: Fact<CompactText>,
    account_id: Fact<CompactText>,
    application_id: Fact<CompactText>,
    start_time: Fact<DateTime<Utc>>,
    answer_time: Fact<DateTime<Utc>>,
    end_time: Fact<DateTime<Utc>>,
    cause: Fact<Cause>,
    /// Distinct `transferComplete` reports, sorted.
    completes: Vec<TransferComplete>,
}

impl ALeg {
    /// Folds what a callback of the call says of the A-leg: a leg's callback its `from`, `to` and
    /// account; the A-leg's own callbacks more.
    pub(crate) fn observe(&mut self, v: &View<'_>) {
        self.from.observe_text(v.from);
        self.to.observe_text(v.to);
        self.account_id.observe_text(v.account_id);
        self.application_id.observe_text(v.application_id);
        if v.is_leg_event() {
            // Its other facts went to the leg.
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
                insert_sorted(&mut self.completes, report);
            }
            Kind::Disconnect => {
                self.start_time.observe(v.start_time.as_ref());
                self.answer_time.observe(v.answer_time.as_ref());
                self.end_time.observe(v.end_time.as_ref());
                self.cause.observe_text(v.cause);
            }
            Kind::Initiate | Kind::Answer | Kind::Redirect | Kind::Other => {
                self.start_time.observe(v.start_time.as_ref());
                self.answer_time.observe(v.answer_time.as_ref());
            }
            // Leg events returned above.
            Kind::TransferAnswer | Kind::TransferDisconnect => {}
        }
    }

    /// The distinct `transferComplete` reports, sorted.
    pub(crate) fn completes(&self) -> &[TransferComplete] {
        &self.completes
    }

    pub(crate) fn merge(&mut self, other: ALeg) {
        self.from.merge(&other.from);
        self.to.merge(&other.to);
        self.account_id.merge(&other.account_id);
        self.application_id.merge(&other.application_id);
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
pub(crate) static NO_A_LEG: ALeg = ALeg {
    from: Fact::Unknown,
    to: Fact::Unknown,
    account_id: Fact::Unknown,
    application_id: Fact::Unknown,
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
    legs: LegTable<FastState, usize>,
    /// Boxed: the table then holds pointers, and growing it (which holds the old and new tables at once)
    /// or merging into it moves small entries instead of whole A-legs.
    a_legs: IdMap<Box<ALeg>, FastState>,
    /// The latest `eventTime` folded: the log's clock for [`StreamingHistory`].
    latest_event_time: Option<DateTime<Utc>>,
    /// The latest time known: the latest `eventTime`, and for callbacks without one their latest
    /// timestamp. The default "as of" for staleness.
    latest_time: Option<DateTime<Utc>>,
}

impl Default for History {
    fn default() -> History {
        History::new()
    }
}

impl History {
    /// An empty history.
    ///
    /// ```
    /// assert_eq!(callfold::History::new().latest_event_time(), None);
    /// ```
    pub fn new() -> History {
        History {
            legs: LegTable::default(),
            a_legs: IdMap::default(),
            latest_event_time: None,
            latest_time: None,
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
        let fields = Fields::parse(body)?;
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
        let fields = Fields::parse(body)?;
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
        self.legs.merge(other.legs);
        self.a_legs.reserve(other.a_legs.len());
        for (id, a) in other.a_legs {
            self.a_legs.insert_or_merge(id, a, |mine, a| mine.merge(*a));
        }
        self.latest_event_time = self.latest_event_time.max(other.latest_event_time);
        self.latest_time = self.latest_time.max(other.latest_time);
    }

    /// The legs and the A-legs, for a tracker that takes them over.
    pub(crate) fn into_parts(self) -> (LegTable<FastState, usize>, IdMap<Box<ALeg>, FastState>) {
        (self.legs, self.a_legs)
    }

    fn apply_view(&mut self, v: &View<'_>, delivery: Option<u64>) {
        if let Some(t) = v.event_time {
            self.latest_event_time = self.latest_event_time.max(Some(t));
        }
        self.latest_time = self.latest_time.max(v.time());
        // A leg's callback tells its A-leg's from and to; the A-leg's own callbacks tell more.
        let a_leg_id = if v.is_leg_event() {
            self.legs.apply(v, delivery);
            match v.parent_call_id {
                Some(parent) => parent,
                None => return,
            }
        } else {
            v.call_id
        };
        self.a_legs
            .get_or_insert_with(a_leg_id, Box::default)
            .observe(v);
    }

    /// The A-leg facts of a call, if any callback spoke of it.
    pub(crate) fn a_leg(&self, call_id: &str) -> Option<&ALeg> {
        self.a_legs.get(call_id).map(|a| &**a)
    }

    /// The latest `eventTime` folded: the log's clock, by which [`StreamingHistory`] tells when a call is
    /// over.
    ///
    /// ```
    /// assert_eq!(callfold::History::new().latest_event_time(), None);
    /// ```
    pub fn latest_event_time(&self) -> Option<DateTime<Utc>> {
        self.latest_event_time
    }

    /// The latest time known: the latest `eventTime`, and for a callback without one (the historical
    /// shape), its latest timestamp. The default "as of" for staleness ([`History::as_of`]).
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","endTime":"2019-12-27T19:19:27.987Z"}"#.parse()?);
    /// assert_eq!(history.latest_event_time(), None);
    /// assert_eq!(history.latest_time(), Some(callfold::parse_timestamp("2019-12-27T19:19:27.987Z")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn latest_time(&self) -> Option<DateTime<Utc>> {
        self.latest_time
    }

    /// The instant staleness is judged at: `options.as_of`, or else the [latest time
    /// known](History::latest_time).
    ///
    /// ```
    /// let history = callfold::History::new();
    /// assert_eq!(history.as_of(&Default::default()), None);
    /// ```
    pub fn as_of(&self, options: &HistoryOptions) -> Option<DateTime<Utc>> {
        options.as_of.or(self.latest_time)
    }

    /// Every leg, in no particular order.
    ///
    /// ```
    /// assert_eq!(callfold::History::new().legs().count(), 0);
    /// ```
    pub fn legs(&self) -> impl Iterator<Item = &Leg> {
        self.legs.legs()
    }
}

impl Target for History {
    fn apply_line(&mut self, line: u64, view: &View<'_>) {
        self.apply_view(view, Some(line));
    }
    fn merge(&mut self, other: History) {
        History::merge(self, other);
    }
    fn size(&self) -> usize {
        self.legs.len() + self.a_legs.len()
    }
}

impl History {
    /// Folds every line of a log, on `threads` threads (1 folds on the calling thread), and reports each
    /// line that is not a callback to `report`, in line order, as the [`LogReader`] would yield it. The
    /// reader's [`counts`](LogReader::counts) and rejects sink are kept as by iterating it. The result does
    /// not depend on the number of threads. A reader with a rejects sink replays on the calling thread,
    /// so that the sink keeps the log's order.
    ///
    /// ```
    /// use callfold::{History, LogReader};
    ///
    /// let log = b"{\"eventType\":\"transferAnswer\",\"callId\":\"c-b\",\"parentCallId\":\"c-a\"}\n{oops}\n";
    /// let mut reader = LogReader::new(&log[..]);
    /// let mut bad = Vec::new();
    /// let history = History::replay(&mut reader, 2, |error| {
    ///     bad.push(error.line());
    ///     Ok::<(), ()>(())
    /// })
    /// .unwrap();
    /// assert_eq!(history.legs().count(), 1);
    /// assert_eq!(bad, [2]);
    /// assert_eq!(reader.counts().rejected, 1);
    /// ```
    ///
    /// # Errors
    /// [`Stop::Log`] when reading fails or a rejected line cannot be written; [`Stop::Report`] when
    /// `report` fails. What was folded up to then is lost.
    pub fn replay<R: BufRead, E>(
        log: &mut LogReader<R>,
        threads: usize,
        report: impl FnMut(&LogError) -> Result<(), E>,
    ) -> Result<History, Stop<E>> {
        replay::replay(log, threads, report)
    }
}
