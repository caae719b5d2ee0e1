//! Replaying a whole log into a [`History`](crate::History), or into its legs alone, on one thread or
//! many.
//!
//! The calling thread reads the log ([`LogReader`]: it owns the reader, the progress bar and the rejects
//! file) and cuts it into blocks of whole lines ([`blocks`]), which every worker thread sees. Each line
//! belongs to one worker, chosen from the call it names ([`router`]), and that worker decodes it and folds
//! it into a [`Target`] of its own, as its own delivery. At the end the targets are merged, which gives
//! exactly what one fold of the whole log gives, whichever worker folded which line; since a call's
//! lines go to one worker, the parts hardly overlap and merging mostly moves legs. Bad lines come back
//! with their blocks and are reported and counted by the calling thread in line order, as one thread
//! would.

mod blocks;
mod filter;
mod legs;
mod log;
mod router;

use std::fmt;
use std::io::BufRead;
use std::sync::{Arc, mpsc};

pub use filter::Filter;
pub use log::{Counts, DEFAULT_MAX_LINE, LogError, LogReader};

use blocks::{Block, Folded, InOrder};
use router::Router;

use crate::decode::{DecodeError, Fields, View};

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

/// What a replay folds each worker's lines into: a history, or the legs alone. Folding line `line` as
/// its own delivery, and merging, must be exact (see [`History::feed_line`](crate::History::feed_line)).
pub(crate) trait Target: Default + Send {
    /// Folds a decoded callback as line `line`'s delivery.
    fn apply_line(&mut self, line: u64, view: &View<'_>);
    fn merge(&mut self, other: Self);
    /// How many legs and A-legs it holds: what merging it into another moves.
    fn size(&self) -> usize;
}

/// Decodes line `line` and folds it into `target`, unless `filter` skips it: whether it was folded.
pub(crate) fn feed<T: Target>(
    target: &mut T,
    line: u64,
    body: &[u8],
    filter: &Filter,
) -> Result<bool, DecodeError> {
    let fields = Fields::parse(body)?;
    let view = fields.view()?;
    let keep = filter.keeps_view(&view);
    if keep {
        target.apply_line(line, &view);
    }
    Ok(keep)
}

/// Folds every line of a log into a `T` on `threads` threads (1 folds on the calling thread), and
/// reports each line that is not a callback to `report`, in line order, as the [`LogReader`] would yield
/// it; the reader's counts and rejects sink are kept as by iterating it. The result does not depend on
/// the number of threads. A reader with a rejects sink replays on the calling thread, so that the sink
/// keeps the log's order. This is [`History::replay`](crate::History::replay) and
/// [`Leg::replay`](crate::Leg::replay).
pub(crate) fn replay<T: Target, R: BufRead, E>(
    log: &mut LogReader<R>,
    threads: usize,
    mut report: impl FnMut(&LogError) -> Result<(), E>,
) -> Result<T, Stop<E>> {
    // Too-long lines go to the rejects sink as they are read, before the bad lines of blocks still in
    // flight: to keep the sink in the log's order, a replay that keeps rejects runs on this thread.
    if threads <= 1 || log.keeps_rejects() {
        return replay_here(log, &mut report);
    }
    let router = &Router::new(threads);
    let filter = &log.line_filter().clone();
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<Folded>();
        let mut workers = Vec::with_capacity(threads);
        let mut inboxes = Vec::with_capacity(threads);
        for worker in 0..threads {
            let (tx, rx) = mpsc::sync_channel::<Arc<Block>>(2);
            let done = done_tx.clone();
            workers
                .push(scope.spawn(move || blocks::worker::<T>(worker, router, filter, &rx, &done)));
            inboxes.push(tx);
        }
        drop(done_tx);
        let mut order = InOrder::new(threads);
        let read = blocks::read(log, |log, block| {
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
        let mut folds: Vec<T> = workers
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
        folds.sort_by_key(T::size);
        let mut whole = folds.pop().unwrap_or_default();
        for other in folds {
            whole.merge(other);
        }
        Ok(whole)
    })
}

/// The one-thread replay: no blocks, no copies.
fn replay_here<T: Target, R: BufRead, E>(
    log: &mut LogReader<R>,
    report: &mut impl FnMut(&LogError) -> Result<(), E>,
) -> Result<T, Stop<E>> {
    let mut target = T::default();
    while let Some(item) = log.next_line() {
        match item {
            Ok((line, body)) => {
                match feed(&mut target, line, &log.raw()[body], log.line_filter()) {
                    Ok(kept) => log.accepted(kept),
                    Err(source) => {
                        let raw = log.raw().to_vec();
                        log.rejected(line, &raw).map_err(Stop::Log)?;
                        report(&LogError::Line { line, source }).map_err(Stop::Report)?;
                    }
                }
            }
            Err(error @ LogError::TooLong { .. }) => report(&error).map_err(Stop::Report)?,
            Err(error) => return Err(Stop::Log(error)),
        }
    }
    Ok(target)
}
