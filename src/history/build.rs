//! Building calls from what a history folded: which calls there are, and each one's attempts and
//! outcome.

use chrono::{DateTime, Utc};

use super::attempts::{attempts, closed_at};
use super::call::{Call, CallKey, CallOutcome};
use super::{ALeg, History, HistoryOptions, NO_A_LEG, parallel, stale};
use crate::decode::CallId;
use crate::fold::{CompactText, Leg, State};
use crate::time::format_timestamp;

impl History {
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
        parallel::map_chunks(&entries, CHUNK_CALLS, threads, each, |chunk| {
            self.prefetch(chunk);
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
            self.legs
                .parents()
                .filter(|id| !self.a_legs.contains_key(*id))
                .map(|id| Entry::Call(id, &NO_A_LEG)),
        );
        entries.extend(
            self.legs
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
    fn prefetch(&self, chunk: &[Entry<'_>]) {
        let mut read = 0;
        for entry in chunk {
            if let Entry::Call(id, a) = entry {
                read ^= a.completes.len();
                for leg in self.legs.children_of(id.as_str()) {
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
                    .then(|| call(Some(id), a, legs, options, self.as_of(options)))
            }
            Entry::Orphan(leg) => Some(call(
                None,
                &NO_A_LEG,
                vec![leg],
                options,
                self.as_of(options),
            )),
        }
    }

    /// The legs whose kept `parentCallId` is `parent`, in no particular order (attempts sort them).
    fn kept_children(&self, parent: &CallId) -> Vec<&Leg> {
        self.legs
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
        self.legs
            .leg(id.as_str())
            .filter(|leg| leg.parent_call_id().is_none())
    }

    /// One call, if it has transfer activity.
    pub(crate) fn call_of(&self, key: &CallKey, options: &HistoryOptions) -> Option<Call<'_>> {
        let entry = match key {
            // The id is borrowed from what the history holds: the A-leg's entry, or the parent index.
            CallKey::Call(parent) => match self.a_legs.get_key_value(parent) {
                Some((id, a)) => Entry::Call(id, a),
                None => Entry::Call(self.legs.parent_id(parent.as_str())?, &NO_A_LEG),
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
            self.legs.remove(id.as_str());
        }
        if let CallKey::Call(parent) = key {
            self.a_legs.remove(parent);
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

/// One call from its A-leg facts and its legs, with staleness judged at `as_of`: for a history and for
/// the live tracker.
pub(crate) fn call<'a>(
    call_id: Option<&'a CallId>,
    a: &'a ALeg,
    legs: Vec<&'a Leg>,
    options: &HistoryOptions,
    as_of: Option<DateTime<Utc>>,
) -> Call<'a> {
    let attempts = attempts(legs, options.attempt_window, |leg| {
        as_of.and_then(|as_of| stale::judge(leg, Some(a), options, as_of))
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
        from: a.from.get().map(CompactText::as_str),
        to: a.to.get().map(CompactText::as_str),
        account_id: a.account_id.get().map(CompactText::as_str),
        application_id: a.application_id.get().map(CompactText::as_str),
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
