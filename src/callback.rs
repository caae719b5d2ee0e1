//! Typed Bandwidth Voice callbacks, and the tolerant decoder that reads them.
//!
//! The decoder is loose exactly where Bandwidth is loose (see `docs/design.md`):
//! - absent, `null` and `""` all mean "no value" for the optional strings and timestamps;
//! - timestamps are read by [`parse_timestamp`](crate::parse_timestamp);
//! - `cause`, `direction` and `eventType` are open sets that keep unknown values verbatim;
//! - unknown fields, of any JSON type, are accepted and ignored (nesting deeper than 128 levels is an
//!   error);
//! - when a key appears twice, the last value wins, as in `serde_json::Value`.
//!
//! A body is rejected only when it is not JSON, not an object, has no `callId` or `eventType`, or has a
//! known field whose JSON type is not a string.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

pub use crate::id::{CallId, EmptyCallId};
use crate::time::{TimestampError, format_timestamp, parse_timestamp};

/// An enum whose set of values Bandwidth may grow: unknown values are kept verbatim in `Other`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident, example: $example:literal {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("`", $text, "`")] $variant,)*
            /// A value this version of callfold does not know, kept verbatim. Build values with `From<&str>`,
            /// which never puts a known value here.
            Other(String),
        }

        impl crate::fact::Open for $name {
            const KNOWN: &'static [$name] = &[$(Self::$variant,)*];
        }

        impl $name {
            /// The value exactly as Bandwidth spells it.
            ///
            /// ```
            #[doc = concat!("let v = callfold::", stringify!($name), "::from(", stringify!($example), ");")]
            #[doc = concat!("assert_eq!(v.as_str(), ", stringify!($example), ");")]
            #[doc = concat!("let new = callfold::", stringify!($name), "::from(\"next-year\");")]
            #[doc = concat!("assert_eq!(new, callfold::", stringify!($name), "::Other(\"next-year\".into()));")]
            /// assert_eq!(new.as_str(), "next-year");
            /// ```
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Ordered by text, so that a choice among values does not depend on the variants' order.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from(Cow::<'de, str>::deserialize(d)?.as_ref()))
            }
        }
    };
}

open_enum! {
    /// Why a call or leg ended: the documented list, which Bandwidth says may grow.
    ///
    /// ```
    /// use callfold::Cause;
    ///
    /// assert_eq!(Cause::from("busy"), Cause::Busy);
    /// assert!(Cause::Busy.never_answered());
    /// // Retired and future values survive verbatim.
    /// assert_eq!(Cause::from("completed").to_string(), "completed");
    /// ```
    Cause, example: "busy" {
        Hangup => "hangup",
        Busy => "busy",
        Timeout => "timeout",
        Cancel => "cancel",
        Rejected => "rejected",
        CallbackError => "callback-error",
        InvalidBxml => "invalid-bxml",
        ApplicationError => "application-error",
        AccountLimit => "account-limit",
        NodeCapacityExceeded => "node-capacity-exceeded",
        Error => "error",
        Unknown => "unknown",
    }
}

impl Cause {
    /// True for the causes that mean the leg was never answered: `busy`, `timeout`, `cancel`, `rejected`,
    /// `account-limit` and `node-capacity-exceeded`. An `answerTime` with one of them is the
    /// `answered-despite-cause` violation.
    ///
    /// ```
    /// use callfold::Cause;
    ///
    /// assert!(Cause::Timeout.never_answered());
    /// assert!(!Cause::Hangup.never_answered()); // losing legs and answered legs both end `hangup`
    /// ```
    pub fn never_answered(&self) -> bool {
        matches!(
            self,
            Cause::Busy
                | Cause::Timeout
                | Cause::Cancel
                | Cause::Rejected
                | Cause::AccountLimit
                | Cause::NodeCapacityExceeded
        )
    }
}

