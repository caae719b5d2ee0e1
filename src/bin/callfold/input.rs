//! What the subcommands share: opening the input, folding the log, writing the output, reporting errors.

use std::error::Error;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};

use callfold::{
    Call, Callback, Counts, History, HistoryOptions, Leg, LogError, LogReader, Stop,
    StreamingHistory, parse_timestamp,
};
use chrono::{DateTime, TimeDelta, Utc};
use flate2::bufread::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};

/// Why a command could not finish: exit code 2, or a quiet stop on a closed pipe.
#[derive(Debug)]
pub enum Failure {
    /// The input could not be opened or read.
    Input { name: String, source: io::Error },
    /// Standard output failed for another reason than a closed pipe.
    Output(io::Error),
    /// The rejects file could not be made or written.
    Rejects { name: String, source: io::Error },
    /// Standard output was closed by the reader.
    BrokenPipe,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Input { name, source } => write!(f, "cannot read {name}: {source}"),
            Failure::Output(source) => write!(f, "cannot write the output: {source}"),
            Failure::Rejects { name, source } => {
                write!(f, "cannot write the rejected lines to {name}: {source}")
            }
            Failure::BrokenPipe => f.write_str("output closed"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Output(e)
        }
    }
}

impl From<csv::Error> for Failure {
    fn from(e: csv::Error) -> Failure {
        match e.into_kind() {
            csv::ErrorKind::Io(e) => Failure::from(e),
            other => Failure::Output(io::Error::other(format!("{other:?}"))),
        }
    }
}

/// The FILE argument and the reading options every subcommand shares.
#[derive(clap::Args)]
pub struct LogArgs {
    /// JSON-lines log of callback bodies, plain or gzip; `-` or nothing reads standard input
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// No progress bar (it is shown only when stderr is a terminal and FILE is a file)
    #[arg(long, short)]
    pub quiet: bool,
    /// Reject lines longer than this many bytes, without holding them in memory
    #[arg(long, value_name = "BYTES", default_value_t = callfold::DEFAULT_MAX_LINE)]
    pub max_line: usize,
    /// Write every rejected line, byte for byte, to this file (made anew), to fix and replay
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Threads that decode and fold the log [default: one per core]. The result is the same for any
    /// number; --rejects and --lateness read on one thread
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

impl LogArgs {
    fn threads(&self) -> usize {
        self.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, usize::from),
            usize::from,
        )
    }
}

/// The options of the history projection, shared by `history`, `stats` and `check`.
#[derive(clap::Args)]
pub struct HistoryArgs {
    /// Legs of one call that start within this window ring together: one <Transfer>
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub attempt_window: TimeDelta,
    /// Judge staleness at this RFC 3339 instant [default: the latest eventTime in the log]
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// A leg not ended and unheard of for longer than this before --as-of is stale (its
    /// transferDisconnect is missing); the default is the longest callTimeout plus 30 s
    #[arg(long, value_name = "DURATION", default_value = "330s", value_parser = parse_duration)]
    pub stale: TimeDelta,
}

/// `--lateness`, for the commands that can stream.
#[derive(clap::Args)]
pub struct StreamArgs {
    /// Stream: emit a call once the log's time is this far past its last leg's end, and forget it, so
    /// memory follows the calls in flight; callbacks later than that are reported as `line N: late for
    /// call …`. Without it, everything stays in memory and results are exact
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lateness: Option<TimeDelta>,
}

impl HistoryArgs {
    pub fn options(&self) -> HistoryOptions {
        HistoryOptions {
            attempt_window: self.attempt_window,
            as_of: self.as_of,
            stale_after: self.stale,
        }
    }
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    parse_timestamp(text).map_err(|e| format!("expected an RFC 3339 timestamp: {e}"))
}

/// A duration such as `2s`, `330s`, `5m30s`, `1h`, `500ms` or `1.5s`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let bad = || format!("{text:?} is not a duration like 2s, 500ms, 5m30s or 1h");
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return millis_delta(seconds * 1_000.0).ok_or_else(bad);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            _ => return Err(bad()),
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    millis_delta(total).ok_or_else(bad)
}

#[allow(clippy::cast_possible_truncation)] // bounded just below
fn millis_delta(ms: f64) -> Option<TimeDelta> {
    (ms.is_finite() && (0.0..1e15).contains(&ms))
        .then(|| TimeDelta::milliseconds(ms.round() as i64))
}

/// The log to read: a file, or standard input for `-` or no argument; gzip is recognised by its magic
/// bytes, so a `.gz` file or a compressed pipe both work.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn BufRead>,
    progress: Option<ProgressBar>,
}

impl Input {
    pub fn open(args: &LogArgs) -> Result<Input, Failure> {
        let path = args.file.as_deref().filter(|p| *p != Path::new("-"));
        let Some(path) = path else {
            return Input::decompressed(
                "standard input".to_owned(),
                Box::new(io::stdin().lock()),
                None,
            );
        };
        let name = path.display().to_string();
        let fail = |source| Failure::Input {
            name: name.clone(),
            source,
        };
        if path.is_dir() {
            return Err(fail(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )));
        }
        let file = File::open(path).map_err(fail)?;
        let progress = (!args.quiet && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(file.metadata().map_or(0, |m| m.len()));
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        let raw: Box<dyn Read> = match &progress {
            Some(bar) => Box::new(bar.wrap_read(file)),
            None => Box::new(file),
        };
        Input::decompressed(
            name,
            Box::new(BufReader::with_capacity(1 << 16, raw)),
            progress,
        )
    }

