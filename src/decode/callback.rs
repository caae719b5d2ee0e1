//! The public callback: one decoded body, its kinds and ending facts.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::de;
use super::error::DecodeError;
use super::field::{Field, Fields};
use super::id::CallId;
use super::open::{Cause, Direction};
use super::view::{Value, View};
use crate::time::Stamp;

/// How a call or leg ended, as `transferDisconnect`, `transferComplete` and `disconnect` report it.
///
/// ```
/// use callfold::{Callback, Cause};
///
/// let cb: Callback = r#"{"eventType":"transferDisconnect","callId":"c-1","cause":"busy",
///                        "errorMessage":"Callee is busy","endTime":"2019-12-27T19:23:39.465Z"}"#.parse()?;
/// let ending = cb.ending().unwrap();
/// assert_eq!(ending.cause, Some(Cause::Busy));
/// assert_eq!(ending.error_message.as_deref(), Some("Callee is busy"));
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Ending {
    /// `endTime`.
    pub end_time: Option<DateTime<Utc>>,
    /// `cause`, verbatim.
    pub cause: Option<Cause>,
    /// `errorMessage`.
    pub error_message: Option<String>,
    /// `errorId`.
    pub error_id: Option<String>,
}

/// The kind of callback (`eventType`), with the facts only that kind carries.
///
/// ```
/// use callfold::{Callback, Event};
///
/// let cb: Callback = r#"{"eventType":"gather","callId":"c-2","parentCallId":"c-1"}"#.parse()?;
/// assert!(matches!(&cb.event, Event::Other { event_type, .. } if event_type == "gather"));
/// assert_eq!(cb.event.name(), "gather");
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// `transferAnswer`: a B-leg answered (its `callId` is the B-leg).
    TransferAnswer,
    /// `transferDisconnect`: a B-leg ended, whatever the reason.
    TransferDisconnect(Ending),
    /// `transferComplete`: a `<Transfer>` is over and the A-leg (its `callId`) is still up.
    TransferComplete(Ending),
    /// `initiate`: an inbound call arrived.
    Initiate,
    /// `answer`: an outbound call made through the REST API was answered.
    Answer,
    /// `disconnect`: a call ended.
    Disconnect(Ending),
    /// `redirect`: a `<Redirect>` ran, or a redirect was requested.
    Redirect,
    /// Any other event type (`gather`, `dtmf`, `bridgeComplete`, one invented next year, ...), kept verbatim
    /// with the ending facts it carried.
    Other {
        /// The `eventType`, verbatim.
        event_type: String,
        /// `endTime`, `cause`, `errorMessage` and `errorId`, if the body had them.
        ending: Ending,
    },
}

impl Event {
    pub(crate) fn new(event_type: &str, ending: Ending) -> Event {
        match event_type {
            "transferAnswer" => Event::TransferAnswer,
            "transferDisconnect" => Event::TransferDisconnect(ending),
            "transferComplete" => Event::TransferComplete(ending),
            "initiate" => Event::Initiate,
            "answer" => Event::Answer,
            "disconnect" => Event::Disconnect(ending),
            "redirect" => Event::Redirect,
            other => Event::Other {
                event_type: other.to_owned(),
                ending,
            },
        }
    }

    /// The `eventType` as Bandwidth spells it.
    ///
    /// ```
    /// assert_eq!(callfold::Event::TransferAnswer.name(), "transferAnswer");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            Event::TransferAnswer => "transferAnswer",
            Event::TransferDisconnect(_) => "transferDisconnect",
            Event::TransferComplete(_) => "transferComplete",
            Event::Initiate => "initiate",
            Event::Answer => "answer",
            Event::Disconnect(_) => "disconnect",
            Event::Redirect => "redirect",
            Event::Other { event_type, .. } => event_type,
        }
    }

    /// The ending facts, for the kinds that carry them.
    ///
    /// ```
    /// assert!(callfold::Event::TransferAnswer.ending().is_none());
    /// ```
    pub fn ending(&self) -> Option<&Ending> {
        match self {
            Event::TransferDisconnect(e) | Event::TransferComplete(e) | Event::Disconnect(e) => {
                Some(e)
            }
            Event::Other { ending, .. } => Some(ending),
            Event::TransferAnswer | Event::Initiate | Event::Answer | Event::Redirect => None,
        }
    }
}