open_enum! {
    /// The direction of a call. Bandwidth documents two values; others are kept, and a B-leg callback that
    /// is not `outbound` is the `not-outbound` violation.
    ///
    /// ```
    /// use callfold::Direction;
    ///
    /// assert_eq!(Direction::from("outbound"), Direction::Outbound);
    /// assert_eq!(Direction::from("Outbound"), Direction::Other("Outbound".into()));
    /// ```
    Direction, example: "outbound" {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

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
    fn new(event_type: &str, ending: Ending) -> Event {
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
        Ok(Fields::parse_serde(body)?.view()?.to_callback())
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

impl Serialize for Callback {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let time = |t: &Option<DateTime<Utc>>| t.as_ref().map(format_timestamp);
        let ending = self.ending();
        Wire {
            event_type: self.event.name(),
            event_time: time(&self.event_time),
            account_id: self.account_id.as_deref(),
            application_id: self.application_id.as_deref(),
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            direction: self.direction.as_ref().map(Direction::as_str),
            call_id: self.call_id.as_str(),
            parent_call_id: self.parent_call_id.as_ref().map(CallId::as_str),
            call_url: self.call_url.as_deref(),
            tag: self.tag.as_deref(),
            transfer_caller_id: self.transfer_caller_id.as_deref(),
            transfer_to: self.transfer_to.as_deref(),
            enqueued_time: time(&self.enqueued_time),
            start_time: time(&self.start_time),
            answer_time: time(&self.answer_time),
            end_time: ending.and_then(|e| time(&e.end_time)),
            cause: ending.and_then(|e| e.cause.as_ref()).map(Cause::as_str),
            error_message: ending.and_then(|e| e.error_message.as_deref()),
            error_id: ending.and_then(|e| e.error_id.as_deref()),
        }
        .serialize(s)
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
        match Body::deserialize(d)? {
            Body::Object(fields) => fields
                .view()
                .map(View::to_callback)
                .map_err(de::Error::custom),
            Body::NotAnObject(found) => Err(de::Error::custom(DecodeError::NotAnObject { found })),
        }
    }
}

/// The outgoing shape, in the field order of Bandwidth's documentation.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    event_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    direction: Option<&'a str>,
    call_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_call_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer_caller_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer_to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enqueued_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_id: Option<&'a str>,
}

/// Why a callback body could not be decoded. The message names the field and, for a bad value, quotes it
/// (long values are cut to 64 characters).
///
/// ```
/// use callfold::{Callback, DecodeError};
///
/// let err = r#"{"eventType":"transferAnswer","callId":"c-1","answerTime":"2019-13-01T00:00:00Z"}"#
///     .parse::<Callback>()
///     .unwrap_err();
/// assert_eq!(err.to_string(), r#"answerTime: expected an RFC 3339 timestamp, found "2019-13-01T00:00:00Z""#);
/// assert_eq!(err.field(), Some("answerTime"));
/// // The reason is the error's source.
/// let source = std::error::Error::source(&err).unwrap();
/// assert_eq!(source.to_string(), "month 13 is out of range at byte 5");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not valid JSON.
    #[error("invalid JSON: {message} at {position}")]
    Json {
        /// `serde_json`'s description, without its position.
        message: String,
        /// Where in the body, as `column C` (one-line bodies) or `line L column C`.
        position: Position,
    },
    /// The body is JSON, but not an object.
    #[error("expected a JSON object, found {found}")]
    NotAnObject {
        /// What it is instead: `an array`, `a string`, ...
        found: &'static str,
    },
    /// A required field is absent, `null` or `""`.
    #[error("missing {field}")]
    Missing {
        /// `callId` or `eventType`.
        field: &'static str,
    },
    /// A known field holds another JSON type than a string.
    #[error("{field}: expected a string, found {found}")]
    WrongType {
        /// The field, as spelled in the body.
        field: &'static str,
        /// What it holds instead: `a number`, `a boolean`, `an array` or `an object`.
        found: &'static str,
    },
    /// A timestamp field holds a string that is not RFC 3339.
    #[error("{field}: expected an RFC 3339 timestamp, found {value:?}")]
    Timestamp {
        /// The field, as spelled in the body.
        field: &'static str,
        /// The value, cut to 64 characters.
        value: String,
        /// What is wrong with it, and where.
        #[source]
        source: TimestampError,
    },
}

/// A position inside a body, for JSON syntax errors.
///
/// ```
/// let err = callfold::Callback::from_slice(b"{\"callId\":").unwrap_err();
/// assert_eq!(err.to_string(), "invalid JSON: EOF while parsing a value at column 10");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line inside the body.
    pub line: usize,
    /// 1-based column (in bytes).
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 1 {
            write!(f, "column {}", self.column)
        } else {
            write!(f, "line {} column {}", self.line, self.column)
        }
    }
}

