//! Inputs as users have them: several files read as one log, a gzip stream cut short, and files in a
//! shape callfold does not read, recognised by their first bytes.

use std::cell::RefCell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// Where each input starts in the log read as one, and the inputs cut short: shared by the reader,
/// which fills it, and the reports, which use it.
#[derive(Debug, Default)]
pub struct Layout {
    /// Each input's name and the line of the whole log its first line is.
    starts: Vec<(String, u64)>,
    /// Inputs whose gzip stream broke off: where, and why.
    pub damages: Vec<Damage>,
}

/// A compressed input that ends before its stream does: read up to there.
#[derive(Debug)]
pub struct Damage {
    pub name: String,
    /// Bytes of log read from it before the damage.
    pub bytes: u64,
    /// The line of the input the damage cut.
    pub line: u64,
    pub error: io::Error,
}

impl Layout {
    /// The input and its own line number for a line of the whole log, when there are several inputs.
    pub fn locate(&self, line: u64) -> Option<(&str, u64)> {
        if self.starts.len() < 2 {
            return None;
        }
        let at = self.starts.partition_point(|(_, start)| *start <= line);
        let (name, start) = self.starts.get(at.checked_sub(1)?)?;
        Some((name, line - start + 1))
    }
}

/// The inputs read one after the other as one log. Each input's last line ends where it ends, with or
/// without a newline, and the lines are counted as they go by, so that a line of the whole log can be
/// told as an input's own.
pub struct Concat {
    inputs: std::vec::IntoIter<(String, Box<dyn BufRead>)>,
    current: Option<Box<dyn BufRead>>,
    /// The next line of the whole log.
    line: u64,
    /// Whether the last byte handed out ended a line.
    at_line_start: bool,
    /// A newline owed between an input that did not end with one and the next.
    owed_newline: bool,
    layout: Rc<RefCell<Layout>>,
}

impl Concat {
    pub fn new(inputs: Vec<(String, Box<dyn BufRead>)>, layout: Rc<RefCell<Layout>>) -> Concat {
        Concat {
            inputs: inputs.into_iter(),
            current: None,
            line: 1,
            at_line_start: true,
            owed_newline: false,
            layout,
        }
    }
}

impl Read for Concat {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Concat {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        loop {
            if self.owed_newline {
                return Ok(b"\n");
            }
            if self.current.is_none() {
                let Some((name, mut input)) = self.inputs.next() else {
                    return Ok(&[]);
                };
                // The log reader skips a byte-order mark at the start of the log; one at the start of
                // a later input is skipped here, so that the order of the inputs does not matter.
                if self.line > 1 && input.fill_buf()?.starts_with(BOM) {
                    input.consume(BOM.len());
                }
                self.layout.borrow_mut().starts.push((name, self.line));
                self.current = Some(input);
            }
            let Some(current) = self.current.as_mut() else {
                return Ok(&[]);
            };
            if current.fill_buf()?.is_empty() {
                self.current = None;
                self.owed_newline = !self.at_line_start;
                continue;
            }
            // Borrowed again: the loop above may have replaced `current`.
            return match self.current.as_mut() {
                Some(current) => current.fill_buf(),
                None => Ok(&[]),
            };
        }
    }

    fn consume(&mut self, amount: usize) {
        if self.owed_newline {
            if amount > 0 {
                self.owed_newline = false;
                self.at_line_start = true;
                self.line += 1;
            }
            return;
        }
        let Some(current) = self.current.as_mut() else {
            return;
        };
        if let Ok(buffered) = current.fill_buf() {
            let consumed = &buffered[..amount.min(buffered.len())];
            self.line += memchr::memchr_iter(b'\n', consumed).count() as u64;
            if let Some(last) = consumed.last() {
                self.at_line_start = *last == b'\n';
            }
        }
        current.consume(amount);
    }
}

/// UTF-8's byte-order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// A decompressing reader whose stream may break off (a log still being written, or rotated): the
/// damage ends the input, as if it ended there, and is kept in the layout to be reported.
pub struct Tolerant<R> {
    inner: R,
    name: String,
    bytes: u64,
    lines: u64,
    /// The stream broke off: it ends here, for good.
    broken: bool,
    layout: Rc<RefCell<Layout>>,
}

impl<R: Read> Tolerant<R> {
    pub fn new(inner: R, name: String, layout: Rc<RefCell<Layout>>) -> Tolerant<R> {
        Tolerant {
            inner,
            name,
            bytes: 0,
            lines: 0,
            broken: false,
            layout,
        }
    }
}

impl<R: Read> Read for Tolerant<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.broken {
            return Ok(0);
        }
        match self.inner.read(out) {
            Ok(n) => {
                self.bytes += n as u64;
                self.lines += memchr::memchr_iter(b'\n', &out[..n]).count() as u64;
                Ok(n)
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Err(error),
            Err(error) => {
                self.broken = true;
                self.layout.borrow_mut().damages.push(Damage {
                    name: self.name.clone(),
                    bytes: self.bytes,
                    line: self.lines + 1,
                    error,
                });
                Ok(0)
            }
        }
    }
}

