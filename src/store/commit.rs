//! Group commit: appends that arrive while a batch is being written and synced join the next batch, and
//! the first of them to find the writer idle writes and syncs that whole batch for all of them. So `n`
//! concurrent appends share one `fdatasync`, and each returns only once its own bytes are durable.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use super::segment::{self, Segment};
use super::{AppendError, Fsync, StoreOptions};

/// What the batches share: the batch being gathered, and the results of written ones.
pub(crate) struct Queue {
    /// The lines of the batch being gathered, each ended by a newline.
    pending: Vec<u8>,
    /// How many bodies the gathered batch holds.
    pending_count: u64,
    /// The number of the batch being gathered.
    gathering: u64,
    /// Whether a batch is being written now.
    writing: bool,
    /// Results of written batches not yet read by all their appends: the first position, or the error,
    /// and how many appends have still to read it.
    results: HashMap<u64, (Result<u64, AppendError>, u64)>,
    /// Set when the file is in a state the log cannot vouch for (a failed sync, or a failed cut back
    /// after a failed write): every later append fails until the log is opened again.
    poisoned: Option<Arc<io::Error>>,
}

/// The file being appended to. Only the writer of a batch touches it.
pub(crate) struct Writer {
    pub dir: PathBuf,
    pub file: File,
    /// The length of the current segment.
    pub segment_len: u64,
    /// The position the next body gets.
    pub next: u64,
    pub segments: Vec<Segment>,
}

/// A batch that was written: how many bodies, how long the sync took.
#[derive(Debug, Clone, Copy)]
pub struct Commit {
    /// Bodies in the batch.
    pub bodies: u64,
    /// Seconds spent writing and syncing it.
    pub seconds: f64,
    /// Whether it was synced (not with [`Fsync::Off`]).
    pub synced: bool,
}

pub(crate) type Sink = Box<dyn Fn(u64, &[u8]) + Send + Sync>;
pub(crate) type Observer = Box<dyn Fn(Commit) + Send + Sync>;

pub(crate) struct Committer {
    /// The position the next body gets, and the bytes of every segment held, as of the last commit:
    /// read without waiting for a commit in progress.
    pub next: AtomicU64,
    pub bytes: AtomicU64,
    pub queue: Mutex<Queue>,
    pub done: Condvar,
    pub writer: Mutex<Writer>,
    pub options: StoreOptions,
    pub sink: Option<Sink>,
    pub observer: Option<Observer>,
}

