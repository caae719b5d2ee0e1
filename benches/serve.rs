//! `callfold serve` under load, in one run: durable callbacks per second and p50/p99 latency at 1, 16
//! and 64 connections for `--fsync batch` (group commit), `--fsync each` (one fdatasync per callback),
//! `--fsync off` (no fdatasync: the upper bound) and a bare endpoint that answers 204 and does nothing
//! (HTTP's own limit here); fsyncs per callback from `/metrics`; and the restart: replaying a log of
//! about a million callbacks until `/readyz`, against `callfold legs` on the same log.
//!
//! ```text
//! cargo bench --bench serve              # 3 s per cell, a 1M-callback restart
//! cargo bench --bench serve -- --quick   # 1 s per cell, a 100k-callback restart
//! cargo bench --bench serve -- --restart # the restart alone
//! ```
//!
//! Traffic goes only to 127.0.0.1, from keep-alive connections, each posting distinct bodies one after
//! the other. Every server runs on a fresh data directory on the same disk as `target/`.

// Rates and quantiles are printed with 2 or 3 digits; counting the lines of the log is not the hot path.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::naive_bytecount
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_callfold");

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(data: &Path, flags: &[&str]) -> Server {
        Server::try_start(data, flags).expect("callfold serve starts and prints its address")
    }

    /// The server, or `None` when it stopped before it listened (a cluster still electing, say).
    fn try_start(data: &Path, flags: &[&str]) -> Option<Server> {
        let mut child = Command::new(BIN)
            .args(["serve", "--no-auth", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(flags)
            .stderr(Stdio::piped())
            .spawn()
            .expect("callfold serve starts");
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.split(',').next().unwrap_or("").to_owned());
                }
            }
        });
        let Some(addr) = rx
            .recv_timeout(Duration::from_secs(30))
            .ok()
            .and_then(|a| a.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        };
        Some(Server { child, addr })
    }

    /// Waits for `/readyz`; returns how long since `since`.
    fn ready(&self, since: Instant) -> Duration {
        loop {
            if let Some((200, _)) = get(self.addr, "/readyz") {
                return since.elapsed();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split("\r\n\r\n").nth(1)?.to_owned();
    Some((status, body))
}

/// One keep-alive connection posting distinct bodies until `stop`: each request's latency, and the
/// count of answers that were not 2xx.
fn connection(addr: SocketAddr, id: usize, stop: &AtomicBool) -> (Vec<Duration>, u64) {
    let mut latencies = Vec::new();
    let mut failures = 0;
    let Ok(stream) = TcpStream::connect(addr) else {
        return (latencies, 1);
    };
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let mut n = 0u64;
    let mut line = String::new();
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let body = format!(
            r#"{{"eventType":"transferDisconnect","eventTime":"2026-11-23T14:00:02.000Z","accountId":"9900000","callId":"c-bench-{id}-{n}","parentCallId":"c-a-{id}-{}","startTime":"2026-11-23T14:00:00.000Z","endTime":"2026-11-23T14:00:02.000Z","cause":"busy","errorMessage":"Callee is busy","transferTo":"+15550100{id:03}"}}"#,
            n / 3
        );
        let started = Instant::now();
        if write!(
            writer,
            "POST /callbacks HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .is_err()
        {
            failures += 1;
            break;
        }
        let mut status = 0;
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return (latencies, failures + 1);
            }
            if status == 0 {
                status = line
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            } else if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            } else if line == "\r\n" {
                break;
            }
        }
        let mut rest = vec![0; length];
        if reader.read_exact(&mut rest).is_err() {
            return (latencies, failures + 1);
        }
        latencies.push(started.elapsed());
        if !(200..300).contains(&status) {
            failures += 1;
        }
    }
    (latencies, failures)
}

struct Cell {
    rate: f64,
    p50: Duration,
    p99: Duration,
    failures: u64,
    fsyncs_per_callback: Option<f64>,
    /// Mean time of one commit (write + fdatasync), from `/metrics`.
    commit: Option<Duration>,
}

