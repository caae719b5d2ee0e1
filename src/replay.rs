//! Replaying a whole log into a [`History`], or into its legs alone, on one thread or many.
//!
//! The calling thread reads the log (it owns the reader, the progress bar and the rejects file) and cuts
//! it into blocks of whole lines, which every worker thread sees. Each line belongs to one worker, chosen
//! from the call it names (see [`Router`]), and that worker decodes it and folds it into a history of its
//! own, as its own delivery ([`History::feed_line`]). At the end the histories are
//! [merged](History::merge), which gives exactly the history of the whole log whichever worker folded
//! which line; since a call's lines go to one worker, the histories hardly overlap and merging mostly
//! moves legs. Bad lines come back with their blocks and are reported and counted by the calling thread
//! in line order, as one thread would.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::BuildHasher;
use std::io::BufRead;
use std::ops::Range;
use std::sync::{Arc, mpsc};

use memchr::memmem::Finder;

use crate::callback::{DecodeError, Fields};
use crate::hash::FastState;
use crate::history::History;
use crate::leg::Leg;
use crate::log::{LogError, LogReader};
use crate::tracker::Tracker;

/// Why a replay stopped before the end of the log.
///
/// ```
/// use callfold::{History, LogReader, Stop};
///
/// let mut log = LogReader::new(&b"{oops}\n"[..]);
/// let stopped = History::replay(&mut log, 1, |_| Err("enough")).unwrap_err();
/// assert!(matches!(stopped, Stop::Report("enough")));
/// ```
#[derive(Debug)]
pub enum Stop<E> {
    /// Reading the log, or writing a rejected line, failed.
    Log(LogError),
    /// The report function returned an error.
    Report(E),
}

impl<E: fmt::Display> fmt::Display for Stop<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Log(error) => error.fmt(f),
            Stop::Report(error) => error.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Stop<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Stop::Log(error) => error.source(),
            Stop::Report(error) => error.source(),
        }
    }
}

/// Lines per block handed to a worker: big enough that handing over is rare, small enough that the
/// workers start at once and the calling thread's reorder buffer stays small.
const BLOCK_BYTES: usize = 1 << 20;

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
        replay(log, threads, report)
    }
}

impl Leg {
    /// Folds the transfer legs of a log, and nothing else, on `threads` threads: the legs
    /// [`History::replay`] would give, sorted by `callId`, without the A-legs' facts that calls are built
    /// from, so in less memory and time. Every line is decoded and validated as there: the same lines
    /// go to `report`, and the reader's counts and rejects sink are kept the same way.
    ///
    /// ```
    /// use callfold::{Leg, LogReader, State};
    ///
    /// let log = b"{\"eventType\":\"transferDisconnect\",\"callId\":\"c-b2\",\"cause\":\"busy\"}\n\
    ///             {\"eventType\":\"transferComplete\",\"callId\":\"c-a\"}\n\
    ///             {\"eventType\":\"transferAnswer\",\"callId\":\"c-b1\",\"parentCallId\":\"c-a\"}\n\
    ///             {oops}\n";
    /// let mut reader = LogReader::new(&log[..]);
    /// let mut bad = Vec::new();
    /// let legs = Leg::replay(&mut reader, 2, |error| {
    ///     bad.push(error.line());
    ///     Ok::<(), ()>(())
    /// })
    /// .unwrap();
    /// let ids: Vec<_> = legs.iter().map(|leg| leg.call_id().as_str()).collect();
    /// assert_eq!(ids, ["c-b1", "c-b2"]);
    /// assert_eq!(legs[1].state(), State::Ended);
    /// assert_eq!((bad, reader.counts().callbacks), (vec![4], 3));
    /// ```
    ///
    /// # Errors
    /// As [`History::replay`].
    pub fn replay<R: BufRead, E>(
        log: &mut LogReader<R>,
        threads: usize,
        report: impl FnMut(&LogError) -> Result<(), E>,
    ) -> Result<Vec<Leg>, Stop<E>> {
        let legs: LegsOnly = replay(log, threads, report)?;
        Ok(legs.into_sorted_legs())
    }
}

/// What a replay folds each worker's lines into: a history, or only the legs. Folding line `line` as
/// its own delivery, and merging, must be exact (see [`History::feed_line`]).
trait Fold: Default + Send {
    fn feed_line(&mut self, line: u64, body: &[u8]) -> Result<(), DecodeError>;
    fn merge(&mut self, other: Self);
    /// How much merging it into another moves.
    fn held(&self) -> usize;
}

