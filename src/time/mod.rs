//! The RFC 3339 reader Bandwidth's timestamps need.
//!
//! Bandwidth documents its timestamps as RFC 3339 UTC, and every example ends in `Z` with 3 or 6 fraction
//! digits. The SDKs' own tests also feed minute precision (`2022-06-17T22:20Z`). This reader accepts:
//!
//! - `YYYY-MM-DDTHH:MM`, optionally followed by `:SS` and then by `.` with 1 to 9 fraction digits;
//! - `T` or `t` between date and time;
//! - `Z`, `z`, or a numeric offset `+HH:MM`, `-HH:MM`, `+HHMM` or `-HHMM`, which is normalised to UTC.
//!
//! Everything else is an error that says what was expected and at which byte. Leap seconds (`:60`) are
//! rejected: Bandwidth's clocks do not produce them and they would break the ordering checks. So are
//! year 0000 (1 BC in ISO 8601) and an offset that moves the instant out of the years 0001 to 9999.
//!
//! Both halves live here because every stage uses them: the decoder reads timestamps, the fold prints
//! them in conflicts and violations, and the output writes millions of them.

mod parse;
mod print;

pub use parse::{TimestampError, parse_timestamp};
pub(crate) use print::{Stamp, serialize_duration, serialize_time, stamp};
pub use print::{format_duration, format_timestamp};