/// One Bandwidth Voice callback body, decoded.
///
/// Every field but `callId` and `eventType` is optional, as in Bandwidth's own schema. Fields that no
/// kind of callback here uses (`machineDetectionResult`, `diversion`, `privacy`, ...) are accepted and not
/// kept.
///
/// # Tolerance
/// The decoder is loose exactly where Bandwidth is loose (spec §2, and `docs/design.md`):
/// - absent, `null` and `""` all mean "no value" for the optional strings and timestamps;
/// - timestamps are read by [`parse_timestamp`](crate::parse_timestamp): RFC 3339 with 0 to 9 fraction
///   digits, any offset (normalised to UTC), minute precision;
/// - `cause`, `direction` and `eventType` are open sets that keep unknown values verbatim
///   ([`Cause::Other`], [`Direction::Other`], [`Event::Other`]);
/// - unknown fields, of any JSON type, are accepted and ignored (nesting deeper than 128 levels is an
///   error with its position);
/// - when a key appears twice, the last value wins, as in `serde_json::Value`.
///
/// A body is rejected ([`DecodeError`]) only when it is not JSON, not an object, has no `callId` or
/// `eventType`, has a known field whose JSON type is not a string, or a timestamp that is not RFC 3339.
///
/// ```
/// use callfold::{Callback, Cause};
///
/// let cb: Callback = r#"{"eventType":"transferDisconnect","callId":"c-b","cause":"carrier-glitch",
///     "tag":"a","tag":"b","errorId":null,"endTime":"2019-12-27T14:19:27.987-05:00","sipResponseCode":486}"#.parse()?;
/// assert_eq!(cb.ending().unwrap().cause, Some(Cause::Other("carrier-glitch".into())));
/// assert_eq!(cb.tag.as_deref(), Some("b"));
/// assert_eq!(cb.to_json(), r#"{"eventType":"transferDisconnect","callId":"c-b","tag":"b","endTime":"2019-12-27T19:19:27.987Z","cause":"carrier-glitch"}"#);
/// # Ok::<(), callfold::DecodeError>(())
/// ```
///
/// # Example
/// ```
/// use callfold::{Callback, Event};
///
/// let cb: Callback = r#"{
///     "eventType": "transferAnswer",
///     "callId": "c-b", "parentCallId": "c-a", "direction": "outbound",
///     "startTime": "2019-06-20T15:54:22.234Z", "answerTime": "2019-06-20T15:54:25.432Z",
///     "tag": "", "enqueuedTime": null
/// }"#.parse()?;
/// assert_eq!(cb.event, Event::TransferAnswer);
/// assert_eq!(cb.parent_call_id.as_ref().map(|id| id.as_str()), Some("c-a"));
/// assert_eq!(cb.tag, None); // "" means no value
/// assert!(cb.is_leg_event());
/// # Ok::<(), callfold::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Callback {
    /// `eventType` and the facts only some kinds carry.
    pub event: Event,
    /// `eventTime`: when Bandwidth made the event. Approximate, and absent from historical payloads.
    pub event_time: Option<DateTime<Utc>>,
    /// `callId`: the B-leg for `transferAnswer`/`transferDisconnect`, the A-leg for `transferComplete`.
    pub call_id: CallId,
    /// `parentCallId`: the A-leg that ran `<Transfer>`, on B-leg callbacks.
    pub parent_call_id: Option<CallId>,
    /// `accountId`.
    pub account_id: Option<String>,
    /// `applicationId`.
    pub application_id: Option<String>,
    /// `from`: on transfer callbacks, the original call's.
    pub from: Option<String>,
    /// `to`: on transfer callbacks, the original call's.
    pub to: Option<String>,
    /// `direction`.
    pub direction: Option<Direction>,
    /// `callUrl`.
    pub call_url: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
    /// `transferCallerId`: the caller id presented on the B-leg.
    pub transfer_caller_id: Option<String>,
    /// `transferTo`: the number (or SIP URI) this B-leg dialled.
    pub transfer_to: Option<String>,
    /// `enqueuedTime`: when the call entered the outbound queue.
    pub enqueued_time: Option<DateTime<Utc>>,
    /// `startTime`: when the call was placed.
    pub start_time: Option<DateTime<Utc>>,
    /// `answerTime`: when the call was answered; absent if it never was.
    pub answer_time: Option<DateTime<Utc>>,
}

