//! The CSV call-detail record of `callfold history --format csv`: one row per leg, each column's name and
//! value written once, in [`columns!`].

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::fold::{Conflict, Leg, Violation};
use crate::history::{Attempt, Call, Placed};
use crate::time::format_timestamp;

/// A leg as a CSV row sees it: the leg, where its call placed it, and the call.
struct Row<'r, 'a> {
    call: &'r Call<'a>,
    attempt: &'r Attempt<'a>,
    placed: &'r Placed<'a>,
}

impl<'a> Row<'_, 'a> {
    fn leg(&self) -> &'a Leg {
        self.placed.leg
    }
}

/// Declares the columns, each as `"name" => value` (a value of `row` that turns into a `Cow<str>`): the
/// header and the row are both made from this one list.
macro_rules! columns {
    (|$row:ident| { $($name:literal => $value:expr,)* }) => {
        /// How many columns there are.
        const COLUMNS: usize = [$($name),*].len();

        impl<'a> Call<'a> {
            /// The header of the CSV call-detail records of [`csv_rows`](Call::csv_rows).
            ///
            /// ```
            /// assert_eq!(callfold::Call::CSV_HEADER[..3], ["call_id", "parent_call_id", "attempt"]);
            /// ```
            pub const CSV_HEADER: [&'static str; COLUMNS] = [$($name),*];

            /// The call's CSV call-detail records: one row per leg, attempt by attempt, each with the
            /// columns of [`CSV_HEADER`](Call::CSV_HEADER). Absent values are empty; times are written
            /// as callfold prints them; violations (their codes) and conflicts (their fields) are
            /// joined by `;`; `stale` and `winner` are `true` or `false`. Columns are only ever added at
            /// the end, so that readers that index them keep working.
            ///
            /// ```
            /// let mut history = callfold::History::new();
            /// history.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","parentCallId":"c-a","cause":"busy",
            ///     "startTime":"2026-11-23T14:00:01Z","endTime":"2026-11-23T14:00:02Z"}"#.parse()?);
            /// let calls = history.calls(&Default::default());
            /// let rows: Vec<_> = calls[0].csv_rows().collect();
            /// assert_eq!(rows.len(), 1);
            /// assert_eq!(rows[0][..8], ["c-b", "c-a", "1", "", "", "ended", "busy", "busy"]);
            /// assert_eq!(rows[0][13], "1000"); // ring_ms
            /// # Ok::<(), callfold::DecodeError>(())
            /// ```
            pub fn csv_rows(&self) -> impl Iterator<Item = [Cow<'a, str>; COLUMNS]> + '_ {
                self.attempts.iter().flat_map(move |attempt| {
                    attempt.legs.iter().map(move |placed| {
                        let $row = Row { call: self, attempt, placed };
                        [$(Cow::from($value)),*]
                    })
                })
            }
        }
    };
}

columns! {
    |row| {
        "call_id" => row.leg().call_id().as_str(),
        "parent_call_id" => row.call.call_id.map_or("", |id| id.as_str()),
        "attempt" => row.attempt.number.to_string(),
        "transfer_to" => row.leg().transfer_to().unwrap_or(""),
        "transfer_caller_id" => row.leg().transfer_caller_id().unwrap_or(""),
        "state" => row.leg().state().as_str(),
        "outcome" => row.leg().outcome().map_or("", |o| o.as_str()),
        "cause" => row.leg().cause().map_or("", |c| c.as_str()),
        "enqueued_time" => time(row.leg().enqueued_time()),
        "start_time" => time(row.leg().start_time()),
        "answer_time" => time(row.leg().answer_time()),
        "end_time" => time(row.leg().end_time()),
        "queue_ms" => number(row.leg().queue_ms()),
        "ring_ms" => number(row.leg().ring_ms()),
        "talk_ms" => number(row.leg().talk_ms()),
        "tag" => row.leg().tag().unwrap_or(""),
        "error_message" => row.leg().error_message().unwrap_or(""),
        "violations" => joined(row.leg().violations().iter().map(Violation::code)),
        "stale" => if row.placed.stale.is_some() { "true" } else { "false" },
        "stale_reason" => row.placed.stale.map_or("", |s| s.reason.code()),
        "conflicts" => joined(row.leg().conflicts().iter().map(Conflict::field)),
        "call_outcome" => row.call.outcome.as_str(),
        "from" => row.call.from.unwrap_or(""),
        "to" => row.call.to.unwrap_or(""),
        "winner" => if row.attempt.winner == Some(row.leg().call_id()) { "true" } else { "false" },
    }
}

/// A time as callfold prints it, or empty.
fn time(t: Option<DateTime<Utc>>) -> String {
    t.as_ref().map(format_timestamp).unwrap_or_default()
}

/// A number, or empty.
fn number(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// Texts joined by `;`.
fn joined<'t>(texts: impl Iterator<Item = &'t str>) -> String {
    texts.collect::<Vec<_>>().join(";")
}
