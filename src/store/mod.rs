//! The event log: a durable, append-only log of callback bodies in a directory, with no async runtime.
//!
//! A data directory holds:
//! - `segments/`: JSON-lines files, one body per line, each named by the position of its first body
//!   (`00000000000000000000.jsonl`, …), so every callfold command reads them as a log;
//! - `rejects.jsonl`: what was kept but is not in the log, one JSON object per line: bodies a server
//!   refused, and a torn last line cut off on open;
//! - `LOCK`: held by the one [`EventLog`] that writes the directory.
//!
//! Appends are group-committed ([`commit`]): concurrent appends share one `fdatasync`.

mod commit;
mod read;
mod segment;

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

pub use commit::Commit;
pub use read::{Bodies, Segments};
pub use segment::Torn;

use commit::{Committer, Writer};

/// When an append's bytes are synced to the disk.
///
/// ```
/// assert_eq!(callfold::Fsync::default(), callfold::Fsync::Batch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Fsync {
    /// Group commit: appends waiting at the same time share one `fdatasync`. Every append is durable
    /// when it returns.
    #[default]
    Batch,
    /// One `fdatasync` per append, one at a time: the naive way, for comparison.
    Each,
    /// No `fdatasync` at all: appends are in the kernel's cache, not on the disk. The upper bound, for
    /// comparison; a crash of the machine loses what the kernel had not written.
    Off,
}

/// How an [`EventLog`] writes.
///
/// ```
/// let options = callfold::StoreOptions::default();
/// assert_eq!(options.segment_bytes, 64 << 20);
/// assert_eq!(options.retention, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// When appends are synced.
    pub fsync: Fsync,
    /// A segment is closed and a new one started once it would grow past this many bytes.
    pub segment_bytes: u64,
    /// Closed segments last written longer ago than this are deleted by [`EventLog::enforce_retention`].
    /// `None`, the default, deletes nothing, ever.
    pub retention: Option<Duration>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            fsync: Fsync::Batch,
            segment_bytes: 64 << 20,
            retention: None,
        }
    }
}

/// Why a data directory could not be opened.
///
/// ```
/// let file = std::env::temp_dir().join(format!("callfold-not-a-dir-{}", std::process::id()));
/// std::fs::write(&file, b"")?;
/// let error = callfold::EventLog::open(&file, Default::default()).unwrap_err();
/// assert!(error.to_string().contains("callfold-not-a-dir"));
/// std::fs::remove_file(&file)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A file or folder of the directory could not be made, read or written.
    #[error("data directory {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// Another process holds the directory's lock.
    #[error(
        "data directory {} is in use by another callfold (its LOCK file is held)",
        path.display()
    )]
    Locked {
        /// The directory.
        path: PathBuf,
    },
}

/// Why an append failed. The body is not in the log, or not known to be durable.
///
/// ```
/// let error = callfold::AppendError::Write(std::sync::Arc::new(std::io::Error::other("disk full")));
/// assert_eq!(error.to_string(), "writing the event log failed: disk full");
/// ```
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    /// Writing or syncing this append's batch failed.
    #[error("writing the event log failed: {0}")]
    Write(Arc<io::Error>),
    /// An earlier sync failed, so the log refuses appends until it is opened again.
    #[error("the event log refuses appends after an earlier failure ({0}); restart to recover")]
    Poisoned(Arc<io::Error>),
}

/// The rejects file of a data directory, `rejects.jsonl`: bodies kept but not logged, one JSON object
/// per line, each written durably. An [`EventLog`] has one; a service whose log is elsewhere (a
/// shared stream) keeps its rejects here.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("callfold-doc-rejects-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let rejects = callfold::Rejects::open(&dir)?;
/// rejects.keep(b"{oops", "invalid", &[("error", "not JSON")])?;
/// let kept = std::fs::read_to_string(dir.join("rejects.jsonl"))?;
/// assert!(kept.contains(r#""body":"{oops""#) && kept.contains(r#""kind":"invalid""#));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Rejects {
    dir: PathBuf,
    /// One writer at a time keeps the lines whole.
    lock: std::sync::Mutex<()>,
}

