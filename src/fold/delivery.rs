//! Deliveries: how a leg tells a redelivery from a new callback, and the same line folded twice from a
//! redelivery on another line.

use std::hash::Hasher;

use super::fact::SmallSet;
use super::hash::FastHasher;
use crate::decode::{Field, Value, View};

/// One delivery of a callback to a leg: the callback's fingerprint (every field but `eventTime`) and the
/// delivery's id. The id is the line number when a log is replayed, so that folds of different lines
/// merge exactly; a callback folded without one gets `u64::MAX - k` for the k-th delivery of its
/// fingerprint, so that the same deliveries give the same set in any order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Delivery {
    fingerprint: u64,
    id: u64,
}

/// Every delivery a leg got, sorted and distinct: most legs get two (an answer and a disconnect), held
/// in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deliveries(SmallSet<Delivery>);

impl Deliveries {
    pub(crate) const fn new() -> Deliveries {
        Deliveries(SmallSet::new())
    }

    /// Adds a delivery of the callback with this fingerprint, as delivery `id` (see [`Delivery`]), and
    /// says whether the callback is new to the leg: false for a redelivery.
    pub(crate) fn add(&mut self, fingerprint: u64, id: Option<u64>) -> bool {
        let held = self.0.as_slice();
        let first = held.partition_point(|d| d.fingerprint < fingerprint);
        let known = held[first..]
            .iter()
            .take_while(|d| d.fingerprint == fingerprint)
            .count();
        let id = id.unwrap_or(u64::MAX - known as u64);
        self.0.insert(Delivery { fingerprint, id });
        known == 0
    }

    /// How many distinct callbacks were delivered.
    #[inline]
    pub(crate) fn callbacks(&self) -> usize {
        let held = self.0.as_slice();
        held.iter()
            .zip(held.iter().skip(1))
            .filter(|(a, b)| a.fingerprint != b.fingerprint)
            .count()
            + usize::from(!held.is_empty())
    }

    /// How many deliveries there were in all.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.0.as_slice().len()
    }

    /// Adds every delivery of `other`.
    pub(crate) fn union(&mut self, other: &Deliveries) {
        self.0.union(&other.0);
    }
}

/// Identifies a callback up to a redelivery: a hash of every field but `eventTime`, with fixed keys, so
/// that the same callback has the same fingerprint throughout a run, on either decoding path.
pub(crate) fn fingerprint(view: &View<'_>) -> u64 {
    let mut h = FastHasher::default();
    Field::each(|field| match view.get(field) {
        _ if field == Field::EventTime => {}
        None => h.write_u8(0),
        // The length and a tag in one word, then the text: field boundaries are kept.
        Some(Value::Text(text)) => {
            h.write_usize(text.len() << 2 | 1);
            h.write(text.as_bytes());
        }
        Some(Value::Time(time)) => {
            h.write_u64(u64::from(time.timestamp_subsec_nanos()) << 2 | 2);
            h.write_u64(time.timestamp().cast_unsigned());
        }
    });
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Fields;

    fn print(body: &str) -> u64 {
        fingerprint(&Fields::parse(body.as_bytes()).unwrap().view().unwrap())
    }

    #[test]
    fn a_redelivery_has_the_fingerprint_of_the_callback_and_any_other_fact_another() {
        let base = r#"{"eventType":"transferAnswer","callId":"c-b","tag":"ab","transferTo":"c"}"#;
        assert_eq!(
            print(base),
            print(
                r#"{"callId":"c-b","transferTo":"c","eventType":"transferAnswer","tag":"ab","eventTime":"2026-01-01T00:00:00Z","from":null}"#
            )
        );
        for other in [
            r#"{"eventType":"transferAnswer","callId":"c-b","tag":"a","transferTo":"bc"}"#,
            r#"{"eventType":"transferAnswer","callId":"c-b","tag":"ab"}"#,
            r#"{"eventType":"transferAnswer","callId":"c-b","tag":"ab","transferTo":"c","startTime":"2026-01-01T00:00:00Z"}"#,
            r#"{"eventType":"redirect","callId":"c-b","tag":"ab","transferTo":"c"}"#,
        ] {
            assert_ne!(print(base), print(other), "{other}");
        }
    }

    #[test]
    fn deliveries_count_callbacks_and_redeliveries_in_any_order() {
        let mut a = Deliveries::new();
        assert!(a.add(7, None));
        assert!(!a.add(7, None));
        assert!(a.add(3, Some(10)));
        assert_eq!((a.callbacks(), a.len()), (2, 3));
        let mut b = Deliveries::new();
        assert!(b.add(3, Some(10)));
        assert!(b.add(7, None));
        assert!(!b.add(7, None));
        assert_eq!(a, b);
        b.union(&a);
        assert_eq!(a, b, "the union of equal sets is either");
    }
}