    fn decompressed(
        name: String,
        mut reader: Box<dyn BufRead>,
        progress: Option<ProgressBar>,
    ) -> Result<Input, Failure> {
        let gzip = reader
            .fill_buf()
            .map_err(|source| Failure::Input {
                name: name.clone(),
                source,
            })?
            .starts_with(&[0x1f, 0x8b]);
        if gzip {
            reader = Box::new(BufReader::with_capacity(
                1 << 16,
                MultiGzDecoder::new(reader),
            ));
        }
        Ok(Input {
            name,
            reader,
            progress,
        })
    }
}

/// An opened log: its reader (with the rejects file if asked) and progress bar.
struct OpenLog {
    name: String,
    log: LogReader<Box<dyn BufRead>>,
    progress: Option<ProgressBar>,
    rejects_name: String,
}

impl OpenLog {
    fn new(args: &LogArgs) -> Result<OpenLog, Failure> {
        let Input {
            name,
            reader,
            progress,
        } = Input::open(args)?;
        let mut log = LogReader::new(reader).with_max_line(args.max_line);
        let rejects_name = args
            .rejects
            .as_deref()
            .map_or(String::new(), |p| p.display().to_string());
        if let Some(path) = &args.rejects {
            let file = File::create(path).map_err(|source| Failure::Rejects {
                name: rejects_name.clone(),
                source,
            })?;
            log = log.with_rejects(file);
        }
        Ok(OpenLog {
            name,
            log,
            progress,
            rejects_name,
        })
    }

    /// The failure for an error that ends the reading.
    fn failure(&self, error: LogError) -> Failure {
        match error {
            LogError::Rejects { source, .. } => Failure::Rejects {
                name: self.rejects_name.clone(),
                source,
            },
            other => read_failure(&self.name, other),
        }
    }

    /// Reports a bad line, above the progress bar if there is one.
    fn report(
        progress: Option<&ProgressBar>,
        bad_line: &mut impl FnMut(&LogError) -> Result<(), Failure>,
        error: &LogError,
    ) -> Result<(), Failure> {
        match progress {
            Some(bar) => bar.suspend(|| bad_line(error)),
            None => bad_line(error),
        }
    }

    fn finish(self) -> Counts {
        if let Some(bar) = self.progress {
            bar.finish_and_clear();
        }
        self.log.counts()
    }
}

/// Reads the log, giving each callback (with its line number) to `callback` and each line that is not
/// one to `bad_line`.
pub fn read_log(
    args: &LogArgs,
    mut callback: impl FnMut(u64, &Callback) -> Result<(), Failure>,
    mut bad_line: impl FnMut(&LogError) -> Result<(), Failure>,
) -> Result<Counts, Failure> {
    let mut open = OpenLog::new(args)?;
    while let Some(item) = open.log.next() {
        match item {
            Ok((line, cb)) => callback(line, &cb)?,
            Err(error @ (LogError::Line { .. } | LogError::TooLong { .. })) => {
                OpenLog::report(open.progress.as_ref(), &mut bad_line, &error)?;
            }
            Err(error) => return Err(open.failure(error)),
        }
    }
    Ok(open.finish())
}

/// Folds the whole log into a history, on `--threads` threads.
pub fn read_history(
    args: &LogArgs,
    bad_line: impl FnMut(&LogError) -> Result<(), Failure>,
) -> Result<(History, Counts), Failure> {
    replay_with(args, bad_line, |log, threads, report| {
        History::replay(log, threads, report)
    })
}

/// Folds the legs of the whole log, and nothing else, on `--threads` threads: sorted by `callId`.
pub fn read_legs(
    args: &LogArgs,
    bad_line: impl FnMut(&LogError) -> Result<(), Failure>,
) -> Result<(Vec<Leg>, Counts), Failure> {
    replay_with(args, bad_line, |log, threads, report| {
        Leg::replay(log, threads, report)
    })
}

/// Opens the log and runs `replay` on it (`History::replay` or `Leg::replay`), with bad lines reported
/// above the progress bar.
fn replay_with<T>(
    args: &LogArgs,
    mut bad_line: impl FnMut(&LogError) -> Result<(), Failure>,
    replay: impl FnOnce(
        &mut LogReader<Box<dyn BufRead>>,
        usize,
        &mut dyn FnMut(&LogError) -> Result<(), Failure>,
    ) -> Result<T, Stop<Failure>>,
) -> Result<(T, Counts), Failure> {
    let mut open = OpenLog::new(args)?;
    let progress = open.progress.clone();
    let replayed = replay(&mut open.log, args.threads(), &mut |error| {
        OpenLog::report(progress.as_ref(), &mut bad_line, error)
    });
    match replayed {
        Ok(folded) => Ok((folded, open.finish())),
        Err(Stop::Report(failure)) => Err(failure),
        Err(Stop::Log(error)) => Err(open.failure(error)),
    }
}

