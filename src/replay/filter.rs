//! Which callbacks of a log to fold: the others are read, checked and counted, then skipped.

use chrono::{DateTime, Utc};

use crate::decode::{CallId, Callback, View};

/// The callbacks a replay folds: by time, by call, or all of them (the default). A callback it skips is
/// still decoded and checked (a bad line is reported all the same) and counted
/// ([`Counts::filtered`](crate::Counts::filtered)); skipping it before the fold is what makes filtering
/// a large log cheap.
///
/// A callback's time is its `eventTime`, or for one without it (the historical shape) the latest of its
/// own timestamps; a callback with no time at all is skipped by a time bound.
///
/// ```
/// use callfold::{Filter, LogReader, History};
///
/// let log = "{\"eventType\":\"transferAnswer\",\"callId\":\"c-b1\",\"parentCallId\":\"c-a1\"}\n\
///            {\"eventType\":\"transferAnswer\",\"callId\":\"c-b2\",\"parentCallId\":\"c-a2\"}\n";
/// let filter = Filter { call: Some("c-a2".parse()?), ..Filter::default() };
/// let mut reader = LogReader::new(log.as_bytes()).with_filter(filter);
/// let history = History::replay(&mut reader, 1, |_| Ok::<(), ()>(())).unwrap();
/// let ids: Vec<_> = history.legs().map(|leg| leg.call_id().to_string()).collect();
/// assert_eq!(ids, ["c-b2"]);
/// assert_eq!((reader.counts().callbacks, reader.counts().filtered), (2, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only callbacks at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only callbacks before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only the callbacks of this call: its A-leg's (`callId`) and its legs' (`parentCallId`).
    pub call: Option<CallId>,
}

impl Filter {
    /// Whether a replay with this filter folds the callback.
    ///
    /// ```
    /// use callfold::{Callback, Filter, parse_timestamp};
    ///
    /// let filter = Filter { since: Some(parse_timestamp("2026-11-23T14:00:00Z")?), ..Filter::default() };
    /// let early: Callback = r#"{"eventType":"initiate","callId":"c-a","eventTime":"2026-11-23T13:59:59Z"}"#.parse()?;
    /// let late: Callback = r#"{"eventType":"disconnect","callId":"c-a","endTime":"2026-11-23T14:05:00Z"}"#.parse()?;
    /// assert!(!filter.keeps(&early) && filter.keeps(&late));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keeps(&self, callback: &Callback) -> bool {
        self.keeps_view(&View::of(callback))
    }

    /// Whether it keeps every callback.
    pub(crate) fn is_everything(&self) -> bool {
        *self == Filter::default()
    }

    pub(crate) fn keeps_view(&self, v: &View<'_>) -> bool {
        if self.is_everything() {
            return true;
        }
        if let Some(call) = &self.call
            && *call != *v.call_id
            && v.parent_call_id.is_none_or(|parent| *call != *parent)
        {
            return false;
        }
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        v.time().is_some_and(|t| {
            self.since.is_none_or(|since| since <= t) && self.until.is_none_or(|until| t < until)
        })
    }
}
