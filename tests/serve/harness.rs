//! The real `callfold serve` binary on a free loopback port with a temporary data directory, and a
//! plain HTTP/1.1 client over `TcpStream`, so the tests see exactly the bytes a webhook sender sees.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_callfold");
pub const USER: &str = "bw-user";
pub const PASSWORD: &str = "bw-pass";
pub const TOKEN: &str = "read-token";

/// Set in CI: a test that cannot run here (a tool missing) fails instead of being skipped.
pub const REQUIRE: &str = "CALLFOLD_REQUIRE_SERVICE_TESTS";

/// Says, on the real stderr (not captured by the test harness), that a test was skipped and why; in
/// CI, where every test is required, fails instead.
pub fn skip(test: &str, why: &str) {
    assert!(
        std::env::var_os(REQUIRE).is_none(),
        "{test}: required by {REQUIRE}, but {why}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {why} (set {REQUIRE}=1 to make this a failure)"
    );
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "callfold-serve-{name}-{}-{:?}",
        std::process::id(),
        Instant::now()
    ));
    let dir = PathBuf::from(dir.to_string_lossy().replace([' ', '{', '}', ':', ','], ""));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `callfold serve`.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub stderr: Arc<Mutex<String>>,
}

/// Credentials in the environment: the Basic pair and the token.
pub fn credentials() -> Vec<(&'static str, String)> {
    vec![
        ("CALLFOLD_USERNAME", USER.to_owned()),
        ("CALLFOLD_PASSWORD", PASSWORD.to_owned()),
        ("CALLFOLD_API_TOKEN", TOKEN.to_owned()),
    ]
}

impl Server {
    /// Starts the server on a free port with the test credentials, and waits until it listens.
    pub fn start(data: &Path, flags: &[&str]) -> Server {
        Server::start_with(data, flags, &credentials())
    }

    pub fn start_with(data: &Path, flags: &[&str], env: &[(&str, String)]) -> Server {
        let mut command = Command::new(BIN);
        command.args(["serve", "--listen", "127.0.0.1:0", "--data"]);
        command.arg(data).args(flags);
        Server::spawn(command, env)
    }

    /// Starts the server from a command that ends by running it (`unshare ... sh -c 'exec callfold
    /// serve ...'`, say).
    pub fn spawn(command: Command, env: &[(&str, String)]) -> Server {
        Server::try_spawn(command, env).unwrap_or_else(|why| panic!("{why}"))
    }

    /// The server, or why it stopped before it listened.
    pub fn try_spawn(mut command: Command, env: &[(&str, String)]) -> Result<Server, String> {
        for var in [
            "CALLFOLD_USERNAME",
            "CALLFOLD_PASSWORD",
            "CALLFOLD_API_TOKEN",
            "CALLFOLD_CREDENTIALS_FILE",
        ] {
            command.env_remove(var);
        }
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                {
                    let mut text = sink.lock().unwrap();
                    text.push_str(&line);
                    text.push('\n');
                }
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let address = rest.split("://").nth(1).unwrap_or("");
                    let address = address.split(',').next().unwrap_or("").to_owned();
                    let _ = tx.send(address);
                }
            }
        });
        let Ok(address) = rx.recv_timeout(Duration::from_secs(20)) else {
            let _ = child.kill();
            let status = child.wait();
            std::thread::sleep(Duration::from_millis(100));
            return Err(format!(
                "callfold serve did not start ({status:?}): {}",
                stderr.lock().unwrap()
            ));
        };
        let server = Server {
            child: Some(child),
            addr: address.parse().unwrap(),
            stderr,
        };
        // Over plain HTTP only; an HTTPS server's test waits with its own client.
        if !server.stderr().contains("listening on https://") {
            server.wait_ready();
        }
        Ok(server)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if request(self.addr, "GET", "/readyz", &[], b"").is_ok_and(|r| r.status == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("not ready in 60 s: {}", self.stderr.lock().unwrap());
    }

    /// POSTs a callback with the Basic pair.
    pub fn post(&self, path: &str, body: &[u8]) -> Reply {
        request(self.addr, "POST", path, &[basic(USER, PASSWORD)], body).unwrap()
    }

    /// GETs with the read token.
    pub fn get(&self, path: &str) -> Reply {
        request(self.addr, "GET", path, &[bearer(TOKEN)], b"").unwrap()
    }

    /// SIGTERM, and the exit status once it stopped.
    pub fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        signal(child.id(), "TERM");
        wait_with_timeout(&mut child, Duration::from_secs(30))
    }

    /// kill -9: no chance to finish anything.
    pub fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn signal(pid: u32, name: &str) {
    Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .unwrap();
}

pub fn wait_with_timeout(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn basic(user: &str, password: &str) -> (String, String) {
    (
        "Authorization".into(),
        format!("Basic {}", base64(format!("{user}:{password}").as_bytes())),
    )
}

pub fn bearer(token: &str) -> (String, String) {
    ("Authorization".into(), format!("Bearer {token}"))
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One request on its own connection (`Connection: close`), read to the end.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> std::io::Result<Reply> {
    let bad = |what: &str| std::io::Error::other(format!("bad reply ({what}): {raw:?}"));
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            std::str::from_utf8(&raw[..line_end]).unwrap_or("0").trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&raw[start..(start + size).min(raw.len())]);
        raw = &raw[(start + size + 2).min(raw.len())..];
    }
    out
}

/// A `/changes` subscription: the events as they come.
pub struct Changes {
    reader: BufReader<TcpStream>,
    /// Decoded bytes not yet made into events.
    pending: String,
}

/// One Server-Sent Event: its id and data.
#[derive(Debug, Clone, PartialEq)]
pub struct Sse {
    pub id: u64,
    pub data: serde_json::Value,
}

impl Changes {
    pub fn open(addr: SocketAddr, last_event_id: Option<u64>) -> Changes {
        let mut stream = TcpStream::connect(addr).unwrap();
        let mut head = format!(
            "GET /changes HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nAccept: text/event-stream\r\n"
        );
        if let Some(id) = last_event_id {
            let _ = write!(head, "Last-Event-ID: {id}\r\n");
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if line.starts_with("HTTP/1.1") {
                assert!(line.contains(" 200 "), "{line}");
            }
        }
        Changes {
            reader,
            pending: String::new(),
        }
    }

    /// The next event, or `None` when none comes within `limit`. Keep-alive comments are skipped.
    pub fn next(&mut self, limit: Duration) -> Option<Sse> {
        let deadline = Instant::now() + limit;
        loop {
            while let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data = serde_json::from_str(v.trim()).ok();
                    }
                }
                if let (Some(id), Some(data)) = (id, data) {
                    return Some(Sse { id, data });
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            self.reader
                .get_ref()
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .ok()?;
            // One chunk: its size line, its bytes, and the CRLF after them.
            let mut size_line = String::new();
            match self.reader.read_line(&mut size_line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let size = usize::from_str_radix(size_line.trim(), 16).ok()?;
            if size == 0 {
                return None;
            }
            let mut chunk = vec![0; size + 2];
            self.reader.get_ref().set_read_timeout(None).ok()?;
            self.reader.read_exact(&mut chunk).ok()?;
            chunk.truncate(size);
            self.pending.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Runs `callfold ARGS` and returns its stdout.
pub fn callfold(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// A deterministic shuffle (xorshift), so failures reproduce.
pub fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}
