//! The ratio table of issue 5, measured in one run on one file: the JSON-syntax floor (`serde_json` into
//! `IgnoredAny`), callfold's decode + validate, `callfold history` end to end on one thread and on all
//! cores and where its time goes stage by stage, fold memory per leg (`callfold legs`, and `callfold
//! history`), and the official Python SDK on the same lines.
//!
//! ```text
//! cargo bench --bench ratios                      # a generated log of about 1M events
//! cargo bench --bench ratios -- --log my.jsonl    # any log
//! cargo bench --bench ratios -- --quick           # 100k events, 3 runs: a smoke test
//! ```
//!
//! Every time is the median of several runs, interleaved so that a noisy neighbour hurts all rows alike;
//! each ratio divides by the floor measured in the same run. `benches/ratios.sh` builds what this needs
//! (the release binary, the SDK's virtualenv) and runs it.

// Rates are printed with 3 digits, and counting newlines of a pipe is not the hot path.
#![allow(clippy::cast_precision_loss, clippy::naive_bytecount)]

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::de::IgnoredAny;

const BIN: &str = env!("CARGO_BIN_EXE_callfold");

struct Options {
    log: Option<PathBuf>,
    calls: u32,
    runs: usize,
    memory_calls: u32,
    sdk_lines: usize,
}

