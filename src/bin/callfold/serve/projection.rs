//! The projection: one thread folds the log into a `Tracker`, in position order. It first replays the
//! log as it was at start, then takes each body the log hands its sink once durable. Each applied body
//! becomes a change (the tracker's update as JSON, with its position), kept in a ring of recent ones and
//! broadcast to `/changes` subscribers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use callfold::{Bodies, DecodeError, History, LogReader, Segments, Tracker, Update};
use chrono::Utc;
use tokio::sync::{broadcast, watch};

/// One applied body: its position and the update as JSON.
#[derive(Debug, Clone)]
pub struct Change {
    pub position: u64,
    pub json: Arc<str>,
}

/// The log as it was at start, in two parts: the head, replayed on every core, and the tail (the
/// changes kept for resuming clients), fed one body at a time.
pub struct Backlog {
    pub head: Segments,
    pub tail: Bodies,
    /// The position after the last body.
    pub end: u64,
}

/// A change's JSON: the tracker's update, or `{"kind":"unreadable","error":...}` for a logged body
/// that is not a callback.
pub fn change_json(update: &Result<Update, DecodeError>) -> String {
    match update {
        Ok(update) => serde_json::to_string(update).unwrap_or_default(),
        Err(error) => {
            serde_json::json!({"kind": "unreadable", "error": error.to_string()}).to_string()
        }
    }
}

pub struct Projection {
    tracker: RwLock<Tracker>,
    recent: Mutex<VecDeque<Change>>,
    /// How many recent changes are kept for `/changes` clients that resume; older ones are folded
    /// again from the log.
    keep: usize,
    changes: broadcast::Sender<Change>,
    /// How many positions have been applied: the next position to apply.
    applied: watch::Sender<u64>,
    ready: AtomicBool,
    /// The projection is ready once the position before this one is applied.
    ready_at: u64,
    /// Bodies the tracker refused (at its maximum of legs), and bodies it could not read.
    pub refused: AtomicU64,
    pub unreadable: AtomicU64,
    /// When the projection started, until it is ready.
    started: Instant,
}

impl Projection {
    /// Starts the projection thread: the backlog first (a local log's), then the bodies the log
    /// sends. It is ready once the backlog is folded and every position before `ready_at` applied (a
    /// shared stream's bodies at start come through `bodies`).
    pub fn start(
        tracker: Tracker,
        backlog: Option<Backlog>,
        bodies: Receiver<(u64, Vec<u8>)>,
        keep: usize,
        ready_at: u64,
    ) -> Arc<Projection> {
        let (changes, _) = broadcast::channel(4096);
        let first = backlog.as_ref().map_or(1, |_| 0);
        let (applied, _) = watch::channel(first);
        let projection = Arc::new(Projection {
            tracker: RwLock::new(tracker),
            recent: Mutex::new(VecDeque::with_capacity(keep)),
            keep,
            changes,
            applied,
            ready: AtomicBool::new(false),
            ready_at,
            refused: AtomicU64::new(0),
            unreadable: AtomicU64::new(0),
            started: Instant::now(),
        });
        let worker = Arc::clone(&projection);
        std::thread::Builder::new()
            .name("projection".into())
            .spawn(move || {
                let run = std::panic::AssertUnwindSafe(|| worker.run(backlog, &bodies));
                if std::panic::catch_unwind(run).is_err() {
                    // Serving a state that no longer follows the log would be worse than stopping.
                    eprintln!("callfold serve: error: the projection thread failed; stopping");
                    std::process::exit(70);
                }
            })
            .map_or_else(
                |e| eprintln!("callfold serve: cannot start the projection thread: {e}"),
                drop,
            );
        projection
    }

    fn run(&self, backlog: Option<Backlog>, bodies: &Receiver<(u64, Vec<u8>)>) {
        if let Some(backlog) = backlog {
            let end = backlog.end;
            if let Err(error) = self.replay(backlog) {
                // Ready with part of the log would serve a state the log does not say.
                eprintln!("callfold: serve: cannot replay the log: {error}");
                std::process::exit(2);
            }
            self.applied.send_replace(end);
        }
        self.note_ready();
        let mut last_evict = Instant::now();
        loop {
            match bodies.recv_timeout(Duration::from_secs(10)) {
                Ok((position, body)) => self.apply(position, &body),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
            }
            if last_evict.elapsed() > Duration::from_secs(60) {
                self.write().evict(Utc::now());
                last_evict = Instant::now();
            }
        }
    }

