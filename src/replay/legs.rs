//! The legs of a log alone: [`Leg::replay`], a replay that keeps no A-legs.

use std::cmp::Ordering;
use std::io::BufRead;

use super::log::{LogError, LogReader};
use super::{Stop, Target, replay};
use crate::decode::View;
use crate::fold::hash::FastState;
use crate::fold::{Leg, LegTable};

impl Leg {
    /// Folds the transfer legs of a log, and nothing else, on `threads` threads: the legs
    /// [`History::replay`](crate::History::replay) would give, sorted by `callId`, without the A-legs' facts that calls are built
    /// from, so in less memory and time. Every line is decoded and validated as there: the same lines
    /// go to `report`, and the reader's counts and rejects sink are kept the same way.
    ///
    /// ```
    /// use callfold::{Leg, LogReader, State};
    ///
    /// let log = b"{\"eventType\":\"transferDisconnect\",\"callId\":\"c-b2\",\"cause\":\"busy\"}\n\
    ///             {\"eventType\":\"transferComplete\",\"callId\":\"c-a\"}\n\
    ///             {\"eventType\":\"transferAnswer\",\"callId\":\"c-b1\",\"parentCallId\":\"c-a\"}\n\
    ///             {oops}\n";
    /// let mut reader = LogReader::new(&log[..]);
    /// let mut bad = Vec::new();
    /// let legs = Leg::replay(&mut reader, 2, |error| {
    ///     bad.push(error.line());
    ///     Ok::<(), ()>(())
    /// })
    /// .unwrap();
    /// let ids: Vec<_> = legs.iter().map(|leg| leg.call_id().as_str()).collect();
    /// assert_eq!(ids, ["c-b1", "c-b2"]);
    /// assert_eq!(legs[1].state(), State::Ended);
    /// assert_eq!((bad, reader.counts().callbacks), (vec![4], 3));
    /// ```
    ///
    /// # Errors
    /// As [`History::replay`](crate::History::replay).
    pub fn replay<R: BufRead, E>(
        log: &mut LogReader<R>,
        threads: usize,
        report: impl FnMut(&LogError) -> Result<(), E>,
    ) -> Result<Vec<Leg>, Stop<E>> {
        let legs: LegsOnly = replay(log, threads, report)?;
        Ok(legs.into_sorted_legs())
    }
}

/// The legs of a log without its A-legs: a [`History`] less what only calls need.
///
/// A worker folds its lines into `legs`. Merging needs no index: both sides' legs are sorted by id
/// (the order the replay gives them in anyway) and merged as sorted lists into `merged`, so the indexes
/// are gone before the legs move, and merging on many threads takes no more memory than one thread.
///
/// Without merges through it, the index can hold places in four bytes, not eight (5 to 8 bytes a leg
/// less, as its table is 57% to 100% bigger than the legs). When the table holds the most that fit
/// (2^32 - 1 legs), its legs are set aside the same way, and an empty table folds on: nothing is
/// refused.
struct LegsOnly {
    legs: LegTable<FastState, u32>,
    /// Legs merged in, sorted by id, none of them in `legs`.
    merged: Vec<Leg>,
}

impl LegsOnly {
    fn into_sorted_legs(self) -> Vec<Leg> {
        merge_sorted(self.merged, self.legs.into_sorted_legs())
    }

    /// Moves the table's legs to `merged`, leaving an empty table.
    fn set_aside(&mut self) {
        let LegsOnly { legs, merged } = std::mem::take(self);
        self.merged = merge_sorted(merged, legs.into_sorted_legs());
    }
}

impl Default for LegsOnly {
    fn default() -> LegsOnly {
        LegsOnly {
            legs: LegTable::without_parent_index(),
            merged: Vec::new(),
        }
    }
}