fn options() -> Options {
    let mut options = Options {
        log: None,
        calls: 166_000,
        runs: 5,
        memory_calls: 450_000,
        sdk_lines: 50_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--log" => options.log = args.next().map(PathBuf::from),
            "--quick" => {
                options.calls = 16_600;
                options.runs = 3;
                options.memory_calls = 40_000;
                options.sdk_lines = 5_000;
            }
            "--runs" => options.runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(5),
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            other => {
                eprintln!("ratios: unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }
    options
}

fn main() {
    let options = options();
    let log = match &options.log {
        Some(log) => log.clone(),
        None => generated_log(options.calls),
    };
    let lines = count_lines(&log);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);

    let mut floor = Vec::new();
    let mut validate = Vec::new();
    let mut decode = Vec::new();
    let mut history_1 = Vec::new();
    let mut history_all = Vec::new();
    let mut stages_1 = Vec::new();
    let mut stages_all = Vec::new();
    let mut stats = Vec::new();
    let mut report = Vec::new();
    let mut legs_2 = Vec::new();
    let mut duckdb = Vec::new();
    let duckdb_out = log.with_extension("duckdb.json");
    // The log of one leg per call, where building calls and writing them weigh more per callback.
    let single = match &options.log {
        Some(_) => None,
        None => Some(one_leg_log(options.calls * 2)),
    };
    let single_lines = single.as_deref().map_or(0, count_lines);
    let (mut single_floor, mut single_1, mut single_all) = (Vec::new(), Vec::new(), Vec::new());
    let report_file = log.with_extension("report.html");
    for _ in 0..options.runs {
        floor.push(time(|| {
            parse_lines(&log, |line| {
                serde_json::from_slice::<IgnoredAny>(line).is_ok()
            })
        }));
        validate.push(time(|| {
            parse_lines(&log, |line| callfold::Callback::validate(line).is_ok())
        }));
        decode.push(time(|| {
            parse_lines(&log, |line| callfold::Callback::from_slice(line).is_ok())
        }));
        history_1.push(time(|| run_history(&log, Some(1))));
        history_all.push(time(|| run_history(&log, None)));
        stages_1.push(stages(&log, 1));
        stages_all.push(stages(&log, threads));
        stats.push(time(|| run(&["stats", "--quiet"], &log, None)));
        report.push(time(|| {
            run(&["report", "--quiet"], &log, Some(&report_file));
        }));
        legs_2.push(time(|| {
            run(&["legs", "--quiet", "--threads", "2"], &log, None);
        }));
        if let Some(took) = duckdb_legs(&log, 2, &duckdb_out) {
            duckdb.push(took);
        }
        if let Some(single) = &single {
            single_floor.push(time(|| {
                parse_lines(single, |line| {
                    serde_json::from_slice::<IgnoredAny>(line).is_ok()
                })
            }));
            single_1.push(time(|| run_history(single, Some(1))));
            single_all.push(time(|| run_history(single, None)));
        }
    }
    let (history_1, history_all) = (median(history_1), median(history_all));
    let floor = median(floor);
    let validate = median(validate);
    let rows = [
        ("serde_json into IgnoredAny: the floor", floor),
        (
            "callfold decode + validate, borrowed (`Callback::validate`)",
            validate,
        ),
        (
            "callfold decode + validate into an owned `Callback`",
            median(decode),
        ),
        ("callfold history end to end, 1 thread", history_1),
        (
            if threads == 1 {
                "callfold history, all cores (1)"
            } else {
                "callfold history, all cores"
            },
            history_all,
        ),
    ];

    println!(
        "log: {} ({lines} lines), {} run(s) each, {threads} core(s)",
        log.display(),
        options.runs
    );
    println!();
    println!("| approach | events/s | time ÷ floor |");
    println!("|---|---:|---:|");
    for (name, took) in rows {
        println!(
            "| {name} | {} | {:.2} |",
            per_second(lines, took),
            took.as_secs_f64() / floor.as_secs_f64()
        );
    }
    match sdk_per_event(&log, options.sdk_lines) {
        Some(per_event) => println!(
            "| Python bandwidth-sdk `TransferDisconnectCallback.from_json` (first {} lines) | {} | {:.1} |",
            options.sdk_lines.min(lines),
            per_second(1, per_event),
            per_event.as_secs_f64() * lines as f64 / floor.as_secs_f64()
        ),
        None => println!("| Python bandwidth-sdk | not installed: run benches/ratios.sh | |"),
    }
    println!();
    print_stages(
        floor,
        validate,
        [
            (Stages::median(&stages_1), history_1),
            (Stages::median(&stages_all), history_all),
        ],
    );
    println!();
    let legs_2 = median(legs_2);
    println!(
        "DuckDB beside callfold, both on 2 threads, the same log (the query: benches/duckdb_legs.py):"
    );
    println!();
    println!("| approach | events/s | time ÷ floor |");
    println!("|---|---:|---:|");
    println!(
        "| `callfold legs --threads 2` | {} | {:.2} |",
        per_second(lines, legs_2),
        legs_2.as_secs_f64() / floor.as_secs_f64()
    );
    if duckdb.is_empty() {
        println!("| DuckDB | not installed: run benches/ratios.sh | |");
    } else {
        let duckdb = median(duckdb);
        println!(
            "| DuckDB `read_json` + `GROUP BY callId`, 2 threads | {} | {:.2} |",
            per_second(lines, duckdb),
            duckdb.as_secs_f64() / floor.as_secs_f64()
        );
        println!();
        println!(
            "callfold legs is {:.2}× faster than DuckDB (target ≥ 2×)",
            duckdb.as_secs_f64() / legs_2.as_secs_f64()
        );
    }
    if let Some(single) = &single {
        let floor = median(single_floor);
        let (one, all) = (median(single_1), median(single_all));
        println!();
        println!(
            "one leg per call: {} ({single_lines} lines); floor {}/s",
            single.display(),
            per_second(single_lines, floor)
        );
        println!();
        println!("| `callfold history`, one leg per call | events/s | time ÷ floor |");
        println!("|---|---:|---:|");
        for (name, took) in [("1 thread", one), ("all cores", all)] {
            println!(
                "| {name} | {} | {:.2} |",
                per_second(single_lines, took),
                took.as_secs_f64() / floor.as_secs_f64()
            );
        }
    }
    println!();
    let (stats, report) = (median(stats), median(report));
    let size = std::fs::metadata(&report_file).map_or(0, |m| m.len());
    println!(
        "`callfold report` (HTML, charts): {:.2} s, {:.2}× `callfold stats` ({:.2} s) on the same log \
         (target ≤ 1.5×); the page is {} KB (target < 5 MB)",
        report.as_secs_f64(),
        report.as_secs_f64() / stats.as_secs_f64(),
        stats.as_secs_f64(),
        size / 1024
    );
    println!();
    for (threads, label) in [("1", "1 thread"), ("0", "all cores")] {
        match fold_memory(options.memory_calls, threads) {
            Some(FoldMemory {
                legs,
                legs_grown,
                history_grown,
            }) => println!(
                "fold memory, {label}: {legs} legs, peak RSS growth {} MB, {} bytes per leg (`callfold legs`, \
                 generated input piped in); `callfold history`: {} MB, {} bytes per leg",
                legs_grown / 1_000_000,
                legs_grown / legs.max(1),
                history_grown / 1_000_000,
                history_grown / legs.max(1),
            ),
            None => println!("fold memory: /usr/bin/time is needed to read peak RSS"),
        }
    }
}

/// A generated log of about `calls` × 6 events, kept under `target/` between runs.
fn generated_log(calls: u32) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let path = dir.join(format!("generated-{calls}.jsonl"));
    if !path.exists() {
        let out = File::create(&path).expect("create the log");
        let status = Command::new(BIN)
            .args(["generate", "--calls", &calls.to_string(), "--seed", "5"])
            .stdout(out)
            .status()
            .expect("run callfold generate");
        assert!(status.success(), "callfold generate failed");
    }
    path
}

fn count_lines(path: &Path) -> usize {
    let mut n = 0;
    parse_lines(path, |_| {
        n += 1;
        true
    });
    n
}

/// Reads the log line by line as `LogReader` does, and hands each line to `parse`.
fn parse_lines(path: &Path, mut parse: impl FnMut(&[u8]) -> bool) -> usize {
    let mut reader = BufReader::with_capacity(1 << 16, File::open(path).expect("open the log"));
    let mut line = Vec::with_capacity(4096);
    let mut ok = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).expect("read the log") == 0 {
            return ok;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        ok += usize::from(parse(std::hint::black_box(&line)));
    }
}

