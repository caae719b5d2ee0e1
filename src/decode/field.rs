//! The field table: the fields the decoder types, written once, and the raw values a body gave them.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::de;
use super::error::{DecodeError, excerpt};
use super::scan;
use super::view::{Kind, View};
use crate::time::parse_timestamp;

/// Declares [`Field`] from its table: the variants, in Bandwidth's documentation order, each with its
/// name as the body spells it (a byte string, so that keys are matched without checking them for
/// UTF-8). A new field is one line here, then what the decoder does with it ([`View`]).
macro_rules! fields {
    ($($field:ident => $name:literal,)*) => {
        /// The fields the decoder types, in Bandwidth's documentation order. Every other key is skipped.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Field {
            $($field,)*
        }

        impl Field {
            /// Every field, in order.
            pub(crate) const ALL: [Field; [$(stringify!($field)),*].len()] = [$(Field::$field),*];
            /// How many there are.
            pub(crate) const COUNT: usize = Field::ALL.len();

            /// The field's name, as the body spells it.
            pub(crate) fn name(self) -> &'static str {
                const NAMES: [&str; Field::COUNT] = [$(
                    match std::str::from_utf8($name) {
                        Ok(name) => name,
                        Err(_) => panic!("a field name is ASCII"),
                    }
                ),*];
                NAMES[self as usize]
            }

            /// Calls `each` with every field, in order, as straight-line code: each call sees its field
            /// as a constant, so that a `match` on it folds away.
            #[inline(always)]
            pub(crate) fn each(mut each: impl FnMut(Field)) {
                $(each(Field::$field);)*
            }

            /// The field a key names, if the decoder types it.
            pub(crate) fn from_name(name: &[u8]) -> Option<Field> {
                match name {
                    $($name => Some(Field::$field),)*
                    _ => None,
                }
            }
        }
    };
}

fields! {
    EventType => b"eventType",
    EventTime => b"eventTime",
    AccountId => b"accountId",
    ApplicationId => b"applicationId",
    From => b"from",
    To => b"to",
    Direction => b"direction",
    CallId => b"callId",
    ParentCallId => b"parentCallId",
    CallUrl => b"callUrl",
    Tag => b"tag",
    TransferCallerId => b"transferCallerId",
    TransferTo => b"transferTo",
    EnqueuedTime => b"enqueuedTime",
    StartTime => b"startTime",
    AnswerTime => b"answerTime",
    EndTime => b"endTime",
    Cause => b"cause",
    ErrorMessage => b"errorMessage",
    ErrorId => b"errorId",
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

/// The typed fields' raw values, indexed by [`Field`], as a body gave them: the decoder's first stage.
/// Both readers fill it: the flat scanner ([`scan`]) for plain one-level bodies, `serde_json` ([`de`])
/// for the rest.
#[derive(Default)]
pub(crate) struct Fields<'de>(pub(crate) [Scalar<'de>; Field::COUNT]);

impl<'de> Fields<'de> {
    /// Reads a body: with the flat scanner when it can, otherwise with `serde_json`. Both give the same
    /// fields for every body the scanner accepts (`tests/fast_path.rs` and the `decode` fuzz target check
    /// it); the scanner hands everything unusual (escapes, numbers, nesting, bad syntax) to `serde_json`,
    /// which also words the errors.
    pub(crate) fn parse(body: &'de [u8]) -> Result<Fields<'de>, DecodeError> {
        match scan::scan(body) {
            Some(fields) => Ok(fields),
            None => de::parse(body),
        }
    }

    /// Sets a field's value; the last value of a repeated key wins, as in `serde_json::Value`.
    pub(crate) fn set(&mut self, field: Field, value: Scalar<'de>) {
        self.0[field as usize] = value;
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
