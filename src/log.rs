//! The JSON-lines reader: one callback body per line, each line either used or reported with its number.

use std::io::{self, BufRead};

use thiserror::Error;

use crate::callback::{Callback, DecodeError};

/// Reads a JSON-lines log of callback bodies, and counts what it read.
///
/// Blank lines (empty, or only white space) are skipped and counted. A UTF-8 byte-order mark at the start
/// and a `\r` before each `\n` are ignored, and the last line needs no newline. Every other line yields
/// either a callback or an error with its 1-based line number, so that lines read = callbacks + rejected
/// + blank. An I/O error ends the iteration.
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
#[derive(Debug)]
pub struct LogReader<R> {
    reader: R,
    buf: Vec<u8>,
    counts: Counts,
    done: bool,
}

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
            LogError::Line { line, .. } | LogError::Io { line, .. } => *line,
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
        }
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

impl<R: BufRead> Iterator for LogReader<R> {
    type Item = Result<(u64, Callback), LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    self.counts.lines += 1;
                    let line = self.counts.lines;
                    let mut body = self.buf.as_slice();
                    if line == 1 {
                        body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
                    }
                    body = body.strip_suffix(b"\n").unwrap_or(body);
                    body = body.strip_suffix(b"\r").unwrap_or(body);
                    if body.iter().all(u8::is_ascii_whitespace) {
                        self.counts.blank += 1;
                        continue;
                    }
                    return Some(match Callback::from_slice(body) {
                        Ok(callback) => {
                            self.counts.callbacks += 1;
                            Ok((line, callback))
                        }
                        Err(source) => {
                            self.counts.rejected += 1;
                            Err(LogError::Line { line, source })
                        }
                    });
                }
                Err(source) => {
                    self.done = true;
                    return Some(Err(LogError::Io {
                        line: self.counts.lines,
                        source,
                    }));
                }
            }
        }
        None
    }
}