/// DuckDB's per-leg query on the log (`benches/duckdb_legs.py`, in the virtualenv `benches/ratios.sh`
/// makes), timed as a whole process as `callfold legs` is; `None` without the virtualenv.
fn duckdb_legs(log: &Path, threads: usize, out: &Path) -> Option<Duration> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/duckdb-venv/bin/python");
    if !python.exists() {
        return None;
    }
    let started = Instant::now();
    let status = Command::new(python)
        .arg(root.join("benches/duckdb_legs.py"))
        .arg(log)
        .arg(threads.to_string())
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| started.elapsed())
}

/// A generated log with one leg per call, kept under `target/`: the callbacks of every call's first
/// leg and of its A-leg, the other legs' left out.
fn one_leg_log(calls: u32) -> PathBuf {
    let whole = generated_log(calls);
    let path = whole.with_extension("one-leg.jsonl");
    if path.exists() {
        return path;
    }
    let mut first_leg: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut out = std::io::BufWriter::new(File::create(&path).expect("create the log"));
    for line in BufReader::new(File::open(&whole).expect("open the log")).lines() {
        let line = line.expect("read the log");
        let keep = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(v) => match (
                v["eventType"].as_str(),
                v["parentCallId"].as_str(),
                v["callId"].as_str(),
            ) {
                (Some(t), Some(parent), Some(id))
                    if t.starts_with("transfer") && t != "transferComplete" =>
                {
                    first_leg
                        .entry(parent.to_owned())
                        .or_insert_with(|| id.to_owned())
                        == id
                }
                _ => true,
            },
            Err(_) => true,
        };
        if keep {
            std::io::Write::write_all(&mut out, line.as_bytes()).expect("write the log");
            std::io::Write::write_all(&mut out, b"\n").expect("write the log");
        }
    }
    path
}