impl Callback {
    /// A callback with the given kind and id and no other facts, to fill in with struct update syntax.
    ///
    /// ```
    /// use callfold::{Callback, Event};
    ///
    /// let cb = Callback { tag: Some("vip".into()), ..Callback::new(Event::TransferAnswer, "c-b".parse()?) };
    /// assert_eq!(cb.to_json(), r#"{"eventType":"transferAnswer","callId":"c-b","tag":"vip"}"#);
    /// # Ok::<(), callfold::EmptyCallId>(())
    /// ```
    pub fn new(event: Event, call_id: CallId) -> Callback {
        Callback {
            event,
            event_time: None,
            call_id,
            parent_call_id: None,
            account_id: None,
            application_id: None,
            from: None,
            to: None,
            direction: None,
            call_url: None,
            tag: None,
            transfer_caller_id: None,
            transfer_to: None,
            enqueued_time: None,
            start_time: None,
            answer_time: None,
        }
    }

    /// Decodes one callback body.
    ///
    /// ```
    /// let cb = callfold::Callback::from_slice(br#"{"eventType":"transferDisconnect","callId":"c-1"}"#)?;
    /// assert_eq!(cb.event.name(), "transferDisconnect");
    ///
    /// let err = callfold::Callback::from_slice(br#"{"eventType":"transferDisconnect","callId":7}"#).unwrap_err();
    /// assert_eq!(err.to_string(), "callId: expected a string, found a number");
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    ///
    /// # Errors
    /// [`DecodeError`] when the body is not JSON, not an object, lacks `callId` or `eventType`, has a known
    /// field of another JSON type than string, or a timestamp that is not RFC 3339.
    pub fn from_slice(body: &[u8]) -> Result<Callback, DecodeError> {
        Ok(Fields::parse(body)?.view()?.to_callback())
    }

    /// Decodes and checks one callback body as [`from_slice`](Callback::from_slice) does, without building
    /// the [`Callback`]: the text stays borrowed from `body`, so a plain body costs no allocation. It is
    /// what replaying a log does before folding ([`History::feed`](crate::History::feed)).
    ///
    /// ```
    /// use callfold::Callback;
    ///
    /// assert!(Callback::validate(br#"{"eventType":"transferAnswer","callId":"c-b"}"#).is_ok());
    /// let err = Callback::validate(br#"{"eventType":"transferAnswer","callId":"c-b","startTime":"noon"}"#);
    /// assert_eq!(err.unwrap_err().field(), Some("startTime"));
    /// ```
    ///
    /// # Errors
    /// As [`from_slice`](Callback::from_slice).
    pub fn validate(body: &[u8]) -> Result<(), DecodeError> {
        Fields::parse(body)?.view().map(|_| ())
    }