impl Committer {
    pub fn new(writer: Writer, options: StoreOptions, bytes: u64) -> Committer {
        Committer {
            next: AtomicU64::new(writer.next),
            bytes: AtomicU64::new(bytes),
            queue: Mutex::new(Queue {
                pending: Vec::new(),
                pending_count: 0,
                gathering: 0,
                writing: false,
                results: HashMap::new(),
                poisoned: None,
            }),
            done: Condvar::new(),
            writer: Mutex::new(writer),
            options,
            sink: None,
            observer: None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends one line (without its newline, which this adds) and returns its position once durable.
    pub fn append(&self, line: &[u8]) -> Result<u64, AppendError> {
        let mut queue = self.lock();
        if self.options.fsync == Fsync::Each {
            // One body per batch: wait for the writer to be idle and for no one else to be gathered.
            while queue.writing || queue.pending_count > 0 {
                queue = self
                    .done
                    .wait(queue)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        if let Some(error) = &queue.poisoned {
            return Err(AppendError::Poisoned(Arc::clone(error)));
        }
        let batch = queue.gathering;
        let index = queue.pending_count;
        queue.pending.extend_from_slice(line);
        queue.pending.push(b'\n');
        queue.pending_count += 1;
        loop {
            if let Some((result, readers)) = queue.results.get_mut(&batch) {
                let result = result.clone();
                *readers -= 1;
                if *readers == 0 {
                    queue.results.remove(&batch);
                }
                return result.map(|first| first + index);
            }
            if !queue.writing && queue.gathering == batch {
                queue = self.write_batch(queue);
                continue;
            }
            queue = self
                .done
                .wait(queue)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Takes the gathered batch, writes and syncs it with the queue unlocked, and posts its result.
    /// A batch gathered while an earlier one failed its sync is refused unwritten: the file may hold
    /// that earlier batch, whose positions were never handed out.
    fn write_batch<'a>(&'a self, mut queue: MutexGuard<'a, Queue>) -> MutexGuard<'a, Queue> {
        let batch = queue.gathering;
        let lines = std::mem::take(&mut queue.pending);
        let count = std::mem::replace(&mut queue.pending_count, 0);
        queue.gathering += 1;
        if let Some(error) = &queue.poisoned {
            let refused = Err(AppendError::Poisoned(Arc::clone(error)));
            queue.results.insert(batch, (refused, count));
            self.done.notify_all();
            return queue;
        }
        queue.writing = true;
        drop(queue);

        let started = Instant::now();
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (result, poison) = write(&mut writer, &lines, count, &self.options);
        if result.is_ok() {
            self.next.store(writer.next, Ordering::Release);
            self.bytes.fetch_add(lines.len() as u64, Ordering::Relaxed);
        }
        if let (Ok(first), Some(sink)) = (&result, &self.sink) {
            for (i, body) in lines
                .split(|b| *b == b'\n')
                .take(count as usize)
                .enumerate()
            {
                sink(first + i as u64, body);
            }
        }
        drop(writer);
        if let (Ok(_), Some(observer)) = (&result, &self.observer) {
            observer(Commit {
                bodies: count,
                seconds: started.elapsed().as_secs_f64(),
                synced: self.options.fsync != Fsync::Off,
            });
        }

        let mut queue = self.lock();
        queue.writing = false;
        if poison && let Err(error) = &result {
            queue.poisoned = Some(Arc::clone(error));
        }
        queue
            .results
            .insert(batch, (result.map_err(AppendError::Write), count));
        self.done.notify_all();
        queue
    }
}

/// Writes a batch at the end of the current segment (rolling to a new one first if it is full) and
/// syncs it. On failure the segment is cut back to where it was; if even that fails, or the sync
/// failed (after which the kernel's copy cannot be trusted), the log is poisoned.
fn write(
    writer: &mut Writer,
    lines: &[u8],
    count: u64,
    options: &StoreOptions,
) -> (Result<u64, Arc<io::Error>>, bool) {
    if writer.segment_len > 0
        && writer.segment_len + lines.len() as u64 > options.segment_bytes
        && let Err((error, left_behind)) = roll(writer, options)
    {
        // A new segment file left behind would be taken, on open, for the end of the log: the log
        // must not be written past it.
        return (Err(Arc::new(error)), left_behind);
    }
    if let Err(error) = writer.file.write_all(lines) {
        let poison = writer.file.set_len(writer.segment_len).is_err();
        return (Err(Arc::new(error)), poison);
    }
    if options.fsync != Fsync::Off
        && let Err(error) = writer.file.sync_data()
    {
        // Best effort: the bytes of a batch that was not acknowledged are better gone.
        let _ = writer.file.set_len(writer.segment_len);
        return (Err(Arc::new(error)), true);
    }
    let first = writer.next;
    writer.segment_len += lines.len() as u64;
    writer.next += count;
    (Ok(first), false)
}

/// Starts a new segment named by the next position, and makes its name durable. On failure, says
/// whether the new file could not be removed again (and so is left behind).
fn roll(writer: &mut Writer, options: &StoreOptions) -> Result<(), (io::Error, bool)> {
    let folder = writer.dir.join(segment::SEGMENTS);
    let path = folder.join(segment::name(writer.next));
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| (e, path.exists()))?;
    if options.fsync != Fsync::Off
        && let Err(error) = segment::sync_dir(&folder)
    {
        let left_behind = std::fs::remove_file(&path).is_err();
        return Err((error, left_behind));
    }
    writer.file = file;
    writer.segment_len = 0;
    writer.segments.push(Segment {
        first: writer.next,
        path,
    });
    Ok(())
}
