//! The reader: Bandwidth's RFC 3339 timestamps, to UTC at nanosecond precision.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

/// A timestamp that is not the RFC 3339 shape Bandwidth sends.
///
/// ```
/// let err = callfold::parse_timestamp("2019-13-01T00:00:00Z").unwrap_err();
/// assert_eq!(err.to_string(), "month 13 is out of range at byte 5");
/// assert_eq!(err.position(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError {
    reason: Reason,
    position: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    Expected(&'static str),
    OutOfRange(&'static str, u32),
    DayOutOfRange,
    TooManyFractionDigits,
    Trailing,
    NotRepresentable,
}

impl TimestampError {
    /// The byte offset in the input where the problem was found.
    ///
    /// ```
    /// let err = callfold::parse_timestamp("2019-12-27 19:18:20Z").unwrap_err();
    /// assert_eq!(err.position(), 10);
    /// ```
    pub fn position(&self) -> usize {
        self.position
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Expected(what) => write!(f, "expected {what}")?,
            Reason::OutOfRange(what, value) => write!(f, "{what} {value} is out of range")?,
            Reason::DayOutOfRange => f.write_str("day is out of range for the month")?,
            Reason::TooManyFractionDigits => f.write_str("more than 9 fraction digits")?,
            Reason::Trailing => f.write_str("unexpected characters after the time zone")?,
            Reason::NotRepresentable => f.write_str("the instant is out of the supported range")?,
        }
        write!(f, " at byte {}", self.position)
    }
}

impl std::error::Error for TimestampError {}