    /// Decodes one callback body with `serde_json` alone, never with the fast scanner that
    /// [`from_slice`](Callback::from_slice) tries first. It is slower and gives the same result, the same
    /// errors included: it is the reference the fast path is tested against, and callers can check it too.
    ///
    /// ```
    /// use callfold::Callback;
    ///
    /// for body in [&br#"{"eventType":"transferAnswer","callId":"c-b","tag":"\u0041"}"#[..], b"{\"callId\":7}"] {
    ///     assert_eq!(Callback::from_slice_with_serde(body), Callback::from_slice(body));
    /// }
    /// ```
    ///
    /// # Errors
    /// As [`from_slice`](Callback::from_slice).
    pub fn from_slice_with_serde(body: &[u8]) -> Result<Callback, DecodeError> {
        Ok(de::parse(body)?.view()?.to_callback())
    }

    /// The ending facts (`endTime`, `cause`, ...), for the kinds that carry them.
    ///
    /// ```
    /// let cb: callfold::Callback = r#"{"eventType":"transferAnswer","callId":"c-1"}"#.parse()?;
    /// assert!(cb.ending().is_none());
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn ending(&self) -> Option<&Ending> {
        self.event.ending()
    }

    /// True when the callback is about a transfer B-leg, so that it folds into a [`Leg`](crate::Leg):
    /// `transferAnswer` and `transferDisconnect` always (historical payloads lack `parentCallId`), and any
    /// other kind carrying a `parentCallId`, except `transferComplete`, which belongs to the A-leg.
    ///
    /// ```
    /// let complete: callfold::Callback =
    ///     r#"{"eventType":"transferComplete","callId":"c-a","parentCallId":"c-x"}"#.parse()?;
    /// assert!(!complete.is_leg_event());
    /// let redirect: callfold::Callback = r#"{"eventType":"redirect","callId":"c-b","parentCallId":"c-a"}"#.parse()?;
    /// assert!(redirect.is_leg_event());
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn is_leg_event(&self) -> bool {
        match self.event {
            Event::TransferAnswer | Event::TransferDisconnect(_) => true,
            Event::TransferComplete(_) => false,
            Event::Initiate
            | Event::Answer
            | Event::Disconnect(_)
            | Event::Redirect
            | Event::Other { .. } => self.parent_call_id.is_some(),
        }
    }

    /// The callback as a Bandwidth-shaped JSON body: camelCase keys, absent values left out, timestamps in
    /// UTC with `Z`. Decoding it gives back an equal callback.
    ///
    /// ```
    /// let text = r#"{"eventType":"transferDisconnect","callId":"c-1","endTime":"2019-12-27T20:19:27.987+01:00","cause":"hangup"}"#;
    /// let cb: callfold::Callback = text.parse()?;
    /// assert_eq!(cb.to_json(), r#"{"eventType":"transferDisconnect","callId":"c-1","endTime":"2019-12-27T19:19:27.987Z","cause":"hangup"}"#);
    /// assert_eq!(cb.to_json().parse::<callfold::Callback>()?, cb);
    /// # Ok::<(), callfold::DecodeError>(())
    /// ```
    pub fn to_json(&self) -> String {
        // Serialising plain strings and numbers into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl FromStr for Callback {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Callback::from_slice(s.as_bytes())
    }
}

/// The Bandwidth-shaped body: the fields of the table in its order, absent ones left out, timestamps
/// as callfold prints them.
impl Serialize for Callback {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let view = View::of(self);
        let mut map = s.serialize_map(None)?;
        for field in Field::ALL {
            match view.get(field) {
                Some(Value::Text(text)) => map.serialize_entry(field.name(), text)?,
                Some(Value::Time(time)) => map.serialize_entry(field.name(), &Stamp::of(&time))?,
                None => {}
            }
        }
        map.end()
    }
}

