//! `callfold serve`: receive callbacks over HTTP, make each durable in the event log before answering,
//! and serve the state of every leg and call folded from that log.
//!
//! - `auth`: credentials from the environment, compared in constant time;
//! - `projection`: the tracker fed from the log in position order, and the change stream;
//! - `routes`: the endpoints;
//! - `forward`: relaying callbacks to the app behind callfold;
//! - `listen`: the accept loop (TLS, connection limit, header timeout, graceful shutdown);
//! - `metrics`: Prometheus text.

mod auth;
mod forward;
mod listen;
mod live;
mod log;
mod metrics;
#[cfg(feature = "nats")]
pub mod nats;
mod projection;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use callfold::{EventLog, Fsync, StoreOptions, Tracker};
use chrono::TimeDelta;

use self::log::Log;
use crate::args::parse_duration;
use crate::failure::Failure;

/// Arguments of `callfold serve`.
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Receive Bandwidth callbacks over HTTP, keep each in a durable event log before \
answering 204, and serve the state of every leg and call folded from that log.\n\n\
Credentials come from the environment, never from the command line:\n  \
CALLFOLD_USERNAME, CALLFOLD_PASSWORD  the HTTP Basic pair Bandwidth sends with callbacks\n  \
CALLFOLD_CREDENTIALS_FILE             or a file of `username:password` lines, for several pairs\n  \
CALLFOLD_API_TOKEN                    the bearer token every read of state needs\n\
Without them the server refuses to start, unless --no-auth is given.\n\n\
Endpoints: POST /callbacks[/...] (and GET with query parameters), GET /legs/{callId}, \
GET /legs?parent=&state=, GET /calls/{callId}, GET /changes (Server-Sent Events), GET /metrics, \
GET /healthz, GET /readyz. See docs/serve.md."
)]
pub struct Args {
    /// The data directory: the event log's segments, rejects.jsonl and a lock
    #[arg(long, value_name = "DIR", default_value = "./callfold-data")]
    data: PathBuf,
    /// The address to listen on (port 0 picks a free one; the address is printed on stderr)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// When a callback is synced to the disk before its 204: `batch` shares one fdatasync between the
    /// callbacks waiting at the same time (group commit). `each` (one fdatasync per callback, one at a
    /// time) and `off` (no fdatasync: the kernel's cache only, lost if the machine crashes) exist for
    /// comparison
    #[arg(long, value_name = "MODE", default_value = "batch")]
    fsync: Fsync,
    /// Relay each callback, once logged, to the app at this http:// URL, and answer with the app's
    /// response (its BXML); 502 when the app cannot be reached
    #[arg(long, value_name = "URL")]
    forward: Option<String>,
    /// How long to wait for the app's response with --forward (Bandwidth gives up after 15s)
    #[arg(long, value_name = "DURATION", default_value = "14s", value_parser = parse_duration)]
    forward_timeout: TimeDelta,
    /// Ended legs leave memory this long after they were last heard of (they stay in the log)
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    retention: TimeDelta,
    /// Delete closed log segments last written longer ago than this (default: never delete)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    log_retention: Option<TimeDelta>,
    /// Start a new log segment once one would grow past this size
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    segment_size: u64,
    /// The largest callback body accepted; larger ones get 413
    #[arg(long, value_name = "SIZE", default_value = "64KiB", value_parser = parse_size)]
    max_body: u64,
    /// The most legs held in memory: ended, then stale legs make room; past that, new legs are still
    /// logged but not held, and counted in /metrics as refused
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    max_legs: usize,
    /// How many recent changes are kept in memory for `/changes` clients that resume with
    /// Last-Event-ID; resuming from further back folds the log again from its start
    #[arg(long, value_name = "N", default_value_t = 16_384)]
    recent_changes: usize,
    /// The most connections served at once; more wait in the kernel's backlog
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    /// How long a client may take to send a request's headers (and the TLS handshake)
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    header_timeout: TimeDelta,
    /// How long a client may take to send a request's body
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    body_timeout: TimeDelta,
    /// How long to let requests in flight finish after SIGTERM or SIGINT
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    shutdown_timeout: TimeDelta,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Accept callbacks and reads without credentials (for a loopback-only set-up or tests)
    #[arg(long)]
    no_auth: bool,
    /// Keep the log in this NATS JetStream server's stream instead of the data directory, shared with
    /// every instance given the same stream (nats://HOST:PORT); a 204 waits for the stream's ack
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    #[cfg(feature = "nats")]
    #[command(flatten)]
    wanted: nats::Wanted,
    /// How long a callback waits for the stream's ack before it gets 503
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, requires = "nats")]
    ack_timeout: TimeDelta,
    /// For benchmarks only: answer 204 to every callback and do nothing else (no log, no fold)
    #[arg(long, hide = true)]
    bare: bool,
}

