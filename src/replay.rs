//! Replaying a whole log into a [`History`], on one thread or many.
//!
//! The calling thread reads the log (it owns the reader, the progress bar and the rejects file) and cuts
//! it into blocks of whole lines. Worker threads decode and fold blocks into histories of their own, each
//! line as its own delivery ([`History::feed_line`]); at the end the histories are
//! [merged](History::merge), which gives exactly the history of the whole log. Bad lines come back with
//! their blocks and are reported and counted by the calling thread in line order, as one thread would.

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;
use std::ops::Range;
use std::sync::mpsc;

use crate::callback::DecodeError;
use crate::history::History;
use crate::log::{LogError, LogReader};

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
        mut report: impl FnMut(&LogError) -> Result<(), E>,
    ) -> Result<History, Stop<E>> {
        // Too-long lines go to the rejects sink as they are read, before the bad lines of blocks still in
        // flight: to keep the sink in the log's order, a replay that keeps rejects runs on this thread.
        if threads <= 1 || log.keeps_rejects() {
            return replay_here(log, &mut report);
        }
        std::thread::scope(|scope| {
            let (done_tx, done_rx) = mpsc::channel::<Folded>();
            let mut workers = Vec::with_capacity(threads);
            let mut inboxes = Vec::with_capacity(threads);
            for _ in 0..threads {
                let (tx, rx) = mpsc::sync_channel::<Block>(2);
                let done = done_tx.clone();
                workers.push(scope.spawn(move || fold_blocks(&rx, &done)));
                inboxes.push(tx);
            }
            drop(done_tx);
            let mut order = InOrder::default();
            let read = read_blocks(log, |log, block| {
                let worker = block.index % inboxes.len();
                // A worker only stops early if it panicked; its join below reports that.
                let _ = inboxes[worker].send(block);
                while let Ok(folded) = done_rx.try_recv() {
                    order.add(folded, log, &mut report)?;
                }
                Ok(())
            });
            drop(inboxes);
            let mut histories: Vec<History> = workers
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
            histories.sort_by_key(History::held);
            let mut history = histories.pop().unwrap_or_default();
            for other in histories {
                history.merge(other);
            }
            Ok(history)
        })
    }
}

/// The one-thread replay: no blocks, no copies.
fn replay_here<R: BufRead, E>(
    log: &mut LogReader<R>,
    report: &mut impl FnMut(&LogError) -> Result<(), E>,
) -> Result<History, Stop<E>> {
    let mut history = History::new();
    while let Some(item) = log.next_line() {
        match item {
            Ok((line, body)) => match history.feed_line(line, &log.raw()[body]) {
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
    Ok(history)
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

/// A block after folding, with the lines that were not callbacks.
struct Folded {
    block: Block,
    /// Indexes into `block.lines`, in order, with why.
    bad: Vec<(usize, DecodeError)>,
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

/// A worker: folds every block it is sent into one history, and sends each block back with its bad lines.
fn fold_blocks(inbox: &mpsc::Receiver<Block>, done: &mpsc::Sender<Folded>) -> History {
    let mut history = History::new();
    for block in inbox {
        let mut bad = Vec::new();
        for (i, line) in block.lines.iter().enumerate() {
            if let Line::Body { line, body, .. } = line
                && let Err(error) = history.feed_line(*line, &block.bytes[body.clone()])
            {
                bad.push((i, error));
            }
        }
        if done.send(Folded { block, bad }).is_err() {
            break;
        }
    }
    history
}

/// Reports folded blocks in the order of the log, whatever order they come back in.
#[derive(Default)]
struct InOrder {
    next: usize,
    waiting: BTreeMap<usize, Folded>,
}

impl InOrder {
    fn add<R: BufRead, E>(
        &mut self,
        folded: Folded,
        log: &mut LogReader<R>,
        report: &mut impl FnMut(&LogError) -> Result<(), E>,
    ) -> Result<(), Stop<E>> {
        self.waiting.insert(folded.block.index, folded);
        while let Some(folded) = self.waiting.remove(&self.next) {
            self.next += 1;
            let mut bad = folded.bad.into_iter().peekable();
            for (i, line) in folded.block.lines.iter().enumerate() {
                match line {
                    Line::Body { line, raw, .. } => match bad.next_if(|(at, _)| *at == i) {
                        None => log.accepted(),
                        Some((_, source)) => {
                            log.rejected(*line, &folded.block.bytes[raw.clone()])
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