impl Fold for History {
    fn feed_line(&mut self, line: u64, body: &[u8]) -> Result<(), DecodeError> {
        History::feed_line(self, line, body)
    }
    fn merge(&mut self, other: History) {
        History::merge(self, other);
    }
    fn held(&self) -> usize {
        History::held(self)
    }
}

/// The legs of a log without its A-legs: a [`History`] less what only calls need.
///
/// A worker folds its lines into `tracker`. Merging needs no index: both sides' legs are sorted by id
/// (the order the replay gives them in anyway) and merged as sorted lists into `merged`, so the indexes
/// are gone before the legs move, and merging on many threads takes no more memory than one thread.
///
/// Without merges through it, the index can hold places in four bytes, not eight (5 to 8 bytes a leg
/// less, as its table is 57% to 100% bigger than the legs). When the tracker holds the most that fit
/// (2^32 - 1 legs), its legs are set aside the same way, and an empty tracker folds on: nothing is
/// refused.
struct LegsOnly {
    tracker: Tracker<FastState, u32>,
    /// Legs merged in, sorted by id, none of them in `tracker`'s.
    merged: Vec<Leg>,
}

impl LegsOnly {
    fn into_sorted_legs(self) -> Vec<Leg> {
        merge_sorted(self.merged, self.tracker.into_sorted_legs())
    }

    /// Moves the tracker's legs to `merged`, leaving an empty tracker.
    fn set_aside(&mut self) {
        let LegsOnly { tracker, merged } = std::mem::take(self);
        self.merged = merge_sorted(merged, tracker.into_sorted_legs());
    }
}

impl Default for LegsOnly {
    fn default() -> LegsOnly {
        LegsOnly {
            tracker: Tracker::without_parent_index(),
            merged: Vec::new(),
        }
    }
}

impl Fold for LegsOnly {
    fn feed_line(&mut self, line: u64, body: &[u8]) -> Result<(), DecodeError> {
        // Decoded and validated as `History::feed_line` does, so the same lines are rejected.
        let fields = Fields::parse(body)?;
        let view = fields.view()?;
        if !self.tracker.fold_view(&view, Some(line)) && view.is_leg_event() {
            // The tracker is full; an empty one takes the leg.
            self.set_aside();
            self.tracker.fold_view(&view, Some(line));
        }
        Ok(())
    }
    fn merge(&mut self, other: LegsOnly) {
        self.set_aside();
        self.merged = merge_sorted(std::mem::take(&mut self.merged), other.into_sorted_legs());
    }
    fn held(&self) -> usize {
        self.tracker.len() + self.merged.len()
    }
}

/// Merges two lists of legs sorted by id into one, the legs of one id merged: the legs are taken from
/// the lists' ends, and the lists give their memory back as they shorten, so that memory holds each leg
/// about once.
fn merge_sorted(mut a: Vec<Leg>, mut b: Vec<Leg>) -> Vec<Leg> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let give_back = (merged.capacity() / 64).max(4096);
    loop {
        let last = match (a.last(), b.last()) {
            (Some(x), Some(y)) => x.call_id().cmp(y.call_id()),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => break,
        };
        let leg = match last {
            Ordering::Greater => a.pop(),
            Ordering::Less => b.pop(),
            Ordering::Equal => a.pop().map(|mut leg| {
                if let Some(other) = b.pop() {
                    // Same id, so it cannot fail.
                    let _ = leg.merge(&other);
                }
                leg
            }),
        };
        merged.extend(leg);
        if merged.len() % give_back == 0 {
            a.shrink_to_fit();
            b.shrink_to_fit();
        }
    }
    merged.reverse();
    merged
}