impl Target for LegsOnly {
    fn apply_line(&mut self, line: u64, view: &View<'_>) {
        if view.is_leg_event() && self.legs.apply(view, Some(line)).is_none() {
            // The table is full; an empty one takes the leg.
            self.set_aside();
            self.legs.apply(view, Some(line));
        }
    }
    fn merge(&mut self, other: LegsOnly) {
        self.set_aside();
        self.merged = merge_sorted(std::mem::take(&mut self.merged), other.into_sorted_legs());
    }
    fn size(&self) -> usize {
        self.legs.len() + self.merged.len()
    }
}

/// Merges two lists of legs sorted by id into one, the legs of one id merged: the legs are taken from
/// the lists' ends, and the lists give their memory back as they shorten, so that memory holds each leg
/// about once.
fn merge_sorted(mut a: Vec<Leg>, mut b: Vec<Leg>) -> Vec<Leg> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let give_back = (merged.capacity() / 64).max(4096);
    loop {
        let last = match (a.last(), b.last()) {
            (Some(x), Some(y)) => x.call_id().cmp(y.call_id()),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => break,
        };
        let leg = match last {
            Ordering::Greater => a.pop(),
            Ordering::Less => b.pop(),
            Ordering::Equal => a.pop().map(|mut leg| {
                if let Some(other) = b.pop() {
                    // Same id, so it cannot fail.
                    let _ = leg.merge(&other);
                }
                leg
            }),
        };
        merged.extend(leg);
        if merged.len() % give_back == 0 {
            a.shrink_to_fit();
            b.shrink_to_fit();
        }
    }
    merged.reverse();
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Filter;

    #[test]
    fn legs_set_aside_as_they_are_folded_give_the_legs_of_one_fold() {
        let lines = [
            r#"{"eventType":"transferAnswer","callId":"c-2","parentCallId":"c-a"}"#,
            r#"{"eventType":"transferDisconnect","callId":"c-1","cause":"busy"}"#,
            r#"{"eventType":"transferDisconnect","callId":"c-2","cause":"hangup"}"#,
            r#"{"eventType":"transferAnswer","callId":"c-2","parentCallId":"c-a"}"#,
            r#"{"eventType":"transferComplete","callId":"c-a"}"#,
            r#"{"eventType":"transferAnswer","callId":"c-1","parentCallId":"c-b"}"#,
            r#"{"eventType":"transferDisconnect","callId":"c-3","cause":"timeout"}"#,
        ];
        let (mut whole, mut aside) = (LegsOnly::default(), LegsOnly::default());
        for (line, body) in (1..).zip(lines) {
            crate::replay::feed(&mut whole, line, body.as_bytes(), &Filter::default()).unwrap();
            crate::replay::feed(&mut aside, line, body.as_bytes(), &Filter::default()).unwrap();
            aside.set_aside();
        }
        assert!(aside.legs.is_empty());
        let legs = whole.into_sorted_legs();
        assert_eq!(legs.len(), 3);
        assert_eq!(legs[1].duplicates(), 1);
        assert_eq!(aside.into_sorted_legs(), legs);
    }

    #[test]
    fn sorted_lists_of_legs_merge_into_one_with_the_legs_of_one_id_merged() {
        let leg = |id: &str, body: &str| {
            let mut leg = Leg::new(id.parse().unwrap());
            leg.apply(&body.replace("ID", id).parse().unwrap()).unwrap();
            leg
        };
        let answer = r#"{"eventType":"transferAnswer","callId":"ID"}"#;
        let end = r#"{"eventType":"transferDisconnect","callId":"ID","cause":"busy"}"#;
        let a = vec![leg("c-1", answer), leg("c-3", answer), leg("c-5", end)];
        let b = vec![leg("c-2", end), leg("c-3", end)];
        let mut c3 = leg("c-3", answer);
        c3.merge(&leg("c-3", end)).unwrap();
        let expected = vec![a[0].clone(), b[0].clone(), c3, a[2].clone()];
        assert_eq!(merge_sorted(a.clone(), b.clone()), expected);
        assert_eq!(merge_sorted(b.clone(), a.clone()), expected);
        assert_eq!(merge_sorted(a.clone(), Vec::new()), a);
        assert_eq!(merge_sorted(Vec::new(), b.clone()), b);
    }
}