impl Rejects {
    /// The rejects of a data directory, which is made if it does not exist.
    pub fn open(dir: impl AsRef<Path>) -> io::Result<Rejects> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir)?;
        Ok(Rejects {
            dir,
            lock: std::sync::Mutex::new(()),
        })
    }

    /// Keeps a body, durably, with its kind, details and the time: exactly, as a JSON string when it
    /// is UTF-8, as hex (`bodyHex`) otherwise.
    pub fn keep(&self, body: &[u8], kind: &str, details: &[(&str, &str)]) -> io::Result<()> {
        let mut record = serde_json::Map::new();
        record.insert("kind".into(), kind.into());
        record.insert(
            "receivedAt".into(),
            crate::format_timestamp(&chrono::Utc::now()).into(),
        );
        for (key, value) in details {
            record.insert((*key).into(), (*value).into());
        }
        let (key, value) = segment::body_value(body);
        record.insert(key.into(), value);
        let _one_writer = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        segment::write_reject(&self.dir, &serde_json::Value::Object(record))
    }
}

/// A durable, append-only log of callback bodies in a directory.
///
/// Each body gets a position, counted from 0 over the whole log, that stays the same across restarts.
/// [`append`](EventLog::append) returns once the body is durable (with [`Fsync::Batch`] or
/// [`Fsync::Each`]); appends from several threads at once share one `fdatasync`.
///
/// ```
/// use callfold::{EventLog, History, LogReader};
///
/// let dir = std::env::temp_dir().join(format!("callfold-doc-log-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let log = EventLog::open(&dir, Default::default())?;
/// let body = br#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"busy"}"#;
/// assert_eq!(log.append(body)?, 0);
/// assert_eq!(log.append(body)?, 1);
/// drop(log);
///
/// // Positions and bodies survive a restart, and the log replays like any other.
/// let log = EventLog::open(&dir, Default::default())?;
/// assert_eq!(log.len(), 2);
/// let history = History::replay(&mut LogReader::new(log.reader()?), 1, |_| Ok::<(), ()>(()))
///     .map_err(|_| "the log could not be read")?;
/// let legs: Vec<_> = history.legs().collect();
/// assert_eq!(legs.len(), 1);
/// assert_eq!(legs[0].duplicates(), 1);
/// # drop(log);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EventLog {
    dir: PathBuf,
    committer: Committer,
    torn: Option<Torn>,
    rejects: Rejects,
    /// Held for as long as the log is open: its lock keeps other writers out.
    _lock: File,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("dir", &self.dir)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl EventLog {
    /// Opens (or creates) the data directory, takes its lock, and recovers its last segment: a torn
    /// last line is cut off and kept in `rejects.jsonl` (see [`torn`](EventLog::torn)).
    pub fn open(dir: impl AsRef<Path>, options: StoreOptions) -> Result<EventLog, OpenError> {
        let dir = dir.as_ref().to_path_buf();
        let io_at = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OpenError::Io { path, source }
        };
        let folder = dir.join(segment::SEGMENTS);
        if !folder.is_dir() {
            fs::create_dir_all(&folder).map_err(io_at(&folder))?;
            segment::sync_dir(&dir).map_err(io_at(&dir))?;
        }
        let lock_path = dir.join(segment::LOCK);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_at(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(OpenError::Locked { path: dir }),
            Err(fs::TryLockError::Error(source)) => {
                return Err(OpenError::Io {
                    path: lock_path,
                    source,
                });
            }
        }
        let mut segments = segment::list(&dir).map_err(io_at(&folder))?;
        if segments.is_empty() {
            let path = folder.join(segment::name(0));
            File::create(&path).map_err(io_at(&path))?;
            segment::sync_dir(&folder).map_err(io_at(&folder))?;
            segments.push(segment::Segment { first: 0, path });
        }
        let last = segments
            .last()
            .cloned()
            .ok_or_else(|| io_at(&folder)(io::Error::other("no segment")))?;
        let (lines, len, torn) = segment::recover(&last.path).map_err(io_at(&last.path))?;
        if let Some(torn) = &torn {
            // Kept in the rejects (durably) before it is cut off the segment.
            let (key, body) = segment::body_value(&torn.bytes);
            let record = serde_json::json!({
                "kind": "torn-tail",
                "receivedAt": crate::format_timestamp(&chrono::Utc::now()),
                "segment": torn.segment.display().to_string(),
                "offset": torn.offset,
                key: body,
            });
            let rejects = dir.join(segment::REJECTS);
            segment::write_reject(&dir, &record).map_err(io_at(&rejects))?;
            segment::cut(&last.path, len).map_err(io_at(&last.path))?;
        }
        let mut bytes = len;
        for closed in &segments[..segments.len() - 1] {
            bytes += closed.path.metadata().map_err(io_at(&closed.path))?.len();
        }
        let file = OpenOptions::new()
            .append(true)
            .open(&last.path)
            .map_err(io_at(&last.path))?;
        let writer = Writer {
            dir: dir.clone(),
            file,
            segment_len: len,
            next: last.first + lines,
            segments,
        };
        Ok(EventLog {
            rejects: Rejects {
                dir: dir.clone(),
                lock: std::sync::Mutex::new(()),
            },
            dir,
            committer: Committer::new(writer, options, bytes),
            torn,
            _lock: lock,
        })
    }

    /// Calls `sink` with each body and its position once it is durable, in position order, before its
    /// append returns: the hook for a projection that must see every body once and in order.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-sink-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = callfold::EventLog::open(&dir, Default::default())?.with_sink({
    ///     let seen = Arc::clone(&seen);
    ///     move |position, body| seen.lock().unwrap().push((position, body.to_vec()))
    /// });
    /// log.append(b"{}")?;
    /// assert_eq!(*seen.lock().unwrap(), [(0, b"{}".to_vec())]);
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_sink(mut self, sink: impl Fn(u64, &[u8]) + Send + Sync + 'static) -> Self {
        self.committer.sink = Some(Box::new(sink));
        self
    }

    /// Calls `observer` after each written batch: how many bodies shared it and how long it took.
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicU64, Ordering}};
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-observer-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let syncs = Arc::new(AtomicU64::new(0));
    /// let log = callfold::EventLog::open(&dir, Default::default())?.with_observer({
    ///     let syncs = Arc::clone(&syncs);
    ///     move |batch| { syncs.fetch_add(u64::from(batch.synced), Ordering::Relaxed); }
    /// });
    /// log.append(b"{}")?;
    /// assert_eq!(syncs.load(Ordering::Relaxed), 1);
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_observer(mut self, observer: impl Fn(Commit) + Send + Sync + 'static) -> Self {
        self.committer.observer = Some(Box::new(observer));
        self
    }

    /// Appends one body and returns its position once it is durable. Raw CR and LF bytes in the body
    /// (which JSON allows only as whitespace between tokens) are written as spaces, so the body is one
    /// line; nothing else changes.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-append-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// log.append(b"{\r\n\"a\": 1}")?;
    /// let (position, body) = log.bodies_from(0)?.next().unwrap()?;
    /// assert_eq!((position, body.as_slice()), (0, b"{  \"a\": 1}".as_slice()));
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append(&self, body: &[u8]) -> Result<u64, AppendError> {
        if memchr::memchr2(b'\r', b'\n', body).is_some() {
            let line: Vec<u8> = body
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            self.committer.append(&line)
        } else {
            self.committer.append(body)
        }
    }

    /// Keeps a body that is not put in the log (say, one that is not a callback) in `rejects.jsonl`,
    /// durably, with why and when. The body is kept exactly: as a JSON string when it is UTF-8, as hex
    /// (`bodyHex`) otherwise.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-reject-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// log.reject(b"{oops", "invalid", &[("error", "not JSON")])?;
    /// let kept = std::fs::read_to_string(dir.join("rejects.jsonl"))?;
    /// assert!(kept.contains(r#""body":"{oops""#));
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reject(&self, body: &[u8], kind: &str, details: &[(&str, &str)]) -> io::Result<()> {
        self.rejects.keep(body, kind, details)
    }

    /// The data directory's rejects, where [`reject`](EventLog::reject) keeps bodies.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-log-rejects-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// log.rejects().keep(b"[]", "invalid", &[])?;
    /// assert!(dir.join("rejects.jsonl").exists());
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    /// The number of bodies in the log: the position the next one gets.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-len-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// assert_eq!(log.len(), 0);
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.committer.next.load(Ordering::Acquire)
    }

    /// Whether the log holds no body.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-empty-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// assert!(callfold::EventLog::open(&dir, Default::default())?.is_empty());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the log's segments hold.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-bytes-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// log.append(b"{}")?;
    /// assert_eq!(log.bytes(), 3);
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bytes(&self) -> u64 {
        self.committer.bytes.load(Ordering::Relaxed)
    }

    /// The torn last line cut off when the log was opened, if there was one. It is also in
    /// `rejects.jsonl`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-torn-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// log.append(b"{}")?;
    /// drop(log);
    /// // A crash mid-write leaves half a line.
    /// let segment = dir.join("segments/00000000000000000000.jsonl");
    /// std::fs::write(&segment, b"{}\n{\"eventTy")?;
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// assert_eq!(log.torn().unwrap().bytes, b"{\"eventTy");
    /// assert_eq!(log.len(), 1);
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn torn(&self) -> Option<&Torn> {
        self.torn.as_ref()
    }

    /// The data directory.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-dir-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// assert_eq!(callfold::EventLog::open(&dir, Default::default())?.dir(), dir);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The whole log as it is now, read as one JSON-lines stream: give it to a
    /// [`LogReader`](crate::LogReader) to replay it. Bodies appended later are not in it.
    ///
    /// ```
    /// use std::io::Read;
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-reader-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// log.append(b"{}")?;
    /// let mut text = String::new();
    /// log.reader()?.read_to_string(&mut text)?;
    /// assert_eq!(text, "{}\n");
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reader(&self) -> io::Result<Segments> {
        let writer = self.lock_writer();
        Segments::new(&writer.segments, writer.segment_len)
    }

    /// The log up to (not including) the body at `position`, read as one JSON-lines stream: with
    /// [`bodies_from`](EventLog::bodies_from) at the same position, the whole log in two parts. A
    /// service replays the first on every core into a [`History`](crate::History) and folds the second
    /// one body at a time.
    ///
    /// ```
    /// use std::io::Read;
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-reader-to-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// for body in [b"{\"n\":0}", b"{\"n\":1}", b"{\"n\":2}"] {
    ///     log.append(body)?;
    /// }
    /// let mut head = String::new();
    /// log.reader_to(2)?.read_to_string(&mut head)?;
    /// assert_eq!(head, "{\"n\":0}\n{\"n\":1}\n");
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reader_to(&self, position: u64) -> io::Result<Segments> {
        let writer = self.lock_writer();
        if position >= writer.next {
            return Segments::new(&writer.segments, writer.segment_len);
        }
        let at = writer
            .segments
            .partition_point(|s| s.first <= position)
            .saturating_sub(1);
        let Some(segment) = writer.segments.get(at) else {
            return Segments::new(&[], 0);
        };
        let offset = read::offset_of_line(&segment.path, position.saturating_sub(segment.first))?;
        Segments::new(&writer.segments[..=at], offset)
    }

    /// The bodies from `position` on, with their positions, as the log is now.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-from-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// for body in [b"{\"n\":0}", b"{\"n\":1}", b"{\"n\":2}"] {
    ///     log.append(body)?;
    /// }
    /// let positions: Vec<u64> = log.bodies_from(1)?.map(|b| b.map(|(p, _)| p)).collect::<Result<_, _>>()?;
    /// assert_eq!(positions, [1, 2]);
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bodies_from(&self, position: u64) -> io::Result<Bodies> {
        let writer = self.lock_writer();
        Bodies::new(&writer.segments, writer.segment_len, writer.next, position)
    }

    /// Deletes closed segments last written longer ago than the retention, if one is set; the segment
    /// being written is never deleted. Returns how many were deleted. Positions do not change.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-retention-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// assert_eq!(log.enforce_retention()?, 0); // no retention set: nothing is ever deleted
    /// # drop(log); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn enforce_retention(&self) -> io::Result<usize> {
        let Some(retention) = self.committer.options.retention else {
            return Ok(0);
        };
        let cutoff = SystemTime::now()
            .checked_sub(retention)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut writer = self.lock_writer();
        let mut deleted = 0;
        while writer.segments.len() > 1 {
            let oldest = &writer.segments[0];
            let metadata = oldest.path.metadata()?;
            if metadata.modified()? >= cutoff {
                break;
            }
            fs::remove_file(&oldest.path)?;
            self.committer
                .bytes
                .fetch_sub(metadata.len(), Ordering::Relaxed);
            writer.segments.remove(0);
            deleted += 1;
        }
        Ok(deleted)
    }

    /// The segment files of a data directory, in log order: what the CLI reads when given a directory.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("callfold-doc-files-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let log = callfold::EventLog::open(&dir, Default::default())?;
    /// drop(log);
    /// let files = callfold::EventLog::segment_files(&dir)?;
    /// assert!(files[0].ends_with("segments/00000000000000000000.jsonl"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn segment_files(dir: impl AsRef<Path>) -> io::Result<Vec<PathBuf>> {
        Ok(segment::list(dir.as_ref())?
            .into_iter()
            .map(|s| s.path)
            .collect())
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.committer
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
