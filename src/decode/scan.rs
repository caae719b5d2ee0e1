//! The fast path of the decoder: a scanner for the flat JSON objects Bandwidth sends.
//!
//! A callback body is one object of string and `null` values. For such a body the scanner finds the
//! typed fields' values in one pass, borrowing them from the line, and skips the other fields. Anything
//! else (a backslash escape, a number, a boolean, a nested value, a syntax error, invalid UTF-8) makes it
//! give up, and `serde_json` reads the body instead; so the scanner never decides an error, and its result
//! is the one `serde_json` gives whenever it gives one. `tests/fast_path.rs` checks that on a generated log
//! of a million callbacks and on every documentation example, and the `decode` fuzz target on whatever the
//! fuzzer makes.

use std::borrow::Cow;

use super::escape::first_to_escape;
use super::field::{Field, Fields, Scalar};

/// The typed fields of a flat body, or `None` for the general reader.
pub(crate) fn scan(body: &[u8]) -> Option<Fields<'_>> {
    // One check of the whole line makes every string in it valid UTF-8, so values can be borrowed as
    // `&str`. JSON outside strings is ASCII, so a body that fails here fails in `serde_json` too.
    let text = std::str::from_utf8(body).ok()?;
    let b = text.as_bytes();
    let mut fields = Fields::default();
    let mut i = skip_space(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_space(b, i + 1);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let key_end = string_end(b, i + 1)?;
            let key = &b[i + 1..key_end];
            i = skip_space(b, key_end + 1);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = skip_space(b, i + 1);
            let value = match b.get(i) {
                Some(b'"') => {
                    let end = string_end(b, i + 1)?;
                    let value = text.get(i + 1..end)?;
                    i = end + 1;
                    Scalar::Text(Cow::Borrowed(value))
                }
                Some(b'n') if b[i..].starts_with(b"null") => {
                    i += 4;
                    Scalar::Null
                }
                _ => return None,
            };
            // The last value of a repeated key wins, as in the general reader.
            if let Some(field) = Field::from_name(key) {
                fields.set(field, value);
            }
            i = skip_space(b, i);
            match b.get(i) {
                Some(b',') => i = skip_space(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (skip_space(b, i) == b.len()).then_some(fields)
}

/// The index after JSON white space from `i`.
fn skip_space(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The index of the quote that ends the string whose text starts at `i`, or `None` when the string has a
/// backslash escape or a control character (which JSON forbids raw), or does not end.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    first_to_escape(b, i).filter(|&at| b[at] == b'"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::callback::Callback;
    use crate::decode::de;
    use crate::decode::view::View;

    fn both(body: &str) -> (Option<Callback>, Result<Callback, String>) {
        let fast = scan(body.as_bytes()).map(|f| f.view().map(View::to_callback));
        let serde = de::parse(body.as_bytes())
            .and_then(|f| f.view().map(View::to_callback))
            .map_err(|e| e.to_string());
        (
            fast.map(|r| r.unwrap_or_else(|e| panic!("{body}: {e}"))),
            serde,
        )
    }

    #[test]
    fn flat_bodies_are_scanned_and_agree_with_serde() {
        for body in [
            r#"{"eventType":"transferAnswer","callId":"c-b"}"#,
            r#"  { "eventType" : "transferDisconnect" , "callId":"c-b", "cause":null,"tag":"" }  "#,
            r#"{"eventType":"transferAnswer","callId":"c-b","callId":"c-last","x":"a long unknown value here"}"#,
            "{\"eventType\":\"answer\",\"callId\":\"c-é中\",\"from\":\"+1 (555) ünïcödé 12345678\"}",
            "{\"eventType\":\"answer\",\t\"callId\":\"c\"\r\n}",
        ] {
            let (fast, serde) = both(body);
            assert_eq!(fast.as_ref(), serde.as_ref().ok(), "{body}");
            assert!(fast.is_some(), "{body}");
        }
    }

    #[test]
    fn anything_unusual_goes_to_serde() {
        for body in [
            r#"{"eventType":"answer","callId":"c\"q"}"#,
            r#"{"eventType":"answer","callId":"c","n":1}"#,
            r#"{"eventType":"answer","callId":"c","o":{}}"#,
            r#"{"eventType":"answer","callId":"c","b":true}"#,
            r#"{"eventType":"answer","callId":"c""#,
            r#"{"eventType":"answer","callId":"c"} x"#,
            r#"{"eventType":"answer","callId":"c",}"#,
            r#"{"eventType":"answer","callId":"c\u0001"}"#,
            "{\"eventType\":\"answer\",\"callId\":\"c\u{1}\"}",
            r#"{"eventType":"answer","callId":nullx}"#,
            "[]",
            "",
        ] {
            assert!(scan(body.as_bytes()).is_none(), "{body}");
        }
        assert!(scan(b"{\"callId\":\"\xff\"}").is_none());
    }

    #[test]
    fn the_word_test_finds_every_stop_byte_in_any_position() {
        for at in 0..20 {
            for stop in [b'"', b'\\', 0x00, 0x1f] {
                let mut s = vec![b'a'; 20];
                s[at] = stop;
                let found = string_end(&s, 0);
                assert_eq!(found, (stop == b'"').then_some(at), "{stop:#x} at {at}");
            }
            // With two stops in one word, the first one counts, whatever follows it.
            for later in at + 1..20 {
                for (first, second) in [(b'"', b'\\'), (b'\\', b'"'), (0x00, b'"'), (b'"', 0x01)] {
                    let mut s = vec![b'a'; 20];
                    s[at] = first;
                    s[later] = second;
                    assert_eq!(
                        string_end(&s, 0),
                        (first == b'"').then_some(at),
                        "{first:#x} at {at}, {second:#x} at {later}"
                    );
                }
            }
            // Bytes just around the stops are not stops.
            let s: Vec<u8> = [b'!', b'#', b'[', b']', 0x20, 0x7f, 0xc3].repeat(3);
            assert_eq!(
                string_end(&[s.as_slice(), b"\""].concat(), 0),
                Some(s.len())
            );
        }
    }
}
