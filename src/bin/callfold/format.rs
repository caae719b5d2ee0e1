//! Output for people and for pipes: buffered standard output, and durations in tables.

use std::io;

use callfold::format_duration;
use chrono::TimeDelta;

/// Standard output, buffered.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// A duration in milliseconds for people (see [`format_duration`]); `-` for none.
pub fn human_ms(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "-".to_owned(),
        |ms| format_duration(TimeDelta::milliseconds(ms)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_duration_is_a_dash() {
        assert_eq!(human_ms(None), "-");
        assert_eq!(human_ms(Some(780)), "780ms");
    }
}
