//! Grouping a call's legs into attempts: the legs of one `<Transfer>` ring together.

use chrono::{DateTime, TimeDelta, Utc};

use super::call::{Attempt, Placed, PlacedBy};
use super::stale::Stale;
use crate::fold::{EndCause, Leg, State};

/// When every one of a call's legs has ended: the latest time of its legs. `None` while a leg is open,
/// for no legs, or when no leg has a time.
pub(crate) fn closed_at(legs: &[&Leg]) -> Option<DateTime<Utc>> {
    if legs.is_empty() || legs.iter().any(|leg| leg.state() != State::Ended) {
        return None;
    }
    legs.iter().filter_map(|leg| leg.last_known_time()).max()
}

/// Groups one call's legs into attempts: a leg joins the current attempt when it was placed within
/// `window` of that attempt's first leg, and before every leg of the attempt had ended (a second
/// `<Transfer>` can only begin once the first is over).
pub(crate) fn attempts<'a>(
    legs: Vec<&'a Leg>,
    window: TimeDelta,
    stale: impl Fn(&Leg) -> Option<Stale>,
) -> Vec<Attempt<'a>> {
    let mut placed: Vec<(Option<DateTime<Utc>>, Placed<'a>)> = legs
        .into_iter()
        .map(|leg| {
            let (at, placed_by) = placement(leg);
            (
                at,
                Placed {
                    leg,
                    placed_by,
                    stale: stale(leg),
                },
            )
        })
        .collect();
    // Legs with no time at all go last.
    placed.sort_by(|(a, x), (b, y)| {
        (a.is_none(), a, x.leg.call_id()).cmp(&(b.is_none(), b, y.leg.call_id()))
    });

    let mut groups: Vec<Group<'a>> = Vec::new();
    for (at, p) in placed {
        let end = if p.leg.state() == State::Ended {
            p.leg.end_time()
        } else {
            None
        };
        match groups.last_mut() {
            Some(group) if group.admits(at, window) => {
                group.over = group.over.zip(end).map(|(a, b)| a.max(b));
                group.legs.push(p);
            }
            _ => groups.push(Group {
                first: at,
                over: end,
                legs: vec![p],
            }),
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, Group { legs, .. })| {
            let winner = legs
                .iter()
                .filter(|p| p.leg.was_answered())
                .min_by_key(|p| {
                    (
                        p.leg.answer_time().is_none(),
                        p.leg.answer_time(),
                        p.leg.call_id(),
                    )
                })
                .map(|p| p.leg.call_id());
            let mut why: Vec<EndCause<'a>> = if winner.is_some() {
                Vec::new()
            } else {
                legs.iter().map(|p| p.leg.end_cause()).collect()
            };
            why.sort();
            why.dedup();
            Attempt {
                number: i + 1,
                legs,
                winner,
                why,
            }
        })
        .collect()
}

/// An attempt being gathered: its first leg's time, the latest end of its legs (`None` while one has
/// not ended), and its legs.
struct Group<'a> {
    first: Option<DateTime<Utc>>,
    over: Option<DateTime<Utc>>,
    legs: Vec<Placed<'a>>,
}

impl Group<'_> {
    /// A leg placed at `at` rings with this attempt: within the window of its first leg, and not after
    /// all its legs ended.
    fn admits(&self, at: Option<DateTime<Utc>>, window: TimeDelta) -> bool {
        match (self.first, at) {
            (Some(first), Some(t)) => {
                t.signed_duration_since(first) <= window && self.over.is_none_or(|o| t <= o)
            }
            _ => false,
        }
    }
}

/// The time that places a leg among its call's attempts, and which field gave it (see [`PlacedBy`]).
fn placement(leg: &Leg) -> (Option<DateTime<Utc>>, PlacedBy) {
    if let Some(t) = leg.enqueued_time() {
        (Some(t), PlacedBy::EnqueuedTime)
    } else if let Some(t) = leg.start_time() {
        (Some(t), PlacedBy::StartTime)
    } else if let Some(t) = leg.answer_time() {
        (Some(t), PlacedBy::AnswerTime)
    } else if let Some(t) = leg.end_time() {
        (Some(t), PlacedBy::EndTime)
    } else {
        (None, PlacedBy::NoTime)
    }
}
