//! Writing JSON straight into bytes: the same bytes `serde_json` writes, without its per-byte escaping
//! loop and its many small writes. Writing a history's calls is a large part of `callfold history`'s
//! time.
//!
//! Keys are written as given: callfold's keys are ASCII names that need no escape. A string value that
//! needs none (found eight bytes at a time) is copied whole; any other goes to `serde_json`, so escaping is
//! `serde_json`'s own. Tests compare this writer with `serde_json` on every value type, on texts that need
//! escapes, and on every record of a generated log.

use serde::Serialize;

use crate::decode::{CallId, first_to_escape};
use crate::fold::EndCause;
use crate::time::Stamp;

/// A value of a record: written fast here, and by `serde_json` through its `Serialize`, to the same
/// bytes.
pub(crate) trait Value: Serialize {
    fn write(&self, out: &mut Vec<u8>);
}

/// An object being written: `{` on [`Object::new`], `}` on [`Object::end`].
pub(crate) struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    #[inline]
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Object<'a> {
        out.push(b'{');
        Object { out, first: true }
    }

    /// Writes `"key":value`.
    #[inline]
    pub(crate) fn field(&mut self, key: &str, value: &(impl Value + ?Sized)) {
        value.write(self.key(key));
    }

    /// Writes `"key":` and gives the bytes, for a value to be written after it.
    #[inline]
    pub(crate) fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    #[inline]
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// A list written as a JSON array of the values `each` writes.
#[inline]
pub(crate) fn array<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    each: impl Fn(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

impl Value for str {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        if needs_escape(self.as_bytes()) {
            // Writing a `str` into a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut *out, self);
        } else {
            quoted(self.as_bytes(), out);
        }
    }
}

/// Whether a text has a byte JSON cannot hold raw in a string. A text held as bytes that needs no escape
/// is written from its bytes, without checking them for UTF-8 again.
#[inline]
fn needs_escape(text: &[u8]) -> bool {
    first_to_escape(text, 0).is_some()
}

/// Writes the bytes of a text that needs no escape as a JSON string.
#[inline]
fn quoted(text: &[u8], out: &mut Vec<u8>) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

impl Value for EndCause<'_> {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        self.as_str().write(out);
    }
}

impl Value for String {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        self.as_str().write(out);
    }
}

impl Value for CallId {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        if needs_escape(self.as_bytes()) {
            self.as_str().write(out);
        } else {
            quoted(self.as_bytes(), out);
        }
    }
}

impl Value for Stamp {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        if self.is_plain() {
            quoted(self.as_bytes(), out);
        } else {
            self.as_str().write(out);
        }
    }
}

impl<T: Value + ?Sized> Value for &T {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        (**self).write(out);
    }
}

impl<T: Value> Value for Option<T> {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

impl<T: Value> Value for [T] {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        array(out, self, |out, value| value.write(out));
    }
}

impl<T: Value> Value for Vec<T> {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        self.as_slice().write(out);
    }
}

impl Value for bool {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

impl Value for u64 {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = *self;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[at..]);
    }
}

impl Value for u32 {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        u64::from(*self).write(out);
    }
}

impl Value for usize {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        (*self as u64).write(out);
    }
}

impl Value for i64 {
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        if *self < 0 {
            out.push(b'-');
        }
        self.unsigned_abs().write(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: &(impl Value + ?Sized)) -> String {
        let mut out = Vec::new();
        value.write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let mut texts: Vec<String> = [
            "",
            "+15551112222",
            "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
            "quote \" and backslash \\ inside",
            "exactly eight\"",
            "é ü 中文 😀",
            "\u{7f} is not escaped",
        ]
        .map(String::from)
        .to_vec();
        texts.extend((0u8..0x20).map(|c| format!("ab{}cdefghij", char::from(c))));
        for text in &texts {
            assert_eq!(written(text.as_str()), serde_json::to_string(text).unwrap());
        }
        for n in [0, 9, 10, 99, 100, 12_345, u64::MAX] {
            assert_eq!(written(&n), n.to_string());
        }
        for n in [0, -1, 9, -10, i64::MIN, i64::MAX] {
            assert_eq!(written(&n), n.to_string());
        }
        assert_eq!(written(&u32::MAX), u32::MAX.to_string());
        assert_eq!(written(&usize::MAX), usize::MAX.to_string());
        assert_eq!(written(&true), "true");
        assert_eq!(written(&None::<i64>), "null");
        assert_eq!(written(&vec!["a", "b\"c"]), r#"["a","b\"c"]"#);
        for id in ["c-1", "c-\"quoted\"", "é\u{1}", &"c".repeat(60)] {
            let held: CallId = id.parse().unwrap();
            assert_eq!(written(&held), serde_json::to_string(id).unwrap());
        }
        assert_eq!(written(&Vec::<&str>::new()), "[]");
        let mut out = Vec::new();
        let mut object = Object::new(&mut out);
        object.field("a", &1u32);
        object.field("b", &Some("x"));
        object.end();
        assert_eq!(out, br#"{"a":1,"b":"x"}"#);
    }
}