impl DecodeError {
    #[allow(clippy::needless_pass_by_value)] // used as `map_err(DecodeError::json)`
    fn json(err: serde_json::Error) -> DecodeError {
        let position = Position {
            line: err.line(),
            column: err.column(),
        };
        let mut message = err.to_string();
        let suffix = format!(" at line {} column {}", position.line, position.column);
        if message.ends_with(&suffix) {
            message.truncate(message.len() - suffix.len());
        }
        DecodeError::Json { message, position }
    }

    /// The field the error is about, if it is about one.
    ///
    /// ```
    /// let err = r#"{"eventType":"answer"}"#.parse::<callfold::Callback>().unwrap_err();
    /// assert_eq!(err.field(), Some("callId"));
    /// ```
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DecodeError::Missing { field }
            | DecodeError::WrongType { field, .. }
            | DecodeError::Timestamp { field, .. } => Some(field),
            DecodeError::Json { .. } | DecodeError::NotAnObject { .. } => None,
        }
    }
}

/// Cuts a value for an error message to 64 characters.
fn excerpt(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

// ---- decoding ---------------------------------------------------------------------------------------------

/// The fields the decoder types, in Bandwidth's documentation order. Every other key is skipped.
#[derive(Clone, Copy)]
pub(crate) enum Field {
    EventType,
    EventTime,
    AccountId,
    ApplicationId,
    From,
    To,
    Direction,
    CallId,
    ParentCallId,
    CallUrl,
    Tag,
    TransferCallerId,
    TransferTo,
    EnqueuedTime,
    StartTime,
    AnswerTime,
    EndTime,
    Cause,
    ErrorMessage,
    ErrorId,
}

const FIELD_NAMES: [&str; 20] = [
    "eventType",
    "eventTime",
    "accountId",
    "applicationId",
    "from",
    "to",
    "direction",
    "callId",
    "parentCallId",
    "callUrl",
    "tag",
    "transferCallerId",
    "transferTo",
    "enqueuedTime",
    "startTime",
    "answerTime",
    "endTime",
    "cause",
    "errorMessage",
    "errorId",
];

impl Field {
    const ALL: [Field; 20] = [
        Field::EventType,
        Field::EventTime,
        Field::AccountId,
        Field::ApplicationId,
        Field::From,
        Field::To,
        Field::Direction,
        Field::CallId,
        Field::ParentCallId,
        Field::CallUrl,
        Field::Tag,
        Field::TransferCallerId,
        Field::TransferTo,
        Field::EnqueuedTime,
        Field::StartTime,
        Field::AnswerTime,
        Field::EndTime,
        Field::Cause,
        Field::ErrorMessage,
        Field::ErrorId,
    ];

    fn name(self) -> &'static str {
        FIELD_NAMES[self as usize]
    }

    pub(crate) fn from_name(name: &[u8]) -> Option<Field> {
        Some(match name {
            b"eventType" => Field::EventType,
            b"eventTime" => Field::EventTime,
            b"accountId" => Field::AccountId,
            b"applicationId" => Field::ApplicationId,
            b"from" => Field::From,
            b"to" => Field::To,
            b"direction" => Field::Direction,
            b"callId" => Field::CallId,
            b"parentCallId" => Field::ParentCallId,
            b"callUrl" => Field::CallUrl,
            b"tag" => Field::Tag,
            b"transferCallerId" => Field::TransferCallerId,
            b"transferTo" => Field::TransferTo,
            b"enqueuedTime" => Field::EnqueuedTime,
            b"startTime" => Field::StartTime,
            b"answerTime" => Field::AnswerTime,
            b"endTime" => Field::EndTime,
            b"cause" => Field::Cause,
            b"errorMessage" => Field::ErrorMessage,
            b"errorId" => Field::ErrorId,
            _ => return None,
        })
    }
}