/// Folds every line of a log into `F` (see [`History::replay`]).
fn replay<F: Fold, R: BufRead, E>(
    log: &mut LogReader<R>,
    threads: usize,
    mut report: impl FnMut(&LogError) -> Result<(), E>,
) -> Result<F, Stop<E>> {
    // Too-long lines go to the rejects sink as they are read, before the bad lines of blocks still in
    // flight: to keep the sink in the log's order, a replay that keeps rejects runs on this thread.
    if threads <= 1 || log.keeps_rejects() {
        return replay_here(log, &mut report);
    }
    let router = &Router::new(threads);
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<Folded>();
        let mut workers = Vec::with_capacity(threads);
        let mut inboxes = Vec::with_capacity(threads);
        for worker in 0..threads {
            let (tx, rx) = mpsc::sync_channel::<Arc<Block>>(2);
            let done = done_tx.clone();
            workers.push(scope.spawn(move || fold_blocks::<F>(worker, router, &rx, &done)));
            inboxes.push(tx);
        }
        drop(done_tx);
        let mut order = InOrder::new(threads);
        let read = read_blocks(log, |log, block| {
            let block = Arc::new(block);
            for inbox in &inboxes {
                // A worker only stops early if it panicked; its join below reports that.
                let _ = inbox.send(Arc::clone(&block));
            }
            drop(block);
            while let Ok(folded) = done_rx.try_recv() {
                order.add(folded, log, &mut report)?;
            }
            Ok(())
        });
        drop(inboxes);
        let mut folds: Vec<F> = workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect();
        read?;
        for folded in done_rx {
            order.add(folded, log, &mut report)?;
        }
        // Into the biggest: the fewest legs move.
        folds.sort_by_key(F::held);
        let mut whole = folds.pop().unwrap_or_default();
        for other in folds {
            whole.merge(other);
        }
        Ok(whole)
    })
}

/// The one-thread replay: no blocks, no copies.
fn replay_here<F: Fold, R: BufRead, E>(
    log: &mut LogReader<R>,
    report: &mut impl FnMut(&LogError) -> Result<(), E>,
) -> Result<F, Stop<E>> {
    let mut fold = F::default();
    while let Some(item) = log.next_line() {
        match item {
            Ok((line, body)) => match fold.feed_line(line, &log.raw()[body]) {
                Ok(()) => log.accepted(),
                Err(source) => {
                    let raw = log.raw().to_vec();
                    log.rejected(line, &raw).map_err(Stop::Log)?;
                    report(&LogError::Line { line, source }).map_err(Stop::Report)?;
                }
            },
            Err(error @ LogError::TooLong { .. }) => report(&error).map_err(Stop::Report)?,
            Err(error) => return Err(Stop::Log(error)),
        }
    }
    Ok(fold)
}

/// Whole lines of the log, in order.
struct Block {
    index: usize,
    /// The lines as read, line ends included.
    bytes: Vec<u8>,
    lines: Vec<Line>,
}

enum Line {
    /// A line to decode: its number, where it is in `bytes`, and where its body is.
    Body {
        line: u64,
        raw: Range<usize>,
        body: Range<usize>,
    },
    /// A line too long to hold: already counted; only reported.
    TooLong { line: u64, length: u64, max: usize },
}

/// A block after one worker folded its lines of it, with those of them that were not callbacks.
struct Folded {
    block: Arc<Block>,
    /// Indexes into `block.lines`, in order, with why.
    bad: Vec<(usize, DecodeError)>,
}

/// Chooses the worker that folds a line: the one that owns the call the line names, so that a call's
/// legs and A-leg are folded, and held, by one worker only.
///
/// The call is the `parentCallId` when there is one (a leg's callbacks), else the `callId` (the A-leg's
/// own, and legs whose callbacks name no parent), found by a plain byte search without decoding. That
/// only places work: a line routed "wrongly" (a key written with spaces around its colon, an escaped
/// id, a leg whose callbacks disagree on naming a parent, a line that is not JSON) is still folded by
/// exactly one worker, and merging folds from different lines is exact, so the history does not depend
/// on where a line went.
struct Router {
    parent: Finder<'static>,
    call: Finder<'static>,
    workers: u64,
}

