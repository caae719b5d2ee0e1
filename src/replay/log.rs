//! The JSON-lines reader: one callback body per line, each line either used or reported with its number.

use std::fmt;
use std::io::{self, BufRead, Write};
use std::ops::Range;

use thiserror::Error;

use super::filter::Filter;
use crate::decode::{Callback, DecodeError, Fields};

/// Reads a JSON-lines log of callback bodies, and counts what it read.
///
/// Blank lines (empty, or only white space) are skipped and counted. A UTF-8 byte-order mark at the start
/// and a `\r` before each `\n` are ignored, and the last line needs no newline. Every other line yields
/// either a callback or an error with its 1-based line number, so that lines read = callbacks + rejected
/// + blank. An I/O error ends the iteration.
///
/// A line longer than the maximum (1 MiB unless [set](LogReader::with_max_line)) is rejected without
/// being held in memory. Rejected lines can be copied, byte for byte, to a [sink](LogReader::with_rejects)
/// so that they can be fixed and replayed.
///
/// ```
/// use callfold::LogReader;
///
/// let log = "\u{feff}{\"eventType\":\"transferAnswer\",\"callId\":\"c-b\"}\r\n\n{oops}\n";
/// let mut reader = LogReader::new(log.as_bytes());
/// let items: Vec<_> = reader.by_ref().collect();
/// assert_eq!(items[0].as_ref().unwrap().0, 1);
/// assert_eq!(items[1].as_ref().unwrap_err().line(), 3);
/// let counts = reader.counts();
/// assert_eq!((counts.lines, counts.callbacks, counts.rejected, counts.blank), (3, 1, 1, 1));
/// ```
pub struct LogReader<R> {
    reader: R,
    buf: Vec<u8>,
    counts: Counts,
    done: bool,
    max_line: usize,
    rejects: Option<Box<dyn Write>>,
    filter: Filter,
}

impl<R> fmt::Debug for LogReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogReader")
            .field("counts", &self.counts)
            .field("max_line", &self.max_line)
            .field("rejects", &self.rejects.is_some())
            .finish_non_exhaustive()
    }
}

/// The longest line a [`LogReader`] reads by default: 1 MiB.
///
/// ```
/// assert_eq!(callfold::DEFAULT_MAX_LINE, 1_048_576);
/// ```
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// What a [`LogReader`] has read so far. `lines == callbacks + rejected + blank` always holds.
///
/// ```
/// let counts = callfold::Counts::default();
/// assert_eq!(counts.lines, counts.callbacks + counts.rejected + counts.blank);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lines read.
    pub lines: u64,
    /// Lines decoded into a callback.
    pub callbacks: u64,
    /// Lines that could not be decoded.
    pub rejected: u64,
    /// Empty or white-space lines.
    pub blank: u64,
    /// Of the callbacks, those the reader's [`Filter`] skipped.
    pub filtered: u64,
}