/// Runs a subcommand on the log, its output discarded (or written to `output` with `-o`).
fn run(args: &[&str], log: &Path, output: Option<&Path>) {
    let mut command = Command::new(BIN);
    command.args(args).arg(log);
    if let Some(output) = output {
        command.arg("-o").arg(output);
    }
    let status = command
        .stdout(Stdio::null())
        .status()
        .expect("run callfold");
    assert!(
        status.code().is_some_and(|c| c < 2),
        "callfold {args:?} failed: {status}"
    );
}

fn run_history(log: &Path, threads: Option<usize>) {
    let mut command = Command::new(BIN);
    command.args(["history", "--quiet", "--format", "json"]);
    if let Some(threads) = threads {
        command.args(["--threads", &threads.to_string()]);
    }
    let status = command
        .arg(log)
        .stdout(Stdio::null())
        .status()
        .expect("run callfold history");
    // Exit 1 reports faults in the data; only usage and I/O errors (2) are failures here.
    assert!(
        status.code().is_some_and(|c| c < 2),
        "callfold history failed: {status}"
    );
}

/// Where the time of `callfold history` goes: its stages, timed one after the other in this process
/// through the library calls the command makes. Memory freed by one run is reused by the next here,
/// while the command maps (and the kernel zeroes) all of its memory afresh: that cost falls in "the
/// rest", with writing to stdout and starting and ending the process.
#[derive(Clone, Copy)]
struct Stages {
    /// `History::replay`: read the log, decode and validate each line, fold it; on many threads, merge.
    replay: Duration,
    /// `History::map_calls`, each call built and dropped.
    build: Duration,
    /// The same, each call also written as its JSON line (`Call::write_json`), as the command does.
    format: Duration,
    /// Bytes of JSON written.
    bytes: usize,
}

impl Stages {
    /// The median of each stage.
    fn median(runs: &[Stages]) -> Stages {
        let stage = |f: fn(&Stages) -> Duration| median(runs.iter().map(f).collect());
        Stages {
            replay: stage(|s| s.replay),
            build: stage(|s| s.build),
            format: stage(|s| s.format),
            bytes: runs.first().map_or(0, |s| s.bytes),
        }
    }
}

fn stages(log: &Path, threads: usize) -> Stages {
    let mut reader = callfold::LogReader::new(BufReader::with_capacity(
        1 << 16,
        File::open(log).expect("open the log"),
    ));
    let start = Instant::now();
    let history =
        callfold::History::replay(&mut reader, threads, |_| Ok::<(), ()>(())).expect("replay");
    let replay = start.elapsed();
    let options = callfold::HistoryOptions::default();
    let mut calls = 0;
    let build = time(|| {
        history.map_calls(
            &options,
            threads,
            |calls| calls.len(),
            |n| {
                calls += n;
                Ok::<(), ()>(())
            },
        )
    });
    let mut bytes = 0;
    let format = time(|| {
        history.map_calls(
            &options,
            threads,
            |calls| {
                let mut out = Vec::new();
                for call in calls {
                    call.write_json(&mut out);
                    out.push(b'\n');
                }
                out
            },
            |out| {
                bytes += std::hint::black_box(out).len();
                Ok::<(), ()>(())
            },
        )
    });
    assert!(calls > 0, "the log holds no calls");
    Stages {
        replay,
        build,
        format,
        bytes,
    }
}

