//! The fold: callbacks into legs, by laws that make the order of arrival and redeliveries not matter.
//!
//! A [`Leg`] holds sets of facts ([`fact`]), kept compact ([`compact`]), and the deliveries that brought
//! them ([`delivery`]); everything a user reads of it (its [`State`], [`Outcome`], [`Conflict`]s and
//! [`Violation`]s) is computed from those sets. The laws are on [`Leg`]. Many legs are kept in a
//! [`table`] found by id ([`id_table`]): the live tracker's, a history's, the legs-only replay's.

mod compact;
mod conflict;
mod delivery;
mod fact;
pub(crate) mod hash;
mod id_table;
mod invariant;
mod leg;
mod state;
mod table;

pub(crate) use compact::CompactText;
pub use conflict::Conflict;
pub(crate) use fact::{Fact, insert_sorted};
pub(crate) use id_table::IdMap;
pub use invariant::Violation;
pub use leg::{Applied, FoldError, Leg};
pub use state::{EndCause, Outcome, State};
pub(crate) use table::LegTable;