/// Decodes with the same rules as [`Callback::from_slice`], so a callback can sit inside the user's own
/// serde types; a [`DecodeError`] becomes the deserializer's custom error.
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct Stored {
///     received_at: String,
///     body: callfold::Callback,
/// }
///
/// let stored: Stored = serde_json::from_str(
///     r#"{"received_at":"today","body":{"eventType":"transferAnswer","callId":"c-b","tag":""}}"#,
/// )?;
/// assert_eq!(stored.body.call_id.as_str(), "c-b");
/// assert_eq!(stored.body.tag, None);
///
/// let err = serde_json::from_str::<Stored>(r#"{"received_at":"today","body":{"eventType":"answer"}}"#);
/// assert!(err.unwrap_err().to_string().starts_with("missing callId"));
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<'de> Deserialize<'de> for Callback {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de::fields(d)?
            .view()
            .map(View::to_callback)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Callback, String> {
        text.parse::<Callback>().map_err(|e| e.to_string())
    }

    const BASE: &str = r#""eventType":"transferDisconnect","callId":"c-b""#;

    fn with(extra: &str) -> Result<Callback, String> {
        decode(&format!("{{{BASE},{extra}}}"))
    }

    #[test]
    fn absent_null_and_empty_string_mean_no_value_for_every_optional_field() {
        let plain = decode(&format!("{{{BASE}}}")).unwrap();
        for field in Field::ALL
            .iter()
            .map(|f| f.name())
            .filter(|f| !matches!(*f, "eventType" | "callId"))
        {
            for empty in ["null", r#""""#] {
                assert_eq!(
                    with(&format!(r#""{field}":{empty}"#)).unwrap(),
                    plain,
                    "{field}: {empty}"
                );
            }
        }
    }

    #[test]
    fn required_fields_that_are_null_or_empty_are_missing() {
        for value in ["null", r#""""#] {
            assert_eq!(
                decode(&format!(r#"{{"eventType":"answer","callId":{value}}}"#)),
                Err("missing callId".into())
            );
            assert_eq!(
                decode(&format!(r#"{{"eventType":{value},"callId":"c"}}"#)),
                Err("missing eventType".into())
            );
        }
        assert_eq!(
            decode(r#"{"eventType":"answer"}"#),
            Err("missing callId".into())
        );
        assert_eq!(
            decode(r#"{"callId":"c-1"}"#),
            Err("missing eventType".into())
        );
    }

    #[test]
    fn wrong_json_types_name_the_field_and_the_type() {
        assert_eq!(
            with(r#""startTime":1577474300721"#),
            Err("startTime: expected a string, found a number".into())
        );
        assert_eq!(
            with(r#""cause":true"#),
            Err("cause: expected a string, found a boolean".into())
        );
        assert_eq!(
            with(r#""tag":["a"]"#),
            Err("tag: expected a string, found an array".into())
        );
        assert_eq!(
            with(r#""parentCallId":{"id":1}"#),
            Err("parentCallId: expected a string, found an object".into())
        );
        // The first in documentation order is reported, whatever the order in the body.
        assert_eq!(
            with(r#""errorId":1,"from":2"#),
            Err("from: expected a string, found a number".into())
        );
    }

    #[test]
    fn bodies_that_are_not_objects() {
        assert_eq!(
            decode("[1,2]"),
            Err("expected a JSON object, found an array".into())
        );
        assert_eq!(
            decode(r#""x""#),
            Err("expected a JSON object, found a string".into())
        );
        assert_eq!(
            decode("42"),
            Err("expected a JSON object, found a number".into())
        );
        assert_eq!(
            decode("null"),
            Err("expected a JSON object, found null".into())
        );
        assert_eq!(
            decode("true"),
            Err("expected a JSON object, found a boolean".into())
        );
    }

    #[test]
    fn json_syntax_errors_keep_serde_json_words_and_the_column() {
        assert_eq!(
            decode(""),
            Err("invalid JSON: EOF while parsing a value at column 0".into())
        );
        assert_eq!(
            decode(r#"{"callId":"c",}"#),
            Err("invalid JSON: trailing comma at column 15".into())
        );
        assert_eq!(
            decode("{}\n{}"),
            Err("invalid JSON: trailing characters at line 2 column 1".into())
        );
    }

    #[test]
    fn bad_timestamps_quote_the_value_and_keep_the_reason_as_source() {
        let err = with(r#""endTime":"2019-09-13-16:48:27.198Z""#).unwrap_err();
        assert_eq!(
            err,
            r#"endTime: expected an RFC 3339 timestamp, found "2019-09-13-16:48:27.198Z""#
        );
        let long = "9".repeat(100);
        let err = with(&format!(r#""eventTime":"{long}""#)).unwrap_err();
        assert_eq!(
            err,
            format!(
                "eventTime: expected an RFC 3339 timestamp, found \"{}…\"",
                "9".repeat(64)
            )
        );
    }

    #[test]
    fn unknown_fields_of_any_type_are_accepted() {
        let cb = with(
            r#""additional_properties":{},"machineDetectionResult":"human","privacy":false,"sipResponseCode":486,
               "diversion":{"origTo":"+1","nested":{"deep":[1,{"x":null}]}}"#,
        )
        .unwrap();
        assert_eq!(cb.call_id.as_str(), "c-b");
    }

    #[test]
    fn open_sets_keep_unknown_values_verbatim_and_write_them_back() {
        let cb = with(r#""cause":"some-new-cause","direction":"sideways""#).unwrap();
        assert_eq!(
            cb.ending().unwrap().cause,
            Some(Cause::Other("some-new-cause".into()))
        );
        assert_eq!(cb.direction, Some(Direction::Other("sideways".into())));
        let again = decode(&cb.to_json()).unwrap();
        assert_eq!(again, cb);
        assert!(cb.to_json().contains(r#""cause":"some-new-cause""#));

        let unknown =
            decode(r#"{"eventType":"transferRinging","callId":"c","cause":"x"}"#).unwrap();
        assert_eq!(unknown.event.name(), "transferRinging");
        assert_eq!(
            unknown.to_json(),
            r#"{"eventType":"transferRinging","callId":"c","cause":"x"}"#
        );
    }

    #[test]
    fn the_last_of_repeated_keys_wins() {
        let cb = with(r#""tag":"first","tag":"second","callId":"c-last""#).unwrap();
        assert_eq!(cb.tag.as_deref(), Some("second"));
        assert_eq!(cb.call_id.as_str(), "c-last");
        // A bad value that is overwritten is not an error; a good one overwritten by a bad one is.
        assert!(with(r#""cause":1,"cause":"busy""#).is_ok());
        assert!(with(r#""cause":"busy","cause":1"#).is_err());
    }

    #[test]
    fn escaped_keys_and_values_are_read() {
        let cb = decode(r#"{"eventType":"transferAnswer","call\u0049d":"c-\u00e9","tag":"a\"b"}"#)
            .unwrap();
        assert_eq!(cb.call_id.as_str(), "c-é");
        assert_eq!(cb.tag.as_deref(), Some("a\"b"));
    }

    #[test]
    fn nesting_deeper_than_128_levels_is_a_positioned_error_wherever_it_is() {
        let deep = format!(
            r#"{{{BASE},"x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(
            decode(&deep),
            Err("invalid JSON: recursion limit exceeded at column 180".into())
        );
        let deep = format!(
            r#"{{{BASE},"tag":{}{}}}"#,
            "{\"a\":".repeat(10_000),
            "}".repeat(10_000)
        );
        assert_eq!(
            decode(&deep),
            Err("invalid JSON: recursion limit exceeded at column 686".into())
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            decode(&deep),
            Err("invalid JSON: recursion limit exceeded at column 128".into())
        );
        // 100 levels are fine.
        let nested = format!(r#"{{{BASE},"x":{}{}}}"#, "[".repeat(100), "]".repeat(100));
        assert!(decode(&nested).is_ok());
    }
}
