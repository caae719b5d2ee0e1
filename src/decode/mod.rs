//! Decoding: callback bodies into [`Callback`]s, or into borrowed [`View`]s for the fold.
//!
//! A body goes through three steps:
//! 1. a reader fills the field table ([`field`]) with the raw values of the fields callfold types: the
//!    flat scanner ([`scan`]) for the plain one-level objects Bandwidth sends, `serde_json` ([`de`]) for
//!    anything else;
//! 2. the table is checked and typed into a [`View`] that borrows the body's text;
//! 3. a [`Callback`] is built from the view when the caller wants one owned; the replay folds views.
//!
//! The tolerance rules (what counts as "no value", open sets, repeated keys) are on [`Callback`].

mod callback;
mod de;
mod error;
mod escape;
mod field;
mod id;
mod inline;
mod open;
mod scan;
mod view;

pub use callback::{Callback, Ending, Event};
pub use error::{DecodeError, Position};
pub(crate) use escape::first_to_escape;
pub(crate) use field::{Field, Fields};
pub use id::{CallId, EmptyCallId};
pub(crate) use inline::Inline;
pub use open::{Cause, Direction};
pub(crate) use open::{Open, Text};
pub(crate) use view::{Kind, Value, View};

#[cfg(test)]
pub(crate) use id::tests::samples as id_samples;
