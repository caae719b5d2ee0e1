//! The call record: a line of `callfold history --format json`, with its reports, attempts and legs.

use serde::{Serialize, Serializer};

use super::record::{self, Each, Record, Writer};
use crate::decode::Cause;
use crate::history::{Attempt, Call, Placed, TransferComplete};
use crate::time::stamp;

impl Record for Call<'_> {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
        let conflicts: Vec<String> = self.conflicts.iter().map(ToString::to_string).collect();
        out.field("callId", &self.call_id)?;
        out.field("from", &self.from)?;
        out.field("to", &self.to)?;
        out.field("accountId", &self.account_id)?;
        out.field("applicationId", &self.application_id)?;
        out.field("startTime", &stamp(self.start_time))?;
        out.field("answerTime", &stamp(self.answer_time))?;
        out.field("endTime", &stamp(self.end_time))?;
        out.field("cause", &self.cause.map(Cause::as_str))?;
        out.field("outcome", self.outcome.as_str())?;
        out.field("causes", &self.causes())?;
        out.field(
            "transferCompletes",
            &Each(|| self.transfer_completes.iter()),
        )?;
        out.field("attempts", &Each(|| self.attempts.iter()))?;
        out.field(
            "legs",
            &Each(|| {
                self.attempts
                    .iter()
                    .flat_map(|a| a.legs.iter().map(|placed| LegInCall { attempt: a, placed }))
            }),
        )?;
        out.field("conflicts", &conflicts)
    }
}

impl Record for TransferComplete {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
        out.field("eventTime", &stamp(self.event_time))?;
        out.field("cause", &self.cause.as_ref().map(Cause::as_str))?;
        out.field("transferTo", &self.transfer_to)?;
        out.field("transferCallerId", &self.transfer_caller_id)?;
        out.field("errorMessage", &self.error_message)
    }
}

impl Record for Attempt<'_> {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
        let legs: Vec<_> = self.legs.iter().map(|p| p.leg.call_id()).collect();
        out.field("attempt", &self.number)?;
        out.field("legs", &legs)?;
        out.field("winner", &self.winner)?;
        out.field("why", &self.why)
    }
}

/// A leg of a call: the keys of `callfold legs`, then where the call placed it and the leg's own texts.
struct LegInCall<'c, 'a> {
    attempt: &'c Attempt<'a>,
    placed: &'c Placed<'a>,
}

impl Record for LegInCall<'_, '_> {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
        let leg = self.placed.leg;
        leg.fields(out)?;
        out.field("attempt", &self.attempt.number)?;
        out.field("placedBy", &self.placed.placed_by.unusual())?;
        out.field("stale", &self.placed.stale.is_some())?;
        out.field(
            "staleReason",
            &self.placed.stale.as_ref().map(|s| s.reason.code()),
        )?;
        out.field("transferTo", &leg.transfer_to())?;
        out.field("transferCallerId", &leg.transfer_caller_id())?;
        out.field("tag", &leg.tag())?;
        out.field("errorMessage", &leg.error_message())
    }
}

impl Call<'_> {
    /// Appends the call's JSON object, a line of `callfold history` without its newline, to `out`: the
    /// same bytes as serializing the call with `serde_json`, written faster.
    ///
    /// ```
    /// let mut history = callfold::History::new();
    /// history.apply(&r#"{"eventType":"transferAnswer","callId":"c-b","parentCallId":"c-a","tag":"say \"hi\""}"#.parse()?);
    /// let call = &history.calls(&Default::default())[0];
    /// let mut out = Vec::new();
    /// call.write_json(&mut out);
    /// assert_eq!(out, serde_json::to_vec(call)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_json(&self, out: &mut Vec<u8>) {
        record::write_json(self, out);
    }
}

/// The `callfold history --format json` object: the call, its `transferComplete` reports, its attempts,
/// and its legs with the keys of `callfold legs` plus `attempt`, `placedBy`, `stale`, `transferTo`,
/// `transferCallerId`, `tag` and `errorMessage`.
impl Serialize for Call<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        record::serialize(self, s)
    }
}