/// Reads one Bandwidth timestamp and normalises it to UTC, keeping nanosecond precision.
///
/// ```
/// use callfold::parse_timestamp;
///
/// let t = parse_timestamp("2019-12-27T19:18:20.721041Z")?;
/// assert_eq!(t.to_rfc3339(), "2019-12-27T19:18:20.721041+00:00");
///
/// // Offsets are normalised to UTC; minute precision is accepted.
/// assert_eq!(parse_timestamp("2022-06-17T17:20-05:00")?, parse_timestamp("2022-06-17T22:20Z")?);
/// # Ok::<(), callfold::TimestampError>(())
/// ```
///
/// # Errors
/// [`TimestampError`] when the text is not RFC 3339 with 0 to 9 fraction digits, or names a date or time
/// that does not exist.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, TimestampError> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = c.digits(4, "a 4-digit year")?;
    c.byte(b'-', "'-' after the year")?;
    let month_at = c.at;
    let month = c.digits(2, "a 2-digit month")?;
    c.byte(b'-', "'-' after the month")?;
    let day_at = c.at;
    let day = c.digits(2, "a 2-digit day")?;
    if !c.eat(b'T') && !c.eat(b't') {
        return Err(c.error(Reason::Expected("'T' between date and time")));
    }
    let hour_at = c.at;
    let hour = c.digits(2, "a 2-digit hour")?;
    c.byte(b':', "':' after the hour")?;
    let minute_at = c.at;
    let minute = c.digits(2, "a 2-digit minute")?;
    let (second_at, second, nanos) = if c.eat(b':') {
        let at = c.at;
        let second = c.digits(2, "a 2-digit second")?;
        (at, second, c.fraction()?)
    } else {
        (c.at, 0, 0)
    };
    let offset_at = c.at;
    let offset_minutes = c.offset()?;
    if c.at != c.bytes.len() {
        return Err(c.error(Reason::Trailing));
    }

    let at = |position, reason| TimestampError { reason, position };
    if year == 0 {
        return Err(at(0, Reason::OutOfRange("year", 0)));
    }
    if !(1..=12).contains(&month) {
        return Err(at(month_at, Reason::OutOfRange("month", month)));
    }
    if hour > 23 {
        return Err(at(hour_at, Reason::OutOfRange("hour", hour)));
    }
    if minute > 59 {
        return Err(at(minute_at, Reason::OutOfRange("minute", minute)));
    }
    if second > 59 {
        return Err(at(second_at, Reason::OutOfRange("second", second)));
    }
    let date = NaiveDate::from_ymd_opt(year.cast_signed(), month, day)
        .ok_or_else(|| at(day_at, Reason::DayOutOfRange))?;
    let local = date
        .and_hms_nano_opt(hour, minute, second, nanos)
        .ok_or_else(|| at(hour_at, Reason::NotRepresentable))?;
    if offset_minutes == 0 {
        // UTC already, as Bandwidth sends: the year is 0001 to 9999 as read.
        return Ok(local.and_utc());
    }
    local
        .checked_sub_signed(TimeDelta::minutes(i64::from(offset_minutes)))
        .filter(|utc| (1..=9999).contains(&utc.year()))
        .map(|utc| utc.and_utc())
        .ok_or_else(|| at(offset_at, Reason::NotRepresentable))
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn error(&self, reason: Reason) -> TimestampError {
        TimestampError {
            reason,
            position: self.at,
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.bytes.get(self.at) == Some(&b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn byte(&mut self, b: u8, what: &'static str) -> Result<(), TimestampError> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.error(Reason::Expected(what)))
        }
    }

    fn digits(&mut self, n: usize, what: &'static str) -> Result<u32, TimestampError> {
        let mut value = 0;
        for i in 0..n {
            match self.bytes.get(self.at + i) {
                Some(d) if d.is_ascii_digit() => value = value * 10 + u32::from(d - b'0'),
                _ => return Err(self.error(Reason::Expected(what))),
            }
        }
        self.at += n;
        Ok(value)
    }

    /// `.` and 1 to 9 digits, as nanoseconds; nothing when there is no `.`.
    fn fraction(&mut self) -> Result<u32, TimestampError> {
        if !self.eat(b'.') {
            return Ok(0);
        }
        let start = self.at;
        let mut nanos = 0u32;
        let mut count = 0;
        while let Some(d) = self.bytes.get(self.at).filter(|d| d.is_ascii_digit()) {
            if count == 9 {
                return Err(TimestampError {
                    reason: Reason::TooManyFractionDigits,
                    position: start,
                });
            }
            nanos = nanos * 10 + u32::from(d - b'0');
            count += 1;
            self.at += 1;
        }
        if count == 0 {
            return Err(self.error(Reason::Expected("a digit after '.'")));
        }
        Ok(nanos * 10u32.pow(9 - count))
    }

    /// `Z`, or `+HH:MM` / `+HHMM` (and `-`), as minutes east of UTC.
    fn offset(&mut self) -> Result<i32, TimestampError> {
        if self.eat(b'Z') || self.eat(b'z') {
            return Ok(0);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return Err(self.error(Reason::Expected("'Z' or a numeric offset like +01:00")));
        };
        let hours_at = self.at;
        let hours = self.digits(2, "a 2-digit offset hour")?;
        self.eat(b':');
        let minutes_at = self.at;
        let minutes = self.digits(2, "2-digit offset minutes")?;
        if hours > 23 {
            return Err(TimestampError {
                reason: Reason::OutOfRange("offset hour", hours),
                position: hours_at,
            });
        }
        if minutes > 59 {
            return Err(TimestampError {
                reason: Reason::OutOfRange("offset minute", minutes),
                position: minutes_at,
            });
        }
        Ok(sign * (hours * 60 + minutes).cast_signed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_timestamp;

    fn utc(text: &str) -> String {
        format_timestamp(&parse_timestamp(text).unwrap())
    }

    fn err(text: &str) -> String {
        parse_timestamp(text).unwrap_err().to_string()
    }

    #[test]
    fn every_fraction_length_from_0_to_9() {
        assert_eq!(utc("2019-12-27T19:18:20Z"), "2019-12-27T19:18:20Z");
        assert_eq!(utc("2019-12-27T19:18:20.7Z"), "2019-12-27T19:18:20.700Z");
        assert_eq!(utc("2019-12-27T19:18:20.72Z"), "2019-12-27T19:18:20.720Z");
        assert_eq!(utc("2019-12-27T19:18:20.721Z"), "2019-12-27T19:18:20.721Z");
        assert_eq!(utc("2019-12-27T19:18:20.7210Z"), "2019-12-27T19:18:20.721Z");
        assert_eq!(
            utc("2019-12-27T19:18:20.72104Z"),
            "2019-12-27T19:18:20.721040Z"
        );
        assert_eq!(
            utc("2019-12-27T19:18:20.721041Z"),
            "2019-12-27T19:18:20.721041Z"
        );
        assert_eq!(
            utc("2019-12-27T19:18:20.7210411Z"),
            "2019-12-27T19:18:20.721041100Z"
        );
        assert_eq!(
            utc("2019-12-27T19:18:20.72104112Z"),
            "2019-12-27T19:18:20.721041120Z"
        );
        assert_eq!(
            utc("2019-12-27T19:18:20.721041123Z"),
            "2019-12-27T19:18:20.721041123Z"
        );
    }

    #[test]
    fn nanoseconds_are_kept() {
        let t = parse_timestamp("2019-12-27T19:18:20.000000001Z").unwrap();
        assert_eq!(t.timestamp_subsec_nanos(), 1);
    }

    #[test]
    fn minute_precision_as_in_the_sdk_tests() {
        assert_eq!(utc("2022-06-17T22:20Z"), "2022-06-17T22:20:00Z");
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        assert_eq!(
            utc("2019-12-27T19:18:20.721+00:00"),
            "2019-12-27T19:18:20.721Z"
        );
        assert_eq!(
            utc("2019-12-27T14:18:20.721-05:00"),
            "2019-12-27T19:18:20.721Z"
        );
        assert_eq!(
            utc("2019-12-27T14:18:20.721-0500"),
            "2019-12-27T19:18:20.721Z"
        );
        assert_eq!(utc("2019-12-28T01:03:20+05:45"), "2019-12-27T19:18:20Z");
        assert_eq!(utc("2019-12-27T19:18:20+0000"), "2019-12-27T19:18:20Z");
        assert_eq!(utc("2019-12-27T19:18:20-00:00"), "2019-12-27T19:18:20Z");
        // Crossing a day, a month and a year boundary.
        assert_eq!(utc("2019-12-31T23:30:00-01:00"), "2020-01-01T00:30:00Z");
    }

    #[test]
    fn lower_case_t_and_z_as_rfc_3339_allows() {
        assert_eq!(utc("2019-12-27t19:18:20.721z"), "2019-12-27T19:18:20.721Z");
    }

    #[test]
    fn leap_day_exists_only_in_leap_years() {
        assert_eq!(utc("2020-02-29T00:00:00Z"), "2020-02-29T00:00:00Z");
        assert_eq!(
            err("2019-02-29T00:00:00Z"),
            "day is out of range for the month at byte 8"
        );
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(err(""), "expected a 4-digit year at byte 0");
        assert_eq!(
            err("2019-12-27"),
            "expected 'T' between date and time at byte 10"
        );
        assert_eq!(
            err("2019-12-27 19:18:20Z"),
            "expected 'T' between date and time at byte 10"
        );
        assert_eq!(
            err("2019-12-27T19:18:20"),
            "expected 'Z' or a numeric offset like +01:00 at byte 19"
        );
        assert_eq!(
            err("2019-12-27T19:18:20.Z"),
            "expected a digit after '.' at byte 20"
        );
        assert_eq!(
            err("2019-12-27T19:18:20.1234567890Z"),
            "more than 9 fraction digits at byte 20"
        );
        assert_eq!(
            err("2019-12-27T19:18:20.12345678901234567890Z"),
            "more than 9 fraction digits at byte 20"
        );
        assert_eq!(
            err("2019-13-27T19:18:20Z"),
            "month 13 is out of range at byte 5"
        );
        assert_eq!(
            err("2019-00-27T19:18:20Z"),
            "month 0 is out of range at byte 5"
        );
        assert_eq!(
            err("2019-12-32T19:18:20Z"),
            "day is out of range for the month at byte 8"
        );
        assert_eq!(
            err("2019-12-27T24:00:00Z"),
            "hour 24 is out of range at byte 11"
        );
        assert_eq!(
            err("2019-12-27T19:60:00Z"),
            "minute 60 is out of range at byte 14"
        );
        assert_eq!(
            err("2019-12-27T23:59:60Z"),
            "second 60 is out of range at byte 17"
        );
        assert_eq!(
            err("2019-12-27T19:18:20+24:00"),
            "offset hour 24 is out of range at byte 20"
        );
        assert_eq!(
            err("2019-12-27T19:18:20+01:60"),
            "offset minute 60 is out of range at byte 23"
        );
        assert_eq!(
            err("2019-12-27T19:18:20+1"),
            "expected a 2-digit offset hour at byte 20"
        );
        assert_eq!(
            err("2019-12-27T19:18:20Zjunk"),
            "unexpected characters after the time zone at byte 20"
        );
        assert_eq!(
            err("99999-12-27T19:18:20Z"),
            "expected '-' after the year at byte 4"
        );
        assert_eq!(
            err("2019-09-13-16:48:27.198Z"),
            "expected 'T' between date and time at byte 10"
        );
        assert_eq!(
            err("１９１９-12-27T19:18:20Z"),
            "expected a 4-digit year at byte 0"
        );
    }

    #[test]
    fn extreme_years_within_rfc_3339_are_representable() {
        assert_eq!(utc("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00Z");
        // Year 0 is 1 BC in ISO 8601: no Bandwidth clock writes it.
        assert_eq!(
            err("0000-01-01T00:00:00Z"),
            "year 0 is out of range at byte 0"
        );
        assert_eq!(
            utc("9999-12-31T23:59:59.999999999Z"),
            "9999-12-31T23:59:59.999999999Z"
        );
        // Normalising must not leave the years RFC 3339 can write.
        assert_eq!(
            err("0001-01-01T00:00:00+23:59"),
            "the instant is out of the supported range at byte 19"
        );
        assert_eq!(
            err("9999-12-31T23:59:59-00:01"),
            "the instant is out of the supported range at byte 19"
        );
    }
}