/// Gives every call of the log to `on_call`: after the whole log (exact), or, with `--lateness`, as each
/// call is over (streaming; late callbacks go to stderr as `line N: late for call …`). Returns what was
/// read, and whether a callback was late.
pub fn for_each_call(
    log: &LogArgs,
    history: &HistoryArgs,
    stream: &StreamArgs,
    mut on_call: impl FnMut(&Call<'_>) -> Result<(), Failure>,
) -> Result<(Counts, bool), Failure> {
    let options = history.options();
    let Some(lateness) = stream.lateness else {
        let (history, counts) = read_history(log, to_stderr)?;
        let calls = history.calls(&options);
        for call in &calls {
            on_call(call)?;
        }
        drop(calls);
        exit_without_freeing(history);
        return Ok((counts, false));
    };
    let mut stream = StreamingHistory::new(lateness, options);
    let mut late = false;
    let counts = read_log(
        log,
        |line, callback| {
            if let Err(error) = stream.apply(callback) {
                eprintln!("line {line}: {error}");
                late = true;
            }
            stream.emit_due(&mut on_call)
        },
        to_stderr,
    )?;
    stream.finish(on_call)?;
    Ok((counts, late))
}

/// [`for_each_call`] for output: turns chunks of calls into `T` with `map` and gives those to `each` in
/// order. After the whole log, the calls are built and mapped on `--threads` threads; with
/// `--lateness`, each call is mapped as it is emitted.
pub fn map_calls<T: Send>(
    log: &LogArgs,
    history: &HistoryArgs,
    stream: &StreamArgs,
    map: impl Fn(&[Call<'_>]) -> T + Sync,
    mut each: impl FnMut(T) -> Result<(), Failure>,
) -> Result<(Counts, bool), Failure> {
    if stream.lateness.is_some() {
        return for_each_call(log, history, stream, |call| {
            each(map(std::slice::from_ref(call)))
        });
    }
    let (whole, counts) = read_history(log, to_stderr)?;
    whole.map_calls(&history.options(), log.threads(), map, each)?;
    exit_without_freeing(whole);
    Ok((counts, false))
}

/// Leaves what a whole log folded into (a history, the legs) to the operating system, which takes a
/// process's memory back at once: freeing millions of small allocations one by one takes about as long
/// as reading the log. Only for what lives until the process exits.
pub fn exit_without_freeing<T>(folded: T) {
    std::mem::forget(folded);
}

/// The failure for a read error in the middle of the log named `name`.
fn read_failure(name: &str, error: LogError) -> Failure {
    let source = match error {
        LogError::Io { source, .. } => source,
        other => io::Error::other(chain(&other)),
    };
    Failure::Input {
        name: name.to_owned(),
        source,
    }
}

/// An error and its sources, joined by ": ", as one line.
pub fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// A bad line reported on stderr (for the commands whose stdout is data).
#[allow(clippy::unnecessary_wraps)] // the shape `read_log` takes
pub fn to_stderr(error: &LogError) -> Result<(), Failure> {
    eprintln!("{}", chain(error));
    Ok(())
}

/// Standard output, buffered.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// A duration for people: `780ms`, `5.3s`, `1m04s`, `2h03m15s`; `-` for none.
pub fn human_ms(ms: Option<i64>) -> String {
    let Some(ms) = ms else { return "-".to_owned() };
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1_000 % 60);
    if ms < 1_000 {
        format!("{sign}{ms}ms")
    } else if ms < 60_000 {
        format!("{sign}{s}.{}s", ms % 1_000 / 100)
    } else if ms < 3_600_000 {
        format!("{sign}{m}m{s:02}s")
    } else {
        format!("{sign}{h}h{m:02}m{s:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_people_write() {
        let ms = |t: &str| parse_duration(t).map(|d| d.num_milliseconds());
        assert_eq!(ms("2s"), Ok(2_000));
        assert_eq!(ms("330"), Ok(330_000));
        assert_eq!(ms("1.5s"), Ok(1_500));
        assert_eq!(ms("5m30s"), Ok(330_000));
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms("1h"), Ok(3_600_000));
        assert_eq!(
            ms("2x"),
            Err("\"2x\" is not a duration like 2s, 500ms, 5m30s or 1h".to_owned())
        );
        assert!(ms("-1s").is_err());
        assert!(ms("s").is_err());
        assert!(ms("").is_err());
    }

    #[test]
    fn durations_for_people() {
        assert_eq!(human_ms(None), "-");
        assert_eq!(human_ms(Some(780)), "780ms");
        assert_eq!(human_ms(Some(5_320)), "5.3s");
        assert_eq!(human_ms(Some(64_480)), "1m04s");
        assert_eq!(human_ms(Some(7_395_000)), "2h03m15s");
        assert_eq!(human_ms(Some(-1_100)), "-1.1s");
    }
}