/// A line that could not be read as a callback, or a failed read.
///
/// ```
/// use callfold::LogReader;
///
/// let mut reader = LogReader::new(&b"[1]\n"[..]);
/// let err = reader.next().unwrap().unwrap_err();
/// assert_eq!(err.to_string(), "line 1");
/// assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "expected a JSON object, found an array");
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LogError {
    /// This line is not a callback body.
    #[error("line {line}")]
    Line {
        /// 1-based line number.
        line: u64,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// This line is longer than the maximum; it was skipped without being held.
    #[error("line {line}: {length} bytes, longer than the maximum of {max}")]
    TooLong {
        /// 1-based line number.
        line: u64,
        /// Its length, without the line end.
        length: u64,
        /// The maximum.
        max: usize,
    },
    /// Writing a rejected line to the rejects sink failed; the reader stops.
    #[error("cannot write the rejected line {line}")]
    Rejects {
        /// The line that could not be written.
        line: u64,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Reading failed; the reader stops.
    #[error("read error after line {line}")]
    Io {
        /// The last line read whole.
        line: u64,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl LogError {
    /// The line the error is about (for `Io`, the last line read whole).
    ///
    /// ```
    /// let err = callfold::LogReader::new(&b"\n\nnull"[..]).next().unwrap().unwrap_err();
    /// assert_eq!(err.line(), 3);
    /// ```
    pub fn line(&self) -> u64 {
        match self {
            LogError::Line { line, .. }
            | LogError::TooLong { line, .. }
            | LogError::Rejects { line, .. }
            | LogError::Io { line, .. } => *line,
        }
    }
}

impl<R: BufRead> LogReader<R> {
    /// A reader over a buffered source: a file in a `BufReader`, locked stdin, a byte slice.
    ///
    /// ```
    /// let reader = callfold::LogReader::new(std::io::stdin().lock());
    /// assert_eq!(reader.counts().lines, 0);
    /// ```
    pub fn new(reader: R) -> LogReader<R> {
        LogReader {
            reader,
            buf: Vec::with_capacity(1024),
            counts: Counts::default(),
            done: false,
            max_line: DEFAULT_MAX_LINE,
            rejects: None,
            filter: Filter::default(),
        }
    }

    /// Rejects lines longer than `max_line` bytes (without their line end).
    ///
    /// ```
    /// let log = b"{\"eventType\":\"answer\",\"callId\":\"c\"}\n";
    /// let mut reader = callfold::LogReader::new(&log[..]).with_max_line(10);
    /// let err = reader.next().unwrap().unwrap_err();
    /// assert_eq!(err.to_string(), "line 1: 35 bytes, longer than the maximum of 10");
    /// ```
    #[must_use]
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// Copies every rejected line, byte for byte with its line end, to `sink`.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(Clone, Default)]
    /// struct Shared(Arc<Mutex<Vec<u8>>>);
    /// impl Write for Shared {
    ///     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(buf) }
    ///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
    /// }
    ///
    /// let rejects = Shared::default();
    /// let log = b"{\"eventType\":\"answer\",\"callId\":\"c\"}\r\n{broken\r\n";
    /// let reader = callfold::LogReader::new(&log[..]).with_rejects(rejects.clone());
    /// assert_eq!(reader.count(), 2);
    /// assert_eq!(rejects.0.lock().unwrap().as_slice(), b"{broken\r\n");
    /// ```
    #[must_use]
    pub fn with_rejects(mut self, sink: impl Write + 'static) -> Self {
        self.rejects = Some(Box::new(sink));
        self
    }

    /// Folds only the callbacks `filter` keeps: a replay skips the others after checking them, and
    /// iterating the reader does not yield them; both count them in
    /// [`Counts::filtered`](Counts::filtered).
    ///
    /// ```
    /// use callfold::{Filter, LogReader, parse_timestamp};
    ///
    /// let log = "{\"eventType\":\"initiate\",\"callId\":\"c-1\",\"eventTime\":\"2026-11-23T13:00:00Z\"}\n\
    ///            {\"eventType\":\"initiate\",\"callId\":\"c-2\",\"eventTime\":\"2026-11-23T15:00:00Z\"}\n";
    /// let filter = Filter { until: Some(parse_timestamp("2026-11-23T14:00:00Z")?), ..Filter::default() };
    /// let mut reader = LogReader::new(log.as_bytes()).with_filter(filter);
    /// let ids: Vec<_> = reader.by_ref().map(|item| item.unwrap().1.call_id.to_string()).collect();
    /// assert_eq!(ids, ["c-1"]);
    /// assert_eq!(reader.counts().filtered, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }

    /// What has been read so far.
    ///
    /// ```
    /// let mut reader = callfold::LogReader::new(&b"\n \n"[..]);
    /// assert!(reader.next().is_none());
    /// assert_eq!(reader.counts().blank, 2);
    /// ```
    pub fn counts(&self) -> Counts {
        self.counts
    }
}

/// One line as read: whole in `buf`, or too long and skipped.
enum Read {
    Eof,
    Line,
    TooLong(u64),
}

impl<R: BufRead> LogReader<R> {
    /// Reads one line into `buf` (with its line end), or past it when it is longer than the maximum,
    /// streaming it to the rejects sink instead of holding it.
    fn read_line(&mut self) -> io::Result<Read> {
        self.buf.clear();
        let mut total: u64 = 0;
        let mut too_long = false;
        // The line's last two bytes, across chunks: to tell its line end.
        let mut tail = [0u8; 2];
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let (take, end) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            total += take as u64;
            tail = match chunk[..take] {
                [.., a, b] => [a, b],
                [b] => [tail[1], b],
                [] => tail,
            };
            if !too_long && self.buf.len() + take > self.max_line.saturating_add(2) {
                too_long = true;
                if let Some(sink) = &mut self.rejects {
                    sink.write_all(&self.buf)?;
                }
                self.buf.clear();
            }
            if too_long {
                if let Some(sink) = &mut self.rejects {
                    sink.write_all(&chunk[..take])?;
                }
            } else {
                self.buf.extend_from_slice(&chunk[..take]);
            }
            self.reader.consume(take);
            if end {
                break;
            }
        }
        if total == 0 {
            return Ok(Read::Eof);
        }
        let ending: u64 = match tail {
            [b'\r', b'\n'] if total >= 2 => 2,
            [_, b'\n'] => 1,
            _ => 0,
        };
        let length = total - ending;
        if too_long || length > self.max_line as u64 {
            if let (false, Some(sink)) = (too_long, &mut self.rejects) {
                sink.write_all(&self.buf)?;
            }
            return Ok(Read::TooLong(length));
        }
        Ok(Read::Line)
    }
}

impl<R: BufRead> LogReader<R> {
    /// Reads up to the next line that is not blank, counting what it passes. Gives its number and where
    /// its body (without byte-order mark and line end) is in [`raw`](Self::raw), or the error of a line
    /// too long or of a failed read. The caller decodes the body and calls [`accepted`](Self::accepted)
    /// or [`rejected`](Self::rejected).
    pub(crate) fn next_line(&mut self) -> Option<Result<(u64, Range<usize>), LogError>> {
        while !self.done {
            let read = match self.read_line() {
                Ok(read) => read,
                Err(source) => {
                    self.done = true;
                    return Some(Err(LogError::Io {
                        line: self.counts.lines,
                        source,
                    }));
                }
            };
            let line = self.counts.lines + 1;
            match read {
                Read::Eof => self.done = true,
                Read::TooLong(length) => {
                    self.counts.lines += 1;
                    self.counts.rejected += 1;
                    return Some(Err(LogError::TooLong {
                        line,
                        length,
                        max: self.max_line,
                    }));
                }
                Read::Line => {
                    self.counts.lines += 1;
                    let mut body = 0..self.buf.len();
                    if line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                        body.start = 3;
                    }
                    if self.buf[body.clone()].ends_with(b"\n") {
                        body.end -= 1;
                    }
                    if self.buf[body.clone()].ends_with(b"\r") {
                        body.end -= 1;
                    }
                    if self.buf[body.clone()].iter().all(u8::is_ascii_whitespace) {
                        self.counts.blank += 1;
                        continue;
                    }
                    return Some(Ok((line, body)));
                }
            }
        }
        None
    }

    /// The last line read, as it was, line end included.
    pub(crate) fn raw(&self) -> &[u8] {
        &self.buf
    }

    /// Counts a line whose body was a callback, and whether the filter skipped it.
    pub(crate) fn accepted(&mut self, kept: bool) {
        self.counts.callbacks += 1;
        self.counts.filtered += u64::from(!kept);
    }

    /// Counts callbacks the filter skipped, after [`accepted`](Self::accepted) counted them kept.
    pub(crate) fn skipped(&mut self, callbacks: u64) {
        self.counts.filtered += callbacks;
    }

    /// What the reader folds.
    pub(crate) fn line_filter(&self) -> &Filter {
        &self.filter
    }

    /// Counts a line whose body was not a callback, and copies `raw` (the line as it was) to the rejects
    /// sink. The reader stops if that write fails.
    pub(crate) fn rejected(&mut self, line: u64, raw: &[u8]) -> Result<(), LogError> {
        self.counts.rejected += 1;
        match &mut self.rejects {
            Some(sink) => sink.write_all(raw).map_err(|source| {
                self.done = true;
                LogError::Rejects { line, source }
            }),
            None => Ok(()),
        }
    }

    /// Whether the reader copies rejected lines somewhere.
    pub(crate) fn keeps_rejects(&self) -> bool {
        self.rejects.is_some()
    }
}

impl<R: BufRead> Iterator for LogReader<R> {
    type Item = Result<(u64, Callback), LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (line, body) = match self.next_line()? {
                Ok(found) => found,
                Err(error) => return Some(Err(error)),
            };
            let decoded = Fields::parse(&self.buf[body]).and_then(|fields| {
                fields
                    .view()
                    .map(|view| (self.filter.keeps_view(&view), view.to_callback()))
            });
            return Some(match decoded {
                Ok((false, _)) => {
                    self.accepted(false);
                    continue;
                }
                Ok((true, callback)) => {
                    self.accepted(true);
                    Ok((line, callback))
                }
                Err(source) => {
                    let raw = std::mem::take(&mut self.buf);
                    let result = self.rejected(line, &raw);
                    self.buf = raw;
                    result.and(Err(LogError::Line { line, source }))
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const GOOD: &str = r#"{"eventType":"answer","callId":"c"}"#;

    /// Reads `log` through a 7-byte buffer, so that lines cross many chunks.
    fn read(log: &str, max_line: usize) -> (Vec<String>, Counts, Vec<u8>) {
        let rejects = Shared::default();
        let mut reader = LogReader::new(BufReader::with_capacity(7, log.as_bytes()))
            .with_max_line(max_line)
            .with_rejects(rejects.clone());
        let items = reader
            .by_ref()
            .map(|item| match item {
                Ok((line, cb)) => format!("{line}: {}", cb.call_id),
                Err(e) => e.to_string(),
            })
            .collect();
        let rejected = rejects.0.lock().unwrap().clone();
        (items, reader.counts(), rejected)
    }

    #[test]
    fn long_lines_are_measured_without_their_line_end_and_copied_whole() {
        let long = format!("{{\"tag\":\"{}\"}}", "x".repeat(100));
        let text = format!("{GOOD}\r\n{long}\r\n{GOOD}\n{long}\n{GOOD}\n{long}");
        let (items, counts, rejected) = read(&text, 40);
        assert_eq!(
            items,
            [
                "1: c",
                "line 2: 110 bytes, longer than the maximum of 40",
                "3: c",
                "line 4: 110 bytes, longer than the maximum of 40",
                "5: c",
                "line 6: 110 bytes, longer than the maximum of 40",
            ]
        );
        assert_eq!((counts.lines, counts.callbacks, counts.rejected), (6, 3, 3));
        assert_eq!(
            String::from_utf8(rejected).unwrap(),
            format!("{long}\r\n{long}\n{long}")
        );
    }

    #[test]
    fn a_line_of_exactly_the_maximum_is_read() {
        let (items, _, rejected) = read(&format!("{GOOD}\r\n"), GOOD.len());
        assert_eq!(items, ["1: c"]);
        assert!(rejected.is_empty());
        let (items, _, _) = read(&format!("{GOOD}\r\n"), GOOD.len() - 1);
        assert_eq!(items, ["line 1: 35 bytes, longer than the maximum of 34"]);
    }

    #[test]
    fn rejected_lines_are_copied_byte_for_byte() {
        let text = format!("\u{feff}not json\r\n{GOOD}\n\n  \n[1]");
        let (items, counts, rejected) = read(&text, DEFAULT_MAX_LINE);
        assert_eq!(items.len(), 3);
        assert_eq!(
            (
                counts.lines,
                counts.callbacks,
                counts.rejected,
                counts.blank
            ),
            (5, 1, 2, 2)
        );
        assert_eq!(rejected, "\u{feff}not json\r\n[1]".as_bytes());
    }
}
