//! The writer: timestamps as callfold prints them, without allocating.

use chrono::{DateTime, Datelike, SecondsFormat, TimeDelta, Timelike, Utc};

/// Writes a timestamp the way callfold prints them: RFC 3339 in UTC ending in `Z`, with 0, 3, 6 or 9
/// fraction digits, as many as the value needs.
///
/// ```
/// let t = callfold::parse_timestamp("2019-12-27T19:18:20.7210Z")?;
/// assert_eq!(callfold::format_timestamp(&t), "2019-12-27T19:18:20.721Z");
/// # Ok::<(), callfold::TimestampError>(())
/// ```
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    Stamp::of(t).as_str().to_owned()
}

/// Writes a duration for people, to the millisecond below a second and to the tenth of a second below a
/// minute: `780ms`, `5.3s`, `1m04s`, `2h03m15s`.
///
/// ```
/// use callfold::format_duration;
/// use chrono::TimeDelta;
///
/// assert_eq!(format_duration(TimeDelta::milliseconds(64_480)), "1m04s");
/// assert_eq!(format_duration(TimeDelta::milliseconds(-1_100)), "-1.1s");
/// ```
pub fn format_duration(duration: TimeDelta) -> String {
    let ms = duration.num_milliseconds();
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

/// Serializes a time as callfold prints it, for `#[serde(serialize_with)]`.
pub(crate) fn serialize_time<S: serde::Serializer>(
    t: &DateTime<Utc>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(Stamp::of(t).as_str())
}

/// Serializes a duration as [`format_duration`] writes it, for `#[serde(serialize_with)]`.
pub(crate) fn serialize_duration<S: serde::Serializer>(
    d: &TimeDelta,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*d))
}

/// A timestamp written as [`format_timestamp`] writes it, without allocating: the output writes millions.
pub(crate) enum Stamp {
    /// Years 0000 to 9999 without a leap second: written here, at most 30 bytes.
    Short { bytes: [u8; 30], len: u8 },
    /// Anything else, as chrono writes it.
    Long(String),
}

/// A known time as [`Stamp`], for writing a time that may be unknown (`null`).
#[inline]
pub(crate) fn stamp(t: Option<DateTime<Utc>>) -> Option<Stamp> {
    t.as_ref().map(Stamp::of)
}

impl Stamp {
    pub(crate) fn of(t: &DateTime<Utc>) -> Stamp {
        let (date, time) = (t.date_naive(), t.time());
        let nanos = time.nanosecond();
        let Ok(year) = u32::try_from(date.year()) else {
            return Stamp::Long(t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        };
        if year > 9999 || nanos >= 1_000_000_000 {
            return Stamp::Long(t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
        let mut bytes = [0u8; 30];
        let mut len = 0;
        let mut put = |value: u32, width: u32, before: Option<u8>| {
            if let Some(b) = before {
                bytes[len] = b;
                len += 1;
            }
            for i in (0..width).rev() {
                bytes[len] = b'0' + (value / 10u32.pow(i) % 10) as u8;
                len += 1;
            }
        };
        put(year, 4, None);
        put(date.month(), 2, Some(b'-'));
        put(date.day(), 2, Some(b'-'));
        put(time.hour(), 2, Some(b'T'));
        put(time.minute(), 2, Some(b':'));
        put(time.second(), 2, Some(b':'));
        // As chrono's `AutoSi`: as many fraction digits as the value needs, in groups of three.
        if nanos % 1_000_000_000 == 0 {
        } else if nanos % 1_000_000 == 0 {
            put(nanos / 1_000_000, 3, Some(b'.'));
        } else if nanos % 1_000 == 0 {
            put(nanos / 1_000, 6, Some(b'.'));
        } else {
            put(nanos, 9, Some(b'.'));
        }
        bytes[len] = b'Z';
        len += 1;
        Stamp::Short {
            bytes,
            len: len as u8,
        }
    }

    /// Whether the stamp is only digits and separators, which JSON writes as they are.
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        matches!(self, Stamp::Short { .. })
    }

    /// The text's bytes, without checking again that they are UTF-8: for writing.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Stamp::Short { bytes, len } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Stamp::Long(text) => text.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Only ASCII digits and separators were written.
            Stamp::Short { bytes, len } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or("")
            }
            Stamp::Long(text) => text,
        }
    }
}

impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_timestamp;

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// The formatter writes what chrono writes, over every year chrono holds, leap seconds included.
        #[test]
        fn stamps_are_what_chrono_writes(
            seconds in -70_000_000_000i64..300_000_000_000,
            nanos in proptest::prop_oneof![
                proptest::strategy::Just(0u32),
                (0u32..1000).prop_map(|ms| ms * 1_000_000),
                (0u32..1_000_000).prop_map(|us| us * 1000),
                0u32..2_000_000_000,
            ],
        ) {
            if let Some(t) = DateTime::from_timestamp(seconds, nanos) {
                proptest::prop_assert_eq!(
                    format_timestamp(&t),
                    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
                );
            }
        }
    }

    #[test]
    fn stamps_of_the_edges() {
        for text in [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2019-12-27T19:18:20.7Z",
            "2019-12-27T19:18:20.000100Z",
            "2019-12-27T19:18:20.000000001Z",
        ] {
            let t = parse_timestamp(text).unwrap();
            assert_eq!(
                format_timestamp(&t),
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            );
        }
    }

    #[test]
    fn durations_for_people() {
        let ms = |ms| format_duration(TimeDelta::milliseconds(ms));
        assert_eq!(ms(780), "780ms");
        assert_eq!(ms(5_320), "5.3s");
        assert_eq!(ms(64_480), "1m04s");
        assert_eq!(ms(7_395_000), "2h03m15s");
        assert_eq!(ms(-1_100), "-1.1s");
    }
}
