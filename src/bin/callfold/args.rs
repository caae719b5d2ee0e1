//! The flags the subcommands share, and the parsers of their values: what they are, not what they do.

use std::path::PathBuf;

use callfold::{CallId, HistoryOptions, parse_timestamp};
use chrono::{DateTime, TimeDelta, Utc};

/// The FILE arguments and the reading options every subcommand shares.
#[derive(clap::Args)]
pub struct LogArgs {
    /// JSON-lines logs of callback bodies, plain or gzip, read as one log in the order given (rotated
    /// logs in any order give the same result, but with --lateness give them oldest first); `-` reads
    /// standard input, and so does no FILE when it is not a terminal
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// No progress bar (it is shown only when stderr is a terminal and FILE is a file)
    #[arg(long, short)]
    pub quiet: bool,
    /// Reject lines longer than this many bytes, without holding them in memory
    #[arg(long, value_name = "BYTES", default_value_t = callfold::DEFAULT_MAX_LINE)]
    pub max_line: usize,
    /// Write every rejected line, byte for byte, to this file (made anew), to fix and replay
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Only callbacks at or after this RFC 3339 time (a callback's eventTime, or its latest timestamp
    /// without one); the others are checked and counted, not folded
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<DateTime<Utc>>,
    /// Only callbacks before this RFC 3339 time (as --since)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<DateTime<Utc>>,
    /// Only the callbacks of this call: its A-leg's (callId) and its legs' (parentCallId)
    #[arg(long, value_name = "ID", value_parser = parse_call_id)]
    pub call: Option<CallId>,
}

/// `--threads`, for the commands that fold the log.
#[derive(clap::Args)]
pub struct ThreadArgs {
    /// Threads that decode and fold the log [default: one per core]. The result is the same for any
    /// number; --rejects and --lateness read on one thread
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

impl ThreadArgs {
    pub fn threads(&self) -> usize {
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
    /// Judge staleness at this RFC 3339 instant [default: the latest time in the log: the latest
    /// eventTime, and for callbacks without one (the historical shape) their latest timestamp]
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// How long a transferDisconnect may lag: a leg that never answered and was unheard of for longer
    /// than this before --as-of, or an answered leg whose call ended (A-leg disconnect, or a
    /// transferComplete after it answered) longer than this before --as-of, is stale; the default is
    /// the longest callTimeout plus 30 s
    #[arg(long, value_name = "DURATION", default_value = "330s", value_parser = parse_duration)]
    pub stale: TimeDelta,
    /// The longest call assumed: an answered leg talking for longer than this before --as-of is stale
    /// even with no sign that its call ended. An assumption about your traffic: raise it if calls run
    /// longer
    #[arg(long, value_name = "DURATION", default_value = "4h", value_parser = parse_duration)]
    pub max_call: TimeDelta,
}

/// What the commands that build calls share (`history`, `stats`): the log, the history's options, and
/// streaming.
#[derive(clap::Args)]
pub struct CallArgs {
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub threads: ThreadArgs,
    #[command(flatten)]
    pub history: HistoryArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
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
            max_call: self.max_call,
        }
    }
}

pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    parse_timestamp(text).map_err(|e| format!("expected an RFC 3339 timestamp: {e}"))
}

fn parse_call_id(text: &str) -> Result<CallId, String> {
    text.parse().map_err(|e| format!("{e}"))
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
}