/// What the first bytes of an input say it is, when it is not a log callfold reads: the hint to give.
pub fn wrong_shape(first: &[u8]) -> Option<String> {
    const COMPRESSED: [(&[u8], &str, &str); 6] = [
        (b"BZh", "bzip2", "bzcat"),
        (b"\xfd7zXZ\x00", "xz", "xzcat"),
        (b"\x28\xb5\x2f\xfd", "zstd", "zstdcat"),
        (b"\x04\x22\x4d\x18", "lz4", "lz4cat"),
        (b"PK\x03\x04", "zip", "unzip -p"),
        (b"7z\xbc\xaf\x27\x1c", "7z", "7z x -so"),
    ];
    for (magic, format, tool) in COMPRESSED {
        if first.starts_with(magic) {
            return Some(format!(
                "a {format} file: callfold reads plain and gzip logs; decompress it first, e.g. `{tool} FILE | callfold ... -`"
            ));
        }
    }
    let text = first.strip_prefix(BOM).unwrap_or(first);
    let mut lines = text.split_inclusive(|&b| b == b'\n');
    let (line, whole) = lines.find_map(|line| {
        let trimmed = line.trim_ascii();
        (!trimmed.is_empty()).then(|| (trimmed, line.ends_with(b"\n")))
    })?;
    let binary = line.first().is_some_and(|b| *b != b'{')
        && (line.contains(&0)
            || line
                .iter()
                .filter(|b| b.is_ascii_control() && !b.is_ascii_whitespace())
                .count()
                * 10
                > line.len());
    if binary {
        return Some(
            "binary data, not a log of JSON lines (one callback body per line)".to_owned(),
        );
    }
    // Only a whole line: a pipe may hand over `{` alone and the rest of its line later.
    if whole && (line == b"{" || line == b"[") {
        return Some(
            "a JSON document spread over lines, not one callback per line: make it one line each, e.g. \
             `jq -c . FILE` (or `jq -c '.[]' FILE` for an array)"
                .to_owned(),
        );
    }
    if line.starts_with(b"[") && line[1..].trim_ascii_start().starts_with(b"{") {
        return Some(
            "a JSON array of callbacks: callfold reads one callback per line; split it, e.g. \
             `jq -c '.[]' FILE`"
                .to_owned(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concat(inputs: &[&str]) -> (String, Rc<RefCell<Layout>>) {
        let layout = Rc::default();
        let inputs = inputs
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let reader: Box<dyn BufRead> = Box::new(io::BufReader::with_capacity(
                    3,
                    io::Cursor::new(text.as_bytes().to_vec()),
                ));
                (format!("f{i}"), reader)
            })
            .collect();
        let mut text = String::new();
        Concat::new(inputs, Rc::clone(&layout))
            .read_to_string(&mut text)
            .unwrap();
        (text, layout)
    }

    #[test]
    fn inputs_are_read_as_one_log_and_each_line_knows_its_input() {
        let (text, layout) = concat(&["a1\na2", "b1\n", "", "c1\nc2\n"]);
        assert_eq!(text, "a1\na2\nb1\nc1\nc2\n");
        let layout = layout.borrow();
        assert_eq!(layout.locate(2), Some(("f0", 2)));
        assert_eq!(layout.locate(3), Some(("f1", 1)));
        assert_eq!(layout.locate(5), Some(("f3", 2)));
    }

    #[test]
    fn shapes_callfold_does_not_read_get_a_hint() {
        let hint =
            |bytes: &[u8]| wrong_shape(bytes).map(|h| h.split(':').next().unwrap_or("").to_owned());
        assert_eq!(hint(b"BZh91AY&SY"), Some("a bzip2 file".into()));
        assert_eq!(hint(b"\x28\xb5\x2f\xfd\x00"), Some("a zstd file".into()));
        assert_eq!(
            hint(b"\x7fELF\x02\x01\x01\x00\x00\x00"),
            Some("binary data, not a log of JSON lines (one callback body per line)".into())
        );
        assert_eq!(
            hint(b"{\n  \"eventType\": \"x\"\n}\n"),
            Some("a JSON document spread over lines, not one callback per line".into())
        );
        assert_eq!(
            hint(b"[{\"eventType\":\"x\"}]"),
            Some("a JSON array of callbacks".into())
        );
        // What the reader reports line by line is not refused here.
        assert_eq!(hint(b"{\"eventType\":\"x\",\"callId\":\"c-\x00\"}\n"), None);
        assert_eq!(hint(b"[]\n\"string\"\n"), None);
        assert_eq!(hint(b""), None);
        // A first line not yet whole (a pipe that sent `{` alone so far) is not judged.
        assert_eq!(hint(b"{"), None);
        assert_eq!(hint(b"\n  [  "), None);
        assert_eq!(
            hint(b"\n[\r\n"),
            Some("a JSON document spread over lines, not one callback per line".into())
        );
    }
}
