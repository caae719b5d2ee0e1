//! The fold: callbacks into legs, by laws that make the order of arrival and redeliveries not matter.
//!
//! A [`Leg`] holds sets of facts ([`fact`]), kept compact ([`compact`]), and the deliveries that brought
//! them ([`delivery`]); everything a user reads of it (its [`State`], [`Outcome`], [`Conflict`]s and
//! [`Violation`]s) is computed from those sets. The laws are on [`Leg`].

mod compact;
mod conflict;
mod delivery;
mod fact;
pub(crate) mod hash;
mod invariant;
mod leg;
mod state;

pub(crate) use compact::CompactText;
pub use conflict::Conflict;
pub(crate) use fact::{Fact, insert_sorted, reserve_one};
pub use invariant::Violation;
pub use leg::{Applied, FoldError, Leg};
pub use state::{EndCause, Outcome, State};