fn load(server: &Server, connections: usize, seconds: f64) -> Cell {
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..connections)
        .map(|id| {
            let stop = Arc::clone(&stop);
            let addr = server.addr;
            std::thread::spawn(move || connection(addr, id, &stop))
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut failures = 0;
    for thread in threads {
        let (mine, failed) = thread.join().expect("a load thread");
        latencies.extend(mine);
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Cell {
        rate: latencies.len() as f64 / elapsed,
        p50: at(0.50),
        p99: at(0.99),
        failures,
        fsyncs_per_callback: None,
        commit: None,
    }
}

/// `fsyncs / stored callbacks`, and the mean commit time, from `/metrics`.
fn from_metrics(server: &Server) -> Option<(f64, Duration)> {
    let (_, metrics) = get(server.addr, "/metrics")?;
    let value = |prefix: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let stored =
        value("callfold_callbacks_total{event_type=\"transferDisconnect\",result=\"stored\"}");
    let commits = value("callfold_commit_seconds_count");
    let commit = Duration::from_secs_f64(value("callfold_commit_seconds_sum") / commits.max(1.0));
    (stored > 0.0).then(|| (value("callfold_fsyncs_total") / stored, commit))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("serve-bench-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if std::env::args().any(|a| a == "--restart") {
        restart(quick);
        return;
    }
    let seconds = if quick { 1.0 } else { 3.0 };
    println!(
        "machine: {} cores; {seconds} s per cell; keep-alive connections posting distinct bodies to 127.0.0.1",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    );
    println!();
    println!(
        "| mode | connections | callbacks/s | p50 | p99 | non-2xx | fsyncs/callback | commit (write + sync) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let modes: [(&str, &[&str]); 4] = [
        ("bare 204", &["--bare"]),
        ("fsync off", &["--fsync", "off"]),
        ("fsync batch", &["--fsync", "batch"]),
        ("fsync each", &["--fsync", "each"]),
    ];
    let mut at_64 = Vec::new();
    let mut each_commit = None;
    for (name, flags) in modes {
        for connections in [1, 16, 64] {
            let data = scratch(&format!("{}-{connections}", name.replace(' ', "-")));
            let server = Server::start(&data, flags);
            server.ready(Instant::now());
            let mut cell = load(&server, connections, seconds);
            if name != "bare 204"
                && let Some((fsyncs, commit)) = from_metrics(&server)
            {
                cell.fsyncs_per_callback = Some(fsyncs);
                cell.commit = Some(commit);
            }
            server.stop();
            let _ = std::fs::remove_dir_all(&data);
            row(name, connections, &cell);
            if connections == 64 {
                at_64.push((name, cell.rate, cell.failures));
            }
            if name == "fsync each" && connections == 1 {
                each_commit = cell.commit;
            }
        }
    }
    // The shared log: a JetStream stream on one local nats-server (R=1) and on a three-node local
    // cluster (R=3), a fresh stream per cell.
    let nats = nats::Nats::cluster_and_single();
    match &nats {
        Some((single, cluster)) => {
            for (name, url, replicas) in [
                ("nats R=1", single.url(), "1"),
                ("nats R=3", cluster.url(), "3"),
            ] {
                for connections in [1, 16, 64] {
                    let data = scratch(&format!("{}-{connections}", name.replace([' ', '='], "-")));
                    // A stream of its own per cell, on subjects of its own (streams cannot share them).
                    let stream = format!("BENCH_R{replicas}_{connections}");
                    let prefix = format!("bench{replicas}x{connections}");
                    let flags = [
                        "--nats",
                        &url,
                        "--replicas",
                        replicas,
                        "--stream",
                        &stream,
                        "--subject-prefix",
                        &prefix,
                    ];
                    let Some(server) = nats::retry(|| Server::try_start(&data, &flags)) else {
                        println!(
                            "| {name} | {connections} | the stream could not be made | | | | | |"
                        );
                        continue;
                    };
                    server.ready(Instant::now());
                    let cell = load(&server, connections, seconds);
                    server.stop();
                    let _ = std::fs::remove_dir_all(&data);
                    row(name, connections, &cell);
                    if connections == 64 {
                        at_64.push((name, cell.rate, cell.failures));
                    }
                }
            }
        }
        None => println!(
            "| nats | - | no nats-server here (.ci/run installs one in target/nats-venv) | | | | | |"
        ),
    }
    let rate = |mode: &str| {
        at_64
            .iter()
            .find(|(name, ..)| *name == mode)
            .map_or(0.0, |(_, rate, _)| *rate)
    };
    let failures: u64 = at_64.iter().map(|(_, _, f)| f).sum();
    println!();
    let batch_off = rate("fsync batch") / rate("fsync off");
    let batch_each = rate("fsync batch") / rate("fsync each");
    println!(
        "at 64 connections: batch / off = {batch_off:.2} (target >= 0.5: {}); batch / each = {batch_each:.1} (target >= 20: {}); non-2xx: {failures} (target 0: {})",
        verdict(batch_off >= 0.5),
        verdict(batch_each >= 20.0),
        verdict(failures == 0)
    );

    if nats.is_some() {
        let r1 = rate("nats R=1") / rate("fsync batch");
        println!(
            "at 64 connections: nats R=1 / file batch = {r1:.2} (target >= 0.5, within 2x: {}); nats R=3 / file batch = {:.2}",
            verdict(r1 >= 0.5),
            rate("nats R=3") / rate("fsync batch")
        );
    }
    drop(nats);

    if let Some(commit) = each_commit {
        println!(
            "one write + fdatasync takes {:.3} ms here (the target of 20x assumed about 4 ms); `off` is the \
             ceiling of `batch`, so batch / each cannot pass off / each = {:.1} on this disk",
            commit.as_secs_f64() * 1e3,
            rate("fsync off") / rate("fsync each")
        );
    }

    restart(quick);
}

/// The restart: a log of about a million callbacks (100k with --quick), replayed until /readyz, against
/// `callfold legs` on the same log.
fn restart(quick: bool) {
    let calls = if quick { "16600" } else { "166000" };
    let data = scratch("restart");
    // Written as the server writes it: segments of at most 64 MiB, each named by its first position.
    let generated = Command::new(BIN)
        .args(["generate", "--calls", calls])
        .output()
        .expect("generate");
    assert!(generated.status.success());
    let segments = data.join("segments");
    std::fs::create_dir_all(&segments).expect("scratch");
    let (mut first, mut lines, mut segment) = (0usize, 0usize, Vec::new());
    for line in generated.stdout.split_inclusive(|b| *b == b'\n') {
        if segment.len() + line.len() > 64 << 20 {
            std::fs::write(segments.join(format!("{first:020}.jsonl")), &segment).expect("segment");
            segment.clear();
            first = lines;
        }
        segment.extend_from_slice(line);
        lines += 1;
    }
    std::fs::write(segments.join(format!("{first:020}.jsonl")), &segment).expect("segment");
    // The log's calls are from 2026-01-01: with the default retention (24 h) a restart folds every
    // callback but holds none of the legs that ended long ago; with a retention of ten years it holds
    // them all, as `callfold legs` does.
    for (what, flags) in [
        ("default --retention 24h", &[][..]),
        (
            "--retention 3650d, every leg held",
            &["--retention", "3650d"][..],
        ),
    ] {
        let mut legs = Vec::new();
        let mut ready = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let status = Command::new(BIN)
                .arg("legs")
                .arg(&data)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("legs");
            assert!(status.code().is_some_and(|c| c <= 1));
            legs.push(started.elapsed());
            let started = Instant::now();
            let server = Server::start(&data, flags);
            ready.push(server.ready(started));
            server.stop();
        }
        legs.sort();
        ready.sort();
        let ratio = ready[1].as_secs_f64() / legs[1].as_secs_f64();
        println!(
            "restart on {lines} callbacks ({what}): ready in {:.2} s; `callfold legs` {:.2} s; ratio {ratio:.2} (target <= 2: {})",
            ready[1].as_secs_f64(),
            legs[1].as_secs_f64(),
            verdict(ratio <= 2.0)
        );
    }
    let _ = std::fs::remove_dir_all(&data);
}

fn row(name: &str, connections: usize, cell: &Cell) {
    println!(
        "| {name} | {connections} | {:.0} | {:.2} ms | {:.2} ms | {} | {} | {} |",
        cell.rate,
        cell.p50.as_secs_f64() * 1e3,
        cell.p99.as_secs_f64() * 1e3,
        cell.failures,
        cell.fsyncs_per_callback
            .map_or("-".to_owned(), |f| format!("{f:.3}")),
        cell.commit.map_or("-".to_owned(), |c| format!(
            "{:.3} ms",
            c.as_secs_f64() * 1e3
        ))
    );
}

/// nats-server processes for the shared-log rows.
mod nats {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    pub struct Nats {
        children: Vec<Child>,
        urls: Vec<String>,
    }

    impl Nats {
        pub fn url(&self) -> String {
            self.urls.join(",")
        }

        /// One node, and a three-node cluster, or `None` without a nats-server.
        pub fn cluster_and_single() -> Option<(Nats, Nats)> {
            let binary = binary()?;
            let store = super::scratch("nats");
            let port = free_port();
            let single = Nats {
                children: vec![spawn(
                    &binary,
                    &[
                        "-js",
                        "-a",
                        "127.0.0.1",
                        "-p",
                        &port.to_string(),
                        "-sd",
                        &store.join("single").display().to_string(),
                    ],
                )],
                urls: vec![format!("nats://127.0.0.1:{port}")],
            };
            let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
            let mut cluster = Nats {
                children: Vec::new(),
                urls: Vec::new(),
            };
            for (i, (port, route)) in ports.iter().enumerate() {
                let routes: Vec<String> = ports
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, (_, r))| format!("nats://127.0.0.1:{r}"))
                    .collect();
                let dir = store.join(format!("n{i}")).display().to_string();
                cluster.children.push(spawn(
                    &binary,
                    &[
                        "-js",
                        "-a",
                        "127.0.0.1",
                        "-p",
                        &port.to_string(),
                        "-n",
                        &format!("n{i}"),
                        "--cluster_name",
                        "bench",
                        "--cluster",
                        &format!("nats://127.0.0.1:{route}"),
                        "--routes",
                        &routes.join(","),
                        "-sd",
                        &dir,
                    ],
                ));
                cluster.urls.push(format!("nats://127.0.0.1:{port}"));
            }
            for port in std::iter::once(port).chain(ports.iter().map(|(p, _)| *p)) {
                let deadline = Instant::now() + Duration::from_secs(20);
                while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
                    && Instant::now() < deadline
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            Some((single, cluster))
        }
    }

    impl Drop for Nats {
        fn drop(&mut self) {
            for child in &mut self.children {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Tries for up to 30 s: a new cluster elects its JetStream leader first.
    pub fn retry<T>(mut attempt: impl FnMut() -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(done) = attempt() {
                return Some(done);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn spawn(binary: &Path, args: &[&str]) -> Child {
        Command::new(binary)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts")
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_or(0, |a| a.port())
    }

    fn binary() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("CALLFOLD_NATS_SERVER") {
            return Some(PathBuf::from(path));
        }
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nats-venv/bin/nats-server");
        venv.exists().then_some(venv)
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}
