//! Reading the log back: as one stream of lines, or as bodies with their positions from a position on.
//! Both stop where the log ended when they were made, so a reader never sees half a batch.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use super::segment::Segment;

/// The segments of a log read one after the other as one JSON-lines stream, up to where the log ended
/// when it was made. From [`EventLog::reader`](crate::EventLog::reader).
///
/// ```
/// use std::io::BufRead;
/// let dir = std::env::temp_dir().join(format!("callfold-doc-segments-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let log = callfold::EventLog::open(&dir, Default::default())?;
/// log.append(b"{}")?;
/// assert_eq!(log.reader()?.lines().count(), 1);
/// # drop(log); std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Segments {
    /// The segments still to read, each with the bytes to read from it.
    files: std::vec::IntoIter<(Segment, u64)>,
    current: Option<BufReader<io::Take<File>>>,
}

impl Segments {
    pub(crate) fn new(segments: &[Segment], last_len: u64) -> io::Result<Segments> {
        let mut files = Vec::with_capacity(segments.len());
        for (i, segment) in segments.iter().enumerate() {
            let len = if i + 1 == segments.len() {
                last_len
            } else {
                segment.path.metadata()?.len()
            };
            files.push((segment.clone(), len));
        }
        Ok(Segments {
            files: files.into_iter(),
            current: None,
        })
    }
}

impl Read for Segments {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Segments {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        loop {
            if self.current.is_none() {
                let Some((segment, len)) = self.files.next() else {
                    return Ok(&[]);
                };
                let file = File::open(&segment.path)?;
                self.current = Some(BufReader::with_capacity(1 << 16, file.take(len)));
            }
            let empty = match &mut self.current {
                Some(reader) => reader.fill_buf()?.is_empty(),
                None => true,
            };
            if !empty {
                break;
            }
            self.current = None;
        }
        match &mut self.current {
            Some(reader) => reader.fill_buf(),
            None => Ok(&[]),
        }
    }

    fn consume(&mut self, amount: usize) {
        if let Some(reader) = &mut self.current {
            reader.consume(amount);
        }
    }
}

/// The byte offset in a segment where its line number `line` (from 0) starts.
pub(crate) fn offset_of_line(path: &std::path::Path, line: u64) -> io::Result<u64> {
    if line == 0 {
        return Ok(0);
    }
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let (mut offset, mut left) = (0u64, line);
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(offset);
        }
        let mut consumed = buf.len();
        for end in memchr::memchr_iter(b'\n', buf) {
            left -= 1;
            if left == 0 {
                consumed = end + 1;
                break;
            }
        }
        offset += consumed as u64;
        reader.consume(consumed);
        if left == 0 {
            return Ok(offset);
        }
    }
}

/// The bodies of a log from a position on, each with its position, up to where the log ended when this
/// was made. From [`EventLog::bodies_from`](crate::EventLog::bodies_from).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("callfold-doc-bodies-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let log = callfold::EventLog::open(&dir, Default::default())?;
/// log.append(b"{}")?;
/// assert_eq!(log.bodies_from(0)?.count(), 1);
/// assert_eq!(log.bodies_from(1)?.count(), 0);
/// # drop(log); std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Bodies {
    lines: Segments,
    /// The position of the next line of `lines`.
    at: u64,
    /// The first position to hand out.
    from: u64,
    /// The position the log had reached.
    end: u64,
    line: Vec<u8>,
}

impl Bodies {
    pub(crate) fn new(
        segments: &[Segment],
        last_len: u64,
        end: u64,
        from: u64,
    ) -> io::Result<Bodies> {
        // Start at the segment holding `from`; segments deleted by retention are simply not there.
        let start = segments
            .partition_point(|s| s.first <= from)
            .saturating_sub(1);
        let at = segments.get(start).map_or(end, |s| s.first);
        Ok(Bodies {
            lines: Segments::new(&segments[start.min(segments.len())..], last_len)?,
            at,
            from,
            end,
            line: Vec::new(),
        })
    }
}

impl Iterator for Bodies {
    type Item = io::Result<(u64, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.at < self.end {
            self.line.clear();
            match self.lines.read_until(b'\n', &mut self.line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => return Some(Err(error)),
            }
            let position = self.at;
            self.at += 1;
            if position >= self.from {
                if self.line.last() == Some(&b'\n') {
                    self.line.pop();
                }
                return Some(Ok((position, std::mem::take(&mut self.line))));
            }
        }
        None
    }
}
