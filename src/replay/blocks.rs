//! Blocks of whole lines: what the reading thread hands the workers, and how their reports come back
//! in the order of the log.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::ops::Range;
use std::sync::{Arc, mpsc};

use super::filter::Filter;
use super::log::{LogError, LogReader};
use super::router::Router;
use super::{Stop, Target, feed};
use crate::decode::DecodeError;

/// The bytes of lines in a block handed to the workers: big enough that handing over is rare, small
/// enough that the workers start at once and the calling thread's reorder buffer stays small.
const BLOCK_BYTES: usize = 1 << 20;

/// Whole lines of the log, in order.
pub(crate) struct Block {
    pub(crate) index: usize,
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
pub(crate) struct Folded {
    block: Arc<Block>,
    /// Indexes into `block.lines`, in order, with why.
    bad: Vec<(usize, DecodeError)>,
    /// How many of its lines the filter skipped.
    skipped: u64,
}

/// Cuts the log into blocks and hands them to `send`; the reader counts blank and too-long lines.
pub(crate) fn read<R: BufRead, E>(
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

/// A worker: folds its lines of every block it is sent into one `T`, and sends each block back with
/// those of its lines that were not callbacks.
pub(crate) fn worker<T: Target>(
    worker: usize,
    router: &Router,
    filter: &Filter,
    inbox: &mpsc::Receiver<Arc<Block>>,
    done: &mpsc::Sender<Folded>,
) -> T {
    let mut target = T::default();
    for block in inbox {
        let (mut bad, mut skipped) = (Vec::new(), 0);
        for (i, line) in block.lines.iter().enumerate() {
            if let Line::Body { line, body, .. } = line {
                let body = &block.bytes[body.clone()];
                if router.worker(body) == worker {
                    match feed(&mut target, *line, body, filter) {
                        Ok(kept) => skipped += u64::from(!kept),
                        Err(error) => bad.push((i, error)),
                    }
                }
            }
        }
        if done
            .send(Folded {
                block,
                bad,
                skipped,
            })
            .is_err()
        {
            break;
        }
    }
    target
}

/// A block some workers have folded, waiting for the others.
struct Pending {
    block: Arc<Block>,
    /// How many workers have sent it back.
    folded: usize,
    bad: Vec<(usize, DecodeError)>,
    skipped: u64,
}

/// Reports folded blocks in the order of the log, once every worker has folded them, whatever order they
/// come back in.
pub(crate) struct InOrder {
    workers: usize,
    next: usize,
    waiting: BTreeMap<usize, Pending>,
}

impl InOrder {
    pub(crate) fn new(workers: usize) -> InOrder {
        InOrder {
            workers,
            next: 0,
            waiting: BTreeMap::new(),
        }
    }

    pub(crate) fn add<R: BufRead, E>(
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
                skipped: 0,
            });
        pending.folded += 1;
        pending.bad.extend(folded.bad);
        pending.skipped += folded.skipped;
        while let Some(entry) = self.waiting.first_entry()
            && *entry.key() == self.next
            && entry.get().folded == self.workers
        {
            let Pending {
                block,
                mut bad,
                skipped,
                ..
            } = entry.remove();
            self.next += 1;
            log.skipped(skipped);
            // Each worker's are in order; together, by line.
            bad.sort_unstable_by_key(|(at, _)| *at);
            let mut bad = bad.into_iter().peekable();
            for (i, line) in block.lines.iter().enumerate() {
                match line {
                    Line::Body { line, raw, .. } => match bad.next_if(|(at, _)| *at == i) {
                        None => log.accepted(true),
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