/// A known field's value as the body gave it.
#[derive(Default)]
pub(crate) enum Scalar<'de> {
    #[default]
    Absent,
    Null,
    Text(Cow<'de, str>),
    /// Any other JSON type, already skipped over; the text names it for the error.
    Wrong(&'static str),
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Wrong("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Wrong("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Wrong("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Wrong("a number"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Scalar::Wrong("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Scalar::Wrong("an object"))
    }
}

/// A value the decoder does not keep, skipped through `deserialize_any` so that `serde_json`'s depth limit
/// (128 levels) applies: 10,000 levels of nesting are a positioned error, not a silent skip.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl<'de> Visitor<'de> for SkipVisitor {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        d.deserialize_any(SkipVisitor)
    }
}

/// An object key: one of the typed fields, or any other.
struct Key(Option<Field>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(Field::from_name(v.as_bytes())))
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// A whole body: the typed fields' raw values, or what the body was instead of an object.
#[allow(clippy::large_enum_variant)] // lives on the stack for one line; boxing it costs an allocation per line
enum Body<'de> {
    Object(Fields<'de>),
    NotAnObject(&'static str),
}

impl<'de> Deserialize<'de> for Body<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BodyVisitor;
        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = Body<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body<'de>, A::Error> {
                let mut fields = Fields::default();
                while let Some(Key(field)) = map.next_key()? {
                    match field {
                        // The last value of a repeated key wins.
                        Some(field) => fields.0[field as usize] = map.next_value()?,
                        None => {
                            map.next_value::<Skip>()?;
                        }
                    }
                }
                Ok(Body::Object(fields))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Body<'de>, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Body::NotAnObject("an array"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Body<'de>, E> {
                Ok(Body::NotAnObject("a string"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Body<'de>, E> {
                Ok(Body::NotAnObject("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Body<'de>, E> {
                Ok(Body::NotAnObject("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Body<'de>, E> {
                Ok(Body::NotAnObject("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Body<'de>, E> {
                Ok(Body::NotAnObject("a number"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Body<'de>, E> {
                Ok(Body::NotAnObject("null"))
            }
        }
        d.deserialize_any(BodyVisitor)
    }
}

/// The typed fields' raw values, indexed by [`Field`], as a body gave them: the decoder's first stage.
/// Both readers fill it: the flat scanner (`scan`) for plain one-level bodies, `serde_json` for the rest.
#[derive(Default)]
pub(crate) struct Fields<'de>(pub(crate) [Scalar<'de>; 20]);

impl<'de> Fields<'de> {
    /// Reads a body: with the flat scanner when it can, otherwise with `serde_json`. Both give the same
    /// fields for every body the scanner accepts (`tests/fast_path.rs` and the `decode` fuzz target check
    /// it); the scanner hands everything unusual (escapes, numbers, nesting, bad syntax) to `serde_json`,
    /// which also words the errors.
    pub(crate) fn parse(body: &'de [u8]) -> Result<Fields<'de>, DecodeError> {
        match crate::scan::scan(body) {
            Some(fields) => Ok(fields),
            None => Fields::parse_serde(body),
        }
    }

    /// Reads a body with `serde_json` only: the reference the scanner is checked against.
    pub(crate) fn parse_serde(body: &'de [u8]) -> Result<Fields<'de>, DecodeError> {
        match serde_json::from_slice::<Body<'de>>(body).map_err(DecodeError::json)? {
            Body::Object(fields) => Ok(fields),
            Body::NotAnObject(found) => Err(DecodeError::NotAnObject { found }),
        }
    }
}

impl Fields<'_> {
    /// Checks the fields and types them, borrowing the text.
    pub(crate) fn view(&self) -> Result<View<'_>, DecodeError> {
        // Type errors first, in field order, so that the report does not depend on which check runs first.
        if let Some((field, found)) = self.first_wrong_type() {
            return Err(DecodeError::WrongType {
                field: field.name(),
                found,
            });
        }
        let call_id = self
            .text(Field::CallId)
            .ok_or(DecodeError::Missing { field: "callId" })?;
        let event_type = self
            .text(Field::EventType)
            .ok_or(DecodeError::Missing { field: "eventType" })?;
        // Every timestamp is checked, even one the kind of callback does not keep.
        let end_time = self.time(Field::EndTime)?;
        let event_time = self.time(Field::EventTime)?;
        let enqueued_time = self.time(Field::EnqueuedTime)?;
        let start_time = self.time(Field::StartTime)?;
        let answer_time = self.time(Field::AnswerTime)?;
        let kind = Kind::of(event_type);
        let ending = kind.has_ending();
        Ok(View {
            kind,
            event_type,
            event_time,
            call_id,
            parent_call_id: self.text(Field::ParentCallId),
            account_id: self.text(Field::AccountId),
            application_id: self.text(Field::ApplicationId),
            from: self.text(Field::From),
            to: self.text(Field::To),
            direction: self.text(Field::Direction),
            call_url: self.text(Field::CallUrl),
            tag: self.text(Field::Tag),
            transfer_caller_id: self.text(Field::TransferCallerId),
            transfer_to: self.text(Field::TransferTo),
            enqueued_time,
            start_time,
            answer_time,
            end_time: end_time.filter(|_| ending),
            cause: self.text(Field::Cause).filter(|_| ending),
            error_message: self.text(Field::ErrorMessage).filter(|_| ending),
            error_id: self.text(Field::ErrorId).filter(|_| ending),
        })
    }

    fn first_wrong_type(&self) -> Option<(Field, &'static str)> {
        Field::ALL
            .into_iter()
            .find_map(|field| match self.0[field as usize] {
                Scalar::Wrong(found) => Some((field, found)),
                Scalar::Absent | Scalar::Null | Scalar::Text(_) => None,
            })
    }

    /// The text of a field; absent, `null` and `""` are all `None`.
    fn text(&self, field: Field) -> Option<&str> {
        match &self.0[field as usize] {
            Scalar::Text(text) if !text.is_empty() => Some(text),
            Scalar::Text(_) | Scalar::Absent | Scalar::Null | Scalar::Wrong(_) => None,
        }
    }

    fn time(&self, field: Field) -> Result<Option<DateTime<Utc>>, DecodeError> {
        self.text(field)
            .map(|text| {
                parse_timestamp(text).map_err(|source| DecodeError::Timestamp {
                    field: field.name(),
                    value: excerpt(text),
                    source,
                })
            })
            .transpose()
    }
}

/// The kind of callback, without the text of an unknown one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    TransferAnswer,
    TransferDisconnect,
    TransferComplete,
    Initiate,
    Answer,
    Disconnect,
    Redirect,
    Other,
}

impl Kind {
    fn of(event_type: &str) -> Kind {
        match event_type {
            "transferAnswer" => Kind::TransferAnswer,
            "transferDisconnect" => Kind::TransferDisconnect,
            "transferComplete" => Kind::TransferComplete,
            "initiate" => Kind::Initiate,
            "answer" => Kind::Answer,
            "disconnect" => Kind::Disconnect,
            "redirect" => Kind::Redirect,
            _ => Kind::Other,
        }
    }

    /// Whether this kind keeps `endTime`, `cause`, `errorMessage` and `errorId` (see [`Event`]).
    fn has_ending(self) -> bool {
        matches!(
            self,
            Kind::TransferDisconnect | Kind::TransferComplete | Kind::Disconnect | Kind::Other
        )
    }
}

/// A decoded callback that borrows its text: from the line it was read from (the fast path, which folds
/// without building a [`Callback`]), or from a `Callback` (so that both fold the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct View<'a> {
    pub(crate) kind: Kind,
    pub(crate) event_type: &'a str,
    pub(crate) event_time: Option<DateTime<Utc>>,
    pub(crate) call_id: &'a str,
    pub(crate) parent_call_id: Option<&'a str>,
    pub(crate) account_id: Option<&'a str>,
    pub(crate) application_id: Option<&'a str>,
    pub(crate) from: Option<&'a str>,
    pub(crate) to: Option<&'a str>,
    pub(crate) direction: Option<&'a str>,
    pub(crate) call_url: Option<&'a str>,
    pub(crate) tag: Option<&'a str>,
    pub(crate) transfer_caller_id: Option<&'a str>,
    pub(crate) transfer_to: Option<&'a str>,
    pub(crate) enqueued_time: Option<DateTime<Utc>>,
    pub(crate) start_time: Option<DateTime<Utc>>,
    pub(crate) answer_time: Option<DateTime<Utc>>,
    pub(crate) end_time: Option<DateTime<Utc>>,
    pub(crate) cause: Option<&'a str>,
    pub(crate) error_message: Option<&'a str>,
    pub(crate) error_id: Option<&'a str>,
}

impl<'a> View<'a> {
    /// The view of an owned callback.
    pub(crate) fn of(cb: &'a Callback) -> View<'a> {
        let ending = cb.ending();
        View {
            kind: Kind::of(cb.event.name()),
            event_type: cb.event.name(),
            event_time: cb.event_time,
            call_id: cb.call_id.as_str(),
            parent_call_id: cb.parent_call_id.as_ref().map(CallId::as_str),
            account_id: cb.account_id.as_deref(),
            application_id: cb.application_id.as_deref(),
            from: cb.from.as_deref(),
            to: cb.to.as_deref(),
            direction: cb.direction.as_ref().map(Direction::as_str),
            call_url: cb.call_url.as_deref(),
            tag: cb.tag.as_deref(),
            transfer_caller_id: cb.transfer_caller_id.as_deref(),
            transfer_to: cb.transfer_to.as_deref(),
            enqueued_time: cb.enqueued_time,
            start_time: cb.start_time,
            answer_time: cb.answer_time,
            end_time: ending.and_then(|e| e.end_time),
            cause: ending.and_then(|e| e.cause.as_ref()).map(Cause::as_str),
            error_message: ending.and_then(|e| e.error_message.as_deref()),
            error_id: ending.and_then(|e| e.error_id.as_deref()),
        }
    }

    /// The owned callback.
    pub(crate) fn to_callback(self) -> Callback {
        let owned = |text: Option<&str>| text.map(str::to_owned);
        let ending = Ending {
            end_time: self.end_time,
            cause: self.cause.map(Cause::from),
            error_message: owned(self.error_message),
            error_id: owned(self.error_id),
        };
        Callback {
            event: Event::new(self.event_type, ending),
            event_time: self.event_time,
            call_id: CallId::new(self.call_id),
            parent_call_id: self.parent_call_id.map(CallId::new),
            account_id: owned(self.account_id),
            application_id: owned(self.application_id),
            from: owned(self.from),
            to: owned(self.to),
            direction: self.direction.map(Direction::from),
            call_url: owned(self.call_url),
            tag: owned(self.tag),
            transfer_caller_id: owned(self.transfer_caller_id),
            transfer_to: owned(self.transfer_to),
            enqueued_time: self.enqueued_time,
            start_time: self.start_time,
            answer_time: self.answer_time,
        }
    }

    /// The same rule as [`Callback::is_leg_event`].
    pub(crate) fn is_leg_event(&self) -> bool {
        match self.kind {
            Kind::TransferAnswer | Kind::TransferDisconnect => true,
            Kind::TransferComplete => false,
            Kind::Initiate | Kind::Answer | Kind::Disconnect | Kind::Redirect | Kind::Other => {
                self.parent_call_id.is_some()
            }
        }
    }

    /// Identifies the callback up to a redelivery: every field but `eventTime`. Fixed keys, so the same
    /// callback has the same fingerprint throughout a run, on either path.
    pub(crate) fn fingerprint(&self) -> u64 {
        // Destructured in full, so that a new field cannot be left out by accident.
        let View {
            kind: _,
            event_type,
            event_time: _,
            call_id,
            parent_call_id,
            account_id,
            application_id,
            from,
            to,
            direction,
            call_url,
            tag,
            transfer_caller_id,
            transfer_to,
            enqueued_time,
            start_time,
            answer_time,
            end_time,
            cause,
            error_message,
            error_id,
        } = self;
        let mut h = crate::hash::FastHasher::default();
        (
            event_type,
            call_id,
            parent_call_id,
            account_id,
            application_id,
        )
            .hash(&mut h);
        (from, to, direction, call_url, tag, transfer_caller_id).hash(&mut h);
        (transfer_to, cause, error_message, error_id).hash(&mut h);
        (enqueued_time, start_time, answer_time, end_time).hash(&mut h);
        h.finish()
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
        for field in FIELD_NAMES
            .iter()
            .filter(|f| !matches!(**f, "eventType" | "callId"))
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
