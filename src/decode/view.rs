//! A decoded callback that borrows its text: what the fold reads, on either path.

use chrono::{DateTime, Utc};

use super::callback::{Callback, Ending, Event};
use super::field::Field;
use super::id::CallId;
use super::open::{Cause, Direction};

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
    pub(crate) fn of(event_type: &str) -> Kind {
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
    pub(crate) fn has_ending(self) -> bool {
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
    #[inline]
    pub(crate) fn is_leg_event(&self) -> bool {
        match self.kind {
            Kind::TransferAnswer | Kind::TransferDisconnect => true,
            Kind::TransferComplete => false,
            Kind::Initiate | Kind::Answer | Kind::Disconnect | Kind::Redirect | Kind::Other => {
                self.parent_call_id.is_some()
            }
        }
    }

    /// The callback's time: its `eventTime`, or for a callback without one (the historical shape), the
    /// latest of its own timestamps.
    pub(crate) fn time(&self) -> Option<DateTime<Utc>> {
        self.event_time.or_else(|| {
            [
                self.enqueued_time,
                self.start_time,
                self.answer_time,
                self.end_time,
            ]
            .into_iter()
            .flatten()
            .max()
        })
    }

    /// A field's value, typed as the decoder types it; `None` when absent (or not kept by this kind of
    /// callback). What writes a callback back and what fingerprints it go through this, field by field.
    #[inline]
    pub(crate) fn get(&self, field: Field) -> Option<Value<'a>> {
        let text = |text: Option<&'a str>| text.map(Value::Text);
        let time = |time: Option<DateTime<Utc>>| time.map(Value::Time);
        match field {
            Field::EventType => Some(Value::Text(self.event_type)),
            Field::EventTime => time(self.event_time),
            Field::AccountId => text(self.account_id),
            Field::ApplicationId => text(self.application_id),
            Field::From => text(self.from),
            Field::To => text(self.to),
            Field::Direction => text(self.direction),
            Field::CallId => Some(Value::Text(self.call_id)),
            Field::ParentCallId => text(self.parent_call_id),
            Field::CallUrl => text(self.call_url),
            Field::Tag => text(self.tag),
            Field::TransferCallerId => text(self.transfer_caller_id),
            Field::TransferTo => text(self.transfer_to),
            Field::EnqueuedTime => time(self.enqueued_time),
            Field::StartTime => time(self.start_time),
            Field::AnswerTime => time(self.answer_time),
            Field::EndTime => time(self.end_time),
            Field::Cause => text(self.cause),
            Field::ErrorMessage => text(self.error_message),
            Field::ErrorId => text(self.error_id),
        }
    }
}

/// A field's typed value (see [`View::get`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Time(DateTime<Utc>),
}
