//! End-to-end tests of `callfold serve`: the real binary on a free loopback port with a temporary data
//! directory, real HTTP, real files, real signals.

mod browser;
mod harness;
#[cfg(feature = "nats")]
mod nats;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness::{
    BIN, Changes, Server, basic, bearer, callfold, credentials, request, shuffle, skip, temp_dir,
};

const ANSWER: &str = r#"{"eventType":"transferAnswer","callId":"c-b1","parentCallId":"c-a1","startTime":"2026-11-23T14:00:00Z","answerTime":"2026-11-23T14:00:05Z"}"#;

fn body(call: usize) -> String {
    format!(
        r#"{{"eventType":"transferDisconnect","callId":"c-b-{call}","parentCallId":"c-a-{}","cause":"busy","startTime":"2026-11-23T14:00:00Z","endTime":"2026-11-23T14:00:02Z"}}"#,
        call / 3
    )
}

/// The lines of the log, in order, across its segments.
fn log_lines(data: &std::path::Path) -> Vec<String> {
    let mut lines = Vec::new();
    for file in callfold::EventLog::segment_files(data).unwrap() {
        let text = std::fs::read_to_string(file).unwrap();
        lines.extend(text.lines().map(str::to_owned));
    }
    lines
}

#[test]
fn posted_state_equals_the_offline_fold_and_survives_a_restart() {
    let dir = temp_dir("fold");
    let data = dir.join("data");
    // A generated log with faults (conflicts, unknown causes, malformed lines, ...), shuffled, with
    // one body in eight delivered twice.
    let generated = callfold(&[
        "generate", "--calls", "150", "--seed", "7", "--faults", "0.2",
    ]);
    let mut bodies: Vec<String> = generated.lines().map(str::to_owned).collect();
    let again: Vec<String> = bodies.iter().step_by(8).cloned().collect();
    bodies.extend(again);
    shuffle(&mut bodies, 19);

    // The log's legs ended long ago: a retention of ten years keeps them after the restart too.
    let flags = ["--segment-size", "16KiB", "--retention", "3650d"];
    let server = Server::start(&data, &flags);
    let addr = server.addr;
    let posted = Arc::new(Mutex::new(Vec::new()));
    let chunks: Vec<Vec<String>> = bodies
        .chunks(bodies.len() / 4 + 1)
        .map(<[String]>::to_vec)
        .collect();
    let threads: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let posted = Arc::clone(&posted);
            std::thread::spawn(move || {
                for body in chunk {
                    let reply = request(
                        addr,
                        "POST",
                        "/callbacks",
                        &[basic(harness::USER, harness::PASSWORD)],
                        body.as_bytes(),
                    )
                    .unwrap();
                    posted.lock().unwrap().push((reply.status, body));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let posted = posted.lock().unwrap().clone();
    let accepted: Vec<&String> = posted
        .iter()
        .filter(|(s, _)| *s == 204)
        .map(|(_, b)| b)
        .collect();
    let refused = posted.iter().filter(|(s, _)| *s == 400).count();
    assert_eq!(accepted.len() + refused, bodies.len(), "only 204 and 400");
    assert!(refused > 0, "the faults include malformed lines");

    // What the offline fold says about the very same bodies.
    let file = dir.join("posted.jsonl");
    let all: Vec<&str> = posted.iter().map(|(_, b)| b.as_str()).collect();
    std::fs::write(&file, all.join("\n") + "\n").unwrap();
    let offline = callfold(&["legs", file.to_str().unwrap()]);
    assert!(offline.lines().count() > 100);
    // Every body that got a 204 is in the log once per delivery.
    let mut logged = log_lines(&data);
    let mut expected: Vec<String> = accepted.iter().map(|b| (*b).clone()).collect();
    logged.sort();
    expected.sort();
    assert_eq!(logged, expected);
    assert!(
        callfold::EventLog::segment_files(&data).unwrap().len() > 1,
        "segments rolled"
    );

    let check = |server: &Server| {
        for line in offline.lines() {
            let leg: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = leg["callId"].as_str().unwrap();
            let reply = server.get(&format!("/legs/{id}"));
            assert_eq!(reply.status, 200);
            assert_eq!(reply.text(), line, "GET /legs/{id}");
        }
        assert_eq!(callfold(&["legs", data.to_str().unwrap()]), offline);
        // A call, as `callfold history` prints it, judged at the same clock.
        let leg: serde_json::Value = serde_json::from_str(offline.lines().next().unwrap()).unwrap();
        let parent = leg["parentCallId"].as_str().unwrap();
        let children = server.get(&format!("/legs?parent={parent}"));
        let expected: Vec<&str> = offline
            .lines()
            .filter(|l| l.contains(&format!(r#""parentCallId":"{parent}""#)))
            .collect();
        assert_eq!(children.text(), format!("[{}]", expected.join(",")));
        let call = server.get(&format!("/calls/{parent}")).json();
        let now = chrono::Utc::now().to_rfc3339();
        let history = callfold(&[
            "history",
            "--format",
            "json",
            "--as-of",
            &now,
            "--call",
            parent,
            file.to_str().unwrap(),
        ]);
        let offline_call: serde_json::Value = serde_json::from_str(history.trim()).unwrap();
        assert_eq!(call, offline_call);
        assert_eq!(server.get("/legs/no-such-leg").status, 404);
    };
    check(&server);
    let status = server.stop();
    assert!(status.success(), "SIGTERM exits 0: {status:?}");

    let server = Server::start(&data, &flags);
    assert!(
        server
            .stderr()
            .contains(&format!("{} callbacks in the log", accepted.len()))
    );
    check(&server);
    let stopped = server.stop();
    assert!(stopped.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn kill_9_under_concurrent_load_loses_no_acknowledged_callback() {
    let dir = temp_dir("kill9");
    let data = dir.join("data");
    let server = Server::start(&data, &[]);
    let addr = server.addr;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let acknowledged = Arc::clone(&acknowledged);
            std::thread::spawn(move || {
                for i in 0..2_000 {
                    let body = body(t * 100_000 + i);
                    match request(
                        addr,
                        "POST",
                        "/callbacks",
                        &[basic(harness::USER, harness::PASSWORD)],
                        body.as_bytes(),
                    ) {
                        Ok(reply) if reply.status == 204 => acknowledged.lock().unwrap().push(body),
                        Ok(reply) => panic!("{}: {}", reply.status, reply.text()),
                        // The server is gone.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    server.kill();
    for thread in threads {
        thread.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 50, "load ran: {}", acknowledged.len());

    // A crash mid-write leaves half a line at the end of the last segment.
    let last = callfold::EventLog::segment_files(&data)
        .unwrap()
        .pop()
        .unwrap();
    let mut segment = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap();
    segment
        .write_all(br#"{"eventType":"transferDiscon"#)
        .unwrap();
    drop(segment);

    let server = Server::start(&data, &["--retention", "3650d"]);
    assert!(server.stderr().contains("torn line"), "{}", server.stderr());
    let logged = log_lines(&data);
    let mut seen = HashSet::new();
    for line in &logged {
        assert!(seen.insert(line.clone()), "in the log twice: {line}");
    }
    for body in &acknowledged {
        assert!(
            seen.contains(body),
            "acknowledged but not in the log: {body}"
        );
    }
    let rejects = std::fs::read_to_string(data.join("rejects.jsonl")).unwrap();
    let torn: serde_json::Value = serde_json::from_str(rejects.lines().last().unwrap()).unwrap();
    assert_eq!(torn["kind"], "torn-tail");
    assert_eq!(torn["body"], r#"{"eventType":"transferDiscon"#);
    // The server folded exactly what is in the log.
    let leg = server.get(&format!("/legs/c-b-{}", 0));
    assert_eq!(leg.status, 200);
    assert_eq!(
        server.get("/readyz").json()["nextPosition"],
        serde_json::json!(logged.len())
    );
    assert!(server.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn credentials_are_required_and_checked() {
    let dir = temp_dir("auth");
    let data = dir.join("data");
    // No credentials: refuses to start, and says why.
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env_remove("CALLFOLD_USERNAME")
        .env_remove("CALLFOLD_PASSWORD")
        .env_remove("CALLFOLD_API_TOKEN")
        .env_remove("CALLFOLD_CREDENTIALS_FILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("callfold: serve: no credentials for callbacks: set CALLFOLD_USERNAME"),
        "{stderr}"
    );

    // Several pairs from a file, and the token.
    let file = dir.join("credentials");
    std::fs::write(&file, "# Bandwidth's pairs\nphone:one\ntransfer:two\n").unwrap();
    let server = Server::start_with(
        &data,
        &[],
        &[
            ("CALLFOLD_CREDENTIALS_FILE", file.display().to_string()),
            ("CALLFOLD_API_TOKEN", harness::TOKEN.to_owned()),
        ],
    );
    let post = |headers: &[(String, String)]| {
        request(
            server.addr,
            "POST",
            "/callbacks",
            headers,
            ANSWER.as_bytes(),
        )
        .unwrap()
    };
    let none = post(&[]);
    assert_eq!(none.status, 401);
    assert_eq!(
        none.header("www-authenticate"),
        Some("Basic realm=\"callfold\", charset=\"UTF-8\"")
    );
    assert_eq!(post(&[basic("phone", "two")]).status, 401);
    assert_eq!(post(&[bearer(harness::TOKEN)]).status, 401);
    assert_eq!(post(&[basic("phone", "one")]).status, 204);
    assert_eq!(post(&[basic("transfer", "two")]).status, 204);

    let get = |path: &str, headers: &[(String, String)]| {
        request(server.addr, "GET", path, headers, b"")
            .unwrap()
            .status
    };
    for path in [
        "/legs/c-b1",
        "/legs?parent=c-a1",
        "/calls/c-a1",
        "/metrics",
        "/changes",
    ] {
        assert_eq!(get(path, &[]), 401, "{path}");
        assert_eq!(get(path, &[basic("phone", "one")]), 401, "{path}");
        assert_eq!(get(path, &[bearer("wrong")]), 401, "{path}");
    }
    assert_eq!(get("/legs/c-b1", &[bearer(harness::TOKEN)]), 200);
    assert_eq!(get("/healthz", &[]), 200);
    assert_eq!(get("/readyz", &[]), 200);
    assert!(server.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_bodies_get_400_and_are_kept_byte_for_byte() {
    let dir = temp_dir("bad");
    let data = dir.join("data");
    let server = Server::start(&data, &["--max-body", "1KiB"]);
    let bad = b"{\"eventType\":\"transferAnswer\",\r\n\"callId\":17}";
    let reply = server.post("/callbacks/answer", bad);
    assert_eq!(reply.status, 400);
    let error = reply.json();
    assert_eq!(error["field"], "callId", "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("callId"),
        "{error}"
    );
    let rejects = std::fs::read_to_string(data.join("rejects.jsonl")).unwrap();
    let kept: serde_json::Value = serde_json::from_str(rejects.lines().next().unwrap()).unwrap();
    assert_eq!(kept["body"].as_str().unwrap().as_bytes(), bad);
    assert_eq!(kept["path"], "/callbacks/answer");
    assert_eq!(kept["field"], "callId");

    let big = format!(
        r#"{{"eventType":"transferAnswer","callId":"c-1","tag":"{}"}}"#,
        "x".repeat(2000)
    );
    assert_eq!(server.post("/callbacks", big.as_bytes()).status, 413);
    assert!(log_lines(&data).is_empty(), "nothing refused is in the log");

    // A callback sent as GET with query parameters is logged as the equivalent JSON body.
    let reply = request(
        server.addr,
        "GET",
        "/callbacks/disconnect?eventType=transferDisconnect&callId=c-q&parentCallId=c-p&cause=busy&endTime=2026-11-23T14%3A00%3A02Z",
        &[basic(harness::USER, harness::PASSWORD)],
        b"",
    )
    .unwrap();
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert_eq!(
        log_lines(&data),
        [
            r#"{"callId":"c-q","cause":"busy","endTime":"2026-11-23T14:00:02Z","eventType":"transferDisconnect","parentCallId":"c-p"}"#
        ]
    );
    assert_eq!(server.get("/legs/c-q").json()["cause"], "busy");
    let metrics = server.get("/metrics").text();
    assert!(
        metrics.contains(r#"callfold_callbacks_total{event_type="unknown",result="invalid"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"callfold_callbacks_total{event_type="unknown",result="too_large"} 1"#)
    );
    assert!(metrics.contains(
        r#"callfold_callbacks_total{event_type="transferDisconnect",result="stored"} 1"#
    ));
    assert!(metrics.contains(r#"callfold_legs{state="ended"} 1"#));
    assert!(server.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_that_cannot_be_written_answers_503_never_204() {
    // A data directory on a 64 KiB tmpfs, mounted in a mount namespace of the server's own.
    let probe = Command::new("unshare")
        .args([
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs -o size=64k none /tmp && echo ok",
        ])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        skip(
            "a_log_that_cannot_be_written_answers_503_never_204",
            "`unshare -rm` cannot mount a tmpfs here",
        );
        return;
    }
    let dir = temp_dir("full");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let script = format!(
        "mount -t tmpfs -o size=64k none '{}' && exec '{BIN}' serve --listen 127.0.0.1:0 --data '{}'",
        data.display(),
        data.display()
    );
    let mut command = Command::new("unshare");
    command.args(["-rm", "sh", "-c", &script]);
    let server = Server::spawn(command, &credentials());
    let padding = "x".repeat(8_000);
    let mut statuses = Vec::new();
    for call in 0..20 {
        let body = format!(
            r#"{{"eventType":"transferAnswer","callId":"c-{call}","parentCallId":"c-a","tag":"{padding}"}}"#
        );
        let reply = server.post("/callbacks", body.as_bytes());
        if reply.status == 503 {
            assert!(
                reply.json()["error"]
                    .as_str()
                    .unwrap()
                    .contains("No space left"),
                "{}",
                reply.text()
            );
        }
        statuses.push(reply.status);
    }
    let first_503 = statuses
        .iter()
        .position(|s| *s == 503)
        .expect("the disk filled up");
    assert!(
        first_503 > 0 && statuses[..first_503].iter().all(|s| *s == 204),
        "{statuses:?}"
    );
    assert!(
        statuses[first_503..].iter().all(|s| *s == 503),
        "{statuses:?}"
    );
    // What got a 204 is served; what got a 503 is not.
    assert_eq!(
        server.get(&format!("/legs/c-{}", first_503 - 1)).status,
        200
    );
    assert_eq!(server.get(&format!("/legs/c-{first_503}")).status, 404);
    let metrics = server.get("/metrics").text();
    assert!(metrics.contains(r#"result="unavailable"} "#), "{metrics}");
    assert!(server.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A stand-in for the app behind callfold: answers every request with BXML and records what it got.
fn fake_app() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                head.push_str(&line);
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            record
                .lock()
                .unwrap()
                .push(head + &String::from_utf8_lossy(&body));
            let bxml = "<?xml version=\"1.0\"?><Response><SpeakSentence>Connected</SpeakSentence></Response>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{bxml}",
                bxml.len()
            );
        }
    });
    (port, seen)
}

#[test]
fn forward_relays_to_the_app_and_returns_its_bxml_or_502() {
    let dir = temp_dir("forward");
    let (port, seen) = fake_app();
    let server = Server::start(
        &dir.join("up"),
        &["--forward", &format!("http://127.0.0.1:{port}/app")],
    );
    let reply = server.post("/callbacks/transfer-answer?leg=b", ANSWER.as_bytes());
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/xml"));
    assert!(
        reply
            .text()
            .contains("<SpeakSentence>Connected</SpeakSentence>")
    );
    let request = seen.lock().unwrap()[0].clone();
    assert!(
        request.starts_with("POST /app/callbacks/transfer-answer?leg=b HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains(&basic(harness::USER, harness::PASSWORD).1),
        "{request}"
    );
    assert!(request.ends_with(ANSWER), "{request}");
    assert!(server.stop().success());

    // The app is down: 502, and the callback is logged all the same.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let down = closed.local_addr().unwrap().port();
    drop(closed);
    let server = Server::start(
        &dir.join("down"),
        &["--forward", &format!("http://127.0.0.1:{down}")],
    );
    let reply = server.post("/callbacks", ANSWER.as_bytes());
    assert_eq!(reply.status, 502, "{}", reply.text());
    assert_eq!(reply.json()["logged"], true);
    assert_eq!(server.get("/legs/c-b1").status, 200);
    assert_eq!(log_lines(&dir.join("down")), [ANSWER]);
    assert!(server.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn changes_are_sent_once_and_resume_exactly_after_last_event_id() {
    let dir = temp_dir("sse");
    let data = dir.join("data");
    // Two recent changes kept, so resuming further back folds the log again.
    let server = Server::start(&data, &["--recent-changes", "2"]);
    let mut changes = Changes::open(server.addr, None);
    for call in 0..5 {
        assert_eq!(server.post("/callbacks", body(call).as_bytes()).status, 204);
    }
    // A redelivery is a change too: a duplicate.
    assert_eq!(server.post("/callbacks", body(4).as_bytes()).status, 204);
    let mut seen = Vec::new();
    while let Some(event) = changes.next(Duration::from_millis(1_500)) {
        seen.push(event);
    }
    let ids: Vec<u64> = seen.iter().map(|e| e.id).collect();
    assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
    assert_eq!(seen[0].data["callId"], "c-b-0");
    assert_eq!(seen[0].data["state"], "ended");
    assert_eq!(seen[5].data["duplicate"], true);
    drop(changes);

    for call in 5..8 {
        assert_eq!(server.post("/callbacks", body(call).as_bytes()).status, 204);
    }
    // From the recent changes kept.
    let mut resumed = Changes::open(server.addr, Some(6));
    let mut ids = Vec::new();
    while let Some(event) = resumed.next(Duration::from_millis(800)) {
        ids.push(event.id);
    }
    assert_eq!(ids, [7, 8]);
    // From further back than they go: folded again from the log, with the same updates.
    let mut resumed = Changes::open(server.addr, Some(1));
    let mut again = Vec::new();
    while let Some(event) = resumed.next(Duration::from_millis(800)) {
        again.push(event);
    }
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6, 7, 8]
    );
    assert_eq!(again[..4], seen[2..]);
    // And live ones after them, once each.
    assert_eq!(server.post("/callbacks", body(8).as_bytes()).status, 204);
    assert_eq!(resumed.next(Duration::from_secs(5)).map(|e| e.id), Some(9));
    assert_eq!(resumed.next(Duration::from_millis(300)), None);
    assert!(
        server.stop().success(),
        "open /changes streams do not hold up the shutdown"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn https_with_a_self_signed_certificate() {
    let dir = temp_dir("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    let curl = Command::new("curl").arg("--version").output();
    if !made.is_ok_and(|o| o.status.success()) || !curl.is_ok_and(|o| o.status.success()) {
        skip(
            "https_with_a_self_signed_certificate",
            "openssl or curl is missing",
        );
        return;
    }
    let server = Server::start(
        &dir.join("data"),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.stderr().contains("listening on https://"));
    let out = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        .arg(&cert)
        .args(["-u", &format!("{}:{}", harness::USER, harness::PASSWORD)])
        .args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            ANSWER,
        ])
        .arg(format!(
            "https://127.0.0.1:{}/callbacks",
            server.addr.port()
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "204",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Plain HTTP on the TLS port gets nowhere.
    assert!(request(server.addr, "GET", "/healthz", &[], b"").map_or(true, |r| r.status != 200));
    assert_eq!(log_lines(&dir.join("data")), [ANSWER]);
    assert!(server.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_cli_reads_a_live_data_directory() {
    let dir = temp_dir("cli");
    let data = dir.join("data");
    let server = Server::start(&data, &[]);
    let mut expected = BTreeSet::new();
    for call in 0..6 {
        assert_eq!(server.post("/callbacks", body(call).as_bytes()).status, 204);
        expected.insert(format!("c-b-{call}"));
    }
    let legs = callfold(&["legs", data.to_str().unwrap()]);
    let ids: Vec<String> = legs
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["callId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, expected.iter().cloned().collect::<Vec<_>>());
    let stats = Command::new(BIN)
        .args(["stats", "--format", "json"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(stats.status.success());
    let history = callfold(&["history", "--format", "json", data.to_str().unwrap()]);
    assert_eq!(history.lines().count(), 2);
    let calls: HashMap<String, usize> = history
        .lines()
        .map(|l| {
            let call: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                call["callId"].as_str().unwrap().to_owned(),
                call["legs"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(calls["c-a-0"], 3);
    assert!(server.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_silent_client_is_cut_off_and_the_connection_limit_holds_the_rest_back() {
    let dir = temp_dir("limits");
    let server = Server::start(
        &dir.join("data"),
        &["--header-timeout", "700ms", "--max-connections", "1"],
    );
    // A client that connects and never finishes its headers holds the only connection...
    let mut silent = std::net::TcpStream::connect(server.addr).unwrap();
    silent
        .write_all(b"POST /callbacks HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = std::time::Instant::now();
    // ...so the next request waits in the backlog until the header timeout cuts the first one off.
    let reply = server.post("/callbacks", ANSWER.as_bytes());
    assert_eq!(reply.status, 204);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "served at once: the limit did not hold ({:?})",
        started.elapsed()
    );
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = silent.read_to_end(&mut rest);
    assert!(
        rest.is_empty() || String::from_utf8_lossy(&rest).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
    assert!(server.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn it_refuses_to_start_and_says_why() {
    let dir = temp_dir("refuse");
    let data = dir.join("data");
    let first = Server::start(&data, &[]);
    let refuse = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("serve")
            .args(args)
            .envs(credentials())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let data_arg = data.to_str().unwrap();
    let locked = refuse(&["--listen", "127.0.0.1:0", "--data", data_arg]);
    assert!(locked.contains("is in use by another callfold"), "{locked}");
    let address = first.addr.to_string();
    let other = dir.join("other");
    let in_use = refuse(&["--listen", &address, "--data", other.to_str().unwrap()]);
    assert!(
        in_use.starts_with(&format!("callfold: serve: cannot listen on {address}")),
        "{in_use}"
    );
    let no_key = refuse(&[
        "--listen",
        "127.0.0.1:0",
        "--data",
        other.to_str().unwrap(),
        "--tls-cert",
        "/nonexistent.pem",
        "--tls-key",
        "/nonexistent.key",
    ]);
    assert!(no_key.contains("--tls-cert /nonexistent.pem"), "{no_key}");
    let forward = refuse(&[
        "--listen",
        "127.0.0.1:0",
        "--data",
        other.to_str().unwrap(),
        "--forward",
        "https://app.example.com",
    ]);
    assert!(forward.contains("give an http:// URL"), "{forward}");
    assert!(first.stop().success());
    std::fs::remove_dir_all(&dir).unwrap();
}
