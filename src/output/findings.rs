//! What a leg's callbacks got wrong, as records: a conflict (`field`, `values`, `kept`) and a violation
//! (`code`, `detail`). The live tracker's updates carry them.

use serde::{Serialize, Serializer};

use super::record::{self, Record, Writer};
use crate::fold::{Conflict, Violation};

impl Record for Conflict {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
        out.field("field", self.field())?;
        out.field("values", self.values())?;
        out.field("kept", self.kept())
    }
}

/// `{"field": "endTime", "values": [...], "kept": "..."}`.
///
/// ```
/// let mut leg = callfold::Leg::new("c".parse()?);
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"busy"}"#.parse()?)?;
/// leg.apply(&r#"{"eventType":"transferDisconnect","callId":"c","cause":"hangup"}"#.parse()?)?;
/// assert_eq!(
///     serde_json::to_string(&leg.conflicts()[0])?,
///     r#"{"field":"cause","values":["busy","hangup"],"kept":"busy"}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Serialize for Conflict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        record::serialize(self, s)
    }
}

impl Record for Violation {
    fn fields<W: Writer>(&self, out: &mut W) -> Result<(), W::Error> {
        out.field("code", self.code())?;
        out.field("detail", &self.to_string())
    }
}

/// `{"code": "answered-despite-cause", "detail": "..."}`: the stable code, and the detail
/// `callfold check` prints.
///
/// ```
/// let mut leg = callfold::Leg::new("c".parse()?);
/// leg.apply(&r#"{"eventType":"transferAnswer","callId":"c","direction":"inbound"}"#.parse()?)?;
/// assert_eq!(
///     serde_json::to_string(&leg.violations()[0])?,
///     r#"{"code":"not-outbound","detail":"direction is \"inbound\", expected \"outbound\" on a transfer leg"}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Serialize for Violation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        record::serialize(self, s)
    }
}