    /// The start-up replay of the log as it was at start: all but its last changes replayed on every
    /// core into a history the tracker takes over, then the last ones (kept for resuming clients) fed
    /// one by one for their updates. `/changes` waits for the end.
    fn replay(&self, backlog: Backlog) -> Result<(), String> {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let mut head = LogReader::new(backlog.head).with_max_line(usize::MAX);
        let started = Instant::now();
        match History::replay(&mut head, threads, |_| {
            Ok::<(), std::convert::Infallible>(())
        }) {
            Ok(history) => {
                let folded = started.elapsed();
                self.write().absorb(history, Utc::now());
                eprintln!(
                    "callfold serve: replayed {} callbacks on {threads} threads in {:.2} s, taken over in {:.2} s",
                    head.counts().lines,
                    folded.as_secs_f64(),
                    started.elapsed().saturating_sub(folded).as_secs_f64()
                );
            }
            Err(error) => return Err(error.to_string()),
        }
        self.unreadable
            .fetch_add(head.counts().rejected, Ordering::Relaxed);
        let mut tracker = self.write();
        let now = Utc::now();
        for body in backlog.tail {
            let (position, body) = body.map_err(|e| e.to_string())?;
            let update = tracker.feed_at(&body, now);
            self.count(&update);
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            if recent.len() >= self.keep {
                recent.pop_front();
            }
            recent.push_back(Change {
                position,
                json: change_json(&update).into(),
            });
        }
        Ok(())
    }

    /// Becomes ready once every position before `ready_at` is applied, and says so.
    fn note_ready(&self) {
        if self.ready.load(Ordering::Relaxed) || *self.applied.borrow() < self.ready_at {
            return;
        }
        self.ready.store(true, Ordering::Release);
        eprintln!(
            "callfold serve: ready in {:.2} s",
            self.started.elapsed().as_secs_f64()
        );
    }

    fn count(&self, update: &Result<Update, DecodeError>) {
        match update {
            Ok(Update::Refused { .. }) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.unreadable.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {}
        }
    }

    fn apply(&self, position: u64, body: &[u8]) {
        let json = {
            let mut tracker = self.write();
            let update = tracker.feed_at(body, Utc::now());
            self.count(&update);
            change_json(&update)
        };
        let change = Change {
            position,
            json: json.into(),
        };
        {
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            if recent.len() >= self.keep {
                recent.pop_front();
            }
            recent.push_back(change.clone());
        }
        // Applied before it is sent: a client that got it and resumes from it is never ahead.
        self.applied.send_replace(position + 1);
        self.note_ready();
        // No subscriber is not an error.
        let _ = self.changes.send(change);
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Tracker> {
        self.tracker.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tracker, for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, Tracker> {
        self.tracker.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next position to apply: every change before it has been sent.
    pub fn next_position(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Whether the start-up replay is done.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Waits until the body at `position` has been applied, so a read after a 204 sees it; gives up
    /// after `limit` (during the start-up replay, say).
    pub async fn applied(&self, position: u64, limit: Duration) {
        let mut applied = self.applied.subscribe();
        let _ = tokio::time::timeout(limit, applied.wait_for(|next| *next > position)).await;
    }

    /// The last `n` changes kept, oldest first.
    pub fn recent(&self, n: usize) -> Vec<Change> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent
            .iter()
            .skip(recent.len().saturating_sub(n))
            .cloned()
            .collect()
    }

    /// A subscription to new changes, and the recent changes after `after` (all kept ones when
    /// `None`), taken together so that nothing falls between them. Also says the first position the
    /// recent ones cover, so a caller can fold older ones from the log.
    pub fn subscribe(&self, after: Option<u64>) -> (broadcast::Receiver<Change>, Vec<Change>, u64) {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let receiver = self.changes.subscribe();
        let oldest = recent
            .front()
            .map_or(*self.applied.borrow(), |c| c.position);
        let missed = match after {
            Some(after) => recent
                .iter()
                .filter(|c| c.position > after)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        (receiver, missed, oldest)
    }
}
