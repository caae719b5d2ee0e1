//! The files of a data directory: segments named by the position of their first body, the rejects file,
//! and the recovery of a torn last line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The folder of segments inside a data directory.
pub(crate) const SEGMENTS: &str = "segments";
/// The rejects file inside a data directory: bodies that were not callbacks, and torn tails.
pub(crate) const REJECTS: &str = "rejects.jsonl";
/// The lock file that keeps a second writer out of a data directory.
pub(crate) const LOCK: &str = "LOCK";
const SUFFIX: &str = ".jsonl";

/// One segment file: the position of its first body and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub first: u64,
    pub path: PathBuf,
}

/// The segment file name for a segment whose first body has this position: zero-padded, so that the
/// names sort as the positions do.
pub(crate) fn name(first: u64) -> String {
    format!("{first:020}{SUFFIX}")
}

/// The segments of a data directory, by position. Files that are not segments are left alone.
pub(crate) fn list(dir: &Path) -> io::Result<Vec<Segment>> {
    let folder = dir.join(SEGMENTS);
    let mut segments = Vec::new();
    let entries = match fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(segments),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(first) = file_name
            .to_str()
            .and_then(|n| n.strip_suffix(SUFFIX))
            .filter(|n| n.len() == 20 && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
        else {
            continue;
        };
        segments.push(Segment {
            first,
            path: entry.path(),
        });
    }
    segments.sort_by_key(|s| s.first);
    Ok(segments)
}

/// A torn last line found on open: bytes after the last newline of the last segment, written by an
/// append that never returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// The segment it was cut from.
    pub segment: PathBuf,
    /// Where in that segment it started.
    pub offset: u64,
    /// Its bytes, as kept in the rejects file.
    pub bytes: Vec<u8>,
}

/// Finds a torn last line of the segment (bytes after its last newline) and counts the whole lines
/// before it. Returns the lines, the length of the whole lines, and the torn line, which the caller
/// keeps and then [`cut`]s off.
pub(crate) fn recover(path: &Path) -> io::Result<(u64, u64, Option<Torn>)> {
    let mut file = File::open(path)?;
    let mut lines = 0u64;
    let mut last_newline_end = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            last_newline_end = at + i as u64 + 1;
        }
        at += n as u64;
    }
    if last_newline_end == at {
        return Ok((lines, at, None));
    }
    file.seek(SeekFrom::Start(last_newline_end))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok((
        lines,
        last_newline_end,
        Some(Torn {
            segment: path.to_path_buf(),
            offset: last_newline_end,
            bytes,
        }),
    ))
}

/// Cuts a segment back to `len` bytes, durably.
pub(crate) fn cut(path: &Path, len: u64) -> io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_data()
}

/// Makes a new or renamed entry of a folder durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Appends one record to the rejects file of a data directory, durably: the file's new name too.
pub(crate) fn write_reject(dir: &Path, record: &serde_json::Value) -> io::Result<()> {
    let path = dir.join(REJECTS);
    let new = !path.exists();
    let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
    let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
    line.push(b'\n');
    file.write_all(&line)?;
    file.sync_data()?;
    if new {
        sync_dir(dir)?;
    }
    Ok(())
}

/// A body as a JSON value that gives back exactly its bytes: a string when they are UTF-8, base64
/// otherwise.
pub(crate) fn body_value(bytes: &[u8]) -> (&'static str, serde_json::Value) {
    match std::str::from_utf8(bytes) {
        Ok(text) => ("body", serde_json::Value::String(text.to_owned())),
        Err(_) => ("bodyHex", serde_json::Value::String(hex(bytes))),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_as_positions_do() {
        assert!(name(9) < name(10));
        assert_eq!(name(0), "00000000000000000000.jsonl");
    }

    #[test]
    fn bodies_that_are_not_utf8_are_kept_as_hex() {
        assert_eq!(body_value(b"{}").0, "body");
        assert_eq!(
            body_value(&[0xff, 0x00]).1,
            serde_json::Value::String("ff00".into())
        );
    }
}