impl Router {
    fn new(workers: usize) -> Router {
        Router {
            parent: Finder::new(br#""parentCallId":""#),
            call: Finder::new(br#""callId":""#),
            workers: workers.max(1) as u64,
        }
    }

    /// The worker, in `0..workers`, that folds `body`.
    fn worker(&self, body: &[u8]) -> usize {
        let id = string_after(&self.parent, body)
            .or_else(|| string_after(&self.call, body))
            .unwrap_or_default();
        // Less than `workers`, which came from a usize.
        (FastState::default().hash_one(id) % self.workers) as usize
    }
}

/// The bytes between the end of the first match of `key` (which ends with the opening quote) and the
/// next quote.
fn string_after<'a>(key: &Finder<'_>, body: &'a [u8]) -> Option<&'a [u8]> {
    let start = key.find(body)? + key.needle().len();
    let rest = body.get(start..)?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

/// Cuts the log into blocks and hands them to `send`; the reader counts blank and too-long lines.
fn read_blocks<R: BufRead, E>(
    log: &mut LogReader<R>,
    mut send: impl FnMut(&mut LogReader<R>, Block) -> Result<(), Stop<E>>,
) -> Result<(), Stop<E>> {
    let mut index = 0;
    let new_block = |index| Block {
        index,
        bytes: Vec::with_capacity(BLOCK_BYTES + BLOCK_BYTES / 8),
        lines: Vec::new(),
    };
    let mut block = new_block(index);
    while let Some(item) = log.next_line() {
        match item {
            Ok((line, body)) => {
                let start = block.bytes.len();
                block.bytes.extend_from_slice(log.raw());
                block.lines.push(Line::Body {
                    line,
                    raw: start..block.bytes.len(),
                    body: start + body.start..start + body.end,
                });
            }
            Err(LogError::TooLong { line, length, max }) => {
                block.lines.push(Line::TooLong { line, length, max });
            }
            Err(error) => return Err(Stop::Log(error)),
        }
        if block.bytes.len() >= BLOCK_BYTES {
            index += 1;
            send(log, std::mem::replace(&mut block, new_block(index)))?;
        }
    }
    if !block.lines.is_empty() {
        send(log, block)?;
    }
    Ok(())
}

/// A worker: folds its lines of every block it is sent into one `F`, and sends each block back with
/// those of its lines that were not callbacks.
fn fold_blocks<F: Fold>(
    worker: usize,
    router: &Router,
    inbox: &mpsc::Receiver<Arc<Block>>,
    done: &mpsc::Sender<Folded>,
) -> F {
    let mut fold = F::default();
    for block in inbox {
        let mut bad = Vec::new();
        for (i, line) in block.lines.iter().enumerate() {
            if let Line::Body { line, body, .. } = line {
                let body = &block.bytes[body.clone()];
                if router.worker(body) == worker
                    && let Err(error) = fold.feed_line(*line, body)
                {
                    bad.push((i, error));
                }
            }
        }
        if done.send(Folded { block, bad }).is_err() {
            break;
        }
    }
    fold
}

/// A block some workers have folded, waiting for the others.
struct Pending {
    block: Arc<Block>,
    /// How many workers have sent it back.
    folded: usize,
    bad: Vec<(usize, DecodeError)>,
}

/// Reports folded blocks in the order of the log, once every worker has folded them, whatever order they
/// come back in.
struct InOrder {
    workers: usize,
    next: usize,
    waiting: BTreeMap<usize, Pending>,
}

impl InOrder {
    fn new(workers: usize) -> InOrder {
        InOrder {
            workers,
            next: 0,
            waiting: BTreeMap::new(),
        }
    }

    fn add<R: BufRead, E>(
        &mut self,
        folded: Folded,
        log: &mut LogReader<R>,
        report: &mut impl FnMut(&LogError) -> Result<(), E>,
    ) -> Result<(), Stop<E>> {
        let pending = self
            .waiting
            .entry(folded.block.index)
            .or_insert_with(|| Pending {
                block: Arc::clone(&folded.block),
                folded: 0,
                bad: Vec::new(),
            });
        pending.folded += 1;
        pending.bad.extend(folded.bad);
        while let Some(entry) = self.waiting.first_entry()
            && *entry.key() == self.next
            && entry.get().folded == self.workers
        {
            let Pending { block, mut bad, .. } = entry.remove();
            self.next += 1;
            // Each worker's are in order; together, by line.
            bad.sort_unstable_by_key(|(at, _)| *at);
            let mut bad = bad.into_iter().peekable();
            for (i, line) in block.lines.iter().enumerate() {
                match line {
                    Line::Body { line, raw, .. } => match bad.next_if(|(at, _)| *at == i) {
                        None => log.accepted(),
                        Some((_, source)) => {
                            log.rejected(*line, &block.bytes[raw.clone()])
                                .map_err(Stop::Log)?;
                            report(&LogError::Line {
                                line: *line,
                                source,
                            })
                            .map_err(Stop::Report)?;
                        }
                    },
                    Line::TooLong { line, length, max } => report(&LogError::TooLong {
                        line: *line,
                        length: *length,
                        max: *max,
                    })
                    .map_err(Stop::Report)?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legs_set_aside_as_they_are_folded_give_the_legs_of_one_fold() {
        let lines = [
            r#"{"eventType":"transferAnswer","callId":"c-2","parentCallId":"c-a"}"#,
            r#"{"eventType":"transferDisconnect","callId":"c-1","cause":"busy"}"#,
            r#"{"eventType":"transferDisconnect","callId":"c-2","cause":"hangup"}"#,
            r#"{"eventType":"transferAnswer","callId":"c-2","parentCallId":"c-a"}"#,
            r#"{"eventType":"transferComplete","callId":"c-a"}"#,
            r#"{"eventType":"transferAnswer","callId":"c-1","parentCallId":"c-b"}"#,
            r#"{"eventType":"transferDisconnect","callId":"c-3","cause":"timeout"}"#,
        ];
        let (mut whole, mut aside) = (LegsOnly::default(), LegsOnly::default());
        for (line, body) in (1..).zip(lines) {
            whole.feed_line(line, body.as_bytes()).unwrap();
            aside.feed_line(line, body.as_bytes()).unwrap();
            aside.set_aside();
        }
        assert!(aside.tracker.is_empty());
        let legs = whole.into_sorted_legs();
        assert_eq!(legs.len(), 3);
        assert_eq!(legs[1].duplicates(), 1);
        assert_eq!(aside.into_sorted_legs(), legs);
    }

    #[test]
    fn sorted_lists_of_legs_merge_into_one_with_the_legs_of_one_id_merged() {
        let leg = |id: &str, body: &str| {
            let mut leg = Leg::new(id.parse().unwrap());
            leg.apply(&body.replace("ID", id).parse().unwrap()).unwrap();
            leg
        };
        let answer = r#"{"eventType":"transferAnswer","callId":"ID"}"#;
        let end = r#"{"eventType":"transferDisconnect","callId":"ID","cause":"busy"}"#;
        let a = vec![leg("c-1", answer), leg("c-3", answer), leg("c-5", end)];
        let b = vec![leg("c-2", end), leg("c-3", end)];
        let mut c3 = leg("c-3", answer);
        c3.merge(&leg("c-3", end)).unwrap();
        let expected = vec![a[0].clone(), b[0].clone(), c3, a[2].clone()];
        assert_eq!(merge_sorted(a.clone(), b.clone()), expected);
        assert_eq!(merge_sorted(b.clone(), a.clone()), expected);
        assert_eq!(merge_sorted(a.clone(), Vec::new()), a);
        assert_eq!(merge_sorted(Vec::new(), b.clone()), b);
    }

    #[test]
    fn a_call_and_its_legs_go_to_one_worker() {
        let router = Router::new(7);
        let a_leg = br#"{"eventType":"transferComplete","callId":"c-a1","cause":"hangup"}"#;
        let leg = br#"{"callId":"c-b1","eventType":"transferAnswer","parentCallId":"c-a1"}"#;
        let other_leg =
            br#"{"parentCallId":"c-a1","callId":"c-b2","eventType":"transferDisconnect"}"#;
        assert_eq!(router.worker(a_leg), router.worker(leg));
        assert_eq!(router.worker(a_leg), router.worker(other_leg));
        // A leg that names no parent is a call of its own.
        let orphan = br#"{"eventType":"transferAnswer","callId":"c-a1","parentCallId":null}"#;
        assert_eq!(router.worker(orphan), router.worker(a_leg));
        // Calls spread over the workers.
        let mut used = [false; 7];
        for n in 0..200 {
            used[router.worker(format!(r#"{{"callId":"c-{n}"}}"#).as_bytes())] = true;
        }
        assert!(used.iter().all(|&u| u), "{used:?}");
    }

    #[test]
    fn any_bytes_go_to_a_worker_in_range() {
        let router = Router::new(3);
        for body in [
            &b""[..],
            b"\"callId\":\"",
            b"\"parentCallId\":\"x",
            b"{oops}",
            b"\"callId\":\"\"",
        ] {
            assert!(router.worker(body) < 3);
        }
        assert_eq!(Router::new(0).worker(b"{}"), 0);
    }
}