/// Everything the handlers share.
pub struct Shared {
    pub log: Arc<Log>,
    pub projection: Arc<projection::Projection>,
    pub auth: auth::Auth,
    pub metrics: metrics::Metrics,
    pub forward: Option<forward::Forward>,
    pub max_body: usize,
    pub body_timeout: Duration,
    pub bare: bool,
    /// Set once a signal asks the server to stop: long-lived `/changes` streams end.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// One fold of the whole log at a time for `/changes` clients resuming from long ago.
    pub refolds: tokio::sync::Semaphore,
    retention: TimeDelta,
    max_legs: usize,
}

impl Shared {
    /// A tracker with the server's limits.
    pub fn new_tracker(&self) -> Tracker {
        Tracker::new()
            .with_retention(self.retention)
            .with_max_legs(self.max_legs)
    }
}

pub fn run(args: &Args) -> Result<ExitCode, Failure> {
    let refuse = |why: String| Failure::Serve(why);
    let auth = auth::Auth::from_env(args.no_auth).map_err(refuse)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(listen::tls_acceptor(cert, key).map_err(refuse)?),
        _ => None,
    };
    let forward = args
        .forward
        .as_deref()
        .map(|url| forward::Forward::new(url, to_std(args.forward_timeout)))
        .transpose()
        .map_err(refuse)?;
    let metrics = metrics::Metrics::new();
    let (sink, bodies) = std::sync::mpsc::channel::<(u64, Vec<u8>)>();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| refuse(format!("cannot start the runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .map_err(|e| refuse(format!("cannot listen on {}: {e}", args.listen)))?;
    let opened = open_log(args, &runtime, &metrics, sink).map_err(refuse)?;
    let address = listener
        .local_addr()
        .map_err(|e| refuse(format!("cannot listen on {}: {e}", args.listen)))?;
    let tracker = Tracker::new()
        .with_retention(args.retention)
        .with_max_legs(args.max_legs);
    let projection = projection::Projection::start(
        tracker,
        opened.backlog,
        bodies,
        args.recent_changes.max(1),
        opened.ready_at,
    );
    let log = Arc::new(opened.log);
    #[cfg(feature = "nats")]
    if let Log::Nats { .. } = &*log {
        let (log, sink) = (Arc::clone(&log), opened.stream_sink);
        runtime.spawn(async move {
            if let (Log::Nats { stream, .. }, Some(sink)) = (&*log, sink) {
                stream.consume(1, sink).await;
            }
        });
    }
    eprintln!(
        "callfold serve: listening on {}://{address}, {} ({} callbacks in the log{})",
        if tls.is_some() { "https" } else { "http" },
        opened.describe,
        opened.ready_at.saturating_sub(opened.first),
        if args.bare {
            ", BARE: callbacks are not kept"
        } else {
            ""
        }
    );
    let shared = Arc::new(Shared {
        log,
        projection,
        auth,
        metrics,
        forward,
        max_body: usize::try_from(args.max_body).unwrap_or(usize::MAX),
        body_timeout: to_std(args.body_timeout),
        bare: args.bare,
        stopping: tokio::sync::watch::Sender::new(false),
        refolds: tokio::sync::Semaphore::new(1),
        retention: args.retention,
        max_legs: args.max_legs,
    });
    let limits = listen::Limits {
        max_connections: args.max_connections.max(1),
        header_timeout: to_std(args.header_timeout),
        shutdown_timeout: to_std(args.shutdown_timeout),
    };
    if args.log_retention.is_some() {
        runtime.spawn(enforce_log_retention(Arc::clone(&shared)));
    }
    let why = runtime.block_on(listen::serve(
        listener,
        tls,
        routes::router(Arc::clone(&shared)),
        limits,
        Arc::clone(&shared),
    ));
    runtime.block_on(shared.log.close());
    eprintln!(
        "callfold serve: stopped ({why}); {} callbacks in the log",
        shared
            .projection
            .next_position()
            .saturating_sub(opened.first)
    );
    Ok(ExitCode::SUCCESS)
}

/// The log the server keeps, what the projection replays first, and the position it is ready at.
struct Opened {
    log: Log,
    backlog: Option<projection::Backlog>,
    /// The first position of the log (0 for a local log, 1 for a stream's sequences).
    first: u64,
    ready_at: u64,
    /// Where the stream's bodies go, once the consumer starts (with `--nats`).
    #[cfg(feature = "nats")]
    stream_sink: Option<std::sync::mpsc::Sender<(u64, Vec<u8>)>>,
    describe: String,
}

fn open_log(
    args: &Args,
    runtime: &tokio::runtime::Runtime,
    metrics: &metrics::Metrics,
    sink: std::sync::mpsc::Sender<(u64, Vec<u8>)>,
) -> Result<Opened, String> {
    #[cfg(feature = "nats")]
    if let Some(url) = &args.nats {
        let wanted = args.wanted.clone();
        let (stream, last) = runtime.block_on(nats::NatsLog::connect(
            url,
            wanted,
            to_std(args.ack_timeout),
        ))?;
        let rejects = callfold::Rejects::open(&args.data)
            .map_err(|e| format!("data directory {}: {e}", args.data.display()))?;
        return Ok(Opened {
            log: Log::Nats { stream, rejects },
            backlog: None,
            first: 1,
            ready_at: last + 1,
            stream_sink: Some(sink),
            describe: format!(
                "stream {} at {url} (R={}), rejects in {}",
                args.wanted.stream,
                args.wanted.replicas,
                args.data.display()
            ),
        });
    }
    let _ = runtime;
    let options = StoreOptions {
        fsync: args.fsync,
        segment_bytes: args.segment_size,
        retention: args.log_retention.map(to_std),
    };
    let log = EventLog::open(&args.data, options)
        .map_err(|e| e.to_string())?
        .with_sink(move |position, body| {
            // The projection thread ends only with the process, so a send cannot fail while serving.
            let _ = sink.send((position, body.to_vec()));
        })
        .with_observer(metrics.commit_observer());
    if let Some(torn) = log.torn() {
        eprintln!(
            "callfold serve: warning: {} ended with {} bytes of a torn line (a write cut off by a crash); \
             cut off and kept in {}",
            torn.segment.display(),
            torn.bytes.len(),
            args.data.join("rejects.jsonl").display()
        );
    }
    let end = log.len();
    let split = end.saturating_sub(args.recent_changes.max(1) as u64);
    let backlog = log
        .reader_to(split)
        .and_then(|head| {
            Ok(projection::Backlog {
                head,
                tail: log.bodies_from(split)?,
                end,
            })
        })
        .map_err(|e| format!("cannot read the log in {}: {e}", args.data.display()))?;
    let describe = format!(
        "data in {}, fsync {}",
        args.data.display(),
        clap::ValueEnum::to_possible_value(&args.fsync)
            .map_or(String::new(), |v| v.get_name().to_owned())
    );
    Ok(Opened {
        log: Log::File(log),
        backlog: Some(backlog),
        first: 0,
        ready_at: end,
        #[cfg(feature = "nats")]
        stream_sink: None,
        describe,
    })
}

/// Deletes the segments past `--log-retention`, hourly.
async fn enforce_log_retention(shared: Arc<Shared>) {
    // Not during the start-up replay, which reads the oldest segments: the first run is an hour in.
    let hour = Duration::from_secs(3600);
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + hour, hour);
    loop {
        every.tick().await;
        if !shared.projection.is_ready() {
            continue;
        }
        let log = Arc::clone(&shared);
        match tokio::task::spawn_blocking(move || log.log.enforce_retention()).await {
            Ok(Ok(0)) | Err(_) => {}
            Ok(Ok(deleted)) => {
                eprintln!("callfold serve: deleted {deleted} segments past --log-retention");
            }
            Ok(Err(error)) => {
                eprintln!("callfold serve: warning: deleting old segments failed: {error}");
            }
        }
    }
}

fn to_std(delta: TimeDelta) -> Duration {
    delta.to_std().unwrap_or(Duration::ZERO)
}

/// Sizes like `64KiB`, `64MiB`, `1GiB`, `100000` (bytes), `10kB`, `5MB`.
fn parse_size(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?} is not a size like 65536, 64KiB, 64MiB or 1GiB");
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().map_err(|_| bad())?;
    let scale: u64 = match text[digits..].trim() {
        "" | "B" => 1,
        "KiB" | "K" | "k" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(bad()),
    };
    number.checked_mul(scale).filter(|n| *n > 0).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1000"), Ok(1_000));
        assert_eq!(parse_size("10kB"), Ok(10_000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("64 parsecs").is_err());
        assert!(parse_size("").is_err());
    }
}
