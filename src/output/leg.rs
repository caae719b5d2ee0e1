//! The leg record: a line of `callfold legs`, and the leg part of each leg of a `callfold history` call.

use serde::{Serialize, Serializer};

use super::record::{self, Record, Writer};
use crate::decode::Cause;
use crate::fold::{Leg, Outcome, Violation};
use crate::time::stamp;

impl Record for Leg {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
        let conflicts: Vec<String> = self.conflicts().iter().map(ToString::to_string).collect();
        let violations: Vec<&str> = self.violations().iter().map(Violation::code).collect();
        out.field("callId", self.call_id())?;
        out.field("parentCallId", &self.parent_call_id())?;
        out.field("state", self.state().as_str())?;
        out.field("outcome", &self.outcome().map(Outcome::as_str))?;
        out.field("cause", &self.cause().map(Cause::as_str))?;
        out.field("enqueuedTime", &stamp(self.enqueued_time()))?;
        out.field("startTime", &stamp(self.start_time()))?;
        out.field("answerTime", &stamp(self.answer_time()))?;
        out.field("endTime", &stamp(self.end_time()))?;
        out.field("queueMs", &self.queue_ms())?;
        out.field("ringMs", &self.ring_ms())?;
        out.field("talkMs", &self.talk_ms())?;
        out.field("events", &self.events())?;
        out.field("duplicates", &self.duplicates())?;
        out.field("conflicts", &conflicts)?;
        out.field("violations", &violations)
    }
}

impl Leg {
    /// Appends the leg's JSON object, a line of `callfold legs` without its newline, to `out`: the same
    /// bytes as serializing the leg with `serde_json`, written faster.
    ///
    /// ```
    /// let mut leg = callfold::Leg::new("c-b".parse()?);
    /// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"busy","endTime":"2026-11-24T10:00:00Z"}"#.parse()?)?;
    /// let mut out = Vec::new();
    /// leg.write_json(&mut out);
    /// assert_eq!(out, serde_json::to_vec(&leg)?);
    /// assert!(String::from_utf8(out)?.starts_with(r#"{"callId":"c-b","parentCallId":null,"state":"ended""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        record::write_json(self, out);
    }
}

/// The `callfold legs` JSON line: `callId`, `parentCallId`, `state`, `outcome`, `cause`, the four times,
/// `queueMs`, `ringMs`, `talkMs`, `events`, `duplicates`, `conflicts` (as text) and `violations` (codes).
impl Serialize for Leg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        record::serialize(self, s)
    }
}