/// The stages of `callfold history` on one thread and on all cores, each with the command's end to end
/// time in the same run, as time ÷ floor, added up to end to end.
fn print_stages(
    floor: Duration,
    validate: Duration,
    [(one, one_whole), (all, all_whole)]: [(Stages, Duration); 2],
) {
    let ratio = |d: Duration| format!("{:.2}", d.as_secs_f64() / floor.as_secs_f64());
    let minus = |a: Duration, b: Duration| match a.checked_sub(b) {
        Some(more) => ratio(more),
        None => format!("-{}", ratio(b.saturating_sub(a))),
    };
    println!("where the time of `callfold history` goes (time ÷ floor, stage by stage):");
    println!();
    println!("| stage | 1 thread | all cores |");
    println!("|---|---:|---:|");
    println!(
        "| read, decode and validate (`Callback::validate` over the lines, 1 thread) | {} | |",
        ratio(validate)
    );
    println!(
        "| fold (`History::replay` less the row above) | {} | |",
        minus(one.replay, validate)
    );
    println!(
        "| read, decode, validate, fold: `History::replay` | {} | {} |",
        ratio(one.replay),
        ratio(all.replay)
    );
    println!(
        "| build the calls: attempts, outcomes (`History::map_calls`) | {} | {} |",
        ratio(one.build),
        ratio(all.build)
    );
    println!(
        "| write them as JSON lines in memory (`Call::write_json`, {} MB) | {} | {} |",
        one.bytes / 1_000_000,
        minus(one.format, one.build),
        minus(all.format, all.build)
    );
    println!(
        "| the rest: the command's fresh memory (page faults), stdout, start, exit (end to end less the above) | {} | {} |",
        minus(one_whole, one.replay + one.format),
        minus(all_whole, all.replay + all.format)
    );
    println!(
        "| `callfold history` end to end | {} | {} |",
        ratio(one_whole),
        ratio(all_whole)
    );
}

fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    std::hint::black_box(f());
    start.elapsed()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn per_second(events: usize, took: Duration) -> String {
    let rate = events as f64 / took.as_secs_f64();
    if rate >= 1e6 {
        format!("{:.2} M", rate / 1e6)
    } else {
        format!("{:.0} k", rate / 1e3)
    }
}

/// The SDK's time per event over the log's first lines, or `None` without the SDK's virtualenv.
fn sdk_per_event(log: &Path, lines: usize) -> Option<Duration> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sdk-venv/bin/python");
    if !python.exists() {
        return None;
    }
    let script = r"
import sys, time
from bandwidth.models import TransferDisconnectCallback
path, n = sys.argv[1], int(sys.argv[2])
with open(path, encoding='utf-8') as f:
    lines = [line for _, line in zip(range(n), f)]
start = time.perf_counter()
for line in lines:
    TransferDisconnectCallback.from_json(line)
print((time.perf_counter() - start) / len(lines))
";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(log)
        .arg(lines.to_string())
        .output()
        .ok()?;
    let seconds: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(Duration::from_secs_f64(seconds))
}

/// Peak RSS growth over a generated log piped in, against the same run on one call: of `callfold legs`
/// (the fold of the legs alone), and of `callfold history` (legs, A-legs and the calls built from them).
struct FoldMemory {
    /// How many legs `callfold legs` printed.
    legs: u64,
    legs_grown: u64,
    history_grown: u64,
}

/// [`FoldMemory`] for `threads`: `--threads`, or "0" for the default (one per core).
fn fold_memory(calls: u32, threads: &str) -> Option<FoldMemory> {
    let threads = match threads {
        "0" => String::new(),
        n => format!("--threads {n}"),
    };
    // Lines printed, and peak RSS in bytes.
    let measure = |command: &str, calls: u32| -> Option<(u64, u64)> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{BIN} generate --calls {calls} --seed 9 | /usr/bin/time -f '%M' -o /dev/stderr {BIN} {command} --quiet {threads} -"
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let mut lines = 0u64;
        let mut stdout = child.stdout.take()?;
        let mut buf = vec![0; 1 << 16];
        loop {
            let n = stdout.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        let out = child.wait_with_output().ok()?;
        let kib: u64 = String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()?
            .trim()
            .parse()
            .ok()?;
        Some((lines, kib * 1024))
    };
    let grown = |command: &str| -> Option<(u64, u64)> {
        let (_, base) = measure(command, 1)?;
        let (lines, peak) = measure(command, calls)?;
        Some((lines, peak.saturating_sub(base)))
    };
    let (legs, legs_grown) = grown("legs")?;
    let (_, history_grown) = grown("history")?;
    Some(FoldMemory {
        legs,
        legs_grown,
        history_grown,
    })
}
